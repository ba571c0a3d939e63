"""A device that runs out of memory: the Analyzer retries with smaller batches of windows, then
says in one line that the device cannot hold one window. A GPU's out-of-memory error is raised
here by the network itself (no GPU on the test machine); the CPU's exact path batches windows
as a GPU's does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engine.checkpoints import load_checkpoint
from engine.errors import DeviceMemoryError
from engine.io import load_evidence
from engine.pipeline import Analyzer
from tests.conftest import write_rgb


def _fits(model: torch.nn.Module, most: int) -> list[int]:
    """Make ``model`` raise torch's out-of-memory error on batches over ``most`` windows;
    returns the batch sizes it was given."""
    seen: list[int] = []

    def check(module: torch.nn.Module, args: tuple[torch.Tensor, ...]) -> None:
        seen.append(args[0].shape[0])
        if args[0].shape[0] > most:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    model.register_forward_pre_hook(check)
    return seen


def test_smaller_batches_after_out_of_memory_give_the_same_map(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    ev = load_evidence(write_rgb(tmp_path / "e.png", 200, 200))
    want = Analyzer([str(tiny_checkpoint)], device="cpu", exact=True, batch_size=2).analyze(ev)
    loaded = load_checkpoint(tiny_checkpoint)
    seen = _fits(loaded.model, 2)
    analyzer = Analyzer([loaded], device="cpu", exact=True, batch_size=8)
    got = analyzer.analyze(ev).results["tiny"]
    np.testing.assert_array_equal(got.heatmap, want.results["tiny"].heatmap)
    assert seen[:2] == [8, 4] and max(seen[2:]) == 2  # 8 and 4 failed, then batches of 2
    assert analyzer.fitted_batch == {"tiny": 2}
    seen.clear()
    analyzer.analyze(ev)  # the next image starts at the batch that fitted
    assert max(seen) == 2


def test_a_device_that_cannot_hold_one_window_is_one_line_naming_the_file(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    ev = load_evidence(write_rgb(tmp_path / "e.png", 100, 100))
    loaded = load_checkpoint(tiny_checkpoint)
    _fits(loaded.model, 0)
    with pytest.raises(DeviceMemoryError) as e:
        Analyzer([loaded], device="cpu", exact=True, batch_size=4).analyze(ev)
    # (on a GPU the line ends "; analyse with --device cpu")
    assert (
        str(e.value) == f"{ev.path}: cpu ran out of memory running model 'tiny' on a single window"
    )
