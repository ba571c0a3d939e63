"""A decision's margin to θ in words (no Qt): where the figure its verdict compared with θ lies
within the cross-processor bound of its precision (:func:`engine.decision.decision_margin`,
docs/RESULTS.md "Reproducing a result"), the verdict may differ when the same command runs on
another processor, and the viewer's cards, every report (HTML, PDF, text) and the row say so.

Plain words and plain decimals: "beyond the cross-processor bound 1e-06" beside a negative
margin read as "beyond θ" to a reader with English as a second language, and ``1e-06`` as
programmers' notation (walk-through 2026-12-06, finding 10). A default verdict that a face
decided gives the image's own margin, not that of the face's score moved onto the image's
scale (finding 9).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from engine.ensemble_provenance import decided_by_face, stacked_score


def plain_decimal(x: float, digits: int = 2) -> str:
    """``x`` to ``digits`` significant digits, never in e-notation: ``0.000001``, ``0.00012``."""
    if x == 0:
        return "0"
    return format(Decimal(f"{x:.{digits}g}").normalize(), "f")


def _bound_words(bound: Any, *, same: bool) -> str:
    """What the cross-processor bound means for the verdict."""
    move = f"on another processor, scores move by at most {plain_decimal(float(bound))}"
    return f"{move}, so the verdict would be the same" if same else f"{move}, so it may differ"


def margin_words(figures: Mapping[str, Any]) -> str | None:
    """A decision's margin to θ in words when it lies within the cross-processor bound of its
    precision (its ``near_threshold``, :func:`engine.decision.decision_margin`): ``within
    0.0001 of θ (marked area 0.3425, θ 0.3423): on another processor, scores move by at
    most 0.0005, so the verdict may differ``, the viewer's cards, every report and its row's.
    None when it does not, or the result holds no margin (a row written before margins were,
    read unchanged)."""
    if figures.get("near_threshold") is not True or figures.get("margin") is None:
        return None
    margin, threshold = float(figures["margin"]), figures.get("threshold")
    figure = "marked area" if figures.get("rule") == "forged_fraction" else "score"
    said = (
        f" ({figure} {float(threshold) + margin:.4f}, θ {float(threshold):.4f})"
        if threshold is not None
        else ""
    )
    return f"within {plain_decimal(abs(margin))} of θ{said}: " + _bound_words(
        figures.get("margin_bound"), same=False
    )


def margin_cell(figures: Mapping[str, Any]) -> str | None:
    """A report's "Margin to θ" cell: the figure minus θ and what that means, in words
    (:func:`margin_words` when it lies within the bound; none measured: said so); None without
    a margin (a row written before margins were). A default verdict a face decided: the image's
    own stacked score against θ (:func:`face_decided_margin`)."""
    if figures.get("margin") is None:
        return None
    if (face := face_decided_margin(figures)) is not None:
        return face
    margin = float(figures["margin"])
    head = f"{margin:+.4f}"
    if (near := margin_words(figures)) is not None:
        return f"{head}: {near}"
    figure = "marked area" if figures.get("rule") == "forged_fraction" else "score"
    side = f"the {figure} is {abs(margin):.4f} {'above' if margin > 0 else 'below'} θ"
    if figures.get("near_threshold") is None:
        return f"{head} ({side}; no cross-processor bound measured for precision " + (
            f"{figures.get('precision')})"
        )
    return f"{head} ({side}; {_bound_words(figures.get('margin_bound'), same=True)})"


def face_decided_margin(figures: Mapping[str, Any]) -> str | None:
    """The margin cell of a default verdict that a face decided (its θ provenance says so):
    the image's own stacked score minus θ, and that the face decided; the face's own score,
    θ and margin are with its probability (``forensic_viewer.probability_source``). None when
    no face decided it, or the stacked score is not recorded (an ensemble that does not
    stack)."""
    if not decided_by_face(str(figures.get("threshold_provenance", ""))):
        return None
    own, theta = stacked_score(figures.get("contributions")), figures.get("threshold")
    if own is None or theta is None:
        return None
    margin = own - float(theta)
    side = "above" if margin > 0 else "below"
    how = "A face decided the verdict" if margin <= 0 else "A face flagged it too"
    return (
        f"{margin:+.4f} (the image's own stacked score {own:.4f} is {abs(margin):.4f} {side} θ. "
        f"{how}: the probability gives that face's score, θ and margin)"
    )
