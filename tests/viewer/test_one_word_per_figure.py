"""What the review of the second-language rewording found missed (review R, 2026-12-06):
"forged fraction 2.61 % ≤ θ 34.23 %" where every other display says "marked area", and no
"not a finding" mark on that rule's line; "decided by the face rule" beside "Face 1 flagged it
too"; "the clone analysis" in the copy-move map's caption and provenance; and a checkpoint
header's strings uncapped on the terminal and the viewer's card."""

from __future__ import annotations

import numpy as np
import pytest

from engine.calibration import reliability_sentence
from engine.ensemble_provenance import (
    FACE_RULE_NOTE,
    FACES_ALONE_NOTE,
    ON_THIS_FILE,
    heatmap_replaced_by,
)
from engine.formatting import SENTENCE_LIMIT
from engine.types import Analysis
from tests.conftest import memory_evidence

# a crfd-net-compact style row: θ on the marked area, not flagged
UNFLAGGED = {"name": "crfd", "rule": "forged_fraction", "verdict": "authentic", "score": 0.07,
             "probability": 0.3, "forged_fraction": 0.0261, "threshold": 0.3423}  # fmt: skip


def test_the_marked_area_rule_says_marked_area_and_is_no_finding_when_not_flagged(
    capsys,
) -> None:
    """Its θ is on the marked area, so its line gives the figure once, by that name, with
    the mark every line not flagged carries, and the note saying what the figure is."""
    from forensic_viewer.cli_table import print_table
    from forensic_viewer.margin_text import margin_cell
    from forensic_viewer.marked_area import MARKED_AREA_MEANING, NOT_A_FINDING_MARK
    from forensic_viewer.wording import decision_words, face_decision_words, face_verdict_words

    flagged = {**UNFLAGGED, "verdict": "manipulated", "forged_fraction": 0.4094}
    print_table([{"path": "a.jpg", "status": "ok",
                  "checks": [("crfd", UNFLAGGED), ("crfd", flagged)]}])  # fmt: skip
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].endswith(f"\tmarked area 2.61% ≤ θ 34.23% ({NOT_A_FINDING_MARK})"), lines[0]
    assert lines[1].endswith("\tmarked area 40.94% > θ 34.23%")  # flagged: no mark
    assert any(x.startswith(f"marked area: {MARKED_AREA_MEANING}") for x in lines)
    assert "forged" not in out
    assert decision_words(flagged) == "marked area 40.94% > θ 34.23%"
    assert face_decision_words(flagged) == "marked area 40.94% > θ 34.23%"
    words = face_verdict_words("crfd", {**flagged, "probability": None}, face_model=False)
    assert words == "crfd (not used for the verdict): marked area 40.94%, θ 34.23%"
    near = {**UNFLAGGED, "margin": -0.0002, "near_threshold": False, "margin_bound": 1e-6}
    assert "the marked area is 0.0002 below θ" in str(margin_cell(near))


def test_a_stacked_terms_marked_area_is_said_so_in_old_rows_too() -> None:
    """The line of what moved the stacked score said "crfd-net-compact (forged fraction)" and
    "the logit of its forged fraction"; rows keep their labels, so those written before are
    read in the new words."""
    from forensic_viewer.wording import contribution_details, contribution_words

    old = [{"kind": "forged_fraction", "label": "crfd (forged fraction)", "contribution": -0.68,
            "value": -4.22, "weight": 0.161},
           {"kind": "bias", "label": "bias", "contribution": -0.72, "value": 1, "weight": -0.72}]  # fmt: skip
    said = f"{contribution_words(old)} {contribution_details(old)}"
    assert "crfd (marked area) −0.68" in said and "the logit of its marked area" in said
    assert "forged" not in said


def _face_row(provenance: str, stacked_logit: float) -> dict:
    """A results.jsonl row whose default verdict the face rule flagged (face 1's probability
    0.71 shown), its stacked score σ(``stacked_logit``) against θ 0.5986."""
    terms = [{"kind": "bias", "label": "bias", "contribution": stacked_logit, "value": 1,
              "weight": stacked_logit}]  # fmt: skip
    ens = {"name": "ens", "verdict": "manipulated", "score": 0.624, "probability": 0.71,
           "forged_fraction": 0.1}  # fmt: skip
    details = {"threshold": 0.5986, "threshold_provenance": provenance, "contributions": terms}
    face = {"box": [1, 1, 90, 90], "face_scores": {"faces": {
        "score": 0.9839, "verdict": "manipulated", "threshold": 0.9829, "probability": 0.71}}}  # fmt: skip
    return {"ensemble": ens, "ensemble_details": details, "faces": [face], "models": {}}


def test_the_decision_says_the_face_rule_decided_only_when_the_probability_says_so() -> None:
    """astronaut-splice: its own stacked score (0.61) is above θ too, and the probability's words
    say "Face 1 flagged it too"; the decision had said "decided by the face rule". Both now
    follow the same test (decided_by_face_alone), as does the line of what moved the score."""
    from forensic_viewer.cli_table import table_checks
    from forensic_viewer.wording import FACE_DECIDED_AFTER, decision_words

    by_face = f"θ = 0.5986 stacking{ON_THIS_FILE}{FACE_RULE_NOTE}1 face verdict(s) flag it"
    ((_, too),) = table_checks(_face_row(by_face, 0.45))  # σ(0.45) = 0.61 > θ
    assert "Face 1 flagged it too" in too["source"]
    assert "decided by the face rule" not in decision_words(too)
    assert "a face flagged it too" in decision_words(too)
    assert not too["moved"].endswith(FACE_DECIDED_AFTER)
    alone = f"{by_face}; {FACES_ALONE_NOTE} (the stacked verdict is not flagged)"
    ((_, only),) = table_checks(_face_row(alone, -1.0))
    assert "Flagged because of face 1 only" in only["source"]
    assert decision_words(only).endswith(
        "(decided by the face rule: this is a flagged face's score, not the image's)"
    )
    assert only["moved"].endswith(FACE_DECIDED_AFTER)


def test_the_copy_move_map_is_named_as_readers_see_it_and_older_rows_still_read() -> None:
    from forensic_viewer.wording import copy_map_words

    assert copy_map_words("clone").startswith("copy-move regions found by the copy-move analysis")
    new = f"θ = 0.6{ON_THIS_FILE}the heatmap is the copy-move analysis's map (it found a pair)"
    old = f"θ = 0.6{ON_THIS_FILE}the heatmap is the clone analysis's map (it found a pair)"
    assert heatmap_replaced_by(new) == heatmap_replaced_by(old) == "clone"


# a checkpoint header whose free text a user's file fills: in the reliability sentence
HUGE = reliability_sentence(
    {"reliability": {"flagged": {"authentic camera photographs": [1, 30]}, "split": "X" * 100_000}}
)


def test_header_text_in_the_reliability_is_capped_on_the_terminal(capsys) -> None:
    """The cap was lifted so that the product's own sentence is whole (about 980 characters in
    brief, 1,650 whole, for the bundled ensemble on a file of many faces); the header's strings
    in it are capped all the same."""
    from forensic_viewer.cli_table import print_table, whole_line

    assert len(HUGE) > 100_000 and len(whole_line(HUGE)) == SENTENCE_LIMIT + 1
    ens = {**UNFLAGGED, "name": "ens", "rule": "ensemble", "reliability": HUGE}
    print_table([{"path": "a.jpg", "status": "ok", "checks": [("ens (ensemble)", ens)]}])
    (closing,) = [x for x in capsys.readouterr().out.splitlines() if x.startswith("default")]
    assert closing.endswith("…") and len(closing) < SENTENCE_LIMIT + 100


@pytest.mark.gui
def test_header_text_in_the_reliability_is_capped_on_the_viewers_card(qapp) -> None:
    from forensic_viewer.gui.verdict_panel import VerdictPanel
    from tests.viewer.test_second_language import _result

    panel = VerdictPanel()
    panel.set_analysis(
        Analysis(
            evidence=memory_evidence(np.zeros((40, 60, 3), np.uint8)),
            results={"m": _result("m", "logit", "authentic")},
            ensemble=_result("ens", "ensemble", "authentic", HUGE),
        )
    )
    (line,) = [x for x in panel.cards[0].body.text().splitlines() if "XXXX" in x]
    assert line.endswith("…") and len(line) == SENTENCE_LIMIT + 1
