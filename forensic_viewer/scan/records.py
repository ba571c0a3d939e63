"""The results format of a scan, in both directions (no Qt).

Users script against ``results.jsonl``, so its rows are a public contract: published as a JSON
Schema in ``docs/results.schema.json``, with the folder layout in ``docs/RESULTS.md``. This
module is the one place that knows the rows' fields:

- typed records: :class:`FileRecord` (a file that was analysed: :class:`ModelRecord` per model
  and for the ensemble, with their :class:`ModelFigures`; :class:`AnalysisRecord` per classic
  analysis, with its :class:`MapRecord`; :class:`FaceRecord`; :class:`EvidenceFacts`) and
  :class:`ErrorRecord` (a file that could not be analysed);
- one writer, :func:`record_to_json` (one row; :func:`result_record` also writes the maps,
  in two steps that may run in two processes: :func:`encode_result`, :meth:`EncodedRecord.write`);
- one reader, :func:`record_from_json` (raises :class:`RecordError`; :func:`parse_line` gives
  None for a line that is not a record, which readers skip). Rows of earlier versions read:
  the fields added since the first version (``file``, ``faces_checked``, ``evidence``,
  ``seconds``, ``ensemble_details``, ``thumbnail``, ``replaces``, ``files_sha256``) get
  defaults, and so do
  ``details``, ``faces`` and ``warnings``, which the other readers never required. A row
  without a field every version wrote, or with a field of another type, is not a record.

Long file: the whole row format, every field in both directions, is kept in one module so that
the writer and the reader cannot drift apart (the classic analyses' entries made it pass 700
lines).

The writer writes exactly what earlier versions wrote, field for field and in the same order,
so ``record_to_json(record_from_json(row)) == row`` for every row this version writes; fields
added since (``analyses``, ``replaces``, ``files_sha256``, a face's ``face_scores``) are
written only when they say something, after the others. It never writes NaN or Infinity
(not JSON): :func:`check_finite` turns a result holding one into an error naming the model,
and :func:`record_line` refuses what slipped through.

Everything else reads through them: the results files (:mod:`forensic_viewer.scan.results`:
index, append log, CSV), :mod:`forensic_viewer.scan.replay` (the :class:`~engine.types.Analysis` a
scan recorded, rebuilt for the viewer and reports), the triage rows and the report items.
Heatmap and thumbnail files: :mod:`forensic_viewer.scan.maps`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeAlias

import numpy as np
from numpy.typing import NDArray

from engine.analyses import (
    AnalysisResult,
    ClonePair,
    Finding,
    Level,
    MapMeaning,
    MapScale,
    Output,
    Provenance,
)
from engine.errors import ForensicError, ImageHeader
from engine.files import atomic_write
from engine.fstimes import FileTimes
from engine.types import Analysis, Evidence, FaceRegion, FaceScore, ModelResult
from forensic_viewer.scan.maps import (
    analysis_map_name,
    distinct_name,
    face_map_name,
    heatmap_png,
    map_name,
    thumb_name,
    unnamed,
    unnumbered,
)


class RecordError(ValueError):
    """A JSON value that is not a results row of this format; the message says which field."""


# --- reading JSON values with the field named in every error --------------------------------

_MISSING: Any = object()


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _is_num(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


class _Obj:
    """A JSON object being read. Getters check the type of a field and name it when it is
    missing or of another type; ``default`` makes a field optional, ``nullable`` accepts null."""

    def __init__(self, value: object, where: str) -> None:
        if not isinstance(value, dict):
            raise RecordError(f"{where}: expected an object, got {_kind(value)}")
        self.raw: dict[str, Any] = value
        self.where = where

    def _get(
        self, key: str, ok: Callable[[Any], bool], what: str, default: Any, nullable: bool
    ) -> Any:
        v = self.raw.get(key, _MISSING)
        if v is _MISSING:
            if default is _MISSING:
                raise RecordError(f"{self.where}.{key}: missing")
            return default
        if v is None and nullable:
            return None
        if not ok(v):
            raise RecordError(f"{self.where}.{key}: expected {what}, got {_kind(v)}")
        return v

    def text(self, key: str, default: Any = _MISSING, nullable: bool = False) -> Any:
        return self._get(key, lambda v: isinstance(v, str), "a string", default, nullable)

    def number(self, key: str, default: Any = _MISSING, nullable: bool = False) -> Any:
        return self._get(key, _is_num, "a number", default, nullable)

    def integer(self, key: str, default: Any = _MISSING, nullable: bool = False) -> Any:
        return self._get(key, _is_int, "an integer", default, nullable)

    def flag(self, key: str, default: Any = _MISSING, nullable: bool = False) -> Any:
        return self._get(key, lambda v: isinstance(v, bool), "true or false", default, nullable)

    def mapping(self, key: str, default: Any = _MISSING, nullable: bool = False) -> Any:
        return self._get(key, lambda v: isinstance(v, dict), "an object", default, nullable)

    def array(self, key: str, default: Any = _MISSING) -> Any:
        return self._get(key, lambda v: isinstance(v, list), "a list", default, False)

    def strings(self, key: str, default: Any = _MISSING) -> tuple[str, ...]:
        items = self.array(key, default)
        if items is default:
            return items
        for i, v in enumerate(items):
            if not isinstance(v, str):
                raise RecordError(f"{self.where}.{key}[{i}]: expected a string, got {_kind(v)}")
        return tuple(items)


# --- typed records -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelFigures:
    """Every figure of one :class:`~engine.types.ModelResult` but its arrays: a row's
    ``details`` (or ``ensemble_details``) entry. The fields are ModelResult's, in its order."""

    name: str
    architecture: str
    checkpoint: str
    checkpoint_sha256: str
    rule: str
    score: float
    verdict: str
    forged_fraction: float
    threshold: float
    pixel_threshold: float
    threshold_provenance: str
    input_policy: Mapping[str, Any]
    device: str
    precision: str
    seconds: float
    image_logit: float | None = None
    probability: float | None = None
    reliability: str = ""
    out_of_range: Mapping[str, Any] | None = None  # docs/VERDICTS.md, "Images too small ..."
    contributions: list[dict[str, Any]] | None = None  # a stacked ensemble's terms, since 12-05

    @classmethod
    def from_result(cls, r: ModelResult) -> ModelFigures:
        kw = {f.name: getattr(r, f.name) for f in dataclasses.fields(cls)}
        return cls(**{**kw, "input_policy": dict(r.input_policy)})

    def to_json(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["input_policy"] = dict(self.input_policy)
        # probability, reliability added by issue 17, out_of_range later: absent when not
        # known (or in range), so earlier rows are written back byte for byte
        for key in ("probability", "reliability", "out_of_range", "contributions"):
            if d[key] is None or d[key] == "":
                del d[key]
        if "out_of_range" in d:
            d["out_of_range"] = dict(d["out_of_range"])
        return d

    @classmethod
    def from_json(cls, value: object, where: str) -> ModelFigures:
        o = _Obj(value, where)
        return cls(
            name=o.text("name"),
            architecture=o.text("architecture"),
            checkpoint=o.text("checkpoint"),
            checkpoint_sha256=o.text("checkpoint_sha256"),
            rule=o.text("rule"),
            score=o.number("score"),
            verdict=o.text("verdict"),
            forged_fraction=o.number("forged_fraction"),
            threshold=o.number("threshold"),
            pixel_threshold=o.number("pixel_threshold"),
            threshold_provenance=o.text("threshold_provenance"),
            input_policy=o.mapping("input_policy"),
            device=o.text("device"),
            precision=o.text("precision"),
            seconds=o.number("seconds"),
            image_logit=o.number("image_logit", None, nullable=True),
            probability=o.number("probability", None, nullable=True),
            reliability=o.text("reliability", ""),
            out_of_range=o.mapping("out_of_range", None, nullable=True),
            contributions=_contributions(o),
        )

    def to_result(self, heatmap: NDArray[np.float32]) -> ModelResult:
        """The :class:`ModelResult` with ``heatmap`` [H, W] float32 and its mask."""
        r = ModelResult(**self.to_json(), heatmap=heatmap)
        r.mask = heatmap > r.pixel_threshold
        return r


def _contributions(o: _Obj) -> list[dict[str, Any]] | None:
    """A stacked ensemble's ``contributions`` (absent in older rows and other results), each
    term checked as its readers use it."""
    terms = o.array("contributions", None)
    for i, term in enumerate(terms or []):
        t = _Obj(term, f"{o.where}.contributions[{i}]")
        for key in ("label", "kind"):
            t.text(key)
        for key in ("value", "weight", "contribution"):
            t.number(key)
    return None if terms is None else [dict(t) for t in terms]


# the figures of a model that its results row, the CSV and the triage table show
SUMMARY_FIELDS = ("score", "verdict", "forged_fraction", "threshold")


@dataclass(frozen=True)
class ModelRecord:
    """One model's (or the ensemble's) result on one file: the figures a triage table shows,
    its heatmap file and, when the row holds them, the full :class:`ModelFigures`.

    heatmap: the 8-bit map, relative to the output folder (None: no file, e.g. a viewer
        analysis that was never written).
    """

    name: str
    score: float
    verdict: str
    forged_fraction: float
    threshold: float
    heatmap: str | None = None
    figures: ModelFigures | None = None

    @classmethod
    def from_result(cls, name: str, r: ModelResult, heatmap: str | None) -> ModelRecord:
        return cls(
            name=name,
            score=r.score,
            verdict=r.verdict,
            forged_fraction=r.forged_fraction,
            threshold=r.threshold,
            heatmap=heatmap,
            figures=ModelFigures.from_result(r),
        )

    def summary_json(self) -> dict[str, Any]:
        """The row's ``models`` entry (no name: the key gives it)."""
        d: dict[str, Any] = {k: getattr(self, k) for k in SUMMARY_FIELDS}
        if self.heatmap is not None:
            d["heatmap"] = self.heatmap
        return d

    def all_figures(self) -> dict[str, Any]:
        """Every figure recorded (the full figures when the row has them, else the summary)."""
        base = self.figures.to_json() if self.figures is not None else {}
        return {**base, **{k: getattr(self, k) for k in SUMMARY_FIELDS}}

    @classmethod
    def from_json(
        cls, name: str, value: object, figures: ModelFigures | None, where: str
    ) -> ModelRecord:
        o = _Obj(value, where)
        return cls(
            name=name,
            score=o.number("score"),
            verdict=o.text("verdict"),
            forged_fraction=o.number("forged_fraction"),
            threshold=o.number("threshold"),
            heatmap=o.text("heatmap", None, nullable=True),
            figures=figures,
        )


@dataclass(frozen=True)
class FaceRecord:
    """A face found in the evidence: box (x, y, w, h) in image pixels, detector confidence,
    the mean heatmap inside the box per model, and per model its decision on the face analysed
    at the model's own scale (``face_scores``: the face path, ``engine.facepath``).

    ``face_scores`` is written only when the face path ran (rows of earlier versions have none
    and are written back byte for byte); each entry's ``probability`` only when the model has a
    calibration, as in :class:`ModelFigures`.
    """

    box: tuple[int, int, int, int]
    confidence: float
    scores: Mapping[str, float] = field(default_factory=dict)
    face_scores: Mapping[str, FaceScore] = field(default_factory=dict)

    @classmethod
    def from_region(cls, f: FaceRegion) -> FaceRecord:
        return cls(tuple(f.box), f.confidence, dict(f.scores), dict(f.face_scores))  # type: ignore[arg-type]

    def to_region(self) -> FaceRegion:
        return FaceRegion(
            box=tuple(int(v) for v in self.box),  # type: ignore[arg-type]
            confidence=float(self.confidence),
            scores={k: float(v) for k, v in self.scores.items()},
            face_scores=dict(self.face_scores),
        )

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "box": list(self.box),
            "confidence": self.confidence,
            "scores": dict(self.scores),
        }
        if self.face_scores:
            d["face_scores"] = {k: v.to_dict() for k, v in self.face_scores.items()}
        return d

    @classmethod
    def from_json(cls, value: object, where: str) -> FaceRecord:
        o = _Obj(value, where)
        box = o.array("box")
        if len(box) != 4 or not all(_is_int(v) for v in box):
            raise RecordError(f"{where}.box: expected 4 integers, got {box!r}")
        scores = o.mapping("scores", {})
        bad = [k for k, v in scores.items() if not _is_num(v)]
        if bad:
            raise RecordError(f"{where}.scores.{bad[0]}: expected a number")
        face_scores = {}
        for name, entry in o.mapping("face_scores", {}).items():
            e = _Obj(entry, f"{where}.face_scores.{name}")
            face_scores[name] = FaceScore(
                score=e.number("score"),
                verdict=e.text("verdict"),
                probability=e.number("probability", None, nullable=True),
                threshold=e.number("threshold", None, nullable=True),
                rule=e.text("rule", ""),
                forged_fraction=e.number("forged_fraction", None, nullable=True),
            )
        return cls(tuple(box), o.number("confidence"), dict(scores), face_scores)  # type: ignore[arg-type]


@dataclass(frozen=True)
class EvidenceFacts:
    """Every fact of :class:`~engine.types.Evidence` but the pixels: a row's ``evidence``.

    path: the file's absolute path as it was named (symbolic links not followed), never one
        relative to wherever the command ran; real_path: the same with every symbolic link
        followed, i.e. where the bytes were read (None in rows written before it was recorded).
    fs_times: the file-system times found before the read (:class:`~engine.fstimes.FileTimes`;
        None in rows written before they were recorded, and left out of the row then).
    metadata_format: how ``metadata`` was written (:data:`engine.types.METADATA_FORMAT`);
        None in rows written before it was recorded (left out then), whose hex values longer
        than 64 bytes may be binary values (reports summarise those).
    """

    path: str
    sha256: str
    file_size: int
    format: str
    width: int
    height: int
    mode: str
    frames: int
    orientation: int
    orientation_applied: bool
    metadata: Mapping[str, str]
    warnings: tuple[str, ...]
    real_path: str | None = None
    fs_times: FileTimes | None = None
    metadata_format: int | None = None

    @classmethod
    def from_evidence(cls, ev: Evidence) -> EvidenceFacts:
        d = ev.to_dict()  # path absolute, real_path beside it
        d |= {"metadata": dict(ev.metadata), "warnings": tuple(ev.warnings)}
        return cls(**{**d, "fs_times": ev.fs_times})

    def to_json(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["metadata"] = dict(self.metadata)
        d["warnings"] = list(self.warnings)
        if self.real_path is None:  # a row of a version that did not record it
            del d["real_path"]
        if self.fs_times is None:  # nor these
            del d["fs_times"]
        else:
            d["fs_times"] = self.fs_times.to_json()
        if self.metadata_format is None:  # nor this
            del d["metadata_format"]
        return d

    @classmethod
    def from_json(cls, value: object, where: str) -> EvidenceFacts:
        o = _Obj(value, where)
        metadata = o.mapping("metadata")
        bad = [k for k, v in metadata.items() if not isinstance(v, str)]
        if bad:
            raise RecordError(f"{where}.metadata.{bad[0]}: expected a string")
        return cls(
            path=o.text("path"),
            sha256=o.text("sha256"),
            file_size=o.integer("file_size"),
            format=o.text("format"),
            width=o.integer("width"),
            height=o.integer("height"),
            mode=o.text("mode"),
            frames=o.integer("frames"),
            orientation=o.integer("orientation"),
            orientation_applied=o.flag("orientation_applied"),
            metadata=dict(metadata),
            warnings=o.strings("warnings"),
            real_path=o.text("real_path", None, nullable=True),
            fs_times=_fs_times(o),
            metadata_format=o.integer("metadata_format", None, nullable=True),
        )


def _fs_times(o: _Obj) -> FileTimes | None:
    """An evidence's or a header's ``fs_times`` (None: a row written before they were)."""
    value = o.mapping("fs_times", None)
    if value is None:
        return None
    t = _Obj(value, f"{o.where}.fs_times")
    return FileTimes(
        modified=t.text("modified"),
        status_changed=t.text("status_changed", nullable=True),
        accessed=t.text("accessed"),
        created=t.text("created", nullable=True),
    )


@dataclass(frozen=True)
class MapRecord:
    """What a classic analysis's map says and where it is: its meaning, size and statistics.

    file: the 8-bit map relative to the output folder (value = round(255 x map value)); None
        when no file was written (an analysis that stays in memory).
    """

    meaning: MapMeaning
    shape: tuple[int, int]
    mean: float
    max: float
    p99: float
    file: str | None = None

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "meaning": self.meaning.to_dict(),
            "shape": list(self.shape),
            "mean": self.mean,
            "max": self.max,
            "p99": self.p99,
        }
        if self.file is not None:
            d["file"] = self.file
        return d

    @classmethod
    def from_json(cls, value: object, where: str) -> MapRecord:
        o = _Obj(value, where)
        m = _Obj(o.mapping("meaning"), f"{where}.meaning")
        scale = m.text("scale")
        if scale not in set(MapScale):
            raise RecordError(f"{where}.meaning.scale: expected one of {list(map(str, MapScale))}")
        shape = o.array("shape")
        if len(shape) != 2 or not all(_is_int(v) for v in shape):
            raise RecordError(f"{where}.shape: expected 2 integers, got {shape!r}")
        return cls(
            meaning=MapMeaning(MapScale(scale), m.text("label"), m.text("unit"), m.text("high")),
            shape=(shape[0], shape[1]),
            mean=o.number("mean"),
            max=o.number("max"),
            p99=o.number("p99"),
            file=o.text("file", None, nullable=True),
        )


def _finding(value: object, where: str) -> Finding:
    o = _Obj(value, where)
    level = o.text("level")
    if level not in set(Level):
        raise RecordError(f"{where}.level: expected one of {list(map(str, Level))}")
    return Finding(o.text("topic"), o.text("key"), o.text("value"), Level(level), o.text("note"))


def _box(o: _Obj, key: str) -> tuple[int, int, int, int]:
    box = o.array(key)
    if len(box) != 4 or not all(_is_int(v) for v in box):
        raise RecordError(f"{o.where}.{key}: expected 4 integers, got {box!r}")
    return (box[0], box[1], box[2], box[3])


def _pair(value: object, where: str) -> ClonePair:
    o = _Obj(value, where)
    affine = o.array("affine")
    if len(affine) != 6 or not all(_is_num(v) for v in affine):
        raise RecordError(f"{where}.affine: expected 6 numbers")
    return ClonePair(
        source_box=_box(o, "source_box"),
        target_box=_box(o, "target_box"),
        affine=tuple(affine),  # type: ignore[arg-type]
        rotation_deg=o.number("rotation_deg"),
        scale=o.number("scale"),
        detector=o.text("detector"),
        matches=o.integer("matches"),
        area=o.integer("area"),
        correlation=o.number("correlation"),
    )


@dataclass(frozen=True)
class AnalysisRecord:
    """One classic analysis (``engine.analyses``) on one file: a row's ``analyses`` entry.

    Everything of :meth:`engine.analyses.AnalysisResult.to_dict` but the evidence's SHA-256
    (the row's own): score and what it is, the map's meaning, statistics and file, clone pairs,
    findings (untrusted values, escaped by the engine), parameters, provenance, time, the extra
    maps' statistics (``layers``), whether a display picture existed, extras and warnings.
    """

    name: str
    provenance: Provenance
    params: Mapping[str, Any]
    seconds: float
    score: float | None = None
    score_label: str | None = None
    map: MapRecord | None = None
    pairs: tuple[ClonePair, ...] = ()
    findings: tuple[Finding, ...] = ()
    layers: tuple[Mapping[str, Any], ...] = ()
    display: bool = False
    extras: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @classmethod
    def from_result(cls, r: AnalysisResult, map_file: str | None) -> AnalysisRecord:
        """The record of ``r``; ``map_file``: where its map is (to be) written, if anywhere."""
        d = r.to_dict()  # JSON-safe: numpy values, NaN and tuples already turned
        m = d["map"]
        return cls(
            name=r.analysis,
            provenance=r.provenance,
            params=d["params"],
            seconds=d["seconds"],
            score=d["score"],
            score_label=d["score_label"],
            map=None
            if m is None or r.meaning is None
            else MapRecord(
                r.meaning,
                (m["shape"][0], m["shape"][1]),
                m["mean"],
                m["max"],
                m["p99"],
                map_file,
            ),
            pairs=r.pairs,
            findings=r.findings,
            layers=tuple(d["layers"]),
            display=d["display"],
            extras=d["extras"],
            warnings=tuple(d["warnings"]),
        )

    def to_result(self, sha256: str, heatmap: NDArray[np.float32] | None) -> AnalysisResult:
        """The :class:`AnalysisResult` this record describes, with ``heatmap`` as its map
        (None: without a map). Extra maps and the display picture are not in a scan."""
        return AnalysisResult(
            analysis=self.name,
            provenance=self.provenance,
            params=dict(self.params),
            evidence_sha256=sha256,
            seconds=self.seconds,
            output=Output(
                map=heatmap,
                meaning=None if self.map is None else self.map.meaning,
                score=self.score,
                score_label=self.score_label,
                pairs=self.pairs,
                findings=self.findings,
                extras=dict(self.extras),
                warnings=self.warnings,
            ),
        )

    @property
    def pairs_found(self) -> int | None:
        """Copy pairs found: the count where the analysis looks for them (the copy-move
        analysis, whose ``extras`` say how many), 0 included; None for one that does not, so
        that no summary reads "0 pairs" where copy-move detection never ran."""
        return len(self.pairs) if self.pairs or "pairs" in self.extras else None

    def count(self, level: Level | None = None) -> int:
        """Findings at ``level`` (all when None)."""
        return sum(1 for f in self.findings if level is None or f.level == level)

    def to_json(self) -> dict[str, Any]:
        """The row's ``analyses`` entry (no name: the key gives it)."""
        return {
            "score": self.score,
            "score_label": self.score_label,
            "map": None if self.map is None else self.map.to_json(),
            "pairs": [p.to_dict() for p in self.pairs],
            "findings": [f.to_dict() for f in self.findings],
            "params": dict(self.params),
            "provenance": self.provenance.to_dict(),
            "seconds": self.seconds,
            "layers": [dict(x) for x in self.layers],
            "display": self.display,
            "extras": dict(self.extras),
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_json(cls, name: str, value: object, where: str) -> AnalysisRecord:
        o = _Obj(value, where)
        p = _Obj(o.mapping("provenance"), f"{where}.provenance")
        m = o.mapping("map", None, nullable=True)
        layers = o.array("layers", [])
        for i, x in enumerate(layers):
            if not isinstance(x, dict):
                raise RecordError(f"{where}.layers[{i}]: expected an object, got {_kind(x)}")
        return cls(
            name=name,
            provenance=Provenance(p.text("method"), p.text("source"), p.text("version")),
            params=o.mapping("params"),
            seconds=o.number("seconds"),
            score=o.number("score", None, nullable=True),
            score_label=o.text("score_label", None, nullable=True),
            map=None if m is None else MapRecord.from_json(m, f"{where}.map"),
            pairs=tuple(
                _pair(x, f"{where}.pairs[{i}]") for i, x in enumerate(o.array("pairs", []))
            ),
            findings=tuple(
                _finding(x, f"{where}.findings[{i}]") for i, x in enumerate(o.array("findings", []))
            ),
            layers=tuple(layers),
            display=o.flag("display", False),
            extras=o.mapping("extras", {}),
            warnings=o.strings("warnings", ()),
        )


@dataclass(frozen=True)
class FileRecord:
    """The row of a file every model ran on (``status`` ``"ok"``).

    path: the key of the file (relative to the scanned folder, forward slashes).
    file: the evidence path as analysed (absolute; None in rows of early versions).
    sha256: of the file's bytes when it was decoded.
    width / height / warnings: of the evidence as decoded (orientation applied).
    models: one entry per model, in the order they ran.
    ensemble: the ensemble's entry when one was configured.
    faces_checked: whether face detection ran at all; an empty ``faces`` means "none found"
        only when it is True (None: not recorded).
    evidence: every fact of the evidence but the pixels (None in rows of early versions).
    seconds: the whole analysis of this file (None: not recorded).
    thumbnail: the thumbnail file relative to the output folder, when one was made.
    replaces: the SHA-256 of the earlier row of this path when the file's bytes have changed
        since (a resume analysed it again); None otherwise.
    analyses: one entry per classic analysis run on the file, in the order they ran.
    face_maps: per model the face path ran for, its face map file relative to the output
        folder (:func:`~forensic_viewer.scan.maps.face_map_name`); empty when it did not run.
    files_sha256: per file the row names (:meth:`files`), the SHA-256 of the bytes written
        (:meth:`EncodedRecord.write`), which readers check (``maps.read_named``); empty in
        rows written before it was recorded and for files never written.
    """

    path: str
    sha256: str
    width: int
    height: int
    models: tuple[ModelRecord, ...] = ()
    file: str | None = None
    ensemble: ModelRecord | None = None
    faces: tuple[FaceRecord, ...] = ()
    faces_checked: bool | None = None
    warnings: tuple[str, ...] = ()
    evidence: EvidenceFacts | None = None
    seconds: float | None = None
    thumbnail: str | None = None
    replaces: str | None = None
    analyses: tuple[AnalysisRecord, ...] = ()
    face_maps: Mapping[str, str] = field(default_factory=dict)
    files_sha256: Mapping[str, str] = field(default_factory=dict)

    status: ClassVar[Literal["ok"]] = "ok"
    error: ClassVar[None] = None
    header: ClassVar[None] = None  # an error row's: the facts are in ``evidence``

    def model(self, name: str) -> ModelRecord | None:
        return next((m for m in self.models if m.name == name), None)

    def analysis(self, name: str) -> AnalysisRecord | None:
        return next((a for a in self.analyses if a.name == name), None)

    def evidence_facts(self) -> dict[str, Any]:
        """What the row says of its evidence file (``evidence``), as a report shows it; a row
        of an early version: the size and warnings it held."""
        if self.evidence is not None:
            return self.evidence.to_json()
        return {"width": self.width, "height": self.height, "warnings": list(self.warnings)}

    def files(self) -> frozenset[str]:
        """Every file of the output folder this row names: heatmaps (the ensemble's too), the
        classic analyses' maps, face maps and the thumbnail."""
        heat = [m.heatmap for m in (*self.models, self.ensemble) if m is not None]
        maps = [a.map.file for a in self.analyses if a.map is not None]
        return frozenset(f for f in (*heat, *maps, *self.face_maps.values(), self.thumbnail) if f)

    def renamed(self, names: Mapping[str, str]) -> FileRecord:
        """This row with each file it names that is a key of ``names`` named as its value."""

        def heat(m: ModelRecord) -> ModelRecord:
            return dataclasses.replace(m, heatmap=names.get(m.heatmap or "", m.heatmap))

        def classic(a: AnalysisRecord) -> AnalysisRecord:
            if a.map is None or a.map.file is None:
                return a
            return dataclasses.replace(
                a, map=dataclasses.replace(a.map, file=names.get(a.map.file, a.map.file))
            )

        return dataclasses.replace(
            self,
            models=tuple(map(heat, self.models)),
            ensemble=None if self.ensemble is None else heat(self.ensemble),
            analyses=tuple(map(classic, self.analyses)),
            face_maps={n: names.get(f, f) for n, f in self.face_maps.items()},
            thumbnail=names.get(self.thumbnail or "", self.thumbnail),
            files_sha256={names.get(f, f): h for f, h in self.files_sha256.items()},
        )

    def output_name(self) -> str | None:
        """The name the output files this row names mirror: its path, or its
        :func:`~forensic_viewer.scan.maps.distinct_name` when they are named by that (a file
        whose own name folds to another's, :class:`~forensic_viewer.scan.maps.OutputNames`);
        None when the row names no file."""
        named = {unnumbered(f) for f in self.files()}  # in maps.2/ too: the same names
        if not named:
            return None
        if self.thumbnail is not None and unnumbered(self.thumbnail) == thumb_name(self.path):
            return self.path  # the usual row, told at once (a resume indexes every row)
        entries = (*self.models, *([self.ensemble] if self.ensemble is not None else []))
        other = distinct_name(self.path)
        mine = {
            thumb_name(other),
            *(map_name(other, m.name) for m in entries),
            *(analysis_map_name(other, a.name, a.provenance.version) for a in self.analyses),
            *(face_map_name(other, n) for n in self.face_maps),
        }
        return other if named & mine else self.path

    def hashed(self, written: Mapping[str, str]) -> FileRecord:
        """This row with ``written`` (file name -> SHA-256 of the bytes just written) added to
        its :attr:`files_sha256`, which then holds the files it names only (a re-run analysis's
        older map, no longer named, leaves with its hash)."""
        named = self.files()
        both = {**self.files_sha256, **written}
        return dataclasses.replace(self, files_sha256={f: h for f, h in both.items() if f in named})

    @classmethod
    def from_analysis(
        cls,
        key: str,
        analysis: Analysis,
        *,
        faces_checked: bool | None = None,
        heatmaps: bool = True,
        thumbnail: str | None = None,
        replaces: str | None = None,
        mirror: str | None = None,
    ) -> FileRecord:
        """The record of ``analysis`` under ``key`` (no file is written here).

        heatmaps: whether the maps are (to be) written under their :func:`map_name`; False for
            an analysis that stays in memory.
        mirror: the name the map files mirror (None: ``key``;
            :class:`~forensic_viewer.scan.maps.OutputNames` gives it).
        """
        base = key if mirror is None else mirror

        def entry(name: str, r: ModelResult) -> ModelRecord:
            return ModelRecord.from_result(name, r, map_name(base, name) if heatmaps else None)

        def classic(name: str, r: AnalysisResult) -> AnalysisRecord:
            made = heatmaps and r.map is not None
            file = analysis_map_name(base, name, r.provenance.version) if made else None
            return AnalysisRecord.from_result(r, file)

        ev = analysis.evidence
        ens = analysis.ensemble
        return cls(
            path=key,
            file=os.path.abspath(ev.path),
            sha256=ev.sha256,
            width=ev.width,
            height=ev.height,
            warnings=tuple(ev.warnings),
            models=tuple(entry(name, r) for name, r in analysis.results.items()),
            ensemble=None if ens is None else entry(ens.name, ens),
            faces=tuple(FaceRecord.from_region(f) for f in analysis.faces),
            faces_checked=faces_checked,
            evidence=EvidenceFacts.from_evidence(ev),
            seconds=analysis.seconds,
            thumbnail=thumbnail,
            replaces=replaces,
            analyses=tuple(classic(n, r) for n, r in analysis.analyses.items()),
            face_maps={n: face_map_name(base, n) for n in analysis.face_maps} if heatmaps else {},
        )


@dataclass(frozen=True)
class ErrorRecord:
    """The row of a file that could not be analysed (``status`` ``"error"``; no model ran).

    error: why, in one sentence that names the file.
    sha256: of the file's bytes as read; None when they could not be read at all.
    replaces: as in :class:`FileRecord`.
    header: the file's format and declared size in pixels (as stored, before any EXIF
        orientation) and its size in bytes, as far as they were read before it failed; None
        when its bytes were not read as an image at all (or in rows of earlier versions).
    real_path: ``file`` with every symbolic link followed, as an analysed file's
        ``evidence.real_path`` (a link out of the scanned folder: :mod:`.links`); None in rows
        of earlier versions.
    The class attributes give it the read interface of :class:`FileRecord` (nothing ran).
    """

    path: str
    error: str
    file: str | None = None
    sha256: str | None = None
    replaces: str | None = None
    header: ImageHeader | None = None
    real_path: str | None = None

    status: ClassVar[Literal["error"]] = "error"
    models: ClassVar[tuple[ModelRecord, ...]] = ()
    ensemble: ClassVar[None] = None
    faces: ClassVar[tuple[FaceRecord, ...]] = ()
    faces_checked: ClassVar[None] = None
    thumbnail: ClassVar[None] = None
    analyses: ClassVar[tuple[AnalysisRecord, ...]] = ()
    face_maps: ClassVar[Mapping[str, str]] = {}
    files_sha256: ClassVar[Mapping[str, str]] = {}

    def model(self, name: str) -> None:
        return None

    def analysis(self, name: str) -> None:
        return None

    def evidence_facts(self) -> dict[str, Any]:
        """What its header said (empty: none read, or a row of an earlier version)."""
        return {} if self.header is None else self.header.to_json()

    def files(self) -> frozenset[str]:
        return frozenset()

    def output_name(self) -> None:
        """An error row names no output file."""
        return None


ScanRecord: TypeAlias = FileRecord | ErrorRecord


# --- the writer ----------------------------------------------------------------------------------


def record_to_json(record: ScanRecord) -> dict[str, Any]:
    """The results.jsonl row of ``record`` (a JSON object; field order is part of the format).

    Fields a record read from an early version's row lacks (None) are left out rather than
    written as null, so such a row is written back as it was; in an error row, ``file`` and
    ``sha256`` are always written (null: not known), ``header`` when it was read.
    """
    if isinstance(record, ErrorRecord):
        failed: dict[str, Any] = {
            "path": record.path,
            "file": record.file,
            "sha256": record.sha256,
            "status": "error",
            "error": record.error,
            "models": {},
        }
        if record.header is not None:
            failed["header"] = record.header.to_json()
        if record.replaces is not None:
            failed["replaces"] = {"sha256": record.replaces}
        if record.real_path is not None:  # added after the fields above: written after them
            failed["real_path"] = record.real_path
        return failed
    row: dict[str, Any] = {"path": record.path}
    if record.file is not None:
        row["file"] = record.file
    row |= {
        "sha256": record.sha256,
        "status": "ok",
        "error": None,
        "models": {m.name: m.summary_json() for m in record.models},
        "faces": [f.to_json() for f in record.faces],
    }
    if record.faces_checked is not None:
        row["faces_checked"] = record.faces_checked
    row |= {
        "width": record.width,
        "height": record.height,
        "warnings": list(record.warnings),
    }
    if record.evidence is not None:
        row["evidence"] = record.evidence.to_json()
    row["details"] = {m.name: m.figures.to_json() for m in record.models if m.figures}
    if record.seconds is not None:
        row["seconds"] = record.seconds
    ens = record.ensemble
    if ens is not None:
        row["ensemble"] = {"name": ens.name, **ens.summary_json()}
        if ens.figures is not None:
            row["ensemble_details"] = ens.figures.to_json()
    if record.thumbnail is not None:
        row["thumbnail"] = record.thumbnail
    if record.analyses:
        row["analyses"] = {a.name: a.to_json() for a in record.analyses}
    if record.face_maps:  # written only when the face path ran: other rows are unchanged
        row["face_maps"] = dict(record.face_maps)
    if record.files_sha256:  # rows of earlier versions have none: written back unchanged
        row["files_sha256"] = dict(record.files_sha256)
    if record.replaces is not None:
        row["replaces"] = {"sha256": record.replaces}
    return row


def record_line(record: ScanRecord) -> bytes:
    """``record`` as one line of results.jsonl (UTF-8, newline-terminated). Raises
    ValueError for a non-finite number (NaN is not JSON; :func:`check_finite` says which)."""
    return (json.dumps(record_to_json(record), allow_nan=False) + "\n").encode("utf-8")


class NonFiniteResult(ForensicError):
    """A result holds NaN or an infinity: not a finding, and not writable as JSON."""


def _non_finite(value: object, where: str) -> Iterator[tuple[str, float]]:
    if isinstance(value, float) and not math.isfinite(value):
        yield where, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _non_finite(v, f"{where}.{k}" if where else str(k))
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            yield from _non_finite(v, f"{where}[{i}]")


def check_finite(record: ScanRecord) -> None:
    """Raise :class:`NonFiniteResult` naming the file, the model and the field when a figure
    of ``record`` is NaN or infinite."""
    row = record_to_json(record)
    for where, value in _non_finite(row, ""):
        parts = where.replace("[", ".").split(".")
        if parts[0] in ("models", "details") and len(parts) > 1:
            who = f"model '{parts[1]}'"
        elif parts[0] in ("ensemble", "ensemble_details") and record.ensemble is not None:
            who = f"ensemble '{record.ensemble.name}'"
        elif parts[0] == "faces" and len(parts) > 3 and parts[2] in ("scores", "face_scores"):
            who = f"model '{parts[3]}'"
        elif parts[0] == "analyses" and len(parts) > 1:
            who = f"analysis '{parts[1]}'"
        else:
            who = "the analysis"
        raise NonFiniteResult(
            record.file or record.path,
            f"{who} gave a non-finite figure ({where} = {value}); the result is not recorded",
        )
    for a in record.analyses:  # their JSON turned NaN into null already: look at the map
        m = a.map
        if m is not None and any(v is None for v in (m.mean, m.max, m.p99)):
            raise NonFiniteResult(
                record.file or record.path,
                f"analysis '{a.name}' gave a map holding a non-finite value; the result is "
                "not recorded",
            )


@dataclass(frozen=True)
class EncodedRecord:
    """A :class:`FileRecord` and the bytes of the files it names (its 8-bit map PNGs, then its
    thumbnail JPEG), relative to the output folder: everything of a result but the writing.

    What a scan's worker (a process of the pool, a Ray actor) sends back instead of the
    analysis: the statistics the row, the CSV and the triage read were taken from the float
    maps before they were quantised, so the writer needs nothing else.
    """

    record: FileRecord
    files: tuple[tuple[str, bytes], ...] = ()

    @property
    def nbytes(self) -> int:
        """The bytes of the files (what the maps and thumbnail cost to send)."""
        return sum(len(data) for _, data in self.files)

    def write(self, out: Path, taken: Collection[str] = ()) -> FileRecord:
        """Write the files under ``out`` (each atomically, maps before the thumbnail, all
        before the row that names them); the record as written. ``taken``: the files the row
        this one replaces names (:meth:`FileRecord.files`): none of them is written over, a
        file of that name goes under another (:func:`~forensic_viewer.scan.maps.unnamed`),
        so a scan killed before the new row is appended leaves the old row naming its own
        files. Files of the old row that this one no longer names are removed only once it
        is appended (``run.append_record``). The row records the SHA-256 of each file's bytes
        (:attr:`FileRecord.files_sha256`), hashed here, in the process that writes them,
        whichever process encoded them: a one-process scan and a pooled one give the same row."""
        names = {name: unnamed(name, taken) for name, _ in self.files}
        for name, data in self.files:
            atomic_write(out / names[name], data)
        moved = {old: new for old, new in names.items() if old != new}
        record = self.record.renamed(moved) if moved else self.record
        return record.hashed(
            {names[name]: hashlib.sha256(data).hexdigest() for name, data in self.files}
        )


def encode_result(
    key: str,
    analysis: Analysis,
    *,
    faces_checked: bool | None = None,
    thumb: bytes | None = None,
    replaces: str | None = None,
    mirror: str | None = None,
) -> EncodedRecord:
    """The record of ``analysis`` with its heatmaps encoded as 8-bit PNG bytes
    (:func:`~forensic_viewer.scan.maps.heatmap_png`) and the ``thumb`` JPEG bytes; nothing is
    written. The figures are checked first (:class:`NonFiniteResult` when one is NaN or
    infinite). ``replaces``, ``mirror``: see :class:`FileRecord`, :meth:`FileRecord.from_analysis`."""
    base = key if mirror is None else mirror
    record = FileRecord.from_analysis(
        key,
        analysis,
        faces_checked=faces_checked,
        thumbnail=None if thumb is None else thumb_name(base),
        replaces=replaces,
        mirror=mirror,
    )
    check_finite(record)
    files = [(map_name(base, name), heatmap_png(r.heatmap)) for name, r in analysis.results.items()]
    ens = analysis.ensemble
    if ens is not None:
        files.append((map_name(base, ens.name), heatmap_png(ens.heatmap)))
    for a in record.analyses:
        if a.map is not None and a.map.file is not None:
            files.append((a.map.file, heatmap_png(analysis.analyses[a.name].map)))
    files += [(f, heatmap_png(analysis.face_maps[n])) for n, f in record.face_maps.items()]
    if thumb is not None:
        files.append((thumb_name(base), thumb))
    return EncodedRecord(record, tuple(files))


def result_record(
    key: str,
    analysis: Analysis,
    out: Path,
    *,
    faces_checked: bool | None = None,
    thumb: bytes | None = None,
    replaces: str | None = None,
) -> FileRecord:
    """Write the heatmaps (and the ``thumb`` JPEG bytes) of ``analysis`` under ``out``; its
    record. Files first, so a row never names a map that was not written; but before them the
    figures are checked (:class:`NonFiniteResult` when one is NaN or infinite: nothing is
    written). ``replaces``: see :class:`FileRecord`. :func:`encode_result`, then
    :meth:`EncodedRecord.write`."""
    encoded = encode_result(
        key, analysis, faces_checked=faces_checked, thumb=thumb, replaces=replaces
    )
    return encoded.write(out)


def error_record(
    key: str,
    sha256: str | None,
    message: str,
    *,
    file: str | Path | None = None,
    replaces: str | None = None,
    header: ImageHeader | None = None,
) -> ErrorRecord:
    """The record of a file that could not be analysed (``file``: made absolute, and with its
    links followed as ``real_path``; ``header``: what was read of it, see :class:`ErrorRecord`)."""
    return ErrorRecord(
        path=key,
        error=message,
        file=None if file is None else os.path.abspath(file),
        sha256=sha256,
        replaces=replaces,
        header=header,
        real_path=None if file is None else os.path.realpath(file),
    )


# --- the reader ----------------------------------------------------------------------------------


def record_from_json(value: object) -> ScanRecord:
    """The record of one results.jsonl row (a parsed JSON value), from this version or an
    earlier one. Raises :class:`RecordError` naming the row's path and the field at fault."""
    o = _Obj(value, "row")
    path = o.text("path")
    try:
        status = o.text("status")
        if status == "error":
            return ErrorRecord(
                path=path,
                error=o.text("error"),
                file=o.text("file", None, nullable=True),
                sha256=o.text("sha256", None, nullable=True),
                replaces=_replaces(o),
                header=_header(o),
                real_path=o.text("real_path", None, nullable=True),
            )
        if status != "ok":
            raise RecordError(f'row.status: expected "ok" or "error", got {status!r}')
        return _file_record(o, path)
    except RecordError as e:
        raise RecordError(f"{path}: not a results record ({e})") from None


def _file_record(o: _Obj, path: str) -> FileRecord:
    details = _Obj(o.mapping("details", {}), "row.details")
    models = []
    for name, value in o.mapping("models").items():
        where = f"row.details.{name}"
        fig = details.raw.get(name)
        figures = None if fig is None else ModelFigures.from_json(fig, where)
        models.append(ModelRecord.from_json(name, value, figures, f"row.models.{name}"))
    ensemble = None
    ens = o.mapping("ensemble", None, nullable=True)
    if ens is not None:
        fig = o.mapping("ensemble_details", None, nullable=True)
        figures = None if fig is None else ModelFigures.from_json(fig, "row.ensemble_details")
        name = _Obj(ens, "row.ensemble").text("name")
        ensemble = ModelRecord.from_json(name, ens, figures, "row.ensemble")
    evidence = o.mapping("evidence", None, nullable=True)
    face_maps = _Obj(o.mapping("face_maps", {}), "row.face_maps")
    analyses = tuple(
        AnalysisRecord.from_json(name, value, f"row.analyses.{name}")
        for name, value in o.mapping("analyses", {}).items()
    )
    hashes = _Obj(o.mapping("files_sha256", {}), "row.files_sha256")
    return FileRecord(
        path=path,
        file=o.text("file", None, nullable=True),
        sha256=o.text("sha256"),
        width=o.integer("width"),
        height=o.integer("height"),
        warnings=o.strings("warnings", ()),
        models=tuple(models),
        ensemble=ensemble,
        faces=tuple(
            FaceRecord.from_json(f, f"row.faces[{i}]") for i, f in enumerate(o.array("faces", []))
        ),
        faces_checked=o.flag("faces_checked", None, nullable=True),
        evidence=None if evidence is None else EvidenceFacts.from_json(evidence, "row.evidence"),
        seconds=o.number("seconds", None, nullable=True),
        thumbnail=o.text("thumbnail", None, nullable=True),
        replaces=_replaces(o),
        analyses=analyses,
        face_maps={name: face_maps.text(name) for name in face_maps.raw},
        files_sha256={name: hashes.text(name) for name in hashes.raw},
    )


def _replaces(o: _Obj) -> str | None:
    value = o.mapping("replaces", None, nullable=True)
    return None if value is None else _Obj(value, "row.replaces").text("sha256")


def _header(o: _Obj) -> ImageHeader | None:
    """An error row's ``header`` (None: not read, or a row of an earlier version)."""
    value = o.mapping("header", None, nullable=True)
    if value is None:
        return None
    h = _Obj(value, "row.header")
    return ImageHeader(
        sha256=o.text("sha256", None, nullable=True) or "",
        file_size=h.integer("file_size"),
        format=h.text("format", None, nullable=True),
        width=h.integer("width", None, nullable=True),
        height=h.integer("height", None, nullable=True),
        fs_times=_fs_times(h),
    )


def parse_line(line: bytes | str) -> ScanRecord | None:
    """The record of one line of results.jsonl; None for a line that is not one (a torn last
    line, a row of another format), which readers skip."""
    try:
        return record_from_json(json.loads(line))
    except ValueError:  # JSONDecodeError, RecordError, UnicodeDecodeError
        return None


def as_record(record: ScanRecord | Mapping[str, Any]) -> ScanRecord:
    """``record`` typed: a row as written (e.g. handed to a scan's ``on_file`` callback) goes
    through :func:`record_from_json`; a typed record is returned as it is."""
    if isinstance(record, FileRecord | ErrorRecord):
        return record
    return record_from_json(dict(record))
