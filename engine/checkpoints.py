"""One-file checkpoints: ``.safetensors`` with a self-describing JSON header.

A checkpoint holds the weights and, in the safetensors metadata under the key
``"forensic_viewer"``, a JSON object (:class:`CheckpointMeta`) with everything needed to rebuild
and use the network from the file alone: the registered architecture and its full config, the
input policy (window and stride, or whole-image resize), the decision rule with its threshold
and where the threshold came from, a training summary, measured metrics and the format version.

Loading never executes code. Safetensors cannot carry code; a plain PyTorch state dict
(``.pt``/``.pth``) is read only through ``torch.load(weights_only=True)``, with no fallback, and
then needs the architecture named by the caller. Every tensor is checked for NaN/inf, and the
state dict must fit the architecture exactly (no missing or unexpected keys, no shape
mismatches); a model is returned only when all of it loaded.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pickle
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from engine.errors import CheckpointError
from engine.files import AtomicFile
from engine.models.layers import state_mismatch
from engine.models.registry import config_from_dict, config_to_dict, create_model, get_spec

FORMAT_VERSION = 1
META_KEY = "forensic_viewer"


@dataclass
class InputPolicy:
    """How whole images are fed to the network.

    mode: ``"window"`` (sliding windows fused as CRFD-Net §3.3) or ``"resize"`` (the whole image
        resized so that it fits ``size`` = (long side, short side), aspect kept; the heatmap is
        resized back).
    window, stride: sliding-window size P and step S in pixels (mode "window").
    gaussian: weight each window's prediction with a Gaussian centred on it during fusion.
    size: (long, short) bound for mode "resize".
    """

    mode: str = "window"
    window: int = 128
    stride: int = 64
    gaussian: bool = False
    size: tuple[int, int] = (2048, 512)


@dataclass
class DecisionRule:
    """Image-level decision.

    rule: ``"forged_fraction"`` (CRFD-Net §3.4: manipulated when the forged fraction p > θ) or
        ``"logit"`` (manipulated when sigmoid(image logit) > θ).
    threshold: θ.
    pixel_threshold: heatmap threshold that makes the mask.
    provenance: where θ came from, in words (shown to the analyst with every verdict).
    details: the figures behind θ (e.g. p_real_max, p_fake_min, data set, split, date).
    """

    rule: str = "forged_fraction"
    threshold: float = 0.5
    pixel_threshold: float = 0.5
    provenance: str = "default, not calibrated"
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class CheckpointMeta:
    """Everything but the weights. Serialised as JSON into the safetensors header."""

    architecture: str
    config: dict[str, Any]
    input_policy: InputPolicy = field(default_factory=InputPolicy)
    decision: DecisionRule = field(default_factory=DecisionRule)
    name: str = ""
    training: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION
    created: str = ""

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str, path: str | Path | None = None) -> CheckpointMeta:
        try:
            data = json.loads(text)
            version = int(data.get("format_version", -1))
            if version > FORMAT_VERSION:
                raise CheckpointError(
                    path,
                    f"checkpoint format version {version} is newer than this program "
                    f"understands ({FORMAT_VERSION}); update the viewer",
                )
            policy = data.get("input_policy") or {}
            if "size" in policy:
                policy["size"] = tuple(policy["size"])
            return cls(
                architecture=str(data["architecture"]),
                config=dict(data["config"]),
                input_policy=InputPolicy(**policy),
                decision=DecisionRule(**(data.get("decision") or {})),
                name=str(data.get("name", "")),
                training=dict(data.get("training") or {}),
                metrics=dict(data.get("metrics") or {}),
                format_version=version,
                created=str(data.get("created", "")),
            )
        except CheckpointError:
            raise
        except (ValueError, KeyError, TypeError) as e:
            raise CheckpointError(path, f"checkpoint metadata is malformed ({e})") from e


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


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
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
    if path.suffix != ".safetensors":
        raise ValueError(f"checkpoint files end in .safetensors, got {path.name}")
    if not meta.created:
        meta.created = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    tensors = {}
    for k, v in model.state_dict().items():
        v = v.detach().cpu().contiguous()
        if half and v.is_floating_point():
            v = v.half()
        tensors[k] = v.clone()  # safetensors refuses shared storage
    with AtomicFile(path, mode=None) as out:
        save_file(tensors, str(out.tmp), metadata={META_KEY: meta.to_json()})
    return path


def read_meta(path: str | Path) -> CheckpointMeta:
    """Read only the JSON header of a safetensors checkpoint (no tensors)."""
    path = Path(path)
    header = _read_safetensors_header(path)
    text = (header.get("__metadata__") or {}).get(META_KEY)
    if text is None:
        raise CheckpointError(
            path, "safetensors file has no forensic_viewer metadata (not a checkpoint of ours)"
        )
    return CheckpointMeta.from_json(text, path)


def _read_safetensors_header(path: Path) -> dict[str, Any]:
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            raw = f.read(8)
            if len(raw) < 8:
                raise CheckpointError(path, "file is too short to be a safetensors checkpoint")
            n = int.from_bytes(raw, "little")
            if n <= 0 or n > min(size - 8, 100 << 20):
                raise CheckpointError(path, "not a safetensors file (bad header length)")
            return json.loads(f.read(n))
    except OSError as e:
        raise CheckpointError(path, f"cannot read the file ({e.strerror or e})") from e
    except (ValueError, UnicodeDecodeError) as e:
        raise CheckpointError(path, "not a safetensors file (header is not JSON)") from e


def load_checkpoint(
    path: str | Path,
    *,
    architecture: str | None = None,
    device: str | torch.device = "cpu",
) -> LoadedModel:
    """Rebuild the network stored in ``path`` and load its weights, all or nothing.

    ``.safetensors`` files describe themselves. A plain state dict (``.pt``/``.pth``) is read
    with ``weights_only=True`` and needs ``architecture`` (its default config is used).
    Raises :class:`CheckpointError` with a one-line reason for anything that does not fit.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "no such checkpoint file")
    if path.suffix == ".safetensors":
        meta = read_meta(path)
        try:
            state = load_file(str(path), device="cpu")
        except (SafetensorError, OSError, ValueError) as e:
            raise CheckpointError(path, f"damaged safetensors file ({e})") from e
    else:
        if architecture is None:
            raise CheckpointError(
                path, "a plain state dict does not say its architecture; pass --arch NAME"
            )
        try:
            state = torch.load(str(path), map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as e:
            raise CheckpointError(
                path, "refused: the file holds objects other than tensors (it could run code)"
            ) from e
        except (RuntimeError, EOFError, OSError, ValueError) as e:
            raise CheckpointError(path, f"not a readable PyTorch state dict ({e})") from e
        if (
            isinstance(state, dict)
            and "state_dict" in state
            and isinstance(state["state_dict"], dict)
        ):
            state = state["state_dict"]
        if not isinstance(state, dict) or not all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
        ):
            raise CheckpointError(path, "the file is not a state dict of named tensors")
        spec_name = architecture
        meta = CheckpointMeta(
            architecture=spec_name,
            config=config_to_dict(_spec_defaults(spec_name, path)),
            name=path.stem,
        )
    if architecture is not None and architecture != meta.architecture:
        raise CheckpointError(
            path, f"checkpoint is a '{meta.architecture}' model, not '{architecture}'"
        )
    model = build_model(meta, path)
    _load_state(model, state, path)
    model.eval().to(device)
    return LoadedModel(model=model, meta=meta, path=path, sha256=file_sha256(path))


def _spec_defaults(name: str, path: Path) -> Any:
    try:
        return get_spec(name).defaults
    except KeyError as e:
        raise CheckpointError(path, str(e.args[0])) from e


INIT_WEIGHT_SUFFIX = "_weights"


def build_model(meta: CheckpointMeta, path: str | Path | None = None) -> nn.Module:
    """An untrained network with the architecture and config of ``meta``.

    Config fields named ``*_weights`` (``backbone_weights``, ``encoder_weights``) point at files
    that *initialise* a part of the network before training. The checkpoint's own tensors
    replace them, so they are not opened here: a checkpoint rebuilt on another machine must not
    depend on a file that only existed where it was trained.
    """
    try:
        config = config_from_dict(meta.architecture, meta.config)
        fields = {
            f.name: None if f.name.endswith(INIT_WEIGHT_SUFFIX) else getattr(config, f.name)
            for f in dataclasses.fields(config)
        }
        return create_model(meta.architecture, **fields)
    except KeyError as e:
        raise CheckpointError(path, str(e.args[0])) from e
    except (ValueError, TypeError) as e:
        raise CheckpointError(path, f"config does not fit '{meta.architecture}' ({e})") from e


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
