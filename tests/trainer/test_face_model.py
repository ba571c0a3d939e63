"""forensic-train face-model: rule chosen on validation face crops, figures on test, written
as a face model (scope "faces")."""

from __future__ import annotations

import json
from pathlib import Path
from statistics import NormalDist
from typing import Any

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

from engine.checkpoints import load_checkpoint
from tests.conftest import make_tiny_checkpoint
from trainer.cli import main
from trainer.face_crops import crop_group, crop_kind
from trainer.face_model import PIXEL_GRID, choose, report, theta_gap


def _row(label: int, logit: float, f1: float = 0.0, kind: str = "selfblend", group: str = "fr"):
    return {
        "file": "x.png",
        "label": label,
        "kind": kind if label else "authentic",
        "group": group,
        "logit": logit,
        "fractions": [0.1] * len(PIXEL_GRID),
        **({"f1": [f1 if t == 0.35 else 0.0 for t in PIXEL_GRID]} if label else {}),
    }


def test_names_tell_kind_and_source() -> None:
    assert crop_kind("ff_00012_swap_val_fr_frontal-test-3_f0.png") == "swap"
    assert crop_kind("au_val_cam_Canon-EOS_f1.png") == "authentic"
    assert crop_group("au_val_cam_Canon-EOS_f1.png") == "cam"
    assert crop_group("ff_00001_eyes_test_casia_Au_ani_0001_f0.png") == "casia"


def test_theta_keeps_validation_false_alarms_under_the_target() -> None:
    authentic = [_row(0, x) for x in np.linspace(-4, 1, 40)]
    forged = [_row(1, x, f1=0.6) for x in np.linspace(-1, 5, 40)]
    k, theta, cal = choose(authentic + forged, "logit", 0.05)
    assert PIXEL_GRID[k] == 0.35  # the threshold with the best mean F1
    flagged = sum(1 / (1 + np.exp(-r["logit"])) > theta for r in authentic)
    assert flagged <= 2  # 5 % of 40
    assert cal["a"] > 0  # higher logits, more likely forged
    # even odds: the statistic where the two classes meet reads about 0.5
    assert 0.2 < 1 / (1 + np.exp(-(cal["a"] * 0.5 + cal["b"]))) < 0.8
    figures = report(authentic + forged, "logit", k, theta, cal)
    assert figures["authentic_flagged"] == [flagged, 40]
    assert 0.9 < figures["auc"] <= 1.0
    assert figures["pixel_f1"] == pytest.approx(0.6)


def test_faces_of_one_class_get_no_balanced_accuracy() -> None:
    """face-model's balanced accuracy is engine.metrics.balanced_accuracy, which of one class
    is that class's recall (1.0 here); but its report asks the AUC first, which refuses a part
    of one class in one line, so that recall is never printed nor stored (checked)."""
    from trainer.errors import UsageError

    authentic = [_row(0, x) for x in (-3.0, -2.0, -1.0, 0.0)]
    with pytest.raises(UsageError, match="needs tampered and authentic images"):
        report(authentic, "logit", 0, 0.9, {})
    forged = [_row(1, x, f1=0.6) for x in (1.0, 3.0, 4.0, 5.0)]
    assert report(authentic + forged, "logit", 0, 0.9, {})["balanced_accuracy"] == 0.875


def test_theta_sits_in_the_gap_not_on_a_validation_face() -> None:
    """No validation face lies on θ (one would flip on a change in the last digits); θ is the
    middle, on the logit scale, of the gap between the highest face that must stay unflagged
    and the next face above it, so every validation face keeps its side."""
    authentic = [_row(0, x) for x in (-3.0, -1.0, 0.0, 2.0)]
    forged = [_row(1, x, f1=0.6) for x in (-2.0, 1.0, 3.0, 4.0)]
    k, theta, _ = choose(authentic + forged, "logit", 0.0)  # none may be flagged: above 2.0
    assert np.log(theta / (1 - theta)) == pytest.approx((2.0 + 3.0) / 2)
    val = authentic + forged
    scores = [1 / (1 + np.exp(-r["logit"])) for r in val]
    assert all(abs(s - theta) > 1e-3 for s in scores)
    assert sum(s > theta for s in scores) == sum(r["logit"] > 2.0 for r in val)  # same sides
    gap = theta_gap(val, "logit", k, theta)
    assert gap["below"]["label"] == 0 and gap["below"]["score"] < theta < gap["above"]["score"]
    assert gap["above"]["label"] == 1 and gap["above"]["score"] == pytest.approx(
        1 / (1 + np.exp(-3))
    )


def test_a_fitted_theta_uses_every_authentic_face_not_only_the_highest() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(-2.0, 1.0, 30)
    forged = [_row(1, x, f1=0.6) for x in np.linspace(-1, 5, 40)]
    outlier = [*logits[:-1], 9.0]  # one unusual face
    counted = [
        choose([*(_row(0, x) for x in a), *forged], "logit", 0.03)[1] for a in (logits, outlier)
    ]
    fitted = [
        choose([*(_row(0, x) for x in a), *forged], "logit", 0.03, "normal")[1]
        for a in (logits, outlier)
    ]
    # counted: θ is the highest face's score, so the outlier alone lifts it to σ(9)
    assert counted[1] == pytest.approx(1 / (1 + np.exp(-9.0)))
    # fitted: σ(mean + z(0.97) x sd) of the faces, as the module says
    z = NormalDist().inv_cdf(0.97)
    expect = 1 / (1 + np.exp(-(np.mean(outlier) + z * np.std(outlier, ddof=1))))
    assert fitted[1] == pytest.approx(expect)
    assert fitted[1] < counted[1]
    assert abs(fitted[0] - counted[0]) < 0.15  # without the outlier the two agree roughly
    with pytest.raises(Exception, match="two or more"):
        choose([_row(0, 0.0), *forged], "logit", 0.03, "normal")


def test_validation_without_authentic_faces_is_refused() -> None:
    with pytest.raises(Exception, match="forged and authentic"):
        choose([_row(1, 1.0, 0.5)], "logit", 0.05)


def _crops(folder: Path, seed: int, n: int = 3) -> Path:
    rng = np.random.default_rng(seed)
    for sub in ("Tp", "Gt", "Au"):
        (folder / sub).mkdir(parents=True)
    for i in range(n):
        px = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
        Image.fromarray(px).save(folder / "Tp" / f"ff_{i:05d}_swap_val_fr_p{i}_f0.png")
        gt = np.zeros((64, 64), np.uint8)
        gt[16:48, 16:48] = 255
        Image.fromarray(gt).save(folder / "Gt" / f"ff_{i:05d}_swap_val_fr_p{i}_f0.png")
        Image.fromarray(px[::-1].copy()).save(folder / "Au" / f"au_val_fr_p{i}_f0.png")
    return folder


def test_the_command_writes_a_face_model(tmp_path: Path) -> None:
    ckpt = make_tiny_checkpoint(tmp_path / "tiny.safetensors")
    out = tmp_path / "models" / "tiny-faces.safetensors"
    code = main(
        [
            "face-model", "--model", str(ckpt), "--val", str(_crops(tmp_path / "val", 0)),
            "--test", str(_crops(tmp_path / "test", 1)), "--out", str(out),
            "--json", str(tmp_path / "fm.json"), "--device", "cpu",
        ]
    )  # fmt: skip
    assert code == 0
    meta = load_checkpoint(out).meta
    assert meta.scope == "faces" and meta.name == "tiny-faces"
    assert meta.metrics["face_test"]["faces"] == 6
    assert meta.decision.provenance.startswith("θ = ")
    assert meta.decision.details["theta_from"] == "max"
    assert meta.decision.calibration["reliability"]["split"].startswith("test part")
    # the source checkpoint is untouched: still a whole-image model
    assert load_checkpoint(ckpt).meta.scope == "image"
    # mirror test-time augmentation measured on validation (auto), recorded with the choice
    report = json.loads((tmp_path / "fm.json").read_text(encoding="utf-8"))
    assert set(report["val_auc"]) == {"plain", "mirror"}
    assert meta.input_policy.mirror == report["mirror"]
    assert report["mirror"] == (report["val_auc"]["mirror"] > report["val_auc"]["plain"])


def test_a_face_model_is_decided_again_with_its_weights_unchanged(tmp_path: Path) -> None:
    """``--model`` a face model (scope "faces"): its crops are scored as before (the same θ
    from the same parts), another ``--false-alarms`` moves θ, the weights stay."""
    from safetensors.torch import load_file

    ckpt = make_tiny_checkpoint(tmp_path / "tiny.safetensors")
    val, test = _crops(tmp_path / "val", 0), _crops(tmp_path / "test", 1)

    def face_model(model: Path, out: Path, rate: str) -> Any:
        args = ["face-model", "--model", str(model), "--val", str(val), "--test", str(test)]
        args += ["--out", str(out), "--json", str(out.with_suffix(".json")), "--device", "cpu"]
        assert main([*args, "--mirror", "off", "--false-alarms", rate]) == 0
        return load_checkpoint(out).meta

    first = face_model(ckpt, tmp_path / "first.safetensors", "0.5")
    again = face_model(tmp_path / "first.safetensors", tmp_path / "again.safetensors", "0.5")
    assert again.scope == "faces" and again.decision.threshold == first.decision.threshold
    strict = face_model(tmp_path / "first.safetensors", tmp_path / "strict.safetensors", "0")
    assert strict.decision.threshold > first.decision.threshold  # none of 3 above, not 1
    w0, w1 = load_file(str(ckpt)), load_file(str(tmp_path / "strict.safetensors"))
    assert w0.keys() == w1.keys() and all(torch.equal(w0[k], w1[k]) for k in w0)


def test_without_a_test_part_only_validation_is_measured_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Candidates are compared on validation: no --test, no --out, the choices and the
    figures at θ on the validation part in --json; the same choices as a full run's."""
    ckpt = make_tiny_checkpoint(tmp_path / "tiny.safetensors")
    val = _crops(tmp_path / "val", 0)
    args = ["face-model", "--model", str(ckpt), "--val", str(val), "--device", "cpu"]
    args += ["--mirror", "off", "--false-alarms", "0.5"]
    assert main([*args, "--json", str(tmp_path / "val.json")]) == 0
    only = json.loads((tmp_path / "val.json").read_text(encoding="utf-8"))
    assert "test" not in only
    assert [p.name for p in tmp_path.glob("*.safetensors")] == ["tiny.safetensors"]
    v = only["val_figures"]
    assert (v["faces"], v["forged"], v["authentic"]) == (6, 3, 3)
    assert v["authentic_flagged"][0] <= 1  # at most 50 % of 3 authentic faces above θ
    assert 0 <= v["detected_forged"] <= 3
    out = tmp_path / "full.safetensors"
    full_args = [*args, "--json", str(tmp_path / "full.json"), "--out", str(out)]
    assert main([*full_args, "--test", str(_crops(tmp_path / "test", 1))]) == 0
    full = json.loads((tmp_path / "full.json").read_text(encoding="utf-8"))
    assert (full["theta"], full["val_figures"]) == (only["theta"], only["val_figures"])
    capsys.readouterr()
    # --out without --test (or --test without --out): refused with one line, nothing written
    assert main([*args, "--json", str(tmp_path / "x.json"), "--out", str(tmp_path / "x")]) == 2
    assert "--out and --test go together" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()


def test_a_runs_split_chooses_and_the_face_model_is_written_without_a_test_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """As the training dialog runs it after fit --init of a face model: the validation split
    of the run's data (as fit made it) chooses, and --out is written with that split's
    figures, named as the validation split, never as held out."""
    from tests.trainer.test_plan import write_checkpoint
    from trainer.setup import DataSpec, read_and_split

    ckpt = write_checkpoint(
        tmp_path / "faces.safetensors", "crfd-net-compact", scope="faces", channels=(8, 16, 32)
    )
    data = _crops(tmp_path / "crops", 0, n=6)
    out = tmp_path / "run" / "calibrated.safetensors"
    args = ["face-model", "--model", str(ckpt), "--data", str(data), "--val-fraction", "0.5"]
    args += ["--split-by", "seed", "--seed", "3", "--device", "cpu", "--mirror", "off"]
    capsys.readouterr()
    assert main([*args, "--json", str(tmp_path / "x.json"), "--test", str(data)]) == 2
    assert "--out and --test go together" in capsys.readouterr().err  # --test is for --out
    assert main([*args, "--json", str(tmp_path / "x.json"), "--val", str(data)]) == 2
    assert "one of them" in capsys.readouterr().err  # --val or the split, not both
    threads: list[int] = []
    cv_threads: list[int] = []  # OpenCV's pool too, as fit's --threads sets it
    monkeypatch.setattr(torch, "set_num_threads", threads.append)
    monkeypatch.setattr(cv2, "setNumThreads", cv_threads.append)
    args += ["--out", str(out), "--json", str(tmp_path / "fm.json"), "--name", "tuned"]
    assert main([*args, "--threads", "1", "--false-alarms", "0.3"]) == 0
    assert threads == [1] and cv_threads == [1]
    meta = load_checkpoint(out).meta
    report_ = json.loads((tmp_path / "fm.json").read_text(encoding="utf-8"))
    assert meta.scope == "faces" and meta.name == "tuned" and "test" not in report_
    split = read_and_split([DataSpec(data)], split_by="seed", val_fraction=0.5, seed=3)
    assert report_["val"]["faces"] == len(split.val) < 12  # the split's validation part only
    assert {r.label for r in split.val} == {0, 1}
    assert meta.decision.threshold == report_["theta"] != 0.5  # θ chosen, not fit's default
    assert meta.decision.pixel_threshold == report_["pixel_threshold"]
    assert meta.decision.details["data"] == [str(data)]
    assert meta.decision.details["split"] == split.split
    said = [meta.decision.provenance, meta.decision.calibration["reliability"]["split"]]
    assert all("crops validation split (seed) of the run's data" in t for t in said)
    assert not any("held" in t or "test" in t for t in said)
    assert meta.metrics["face_val"] == report_["val_figures"] and "face_test" not in meta.metrics


def test_mirror_on_and_off_are_obeyed(tmp_path: Path) -> None:
    ckpt = make_tiny_checkpoint(tmp_path / "tiny.safetensors")
    val, test = _crops(tmp_path / "val", 0), _crops(tmp_path / "test", 1)
    for choice, expected in (("on", True), ("off", False)):
        out = tmp_path / f"{choice}.safetensors"
        args = ["face-model", "--model", str(ckpt), "--val", str(val), "--test", str(test)]
        args += ["--out", str(out), "--json", str(tmp_path / f"{choice}.json")]
        theta_from = "normal" if expected else "max"
        args += ["--theta-from", theta_from]
        assert main([*args, "--mirror", choice, "--device", "cpu"]) == 0
        meta = load_checkpoint(out).meta
        assert meta.input_policy.mirror is expected
        assert meta.decision.details["theta_from"] == theta_from
        assert ("normal distribution" in meta.decision.provenance) is expected
        report = json.loads((tmp_path / f"{choice}.json").read_text(encoding="utf-8"))
        assert ("mirror" in report["val_auc"]) is (choice == "on")


def test_photo_faces_are_scored_on_the_face_paths_own_crop(tmp_path: Path) -> None:
    from engine.facepath import crop_box, face_window, resize_crop
    from engine.io import load_evidence
    from tests.engine.test_facepath import FakeDetector
    from trainer.face_crops import score_crops, score_photo_faces

    # the fine-tuned checkpoint as the command reads it (scope "image" until it is written)
    face = load_checkpoint(make_tiny_checkpoint(tmp_path / "face.safetensors", name="face"))
    photos = tmp_path / "photos"
    photos.mkdir()
    px = np.random.default_rng(3).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    Image.fromarray(px).save(photos / "p.png")
    box = (100, 60, 80, 80)
    (row,) = score_photo_faces(face, [photos], "cpu", detector=FakeDetector(box))
    assert (row["label"], row["kind"], row["file"]) == (0, "authentic", "p.png#face0")

    def crop_row(b: tuple[int, int, int, int], folder: Path) -> dict:
        (folder / "Au").mkdir(parents=True)
        crop = resize_crop(px, crop_box(b, 320, 240), face_window(face))
        Image.fromarray(crop).save(folder / "Au" / "au_val_cam_p_f0.png")  # lossless
        (only,) = score_crops(face, folder, "cpu")
        return only

    same = crop_row(box, tmp_path / "same")
    assert row["logit"] == same["logit"] and row["fractions"] == same["fractions"]
    shifted = crop_row((110, 70, 80, 80), tmp_path / "shifted")  # another crop scores otherwise
    assert row["fractions"] != shifted["fractions"] or row["logit"] != shifted["logit"]
    assert load_evidence(photos / "p.png").pixels.shape == (240, 320, 3)


def test_val_photos_join_the_authentic_faces_theta_is_chosen_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import engine.faces
    from tests.engine.test_facepath import FakeDetector

    monkeypatch.setattr(engine.faces, "FaceDetector", lambda: FakeDetector((20, 20, 30, 30)))
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(2):
        px = np.random.default_rng(10 + i).integers(0, 256, (96, 128, 3), dtype=np.uint8)
        Image.fromarray(px).save(photos / f"p{i}.png")
    ckpt = make_tiny_checkpoint(tmp_path / "tiny.safetensors")
    out = tmp_path / "models" / "tiny-faces.safetensors"
    code = main(
        [
            "face-model", "--model", str(ckpt), "--val", str(_crops(tmp_path / "val", 0)),
            "--test", str(_crops(tmp_path / "test", 1)), "--out", str(out),
            "--json", str(tmp_path / "fm.json"), "--device", "cpu", "--mirror", "off",
            "--val-photos", str(photos),
        ]
    )  # fmt: skip
    assert code == 0
    report_ = json.loads((tmp_path / "fm.json").read_text(encoding="utf-8"))
    assert {k: report_["val"][k] for k in ("faces", "photo_faces")} == {
        "faces": 8,
        "photo_faces": 2,
    }
    flagged = report_["val"]["photo_faces_flagged"]
    assert set(flagged) <= {"p0.png#face0", "p1.png#face0"}
    assert (
        len(flagged)
        == report_["val_figures"]["authentic_flagged_per_source"].get(
            "authentic faces the face path cut from the photographs", [0]
        )[0]
    )
    assert "2 faces of its photographs as the face path cuts them" in (
        load_checkpoint(out).meta.decision.provenance
    )


def test_the_face_path_on_photographs_counts_photographs_faces_and_flags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import engine.faces
    from tests.engine.test_facepath import FakeDetector
    from trainer.face_crops import face_path_on_photos

    monkeypatch.setattr(engine.faces, "FaceDetector", lambda: FakeDetector((20, 20, 30, 30)))
    ckpt = make_tiny_checkpoint(tmp_path / "tiny.safetensors")
    out = tmp_path / "face.safetensors"
    args = ["face-model", "--model", str(ckpt), "--val", str(_crops(tmp_path / "val", 0))]
    args += ["--test", str(_crops(tmp_path / "test", 1)), "--out", str(out)]
    assert main([*args, "--json", str(tmp_path / "f.json"), "--device", "cpu"]) == 0
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(2):
        px = np.random.default_rng(20 + i).integers(0, 256, (96, 128, 3), dtype=np.uint8)
        Image.fromarray(px).save(photos / f"p{i}.png")
    (photos / "broken.png").write_bytes(b"not an image")  # said and skipped
    got = face_path_on_photos(out, [photos], "cpu")
    assert (got["photos"], got["faces"]) == (2, 2)
    assert got["faces_flagged"] == len(got["photos_flagged"]) <= 2
    assert set(got["photos_flagged"]) <= {"p0.png", "p1.png"}
    assert got["seconds_per_face"] > 0


def _large_masks(folder: Path) -> Path:
    """The forged crops' masks of ``folder`` made to cover seven eighths of their crop: right
    for forgeries that large, and inverted-looking to the rule (most mark more than half)."""
    large = np.zeros((64, 64), np.uint8)
    large[8:, :] = 255
    for mask in (folder / "Gt").iterdir():
        Image.fromarray(large).save(mask)
    return folder


@pytest.mark.parametrize("part", ["val", "test"])
def test_masks_that_look_inverted_are_refused_unless_given_as_they_are(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], part: str
) -> None:
    """face-model chose its pixel threshold (and measured the test part's pixel F1) against
    masks that fit, eval and calibrate refuse as inverted, without a word. It refuses them
    now, before any model loads, in a line naming --masks-as-given; with it, the masks are
    used as they are, said in a warning and recorded in --json and the decision's details."""
    ckpt = make_tiny_checkpoint(tmp_path / "tiny.safetensors")
    val, test = _crops(tmp_path / "val", 0), _crops(tmp_path / "test", 1)
    large = _large_masks(val if part == "val" else test)
    out, report_ = tmp_path / "faces.safetensors", tmp_path / "fm.json"
    args = ["face-model", "--model", str(ckpt), "--val", str(val), "--test", str(test)]
    args += ["--out", str(out), "--json", str(report_), "--device", "cpu", "--mirror", "off"]
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"forensic-train face-model: error: {large / 'Gt'}/ff_00000")
    assert "the masks look inverted: 3 of 3" in err and "give --masks-as-given" in err
    assert not out.exists() and not report_.exists()

    assert main([*args, "--masks-as-given"]) == 0
    (line,) = [ln for ln in capsys.readouterr().err.splitlines() if "--masks-as-given" in ln]
    assert line.startswith(f"warning: {large / 'Gt'}/ff_00000")
    assert line.endswith("used as given (--masks-as-given), not refused as inverted")
    given = [line.removeprefix("warning: ")]
    assert json.loads(report_.read_text(encoding="utf-8"))["masks_as_given"] == given
    assert load_checkpoint(out).meta.decision.details["masks_as_given"] == given


ESC = "\x1b[2J\u202e"  # clears the terminal; reverses what follows


def test_names_are_printed_with_escape_sequences_shown_not_obeyed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Face crops and photographs are downloaded, so their names are untrusted: face-model
    printed a crop it could not read (``skipped: <path>: <problem>``) and the masks-as-given
    warning with the names as they are, where the rest of the trainer shows them as ``\\x1b``
    (an image named ``a\\x1b[2J.png`` cleared the terminal)."""
    from trainer.face_crops import _photographs

    ckpt = make_tiny_checkpoint(tmp_path / "tiny.safetensors")
    val = _large_masks(_crops(tmp_path / f"v{ESC}", 0))
    (val / "Au" / "au_val_fr_bad_f0.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    args = ["face-model", "--model", str(ckpt), "--val", str(val), "--device", "cpu"]
    args += ["--mirror", "off", "--masks-as-given", "--json", str(tmp_path / "v.json")]
    capsys.readouterr()
    assert main(args) == 0
    err = capsys.readouterr().err
    shown = f"{tmp_path}/v\\x1b[2J\\u202e"
    assert f"skipped: {shown}/Au/au_val_fr_bad_f0.png: " in err
    assert f"warning: {shown}/Gt/ff_00000" in err
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / f"bad{ESC}\n.png").write_bytes(b"not an image")
    assert list(_photographs([photos])) == []
    err2 = capsys.readouterr().err
    assert err2.startswith(f"skipped: {photos}/bad\\x1b[2J\\u202e\\x0a.png: ")
    assert len(err2.splitlines()) == 1  # a line break in the name is shown too
    for text in (err, err2):
        assert "\x1b" not in text and "\u202e" not in text
