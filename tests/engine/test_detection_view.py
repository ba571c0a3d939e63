"""The logit rule's image logit from a reduced view of the evidence (DecisionRule.detect_side):
the heatmap stays at full resolution, the statistic comes from the image brought down to the
checkpoint's long side (docs/VERDICTS.md, "Detection at evidence size")."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from engine.checkpoints import (
    CheckpointMeta,
    DecisionRule,
    InputPolicy,
    check_meta,
    load_checkpoint,
    save_checkpoint,
)
from engine.models import create_model
from engine.models.registry import config_to_dict
from engine.pipeline import Analyzer, reduced_shape
from tests.conftest import memory_evidence


def _logit_checkpoint(path: Path, side: int) -> Path:
    torch.manual_seed(0)
    model = create_model("diffforensics-compact").eval()
    meta = CheckpointMeta(
        architecture="diffforensics-compact",
        config=config_to_dict(model.config),
        input_policy=InputPolicy(window=64, stride=32),
        decision=DecisionRule(
            rule="logit", threshold=0.5, aggregate="mean", detect_side=side, provenance="test"
        ),
        name="viewed",
    )
    return save_checkpoint(path, model, meta)


def _texture(h: int, w: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    low = rng.integers(0, 256, (h // 8 + 1, w // 8 + 1, 3), dtype=np.uint8)
    img = cv2.resize(low, (w, h), interpolation=cv2.INTER_CUBIC)
    return np.clip(img + rng.normal(0, 6, img.shape), 0, 255).astype(np.uint8)


def test_reduced_shape_brings_the_long_side_down_and_leaves_smaller_images() -> None:
    assert reduced_shape((3000, 4000), 512) == (384, 512)
    assert reduced_shape((4000, 3000), 512) == (512, 384)
    assert reduced_shape((384, 256), 512) is None  # CASIA's size: the full-resolution pass
    assert reduced_shape((600, 800), 0) is None  # 0: never reduced


def test_a_panorama_or_a_strip_keeps_a_view_as_high_as_a_measured_verdict() -> None:
    # at a long side of 512 a 20000 x 3000 panorama was a 512 x 77 view, a receipt 512 x 3
    assert reduced_shape((3000, 20000), 512, 192) == (192, 1280)
    assert reduced_shape((20000, 3000), 512, 192) == (1280, 192)
    assert reduced_shape((100, 20000), 512, 192) is None  # already narrower: full resolution
    assert reduced_shape((300, 20000), 512, 192) == (192, 12800)
    # photographs up to 8:3 keep the 512 view the verdict was calibrated on
    assert reduced_shape((3000, 4000), 512, 192) == (384, 512)
    assert reduced_shape((2532, 1170), 512, 192) == (512, 237)
    assert reduced_shape((1500, 4000), 512, 192) == (192, 512)


@pytest.mark.parametrize("exact", [True, False])
def test_a_large_image_is_decided_on_its_reduced_view_and_mapped_at_full_size(
    tmp_path: Path, exact: bool
) -> None:
    loaded = load_checkpoint(_logit_checkpoint(tmp_path / "v.safetensors", 320))
    analyzer = Analyzer([loaded], device="cpu", exact=exact, runtime="torch")
    pixels = _texture(300, 480)
    r = analyzer.analyze(memory_evidence(pixels)).results["viewed"]
    assert r.heatmap is not None and r.heatmap.shape == (300, 480)
    assert r.input_policy["detect_size"] == [200, 320]
    small = cv2.resize(pixels, (320, 200), interpolation=cv2.INTER_AREA)
    _, on_view = analyzer.heatmap(loaded, small)
    full_heat, on_full = analyzer.heatmap(loaded, pixels)
    assert r.image_logit == pytest.approx(on_view, abs=1e-6)
    assert abs(on_view - on_full) > 1e-4  # the control: the two views do differ
    np.testing.assert_allclose(r.heatmap, full_heat, atol=1e-6)  # the map is the full one

    analyzer.detect_side = 0  # the override: the full-resolution pass decides again
    again = analyzer.analyze(memory_evidence(pixels)).results["viewed"]
    assert again.image_logit == pytest.approx(on_full, abs=1e-6)
    assert "detect_size" not in again.input_policy


def test_a_long_image_is_decided_on_a_view_no_lower_than_the_measured_range(
    tmp_path: Path,
) -> None:
    loaded = load_checkpoint(_logit_checkpoint(tmp_path / "v.safetensors", 96))
    analyzer = Analyzer([loaded], device="cpu", runtime="torch")
    assert analyzer.min_side_of(loaded) == 192
    pixels = _texture(200, 1200)  # 6:1; at a long side of 96 the view was 16 x 96
    r = analyzer.analyze(memory_evidence(pixels)).results["viewed"]
    assert r.input_policy["detect_size"] == [192, 1152]
    assert r.out_of_range is None and r.heatmap is not None and r.heatmap.shape == (200, 1200)
    small = cv2.resize(pixels, (1152, 192), interpolation=cv2.INTER_AREA)
    assert r.image_logit == pytest.approx(analyzer.heatmap(loaded, small)[1], abs=1e-6)


def test_an_image_within_the_side_is_decided_as_before(tmp_path: Path) -> None:
    loaded = load_checkpoint(_logit_checkpoint(tmp_path / "v.safetensors", 96))
    analyzer = Analyzer([loaded], device="cpu", exact=True)
    pixels = _texture(80, 96)
    r = analyzer.analyze(memory_evidence(pixels)).results["viewed"]
    assert r.image_logit == pytest.approx(analyzer.heatmap(loaded, pixels)[1], abs=1e-6)
    assert "detect_size" not in r.input_policy


@pytest.mark.parametrize("side", [16, 9000, "512", True])
def test_a_detect_side_out_of_bounds_is_refused(side: object) -> None:
    meta = CheckpointMeta(
        architecture="diffforensics-compact",
        config={},
        decision=DecisionRule(rule="logit", detect_side=side),  # type: ignore[arg-type]
    )
    with pytest.raises(Exception, match="detect_side"):
        check_meta(meta)
