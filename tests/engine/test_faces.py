"""engine.faces: Haar detection with a documented confidence, per-face mean-heatmap scores."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine.faces import (
    WEIGHT_CENTER,
    FaceDetector,
    face_score,
    level_weight_to_confidence,
)
from engine.types import Evidence, ModelResult

skdata = pytest.importorskip("skimage.data")

# Where the astronaut's face is in skimage.data.astronaut() (512 x 512), x, y, w, h.
ASTRONAUT_FACE = (177, 67, 93, 93)


def _evidence(pixels: np.ndarray) -> Evidence:
    h, w = pixels.shape[:2]
    return Evidence(
        path="mem.png", sha256="0" * 64, file_size=0, format="PNG", width=w, height=h,
        mode="RGB", frames=1, orientation=1, orientation_applied=False, metadata={},
        warnings=[], pixels=pixels,
    )  # fmt: skip


def _result(name: str, heatmap: np.ndarray) -> ModelResult:
    return ModelResult(
        name=name, architecture="x", checkpoint="", checkpoint_sha256="", rule="forged_fraction",
        score=0.0, verdict="authentic", forged_fraction=0.0, threshold=0.1, pixel_threshold=0.5,
        threshold_provenance="test", input_policy={}, device="cpu", precision="fp32",
        seconds=0.0, heatmap=heatmap, mask=heatmap > 0.5,
    )  # fmt: skip


def _iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    ax1, ay1, bx1, by1 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = max(0, min(ax1, bx1) - max(a[0], b[0]))
    ih = max(0, min(ay1, by1) - max(a[1], b[1]))
    inter = iw * ih
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


@pytest.fixture(scope="module")
def detector() -> FaceDetector:
    return FaceDetector()


def test_confidence_rule_is_logistic_in_the_level_weight() -> None:
    assert level_weight_to_confidence(WEIGHT_CENTER) == pytest.approx(0.5)
    values = [level_weight_to_confidence(w) for w in (-1e9, -3.0, 0.0, 4.0, 6.0, 8.0, 1e9)]
    assert values == sorted(values)
    assert values[0] == pytest.approx(0.0, abs=1e-12) and values[-1] == pytest.approx(1.0)
    assert all(0.0 <= v <= 1.0 for v in values)


def test_finds_the_astronauts_face_with_a_confidence(detector: FaceDetector) -> None:
    faces = detector.detect(skdata.astronaut())
    assert faces, "the astronaut's face was not found"
    best = faces[0]
    assert _iou(best.box, ASTRONAUT_FACE) > 0.6
    assert 0.5 < best.confidence <= 1.0
    assert [f.confidence for f in faces] == sorted((f.confidence for f in faces), reverse=True)


def test_no_face_in_a_flat_or_faceless_image(detector: FaceDetector) -> None:
    assert detector.detect(np.full((300, 400, 3), 128, np.uint8)) == []
    assert detector.detect(skdata.coffee()) == []
    assert detector.detect(np.zeros((10, 10, 3), np.uint8)) == []


def test_large_evidence_is_detected_downscaled_and_boxes_map_back(detector: FaceDetector) -> None:
    big = cv2.resize(skdata.astronaut(), (1536, 1536), interpolation=cv2.INTER_CUBIC)
    faces = detector.detect(big)
    assert faces
    scaled = tuple(3 * v for v in ASTRONAUT_FACE)
    assert _iou(faces[0].box, scaled) > 0.6  # type: ignore[arg-type]
    x, y, w, h = faces[0].box
    assert 0 <= x and 0 <= y and x + w <= 1536 and y + h <= 1536


def test_face_score_is_the_mean_heatmap_inside_the_box() -> None:
    heat = np.zeros((100, 100), np.float32)
    heat[10:20, 10:30] = 1.0  # 200 hot pixels
    assert face_score(heat, (10, 10, 20, 20)) == pytest.approx(200 / 400)
    assert face_score(heat, (90, 90, 50, 50)) == pytest.approx(0.0)  # clipped to the image
    assert face_score(heat, (200, 200, 5, 5)) == 0.0  # outside entirely


def test_find_scores_each_face_with_each_model(detector: FaceDetector) -> None:
    pixels = skdata.astronaut()
    hot = np.zeros(pixels.shape[:2], np.float32)
    x, y, w, h = ASTRONAUT_FACE
    hot[y : y + h, x : x + w] = 0.9
    cold = np.full(pixels.shape[:2], 0.2, np.float32)
    faces = detector.find(
        _evidence(pixels), {"hot": _result("hot", hot), "cold": _result("cold", cold)}
    )
    assert faces and set(faces[0].scores) == {"hot", "cold"}
    assert faces[0].scores["cold"] == pytest.approx(0.2, abs=1e-6)
    assert faces[0].scores["hot"] > 0.5
    assert detector.find(_evidence(pixels), {})[0].scores == {}


def test_analyzer_reports_faces_in_its_json(tmp_path: Path) -> None:
    from engine.checkpoints import CheckpointMeta, DecisionRule, InputPolicy, save_checkpoint
    from engine.models import create_model
    from engine.models.registry import config_to_dict
    from engine.pipeline import Analyzer

    model = create_model("crfd-net-compact", channels=(8, 16, 32))
    path = save_checkpoint(
        tmp_path / "tiny.safetensors",
        model,
        CheckpointMeta(
            architecture="crfd-net-compact",
            config=config_to_dict(model.config),
            input_policy=InputPolicy(window=256, stride=256),
            decision=DecisionRule(threshold=0.1, provenance="test"),
        ),
    )
    analysis = Analyzer([str(path)], device="cpu", faces=FaceDetector()).analyze(
        _evidence(skdata.astronaut())
    )
    data = json.loads(json.dumps(analysis.to_dict()))
    assert data["faces"], "faces missing from the analysis"
    face = data["faces"][0]
    assert set(face) == {"box", "confidence", "scores"}
    assert set(face["scores"]) == {"tiny"} and 0.0 <= face["scores"]["tiny"] <= 1.0


def test_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match="min_confidence"):
        FaceDetector(min_confidence=1.5)
    with pytest.raises(ValueError, match="scale_factor"):
        FaceDetector(scale_factor=1.0)
