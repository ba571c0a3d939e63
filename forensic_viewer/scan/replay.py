"""A scan's result shown again: the :class:`~engine.types.Analysis` a record describes.

Double-clicking a triage row or writing a report from a scan rebuilds the analysis from the
typed record (:mod:`forensic_viewer.scan.records`) and the scan's 8-bit heatmaps
(:mod:`forensic_viewer.scan.maps`), the classic analyses from their entries and 8-bit maps
(without their extra maps and display pictures, which a scan does not keep); nothing is
analysed again. No Qt.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.analyses import AnalysisResult
from engine.errors import ForensicError
from engine.types import Analysis, Evidence, ModelResult
from forensic_viewer.scan.face_rates import recorded_face_models
from forensic_viewer.scan.maps import read_heatmap_png, row_file_inside
from forensic_viewer.scan.records import (
    AnalysisRecord,
    FileRecord,
    ModelRecord,
    ScanRecord,
    as_record,
)


@dataclass
class ScanAnalysis(Analysis):
    """An :class:`Analysis` rebuilt from a scan's record, for display and reports.

    scan_out / scan_key: the scan output folder and the file's key in it, so a report of this
    image is written from the scan's record (:func:`~forensic_viewer.report.scan_source`),
    which says its heatmaps are the 8-bit files.
    scan_name: the name its output files mirror (the row's ``output_name()``: the key, or the
    key told apart from one that folds to it), which a probe table kept there is named by.
    scan_run: the identity of the scan's run that made the row (the row's ``run``: its start
        to the microsecond and a random part, or in rows of before its start to the second,
        :mod:`~forensic_viewer.scan.run_id`; None in rows written before 2026-12-06).
    face_model_figures: the scan's face models as its scan.json recorded them (checkpoint
        SHA-256, θ, measured reliability): the rates worded beside this row's faces are these
        when they are the scoring checkpoint's, never the viewer's face model's
        (:mod:`forensic_viewer.scan.face_rates`); {} when scan.json could not be read.
    """

    scan_out: Path = field(default_factory=Path)
    scan_key: str = ""
    scan_name: str = ""
    face_model_figures: dict[str, Any] = field(default_factory=dict)
    scan_run: str | None = None  # the identity of the scan's run that made the row (its ``run``)


def analysis_from_record(
    record: ScanRecord | Mapping[str, Any], out: Path, evidence: Evidence
) -> ScanAnalysis:
    """The analysis a scan recorded for ``evidence`` (decoded again by the caller).

    record: typed, or a row as written (read through :func:`record_from_json`).
    Raises :class:`ForensicError` (naming the file) when the evidence is not the file the scan
    analysed (SHA-256), the record has no figures (not a finished analysis, or written by an
    older version), or a heatmap file is missing, of another size, or not the bytes its row
    recorded (``files_sha256``: one line saying it does not match the hash its row recorded);
    :class:`RecordError` when a row is not a record.
    """
    rec = as_record(record)
    if not isinstance(rec, FileRecord):
        raise ForensicError(evidence.path, f"the scan could not analyse it: {rec.error}")
    if rec.sha256 != evidence.sha256:
        raise ForensicError(
            evidence.path,
            "changed since the scan (SHA-256 differs); the scan's result is not shown",
        )
    size = (evidence.height, evidence.width)

    def read(file: str) -> NDArray[np.float32]:  # checked against the hash its row recorded
        return read_heatmap_png(
            row_file_inside(out, file, rec.path), size, rec.files_sha256.get(file)
        )

    def rebuilt(m: ModelRecord, what: str) -> ModelResult:
        if m.figures is None or not m.heatmap:
            raise ForensicError(evidence.path, f"the scan record of {what} has no figures")
        return m.figures.to_result(read(m.heatmap))

    def classic(a: AnalysisRecord) -> AnalysisResult:
        file = None if a.map is None else a.map.file
        if a.map is not None and not file:
            raise ForensicError(evidence.path, f"the scan record of {a.name} names no map file")
        return a.to_result(rec.sha256, None if file is None else read(file))

    return ScanAnalysis(
        evidence=evidence,
        results={m.name: rebuilt(m, m.name) for m in rec.models},
        faces=[f.to_region() for f in rec.faces],
        ensemble=None if rec.ensemble is None else rebuilt(rec.ensemble, "the ensemble"),
        seconds=float(rec.seconds or 0.0),
        analyses={a.name: classic(a) for a in rec.analyses},
        face_maps={n: read(f) for n, f in rec.face_maps.items()},
        faces_checked=rec.faces_checked,
        scan_out=out,
        scan_key=rec.path,
        scan_name=rec.output_name() or rec.path,
        face_model_figures=recorded_face_models(out) if rec.faces else {},
        scan_run=rec.run,
    )
