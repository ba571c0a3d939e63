"""String registry of architectures.

Every architecture file registers one or more *variants* with :func:`register_model`. A variant
is a name bound to a builder and a config dataclass with the variant's defaults; keyword
arguments given to :func:`create_model` override fields of that dataclass. The registry is what
checkpoints refer to: a checkpoint stores the variant name and the full config as JSON, and
:func:`create_model` rebuilds the exact network from the two.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import nn


@dataclass(frozen=True)
class ModelSpec:
    """One registered variant.

    name: registry key, e.g. ``"crfd-net-compact"``.
    config_cls: dataclass type holding every constructor argument of the network.
    defaults: the variant's config (an instance of ``config_cls``).
    builder: ``builder(config) -> nn.Module``.
    outputs: what ``forward`` returns: ``"mask"`` (mask logits only) or ``"mask+image"``
        (a dict with ``"mask"`` [B, 1, H, W] and ``"image"`` [B] logits).
    input_policy: how the pipeline feeds whole images: ``"window"`` (sliding window) or
        ``"resize"`` (whole image resized to a base scale).
    description: one line for ``forensic-viewer models``.
    """

    name: str
    config_cls: type
    defaults: Any
    builder: Callable[[Any], nn.Module]
    outputs: str = "mask"
    input_policy: str = "window"
    description: str = ""

    def make_config(self, **overrides: Any) -> Any:
        fields = {f.name for f in dataclasses.fields(self.config_cls)}
        unknown = sorted(set(overrides) - fields)
        if unknown:
            raise ValueError(
                f"unknown config field(s) {unknown} for model '{self.name}'; "
                f"valid fields: {sorted(fields)}"
            )
        return dataclasses.replace(self.defaults, **overrides)


_REGISTRY: dict[str, ModelSpec] = {}


def register_model(
    name: str,
    config: Any,
    *,
    outputs: str = "mask",
    input_policy: str = "window",
    description: str = "",
) -> Callable[[Callable[[Any], nn.Module]], Callable[[Any], nn.Module]]:
    """Decorator: register ``builder(config) -> nn.Module`` under ``name`` with default ``config``."""
    if outputs not in ("mask", "mask+image"):
        raise ValueError(f"outputs must be 'mask' or 'mask+image', got {outputs!r}")
    if input_policy not in ("window", "resize"):
        raise ValueError(f"input_policy must be 'window' or 'resize', got {input_policy!r}")
    if not dataclasses.is_dataclass(config):
        raise TypeError(f"config of model '{name}' must be a dataclass instance")

    def wrap(builder: Callable[[Any], nn.Module]) -> Callable[[Any], nn.Module]:
        if name in _REGISTRY:
            raise ValueError(f"model '{name}' is already registered")
        _REGISTRY[name] = ModelSpec(
            name=name,
            config_cls=type(config),
            defaults=config,
            builder=builder,
            outputs=outputs,
            input_policy=input_policy,
            description=description,
        )
        return builder

    return wrap


def _ensure_loaded() -> None:
    # Importing the package registers every architecture file listed in engine/models/__init__.py.
    import engine.models  # noqa: F401


def list_models() -> list[str]:
    """Names of every registered variant, sorted."""
    _ensure_loaded()
    return sorted(_REGISTRY)


def get_spec(name: str) -> ModelSpec:
    """The :class:`ModelSpec` of ``name``; a ``KeyError`` names the valid choices."""
    _ensure_loaded()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(
            f"unknown model '{name}'; registered models: {', '.join(sorted(_REGISTRY))}"
        ) from None


def create_model(name: str, **config: Any) -> nn.Module:
    """Build the variant ``name`` with its default config, overridden by ``config``."""
    spec = get_spec(name)
    return spec.builder(spec.make_config(**config))


def config_to_dict(config: Any) -> dict[str, Any]:
    """A JSON-safe dict of a config dataclass (tuples become lists)."""
    return dataclasses.asdict(config)


def config_from_dict(name: str, data: dict[str, Any]) -> Any:
    """Rebuild the config dataclass of ``name`` from :func:`config_to_dict` output."""
    spec = get_spec(name)
    fields = {f.name: f for f in dataclasses.fields(spec.config_cls)}
    clean: dict[str, Any] = {}
    for key, value in data.items():
        if key not in fields:
            raise ValueError(f"config field '{key}' is not known to model '{name}'")
        default = getattr(spec.defaults, key)
        clean[key] = (
            tuple(value) if isinstance(default, tuple) and isinstance(value, list) else value
        )
    return spec.make_config(**clean)
