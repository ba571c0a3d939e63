"""An evidence file whose name is near the file systems' limit is scanned like any other: its
maps, thumbnail and probe table get names within the limit (it had stopped the whole scan with
'File name too long', at every rerun)."""

from __future__ import annotations

from pathlib import Path

from engine.files import temp_path
from forensic_viewer.scan.maps import NAME_MAX, fitted_name, map_name, thumb_name
from forensic_viewer.scan.probe import scan_probe_name
from forensic_viewer.scan.records import FileRecord
from forensic_viewer.scan.results import read_records
from forensic_viewer.scan.run import run_scan
from tests.conftest import write_rgb
from tests.viewer.test_scan_prefetch import StubAnalyzer, files_of

LONG = "Ü" * 100 + "x" * 40  # 240 bytes of UTF-8: a legal file name once ".png" is added


def test_a_scan_of_files_with_long_names_writes_every_map_and_thumbnail(tmp_path: Path) -> None:
    folder = tmp_path / "ev"
    folder.mkdir()
    for end in ("1", "2"):  # alike in their first 240 bytes
        write_rgb(folder / f"{LONG}{end}.png", 24, 32, seed=int(end))
    out = tmp_path / "out"
    summary = run_scan(files_of(folder), StubAnalyzer(), out, source="t")
    assert summary.done == 2 and not summary.failed
    records = read_records(out)
    files = set()
    for rec in records.values():
        assert isinstance(rec, FileRecord)
        for name in (rec.models[0].heatmap, rec.thumbnail):
            assert name is not None and (out / name).is_file()
            assert len(Path(name).name.encode()) <= NAME_MAX
            files.add(name)
    assert len(files) == 4  # two files, two names each: neither took the other's


def test_fitted_names_keep_short_keys_and_their_folders() -> None:
    assert map_name("sub/IMG_0001.jpg", "m") == "maps/sub/IMG_0001.jpg.m.png"
    assert thumb_name("sub/IMG_0001.jpg") == "thumbs/sub/IMG_0001.jpg.jpg"
    long_key = f"a/b/{LONG}.png"
    for name in (map_name(long_key, "crfd-net-compact"), scan_probe_name(long_key)):
        folder, _, last = name.rpartition("/")
        assert folder.endswith("/a/b") and last.startswith("Ü" * 50)
        assert len(temp_path(Path(last)).name.encode()) <= NAME_MAX
    assert fitted_name(long_key, ".x") != fitted_name(long_key[:-1], ".x")
