"""Sliding-window fusion reconstructs exactly, covers every pixel, and batching changes nothing."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from engine.preprocess import normalize
from engine.tiling import (
    Cancelled,
    naive_sliding_window,
    overlap_crop_inference,
    sliding_window_inference,
    tile_spans,
    window_starts,
)


@pytest.mark.parametrize(
    ("h", "w", "window", "stride"),
    [
        (64, 64, 64, 32),
        (50, 70, 64, 32),
        (100, 130, 32, 16),
        (97, 33, 32, 32),
        (5, 300, 64, 48),
        (128, 128, 48, 7),
    ],
)
@pytest.mark.parametrize("weighting", ["constant", "gaussian"])
def test_reconstructs_2x_exactly(h: int, w: int, window: int, stride: int, weighting: str) -> None:
    torch.manual_seed(0)
    img = torch.rand(2, h, w)
    out = sliding_window_inference(
        img, lambda b: 2 * b, window, stride, batch_size=3, weighting=weighting
    )
    assert out.shape == (2, h, w)
    torch.testing.assert_close(out, 2 * img, atol=1e-5, rtol=0)


def test_every_pixel_covered_and_last_window_on_border() -> None:
    for length, window, stride in [
        (100, 32, 16),
        (101, 32, 32),
        (32, 32, 8),
        (10, 32, 16),
        (257, 64, 50),
    ]:
        starts = window_starts(length, window, stride)
        covered = np.zeros(max(length, window), bool)
        for s in starts:
            covered[s : s + window] = True
        assert covered[:length].all()
        assert starts[-1] + window == max(length, window)
        assert starts == sorted(set(starts))


def test_count_map_matches_explicit_count() -> None:
    # A predictor of ones: with the constant weighting, A counts windows and M must be exactly 1.
    img = torch.zeros(1, 77, 91)
    out = sliding_window_inference(img, lambda b: torch.ones_like(b), 32, 12)
    assert torch.equal(out, torch.ones_like(out))


def test_window_position_dependent_predictor_matches_naive_average() -> None:
    # Predict each window's mean input value everywhere in the window: fusion must average the
    # overlapping windows' constants exactly as an explicit A / C computation does.
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, size=(70, 90, 3), dtype=np.uint8)

    def predictor(b: torch.Tensor) -> torch.Tensor:
        return b.mean(dim=(1, 2, 3), keepdim=True).expand(-1, 1, *b.shape[-2:])

    out = sliding_window_inference(img, predictor, 32, 20, batch_size=5)
    ref = naive_sliding_window(img, predictor, 32, 20)
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=0)
    # The explicit computation, written out independently.
    x = normalize(torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255)[0]
    a = torch.zeros(70, 90)
    c = torch.zeros(70, 90)
    for y in window_starts(70, 32, 20):
        for xx in window_starts(90, 32, 20):
            a[y : y + 32, xx : xx + 32] += x[:, y : y + 32, xx : xx + 32].mean()
            c[y : y + 32, xx : xx + 32] += 1
    torch.testing.assert_close(out[0], a / c, atol=1e-5, rtol=0)


def test_batched_equals_unbatched_with_a_network() -> None:
    from engine.models import create_model

    torch.manual_seed(0)
    net = create_model("crfd-net-compact", channels=(8, 16, 32)).eval()
    img = np.random.default_rng(2).integers(0, 256, size=(90, 75, 3), dtype=np.uint8)

    def pred(b: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(net(b))

    one = sliding_window_inference(img, pred, 32, 16, batch_size=1)
    many = sliding_window_inference(img, pred, 32, 16, batch_size=16)
    naive = naive_sliding_window(img, pred, 32, 16)
    torch.testing.assert_close(one, many, atol=1e-5, rtol=0)
    torch.testing.assert_close(one, naive, atol=1e-5, rtol=0)


def test_uint8_input_is_normalised_per_window() -> None:
    img = np.full((40, 40, 3), 255, np.uint8)
    out = sliding_window_inference(img, lambda b: b[:, :1], 32, 16)
    expected = (1.0 - 0.485) / 0.229
    torch.testing.assert_close(out, torch.full((1, 40, 40), expected), atol=1e-5, rtol=0)


def test_progress_and_cancel() -> None:
    img = torch.rand(1, 64, 64)
    seen: list[tuple[int, int]] = []
    sliding_window_inference(
        img, lambda b: b, 16, 16, batch_size=4, progress=lambda d, t: seen.append((d, t))
    )
    assert seen == [(4, 16), (8, 16), (12, 16), (16, 16)]
    calls = {"n": 0}

    def cancel() -> bool:
        calls["n"] += 1
        return calls["n"] > 2

    with pytest.raises(Cancelled):
        sliding_window_inference(img, lambda b: b, 16, 16, batch_size=4, cancel=cancel)
    assert calls["n"] == 3


def test_time_bounded_batches_adapt_and_change_nothing() -> None:
    """With max_batch_seconds, batches start at one window; a slow predictor keeps them at one
    (cancel is then checked after every window), a fast one doubles them up to batch_size; the
    fused map is the same either way."""
    import time

    img = torch.rand(1, 64, 64)  # 16 windows of 16
    sizes: list[int] = []

    def slow(b: torch.Tensor) -> torch.Tensor:
        sizes.append(b.shape[0])
        time.sleep(0.02 * b.shape[0])
        return b * 2

    out = sliding_window_inference(img, slow, 16, 16, batch_size=8, max_batch_seconds=0.005)
    assert sizes == [1] * 16
    torch.testing.assert_close(out, img * 2)
    sizes.clear()

    def fast(b: torch.Tensor) -> torch.Tensor:
        sizes.append(b.shape[0])
        return b * 2

    out = sliding_window_inference(img, fast, 16, 16, batch_size=4, max_batch_seconds=60.0)
    assert sizes == [1, 2, 4, 4, 4, 1]
    torch.testing.assert_close(out, img * 2)
    with pytest.raises(ValueError, match="max_batch_seconds"):
        sliding_window_inference(img, fast, 16, 16, max_batch_seconds=0.0)


def test_next_batch_size_rule() -> None:
    from engine.tiling import _next_batch

    assert _next_batch(8, 0.6, 0.15, 8) == 2  # four times too slow: a quarter
    assert _next_batch(2, 0.16, 0.15, 8) == 1  # a little too slow: at least one fewer
    assert _next_batch(1, 5.0, 0.15, 8) == 1  # one window is the floor
    assert _next_batch(2, 0.05, 0.15, 8) == 4 and _next_batch(8, 0.01, 0.15, 8) == 8
    assert _next_batch(4, 0.1, 0.15, 8) == 4  # between half and the target: kept


@pytest.mark.parametrize(("window", "stride"), [(0, 1), (16, 0), (16, 17)])
def test_bad_window_or_stride(window: int, stride: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        sliding_window_inference(torch.rand(1, 20, 20), lambda b: b, window, stride)


def test_predictor_with_wrong_output_shape_is_explained() -> None:
    with pytest.raises(ValueError, match="predictor must return"):
        sliding_window_inference(torch.rand(1, 20, 20), lambda b: b[:, :, :4], 16, 8)


# --- overlap-crop tiling (the fast path) ---


@pytest.mark.parametrize(
    ("length", "tile", "margin"),
    [(1000, 512, 16), (512, 512, 16), (300, 512, 16), (100, 32, 8), (97, 32, 0), (257, 64, 31)],
)
def test_tile_spans_partition_the_axis_and_keep_the_margin(
    length: int, tile: int, margin: int
) -> None:
    spans = tile_spans(length, tile, margin)
    assert spans[0][1] == 0 and spans[-1][2] == length
    for (_, _, end), (_, start, _) in itertools.pairwise(spans):
        assert end == start  # kept spans follow each other: every pixel exactly once
    for s, a, b in spans:
        assert s <= a < b <= s + tile
        assert a == 0 or a - s >= margin  # context before, unless at the image border
        assert b == length or s + tile - b >= margin  # context after, unless at the border


def test_tile_spans_bad_margin() -> None:
    with pytest.raises(ValueError, match="margin must be in"):
        tile_spans(100, 32, 16)
    with pytest.raises(ValueError, match="margin must be >= 0"):
        tile_spans(20, 32, -1)


@pytest.mark.parametrize("weighting", ["constant", "gaussian"])
def test_one_tile_needs_no_margin(weighting: str) -> None:
    """An image no larger than one tile has no side facing another tile: a margin of half the
    tile or more crops nothing there. A crfd-net model trained at a 32-pixel window (tile 32,
    margin 16) failed on every face crop brought to its window, and on evidence of <= 32 px."""
    assert tile_spans(32, 32, 16) == [(0, 0, 32)] and tile_spans(20, 32, 30) == [(0, 0, 20)]
    img = torch.rand(1, 32, 32)
    out = overlap_crop_inference(img, lambda b: 2 * b, 32, 16, weighting=weighting)
    torch.testing.assert_close(out, 2 * img, atol=1e-6, rtol=0)


@pytest.mark.parametrize(
    ("h", "w", "tile", "margin"),
    [(64, 64, 64, 8), (50, 70, 64, 8), (100, 130, 32, 4), (5, 300, (16, 48), 6), (129, 33, 40, 0)],
)
@pytest.mark.parametrize("weighting", ["constant", "gaussian"])
def test_overlap_crop_reconstructs_2x_exactly(
    h: int, w: int, tile, margin: int, weighting: str
) -> None:
    torch.manual_seed(0)
    img = torch.rand(2, h, w)
    out = overlap_crop_inference(
        img, lambda b: 2 * b, tile, margin, batch_size=3, weighting=weighting
    )
    assert out.shape == (2, h, w)
    torch.testing.assert_close(out, 2 * img, atol=1e-6, rtol=0)


def test_overlap_crop_equals_the_whole_image_for_a_local_network() -> None:
    """A network whose output at a pixel depends on pixels within r of it gives, tiled with a
    margin >= r, exactly what it gives on the whole image (the reason the mode exists)."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(8, 1, 5, padding=2)
    ).eval()  # receptive field: 3 pixels each way
    img = torch.rand(3, 150, 170)
    with torch.inference_mode():
        whole = net(img[None])[0]
    tiled = overlap_crop_inference(img, net, 48, 3)
    torch.testing.assert_close(tiled, whole, atol=1e-5, rtol=0)
    loose = overlap_crop_inference(img, net, 48, 1)  # margin below the reach: seams differ
    assert (loose - whole).abs().max() > 1e-3


def test_overlap_crop_progress_cancel_and_shape_errors() -> None:
    img = torch.rand(1, 64, 64)
    seen: list[tuple[int, int]] = []
    overlap_crop_inference(img, lambda b: b, 32, 8, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(i, 9) for i in range(1, 10)]  # 3 x 3 tiles of 32 at step 16
    calls = {"n": 0}

    def cancel() -> bool:
        calls["n"] += 1
        return calls["n"] > 2

    with pytest.raises(Cancelled):
        overlap_crop_inference(img, lambda b: b, 32, 8, cancel=cancel)
    assert calls["n"] == 3
    with pytest.raises(ValueError, match="predictor must return"):
        overlap_crop_inference(img, lambda b: b[:, :, :4], 32, 8)


def test_overlap_crop_normalises_uint8_like_sliding_windows() -> None:
    rng = np.random.default_rng(2)
    img = rng.integers(0, 256, size=(70, 90, 3), dtype=np.uint8)
    a = overlap_crop_inference(img, lambda b: b, 48, 8)
    b = sliding_window_inference(img, lambda b: b, 48, 24)
    torch.testing.assert_close(a, b, atol=1e-5, rtol=0)


def _tile_constant(batch: torch.Tensor) -> torch.Tensor:
    """A fake model whose output is one constant per window: the window's mean of channel 0
    (so neighbouring windows over a gradient image disagree, as real networks do at seams)."""
    b, _, ph, pw = batch.shape
    return batch[:, :1].mean(dim=(2, 3), keepdim=True).expand(b, 1, ph, pw)


def _largest_step(m: torch.Tensor) -> float:
    """The largest difference between horizontally or vertically adjacent pixels."""
    return max(m.diff(dim=-1).abs().max().item(), m.diff(dim=-2).abs().max().item())


@pytest.mark.parametrize("mode", ["overlap-crop", "sliding"])
def test_gaussian_weighting_shrinks_the_seams_of_a_window_constant_model(mode: str) -> None:
    """Each window predicts one constant; the fused map steps where windows meet. With the
    Gaussian weighting the step across a tile border is spread over the overlap, so the
    largest jump between neighbouring pixels is several times smaller."""
    yy, xx = torch.meshgrid(torch.arange(200.0), torch.arange(260.0), indexing="ij")
    img = (xx / 260.0 + 2.0 * (yy / 200.0) ** 2)[None]  # 1, H, W: smooth, uneven ramps

    def fused(weighting: str) -> torch.Tensor:
        if mode == "overlap-crop":
            return overlap_crop_inference(img, _tile_constant, 64, 8, weighting=weighting)
        return sliding_window_inference(img, _tile_constant, 64, 32, weighting=weighting)

    hard, soft = fused("constant"), fused("gaussian")
    assert _largest_step(hard) > 0.05  # the seam is there to be removed
    assert _largest_step(soft) < _largest_step(hard) / 3
    # both stay within the windows' values: weighting changes the fusion, not the range
    assert soft.min() >= hard.min() - 1e-6 and soft.max() <= hard.max() + 1e-6
