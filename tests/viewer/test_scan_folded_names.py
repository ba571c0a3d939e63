"""Two evidence files whose names differ only in case (``Case.png``, ``case.png``) or in their
Unicode form (NFC and NFD ``café.png``) are two files on this machine's file system, but one
name on a drive that folds names (macOS APFS and HFS+, exFAT, NTFS). Their maps and thumbnails
mirrored their names, so on such a drive the second file's maps overwrote the first's and one
row showed the other file's heatmap. The later one's files now carry ``~`` and 8 hex digits of
its path's SHA-256; every other name stays as it was.

No case-folding file system here: the tests fold the names the rows give as such a drive does
(NFC, then case folded) and require every file of every row to stay apart.

The checkpoint has random weights: these tests check names, never findings.
"""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

import pytest

from forensic_viewer.scan.maps import (
    OutputNames,
    distinct_name,
    map_name,
    thumb_name,
    unnumbered,
)
from forensic_viewer.scan.records import FileRecord, ScanRecord
from forensic_viewer.scan.results import read_records
from tests.conftest import write_rgb
from tests.viewer.conftest import scan_cli

NFC = unicodedata.normalize("NFC", "café.png")
NFD = unicodedata.normalize("NFD", "café.png")


def _fold(name: str) -> str:
    """``name`` as a drive that folds names compares it."""
    return unicodedata.normalize("NFC", name).casefold()


def _named(record: ScanRecord) -> set[str]:
    """Every output file a row names (thumbnail, heatmaps, analysis and face maps)."""
    assert isinstance(record, FileRecord), record
    maps = {m.heatmap for m in record.models} | set(record.face_maps.values())
    maps |= {a.map.file for a in record.analyses if a.map is not None}
    return {n for n in {record.thumbnail, *maps} if n}


def _folder(root: Path, names: list[str], h: int = 24, w: int = 32) -> Path:
    d = root / "evidence"
    d.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        (d / name).parent.mkdir(parents=True, exist_ok=True)
        write_rgb(d / name, h, w, seed=i + 1)
    listed = {p.name for p in d.iterdir()}
    if "Case.png" in names and not {"Case.png", "case.png"} <= listed:
        pytest.skip("this file system folds case: Case.png and case.png are one file")
    if NFC in names and not {NFC, NFD} <= listed:
        pytest.skip("this file system takes NFC and NFD names for one")
    return d


def _assert_apart(rows: dict[str, ScanRecord], out: Path) -> None:
    """No two rows name files that one name on a folding drive, and each named file exists."""
    holder: dict[str, str] = {}
    for key, record in rows.items():
        for name in _named(record):
            assert (out / name).is_file(), name
            other = holder.setdefault(_fold(name), key)
            assert other == key, f"{key} and {other} both write {name} on a folding drive"


def _tag(key: str) -> str:
    return "~" + hashlib.sha256(key.encode()).hexdigest()[:8]


def test_names_that_fold_alike_are_told_apart_and_no_other_name_changes() -> None:
    names = OutputNames({"old/Photo.JPG": "old/Photo.JPG"})  # a row of an earlier run
    assert names.claim("a.png") == "a.png"
    assert names.claim("Case.png") == "Case.png"
    assert names.claim("case.png") == "case.png" + _tag("case.png") == distinct_name("case.png")
    assert names.claim("CASE.PNG") == "CASE.PNG" + _tag("CASE.PNG")
    assert names.claim(NFD) == NFD
    assert names.claim(NFC) == NFC + _tag(NFC)
    assert names.claim("Sub/x.png") == "Sub/x.png"
    assert names.claim("sub/x.png") == "sub/x.png~" + hashlib.sha256(b"sub/x.png").hexdigest()[:8]
    assert names.claim("old/photo.jpg") == "old/photo.jpg" + _tag("old/photo.jpg")
    assert names.claim("old/Photo.JPG") == "old/Photo.JPG"  # its row's, kept
    assert names.claim("case.png") == distinct_name("case.png")  # given once for the run
    assert names.claim("straße.png") == "straße.png"
    assert names.claim("STRASSE.png") == "STRASSE.png" + _tag("STRASSE.png")  # ß folds to ss
    assert thumb_name(distinct_name("case.png")) == f"thumbs/case.png{_tag('case.png')}.jpg"


def test_a_scan_of_names_that_fold_alike_writes_each_files_own_maps(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    folder = _folder(
        tmp_path, ["a.png", "Case.png", "case.png", NFC, NFD, "Sub/x.png", "sub/x.png"]
    )
    out = tmp_path / "out"
    assert scan_cli(folder, out, tiny_checkpoint, "--recursive") == 0
    rows = read_records(out)
    assert len(rows) == 7
    _assert_apart(rows, out)
    model = rows["a.png"].models[0].name
    # the first of each pair in the file list's (sorted) order keeps its name, as do the others
    for key in ("a.png", "Case.png", NFD, "Sub/x.png"):
        assert rows[key].thumbnail == thumb_name(key) == f"thumbs/{key}.jpg"
        assert rows[key].models[0].heatmap == map_name(key, model) == f"maps/{key}.{model}.png"
    for key in ("case.png", NFC, "sub/x.png"):
        assert rows[key].thumbnail == f"thumbs/{key}{_tag(key)}.jpg"
        assert rows[key].models[0].heatmap == f"maps/{key}{_tag(key)}.{model}.png"


def test_a_resume_keeps_each_rows_names_and_a_new_file_gives_way_to_a_row(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """A row of an earlier run holds its name: ``Case.png``, added later and first in the
    file list, is the one told apart; bytes changed since keep their row's names too."""
    folder = _folder(tmp_path, ["case.png"])
    out = tmp_path / "out"
    assert scan_cli(folder, out, tiny_checkpoint) == 0
    first = read_records(out)["case.png"]
    write_rgb(folder / "Case.png", 24, 32, seed=7)
    if len(list(folder.iterdir())) != 2:
        pytest.skip("this file system folds case: Case.png and case.png are one file")
    assert scan_cli(folder, out, tiny_checkpoint) == 0
    rows = read_records(out)
    assert _named(rows["case.png"]) == _named(first) == {"thumbs/case.png.jpg", *_maps(first)}
    assert rows["Case.png"].thumbnail == f"thumbs/Case.png{_tag('Case.png')}.jpg"
    _assert_apart(rows, out)
    before = {k: _named(r) for k, r in rows.items()}
    write_rgb(folder / "case.png", 24, 32, seed=8)  # changed: analysed again
    write_rgb(folder / "Case.png", 24, 32, seed=9)
    assert scan_cli(folder, out, tiny_checkpoint) == 0
    again = read_records(out)
    assert again["case.png"].replaces == first.sha256
    # the new files sit in maps.2/ and thumbs.2/ (never over the old row's), under the same names
    assert {k: {unnumbered(n) for n in _named(r)} for k, r in again.items()} == before
    _assert_apart(again, out)
    assert again["Case.png"].output_name() == distinct_name("Case.png")  # read from maps.2/
    write_rgb(
        folder / "Case.png", 24, 32, seed=10
    )  # changed again: back to thumbs/, still told apart
    assert scan_cli(folder, out, tiny_checkpoint) == 0
    third = read_records(out)
    assert {k: {unnumbered(n) for n in _named(r)} for k, r in third.items()} == before
    _assert_apart(third, out)


def _maps(record: ScanRecord) -> set[str]:
    return {m.heatmap for m in record.models if m.heatmap}


@pytest.mark.slow
def test_worker_processes_give_the_names_one_process_gives(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    folder = _folder(tmp_path, ["Case.png", "case.png", "CASE.png", NFC, NFD, "b.png"])
    one, two = tmp_path / "one", tmp_path / "two"
    assert scan_cli(folder, one, tiny_checkpoint) == 0
    assert scan_cli(folder, two, tiny_checkpoint, "--jobs", "2") == 0
    by_one, by_two = read_records(one), read_records(two)
    assert {k: _named(r) for k, r in by_two.items()} == {k: _named(r) for k, r in by_one.items()}
    _assert_apart(by_two, two)
    assert by_two["case.png"].thumbnail == f"thumbs/case.png{_tag('case.png')}.jpg"


def test_an_upgrade_writes_a_told_apart_rows_new_map_beside_its_other_files(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A resume that runs an analysis of an older version again names its new map by the
    row's name: by the key alone, ``case.png``'s new noise map was ``Case.png``'s on a folding
    drive."""
    from engine.pipeline import Analyzer
    from forensic_viewer.scan.pool_worker import AnalyzerRecipe
    from forensic_viewer.scan.run import run_scan
    from tests.viewer.test_scan_prefetch import files_of
    from tests.viewer.test_scan_upgrade import _older

    # larger than one 32-px block: on less, noise makes no relative map (too small to assess)
    folder = _folder(tmp_path, ["Case.png", "case.png"], 48, 64)
    out = tmp_path / "out"
    analyzer: Analyzer = AnalyzerRecipe((str(tiny_checkpoint),), device="cpu", faces=False).build()
    with monkeypatch.context() as m:
        _older(m, "noise")
        run_scan(files_of(folder), analyzer, out, source="t", analyses=("noise",))
    summary = run_scan(files_of(folder), analyzer, out, source="t", analyses=("noise",))
    assert summary.upgraded["noise"].rerun == 2
    rows = read_records(out)
    noise = rows["case.png"].analysis("noise")
    assert noise is not None and noise.map is not None and noise.provenance.version != "1"
    assert noise.map.file.startswith(f"maps/case.png{_tag('case.png')}.noise.v")
    _assert_apart(rows, out)


def test_probe_tables_of_names_that_fold_alike_are_kept_apart(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """A viewer probe's table kept in the scan's folder was named by the key alone
    (``probes/<key>.probe.json``): ``case.png``'s was written over ``Case.png``'s on a drive
    that folds case, as maps were. It now mirrors the name the row's maps mirror; a report
    reads each file's own."""
    from engine.io import load_evidence
    from forensic_viewer.report import scan_source
    from forensic_viewer.scan.probe import keep_scan_probe, read_scan_probe
    from forensic_viewer.scan.replay import analysis_from_record

    keys = ["Case.png", "case.png", "Sub/x.png", "sub/x.png"]
    folder = _folder(tmp_path, keys)
    out = tmp_path / "out"
    assert scan_cli(folder, out, tiny_checkpoint, "--recursive") == 0
    rows = read_records(out)
    kept: dict[str, Path] = {}
    for key in keys:
        analysis = analysis_from_record(rows[key], out, load_evidence(folder / key))
        table = {"evidence": {"sha256": rows[key].sha256}, "probed": key}
        path = keep_scan_probe([analysis], table)
        assert path is not None
        kept[key] = path
    folded = {_fold(str(p.relative_to(out))) for p in kept.values()}
    assert len(folded) == len(keys)  # four tables, also on a drive that folds names
    assert kept["Case.png"] == out / "probes" / "Case.png.probe.json"  # unchanged names stay
    assert kept["case.png"] == out / "probes" / f"case.png{_tag('case.png')}.probe.json"
    for key in keys:
        name = rows[key].output_name()
        assert name is not None
        assert read_scan_probe(out, name, rows[key].sha256)["probed"] == key  # type: ignore[index]
    assert {i.key: (i.probe or {}).get("probed") for i in scan_source(out).items()} == {
        k: k for k in keys
    }
