"""A folder scan follows symbolic links, also those whose target lies outside the scanned
folder: a link to evidence on another drive is legitimate, but on a mounted seized image an
absolute link (``/usr/share/...``) points into the examiner's own machine, and the examiner's
own files were analysed as evidence with nothing but the row's ``evidence.real_path`` saying
so. The scan's summary line, results.csv's ``read_from`` column, and the report's file section,
headline and limitations now say it.

Real links in a temporary folder. The checkpoint has random weights: these tests check what
is said of the files, never a finding.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from forensic_viewer.cli import main
from forensic_viewer.scan.links import read_from_outside
from tests.conftest import HANG_MS, write_rgb
from tests.viewer.conftest import scan_args
from tests.viewer.test_report import flat, pdf_text

pytestmark = pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")


def _folder(root: Path) -> tuple[Path, Path, Path]:
    """evidence/ with a.png, inside.png (a link to a.png), mine.png (a link to a file of the
    examiner's, outside) and home/ (a link to a folder outside, holding x.png); the folder,
    the outside file and the outside folder, all with their links resolved."""
    d = root / "evidence"
    d.mkdir()
    own = root / "examiner"
    (own / "pictures").mkdir(parents=True)
    write_rgb(d / "a.png", 24, 32, seed=1)
    write_rgb(own / "wallpaper.png", 24, 32, seed=2)
    write_rgb(own / "pictures" / "x.png", 24, 32, seed=3)
    (d / "inside.png").symlink_to("a.png")
    (d / "mine.png").symlink_to(own / "wallpaper.png")
    (d / "home").symlink_to(own / "pictures", target_is_directory=True)
    return d, (own / "wallpaper.png").resolve(), (own / "pictures").resolve()


def _csv(out: Path) -> dict[str, dict[str, str]]:
    with (out / "results.csv").open(encoding="utf-8", newline="") as f:
        return {r["path"]: r for r in csv.DictReader(f)}


def test_where_a_row_was_read_is_outside_only_past_the_scanned_folder(tmp_path: Path) -> None:
    d, mine, home = _folder(tmp_path)
    root = str(d)
    assert read_from_outside(f"{root}/a.png", "a.png", f"{root}/a.png") is None
    assert read_from_outside(f"{root}/inside.png", "inside.png", f"{root}/a.png") is None
    assert read_from_outside(f"{root}/mine.png", "mine.png", str(mine)) == str(mine)
    x = str(home / "x.png")
    assert read_from_outside(f"{root}/home/x.png", "home/x.png", x) == x
    assert read_from_outside(f"{root}/mine.png", "mine.png", None) is None  # not recorded
    # the scanned folder itself reached through a link: its files are in it
    (tmp_path / "case").symlink_to(d, target_is_directory=True)
    case = tmp_path / "case"
    assert read_from_outside(f"{case}/a.png", "a.png", str(d.resolve() / "a.png")) is None
    assert read_from_outside(f"{case}/mine.png", "mine.png", str(mine)) == str(mine)


def test_a_scan_says_which_files_it_read_from_outside_the_folder(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    d, mine, home = _folder(tmp_path)
    out = tmp_path / "out"
    assert main(scan_args(d, out, tiny_checkpoint, "--recursive")) == 0
    text = capsys.readouterr().out
    assert (
        "2 files were read through links from outside the scanned folder and taken as "
        f"evidence (results.csv's read_from names each), the first: mine.png, read from {mine}"
    ) in text
    rows = _csv(out)
    assert {k: r["read_from"] for k, r in rows.items()} == {
        "a.png": "",
        "inside.png": "",
        "mine.png": str(mine),
        "home/x.png": str(home / "x.png"),
    }
    assert all(r["status"] == "ok" for r in rows.values())  # still followed and analysed
    # a resume says it again (from the rows)
    assert main(scan_args(d, out, tiny_checkpoint, "--recursive")) == 0
    assert "2 files were read through links from outside" in capsys.readouterr().out


def test_a_file_that_failed_through_a_link_out_of_the_folder_is_named_where_it_was_read(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    """An error row recorded no real path: a damaged file of the examiner's, reached through
    a link out of the scanned folder, failed with ``read_from`` empty, as if it were the
    evidence's own. Its row records where it was read now, and the CSV, the summary line and
    the report say it as they do for an analysed file."""
    d = tmp_path / "evidence"
    d.mkdir()
    write_rgb(d / "a.png", 24, 32, seed=1)
    own = tmp_path / "examiner"
    own.mkdir()
    (own / "notes.png").write_bytes(b"\x89PNG\r\n\x1a\n damaged")
    (d / "notes.png").symlink_to(own / "notes.png")
    (d / "lost.png").symlink_to(own / "gone.png")  # dangling: cannot be read at all
    out = tmp_path / "out"
    assert main(scan_args(d, out, tiny_checkpoint, "--report", "json")) == 1
    said = capsys.readouterr().out
    assert "2 files were read through links from outside the scanned folder" in said
    # taken as evidence, not "analysed": both failed (the line said so of them)
    assert "outside the scanned folder and taken as evidence" in said
    assert "analysed as evidence" not in said
    rows = _csv(out)
    assert {k: (r["status"], r["read_from"]) for k, r in rows.items()} == {
        "a.png": ("ok", ""),
        "lost.png": ("error", str(own.resolve() / "gone.png")),
        "notes.png": ("error", str(own.resolve() / "notes.png")),
    }
    row = next(
        json.loads(line)
        for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
        if '"notes.png"' in line
    )
    assert row["real_path"] == str(own.resolve() / "notes.png")
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    items = {i["path"]: i.get("read_from_outside_folder") for i in report["items"]}
    assert items["notes.png"] == str(own.resolve() / "notes.png")
    (limit,) = [t for t in report["limitations"] if "symbolic links from outside" in t]
    assert "taken as evidence" in limit and "analysed" not in limit


def test_a_scan_without_links_out_says_nothing_of_them(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    d = tmp_path / "evidence"
    d.mkdir()
    write_rgb(d / "a.png", 24, 32, seed=1)
    (d / "b.png").symlink_to("a.png")
    out = tmp_path / "out"
    assert main(scan_args(d, out, tiny_checkpoint)) == 0
    assert "outside the scanned folder" not in capsys.readouterr().out
    assert {r["read_from"] for r in _csv(out).values()} == {""}


def test_a_report_names_each_file_read_from_outside_the_folder(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    d, mine, home = _folder(tmp_path)
    out = tmp_path / "out"
    args = scan_args(d, out, tiny_checkpoint, "--recursive", "--report", "html,pdf,json")
    assert main(args) == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    items = {i["path"]: i for i in report["items"]}
    assert {k: i.get("read_from_outside_folder") for k, i in items.items()} == {
        "a.png": None,
        "inside.png": None,
        "mine.png": str(mine),
        "home/x.png": str(home / "x.png"),
    }
    assert report["counts"]["read_from_outside_folder"] == 2
    said = f"mine.png read from {mine}, outside the scanned folder"
    assert any(said in line for line in report["limitations"])
    html = flat((out / "report.html").read_text(encoding="utf-8"))
    assert "Read from" in html
    assert f"{mine}, outside the scanned folder (reached through a symbolic link" in html
    assert said in html
    assert "2 files were read through symbolic links from outside the scanned folder" in html
    _, text = pdf_text(out / "report.pdf")
    assert "outside the scanned folder" in flat(text)
    assert "Read from" in flat(text)


@pytest.mark.gui
def test_the_batch_dialog_says_which_files_it_read_from_outside_the_folder(
    qtbot, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """The command line's summary, results.csv and reports said it; the batch dialog said
    nothing: its closing message now has the summary's line, and the triage table's file
    cell marks each such file (its tooltip says where it was read)."""
    from PySide6.QtCore import Qt

    from forensic_viewer.gui.batch_dialog import BatchDialog
    from forensic_viewer.scan.triage import OUTSIDE_MARK

    d, mine, _ = _folder(tmp_path)
    dialog = BatchDialog(models=[str(tiny_checkpoint)], device="cpu")
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(d))
    dialog.out.setText(str(tmp_path / "out"))
    dialog.recursive.setChecked(True)
    dialog.show()
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.summary is not None and not dialog.running, timeout=HANG_MS)
    assert (
        "2 files were read through links from outside the scanned folder and taken as "
        f"evidence (results.csv's read_from names each), the first: mine.png, read from {mine}"
    ) in dialog.message.text()
    model = dialog.table_model
    col = model.column_of("file")
    cells = {}
    for i in range(model.rowCount()):
        index = model.index(i, col)
        cells[model.row_at(i).key] = (
            model.data(index, Qt.ItemDataRole.DisplayRole),
            model.data(index, Qt.ItemDataRole.ToolTipRole),
        )
    assert {k: text for k, (text, _) in cells.items()} == {
        "a.png": "a.png",
        "inside.png": "inside.png",
        "mine.png": f"mine.png {OUTSIDE_MARK}",
        "home/x.png": f"home/x.png {OUTSIDE_MARK}",
    }
    assert f"read from {mine}, outside the scanned folder" in cells["mine.png"][1]
    assert "outside" not in cells["inside.png"][1]
