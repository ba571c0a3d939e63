"""θ calibration: the arithmetic of §3.4 / Table 3, and what is written into the checkpoint."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from engine.checkpoints import read_meta
from engine.metrics import balanced_accuracy
from tests.trainer.conftest import make_folder, save_mask
from tests.trainer.test_cli import tiny_checkpoint
from trainer import calibrate as calibrate_module
from trainer import cli
from trainer.calibrate import (
    calibration_table,
    choose_pixel_threshold,
    format_calibration,
    provenance,
    score_threshold,
)
from trainer.check import check
from trainer.data.records import Sample, SkipLog

pytestmark = pytest.mark.usefixtures("seeded_single_thread")


def test_midpoint_and_table3_alternatives() -> None:
    p_real_train = [0.0, 0.01, 0.04]  # p_real_max = 0.04
    p_fake_val = [0.5, 0.1, 0.3]  # p_fake_min = 0.1
    p_real_val = [0.0, 0.05, 0.08]
    t = calibration_table(p_real_train, p_fake_val, p_real_val)
    assert t["p_real_max"] == 0.04 and t["p_fake_min"] == 0.1
    assert t["theta"] == pytest.approx(0.07)
    assert not t["overlap"]
    mid = t["strategies"]["midpoint"]
    # θ = 0.07: every fake above (3 TP), real 0.08 above (1 FP), 0.0 and 0.05 below.
    assert mid["threshold"] == pytest.approx(0.07)
    assert mid["accuracy"] == pytest.approx(5 / 6)
    assert mid["precision"] == pytest.approx(3 / 4) and mid["recall"] == 1.0
    assert mid["balanced_accuracy"] == pytest.approx((1.0 + 2 / 3) / 2)
    real_max = t["strategies"]["real-max"]  # θ = 0.04: reals 0.05 and 0.08 are false alarms
    assert real_max["accuracy"] == pytest.approx(4 / 6)
    fake_min = t["strategies"]["fake-min"]  # θ = 0.1: p > θ is strict, so the fake at 0.1 is missed
    assert fake_min["recall"] == pytest.approx(2 / 3) and fake_min["precision"] == 1.0
    assert t["validation_auc"] == 1.0  # every fake fraction is above every real one


def test_overlap_is_flagged() -> None:
    t = calibration_table([0.3], [0.1, 0.4], [0.2])
    assert t["overlap"] and t["theta"] == pytest.approx(0.2)


def test_score_threshold_is_strict_like_the_decision_rule() -> None:
    s = score_threshold(0.2, real=[0.2], fake=[0.2])
    assert s["recall"] == 0.0 and s["accuracy"] == 0.5


def test_score_threshold_balanced_accuracy_is_undefined_with_a_class_missing() -> None:
    """No authentic validation image: the tampered recall alone (2/3; 1.000 when every
    tampered image is above θ) was printed as "bal.acc" beside "image AUC nan"; scan --gt
    says "balanced accuracy undefined" there, and so does eval now. Printed "undef."."""
    s = score_threshold(0.2, real=[], fake=[0.1, 0.3, 0.5])
    assert np.isnan(s["balanced_accuracy"]) and s["recall"] == pytest.approx(2 / 3)
    only_real = score_threshold(0.2, real=[0.1, 0.3], fake=[])
    assert np.isnan(only_real["balanced_accuracy"])
    both = score_threshold(0.2, real=[0.1, 0.3], fake=[0.1, 0.3, 0.5])
    assert both["balanced_accuracy"] == balanced_accuracy([0, 0, 1, 1, 1], [0, 1, 0, 1, 1])
    table = calibration_table([0.0, 0.1], [0.3, 0.5], [])
    printed = format_calibration(table, "midpoint", "θ = 0.2")
    assert "image AUC of the forged fraction on validation: undef." in printed
    (row,) = [ln for ln in printed.splitlines() if ln.startswith("midpoint ")]
    assert row.split()[2:4] == ["1.000", "undef."]  # accuracy, then balanced accuracy


def test_provenance_sentence() -> None:
    text = provenance(0.0371, "midpoint", "casia1-dev", "source", "2026-11-22")
    assert text == (
        "θ = 0.0371: midpoint of max real (authentic training images) / min fake (tampered "
        "validation images) forged fraction, casia1-dev validation split (source), 2026-11-22"
    )
    logit = provenance(0.83, "fake-min", "casia1-dev", "source", "2026-11-22", "image score")
    assert logit.startswith("θ = 0.83: min image score of tampered validation images")


def _calibrated(tmp_path: Path, *extra: str) -> tuple[Path, Path]:
    """``forensic-train calibrate`` of a tiny checkpoint on a folder of 12 forged and 12
    authentic images split by seed (half held out: its validation half holds 5 tampered
    images, the fewest θ is set by), with ``extra`` arguments; asserts that it succeeded.
    The checkpoint and its calibrated copy."""
    root = make_folder(tmp_path / "d", 12, 12, seed=5)
    src = tiny_checkpoint(tmp_path / "m.safetensors")
    dst = tmp_path / "cal.safetensors"
    argv = ["calibrate", "--model", str(src), "--data", str(root), "--out", str(dst),
            "--split-by", "seed", "--val-fraction", "0.5", *extra]  # fmt: skip
    assert cli.main(argv) == 0
    return src, dst


def test_calibrate_writes_theta_and_keeps_the_weights(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, dst = _calibrated(tmp_path, "--choose", "midpoint")
    out = capsys.readouterr().out
    assert "midpoint" in out and "real-max" in out and "fake-min" in out
    rule = read_meta(dst).decision
    d = rule.details
    assert rule.threshold == pytest.approx((d["p_real_max"] + d["p_fake_min"]) / 2)
    assert rule.provenance.startswith(f"θ = {rule.threshold:.4g}: midpoint")
    assert "d validation split (seed)" in rule.provenance
    assert d["counts"]["train_authentic"] > 0 and d["counts"]["val_tampered"] > 0
    a, b = load_file(str(src)), load_file(str(dst))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert np.isfinite(d["strategies"]["midpoint"]["accuracy"])
    # a header without training figures gets the split's θ-free ones; the accuracy at θ, on
    # the images that chose θ, stays in the details and is not passed off as a figure
    metrics = read_meta(dst).metrics
    assert "val_image_acc" not in metrics and "val_image_bacc" not in metrics
    assert metrics["val_image_auc"] == d["validation_auc"]
    assert 0.0 <= metrics["val_pixel_f1"] <= 1.0


def test_calibrate_chooses_the_pixel_threshold_that_drives_the_mask(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, dst = _calibrated(tmp_path, "--pixel-threshold", "auto")
    meta = read_meta(dst)
    rule = meta.decision
    curve = rule.details["pixel_f1_by_threshold"]
    assert len(curve) == 19
    assert curve[f"{rule.pixel_threshold:.2f}"] == pytest.approx(max(curve.values()))
    assert f"pixel threshold {rule.pixel_threshold:.2f}: best mean pixel F1" in rule.provenance
    # the validation figures were measured with the chosen threshold, not the old one
    assert meta.metrics["val_pixel_f1"] == pytest.approx(curve[f"{rule.pixel_threshold:.2f}"])


def test_a_flat_pixel_f1_curve_chooses_the_threshold_nearest_one_half(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Heatmaps of only 0 and 1 give the same mask, so the same F1, at every grid threshold:
    the tie goes to 0.5, not to an extreme (0.05 or 0.95) that a slightly softer map of
    another image would cross."""
    gt = np.zeros((16, 16), bool)
    gt[4:12, 4:12] = True
    heat = np.zeros((16, 16), np.float32)
    heat[6:14, 6:14] = 1.0  # overlaps the truth in part: F1 between 0 and 1
    samples = []
    for i in range(3):
        save_mask(tmp_path / f"m{i}.png", gt)
        samples.append(Sample(tmp_path / f"t{i}.png", tmp_path / f"m{i}.png", 1))
    result = SimpleNamespace(results={"m": SimpleNamespace(heatmap=heat)})

    def analysed(_analyzer, tampered, _skipped):
        for i, s in enumerate(tampered):
            yield i, s, result

    monkeypatch.setattr("engine.pipeline.Analyzer", lambda *a, **k: None)
    monkeypatch.setattr(calibrate_module, "analysed", analysed)
    chosen, curve = choose_pixel_threshold(
        SimpleNamespace(name="m"), samples, device="cpu", batch_size=1, skipped=SkipLog()
    )
    assert len(set(curve.values())) == 1 and 0.0 < curve["0.50"] < 1.0  # flat
    assert chosen == 0.5


def test_auto_keeps_the_pixel_threshold_when_no_mask_marks_a_pixel(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The training dialog calibrates a fresh run with ``auto``; on a split whose tampered
    masks are all empty no pixel F1 exists, and the run's last step failed after training
    ("no tampered image with a non-empty mask"). It keeps the checkpoint's threshold, says so
    in one line and records why, and θ is calibrated as with ``keep``."""
    data = make_folder(tmp_path / "d", 12, 12, seed=5)
    for mask in (data / "Gt").iterdir():
        Image.fromarray(np.zeros((64, 64), np.uint8)).save(mask)
    src = tiny_checkpoint(tmp_path / "m.safetensors")
    dst = tmp_path / "cal.safetensors"
    argv = ["calibrate", "--model", str(src), "--data", str(data), "--out", str(dst),
            "--split-by", "seed", "--val-fraction", "0.5", "--pixel-threshold", "auto"]  # fmt: skip
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "no tampered validation image has a mask that marks a pixel" in out
    rule = read_meta(dst).decision
    assert rule.pixel_threshold == read_meta(src).decision.pixel_threshold
    assert rule.details["pixel_threshold_choice"] == "keep (auto: no mask marks a pixel)"
    assert rule.details["pixel_f1_by_threshold"] == {}


def test_calibrate_on_separate_validation_data_uses_it_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The recipes calibrate on the validation part (choose.json) with the training part as
    # --data: no split is made, every --data image is a training image and only --val-data is
    # scored; the provenance names both.
    train = make_folder(tmp_path / "train", 3, 6, seed=5)
    val = make_folder(tmp_path / "val", 5, 4, seed=6)
    src = tiny_checkpoint(tmp_path / "m.safetensors")
    dst = tmp_path / "cal.safetensors"
    argv = ["calibrate", "--model", str(src), "--data", str(train), "--val-data", str(val),
            "--out", str(dst)]  # fmt: skip
    assert cli.main(argv) == 0
    rule = read_meta(dst).decision
    counts = rule.details["counts"]
    assert counts["train_authentic"] == 6
    assert (counts["val_tampered"], counts["val_authentic"]) == (5, 4)
    assert "train+val validation split (separate validation data)" in rule.provenance


def test_calibrate_refuses_a_pixel_threshold_outside_0_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_folder(tmp_path / "d", 4, 4, seed=5)
    src = tiny_checkpoint(tmp_path / "m.safetensors")
    argv = ["calibrate", "--model", str(src), "--data", str(root), "--pixel-threshold", "1.5"]
    assert cli.main(argv) == 2
    assert "--pixel-threshold must be" in capsys.readouterr().err


def test_calibrate_names_its_model_and_refuses_a_bundled_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """calibrate had no --name: a model named after its run folder ("run2"), or one whose name
    clashes with another's, could only be renamed by training again."""
    _src, dst = _calibrated(tmp_path, "--name", "casia-ft")
    assert read_meta(dst).name == "casia-ft"
    capsys.readouterr()
    root = make_folder(tmp_path / "d2", 4, 4, seed=5)
    src = tiny_checkpoint(tmp_path / "m2.safetensors")
    again = tmp_path / "again.safetensors"
    argv = ["calibrate", "--model", str(src), "--data", str(root), "--out", str(again),
            "--name", "crfd-net-compact"]  # fmt: skip
    assert cli.main(argv) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "--name: crfd-net-compact is a bundled model's name" in line
    assert not again.exists()


@pytest.mark.parametrize("folder", ["bundled", "installed"])
def test_calibrate_without_out_refuses_to_overwrite_a_bundled_or_installed_model(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    folder: str,
) -> None:
    """``calibrate --model $RES/models/crfd-net-compact.safetensors --data mine`` wrote θ
    chosen on six images over the bundled file (its card's SHA-256 and int8 model then no
    longer matched it). Without --out a bundled or installed model is refused in one line,
    before any image is read; with --out it is calibrated into the new file."""
    import engine.catalog

    models = tmp_path / "models"
    models.mkdir()
    if folder == "bundled":
        monkeypatch.setattr(engine.catalog, "BUNDLED_MODELS", models)
    else:
        monkeypatch.setenv("FORENSIC_VIEWER_MODELS", str(models))
    src = tiny_checkpoint(models / "m.safetensors")
    before = src.read_bytes()
    root = make_folder(tmp_path / "d", 12, 12, seed=5)
    argv = ["calibrate", "--model", str(src), "--data", str(root),
            "--split-by", "seed", "--val-fraction", "0.5"]  # fmt: skip
    assert cli.main(argv) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    what = {"bundled": "a bundled", "installed": "an installed"}[folder]
    assert line.endswith(f"{src}: is {what} model; calibrate without --out would overwrite it: "
                         "give --out NEW.safetensors")  # fmt: skip
    assert src.read_bytes() == before
    out = tmp_path / "mine.safetensors"
    assert cli.main([*argv, "--out", str(out)]) == 0
    assert src.read_bytes() == before and read_meta(out).decision.details["counts"]


def test_calibrate_refuses_to_set_theta_on_fewer_than_five_images_of_a_side(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """θ is the midpoint of the authentic training images' largest forged fraction and the
    tampered validation images' smallest: it was stored from 1 + 1 images, read as a
    calibrated threshold, while Platt's curve was refused below 5 images of a class. Refused
    in one line with the counts, before any image is analysed; nothing written."""
    root = make_folder(tmp_path / "d", 12, 12, seed=5)  # split 0.4: 4 tampered validate
    src = tiny_checkpoint(tmp_path / "m.safetensors")
    dst = tmp_path / "cal.safetensors"
    argv = ["calibrate", "--model", str(src), "--data", str(root), "--out", str(dst),
            "--split-by", "seed", "--val-fraction", "0.4"]  # fmt: skip
    assert cli.main(argv) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.endswith(
        f"{root}: θ is set by the largest forged fraction of the authentic training images and "
        "the smallest of the tampered validation images, and there are 9 and 4 images, fewer "
        "than 5 of one: one image would set it, so none is stored; give more images, a larger "
        "--val-fraction or --val-data"
    )
    assert not dst.exists()
    # check says it before a run
    (warning,) = [w for w in check([str(root)], split_by="seed", val_fraction=0.4)["warnings"]
                  if "calibrate will refuse to set θ" in w]  # fmt: skip
    assert "the split has 9 and 4, fewer than 5 of one" in warning
