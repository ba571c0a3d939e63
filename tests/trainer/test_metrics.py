"""Every metric against scikit-learn on random and edge-case inputs."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from trainer import metrics as M

pytestmark = pytest.mark.usefixtures("seeded_single_thread")


def _sk_eer(y: np.ndarray, s: np.ndarray) -> float:
    fpr, tpr, _ = skm.roc_curve(y, s, drop_intermediate=False)
    fnr = 1 - tpr
    i = int(np.argmax(fpr - fnr >= 0))
    if i == 0 or fpr[i] == fnr[i]:
        return float(fpr[i])
    d0, d1 = fpr[i - 1] - fnr[i - 1], fpr[i] - fnr[i]
    t = -d0 / (d1 - d0)
    return float(fpr[i - 1] + t * (fpr[i] - fpr[i - 1]))


CASES = [
    ("random", lambda r: (r.integers(0, 2, 200), r.random(200))),
    ("ties", lambda r: (r.integers(0, 2, 300), r.integers(0, 4, 300) / 4.0)),
    ("constant", lambda r: (r.integers(0, 2, 50), np.full(50, 0.3))),
    ("perfect", lambda r: (np.r_[np.zeros(20), np.ones(20)], np.r_[np.zeros(20), np.ones(20)])),
    ("inverted", lambda r: (np.r_[np.zeros(20), np.ones(20)], np.r_[np.ones(20), np.zeros(20)])),
    ("imbalanced", lambda r: (np.r_[np.zeros(97), np.ones(3)], r.random(100))),
]


@pytest.mark.parametrize(("name", "make"), CASES, ids=[c[0] for c in CASES])
def test_image_metrics_match_sklearn(name: str, make) -> None:
    rng = np.random.default_rng(1)
    y, s = make(rng)
    y = np.asarray(y).astype(int)
    assert M.roc_auc(y, s) == pytest.approx(skm.roc_auc_score(y, s), abs=1e-12)
    fpr, tpr, _ = M.roc_curve(y, s)
    sk_fpr, sk_tpr, _ = skm.roc_curve(y, s, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr)
    np.testing.assert_allclose(tpr, sk_tpr)
    assert M.eer(y, s) == pytest.approx(_sk_eer(y, s), abs=1e-12)
    pred = np.asarray(s) > 0.5
    assert M.accuracy(y, pred) == pytest.approx(skm.accuracy_score(y, pred))
    assert M.balanced_accuracy(y, pred) == pytest.approx(skm.balanced_accuracy_score(y, pred))


def test_eer_known_values() -> None:
    assert M.eer([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 0.0
    assert M.eer([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1]) == 1.0
    assert M.eer([0, 1], [0.5, 0.5]) == pytest.approx(0.5)


def test_single_class_is_nan_not_a_number_made_up() -> None:
    assert np.isnan(M.roc_auc([1, 1, 1], [0.1, 0.2, 0.3]))
    assert np.isnan(M.eer([0, 0], [0.1, 0.2]))


@pytest.mark.parametrize("seed", range(5))
def test_pixel_f1_iou_best_f1_match_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    gt = rng.random((24, 24)) < rng.uniform(0.05, 0.6)
    heat = np.clip(gt * rng.uniform(0.0, 0.6) + rng.random((24, 24)) * 0.7, 0, 1)
    if seed == 3:
        heat = np.round(heat * 4) / 4  # many ties
    pred = heat > 0.5
    f1, iou = M.f1_iou(pred, gt)
    assert f1 == pytest.approx(skm.f1_score(gt.ravel(), pred.ravel(), zero_division=0))
    assert iou == pytest.approx(skm.jaccard_score(gt.ravel(), pred.ravel(), zero_division=0))
    p, r, _ = skm.precision_recall_curve(gt.ravel(), heat.ravel())
    sk_best = np.nanmax(np.where(p + r > 0, 2 * p * r / np.maximum(p + r, 1e-300), 0))
    assert M.best_f1(heat, gt) == pytest.approx(sk_best)
    ps = M.pixel_scores(heat, gt)
    assert ps is not None
    assert ps.auc == pytest.approx(skm.roc_auc_score(gt.ravel(), heat.ravel()))


def test_pixel_edge_cases() -> None:
    gt = np.zeros((8, 8), bool)
    assert M.pixel_scores(np.random.rand(8, 8), gt) is None  # all-zero mask: left out
    gt[2:4, 2:4] = True
    constant = M.pixel_scores(np.full((8, 8), 0.7), gt)
    assert constant is not None
    assert constant.auc == 0.5
    assert constant.f1 == pytest.approx(skm.f1_score(gt.ravel(), np.ones(64, bool)))
    empty_pred = M.pixel_scores(np.zeros((8, 8)), gt)
    assert empty_pred is not None and empty_pred.f1 == 0.0 and empty_pred.iou == 0.0


def test_inverted_variant_takes_the_better_of_map_and_inverse() -> None:
    gt = np.zeros((8, 8), bool)
    gt[:, :2] = True
    heat = np.where(gt, 0.0, 1.0)  # exactly wrong
    plain = M.pixel_scores(heat, gt)
    inv = M.pixel_scores(heat, gt, inverted=True)
    assert plain is not None and inv is not None
    assert plain.f1 == 0.0 and plain.auc == 0.0
    assert inv.f1 == 1.0 and inv.auc == 1.0 and inv.f1_best == 1.0


def test_accumulator_excludes_authentic_images_from_pixel_means() -> None:
    acc = M.MetricAccumulator()
    gt = np.zeros((4, 4), bool)
    gt[:2] = True
    acc.add(1, 0.9, True, 0.5, np.where(gt, 0.9, 0.1), gt)
    acc.add(1, 0.8, True, 0.5, np.where(gt, 0.1, 0.9), gt)
    acc.add(0, 0.1, False, 0.0, np.ones((4, 4)), np.zeros((4, 4), bool))  # would drag F1 down
    acc.add(1, 0.2, False, 0.0, np.zeros((4, 4)), np.zeros((4, 4), bool))  # empty mask
    s = acc.summary()
    assert s["pixel_f1"] == pytest.approx(0.5)
    assert s["pixel_images"] == 2 and s["empty_masks"] == 1
    assert s["image_acc"] == pytest.approx(0.75)
    assert set(M.summarize(s)) >= {"pixel_f1", "image_auc"}


def test_a_nan_score_leaves_the_ranking_figures_undefined_and_the_rest_measured() -> None:
    acc = M.MetricAccumulator()
    acc.add(1, 0.9, True, 0.5)
    acc.add(0, 0.1, False, 0.0)
    acc.add(1, float("nan"), False, 0.0)  # validation during training must not stop on it
    s = acc.summary()
    assert np.isnan(s["image_auc"]) and np.isnan(s["image_eer"])
    assert s["image_bacc"] == pytest.approx(0.75)


def test_image_bacc_of_one_class_is_undefined_as_scan_gt_says() -> None:
    """fit on tampered images only reported "image_bacc": 1.0 with 0 authentic; eval on five
    authentic images printed 1.0000. Undefined (NaN, null in fit's events, "undefined" in
    eval's table), as image_auc is."""
    authentic = M.MetricAccumulator()
    for _ in range(5):
        authentic.add(0, 0.1, False, 0.0)
    s = authentic.summary()
    assert np.isnan(s["image_bacc"]) and np.isnan(s["image_auc"]) and s["image_acc"] == 1.0
    tampered = M.MetricAccumulator()
    tampered.add(1, 0.9, True, 0.5)
    assert np.isnan(tampered.summary()["image_bacc"])
