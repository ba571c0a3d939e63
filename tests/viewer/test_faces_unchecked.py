"""When no face was judged, the viewer says whether detection ran (a face-manipulation
analyst's walk-through, 2026-12-06, findings 1 and 7): a portrait turned 90° in its pixels,
whose face MTCNN misses, read "not flagged (calibrated)" under a sentence on the face rule, with
no word that no face had been checked; the layer panel's "no face found" could not be reached
(the faces layer was added only with faces), and its face lines left out "cut by the image
border", which the canvas and the Verdict panel say."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from engine.ensemble_provenance import FACE_RULE_COUNTED
from engine.types import Analysis, FaceRegion, FaceScore, ModelResult
from forensic_viewer.face_marks import FACES_NOT_CHECKED, NO_FACE_FOUND, NOT_FOUND_WHY
from forensic_viewer.layers import build_layers
from forensic_viewer.model_layers import FacesLayer
from tests.conftest import HANG_MS, make_tiny_checkpoint, memory_evidence, write_rgb


def _ensemble(reliability: str) -> ModelResult:
    heat = np.zeros((120, 200), np.float32)
    return ModelResult(
        name="duo", architecture="ensemble", checkpoint="", checkpoint_sha256="0" * 64,
        rule="ensemble", score=0.25, verdict="authentic", forged_fraction=0.0,
        threshold=0.5986, pixel_threshold=0.5, threshold_provenance="θ = 0.5986 stacking",
        input_policy={}, device="cpu", precision="fp32", seconds=0.1, heatmap=heat,
        mask=heat > 0.5, reliability=reliability,
    )  # fmt: skip


def _analysis(checked: bool | None, reliability: str = "at this threshold: 4 of 30") -> Analysis:
    ensemble = _ensemble(reliability)
    member = dataclasses.replace(ensemble, name="m", architecture="tiny", rule="logit")
    return Analysis(
        evidence=memory_evidence(np.zeros((120, 200, 3), np.uint8)),
        results={"m": member},
        ensemble=ensemble,
        faces_checked=checked,
    )


def test_the_verdict_panel_says_detection_found_no_face_or_did_not_run(qtbot) -> None:
    from forensic_viewer.gui.verdict_panel import VerdictPanel, faces_text

    rule_on = _analysis(True, "at this threshold: 4 of 30" + FACE_RULE_COUNTED)
    said = faces_text(rule_on)
    assert said == f"{NO_FACE_FOUND}: the face rule checked nothing; {NOT_FOUND_WHY}"
    assert said.startswith("Face detection ran and found no face")  # the report's words
    assert "on their side" in said and "docs/FACES.md" in said
    assert "the face rule" not in faces_text(_analysis(True)).split(";")[0].split(": ", 1)[1]
    assert faces_text(_analysis(False)) == FACES_NOT_CHECKED
    assert faces_text(_analysis(None)) == ""  # not known (an older caller): nothing claimed
    panel = VerdictPanel()
    qtbot.addWidget(panel)
    panel.set_analysis(rule_on)
    assert panel.faces.isVisibleTo(panel) and panel.faces.text() == said
    assert said in panel.text()


def test_the_faces_layer_says_none_found_and_its_lines_say_a_border_cut(qtbot) -> None:
    from forensic_viewer.gui.layer_panel import LayerPanel

    ev = memory_evidence(np.zeros((120, 200, 3), np.uint8))
    none_found = build_layers(ev, _analysis(True))
    assert "faces" in [la.name for la in none_found]
    assert "faces" not in [la.name for la in build_layers(ev, _analysis(False))]
    panel = LayerPanel()
    qtbot.addWidget(panel)
    panel.set_layers(none_found)
    none_found.selected = none_found["faces"]
    assert NO_FACE_FOUND in _panel_text(panel)

    flagged = FaceScore(0.9965, "manipulated", 0.863, threshold=0.9829, rule="logit")
    at_edge = FaceRegion((0, 40, 60, 60), 0.99, {}, face_scores={"f": flagged})
    layers = build_layers(ev, Analysis(ev, {}, faces=[at_edge], faces_checked=True))
    layer = layers["faces"]
    assert isinstance(layer, FacesLayer) and layer.image_size == (200, 120)
    panel.set_layers(layers)
    layers.selected = layer
    assert "cut by the image border" in _panel_text(panel)


def _panel_text(panel) -> str:
    from PySide6.QtWidgets import QLabel

    assert panel.controls is not None
    return "\n".join(label.text() for label in panel.controls.findChildren(QLabel))


def test_the_worker_records_whether_face_detection_ran(qtbot, tmp_path: Path) -> None:
    from forensic_viewer.gui.workers import AnalysisWorker

    model = make_tiny_checkpoint(tmp_path / "m1.safetensors", "m1", seed=1)
    worker = AnalysisWorker(faces=False)
    worker.start()
    try:
        with qtbot.waitSignal(worker.modelsReady, timeout=HANG_MS):
            worker.configure([str(model)], "cpu")
        done: list[Analysis] = []
        worker.succeeded.connect(lambda _job, a: done.append(a))
        worker.submit(write_rgb(tmp_path / "plain.png", 64, 64))
        qtbot.waitUntil(lambda: bool(done), timeout=HANG_MS)
        assert done[0].faces_checked is False and done[0].faces == []
    finally:
        worker.stop()
