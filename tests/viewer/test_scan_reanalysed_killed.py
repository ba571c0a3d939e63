"""A file analysed again whole (its bytes changed since its row) in a scan killed midway: at
every point the last row of each file names files that exist and were made from the bytes
whose SHA-256 the row holds.

The defect: the new heatmaps, classic maps and thumbnail were written over the old row's files
before the new row was appended, so a kill in between left the old row (the old SHA-256)
naming maps and a thumbnail of the new bytes; a report or the triage table showed them as the
old file's.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from engine.pipeline import Analyzer
from forensic_viewer.scan import encoded, upgrade
from forensic_viewer.scan.maps import unnamed
from forensic_viewer.scan.pool import run_pool_scan
from forensic_viewer.scan.pool_worker import AnalyzerRecipe
from forensic_viewer.scan.records import as_record
from forensic_viewer.scan.results import ResultLog
from forensic_viewer.scan.run import run_scan
from tests.conftest import write_rgb
from tests.viewer.test_records import SCHEMA
from tests.viewer.test_scan_pool import _folder, _rows
from tests.viewer.test_scan_prefetch import files_of

NAMES = ["a.png", "b.jpg", "c.png"]
CLASSIC = ("ela", "noise")


class Killed(BaseException):
    """The scan killed at one point of writing b.jpg's new result."""


@pytest.fixture
def analyzer(tiny_checkpoint: Path) -> Analyzer:
    return AnalyzerRecipe(models=(str(tiny_checkpoint),), device="cpu", faces=False).build()


def _scan(folder: Path, analyzer: Analyzer, out: Path) -> Any:
    return run_scan(files_of(folder), analyzer, out, source="t", analyses=CLASSIC)


def _by_field(row: dict[str, Any]) -> dict[str, str]:
    """The files a row names, by the field naming each (a model, an analysis, the
    thumbnail)."""
    rec = as_record(row)
    by_field: dict[str, str] = {f"model:{m.name}": m.heatmap or "" for m in rec.models}
    by_field |= {f"analysis:{a.name}": a.map.file or "" for a in rec.analyses if a.map}
    by_field["thumbnail"] = rec.thumbnail or ""
    return {what: name for what, name in by_field.items() if name}


def _row_files(out: Path, key: str) -> set[str]:
    return set(_by_field(_rows(out)[key]).values())


def _named(out: Path) -> dict[str, tuple[str, dict[str, bytes]]]:
    """Per key, the SHA-256 its last row holds and the bytes of each file it names, by the
    field naming it, not by the file's name. Fails when a row names a file that does not
    exist."""
    named = {}
    for key, row in _rows(out).items():
        files = {}
        for what, name in _by_field(row).items():
            assert (out / name).is_file(), f"{key}'s row names {name}, which is missing"
            files[what] = (out / name).read_bytes()
        named[key] = (row["sha256"], files)
    return named


def _on_disk(out: Path) -> set[str]:
    """Every map and thumbnail file under ``out``, relative to it."""
    return {
        p.relative_to(out).as_posix()
        for sub in out.iterdir()
        if sub.is_dir() and sub.name.split(".")[0] in ("maps", "thumbs")
        for p in sub.rglob("*")
        if p.is_file()
    }


def _kill_at(m: pytest.MonkeyPatch, point: str) -> None:
    """Raise :class:`Killed` at ``point`` of writing b.jpg's new result: after its first new
    file, before its row is appended, or after the append before the old files are removed."""
    if point == "mid-files":
        real_write = encoded.atomic_write_below

        def write(root: Path, name: str, data: bytes) -> Path:
            path = real_write(root, name, data)
            if "b.jpg" in Path(name).name:
                raise Killed
            return path

        m.setattr(encoded, "atomic_write_below", write)
    elif point == "before-append":
        real_append = ResultLog.append

        def append(self: ResultLog, record: Any) -> Any:
            if record.path == "b.jpg":
                raise Killed
            return real_append(self, record)

        m.setattr(ResultLog, "append", append)
    else:
        real_remove = upgrade.remove_left_behind

        def remove(out: Path, before: Any, record: Any) -> None:
            if record.path == "b.jpg":
                raise Killed
            real_remove(out, before, record)

        m.setattr("forensic_viewer.scan.run.remove_left_behind", remove)


@pytest.mark.parametrize("point", ["mid-files", "before-append", "after-append"])
def test_a_file_analysed_again_whole_and_killed_leaves_rows_naming_their_own_files(
    tmp_path: Path, analyzer: Analyzer, point: str
) -> None:
    folder = _folder(tmp_path / "ev", NAMES)
    out = tmp_path / "out"
    _scan(folder, analyzer, out)
    before = _named(out)
    old_sha = before["b.jpg"][0]
    old_files = _row_files(out, "b.jpg")
    write_rgb(folder / "b.jpg", 48, 56, seed=99, fmt="JPEG")  # changed since the scan
    new_sha = hashlib.sha256((folder / "b.jpg").read_bytes()).hexdigest()
    fresh = tmp_path / "fresh"
    _scan(folder, analyzer, fresh)  # what the new bytes give
    made = _named(fresh)
    assert made["b.jpg"][0] == new_sha and made["b.jpg"][1] != before["b.jpg"][1]

    with pytest.MonkeyPatch.context() as m:
        _kill_at(m, point)
        with pytest.raises(Killed):
            _scan(folder, analyzer, out)
    now = _named(out)  # every file a last row names exists
    if point == "after-append":  # the new row is in: it names the new bytes' files
        assert now["b.jpg"] == made["b.jpg"]
    else:  # the old row is still the last: its own files, byte for byte
        assert now["b.jpg"] == (old_sha, before["b.jpg"][1])
    assert now["a.png"] == before["a.png"]

    summary = _scan(folder, analyzer, out)  # the resume ends the job
    assert summary.failed == [] and summary.skipped == (3 if point == "after-append" else 2)
    final = _named(out)
    assert final == made  # the new bytes' files, whatever they are called
    assert _rows(out)["b.jpg"]["replaces"] == {"sha256": old_sha}
    named = {f for key in final for f in _row_files(out, key)}
    # the old row's files removed, nothing else left behind; killed after the append, its
    # files stay, named by no row (untidy, never wrong)
    left = _on_disk(out) - named
    assert named <= _on_disk(out)
    assert left == (old_files if point == "after-append" else set())


def test_the_files_alternate_and_a_third_analysis_writes_over_no_named_file(
    tmp_path: Path, analyzer: Analyzer
) -> None:
    """Analysed again twice: the second time's files go back to the first folder, freed when
    the row before it was appended; no file a row names is ever written over."""
    folder = _folder(tmp_path / "ev", NAMES)
    out = tmp_path / "out"
    _scan(folder, analyzer, out)
    first = _row_files(out, "b.jpg")
    assert all(f.split("/")[0] in ("maps", "thumbs") for f in first)
    write_rgb(folder / "b.jpg", 48, 56, seed=98, fmt="JPEG")
    _scan(folder, analyzer, out)
    second = _row_files(out, "b.jpg")
    assert second == {unnamed(f, first) for f in first} and not second & first
    validator = Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    for row in _rows(out).values():  # the published schema knows maps.2/ and thumbs.2/
        assert not list(validator.iter_errors(row))
    assert not any((out / f).exists() for f in first)
    write_rgb(folder / "b.jpg", 48, 56, seed=97, fmt="JPEG")
    _scan(folder, analyzer, out)
    third = _row_files(out, "b.jpg")
    assert third == first and not any((out / f).exists() for f in second)
    _named(out)


def test_unnamed_moves_a_taken_file_to_the_next_free_folder() -> None:
    name = "maps/sub/a.png.tiny.png"
    assert unnamed(name, ()) == name
    assert unnamed(name, {name}) == "maps.2/sub/a.png.tiny.png"
    assert unnamed(name, {name, "maps.2/sub/a.png.tiny.png"}) == "maps.3/sub/a.png.tiny.png"
    assert unnamed("thumbs/a.png.jpg", {"thumbs/a.png.jpg"}) == "thumbs.2/a.png.jpg"


def test_worker_processes_write_over_no_named_file_either(
    tmp_path: Path, tiny_checkpoint: Path, analyzer: Analyzer
) -> None:
    """A pooled scan's parent writes what its workers send through the same writer: killed
    before b.jpg's new row is appended, its old row names its own files."""
    folder = _folder(tmp_path / "ev", NAMES)
    out = tmp_path / "out"
    _scan(folder, analyzer, out)
    before = _named(out)
    write_rgb(folder / "b.jpg", 48, 56, seed=99, fmt="JPEG")
    recipe = AnalyzerRecipe(models=(str(tiny_checkpoint),), device="cpu", faces=False)
    with pytest.MonkeyPatch.context() as m:
        _kill_at(m, "before-append")
        with pytest.raises(Killed):
            run_pool_scan(
                files_of(folder), recipe, out, jobs=2, source="t", threads=1, analyses=CLASSIC
            )
    assert _named(out) == before  # every file each last row names, byte for byte
