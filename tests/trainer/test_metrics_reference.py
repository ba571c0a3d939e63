"""Every accuracy figure against a reference written here from its definition, in plain numpy
(no scikit-learn): AUC as the Mann-Whitney count over all (positive, negative) pairs with ties
counted half, F1 / IoU from TP / FP / FN, the ROC by sweeping every threshold, the best F1 by
trying every threshold, balanced accuracy from the two recalls; on random and adversarial
inputs (ties, all scores equal, infinite scores, one class, empty masks, 8-bit maps, scores
exactly at θ)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.calibration import (
    fit_platt,
    flagged_counts,
    reliability_bins,
    sigmoid,
    threshold_for_false_alarms,
)
from engine.metrics import LevelHistogram, levels, pixel_counts
from trainer import metrics as M
from trainer.verdict import auc_interval


def ref_auc(y: np.ndarray, s: np.ndarray) -> float:
    """P(positive scores above negative), ties half, over every pair; NaN with one class."""
    pos, neg = s[y.astype(bool)], s[~y.astype(bool)]
    if pos.size == 0 or neg.size == 0:
        return float("nan")
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(wins / (pos.size * neg.size))


def ref_f1_iou(pred: np.ndarray, gt: np.ndarray, both_empty: float) -> tuple[float, float]:
    tp = int((pred & gt).sum())
    fp = int((pred & ~gt).sum())
    fn = int((~pred & gt).sum())
    if tp + fp + fn == 0:
        return both_empty, both_empty
    return 2 * tp / (2 * tp + fp + fn), tp / (tp + fp + fn)


def ref_roc(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(fpr, tpr) of "positive when score >= t" for t = +inf, then every distinct score down."""
    y = y.astype(bool)
    ts = np.r_[np.inf, np.unique(s)[::-1]]
    fpr = np.array([((s >= t) & ~y).sum() / (~y).sum() for t in ts])
    tpr = np.array([((s >= t) & y).sum() / y.sum() for t in ts])
    return fpr, tpr


def _scores(kind: str, rng: np.random.Generator, n: int) -> np.ndarray:
    if kind == "random":
        return rng.random(n)
    if kind == "ties":
        return rng.integers(0, 3, n) / 2.0
    if kind == "all-equal":
        return np.full(n, 0.3)
    if kind == "infinite":
        s = rng.standard_normal(n)
        s[rng.random(n) < 0.2] = np.inf
        s[rng.random(n) < 0.2] = -np.inf
        return s
    return rng.standard_normal(n) * 1e-300  # "tiny": distinct scores that differ in the last bits


KINDS = ("random", "ties", "all-equal", "infinite", "tiny")


@pytest.mark.parametrize("kind", KINDS)
def test_image_auc_roc_and_eer_equal_the_definitions(kind: str) -> None:
    rng = np.random.default_rng(KINDS.index(kind))
    for _ in range(40):
        n = int(rng.integers(2, 40))
        y = rng.integers(0, 2, n)
        s = _scores(kind, rng, n)
        got, want = M.roc_auc(y, s), ref_auc(y, s)
        assert (math.isnan(got) and math.isnan(want)) or got == pytest.approx(want, abs=1e-12)
        if y.min() == y.max() or not np.isfinite(s).all():
            continue
        fpr, tpr, _ = M.roc_curve(y, s)
        rf, rt = ref_roc(y, s)
        np.testing.assert_allclose(fpr, rf)
        np.testing.assert_allclose(tpr, rt)
        d = rf - (1.0 - rt)  # the EER on the piecewise-linear ROC: where FPR = FNR
        i = int(np.argmax(d >= 0))
        eer = (
            rf[i] if d[i] == 0 else rf[i - 1] + (rf[i] - rf[i - 1]) * -d[i - 1] / (d[i] - d[i - 1])
        )
        assert M.eer(y, s) == pytest.approx(eer, abs=1e-12)


def test_one_class_gives_an_undefined_figure_never_a_made_up_half() -> None:
    assert math.isnan(M.roc_auc([1, 1, 1], [0.2, 0.2, 0.2]))
    assert math.isnan(M.roc_auc([0, 0], [0.1, 0.9]))
    assert math.isnan(M.eer([1, 1], [0.1, 0.9]))
    assert M.balanced_accuracy([0, 0, 0], [0, 1, 1]) == pytest.approx(1 / 3)  # the recall present
    acc = M.MetricAccumulator()
    acc.add(1, 0.9, True, 0.5)
    acc.add(1, 0.4, False, 0.1)
    assert math.isnan(acc.summary()["image_auc"])


@pytest.mark.parametrize("seed", range(4))
def test_balanced_accuracy_is_the_mean_of_the_two_recalls(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y, p = rng.integers(0, 2, 50).astype(bool), rng.integers(0, 2, 50).astype(bool)
    want = ((p & y).sum() / y.sum() + (~p & ~y).sum() / (~y).sum()) / 2
    assert M.balanced_accuracy(y, p) == pytest.approx(want)


@pytest.mark.parametrize("seed", range(6))
def test_pixel_figures_equal_the_definitions(seed: int) -> None:
    rng = np.random.default_rng(seed)
    gt = rng.random((16, 16)) < rng.uniform(0.02, 0.6)
    gt[0, 0] = True
    heat = np.clip(gt * 0.3 + rng.random((16, 16)) * 0.7, 0, 1)
    if seed % 2:
        heat = np.round(heat * 4) / 4  # many ties, some exactly at the threshold 0.5
    for t in (0.25, 0.5, 0.75):
        f1, iou = ref_f1_iou(heat > t, gt, 0.0)
        ps = M.pixel_scores(heat, gt, threshold=t)
        assert ps is not None
        assert (ps.f1, ps.iou) == (pytest.approx(f1), pytest.approx(iou))
        assert ps.auc == pytest.approx(ref_auc(gt.ravel(), heat.ravel()))
    best = max(ref_f1_iou(heat >= t, gt, 0.0)[0] for t in np.unique(heat))
    assert M.best_f1(heat, gt) == pytest.approx(best)


def test_empty_masks_follow_the_stated_convention() -> None:
    empty = np.zeros((4, 4), bool)
    flagged = empty.copy()
    flagged[1, 1] = True
    for both_empty in (0.0, 1.0):
        assert M.f1_iou(empty, empty, both_empty) == ref_f1_iou(empty, empty, both_empty)
        assert M.f1_iou(flagged, empty, both_empty) == (0.0, 0.0)
    # the trainer's pixel means leave a tampered image with an empty mask out, and count it
    acc = M.MetricAccumulator()
    assert acc.add(1, 0.9, True, 0.1, np.zeros((4, 4)), empty) is None
    assert acc.summary()["empty_masks"] == 1 and "pixel_f1" not in acc.summary()


@pytest.mark.parametrize("seed", range(3))
def test_pooled_8_bit_counts_equal_counting_the_8_bit_map(seed: int) -> None:
    """The ground-truth mode's counts and pooled AUC: the map at 8 bits (level / 255, as a
    scan's PNG reads back), a pixel flagged when strictly above the threshold."""
    rng = np.random.default_rng(seed)
    hist = LevelHistogram.empty()
    maps, truths = [], []
    for _ in range(3):
        heat = rng.random((12, 9)).astype(np.float32)
        heat[0, :4] = [0.2, 0.4, 0.5, 0.6]  # values exactly on the thresholds below
        gt = rng.random((12, 9)) < 0.3
        hist.add(heat, gt)
        maps.append(levels(heat).astype(np.float32) / np.float32(255))
        truths.append(gt)
    eight_bit, truth = np.concatenate([m.ravel() for m in maps]), np.concatenate(truths)
    for t in (0.2, 0.35, 0.4, 0.45, 0.5, 0.6):
        assert hist.counts_above(t) == pixel_counts(eight_bit > t, truth.ravel())
    assert hist.auc() == pytest.approx(ref_auc(truth.ravel(), eight_bit))


def test_a_score_exactly_at_theta_is_not_flagged_anywhere() -> None:
    theta = 0.6
    assert flagged_counts([0.6, 0.6000001, 0.59], theta) == [1, 3]
    assert threshold_for_false_alarms([0.1, 0.6, 0.3], 0.0) == 0.6  # the top stays unflagged
    assert flagged_counts([0.1, 0.6, 0.3], 0.6) == [0, 3]


def test_reliability_bins_hold_their_lower_edge_and_the_last_holds_1() -> None:
    p = np.array([0.0, 0.2, 0.4, 0.6, 0.8, 1.0, np.nextafter(0.2, 0)])
    rows = reliability_bins(p, np.zeros(p.size))
    edges = {(lo, hi): n for lo, hi, _, _, n in rows}
    assert edges == {(0.0, 0.2): 2, (0.2, 0.4): 1, (0.4, 0.6): 1, (0.6, 0.8): 1, (0.8, 1.0): 2}


@pytest.mark.slow
def test_bootstrap_interval_is_reproducible_and_holds_the_estimate() -> None:
    rng = np.random.default_rng(7)
    for _ in range(10):
        y = np.r_[np.zeros(15, int), np.ones(12, int)]
        s = np.round(rng.random(27) + 0.3 * y, 1)
        a = auc_interval(y, s, seed=3)
        assert a == auc_interval(y, s, seed=3)
        assert a[0] == pytest.approx(ref_auc(y, s))
        assert a[1] <= a[0] <= a[2]


@pytest.mark.parametrize("gap", [0.5, 10.0, 1e4])
def test_platt_on_separable_data_stays_finite_at_its_optimum(gap: float) -> None:
    """Separable data has no finite maximum-likelihood slope; the L2 term (weight only) gives
    one, and Newton's method must reach it: the penalised gradient is zero there."""
    x = np.r_[-gap - np.arange(10.0), gap + np.arange(10.0)]
    y = np.r_[np.zeros(10), np.ones(10)]
    cal = fit_platt(x, y)
    assert math.isfinite(cal.a) and math.isfinite(cal.b) and cal.a > 0
    p = sigmoid(cal.a * x + cal.b)
    grad_a = float(((p - y) * x).sum() + 1e-3 * x.size * cal.a)
    assert abs(grad_a) < 1e-6 * max(1.0, gap) and abs(float((p - y).sum())) < 1e-6


def test_an_interval_over_one_class_is_refused_in_words() -> None:
    from trainer.errors import UsageError

    with pytest.raises(UsageError, match="tampered and authentic"):
        auc_interval(np.ones(5, int), np.linspace(0, 1, 5))
