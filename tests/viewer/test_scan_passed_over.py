"""A scan accounts for every file of its folder: a row, or a name in its record.

A walk-through (2026-12-06) scanned a folder holding an AVIF photograph among 55 images: the
scan said on stderr that one file was "passed over, not images by name or content" and kept
no trace of it anywhere, while ``analyze`` and the viewer refused the same file with a row,
its SHA-256 and "an AVIF image". A file whose content is an image of a format recognised but
not decoded (AVIF, a Windows icon) now gets its refusal row, with its SHA-256, as any refused
file does; every other file passed over (sidecar text, XML, a PDF) is named in scan.json's
``run.passed_over``, the case log's ``scan-started`` and the report's Case section.

The checkpoint has random weights: these tests check plumbing, never that a finding is right.
"""

from __future__ import annotations

import csv
import hashlib
import json
import struct
from pathlib import Path

from forensic_viewer.scan.walk import iter_images, scan_files
from tests.viewer.conftest import scan_cli, write_image

# the start of an AVIF file as a phone writes it: an ftyp box of brand avif
AVIF = struct.pack(">I", 28) + b"ftypavif" + b"\x00\x00\x00\x00" + b"avifmif1miaf" + bytes(64)
# a Windows icon of one 16x16 picture (its directory; the picture itself does not matter)
ICON = b"\x00\x00\x01\x00\x01\x00" + bytes([16, 16, 0, 0, 1, 0, 32, 0]) + bytes(64)


def evidence(folder: Path) -> Path:
    """A folder of one PNG, an AVIF photograph, an icon and two sidecars."""
    folder.mkdir(parents=True)
    write_image(folder / "a.png", 48, 56)
    (folder / "photo.avif").write_bytes(AVIF)
    (folder / "favicon.ico").write_bytes(ICON)
    (folder / "a.png.xml").write_text("<x:xmpmeta>sidecar</x:xmpmeta>\n")
    (folder / "notes.txt").write_text("seized 2026-12-01\n")
    return folder


def test_a_recognised_image_not_decoded_is_listed_and_sidecars_passed_over(
    tmp_path: Path,
) -> None:
    folder = evidence(tmp_path / "ev")
    left_out: list[Path] = []
    files = scan_files(folder, recursive=False, left_out=left_out)
    assert [k for _, k in files] == ["a.png", "favicon.ico", "photo.avif"]
    assert [p.name for p in left_out] == ["a.png.xml", "notes.txt"]
    # a type filter asks for those types alone: a format not decoded is none of them
    assert [k for _, k in scan_files(folder, False, (".png",))] == ["a.png"]
    # the viewer's Open Folder lists it too, and shows its refusal when it is opened
    assert [p.name for p in iter_images(folder, False)] == ["a.png", "favicon.ico", "photo.avif"]


def test_scan_refuses_an_avif_with_a_row_and_records_every_file_passed_over(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    from forensic_viewer.audit import LOG_NAME, verify_log

    folder, case, out = evidence(tmp_path / "ev"), tmp_path / "case", tmp_path / "out"
    args = ("--jobs", "1", "--case", str(case), "--report", "html,json")
    assert scan_cli(folder, out, tiny_checkpoint, *args) == 1  # some files failed
    rows = [json.loads(r) for r in (out / "results.jsonl").read_text().splitlines()]
    by_path = {r["path"]: r for r in rows}
    assert sorted(by_path) == ["a.png", "favicon.ico", "photo.avif"]
    avif = by_path["photo.avif"]
    assert avif["status"] == "error" and "an AVIF image" in avif["error"]
    assert avif["sha256"] == hashlib.sha256(AVIF).hexdigest()
    assert by_path["favicon.ico"]["status"] == "error" and "icon" in by_path["favicon.ico"]["error"]
    expected = {"files": 2, "names": ["a.png.xml", "notes.txt"]}
    run = json.loads((out / "scan.json").read_text(encoding="utf-8"))["run"]
    assert run["passed_over"] == expected and "unread" not in run
    (started,) = [e for e in verify_log(case / LOG_NAME).entries if e.action == "scan-started"]
    assert started.details["passed_over"] == expected and started.details["unread"] is None
    said = (
        "2 file(s) in the scanned folder are no image by name or content and were not "
        "analysed: a.png.xml, notes.txt."
    )
    (html,) = out.glob("*.html")
    assert said in html.read_text(encoding="utf-8")
    passed = json.loads((out / "report.json").read_text(encoding="utf-8"))["passed_over"]
    assert passed["names"] == expected["names"] and passed["note"].startswith(said)
    capsys.readouterr()

    # a resume tries the refused files again, each still one row, and records the same
    assert scan_cli(folder, out, tiny_checkpoint, "--jobs", "1") == 1
    with (out / "results.csv").open(encoding="utf-8", newline="") as f:
        paths = [r["path"] for r in csv.DictReader(f)]
    assert sorted(paths) == ["a.png", "favicon.ico", "photo.avif"]
    run = json.loads((out / "scan.json").read_text(encoding="utf-8"))["run"]
    assert run["passed_over"] == expected
    capsys.readouterr()
