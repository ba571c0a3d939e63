"""Issue 17 on the trainer side: the three-way split, the mask audit, and the choices of
`forensic-train verdict` (θ at evidence size, Platt, no vote for a member at chance)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from engine.calibration import centred_in_gap, threshold_for_false_alarms
from tests.trainer.test_data import _casia_like
from trainer.data.mask_audit import is_trusted, trusted_masks
from trainer.data.records import Sample
from trainer.data.splits import group_of, split_samples, three_way_split
from trainer.verdict import (
    FALSE_ALARM_TARGET,
    choose_ensemble,
    choose_model,
    provenance_sentence,
    threshold_at_evidence_size,
)


@pytest.mark.parametrize("seed", [0, 1])
def test_three_way_split_halves_the_held_out_part_without_sharing_a_source(seed: int) -> None:
    samples = _casia_like(200, np.random.default_rng(seed))
    train, val, test = three_way_split(samples, 0.3, "auto", seed)
    held = split_samples(samples, 0.3, "auto", seed)
    # the held-out part is exactly the two-way split's validation part: the bundled models,
    # trained on that split's train part, never saw a test image
    assert {s.image.name for s in val + test} == {s.image.name for s in held.val}
    assert [s.image.name for s in train] == [s.image.name for s in held.train]
    ids = group_of(samples)
    sources = [{t for s in part for t in ids[s.image.name]} for part in (train, val, test)]
    assert not sources[0] & sources[1] and not sources[0] & sources[2]
    assert not sources[1] & sources[2]
    assert val and test and abs(len(val) - len(test)) <= 0.5 * (len(val) + len(test))
    again = three_way_split(list(reversed(samples)), 0.3, "auto", seed)
    assert {s.image.name for s in again[2]} == {s.image.name for s in test}


def _audit_folder(root: Path) -> dict[str, Path]:
    """A Tp/Gt/Au folder: one authentic source, a copy-move with the right mask (C) and one
    with the mask of another image (R, as CASIA's text copy-move triplets share one file)."""
    rng = np.random.default_rng(0)
    au = rng.integers(100, 157, (64, 64, 3), dtype=np.uint8)
    edited = au.copy()
    edited[8:24, 8:24] = 0
    right, wrong = np.zeros((64, 64), np.uint8), np.zeros((64, 64), np.uint8)
    right[8:24, 8:24] = 255
    wrong[40:56, 40:56] = 255
    for d in ("Tp", "Gt", "Au"):
        (root / d).mkdir(parents=True, exist_ok=True)
    Image.fromarray(au).save(root / "Au" / "Au_txt_0007.png")
    out = {}
    for tag, mask in (("C", right), ("R", wrong)):
        stem = f"Sp_S_NNN_{tag}_txt0007_txt0007_0007"
        Image.fromarray(edited).save(root / "Tp" / f"{stem}.png")
        Image.fromarray(mask).save(root / "Gt" / f"{stem}.png")
        out[tag] = root / "Tp" / f"{stem}.png"
    return out


def test_eval_leaves_untrusted_masks_out_of_the_pixel_figures(tmp_path: Path, capsys) -> None:
    from tests.trainer.test_cli import tiny_checkpoint
    from trainer import cli

    images = _audit_folder(tmp_path / "d")
    ckpt = tiny_checkpoint(tmp_path / "m.safetensors")
    report = tmp_path / "ev.json"
    argv = ["eval", "--model", str(ckpt), "--data", str(tmp_path / "d"), "--json", str(report)]
    assert cli.main([*argv, "--trusted-masks"]) == 0
    data = json.loads(report.read_text())
    assert data["masks_left_out"] == [str(images["R"])]
    assert data["metrics"]["images"] == 3 and data["metrics"]["pixel_images"] == 1
    assert "left out of the pixel figures" in capsys.readouterr().out
    assert cli.main(argv) == 0  # without the flag both masks count
    assert json.loads(report.read_text())["metrics"]["pixel_images"] == 2


@pytest.mark.parametrize("colour", ["grey", "red"])
def test_mask_audit_finds_a_mask_that_marks_the_wrong_place(tmp_path: Path, colour: str) -> None:
    """Masks read by the one rule of masks (engine.masks): drawn in red (luminance 76), the
    right one still marks the change."""
    rng = np.random.default_rng(0)
    au = rng.integers(100, 157, (64, 64, 3), dtype=np.uint8)
    edited = au.copy()
    edited[8:24, 8:24] = 0  # the change: at least 100 grey levels everywhere in it
    right, wrong = np.zeros((64, 64), np.uint8), np.zeros((64, 64), np.uint8)
    right[8:24, 8:24] = 255
    wrong[40:56, 40:56] = 255
    Image.fromarray(au).save(tmp_path / "Au_txt_0007.png")
    samples = [Sample(tmp_path / "Au_txt_0007.png", None, 0)]
    for tag, mask in (("C", right), ("R", wrong)):
        stem = f"Sp_S_NNN_{tag}_txt0007_txt0007_0007"
        Image.fromarray(edited).save(tmp_path / f"{stem}.png")
        drawn = np.stack([mask, 0 * mask, 0 * mask], axis=2) if colour == "red" else mask
        Image.fromarray(drawn).save(tmp_path / f"{stem}_gt.png")
        samples.append(Sample(tmp_path / f"{stem}.png", tmp_path / f"{stem}_gt.png", 1))
    orphan = tmp_path / "Sp_S_NNN_T_txt0099_txt0099_0099.png"
    Image.fromarray(edited).save(orphan)
    samples.append(Sample(orphan, tmp_path / "Sp_S_NNN_C_txt0007_txt0007_0007_gt.png", 1))
    audit = trusted_masks(samples)
    assert audit[str(samples[1].image)] == pytest.approx(1.0)
    assert audit[str(samples[2].image)] == 0.0 and not is_trusted(audit[str(samples[2].image)])
    assert audit[str(orphan)] is None and is_trusted(None)  # nothing to check it against


def _row(part: str, label: int, rng: np.random.Generator, kind: str = "splice") -> dict[str, Any]:
    """A features row: 'good' separates tampered from authentic, 'noise' knows nothing."""
    good = rng.normal(1.5 if label else -1.5, 1.0)
    return {
        "path": f"{part}/{label}/{rng.integers(1 << 40)}",
        "part": part,
        "label": label,
        "kind": kind if label else "authentic",
        "models": {
            "good": {"rule": "logit", "windows": {"mean": good, "max": good + 2.0}},
            "noise": {"rule": "logit", "windows": {"mean": rng.normal(), "max": rng.normal()}},
        },
        "classic": {"clone": {"score": float(label and kind == "copy-move")}},
    }


@pytest.fixture
def rows() -> list[dict[str, Any]]:
    rng = np.random.default_rng(0)
    out = []
    for part in ("casia-val", "casia-test"):
        out += [_row(part, 0, rng) for _ in range(60)]
        out += [_row(part, 1, rng, kind) for _ in range(30) for kind in ("splice", "copy-move")]
    for part in ("camera-val", "camera-test"):
        out += [_row(part, 0, rng) for _ in range(40)]
    return out


def test_threshold_keeps_camera_false_alarms_within_five_percent(rows: list) -> None:
    def score(r: dict[str, Any]) -> float:
        return float(1 / (1 + np.exp(-r["models"]["good"]["windows"]["mean"])))

    theta, flagged = threshold_at_evidence_size(rows, score)
    camera = [score(r) for r in rows if r["part"] == "camera-val"]
    assert sum(s > theta for s in camera) <= 0.05 * len(camera)
    assert flagged["authentic camera photographs (validation half)"][1] == len(camera)


def test_theta_bound_by_the_photographs_is_not_one_of_their_scores() -> None:
    """When the camera bound decides, θ lies in the gap above the photograph that must stay
    unflagged, not on its score (which another runtime's last digits would flip)."""
    rows = [
        {"part": "casia-val", "label": label, "s": s}
        for label, values in ((0, (0.1, 0.2, 0.3)), (1, (0.4, 0.5, 0.95)))
        for s in values
    ]
    camera = np.linspace(0.5, 0.9, 20)  # 1 of 20 may be flagged: 0.879 must stay below θ
    rows += [{"part": "camera-val", "label": 0, "s": float(s)} for s in camera]
    theta, flagged = threshold_at_evidence_size(rows, lambda r: r["s"])
    assert camera[-2] < theta < camera[-1]
    assert flagged["authentic camera photographs (validation half)"] == [1, 20]


def test_a_tie_in_balanced_accuracy_goes_to_the_higher_theta() -> None:
    """θ = 0.3 and θ = 0.8 both score 0.75 (one false alarm, or one forgery missed); the
    higher one is chosen, as the docstring promises: fewer false alarms."""
    rows = [
        {"part": "casia-val", "label": label, "s": s}
        for label, s in ((0, 0.1), (1, 0.5), (0, 0.7), (1, 0.9))
    ]
    theta, flagged = threshold_at_evidence_size(rows, lambda r: r["s"])
    assert theta == pytest.approx(0.8)
    assert flagged["authentic CASIA validation images"] == [0, 2]


@pytest.mark.parametrize("seed", range(6))
def test_theta_is_the_best_balanced_accuracy_the_camera_bound_allows(seed: int) -> None:
    """Against every threshold there is (each score and each gap between two; ties in the
    scores on purpose), scored by scikit-learn: none within the 5 % bound on the camera
    photographs has a better balanced accuracy on the objective part than the θ chosen."""
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 60)
    s = np.round(np.clip(rng.normal(0.45 + 0.2 * y, 0.2), 0, 1), 2)
    camera = np.round(rng.random(int(rng.integers(10, 45))), 2)
    rows = [
        {"part": "casia-val", "label": int(a), "s": float(b)} for a, b in zip(y, s, strict=True)
    ]
    rows += [{"part": "camera-val", "label": 0, "s": float(c)} for c in camera]
    theta, _ = threshold_at_evidence_size(rows, lambda r: r["s"])
    allowed = int(0.05 * camera.size + 1e-9)
    assert (camera > theta).sum() <= allowed
    values = np.unique(np.r_[s, camera, 0.0])
    every = np.r_[values, (values[:-1] + values[1:]) / 2]
    allowed_thetas = [t for t in every if (camera > t).sum() <= allowed and t < s.max()]
    best = max(metrics.balanced_accuracy_score(y, s > t) for t in allowed_thetas)
    assert metrics.balanced_accuracy_score(y, s > theta) == pytest.approx(best, abs=1e-12)


def _hand_rolled_theta(rows: list[dict[str, Any]], score: Any) -> float:
    """The θ choice as trainer.verdict made it until 2026-12-04: its own balanced accuracy, a
    missing class's recall counted as 0 (the other recall halved)."""
    camera = [score(r) for r in rows if r["part"] == "camera-val" and r["label"] == 0]
    chosen = [(score(r), r["label"]) for r in rows if r["part"] == "casia-val"]
    floor = threshold_for_false_alarms(camera, FALSE_ALARM_TARGET) if camera else 0.0
    floor = centred_in_gap(floor, camera + [v for v, _ in chosen]) if camera else floor
    s, y = np.array([v for v, _ in chosen]), np.array([label for _, label in chosen])
    values = np.unique(s[s > floor])
    best, best_bacc = floor, -1.0
    for t in [floor, *((values[:-1] + values[1:]) / 2.0)] if values.size else [floor]:
        tpr = float((s[y == 1] > t).mean()) if (y == 1).any() else 0.0
        tnr = float((s[y == 0] <= t).mean()) if (y == 0).any() else 0.0
        if (tpr + tnr) / 2 >= best_bacc - 1e-12:
            best, best_bacc = float(t), (tpr + tnr) / 2
    return best


def test_the_verdict_step_scores_balanced_accuracy_by_the_engine(
    rows: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    """θ's choice and the test figure are engine.metrics.balanced_accuracy (the mean of the
    recalls of the classes present, as eval, calibrate and scan --gt), not a copy of it; and
    with both classes present, as the bundled θ were chosen, θ and the figure are the ones the
    hand-rolled copy gave, so no bundled θ or published figure moves."""
    import trainer.verdict as verdict
    from engine import metrics

    calls: list[int] = []

    def counted(y_true: Any, y_pred: Any) -> float:
        calls.append(1)
        return metrics.balanced_accuracy(y_true, y_pred)

    monkeypatch.setattr(verdict, "balanced_accuracy", counted)

    def score(r: dict[str, Any]) -> float:
        return float(r["models"]["good"]["windows"]["mean"])

    theta, _ = threshold_at_evidence_size(rows, score)
    assert calls, "θ was chosen by another balanced accuracy than the engine's"
    assert theta == _hand_rolled_theta(rows, score)
    calls.clear()
    figures = verdict.test_figures(rows, score, theta)
    assert calls, "the test figure is another balanced accuracy than the engine's"
    test = [r for r in rows if r["part"] == "casia-test"]
    y, s = np.array([r["label"] for r in test]), np.array([score(r) for r in test])
    old = (float((s[y == 1] > theta).mean()) + float((s[y == 0] <= theta).mean())) / 2
    assert figures["test_balanced_accuracy"] == old


@pytest.mark.parametrize("label", [0, 1])
def test_theta_with_one_class_only_is_the_one_the_hand_rolled_copy_chose(
    rows: list, label: int
) -> None:
    """With one class on the objective part the engine's figure is that class's recall, the
    copy's was half of it: the same order over the thresholds, so the same θ."""
    one = [r for r in rows if r["part"] != "casia-val" or r["label"] == label]

    def score(r: dict[str, Any]) -> float:
        return float(r["models"]["good"]["windows"]["mean"])

    assert threshold_at_evidence_size(one, score)[0] == _hand_rolled_theta(one, score)


def test_a_model_at_chance_is_marked_and_a_good_one_is_calibrated(rows: list) -> None:
    good, noise = choose_model(rows, "good", "logit"), choose_model(rows, "noise", "logit")
    assert noise["at_chance"] and noise["val_image_auc_interval"][0] <= 0.5
    assert not good["at_chance"] and good["test_image_auc"] > 0.9
    assert good["aggregate"] == "mean" and good["calibration"]["a"] > 0
    assert good["test_camera_false_alarms"][0] <= 4  # of 40 held-out photographs


def test_a_chance_level_member_gets_no_vote_and_leaves_the_default_set(rows: list) -> None:
    choices = {m: choose_model(rows, m, "logit") for m in ("good", "noise")}
    data = {
        "members": [
            {"model": "good", "detection_weight": 1.0, "localization_weight": 1.0},
            {"model": "noise", "detection_weight": 4.0, "localization_weight": 0.0},
        ],
        "threshold": 0.5,
        "pixel_threshold": 0.5,
    }
    content, figures = choose_ensemble(rows, data, choices, None, set())
    assert figures["voters"] == ["good"] and figures["dropped"] == ["noise"]
    assert set(content["stacking"]["weights"]) == {"good", "analysis:clone"}
    assert content["stacking"]["weights"]["analysis:clone"] > 0  # copy-moves are found by it
    assert [m["model"] for m in content["members"]] == ["good"]
    assert figures["detection"]["test_image_auc"] > 0.9


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_validation_only_chooses_the_same_and_reads_no_test_row(
    rows: list, tmp_path: Path, capsys
) -> None:
    """A candidate compared with --validation-only gets the choices a full run makes, and no
    figure of the test part exists anywhere in what it prints or writes."""
    from trainer.cli import main

    rng = np.random.default_rng(5)  # forgeries of the camera test half are test rows too
    rows += [_row("forgeries-test", label, rng) for label in (0, 1) for _ in range(10)]
    val = [r for r in rows if not r["part"].endswith("-test")]
    full, alone = choose_model(rows, "good", "logit"), choose_model(val, "good", "logit")
    for key in ("threshold", "val_image_auc", "val_flagged"):
        assert alone[key] == full[key]
    assert alone["calibration"]["a"] == full["calibration"]["a"]
    assert not any(k.startswith("test") for k in _keys(alone))

    features = tmp_path / "features.jsonl"
    features.write_text("".join(json.dumps(r) + "\n" for r in rows))
    ensemble = tmp_path / "e.ensemble.json"
    data = {
        "members": [{"model": "good", "detection_weight": 1.0, "localization_weight": 1.0}],
        "threshold": 0.5,
        "pixel_threshold": 0.5,
    }
    ensemble.write_text(json.dumps(data))
    before = ensemble.read_bytes()
    report = tmp_path / "r.json"
    argv = ["verdict", "--features", str(features), "--models", str(tmp_path)]
    argv += ["--ensemble", str(ensemble), "--json", str(report), "--validation-only"]
    assert main(argv) == 0
    assert ensemble.read_bytes() == before  # a dry run: nothing rewritten
    out = json.loads(report.read_text())
    assert out["ensembles"]["e.ensemble.json"]["detection"]["val_flagged"]
    assert not any(k.startswith("test") for k in _keys(out))
    assert "test" not in capsys.readouterr().out
    argv.remove("--validation-only")
    assert main([*argv, "--dry-run"]) == 0  # the control: a dry run does read the test part
    assert "test_image_auc" in _keys(json.loads(report.read_text()))


def test_localization_keeps_the_copy_the_networks_point_at(tmp_path: Path) -> None:
    """Copy-moves whose mask marks the pasted copy only, a clone map of both copies and a
    member heatmap warmer on the pasted one: the validation choice replaces the heatmap by
    the clone map and keeps only the copy the member points at."""
    from trainer.verdict import choose_localization

    maps = tmp_path / "maps"
    maps.mkdir()
    rows = []
    for i, part in enumerate(["casia-val"] * 3 + ["casia-test"] * 2):
        truth = np.zeros((32, 32), np.uint8)
        clone = np.zeros((32, 32), np.uint8)
        heat = np.full((32, 32), 20, np.uint8)
        truth[20:28, 20:28] = clone[20:28, 20:28] = clone[2:10, 2:10] = 255
        heat[18:30, 18:30] = 200  # the member sees the pasted copy, a little too widely
        sha = f"{i:016d}"
        np.savez_compressed(maps / f"{sha}.npz", truth=truth, clone=clone, m=heat)
        rows.append(
            {"path": f"/x/{i}.jpg", "sha256": sha, "part": part, "label": 1, "kind": "copy-move"}
        )
    local = choose_localization(rows, ["m"], [maps], {r["path"] for r in rows})
    assert local["clone_replaces"] and local["copy_keep_ratio"] > 0
    assert local["val"]["pixel_f1"] == pytest.approx(1.0)
    assert local["val_both_copies"]["pixel_f1"] == pytest.approx(2 / 3)


def test_localization_never_buys_copy_moves_with_worse_splices(tmp_path: Path) -> None:
    """Member b finds the copy-moves that a misses, and marks a wrong region on splices: the
    free choice takes b (mean F1 up, splices down); given the current configuration (a alone),
    the splices' validation F1 is a floor and b is left out."""
    from trainer.verdict import choose_localization

    maps = tmp_path / "maps"
    maps.mkdir()
    rows = []
    for i, kind in enumerate(["splice", "copy-move"] * 2):
        truth = np.zeros((16, 16), np.uint8)
        truth[4:12, 4:12] = 255
        a, b = truth.copy(), truth.copy()
        if kind == "copy-move":
            a[:] = 0
            a[4:8, 4:8] = 255  # a quarter of the copy
        else:
            b[:] = 0
            b[12:, :] = 255  # a wrong region as large as the splice
        sha = f"{i:016d}"
        np.savez_compressed(maps / f"{sha}.npz", truth=truth, a=a, b=b)
        rows.append(
            {"path": f"/{i}.jpg", "sha256": sha, "part": "casia-val", "label": 1, "kind": kind}
        )
    trusted = {r["path"] for r in rows}
    free = choose_localization(rows, ["a", "b"], [maps], trusted)
    assert free["weights"]["b"] > 0 and free["val"]["pixel_f1_splice"] < 1.0
    kept = choose_localization(rows, ["a", "b"], [maps], trusted, ((1.0, 0.0), 0.3, False, 0.0))
    assert kept["weights"]["b"] == 0 and kept["val"]["pixel_f1_splice"] == pytest.approx(1.0)
    assert kept["val_splice_floor"] == pytest.approx(1.0)


def test_the_detect_side_the_rows_were_made_with_is_chosen_and_must_be_one(rows: list) -> None:
    """The verdict step writes the detect side of the features rows into the header (θ was
    chosen on that statistic); rows made with two settings are refused, not mixed."""
    from trainer.errors import UsageError

    for r in rows:
        r["models"]["good"]["detect_side"] = 512
    choice = choose_model(rows, "good", "logit")
    assert choice["detect_side"] == 512
    assert "reduced to at most 512 pixels" in provenance_sentence(choice, "today")
    rows[0]["models"]["good"]["detect_side"] = 0
    with pytest.raises(UsageError, match=r"different detect sides \[0, 512\]"):
        choose_model(rows, "good", "logit")


def test_the_stacking_sees_forgeries_at_evidence_size_and_reports_them(rows: list) -> None:
    """With forgeries of full-size photographs in the features, the stacking is fitted on them
    too, θ is chosen on them with CASIA's validation part (the camera bound unchanged), and the
    test part's forgeries are reported, flagged by kind."""
    from trainer.verdict import choose_stacking, test_figures

    rng = np.random.default_rng(3)
    for part in ("forgeries-val", "forgeries-test"):
        for kind in ("splice", "inpaint"):
            for _ in range(20):
                r = _row(part, 1, rng, kind)
                r["models"]["good"]["windows"]["mean"] = rng.normal(3.0, 1.0)  # easy at size
                rows.append(r)
        rows += [_row(part, 0, rng) for _ in range(20)]
    stack = choose_stacking(rows, ["good"])
    flagged = stack["val_flagged"]
    assert flagged["project-made forgeries (validation half)"][1] == 40
    assert flagged["their authentic copies"][1] == 20
    assert flagged["authentic camera photographs (validation half)"][0] <= 2  # of 40
    forged = stack["test_forgeries"]
    assert forged["flagged"][1] == 40 and forged["image_auc"] > 0.9
    assert set(forged["by_kind"]) == {"splice", "inpaint"}
    reliability = stack["calibration"]["reliability"]["flagged"]
    assert reliability["project-made forgeries of full-size camera photographs"][1] == 40
    without = [r for r in rows if not r["part"].startswith("forgeries")]
    assert "test_forgeries" not in test_figures(without, lambda r: 0.5, 0.5)


def test_equation_6_without_voters_sets_theta_on_the_scores_the_engine_averages() -> None:
    """Every member at chance: equation 6 stays, and θ must be set on what the engine averages
    (``Ensemble.combine``: the members' scores, p / (p + θ) for a forged-fraction member), not on
    σ(statistic), which is p for that member. The camera photographs' false alarms it reports
    are then those the engine makes, and its calibration stays finite when a member's score is
    exactly 1 (σ of a logit over 37)."""
    from engine.calibration import Calibration, logit
    from engine.decision import fraction_score, sigmoid
    from engine.ensemble import weighted_mean

    rng = np.random.default_rng(3)
    rows = []
    for part, n in (("casia-val", 80), ("camera-val", 60), ("casia-test", 40), ("camera-test", 20)):
        for i in range(n):
            label = int(part.startswith("casia") and i % 2)
            lg = 45.0 if i == 0 else float(rng.normal())  # σ(45) is 1.0 in float64
            rows.append(
                {"path": f"{part}/{i}", "part": part, "label": label, "kind": "splice",
                 "models": {"frac": {"rule": "forged_fraction", "heat": {"ff": rng.uniform(0, .3)}},
                            "lg": {"rule": "logit", "windows": {"mean": lg, "max": lg}}},
                 "classic": {}}
            )  # fmt: skip
    choices = {"frac": choose_model(rows, "frac", "forged_fraction")}
    choices["lg"] = choose_model(rows, "lg", "logit")
    assert choices["frac"]["at_chance"] and choices["lg"]["at_chance"]
    data = {
        "members": [
            {"model": "frac", "detection_weight": 1.0, "localization_weight": 1.0},
            {"model": "lg", "detection_weight": 1.0, "localization_weight": 1.0},
        ],
        "threshold": 0.5,
        "pixel_threshold": 0.5,
    }
    content, figures = choose_ensemble(rows, data, choices, None, set())
    assert "stacking" not in content

    def engine_score(r: dict[str, Any]) -> float:  # Ensemble.combine's equation 6
        m = r["models"]
        frac = fraction_score(m["frac"]["heat"]["ff"], choices["frac"]["threshold"])
        return weighted_mean([frac, sigmoid(m["lg"]["windows"]["mean"])], [1.0, 1.0])

    theta = content["threshold"]
    camera = [engine_score(r) for r in rows if r["part"] == "camera-val"]
    flagged = int(sum(s > theta for s in camera))
    assert figures["detection"]["val_flagged"][
        "authentic camera photographs (validation half)"
    ] == [
        flagged,
        len(camera),
    ]
    assert flagged <= FALSE_ALARM_TARGET * len(camera)
    cal = Calibration.from_dict(content["calibration"])
    assert cal is not None  # a NaN fit is read back as no calibration at all
    top = max(rows, key=engine_score)
    assert 0.0 < cal.probability(float(logit(engine_score(top)))) <= 1.0


def test_an_ensemble_whose_members_have_no_features_is_refused_in_one_line(
    rows: list, tmp_path: Path, capsys
) -> None:
    """m2f-ensemble's members are not in the default set, so `features` made no figures of
    them; the verdict step ended in a KeyError traceback deep in the fit."""
    from trainer.cli import main

    features = tmp_path / "features.jsonl"
    features.write_text("".join(json.dumps(r) + "\n" for r in rows))
    ensemble = tmp_path / "pair.ensemble.json"
    members = [{"model": m, "detection_weight": 1.0, "localization_weight": 1.0}
               for m in ("good", "absent")]  # fmt: skip
    ensemble.write_text(json.dumps({"members": members, "threshold": 0.5}))
    argv = ["verdict", "--features", str(features), "--models", str(tmp_path)]
    assert main([*argv, "--ensemble", str(ensemble), "--json", str(tmp_path / "r.json")]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pair.ensemble.json" in err[0] and "absent" in err[0]
    assert "Traceback" not in err[0]
