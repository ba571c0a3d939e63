"""The face-scale analysis path (issue 20, item 3): each face analysed at the model's own scale.

The networks were trained on windows of P x P pixels (the checkpoint's input policy ``window``;
``size``'s short side for a resize-policy model). A face in a 12 MP photograph may span 1500
pixels, so whole-image analysis sees it as a dozen windows of skin; the papers analyse face
crops instead. For each detected face and each model:

1. **crop**: the face box grown by :data:`FACE_MARGIN` (30 %) of its width and height on every
   side, as a square of side ``max(w, h) * (1 + 2 * margin)`` centred on the box, then clamped
   to the image (:func:`crop_box`). The margin brings the face's outline, hairline, ears and
   some background into the window: that is where blending boundaries and colour mismatches of
   a swap lie (SBI, the face forgeries of ``trainer/data/faces.py``, crop with 30-60 %); a much
   larger one shrinks the face inside the P-pixel window again. At a border the crop is cut,
   not shifted, so the face stays where it is in the crop, and the crop may be a rectangle;
2. **resize** the crop to P x P (area interpolation when shrinking, linear when enlarging; a
   clamped rectangle is stretched to the square, by at most the ratio the border cut);
3. **analyse** it with :meth:`engine.pipeline.Analyzer.heatmap`: one window, the heatmap
   [P, P] and the image logit (:func:`analyse_crop`); when the checkpoint's input policy says
   ``mirror``, the left-right mirrored crop too, and the two averaged (test-time augmentation:
   a face's forgery traces do not depend on its side, and two looks average out some of a
   single window's noise; chosen per face model on validation, docs/FACES.md);
4. **decide** with the model's own rule, thresholds and calibration (:func:`face_decision`):
   the forged fraction of the crop window or the crop's image logit against θ. θ and the
   calibration were fitted on whole images, not on face crops, so a face verdict is the model's
   rule applied to a face, not a measured face detector (docs/FACES.md);
5. **paste** the heatmap back, resized to the crop's size, into the model's face map at the
   evidence's full resolution (:func:`paste`): zero outside the crops, the larger value where
   two crops overlap.

The whole-image heatmaps and verdicts are not changed by any of this.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from engine.calibration import Calibration
from engine.checkpoints import LoadedModel
from engine.decision import decide, statistic, verdict_range
from engine.types import FaceScore

FACE_MARGIN = 0.3  # share of the face box's side added on every side (module docstring)
# The smallest face side (image pixels, the box's shorter side) the face verdicts were measured
# on: the face model's θ, calibration and every face figure of docs/FACES.md rest on faces of at
# least 48 px (MTCNN finds faces from 20 px). A smaller face is still analysed and decided, and
# its verdict is marked outside the measured range, as an image's below 192 px is
# (engine.decision.verdict_range); nothing was measured below it.
MIN_MEASURED_FACE_SIDE = 48


def face_out_of_range(
    box: tuple[int, int, int, int] | list[int], image_size: tuple[int, int] | None = None
) -> dict[str, Any] | None:
    """Why a face's verdicts are outside the measured range, None when they are within:
    ``{"short_side": s, "min_side": 48}`` when the face box ``(x, y, w, h)``'s shorter side
    is below :data:`MIN_MEASURED_FACE_SIDE` (:func:`engine.decision.verdict_range` of the
    box); ``"cut_by_border": True`` besides when ``image_size`` (width, height) is given and
    the face box reaches the image's border (:func:`cut_by_border`: the face itself is cut,
    its crop part of a face stretched to the square). Derived from the box, so rows written
    before it read the same way."""
    out: dict[str, Any] = dict(
        verdict_range((int(box[3]), int(box[2])), MIN_MEASURED_FACE_SIDE) or {}
    )
    if image_size is not None and cut_by_border(box, *image_size):
        out["cut_by_border"] = True
    return out or None


def cut_by_border(box: tuple[int, int, int, int] | list[int], width: int, height: int) -> bool:
    """Whether the face box (x, y, w, h) reaches the border of an image ``width`` x ``height``:
    the face itself is cut there (the walk-through's quarter-cut swap, box at x 0), so its crop
    holds part of a face, stretched to the square. A crop whose margin alone the border cuts is
    not: the face model's crops were cut the same way when it was trained and measured
    (``trainer.data.faces``, margin 0.6, cut and stretched), and 42 of the 66 faces of the
    walk-through's scan have such a crop."""
    x, y, w, h = (int(v) for v in box)
    return x <= 0 or y <= 0 or x + w >= width or y + h >= height


__all__ = [
    "FACE_MARGIN",
    "CropBox",
    "analyse_crop",
    "crop_box",
    "cut_by_border",
    "face_decision",
    "face_out_of_range",
    "face_window",
    "paste",
    "resize_crop",
]


@dataclass(frozen=True)
class CropBox:
    """A crop in evidence pixels: columns ``x0:x1``, rows ``y0:y1`` (end exclusive)."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0


def crop_box(
    box: tuple[int, int, int, int], width: int, height: int, margin: float = FACE_MARGIN
) -> CropBox:
    """The crop of a face box (x, y, w, h) in an image ``width`` x ``height``: a square of side
    ``max(w, h) * (1 + 2 * margin)`` centred on the box, clamped to the image (never empty)."""
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    if width < 1 or height < 1:
        raise ValueError(f"image must be at least 1 x 1, got {width} x {height}")
    x, y, w, h = box
    side = max(w, h) * (1.0 + 2.0 * margin)
    cx, cy = x + w / 2.0, y + h / 2.0
    x0 = min(width - 1, max(0, round(cx - side / 2.0)))
    y0 = min(height - 1, max(0, round(cy - side / 2.0)))
    x1 = max(x0 + 1, min(width, round(cx + side / 2.0)))
    y1 = max(y0 + 1, min(height, round(cy + side / 2.0)))
    return CropBox(x0, y0, x1, y1)


def face_window(loaded: LoadedModel) -> int:
    """P: the side of the square a face crop is resized to for ``loaded`` (its training window;
    the short side of ``size`` for a resize-policy model)."""
    policy = loaded.meta.input_policy
    return int(policy.window if policy.mode == "window" else min(policy.size))


def resize_crop(rgb: NDArray[np.uint8], crop: CropBox, side: int) -> NDArray[np.uint8]:
    """``rgb`` [H, W, 3] cut to ``crop`` and resized to ``side`` x ``side``."""
    part = np.ascontiguousarray(rgb[crop.y0 : crop.y1, crop.x0 : crop.x1])
    shrink = crop.width * crop.height > side * side
    interp = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    return cv2.resize(part, (side, side), interpolation=interp)


HeatmapFn = Callable[[NDArray[np.uint8]], tuple[NDArray[np.float32], float | None]]


def analyse_crop(
    heatmap: HeatmapFn, loaded: LoadedModel, window: NDArray[np.uint8], mirror: bool | None = None
) -> tuple[NDArray[np.float32], float | None]:
    """The heatmap [P, P] and image logit of one face window (step 3 of the module docstring).

    heatmap: the model's heatmap and logit of a [P, P, 3] window (``Analyzer.heatmap`` bound to
    ``loaded``). mirror: None follows the checkpoint's input policy; True or False overrides it
    (``forensic-train face-model`` measures both on validation)."""
    heat, logit = heatmap(window)
    if not (loaded.meta.input_policy.mirror if mirror is None else mirror):
        return heat, logit
    heat2, logit2 = heatmap(np.ascontiguousarray(window[:, ::-1]))
    both = (heat + heat2[:, ::-1]) * np.float32(0.5)
    if logit is None or logit2 is None:
        return both, None
    return both, (logit + logit2) / 2.0


def paste(target: NDArray[np.float32], heat: NDArray[np.float32], crop: CropBox) -> None:
    """Resize ``heat`` [P, P] to ``crop``'s size and write it into ``target`` [H, W] there,
    keeping the larger value where something was pasted before (overlapping faces)."""
    back = cv2.resize(
        np.ascontiguousarray(heat, dtype=np.float32),
        (crop.width, crop.height),
        interpolation=cv2.INTER_LINEAR,
    )
    region = target[crop.y0 : crop.y1, crop.x0 : crop.x1]
    np.maximum(region, back, out=region)


def face_decision(loaded: LoadedModel, heat: NDArray[np.float32], logit: float | None) -> FaceScore:
    """The model's decision rule, θ and calibration applied to one face window's heatmap
    [P, P] and image logit."""
    rule = loaded.meta.decision
    decision = decide(rule.rule, heat > rule.pixel_threshold, rule.threshold, logit)
    calibration = Calibration.from_dict(rule.calibration)
    probability = (
        None
        if calibration is None
        else calibration.probability(statistic(rule.rule, decision.forged_fraction, logit))
    )
    return FaceScore(
        score=decision.score,
        verdict=decision.verdict,
        probability=probability,
        threshold=float(rule.threshold),
        rule=rule.rule,
        forged_fraction=float(decision.forged_fraction),
        checkpoint_sha256=loaded.sha256 or None,
    )
