"""What moved a stacked default verdict is said on the Verdict panel's card, in the command
line's table and in the reports' default-verdict section, largest term first; when
whole-image statistics carried a "manipulated" verdict, that its mask need not show why
(docs/VERDICTS.md, section 4); a results row written before the terms were recorded still
reads, and says nothing of them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from engine.ensemble_provenance import FACE_RULE_NOTE, FACES_ALONE_NOTE, ON_THIS_FILE
from engine.types import ModelResult
from forensic_viewer.cli import main
from forensic_viewer.cli_table import print_table, table_checks
from forensic_viewer.report import scan_source, write_report
from forensic_viewer.report.text import moved_rows
from forensic_viewer.scan.records import ModelFigures, RecordError, parse_line
from forensic_viewer.wording import MASK_NOT_THE_REASON, MASK_NOT_THE_REASON_LINE, MOVED_WORDS
from tests.conftest import write_rgb
from tests.engine.test_stacked_contributions import combine, member

SCHEMA = json.loads(
    (Path(__file__).parents[2] / "docs" / "results.schema.json").read_text(encoding="utf-8")
)
WALK_THROUGH = (
    f"{MOVED_WORDS}: diffforensics-effl0 (whole-image statistic, photo reduced to 512 px) +2.43, "
    "crfd-net-compact (marked area) −0.68, copy-move analysis (no pair) 0; bias −0.72"
)


def row_of(ensemble: ModelResult) -> dict[str, Any]:
    """The parts of a results row the command line's table reads, for ``ensemble``."""
    figures = ModelFigures.from_result(ensemble).to_json()
    summary = {k: figures[k] for k in ("score", "verdict", "forged_fraction", "threshold")}
    return {"ensemble": {"name": ensemble.name, **summary}, "ensemble_details": figures}


def printed(ensemble: ModelResult, capsys: pytest.CaptureFixture[str]) -> list[str]:
    checks = table_checks(row_of(ensemble))
    print_table([{"path": "photo.jpg", "status": "ok", "checks": checks}])
    return capsys.readouterr().out.splitlines()


def test_the_command_lines_table_says_what_moved_it_in_one_line(capsys) -> None:
    lines = printed(combine(3.2), capsys)
    moved = [line for line in lines if MOVED_WORDS in line]
    assert moved == [
        f"photo.jpg\tdefault verdict: bundled-ensemble (ensemble)\t{WALK_THROUGH}; "
        f"{MASK_NOT_THE_REASON}"
    ]
    # a found pair decided (its map is the mask): the terms, not the sentence
    lines = printed(combine(3.2, pair=True), capsys)
    (moved_line,) = [line for line in lines if MOVED_WORDS in line]
    assert "copy-move analysis (pair found) +2.22" in moved_line
    assert MASK_NOT_THE_REASON not in moved_line


def test_the_report_rows_give_each_term_with_its_statistic_and_weight() -> None:
    figures = combine(3.2).to_dict()
    rows = dict(moved_rows(figures))
    words = rows["What moved the stacked score"]
    assert words.startswith(
        "diffforensics-effl0 (whole-image statistic, photo reduced to 512 px) +2.43 "
        "(statistic 3.2 × weight 0.761), crfd-net-compact (marked area) −0.68 (statistic "
        "−4.22, the logit of its marked area, × weight 0.161), copy-move analysis (no "
        "pair) 0 (statistic 0 × weight 2.22); bias −0.72; sum +1.04"
    )
    assert rows["What the mask shows"] == MASK_NOT_THE_REASON_LINE
    assert "What the mask shows" not in dict(moved_rows(combine(3.2, pair=True).to_dict()))
    assert "What the mask shows" not in dict(moved_rows(combine(0.5).to_dict()))  # authentic
    # a face decided alone: the terms are those of the stacked score before it
    alone = f"s{ON_THIS_FILE}{FACE_RULE_NOTE}1 face verdict; {FACES_ALONE_NOTE}"
    rows = dict(moved_rows({**combine(0.5).to_dict(), "threshold_provenance": alone}))
    assert rows["What moved the stacked score"].endswith("(then the face rule decided the verdict)")
    # the stacked score flagged it too ("Face 1 flagged it too"): the face did not decide it;
    # no mask sentence either way
    face = {**figures, "threshold_provenance": f"s{ON_THIS_FILE}{FACE_RULE_NOTE}1 face verdict"}
    rows = dict(moved_rows(face))
    assert rows["What moved the stacked score"].endswith("(the stacked score is its sigmoid)")
    assert "What the mask shows" not in rows
    assert moved_rows({**figures, "contributions": None}) == []  # not stacked, or an older row


@pytest.mark.gui
def test_the_default_verdict_card_says_it_and_its_fold_the_figures(qapp, tmp_path: Path) -> None:
    from engine.io import load_evidence
    from engine.types import Analysis
    from forensic_viewer.gui.verdict_panel import VerdictPanel

    evidence = load_evidence(write_rgb(tmp_path / "photo.png", 8, 8))
    panel = VerdictPanel()
    members = {"diffforensics-effl0": member("diffforensics-effl0", "logit", 0.2, 3.2)}
    panel.set_analysis(Analysis(evidence, members, ensemble=combine(3.2)))
    card = panel.cards[0]  # the default verdict's
    body = card.body.text().splitlines()
    assert WALK_THROUGH in body and MASK_NOT_THE_REASON_LINE in body
    assert body.index(WALK_THROUGH) == body.index(MASK_NOT_THE_REASON_LINE) - 1
    assert "statistic 3.2 × weight 0.761" in card.details.text()  # folded: the figures
    panel.set_analysis(Analysis(evidence, members, ensemble=combine(3.2, pair=True)))
    card = panel.cards[0]
    assert MOVED_WORDS in card.body.text() and MASK_NOT_THE_REASON_LINE not in card.body.text()


@pytest.fixture
def analysed(tmp_path: Path, tiny_checkpoint: Path, capsys) -> tuple[Path, str]:
    """``analyze`` of one image with a stacked ensemble over the tiny checkpoint."""
    ensemble = tiny_checkpoint.parent / "stack.ensemble.json"
    stacking = {"bias": -0.5, "weights": {tiny_checkpoint.name: 0.3}}
    ensemble.write_text(
        json.dumps({"members": [{"model": tiny_checkpoint.name}], "stacking": stacking}),
        encoding="utf-8",
    )
    image = write_rgb(tmp_path / "photo.png", 200, 240, seed=3)
    out = tmp_path / "out"
    assert (
        main(["analyze", str(image), "--out", str(out), "--model", str(ensemble), "--no-faces"])
        == 0
    )
    return out, capsys.readouterr().out


def test_an_analysis_records_the_terms_and_says_them(
    analysed: tuple[Path, str], tmp_path: Path
) -> None:
    out, text = analysed
    (row,) = map(json.loads, (out / "results.jsonl").read_text(encoding="utf-8").splitlines())
    terms = row["ensemble_details"]["contributions"]
    assert [t["input"] for t in terms] == ["tiny.safetensors", "bias"]
    assert terms[0]["label"] == "tiny (marked area)" and terms[0]["weight"] == 0.3
    assert "contributions" not in row["details"]["tiny"]  # a member's result has none
    assert not list(Draft202012Validator(SCHEMA).iter_errors(row))
    (line,) = [line for line in text.splitlines() if MOVED_WORDS in line]
    assert line.startswith("photo.png\tdefault verdict: stack (ensemble)\t")
    assert "tiny (marked area)" in line and "; bias −0.50" in line
    paths = write_report(scan_source(out), tmp_path / "report", ["html", "json", "pdf"])
    html = paths["html"].read_text(encoding="utf-8")
    assert "What moved the stacked score" in html and "tiny (marked area)" in html
    report = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert report["items"][0]["ensemble"]["figures"]["contributions"] == terms
    assert paths["pdf"].stat().st_size > 0  # the rows laid out in the PDF too


def test_a_row_written_before_the_terms_still_reads(analysed: tuple[Path, str], capsys) -> None:
    out, _ = analysed
    row = json.loads((out / "results.jsonl").read_text(encoding="utf-8"))
    del row["ensemble_details"]["contributions"]
    assert not list(Draft202012Validator(SCHEMA).iter_errors(row))
    rec = parse_line(json.dumps(row))
    assert rec is not None and rec.ensemble is not None and rec.ensemble.figures is not None
    assert rec.ensemble.figures.contributions is None
    assert "contributions" not in rec.ensemble.figures.to_json()  # written back as it was
    print_table([{"path": "photo.png", "status": "ok", "checks": table_checks(row)}])
    assert MOVED_WORDS not in capsys.readouterr().out
    # a term that is not what its readers use is not a record, and the field is named
    row["ensemble_details"]["contributions"] = [{"input": "bias", "label": "bias"}]
    with pytest.raises(RecordError, match=r"ensemble_details\.contributions\[0\]\.kind: missing"):
        ModelFigures.from_json(row["ensemble_details"], "row.ensemble_details")
