"""A triage thumbnail decoded again from the evidence file (the scan's own is gone) is shown
only when the file's bytes still hash to the row's SHA-256: a file changed since the scan
gave a thumbnail of its new pixels beside the figures and SHA-256 of the old ones."""

from __future__ import annotations

from pathlib import Path

from forensic_viewer.scan.pool import AnalyzerRecipe
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
