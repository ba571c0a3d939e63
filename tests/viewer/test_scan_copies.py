"""The same evidence under two names (a copy, a download renamed) is pointed out: results.csv's
``duplicate_of``, the scan's summary line, the report's file section and summary. Both files
are still analysed, and their results agree.

The checkpoint has random weights: these tests check what is said of the copies, never that a
finding is right.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from forensic_viewer.cli import main
from forensic_viewer.scan.results import byte_copies
from tests.conftest import write_rgb
from tests.viewer.conftest import scan_args


def _folder(root: Path) -> Path:
    """a.png and two copies of it (b.png, sub/a.png), c.png other bytes, broken.jpg damaged
    and its copy: a damaged file's copy is a copy too."""
    d = root / "evidence"
    (d / "sub").mkdir(parents=True)
    write_rgb(d / "a.png", 40, 48, seed=1)
    write_rgb(d / "c.png", 40, 48, seed=2)
    shutil.copyfile(d / "a.png", d / "b.png")
    shutil.copyfile(d / "a.png", d / "sub" / "a.png")
    (d / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 40)
    shutil.copyfile(d / "broken.jpg", d / "broken copy.jpg")
    return d


COPIES = {"b.png": "a.png", "sub/a.png": "a.png", "broken.jpg": "broken copy.jpg"}


def _csv(out: Path) -> dict[str, dict[str, str]]:
    with (out / "results.csv").open(encoding="utf-8", newline="") as f:
        return {r["path"]: r for r in csv.DictReader(f)}


def test_the_first_key_in_sorted_order_is_the_original_whatever_order_rows_came_in() -> None:
    rows = [("b", "h1"), ("c", "h2"), ("a", "h1"), ("d", None), ("e", None), ("f", "h1")]
    assert byte_copies(rows) == {"b": "a", "f": "a"}
    assert byte_copies(reversed(rows)) == {"b": "a", "f": "a"}
    assert byte_copies([("x", "h"), ("y", "g")]) == {}


def test_empty_files_are_nobodys_copy_so_the_summary_names_the_real_copies(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    """Zero-byte files share the SHA-256 of no bytes; sorted first ("bad/empty_0.jpg"), they
    filled the summary line's three pairs of a 10,000-file scan and the real copy was in "and
    N more". Each is an error row saying it is empty, and nobody's copy."""
    d = tmp_path / "evidence"
    (d / "bad").mkdir(parents=True)
    for i in range(4):
        (d / "bad" / f"empty_{i}.jpg").write_bytes(b"")
    write_rgb(d / "x.png", 40, 48, seed=1)
    shutil.copyfile(d / "x.png", d / "y.png")
    out = tmp_path / "out"
    assert main(scan_args(d, out, tiny_checkpoint, "--recursive")) == 1  # the empty files
    text = capsys.readouterr().out
    assert (
        "1 file is a byte-identical copy of another (same SHA-256; each was analysed too): "
        "y.png = x.png" in text
    )
    rows = _csv(out)
    assert rows["y.png"]["duplicate_of"] == "x.png"
    for i in range(4):
        row = rows[f"bad/empty_{i}.jpg"]
        assert row["status"] == "error" and "file is empty (0 bytes)" in row["error"]
        assert row["duplicate_of"] == ""


def test_a_scan_names_its_copies_in_the_csv_and_its_summary_and_analyses_them_all(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    folder = _folder(tmp_path)
    out = tmp_path / "out"
    assert main(scan_args(folder, out, tiny_checkpoint, "--recursive")) == 1  # broken files
    text = capsys.readouterr().out
    assert (
        "3 files are byte-identical copies of others (same SHA-256; each was analysed too): "
        "b.png = a.png, broken.jpg = broken copy.jpg, sub/a.png = a.png"
    ) in text
    rows = _csv(out)
    assert {k: r["duplicate_of"] for k, r in rows.items() if r["duplicate_of"]} == COPIES
    assert rows["a.png"]["duplicate_of"] == rows["c.png"]["duplicate_of"] == ""
    # every copy was analysed, and the same bytes gave the same figures
    same = ("path", "duplicate_of")
    figures = [{k: v for k, v in rows[k].items()  # each copy has its own file-system times
                if k not in same and "heatmap" not in k and not k.startswith("fs_times.")}
               for k in ("a.png", "b.png", "sub/a.png")]  # fmt: skip
    assert rows["b.png"]["status"] == "ok" and figures[0] == figures[1] == figures[2]
    # a resume skips them all, and still says which are copies (derived from the rows)
    assert main(scan_args(folder, out, tiny_checkpoint, "--recursive")) == 1
    again = capsys.readouterr().out
    assert "0 analysed, 4 already done" in again
    assert "3 files are byte-identical copies of others" in again
    assert {k: r["duplicate_of"] for k, r in _csv(out).items() if r["duplicate_of"]} == COPIES


@pytest.mark.slow
def test_worker_processes_name_the_same_copies(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    folder = _folder(tmp_path)
    out = tmp_path / "out"
    assert main(scan_args(folder, out, tiny_checkpoint, "--recursive", "--jobs", "2")) == 1
    assert "3 files are byte-identical copies of others" in capsys.readouterr().out
    assert {k: r["duplicate_of"] for k, r in _csv(out).items() if r["duplicate_of"]} == COPIES


def test_a_report_says_which_file_each_copy_is_identical_to(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    folder = _folder(tmp_path)
    out = tmp_path / "out"
    main(scan_args(folder, out, tiny_checkpoint, "--recursive", "--report", "html"))
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    items = {i["path"]: i for i in report["items"]}
    assert {k: i["duplicate_of"] for k, i in items.items() if "duplicate_of" in i} == COPIES
    assert report["counts"]["byte_identical_copies"] == 3
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Identical (SHA-256) to" in html
    assert "a.png: the same bytes under another name (a copy)" in html
    assert "3 files are byte-identical copies of others" in html
