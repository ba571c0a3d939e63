"""Does a tampered image's mask mark what was changed? Checked against its authentic source.

CASIA v1's community masks are wrong for many copy-moves: the text-category copy-moves come in
threes (``Sp_S_NNN_C/R/T_txt0041_...``, three different edits of one photograph) that share one
mask file, so at least two of each three masks mark a region that was not changed. Measured on
``casia1-dev``: for 192 of the 300 text copy-moves the mask and the pixels that differ from the
authentic photograph overlap with IoU < 0.2 (30 of 251 other splices and 1 of 89 other
copy-moves too; those are mostly re-compression noise around small edits).

Where the data set holds the authentic photograph a tampered image was made from (CASIA's names
say which: the first source id), at the same size, the changed pixels are known: |tampered −
authentic| > :data:`DIFFERENCE` grey levels. A mask is *trusted* when its IoU with them is at
least :data:`MIN_IOU`, or when there is no source to check against. Pixel figures are reported on
trusted masks, with the number left out said beside them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.masks import MaskSizeError, read_mask
from trainer.data.records import Sample, open_image
from trainer.data.splits import source_ids

DIFFERENCE = 25  # grey levels; JPEG re-compression of an unchanged area stays mostly below it
MIN_IOU = 0.2


def source_image(sample: Sample, authentic: dict[str, Path]) -> Path | None:
    """The authentic photograph ``sample`` was made from (its first source id), if present."""
    ids = source_ids(sample)
    return authentic.get(ids[0]) if ids else None


def mask_iou(sample: Sample, source: Path) -> float | None:
    """IoU of the mask with the pixels that differ from ``source``; None when sizes differ.
    The mask is read by :func:`engine.masks.read_mask`, the rule training, ``eval`` and ``scan
    --gt`` read it by (a channel above 127, not the luminance)."""
    if sample.mask is None:
        return None
    with open_image(sample.image) as a, open_image(source) as b:
        if a.size != b.size:
            return None
        try:
            marked = read_mask(sample.mask, (a.height, a.width)).mask
        except MaskSizeError:
            return None
        changed = (
            np.abs(np.asarray(a.convert("L"), np.int16) - np.asarray(b.convert("L"), np.int16))
            > DIFFERENCE
        )
    union = int((changed | marked).sum())
    return float((changed & marked).sum()) / union if union else 1.0


def trusted_masks(samples: list[Sample]) -> dict[str, float | None]:
    """Per tampered image path, the mask's IoU with the changed pixels (None: nothing to check
    against); an image is trusted when that is None or at least :data:`MIN_IOU`."""
    authentic = {ids[0]: s.image for s in samples if s.label == 0 and (ids := source_ids(s))}
    out: dict[str, float | None] = {}
    for s in samples:
        if s.label == 1:
            src = source_image(s, authentic)
            out[str(s.image)] = None if src is None else mask_iou(s, src)
    return out


def is_trusted(iou: float | None) -> bool:
    return iou is None or iou >= MIN_IOU
