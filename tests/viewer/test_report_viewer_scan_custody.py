"""The report of a file the viewer opened from a scan's results is of the bytes the viewer
shows: the scan's row is read again as the report is written, and a row of other bytes (a
resume analysed the changed file again since) is refused, naming the file. It was reported
silently, under the title of the file on screen."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import ForensicError
from engine.io import load_evidence
from forensic_viewer.gui.report_job import image_report_job
from forensic_viewer.scan.pool_worker import AnalyzerRecipe
from forensic_viewer.scan.replay import analysis_from_record
from forensic_viewer.scan.results import ResultIndex
from forensic_viewer.scan.run import run_scan
from tests.conftest import write_rgb
from tests.viewer.test_scan_prefetch import files_of


def test_a_report_from_the_viewer_refuses_a_scan_row_of_other_bytes(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    folder = tmp_path / "ev"
    folder.mkdir()
    path = write_rgb(folder / "a.png", 40, 48, seed=1)
    out = tmp_path / "out"
    analyzer = AnalyzerRecipe(models=(str(tiny_checkpoint),), device="cpu", faces=False).build()
    run_scan(files_of(folder), analyzer, out, source="t")
    shown = analysis_from_record(ResultIndex(out).get("a.png"), out, load_evidence(path))
    (item,) = list(image_report_job(shown).source().items())  # the row of the bytes shown
    assert item.sha256 == shown.evidence.sha256
    write_rgb(path, 40, 48, seed=2)  # changed, and analysed again by a resume
    run_scan(files_of(folder), analyzer, out, source="t")
    assert ResultIndex(out).sha256("a.png") != shown.evidence.sha256
    with pytest.raises(ForensicError, match="of other bytes now") as e:
        list(image_report_job(shown).source().items())
    assert str(path) in str(e.value) and "\n" not in str(e.value)
