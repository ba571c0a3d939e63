"""The device and precision policy (engine.devices) as far as it can be checked without a GPU."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from engine.devices import autocast, available_devices, device_text, resolve_device
from engine.runtime import TorchRunner

CUDA = torch.device("cuda")

CUDA13_BUILD = ["sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"]  # torch 2.14+cu130


def _gpu(monkeypatch: pytest.MonkeyPatch, capability: tuple[int, int]) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "get_arch_list", lambda: CUDA13_BUILD)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    monkeypatch.setattr(torch.version, "cuda", "13.0")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)


def _tf32() -> tuple[bool, str]:
    return torch.backends.cudnn.allow_tf32, torch.get_float32_matmul_precision()


def test_fp32_on_cuda_runs_without_tf32_and_puts_the_settings_back() -> None:
    # PyTorch's default runs cuDNN convolutions in TF32 (10-bit mantissa) on Ampere and later:
    # a result recorded as fp32 would not have been computed in fp32
    matmul = torch.get_float32_matmul_precision()
    try:
        torch.set_float32_matmul_precision("high")  # as a library might have set it
        before = _tf32()
        assert before == (True, "high")
        with autocast(CUDA, "fp32"):
            assert _tf32() == (False, "highest")
        assert _tf32() == before
        with autocast(torch.device("cpu"), "fp32"):
            assert _tf32() == before  # nothing to change on the CPU
    finally:
        torch.set_float32_matmul_precision(matmul)


class _Seen(nn.Module):
    """Records whether TF32 was allowed while it ran."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 1, 1)
        self.seen: list[tuple[bool, str]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen.append(_tf32())
        return self.conv(x)


def test_the_fast_paths_torch_runner_on_cuda_runs_the_network_in_fp32() -> None:
    model = _Seen()
    # the runner does not move tensors: a CPU module and batch stand for CUDA's here
    TorchRunner(model, CUDA, "fp32")(torch.zeros(1, 3, 4, 4))
    assert model.seen == [(False, "highest")]
    assert _tf32()[0] is True  # PyTorch's default again afterwards


def test_a_numbered_gpu_is_the_one_used_and_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    # "cuda:1" became "cuda", the current GPU (the first): analysed on another GPU than asked
    _gpu(monkeypatch, (8, 6))
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert resolve_device("cuda:1") == torch.device("cuda", 1)
    assert resolve_device("cuda") == torch.device("cuda")
    with pytest.raises(ValueError, match="'cuda:2' was asked for but this machine has 2 GPU"):
        resolve_device("cuda:2")
    with pytest.raises(ValueError, match="'cuda:x'"):
        resolve_device("cuda:x")
    # a result says which GPU ran: "cuda" alone named none on a machine of two
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 1)
    assert device_text(torch.device("cuda")) == "cuda:1"
    assert device_text(torch.device("cuda", 0)) == "cuda:0"
    assert device_text(torch.device("cpu")) == "cpu"


@pytest.mark.parametrize("runtime", ["auto", "openvino"])
def test_on_cuda_the_analyzer_runs_pytorch_and_records_its_precision(
    monkeypatch: pytest.MonkeyPatch, runtime: str
) -> None:
    # OpenVINO (and the bundled int8 model of crfd-net-compact) runs on the CPU only: on a GPU
    # machine every fast-path network must run on PyTorch on the GPU, and say fp32 (or fp16
    # autocast when asked), never int8. Chosen here without running anything on the GPU.
    from engine.catalog import BUNDLED_MODELS
    from engine.pipeline import Analyzer

    _gpu(monkeypatch, (8, 6))
    monkeypatch.setattr(nn.Module, "to", lambda self, *a, **k: self)  # no GPU to move it to
    path = BUNDLED_MODELS / "crfd-net-compact.safetensors"
    assert path.with_name("crfd-net-compact.int8.xml").exists()
    for mixed, precision in ((False, "fp32"), (True, "fp16-autocast")):
        analyzer = Analyzer([str(path)], runtime=runtime, mixed_precision=mixed)
        assert analyzer.device == CUDA
        analyzer.prepare()
        (loaded,) = analyzer.models
        assert {type(r) for r in analyzer._runners.values()} == {TorchRunner}
        assert analyzer.runtime_name(loaded) == "torch"
        assert analyzer.precision_of(loaded) == precision


@pytest.mark.parametrize("capability", [(7, 5), (8, 9), (9, 0), (12, 0)])
def test_auto_uses_a_gpu_this_build_has_kernels_for(
    monkeypatch: pytest.MonkeyPatch, capability: tuple[int, int]
) -> None:
    _gpu(monkeypatch, capability)
    assert resolve_device("auto") == CUDA
    assert resolve_device("cuda:0") == torch.device("cuda", 0)
    assert "cuda" in available_devices()


@pytest.mark.parametrize("capability", [(6, 1), (7, 0)])
def test_auto_leaves_a_gpu_this_build_cannot_run_on_for_the_cpu(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, capability: tuple[int, int]
) -> None:
    # a GTX 1080 (6.1) or a V100 (7.0) under the CUDA 13 build: is_available() is True and
    # every analysis failed at its first kernel ("no kernel image is available for execution")
    _gpu(monkeypatch, capability)
    assert resolve_device("auto") == torch.device("cpu")
    cc = f"{capability[0]}.{capability[1]}"
    assert (
        f"the GPU is not used (cpu instead): its compute capability {cc} has no kernels"
        in caplog.text
    )
    with pytest.raises(
        ValueError,
        match=f"'cuda' was asked for but its compute capability {cc} has no kernels in this PyTorch build",
    ):
        resolve_device("cuda")
    with pytest.raises(ValueError, match="'cuda:0' was asked for"):
        resolve_device("cuda:0")
    assert available_devices() == ["auto", "cpu"]


def test_auto_leaves_a_gpu_that_cannot_be_initialised_for_the_cpu(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _gpu(monkeypatch, (8, 6))

    def broken(device: object = None) -> tuple[int, int]:
        raise RuntimeError("CUDA error: unknown error")

    monkeypatch.setattr(torch.cuda, "get_device_capability", broken)
    assert resolve_device("auto") == torch.device("cpu")
    assert "(cpu instead): CUDA could not be initialised (CUDA error: unknown error)" in caplog.text
    with pytest.raises(ValueError, match="'cuda' was asked for but CUDA could not be initialised"):
        resolve_device("cuda")
