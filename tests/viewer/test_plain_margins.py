"""A verdict's margin and a face-decided verdict's probability in plain words (walk-through
2026-12-06, findings 9 and 10). "-0.3656 (beyond the cross-processor bound 1e-06)" read as
"beyond θ" beside a negative margin, in programmers' notation; a verdict one face decided
gave that face's score, moved onto the image's scale, as the image's margin (+0.3282, where
the image alone was 0.27 below θ and the face just over its own θ)."""

from __future__ import annotations

import math

from engine.ensemble_provenance import FACES_ALONE_NOTE
from forensic_viewer.margin_text import margin_cell, margin_words, plain_decimal
from forensic_viewer.probability_source import source_words

FACE_RULE = (
    "θ = 0.5986 ...; on this file: face rule 'any': 1 of 1 face verdict(s) of f flag it; "
    f"{FACES_ALONE_NOTE} (the stacked verdict is not flagged)"
)
THETA = 0.5986


def test_a_margin_says_which_side_of_theta_and_the_bound_without_e_notation() -> None:
    far = {"margin": -0.3656, "threshold": 0.9077, "near_threshold": False, "margin_bound": 1e-6}
    assert margin_cell(far) == (
        "-0.3656 (the score is 0.3656 below θ; on another processor, scores move by at most "
        "0.000001, so the verdict would be the same)"
    )
    above = {**far, "margin": 0.0105, "rule": "forged_fraction", "margin_bound": 0.005}
    assert "the marked area is 0.0105 above θ" in str(margin_cell(above))
    near = {**far, "margin": -0.00003, "near_threshold": True, "margin_bound": 0.0005}
    words = str(margin_words(near))
    assert words.startswith("within 0.00003 of θ") and "at most 0.0005, so it may differ" in words
    for cell in (margin_cell(far), margin_cell(above), words):
        assert "e-0" not in str(cell) and "beyond" not in str(cell)
    assert plain_decimal(5e-6) == "0.000005" and plain_decimal(1.2345e-4) == "0.00012"


def _face_decided() -> tuple[dict, list[dict], float]:
    own = 0.33  # the image's own stacked probability
    terms = [{"contribution": math.log(own / (1 - own))}]
    face = {
        "f": {"verdict": "manipulated", "probability": 0.87, "score": 0.9839, "threshold": 0.9829}
    }
    figures = {
        "margin": 0.3282,
        "threshold": THETA,
        "near_threshold": False,
        "margin_bound": 0.0005,
        "threshold_provenance": FACE_RULE,
        "contributions": terms,
    }
    return figures, [face], own


def test_a_face_decided_margin_is_the_images_own_not_the_faces_moved_score() -> None:
    figures, _, own = _face_decided()
    cell = str(margin_cell(figures))
    assert cell.startswith(f"{own - THETA:+.4f}")  # -0.2686: the image alone is below θ
    assert "+0.3282" not in cell and "A face decided the verdict" in cell
    assert margin_cell({**figures, "threshold_provenance": "θ = 0.5986"}).startswith("+0.3282")


def test_a_face_decided_probability_gives_the_image_first_then_the_faces_score_theta_margin() -> (
    None
):
    figures, faces, own = _face_decided()
    words = str(source_words(0.87, FACE_RULE, figures["contributions"], faces))
    image = words.index(f"the image's own stacked probability is {own:.2f}")
    face = words.index(
        "Flagged because of face 1 only: f scored it 0.9839, 0.0010 above its θ 0.9829"
    )
    assert image < face
    assert words.endswith("0.87 is face 1's probability from f, calibrated on face crops")
    # the image's own stacked score above θ too (astronaut-splice): not "only"
    too = FACE_RULE.split("; " + FACES_ALONE_NOTE)[0]
    words = str(source_words(0.87, too, figures["contributions"], faces))
    assert "only" not in words and "Face 1 flagged it too: f scored it 0.9839" in words


def test_a_face_decided_margin_says_when_the_image_is_above_theta_by_itself() -> None:
    figures, _, _ = _face_decided()
    above = [{"contribution": math.log(0.606 / (1 - 0.606))}]
    cell = str(margin_cell({**figures, "contributions": above}))
    assert cell.startswith("+0.0074") and "A face flagged it too" in cell
