"""trainer.quantize: the int8 model of a checkpoint, calibrated on the training part only, is
found by the fast path and runs close to PyTorch."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import torch

from engine.checkpoints import load_checkpoint
from engine.runtime import bundled_int8, int8_difference, make_runner, openvino_available
from tests.conftest import make_tiny_checkpoint
from tests.trainer.conftest import make_folder

pytest.importorskip("nncf")
pytestmark = pytest.mark.skipif(not openvino_available(), reason="openvino not installed")


def test_calibration_reads_the_training_part_only(tmp_path: Path) -> None:
    from trainer.data.records import read_dataset
    from trainer.data.splits import three_way_split
    from trainer.quantize import calibration_inputs

    data = make_folder(tmp_path / "d", 12, 12, seed=0, size=48, casia_names=True)
    train, val, test = three_way_split(read_dataset(data))
    assert val and test
    whole = calibration_inputs(data, None, count=1000)
    assert len(whole) == len(train)  # every training image, none of validation or test
    crops = calibration_inputs(data, (32, 40), count=5)
    assert len(crops) == 5 and {c.shape for c in crops} == {(1, 3, 32, 40)}
    padded = calibration_inputs(data, (64, 64), count=2)  # larger than the 48² images
    assert {c.shape for c in padded} == {(1, 3, 64, 64)}


def test_quantized_checkpoint_is_found_and_runs_close_to_torch(tmp_path: Path, monkeypatch) -> None:
    from trainer.quantize import main

    monkeypatch.setenv("FORENSIC_VIEWER_CACHE", str(tmp_path / "cache"))
    data = make_folder(tmp_path / "d", 10, 10, seed=0, size=64, casia_names=True)
    ckpt = make_tiny_checkpoint(tmp_path / "tiny.safetensors")
    assert main(["--data", str(data), "--model", str(ckpt), "--images", "8"]) == 0
    loaded = load_checkpoint(ckpt)
    xml = bundled_int8(ckpt, loaded.sha256, None)  # crfd-net: any height and width
    assert xml is not None and xml.with_suffix(".bin").is_file()
    record = json.loads(xml.with_suffix(".json").read_text())
    assert record["calibration"]["images"] == 8 and "training part" in record["calibration"]["data"]
    # the files' SHA-256, which every load checks and every result names
    assert record["files"] == {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (xml, xml.with_suffix(".bin"))
    }
    runner = make_runner(
        loaded.model, device=torch.device("cpu"), precision="fp32", sha256=loaded.sha256,
        shape=None, choice="openvino", int8=xml,
    )  # fmt: skip
    assert runner.precision == "int8"
    torch.manual_seed(3)
    x = torch.nn.functional.interpolate(torch.rand(1, 3, 12, 16), size=(96, 128)) * 2 - 1
    with torch.inference_mode():
        ref = (loaded.model(x),)
    assert int8_difference(ref, runner(x))["mask_prob_mean"] <= 0.03


def test_bad_arguments_are_one_line(tmp_path: Path, capsys) -> None:
    from trainer.quantize import main

    assert main(["--data", str(tmp_path / "nope"), "--model", "x.safetensors"]) == 2
    assert capsys.readouterr().err.strip().endswith("nope: not a folder")
    assert main(["--data", str(tmp_path), "--model", str(tmp_path / "x.safetensors")]) == 2
    assert capsys.readouterr().err.strip().endswith("x.safetensors: no such checkpoint")
