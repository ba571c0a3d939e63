"""The network a checkpoint header describes, and steps 2 to 4 of the loader's checks.

:func:`build_model` builds the untrained network of a
:class:`~engine.checkpoint_meta.CheckpointMeta` (its ``*_weights`` initialisation files never
opened). Before any weights are read, :mod:`engine.checkpoints` has the same network built on
the ``meta`` device (:class:`Blueprint`: no memory, see :mod:`engine.sizing`) and checks, in
this order:

2. its size (:func:`check_size`): at most :data:`engine.sizing.MAX_PARAMETERS` parameters;
3. the file's tensors as the header lists them (:func:`_header_tensors`, :func:`_check_tensors`;
   no bytes read): exactly the names and shapes of the network's state dict, floating-point
   tensors stored as F32, F16 or BF16 and integer buffers as integers; :func:`_data_bytes` is
   how many bytes of tensor data such a header describes;
4. the activation memory of one input of the checkpoint's policy (:func:`input_size`,
   :func:`check_activation`): at most :data:`engine.sizing.MAX_ACTIVATION_BYTES`; a network
   that cannot run on that input size is refused here too.

Each refusal is one :class:`~engine.errors.CheckpointError` line naming the file. The meta
network and its activation memory are cached per architecture, config and input size for the
life of the process. Step 1 (the header) is :mod:`engine.checkpoint_meta`; the order of the
checks and the one reading of the file are :mod:`engine.checkpoints`.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from engine import sizing
from engine.checkpoint_meta import CheckpointMeta, InputPolicy, _is_int
from engine.errors import CheckpointError
from engine.models.layers import state_mismatch
from engine.models.registry import config_from_dict, create_model

INIT_WEIGHT_SUFFIX = "_weights"


def _create_kwargs(meta: CheckpointMeta) -> dict[str, Any]:
    """The keyword arguments of :func:`create_model` for ``meta`` (``*_weights`` fields None,
    see :func:`build_model`)."""
    config = config_from_dict(meta.architecture, meta.config)
    return {
        f.name: None if f.name.endswith(INIT_WEIGHT_SUFFIX) else getattr(config, f.name)
        for f in dataclasses.fields(config)
    }


def build_model(meta: CheckpointMeta, path: str | Path | None = None) -> nn.Module:
    """An untrained network with the architecture and config of ``meta``.

    Config fields named ``*_weights`` (``backbone_weights``, ``encoder_weights``) point at files
    that *initialise* a part of the network before training. The checkpoint's own tensors
    replace them, so they are not opened here: a checkpoint rebuilt on another machine must not
    depend on a file that only existed where it was trained.
    """
    try:
        return create_model(meta.architecture, **_create_kwargs(meta))
    except KeyError as e:
        raise CheckpointError(path, str(e.args[0])) from e
    except (ValueError, TypeError) as e:
        raise CheckpointError(path, f"config does not fit '{meta.architecture}' ({e})") from e


# --------------------------------------------------------------------------- size and tensors

_FLOAT_DTYPES = ("F32", "F16", "BF16")  # how a floating-point tensor may be stored
_INT_DTYPES = ("I64", "I32", "I16", "I8", "U8")  # how an integer buffer may be stored
_DTYPE_NAMES = {
    torch.float64: "F64",
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.int16: "I16",
    torch.int8: "I8",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}


@dataclass(frozen=True)
class Blueprint:
    """A network built on the meta device (no memory) and what it asks of a checkpoint file.

    parameters: how many; tensors: name -> (dtype, shape) of its state dict.
    """

    model: nn.Module
    parameters: int
    tensors: dict[str, tuple[torch.dtype, tuple[int, ...]]]


def _config_key(meta: CheckpointMeta) -> str:
    return json.dumps(meta.config, sort_keys=True)


@functools.lru_cache(maxsize=8)
def _blueprint(architecture: str, config_json: str) -> Blueprint:
    meta = CheckpointMeta(architecture=architecture, config=json.loads(config_json))
    kwargs = _create_kwargs(meta)
    model = sizing.build_on_meta(lambda: create_model(architecture, **kwargs)).eval()
    tensors = {k: (v.dtype, tuple(v.shape)) for k, v in model.state_dict().items()}
    return Blueprint(model, sizing.parameter_count(model), tensors)


def check_size(meta: CheckpointMeta, path: str | Path | None = None) -> Blueprint:
    """Step 2 of the module docstring: the network of ``meta`` built on the meta device, or a
    :class:`CheckpointError` when it cannot be built or has too many parameters."""
    try:
        blueprint = _blueprint(meta.architecture, _config_key(meta))
    except Exception as e:  # a builder refusing the config (ValueError, AssertionError, ...)
        raise CheckpointError(
            path, f"config does not fit '{meta.architecture}' ({type(e).__name__}: {e})"
        ) from e
    try:
        limit = sizing.max_parameters()
    except ValueError as e:
        raise CheckpointError(path, str(e)) from e
    if blueprint.parameters > limit:
        raise CheckpointError(
            path,
            f"the network would have {blueprint.parameters:,} parameters, more than the limit "
            f"of {limit:,} (raise it with {sizing.PARAMETERS_ENV})",
        )
    return blueprint


def input_size(policy: InputPolicy) -> tuple[int, int]:
    """(height, width) of the largest input the network gets under ``policy``: one window, or
    the resize bound (its short side by its long side)."""
    if policy.mode == "window":
        return policy.window, policy.window
    return min(policy.size), max(policy.size)


@functools.lru_cache(maxsize=32)
def _activation(architecture: str, config_json: str, height: int, width: int) -> int:
    model = _blueprint(architecture, config_json).model
    return sizing.peak_activation_bytes(model, height, width)


def check_activation(meta: CheckpointMeta, path: str | Path | None = None) -> int:
    """Step 4 of the module docstring: the activation bytes of one input of ``meta``'s policy,
    or a :class:`CheckpointError` when the network cannot run on it or needs too much."""
    height, width = input_size(meta.input_policy)
    try:
        need = _activation(meta.architecture, _config_key(meta), height, width)
    except Exception as e:  # the network refuses this input size (shape errors, asserts, ...)
        reason = str(e).strip().split("\n")[0][:200]
        raise CheckpointError(
            path,
            f"the network cannot run on its {height}x{width} input ({type(e).__name__}: {reason})",
        ) from e
    try:
        limit = sizing.max_activation_bytes()
    except ValueError as e:
        raise CheckpointError(path, str(e)) from e
    if need > limit:
        raise CheckpointError(
            path,
            f"one {height}x{width} input would need about {sizing.human_bytes(need)} of "
            f"activations, more than the limit of {sizing.human_bytes(limit)} "
            f"(raise it with {sizing.ACTIVATION_ENV})",
        )
    return need


def _header_tensors(header: dict[str, Any], path: Path) -> dict[str, tuple[str, tuple[int, ...]]]:
    """name -> (safetensors dtype, shape) of every tensor the header lists."""
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        shape = entry.get("shape") if isinstance(entry, dict) else None
        dtype = entry.get("dtype") if isinstance(entry, dict) else None
        if (
            not isinstance(dtype, str)
            or not isinstance(shape, list)
            or not all(_is_int(n) and n >= 0 for n in shape)
        ):
            raise CheckpointError(path, f"damaged safetensors header (tensor '{name}')")
        out[name] = (dtype, tuple(shape))
    return out


_ITEM_BYTES = {  # bytes per element of each dtype _check_tensors allows
    **{"F32": 4, "F16": 2, "BF16": 2},
    **{"I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1},
}


def _data_bytes(stored: dict[str, tuple[str, tuple[int, ...]]]) -> int:
    """How many bytes of tensor data follow the header, from the dtypes and shapes it lists
    (checked by :func:`_check_tensors` first: every dtype is one of :data:`_ITEM_BYTES`)."""
    return sum(_ITEM_BYTES[dtype] * math.prod(shape) for dtype, shape in stored.values())


@dataclass(frozen=True)
class _Declared:
    """A tensor as a header declares it (for :func:`state_mismatch`; nothing allocated)."""

    shape: tuple[int, ...]


def _check_tensors(
    expected: dict[str, tuple[torch.dtype, tuple[int, ...]]],
    stored: dict[str, tuple[str, tuple[int, ...]]],
    path: Path,
) -> None:
    """Step 3 of the module docstring: names and shapes as the network's, and each tensor
    stored in a dtype of its kind."""
    problem = state_mismatch(
        {k: _Declared(shape) for k, (_, shape) in expected.items()},
        {k: _Declared(shape) for k, (_, shape) in stored.items()},
    )
    if problem:
        raise CheckpointError(path, f"weights do not fit the architecture: {problem}")
    for name, (dtype, _shape) in expected.items():
        found = stored[name][0]
        allowed = (
            _FLOAT_DTYPES
            if dtype.is_floating_point
            else ("BOOL",)
            if dtype == torch.bool
            else _INT_DTYPES
        )
        if found not in allowed:
            kind = "floating-point" if dtype.is_floating_point else "integer"
            raise CheckpointError(
                path,
                f"tensor '{name}' is stored as {found}, but the network holds {kind} values "
                f"there ({', '.join(allowed)})",
            )
