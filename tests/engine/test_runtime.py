"""Runners: PyTorch answers cancel inside a forward pass; OpenVINO matches PyTorch, caches its
export on disk and is cancelled while it runs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine.models import create_model
from engine.runtime import (
    OpenVINORunner,
    TorchRunner,
    cancel_hooks,
    make_runner,
    openvino_available,
)
from engine.tiling import Cancelled

needs_openvino = pytest.mark.skipif(not openvino_available(), reason="openvino not installed")


def _tiny() -> torch.nn.Module:
    torch.manual_seed(0)
    return create_model("crfd-net-compact", channels=(8, 16, 32)).eval()


def test_torch_runner_stops_inside_the_forward_pass_and_removes_its_hooks() -> None:
    model = _tiny()
    runner = TorchRunner(model, torch.device("cpu"), "fp32")
    calls = {"n": 0}

    def cancel() -> bool:
        calls["n"] += 1
        return calls["n"] > 5  # after five submodules have started

    x = torch.randn(1, 3, 64, 64)
    with pytest.raises(Cancelled):
        runner(x, cancel)
    assert calls["n"] == 6
    mask, image = runner(x)  # hooks gone: runs to the end
    assert mask.shape == (1, 1, 64, 64) and image is None
    with cancel_hooks(model, lambda: False), torch.inference_mode():
        torch.testing.assert_close(model(x), mask)


@needs_openvino
def test_openvino_matches_torch_caches_and_cancels(tmp_path: Path, monkeypatch) -> None:
    model = _tiny()
    runner = OpenVINORunner(model, "0" * 64, None, threads=1, folder=tmp_path)
    assert runner.cache_file.is_file() and runner.cache_file.with_suffix(".bin").is_file()
    for h, w in [(64, 64), (96, 160)]:  # dynamic height and width
        x = torch.randn(1, 3, h, w)
        with torch.inference_mode():
            ref = model(x)
        mask, image = runner(x)
        assert image is None
        torch.testing.assert_close(mask, ref, atol=1e-4, rtol=1e-4)
    # A second runner reads the cached export: converting again would fail here.
    monkeypatch.setattr(OpenVINORunner, "_convert", staticmethod(lambda *a: 1 / 0))
    again = OpenVINORunner(model, "0" * 64, None, threads=2, folder=tmp_path)
    assert again.parallel == 2  # two streams, each running its own tile
    torch.testing.assert_close(again(x)[0], mask)
    three = torch.randn(3, 3, 48, 64)
    with torch.inference_mode():
        torch.testing.assert_close(again(three)[0], model(three), atol=1e-4, rtol=1e-4)
    with pytest.raises(Cancelled):
        again(x, lambda: True)
    # Cancelled while running: a large input, cancel turning True at the first poll.
    polls = {"n": 0}

    def cancel() -> bool:
        polls["n"] += 1
        return polls["n"] > 1

    with pytest.raises(Cancelled):
        again(torch.randn(1, 3, 2048, 2048), cancel)
    torch.testing.assert_close(again(x)[0], mask)  # still usable after a cancel


@pytest.mark.slow
@needs_openvino
def test_openvino_model_with_image_logit_matches_torch(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = create_model("diffforensics-compact").eval()
    runner = OpenVINORunner(model, "1" * 64, (64, 64), threads=1, folder=tmp_path)
    x = torch.randn(1, 3, 64, 64)
    with torch.inference_mode():
        ref = model(x)
    mask, image = runner(x)
    torch.testing.assert_close(mask, ref["mask"], atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(image, ref["image"], atol=1e-4, rtol=1e-4)


def test_a_failed_conversion_leaves_the_model_on_torch(monkeypatch, caplog) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("no such op")

    monkeypatch.setattr(OpenVINORunner, "__init__", broken)
    runner = make_runner(
        _tiny(),
        device=torch.device("cpu"),
        precision="fp32",
        sha256="x",
        shape=None,
        choice="openvino",
    )
    assert isinstance(runner, TorchRunner)
    assert "OpenVINO is not used" in caplog.text
    auto = make_runner(
        _tiny(), device=torch.device("cpu"), precision="fp32", sha256="x", shape=None
    )
    assert isinstance(auto, TorchRunner)  # tests set FORENSIC_VIEWER_RUNTIME=torch
