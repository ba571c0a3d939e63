"""What a reader with English as a second language misread in the numbers (walk-through L,
2026-12-06): the reliability caveat cut mid-sentence ("under the face rule …") on the
command line and the viewer's card; "forged 2.61 %" beside "not flagged" read as "2.61 % of
the photograph is forged"; ..."""

from __future__ import annotations

import numpy as np
import pytest

from engine.calibration import (
    brief_reliability,
    mask_on_authentic,
    reliability_details,
    reliability_sentence,
    with_caveat,
)
from engine.ensemble_provenance import FACE_RULE_COUNTED, FACE_RULE_PROMISE
from engine.types import Analysis, ModelResult
from tests.conftest import memory_evidence

STORED = {
    "flagged": {"authentic camera photographs": [2, 30], "tampered CASIA images": [35, 65]},
    "split": "test part",
    "with_face_rule": {"authentic camera photographs": [4, 30], "both halves": [5, 53]},
    "target": 0.05,
    "image_auc": [0.856, 0.7790, 0.9222],
    "by_kind": {"splice": 0.3514, "copy-move": 0.7857},
    "mask_on_authentic": {"median": 0.0309, "largest": 0.1106},
    "optimistic": "its members' checkpoints were chosen on these images too, and the "
    "stacking weights and θ were fitted on the validation half of the same data set, whose "
    "photographs come from the same cameras and the same forgery tools as the test part's",
}
# the bundled ensemble's sentence as a scan row holds it under the face rule: over 1,000
LONG = with_caveat(reliability_sentence({"reliability": STORED}), FACE_RULE_COUNTED)
# the figure a row keeps beside it, as numbers (ModelResult.mask_on_authentic)
MASK = mask_on_authentic({"reliability": STORED})


def _result(name: str, rule: str, verdict: str, reliability: str = "") -> ModelResult:
    heat = np.zeros((40, 60), np.float32)
    return ModelResult(
        name=name, architecture=rule, checkpoint="", checkpoint_sha256="0" * 64, rule=rule,
        score=0.25, verdict=verdict, forged_fraction=0.0261, threshold=0.5986,
        pixel_threshold=0.45, threshold_provenance="θ = 0.5986 stacking", input_policy={},
        device="cpu", precision="fp32", seconds=0.1, heatmap=heat, mask=heat > 0.45,
        probability=0.26, reliability=reliability,
        mask_on_authentic=MASK if rule == "ensemble" else None,
    )  # fmt: skip


def _analysis() -> Analysis:
    """An unflagged file: the default verdict (with the long reliability) and one member."""
    return Analysis(
        evidence=memory_evidence(np.zeros((40, 60, 3), np.uint8)),
        results={"m": _result("m", "logit", "authentic")},
        ensemble=_result("ens", "ensemble", "authentic", LONG),
    )


def test_the_command_lines_closing_line_gives_the_brief_reliability_whole(capsys) -> None:
    """Its brief part, not cut (the face rule's words are its last), and where the rest is:
    the sentence whole had been over 1,000 characters and cut before them."""
    from forensic_viewer.cli_table import print_table

    assert len(LONG) > 1000
    ens = {"name": "ens", "rule": "ensemble", "verdict": "authentic", "score": 0.25,
           "probability": 0.26, "forged_fraction": 0.0261, "threshold": 0.5986,
           "reliability": LONG}  # fmt: skip
    print_table([{"path": "a.jpg", "status": "ok", "checks": [("ens (ensemble)", ens)]}])
    closing = [x for x in capsys.readouterr().out.splitlines() if x.startswith("default verdict")]
    assert closing == [
        f"default verdict ens: {brief_reliability(LONG)}. All figures: forensic-viewer models ens"
    ]
    assert FACE_RULE_PROMISE in closing[0] and "AUC" not in closing[0]


@pytest.mark.gui
def test_the_viewers_card_gives_the_brief_reliability_whole_and_the_rest_folded(qapp) -> None:
    from forensic_viewer.gui.verdict_panel import FOLD_WITH_RELIABILITY, FOLD_WORDS, VerdictPanel

    panel = VerdictPanel()
    panel.set_analysis(_analysis())
    card = panel.cards[0]
    body = card.body.text()  # in brief, whole; the rest in the card's fold
    assert body.endswith(brief_reliability(LONG)) and "…" not in body, body[-200:]
    assert body.endswith(FACE_RULE_PROMISE) and "AUC" not in body
    assert f"in more detail: {reliability_details(LONG)}" in card.details.text()
    assert card.toggle.accessibleDescription() == FOLD_WITH_RELIABILITY
    assert panel.cards[1].toggle.accessibleDescription() == FOLD_WORDS  # nothing more to say


@pytest.mark.gui
def test_not_flagged_is_never_green_in_the_viewer(qapp) -> None:
    """ "not flagged" stood in green on its card, badge and compare pane: green reads as
    "cleared", which the words never say (the caveat: "never that the image is authentic")."""
    from forensic_viewer.gui.compare import pane_color
    from forensic_viewer.gui.panels import NEUTRAL, RED, TINT, verdict_badge
    from forensic_viewer.gui.verdict_panel import VerdictPanel

    assert NEUTRAL.hsvHue() == -1  # no hue: grey to black
    analysis = _analysis()
    panel = VerdictPanel()
    panel.set_analysis(analysis)
    assert [c.title.property(TINT) for c in panel.cards] == [NEUTRAL, NEUTRAL]
    assert verdict_badge(analysis).color == NEUTRAL
    assert pane_color(analysis.results["m"]) == NEUTRAL
    flagged = _result("m", "logit", "manipulated")
    assert pane_color(flagged) == RED  # a flag stays red


def _figure() -> str:
    """What the mask marks on authentic photographs, as the stored record gives it."""
    m = STORED["mask_on_authentic"]
    return f"median {100 * m['median']:.1f} % of the pixels (up to {100 * m['largest']:.1f} %)"


def test_the_command_line_says_marked_area_and_that_it_is_no_finding(capsys) -> None:
    from forensic_viewer.cli_table import print_table, table_checks
    from forensic_viewer.marked_area import MARKED_AREA_MEANING, NOT_A_FINDING, NOT_A_FINDING_MARK

    figures = {"score": 0.25, "probability": 0.26, "forged_fraction": 0.0261, "threshold": 0.5986}
    row = {"ensemble": {"name": "ens", "verdict": "authentic", **figures},
           "ensemble_details": {"reliability": LONG, "mask_on_authentic": MASK}}  # fmt: skip
    ((_, ens),) = table_checks(row)  # the figure is kept beside the sentence
    flagged = {"name": "m", "rule": "logit", "verdict": "manipulated", **figures, "score": 0.9}
    checks = [("ens (ensemble)", ens), ("m", flagged)]
    # a face in range: its line has no range words (they had taken the marked area's flag)
    face = {"box": [10, 10, 60, 60], "face_scores": {"m": {"score": 0.1, "verdict": "authentic"}}}
    print_table([{"path": "a.jpg", "status": "ok", "checks": checks, "faces": [face]}])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith(f"\tmarked area 2.61% ({NOT_A_FINDING_MARK})"), lines[0]
    assert lines[1].endswith("\tmarked area 2.61%")  # flagged: no such words
    assert not any("forged" in line for line in lines[:2])
    (note,) = [x for x in lines if x.startswith("marked area:")]
    assert note == f"marked area: {MARKED_AREA_MEANING}. {NOT_A_FINDING} " + (
        f"On authentic camera photographs, the default verdict's mask marks a {_figure()}."
    )
    # a row written before the figure was kept beside the sentence: the rest, without it
    # (never read out of the sentence's words, which change)
    del ens["mask_on_authentic"]
    assert _figure().replace(" (up to ", ", up to ").removesuffix(")") in LONG
    print_table([{"path": "a.jpg", "status": "ok", "checks": checks}])
    (note,) = [x for x in capsys.readouterr().out.splitlines() if x.startswith("marked area:")]
    assert note == f"marked area: {MARKED_AREA_MEANING}. {NOT_A_FINDING}"


def test_the_reports_rows_and_note_say_marked_area_and_that_it_is_no_finding() -> None:
    from forensic_viewer.marked_area import NOT_A_FINDING, UNFLAGGED_FILE
    from forensic_viewer.report import text as T
    from forensic_viewer.report.model import ModelEntry

    f = {"rule": "ensemble", "score": 0.25, "verdict": "authentic", "forged_fraction": 0.0261,
         "threshold": 0.5986, "pixel_threshold": 0.45, "reliability": LONG,
         "mask_on_authentic": MASK}  # fmt: skip
    rows = dict(T.entry_rows(ModelEntry("ens", "ensemble", "ran", figures=f)))
    assert "Forged fraction" not in rows
    said = rows["Marked area"]
    assert said.startswith("2.61 % of the pixels (heatmap above 0.45). " + NOT_A_FINDING)
    assert said.endswith(f"mask marks a {_figure()}.")
    member = dict(T.entry_rows(ModelEntry("m", "model", "ran", figures={**f, "rule": "logit"})))
    assert member["Marked area"].endswith(NOT_A_FINDING)  # the default verdict's figure: not its
    flagged = {**f, "verdict": "manipulated", "score": 0.9}
    rows = dict(T.entry_rows(ModelEntry("ens", "ensemble", "ran", figures=flagged)))
    assert rows["Marked area"] == "2.61 % of the pixels (heatmap above 0.45)"
    assert UNFLAGGED_FILE in T.SUMMARY_NOTE and "Forged" not in T.SUMMARY_NOTE
    # a row written before the figure was kept beside the sentence: no figure, the rest said
    old = {k: v for k, v in f.items() if k != "mask_on_authentic"}
    rows = dict(T.entry_rows(ModelEntry("ens", "ensemble", "ran", figures=old)))
    assert rows["Marked area"].endswith(NOT_A_FINDING)
    # the note under the summary table: the default verdict's figure, when its rows keep it
    from types import SimpleNamespace

    def note(figure: object) -> str:
        ens = SimpleNamespace(role="ensemble", mask_on_authentic=figure)
        return T.summary_note(SimpleNamespace(analysis_columns=[], models=[ens]))  # type: ignore[arg-type]

    assert note(MASK).endswith(f"mask marks a {_figure()}.") and note(None) == T.SUMMARY_NOTE


def test_the_heatmap_caption_does_not_call_its_values_a_probability() -> None:
    """ "value = round(255 x probability)" under each figure, while the legend said the heatmap
    is "not the image's probability"."""
    from forensic_viewer.report.model import HEATMAP_8BIT
    from forensic_viewer.wording import HEATMAP_MEANING

    assert "probability" not in HEATMAP_8BIT and "heatmap value, 0 to 1" in HEATMAP_8BIT
    assert "not the image's probability" in HEATMAP_MEANING


@pytest.mark.gui
def test_the_viewer_says_marked_area_and_that_it_is_no_finding(qapp) -> None:
    from PySide6.QtCore import Qt

    from forensic_viewer.gui.triage_table import TriageModel
    from forensic_viewer.gui.verdict_panel import VerdictPanel
    from forensic_viewer.marked_area import NOT_A_FINDING
    from forensic_viewer.scan.triage import MARKED_AREA_NOTE

    panel = VerdictPanel()
    panel.set_analysis(_analysis())
    ens, member = (c.body.text() for c in panel.cards)
    assert "marked area 2.61 % of the pixels (heatmap above 0.45). " + NOT_A_FINDING in ens
    assert f"mask marks a {_figure()}." in ens
    assert NOT_A_FINDING in member and _figure() not in member
    older = _analysis()  # opened from a row written before the figure was kept: none given
    assert older.ensemble is not None
    older.ensemble.mask_on_authentic = None
    panel.set_analysis(older)
    ens = panel.cards[0].body.text()
    assert NOT_A_FINDING in ens and "mask marks a median" not in ens
    model = TriageModel()
    model.set_models(["m"], "ens")
    col = model.column_of("forged_fraction")
    assert model.headerData(col, Qt.Orientation.Horizontal) == "Marked area"
    tip = model.headerData(col, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert tip == MARKED_AREA_NOTE and "not a finding" in tip


def test_the_spread_column_says_what_it_is_and_the_verdicts_in_words_of_their_own() -> None:
    """ "Disagreement 0.00 (verdicts differ)": no disagreement and a disagreement in one cell.
    The figure is the spread of the models' probabilities; the verdicts are said apart."""
    from forensic_viewer.report import text as T
    from forensic_viewer.scan.triage import DISAGREEMENT_NOTE, SPREAD_HEADER, TriageRow

    row = TriageRow(
        key="a.jpg", file=None, status="ok", error=None, sha256=None, cells=(), ensemble=None,
        forged_fraction=0.02, faces=None, disagreement=0.005, verdicts_disagree=True,
        thumbnail=None, verdicts=(("a", "authentic"), ("ens", "manipulated")),
    )  # fmt: skip
    assert row.disagreement_text == "0.01; verdicts differ"
    assert "Disagreement" not in T.SUMMARY_NOTE and DISAGREEMENT_NOTE in T.SUMMARY_NOTE
    assert DISAGREEMENT_NOTE.startswith(f"{SPREAD_HEADER}: the largest minus the smallest")
    # no sentence of the note runs past 30 words
    assert max(len(s.split()) for s in DISAGREEMENT_NOTE.split(". ")) <= 30


def _page_text(raw: str) -> str:
    import html
    import re

    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())


def test_the_report_lists_the_words_it_uses_after_its_summary(tmp_path) -> None:
    """θ, AUC, CASIA, "stacked", logit, int8/fp32, p99 ... stood unexplained from page 1 on. A
    section after the summary says each word the report uses, and only those; page 1's first θ
    reads "its threshold (θ)"."""
    import json
    import re

    from pypdf import PdfReader

    from forensic_viewer.report import write_report
    from forensic_viewer.report.glossary import HEADING, WORDS
    from tests.viewer.test_report_court_reading import _item

    item = _item()
    item.ensemble.figures.update(rule="ensemble", reliability=LONG, margin=0.41, precision="fp32",
                                 near_threshold=False, margin_bound=1e-6)  # fmt: skip
    paths = write_report([item], tmp_path / "r", ["html", "pdf", "json"])
    raw = paths["html"].read_text(encoding="utf-8")
    start = raw.index('<section id="words">')
    assert raw.index('<section id="summary">') < start < raw.index('<section id="models">')
    end = raw.index("</section>", start)
    words = _page_text(raw[start:end])
    rest = _page_text(raw[:start] + raw[end:])
    listed = [w["word"] for w in json.loads(paths["json"].read_text("utf-8"))["glossary"]]
    # the margin's bound is said in plain words now ("on another processor, scores move by at
    # most ..."): the term is listed only where a precision had no bound measured
    assert {"θ (threshold)", "AUC", "CASIA", "int8, fp32"} <= set(listed)
    assert "cross-processor bound" not in listed
    for word, pattern, meaning in WORDS:  # listed exactly when used, with its one line
        assert (word in listed) == bool(re.search(pattern, rest)), word
        assert (f"{word} {meaning}" in words) == (word in listed), word
        assert len(meaning.split()) < 30
    first = " ".join(PdfReader(paths["pdf"]).pages[0].extract_text().split())
    assert "its threshold (θ)" in first and first.index("its threshold (θ)") <= first.index("θ")
    pdf = " ".join(" ".join(p.extract_text() for p in PdfReader(paths["pdf"]).pages).split())
    assert HEADING in pdf and all(word in pdf for word in listed)
