"""The image AUC's bootstrap interval and the rates at θ, as ``eval``, ``calibrate`` and
``scan --gt`` give them (fine-tune walk-through, 2026-12-06: an image AUC of 0.7857 on 7 tampered
and 2 authentic images stood alone, and at θ only the accuracy was given)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.metrics import auc_interval, auc_interval_words, flagged_words, roc_auc


def test_the_interval_holds_the_auc_and_narrows_with_more_images() -> None:
    rng = np.random.default_rng(0)

    def width(n: int) -> float:
        y = np.r_[np.zeros(n), np.ones(n)].astype(bool)
        s = np.r_[rng.normal(0, 1, n), rng.normal(1, 1, n)]
        auc, lo, hi = auc_interval(y, s)
        assert auc == roc_auc(y, s) and lo <= auc <= hi
        return hi - lo

    assert width(200) < width(10)


def test_images_of_one_class_have_no_interval() -> None:
    with pytest.raises(ValueError, match="3 images of one class"):
        auc_interval(np.ones(3, bool), np.zeros(3))


def test_too_few_images_are_said_instead_of_an_interval() -> None:
    y = np.r_[np.ones(7), np.zeros(2)]
    interval, words = auc_interval_words(y, np.arange(9.0))
    assert interval is None
    assert words == "too few images for an interval: 7 tampered, 2 authentic, 5 of each needed"
    interval, words = auc_interval_words(np.r_[np.zeros(5), np.ones(5)], np.arange(10.0))
    assert interval == [1.0, 1.0] and words == "95 % bootstrap interval 1.000-1.000"


def test_the_rates_at_theta_come_with_their_counts() -> None:
    y = np.r_[np.zeros(20), np.ones(30)].astype(bool)
    flagged = np.zeros(50, bool)
    flagged[:2] = True  # 2 authentic
    flagged[20:29] = True  # 9 tampered
    assert flagged_words(y, flagged) == (
        "flags 2 of 20 authentic (false-alarm rate 0.100), 9 of 30 tampered (detection rate 0.300)"
    )
    assert flagged_words(np.ones(2, bool), [True, False]).startswith("flags no authentic image")
