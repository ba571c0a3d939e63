"""The training loop's DataLoader pins its batches on CUDA, and only there.

Without pinned memory the step's ``images.to(device, non_blocking=True)`` is a synchronous
copy from pageable memory: the flag did nothing (found reading the loop for a CUDA review).
No GPU is needed: the loader is built, not iterated, for a CUDA device.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch.utils.data import TensorDataset

from tests.trainer.conftest import make_folder
from trainer import cli, loops


@pytest.mark.parametrize(("device", "pinned"), [("cuda", True), ("cuda:1", True), ("cpu", False)])
def test_the_loader_pins_its_batches_on_cuda_only(device: str, pinned: bool) -> None:
    data = TensorDataset(torch.zeros(4, 3, 8, 8))
    loader = loops.epoch_loader(data, [[0, 1], [2, 3]], 0, torch.device(device))
    assert loader.pin_memory is pinned
    assert list(loader.batch_sampler) == [[0, 1], [2, 3]]  # type: ignore[arg-type]


@pytest.mark.usefixtures("seeded_single_thread")
def test_fit_builds_its_loader_for_the_device_it_trains_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[torch.device] = []
    build = loops.epoch_loader

    def recording(*args: object) -> object:
        seen.append(args[-1])  # type: ignore[arg-type]
        return build(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(loops, "epoch_loader", recording)
    data = make_folder(tmp_path / "d", 4, 2, seed=0)
    argv = ["fit", "--arch", "crfd-net-compact", "--data", str(data), "--out", str(tmp_path / "r")]
    argv += ["--model-config", "channels=8,16,32", "--window", "32", "--threads", "1"]
    argv += ["--epochs", "1", "--max-steps", "1", "--quiet", "--device", "auto"]
    assert cli.main(argv) == 0
    assert seen == [torch.device("cpu")]  # where "auto" puts the model on this machine
