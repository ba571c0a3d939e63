"""Headless analysis of many files: folder walking, result files, resume.

Used by ``forensic-viewer analyze`` / ``scan`` and by the viewer's batch dialog, so that both
write the same files with the same figures. No Qt here.

Output folder layout (the contract reports and evaluations rely on):

- ``results.jsonl``: one JSON object per file (see :func:`result_record`), appended and flushed
  as each file finishes, so an interrupted scan loses at most the file in progress;
- ``results.csv``: the same figures, rewritten from ``results.jsonl`` at the end;
- ``maps/<relative path>.<model>.png``: each heatmap as 8-bit grayscale at the evidence's full
  (orientation-corrected) resolution, value = round(255 x probability);
- ``scan.json``: what produced the results (folder, models and their SHA-256, window, stride),
  so a resume with other settings is refused instead of mixing results.
"""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from engine.errors import EvidenceError, ForensicError
from engine.io import is_image_name, load_evidence
from engine.pipeline import Analyzer
from engine.tiling import Cancelled
from engine.types import Analysis, ModelResult, Progress

RESULTS = "results.jsonl"
CSV_NAME = "results.csv"
MAPS = "maps"
SCAN_INFO = "scan.json"


def iter_images(folder: Path, recursive: bool) -> Iterator[Path]:
    """Image files below ``folder`` in a stable order.

    Symbolic links to folders are followed once: a folder already visited (same device and
    inode) is skipped, so link loops end. Folders named like images are never taken as files.
    """
    seen: set[tuple[int, int]] = set()

    def walk(d: Path) -> Iterator[Path]:
        try:
            st = d.stat()
        except OSError:
            return
        key = (st.st_dev, st.st_ino)
        if key in seen:
            return
        seen.add(key)
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError:
            return
        subdirs = []
        for e in entries:
            try:
                is_dir = e.is_dir(follow_symlinks=True)
            except OSError:
                continue
            if is_dir:
                subdirs.append(Path(e.path))
            elif is_image_name(e.name):
                yield Path(e.path)
        if recursive:
            for s in subdirs:
                yield from walk(s)

    yield from walk(folder)


def rel_key(path: Path, root: Path | None) -> str:
    """The ``path`` field of a record: relative to the scanned folder, forward slashes."""
    if root is None:
        return path.name
    return path.relative_to(root).as_posix()


def map_name(key: str, model: str) -> str:
    return f"{MAPS}/{key}.{model}.png"


def save_heatmap_png(heatmap: np.ndarray, path: Path) -> None:
    """8-bit grayscale, value = round(255 x probability)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    u8 = np.rint(np.clip(heatmap, 0.0, 1.0) * 255.0).astype(np.uint8)
    tmp = path.with_name(path.name + ".tmp")
    Image.fromarray(u8, mode="L").save(tmp, format="PNG")
    tmp.replace(path)


def _model_record(r: ModelResult, heatmap_rel: str) -> dict[str, Any]:
    return {
        "score": r.score,
        "verdict": r.verdict,
        "forged_fraction": r.forged_fraction,
        "threshold": r.threshold,
        "heatmap": heatmap_rel,
    }


def result_record(key: str, analysis: Analysis, out: Path) -> dict[str, Any]:
    """Write the heatmaps of ``analysis`` under ``out`` and return its results.jsonl object."""
    models: dict[str, Any] = {}
    for name, r in analysis.results.items():
        rel = map_name(key, name)
        save_heatmap_png(r.heatmap, out / rel)
        models[name] = _model_record(r, rel)
    record: dict[str, Any] = {
        "path": key,
        "sha256": analysis.evidence.sha256,
        "status": "ok",
        "error": None,
        "models": models,
        "faces": [f.to_dict() for f in analysis.faces],
        "width": analysis.evidence.width,
        "height": analysis.evidence.height,
        "warnings": analysis.evidence.warnings,
        "details": {name: r.to_dict() for name, r in analysis.results.items()},
    }
    if analysis.ensemble is not None:
        rel = map_name(key, analysis.ensemble.name)
        save_heatmap_png(analysis.ensemble.heatmap, out / rel)
        record["ensemble"] = {
            "name": analysis.ensemble.name,
            **_model_record(analysis.ensemble, rel),
        }
    return record


def error_record(key: str, sha256: str | None, message: str) -> dict[str, Any]:
    return {"path": key, "sha256": sha256, "status": "error", "error": message, "models": {}}


def read_records(out: Path) -> dict[str, dict[str, Any]]:
    """Existing records by path (the last record of a path wins; a torn last line is ignored)."""
    records: dict[str, dict[str, Any]] = {}
    f = out / RESULTS
    if not f.exists():
        return records
    for line in f.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
            records[rec["path"]] = rec
        except (ValueError, KeyError, TypeError):
            continue
    return records


def write_csv(out: Path, records: list[dict[str, Any]], models: list[str]) -> None:
    cols = ["path", "sha256", "status", "error"]
    has_ens = any("ensemble" in r for r in records)
    names = [*models, *(["ensemble"] if has_ens else [])]
    for m in names:
        cols += [
            f"{m}.score",
            f"{m}.verdict",
            f"{m}.forged_fraction",
            f"{m}.threshold",
            f"{m}.heatmap",
        ]
    cols.append("faces")
    tmp = out / (CSV_NAME + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
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
    tmp.replace(out / CSV_NAME)


def _compact(out: Path, records: dict[str, dict[str, Any]]) -> None:
    """Rewrite results.jsonl with one record per path (retried files appended a second one)."""
    tmp = out / (RESULTS + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for rec in records.values():
            f.write(json.dumps(rec) + "\n")
    tmp.replace(out / RESULTS)


@dataclass
class ScanSummary:
    total: int = 0
    done: int = 0
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    cancelled: bool = False
    seconds: float = 0.0


class ScanSettingsMismatch(ForensicError):
    """The output folder holds results made with other models or settings."""


def scan_settings(analyzer: Analyzer, source: str) -> dict[str, Any]:
    return {
        "source": source,
        "models": {m.name: m.sha256 for m in analyzer.models},
        "window": analyzer.window,
        "stride": analyzer.stride,
        "ensemble": getattr(analyzer.ensemble, "name", None),
    }


def check_settings(out: Path, settings: dict[str, Any]) -> None:
    info = out / SCAN_INFO
    if info.exists():
        try:
            old = json.loads(info.read_text(encoding="utf-8"))
        except ValueError:
            old = None
        if old is not None and {k: old.get(k) for k in settings} != settings:
            raise ScanSettingsMismatch(
                out,
                "holds results made with other models or settings; use another --out folder",
            )
    out.mkdir(parents=True, exist_ok=True)
    info.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")


def run_scan(
    files: list[tuple[Path, str]],
    analyzer: Analyzer,
    out: Path,
    *,
    source: str,
    on_file: Callable[[int, int, dict[str, Any]], None] | None = None,
    progress: Callable[[Progress], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> ScanSummary:
    """Analyse ``files`` ((path, key) pairs) into ``out``, skipping keys already done.

    A bad file becomes an error record and the scan goes on. ``on_file(index, total, record)``
    is called after every file (done, skipped or failed).
    """
    t0 = time.perf_counter()
    check_settings(out, scan_settings(analyzer, source))
    existing = read_records(out)
    summary = ScanSummary(total=len(files))
    with open(out / RESULTS, "a", encoding="utf-8") as log:
        for i, (path, key) in enumerate(files):
            if cancel is not None and cancel():
                summary.cancelled = True
                break
            prev = existing.get(key)
            if prev is not None and prev.get("status") == "ok":
                summary.skipped += 1
                if on_file is not None:
                    on_file(i, len(files), prev)
                continue
            sha = None
            try:
                evidence = load_evidence(path)
                sha = evidence.sha256
                analysis = analyzer.analyze(evidence, progress=progress, cancel=cancel)
                record = result_record(key, analysis, out)
                summary.done += 1
            except Cancelled:
                summary.cancelled = True
                break
            except (EvidenceError, ForensicError) as e:
                record = error_record(key, sha, str(e))
                summary.failed.append((key, str(e)))
            except MemoryError:
                record = error_record(key, sha, f"{path}: out of memory while analysing")
                summary.failed.append((key, record["error"]))
            log.write(json.dumps(record) + "\n")
            log.flush()
            existing[key] = record
            if on_file is not None:
                on_file(i, len(files), record)
    _compact(out, existing)
    ordered = [existing[k] for _, k in files if k in existing]
    write_csv(out, ordered, analyzer.names)
    summary.seconds = time.perf_counter() - t0
    return summary
