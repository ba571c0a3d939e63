"""One-file checkpoints: ``.safetensors`` with a self-describing JSON header.

A checkpoint holds the weights and, in the safetensors metadata under the key
``"forensic_viewer"``, a JSON object (:class:`CheckpointMeta`) with everything needed to rebuild
and use the network from the file alone: the registered architecture and its full config, the
input policy (window and stride, or whole-image resize), the decision rule with its threshold
and where the threshold came from, a training summary, measured metrics and the format version.

Loading never executes code. Safetensors cannot carry code; a plain PyTorch state dict
(``.pt``/``.pth``) is read only through :func:`engine.torchload.load_torch_file`
(``torch.load(weights_only=True)``, no fallback) and then needs the architecture named by the
caller (an API for programs: the viewer analyses only self-describing checkpoints, see
:mod:`engine.catalog`).

A checkpoint is untrusted input, and one that loads can still lie. So before anything is built
or read beyond the header, in this order:

1. the header (:func:`~engine.checkpoint_meta.check_meta`, also run by :func:`read_meta`, so
   a model list already skips a bad file): a header of this program's format version or an
   older one, with no field this program does not know and every required one (said in words
   naming the field), of an architecture built into this program; every config field of the
   right type, finite and within the bounds its config class declares (``LIMITS``, see
   :mod:`engine.models.registry`);
   an input policy with a window of :data:`MIN_WINDOW` to :data:`MAX_WINDOW` pixels and a
   stride of at least an eighth of it (:data:`MIN_STRIDE_DIVISOR`) and at most the window,
   resize sides of :data:`MIN_WINDOW` to :data:`MAX_RESIZE_SIDE`; a known decision rule whose
   θ and pixel threshold are finite and in [0, 1];
2. the network's size, from the network built on the ``meta`` device (no memory, see
   :mod:`engine.sizing`; :func:`~engine.checkpoint_network.check_size`): at most
   :data:`engine.sizing.MAX_PARAMETERS` parameters;
3. the file's tensors as the header lists them (no bytes read): exactly the names and shapes of
   the network's state dict, floating-point tensors stored as F32, F16 or BF16 and integer
   buffers as integers (F32 bytes relabelled I32 would load as huge integers and make NaN
   heatmaps);
4. the activation memory of one window (or of the resize bound), from the meta network run on
   a meta input (:func:`~engine.checkpoint_network.check_activation`): at most
   :data:`engine.sizing.MAX_ACTIVATION_BYTES`; a network that cannot run on that input size is
   refused here too;
5. the weights: no NaN or infinity in any floating-point tensor;

and then the network is built and loaded all or nothing (no missing or unexpected keys). Every
refusal is one :class:`CheckpointError` line naming the file. A header that records another
version of the architecture's code than this program's is loaded with one warning
(:func:`version_warning`, logged on this module's logger). The limits and how to raise them
are listed in ``docs/LIMITS.md``. Facts measured on the meta device are cached per
architecture, config and input size for the life of the process.

The header itself (:class:`CheckpointMeta`, its input policy and decision rule, non-finite
figures read and written as ``null``) and step 1 are :mod:`engine.checkpoint_meta`; the network
a header describes (:func:`build_model`) and steps 2 to 4 are :mod:`engine.checkpoint_network`;
their users import them from here. This module keeps the order of the checks and the one
reading of a file: header, checks, weights and hash from one descriptor.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors_bytes
from safetensors.torch import save as save_safetensors_bytes
from torch import nn

from engine.calibration import with_caveat
from engine.checkpoint_meta import (
    FORMAT_VERSION,
    MAX_RESIZE_SIDE,
    MAX_WINDOW,
    META_KEY,
    MIN_STRIDE_DIVISOR,
    MIN_WINDOW,
    SCOPES,
    CheckpointMeta,
    DecisionRule,
    InputPolicy,
    _is_int,
    check_meta,
    decision_problem,
    not_built_in,
    policy_problem,
)
from engine.checkpoint_network import (
    _DTYPE_NAMES,
    INIT_WEIGHT_SUFFIX,
    Blueprint,
    _check_tensors,
    _data_bytes,
    _header_tensors,
    build_model,
    check_activation,
    check_size,
    input_size,
)
from engine.errors import CheckpointError
from engine.files import atomic_write, not_regular_reason, open_regular, suffix_is
from engine.formatting import time_text
from engine.models.layers import state_mismatch
from engine.models.registry import config_to_dict, get_spec
from engine.torchload import load_torch_file

# the header and its checks live in engine.checkpoint_meta, the network it describes in
# engine.checkpoint_network; their users import them from here
__all__ = [
    "FORMAT_VERSION",
    "INIT_WEIGHT_SUFFIX",
    "MAX_RESIZE_SIDE",
    "MAX_WINDOW",
    "META_KEY",
    "MIN_STRIDE_DIVISOR",
    "MIN_WINDOW",
    "SCOPES",
    "Blueprint",
    "CheckpointMeta",
    "DecisionRule",
    "InputPolicy",
    "LoadedModel",
    "NotLoaded",
    "build_model",
    "check_activation",
    "check_meta",
    "check_size",
    "checkpoint_bytes",
    "code_versions",
    "decision_problem",
    "describe_checkpoint",
    "file_sha256",
    "input_size",
    "load_checkpoint",
    "not_built_in",
    "policy_problem",
    "read_meta",
    "read_safetensors",
    "safetensors_bytes",
    "save_checkpoint",
    "unreadable",
    "version_noted",
    "version_warning",
]

log = logging.getLogger(__name__)


@dataclass
class LoadedModel:
    """A network ready for inference together with its metadata."""

    model: nn.Module
    meta: CheckpointMeta
    path: Path | None
    sha256: str

    @property
    def name(self) -> str:
        return self.meta.name or (self.path.stem if self.path else self.meta.architecture)


class NotLoaded(nn.Module):
    """The network of a checkpoint described but not loaded (:func:`describe_checkpoint`):
    running it is a programming error, never a result."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def forward(self, *_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError(f"{self.path}: only described, its weights were not loaded")


def describe_checkpoint(path: str | Path) -> LoadedModel:
    """What a scan's settings need of a ``.safetensors`` checkpoint, without its network: the
    header (checked as :func:`read_meta` checks it) and the file's SHA-256 (what
    :func:`load_checkpoint` records: the hash of the whole file it read); the ``model`` is
    :class:`NotLoaded`. A resume with nothing to analyse is settled on this (the networks of
    the bundled set took 6-8 s to load)."""
    path = Path(path)
    try:
        return LoadedModel(NotLoaded(path), read_meta(path), path, file_sha256(path))
    except OSError as e:
        raise unreadable(e, path) from e


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open_regular(path) as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_checkpoint(
    path: str | Path,
    model: nn.Module,
    meta: CheckpointMeta,
    *,
    half: bool = False,
) -> Path:
    """Write ``model``'s weights and ``meta`` to one ``.safetensors`` file (atomically).

    half: store floating tensors as fp16 (loading restores fp32).
    """
    path = Path(path)
    atomic_write(path, checkpoint_bytes(path, model, meta, half=half))
    return path


def checkpoint_bytes(
    path: str | Path, model: nn.Module, meta: CheckpointMeta, *, half: bool = False
) -> bytes:
    """The bytes of the ``.safetensors`` checkpoint :func:`save_checkpoint` writes to ``path``
    (named in a refusal): for a caller that writes it with other files at once
    (:func:`engine.files.atomic_write_together`, ``fit``'s checkpoint and resume file)."""
    path = Path(path)
    if not suffix_is(path, ".safetensors"):
        raise ValueError(f"checkpoint files end in .safetensors, got {path.name}")
    check_meta(meta, path)  # what loading would refuse is not written
    if not meta.created:
        meta.created = time_text()
    tensors = {}
    for k, v in model.state_dict().items():
        v = v.detach().cpu().contiguous()
        if half and v.is_floating_point():
            v = v.half()
        tensors[k] = v.clone()  # safetensors refuses shared storage
    return safetensors_bytes(tensors, meta)


def safetensors_bytes(tensors: dict[str, torch.Tensor], meta: CheckpointMeta) -> bytes:
    """``tensors`` with ``meta`` as the header, as the bytes of a ``.safetensors`` file, which
    the caller writes through a temporary file of its own name (:func:`engine.files.temp_path`).
    The header is written as :data:`FORMAT_VERSION` whatever ``meta`` was read as: every field
    of this program's format is written (a version 1 header calibrated or averaged again is
    a version 2 header, which an older program refuses as newer rather than as malformed).
    safetensors' ``save_file`` wrote into a temporary file of its own (``.tmpXXXXXX``) beside
    the target, which a kill during the write left in the folder for good, hundreds of MB of a
    real model, under a name no cleanup knows."""
    header = dataclasses.replace(meta, format_version=FORMAT_VERSION).to_json()
    return save_safetensors_bytes(tensors, metadata={META_KEY: header})


def read_meta(path: str | Path) -> CheckpointMeta:
    """Read only the JSON header of a safetensors checkpoint (no tensors), checked by
    :func:`check_meta`."""
    path = Path(path)
    return _meta_of(_read_safetensors_header(path), path)


def _meta_of(header: dict[str, Any], path: Path) -> CheckpointMeta:
    metadata = header.get("__metadata__") or {}
    text = metadata.get(META_KEY) if isinstance(metadata, dict) else None
    if not isinstance(text, str):
        raise CheckpointError(
            path, "safetensors file has no forensic_viewer metadata (not a checkpoint of ours)"
        )
    meta = CheckpointMeta.from_json(text, path)
    check_meta(meta, path)
    return meta


def _read_safetensors_header(path: Path) -> dict[str, Any]:
    try:
        with open_regular(path) as f:
            return _header_of(f, path)
    except OSError as e:
        raise unreadable(e, path) from e


def _header_of(f: BinaryIO, path: Path) -> dict[str, Any]:
    """The JSON header of the safetensors file open as ``f``, read from its start; the file's
    position is left after the header."""
    f.seek(0)
    size = os.fstat(f.fileno()).st_size
    raw = f.read(8)
    if len(raw) < 8:
        raise CheckpointError(path, "file is too short to be a safetensors checkpoint")
    n = int.from_bytes(raw, "little")
    if n <= 0 or n > min(size - 8, 100 << 20):
        raise CheckpointError(path, "not a safetensors file (bad header length)")
    try:
        header = json.loads(f.read(n))
    except (ValueError, UnicodeDecodeError) as e:
        raise CheckpointError(path, "not a safetensors file (header is not JSON)") from e
    if not isinstance(header, dict):
        raise CheckpointError(path, "not a safetensors file (header is not JSON)")
    return header


def unreadable(e: OSError, path: Path) -> CheckpointError:
    """The one-line error of a checkpoint file that cannot be read (a pipe or device named
    like one included), as the loader and a Ray scan's shipping of checkpoints word it."""
    return CheckpointError(
        path, not_regular_reason(e) or f"cannot read the file ({e.strerror or e})"
    )


def _file_bytes(f: BinaryIO, path: Path, expected: int | None = None) -> bytes:
    """All the bytes of the file open as ``f``, read through that descriptor (never by the
    file's name again: a file swapped for a pipe or a device since it was checked would be
    waited on or read without end). ``expected``: the size its header declares; a file of
    another size is refused before it is read."""
    size = os.fstat(f.fileno()).st_size
    if expected is not None and size != expected:
        raise CheckpointError(
            path,
            f"damaged safetensors file (its header describes {expected:,} bytes, the file "
            f"holds {size:,})",
        )
    f.seek(0)
    data = f.read(size)
    if len(data) != size:
        raise CheckpointError(path, "damaged safetensors file (it shrank while it was read)")
    return data


def read_safetensors(path: str | Path) -> dict[str, torch.Tensor]:
    """The tensors of the ``.safetensors`` file ``path`` on the CPU, read from one descriptor
    opened by :func:`engine.files.open_regular` (safetensors' own ``load_file`` opens the file
    by its name, so a pipe put there would make it wait). For files already known to be ours
    (the trainer's copies and initialisations); :func:`load_checkpoint` checks first. A file
    of another size than its header describes (cut short in a copy) is refused in the words
    :func:`load_checkpoint` uses, not in safetensors' ("incomplete metadata")."""
    path = Path(path)
    try:
        with open_regular(path) as f:
            end = _declared_end(_header_of(f, path))
            data = _file_bytes(f, path, None if end is None else f.tell() + end)
    except OSError as e:
        raise unreadable(e, path) from e
    return _tensors_of(data, path)


def _declared_end(header: dict[str, Any]) -> int | None:
    """Where the tensor data end, after the header, by the header's ``data_offsets`` (None when
    they cannot be read: safetensors' own reader then says what is wrong)."""
    offsets = [entry.get("data_offsets") if isinstance(entry, dict) else None
               for name, entry in header.items() if name != "__metadata__"]  # fmt: skip
    if not all(isinstance(o, list) and len(o) == 2 and _is_int(o[1]) for o in offsets):
        return None
    return max((o[1] for o in offsets), default=0)  # type: ignore[index]


def _tensors_of(data: bytes, path: Path) -> dict[str, torch.Tensor]:
    try:
        return load_safetensors_bytes(data)
    except (SafetensorError, ValueError) as e:
        raise CheckpointError(path, f"damaged safetensors file ({e})") from e


def load_checkpoint(
    path: str | Path,
    *,
    architecture: str | None = None,
    device: str | torch.device = "cpu",
) -> LoadedModel:
    """Rebuild the network stored in ``path`` and load its weights, all or nothing, after the
    checks of the module docstring.

    ``.safetensors`` files describe themselves. A plain state dict (``.pt``/``.pth``) is read
    with ``weights_only=True`` and needs ``architecture``; its default config and input policy
    are used and its θ is the default, marked uncalibrated in its provenance.
    Raises :class:`CheckpointError` with a one-line reason for anything that does not fit.
    """
    path = Path(path)
    if not path.exists():
        raise CheckpointError(path, "no such checkpoint file")
    if suffix_is(path, ".safetensors"):
        # One descriptor (open_regular: a pipe ends here) for the header, the checks, the
        # weights and the hash, so the file checked is the file loaded and the one hashed.
        try:
            with open_regular(path) as f:
                header = _header_of(f, path)
                header_end = f.tell()
                meta = _meta_of(header, path)
                if architecture is not None and architecture != meta.architecture:
                    raise CheckpointError(
                        path, f"checkpoint is a '{meta.architecture}' model, not '{architecture}'"
                    )
                stored = _header_tensors(header, path)
                blueprint = check_size(meta, path)
                _check_tensors(blueprint.tensors, stored, path)
                check_activation(meta, path)
                data = _file_bytes(f, path, header_end + _data_bytes(stored))
        except OSError as e:
            raise unreadable(e, path) from e
        state = _tensors_of(data, path)
        sha256 = hashlib.sha256(data).hexdigest()
        del data
        if warning := version_warning(meta, path):
            log.warning("%s", warning)
    else:
        if architecture is None:
            raise _not_self_describing(path)
        state = _plain_state_dict(load_torch_file(path, "state dict file"), path)
        meta = CheckpointMeta(
            architecture=architecture,
            config=config_to_dict(_spec_defaults(architecture, path)),
            decision=DecisionRule(
                provenance="default θ, not calibrated: a plain state dict loaded with the "
                "default config and input policy of its architecture"
            ),
            name=path.stem,
        )
        check_meta(meta, path)
        blueprint = check_size(meta, path)
        _check_tensors(
            blueprint.tensors,
            {
                k: (_DTYPE_NAMES.get(v.dtype, str(v.dtype)), tuple(v.shape))
                for k, v in state.items()
            },
            path,
        )
        check_activation(meta, path)
        sha256 = file_sha256(path)
    model = build_model(meta, path)
    _load_state(model, state, path)
    model.eval().to(device)
    return LoadedModel(model=model, meta=meta, path=path, sha256=sha256)


def version_warning(meta: CheckpointMeta, path: Path | None) -> str | None:
    """One line when the architecture code that trained ``meta``'s checkpoint
    (``architecture_version``) is another version than this program's (``ModelSpec.version``):
    a change that keeps tensor names and shapes loads every old checkpoint silently and
    changes its maps. None when they agree, or the header records none (older files)."""
    ours = get_spec(meta.architecture).version
    if not meta.architecture_version or meta.architecture_version == ours:
        return None
    return (
        f"{path or meta.name}: trained with version {meta.architecture_version} of the "
        f"'{meta.architecture}' code, this program has version {ours}: its maps may differ "
        "from those its θ was chosen on (forensic-train calibrate chooses θ again on this "
        "version's maps and records the version, which clears this warning)"
    )


def code_versions(meta: CheckpointMeta) -> dict[str, str] | None:
    """``{"checkpoint", "program"}``: the version of the architecture's code ``meta``
    records and this program's, when they differ (:func:`version_warning`); None when they
    agree or the header records none. A result keeps it (``ModelResult.code_versions``)."""
    ours = get_spec(meta.architecture).version
    if not meta.architecture_version or meta.architecture_version == ours:
        return None
    return {"checkpoint": meta.architecture_version, "program": ours}


def version_noted(reliability: str, versions: dict[str, str] | None) -> str:
    """A result's ``reliability`` sentence with the caveat of :func:`code_versions`
    ``versions`` (``engine.calibration.with_caveat``), so that a report says it; as it is
    when the versions agree or it has no sentence."""
    if not reliability or not versions:
        return reliability
    return with_caveat(
        reliability,
        f". These figures were measured with version {versions['checkpoint']} of the "
        f"network's code; this result was made with version {versions['program']}, whose "
        "maps may differ",
    )


def _not_self_describing(path: Path) -> CheckpointError:
    """Why ``path``, no ``.safetensors`` file and given without an architecture, is not loaded,
    said by what it is: every such file was called "a plain state dict", an ensemble file or a
    text file too (a researcher's ``forensic-train eval --model X.ensemble.json``; ``eval``
    says more of an ensemble file, which this module cannot name: engine.ensemble imports it)."""
    if path.suffix.lower() in (".pt", ".pth"):
        return CheckpointError(
            path,
            "a plain state dict does not say its architecture, input policy or calibrated "
            "threshold; analyse with a .safetensors checkpoint written by forensic-train",
        )
    what = "a folder" if path.is_dir() else f"a '{path.suffix or path.name}' file"
    return CheckpointError(
        path,
        f"{what}, not a checkpoint: one .safetensors checkpoint written by forensic-train "
        "is needed here",
    )


def _plain_state_dict(obj: Any, path: Path) -> dict[str, torch.Tensor]:
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items()
    ):
        raise CheckpointError(path, "the file is not a state dict of named tensors")
    return obj


def _spec_defaults(name: str, path: Path) -> Any:
    try:
        return get_spec(name).defaults
    except KeyError as e:
        raise CheckpointError(path, str(e.args[0])) from e


def _load_state(model: nn.Module, state: dict[str, torch.Tensor], path: Path) -> None:
    expected = model.state_dict()
    problem = state_mismatch(expected, state)
    if problem:
        raise CheckpointError(path, f"weights do not fit the architecture: {problem}")
    for k, v in state.items():
        if v.is_floating_point() and not torch.isfinite(v).all():
            raise CheckpointError(path, f"tensor '{k}' holds NaN or infinite values")
    fixed = {k: v.to(expected[k].dtype) if v.is_floating_point() else v for k, v in state.items()}
    model.load_state_dict(fixed, strict=True)
