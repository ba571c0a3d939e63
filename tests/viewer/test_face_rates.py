"""A face model's measured rates are worded beside its faces only when the checkpoint that
scored them is theirs: each face score records its checkpoint's SHA-256 (rows before it
recorded none: unknown). The Verdict panel gave the face model loaded now's rates beside
faces another face checkpoint had scored (a scan's, or an analysis made before the analyst
switched models); a report of such an analysis listed the loaded model's SHA-256 and rates."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from engine.types import Analysis, FaceRegion, FaceScore, ModelResult
from forensic_viewer.scan.face_rates import NOT_AT_HAND
from forensic_viewer.scan.record_parts import FaceRecord
from forensic_viewer.scan.replay import ScanAnalysis
from tests.conftest import HANG_MS, memory_evidence

A, B = "a" * 64, "b" * 64  # the checkpoint that scored the faces, another one
RATES_A = "at this threshold (test faces): 3 % of authentic FASSEG faces (1 of 36) are flagged"
RATES_B = "at this threshold (test faces): 9 % of authentic FASSEG faces (3 of 33) are flagged"


def _figures(sha: str, rates: str) -> dict[str, dict[str, str]]:
    return {"f": {"checkpoint_sha256": sha, "reliability": rates, "rule": "logit"}}


def _whole() -> dict[str, ModelResult]:
    """A whole-image model's result: without one the panel says no model ran."""
    heat = np.zeros((120, 200), np.float32)
    w = ModelResult(
        name="w", architecture="tiny", checkpoint="", checkpoint_sha256="0" * 64,
        rule="logit", score=0.2, verdict="authentic", forged_fraction=0.0, threshold=0.5,
        pixel_threshold=0.5, threshold_provenance="p", input_policy={}, device="cpu",
        precision="fp32", seconds=0.1, heatmap=heat, mask=heat > 0.5,
    )  # fmt: skip
    return {"w": w}


def _faces(sha: str | None) -> list[FaceRegion]:
    flagged = FaceScore(0.99, "manipulated", threshold=0.98, rule="logit", checkpoint_sha256=sha)
    return [FaceRegion((10, 40, 60, 60), 0.99, {}, face_scores={"f": flagged})]


def test_a_face_score_names_its_checkpoint_and_an_older_rows_reads_as_unknown() -> None:
    face = _faces(A)[0]
    row = FaceRecord.from_region(face).to_json()
    assert row["face_scores"]["f"]["checkpoint_sha256"] == A
    assert FaceRecord.from_json(row, "faces[0]").face_scores["f"] == face.face_scores["f"]
    del row["face_scores"]["f"]["checkpoint_sha256"]  # a row written before it was recorded
    old = FaceRecord.from_json(row, "faces[0]")
    assert old.face_scores["f"].checkpoint_sha256 is None
    assert old.to_json() == row  # written back as it was


@pytest.mark.gui
def test_the_verdict_panel_gives_the_rates_of_the_checkpoint_that_scored_the_faces(
    qtbot, tmp_path: Path
) -> None:
    from forensic_viewer.gui.main_window import MainWindow

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(models=[], device="cpu", settings=settings)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window._models_known, timeout=HANG_MS)
    window.worker.face_model_figures = _figures(B, RATES_B)  # the face model loaded now
    evidence = memory_evidence(np.zeros((120, 200, 3), np.uint8))

    # analysed before the analyst switched face models: checkpoint A scored its faces
    window.show_analysis(Analysis(evidence=evidence, results=_whole(), faces=_faces(A)))
    said = window.verdict_panel.faces.text()
    assert RATES_B not in said and f"f, the face model: {NOT_AT_HAND}" in said
    assert f"scored by checkpoint {A[:12]}…; those at hand are checkpoint {B[:12]}…'s" in said
    window.show_analysis(Analysis(evidence=evidence, results=_whole(), faces=_faces(B)))
    assert f"f, the face model: {RATES_B}" in window.verdict_panel.faces.text()

    # a scan's row: its scan.json's face model, never the one loaded; an older row names no
    # checkpoint and is that folder's (a resume keeps its face models)
    for sha in (A, None):
        scanned = ScanAnalysis(
            evidence=evidence, results=_whole(), faces=_faces(sha), scan_out=tmp_path,
            scan_key="mem.png", face_model_figures=_figures(A, RATES_A),
        )  # fmt: skip
        window.show_analysis(scanned)
        said = window.verdict_panel.faces.text()
        assert f"f, the face model: {RATES_A}" in said and RATES_B not in said
    scanned.face_model_figures = {}  # scan.json unreadable: nothing known of its checkpoint
    window.show_analysis(scanned)
    said = window.verdict_panel.faces.text()
    assert NOT_AT_HAND in said and RATES_B not in said


def test_a_report_lists_the_checkpoint_that_scored_the_faces_not_the_loaded_one() -> None:
    """A report of the viewer's analysis takes the face model's figures from the model loaded
    now; they are said only of faces that checkpoint scored."""
    from forensic_viewer.report import CaseInfo, ReportSource
    from forensic_viewer.report.build import ReportOptions, overview
    from forensic_viewer.report.model import ModelEntry
    from tests.viewer.conftest import face_item

    def face_model(scorer: str | None, rows_of_a_scan: bool = False) -> object:
        fs = _faces(scorer)[0].face_scores["f"].to_dict()
        face = {"box": [10, 40, 60, 60], "confidence": 0.99, "scores": {}, "face_scores": {"f": fs}}
        item = face_item(face, [ModelEntry("whole", "model", "ran")])
        source = ReportSource.from_items(
            [item], settings={"face_model_figures": _figures(B, RATES_B)}
        )
        if rows_of_a_scan:
            source.results_sha256 = "c" * 64
        ov = overview(source, CaseInfo(), ReportOptions())
        (m,) = [m for m in ov.models if m.name == "f"]
        return m

    other = face_model(A)
    assert other.checkpoint_sha256 == A and other.reliability.startswith(NOT_AT_HAND)
    assert other.rule == "" and other.threshold is None  # none of B's figures
    same = face_model(B)
    assert (same.checkpoint_sha256, same.reliability, same.rule) == (B, RATES_B, "logit")
    assert face_model(None).reliability.startswith(NOT_AT_HAND)  # unknown, not the scan's
    assert face_model(None, rows_of_a_scan=True).reliability == RATES_B


def test_the_command_lines_closing_rates_are_the_scoring_checkpoints(tmp_path: Path) -> None:
    from forensic_viewer.cli_scan import _face_rates
    from forensic_viewer.scan.results import SCAN_INFO

    (tmp_path / SCAN_INFO).write_text(json.dumps({"face_model_figures": _figures(B, RATES_B)}))

    def rows(sha: str | None) -> list[dict[str, object]]:
        return [{"path": "a.jpg", "faces": [f.to_dict() for f in _faces(sha)]}]

    assert _face_rates(tmp_path, rows(B)) == {"f": RATES_B}
    assert _face_rates(tmp_path, rows(None)) == {"f": RATES_B}  # an older row of this folder
    assert _face_rates(tmp_path, rows(A))["f"].startswith(NOT_AT_HAND)
