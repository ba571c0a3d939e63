"""The masks' colours stay apart, for normal colour vision and the common deficiencies.

The ground truth's green (0, 255, 140) was close to the fifth model's (80, 230, 120): about
14 CIELAB units with normal vision, under 7 for a deuteranope, so with five models the true
mask's outline could be taken for a model's. Distances are measured on each colour as seen
with normal vision and as simulated for protanopia, deuteranopia and tritanopia (Machado,
Oliveira and Fernandes 2009, severity 1: linear-RGB matrices), in CIE 1976 L*a*b*.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from forensic_viewer.model_layers import ENSEMBLE_COLOR, GROUND_TRUTH_COLOR, MODEL_COLORS

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
