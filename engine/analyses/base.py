"""One result type, one registry and one call for the classic (non-network) analyses.

Every analysis in this package is a function ``fn(evidence, params, ctx) -> Output`` registered
with :func:`register_analysis` under a name, with a frozen params dataclass holding its
defaults (a comment on every field) and its provenance (method, source, version).
:func:`run_analysis` (or :func:`create_analysis` ``(...).run``) validates the parameters, runs the
function with a :class:`Context` (cancel, progress, the file's bytes on demand) and wraps the
:class:`Output` into an :class:`AnalysisResult` that carries the analysis name, parameters,
provenance, the evidence's SHA-256 and the time taken.

What a map means is always stated (:class:`MapMeaning`): ``probability`` maps estimate the
probability of a named event (never "of manipulation" unless calibrated for it), ``raw`` maps
are a measurement scaled into [0, 1] for display, ``region`` maps are 1 inside regions an
analysis found and 0 elsewhere.

Integration: ``result.to_dict()`` is the small JSON record a scan row or report needs (no
arrays, no NaN/Infinity); ``result.map_uint8()`` the optional 8-bit map; the viewer draws
``result.map``/``result.display``, the extra ``layers`` and the clone ``pairs``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.errors import Cancelled, EvidenceError
from engine.files import open_evidence
from engine.io import MAX_FILE_BYTES  # the evidence was read once under it already
from engine.types import Evidence, Progress

ProgressFn = Callable[[Progress], None]
CancelFn = Callable[[], bool]


class MapScale(StrEnum):
    """How to read a map's values."""

    PROBABILITY = "probability"  # estimated probability of the event named in the label
    RAW = "raw"  # a measurement scaled into [0, 1] for display: not a probability
    REGION = "region"  # 1 inside the regions the analysis found, 0 elsewhere


class Level(StrEnum):
    """Weight of a metadata/JPEG finding for the analyst."""

    INFO = "info"  # recorded, not suspicious in itself
    NOTICE = "notice"  # worth a look: common in edited files, also in innocent ones
    STRONG = "strong"  # hard to explain without a change to the file


@dataclass(frozen=True)
class MapMeaning:
    """What a map's values are.

    scale: see :class:`MapScale`.
    label: the quantity, e.g. ``"error level at JPEG quality 90"``.
    unit: how a value in [0, 1] maps back to the quantity, e.g. ``"mean |Δ| over RGB / 255 x 10"``.
    high: what a high value says, one phrase.
    """

    scale: MapScale
    label: str
    unit: str
    high: str

    def to_dict(self) -> dict[str, str]:
        return {"scale": str(self.scale), "label": self.label, "unit": self.unit, "high": self.high}


@dataclass(frozen=True, eq=False)
class AnalysisMap:
    """A secondary named map (e.g. the JPEG ghost at one quality), possibly coarser than the image.

    values: [h, w] float32 in [0, 1]; one value per ``cell`` x ``cell`` pixels of the evidence
        (cell 1: full resolution). :meth:`full` gives it at the evidence's resolution.
    """

    name: str
    meaning: MapMeaning
    values: NDArray[np.float32] = field(repr=False)
    cell: int = 1

    def full(self, height: int, width: int) -> NDArray[np.float32]:
        """The map at ``height`` x ``width`` (nearest cell; cells past the border are clipped)."""
        if self.cell == 1 and self.values.shape == (height, width):
            return self.values
        rows = np.minimum(np.arange(height) // self.cell, self.values.shape[0] - 1)
        cols = np.minimum(np.arange(width) // self.cell, self.values.shape[1] - 1)
        return self.values[rows[:, None], cols[None, :]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "meaning": self.meaning.to_dict(),
            "cell": self.cell,
            "shape": list(self.values.shape),
            **_map_stats(self.values),
        }


@dataclass(frozen=True)
class Provenance:
    """Where a method comes from: its name, the paper or tool it follows, this implementation."""

    method: str
    source: str
    version: str

    def to_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ClonePair:
    """Two copies of one region, linked by an affine transform.

    Boxes are (x, y, w, h) in evidence pixels. ``affine`` is the 2x3 matrix, row-major, taking a
    point of ``source`` onto ``target`` (x' = a x + b y + c, y' = d x + e y + f). Which copy is
    the original cannot be told from the pixels alone: the names only fix the direction of
    ``affine``.
    """

    source_box: tuple[int, int, int, int]
    target_box: tuple[int, int, int, int]
    affine: tuple[float, float, float, float, float, float]
    rotation_deg: float
    scale: float
    detector: str  # "keypoints" (SIFT g2NN + RANSAC) or "blocks" (dense block matching)
    matches: int  # supporting keypoint inliers or matching blocks
    area: int  # pixels (evidence resolution) of the verified target region
    correlation: float  # mean local correlation of image and warped image over that region

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["source_box"] = list(self.source_box)
        d["target_box"] = list(self.target_box)
        d["affine"] = list(self.affine)
        return d


@dataclass(frozen=True)
class Finding:
    """One row of metadata/JPEG findings. ``value`` is untrusted text, escaped and capped."""

    topic: str  # "software", "dates", "camera", "gps", "xmp", "thumbnail", "jpeg", ...
    key: str
    value: str
    level: Level
    note: str

    def to_dict(self) -> dict[str, str]:
        return {
            "topic": self.topic,
            "key": self.key,
            "value": self.value,
            "level": str(self.level),
            "note": self.note,
        }


def too_small(topic: str, height: int, width: int, need: str) -> Finding:
    """The information an analysis gives in place of any finding on an image below its floor:
    ``need`` says, in words, what it needs that a ``height`` x ``width`` image lacks."""
    return Finding(
        topic, "image size", f"{width} x {height} px: too small to assess", Level.INFO, need
    )


@dataclass(frozen=True, eq=False)
class Output:
    """What an analysis function returns; :func:`run_analysis` wraps it in an AnalysisResult.

    map: [H, W] float32 in [0, 1] at the evidence's resolution (as displayed, orientation
        applied), or None when the analysis has no map (or none for this file).
    display: [H, W, 3] uint8 RGB picture for the analyst (e.g. amplified error levels), or None.
    score: an image-level figure in [0, 1] where the method has one; ``score_label`` says what
        it is. None where it has none.
    extras: JSON-safe analysis-specific figures (tables, statistics).
    """

    map: NDArray[np.float32] | None = field(default=None, repr=False)
    meaning: MapMeaning | None = None
    display: NDArray[np.uint8] | None = field(default=None, repr=False)
    score: float | None = None
    score_label: str | None = None
    layers: tuple[AnalysisMap, ...] = ()
    pairs: tuple[ClonePair, ...] = ()
    findings: tuple[Finding, ...] = ()
    extras: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class AnalysisResult:
    """One classic analysis of one evidence file: the :class:`Output` plus where it came from."""

    analysis: str
    provenance: Provenance
    params: Mapping[str, Any]
    evidence_sha256: str
    seconds: float
    output: Output = field(repr=False)

    # The output's fields, read through (so callers write result.map, result.pairs, ...).
    @property
    def map(self) -> NDArray[np.float32] | None:
        return self.output.map

    @property
    def meaning(self) -> MapMeaning | None:
        return self.output.meaning

    @property
    def display(self) -> NDArray[np.uint8] | None:
        return self.output.display

    @property
    def score(self) -> float | None:
        return self.output.score

    @property
    def score_label(self) -> str | None:
        return self.output.score_label

    @property
    def layers(self) -> tuple[AnalysisMap, ...]:
        return self.output.layers

    @property
    def pairs(self) -> tuple[ClonePair, ...]:
        return self.output.pairs

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.output.findings

    @property
    def extras(self) -> Mapping[str, Any]:
        return self.output.extras

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.output.warnings

    def map_uint8(self) -> NDArray[np.uint8] | None:
        """The map as 8-bit (value x 255, rounded), e.g. for a scan row's PNG; None without map."""
        if self.output.map is None:
            return None
        return np.rint(np.clip(self.output.map, 0.0, 1.0) * 255.0).astype(np.uint8)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe record (no arrays; NaN/Infinity become None): passes ``allow_nan=False``."""
        o = self.output
        d: dict[str, Any] = {
            "analysis": self.analysis,
            "provenance": self.provenance.to_dict(),
            "params": dict(self.params),
            "evidence_sha256": self.evidence_sha256,
            "seconds": self.seconds,
            "score": o.score,
            "score_label": o.score_label,
            "map": None
            if o.map is None
            else {
                "meaning": None if o.meaning is None else o.meaning.to_dict(),
                "shape": list(o.map.shape),
                **_map_stats(o.map),
            },
            "display": o.display is not None,
            "layers": [m.to_dict() for m in o.layers],
            "pairs": [p.to_dict() for p in o.pairs],
            "findings": [f.to_dict() for f in o.findings],
            "extras": dict(o.extras),
            "warnings": list(o.warnings),
        }
        return json_safe(d)


def _map_stats(m: NDArray[np.floating]) -> dict[str, float]:
    if m.size == 0:
        return {"mean": 0.0, "max": 0.0, "p99": 0.0}
    step = max(1, int(math.sqrt(m.size / 250_000)))  # statistics on a grid: fast at 100 MP
    sub = m[::step, ::step]
    return {
        "mean": round(float(sub.mean()), 6),
        "max": round(float(m.max()), 6),
        "p99": round(float(np.percentile(sub, 99)), 6),
    }


def json_safe(obj: Any) -> Any:
    """``obj`` with numpy scalars/arrays as Python values, tuples as lists, NaN/Inf as None."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_safe(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, StrEnum):
        return str(obj)
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    return str(obj)


class Context:
    """What an analysis function gets besides its parameters: cancel, progress, the file's bytes.

    ``step(done, total)`` checks ``cancel()`` (raising :class:`engine.tiling.Cancelled`) and
    reports ``Progress(stage=<analysis name>, done, total)``. ``file_bytes()`` reads the evidence
    file read-only (or returns the bytes given to :func:`run_analysis`) and checks that their
    SHA-256 is the evidence's: a file changed since it was loaded is an error, never analysed.
    """

    def __init__(
        self,
        evidence: Evidence,
        stage: str,
        *,
        data: bytes | None = None,
        cancel: CancelFn | None = None,
        progress: ProgressFn | None = None,
    ) -> None:
        self.evidence = evidence
        self.stage = stage
        self._data = data
        self._checked = False
        self._cancel = cancel
        self._progress = progress

    def check(self) -> None:
        """Raise :class:`Cancelled` when the cancel callback says so."""
        if self._cancel is not None and self._cancel():
            raise Cancelled(f"{self.stage} cancelled")

    def step(self, done: int, total: int) -> None:
        self.check()
        if self._progress is not None:
            self._progress(Progress(stage=self.stage, done=done, total=total))

    def file_bytes(self) -> bytes:
        if self._data is None:
            path = self.evidence.path
            try:  # the file may have been swapped for a pipe since it was loaded: never wait
                with open_evidence(path) as f:
                    size = os.fstat(f.fileno()).st_size
                    if size > MAX_FILE_BYTES:
                        raise EvidenceError(path, f"file is {size} bytes, beyond the limit")
                    self._data = f.read(MAX_FILE_BYTES + 1)
            except OSError as e:
                raise EvidenceError(
                    path, f"cannot be read again for its JPEG/EXIF data: {e.strerror or e}"
                ) from e
        if not self._checked:
            if hashlib.sha256(self._data).hexdigest() != self.evidence.sha256:
                raise EvidenceError(
                    self.evidence.path,
                    "the file's bytes differ from those loaded (SHA-256 mismatch): "
                    "it changed since it was opened; open it again",
                )
            self._checked = True
        return self._data


AnalysisFn = Callable[[Evidence, Any, Context], Output]


@dataclass(frozen=True)
class AnalysisSpec:
    """One registered analysis: its function, params dataclass and defaults, provenance."""

    name: str
    fn: AnalysisFn
    params_cls: type
    defaults: Any
    provenance: Provenance
    description: str
    needs_file: bool  # reads the file's bytes (JPEG tables, EXIF): give ``data`` or a path

    def make_params(self, **overrides: Any) -> Any:
        fields = {f.name for f in dataclasses.fields(self.params_cls)}
        unknown = sorted(set(overrides) - fields)
        if unknown:
            raise ValueError(
                f"unknown parameter(s) {unknown} for analysis '{self.name}'; "
                f"valid parameters: {sorted(fields)}"
            )
        return dataclasses.replace(self.defaults, **overrides)


_REGISTRY: dict[str, AnalysisSpec] = {}


def register_analysis(
    name: str,
    params: Any,
    *,
    method: str,
    source: str,
    version: str,
    description: str,
    needs_file: bool = False,
) -> Callable[[AnalysisFn], AnalysisFn]:
    """Decorator: register ``fn(evidence, params, ctx) -> Output`` under ``name``."""
    if not dataclasses.is_dataclass(params) or isinstance(params, type):
        raise TypeError(f"params of analysis '{name}' must be a dataclass instance")

    def wrap(fn: AnalysisFn) -> AnalysisFn:
        if name in _REGISTRY:
            raise ValueError(f"analysis '{name}' is already registered")
        _REGISTRY[name] = AnalysisSpec(
            name=name,
            fn=fn,
            params_cls=type(params),
            defaults=params,
            provenance=Provenance(method=method, source=source, version=version),
            description=description,
            needs_file=needs_file,
        )
        return fn

    return wrap


def _ensure_loaded() -> None:
    import engine.analyses  # noqa: F401  (importing the package registers every module)


def list_analyses() -> list[str]:
    """Names of every registered analysis, sorted."""
    _ensure_loaded()
    return sorted(_REGISTRY)


def get_analysis_spec(name: str) -> AnalysisSpec:
    """The :class:`AnalysisSpec` of ``name``; a ``KeyError`` names the valid choices."""
    _ensure_loaded()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(
            f"unknown analysis '{name}'; registered analyses: {', '.join(sorted(_REGISTRY))}"
        ) from None


@dataclass(frozen=True)
class ConfiguredAnalysis:
    """An analysis bound to its parameters, ready to run on any number of evidence files."""

    spec: AnalysisSpec
    params: Any

    @property
    def name(self) -> str:
        return self.spec.name

    def run(
        self,
        evidence: Evidence,
        *,
        data: bytes | None = None,
        cancel: CancelFn | None = None,
        progress: ProgressFn | None = None,
    ) -> AnalysisResult:
        """Run on ``evidence``; raises :class:`Cancelled` when ``cancel()`` turns True."""
        ctx = Context(evidence, self.spec.name, data=data, cancel=cancel, progress=progress)
        ctx.check()
        t0 = time.perf_counter()
        out = self.spec.fn(evidence, self.params, ctx)
        _check_output(self.spec.name, out, evidence)
        return AnalysisResult(
            analysis=self.spec.name,
            provenance=self.spec.provenance,
            params=json_safe(dataclasses.asdict(self.params)),
            evidence_sha256=evidence.sha256,
            seconds=round(time.perf_counter() - t0, 4),
            output=out,
        )


def create_analysis(name: str, **params: Any) -> ConfiguredAnalysis:
    """The analysis ``name`` with its default parameters, overridden by ``params``."""
    spec = get_analysis_spec(name)
    return ConfiguredAnalysis(spec=spec, params=spec.make_params(**params))


def run_analysis(
    name: str,
    evidence: Evidence,
    *,
    params: Mapping[str, Any] | None = None,
    data: bytes | None = None,
    cancel: CancelFn | None = None,
    progress: ProgressFn | None = None,
) -> AnalysisResult:
    """Run the analysis ``name`` on ``evidence`` (one call for the GUI, the CLI and scans).

    params: overrides of the analysis's defaults (unknown names raise ``ValueError``).
    data: the evidence file's bytes when already in memory; otherwise analyses that need them
        read ``evidence.path`` read-only. Either way their SHA-256 must be the evidence's.
    """
    return create_analysis(name, **dict(params or {})).run(
        evidence, data=data, cancel=cancel, progress=progress
    )


ALL = "all"  # the word that chooses every registered analysis (``--analyses all``)


def parse_analyses(text: str | Iterable[str]) -> tuple[str, ...]:
    """``"ela,clone"`` -> ``("ela", "clone")``; ``"all"`` -> every registered analysis.

    Names keep the order given (duplicates dropped); an empty choice is ``()``. Raises
    ``ValueError`` naming the registered analyses for a name that is not one.
    """
    parts = text.split(",") if isinstance(text, str) else list(text)
    names = [p.strip() for p in parts if p.strip()]
    if ALL in names:
        return tuple(list_analyses())
    known = list_analyses()
    bad = [n for n in names if n not in known]
    if bad:
        raise ValueError(
            f"unknown analysis {', '.join(map(repr, bad))}; choose from {', '.join(known)} "
            f"or '{ALL}'"
        )
    return tuple(dict.fromkeys(names))


# Parameters an examiner chose, per analysis: {"ela": {"quality": 75}} (the rest stay default).
Overrides = Mapping[str, Mapping[str, Any]]
TRUE_WORDS, FALSE_WORDS = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


def parse_override(text: str) -> tuple[str, str, Any]:
    """``"ela.quality=75"``: (analysis, parameter, value), the value read as the parameter's
    type (that of its default: int, float, bool or text) and held to the analysis's own checks.
    ValueError in one line naming the analysis and the parameter otherwise."""
    head, eq, raw = text.partition("=")
    name, dot, param = head.strip().partition(".")
    if not eq or not dot or not name or not param.strip():
        raise ValueError(f"{text!r}: expected ANALYSIS.PARAMETER=VALUE, e.g. ela.quality=75")
    try:
        spec = get_analysis_spec(name)
    except KeyError as e:  # its words name the valid analyses
        raise ValueError(f"{text!r}: {e.args[0]}") from None
    param, raw = param.strip(), raw.strip()
    fields = {f.name for f in dataclasses.fields(spec.params_cls)}
    if param not in fields:
        raise ValueError(
            f"analysis {name} has no parameter {param!r}; its parameters: {', '.join(sorted(fields))}"
        )
    default = getattr(spec.defaults, param)
    what = f"analysis {name}, parameter {param}"
    try:
        if isinstance(default, bool):
            if raw.lower() not in TRUE_WORDS + FALSE_WORDS:
                raise ValueError(f"expected true or false, got {raw!r}")
            value: Any = raw.lower() in TRUE_WORDS
        elif isinstance(default, int):
            value = int(raw)
        elif isinstance(default, float):
            value = float(raw)
            if not math.isfinite(value):
                raise ValueError(f"expected a finite number, got {raw!r}")
        elif isinstance(default, str):
            value = raw
        else:
            raise ValueError(f"a {type(default).__name__} is not set from text")
        spec.make_params(**{param: value})  # the analysis's own range checks
    except ValueError as e:
        msg = str(e)
        if msg.startswith(("invalid literal", "could not convert")):
            kind = "a whole number" if isinstance(default, int) else "a number"
            msg = f"expected {kind}, got {raw!r}"
        raise ValueError(f"{what}: {msg}") from None
    return name, param, value


def parse_overrides(items: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Every ``ANALYSIS.PARAMETER=VALUE`` of ``items`` (:func:`parse_override`) per analysis;
    the same parameter given twice is refused (which one was meant is not known)."""
    out: dict[str, dict[str, Any]] = {}
    for text in items:
        name, param, value = parse_override(text)
        if param in out.get(name, {}):
            raise ValueError(f"analysis {name}, parameter {param}: given twice")
        out.setdefault(name, {})[param] = value
    return out


def analysis_settings(
    names: Iterable[str], overrides: Overrides | None = None
) -> dict[str, dict[str, Any]]:
    """Per analysis of ``names``: its implementation's version and the parameters it runs with
    (JSON: its defaults, with ``overrides``' values): what a scan records so that results of
    other analyses or settings are not mixed."""
    out = {}
    for n in names:
        spec = get_analysis_spec(n)
        chosen = spec.make_params(**dict((overrides or {}).get(n, {})))
        params = json_safe(dataclasses.asdict(chosen))
        out[n] = {"version": spec.provenance.version, "params": params}
    return out


def run_analyses(
    names: Iterable[str],
    evidence: Evidence,
    *,
    data: bytes | None = None,
    cancel: CancelFn | None = None,
    progress: ProgressFn | None = None,
    params: Overrides | None = None,
) -> dict[str, AnalysisResult]:
    """Run the analyses ``names`` on ``evidence`` one after the other, each with its default
    parameters overridden by its entry in ``params`` (none: the defaults).

    The file's bytes are read (and their SHA-256 checked) once, when one of them needs them.
    ``progress`` gets each analysis's own :class:`Progress` (``stage`` = its name). Raises
    :class:`Cancelled` when ``cancel()`` turns True, ``EvidenceError`` when the file changed.
    """
    chosen = [create_analysis(n, **dict((params or {}).get(n, {}))) for n in names]
    if data is None and any(a.spec.needs_file for a in chosen):
        data = Context(evidence, "reading the file", cancel=cancel).file_bytes()
    return {a.name: a.run(evidence, data=data, cancel=cancel, progress=progress) for a in chosen}


def _check_output(name: str, out: Output, evidence: Evidence) -> None:
    """Hold every analysis to the contract: maps at the evidence's size, float32, in [0, 1]."""
    shape = (evidence.height, evidence.width)
    if out.map is not None:
        m = out.map
        if m.shape != shape or m.dtype != np.float32:
            raise AssertionError(f"{name}: map {m.shape} {m.dtype}, expected {shape} float32")
        if out.meaning is None:
            raise AssertionError(f"{name}: a map without its meaning")
    if out.display is not None and out.display.shape[:2] != shape:
        raise AssertionError(f"{name}: display {out.display.shape}, expected {shape}")
    if out.score is not None and not 0.0 <= out.score <= 1.0:
        raise AssertionError(f"{name}: score {out.score} outside [0, 1]")
