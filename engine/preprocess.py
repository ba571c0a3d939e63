"""The one input convention shared by every network, the trainer and the pipeline.

Every network's ``forward`` takes a batch ``[B, 3, H, W]`` float32 of RGB values scaled to
[0, 1] and then standardised with the ImageNet mean and standard deviation. ImageNet statistics
are used (rather than per-dataset ones) because timm backbones and any user-supplied ImageNet
weights expect them, and one convention for all three architectures means one code path.
The pipeline's views of an image are made here too: the whole image normalised once for every
fast-path model (:func:`normalized`), the reduced detection view's shape (:func:`reduced_shape`)
and a resize-mode model's input (:func:`resize_to_fit`).
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from numpy.typing import NDArray

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def to_tensor(rgb: NDArray[np.uint8]) -> torch.Tensor:
    """``rgb: [H, W, 3] uint8`` -> normalised ``[1, 3, H, W]`` float32 on the CPU."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected an [H, W, 3] uint8 image, got {rgb.shape} {rgb.dtype}")
    x = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1).float().div_(255.0)
    return normalize(x.unsqueeze(0))


def normalize(x: torch.Tensor) -> torch.Tensor:
    """``x: [B, 3, H, W]`` in [0, 1] -> standardised with ImageNet statistics."""
    mean = torch.tensor(IMAGENET_MEAN, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return (x - mean) / std


def denormalize(x: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`normalize`."""
    mean = torch.tensor(IMAGENET_MEAN, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return x * std + mean


def normalized(rgb: NDArray[np.uint8]) -> torch.Tensor:
    """``rgb: [H, W, 3] uint8`` -> ``[3, H, W]`` float32 scaled and normalised, on the CPU.

    Made once per analysis and shared by the fast-path models (12 MP: 147 MB), instead of each
    model normalising each of its tiles."""
    h, w = rgb.shape[:2]
    out = torch.empty((3, h, w), dtype=torch.float32)
    with warnings.catch_warnings():  # evidence pixels are read-only; they are only read here
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        out.copy_(torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1))
    mean = torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(3, 1, 1)
    return out.div_(255.0).sub_(mean).div_(std)  # in place: no second copy of the image


def reduced_shape(shape: tuple[int, int], side: int, min_short: int = 0) -> tuple[int, int] | None:
    """[height, width] with the long side brought down to ``side`` (aspect kept), or None when
    ``side`` is 0 or the image is not larger: then the full-resolution pass decides.

    min_short: the view's short side is not brought below this nor the image's own (the
    verdicts' measured range, :func:`engine.decision.min_verdict_side`): a 20000 x 3000
    panorama is seen 1280 x 192, not 512 x 77 padded up to the window with copies of its last
    row; photographs up to 8:3 are not affected."""
    h, w = shape
    if side <= 0 or max(h, w) <= side:
        return None
    s = max(side / max(h, w), min(1.0, min_short / min(h, w)))
    if s >= 1.0:
        return None
    return max(1, round(h * s)), max(1, round(w * s))


def resize_to_fit(rgb: NDArray[np.uint8], size: tuple[int, int]) -> NDArray[np.uint8]:
    """Resize so the long side fits size[0] and the short side size[1], aspect kept."""
    import cv2

    h, w = rgb.shape[:2]
    long_side, short_side = max(size), min(size)
    scale = min(long_side / max(h, w), short_side / min(h, w))
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    if (nh, nw) == (h, w):
        return rgb
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(rgb, (nw, nh), interpolation=interp)
