"""A file that failed keeps what its header said: format and declared size.

An error row recorded the error and the SHA-256 only, so the report section of a truncated
JPEG whose header Pillow read fine, or of a file refused for its declared size, could not say
what the file is. The row now keeps ``header`` (format, width, height as stored, bytes) when
it was read; the report's evidence table shows it; results.schema.json describes it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from engine.errors import CorruptImageError, ImageTooLargeError, UnsupportedFormatError
from engine.io import load_evidence
from forensic_viewer.report import scan_source
from forensic_viewer.report.evidence_text import evidence_rows
from forensic_viewer.scan.records import parse_line, record_line
from forensic_viewer.scan.walk import sha256_of_file
from tests.conftest import write_rgb
from tests.viewer.conftest import scan_cli

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "results.schema.json"


def _truncated_jpeg(path: Path, w: int, h: int) -> Path:
    write_rgb(path, h, w, seed=1, fmt="JPEG")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def test_the_loaders_error_carries_the_header_it_read(tmp_path: Path) -> None:
    cut = _truncated_jpeg(tmp_path / "cut.jpg", 64, 40)
    with pytest.raises(CorruptImageError) as caught:
        load_evidence(cut)
    h = caught.value.header
    assert h is not None and (h.format, h.width, h.height) == ("JPEG", 64, 40)
    assert (h.sha256, h.file_size) == (sha256_of_file(cut), cut.stat().st_size)

    big = write_rgb(tmp_path / "big.png", 30, 50)
    with pytest.raises(ImageTooLargeError) as caught:
        load_evidence(big, max_pixels=1000)
    h = caught.value.header
    assert h is not None and (h.format, h.width, h.height) == ("PNG", 50, 30)

    notes = tmp_path / "notes.jpg"
    notes.write_text("not an image\n", encoding="utf-8")
    with pytest.raises(UnsupportedFormatError) as caught:
        load_evidence(notes)
    h = caught.value.header
    assert h is not None and (h.format, h.width, h.height) == (None, None, None)


def _rows(out: Path) -> dict[str, dict[str, Any]]:
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return {r["path"]: r for r in map(json.loads, lines)}


def test_a_scans_error_rows_and_report_say_the_format_and_size_read(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "evidence"
    folder.mkdir()
    write_rgb(folder / "fine.png", 20, 24)
    _truncated_jpeg(folder / "cut.jpg", 64, 40)
    write_rgb(folder / "big.png", 60, 70)  # 4,200 pixels: beyond the limit set below
    (folder / "notes.jpg").write_text("not an image\n", encoding="utf-8")
    (folder / "empty.png").write_bytes(b"")
    os.utime(folder / "cut.jpg", ns=(1_600_000_000 * 10**9, 1_620_000_000 * 10**9 + 25 * 10**7))
    monkeypatch.setenv("FORENSIC_VIEWER_MAX_PIXELS", "3000")
    out = tmp_path / "out"
    assert scan_cli(folder, out, tiny_checkpoint, "--report", "html,json") == 1

    rows = _rows(out)
    assert rows["fine.png"]["status"] == "ok" and "header" not in rows["fine.png"]
    header = dict(rows["cut.jpg"]["header"])
    times = header.pop("fs_times")  # the file-system times found before the read, in UTC
    assert header == {
        "format": "JPEG",
        "width": 64,
        "height": 40,
        "file_size": (folder / "cut.jpg").stat().st_size,
    }
    assert times["modified"] == "2021-05-03T00:00:00.250000000Z"
    assert times["accessed"] == "2020-09-13T12:26:40Z"
    assert rows["big.png"]["header"]["format"] == "PNG"
    assert (rows["big.png"]["header"]["width"], rows["big.png"]["header"]["height"]) == (70, 60)
    assert rows["notes.jpg"]["header"]["format"] is None
    assert rows["notes.jpg"]["sha256"] == sha256_of_file(folder / "notes.jpg")
    # no bytes, yet its size and the times found before the read are the file's: recorded
    # (its row had no header, so its report gave no times, unlike notes.jpg's)
    empty = rows["empty.png"]["header"]
    assert empty["file_size"] == 0 and empty["format"] is None and empty["fs_times"]["modified"]
    validator = Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    for row in rows.values():
        validator.validate(row)
        # the reader keeps the header, and a row written back is the row as it was
        assert json.loads(record_line(parse_line(json.dumps(row)))) == row  # type: ignore[arg-type]

    items = {i.key: i for i in scan_source(out).items()}
    cut = dict(evidence_rows(items["cut.jpg"]))
    assert cut["Format (by content)"] == "JPEG"
    assert cut["Dimensions"].startswith("64 x 40 pixels, as its header declares")
    assert cut["Modified (file system)"] == "2021-05-03T00:00:00.250000000Z"
    big = dict(evidence_rows(items["big.png"]))
    assert big["Dimensions"].startswith("70 x 60 pixels")
    assert dict(evidence_rows(items["empty.png"]))["Format (by content)"] == (
        "none: the file is empty"
    )
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "64 x 40 pixels, as its header declares" in html
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    (entry,) = [i for i in report["items"] if i["path"] == "cut.jpg"]
    assert entry["evidence"]["format"] == "JPEG" and entry["evidence"]["width"] == 64


def test_a_file_that_decoded_and_then_failed_records_its_size_as_stored(
    tmp_path: Path,
) -> None:
    """A model failing on a decoded file: its row keeps the decoded facts, the size turned
    back to as stored when the EXIF orientation had turned the pixels."""
    from PIL import Image

    from forensic_viewer.scan.run import Prefetched, _failed

    path = tmp_path / "turned.jpg"
    img = Image.new("RGB", (48, 32), (120, 80, 40))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 clockwise to view
    img.save(path, exif=exif.tobytes())
    ev = load_evidence(path)
    assert (ev.width, ev.height) == (32, 48)
    item = Prefetched(0, path, "turned.jpg", evidence=ev)
    record = _failed(item, ev.sha256, f"{path}: a model failed on it")
    assert record.header is not None
    assert (record.header.format, record.header.width, record.header.height) == ("JPEG", 48, 32)
    assert record.header.file_size == path.stat().st_size
