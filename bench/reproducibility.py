"""Compare two output folders of `scan` or `analyze` made from the same evidence: does the
re-run reproduce the result? (docs/RESULTS.md, "Reproducing a result").

    python -m bench.reproducibility FOLDER_A FOLDER_B

Prints the verdicts that differ, the largest difference of each figure of the rows
(``seconds`` and the evidence's own path left out: they differ by design), the map PNGs that
differ (largest difference in 8-bit levels, share of pixels), and whether ``results.csv`` is
the same byte for byte. Exit status 0 when nothing but those differs, 1 otherwise.
"""

from __future__ import annotations

import argparse
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

# keys whose values differ between re-runs by design: each run's timings, where the file lay
IGNORED = frozenset({"seconds", "file", "real_path", "path"})


@dataclass
class Comparison:
    """What differs between two output folders."""

    only_in_one: list[str] = field(default_factory=list)  # files, or maps, one folder lacks
    texts: list[str] = field(default_factory=list)  # "<file> <where>: <a> vs <b>"
    figures: dict[str, float] = field(default_factory=dict)  # where (no file) -> max |a - b|
    maps: dict[str, tuple[int, float]] = field(default_factory=dict)  # name -> levels, share
    csv_same: bool | None = None  # None: a folder has no results.csv

    @property
    def identical(self) -> bool:
        return not (self.only_in_one or self.texts or self.figures or self.maps) and (
            self.csv_same is not False
        )


def read_rows(folder: Path) -> dict[str, dict[str, Any]]:
    """The rows of ``folder/results.jsonl`` by their ``path`` (the file's key in the scan)."""
    rows = {}
    for line in (folder / "results.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if "path" in row:
                rows[row["path"]] = row
    return rows


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
    maps_a = {p.name for p in (folder_a / "maps").glob("*.png")}
    maps_b = {p.name for p in (folder_b / "maps").glob("*.png")}
    out.only_in_one += sorted(maps_a ^ maps_b)
    for name in sorted(maps_a & maps_b):
        pa, pb = folder_a / "maps" / name, folder_b / "maps" / name
        if pa.read_bytes() == pb.read_bytes():
            continue
        x = np.asarray(Image.open(pa), np.int32)
        y = np.asarray(Image.open(pb), np.int32)
        if x.shape != y.shape:
            out.texts.append(f"map {name}: shape {x.shape} vs {y.shape}")
            continue
        d = np.abs(x - y)
        out.maps[name] = (int(d.max()), float((d > 0).mean()))
    csv_a, csv_b = folder_a / "results.csv", folder_b / "results.csv"
    if csv_a.is_file() and csv_b.is_file():
        out.csv_same = csv_a.read_bytes() == csv_b.read_bytes()
    return out


def report(c: Comparison) -> list[str]:
    lines = [f"only in one folder: {n}" for n in c.only_in_one]
    verdicts = [t for t in c.texts if "verdict" in t]
    lines += [f"VERDICT differs: {t}" for t in verdicts]
    lines += [f"differs: {t}" for t in c.texts if t not in verdicts]
    for where, d in sorted(c.figures.items(), key=lambda kv: -kv[1]):
        lines.append(f"max |difference| {d:.3g}  {where}")
    for name, (levels, share) in sorted(c.maps.items(), key=lambda kv: -kv[1][0]):
        lines.append(f"map {name}: up to {levels} levels apart on {share:.3%} of its pixels")
    if c.csv_same is not None:
        lines.append(f"results.csv {'the same' if c.csv_same else 'differs'} byte for byte")
    lines.append("identical" if c.identical else "NOT identical")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder_a", type=Path)
    ap.add_argument("folder_b", type=Path)
    args = ap.parse_args(argv)
    c = compare(args.folder_a, args.folder_b)
    print("\n".join(report(c)))
    return 0 if c.identical else 1


if __name__ == "__main__":
    sys.exit(main())
