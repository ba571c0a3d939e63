"""A report's figure of a strip is legible: its short side is drawn at least MIN_SIDE wide
(or at its own, never enlarged) and the strip folded into pieces along its length.

Fitted into 1024 px, a 100 x 20000 receipt was a figure 5 px wide (docs/LIMITS.md, "Image
geometry"); drawn 72 px wide and folded into 15 pieces side by side, it is about 1000 px
square and each piece shows the receipt at 0.72 of its size.
"""

from __future__ import annotations

import numpy as np
import pytest

from forensic_viewer.report.build import _folded
from forensic_viewer.report.figures import (
    FOLD_GAP,
    MAX_SIDE,
    MIN_SIDE,
    FigureStyle,
    analysis_figure,
    annotated_figure,
    evidence_figure,
    fit_size,
    legend_bar,
    resize_to,
)


def _receipt(h: int, w: int) -> np.ndarray:
    """A texture never white (so the fold's white gaps are told from it)."""
    return np.random.default_rng(h + w).integers(0, 200, (h, w, 3), dtype=np.uint8)


def _pieces(fig: np.ndarray, across: int, tall: bool) -> list[np.ndarray]:
    """The pieces of a folded figure in order (``across``: their drawn short side)."""
    img = fig if tall else fig.transpose(1, 0, 2)
    step = across + FOLD_GAP
    n = (img.shape[1] + FOLD_GAP) // step
    assert n * step - FOLD_GAP == img.shape[1]
    pieces = [img[:, i * step : i * step + across] for i in range(n)]
    gaps = [img[:, i * step + across : (i + 1) * step] for i in range(n - 1)]
    assert all((g == 255).all() for g in gaps)
    return pieces if tall else [p.transpose(1, 0, 2) for p in pieces]


@pytest.mark.parametrize(("h", "w"), [(20000, 100), (100, 20000), (4000, 16)])
def test_a_strips_figure_is_legible_and_holds_the_whole_image_in_order(h: int, w: int) -> None:
    rgb = _receipt(h, w)
    drawn = fit_size(h, w, MAX_SIDE)
    across = min(drawn)
    assert across >= min(MIN_SIDE, w, h, 72)  # 5 px for the receipt before
    fig = evidence_figure(rgb, [])
    assert max(fig.shape[:2]) <= 1.25 * MAX_SIDE and min(fig.shape[:2]) >= 3 * across
    pieces = _pieces(fig, across, tall=h > w)
    assert len(pieces) > 1
    joined = np.concatenate(pieces, axis=0 if h > w else 1)
    length = max(drawn)
    np.testing.assert_array_equal(joined[:length] if h > w else joined[:, :length],
                                  resize_to(rgb, drawn))  # fmt: skip
    rest = joined[length:] if h > w else joined[:, length:]
    assert (rest == 255).all()  # the last piece padded with white, nothing else


def test_the_receipts_figures_are_drawn_72_px_wide() -> None:
    """The receipt of docs/LIMITS.md: 72 x 14482 drawn (within 1024 x 1024 pixels), folded
    into 15 pieces; the heatmap and analysis figures the same, above their legend."""
    h, w = 20000, 100
    assert fit_size(h, w, MAX_SIDE) == (14482, 72)
    rgb, heat = _receipt(h, w), np.zeros((h, w), np.float32)
    style = FigureStyle()
    evidence = evidence_figure(rgb, [{"box": [10, 100, 50, 60]}], style)
    assert len(_pieces(evidence, 72, tall=True)) == 15
    for fig in (annotated_figure(rgb, heat, 0.5, style=style), analysis_figure(rgb, heat, "raw")):
        legend = legend_bar(evidence.shape[1], style.colormap).shape[0]
        assert fig.shape[:2] == (evidence.shape[0] + legend, evidence.shape[1])
    assert "(100 x 20000 pixels) is drawn cut across its length into 15 pieces" in _folded(
        rgb.shape, style
    )


@pytest.mark.parametrize(("h", "w"), [(3000, 4000), (3000, 20000), (20, 25), (1, 4000)])
def test_photographs_panoramas_and_threads_are_fitted_as_before(h: int, w: int) -> None:
    """Only a strip whose short side would be drawn below MIN_SIDE is widened and folded; a
    strip under 4 px across would fold into lines, and is fitted as before."""
    scale = min(1.0, MAX_SIDE / max(h, w))
    before = (max(1, round(h * scale)), max(1, round(w * scale)))
    assert fit_size(h, w, MAX_SIDE) == before
    assert evidence_figure(np.zeros((h, w, 3), np.uint8), []).shape[:2] == before
    assert _folded((h, w, 3), FigureStyle()) == ""
