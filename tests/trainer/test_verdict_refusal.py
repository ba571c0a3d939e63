"""`forensic-train verdict` stores no Platt curve that runs backwards (m2f-swin-nano's slope
-0.457 came from here): the calibration keeps the test part's counts at θ and says why."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from engine.calibration import Calibration, reliability_sentence
from tests.trainer.test_verdict import _row
from trainer.verdict import choose_ensemble, choose_model


@pytest.fixture
def rows() -> list[dict[str, Any]]:
    """The features rows of test_verdict with a member 'back' whose statistic ranks tampered
    images below authentic ones (the 'good' member's, negated)."""
    rng = np.random.default_rng(0)
    out = []
    for part in ("casia-val", "casia-test"):
        out += [_row(part, 0, rng) for _ in range(60)]
        out += [_row(part, 1, rng, kind) for _ in range(30) for kind in ("splice", "copy-move")]
    for part in ("camera-val", "camera-test"):
        out += [_row(part, 0, rng) for _ in range(40)]
    for r in out:
        good = r["models"]["good"]["windows"]
        r["models"]["back"] = {"rule": "logit", "windows": {k: -v for k, v in good.items()}}
    return out


def _assert_refused_with_counts(stored: dict[str, Any]) -> None:
    assert "a" not in stored and Calibration.from_dict(stored) is None
    assert "does not rank tampered above authentic" in stored["no_calibration"]
    assert stored["fitted_on"].startswith("160 validation images")
    flagged = stored["reliability"]["flagged"]
    assert flagged["authentic camera photographs"][1] == 40
    assert flagged["tampered CASIA images"][1] == 60
    assert stored["reliability"]["bins"] == []  # no curve, no diagram
    assert reliability_sentence(stored).startswith("Measured at this threshold (test part). ")


def test_a_backwards_member_gets_no_curve_and_keeps_its_counts(rows: list) -> None:
    back = choose_model(rows, "back", "logit")
    _assert_refused_with_counts(back["calibration"])
    good = choose_model(rows, "good", "logit")
    assert good["calibration"]["a"] > 0 and "no_calibration" not in good["calibration"]
    # as the bundled models' cards and verdict_cards name these images
    on = "160 validation images (CASIA validation part and the camera photographs' validation half)"
    assert good["calibration"]["fitted_on"] == back["calibration"]["fitted_on"] == on
    assert good["calibration"]["reliability"]["bins"]


def test_an_equation_6_ensemble_of_a_backwards_member_gets_no_curve(rows: list) -> None:
    choices = {"back": choose_model(rows, "back", "logit")}
    assert choices["back"]["at_chance"]  # no voter: equation 6 stays, θ set on its score
    data = {
        "members": [{"model": "back", "detection_weight": 1.0, "localization_weight": 1.0}],
        "threshold": 0.5,
        "pixel_threshold": 0.5,
    }
    content, _ = choose_ensemble(rows, data, choices, None, set())
    assert "stacking" not in content
    _assert_refused_with_counts(content["calibration"])


def test_models_says_why_a_verdict_written_checkpoint_has_no_probability(tmp_path) -> None:
    """``forensic-viewer models NAME`` on a checkpoint whose verdict stored no curve said "its
    stored calibration is unusable"; it says the reason stored with it."""
    from engine.checkpoints import read_meta, save_checkpoint
    from forensic_viewer.cli_models import _header_summary
    from tests.trainer.conftest import TINY
    from tests.trainer.test_cli import tiny_checkpoint
    from trainer.setup import build_model

    path = tiny_checkpoint(tmp_path / "refused.safetensors")
    meta = read_meta(path)
    why = "on the 160 validation images the score does not rank tampered above authentic (AUC 0.04)"
    meta.decision.calibration = {"fitted_on": "160 validation images", "no_calibration": why}
    model, _ = build_model("crfd-net-compact", dict(TINY), seed=0)
    save_checkpoint(path, model, meta)
    summary = _header_summary(path, read_meta(path))
    assert f"probability: not calibrated ({why})" in summary
    assert "unusable" not in summary and "probability calibrated on" not in summary
