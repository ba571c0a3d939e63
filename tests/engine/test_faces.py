"""engine.faces: MTCNN (the default, with landmarks) or Haar detection with a documented
confidence, per-face mean-heatmap scores.

The face images are ones that ship inside installed packages (scikit-image's astronaut) or that
the tests draw; the faceless ones are drawn, plus the project's own Hubble sample, on which the
Haar cascade found a "face" (confidence 0.40).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

import engine.faces as faces_module
from engine.faces import (
    WEIGHT_CENTER,
    FaceDetector,
    HaarCascade,
    RawFace,
    face_score,
    level_weight_to_confidence,
)
from engine.types import Evidence, FaceRegion, ModelResult
from tests.conftest import memory_evidence

skdata = pytest.importorskip("skimage.data")

HAVE_MTCNN = importlib.util.find_spec("facenet_pytorch") is not None
needs_mtcnn = pytest.mark.skipif(
    not HAVE_MTCNN, reason="facenet-pytorch is not installed (make setup installs it)"
)
HUBBLE = Path(__file__).resolve().parents[2] / "resources" / "samples" / "hubble-authentic.jpg"

# Where the astronaut's face is in skimage.data.astronaut() (512 x 512), x, y, w, h.
ASTRONAUT_FACE = (177, 67, 93, 93)


def _evidence(pixels: np.ndarray) -> Evidence:
    return memory_evidence(pixels)


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


def starfield(seed: int = 0, size: int = 768) -> np.ndarray:
    """Black sky, a few thousand stars of all brightnesses and some fuzzy galaxies."""
    rng = np.random.default_rng(seed)
    sky = np.zeros((size, size), np.float32)
    ys, xs = rng.integers(0, size, (2, 3000))
    sky[ys, xs] = rng.pareto(1.5, 3000).astype(np.float32) * 60
    sky = cv2.GaussianBlur(sky, (0, 0), 0.8)
    for _ in range(12):
        centre = tuple(int(v) for v in rng.integers(40, size - 40, 2))
        axes = tuple(int(v) for v in rng.integers(6, 40, 2))
        blob = np.zeros_like(sky)
        cv2.ellipse(
            blob, centre, axes, float(rng.uniform(0, 180)), 0, 360, float(rng.uniform(40, 160)), -1
        )
        sky += cv2.GaussianBlur(blob, (0, 0), 6)
    rgb = np.stack([sky * 0.9, sky, sky * 1.1], -1) + rng.normal(4, 2, (size, size, 3))
    return np.clip(rgb, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def haar() -> FaceDetector:
    return FaceDetector("haar")


@pytest.fixture(scope="module")
def detector() -> FaceDetector:
    """The default detector (MTCNN where facenet-pytorch is installed)."""
    return FaceDetector()


def test_confidence_rule_is_logistic_in_the_level_weight() -> None:
    assert level_weight_to_confidence(WEIGHT_CENTER) == pytest.approx(0.5)
    values = [level_weight_to_confidence(w) for w in (-1e9, -3.0, 0.0, 4.0, 6.0, 8.0, 1e9)]
    assert values == sorted(values)
    assert values[0] == pytest.approx(0.0, abs=1e-12) and values[-1] == pytest.approx(1.0)
    assert all(0.0 <= v <= 1.0 for v in values)


@needs_mtcnn
def test_the_default_is_mtcnn_when_installed(detector: FaceDetector) -> None:
    assert detector.name == "mtcnn" and detector.note is None


def test_without_facenet_pytorch_the_default_falls_back_to_haar_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in [m for m in sys.modules if m.startswith("facenet_pytorch")] + ["facenet_pytorch"]:
        monkeypatch.setitem(sys.modules, name, None)  # importing it raises ImportError
    fallback = FaceDetector()
    assert fallback.name == "haar"
    assert fallback.note is not None and "facenet-pytorch" in fallback.note
    with pytest.raises(ImportError):
        FaceDetector("mtcnn")
    faces = fallback.detect(skdata.astronaut())
    assert faces and faces[0].landmarks is None


@pytest.mark.parametrize("which", ["detector", "haar"])
def test_finds_the_astronauts_face_with_a_confidence(
    which: str, request: pytest.FixtureRequest
) -> None:
    det: FaceDetector = request.getfixturevalue(which)
    faces = det.detect(skdata.astronaut())
    assert len(faces) == 1, [f.box for f in faces]
    best = faces[0]
    assert _iou(best.box, ASTRONAUT_FACE) > 0.5
    assert 0.5 < best.confidence <= 1.0


@needs_mtcnn
def test_mtcnn_landmarks_sit_on_the_face_in_order(detector: FaceDetector) -> None:
    face = detector.detect(skdata.astronaut())[0]
    assert face.landmarks is not None and len(face.landmarks) == 5
    (lex, ley), (rex, rey), (nx, ny), (lmx, lmy), (rmx, rmy) = face.landmarks
    x, y, w, h = face.box
    assert all(x <= px <= x + w and y <= py <= y + h for px, py in face.landmarks)
    assert lex < nx < rex and lmx < rmx  # image-left first
    assert max(ley, rey) < ny < min(lmy, rmy)  # eyes above the nose above the mouth


@needs_mtcnn
def test_mtcnn_finds_no_face_in_a_starfield_or_the_hubble_sample(detector: FaceDetector) -> None:
    """The Haar cascade drew a "face" (0.40) on the Hubble galaxy picture."""
    from engine.io import load_evidence

    assert detector.detect(starfield(0)) == []
    assert detector.detect(starfield(1, 1500)) == []  # downscaled for detection
    assert detector.detect(load_evidence(HUBBLE).pixels) == []


@pytest.mark.parametrize("which", ["detector", "haar"])
def test_no_face_in_a_flat_or_faceless_image(which: str, request: pytest.FixtureRequest) -> None:
    det: FaceDetector = request.getfixturevalue(which)
    assert det.detect(np.full((300, 400, 3), 128, np.uint8)) == []
    assert det.detect(np.full((300, 400, 3), 128, np.uint8) + np.uint8(50)) == []
    assert det.detect(skdata.coffee()) == []
    assert det.detect(np.zeros((10, 10, 3), np.uint8)) == []


@pytest.mark.parametrize("which", ["detector", "haar"])
def test_large_evidence_is_detected_downscaled_and_boxes_map_back(
    which: str, request: pytest.FixtureRequest
) -> None:
    det: FaceDetector = request.getfixturevalue(which)
    big = cv2.resize(skdata.astronaut(), (1536, 1536), interpolation=cv2.INTER_CUBIC)
    small_faces, faces = det.detect(skdata.astronaut()), det.detect(big)
    assert faces
    scaled = tuple(3 * v for v in small_faces[0].box)
    assert _iou(faces[0].box, scaled) > 0.8  # type: ignore[arg-type]
    x, y, w, h = faces[0].box
    assert 0 <= x and 0 <= y and x + w <= 1536 and y + h <= 1536
    if faces[0].landmarks is not None:
        assert small_faces[0].landmarks is not None
        np.testing.assert_allclose(
            np.array(faces[0].landmarks), 3 * np.array(small_faces[0].landmarks), atol=6
        )


def test_several_faces_most_confident_first(detector: FaceDetector) -> None:
    face = skdata.astronaut()[40:220, 150:300]
    scene = np.full((300, 700, 3), 90, np.uint8)
    scene[60:240, 40:190] = face
    scene[60:240, 480:630] = cv2.GaussianBlur(face, (0, 0), 1.2)
    faces = detector.detect(scene)
    assert len(faces) == 2
    assert sorted(f.box[0] < 350 for f in faces) == [False, True]
    assert [f.confidence for f in faces] == sorted((f.confidence for f in faces), reverse=True)


def test_face_score_is_the_mean_heatmap_inside_the_box() -> None:
    heat = np.zeros((100, 100), np.float32)
    heat[10:20, 10:30] = 1.0  # 200 hot pixels
    assert face_score(heat, (10, 10, 20, 20)) == pytest.approx(200 / 400)
    assert face_score(heat, (90, 90, 50, 50)) == pytest.approx(0.0)  # clipped to the image
    assert face_score(heat, (200, 200, 5, 5)) == 0.0  # outside entirely


def test_face_region_lists_landmarks_only_when_it_has_them() -> None:
    plain = FaceRegion(box=(1, 2, 3, 4), confidence=0.5, scores={"m": 0.1})
    assert plain.to_dict() == {"box": [1, 2, 3, 4], "confidence": 0.5, "scores": {"m": 0.1}}
    marked = FaceRegion(box=(1, 2, 3, 4), confidence=0.5, landmarks=((1.0, 2.0),) * 5)
    assert marked.to_dict()["landmarks"] == [[1.0, 2.0]] * 5


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


def test_analyzer_reports_faces_in_its_json(tmp_path: Path, detector: FaceDetector) -> None:
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
    analysis = Analyzer([str(path)], device="cpu", faces=detector).analyze(
        _evidence(skdata.astronaut())
    )
    data = json.loads(json.dumps(analysis.to_dict()))
    assert data["faces"], "faces missing from the analysis"
    face = data["faces"][0]
    expected = {"box", "confidence", "scores", "face_scores"} | (
        {"landmarks"} if detector.name == "mtcnn" else set()
    )
    assert set(face) == expected
    assert set(face["scores"]) == {"tiny"} and 0.0 <= face["scores"]["tiny"] <= 1.0
    # the face path ran too (on by default with a detector): the model's decision on the face
    assert set(face["face_scores"]["tiny"]) == {
        "checkpoint_sha256",  # which checkpoint scored the face (its rates are that one's)
        "score",
        "verdict",
        "threshold",
        "rule",
        "forged_fraction",
    }
    assert face["face_scores"]["tiny"]["verdict"] in ("authentic", "manipulated")


def test_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match="min_confidence"):
        HaarCascade(min_confidence=1.5)
    with pytest.raises(ValueError, match="scale_factor"):
        HaarCascade(scale_factor=1.0)
    with pytest.raises(ValueError, match="min_confidence"):
        FaceDetector(min_confidence=1.5)  # the default backend's setting, whichever it is
    with pytest.raises(ValueError, match="min_confidence"):
        FaceDetector(HaarCascade(), min_confidence=0.5)  # a built backend has its own
    assert FaceDetector("haar", min_confidence=0.9).backend.min_confidence == 0.9  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="max_side"):
        FaceDetector("haar", max_side=10)
    with pytest.raises(ValueError, match="backend"):
        FaceDetector("dlib")  # type: ignore[arg-type]
    if HAVE_MTCNN:
        from engine.faces import Mtcnn

        with pytest.raises(ValueError, match="min_size"):
            Mtcnn(min_size=8)


class _Shapes:
    """A backend that finds nothing and records the size of each copy it is given."""

    name = "shapes"

    def __init__(self) -> None:
        self.seen: list[tuple[int, int]] = []

    def __call__(self, rgb):
        self.seen.append(rgb.shape[:2])
        return []


@pytest.mark.parametrize(
    ("shape", "copy"),
    [
        ((3000, 4000), (768, 1024)),  # photographs: as before
        ((2250, 4000), (576, 1024)),
        ((1500, 10000), (384, 2560)),  # a panorama: 154 px high before, its faces lost
        ((100, 20000), (100, 20000)),  # a 1:200 strip: its full height (5 x 1024 before)
        ((300, 400), (300, 400)),  # never enlarged
        ((400, 40000), (200, 20000)),  # at most 4 MP: a shorter side rather than more pixels
    ],
)
def test_the_detection_copy_keeps_a_short_side_faces_can_be_found_in(shape, copy) -> None:
    backend = _Shapes()
    FaceDetector(backend).detect(np.zeros((*shape, 3), np.uint8))
    assert backend.seen == [copy]


class _WholeCopy:
    """A backend that finds one face filling whatever copy it is given, its last landmark on
    the copy's bottom-right corner."""

    name = "whole"

    def __call__(self, rgb):
        h, w = rgb.shape[:2]
        marks = np.array([[w / 2, h / 2]] * 4 + [[w, h]], np.float32)
        return [RawFace((0.0, 0.0, float(w), float(h)), 0.9, marks)]


def test_boxes_map_back_with_each_axis_own_factor(monkeypatch: pytest.MonkeyPatch) -> None:
    """The copy's sides are rounded apart: 147 x 6000 at 1/6 is 24 x 1000 (24.5 rows
    rounded), so its rows are 24/147 of the evidence's, not 1/6. One factor put a box over the
    whole copy 3 px short of the evidence's bottom (rows 0-144 of 147). The short-side floor
    is lowered so that a small image shows it (at 384 px the error is up to half a copy pixel:
    about 1 px in a 8:3 photograph, 2.6 px in a 105 MP one)."""
    monkeypatch.setattr(faces_module, "DETECT_MIN_SHORT", 24)
    found = FaceDetector(_WholeCopy(), max_side=1000).detect(np.zeros((147, 6000, 3), np.uint8))
    assert [f.box for f in found] == [(0, 0, 6000, 147)]
    assert found[0].landmarks is not None
    np.testing.assert_allclose(found[0].landmarks[-1], (6000, 147))


@needs_mtcnn
def test_mtcnn_runs_its_pyramid_and_p_net_at_one_torch_thread_with_the_same_faces(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The pyramid and P-Net run at one PyTorch thread, R-Net and O-Net at the caller's count
    (whose thread count moves the landmarks): the faces, confidences and landmarks are those
    of the whole detector at the caller's count, on the astronaut and a scene of two faces."""
    import contextlib

    import torch

    detector = FaceDetector("mtcnn")
    seen: dict[str, set[int]] = {"p": set(), "r": set(), "o": set()}
    hooks = [
        m.register_forward_pre_hook(lambda *_, k=k: seen[k].add(torch.get_num_threads()))
        for k, m in zip("pro", detector.backend._nets, strict=True)  # type: ignore[attr-defined]
    ]
    face = skdata.astronaut()[40:220, 150:300]
    scene = np.full((300, 700, 3), 90, np.uint8)
    scene[60:240, 40:190] = face
    scene[60:240, 480:630] = cv2.GaussianBlur(face, (0, 0), 1.2)
    images = [skdata.astronaut(), scene]
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        new = [detector.detect(im) for im in images]
        assert seen == {"p": {1}, "r": {2}, "o": {2}}
        assert torch.get_num_threads() == 2
        monkeypatch.setattr(faces_module, "torch_threads", lambda n: contextlib.nullcontext())
        old = [detector.detect(im) for im in images]  # every part at the caller's count
    finally:
        torch.set_num_threads(before)
        for h in hooks:
            h.remove()
    assert [len(f) for f in new] == [1, 2]
    assert [[(f.box, f.confidence, f.landmarks) for f in fs] for fs in new] == [
        [(f.box, f.confidence, f.landmarks) for f in fs] for fs in old
    ]
