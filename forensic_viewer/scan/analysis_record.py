"""A classic analysis's entry in a scanned file's results row (no Qt).

:class:`AnalysisRecord` (one ``engine.analyses`` result but its arrays and the evidence's
SHA-256) with its :class:`MapRecord`, its clone pairs and findings, written and read here
field for field; the row that holds them is :mod:`forensic_viewer.scan.records`'
:class:`~forensic_viewer.scan.records.FileRecord`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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
from forensic_viewer.scan.rowjson import RecordError, RowObject, is_integer, is_number, kind_of


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
        o = RowObject(value, where)
        m = RowObject(o.mapping("meaning"), f"{where}.meaning")
        scale = m.text("scale")
        if scale not in set(MapScale):
            raise RecordError(f"{where}.meaning.scale: expected one of {list(map(str, MapScale))}")
        shape = o.array("shape")
        if len(shape) != 2 or not all(is_integer(v) for v in shape):
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
    o = RowObject(value, where)
    level = o.text("level")
    if level not in set(Level):
        raise RecordError(f"{where}.level: expected one of {list(map(str, Level))}")
    return Finding(o.text("topic"), o.text("key"), o.text("value"), Level(level), o.text("note"))


def _box(o: RowObject, key: str) -> tuple[int, int, int, int]:
    box = o.array(key)
    if len(box) != 4 or not all(is_integer(v) for v in box):
        raise RecordError(f"{o.where}.{key}: expected 4 integers, got {box!r}")
    return (box[0], box[1], box[2], box[3])


def _pair(value: object, where: str) -> ClonePair:
    o = RowObject(value, where)
    affine = o.array("affine")
    if len(affine) != 6 or not all(is_number(v) for v in affine):
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
        o = RowObject(value, where)
        p = RowObject(o.mapping("provenance"), f"{where}.provenance")
        m = o.mapping("map", None, nullable=True)
        layers = o.array("layers", [])
        for i, x in enumerate(layers):
            if not isinstance(x, dict):
                raise RecordError(f"{where}.layers[{i}]: expected an object, got {kind_of(x)}")
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
