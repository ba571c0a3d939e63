"""A mask's outlines exported where the canvas draws them (layer_export.py, no Qt): on the
region's own pixels, up to the image's right and bottom edges."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from forensic_viewer.layer_export import layer_bgra
from forensic_viewer.model_layers import MaskLayer

H, W = 10, 12


def _regions() -> NDArray[np.float32]:
    heat = np.zeros((H, W), np.float32)
    heat[3:, 5:] = 1.0  # touches the right and bottom edges
    heat[1:3, 1:3] = 1.0  # odd and even coordinates: 1.5 and 2.5 rounded to 2 both
    return heat


def _drawn(heat: NDArray[np.float32], *, contours: bool, boxes: bool) -> NDArray[np.bool_]:
    mask = MaskLayer(
        "m", heat, model="net", calibrated_threshold=0.5, fill=False, contours=contours, boxes=boxes
    )
    return layer_bgra(mask, (H, W))[..., 3] == 255


def test_boxes_are_exported_on_the_regions_outermost_pixels_up_to_the_image_edges() -> None:
    want = np.zeros((H, W), np.uint8)
    cv2.rectangle(want, (5, 3), (W - 1, H - 1), 1, 1)
    cv2.rectangle(want, (1, 1), (2, 2), 1, 1)
    assert (_drawn(_regions(), contours=False, boxes=True) == want.astype(bool)).all()


def test_contours_are_exported_through_every_pixel_of_the_regions_border() -> None:
    heat = _regions()
    region = (heat > 0.5).astype(np.uint8)
    border = region.astype(bool) & ~cv2.erode(region, np.ones((3, 3), np.uint8)).astype(bool)
    border[:, W - 1] |= region[:, W - 1].astype(bool)  # the image's edge closes the region
    border[H - 1, :] |= region[H - 1, :].astype(bool)
    drawn = _drawn(heat, contours=True, boxes=False)
    assert drawn[border].all()
    near = cv2.dilate(border.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    assert not drawn[~near].any()  # a 2-pixel line about the border, not a pixel beside it
