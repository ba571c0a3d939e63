"""A decision's margin to θ in words (no Qt): where the figure its verdict compared with θ lies
within the cross-processor bound of its precision (:func:`engine.decision.decision_margin`,
docs/RESULTS.md "Reproducing a result"), the verdict may differ when the same command runs on
another processor, and the viewer's cards, every report (HTML, PDF, text) and the row say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def margin_words(figures: Mapping[str, Any]) -> str | None:
    """A decision's margin to θ in words when it lies within the cross-processor bound of its
    precision (its ``near_threshold``, :func:`engine.decision.decision_margin`): ``within
    0.0001 of θ (forged fraction 0.3425, θ 0.3423): may differ on another processor``, the
    viewer's cards, every report and its row's. None when it does not, or the result holds no
    margin (a row written before margins were, read unchanged)."""
    if figures.get("near_threshold") is not True or figures.get("margin") is None:
        return None
    margin, threshold = float(figures["margin"]), figures.get("threshold")
    figure = "forged fraction" if figures.get("rule") == "forged_fraction" else "score"
    said = (
        f" ({figure} {float(threshold) + margin:.4f}, θ {float(threshold):.4f})"
        if threshold is not None
        else ""
    )
    return (
        f"within {_small(abs(margin))} of θ{said}: may differ on another processor "
        f"(bound {figures.get('margin_bound'):g}, measured across processors)"
    )


def _small(x: float) -> str:
    """A margin's size: 4 decimals, or 2 significant digits below 0.0001."""
    return f"{x:.4f}" if x >= 1e-4 else f"{x:.1e}"


def margin_cell(figures: Mapping[str, Any]) -> str | None:
    """A report's "Margin to θ" cell: the figure minus θ, and :func:`margin_words` when it lies
    within the bound (else that it does not, naming the bound; none measured: said so); None
    without a margin (a row written before margins were)."""
    if figures.get("margin") is None:
        return None
    head = f"{float(figures['margin']):+.4f}"
    if (near := margin_words(figures)) is not None:
        return f"{head}: {near}"
    if figures.get("near_threshold") is None:
        return (
            f"{head} (no cross-processor bound measured for precision {figures.get('precision')})"
        )
    return f"{head} (beyond the cross-processor bound {figures.get('margin_bound'):g})"
