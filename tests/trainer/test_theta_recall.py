"""A θ that flags no tampered validation image is said, loudly, before it is installed.

Found by an ML engineer's fine-tuning walk-through (2026-12-06): ``calibrate`` stored the
paper's midpoint θ = 0.4772, of recall 0 on the validation split (fake-min: balanced accuracy
0.833), said only by a note in the log; the training dialog's review offered Install without a
warning, and the installed model called almost every tampered image authentic.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.checkpoints import read_meta
from tests.trainer.conftest import make_folder
from tests.trainer.test_cli import tiny_checkpoint
from trainer import calibrate as calibrate_module
from trainer import cli
from trainer.calibrate import (
    at_theta_words,
    best_strategy,
    calibration_table,
    format_calibration,
)
from trainer.review import review_checkpoint, theta_warning

pytestmark = pytest.mark.usefixtures("seeded_single_thread")

# one noisy authentic training image (0.9) sets p_real_max: the midpoint 0.5 is above every
# tampered validation fraction, fake-min (0.1) flags 4 of 5 and one of 4 authentic
OVERLAPPING = ([0.01, 0.02, 0.03, 0.04, 0.9], [0.1, 0.2, 0.3, 0.35, 0.4], [0.02, 0.05, 0.08, 0.3])


def test_the_default_stores_the_strategy_of_the_best_balanced_accuracy() -> None:
    table = calibration_table(*OVERLAPPING)
    assert table["strategies"]["midpoint"]["recall"] == 0.0
    assert best_strategy(table) == "fake-min"
    # ties go to the paper's midpoint
    clean = calibration_table([0.0, 0.1], [0.5, 0.6], [0.05, 0.2])
    assert clean["strategies"]["midpoint"]["balanced_accuracy"] == 1.0
    assert best_strategy(clean) == "midpoint"
    # no authentic validation image: no balanced accuracy to compare, the midpoint
    assert best_strategy(calibration_table([0.0, 0.1], [0.5, 0.6], [])) == "midpoint"


def test_the_provenance_says_when_no_balanced_accuracy_chose_theta(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no authentic validation image every balanced accuracy is NaN and ``--choose best``
    falls back to the midpoint; the provenance said "the best validation balanced accuracy of
    Table 3's three" all the same (review of 2026-12-06)."""
    real = calibration_table
    no_authentic = (OVERLAPPING[0], OVERLAPPING[1], [])
    monkeypatch.setattr(calibrate_module, "calibration_table", lambda *_: real(*no_authentic))
    root = make_folder(tmp_path / "d", 12, 12, seed=5)
    src = tiny_checkpoint(tmp_path / "m.safetensors")
    dst = tmp_path / "cal.safetensors"
    argv = ["calibrate", "--model", str(src), "--data", str(root), "--out", str(dst),
            "--split-by", "seed", "--val-fraction", "0.5"]  # fmt: skip
    assert cli.main(argv) == 0
    meta = read_meta(dst)
    assert meta.decision.details["strategy"] == "midpoint"
    assert "best validation balanced accuracy" not in meta.decision.provenance
    assert meta.decision.provenance.endswith(
        "(the paper's midpoint: with no authentic validation image no balanced accuracy could "
        "choose among Table 3's three)"
    )


def test_the_rates_at_the_stored_theta_are_said_with_their_counts() -> None:
    table = calibration_table(*OVERLAPPING)
    assert at_theta_words(table, "fake-min") == (
        "at the stored θ = 0.1 (fake-min): flags 4 of 5 tampered validation images (detection "
        "rate 0.800) and 1 of 4 authentic (false-alarm rate 0.250)"
    )
    assert "flags 0 of 5 tampered" in at_theta_words(table, "midpoint")


def test_a_theta_of_recall_zero_gets_one_warning_naming_the_better_strategy() -> None:
    details = {**calibration_table(*OVERLAPPING), "strategy": "midpoint"}
    assert theta_warning(details) == (
        "the stored θ (midpoint) flags none of the 5 tampered validation images (recall 0): "
        "its verdicts would call forgeries authentic; fake-min reached balanced accuracy "
        "0.775 (calibrate --choose fake-min)"
    )
    assert theta_warning({**details, "strategy": "fake-min"}) == ""
    # without the counts: no "none of the the tampered" (review of 2026-12-06)
    uncounted = {k: v for k, v in details.items() if k != "counts"}
    assert theta_warning(uncounted).startswith(
        "the stored θ (midpoint) flags none of the tampered validation images (recall 0)"
    )
    assert theta_warning({}) == ""  # a θ of another command (verdict, face-model)
    # verdict keeps calibrate's details and adds evidence_size, storing a θ of its own: the
    # strategies' figures judge a θ no longer stored (review of 2026-12-06)
    assert theta_warning({**details, "evidence_size": {"objective": "accuracy"}}) == ""


def test_calibrate_prints_the_warning_and_the_review_shows_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the command: the midpoint asked for explicitly, on images where it flags no
    tampered one, prints the rates at θ and a ``warning:`` line (the training dialog keeps such
    lines in its warnings line), and the checkpoint's review warns before Install."""
    real = calibration_table
    monkeypatch.setattr(calibrate_module, "calibration_table", lambda *_: real(*OVERLAPPING))
    root = make_folder(tmp_path / "d", 12, 12, seed=5)
    src = tiny_checkpoint(tmp_path / "m.safetensors")
    dst = tmp_path / "cal.safetensors"
    argv = ["calibrate", "--model", str(src), "--data", str(root), "--out", str(dst),
            "--split-by", "seed", "--val-fraction", "0.5"]  # fmt: skip
    assert cli.main([*argv, "--choose", "midpoint"]) == 0
    out = capsys.readouterr().out
    assert "at the stored θ = 0.5 (midpoint): flags 0 of 5 tampered" in out
    # the validation image AUC with why it has no interval (5 tampered, 4 authentic)
    assert "(too few images for an interval: 5 tampered, 4 authentic, 5 of each needed)" in out
    (warning,) = [ln for ln in out.splitlines() if ln.startswith("warning: the stored θ")]
    assert "flags none of the 5 tampered validation images" in warning
    review = review_checkpoint(dst)
    assert any(w.startswith("the stored θ (midpoint) flags none") for w in review.warnings)
    assert "warning: the stored θ (midpoint)" in review.text()

    assert cli.main(argv) == 0  # the default: the best of the three, said in the provenance
    out = capsys.readouterr().out
    meta = read_meta(dst)
    assert meta.decision.details["strategy"] == "fake-min"
    assert meta.decision.details["strategy_choice"] == "best"
    assert meta.decision.threshold == pytest.approx(0.1)
    assert meta.decision.provenance.endswith("(the best validation balanced accuracy of "
                                             "Table 3's three)")  # fmt: skip
    assert "warning: the stored θ" not in out
    assert not any("stored θ" in w for w in review_checkpoint(dst).warnings)


def test_the_table_names_the_quantity_of_the_models_own_rule() -> None:
    """Fine-tune walk-through (2026-12-06): calibrate of diffforensics-effl0 (logit rule)
    printed "image AUC of the forged fraction on validation" beside θ lines of "image score"."""
    table = calibration_table(*OVERLAPPING)
    printed = format_calibration(table, "fake-min", "θ = 0.1", "image score")
    assert "image AUC of the image score on validation: " in printed
    assert "forged fraction" not in printed
