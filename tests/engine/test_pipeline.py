"""Analyzer: full-resolution heatmaps, decisions with provenance, progress, cancel, resize policy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engine.checkpoints import load_checkpoint
from engine.io import load_evidence
from engine.pipeline import Analyzer, Cancelled
from engine.runtime import openvino_available
from engine.tiling import sliding_window_inference
from engine.types import Progress
from tests.conftest import write_rgb


def test_analysis_matches_direct_fusion(tmp_path: Path, tiny_checkpoint: Path) -> None:
    ev = load_evidence(write_rgb(tmp_path / "e.png", 90, 70))
    analyzer = Analyzer([str(tiny_checkpoint)], device="cpu", exact=True)
    res = analyzer.analyze(ev).results["tiny"]
    assert res.heatmap.shape == (90, 70) and res.heatmap.dtype == np.float32
    assert 0.0 <= res.heatmap.min() and res.heatmap.max() <= 1.0
    model = load_checkpoint(tiny_checkpoint).model
    ref = sliding_window_inference(ev.pixels, lambda b: torch.sigmoid(model(b)), 64, 32)[0]
    np.testing.assert_allclose(res.heatmap, ref.numpy(), atol=1e-5)
    assert np.array_equal(res.mask, res.heatmap > 0.5)
    assert res.forged_fraction == pytest.approx(res.mask.mean())
    assert res.verdict == ("manipulated" if res.forged_fraction > 0.1 else "authentic")
    assert res.threshold_provenance == "test fixture, random weights"
    assert res.device == "cpu" and res.precision == "fp32" and res.seconds > 0
    d = analyzer.analyze(ev).to_dict()
    assert d["evidence"]["sha256"] == ev.sha256 and "pixels" not in d["evidence"]


def test_progress_reaches_total_and_cancel_stops(tmp_path: Path, tiny_checkpoint: Path) -> None:
    ev = load_evidence(write_rgb(tmp_path / "e.png", 200, 200))
    analyzer = Analyzer([str(tiny_checkpoint)], device="cpu", batch_size=2, exact=True)
    seen: list[Progress] = []
    analyzer.analyze(ev, progress=seen.append)
    assert seen[-1].done == seen[-1].total == 36 and seen[-1].stage == "tiny"
    assert [p.done for p in seen] == sorted(p.done for p in seen)
    calls = []
    with pytest.raises(Cancelled):
        analyzer.analyze(ev, progress=calls.append, cancel=lambda: len(calls) >= 3)
    assert len(calls) == 3  # stopped within one window batch of the request


def test_window_override_and_resize_policy(tmp_path: Path, tiny_checkpoint: Path) -> None:
    ev = load_evidence(write_rgb(tmp_path / "e.png", 50, 120))
    res = Analyzer([str(tiny_checkpoint)], window=32, stride=8).analyze(ev).results["tiny"]
    assert res.input_policy["window"] == 32 and res.input_policy["stride"] == 8
    loaded = load_checkpoint(tiny_checkpoint)
    loaded.meta.input_policy.mode = "resize"
    loaded.meta.input_policy.size = (64, 32)
    res = Analyzer([loaded]).analyze(ev).results["tiny"]
    assert res.heatmap.shape == (50, 120)  # resized back to the evidence


def test_unknown_device_is_refused(tiny_checkpoint: Path) -> None:
    with pytest.raises(ValueError, match="device must be one of"):
        Analyzer([str(tiny_checkpoint)], device="tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA device"):
            Analyzer([str(tiny_checkpoint)], device="cuda")


def test_fast_path_fusion_is_recorded_and_can_be_chosen(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """The fast path cross-fades its tiles (Gaussian) by default, ``weighting="constant"`` cuts
    them, and each result records the fusion used; the two differ only near the tile cut."""
    ev = load_evidence(write_rgb(tmp_path / "wide.png", 120, 600))  # two 512 tiles across
    soft = Analyzer([str(tiny_checkpoint)], device="cpu", runtime="torch").analyze(ev)
    hard = Analyzer(
        [str(tiny_checkpoint)], device="cpu", runtime="torch", weighting="constant"
    ).analyze(ev)
    exact = Analyzer([str(tiny_checkpoint)], device="cpu", exact=True).analyze(ev)
    s, h = soft.results["tiny"], hard.results["tiny"]
    assert s.input_policy["tiling"] == "overlap-crop" and s.input_policy["gaussian"] is True
    assert h.input_policy["gaussian"] is False
    assert exact.results["tiny"].input_policy["gaussian"] is False  # the checkpoint's own flag
    diff = np.abs(s.heatmap - h.heatmap).max(axis=0)  # per column
    assert diff[:60].max() < 1e-6 and diff[-60:].max() < 1e-6  # one tile only: the same
    assert diff.max() > 1e-4  # cross-faded across the cut


def test_a_result_on_pytorch_records_its_cpu_threads_and_one_on_openvino_none(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """PyTorch's figures change in the last bits with the thread count (the exact path, the
    fast path on PyTorch, a whole-image model), so a result made there records the count it
    ran on, as a re-run must set it to give the same figures bit for bit (docs/RESULTS.md,
    "Reproducing a result"); OpenVINO's are the same on any count and record none."""
    ev = load_evidence(write_rgb(tmp_path / "e.png", 60, 90))
    resized = load_checkpoint(tiny_checkpoint)
    resized.meta.input_policy.mode = "resize"
    resized.meta.input_policy.size = (64, 32)
    before = torch.get_num_threads()
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            for analyzer in (
                Analyzer([str(tiny_checkpoint)], device="cpu", exact=True),
                Analyzer([str(tiny_checkpoint)], device="cpu", runtime="torch"),
                Analyzer([resized], device="cpu"),
            ):
                assert analyzer.analyze(ev).results["tiny"].input_policy["threads"] == threads
    finally:
        torch.set_num_threads(before)
    if openvino_available():
        fast = Analyzer([str(tiny_checkpoint)], device="cpu", runtime="openvino").analyze(ev)
        policy = fast.results["tiny"].input_policy
        assert policy["runtime"] == "openvino" and "threads" not in policy
