"""engine.facepath and Analyzer's face path: crop with margin, analyse at P x P, paste back.

A stub network marks the centre of whatever window it is given; a fake detector returns known
boxes. The mark must come back at the face's centre in the face map, whatever the face's size.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from engine.checkpoints import LoadedModel, load_checkpoint
from engine.decision import AUTHENTIC, MANIPULATED
from engine.facepath import (
    FACE_MARGIN,
    CropBox,
    analyse_crop,
    crop_box,
    face_window,
    paste,
    resize_crop,
)
from engine.pipeline import Analyzer
from engine.types import Evidence, FaceRegion, ModelResult
from tests.conftest import memory_evidence

MARK = 4  # half side, in window pixels, of the square the stub marks at a window's centre


class CentreMarker(nn.Module):
    """Mask logits [B, 1, H, W]: +10 in the central 2*MARK square of the input, -10 elsewhere."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        out = torch.full((b, 1, h, w), -10.0)
        out[:, :, h // 2 - MARK : h // 2 + MARK, w // 2 - MARK : w // 2 + MARK] = 10.0
        return out


class FakeDetector:
    """Returns fresh FaceRegions with the given boxes, like FaceDetector.find."""

    def __init__(self, *boxes: tuple[int, int, int, int]) -> None:
        self.boxes = boxes

    def find(self, evidence: Evidence, results: dict[str, ModelResult]) -> list[FaceRegion]:
        return [FaceRegion(box=b, confidence=0.99) for b in self.boxes]


def _evidence(pixels: np.ndarray) -> Evidence:
    return memory_evidence(pixels)


@pytest.fixture
def marker(tiny_checkpoint: Path) -> LoadedModel:
    """The tiny CRFD-Net checkpoint's metadata (window 64, θ 0.1) around the stub network."""
    loaded = load_checkpoint(tiny_checkpoint)
    return dataclasses.replace(loaded, model=CentreMarker())


def _centroid(mask: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero(mask)
    assert xs.size, "nothing marked"
    return float(xs.mean()), float(ys.mean())


# ---------------------------------------------------------------------------- crop boxes ---


def test_crop_is_the_box_grown_by_the_margin_on_every_side() -> None:
    crop = crop_box((100, 100, 50, 50), 400, 400)
    grow = round(50 * FACE_MARGIN)
    assert crop == CropBox(100 - grow, 100 - grow, 150 + grow, 150 + grow)


def test_crop_of_a_tall_box_is_a_square_on_its_centre() -> None:
    crop = crop_box((100, 100, 40, 80), 400, 400, margin=0.25)
    assert crop.width == crop.height == 120
    assert (crop.x0 + crop.x1) / 2 == 120 and (crop.y0 + crop.y1) / 2 == 140


@pytest.mark.parametrize(
    ("box", "expected"),
    [
        ((0, 0, 40, 40), CropBox(0, 0, 52, 52)),  # top-left corner: cut, not shifted
        ((170, 90, 30, 30), CropBox(161, 81, 200, 120)),  # bottom-right corner of 200 x 120
        ((-5, 10, 300, 50), CropBox(0, 0, 200, 120)),  # larger than the image: the image
    ],
)
def test_crop_is_clamped_to_the_image(box: tuple[int, int, int, int], expected: CropBox) -> None:
    assert crop_box(box, 200, 120) == expected


def test_crop_rejects_a_negative_margin() -> None:
    with pytest.raises(ValueError, match=r"margin must be >= 0, got -0\.1"):
        crop_box((0, 0, 10, 10), 100, 100, margin=-0.1)


def test_paste_resizes_back_and_keeps_the_larger_value() -> None:
    target = np.zeros((50, 60), np.float32)
    target[10:20, 10:20] = 0.9
    heat = np.full((8, 8), 0.5, np.float32)
    paste(target, heat, CropBox(5, 5, 25, 15))
    assert np.allclose(target[5:15, 5:10], 0.5) and np.allclose(target[10:15, 10:20], 0.9)
    assert target[15:, :].max() == 0.9 and target[:5].max() == 0 and target[:, 25:].max() == 0


def test_resize_crop_gives_the_window_of_the_crop() -> None:
    rgb = np.zeros((100, 100, 3), np.uint8)
    rgb[40:60, 40:60] = 255
    out = resize_crop(rgb, CropBox(30, 30, 70, 70), 80)
    assert out.shape == (80, 80, 3)
    assert out[22:58, 22:58].min() == 255 and out[:18].max() == 0


# ------------------------------------------------------------------------------ analyzer ---


@pytest.mark.parametrize("exact", [True, False])
@pytest.mark.parametrize("box", [(200, 150, 120, 120), (40, 300, 30, 30), (400, 100, 64, 200)])
def test_the_window_centre_lands_at_the_face_centre(
    marker: LoadedModel, exact: bool, box: tuple[int, int, int, int]
) -> None:
    pixels = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    analyzer = Analyzer([marker], device="cpu", exact=exact, runtime="torch")
    analyzer.faces = FakeDetector(box)
    analysis = analyzer.analyze(_evidence(pixels))
    face_map = analysis.face_maps["tiny"]
    assert face_map.shape == (480, 640)
    x, y, w, h = box
    cx, cy = _centroid(face_map > 0.5)
    assert abs(cx - (x + w / 2)) <= 1.0 and abs(cy - (y + h / 2)) <= 1.0
    # the mark covers (2 MARK / P) of the crop's side, so it scales with the face
    crop = crop_box(box, 640, 480)
    marked = int((face_map > 0.5).sum())
    expected = (2 * MARK / face_window(marker)) ** 2 * crop.width * crop.height
    assert marked == pytest.approx(expected, rel=0.25)
    assert (face_map[:, : crop.x0] == 0).all() and (face_map[: crop.y0] == 0).all()


def test_at_the_border_the_mark_lands_at_the_cut_crops_centre(marker: LoadedModel) -> None:
    """The crop is cut at the border, not shifted: the window is the clamped crop stretched to
    P x P, so its centre maps back to the clamped crop's centre, and nothing outside it."""
    pixels = np.random.default_rng(2).integers(0, 256, (200, 300, 3), dtype=np.uint8)
    box = (250, 0, 50, 60)
    analyzer = Analyzer([marker], device="cpu", exact=True, faces=FakeDetector(box))
    face_map = analyzer.analyze(_evidence(pixels)).face_maps["tiny"]
    crop = crop_box(box, 300, 200)
    assert crop.x1 == 300 and crop.y0 == 0 and crop.width < crop.height
    cx, cy = _centroid(face_map > 0.5)
    assert abs(cx - (crop.x0 + crop.x1) / 2) <= 1.0 and abs(cy - (crop.y0 + crop.y1) / 2) <= 1.0
    assert face_map[:, : crop.x0].max() == 0 and face_map[crop.y1 :].max() == 0


def test_face_scores_follow_the_models_rule_and_whole_image_results_do_not_change(
    marker: LoadedModel,
) -> None:
    pixels = np.random.default_rng(1).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    plain = Analyzer([marker], device="cpu", exact=True).analyze(_evidence(pixels))
    analyzer = Analyzer([marker], device="cpu", exact=True, faces=FakeDetector((100, 60, 80, 80)))
    with_faces = analyzer.analyze(_evidence(pixels))
    assert np.array_equal(plain.results["tiny"].heatmap, with_faces.results["tiny"].heatmap)
    assert plain.results["tiny"].score == with_faces.results["tiny"].score
    (face,) = with_faces.faces
    fs = face.face_scores["tiny"]
    # window 64: the 8 x 8 mark is 1/64 of it, under θ 0.1: authentic, score p / (p + θ)
    p = (2 * MARK) ** 2 / 64**2
    assert fs.verdict == AUTHENTIC
    assert fs.score == pytest.approx(p / (p + 0.1))
    assert fs.probability is None  # the tiny checkpoint carries no calibration
    assert fs.threshold == pytest.approx(0.1)  # the θ it was compared with travels with it
    assert (fs.rule, fs.forged_fraction) == ("forged_fraction", pytest.approx(p))
    assert face.to_dict()["face_scores"] == {
        "tiny": {
            "score": fs.score,
            "verdict": AUTHENTIC,
            "threshold": fs.threshold,
            "rule": "forged_fraction",
            "forged_fraction": fs.forged_fraction,
            # the checkpoint that judged the face, as a whole-image result names its own
            "checkpoint_sha256": marker.sha256,
        }
    }
    assert (
        len(marker.sha256) == 64 and with_faces.results["tiny"].checkpoint_sha256 == marker.sha256
    )

    rule = dataclasses.replace(marker.meta.decision, threshold=0.01)
    lower = dataclasses.replace(marker, meta=dataclasses.replace(marker.meta, decision=rule))
    analyzer = Analyzer([lower], device="cpu", exact=True, faces=FakeDetector((100, 60, 80, 80)))
    assert analyzer.analyze(_evidence(pixels)).faces[0].face_scores["tiny"].verdict == MANIPULATED


def test_face_path_off_or_no_face_leaves_no_face_results(marker: LoadedModel) -> None:
    pixels = np.zeros((128, 128, 3), np.uint8)
    off = Analyzer([marker], device="cpu", exact=True, faces=FakeDetector((10, 10, 40, 40)))
    off.face_path = False
    analysis = off.analyze(_evidence(pixels))
    assert analysis.faces[0].face_scores == {} and analysis.face_maps == {}
    assert "face_scores" not in analysis.faces[0].to_dict()
    none = Analyzer([marker], device="cpu", exact=True, faces=FakeDetector())
    assert none.analyze(_evidence(pixels)).face_maps == {}


def _left_marker(window: np.ndarray) -> tuple[np.ndarray, float]:
    """Not mirror-equivariant: marks the left half of any window; its logit reads the window's
    top-left pixel (so a window and its mirror image get different logits)."""
    heat = np.zeros(window.shape[:2], np.float32)
    heat[:, : window.shape[1] // 2] = 1.0
    return heat, float(window[0, 0, 0])


def test_mirror_averages_a_crop_with_its_mirror_image(marker: LoadedModel) -> None:
    window = np.zeros((8, 8, 3), np.uint8)
    window[0, 0, 0], window[0, -1, 0] = 2, 6
    heat, logit = analyse_crop(_left_marker, marker, window)  # the policy says no mirror
    assert heat[:, :4].min() == 1.0 and heat[:, 4:].max() == 0.0 and logit == 2.0
    heat, logit = analyse_crop(_left_marker, marker, window, mirror=True)
    # left half from the crop, right half from the mirror image flipped back: 0.5 everywhere
    np.testing.assert_array_equal(heat, np.full((8, 8), 0.5, np.float32))
    assert logit == 4.0  # (2 + 6) / 2
    mirrored = dataclasses.replace(
        marker,
        meta=dataclasses.replace(
            marker.meta, input_policy=dataclasses.replace(marker.meta.input_policy, mirror=True)
        ),
    )
    assert analyse_crop(_left_marker, mirrored, window)[1] == 4.0  # the policy decides
    assert analyse_crop(_left_marker, mirrored, window, mirror=False)[1] == 2.0


class LeftMarker(nn.Module):
    """Mask logits [B, 1, H, W]: +10 on the left half of the input, -10 on the right half."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        out = torch.full((b, 1, h, w), -10.0)
        out[..., : w // 2] = 10.0
        return out


@pytest.mark.parametrize("mirror", [False, True])
def test_the_face_path_mirrors_when_the_policy_says_so(marker: LoadedModel, mirror: bool) -> None:
    policy = dataclasses.replace(marker.meta.input_policy, mirror=mirror)
    loaded = dataclasses.replace(
        marker, model=LeftMarker(), meta=dataclasses.replace(marker.meta, input_policy=policy)
    )
    analyzer = Analyzer([loaded], device="cpu", runtime="torch")
    analyzer.faces = FakeDetector((160, 120, 80, 80))  # crop: x 136..264, y 96..224
    face_map = analyzer.analyze(_evidence(np.full((300, 400, 3), 128, np.uint8))).face_maps["tiny"]
    left, right = face_map[110:210, 145:190], face_map[110:210, 210:255]
    if mirror:  # each half seen once as a left half and once as a right half
        assert np.abs(left - 0.5).max() < 0.01 and np.abs(right - 0.5).max() < 0.01
    else:
        assert left.min() > 0.99 and right.max() < 0.01


def test_a_face_that_reaches_the_image_border_is_cut_by_it() -> None:
    """A face box at an edge (the walk-through's quarter-cut swap, x 0) is cut by the border;
    a face whose crop's margin alone passes the edge is not (the face model's crops were cut
    so when it was measured), nor one well inside."""
    from engine.facepath import crop_box, cut_by_border, face_out_of_range

    assert not cut_by_border((100, 100, 50, 50), 300, 300)
    assert cut_by_border((0, 100, 60, 60), 300, 300)  # the walk-through's box at x 0
    assert cut_by_border((100, 250, 30, 50), 300, 300)  # reaches the bottom row
    assert crop_box((10, 100, 60, 60), 300, 300).width < 96  # its margin cut at x 0
    assert not cut_by_border((10, 100, 60, 60), 300, 300)  # the face itself whole
    assert face_out_of_range((0, 100, 60, 60)) is None  # no image size: the size alone
    assert face_out_of_range((0, 100, 60, 60), (300, 300)) == {"cut_by_border": True}
    assert face_out_of_range((0, 100, 22, 28), (300, 300)) == {
        "short_side": 22,
        "min_side": 48,
        "cut_by_border": True,
    }
