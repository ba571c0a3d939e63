"""Device and precision policy.

``auto`` picks CUDA, then Apple MPS, then the CPU; CUDA only on a GPU this PyTorch build has
kernels for (:func:`unsupported_gpu`: torch 2.14's CUDA 13 build has them from compute
capability 7.5 on; on an older GPU ``torch.cuda.is_available()`` is True, PyTorch only warns, and
every analysis then failed at its first operation with "no kernel image is available"), else
it says why and goes on to the next. Computation is fp32 unless mixed precision is
asked for, and mixed precision (fp16 autocast) is used only on CUDA, where it is fast and well
tested; elsewhere the request falls back to fp32. The precision actually used is returned so
that it can be recorded with every result.

fp32 on CUDA is IEEE fp32: PyTorch runs cuDNN convolutions in TF32 by default on Ampere and
later GPUs (a 10-bit mantissa), so an analysis recorded as ``fp32`` would have differed from the
CPU's, and from the θ calibrated at fp32, by more than fp32 rounding. :func:`autocast` turns
TF32 off for convolutions and matrix products while a forward pass runs, and puts the
process's settings back after it (the trainer's own steps keep PyTorch's defaults).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import torch

from engine.device_names import DeviceChoice, device_name_problem

log = logging.getLogger(__name__)


def resolve_device(choice: str = "auto") -> torch.device:
    """The torch device for ``choice`` (``cuda:1`` names a GPU of several); asking for an absent
    accelerator is a clear error."""
    asked = str(choice)
    kind, _, index = asked.partition(":")
    if (problem := device_name_problem(asked)) is not None:
        raise ValueError(problem)
    choice = DeviceChoice(kind)
    if index and choice is DeviceChoice.CUDA:
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if not index.isdigit() or int(index) >= count:
            raise ValueError(f"device {asked!r} was asked for but this machine has {count} GPU(s)")
        return _supported(torch.device("cuda", int(index)), asked)
    mps = getattr(torch.backends, "mps", None)
    has_mps = bool(mps and mps.is_available())
    if choice is DeviceChoice.AUTO:
        if torch.cuda.is_available():
            why = unsupported_gpu()
            if why is None:
                return torch.device("cuda")
            log.warning("the GPU is not used (%s instead): %s", "mps" if has_mps else "cpu", why)
        return torch.device("mps") if has_mps else torch.device("cpu")
    if choice is DeviceChoice.CUDA and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for but no CUDA device is available")
    if choice is DeviceChoice.CUDA:
        return _supported(torch.device("cuda"), asked)
    if choice is DeviceChoice.MPS and not has_mps:
        raise ValueError("device 'mps' was asked for but Apple MPS is not available")
    return torch.device(choice.value)


def available_devices() -> list[str]:
    """Choices to offer in a device selector on this machine."""
    out = ["auto", "cpu"]
    if torch.cuda.is_available() and unsupported_gpu() is None:
        out.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps and mps.is_available():
        out.append("mps")
    return out


def unsupported_gpu(device: torch.device | None = None) -> str | None:
    """Why this PyTorch build cannot run on CUDA ``device`` (None: the current GPU), or None
    when it can: a build carries kernels (``sm_XY``, which run on compute capability X.Y to
    X.9) or PTX (``compute_XY``, compiled for X.Y and later) for some GPU generations only."""
    arches = torch.cuda.get_arch_list()
    if torch.version.cuda is None or not arches:  # ROCm, or a build that does not say
        return None
    try:
        major, minor = torch.cuda.get_device_capability(device)
    except RuntimeError as e:  # a driver that lists a GPU and then fails to initialise it
        return f"CUDA could not be initialised ({' '.join(str(e).split())[:200]})"
    for arch in arches:
        kind, _, digits = arch.partition("_")
        digits = digits.rstrip("af")  # sm_90a, sm_100f: the architecture's own variants
        if not digits.isdigit():
            continue
        built = divmod(int(digits), 10)
        if (kind == "sm" and built[0] == major and built[1] <= minor) or (
            kind == "compute" and built <= (major, minor)
        ):
            return None
    return (
        f"its compute capability {major}.{minor} has no kernels in this PyTorch build "
        f"(torch {torch.__version__}: {', '.join(arches)})"
    )


def _supported(device: torch.device, asked: str) -> torch.device:
    why = unsupported_gpu(device)
    if why is not None:
        raise ValueError(f"device {asked!r} was asked for but {why}")
    return device


def device_text(device: torch.device) -> str:
    """``device`` as a result records it: a GPU with its index (``cuda:0``, the one CUDA made
    current when none was named), so that on a machine of several the record says which ran."""
    if device.type == "cuda" and device.index is None:
        return f"cuda:{torch.cuda.current_device()}"
    return str(device)


def precision_for(device: torch.device, mixed: bool = False) -> str:
    """``"fp16-autocast"`` on CUDA when mixed precision is asked for, else ``"fp32"``."""
    return "fp16-autocast" if mixed and device.type == "cuda" else "fp32"


@contextlib.contextmanager
def autocast(device: torch.device, precision: str) -> Iterator[None]:
    """Autocast for ``precision``; for fp32 on CUDA, IEEE fp32 (no TF32: module docstring)."""
    if precision == "fp16-autocast":
        with torch.autocast(device_type=device.type, dtype=torch.float16):
            yield
    elif device.type == "cuda":
        with strict_fp32():
            yield
    else:
        yield


@contextlib.contextmanager
def strict_fp32() -> Iterator[None]:
    """cuDNN convolutions and CUDA matrix products in IEEE fp32 (TF32 off) while active; the
    settings before are restored after. Process-wide flags: only one thread runs networks.

    Through the flags PyTorch's own ``torch.backends.cudnn.flags`` sets (its newer per-operator
    ``fp32_precision`` set for convolutions alone leaves a state its ``allow_tf32`` refuses)."""
    cudnn, matmul = torch.backends.cudnn.allow_tf32, torch.get_float32_matmul_precision()
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32 = cudnn
        torch.set_float32_matmul_precision(matmul)
