"""Calibrated confidence (engine.calibration) and size-invariant image logits (engine.decision)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.calibration import (
    Calibration,
    Reliability,
    centred_in_gap,
    fit_logistic,
    fit_platt,
    platt_refusal,
    reliability_bins,
    reliability_sentence,
    threshold_for_false_alarms,
)
from engine.decision import aggregate_logits, statistic


def test_platt_recovers_a_known_logistic_curve() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(0.0, 2.0, 20000)
    y = (rng.random(x.size) < 1 / (1 + np.exp(-(1.5 * x - 0.5)))).astype(int)
    cal = fit_platt(x, y)
    assert cal.a == pytest.approx(1.5, abs=0.08) and cal.b == pytest.approx(-0.5, abs=0.08)
    assert cal.probability(0.5 / 1.5) == pytest.approx(0.5, abs=0.02)


@pytest.mark.parametrize("l2", [1e-3, 1e-2, 0.1])
def test_logistic_fit_is_scikit_learns_with_the_same_penalty(l2: float) -> None:
    """Newton's method on sum(log loss) + l2 N |w|^2 / 2, bias free: scikit-learn's
    LogisticRegression with C = 1 / (l2 N), which leaves the intercept unpenalised too."""
    linear_model = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(3)
    x = rng.normal(size=(150, 3))
    y = (x @ np.array([1.0, -2.0, 0.5]) + rng.normal(size=150) > 0.3).astype(int)
    w, b = fit_logistic(x, y, l2=l2)
    ref = linear_model.LogisticRegression(C=1 / (l2 * 150), tol=1e-12, max_iter=10000).fit(x, y)
    assert w == pytest.approx(ref.coef_[0], abs=1e-5) and b == pytest.approx(
        ref.intercept_[0], abs=1e-5
    )


def test_logistic_needs_both_classes_and_matching_shapes() -> None:
    with pytest.raises(ValueError, match="both classes"):
        fit_logistic([[0.0], [1.0]], [1, 1])
    with pytest.raises(ValueError, match="matching"):
        fit_logistic([[0.0], [1.0]], [1])


def test_false_alarm_threshold_flags_at_most_the_allowed_share() -> None:
    scores = np.linspace(0.0, 1.0, 40)
    theta = threshold_for_false_alarms(scores, 0.05)  # 2 of 40 may stay above
    assert (scores > theta).sum() == 2
    assert threshold_for_false_alarms([0.2, 0.9], 0.05) == 0.9  # none may: the largest stays
    with pytest.raises(ValueError):
        threshold_for_false_alarms([], 0.05)


def test_a_threshold_is_moved_into_the_gap_above_it() -> None:
    theta = threshold_for_false_alarms([0.1, 0.5, 0.9], 0.0)
    assert theta == 0.9  # on the highest authentic score itself
    moved = centred_in_gap(theta, [0.1, 0.5, 0.9, 0.99])
    assert np.log(moved / (1 - moved)) == pytest.approx((np.log(9) + np.log(99)) / 2)
    assert 0.9 < moved < 0.99
    assert centred_in_gap(0.9, [0.1, 0.9]) == 0.9  # nothing above: unchanged
    assert centred_in_gap(0.0, [0.5]) == 0.0  # "flag everything" stays so


def test_reliability_sentence_bins_and_round_trip() -> None:
    rel = Reliability(
        flagged={"authentic camera photographs": [1, 26], "tampered CASIA images": [40, 65]},
        bins=reliability_bins([0.1, 0.15, 0.9, 0.95], [0, 0, 1, 0]),
        split="test part",
    )
    text = rel.sentence()
    assert text.startswith(
        "Measured at this threshold (test part). False alarms: 1 of 26 authentic camera"
    )
    assert "Manipulated images flagged: 40 of 65 manipulated CASIA images (62 %)" in text
    assert [row[4] for row in rel.bins] == [2, 2] and rel.bins[1][3] == 0.5
    cal = Calibration(a=2.0, b=-1.0, fitted_on="v", reliability=rel)
    again = Calibration.from_dict(cal.to_dict())
    assert again is not None and again.reliability.sentence() == text
    assert again.probability(0.5) == pytest.approx(0.5)


@pytest.mark.parametrize("bins", [5, 10, 3])
def test_a_probability_on_a_bin_edge_is_in_the_bin_it_starts(bins: int) -> None:
    edges = [i / bins for i in range(bins)]
    rows = reliability_bins(edges, [0] * bins, bins)
    assert [row[0] for row in rows] == edges  # one bin per edge, each holding its lower edge
    assert all(row[2] == row[0] and row[4] == 1 for row in rows)
    assert reliability_bins([1.0], [1], bins)[0][:2] == [(bins - 1) / bins, 1.0]


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {"a": "x", "b": 0},
        {"a": float("nan"), "b": 0},
        {"a": 1, "b": 0, "method": "iso"},
        {"a": 0.0, "b": 0.2, "fitted_on": "flat"},  # one p for every image: no calibration
    ],
)
def test_unusable_calibrations_read_as_none(data: object) -> None:
    assert Calibration.from_dict(data) is None  # type: ignore[arg-type]


def test_a_score_that_does_not_rank_at_all_is_not_calibrated() -> None:
    """AUC exactly 0.5 (one score for every image) ranks nothing: no curve, as below 0.5."""
    why = platt_refusal([0.3] * 10, [0] * 5 + [1] * 5)
    assert why == (
        "on the 10 validation images the score does not rank tampered above authentic (AUC 0.50)"
    )


def test_a_count_exactly_at_the_target_is_not_said_to_miss_it() -> None:
    """θ flags at most the target share: 1 of 20 at a 5 % target keeps it, 2 of 20 misses."""
    stored = {
        "flagged": {"authentic camera photographs": [1, 20]},
        "with_face_rule": {"authentic camera photographs": [1, 20]},
        "target": 0.05,
    }
    kept = reliability_sentence({"reliability": stored})
    assert "1 of 20 authentic" in kept and "This target was met here" in kept
    assert "not met" not in kept
    stored["with_face_rule"] = {"authentic camera photographs": [2, 20]}
    missed = reliability_sentence({"reliability": stored})
    assert "at most 5 % of the validation half's camera photographs. This target was not met " in (
        missed
    )
    assert "not met here: 2 of 20 flagged" in missed and "missed" not in missed


def test_a_curve_that_runs_backwards_gives_no_probability_but_keeps_its_measured_reliability() -> (
    None
):
    """What θ flags on the test part was counted on verdicts, not read off the curve: a model
    whose stored slope is negative says "not calibrated" and still how often θ flags."""
    stored = {
        "a": -0.457,
        "b": 0.1,
        "fitted_on": "113 validation images",
        "reliability": {"flagged": {"authentic camera photographs": [3, 30]}, "split": "test part"},
    }
    assert Calibration.from_dict(stored) is None
    assert reliability_sentence(stored) == (
        "Measured at this threshold (test part). False alarms: 3 of 30 authentic camera photographs (10 %)"
    )
    assert reliability_sentence(None) == reliability_sentence({"a": 1, "b": 0}) == ""


def test_the_bundled_model_at_chance_still_says_what_its_threshold_flags() -> None:
    from engine.catalog import bundled_checkpoint_files
    from engine.checkpoints import read_meta

    (path,) = [p for p in bundled_checkpoint_files() if p.name == "m2f-swin-nano.safetensors"]
    meta = read_meta(path)
    assert Calibration.from_dict(meta.decision.calibration) is None  # its curve runs backwards
    assert "3 of 30 " in reliability_sentence(meta.decision.calibration)


def test_mean_aggregate_does_not_grow_with_the_number_of_windows() -> None:
    """The maximum of n draws from one authentic distribution rises with n; the mean does not:
    the reason the bundled logit-rule networks now aggregate by the mean (issue 17)."""
    rng = np.random.default_rng(1)
    small = rng.normal(-1.0, 1.0, 4)
    large = rng.normal(-1.0, 1.0, 165)  # a 12 MP photograph in 256-px windows
    assert aggregate_logits(large, "max") > aggregate_logits(small, "max") + 1.0
    assert abs(aggregate_logits(large, "mean") - aggregate_logits(small, "mean")) < 0.6
    with pytest.raises(ValueError):
        aggregate_logits(large, "median")


def test_statistic_is_the_logit_or_the_forged_fractions_logit() -> None:
    assert statistic("logit", 0.9, -0.25) == -0.25
    assert statistic("forged_fraction", 0.5, None) == pytest.approx(0.0)
    assert np.isfinite(statistic("forged_fraction", 0.0, None))  # clipped, not -inf
    with pytest.raises(ValueError):
        statistic("logit", 0.1, None)
