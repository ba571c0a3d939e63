"""Which face was flagged, in a photograph of several (walk-through 2026-12-05, a face-swap
montage of four faces): the canvas numbers each box as the report does, draws the flagged
face in its own colour and ends each label at its own box; the Verdict panel names each face
by number and place and gives the face model's measured rates; the face model's map is dimmed
over the faces it did not flag, the read-out says the face's verdict beside the map value, and
the report outlines the face model's mask only on the faces it flagged."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from engine.ensemble_provenance import FACE_RULE_NOTE, ON_THIS_FILE
from engine.types import Analysis, FaceRegion, FaceScore, ModelResult
from forensic_viewer.layers import build_layers
from forensic_viewer.model_layers import FacesLayer
from tests.conftest import memory_evidence

AUTHENTIC = FaceScore(0.9089, "authentic", 0.435, threshold=0.9829, rule="logit")
FLAGGED = FaceScore(0.9965, "manipulated", 0.863, threshold=0.9829, rule="logit")
WHOLE_AUTHENTIC = FaceScore(0.2, "authentic", threshold=0.5, rule="logit")


def _faces() -> list[FaceRegion]:
    """Two faces side by side in a 200 x 120 image, the second flagged by the face model "f";
    "w" is a whole-image model (a heatmap mean in the box)."""
    return [
        FaceRegion((10, 40, 60, 60), 0.99, {"w": 0.3}, face_scores={"f": AUTHENTIC, "w": WHOLE_AUTHENTIC}),
        FaceRegion((90, 40, 60, 60), 0.99, {"w": 0.3}, face_scores={"f": FLAGGED, "w": WHOLE_AUTHENTIC}),
    ]  # fmt: skip


def _ensemble(provenance: str) -> ModelResult:
    heat = np.zeros((120, 200), np.float32)
    return ModelResult(
        name="duo", architecture="ensemble", checkpoint="", checkpoint_sha256="0" * 64,
        rule="ensemble", score=0.918, verdict="manipulated", forged_fraction=0.0,
        threshold=0.5986, pixel_threshold=0.5, threshold_provenance=provenance,
        input_policy={}, device="cpu", precision="fp32", seconds=0.1, heatmap=heat,
        mask=heat > 0.5,
    )  # fmt: skip


def test_each_face_label_is_numbered_and_ends_at_its_own_box(qtbot) -> None:
    """Elided at the image's right edge, the left face's label ran across the flagged face's
    box and covered its label; the boxes had no number and one colour."""
    from PySide6.QtCore import QRectF

    from forensic_viewer.gui.canvas import Canvas
    from forensic_viewer.gui.layer_visuals import FACE_COLOR, FLAGGED_FACE_COLOR, FacesVisual

    faces = _faces()
    layers = build_layers(memory_evidence(np.zeros((120, 200, 3), np.uint8)))
    layers.append(FacesLayer(faces))
    canvas = Canvas()
    qtbot.addWidget(canvas)
    canvas.resize(600, 360)
    canvas.show()
    canvas.set_layers(layers)
    qtbot.wait(50)
    visual = next(v for v in canvas.visuals if isinstance(v, FacesVisual))
    visual.place_labels()
    for (label, (x, _y, w, _h), full), number in zip(visual.labels, (1, 2), strict=True):
        rect = canvas.view.mapSceneToView(label.sceneBoundingRect()).boundingRect()
        assert rect.left() >= x - 0.5 and rect.right() <= x + w + 0.5, (rect, x, w)
        shown = label.textItem.toPlainText()
        assert shown.startswith(f"{number} · ") and shown.endswith("…")
        said = "not flagged" if number == 1 else "flagged as manipulated"  # the face model's
        assert full.startswith(f"{number} · {said} · f: face ")
        assert label.toolTip() == full
    assert [r.pen().color() for r in visual.rects] == [FACE_COLOR, FLAGGED_FACE_COLOR]
    # each box on a dark casing drawn under it, wider (walk-through cvd: no edge over a heatmap)
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QGraphicsRectItem

    from forensic_viewer.overlays import CASING_RGB

    casings = [
        it for it in visual.items
        if isinstance(it, QGraphicsRectItem) and it.pen().color() == QColor(*CASING_RGB)
    ]  # fmt: skip
    assert [c.rect() for c in casings] == [r.rect() for r in visual.rects]
    assert all(
        c.pen().widthF() > r.pen().widthF() for c, r in zip(casings, visual.rects, strict=True)
    )
    assert visual.rects[1].toolTip() == visual.labels[1][2]
    # zoomed far out, a box a few pixels wide keeps its number
    canvas.view.setRange(QRectF(-2000, -2000, 4200, 4200), padding=0.0)
    qtbot.wait(50)
    visual.place_labels()
    assert [la.textItem.toPlainText()[:1] for la, _, _ in visual.labels] == ["1", "2"]
    assert "numbered as in the report" in layers["faces"].about


def test_the_verdict_panel_names_each_face_and_gives_the_face_models_rates() -> None:
    """The panel said "face 2: …" and "1 face verdict(s) … flag the image" with no place, and
    had no word of the face model's measured rates (it has no card)."""
    from forensic_viewer.gui.verdict_panel import faces_text

    rule = f"{FACE_RULE_NOTE}1 face verdict(s) of f flag the image"
    analysis = Analysis(
        evidence=memory_evidence(np.zeros((120, 200, 3), np.uint8)),
        results={},
        faces=_faces(),
        ensemble=_ensemble(f"θ = 0.5986 stacking{ON_THIS_FILE}{rule}; the heatmap is theirs"),
    )
    rates = "at this threshold (test faces): 3 % of authentic FASSEG faces (1 of 36) are flagged"
    lines = faces_text(analysis, {"f": rates}).splitlines()
    assert [line.split(": ", 1)[0] for line in lines[1:3]] == [
        "face 1, x 10 y 40",
        "face 2, x 90 y 40",
    ]
    assert (
        f"default verdict flagged as manipulated by its {rule} (face 2, x 90 y 40); the heatmap "
        "is theirs" in lines
    )
    assert f"f, the face model: {rates}" in lines
    assert "f, the face model: reliability not measured for this model" in faces_text(analysis)


def test_the_worker_hands_the_face_models_reliability_as_the_report_words_it() -> None:
    from engine.calibration import reliability_sentence
    from forensic_viewer.gui.workers import running_face_model_figures
    from forensic_viewer.scan.results import face_model_figures

    calibration = {"reliability": {"flagged": {"authentic FASSEG faces": [1, 36]}, "split": "t"}}
    decision = SimpleNamespace(
        rule="logit", threshold=0.9829, pixel_threshold=0.45, provenance="p",
        calibration=calibration, details={"false_alarm_target": 0.03},  # face-model's
    )  # fmt: skip
    model = SimpleNamespace(
        name="f", meta=SimpleNamespace(architecture="a", decision=decision), path=None, sha256="0"
    )
    analyzer = SimpleNamespace(faces=object(), face_path=True, face_models=[model], device="cpu")
    said = running_face_model_figures(analyzer)
    assert said["f"]["reliability"] == reliability_sentence(calibration)
    assert "1 of 36 " in said["f"]["reliability"] and said["f"]["checkpoint_sha256"] == "0"
    assert said["f"]["pixel_threshold_calibrated"] is True  # face-model chose it: its face maps
    assert said == face_model_figures(analyzer)  # the report's words
    assert running_face_model_figures(SimpleNamespace(**{**vars(analyzer), "faces": None})) == {}


def test_the_face_map_is_dimmed_over_unflagged_faces_and_the_readout_says_the_verdict() -> None:
    """The face model's map read 0.973 over a face it judged authentic and glowed there as
    over the flagged one."""
    from forensic_viewer.model_layers import FaceMapLayer

    ev = memory_evidence(np.zeros((120, 200, 3), np.uint8))
    face_map = np.full((120, 200), 0.97, np.float32)
    analysis = Analysis(ev, {}, faces=_faces(), face_maps={"f": face_map})
    layers = build_layers(ev, analysis)
    layer = layers["f face map"]
    assert isinstance(layer, FaceMapLayer) and not layer.visible
    assert "did not flag" in layer.about
    job = layer.render_job()
    assert job is not None
    raster = job.fn()
    alpha = raster[..., 3]
    assert alpha[70, 20] < alpha[70, 140]  # inside face 1's crop only, inside face 2's
    readout = layers.readout(20, 70)
    assert readout is not None
    assert (
        "f face map 0.970 (face 1, x 10 y 40: not flagged, score 0.9089 ≤ θ 0.9829)"
        in readout.lines()
    )
    both = layers.readout(80, 70)  # the two crops (30 % margin) overlap here
    assert both is not None and readout.heat["f face map"] == both.heat["f face map"]
    line = next(s for s in both.lines() if s.startswith("f face map"))
    assert "the larger value of the overlapping crops of face 1, x 10 y 40" in line
    assert "face 2, x 90 y 40: flagged as manipulated, score 0.9965 > θ 0.9829" in line


def test_the_report_outlines_a_face_maps_mask_only_on_the_faces_its_model_flagged() -> None:
    from forensic_viewer.report.figures import FACE_TILE, FigureStyle, face_maps_figure

    style = FigureStyle(max_side=600)
    face_map = np.full((120, 200), 0.97, np.float32)
    faces = [f.to_dict() for f in _faces()]
    fig = face_maps_figure(None, face_map, 0.45, faces, style, model="f")
    assert fig is not None
    first, second = fig[:FACE_TILE, :FACE_TILE], fig[:FACE_TILE, FACE_TILE + 4 : 2 * FACE_TILE + 4]

    def outline(tile: np.ndarray) -> int:
        return int(np.all(tile == style.contour_rgb, axis=-1).sum())

    # the flagged face 2 is drawn first (report.figures.face_tiles), face 1 after it
    assert outline(first) > 0 and outline(second) == 0
    both = face_maps_figure(None, face_map, 0.45, faces, style)  # no model named: as before
    assert both is not None and outline(both[:FACE_TILE, :FACE_TILE]) > 0


def test_a_face_at_the_image_border_is_said_cut_in_the_panel_and_on_its_label() -> None:
    """The command line and the report said a face reaching the image's edge was "cut by the
    image border"; the viewer's face lines and labels judged its size alone (no image size)."""
    from forensic_viewer.gui.verdict_panel import faces_text

    at_edge = FaceRegion((0, 40, 60, 60), 0.99, {}, face_scores={"f": FLAGGED})
    inside = FaceRegion((90, 40, 60, 60), 0.99, {}, face_scores={"f": FLAGGED})
    analysis = Analysis(
        evidence=memory_evidence(np.zeros((120, 200, 3), np.uint8)),
        results={},
        faces=[at_edge, inside],
    )
    lines = faces_text(analysis).splitlines()
    (first,) = [line for line in lines if line.startswith("face 1, x 0 y 40")]
    (second,) = [line for line in lines if line.startswith("face 2, x 90 y 40")]
    assert "cut by the image border" in first and "cut by the image border" not in second
    assert "cut by the image border" in FacesLayer.label(at_edge, 1, (200, 120))
    assert "cut by the image border" not in FacesLayer.label(inside, 2, (200, 120))
