"""The results format of a scan, in both directions (no Qt).

Output folder layout (the contract reports, the triage table and evaluations rely on):

- ``results.jsonl``: one JSON object per file (see :func:`result_record`), appended and flushed
  as each file finishes, so an interrupted scan loses at most the file in progress;
- ``results.csv``: the same figures, rewritten from ``results.jsonl`` at the end;
- ``maps/<relative path>.<model>.png``: each heatmap as 8-bit grayscale at the evidence's full
  (orientation-corrected) resolution, value = round(255 x probability);
- ``thumbs/<relative path>.jpg``: a small thumbnail of the evidence (long side
  :data:`THUMB_SIDE`) for triage tables, made while the file was decoded anyway;
- ``scan.json``: what produced the results (folder, models and their SHA-256, window, stride),
  so a resume with other settings is refused instead of mixing results.

Writing: :func:`result_record` / :func:`error_record` and the append-only log. Reading:
:class:`ResultIndex` (byte offsets, one record at a time), :func:`read_records`, and
:func:`analysis_from_record`, which rebuilds the :class:`~engine.types.Analysis` a scan
recorded (for the viewer and reports; nothing is analysed again).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from engine.errors import ForensicError
from engine.files import AtomicFile, atomic_write
from engine.types import Analysis, Evidence, FaceRegion, ModelResult

RESULTS = "results.jsonl"


CSV_NAME = "results.csv"


MAPS = "maps"


THUMBS = "thumbs"


SCAN_INFO = "scan.json"


THUMB_SIDE = 160  # px, long side of a triage thumbnail


def map_name(key: str, model: str) -> str:
    return f"{MAPS}/{key}.{model}.png"


def save_heatmap_png(heatmap: np.ndarray, path: Path) -> None:
    """8-bit grayscale, value = round(255 x probability).

    zlib level 1: a third of the CPU time of Pillow's default level 6 for files about half
    again as large; encoding is the largest cost of a scan besides the network.
    """
    u8 = np.rint(np.clip(heatmap, 0.0, 1.0) * 255.0).astype(np.uint8)
    with AtomicFile(path) as out:
        Image.fromarray(u8, mode="L").save(out.file, format="PNG", compress_level=1)


def _model_record(r: ModelResult, heatmap_rel: str) -> dict[str, Any]:
    return {
        "score": r.score,
        "verdict": r.verdict,
        "forged_fraction": r.forged_fraction,
        "threshold": r.threshold,
        "heatmap": heatmap_rel,
    }


def thumb_name(key: str) -> str:
    return f"{THUMBS}/{key}.jpg"


def thumbnail(rgb: NDArray[np.uint8], max_side: int = THUMB_SIDE) -> NDArray[np.uint8]:
    """``rgb`` [H, W, 3] scaled (area interpolation) so its long side is at most ``max_side``."""
    h, w = rgb.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1.0:
        return np.ascontiguousarray(rgb)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def encode_jpeg(rgb: NDArray[np.uint8], quality: int = 85) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def result_record(
    key: str,
    analysis: Analysis,
    out: Path,
    *,
    faces_checked: bool | None = None,
    thumb: bytes | None = None,
) -> dict[str, Any]:
    """Write the heatmaps (and thumbnail) of ``analysis`` under ``out``; its results.jsonl object.

    Fields: ``path`` (key relative to the scanned folder), ``file`` (the evidence path as
    analysed), ``sha256`` (of the bytes at load), ``status`` ``"ok"``, ``error`` None,
    ``models`` (score, verdict, forged fraction, threshold, heatmap file per model),
    ``ensemble`` (same, when configured), ``faces``, ``faces_checked`` (whether face detection
    ran at all: an empty ``faces`` list means "none found" only when it is true), ``width``,
    ``height``, ``warnings``, ``evidence`` (every fact of :class:`Evidence` but the pixels),
    ``details`` (the full :class:`ModelResult` figures per model), ``seconds`` and
    ``thumbnail``.
    """
    models: dict[str, Any] = {}
    for name, r in analysis.results.items():
        rel = map_name(key, name)
        save_heatmap_png(r.heatmap, out / rel)
        models[name] = _model_record(r, rel)
    ev = analysis.evidence
    record: dict[str, Any] = {
        "path": key,
        "file": os.path.abspath(ev.path),
        "sha256": ev.sha256,
        "status": "ok",
        "error": None,
        "models": models,
        "faces": [f.to_dict() for f in analysis.faces],
        "faces_checked": faces_checked,
        "width": ev.width,
        "height": ev.height,
        "warnings": ev.warnings,
        "evidence": ev.to_dict(),
        "details": {name: r.to_dict() for name, r in analysis.results.items()},
        "seconds": analysis.seconds,
    }
    if analysis.ensemble is not None:
        rel = map_name(key, analysis.ensemble.name)
        save_heatmap_png(analysis.ensemble.heatmap, out / rel)
        record["ensemble"] = {
            "name": analysis.ensemble.name,
            **_model_record(analysis.ensemble, rel),
        }
        record["ensemble_details"] = analysis.ensemble.to_dict()
    if thumb is not None:
        atomic_write(out / thumb_name(key), thumb)
        record["thumbnail"] = thumb_name(key)
    return record


def error_record(
    key: str, sha256: str | None, message: str, *, file: str | Path | None = None
) -> dict[str, Any]:
    """The results.jsonl object of a file that could not be analysed (no model ran on it)."""
    return {
        "path": key,
        "file": None if file is None else os.path.abspath(file),
        "sha256": sha256,
        "status": "error",
        "error": message,
        "models": {},
    }


class ResultIndex:
    """Where the last record of each path sits in ``results.jsonl`` (byte offsets only).

    Reading a record back costs one seek, so resume, CSV and reports work on 10,000-file
    folders without holding every record in memory. The last record of a path wins (a retried
    file appends a second one); lines that do not parse (a torn last line) are ignored.
    """

    def __init__(self, out: Path) -> None:
        self.file = out / RESULTS
        self._offsets: dict[str, int] = {}
        self._status: dict[str, str] = {}
        self.has_ensemble = False
        self.ends_torn = False
        if not self.file.exists():
            return
        with open(self.file, "rb") as f:
            offset = 0
            line = b""
            for line in f:
                self._add_line(line, offset)
                offset += len(line)
            self.ends_torn = bool(line) and not line.endswith(b"\n")

    def _add_line(self, line: bytes, offset: int) -> None:
        try:
            rec = json.loads(line)
            key = rec["path"]
        except (ValueError, KeyError, TypeError):
            return
        if isinstance(key, str):
            self._add(rec, offset)

    def _add(self, rec: dict[str, Any], offset: int) -> None:
        self._offsets[rec["path"]] = offset
        self._status[rec["path"]] = str(rec.get("status"))
        self.has_ensemble |= "ensemble" in rec

    def __contains__(self, key: object) -> bool:
        return key in self._offsets

    def __len__(self) -> int:
        return len(self._offsets)

    def keys(self) -> list[str]:
        """Paths in the order they were first recorded."""
        return list(self._offsets)

    def status(self, key: str) -> str | None:
        return self._status.get(key)

    def done_keys(self) -> frozenset[str]:
        """Paths whose last record is a finished analysis (a resume skips them)."""
        return frozenset(k for k, s in self._status.items() if s == "ok")

    def get(self, key: str) -> dict[str, Any]:
        with open(self.file, "rb") as f:
            return self._read_at(f, self._offsets[key])

    def iter_records(self, keys: Iterable[str] | None = None) -> Iterator[dict[str, Any]]:
        """Records of ``keys`` (default: every path) one at a time, in that order."""
        with open(self.file, "rb") as f:
            for key in self.keys() if keys is None else keys:
                offset = self._offsets.get(key)
                if offset is not None:
                    yield self._read_at(f, offset)

    @staticmethod
    def _read_at(f: BinaryIO, offset: int) -> dict[str, Any]:
        f.seek(offset)
        return json.loads(f.readline())


class _ResultLog(ResultIndex):
    """``results.jsonl`` opened for appending; every record is flushed as it is written."""

    def __init__(self, out: Path) -> None:
        super().__init__(out)
        self._log = open(self.file, "ab")  # closed by close()
        if self.ends_torn:  # the torn line stays unparseable; the next record starts clean
            self._log.write(b"\n")
            self._log.flush()
        self._end = self._log.tell()

    def append(self, record: dict[str, Any]) -> None:
        line = (json.dumps(record) + "\n").encode("utf-8")
        self._log.write(line)
        self._log.flush()
        self._add(record, self._end)
        self._end += len(line)

    def close(self) -> None:
        self._log.close()

    def compact(self) -> None:
        """Rewrite results.jsonl with one record per path (retried files appended a second)."""
        self._log.flush()
        offsets: dict[str, int] = {}
        with open(self.file, "rb") as src, AtomicFile(self.file) as out:
            dst = out.file
            assert dst is not None
            for key, offset in self._offsets.items():
                src.seek(offset)
                offsets[key] = dst.tell()
                dst.write(src.readline())
            self._log.close()
        self._offsets = offsets
        self._log = open(self.file, "ab")  # closed by close()
        self._end = self._log.tell()


def read_records(out: Path) -> dict[str, dict[str, Any]]:
    """Every record by path, in memory (the last record of a path wins; a torn line is ignored).

    For large folders prefer :class:`ResultIndex`, which reads records one at a time.
    """
    index = ResultIndex(out)
    return {r["path"]: r for r in index.iter_records()} if len(index) else {}


def write_csv(
    out: Path,
    records: Iterable[dict[str, Any]],
    models: list[str],
    *,
    ensemble: bool | None = None,
) -> None:
    """results.csv from ``records``, streamed. ``ensemble``: whether to add the ensemble
    columns (None: look at the records, which then must be a list)."""
    if ensemble is None:
        records = list(records)
        ensemble = any("ensemble" in r for r in records)
    cols = ["path", "sha256", "status", "error"]
    names = [*models, *(["ensemble"] if ensemble else [])]
    for m in names:
        cols += [
            f"{m}.score",
            f"{m}.verdict",
            f"{m}.forged_fraction",
            f"{m}.threshold",
            f"{m}.heatmap",
        ]
    cols.append("faces")
    with AtomicFile(out / CSV_NAME, "w", newline="", encoding="utf-8") as dst:
        w = csv.writer(dst.file)
        w.writerow(cols)
        for r in records:
            row = [r["path"], r.get("sha256") or "", r["status"], r.get("error") or ""]
            for m in names:
                d = r.get("ensemble") if m == "ensemble" else r.get("models", {}).get(m)
                if d:
                    row += [
                        f"{d['score']:.6f}",
                        d["verdict"],
                        f"{d['forged_fraction']:.6f}",
                        f"{d['threshold']:.6f}",
                        d["heatmap"],
                    ]
                else:
                    row += ["", "", "", "", ""]
            row.append(len(r.get("faces") or []))
            w.writerow(row)


@dataclass
class ScanAnalysis(Analysis):
    """An :class:`Analysis` rebuilt from a scan's record, for display and reports.

    scan_out / scan_key: the scan output folder and the file's key in it, so a report of this
    image is written from the scan's record (:func:`~forensic_viewer.report.scan_source`),
    which says its heatmaps are the 8-bit files.
    """

    scan_out: Path = field(default_factory=Path)
    scan_key: str = ""


def _result(figures: dict[str, Any], heatmap: NDArray[np.float32]) -> ModelResult:
    names = {f.name for f in dataclasses.fields(ModelResult)} - {"heatmap", "mask"}
    kw = {k: v for k, v in figures.items() if k in names}
    r = ModelResult(**kw, heatmap=heatmap)
    r.mask = heatmap > r.pixel_threshold
    return r


def _read_map(path: Path, evidence: Evidence) -> NDArray[np.float32]:
    from PIL import Image

    try:
        with Image.open(path, formats=["PNG"]) as im:
            heat = np.asarray(im.convert("L"), dtype=np.float32) / np.float32(255.0)
    except (OSError, ValueError) as e:
        raise ForensicError(path, f"heatmap cannot be read ({e})") from e
    if heat.shape != (evidence.height, evidence.width):
        raise ForensicError(
            path,
            f"heatmap is {heat.shape[1]}×{heat.shape[0]}, the evidence is "
            f"{evidence.width}×{evidence.height}",
        )
    return heat


def analysis_from_record(record: dict[str, Any], out: Path, evidence: Evidence) -> ScanAnalysis:
    """The analysis a scan recorded for ``evidence`` (decoded again by the caller).

    Raises :class:`ForensicError` (naming the file) when the evidence is not the file the scan
    analysed (SHA-256), the record has no figures (not a finished analysis, or written by an
    older version), or a heatmap file is missing or of another size.
    """
    key = str(record.get("path"))
    if record.get("status") != "ok":
        raise ForensicError(evidence.path, f"the scan could not analyse it: {record.get('error')}")
    if record.get("sha256") != evidence.sha256:
        raise ForensicError(
            evidence.path,
            "changed since the scan (SHA-256 differs); the scan's result is not shown",
        )
    details = record.get("details") or {}
    results: dict[str, ModelResult] = {}
    for name, short in (record.get("models") or {}).items():
        if name not in details or not short.get("heatmap"):
            raise ForensicError(evidence.path, f"the scan record of {name} has no figures")
        results[name] = _result(details[name], _read_map(out / short["heatmap"], evidence))
    ensemble = None
    ens = record.get("ensemble")
    if ens:
        if not record.get("ensemble_details") or not ens.get("heatmap"):
            raise ForensicError(evidence.path, "the scan record of the ensemble has no figures")
        ensemble = _result(record["ensemble_details"], _read_map(out / ens["heatmap"], evidence))
    faces = [
        FaceRegion(
            box=tuple(int(v) for v in f["box"]),  # type: ignore[arg-type]
            confidence=float(f["confidence"]),
            scores={str(k): float(v) for k, v in (f.get("scores") or {}).items()},
        )
        for f in record.get("faces") or []
    ]
    return ScanAnalysis(
        evidence=evidence,
        results=results,
        faces=faces,
        ensemble=ensemble,
        seconds=float(record.get("seconds") or 0.0),
        scan_out=out,
        scan_key=key,
    )
