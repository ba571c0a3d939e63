"""A file renamed in the scanned folder between runs is said as a rename, and the
byte-identical-copy pairs are built from files in the folder now.

A hand-over walk-through (2026-12-06, finding 8): after ``Au_ani_0002.jpg`` was renamed
``renamed_0002.jpg``, the resumed scan said "1 file is a byte-identical copy of another …:
renamed_0002.jpg = Au_ani_0002.jpg" while listing Au_ani_0002.jpg two lines below as no
longer in the folder; results.csv's duplicate_of named a file with no row in that csv.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from types import SimpleNamespace

from tests.conftest import write_rgb
from tests.viewer.conftest import scan_cli


def test_a_rename_is_said_as_one_and_is_nobodys_copy(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    ev = tmp_path / "ev"
    ev.mkdir()
    write_rgb(ev / "a.png", 40, 48, seed=1)
    write_rgb(ev / "b.png", 40, 48, seed=2)
    (ev / "c.png").write_bytes((ev / "a.png").read_bytes())  # a true copy, in the folder
    out = tmp_path / "out"
    assert scan_cli(ev, out, tiny_checkpoint) in (0, 1)
    b_sha = hashlib.sha256((ev / "b.png").read_bytes()).hexdigest()
    (ev / "b.png").rename(ev / "new_b.png")
    capsys.readouterr()
    assert scan_cli(ev, out, tiny_checkpoint, "--report", "json") in (0, 1)
    printed = capsys.readouterr().out
    assert "1 file is a byte-identical copy of another" in printed
    assert "c.png = a.png" in printed and "new_b.png = b.png" not in printed
    assert f"  b.png (SHA-256 {b_sha}, renamed to new_b.png: the same SHA-256)" in printed
    with (out / "results.csv").open(encoding="utf-8", newline="") as f:
        rows = {r["path"]: r for r in csv.DictReader(f)}
    assert rows["new_b.png"]["duplicate_of"] == "" and rows["c.png"]["duplicate_of"] == "a.png"
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    (gone,) = report["no_longer_in_folder"]
    assert gone["path"] == "b.png" and gone["renamed_to"] == "new_b.png"
    (alert,) = [a for a in report["alerts"] if "no longer in the folder" in a]
    assert "renamed to new_b.png" in alert
    assert report["counts"]["byte_identical_copies"] == 1


def test_the_batch_dialogs_closing_lines_say_the_rename() -> None:
    from forensic_viewer.gui.batch_end import RunEnd
    from forensic_viewer.scan.gone import GoneFile

    end = RunEnd()
    end.gone = (
        GoneFile("b.png", "b" * 64, "/ev/b.png", "ok"),
        GoneFile("d.png", "d" * 64, None, "ok"),
    )
    for key, sha in (("a.png", "a" * 64), ("new_b.png", "b" * 64)):
        end.file(SimpleNamespace(key=key, sha256=sha, read_from=None, warnings=(), replaces=None))
    lines = end.lines()
    assert f"  b.png (SHA-256 {'b' * 64}, renamed to new_b.png: the same SHA-256)" in lines
    assert f"  d.png (SHA-256 {'d' * 64})" in lines
    assert [g.now_as for g in end.gone] == ["new_b.png", None]  # what the report is given
