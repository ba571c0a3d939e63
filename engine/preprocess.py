"""The one input convention shared by every network, the trainer and the pipeline.

Every network's ``forward`` takes a batch ``[B, 3, H, W]`` float32 of RGB values scaled to
[0, 1] and then standardised with the ImageNet mean and standard deviation. ImageNet statistics
are used (rather than per-dataset ones) because timm backbones and any user-supplied ImageNet
weights expect them, and one convention for all three architectures means one code path.
"""

from __future__ import annotations

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
