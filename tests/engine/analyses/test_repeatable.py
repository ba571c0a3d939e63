"""The classic analyses give the same output for the same evidence every time: whatever the
process's random generators hold and however many threads OpenCV and BLAS use (docs/RESULTS.md,
"Reproducing a result")."""

from __future__ import annotations

import contextlib
import random

import cv2
import numpy as np
import pytest

try:  # BLAS's thread pool (installed with scikit-learn; not a dependency of the product)
    from threadpoolctl import threadpool_limits
except ImportError:  # OpenCV's threads and the generators are still varied
    threadpool_limits = None

from engine.analyses import run_analysis
from tests.engine.analyses.conftest import jpeg_bytes
from tests.engine.analyses.test_clone import cloned


def _disturbed(seed: int, threads: int) -> None:
    """Every global random generator an analysis could draw from set to ``seed``, OpenCV's
    thread pool to ``threads`` (BLAS's is limited around the call)."""
    np.random.seed(seed)
    random.seed(seed)
    cv2.setRNGSeed(seed)
    cv2.setNumThreads(threads)


@pytest.fixture
def opencv_threads():
    before = cv2.getNumThreads()
    yield
    cv2.setNumThreads(before)


def _output(name: str, evidence, seed: int, threads: int):
    _disturbed(seed, threads)
    limits = contextlib.nullcontext() if threadpool_limits is None else threadpool_limits(threads)
    with limits:
        return run_analysis(name, evidence)


def test_copy_move_pairs_and_map_are_the_same_whatever_the_rngs_and_threads(
    write_evidence, opencv_threads
) -> None:
    """RANSAC draws samples: the pairs (transforms, boxes, correlations) and the map must not
    depend on the generators' state the analysis finds, nor on how many threads match the
    keypoints (BLAS) or warp and filter (OpenCV)."""
    img, _ = cloned(15.0, 1.0)
    ev = write_evidence(jpeg_bytes(img, 90))
    first = _output("clone", ev, seed=1, threads=1)
    assert first.pairs  # the rotated copy is found: RANSAC ran on matches with outliers
    for seed, threads in ((2, 2), (12345, 1), (7, 2)):
        again = _output("clone", ev, seed=seed, threads=threads)
        assert again.pairs == first.pairs
        assert np.array_equal(again.map, first.map)
        assert again.findings == first.findings


@pytest.mark.parametrize("name", ["ela", "noise", "jpeg-ghost", "jpeg-dq", "jpeg-tables"])
def test_the_other_analyses_are_the_same_whatever_the_rngs_and_threads(
    name: str, write_evidence, opencv_threads
) -> None:
    img, _ = cloned(0.0, 1.0)
    ev = write_evidence(jpeg_bytes(img, 85))
    first = _output(name, ev, seed=1, threads=1)
    again = _output(name, ev, seed=2, threads=2)
    assert (again.map is None) == (first.map is None)
    if first.map is not None:
        assert np.array_equal(again.map, first.map)
    assert again.score == first.score
    assert again.findings == first.findings
    assert [(m.name, m.values.tobytes()) for m in again.output.layers] == [
        (m.name, m.values.tobytes()) for m in first.output.layers
    ]
