"""What a network will cost, measured before it is built: parameters and activation memory.

A checkpoint's header asks for an architecture and a config, and building that network is what
allocates its memory, so a header of a few kilobytes could ask for terabytes. The bounds on
each config field (:func:`engine.models.registry.check_config`) stop single absurd values;
this module measures what the combination costs. The network is built on PyTorch's ``meta``
device (:func:`build_on_meta`): every tensor has a shape and a dtype but no storage, so a
network of any size takes no memory and its parameters can be counted and its state dict
compared with a file's tensors. Running it on a meta input of one window's size
(:func:`peak_activation_bytes`) follows every intermediate tensor and gives the most bytes
that are alive at once: the activation memory of one window, without computing anything.
Kernels' own scratch memory and the allocator come on top (the process grew by about a quarter
more than the estimate for CRFD-Net at 512), which the limit leaves room for.

The limits below are checked by :mod:`engine.checkpoints` for every checkpoint it loads. Raise
them with the environment variables :data:`PARAMETERS_ENV` and :data:`ACTIVATION_ENV` (or by
setting the module constants), e.g. for a large network on a machine with memory to spare.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from engine.environ import parse_limit

__all__ = [
    "ACTIVATION_ENV",
    "MAX_ACTIVATION_BYTES",
    "MAX_PARAMETERS",
    "PARAMETERS_ENV",
    "build_on_meta",
    "human_bytes",
    "max_activation_bytes",
    "max_parameters",
    "parameter_count",
    "peak_activation_bytes",
]

# The largest registered variant (diffforensics-b5) has 85 M parameters; 500 M is 2 GB of fp32
# weights, as much again for the network built to load them into.
MAX_PARAMETERS = 500_000_000
# The most activation memory one window may need (one forward pass of batch 1, no gradients);
# the analysis holds ``batch_size`` windows at a time. Measured at a 512 window: CRFD-Net at
# full size (crfd-net: 64/128/256) 0.43 GiB, m2f-swin-s 0.14 GiB, diffforensics-b5 0.05 GiB.
MAX_ACTIVATION_BYTES = 4 << 30
PARAMETERS_ENV = "FORENSIC_VIEWER_MAX_MODEL_PARAMETERS"  # a count, e.g. 2000000000 or 2G
ACTIVATION_ENV = "FORENSIC_VIEWER_MAX_ACTIVATION_BYTES"  # bytes, e.g. 17179869184 or 16G

# In-place initialisers (and the arithmetic they are made of): on meta tensors they would only
# cost time (PyTorch runs most of them through Python decompositions), never change a shape.
_INIT_OPS = frozenset(
    {
        "uniform_",
        "normal_",
        "trunc_normal_",
        "erfinv_",
        "exponential_",
        "bernoulli_",
        "random_",
        "fill_",
        "zero_",
        "copy_",
        "mul_",
        "add_",
        "sub_",
        "div_",
        "clamp_",
        "clamp_min_",
        "clamp_max_",
        "sqrt_",
        "exp_",
        "log_",
    }
)


def _limit(env: str, default: int, base: int, what: str) -> int:
    """``default``, or the value of environment variable ``env`` in the evidence limits' syntax
    (:func:`engine.environ.parse_limit`: an integer, optionally with a K, M, G or T suffix in
    powers of ``base``, for bytes (base 1024) also a trailing B or iB; 0 allowed). ValueError
    names the variable and says it takes a ``what``."""
    text = os.environ.get(env, "").strip()
    if not text:
        return default
    value = parse_limit(text, base, allow_zero=True)
    if value is None:
        raise ValueError(f"{env}={text!r} is not a {what} (e.g. 2000000000 or 2G)")
    return value


def max_parameters() -> int:
    """The parameter limit: ``$FORENSIC_VIEWER_MAX_MODEL_PARAMETERS`` (k, M, G: powers of 1000;
    a count, so no B or iB), else :data:`MAX_PARAMETERS`."""
    return _limit(PARAMETERS_ENV, MAX_PARAMETERS, 1000, "number of parameters")


def max_activation_bytes() -> int:
    """The per-window activation limit: ``$FORENSIC_VIEWER_MAX_ACTIVATION_BYTES`` (K, M, G, T:
    powers of 1024, optionally followed by B or iB), else :data:`MAX_ACTIVATION_BYTES`."""
    return _limit(ACTIVATION_ENV, MAX_ACTIVATION_BYTES, 1024, "size in bytes")


def human_bytes(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


class _SkipInit(TorchFunctionMode):
    """Makes in-place initialisers of meta tensors no-ops (see :data:`_INIT_OPS`)."""

    def __torch_function__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        if (
            getattr(func, "__name__", "") in _INIT_OPS
            and args
            and isinstance(args[0], torch.Tensor)
            and args[0].is_meta
        ):
            return args[0]
        return func(*args, **(kwargs or {}))


def build_on_meta(build: Callable[[], nn.Module]) -> nn.Module:
    """``build()`` with every tensor it creates on the ``meta`` device: shapes and dtypes, no
    memory, initialisation skipped. For counting and comparing, never for computing."""
    with torch.device("meta"), _SkipInit():
        return build()


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


class _PeakMemory(TorchDispatchMode):
    """Follows the storage of every tensor that an operation creates: bytes alive now and at
    most. A storage counts once however many views share it, and stops counting when the last
    tensor on it is gone; the module's own parameters and buffers are not activations."""

    def __init__(self, own: set[int]) -> None:
        super().__init__()
        self.own = own
        self.users: dict[int, int] = {}
        self.live = 0
        self.peak = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        out = func(*args, **(kwargs or {}))
        for t in tree_flatten(out)[0]:
            if isinstance(t, torch.Tensor):
                self._track(t)
        return out

    def _track(self, t: torch.Tensor) -> None:
        storage = t.untyped_storage()
        key = storage._cdata
        if key in self.own:
            return
        if self.users.get(key, 0) == 0:
            self.live += storage.nbytes()
            self.peak = max(self.peak, self.live)
        self.users[key] = self.users.get(key, 0) + 1
        weakref.finalize(t, self._release, key, storage.nbytes())

    def _release(self, key: int, nbytes: int) -> None:
        self.users[key] -= 1
        if self.users[key] == 0:
            del self.users[key]
            self.live -= nbytes


def peak_activation_bytes(model: nn.Module, height: int, width: int) -> int:
    """The most bytes of intermediate tensors alive at once while the meta-built ``model`` runs
    on one [1, 3, height, width] input without gradients (the input included). Whatever the
    network raises for that input size propagates."""
    own = {t.untyped_storage()._cdata for t in [*model.parameters(), *model.buffers()]}
    x = torch.empty(1, 3, height, width, device="meta")
    mode = _PeakMemory(own)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), mode:
            out: Any = model(x)
            del out
    finally:
        model.train(was_training)
    return mode.peak + x.numel() * x.element_size()
