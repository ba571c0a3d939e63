"""The decoders' warnings of a scan reach the console and results.csv, not results.jsonl alone.

An analyst's walk-through (2026-12-05) found "named .jpg but holds PNG data", "3 frames: only
the first is analysed", "36,864 bytes follow the JPEG's end-of-image marker ..." in
results.jsonl only: the closing table printed none and results.csv had no column for them.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from PIL import Image

from forensic_viewer.cli_table import print_table
from tests.conftest import write_rgb
from tests.viewer.conftest import scan_cli


def _evidence(folder: Path) -> None:
    folder.mkdir()
    write_rgb(folder / "plain.png", 40, 48, seed=1)
    write_rgb(folder / "really-png.jpg", 40, 48, seed=2, fmt="PNG")
    rng = np.random.default_rng(3)
    frames = [Image.fromarray(rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)) for _ in "abc"]
    frames[0].save(folder / "pages.png", format="TIFF", save_all=True, append_images=frames[1:])


def test_scan_prints_each_warning_and_csv_holds_them(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    _evidence(tmp_path / "ev")
    out = tmp_path / "out"
    assert scan_cli(tmp_path / "ev", out, tiny_checkpoint) == 0
    printed = capsys.readouterr().out.splitlines()
    # the table marks the first line of each file that warned, and no other
    first = {p: next(line for line in printed if line.startswith(f"{p}\t")) for p in
             ("plain.png", "really-png.jpg", "pages.png")}  # fmt: skip
    assert first["really-png.jpg"].endswith("\t1 warning (below)")
    assert first["pages.png"].endswith("\t2 warnings (below)")
    assert "warning" not in first["plain.png"]
    assert sum("(below)" in line for line in printed) == 2
    # then every warning in its line, naming the file
    assert (
        "warnings: 3 on 2 files (results.csv's warnings column and results.jsonl hold each):"
        in printed
    )
    assert "  really-png.jpg: named .jpg but holds PNG data: analysed as PNG" in printed
    assert "  pages.png: named .png but holds TIFF data: analysed as TIFF" in printed
    assert "  pages.png: 3 frames: only the first is analysed" in printed
    with open(out / "results.csv", encoding="utf-8", newline="") as f:
        header, *rows = csv.reader(f)
    # appended after the file-system times (every earlier column keeps its place); only the
    # columns of what each verdict compared with θ and by which weights come after it
    # (scan/decision_columns.py)
    at = header.index("warnings")
    assert at == header.index("fs_times.created") + 1
    after = (
        "rule",
        "decision_value",
        "pixel_threshold",
        "checkpoint_sha256",
        "margin",
        "near_threshold",
    )
    assert all(c.endswith(after) for c in header[at + 1 :])
    cells = {r[0]: r[at] for r in rows}
    assert cells == {
        "plain.png": "",
        "really-png.jpg": "named .jpg but holds PNG data: analysed as PNG",
        "pages.png": "named .png but holds TIFF data: analysed as TIFF | "
        "3 frames: only the first is analysed",
    }


def test_warning_lines_are_capped_for_a_large_scan() -> None:
    from forensic_viewer.cli_table import WARNING_LINES, warning_lines

    records = [
        {"path": f"f{i:05d}.jpg", "status": "ok", "warnings": ["trailer"]} for i in range(25)
    ]
    records.append({"path": "bad.jpg", "status": "error", "error": "x"})
    lines = warning_lines(records)
    assert lines[0].startswith("warnings: 25 on 25 files")
    assert lines[1 : WARNING_LINES + 1] == [
        f"  f{i:05d}.jpg: trailer" for i in range(WARNING_LINES)
    ]
    assert lines[-1] == f"  … and {25 - WARNING_LINES} more in results.jsonl"
    assert len(lines) == WARNING_LINES + 2
    assert warning_lines([{"path": "a.jpg", "status": "ok", "warnings": []}]) == []


def test_a_file_without_a_check_line_still_gets_its_mark(capsys) -> None:
    print_table([{"path": "a.png", "status": "ok", "checks": [], "warnings": ["w"]}])
    assert capsys.readouterr().out == "a.png\t1 warning (below)\n"
