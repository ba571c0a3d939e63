"""Partial maps (issue 18): the fusion so far while windows or tiles run, and what a Cancel keeps."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.errors import Cancelled
from engine.pipeline import Analyzer
from engine.tiling import PartialFusion, overlap_crop_inference, sliding_window_inference
from tests.conftest import make_tiny_checkpoint, memory_evidence


def _position_predictor(batch: torch.Tensor) -> torch.Tensor:
    """A window-dependent map (the mean of the window's first channel plus a ramp), so that
    fusing overlapping windows is not the identity and partial sums show."""
    b, _, h, w = batch.shape
    ramp = torch.linspace(0, 1, w).expand(h, w)
    return (batch[:, :1].mean(dim=(2, 3), keepdim=True) * 0.1 + 0.5 * ramp).expand(b, 1, h, w)


def _snapshots(run) -> tuple[list[tuple[np.ndarray, float]], torch.Tensor]:
    fusion = PartialFusion()
    assert fusion.snapshot() is None  # nothing before the first batch
    seen: list[tuple[np.ndarray, float]] = []

    def progress(done: int, total: int) -> None:
        snap = fusion.snapshot()
        assert snap is not None
        seen.append(snap)

    return seen, run(fusion, progress)


@pytest.mark.parametrize(
    ("kind", "weighting"),
    [("sliding", "constant"), ("sliding", "gaussian"), ("crop", "constant"), ("crop", "gaussian")],
)
def test_partial_maps_grow_in_order_and_end_as_the_result(kind: str, weighting: str) -> None:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (150, 170, 3), dtype=np.uint8)

    def run(fusion: PartialFusion, progress) -> torch.Tensor:
        if kind == "sliding":
            return sliding_window_inference(
                image, _position_predictor, 64, 32, batch_size=2, weighting=weighting,
                progress=progress, partial=fusion,
            )  # fmt: skip
        return overlap_crop_inference(
            image, _position_predictor, 64, 8, batch_size=1, weighting=weighting,
            progress=progress, partial=fusion,
        )  # fmt: skip

    seen, final = _snapshots(run)
    assert len(seen) >= 3
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and fractions[0] < 0.5 and fractions[-1] == 1.0
    first, _ = seen[0]
    assert np.isnan(first).any() and np.isfinite(first).any()  # not computed: NaN, never 0
    assert np.isfinite(first[0, 0, 0]) and np.isnan(first[0, -1, -1])  # row-major order
    for (a, fa), (b, _) in itertools.pairwise(seen):
        assert np.isfinite(a).mean() == pytest.approx(fa)
        assert not (np.isfinite(a) & np.isnan(b)).any()  # computed pixels stay computed
    np.testing.assert_allclose(seen[-1][0], final.numpy(), rtol=1e-5, atol=1e-6)
    if weighting == "constant" and kind == "crop":  # each pixel from one tile: final at once
        done = np.isfinite(first)
        np.testing.assert_array_equal(first[done], final.numpy()[done])


def test_snapshots_are_copies() -> None:
    image = np.zeros((96, 96, 3), np.uint8)
    fusion = PartialFusion()
    kept: list[np.ndarray] = []
    sliding_window_inference(
        image, _position_predictor, 32, 16, batch_size=1,
        progress=lambda d, t: kept.append(fusion.snapshot()[0]), partial=fusion,
    )  # fmt: skip
    assert np.isnan(kept[0]).any()  # later batches did not write into an earlier snapshot


@pytest.mark.parametrize(
    ("kind", "weighting"),
    [("sliding", "constant"), ("sliding", "gaussian"), ("crop", "constant"), ("crop", "gaussian")],
)
def test_after_a_cancel_the_snapshot_is_the_batches_fused_before_it(
    kind: str, weighting: str
) -> None:
    """What a Cancel keeps: the snapshot taken after :class:`Cancelled` is the one the last
    finished batch's progress saw (the windows or tiles it counts are those fused)."""
    image = np.random.default_rng(5).integers(0, 256, (150, 170, 3), dtype=np.uint8)
    fusion = PartialFusion()
    seen: list[tuple[np.ndarray, float]] = []
    run = sliding_window_inference if kind == "sliding" else overlap_crop_inference
    size = (64, 32) if kind == "sliding" else (64, 8)  # window and stride, tile and margin
    with pytest.raises(Cancelled):
        run(
            image, _position_predictor, *size, batch_size=2, weighting=weighting,
            progress=lambda d, t: seen.append(fusion.snapshot()), cancel=lambda: len(seen) == 3,
            partial=fusion,
        )  # fmt: skip
    after = fusion.snapshot()
    assert after is not None and 0.0 < after[1] == seen[-1][1] < 1.0
    np.testing.assert_array_equal(after[0], seen[-1][0])  # NaN where NaN too


@pytest.fixture(scope="module")
def two_models(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    tmp = tmp_path_factory.mktemp("ckpt")
    return [make_tiny_checkpoint(tmp / f"m{i}.safetensors", f"m{i}", seed=i) for i in (1, 2)]


@pytest.mark.parametrize("exact", [False, True])
def test_cancel_keeps_the_finished_models_and_the_running_ones_partial_map(
    two_models: list[Path], exact: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("engine.fastpath.CRFD_TILE", 128)  # several fast-path tiles, quickly
    shape = (130, 200)
    rng = np.random.default_rng(1)
    evidence = memory_evidence(rng.integers(0, 256, (*shape, 3), dtype=np.uint8))
    kw = {"device": "cpu", "exact": exact, "runtime": "torch", "batch_size": 1}
    full = Analyzer([str(p) for p in two_models], **kw).analyze(evidence)
    analyzer = Analyzer([str(p) for p in two_models], **kw)
    calls = {"m2": 0}
    partials = []

    def progress(p) -> None:
        if p.stage == "m2":
            calls["m2"] += 1
            partials.append(p.partial())

    def cancel() -> bool:
        return calls["m2"] >= 2

    with pytest.raises(Cancelled) as raised:
        analyzer.analyze(evidence, progress=progress, cancel=cancel)
    assert partials[0] is not None and partials[0].model == "m2"
    kept = raised.value.kept()
    assert kept.cancelled and kept.ensemble is None
    assert list(kept.results) == ["m1"]  # finished: whole, with its verdict
    np.testing.assert_array_equal(kept.results["m1"].heatmap, full.results["m1"].heatmap)
    assert kept.results["m1"].verdict == full.results["m1"].verdict
    part = kept.partial["m2"]
    assert 0.0 < part.fraction < 1.0 and part.heatmap.shape == shape
    assert np.isnan(part.heatmap).any()
    done = np.isfinite(part.heatmap)
    assert done.mean() == pytest.approx(part.fraction)
    d = kept.to_dict()
    assert d["cancelled"] is True and d["partial"]["m2"]["verdict"] is None
    assert "cancelled" not in full.to_dict()  # complete analyses' rows unchanged


def test_no_partial_map_is_built_when_nobody_asks(
    two_models: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scan's progress callback never calls ``Progress.partial``: no map is built, and a
    Cancel's ``kept`` is built only when called."""

    def refuse(*_a: object) -> None:
        raise AssertionError("a partial map was built")

    monkeypatch.setattr("engine.tiling._partial_map", refuse)
    monkeypatch.setattr("engine.fastpath.CRFD_TILE", 128)
    evidence = memory_evidence(np.random.default_rng(2).integers(0, 256, (130, 200, 3), np.uint8))
    seen: list[str] = []
    analyzer = Analyzer([str(two_models[0])], device="cpu", runtime="torch", batch_size=1)
    analyzer.analyze(evidence, progress=lambda p: seen.append(p.stage), cancel=lambda: False)
    assert seen  # progress went out, maps did not
    second: list[str] = []
    with pytest.raises(Cancelled) as raised:
        analyzer.analyze(
            evidence, progress=lambda p: second.append(p.stage), cancel=lambda: bool(second)
        )
    assert raised.value.kept is not None  # a tile was done: there to call, not called
    with pytest.raises(Cancelled) as raised:
        analyzer.analyze(evidence, cancel=lambda: True)
    assert raised.value.kept is None  # nothing was done: nothing to keep


@pytest.mark.parametrize(("kind", "weighting"), [("sliding", "gaussian"), ("crop", "constant")])
def test_a_preview_is_every_nth_pixel_of_the_full_snapshot(kind: str, weighting: str) -> None:
    image = np.random.default_rng(3).integers(0, 256, (150, 170, 3), dtype=np.uint8)
    fusion = PartialFusion()
    pairs: list[tuple[np.ndarray, np.ndarray]] = []

    def progress(done: int, total: int) -> None:
        if done < total:
            pairs.append((fusion.snapshot()[0], fusion.snapshot(3)[0]))

    if kind == "sliding":
        sliding_window_inference(
            image, _position_predictor, 64, 32, weighting=weighting, progress=progress,
            partial=fusion,
        )  # fmt: skip
    else:
        overlap_crop_inference(
            image, _position_predictor, 64, 8, weighting=weighting, progress=progress,
            partial=fusion,
        )  # fmt: skip
    assert pairs
    for full, preview in pairs:
        assert preview.shape == (1, 50, 57)
        np.testing.assert_array_equal(preview, full[:, ::3, ::3])  # NaN where NaN too
    with pytest.raises(ValueError, match="step"):
        fusion.snapshot(0)
