"""Rows of a model's (or the ensemble's) part in a file's section that say what its figures
are: its probability with where it came from when it is not the image's own, its score named
for what it is, and θ beside the figure it was compared with (results.csv's
``<model>.decision_value``). crfd-net-compact's "Score 0.4924" beside "θ 0.3423" with the
verdict "not flagged" invited comparing the two: its score is p / (p + θ), its verdict
compares the forged fraction p with θ."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.decision import threshold_applies_to
from forensic_viewer.wording import UNCALIBRATED_HERE, calibration_word, odds_words

# the Score row's label under the forged-fraction rule: not the figure θ is compared with
RANKING_SCORE = "Score (p / (p + θ), p the forged fraction: ranks images; 0.5 at θ)"


def probability_cell(f: Mapping[str, Any], source: str | None = None) -> str:
    """A verdict's calibrated probability, where it came from when it is a face's (``source``:
    :mod:`forensic_viewer.probability_source`), and why it points against the verdict when it
    does (:func:`~forensic_viewer.wording.odds_words`: "authentic" at 0.54 read as a
    contradiction)."""
    if f.get("probability") is None:
        return "not calibrated"
    words = odds_words(str(f.get("verdict")), f["probability"])
    if calibration_word(f.get("out_of_range")) != "calibrated":  # the column says it is
        words = UNCALIBRATED_HERE + (f"; {words}" if words else "")
    if source is not None:
        words = source + (f"; {words}" if words else "")
    return f"{f['probability']:.2f}" + (f" ({words})" if words else "")


def score_label(f: Mapping[str, Any]) -> str:
    """The Score row's label: under the forged-fraction rule, what the score is (it passes 0.5
    where the forged fraction passes θ), else that it is what θ is compared with."""
    return RANKING_SCORE if f.get("rule") == "forged_fraction" else "Score (compared with θ)"


def compared_words(f: Mapping[str, Any]) -> str:
    """``"; compared with: forged fraction 12.34 %"`` or ``"; compared with: score 0.6200"``,
    for the θ row: the figure the verdict compared with θ (``engine.decision.
    threshold_applies_to``), "" when the result does not hold it."""
    rule, score, fraction = f.get("rule"), f.get("score"), f.get("forged_fraction")
    if rule is None or score is None or fraction is None:
        return ""
    value = threshold_applies_to(str(rule), float(score), float(fraction))
    if rule == "forged_fraction":
        return f"; compared with: forged fraction {100.0 * value:.2f} %"
    return f"; compared with: score {value:.4f}"
