"""What an analysis holds at once, which sets its peak at evidence size (docs/LIMITS.md,
"Analysis memory"): measured on small images by what they allocate, never by time."""

from __future__ import annotations

import tracemalloc
import weakref
from pathlib import Path

import numpy as np

import engine.pipeline as pipeline
from engine.analyses._imaging import luminance
from engine.checkpoints import load_checkpoint
from engine.pipeline import Analyzer
from tests.conftest import memory_evidence


def test_luminance_is_the_bt601_sum_without_a_float_copy_of_the_image() -> None:
    rgb = np.random.default_rng(0).integers(0, 256, (2048, 1536, 3), dtype=np.uint8)
    x = rgb.astype(np.float32)
    expected = 0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2]
    del x
    tracemalloc.start()
    try:
        y = luminance(rgb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(y, expected)  # the same figures, bit for bit
    # the result (4 bytes a pixel) and bands; the whole image as float32 RGB was 12 more
    assert peak < 2 * y.nbytes, peak / y.nbytes


class _Faces:
    """A face detector that records whether the networks' shared input is still alive."""

    def __init__(self, shared: list[weakref.ref]) -> None:
        self.shared = shared
        self.alive: list[bool] = []

    def find(self, evidence, results) -> list:
        self.alive = [ref() is not None for ref in self.shared]
        return []


def test_the_networks_shared_input_is_freed_before_the_faces_and_analyses(
    tiny_checkpoint: Path, monkeypatch
) -> None:
    made: list[weakref.ref] = []
    normalized = pipeline.normalized

    def recorded(rgb):
        t = normalized(rgb)
        made.append(weakref.ref(t))
        return t

    monkeypatch.setattr(pipeline, "normalized", recorded)
    faces = _Faces(made)
    analyzer = Analyzer([load_checkpoint(tiny_checkpoint)], device="cpu", faces=faces)
    pixels = np.random.default_rng(1).integers(0, 256, (96, 128, 3), dtype=np.uint8)
    a = analyzer.analyze(memory_evidence(pixels))
    assert len(made) == 1 and a.results  # the fast path made it and the network ran
    assert faces.alive == [False]  # 12 bytes a pixel, no longer held when the faces run


def _numpy_peak(fn) -> tuple[object, int]:
    """fn()'s result and the most bytes numpy (traced; torch's are not) held at once in it."""
    tracemalloc.start()
    try:
        out = fn()
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_fusing_windows_makes_no_whole_count_map() -> None:
    # the count map C of M = A / C was made whole in float64 and again in float32: 12 bytes a
    # pixel at the analysis's peak (720 MB at 60 MP); now in row bands, the same figures
    from engine.tiling import overlap_crop_inference, sliding_window_inference

    rgb = np.random.default_rng(2).integers(0, 256, (1536, 2048, 3), dtype=np.uint8)
    map_bytes = 1536 * 2048 * 4

    def first(batch):
        return batch[:, :1]

    for run in (
        lambda: sliding_window_inference(rgb, first, 256, 128, batch_size=16),
        lambda: overlap_crop_inference(rgb, first, 256, 16, batch_size=16, weighting="gaussian"),
    ):
        out, peak = _numpy_peak(run)
        assert out.shape == (1, 1536, 2048)
        assert peak < map_bytes / 2, peak / map_bytes


def test_a_network_heatmap_is_not_copied_to_be_clipped(tiny_checkpoint: Path) -> None:
    loaded = load_checkpoint(tiny_checkpoint)
    analyzer = Analyzer([loaded], device="cpu", runtime="torch")
    rgb = np.random.default_rng(3).integers(0, 256, (1024, 1536, 3), dtype=np.uint8)
    (heat, _), peak = _numpy_peak(lambda: analyzer.heatmap(loaded, rgb))
    assert heat.shape == (1024, 1536) and heat.dtype == np.float32
    assert 0.0 <= heat.min() and heat.max() <= 1.0
    assert peak < heat.nbytes, peak / heat.nbytes  # a clip and a cast were 2 copies more


def test_the_ensemble_map_is_summed_in_bands_to_the_same_figures() -> None:
    from engine.ensemble import fuse_heatmaps

    rng = np.random.default_rng(4)
    maps = [rng.random((1024, 1536), dtype=np.float32) for _ in range(3)]
    weights = [0.7, 0.0, 1.9]
    total = 0.7 + 1.9
    expected = maps[0].astype(np.float64) * 0.7 + maps[2].astype(np.float64) * 1.9
    expected = (expected / total).astype(np.float32)
    fused, peak = _numpy_peak(lambda: fuse_heatmaps(maps, weights))
    np.testing.assert_array_equal(fused, expected)
    # the result and float64 bands; whole float64 sums and products were 6 times the result
    assert peak < 2 * fused.nbytes, peak / fused.nbytes
