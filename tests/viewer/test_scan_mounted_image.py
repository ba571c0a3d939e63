"""A scan of a folder as a seized disk image's mount holds it: links, copies, odd entries, odd
names, and files that change while the scan runs. What the filesystem audit checked and found
right, kept so: each file of the folder is a row or a line, none hangs the scan, none is
written, and the SHA-256 is of the bytes that were analysed.

- a link loop (a folder linking to its parent) ends; a dangling link is its error row;
- a link to a file outside the folder is scanned: the row's ``file`` is the link as named,
  ``evidence.real_path`` its target, the SHA-256 the target's bytes; a hard link is the same
  bytes under a second name, named as a copy;
- a named pipe, with or without an image's name (opening one for reading waits for a writer
  forever), a device and a socket are error rows or passed over, never waited on; an empty
  file is its error row;
- names with a newline, a leading dash, NFC and NFD forms of one name, names differing only
  by case: each its own row, its own map;
- the output folder inside the scanned one is never scanned, on the first run or a resume;
- a file deleted or emptied after the listing is its error row, the scan goes on.

The checkpoint has random weights: these tests check plumbing, never that a finding is right.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import stat
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from forensic_viewer.scan.run import run_scan
from forensic_viewer.scan.walk import scan_files
from tests.viewer.conftest import scan_cli, write_image
from tests.viewer.test_scan_prefetch import StubAnalyzer

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="links and pipes are POSIX")

NFC = unicodedata.normalize("NFC", "café.png")
NFD = unicodedata.normalize("NFD", "café.png")


def seized(tmp_path: Path) -> tuple[Path, Path]:
    """The mounted folder and a file outside it that one of its links points to."""
    folder = tmp_path / "mnt"
    (folder / "sub").mkdir(parents=True)
    outside = write_image(tmp_path / "outside.png", 40, 48, seed=9)
    write_image(folder / "a.png", 40, 48, seed=1)
    os.link(folder / "a.png", folder / "hard.png")
    write_image(folder / "sub" / "c.png", 40, 48, seed=2)
    os.symlink("..", folder / "sub" / "loop")
    os.symlink("missing.png", folder / "dangling.png")
    os.symlink(outside, folder / "link.png")
    os.mkfifo(folder / "pipe.png")
    os.mkfifo(folder / "pipe")
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(folder / "sock.png"))
    (folder / "empty.png").write_bytes(b"")
    for i, name in enumerate([NFC, NFD, "Case.png", "case.png", "new\nline.png", "-x.png"]):
        write_image(folder / name, 40, 48, seed=10 + i)
    if os.geteuid() == 0:  # root may make a device node: /dev/null's numbers
        os.mknod(folder / "null.png", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    return folder, outside


def rows(out: Path) -> dict[str, dict[str, Any]]:
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return {r["path"]: r for r in map(json.loads, lines)}


def test_a_mounted_folder_of_links_pipes_and_odd_names_is_scanned_and_resumed(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    folder, outside = seized(tmp_path)
    out = folder / "scan-out"  # inside the evidence, as an analyst may put it
    assert scan_cli(folder, out, tiny_checkpoint, "--recursive", "--jobs", "1") == 1
    got = rows(out)
    ok = {k for k, r in got.items() if r["status"] == "ok"}
    names = {"a.png", "hard.png", "sub/c.png", "link.png", NFC, NFD, "Case.png", "case.png"}
    assert ok == names | {"new\nline.png", "-x.png"}
    failed = {k: r["error"] for k, r in got.items() if r["status"] != "ok"}
    assert failed.pop("dangling.png") == f"{folder / 'dangling.png'}: no such file"
    assert failed.pop("empty.png") == f"{folder / 'empty.png'}: file is empty (0 bytes)"
    for odd in set(failed):  # pipe.png, sock.png, null.png
        assert failed.pop(odd).endswith("is not a regular file (a device, pipe or socket)")
    assert not any(k.startswith("scan-out") for k in got)

    link = got["link.png"]
    assert link["file"] == str(folder / "link.png")
    assert link["evidence"]["real_path"] == str(outside)
    assert link["sha256"] == hashlib.sha256(outside.read_bytes()).hexdigest()
    assert got["hard.png"]["sha256"] == got["a.png"]["sha256"]
    maps = {r["models"]["tiny"]["heatmap"] for r in got.values() if r["status"] == "ok"}
    assert len(maps) == len(ok) and all((out / m).is_file() for m in maps)
    said = capsys.readouterr()
    assert "hard.png = a.png" in said.out  # the copy named, each analysed
    assert "1 file(s) passed over" in said.err  # the pipe without an image's name

    assert scan_cli(folder, out, tiny_checkpoint, "--recursive", "--jobs", "1") == 1
    again = rows(out)
    assert set(again) == set(got)  # the output folder's maps are not evidence on resume either
    assert f"0 analysed, {len(ok)} already done" in capsys.readouterr().out


def test_a_file_deleted_or_emptied_after_the_listing_is_its_error_row(tmp_path: Path) -> None:
    folder = tmp_path / "mnt"
    folder.mkdir()
    for i in range(4):
        write_image(folder / f"f{i}.png", 24, 32, seed=i)
    files = scan_files(folder, recursive=False)

    def meanwhile(index: int, total: int, row: dict[str, Any]) -> None:
        if index == 0:  # the next files change after the listing, before they are read
            (folder / "f1.png").unlink()
            (folder / "f2.png").write_bytes(b"")

    summary = run_scan(
        files, StubAnalyzer(), tmp_path / "out", source="t", on_file=meanwhile, prefetch=0
    )
    assert summary.done == 2 and dict(summary.failed) == {
        "f1.png": f"{folder / 'f1.png'}: no such file",
        "f2.png": f"{folder / 'f2.png'}: file is empty (0 bytes)",
    }
