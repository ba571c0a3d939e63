"""Device and precision policy.

``auto`` picks CUDA, then Apple MPS, then the CPU. Computation is fp32 unless mixed precision is
asked for, and mixed precision (fp16 autocast) is used only on CUDA, where it is fast and well
tested; elsewhere the request falls back to fp32. The precision actually used is returned so
that it can be recorded with every result.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from enum import StrEnum

import torch


class DeviceChoice(StrEnum):
    AUTO = "auto"
    CPU = "cpu"
    CUDA = "cuda"
    MPS = "mps"


def resolve_device(choice: str = "auto") -> torch.device:
    """The torch device for ``choice``; asking for an absent accelerator is a clear error."""
    try:
        choice = DeviceChoice(str(choice).split(":")[0])
    except ValueError:
        raise ValueError(
            f"device must be one of {[c.value for c in DeviceChoice]}, got {choice!r}"
        ) from None
    mps = getattr(torch.backends, "mps", None)
    has_mps = bool(mps and mps.is_available())
    if choice is DeviceChoice.AUTO:
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if has_mps else torch.device("cpu")
    if choice is DeviceChoice.CUDA and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for but no CUDA device is available")
    if choice is DeviceChoice.MPS and not has_mps:
        raise ValueError("device 'mps' was asked for but Apple MPS is not available")
    return torch.device(choice.value)


def available_devices() -> list[str]:
    """Choices to offer in a device selector on this machine."""
    out = ["auto", "cpu"]
    if torch.cuda.is_available():
        out.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps and mps.is_available():
        out.append("mps")
    return out


def precision_for(device: torch.device, mixed: bool = False) -> str:
    """``"fp16-autocast"`` on CUDA when mixed precision is asked for, else ``"fp32"``."""
    return "fp16-autocast" if mixed and device.type == "cuda" else "fp32"


@contextlib.contextmanager
def autocast(device: torch.device, precision: str) -> Iterator[None]:
    """Autocast for ``precision`` (a no-op for fp32)."""
    if precision == "fp16-autocast":
        with torch.autocast(device_type=device.type, dtype=torch.float16):
            yield
    else:
        yield
