"""String registry of architectures.

Every architecture file registers one or more *variants* with :func:`register_model`. A variant
is a name bound to a builder and a config dataclass with the variant's defaults; keyword
arguments given to :func:`create_model` override fields of that dataclass. The registry is what
checkpoints refer to: a checkpoint stores the variant name and the full config as JSON, and
:func:`create_model` rebuilds the exact network from the two.

A config read from a checkpoint is untrusted: a header of a few kilobytes can ask for layers of
200,000 channels. So every config dataclass declares the bounds of each numeric field in a
``LIMITS`` class variable (``{"channels": (1, 4096), "mlp_ratio": (0.25, 16.0)}``, inclusive;
the annotation says whether a field holds integers), registration refuses a config class with a
numeric field that has none, and :meth:`ModelSpec.make_config` checks every config it makes (types, tuple lengths,
finiteness, bounds) before any builder runs. The bounds are wide enough for every published
size of the architecture; what they cannot see (the product of widths and depths) is bounded
by the parameter count that :mod:`engine.checkpoints` measures (:mod:`engine.sizing`).

**What a variant declares besides its network**, read by the rest of the program from the
registry and never from the name (``m2f-tiny-fcn`` is not a Mask2Former because of its prefix):

- ``family``: the training family, the key of the trainer's objective table
  (``trainer/families.py``: the objective, a pre-training stage, the proposed batch size), or
  None for an architecture that cannot be trained here (``forensic-train fit`` refuses it in
  one line and the training dialog does not offer it). Every registration says it, None
  included, so that "no objective" is a choice and not a forgotten line. A registration
  without it (an architecture file written before families were declared, 2026-12-06) still
  registers, as family None, with one warning naming its file, so that one such file does not
  stop every program that imports the registry. The engine does not
  know the trainer's families (it imports no trainer); the registry-driven test
  ``tests/trainer/test_every_architecture.py`` checks that each declared family has one.
- ``tiling``: how the fast path may tile the network (:data:`TILINGS`, the rules and their
  reasons in :mod:`engine.fastpath`), or None: the exact path's sliding windows only.

The tiling is its own declaration rather than a property of the family because the two answer
different questions: the family says what the network is trained for (its outputs and loss),
the tiling what it computes over its whole input (global pooling, normalisation or attention,
the reach of its receptive field). A new fully convolutional network with an objective of its
own can take the ``"convolutional"`` tiles without being trained as CRFD-Net, and a variant of
a family with a global op the family's rule does not allow for can keep the exact path.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import numbers
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Union

from torch import nn

Limits = dict[str, tuple[float, float]]  # field name -> (lowest, highest) value, inclusive
MAX_TUPLE_LENGTH = 8  # a variable-length tuple field (e.g. Swin depths) holds at most this many
# The fast path's tilings a variant may declare (engine.fastpath.plan_for): "convolutional",
# tiles larger than the window with a thin margin (fully convolutional apart from documented
# global ops, receptive field within reach of the margin); "window", tiles that are the
# checkpoint's window with less overlap (global ops over the whole input).
TILINGS = ("convolutional", "window")

log = logging.getLogger(__name__)


class _Undeclared:
    """The type of :data:`UNDECLARED`, ``register_model``'s ``family`` when not given."""

    def __repr__(self) -> str:
        return "UNDECLARED"


UNDECLARED = _Undeclared()
_WARNED_SOURCES: set[str] = set()  # the files already warned of an undeclared family


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
    family: the training family (module docstring), None when it cannot be trained here.
    tiling: the fast path's tiling (:data:`TILINGS`), None for the exact path only.
    version: the implementation's version, raised when a change to the code changes what
        the same weights compute (an activation, an interpolation mode) while the tensor names
        and shapes stay; new checkpoints record it, and loading one that records another
        warns (:func:`engine.checkpoints.load_checkpoint`).
    """

    name: str
    config_cls: type
    defaults: Any
    builder: Callable[[Any], nn.Module]
    outputs: str = "mask"
    input_policy: str = "window"
    description: str = ""
    family: str | None = None
    tiling: str | None = None
    version: str = "1"

    @property
    def source(self) -> str:
        """The file that registers this variant, e.g. ``engine/models/crfd_net.py``."""
        return self.builder.__module__.replace(".", "/") + ".py"

    def make_config(self, **overrides: Any) -> Any:
        fields = {f.name for f in dataclasses.fields(self.config_cls)}
        unknown = sorted(set(overrides) - fields)
        if unknown:
            raise ValueError(
                f"unknown config field(s) {unknown} for model '{self.name}'; "
                f"valid fields: {sorted(fields)}"
            )
        config = dataclasses.replace(self.defaults, **overrides)
        check_config(self.name, config)
        return config


_REGISTRY: dict[str, ModelSpec] = {}


def register_model(
    name: str,
    config: Any,
    *,
    family: str | _Undeclared | None = UNDECLARED,
    tiling: str | None = None,
    outputs: str = "mask",
    input_policy: str = "window",
    description: str = "",
    version: str = "1",
) -> Callable[[Callable[[Any], nn.Module]], Callable[[Any], nn.Module]]:
    """Decorator: register ``builder(config) -> nn.Module`` under ``name`` with default ``config``.

    ``family`` (to be given, None allowed) and ``tiling`` are the declarations of the module
    docstring; ``family`` not given registers family None with one warning per file.
    """
    if (
        family is not None
        and family is not UNDECLARED
        and (not isinstance(family, str) or not family.strip())
    ):
        raise ValueError(f"family of model '{name}' must be a name or None, got {family!r}")
    if tiling is not None and tiling not in TILINGS:
        raise ValueError(
            f"tiling of model '{name}' must be one of {', '.join(TILINGS)} or None, got {tiling!r}"
        )
    if outputs not in ("mask", "mask+image"):
        raise ValueError(f"outputs must be 'mask' or 'mask+image', got {outputs!r}")
    if input_policy not in ("window", "resize"):
        raise ValueError(f"input_policy must be 'window' or 'resize', got {input_policy!r}")
    if not dataclasses.is_dataclass(config):
        raise TypeError(f"config of model '{name}' must be a dataclass instance")
    unbounded = [
        f for f, kind in _field_kinds(type(config)).items() if kind.numeric and not kind.limits
    ]
    if unbounded:
        raise TypeError(f"config of model '{name}' has numeric fields without LIMITS: {unbounded}")
    check_config(name, config)  # the defaults themselves must lie within the bounds

    def wrap(builder: Callable[[Any], nn.Module]) -> Callable[[Any], nn.Module]:
        if name in _REGISTRY:
            raise ValueError(f"model '{name}' is already registered")
        declared = family
        if isinstance(declared, _Undeclared):
            _warn_undeclared(name, builder)
            declared = None
        _REGISTRY[name] = ModelSpec(
            name=name,
            config_cls=type(config),
            defaults=config,
            builder=builder,
            outputs=outputs,
            input_policy=input_policy,
            description=description,
            family=declared,
            tiling=tiling,
            version=version,
        )
        return builder

    return wrap


def _warn_undeclared(name: str, builder: Callable[..., Any]) -> None:
    """One warning for the file of ``builder``, registered as ``name`` without ``family=``."""
    source = builder.__module__.replace(".", "/") + ".py"
    if source in _WARNED_SOURCES:
        return
    _WARNED_SOURCES.add(source)
    log.warning(
        "%s: register_model('%s', ...) declares no family=, so it is read as family=None "
        "(analysed, not trained by forensic-train); add family=... to its registration "
        "(docs/TRAINING.md, 'A new architecture')",
        source,
        name,
    )


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


# --------------------------------------------------------------------------- config bounds


@dataclass(frozen=True)
class _Kind:
    """What a config field may hold, from its annotation and the class's ``LIMITS``."""

    base: type  # int, float, bool or str (of the scalar, or of each tuple element)
    optional: bool  # None is allowed
    length: int | None  # tuple fields: the fixed length, or 0 for ``tuple[X, ...]``; else None
    limits: tuple[float, float] | None

    @property
    def numeric(self) -> bool:
        return self.base in (int, float)


@functools.cache
def _field_kinds(config_cls: type) -> dict[str, _Kind]:
    hints = typing.get_type_hints(config_cls)
    limits: Limits = getattr(config_cls, "LIMITS", {})
    kinds = {}
    for f in dataclasses.fields(config_cls):
        tp, optional, length = hints[f.name], False, None
        if typing.get_origin(tp) in (Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            optional = len(args) < len(typing.get_args(tp))
            tp = args[0] if len(args) == 1 else Any
        if typing.get_origin(tp) is tuple:
            args = typing.get_args(tp)
            length = 0 if len(args) == 2 and args[1] is Ellipsis else len(args)
            tp = args[0]
        base = tp if tp in (int, float, bool, str) else object
        kinds[f.name] = _Kind(base, optional, length, limits.get(f.name))
    return kinds


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_scalar(value: Any, kind: _Kind) -> str | None:
    """Why ``value`` does not fit ``kind`` (one scalar or tuple element), or None."""
    if kind.base is object:
        return None
    if kind.base is bool or kind.base is str:
        return None if type(value) is kind.base else f"must be a {kind.base.__name__}"
    allowed = numbers.Integral if kind.base is int else numbers.Real
    if isinstance(value, bool) or not isinstance(value, allowed):
        return "must be an integer" if kind.base is int else "must be a number"
    if not math.isfinite(value):
        return "must be finite"
    lo, hi = kind.limits or (-math.inf, math.inf)
    if not lo <= value <= hi:
        return f"must lie in [{lo:g}, {hi:g}]"
    return None


def check_config(name: str, config: Any) -> None:
    """Refuse a config of model ``name`` with a field of the wrong type, a tuple of the wrong
    length, or a number that is not finite or lies outside the field's ``LIMITS``.

    Raises ValueError naming the field, its value and what it must be.
    """
    for field_name, kind in _field_kinds(type(config)).items():
        value = getattr(config, field_name)
        if value is None:
            if kind.optional:
                continue
            why: str | None = "must not be None"
        elif kind.length is not None:
            if not isinstance(value, tuple | list):
                why = "must be a list"
            elif kind.length and len(value) != kind.length:
                why = f"must hold {kind.length} values"
            elif not kind.length and not 1 <= len(value) <= MAX_TUPLE_LENGTH:
                why = f"must hold 1 to {MAX_TUPLE_LENGTH} values"
            else:
                why = next(filter(None, (_check_scalar(v, kind) for v in value)), None)
        else:
            why = _check_scalar(value, kind)
        if why is not None:
            raise ValueError(
                f"config field '{field_name}' of model '{name}' {why}, got {_short(value)}"
            )
