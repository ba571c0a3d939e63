"""A probability calibration never runs backwards, nor stands on a handful of images.

Found by an ML engineer's walk-through (2026-12-05): ``calibrate`` on six validation images
(image AUC 0.125) stored a Platt curve of slope -1.05, and ``forensic-viewer analyze`` showed a
tampered image as "authentic, p 0.99 (calibrated)". The training review then showed θ twice
("θ = 0.41392 (θ = 0.4139: ...)") and no word on the AUC or on how few images chose θ.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.calibration import Calibration, platt_refusal, reliability_sentence
from engine.checkpoints import load_checkpoint, read_meta, save_checkpoint
from engine.io import load_evidence
from engine.pipeline import Analyzer
from forensic_viewer.wording import confidence_words
from tests.trainer.conftest import TINY, forged, make_folder, save_mask, save_rgb, texture
from tests.trainer.test_cli import tiny_checkpoint
from tests.trainer.test_fine_tune_calibration import _starting_checkpoint
from trainer import cli
from trainer.calibrate import validation_calibration
from trainer.evaluate import ImageRecord
from trainer.review import review_checkpoint
from trainer.setup import build_model

pytestmark = pytest.mark.usefixtures("seeded_single_thread")


def _records(tampered: list[float], authentic: list[float]) -> list[ImageRecord]:
    """Validation records whose forged fraction (and its statistic) are the given values."""
    out = []
    for label, values in ((1, tampered), (0, authentic)):
        for i, v in enumerate(values):
            stat = float(np.log(v / (1 - v)))
            out.append(ImageRecord(f"{label}-{i}.png", label, v, "", v, None, stat))
    return out


def test_a_backwards_score_gets_no_calibration_and_says_why() -> None:
    # 2 of the 36 (tampered, authentic) pairs ranked right: AUC 0.06
    backwards = _records([0.02, 0.03, 0.04, 0.05, 0.3, 0.06], [0.2, 0.25, 0.35, 0.4, 0.45, 0.5])
    calibration, why = validation_calibration(backwards, "forged_fraction", 0.1)
    assert why == (
        "on the 12 validation images the score does not rank tampered above authentic (AUC 0.06)"
    )
    # no curve, but the reason and the counts at θ where verdict and face-model keep them
    # (refused_calibration), so the analyses still say what θ flags
    assert Calibration.from_dict(calibration) is None and "a" not in calibration
    assert calibration["no_calibration"] == why
    assert calibration["fitted_on"].startswith("12 validation images of the run's split")
    assert calibration["reliability"]["flagged"] == {
        "authentic validation images": [6, 6],
        "tampered validation images": [1, 6],
    }
    assert reliability_sentence(calibration).startswith(
        "Measured at this threshold (the validation images that chose it, not held out). "
        "False alarms: 6 of 6 authentic validation images (100 %)"
    )


def test_too_few_validation_images_get_no_calibration() -> None:
    few = _records([0.3, 0.4, 0.5, 0.6], [0.01, 0.02])  # the walk-through's 4 and 2
    calibration, why = validation_calibration(few, "forged_fraction", 0.1)
    assert "a" not in calibration and calibration["no_calibration"] == why
    assert calibration["reliability"]["flagged"]["tampered validation images"] == [4, 4]
    assert why == (
        "on the 6 validation images (4 tampered, 2 authentic) there are too few to calibrate "
        "(at least 5 of each class)"
    )
    assert platt_refusal([0.1] * 10, [1, 0] * 5, min_per_class=6).startswith("on the 10")


def test_a_score_that_ranks_right_is_calibrated_upwards() -> None:
    good = _records([0.2, 0.3, 0.05, 0.5, 0.6], [0.01, 0.02, 0.1, 0.03, 0.04])
    calibration, why = validation_calibration(good, "forged_fraction", 0.1)
    assert why == "" and calibration["a"] > 0 and "no_calibration" not in calibration
    assert calibration["reliability"]["flagged"] == {
        "authentic validation images": [0, 5],
        "tampered validation images": [4, 5],
    }


def test_one_class_of_validation_images_keeps_its_counts_at_theta() -> None:
    only_tampered = _records([0.2, 0.3, 0.05], [])
    calibration, why = validation_calibration(only_tampered, "forged_fraction", 0.1)
    assert why.startswith("the validation split has one class only")
    assert calibration["no_calibration"] == why and "a" not in calibration
    assert calibration["reliability"]["flagged"]["tampered validation images"] == [2, 3]


def test_the_viewer_shows_a_stored_backwards_calibration_as_not_calibrated(tmp_path: Path) -> None:
    """The engineer's cal.safetensors (written before the fix) is read as uncalibrated."""
    assert Calibration.from_dict({"a": -1.0477, "b": 0.3}) is None
    assert Calibration.from_dict({"a": 1.0477, "b": 0.3}) is not None
    path = tiny_checkpoint(tmp_path / "backwards.safetensors")
    meta = read_meta(path)
    meta.decision.calibration = {"a": -1.0477, "b": 0.3, "fitted_on": "6 validation images"}
    model, _ = build_model("crfd-net-compact", dict(TINY), seed=0)
    save_checkpoint(path, model, meta)
    image = make_folder(tmp_path / "d", 1, 0, seed=0, size=48) / "Tp" / "t000.png"
    loaded = load_checkpoint(path, device="cpu")
    result = Analyzer([loaded], device="cpu").analyze(load_evidence(image)).results[loaded.name]
    assert result.probability is None
    assert confidence_words(result.probability, result.score).endswith("no calibration)")
    # and `forensic-viewer models NAME` on it does not call it calibrated either
    from forensic_viewer.cli_models import _header_summary

    summary = _header_summary(path, read_meta(path))
    assert "probability calibrated on" not in summary
    assert "probability: not calibrated (its stored calibration is unusable)" in summary


def _backwards_folder(root: Path, n: int) -> Path:
    """Validation data on which a network that learnt the resampling artefact runs backwards:
    the artefact is in the authentic images, the tampered ones are plain texture."""
    rng = np.random.default_rng(5)
    for i in range(n):
        img, mask = forged(rng, 48)
        save_rgb(root / "Au" / f"a{i:03d}.png", img)
        save_rgb(root / "Tp" / f"t{i:03d}.png", texture(rng, 48))
        save_mask(root / "Gt" / f"t{i:03d}.png", mask)
    return root


def test_calibrate_refuses_a_backwards_curve_and_the_review_warns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    learner = _starting_checkpoint(
        tmp_path / "m.safetensors", make_folder(tmp_path / "learn", 24, 6, seed=0)
    )
    train = make_folder(tmp_path / "train", 2, 5, seed=1, size=48)
    val = _backwards_folder(tmp_path / "val", 6)
    out = tmp_path / "cal.safetensors"
    argv = ["calibrate", "--model", str(learner), "--data", str(train), "--val-data", str(val)]
    capsys.readouterr()
    assert cli.main([*argv, "--out", str(out), "--threads", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    (said,) = [ln for ln in lines if ln.startswith("no probability calibration")]
    assert said.startswith(
        "no probability calibration: on the 12 validation images the score does not rank "
        "tampered above authentic (AUC 0."
    )
    rule = read_meta(out).decision
    assert Calibration.from_dict(rule.calibration) is None
    assert rule.calibration["no_calibration"] in said and "no_calibration" not in rule.details
    assert reliability_sentence(rule.calibration).startswith("Measured at this threshold")
    auc = rule.details["validation_auc"]
    assert auc < 0.5

    review = review_checkpoint(out).text()
    assert review.count("θ =") == 1  # said once: the provenance starts with it
    assert "θ chosen on 6 tampered / 6 authentic validation images" in review
    assert f"warning: validation image AUC {auc:.2f} (below 0.5)" in review
    assert "warning: no probability calibration: on the 12 validation images" in review


@pytest.mark.parametrize("kept_in", ["calibration", "details"])
def test_the_review_says_why_wherever_the_reason_was_kept(tmp_path: Path, kept_in: str) -> None:
    """A refused ``face-model`` or ``verdict`` run keeps the reason in the calibration's place
    (``refused_calibration``), as ``calibrate`` now does; the review read only ``details``, where
    ``calibrate`` kept it in files written before, which it still reads."""
    path = tiny_checkpoint(tmp_path / "refused.safetensors")
    meta = read_meta(path)
    why = "on the 8 validation faces (6 forged, 2 authentic) there are too few to calibrate"
    if kept_in == "calibration":
        meta.decision.calibration = {"fitted_on": "8 validation faces", "no_calibration": why}
    else:
        meta.decision.details = {**meta.decision.details, "no_calibration": why}
    model, _ = build_model("crfd-net-compact", dict(TINY), seed=0)
    save_checkpoint(path, model, meta)
    assert f"warning: no probability calibration: {why}" in review_checkpoint(path).text()
