"""The results format of a scan, in both directions (no Qt).

Users script against ``results.jsonl``, so its rows are a public contract: published as a JSON
Schema in ``docs/results.schema.json``, with the folder layout in ``docs/RESULTS.md``. This
module and the entries it is made of are the one place that knows the rows' fields:

- typed records: :class:`FileRecord` (a file that was analysed: :class:`ModelRecord` per model
  and for the ensemble, with their :class:`ModelFigures`; :class:`AnalysisRecord` per classic
  analysis, with its :class:`MapRecord`; :class:`FaceRecord`; :class:`EvidenceFacts`) and
  :class:`ErrorRecord` (a file that could not be analysed). Each entry is written and read in
  its own module, :mod:`forensic_viewer.scan.record_parts` (models, faces, evidence) or
  :mod:`forensic_viewer.scan.analysis_record` (classic analyses), and imported from here;
- one writer, :func:`record_to_json` (one row; the row with the maps and thumbnail it names,
  encoded and written: :mod:`forensic_viewer.scan.encoded`);
- one reader, :func:`record_from_json` (raises :class:`RecordError`, every field read through
  :mod:`forensic_viewer.scan.rowjson`; :func:`parse_line` gives
  None for a line that is not a record, which readers skip). Rows of earlier versions read:
  the fields added since the first version (``file``, ``faces_checked``, ``evidence``,
  ``seconds``, ``ensemble_details``, ``thumbnail``, ``replaces``, ``files_sha256``) get
  defaults, and so do
  ``details``, ``faces`` and ``warnings``, which the other readers never required. A row
  without a field every version wrote, or with a field of another type, is not a record.

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
import json
import math
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeAlias

from engine.analyses import AnalysisResult
from engine.errors import ForensicError, ImageHeader
from engine.types import Analysis, ModelResult
from forensic_viewer.probability_source import analysis_source
from forensic_viewer.scan.analysis_record import AnalysisRecord, MapRecord
from forensic_viewer.scan.maps import (
    analysis_map_name,
    distinct_name,
    face_map_name,
    map_name,
    thumb_name,
    unnumbered,
)
from forensic_viewer.scan.record_parts import (
    SUMMARY_FIELDS,
    EvidenceFacts,
    FaceRecord,
    ModelFigures,
    ModelRecord,
    fs_times_field,
)
from forensic_viewer.scan.rowjson import RecordError, RowObject

# the row's entries are written and read in their own modules; their readers import them from here
__all__ = [
    "MAP_LEVELS",
    "SUMMARY_FIELDS",
    "AnalysisRecord",
    "ErrorRecord",
    "EvidenceFacts",
    "FaceRecord",
    "FileRecord",
    "MapRecord",
    "ModelFigures",
    "ModelRecord",
    "NonFiniteResult",
    "RecordError",
    "ScanRecord",
    "as_record",
    "check_finite",
    "error_record",
    "parse_line",
    "record_from_json",
    "record_line",
    "record_to_json",
]


# a row's map_levels: its model and ensemble maps were quantised by engine.metrics.levels with
# each model's own pixel threshold and 0.5 kept (scan/encoded.py; rows before 2026-12-06: none)
MAP_LEVELS = "kept"


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
        (:meth:`~forensic_viewer.scan.encoded.EncodedRecord.write`), which readers check
        (``maps.read_named``); empty in rows written before it was recorded and for files
        never written.
    run: the identity of the scan's run that wrote the row (scan.json's ``run.id``, or an
        ``earlier_runs`` entry's, which holds that run's environment; in rows written before
        runs had one, its start to the second, its ``started``:
        :mod:`~forensic_viewer.scan.run_id`); None in rows written before 2026-12-06 and
        outside a scan.
    probability_source: whose probability the ensemble's is, and the image's own stacked
        probability (:func:`forensic_viewer.probability_source.source_fields`); None without
        an ensemble probability and in rows written before 2026-12-06.
    map_levels: how the row's model and ensemble map files were quantised, :data:`MAP_LEVELS`
        ("kept": round(255 p), no pixel moved across the model's own pixel threshold or 0.5,
        :func:`engine.metrics.levels`); None in rows written before it was recorded
        (2026-12-06), whose maps may be plain round(255 p), as scans wrote them until that
        day, and which a resume keeps as they are unless it analyses the file again.
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
    run: str | None = None
    probability_source: Mapping[str, Any] | None = None
    map_levels: str | None = None

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
            probability_source=None if ens is None else analysis_source(analysis),
            map_levels=MAP_LEVELS if heatmaps else None,
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
    run: as in :class:`FileRecord`.
    The class attributes give it the read interface of :class:`FileRecord` (nothing ran).
    """

    path: str
    error: str
    file: str | None = None
    sha256: str | None = None
    replaces: str | None = None
    header: ImageHeader | None = None
    real_path: str | None = None
    run: str | None = None

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
        if record.run is not None:
            failed["run"] = record.run
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
    if record.run is not None:  # rows of earlier versions have none: written back unchanged
        row["run"] = record.run
    if record.probability_source is not None:  # ... nor this
        row["probability_source"] = dict(record.probability_source)
    if record.map_levels is not None:  # ... nor this
        row["map_levels"] = record.map_levels
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
    o = RowObject(value, "row")
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
                run=o.text("run", None, nullable=True),
            )
        if status != "ok":
            raise RecordError(f'row.status: expected "ok" or "error", got {status!r}')
        return _file_record(o, path)
    except RecordError as e:
        raise RecordError(f"{path}: not a results record ({e})") from None


def _file_record(o: RowObject, path: str) -> FileRecord:
    details = RowObject(o.mapping("details", {}), "row.details")
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
        name = RowObject(ens, "row.ensemble").text("name")
        ensemble = ModelRecord.from_json(name, ens, figures, "row.ensemble")
    evidence = o.mapping("evidence", None, nullable=True)
    face_maps = RowObject(o.mapping("face_maps", {}), "row.face_maps")
    analyses = tuple(
        AnalysisRecord.from_json(name, value, f"row.analyses.{name}")
        for name, value in o.mapping("analyses", {}).items()
    )
    hashes = RowObject(o.mapping("files_sha256", {}), "row.files_sha256")
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
        run=o.text("run", None, nullable=True),
        probability_source=_probability_source(o),
        map_levels=o.text("map_levels", None, nullable=True),
    )


def _probability_source(o: RowObject) -> dict[str, Any] | None:
    """The row's ``probability_source`` (absent in rows written before 2026-12-06)."""
    value = o.mapping("probability_source", None, nullable=True)
    if value is None:
        return None
    src = RowObject(value, "row.probability_source")
    return {
        "source": src.text("source"),
        "stacked_probability": src.number("stacked_probability", None, nullable=True),
    }


def _replaces(o: RowObject) -> str | None:
    value = o.mapping("replaces", None, nullable=True)
    return None if value is None else RowObject(value, "row.replaces").text("sha256")


def _header(o: RowObject) -> ImageHeader | None:
    """An error row's ``header`` (None: not read, or a row of an earlier version)."""
    value = o.mapping("header", None, nullable=True)
    if value is None:
        return None
    h = RowObject(value, "row.header")
    return ImageHeader(
        sha256=o.text("sha256", None, nullable=True) or "",
        file_size=h.integer("file_size"),
        format=h.text("format", None, nullable=True),
        width=h.integer("width", None, nullable=True),
        height=h.integer("height", None, nullable=True),
        fs_times=fs_times_field(h),
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
