"""The one implementation of the detection and localization metrics (numpy only: no Qt, no torch).

Used by the ground-truth mode (:mod:`forensic_viewer.scan.groundtruth`: a mask dropped on an
image, ``scan --gt``), the trainer's evaluation (:mod:`trainer.metrics` re-exports these), the
verdict features and the self-test, so that one figure means the same thing everywhere.

Conventions, each stated where it applies:

- **ROC AUC** (:func:`roc_auc`, :func:`auc_from_counts`): the probability that a random positive
  scores above a random negative, ties counting half (the Mann-Whitney U statistic; equal to
  scikit-learn's ``roc_auc_score``). NaN when only one class is present: the figure is
  undefined then, not 0.5. A NaN score is refused (ValueError), as scikit-learn refuses it. Computed from the counts of positives and negatives at each distinct
  score, so the same function serves a list of image scores and the pooled histogram of the 8-bit
  levels of many heatmaps (:class:`LevelHistogram`), exactly.
- **F1 / IoU of two masks** (:func:`f1_iou`): ``2 TP / (2 TP + FP + FN)`` and
  ``TP / (TP + FP + FN)``. When both masks are empty the ratio is 0/0; ``both_empty`` says what
  it counts as (0.0, scikit-learn's ``zero_division=0``, by default; 1.0 for "a clean image
  called clean is a perfect answer", the verdict features' and self-test's convention). When
  only the truth is empty (an authentic image) any predicted pixel is a false positive and F1
  is 0.
- **Balanced accuracy** (:func:`balanced_accuracy`): the mean of the recalls of the classes
  present (scikit-learn's definition), so an all-authentic folder gives the specificity alone.
  Reported, it is :func:`two_class_balanced_accuracy`: NaN (undefined) unless both classes
  are present, as ``scan --gt`` says "undefined" (a folder of authentic images all called
  authentic read as balanced accuracy 1.0 in ``eval``, ``calibrate`` and ``fit``'s validation).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

LEVELS = 256  # heatmap levels of the pooled pixel AUC: the scans' 8-bit maps (round(255 p))


def auc_from_counts(positives: ArrayLike, negatives: ArrayLike) -> float:
    """ROC AUC from the number of positives and negatives at each distinct score, the scores in
    ascending order (index i holds the i-th lowest score). Ties count half; NaN when either
    class is absent."""
    pos = np.asarray(positives, dtype=np.float64).ravel()
    neg = np.asarray(negatives, dtype=np.float64).ravel()
    if pos.shape != neg.shape:
        raise ValueError(f"positives and negatives differ in length: {pos.size} vs {neg.size}")
    n_pos, n_neg = pos.sum(), neg.sum()
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    below = np.cumsum(neg) - neg  # negatives strictly below each score
    u = float((pos * (below + 0.5 * neg)).sum())
    return u / float(n_pos * n_neg)


def roc_auc(y_true: ArrayLike, scores: ArrayLike) -> float:
    """ROC AUC of ``scores`` for the boolean labels ``y_true`` (ties count half; NaN with one
    class only). Groups equal scores with :func:`numpy.unique`, then :func:`auc_from_counts`.
    A NaN score cannot be ranked: ValueError, as scikit-learn (``numpy.unique`` would sort it
    above every other score and rank its image first)."""
    y = np.asarray(y_true).astype(bool).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    if y.shape != s.shape:
        raise ValueError(f"labels and scores differ in length: {y.size} vs {s.size}")
    if np.isnan(s).any():
        raise ValueError(f"scores hold {int(np.isnan(s).sum())} NaN of {s.size}: no ROC AUC")
    _, level = np.unique(s, return_inverse=True)
    n = int(level.max()) + 1 if level.size else 0
    pos = np.bincount(level[y], minlength=n)
    neg = np.bincount(level[~y], minlength=n)
    return auc_from_counts(pos, neg)


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Share of equal labels; NaN for no labels."""
    y, p = np.asarray(y_true).astype(bool).ravel(), np.asarray(y_pred).astype(bool).ravel()
    return float((y == p).mean()) if y.size else float("nan")


def balanced_accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean of the recalls of the classes present (scikit-learn's definition); NaN for none."""
    y, p = np.asarray(y_true).astype(bool).ravel(), np.asarray(y_pred).astype(bool).ravel()
    recalls = [float((p[y == c] == c).mean()) for c in (False, True) if (y == c).any()]
    return float(np.mean(recalls)) if recalls else float("nan")


def two_class_balanced_accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """:func:`balanced_accuracy` when ``y_true`` holds both classes; NaN (undefined) otherwise:
    of one class it is that class's recall alone, which reads as a balanced figure it is not
    (the module docstring)."""
    y = np.asarray(y_true).astype(bool).ravel()
    if not (y.any() and not y.all()):
        return float("nan")
    return balanced_accuracy(y, y_pred)


# The image AUC's percentile-bootstrap interval (:func:`auc_interval`): resamples, and the
# fewest images of each class it is given for (below, one image swings the AUC by a large step
# and the interval says little: :func:`auc_interval_words` says "too few images" instead)
BOOTSTRAP = 2000
INTERVAL_MIN_PER_CLASS = 5


def auc_interval(
    labels: ArrayLike, scores: ArrayLike, seed: int = 0, rounds: int = BOOTSTRAP
) -> tuple[float, float, float]:
    """Image AUC and its percentile-bootstrap 95 % interval (resampling images ``rounds``
    times; a resample of one class, which has no AUC, is left out). Images of one class have no
    AUC and no interval: a ValueError saying so (``np.percentile`` of no value was an
    IndexError). Moved here from ``trainer.verdict`` so that ``eval``, ``calibrate`` and
    ``scan --gt`` give the interval ``verdict`` gives, by one computation."""
    y = np.asarray(labels).astype(bool).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    if y.size == 0 or y.all() or not y.any():
        classes = "no image" if y.size == 0 else f"{y.size} images of one class"
        raise ValueError(
            f"an image AUC needs tampered and authentic images, the part has {classes}"
        )
    auc = roc_auc(y, s)
    rng = np.random.default_rng(seed)
    values = []
    n = y.size
    for _ in range(rounds):
        idx = rng.integers(0, n, n)
        if y[idx].min() != y[idx].max():
            values.append(roc_auc(y[idx], s[idx]))
    lo, hi = np.percentile(values, [2.5, 97.5])
    return float(auc), float(lo), float(hi)


def auc_interval_words(labels: ArrayLike, scores: ArrayLike) -> tuple[list[float] | None, str]:
    """The image AUC's 95 % interval as recorded (``[lo, hi]``, None when there is none) and
    in words: "95 % bootstrap interval 0.612-0.903", or why there is none: fewer than
    ``INTERVAL_MIN_PER_CLASS`` images of a class ("too few images for an interval: 7 tampered,
    2 authentic, 5 of each needed"; an image AUC of 0.79 on 9 images had stood alone), or a
    score that cannot be ranked."""
    y = np.asarray(labels).astype(bool).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    tampered, authentic = int(y.sum()), int((~y).sum())
    if min(tampered, authentic) < INTERVAL_MIN_PER_CLASS:
        return None, (
            f"too few images for an interval: {tampered} tampered, {authentic} authentic, "
            f"{INTERVAL_MIN_PER_CLASS} of each needed"
        )
    if np.isnan(s).any():
        return None, "no interval: a score is not a number"
    _, lo, hi = auc_interval(y, s)
    return [lo, hi], f"95 % bootstrap interval {lo:.3f}-{hi:.3f}"


def flagged_words(labels: ArrayLike, flagged: ArrayLike) -> str:
    """What a θ flags, rates with their counts: "flags 2 of 20 authentic (false-alarm rate
    0.100), 9 of 30 tampered (detection rate 0.300)"; a class without images is said so."""
    y = np.asarray(labels).astype(bool).ravel()
    f = np.asarray(flagged).astype(bool).ravel()
    parts = []
    for cls, name, rate in ((False, "authentic", "false-alarm"), (True, "tampered", "detection")):
        n, k = int((y == cls).sum()), int((f & (y == cls)).sum())
        parts.append(f"{k} of {n} {name} ({rate} rate {k / n:.3f})" if n else f"no {name} image")
    return "flags " + ", ".join(parts)


@dataclass(frozen=True)
class PixelCounts:
    """The confusion counts of a predicted mask against the true one (pixels)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def __add__(self, other: PixelCounts) -> PixelCounts:
        return PixelCounts(
            self.tp + other.tp, self.fp + other.fp, self.fn + other.fn, self.tn + other.tn
        )

    def f1(self, both_empty: float = 0.0) -> float:
        """``2 TP / (2 TP + FP + FN)``; ``both_empty`` when there is no positive in either."""
        d = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / d if d else float(both_empty)

    def iou(self, both_empty: float = 0.0) -> float:
        """``TP / (TP + FP + FN)``; ``both_empty`` when there is no positive in either."""
        d = self.tp + self.fp + self.fn
        return self.tp / d if d else float(both_empty)


def pixel_counts(pred: ArrayLike, gt: ArrayLike) -> PixelCounts:
    """Confusion counts of the boolean masks ``pred`` and ``gt`` (same shape)."""
    p, g = np.asarray(pred).astype(bool), np.asarray(gt).astype(bool)
    if p.shape != g.shape:
        raise ValueError(f"prediction and truth differ in shape: {p.shape} vs {g.shape}")
    tp = int(np.count_nonzero(p & g))
    fp = int(np.count_nonzero(p)) - tp
    fn = int(np.count_nonzero(g)) - tp
    return PixelCounts(tp, fp, fn, int(g.size) - tp - fp - fn)


def f1_iou(pred: ArrayLike, gt: ArrayLike, both_empty: float = 0.0) -> tuple[float, float]:
    """F1 and IoU of two boolean masks (see the module doc for ``both_empty``)."""
    c = pixel_counts(np.asarray(pred).ravel(), np.asarray(gt).ravel())
    return c.f1(both_empty), c.iou(both_empty)


# each 8-bit level's value as a map file is read back (level / 255 in float32,
# ``forensic_viewer.scan.maps.read_heatmap_png``): what a mask drawn from it compares
LEVEL_VALUES = np.arange(LEVELS, dtype=np.float32) / np.float32(255.0)


def levels(heatmap: NDArray[np.floating], keep: Iterable[float] = (0.5,)) -> NDArray[np.uint8]:
    """``heatmap`` in [0, 1] as its 8-bit levels round(255 p), computed in float32: the one
    quantisation of the project's 8-bit maps (``forensic_viewer.scan.maps.heatmap_png``, which
    a scan's map files are encoded with, calls it), except that no pixel changes side of a
    threshold in ``keep``: a value above it (``p > t`` in float32, as a mask is drawn and a
    forged fraction counted) gets a level above it, a value at or below it a level at or below
    it (the nearest such level; a value moves at most 1/255). Plain rounding put the values
    exactly 0.5 (190 of a CASIA image's pixels with the int8 CRFD model) on 128/255 > 0.5, and
    those within 0.5/255 of a threshold such as 0.35 on its other side, so the map scored
    against a true mask was not the mask drawn. Two thresholds within one level of each
    other cannot both be kept; the later one wins."""
    h = np.asarray(heatmap, dtype=np.float32)
    lv = np.rint(np.clip(h, 0.0, 1.0) * np.float32(255.0)).astype(np.uint8)
    for t in keep:
        t32 = np.float32(t)
        above = LEVEL_VALUES > t32
        if above.all() or not above.any():
            continue  # every level on one side, as every value in [0, 1]
        first = np.uint8(np.argmax(above))  # the lowest level above t
        flagged = h > t32
        lv[flagged & (lv < first)] = first
        lv[~flagged & (lv >= first)] = first - 1
    return lv


@dataclass
class LevelHistogram:
    """Positive and negative pixels counted at each of the :data:`LEVELS` heatmap levels: the
    pooled pixel AUC of many images without keeping their pixels (exact for 8-bit maps; a float
    map is rounded to its 8-bit level first, as a scan stores it)."""

    positives: NDArray[np.int64]
    negatives: NDArray[np.int64]

    @classmethod
    def empty(cls) -> LevelHistogram:
        return cls(np.zeros(LEVELS, np.int64), np.zeros(LEVELS, np.int64))

    def add(
        self, heatmap: NDArray[np.floating], gt: NDArray[np.bool_], keep: Iterable[float] = (0.5,)
    ) -> None:
        """Count the pixels of ``heatmap`` (at its 8-bit levels, no pixel moved across a
        threshold in ``keep``: :func:`levels`) against ``gt``."""
        self.add_levels(levels(heatmap, keep), gt)

    def add_levels(self, lv: NDArray[np.uint8], gt: NDArray[np.bool_]) -> None:
        """Count 8-bit levels ``lv`` against ``gt`` (same shape): one bincount over
        level + 256 x truth, so a 4096 x 4096 map costs one pass."""
        g = np.asarray(gt).astype(bool)
        if lv.shape != g.shape:
            raise ValueError(f"levels and truth differ in shape: {lv.shape} vs {g.shape}")
        idx = lv.ravel().astype(np.uint16) | (g.ravel().astype(np.uint16) << 8)
        counts = np.bincount(idx, minlength=2 * LEVELS)
        self.negatives += counts[:LEVELS]
        self.positives += counts[LEVELS:]

    def counts_above(self, threshold: float) -> PixelCounts:
        """The confusion counts of "level / 255 > threshold" (how a mask layer flags a pixel),
        read off the histogram: identical to :func:`pixel_counts` on the thresholded map."""
        flagged = LEVEL_VALUES > np.float32(threshold)
        tp, fp = int(self.positives[flagged].sum()), int(self.negatives[flagged].sum())
        fn, tn = int(self.positives.sum()) - tp, int(self.negatives.sum()) - fp
        return PixelCounts(tp, fp, fn, tn)

    def auc(self) -> float:
        return auc_from_counts(self.positives, self.negatives)
