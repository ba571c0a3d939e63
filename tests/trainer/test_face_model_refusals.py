"""face-model on a user's small data, as the training dialog runs it (``--data``): no Platt
curve on a handful of faces or a backwards ranking (θ kept, the reason said in one line), the
data recorded by absolute path as fit records it, and a forged crop's faint mask refused as
fit refuses it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.calibration import Calibration, reliability_sentence
from engine.checkpoints import load_checkpoint
from tests.trainer.test_face_model import _crops, _row
from trainer.cli import main
from trainer.face_model import choose


def test_a_backwards_ranking_gets_no_curve_and_keeps_theta() -> None:
    authentic = [_row(0, x) for x in np.linspace(-1, 5, 40)]  # real faces score higher
    forged = [_row(1, x, f1=0.6) for x in np.linspace(-4, 1, 40)]
    _, theta, cal = choose(authentic + forged, "logit", 0.05)
    assert "a" not in cal and Calibration.from_dict(cal) is None
    assert "does not rank tampered above authentic" in cal["no_calibration"]
    assert cal["fitted_on"] == "face crops of the validation part (40 forged, 40 authentic)"
    assert 0.0 < theta < 1.0  # θ is chosen all the same
    right = choose([*(_row(0, -x) for x in np.linspace(-1, 5, 40)), *forged], "logit", 0.05)
    assert right[2]["a"] > 0 and "no_calibration" not in right[2]


def test_a_handful_of_faces_gets_no_curve() -> None:
    val = [_row(0, x) for x in (-3.0, -2.0, -1.0)] + [_row(1, x, 0.5) for x in (1.0, 2.0, 3.0)]
    _, _, cal = choose(val, "logit", 0.0)
    assert "a" not in cal and "too few to calibrate" in cal["no_calibration"]


def _write_face_checkpoint(tmp_path: Path) -> Path:
    from tests.trainer.test_plan import write_checkpoint

    return write_checkpoint(
        tmp_path / "faces.safetensors", "crfd-net-compact", scope="faces", channels=(8, 16, 32)
    )


def test_a_runs_split_of_typed_relative_data_is_recorded_absolute_without_a_curve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ckpt = _write_face_checkpoint(tmp_path)
    data = _crops(tmp_path / "crops", 0, n=6)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "run" / "calibrated.safetensors"
    args = ["face-model", "--model", str(ckpt), "--data", "crops", "--val-fraction", "0.5"]
    args += ["--split-by", "seed", "--seed", "3", "--device", "cpu", "--mirror", "off"]
    args += ["--out", str(out), "--json", str(tmp_path / "fm.json"), "--false-alarms", "0.3"]
    assert main(args) == 0
    decision = load_checkpoint(out).meta.decision
    assert decision.details["data"] == [str(data.resolve())]  # as fit records it, not "crops"
    assert all(Path(k.removeprefix("val:")).is_absolute() for k in decision.details["split"])
    assert Calibration.from_dict(decision.calibration) is None  # a few faces: no probability
    assert "too few to calibrate" in decision.calibration["no_calibration"]
    assert reliability_sentence(decision.calibration)  # the counts at θ stay
    assert decision.threshold == json.loads((tmp_path / "fm.json").read_text())["theta"]
    said = [line for line in capsys.readouterr().err.splitlines() if "calibration" in line]
    assert len(said) == 1 and said[0].startswith("no probability calibration: on the ")


def test_a_forged_crops_faint_mask_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ckpt = _write_face_checkpoint(tmp_path)
    val = _crops(tmp_path / "val", 0)
    faint = val / "Gt" / "ff_00001_swap_val_fr_p1_f0.png"
    gt = np.zeros((64, 64), np.uint8)
    gt[16:48, 16:48] = 100  # a faint mask: read as empty, F1 0 at every threshold
    Image.fromarray(gt).save(faint)
    args = ["face-model", "--model", str(ckpt), "--val", str(val), "--device", "cpu"]
    assert main([*args, "--mirror", "off", "--json", str(tmp_path / "x.json")]) == 2
    err = capsys.readouterr().err
    assert (
        f"{faint}: its brightest value is 100" in err and "save the tampered region as 255" in err
    )
    assert not (tmp_path / "x.json").exists()


def test_every_faint_crop_mask_is_refused_before_any_crop_is_scored(tmp_path: Path) -> None:
    """``score_files`` refused a faint mask when it reached it, after the crops before it were
    scored, and named one file a run; ``refuse_crop_masks``, called before any model loads,
    names them all."""
    from trainer.errors import DataError
    from trainer.face_crops import crop_files, refuse_crop_masks

    val = _crops(tmp_path / "val", 0)
    gt = np.zeros((64, 64), np.uint8)
    gt[16:48, 16:48] = 100  # a faint mask: read as empty
    faint = sorted((val / "Gt").glob("*.png"))[-2:]
    for mask in faint:
        Image.fromarray(gt).save(mask)
    with pytest.raises(DataError) as e:
        refuse_crop_masks(crop_files(val), val.name, as_given=False)
    for mask in faint:
        assert f"{mask}: its brightest value is 100" in str(e.value)
