"""The masks' and overlays' colours stay apart, for normal colour vision and the common
deficiencies, from each other and from the heatmaps they are drawn over.

The ground truth's green (0, 255, 140) was close to the fifth model's (80, 230, 120): about
14 CIELAB units with normal vision, under 7 for a deuteranope, so with five models the true
mask's outline could be taken for a model's. Distances are measured on each colour as seen
with normal vision and as simulated for protanopia, deuteranopia and tritanopia (Machado,
Oliveira and Fernandes 2009, severity 1: linear-RGB matrices), in CIE 1976 L*a*b* (ΔE76)
and, against the colormaps and between the overlays, in CIEDE2000 (ΔE00).

A walk-through with deuteranopia (2026-12-06, "cvd") found the clone pairs' orange at 1.1 ΔE00
from inferno at 0.75 for everyone, the reports' green face box at 0.5 from inferno at 0.88
and the first mask's vermillion at 3.2 from inferno at 0.63 for a deuteranope: a mask lies
where the heatmap is high, so these strokes vanished into it. No one colour stands apart from
the upper half of every colormap offered (inferno's and viridis' ends are yellow, gray's and
hot's white), so every stroke is drawn on a dark casing, which must.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from skimage.color import deltaE_ciede2000, rgb2lab

from forensic_viewer.model_layers import ENSEMBLE_COLOR, GROUND_TRUTH_COLOR, MODEL_COLORS
from forensic_viewer.overlays import (
    CASING_RGB,
    COLORMAPS,
    DEFAULT_COLORMAP,
    FACE_RGB,
    FLAGGED_FACE_RGB,
    PAIR_LINK_RGB,
    PAIR_SOURCE_RGB,
    PAIR_TARGET_RGB,
    colormap_lut,
)
from forensic_viewer.report.figures import FigureStyle

VISION = {
    "normal": np.eye(3),
    "protanopia": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
         [-0.003882, -0.048116, 1.051998]]
    ),
    "deuteranopia": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
         [-0.011820, 0.042940, 0.968881]]
    ),
    "tritanopia": np.array(
        [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
         [0.004733, 0.691367, 0.303900]]
    ),
}  # fmt: skip
SRGB_TO_XYZ = np.array(
    [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
)
D65 = np.array([0.95047, 1.0, 1.08883])
APART = 15.0  # CIELAB units: told apart at a glance on thin outlines (2.3 is just noticeable)


def _lab(rgb: tuple[int, int, int], vision: str) -> np.ndarray:
    c = np.asarray(rgb, float) / 255
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    seen = np.clip(VISION[vision] @ linear, 0, 1)
    t = SRGB_TO_XYZ @ seen / D65
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _distance(a: tuple[int, int, int], b: tuple[int, int, int], vision: str) -> float:
    return float(np.linalg.norm(_lab(a, vision) - _lab(b, vision)))


def test_the_distance_is_measured_as_documented() -> None:
    """Sanity of the measure: black and white are 100 apart; the deficiencies merge red and
    green (deuteranopia, protanopia) and blue and green (tritanopia) more than normal vision."""
    assert _distance((0, 0, 0), (255, 255, 255), "normal") == pytest.approx(100, abs=0.1)
    red, green, blue = (213, 94, 0), (80, 160, 0), (0, 114, 178)
    assert _distance(red, green, "deuteranopia") < _distance(red, green, "normal") / 2
    assert _distance(red, green, "protanopia") < _distance(red, green, "normal") / 2
    teal = (0, 158, 115)
    assert _distance(blue, teal, "tritanopia") < _distance(blue, teal, "normal") / 2


@pytest.mark.parametrize("vision", list(VISION))
def test_the_ground_truth_stands_apart_from_every_model_and_the_ensemble(vision: str) -> None:
    for i, colour in enumerate([*MODEL_COLORS, ENSEMBLE_COLOR]):
        assert _distance(GROUND_TRUTH_COLOR, colour, vision) > APART, (vision, i, colour)


@pytest.mark.parametrize("vision", list(VISION))
def test_the_models_and_the_ensemble_stand_apart_from_each_other(vision: str) -> None:
    colours = [*MODEL_COLORS, ENSEMBLE_COLOR]
    assert len(set(colours)) == len(colours)
    for a, b in itertools.combinations(colours, 2):
        assert _distance(a, b, vision) > APART, (vision, a, b)


# ΔE00 bounds. Under 5 a thin line or small text merges with what it lies on, under 10 the two
# are hard to tell apart (the walk-through's rule); a casing is the one edge that must show
# over any heatmap, so it gets twice that.
TOLD_APART = 10.0
CASING_APART = 20.0
UPPER_HALF = np.arange(128, 256)  # a mask (heat > θ) lies where the map is high: 0.5 .. 1
REPORT = FigureStyle()
PAIRS = {PAIR_SOURCE_RGB, PAIR_TARGET_RGB, PAIR_LINK_RGB}
# every stroke drawn over a heatmap: masks, the truth, faces, clone pairs, the reports' outline
STROKES = {
    **{f"mask {i + 1}": c for i, c in enumerate(MODEL_COLORS)},
    "ensemble mask": ENSEMBLE_COLOR,
    "ground truth": GROUND_TRUTH_COLOR,
    "face": FACE_RGB,
    "flagged face": FLAGGED_FACE_RGB,
    "report mask outline": REPORT.contour_rgb,
    "report face": REPORT.face_rgb,
    "report flagged face": REPORT.flagged_face_rgb,
    **{f"clone pair {i}": c for i, c in enumerate(sorted(PAIRS))},
}


def _seen_lab(rgb: np.ndarray, vision: str) -> np.ndarray:
    """[N, 3] uint8 RGB as CIELAB [N, 3] as seen with ``vision`` (simulated in linear RGB)."""
    c = np.asarray(rgb, float).reshape(-1, 3) / 255
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    seen = np.clip(linear @ VISION[vision].T, 0, 1)
    srgb = np.where(seen <= 0.0031308, seen * 12.92, 1.055 * seen ** (1 / 2.4) - 0.055)
    return rgb2lab(srgb.reshape(-1, 1, 3)).reshape(-1, 3)


def _de00(a: tuple[int, int, int], others: np.ndarray, vision: str) -> np.ndarray:
    """ΔE00 from colour ``a`` to each of ``others`` [N, 3], as seen with ``vision``."""
    lab_a, lab_o = _seen_lab(np.array([a]), vision), _seen_lab(others, vision)
    return deltaE_ciede2000(np.broadcast_to(lab_a, lab_o.shape), lab_o)


def test_ciede2000_is_measured_as_the_walk_through_measured_it() -> None:
    """The walk-through's figures, to its rounding: the pair orange vs inferno at 0.75 and the
    old flagged red vs the report's old green face, deuteranopia."""
    inferno = colormap_lut("inferno")
    assert _de00((255, 140, 0), inferno[[191]], "normal")[0] == pytest.approx(1.1, abs=0.2)
    assert _de00((0, 255, 0), np.array([[255, 70, 70]]), "deuteranopia")[0] == pytest.approx(
        17.5, abs=0.2
    )


@pytest.mark.parametrize("colormap", list(COLORMAPS))
@pytest.mark.parametrize("vision", list(VISION))
def test_every_stroke_shows_over_the_upper_half_of_every_colormap(
    colormap: str, vision: str
) -> None:
    """Over any heatmap value a mask can lie on, in any colormap offered, a stroke or its dark
    casing stands out by :data:`CASING_APART`, and the stroke stands out from its casing."""
    under = colormap_lut(colormap)[UPPER_HALF]
    casing = _de00(CASING_RGB, under, vision)
    for name, colour in STROKES.items():
        seen = np.maximum(_de00(colour, under, vision), casing)
        worst = int(np.argmin(seen))
        assert seen[worst] >= CASING_APART, (name, colour, (UPPER_HALF[worst] / 255).round(2))
        on_casing = _de00(colour, np.array([CASING_RGB]), vision)[0]
        assert on_casing >= CASING_APART, (name, colour, on_casing)


@pytest.mark.parametrize("vision", list(VISION))
def test_the_face_colours_stand_apart_from_the_default_colormap_by_themselves(vision: str) -> None:
    """A face box's colour (the flagged one's too) and the reports' mask outline are apart from
    every colour of the default colormap's upper half by :data:`TOLD_APART` without their
    casing: the flagged red was 2.7 from inferno for a deuteranope, the reports' green 0.5."""
    under = colormap_lut(DEFAULT_COLORMAP)[UPPER_HALF]
    for name in ("face", "flagged face", "report face", "report flagged face",
                 "report mask outline"):  # fmt: skip
        seen = _de00(STROKES[name], under, vision)
        assert seen.min() >= TOLD_APART, (name, (UPPER_HALF[seen.argmin()] / 255).round(2))


# colours drawn in one picture that tell different things apart by their colour
SHARING = [
    ("face", "flagged face"),
    ("report face", "report flagged face"),
    ("report mask outline", "report flagged face"),
    *(("clone pair 0", other) for other in STROKES if not other.startswith("clone pair")
      and other != "report mask outline"),
]  # fmt: skip


@pytest.mark.parametrize("vision", list(VISION))
@pytest.mark.parametrize(("a", "b"), SHARING)
def test_overlays_drawn_together_stand_apart(a: str, b: str, vision: str) -> None:
    """Face boxes from flagged ones, the reports' outline from a flagged face, clone pairs (one
    colour: ``PAIRS``) from every mask and face, by :data:`TOLD_APART`. (The reports' region
    outline and the pairs share the clone figure, told apart by shape: boxes numbered and
    linked, not a region's edge.)"""
    assert len(PAIRS) == 1
    seen = _de00(STROKES[a], np.array([STROKES[b]]), vision)[0]
    assert seen >= TOLD_APART, (a, STROKES[a], b, STROKES[b], seen)
