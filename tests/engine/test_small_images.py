"""Images smaller than any image a verdict was measured on: the verdict is marked, never bare.

docs/VERDICTS.md, "Images too small for a verdict": below a short side of 192 px (3/4 of
CASIA's 256, or of a larger window), the verdicts of the bundled networks no longer do what
their reliability sentences say; the result keeps its heatmap and verdict, and carries ``out_of_range``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.assembly import assemble_analyzer
from engine.catalog import SAMPLES
from engine.decision import min_verdict_side, verdict_range
from engine.ensemble import Ensemble, Member, members_out_of_range
from engine.io import load_evidence
from engine.pipeline import Analyzer
from tests.conftest import memory_evidence


@pytest.fixture(scope="module")
def default_analyzer() -> Analyzer:
    return assemble_analyzer(None, device="cpu", faces=False)


def _noise(h: int, w: int) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def test_the_bound_is_the_training_scale_or_three_quarters_of_a_larger_window() -> None:
    assert min_verdict_side(256) == 192 and min_verdict_side(128) == 192
    assert min_verdict_side(512) == 384
    assert verdict_range((191, 4000), 192) == {"short_side": 191, "min_side": 192}
    assert verdict_range((192, 192), 192) is None  # the smallest measured size is in range


@pytest.mark.parametrize("shape", [(5, 7), (30, 40)])
def test_a_tiny_image_is_marked_by_every_default_network_and_the_default_verdict(
    default_analyzer: Analyzer, shape: tuple[int, int]
) -> None:
    a = default_analyzer.analyze(memory_evidence(_noise(*shape)))
    assert a.results and a.ensemble is not None
    for name, r in a.results.items():
        assert r.out_of_range is not None, name
        assert r.out_of_range["short_side"] == min(shape)
        assert r.out_of_range["min_side"] == default_analyzer.min_side_of(
            next(m for m in default_analyzer.models if m.name == name)
        )
        assert r.heatmap is not None and r.heatmap.shape == shape  # the map is still shown
        assert r.verdict in ("manipulated", "authentic")  # and what the rule gave, recorded
    assert a.ensemble.out_of_range is not None
    assert sorted(a.ensemble.out_of_range["members"]) == sorted(a.results)
    assert a.to_dict()["ensemble"]["out_of_range"]["short_side"] == min(shape)


@pytest.mark.slow
def test_a_casia_size_image_is_not_marked(default_analyzer: Analyzer) -> None:
    a = default_analyzer.analyze(load_evidence(SAMPLES / "hubble-authentic.jpg"))
    assert min(a.evidence.pixels.shape[:2]) >= 256
    assert all(r.out_of_range is None for r in a.results.values())
    assert a.ensemble is not None and a.ensemble.out_of_range is None


def test_one_member_out_of_range_marks_the_ensemble(tiny_checkpoint: Path) -> None:
    """Tiny model (window 64): in range from 192 px; the ensemble says which member was not."""
    analyzer = Analyzer([str(tiny_checkpoint)], device="cpu")
    inside = analyzer.analyze(memory_evidence(_noise(192, 200))).results["tiny"]
    outside = analyzer.analyze(memory_evidence(_noise(191, 200))).results["tiny"]
    assert inside.out_of_range is None
    assert outside.out_of_range == {"short_side": 191, "min_side": 192}
    assert members_out_of_range([inside]) is None
    ens = Ensemble("pair", [Member("tiny")])
    assert ens.combine({"tiny": outside}).out_of_range == {
        "short_side": 191,
        "min_side": 192,
        "members": ["tiny"],
    }
    assert ens.combine({"tiny": inside}).out_of_range is None
