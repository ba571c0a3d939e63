"""Rows of a model's (or the ensemble's) part in a file's section that say what its figures
are: its probability with where it came from when it is not the image's own, its score named
for what it is, and θ beside the figure it was compared with (results.csv's
``<model>.decision_value``). crfd-net-compact's "Score 0.4924" beside "θ 0.3423" with the
verdict "not flagged" invited comparing the two: its score is f / (f + θ), its verdict
compares the marked area f (the forged fraction) with θ. The label named it "p", the letter
of the calibrated probability three rows above (walk-through L)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.decision import threshold_applies_to
from engine.ensemble_provenance import decided_by_face_alone, whole_image_decided
from forensic_viewer.marked_area import MARKED_AREA, NOT_A_FINDING, marked_area_words, not_a_finding
from forensic_viewer.wording import (
    MASK_NOT_THE_REASON_LINE,
    PRIOR_CAVEAT,
    UNCALIBRATED_HERE,
    calibration_word,
    contribution_details,
    odds_words,
)

Rows = list[tuple[str, str]]

# the Score row's label under the forged-fraction rule: not the figure θ is compared with
RANKING_SCORE = "Ranking score (f / (f + θ), f = marked area; 0.5 at θ; not a probability)"


def probability_cell(f: Mapping[str, Any], source: str | None = None) -> str:
    """A verdict's calibrated probability, where it came from when it is a face's (``source``:
    :mod:`forensic_viewer.probability_source`), what it assumes (:data:`~forensic_viewer.
    wording.PRIOR_CAVEAT`, as the command line and the Verdict panel say it at the number; a
    verdict outside the measured range says instead that it is not calibrated there), and why
    it points against the verdict when it does (:func:`~forensic_viewer.wording.odds_words`:
    "authentic" at 0.54 read as a contradiction)."""
    if f.get("probability") is None:
        return "not calibrated"
    calibrated = calibration_word(f.get("out_of_range")) == "calibrated"  # the label says it is
    said = [
        *([source] if source is not None else []),
        PRIOR_CAVEAT if calibrated else UNCALIBRATED_HERE,
        *([odds] if (odds := odds_words(str(f.get("verdict")), f["probability"])) else []),
    ]
    return f"{f['probability']:.2f} ({'; '.join(said)})"


def score_label(f: Mapping[str, Any]) -> str:
    """The Score row's label: under the forged-fraction rule, what the score is (it passes 0.5
    where the forged fraction passes θ), else that it is what θ is compared with."""
    return RANKING_SCORE if f.get("rule") == "forged_fraction" else "Score (compared with θ)"


def compared_words(f: Mapping[str, Any]) -> str:
    """``"; compared with: marked area 12.34 %"`` or ``"; compared with: score 0.6200"``,
    for the θ row: the figure the verdict compared with θ (``engine.decision.
    threshold_applies_to``), "" when the result does not hold it."""
    rule, score, fraction = f.get("rule"), f.get("score"), f.get("forged_fraction")
    if rule is None or score is None or fraction is None:
        return ""
    value = threshold_applies_to(str(rule), float(score), float(fraction))
    if rule == "forged_fraction":
        return f"; compared with: {MARKED_AREA} {100.0 * value:.2f} %"
    return f"; compared with: score {value:.4f}"


def marked_area_cell(f: Mapping[str, Any], ensemble: bool) -> str:
    """The Marked area row: the share of pixels in the mask and at which pixel threshold;
    for a check that did not flag the file, that it is not a finding, with the authentic
    photographs' figure for the default verdict (``ensemble``: its ``mask_on_authentic``)."""
    words = marked_area_words(f.get("forged_fraction"), f.get("pixel_threshold"))
    if f.get("verdict") == "manipulated" or f.get("forged_fraction") is None:
        return words
    said = not_a_finding(f.get("mask_on_authentic")) if ensemble else NOT_A_FINDING
    return f"{words}. {said}"


def moved_rows(f: Mapping[str, Any]) -> Rows:
    """A stacked default verdict's terms, largest first, each with its statistic and weight
    (:func:`~forensic_viewer.wording.contribution_details`), and, when whole-image statistics
    carried a "manipulated" verdict (:func:`engine.ensemble_provenance.whole_image_decided`),
    that its mask need not show why; no rows for other results and rows written before 2026-12-05."""
    provenance = str(f.get("threshold_provenance") or "")
    terms = f.get("contributions")
    words = contribution_details(terms, by_face=decided_by_face_alone(provenance))
    if words is None:
        return []
    rows: Rows = [("What moved the stacked score", words)]
    if whole_image_decided(terms, str(f.get("verdict")), float(f["threshold"]), provenance):
        rows.append(("What the mask shows", MASK_NOT_THE_REASON_LINE))
    return rows
