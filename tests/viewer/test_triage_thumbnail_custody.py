"""A triage thumbnail decoded again from the evidence file (the scan's own is gone) is shown
only when the file's bytes still hash to the row's SHA-256: a file changed since the scan
gave a thumbnail of its new pixels beside the figures and SHA-256 of the old ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from forensic_viewer.scan.pool_worker import AnalyzerRecipe
from forensic_viewer.scan.run import run_scan
from forensic_viewer.scan.triage import load_thumbnail, triage_rows
from tests.conftest import write_rgb
from tests.viewer.test_scan_prefetch import files_of


def test_a_thumbnail_from_the_evidence_needs_the_rows_bytes(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    folder = tmp_path / "ev"
    folder.mkdir()
    write_rgb(folder / "a.png", 40, 48, seed=1)
    out = tmp_path / "out"
    analyzer = AnalyzerRecipe(models=(str(tiny_checkpoint),), device="cpu", faces=False).build()
    run_scan(files_of(folder), analyzer, out, source="t")
    (row,) = triage_rows(out)
    assert row.thumbnail and (out / row.thumbnail).is_file()
    (out / row.thumbnail).unlink()  # the scan's thumbnail lost: read from the evidence
    same = load_thumbnail(out, row)
    assert same is not None and same.shape[2] == 3
    write_rgb(folder / "a.png", 40, 48, seed=2)  # the evidence changed since the scan
    assert load_thumbnail(out, row) is None


class Killed(BaseException):
    """The scan killed after appending a row, before removing the files it replaced."""


def test_an_error_row_shows_no_thumbnail_left_by_the_row_it_replaced(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error row names no thumbnail, and the table read ``thumbs/<key>.jpg`` for it: the
    finished row's it replaced, of the bytes before the file changed, when the scan was killed
    before removing it (before 2026-12-05 never removed at all)."""
    folder = tmp_path / "ev"
    folder.mkdir()
    write_rgb(folder / "a.png", 40, 48, seed=1)
    out = tmp_path / "out"
    analyzer = AnalyzerRecipe(models=(str(tiny_checkpoint),), device="cpu", faces=False).build()
    run_scan(files_of(folder), analyzer, out, source="t")
    (folder / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 30)  # damaged since

    def killed(*_args: Any) -> None:
        raise Killed

    monkeypatch.setattr("forensic_viewer.scan.run.remove_left_behind", killed)
    with pytest.raises(Killed):
        run_scan(files_of(folder), analyzer, out, source="t")
    (row,) = triage_rows(out)
    assert row.status == "error" and (out / "thumbs" / "a.png.jpg").is_file()
    assert load_thumbnail(out, row) is None
