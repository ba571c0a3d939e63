"""Face detection that fell back to the Haar cascade says so (an installer's walk-through,
2026-12-06: a wheel install has no facenet-pytorch; its ``analyze`` reported a Haar "face" on
the authentic Hubble sample, worded with the face model's MTCNN-measured rates, and nothing on
the terminal said the detector was not the default): one warning line with the pip command,
the face models' rates marked as not measured with this detector in scan.json, the report
naming the detector."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
import torch

from engine.faces import PIP_FACENET, UNMEASURED_DETECTOR, mtcnn_missing
from forensic_viewer.cli import main
from forensic_viewer.report.text import detector_text
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
