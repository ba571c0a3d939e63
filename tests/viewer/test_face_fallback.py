"""Face detection that fell back to the Haar cascade says so (an installer's walk-through,
2026-12-06: a wheel install has no facenet-pytorch; its ``analyze`` reported a Haar "face" on
the authentic Hubble sample, worded with the face model's MTCNN-measured rates, and nothing on
the terminal said the detector was not the default): one warning line with the pip command,
the face models' rates marked as not measured with this detector in scan.json, the report
naming the detector."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.checkpoints import load_checkpoint
from engine.ensemble_provenance import decided_by_face_alone
from engine.faces import (
    PIP_FACENET,
    UNMEASURED_DETECTOR,
    FaceDetector,
    HaarCascade,
    RawFace,
    mtcnn_missing,
)
from engine.types import ModelResult
from forensic_viewer.cli import main
from forensic_viewer.report.text import detector_text
from forensic_viewer.wording import (
    UNCALIBRATED_HERE,
    calibration_word,
    confidence_words,
    range_words,
)
from tests.conftest import write_rgb

HAVE_MTCNN = importlib.util.find_spec("facenet_pytorch") is not None
WARNING = "forensic-viewer: warning: face detection uses the weaker Haar cascade"


def _without_facenet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Importing facenet_pytorch (any part) raises ImportError, as on a wheel install."""
    for name in [m for m in sys.modules if m.startswith("facenet_pytorch")] + ["facenet_pytorch"]:
        monkeypatch.setitem(sys.modules, name, None)


def _face_checkpoint(path: Path) -> Path:
    """A small checkpoint of scope "faces" (random weights: plumbing only)."""
    from engine.checkpoints import CheckpointMeta, DecisionRule, InputPolicy, save_checkpoint
    from engine.models import create_model
    from engine.models.registry import config_to_dict

    torch.manual_seed(1)
    model = create_model("crfd-net-compact", channels=(8, 16, 32))
    meta = CheckpointMeta(
        architecture="crfd-net-compact",
        config=config_to_dict(model.config),
        input_policy=InputPolicy(window=64, stride=32),
        decision=DecisionRule(threshold=0.5, provenance="test fixture, random weights"),
        name=path.stem,
        scope="faces",
    )
    return save_checkpoint(path, model, meta)


def test_a_scan_with_the_haar_fallback_warns_once_and_records_it(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    _without_facenet(monkeypatch)
    d = tmp_path / "evidence"
    d.mkdir()
    write_rgb(d / "a.png", 70, 90, seed=1)
    faces = _face_checkpoint(tmp_path / "faces-model.safetensors")
    out = tmp_path / "out"
    argv = ["scan", str(d), "--out", str(out), "--model", str(tiny_checkpoint), "--model"]
    assert main([*argv, str(faces), "--report", "html"]) == 0
    err = capsys.readouterr().err.splitlines()
    said = [line for line in err if line.startswith(WARNING)]
    assert len(said) == 1, err
    assert f"`{PIP_FACENET}`" in said[0] and UNMEASURED_DETECTOR in said[0]
    info = json.loads((out / "scan.json").read_text())
    assert info["faces"]["detector"] == "haar"
    assert UNMEASURED_DETECTOR in info["face_model_figures"]["faces-model"]["reliability"]
    html = next(out.glob("*.html")).read_text()
    assert "Face detector" in html and PIP_FACENET in html
    assert "Face detection ran with the haar detector, not MTCNN" in html  # the file's section


def test_analyze_with_the_haar_fallback_warns_and_with_no_faces_does_not(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    _without_facenet(monkeypatch)
    image = write_rgb(tmp_path / "a.png", 70, 90, seed=2)
    base = ["analyze", str(image), "--model", str(tiny_checkpoint)]
    assert main([*base, "--out", str(tmp_path / "on")]) == 0
    assert sum(line.startswith(WARNING) for line in capsys.readouterr().err.splitlines()) == 1
    assert main([*base, "--out", str(tmp_path / "off"), "--no-faces"]) == 0
    assert WARNING not in capsys.readouterr().err


def test_the_worker_processes_recipe_warns_from_the_import_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A scan with --jobs or --ray builds no detector in its own process: the warning comes
    from the same imports the workers' detector needs."""
    if HAVE_MTCNN:
        assert mtcnn_missing() is None
    _without_facenet(monkeypatch)
    note = mtcnn_missing()
    assert note is not None and PIP_FACENET in note and UNMEASURED_DETECTOR in note


def test_the_reports_detector_row_says_what_the_fallback_means() -> None:
    assert detector_text("mtcnn") == "mtcnn"
    haar = detector_text("haar")
    assert haar.startswith("haar: ") and UNMEASURED_DETECTOR in haar and PIP_FACENET in haar


class _Silent(torch.nn.Module):
    """Mask logits [B, 1, H, W] of -10 everywhere: a whole-image model that flags nothing."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.full((x.shape[0], 1, *x.shape[2:]), -10.0)


class _OneFace:
    """A detector backend that finds one 80 px face (in range, not cut by the border)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, rgb: object) -> list[RawFace]:
        return [RawFace((100.0, 60.0, 180.0, 140.0), 0.99)]


def _face_decided(tmp_path: Path, detector: FaceDetector) -> ModelResult:
    """The default verdict on a 320 x 240 image whose stacked verdict is authentic and whose
    one face the face model flags (the centre marker marks 1.6 % of the face's window, θ set
    at 1 %): the face rule alone decides."""
    from engine.ensemble import Ensemble, Member
    from engine.pipeline import Analyzer
    from tests.conftest import make_tiny_checkpoint, memory_evidence
    from tests.engine.test_facepath import CentreMarker

    whole = load_checkpoint(make_tiny_checkpoint(tmp_path / "whole.safetensors", name="whole"))
    face = load_checkpoint(make_tiny_checkpoint(tmp_path / "face.safetensors", name="face"))
    rule = dataclasses.replace(face.meta.decision, threshold=0.01)
    meta = dataclasses.replace(face.meta, scope="faces", decision=rule)
    face = dataclasses.replace(face, meta=meta, model=CentreMarker())
    analyzer = Analyzer(
        [dataclasses.replace(whole, model=_Silent())],
        device="cpu",
        ensemble=Ensemble(name="ens", members=[Member("whole")], face_rule="any"),
        faces=detector,
        face_models=[face],
    )
    pixels = np.random.default_rng(0).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    e = analyzer.analyze(memory_evidence(pixels)).ensemble
    assert e is not None and e.verdict == "manipulated"
    assert decided_by_face_alone(e.threshold_provenance)
    return e


def test_a_verdict_the_face_rule_decided_on_a_haar_face_is_not_said_calibrated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The face model's θ and calibration were measured on MTCNN's faces: a verdict the face
    rule decided on a face the Haar fallback found is marked as an out-of-range face's is (the
    CLI line, the CSV, the Verdict panel and the reports all read ``out_of_range``)."""
    _without_facenet(monkeypatch)
    monkeypatch.setattr(HaarCascade, "__call__", _OneFace.__call__)  # the cascade finds it
    detector = FaceDetector()  # auto: the fallback
    assert detector.name == "haar"
    e = _face_decided(tmp_path, detector)
    assert e.out_of_range == {"detector": "haar"}
    assert calibration_word(e.out_of_range) == UNCALIBRATED_HERE
    words = range_words(e.out_of_range) or ""
    assert "haar detector found" in words and "MTCNN" in words
    said = confidence_words(0.75, e.score, e.out_of_range)  # a calibrated face model's p
    assert said == f"probability 0.75 ({UNCALIBRATED_HERE})"
    # the same face found by MTCNN: calibrated, as before
    measured = _face_decided(tmp_path / "mtcnn", FaceDetector(_OneFace("mtcnn")))
    assert measured.out_of_range is None


def test_the_cli_line_of_a_verdict_decided_on_a_haar_face_says_so(capsys) -> None:
    from forensic_viewer.cli_table import print_table

    ens = {
        "name": "ens",
        "rule": "ensemble",
        "verdict": "manipulated",
        "score": 0.7,
        "forged_fraction": 0.01,
        "threshold": 0.5986,
        "probability": 0.75,
        "out_of_range": {"detector": "haar"},
    }
    print_table([{"path": "a.png", "status": "ok", "checks": [("default verdict", ens)]}])
    (line,) = capsys.readouterr().out.splitlines()[:1]
    assert f"p 0.75 ({UNCALIBRATED_HERE})" in line and "haar detector found" in line


def test_the_reports_faces_section_names_a_detector_other_than_mtcnn() -> None:
    from forensic_viewer.report.face_text import detector_of, faces_text
    from forensic_viewer.report.model import ReportItem

    item = ReportItem("a.png", "/e/a.png", "ok", None, None, {}, [], faces_checked=True)
    item.faces = [{"box": [10, 10, 60, 60], "confidence": 0.9}]
    haar = faces_text(item, detector_of({"faces": {"detector": "haar"}}))
    assert haar.startswith("Face detection ran with the haar detector, not MTCNN")
    assert UNMEASURED_DETECTOR in haar and haar.endswith("and found 1 face(s).")
    for settings in ({"faces": {"detector": "mtcnn"}}, {}):
        said = faces_text(item, detector_of(settings))
        assert said == "Face detection ran and found 1 face(s)."


def test_a_probe_report_with_the_haar_fallback_does_not_give_its_faces_mtcnns_rates(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The probe's report took the face models' figures unmarked (every other caller marked
    them): faces the Haar cascade found were worded with rates measured on MTCNN's."""
    from engine.calibration import reliability_sentence

    _without_facenet(monkeypatch)
    measured = {"reliability": {"flagged": {"authentic FASSEG faces": [1, 36]}, "split": "t"}}
    rates = reliability_sentence(measured)
    assert "1 of 36 authentic FASSEG faces" in rates  # what its θ does, on MTCNN's faces
    faces = load_checkpoint(_face_checkpoint(tmp_path / "plain.safetensors"))
    rule = dataclasses.replace(faces.meta.decision, calibration=measured)
    from engine.checkpoints import save_checkpoint

    path = tmp_path / "faces-model.safetensors"
    save_checkpoint(path, faces.model, dataclasses.replace(faces.meta, decision=rule))
    image = write_rgb(tmp_path / "a.png", 70, 90, seed=3)
    out = tmp_path / "out"
    argv = ["probe", str(image), "--out", str(out), "--model", str(tiny_checkpoint)]
    assert main([*argv, "--model", str(path), "--device", "cpu", "--report", "json"]) == 0
    sidecar = (out / "probe-report.json").read_text(encoding="utf-8")
    said = [s for s in json.loads(sidecar)["settings"]["face_model_figures"].values()]
    # its own sentence, as face_model_figures adds it (scan/results.py)
    assert [f["reliability"] for f in said] == [f"{rates}. {UNMEASURED_DETECTOR.capitalize()}"]
