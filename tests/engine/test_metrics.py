"""engine.metrics against cases computed by hand (ties, empty and all-positive masks)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.metrics import (
    LevelHistogram,
    PixelCounts,
    auc_from_counts,
    balanced_accuracy,
    f1_iou,
    levels,
    pixel_counts,
    roc_auc,
    two_class_balanced_accuracy,
)


def test_auc_perfect_inverted_and_ties_count_half() -> None:
    assert roc_auc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert roc_auc([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1]) == 0.0
    # every pair tied: half each
    assert roc_auc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]) == 0.5
    # pairs (pos, neg): (0.4 vs 0.1) win, (0.4 vs 0.4) tie, (0.9 vs 0.1) win, (0.9 vs 0.4) win
    assert roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.4, 0.9]) == pytest.approx(3.5 / 4)


def test_auc_one_class_is_nan_not_half() -> None:
    assert math.isnan(roc_auc([1, 1, 1], [0.1, 0.5, 0.9]))
    assert math.isnan(roc_auc([0, 0], [0.1, 0.5]))


def test_auc_refuses_a_nan_score_rather_than_rank_it_first() -> None:
    # numpy.unique sorts NaN above every score: this read 1.0, the NaN positive ranked first
    with pytest.raises(ValueError, match="NaN"):
        roc_auc([0, 1, 0, 1], [0.1, float("nan"), 0.2, 0.3])


def test_auc_from_counts_equals_auc_of_the_scores() -> None:
    rng = np.random.default_rng(0)
    y = rng.random(500) < 0.3
    s = rng.integers(0, 10, 500)  # many ties
    pos = np.bincount(s[y], minlength=10)
    neg = np.bincount(s[~y], minlength=10)
    assert auc_from_counts(pos, neg) == pytest.approx(roc_auc(y, s))


def test_auc_matches_scikit_learn() -> None:
    sklearn = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(1)
    y = rng.random(300) < 0.4
    s = np.round(rng.random(300) + 0.3 * y, 1)
    assert roc_auc(y, s) == pytest.approx(sklearn.roc_auc_score(y, s))


def test_f1_iou_by_hand() -> None:
    pred = np.array([[1, 1, 0], [0, 0, 0]], bool)
    gt = np.array([[1, 0, 0], [1, 0, 0]], bool)
    # TP 1, FP 1, FN 1: F1 = 2 / 4, IoU = 1 / 3
    assert pixel_counts(pred, gt) == PixelCounts(tp=1, fp=1, fn=1, tn=3)
    f1, iou = f1_iou(pred, gt)
    assert f1 == pytest.approx(0.5)
    assert iou == pytest.approx(1 / 3)


def test_empty_truth_authentic() -> None:
    gt = np.zeros((4, 4), bool)
    flagged = np.zeros((4, 4), bool)
    flagged[0, 0] = True
    # any flagged pixel on an authentic image: F1 0 whatever the convention
    assert f1_iou(flagged, gt, both_empty=1.0) == (0.0, 0.0)
    # nothing flagged: 0/0, decided by the convention
    assert f1_iou(gt, gt) == (0.0, 0.0)
    assert f1_iou(gt, gt, both_empty=1.0) == (1.0, 1.0)


def test_all_positive_truth() -> None:
    gt = np.ones((2, 5), bool)
    pred = np.zeros((2, 5), bool)
    pred[0] = True  # 5 of 10 found, no false positive possible
    f1, iou = f1_iou(pred, gt)
    assert f1 == pytest.approx(2 * 5 / (2 * 5 + 5))
    assert iou == pytest.approx(0.5)
    assert math.isnan(roc_auc(gt, np.linspace(0, 1, 10)))  # one class: undefined


def test_pooled_counts_differ_from_the_per_image_mean() -> None:
    a = PixelCounts(tp=1, fp=0, fn=0)  # F1 1
    b = PixelCounts(tp=0, fp=0, fn=9)  # F1 0
    assert (a.f1() + b.f1()) / 2 == 0.5
    assert (a + b).f1() == pytest.approx(2 / 11)


def test_balanced_accuracy() -> None:
    y = [0, 0, 0, 0, 1, 1]
    p = [0, 0, 0, 1, 1, 0]
    assert balanced_accuracy(y, p) == pytest.approx((3 / 4 + 1 / 2) / 2)
    assert balanced_accuracy([0, 0], [0, 1]) == 0.5  # one class: its recall
    assert math.isnan(balanced_accuracy([], []))


def test_the_reported_balanced_accuracy_is_undefined_with_one_class() -> None:
    """``eval`` printed image_bacc 1.0000 on five authentic images all called authentic, and
    ``calibrate`` "bal.acc 1.000" beside "image AUC nan", where ``scan --gt`` says
    "balanced accuracy undefined": one class's recall is no balanced figure."""
    y, p = [0, 0, 0, 0, 1, 1], [0, 0, 0, 1, 1, 0]
    assert two_class_balanced_accuracy(y, p) == balanced_accuracy(y, p)
    assert math.isnan(two_class_balanced_accuracy([0] * 5, [0] * 5))
    assert math.isnan(two_class_balanced_accuracy([1, 1], [1, 0]))
    assert math.isnan(two_class_balanced_accuracy([], []))


def test_level_histogram_pools_images_exactly() -> None:
    h1 = np.array([[0.0, 1.0]], np.float32)
    g1 = np.array([[False, True]])
    h2 = np.array([[200 / 255, 100 / 255, 100 / 255]], np.float32)
    g2 = np.array([[False, True, False]])
    hist = LevelHistogram.empty()
    hist.add(h1, g1)
    hist.add(h2, g2)
    both_h = np.r_[h1.ravel(), h2.ravel()]
    both_g = np.r_[g1.ravel(), g2.ravel()]
    assert hist.auc() == pytest.approx(roc_auc(both_g, both_h))
    # positives 1.0 and 100/255 against negatives 0, 200/255, 100/255: 3 + (1 + 0.5) of 6
    assert hist.auc() == pytest.approx(4.5 / 6)


def test_counts_above_a_threshold_equal_counting_the_thresholded_map() -> None:
    rng = np.random.default_rng(2)
    heat = rng.random((40, 50)).astype(np.float32)
    heat[0, :5] = [0.5, 127.5 / 255, 128 / 255, 0.0, 1.0]  # on and around the level edges
    gt = rng.random((40, 50)) < 0.3
    hist = LevelHistogram.empty()
    hist.add(heat, gt)
    lv = levels(heat)
    for t in (0.0, 0.1, 0.5, 127 / 255, 0.999, 1.0):
        assert hist.counts_above(t) == pixel_counts(lv > t * 255, gt)
    # the 8-bit levels are those a scan writes: round(255 p) in float32, except that a value
    # at 0.5 (not above it) stays at or below it: round-half-to-even put it on 128 > 0.5
    assert lv[0, :5].tolist() == [127, 127, 128, 0, 255]


def test_levels_move_no_pixel_across_the_thresholds_kept() -> None:
    """A mask drawn from the 8-bit map at a kept threshold is the float map's mask: exact 0.5
    values and those within half a level of 0.35 changed side under plain rounding (the
    ground-truth figures were scored on a mask 4 % to 9 % larger than the one drawn)."""
    from engine.metrics import LEVEL_VALUES

    rng = np.random.default_rng(3)
    near = np.float32(0.35) + rng.uniform(-1 / 255, 1 / 255, 4000).astype(np.float32)
    heat = np.r_[near, np.full(50, 0.5, np.float32), rng.random(4000).astype(np.float32)]
    heat = np.r_[heat, np.float32(0.35), np.nextafter(np.float32(0.35), np.float32(1))]
    lv = levels(heat, keep=(0.35, 0.5))
    for t in (0.35, 0.5):
        assert np.array_equal(LEVEL_VALUES[lv] > t, heat > np.float32(t))
    plain = np.rint(heat * np.float32(255)).astype(np.uint8)
    assert (LEVEL_VALUES[plain] > 0.35).sum() != (heat > np.float32(0.35)).sum()  # it did move
    assert np.abs(lv.astype(int) - plain).max() <= 1  # and nothing moves further than a level
