"""Compare two output folders of `scan` or `analyze` made from the same evidence: does the
re-run reproduce the result? (docs/RESULTS.md, "Reproducing a result").

    python -m bench.reproducibility FOLDER_A FOLDER_B

Prints the verdicts that differ, the largest difference of each figure of the rows
(``seconds``, the row's ``run``, the evidence's own path and its file-system times left out:
they differ by design), the files each row
names that differ (its heatmaps, classic-analysis maps, face maps and thumbnail, wherever
they sit: ``maps/``, ``maps.2/`` of a file analysed again whole, sub-folders mirroring the
evidence's; largest difference in 8-bit levels, share of pixels), and whether
``results.csv`` is the same byte for byte but for its ``fs_times.*`` columns. Exit status 0
when nothing but those differs, 1 otherwise.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

# keys whose values differ between re-runs by design: each run's timings and start, where the file lay
# and the times its file system gave it (a copy of the evidence has its own; a read may move
# its access time), and where the output folder put a row's files (maps/ or maps.2/) and so
# their hashes' keys: the files themselves are compared by content (:func:`named_files`)
IGNORED = frozenset(
    {
        "seconds",
        "file",
        "real_path",
        "path",
        "fs_times",
        "heatmap",
        "thumbnail",
        "face_maps",
        "files_sha256",
        "run",  # the identity of the run that wrote the row: its start (since 2026-12-06)
    }
)
CSV_IGNORED = "fs_times."  # results.csv's columns of the file-system times (as IGNORED's)


@dataclass
class Comparison:
    """What differs between two output folders."""

    only_in_one: list[str] = field(default_factory=list)  # files, or their maps, one lacks
    texts: list[str] = field(default_factory=list)  # "<file> <where>: <a> vs <b>"
    figures: dict[str, float] = field(default_factory=dict)  # where (no file) -> max |a - b|
    # "<file> <what>" (model m, ensemble, analysis a, face map m, thumbnail) -> levels, share
    maps: dict[str, tuple[int, float]] = field(default_factory=dict)
    csv_same: bool | None = None  # None: a folder has no results.csv

    @property
    def identical(self) -> bool:
        return not (self.only_in_one or self.texts or self.figures or self.maps) and (
            self.csv_same is not False
        )


def read_rows(folder: Path) -> dict[str, dict[str, Any]]:
    """The rows of ``folder/results.jsonl`` by their ``path`` (the file's key in the scan)."""
    rows = {}
    path = folder / "results.jsonl"
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                row = json.loads(line)
            except ValueError as e:
                raise ValueError(f"{path}: line {number} is not a JSON row ({e})") from None
            if isinstance(row, dict) and "path" in row:
                rows[row["path"]] = row
    return rows


def named_files(row: dict[str, Any]) -> dict[str, str]:
    """The files ``row`` names, by what each is (``model <name>``, ``ensemble``,
    ``analysis <name>``, ``face map <name>``, ``thumbnail``): their paths relative to the
    output folder, wherever the scan put them."""
    files: dict[str, str] = {}
    for name, m in (row.get("models") or {}).items():
        if isinstance(m, dict) and m.get("heatmap"):
            files[f"model {name}"] = m["heatmap"]
    ens = row.get("ensemble")
    if isinstance(ens, dict) and ens.get("heatmap"):
        files["ensemble"] = ens["heatmap"]
    for name, a in (row.get("analyses") or {}).items():
        m = a.get("map") if isinstance(a, dict) else None
        if isinstance(m, dict) and m.get("file"):
            files[f"analysis {name}"] = m["file"]
    files |= {f"face map {name}": f for name, f in (row.get("face_maps") or {}).items()}
    if row.get("thumbnail"):
        files["thumbnail"] = row["thumbnail"]
    return files


def differences(a: Any, b: Any, where: str = "") -> Iterator[tuple[str, Any, Any]]:
    """(where, a, b) for every leaf that differs, keys in :data:`IGNORED` left out."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in IGNORED:
                yield from differences(a.get(k), b.get(k), f"{where}.{k}" if where else k)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from differences(x, y, f"{where}[{i}]")
    elif a != b and not (_is_nan(a) and _is_nan(b)):
        yield where, a, b


def _is_nan(v: Any) -> bool:
    return isinstance(v, float) and math.isnan(v)


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def compare(folder_a: Path, folder_b: Path) -> Comparison:
    out = Comparison()
    rows_a, rows_b = read_rows(folder_a), read_rows(folder_b)
    out.only_in_one = sorted(set(rows_a) ^ set(rows_b))
    for key in sorted(set(rows_a) & set(rows_b)):
        for where, a, b in differences(rows_a[key], rows_b[key]):
            if _number(a) and _number(b):
                general = re.sub(r"\[\d+\]", "[]", where)
                out.figures[general] = max(out.figures.get(general, 0.0), abs(a - b))
            else:
                out.texts.append(f"{key} {where}: {a!r} vs {b!r}")
        files_a, files_b = named_files(rows_a[key]), named_files(rows_b[key])
        out.only_in_one += [f"{key} {what}" for what in sorted(set(files_a) ^ set(files_b))]
        for what in sorted(set(files_a) & set(files_b)):
            pa, pb = folder_a / files_a[what], folder_b / files_b[what]
            _compare_file(out, f"{key} {what}", pa, pb)
    csv_a, csv_b = folder_a / "results.csv", folder_b / "results.csv"
    if csv_a.is_file() and csv_b.is_file():
        out.csv_same = csv_a.read_bytes() == csv_b.read_bytes() or (
            _without_times(csv_a) == _without_times(csv_b)
        )
    return out


def _without_times(path: Path) -> list[list[str]]:
    """The cells of ``path`` (a results.csv) but its file-system times' columns."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    keep = [i for i, c in enumerate(rows[0] if rows else []) if not c.startswith(CSV_IGNORED)]
    return [[r[i] if i < len(r) else "" for i in keep] for r in rows]


def _compare_file(out: Comparison, label: str, pa: Path, pb: Path) -> None:
    """Add to ``out`` how the image files ``pa`` and ``pb`` (the same file of a row in each
    folder) differ: one missing, their shapes, or their pixels (levels apart, share)."""
    missing = [str(p) for p in (pa, pb) if not p.is_file()]
    if missing:
        out.only_in_one += [f"{label}: {p} is missing" for p in missing]
        return
    if pa.read_bytes() == pb.read_bytes():
        return
    with Image.open(pa) as ia, Image.open(pb) as ib:
        x, y = np.asarray(ia, np.int32), np.asarray(ib, np.int32)
    if x.shape != y.shape:
        out.texts.append(f"{label}: shape {x.shape} vs {y.shape}")
        return
    d = np.abs(x - y)
    out.maps[label] = (int(d.max()), float((d > 0).mean()))


def report(c: Comparison) -> list[str]:
    lines = [f"only in one folder: {n}" for n in c.only_in_one]
    verdicts = [t for t in c.texts if "verdict" in t]
    lines += [f"VERDICT differs: {t}" for t in verdicts]
    lines += [f"differs: {t}" for t in c.texts if t not in verdicts]
    for where, d in sorted(c.figures.items(), key=lambda kv: -kv[1]):
        lines.append(f"max |difference| {d:.3g}  {where}")
    for name, (levels, share) in sorted(c.maps.items(), key=lambda kv: -kv[1][0]):
        lines.append(f"{name}: up to {levels} levels apart on {share:.3%} of its pixels")
    if c.csv_same is not None:
        same = "the same" if c.csv_same else "differs"
        lines.append(f"results.csv {same} byte for byte (its file-system times aside)")
    lines.append("identical" if c.identical else "NOT identical")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder_a", type=Path)
    ap.add_argument("folder_b", type=Path)
    args = ap.parse_args(argv)
    for folder in (args.folder_a, args.folder_b):
        if not (folder / "results.jsonl").is_file():  # one line, not a traceback
            print(
                f"reproducibility: {folder} holds no results.jsonl: not a scan output folder",
                file=sys.stderr,
            )
            return 2
    try:
        c = compare(args.folder_a, args.folder_b)
    except (OSError, ValueError) as e:  # unreadable, or a row that is not JSON
        print(f"reproducibility: {e}", file=sys.stderr)
        return 2
    print("\n".join(report(c)))
    return 0 if c.identical else 1


if __name__ == "__main__":
    sys.exit(main())
