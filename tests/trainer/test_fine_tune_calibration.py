"""A fine-tuned model, as the training dialog makes one (``fit --init`` then ``calibrate``),
ends with a probability fitted for its own weights and the pixel threshold it was validated at.

``calibrate`` fitted no score calibration: a fine-tune showed "score ... (not calibrated)", and
a checkpoint that had one (the bundled models) kept it beside a θ it was not measured with. A
fine-tune took fit's default pixel threshold 0.5 instead of its starting checkpoint's (0.35 for
diffforensics-effl0), and ``calibrate`` replaced the run's validation figures with accuracy at
the new θ on the images that chose it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.calibration import Calibration, fit_platt
from engine.checkpoints import load_checkpoint, read_meta, save_checkpoint
from tests.trainer.conftest import TINY, make_folder
from tests.trainer.test_cli import tiny_checkpoint
from trainer import cli
from trainer.calibrate import CHOSEN_ON
from trainer.data.augment import preset
from trainer.data.datasets import WindowConfig, WindowDataset, load_items
from trainer.data.records import SkipLog, read_dataset, read_folder
from trainer.data.splits import three_way_split
from trainer.evaluate import evaluate
from trainer.loops import FitConfig, fit
from trainer.objectives import objective_for
from trainer.progress import Reporter
from trainer.setup import build_model

pytestmark = pytest.mark.usefixtures("seeded_single_thread")

STALE = {"a": 3.0, "b": -1.0, "fitted_on": "other weights", "reliability": {"split": "test part"}}
SPLIT = ["--split-by", "seed", "--val-fraction", "0.5", "--seed", "0"]


def _starting_checkpoint(path: Path, learned_from: Path | None = None) -> Path:
    """A tiny checkpoint holding what a bundled one holds: its own pixel threshold and a
    calibration fitted for its weights. With ``learned_from``, trained on that folder's
    windows first (as tests/trainer/test_training.py's learner), so that its forged fraction
    ranks tampered above authentic and ``calibrate`` may fit a curve for it: an untrained
    network's ranking is a coin toss, and a curve on a backwards one is refused."""
    tiny_checkpoint(path)
    meta = read_meta(path)
    meta.decision.pixel_threshold = 0.46  # amid the tiny network's heatmap values
    meta.decision.calibration = dict(STALE)
    model, _ = build_model("crfd-net-compact", dict(TINY), seed=0)
    if learned_from is not None:
        items = load_items(read_folder(learned_from), SkipLog())
        windows = WindowDataset(items, WindowConfig(window=32, authentic_share=0.5), preset("none"))
        cfg = FitConfig(
            epochs=5, batch_size=8, lr=3e-3, warmup_steps=5, checkpoint_minutes=0, seed=0
        )
        fit(model, objective_for("crfd-net-compact"), windows, cfg, path.parent / "learn",
            lambda _s: meta, reporter=Reporter(enabled=False))  # fmt: skip
    return save_checkpoint(path, model, meta)


def _calibrate(model: Path, data: Path, out: Path) -> None:
    argv = ["calibrate", "--model", str(model), "--data", str(data), "--out", str(out), *SPLIT]
    assert cli.main([*argv, "--threads", "1"]) == 0


def test_a_fine_tune_is_calibrated_for_its_own_weights(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the validation half of the held-out half holds at least 5 images of each class
    data = make_folder(tmp_path / "d", 20, 30, seed=3, size=48)
    learned = make_folder(tmp_path / "learn", 24, 6, seed=0)
    init = _starting_checkpoint(tmp_path / "start.safetensors", learned)
    run = tmp_path / "run"
    fit = ["fit", "--arch", "crfd-net-compact", "--data", str(data), "--out", str(run)]
    fit += ["--init", str(init), "--window", "32", "--max-steps", "1", "--lr", "1e-3"]
    assert cli.main([*fit, *SPLIT, "--threads", "1", "--quiet"]) == 0
    fine = run / "last.safetensors"
    trained = read_meta(fine)
    # fit validated the new weights at the starting checkpoint's pixel threshold, and kept it
    assert trained.decision.pixel_threshold == 0.46
    assert trained.decision.calibration == {} and "val_pixel_f1" in trained.metrics

    cal = tmp_path / "calibrated.safetensors"
    _calibrate(fine, data, cal)  # as the dialog runs it: --pixel-threshold keep
    meta = read_meta(cal)
    rule = meta.decision
    assert rule.pixel_threshold == 0.46 and "pixel threshold 0.46 of start" in rule.provenance
    assert meta.metrics == trained.metrics  # the training run's figures, not restated at θ
    assert "strategies" in rule.details  # θ's own figures, under their own key

    calibration = rule.calibration
    assert calibration and abs(calibration["a"]) > 1e-3  # a curve, not a constant
    assert "not held out" in calibration["fitted_on"]
    assert calibration["reliability"]["split"] == CHOSEN_ON
    # the Platt curve of the fine-tuned network's own statistic on the validation images
    _, choose, _ = three_way_split(read_dataset(data), 0.5, "seed", 0)  # the validation half
    records = evaluate(load_checkpoint(cal, device="cpu"), choose).records
    own = fit_platt([r.statistic for r in records], [r.label for r in records])
    assert (calibration["a"], calibration["b"]) == pytest.approx((own.a, own.b))
    # ... which other weights on the same images do not give
    start_cal = tmp_path / "start-calibrated.safetensors"
    _calibrate(init, data, start_cal)
    other = read_meta(start_cal).decision.calibration
    assert (other["a"], other["b"]) != pytest.approx((calibration["a"], calibration["b"]))

    # what the analyst reads: a probability, in the viewer's card and in `analyze`'s table
    from forensic_viewer.cli import main as viewer
    from forensic_viewer.wording import confidence_words

    image = sorted((data / "Tp").iterdir())[0]
    capsys.readouterr()
    assert viewer(["analyze", str(image), "--out", str(tmp_path / "o"), "--model", str(cal),
                   "--no-faces"]) == 0  # fmt: skip
    table = capsys.readouterr().out
    # a probability (the test images are below the measured size, so not said "calibrated")
    assert "\tp 0." in table and "(not calibrated)" not in table
    from engine.io import load_evidence
    from engine.pipeline import Analyzer

    loaded = load_checkpoint(cal, device="cpu")
    result = Analyzer([loaded], device="cpu").analyze(load_evidence(image)).results[loaded.name]
    assert result.probability is not None
    assert "(calibrated;" in confidence_words(result.probability, result.score)
    assert "not held out" in result.reliability


def test_a_calibration_of_other_weights_is_never_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without authentic validation images no curve can be fitted: the checkpoint is left
    without one, not with the calibration it came with."""
    train = make_folder(tmp_path / "train", 2, 5, seed=1, size=48)
    val = make_folder(tmp_path / "val", 5, 0, seed=2, size=48)
    src = _starting_checkpoint(tmp_path / "start.safetensors")
    dst = tmp_path / "cal.safetensors"
    argv = ["calibrate", "--model", str(src), "--data", str(train), "--val-data", str(val)]
    assert cli.main([*argv, "--out", str(dst), "--threads", "1"]) == 0
    kept = read_meta(dst).decision.calibration
    assert "a" not in kept and Calibration.from_dict(kept) is None
    assert kept["no_calibration"].startswith("the validation split has one class only")
    assert "no probability calibration" in capsys.readouterr().out
