"""The checkpoint header: what a checkpoint says about itself, and step 1 of its checks.

:class:`CheckpointMeta` is the JSON object a ``.safetensors`` checkpoint stores in its metadata
under :data:`META_KEY`: the registered architecture and its full config, the input policy
(:class:`InputPolicy`: window and stride, or whole-image resize), the decision rule
(:class:`DecisionRule`) with its threshold and where the threshold came from, a training
summary, measured metrics, the scope and the format version.

:func:`check_meta` is step 1 of the checks :mod:`engine.checkpoints` runs before anything is
built or read beyond the header: an architecture built into this program (else
:func:`not_built_in`: the header was read, the code is missing), every config field of the
right type, finite and within the bounds its config class declares (``LIMITS``, see
:mod:`engine.models.registry`); an input policy with a window of :data:`MIN_WINDOW` to :data:`MAX_WINDOW` pixels and a stride of at
least an eighth of it (:data:`MIN_STRIDE_DIVISOR`) and at most the window, resize sides of
:data:`MIN_WINDOW` to :data:`MAX_RESIZE_SIDE` (:func:`policy_problem`); a known decision rule
whose θ and pixel threshold are finite and in [0, 1] (:func:`decision_problem`); a known scope.
It builds nothing, so a model list checks every header it shows.

Non-finite numbers in the informational parts of the header (training summary, metrics, the
details behind θ) mean "not measured" and are read and written as ``null``, so that nothing
taken from a header puts NaN into a JSON file.

The header is a format with a version (``format_version``, :data:`FORMAT_VERSION`), raised
whenever a field is added, so that an older program reading a newer file says "update the
viewer" rather than "malformed":

- 1 (2026-11-22): ``architecture``, ``config``, ``input_policy`` (mode, window, stride,
  gaussian, size), ``decision`` (rule, threshold, pixel_threshold, provenance, details),
  ``name``, ``training``, ``metrics``, ``created``. The fields of version 2 but
  ``architecture_version`` were added from 2026-12-01 without raising it, so a file of
  version 1 may hold any of them. The bundled checkpoints are version 1 (their bytes are
  what their cards measured): all hold ``aggregate``, ``calibration`` and ``scope``; the two
  ``m2f-`` ones have no ``mirror`` or ``detect_side``.
- 2: version 1 and ``decision.aggregate``, ``decision.calibration``,
  ``decision.detect_side``, ``input_policy.mirror``, ``scope`` and ``architecture_version``
  (the architecture's implementation version, :class:`engine.models.registry.ModelSpec`:
  ``fit`` records the code that trained the weights, ``calibrate`` the code whose maps it
  chose θ on, keeping the trainer's in ``training["trained_with_architecture_version"]``;
  ``verdict`` and ``average`` keep the header's). A version-2 file with it "" (or null) was
  re-written by ``verdict`` or ``average`` from a header that recorded none.
  The writer (:func:`engine.checkpoints.safetensors_bytes`) writes every field, as version 2.

A field this program does not know (at the top, in ``input_policy`` or in ``decision``) is
refused as written by a newer version, naming it: passing it on would fail in Python's words.
What a checkpoint cannot run correctly without is required (:data:`REQUIRED`): the format
version, architecture and config, the input policy's mode, window, stride and gaussian (and
size for mode "resize"), the decision's rule, θ and pixel threshold; every checkpoint
forensic-train has written holds them, the bundled ones too. A missing one is refused
naming it. The fields added since version 1 keep their defaults when absent, each what the
programs did before it existed (no mirror, the ``max`` aggregate, no calibration, the
full-resolution detection, scope ``image``, no architecture version), as do ``name``,
``training``, ``metrics``, ``created`` and the decision's ``provenance`` and ``details``.

Reading and writing the file: :mod:`engine.checkpoints`; the network a header describes and
steps 2 to 4 of the checks: :mod:`engine.checkpoint_network`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import numbers
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.decision import AGGREGATES, RULES
from engine.errors import CheckpointError
from engine.formatting import finite_or_null
from engine.models.registry import config_from_dict, list_models

FORMAT_VERSION = 2  # what each version holds: the module docstring
# The fields a header must hold, by part ("" the top level); "size" too in mode "resize".
REQUIRED = {
    "": ("format_version", "architecture", "config", "input_policy", "decision"),
    "input_policy": ("mode", "window", "stride", "gaussian"),
    "decision": ("rule", "threshold", "pixel_threshold"),
}
# What a checkpoint analyses: "image" (whole images, the default) or "faces" (a face model:
# run only on the face crops of the face path, engine.facepath; it has no whole-image result).
SCOPES = ("image", "faces")
META_KEY = "forensic_viewer"

MIN_WINDOW = 16  # smallest window and resize side (the trainer's smallest --window)
MAX_WINDOW = 4096  # largest sliding window (16 times the bundled models' 256)
MIN_STRIDE_DIVISOR = 8  # stride >= window / 8: at most 64 windows cover each pixel
MAX_RESIZE_SIDE = 8192  # largest side an image is resized to (mode "resize")


@dataclass
class InputPolicy:
    """How whole images are fed to the network.

    mode: ``"window"`` (sliding windows fused as CRFD-Net §3.3) or ``"resize"`` (the whole image
        resized so that it fits ``size`` = (long side, short side), aspect kept; the heatmap is
        resized back).
    window, stride: sliding-window size P and step S in pixels (mode "window").
    gaussian: weight each window's prediction with a Gaussian centred on it during fusion.
    size: (long, short) bound for mode "resize".
    mirror: the face path (``engine.facepath.analyse_crop``) also analyses the left-right
        mirrored crop and averages the two logits and heatmaps (the mirrored one flipped back):
        test-time augmentation, chosen on validation for face models by ``forensic-train
        face-model``; whole images are never mirrored. Older checkpoints have False.
    """

    mode: str = "window"
    window: int = 128
    stride: int = 64
    gaussian: bool = False
    size: tuple[int, int] = (2048, 512)
    mirror: bool = False


@dataclass
class DecisionRule:
    """Image-level decision.

    rule: ``"forged_fraction"`` (CRFD-Net §3.4: manipulated when the forged fraction p > θ) or
        ``"logit"`` (manipulated when sigmoid(image logit) > θ).
    threshold: θ.
    pixel_threshold: heatmap threshold that makes the mask.
    provenance: where θ came from, in words (shown to the analyst with every verdict).
    details: the figures behind θ (e.g. p_real_max, p_fake_min, data set, split, date).
    aggregate: how the logit rule's per-window image logits become the image logit when the
        image is larger than one window: ``max`` (the most suspicious window decides; grows
        with the number of windows, so false alarms grow with image size) or ``mean`` (does not
        grow with size; see docs/VERDICTS.md). Older checkpoints have ``max``.
    calibration: a :class:`engine.calibration.Calibration` as a dict (Platt scaling of the
        rule's statistic to a probability, and the measured reliability), or empty.
    detect_side: the logit rule's image logit comes from the image reduced (area
        interpolation) so that its long side is at most this many pixels, in a pass of its
        own beside the full-resolution one that makes the heatmap; 0 (older checkpoints):
        from the full-resolution pass. At native resolution a 256-pixel window of a 12 MP
        photograph sees a splice's boundary in a few of its ~180 windows and the mean drowns
        it; the reduced view sees every photograph at about CASIA's scale, in a handful of
        windows (docs/VERDICTS.md, "Detection at evidence size").
    """

    rule: str = "forged_fraction"
    threshold: float = 0.5
    pixel_threshold: float = 0.5
    provenance: str = "default, not calibrated"
    details: dict[str, Any] = field(default_factory=dict)
    aggregate: str = "max"
    calibration: dict[str, Any] = field(default_factory=dict)
    detect_side: int = 0


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
    scope: str = "image"
    # the version of the architecture's code that trained it (ModelSpec.version); "" when the
    # header does not record it (written before format version 2)
    architecture_version: str = ""

    def to_json(self) -> str:
        data = dataclasses.asdict(self)
        for part in ("training", "metrics"):
            data[part] = finite_or_null(data[part])
        data["decision"]["details"] = finite_or_null(data["decision"]["details"])
        data["decision"]["calibration"] = finite_or_null(data["decision"]["calibration"])
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, path: str | Path | None = None) -> CheckpointMeta:
        """Parse a header (no bounds checked: :func:`check_meta` does that). A header of a
        newer format version, with a field this program does not know or without a required
        one is refused in one line saying so (the module docstring)."""
        try:
            data = json.loads(text)
        except ValueError as e:
            raise CheckpointError(path, f"checkpoint metadata is not JSON ({e})") from e
        problem = header_problem(data)
        if problem:
            raise CheckpointError(path, problem)
        try:
            policy = dict(data["input_policy"])
            if "size" in policy:
                policy["size"] = tuple(policy["size"])
            decision = DecisionRule(**data["decision"])
            decision.details = finite_or_null(dict(decision.details))
            decision.calibration = finite_or_null(dict(decision.calibration))
            return cls(
                architecture=str(data["architecture"]),
                config=dict(data["config"]),
                input_policy=InputPolicy(**policy),
                decision=decision,
                name=str(data.get("name", "")),
                training=finite_or_null(dict(data.get("training") or {})),
                metrics=finite_or_null(dict(data.get("metrics") or {})),
                format_version=data["format_version"],
                created=str(data.get("created", "")),
                scope=str(data.get("scope", "image")),
                architecture_version=str(data.get("architecture_version") or ""),
            )
        except (ValueError, TypeError, AttributeError) as e:
            raise CheckpointError(path, f"checkpoint metadata is malformed ({e})") from e


_PARTS = {"": CheckpointMeta, "input_policy": InputPolicy, "decision": DecisionRule}


def header_problem(data: Any) -> str | None:
    """Why the parsed JSON header ``data`` cannot be read as a :class:`CheckpointMeta` of
    this program's format, in words naming the field, or None: not an object, a format
    version that is not a whole number or is newer than :data:`FORMAT_VERSION`, fields this
    program does not know (written by a newer version), required fields missing
    (:data:`REQUIRED`)."""
    if not isinstance(data, dict):
        return "checkpoint metadata is not a JSON object"
    version = data.get("format_version")
    if "format_version" in data and (not _is_int(version) or version < 1):
        return f"its header's format_version must be a whole number from 1, got {version!r}"
    if _is_int(version) and version > FORMAT_VERSION:
        return (
            f"checkpoint format version {version} is newer than this program understands "
            f"({FORMAT_VERSION}); update the viewer"
        )
    parts = {"": data}
    for part in ("input_policy", "decision"):
        if part in data and not isinstance(data[part], dict):
            return f"its header's '{part}' must be an object, got {data[part]!r:.40}"
        parts[part] = data.get(part) or {}
    unknown = [
        f"{part}.{key}" if part else key
        for part, fields in parts.items()
        for key in sorted(set(fields) - {f.name for f in dataclasses.fields(_PARTS[part])})
    ]
    if unknown:
        return (
            f"its header has fields this program does not know ({', '.join(unknown)}): "
            "written by a newer version of forensic-train; update the viewer"
        )
    required = {part: list(names) for part, names in REQUIRED.items()}
    if parts["input_policy"].get("mode") == "resize":
        required["input_policy"].append("size")
    missing = [
        f"{part}.{key}" if part else key
        for part, names in required.items()
        for key in names
        if key not in parts[part] and not (part and part not in data)
    ]
    if missing:
        said = ", ".join(f"'{m}'" for m in missing)
        them = "it" if len(missing) == 1 else "them"
        return f"its header has no {said} (every checkpoint forensic-train writes has {them})"
    return None


# --------------------------------------------------------------------------- header bounds


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(x)


def _is_int(x: Any) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def policy_problem(policy: InputPolicy) -> str | None:
    """Why ``policy`` is outside the bounds of the module docstring, or None."""
    if policy.mode not in ("window", "resize"):
        return f"input policy mode must be 'window' or 'resize', got {policy.mode!r}"
    w, s = policy.window, policy.stride
    if not _is_int(w) or not MIN_WINDOW <= w <= MAX_WINDOW:
        return f"window must be an integer in [{MIN_WINDOW}, {MAX_WINDOW}], got {w!r}"
    low = -(-w // MIN_STRIDE_DIVISOR)
    if not _is_int(s) or not low <= s <= w:
        return f"stride must be an integer in [{low}, {w}] for window {w}, got {s!r}"
    if not isinstance(policy.gaussian, bool):
        return f"input policy 'gaussian' must be true or false, got {policy.gaussian!r}"
    if not isinstance(policy.mirror, bool):
        return f"input policy 'mirror' must be true or false, got {policy.mirror!r}"
    size = policy.size
    if (
        not isinstance(size, tuple | list)
        or len(size) != 2
        or not all(_is_int(v) and MIN_WINDOW <= v <= MAX_RESIZE_SIDE for v in size)
    ):
        return (
            f"resize size must be two integers in [{MIN_WINDOW}, {MAX_RESIZE_SIDE}], got {size!r}"
        )
    return None


def decision_problem(rule: DecisionRule) -> str | None:
    """Why ``rule`` cannot decide anything honestly (unknown rule, θ not a finite number in
    [0, 1]), or None."""
    if rule.rule not in RULES:
        return f"decision rule must be one of {RULES}, got {rule.rule!r}"
    for label, value in (
        ("threshold θ", rule.threshold),
        ("pixel threshold", rule.pixel_threshold),
    ):
        if not _is_number(value) or not 0.0 <= value <= 1.0:
            return f"{label} must be a finite number in [0, 1], got {value!r}"
    if not isinstance(rule.provenance, str) or not isinstance(rule.details, dict):
        return "decision provenance must be text and its details an object"
    if rule.aggregate not in AGGREGATES:
        return f"image-logit aggregate must be one of {AGGREGATES}, got {rule.aggregate!r}"
    if not isinstance(rule.calibration, dict):
        return "decision calibration must be an object"
    if isinstance(rule.detect_side, bool) or not isinstance(rule.detect_side, int):
        return f"detect_side must be a whole number of pixels, got {rule.detect_side!r}"
    if rule.detect_side != 0 and not 32 <= rule.detect_side <= 8192:
        return (
            f"detect_side must be 0 (full resolution) or 32 to 8192 pixels, got {rule.detect_side}"
        )
    return None


def check_meta(meta: CheckpointMeta, path: str | Path | None = None) -> None:
    """Refuse a header whose config, input policy or decision rule is out of bounds (step 1 of
    the module docstring). Cheap: nothing is built."""
    problem = policy_problem(meta.input_policy) or decision_problem(meta.decision)
    if meta.scope not in SCOPES:
        problem = problem or f"scope must be one of {SCOPES}, got {meta.scope!r}"
    if problem:
        raise CheckpointError(path, problem)
    if meta.architecture not in list_models():
        raise CheckpointError(path, not_built_in(meta.architecture))
    try:
        config_from_dict(meta.architecture, meta.config)
    except (ValueError, TypeError) as e:
        raise CheckpointError(path, f"config does not fit '{meta.architecture}': {e}") from e


def not_built_in(architecture: str) -> str:
    """Why a readable header of an architecture this program has no code for is not used: the
    registry's "unknown model" made a user's checkpoint of a network added elsewhere read as a
    damaged file ("unreadable" in ``forensic-viewer models``)."""
    return (
        f"architecture '{architecture}' is not built into this program (its code goes in a "
        f"file of engine/models/ registered with register_model; built in: "
        f"{', '.join(list_models())}); the header is readable"
    )
