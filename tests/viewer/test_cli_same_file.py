"""A file given to ``analyze`` under two names (a symbolic link and its target) is analysed
once, under the first name given, and the run says so: the intake walk-through of 2026-12-06
gave ``link.jpg noperm.jpg full.jpg`` (link.jpg -> full.jpg) and read "6 analysed ... of 6"
for 7 names, with no word of full.jpg."""

from __future__ import annotations

import json
import os
from pathlib import Path

from forensic_viewer.cli import main
from tests.conftest import write_rgb


def _analyze(out: Path, checkpoint: Path, *images: Path) -> int:
    args = ["analyze", *map(str, images), "--out", str(out), "--model", str(checkpoint)]
    return main([*args, "--window", "32", "--stride", "16", "--no-faces"])


def test_a_file_given_under_two_names_is_said_once_and_the_count_adds_up(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    full = write_rgb(tmp_path / "full.png", 40, 40, seed=1)
    other = write_rgb(tmp_path / "other.png", 40, 40, seed=2)
    link = tmp_path / "link.png"
    os.symlink(full, link)
    out = tmp_path / "out"
    assert _analyze(out, tiny_checkpoint, link, other, full) == 0
    said = capsys.readouterr()
    assert f"{full} is the same file as {link}: analysed once" in said.err
    assert "2 analysed, 0 already done, 0 failed of 2 (3 names given, 1 of them a file " in (
        said.out
    )
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert sorted(r["path"] for r in rows) == ["link.png", "other.png"]  # the first name kept
    # the other order keeps the other name: the rule is the order given, not the target
    out2 = tmp_path / "out2"
    assert _analyze(out2, tiny_checkpoint, full, link) == 0
    said = capsys.readouterr()
    assert f"{link} is the same file as {full}: analysed once" in said.err
    assert "of 1 (2 names given, 1 of them a file given before)" in said.out
    rows = [json.loads(line) for line in (out2 / "results.jsonl").read_text().splitlines()]
    assert [r["path"] for r in rows] == ["full.png"]


def test_files_given_once_each_have_a_count_line_as_before(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    a = write_rgb(tmp_path / "a.png", 40, 40, seed=1)
    assert _analyze(tmp_path / "out", tiny_checkpoint, a) == 0
    said = capsys.readouterr()
    assert "1 analysed, 0 already done, 0 failed of 1 in " in said.out
    assert "same file" not in said.err
