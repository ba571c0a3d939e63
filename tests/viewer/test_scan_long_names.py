"""An evidence file whose name is near the file systems' limit is scanned like any other: its
maps, thumbnail and probe table get names within the limit (it had stopped the whole scan with
'File name too long', at every rerun)."""

from __future__ import annotations

import os
from pathlib import Path

from engine.files import temp_path
from forensic_viewer.scan.maps import FOLDERS_MAX, NAME_MAX, fitted_name, map_name, thumb_name
from forensic_viewer.scan.probe import scan_probe_name
from forensic_viewer.scan.records import FileRecord
from forensic_viewer.scan.results import read_records
from forensic_viewer.scan.run import run_scan
from tests.conftest import deep_copy, write_rgb
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


PATH_MAX = 4096  # Linux's limit on a path given to a system call


def deep_image(root: Path, depth_bytes: int) -> tuple[Path, str]:
    """An image below ``root`` in a chain of 200-byte folders about ``depth_bytes`` deep, made
    through folder descriptors (as deep as a seized folder tree can be); (path, key)."""
    part = "d" * 200
    image = write_rgb(root.parent / "source.png", 24, 32)
    key = deep_copy(root, part, depth_bytes // (len(part) + 1), image.read_bytes())
    return root / key, key


def test_a_file_deep_in_its_folders_gets_its_map_and_thumbnail_below_the_path_limit(
    tmp_path: Path,
) -> None:
    """A file whose own path is within the limit, in folders that the output folder repeats
    under ``maps/`` and ``thumbs/`` past it, stopped the whole scan ("File name too long",
    the scan's failure, exit 3, at every rerun): found scanning a 3,800-byte-deep tree into
    an output folder with a longer path than the evidence's."""
    folder = tmp_path / "ev"
    folder.mkdir()
    path, key = deep_image(folder, PATH_MAX - len(os.fsencode(folder)) - 200)
    assert len(os.fsencode(path)) < PATH_MAX  # the evidence itself can be read
    out = tmp_path / ("o" * 250) / "out"
    assert len(os.fsencode(out / "maps" / key)) > PATH_MAX  # repeated whole, it could not
    summary = run_scan([(path, key)], StubAnalyzer(), out, source="t")
    assert summary.done == 1 and not summary.failed
    rec = read_records(out)[key]
    assert isinstance(rec, FileRecord)
    for name in (rec.models[0].heatmap, rec.thumbnail):
        assert name is not None and (out / name).is_file()


def test_fitted_folders_keep_what_fits_whole_and_name_the_rest_by_their_hash() -> None:
    deep = "/".join(["d" * 200] * 15)  # 3,014 bytes
    name = map_name(f"{deep}/x.png", "m")
    folders = name.split("/")[1:-1]
    assert len("/".join(folders).encode()) <= FOLDERS_MAX
    assert folders[:-1] == ["d" * 200] * (len(folders) - 1) and folders[-1].startswith("~")
    assert name.endswith("/x.png.m.png")
    other = map_name(f"{deep}e/x.png", "m")  # another deep folder: another hash
    assert other.split("/")[-2] != folders[-1]
    wide = "名" * 100  # 300 bytes: a folder name NTFS allows, ext4 not
    assert all(len(p.encode()) <= NAME_MAX for p in thumb_name(f"{wide}/a.jpg").split("/"))
