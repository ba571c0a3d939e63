"""The files a scan's row names (heatmaps, classic-analysis maps, thumbnail) carry the SHA-256
of the bytes written, and every reader checks it: a map swapped or damaged after the scan went
into a report, or the viewer's replay of the row, as if it were the scan's. A report of a scan
names the results.jsonl it was read from by its SHA-256."""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from engine.errors import ForensicError
from engine.io import load_evidence
from forensic_viewer.report import scan_source, write_report
from forensic_viewer.scan.pool_worker import AnalyzerRecipe
from forensic_viewer.scan.records import FileRecord, record_from_json
from forensic_viewer.scan.replay import analysis_from_record
from forensic_viewer.scan.results import RESULTS, ResultIndex
from forensic_viewer.scan.run import run_scan
from forensic_viewer.scan.triage import load_thumbnail, triage_rows
from tests.conftest import write_rgb
from tests.viewer.conftest import scan_cli
from tests.viewer.test_report import flat, pdf_text
from tests.viewer.test_scan_prefetch import files_of

MISMATCH = "does not match the hash its row recorded"


def assert_hashes_of_files(out: Path, row: dict[str, Any]) -> None:
    """``row`` records the SHA-256 of every file it names, and each is its file's bytes."""
    rec = record_from_json(row)
    assert isinstance(rec, FileRecord)
    assert rec.files() and set(rec.files_sha256) == rec.files()
    for name, sha in rec.files_sha256.items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == sha, name


@pytest.fixture
def scanned(tmp_path: Path, tiny_checkpoint: Path) -> tuple[Path, Path]:
    """(evidence folder, output folder) of a scan of one PNG with the ELA analysis."""
    folder = tmp_path / "ev"
    folder.mkdir()
    write_rgb(folder / "a.png", 40, 48, seed=1)
    out = tmp_path / "out"
    analyzer = AnalyzerRecipe(models=(str(tiny_checkpoint),), device="cpu", faces=False).build()
    run_scan(files_of(folder), analyzer, out, source="t", analyses=("ela",))
    return folder, out


def _row(out: Path) -> dict[str, Any]:
    return ResultIndex(out).get("a.png")


def _altered(path: Path) -> None:
    """Write ``path`` again as a valid PNG of the same size with one pixel changed."""
    with Image.open(path) as im:
        pixels = np.asarray(im).copy()
    pixels[0, 0] ^= 0xFF
    Image.fromarray(pixels).save(path)


def test_a_scans_row_records_the_hash_of_every_file_it_names(scanned: tuple[Path, Path]) -> None:
    _, out = scanned
    row = _row(out)
    assert_hashes_of_files(out, row)
    names = set(row["files_sha256"])
    assert row["thumbnail"] in names and row["models"]["tiny"]["heatmap"] in names
    assert row["analyses"]["ela"]["map"]["file"] in names


def test_a_map_changed_after_the_scan_is_refused_by_the_report_and_the_replay(
    scanned: tuple[Path, Path], tmp_path: Path
) -> None:
    folder, out = scanned
    row = _row(out)
    heatmap = out / row["models"]["tiny"]["heatmap"]
    ela = out / row["analyses"]["ela"]["map"]["file"]
    _altered(heatmap)
    _altered(ela)
    evidence = load_evidence(folder / "a.png")
    with pytest.raises(ForensicError, match=MISMATCH) as e:
        analysis_from_record(row, out, evidence)
    assert str(e.value) == f"{heatmap}: {MISMATCH}: changed or replaced since the scan"
    written = write_report(scan_source(out), tmp_path / "rep", ["json"])
    (item,) = json.loads(written["json"].read_text(encoding="utf-8"))["items"]
    assert (
        f"tiny: {heatmap}: {MISMATCH}: changed or replaced since the scan; no figure"
        in (item["figure_notes"])
    )
    assert any(str(ela) in n and MISMATCH in n for n in item["figure_notes"])
    assert item["figures_drawn"] == ["evidence"]  # neither map drawn as if it were the scan's


def test_a_thumbnail_changed_after_the_scan_is_not_shown(scanned: tuple[Path, Path]) -> None:
    _, out = scanned
    (row,) = triage_rows(out)
    assert load_thumbnail(out, row, from_evidence=False) is not None
    thumb = out / str(row.thumbnail)
    thumb.write_bytes(thumb.read_bytes() + b"\x00")  # still a JPEG, no longer the scan's bytes
    assert load_thumbnail(out, row, from_evidence=False) is None


def test_a_report_says_in_the_files_section_that_its_thumbnail_changed(
    scanned: tuple[Path, Path], tmp_path: Path
) -> None:
    """The summary table leaves a changed thumbnail out and only logged it; the report said
    nothing of it. The file's section now says it, as it says a changed map."""
    _, out = scanned
    thumb = out / str(_row(out)["thumbnail"])
    said = (
        f"summary thumbnail: {thumb}: {MISMATCH}: changed or replaced since the scan; "
        "left out of the summary table"
    )
    written = write_report(scan_source(out), tmp_path / "rep", ["json"])
    (item,) = json.loads(written["json"].read_text(encoding="utf-8"))["items"]
    assert not any("thumbnail" in n for n in item["figure_notes"])  # unchanged: nothing said
    thumb.write_bytes(thumb.read_bytes() + b"\x00")
    written = write_report(scan_source(out), tmp_path / "rep", ["html", "json"])
    (item,) = json.loads(written["json"].read_text(encoding="utf-8"))["items"]
    assert said in item["figure_notes"]
    assert item["figures_drawn"] == ["evidence", "tiny", "analysis ela"]  # the maps are the scan's
    assert said in flat(html.unescape(written["html"].read_text(encoding="utf-8")))


def test_a_row_of_an_earlier_version_without_hashes_still_reports_and_replays(
    scanned: tuple[Path, Path], tmp_path: Path
) -> None:
    folder, out = scanned
    rows = [json.loads(line) for line in (out / RESULTS).read_text(encoding="utf-8").splitlines()]
    for row in rows:
        del row["files_sha256"]
    (out / RESULTS).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    row = _row(out)
    assert "files_sha256" not in row
    again = analysis_from_record(row, out, load_evidence(folder / "a.png"))
    assert set(again.results) == {"tiny"} and again.analyses["ela"].map is not None
    written = write_report(scan_source(out), tmp_path / "rep", ["json"])
    (item,) = json.loads(written["json"].read_text(encoding="utf-8"))["items"]
    assert item["figures_drawn"] == ["evidence", "tiny", "analysis ela"]
    assert not any(MISMATCH in n for n in item["figure_notes"])


def test_a_scans_report_names_the_results_it_was_read_from(
    scanned: tuple[Path, Path], tmp_path: Path
) -> None:
    _, out = scanned
    sha = hashlib.sha256((out / RESULTS).read_bytes()).hexdigest()
    written = write_report(scan_source(out), tmp_path / "rep", ["html", "pdf", "json"])
    head = json.loads(written["json"].read_text(encoding="utf-8"))
    assert head["results_sha256"] == sha
    assert f"results.jsonl, SHA-256 {sha}" in written["html"].read_text(encoding="utf-8")
    _, text = pdf_text(written["pdf"])
    assert sha in flat(text).replace(" ", "")


def test_a_file_too_large_to_be_a_map_is_refused_unread(
    scanned: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """read_named read a whole file into memory before checking it: a huge file planted under
    a map's name was read whole. A file over named_file_limit is now refused before it is
    read, in one line naming it (the limit lowered here, so the planted file stays small)."""
    from forensic_viewer.scan import maps

    assert maps.named_file_limit() >= 512 * 2**20  # generous by default
    monkeypatch.setenv("FORENSIC_VIEWER_MAX_PIXELS", "2000000000")  # a scan of larger evidence
    assert maps.named_file_limit() >= 4_000_000_000
    monkeypatch.delenv("FORENSIC_VIEWER_MAX_PIXELS")
    folder, out = scanned
    row = _row(out)
    heatmap = out / row["models"]["tiny"]["heatmap"]
    thumb = out / row["thumbnail"]
    limit = 2**20
    monkeypatch.setattr(maps, "named_file_limit", lambda: limit)
    for planted in (heatmap, thumb):
        planted.write_bytes(planted.read_bytes() + b"\x00" * limit)
    too_large = f"is {heatmap.stat().st_size:,} bytes, more than any map or thumbnail"
    with pytest.raises(ForensicError, match=too_large) as e:
        maps.read_named(heatmap, None)
    assert str(e.value).startswith(f"{heatmap}: ") and "\n" not in str(e.value)
    with pytest.raises(ForensicError, match=too_large):
        analysis_from_record(row, out, load_evidence(folder / "a.png"))
    (trow,) = triage_rows(out)
    assert load_thumbnail(out, trow, from_evidence=False) is None
    written = write_report(scan_source(out), tmp_path / "rep", ["json"])
    (item,) = json.loads(written["json"].read_text(encoding="utf-8"))["items"]
    assert any(n.startswith(f"tiny: {heatmap}: is ") for n in item["figure_notes"])
    assert any(n.startswith(f"summary thumbnail: {thumb}: is ") for n in item["figure_notes"])


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="no sha256sum")
def test_the_documented_listing_hashes_every_file_the_rows_name(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """docs/RESULTS.md advised ``sha256sum results.csv maps/*`` to compare two output folders;
    maps also sit in sub-folders mirroring the evidence's and in ``maps.2/`` (``thumbs.2/``)
    of a file analysed again, which that missed. The listing it gives now, run as written,
    holds every map a row names with the SHA-256 the row recorded (``files_sha256``)."""
    docs = (Path(__file__).resolve().parents[2] / "docs" / "RESULTS.md").read_text("utf-8")
    commands = re.findall(r"`(find results\.csv [^`]*)`", " ".join(docs.split()))
    assert commands, "RESULTS.md gives no find ... sha256sum listing of an output folder"
    folder = tmp_path / "ev"
    (folder / "sub").mkdir(parents=True)
    write_rgb(folder / "a.png", 40, 48, seed=1)
    write_rgb(folder / "sub" / "b.png", 40, 48, seed=2)
    out = tmp_path / "out"
    assert scan_cli(folder, out, tiny_checkpoint, "--recursive") == 0
    write_rgb(folder / "a.png", 40, 48, seed=3)  # changed: analysed again, its maps in maps.2/
    assert scan_cli(folder, out, tiny_checkpoint, "--recursive") == 0
    listing = subprocess.run(
        commands[0], shell=True, cwd=out, capture_output=True, text=True, check=True
    ).stdout
    listed = {name: sha for sha, name in (line.split(maxsplit=1) for line in listing.splitlines())}
    rows = {key: ResultIndex(out).get(key) for key in ("a.png", "sub/b.png")}
    maps = {n: s for r in rows.values() for n, s in r["files_sha256"].items() if n.endswith(".png")}
    assert any(n.startswith("maps.2/") for n in maps) and any("/sub/" in n for n in maps)
    assert {n: listed.get(n) for n in maps} == maps
    assert "results.csv" in listed
