"""``forensic-train ensemble``: weights chosen on validation results, file readable by the engine."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.decision import AUTHENTIC, MANIPULATED
from engine.ensemble import ENSEMBLE_SUFFIX, Ensemble
from engine.types import ModelResult
from trainer.ensemble import Cached, _shrink, choose_detection, choose_localization, measure


def _result(name: str, score: float, heat: np.ndarray) -> ModelResult:
    return ModelResult(
        name=name,
        architecture="test",
        checkpoint="",
        checkpoint_sha256="",
        rule="logit",
        score=score,
        verdict=MANIPULATED if score > 0.5 else AUTHENTIC,
        forged_fraction=float((heat > 0.5).mean()),
        threshold=0.5,
        pixel_threshold=0.5,
        threshold_provenance="test",
        input_policy={},
        device="cpu",
        precision="fp32",
        seconds=0.0,
        heatmap=heat.astype(np.float32),
        mask=heat > 0.5,
    )


def _cached(n: int = 24, seed: int = 0) -> list[Cached]:
    """'good' localizes exactly but cannot tell real from fake; 'det' detects but maps noise."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        label = i % 2
        gt = np.zeros((40, 60), bool)
        if label:
            y, x = rng.integers(0, 20), rng.integers(0, 30)
            gt[y : y + 15, x : x + 20] = True
        good = np.where(gt, 0.9, 0.1) + rng.normal(0, 0.02, gt.shape)
        noise = rng.uniform(0, 1, gt.shape)
        results = {
            "good": _result("good", float(rng.uniform(0.3, 0.7)), np.clip(good, 0, 1)),
            "det": _result("det", 0.8 if label else 0.2, noise),
        }
        item = Cached(f"img{i}.png", label, gt if label else None, results)
        _shrink(item)
        out.append(item)
    return out


def test_weights_follow_what_each_member_is_good_at() -> None:
    cached = _cached()
    det, threshold, det_figs = choose_detection(cached, ["good", "det"])
    loc, pixel_t, f1 = choose_localization(cached, ["good", "det"])
    assert det[0] == 0 and det[1] > 0, det  # the noisy localizer's score carries no signal
    assert det_figs["image_auc"] == pytest.approx(1.0)
    assert loc[0] > 0 and loc[1] == 0, loc  # the detector's map is noise
    assert f1 > 0.95
    assert 0.2 <= pixel_t <= 0.8
    # "det" alone scores 0.2 or 0.8: every threshold from 0.20 to 0.75 separates them, and the
    # tie goes to the one nearest 0.5 (not an extreme a slightly shifted score would cross)
    assert threshold == 0.5


def test_the_chosen_weights_balanced_accuracy_is_undefined_on_one_class() -> None:
    """choose_detection reported, on tampered images only, the best threshold's recall of
    them as image_bacc (1.0) and its choosing key's AUC (0.0), as eval reported before
    11377f2. (The command's printed and stored image_bacc, measure's, was already NaN.)"""
    tampered = [c for c in _cached() if c.label == 1]
    _, _, figures = choose_detection(tampered, ["good", "det"])
    assert np.isnan(figures["image_bacc"]) and np.isnan(figures["image_auc"])
    assert np.isnan(measure(tampered, lambda c: c.results["det"])["image_bacc"])
    _, _, figures = choose_detection(_cached(), ["good", "det"])
    assert figures["image_bacc"] == figures["image_auc"] == 1.0  # "det" tells them apart


def test_full_resolution_figures_of_the_chosen_ensemble_beat_each_member_alone() -> None:
    from trainer.ensemble import build

    cached = _cached(seed=1)
    names = ["good", "det"]
    det, threshold, _ = choose_detection(cached, names)
    loc, pixel_t, _ = choose_localization(cached, names)
    ens = build("both", names, det, loc, threshold, pixel_t, "test")
    fused = measure(cached, lambda c: ens.combine(c.results))
    good = measure(cached, lambda c: c.results["good"])
    noisy = measure(cached, lambda c: c.results["det"])
    assert fused["pixel_f1"] >= good["pixel_f1"] - 1e-6
    assert fused["image_auc"] >= noisy["image_auc"] > good["image_auc"]
    assert fused["pixel_f1"] > noisy["pixel_f1"] + 0.5


def test_command_writes_an_ensemble_the_engine_loads(
    tiny_checkpoint: Path, tmp_path: Path, capsys
) -> None:
    import shutil

    import cv2

    from engine.checkpoints import load_checkpoint
    from tests.conftest import write_rgb
    from trainer.cli import main

    # a second member: the same weights under another name
    second = tmp_path / "tiny2.safetensors"
    shutil.copy(tiny_checkpoint, second)
    from engine.checkpoints import save_checkpoint

    loaded = load_checkpoint(second)
    loaded.meta.name = "tiny2"
    save_checkpoint(second, loaded.model, loaded.meta)
    data = tmp_path / "data"
    for sub in ("Tp", "Gt", "Au"):
        (data / sub).mkdir(parents=True)
    for i in range(4):
        write_rgb(data / "Tp" / f"t{i}.png", seed=i)
        m = np.zeros((80, 96), np.uint8)
        m[10:40, 20:60] = 255
        cv2.imwrite(str(data / "Gt" / f"t{i}.png"), m)
        write_rgb(data / "Au" / f"a{i}.png", seed=10 + i)
    out = tmp_path / "models" / f"pair{ENSEMBLE_SUFFIX}"
    report = tmp_path / "pair.json"
    code = main(
        [
            "ensemble",
            "--model",
            str(tiny_checkpoint),
            "--model",
            str(second),
            "--data",
            str(data),
            "--split",
            "all",
            "--out",
            str(out),
            "--json",
            str(report),
        ]
    )
    assert code == 0
    ens = Ensemble.load(out)
    assert ens.name == "pair"
    assert {m.model for m in ens.members} <= {"tiny", "tiny2"}
    payload = json.loads(report.read_text())
    assert payload["metrics"]["images"] == 8
    assert set(payload["member_metrics"]) == {"tiny", "tiny2"}
    assert "optimistic" in ens.description
    # the printed table says so too: it read as a held-out comparison of the members
    table = capsys.readouterr().out.splitlines()
    assert table[0] == (
        f"figures on the 8 images (4 tampered, 4 authentic) of the all split of {data} that "
        "chose the weights and thresholds: optimistic, not a held-out result"
    )
    assert table[1].split()[:3] == ["model", "image_auc", "image_bacc"]


def test_command_refuses_a_single_member(tiny_checkpoint: Path, tmp_path: Path, capsys) -> None:
    from trainer.cli import main

    code = main(
        [
            "ensemble",
            "--model",
            str(tiny_checkpoint),
            "--data",
            str(tmp_path),
            "--out",
            str(tmp_path / f"x{ENSEMBLE_SUFFIX}"),
        ]
    )
    assert code == 2
    assert "at least two" in capsys.readouterr().err


def test_command_refuses_two_members_of_one_name(
    tiny_checkpoint: Path, tmp_path: Path, capsys
) -> None:
    """A run's best and last checkpoints carry the run's name: ensembling them was a
    traceback (ValueError) once every member was loaded; now one line naming both files."""
    import shutil

    from trainer.cli import main

    last = tmp_path / "last.safetensors"
    shutil.copy(tiny_checkpoint, last)
    out = tmp_path / f"pair{ENSEMBLE_SUFFIX}"
    argv = ["ensemble", "--model", str(tiny_checkpoint), "--model", str(last)]
    code = main([*argv, "--data", str(tmp_path / "nowhere"), "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert err.startswith(f"forensic-train ensemble: error: {last}: named 'tiny' as ")
    assert str(tiny_checkpoint) in err and "fit --name" in err
    assert not out.exists()
