"""`forensic-train features --reuse OLD --only clone`: only the named analyses are re-run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.io import load_evidence
from tests.engine.analyses.conftest import jpeg_bytes, natural
from tests.engine.analyses.test_clone import cloned
from trainer.cli import main
from trainer.errors import UsageError
from trainer.verdict_features import refresh


def _red(truth: np.ndarray) -> Image.Image:
    """``truth`` drawn in pure red: luminance 76, so by luminance no pixel at all."""
    rgb = np.zeros((*truth.shape, 3), np.uint8)
    rgb[truth, 0] = 255
    return Image.fromarray(rgb)


def _old_features(tmp_path: Path) -> tuple[Path, Path, np.ndarray]:
    """A features file of two rows (a copy-move on the validation part, the same file on the
    test part) with stale clone entries and network figures, and its .maps folder. The image
    lies in a Tp/ + Gt/ data set, its mask drawn in red; the rows do not name it (a file made
    before rows named their mask)."""
    img, truth = cloned(0.0, 1.0)
    (tmp_path / "data" / "Tp").mkdir(parents=True)
    (tmp_path / "data" / "Gt").mkdir()
    image = tmp_path / "data" / "Tp" / "Sp_S_copy.jpg"
    image.write_bytes(jpeg_bytes(img, 92))
    _red(truth).save(tmp_path / "data" / "Gt" / "Sp_S_copy_gt.png")
    ev = load_evidence(image)
    stale = {"score": 0.0, "pairs": 0, "seconds": 9.9}
    network = {"score": 0.42, "heat": {"ff": 0.1}}
    rows = [
        {
            "path": str(image),
            "sha256": ev.sha256,
            "part": part,
            "label": 1,
            "kind": "copy-move",
            "models": {"net": network},
            "classic": {"clone": stale, "ela": {"score": None}},
        }
        for part in ("casia-val", "casia-test")
    ]
    old = tmp_path / "old.jsonl"
    old.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    maps = old.with_suffix(".maps")
    maps.mkdir()
    net_map = np.full(truth.shape, 7, np.uint8)
    np.savez_compressed(
        maps / f"{ev.sha256[:16]}.npz",
        net=net_map,
        clone=np.zeros(truth.shape, np.uint8),
        truth=truth.astype(np.uint8) * 255,
    )
    return old, image, truth


def test_refresh_reruns_only_the_named_analysis_on_the_chosen_parts(tmp_path: Path) -> None:
    old, _, truth = _old_features(tmp_path)
    out = tmp_path / "new.jsonl"
    done = list(refresh(old, out, ["clone"], parts={"casia-val"}))
    halves = [r for r, _ in refresh(old, tmp_path / "v.jsonl", ["ela"], {"val"})]
    assert "seconds" in halves[0]["classic"]["ela"]  # "val": casia-val (and camera-val)
    assert halves[1]["classic"]["ela"] == {"score": None}
    assert len(done) == 2
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    val, test = rows
    assert val["classic"]["clone"]["pairs"] >= 1 and val["classic"]["clone"]["score"] == 1.0
    assert val["classic"]["clone"]["pixel_f1"] > 0.8  # the truth marks both copies here
    assert val["classic"]["ela"] == {"score": None}  # not asked for: copied
    assert val["models"] == {"net": {"score": 0.42, "heat": {"ff": 0.1}}}
    assert test["classic"]["clone"] == {"score": 0.0, "pairs": 0, "seconds": 9.9}
    with np.load(out.with_suffix(".maps") / f"{val['sha256'][:16]}.npz") as z:
        assert (z["net"] == 7).all()  # network maps copied
        assert ((z["clone"] > 127) & truth).sum() > 0.8 * truth.sum()
    with np.load(old.with_suffix(".maps") / f"{val['sha256'][:16]}.npz") as z:
        assert z["clone"].max() == 0  # the old folder is left as it was


@pytest.mark.parametrize("named", [True, False])
def test_refresh_reads_the_truth_again_by_the_one_rule_of_masks(
    tmp_path: Path, named: bool
) -> None:
    """The ground truth of a refreshed row is its mask file read by engine.masks.read_mask (a
    red drawing is a region), named by the row or found in the Gt/ beside its image, not the
    truth map stored by an earlier run (here stale: empty, as the luminance read the red)."""
    old, image, truth = _old_features(tmp_path)
    npz = old.with_suffix(".maps") / f"{load_evidence(image).sha256[:16]}.npz"
    with np.load(npz) as z:
        stored = {k: z[k] for k in z.files}
    np.savez_compressed(npz, **{**stored, "truth": np.zeros(truth.shape, np.uint8)})
    if named:  # rows name their mask now; moved out of Gt/, only the row finds it
        mask = tmp_path / "elsewhere.png"
        (tmp_path / "data" / "Gt" / "Sp_S_copy_gt.png").rename(mask)
        rows = [json.loads(line) for line in old.read_text(encoding="utf-8").splitlines()]
        old.write_text("".join(json.dumps({**r, "mask": str(mask)}) + "\n" for r in rows))
    out = tmp_path / "new.jsonl"
    val, _ = (r for r, _ in refresh(old, out, ["clone"], parts={"casia-val"}))
    assert val["classic"]["clone"]["pixel_f1"] > 0.8
    with np.load(out.with_suffix(".maps") / npz.name) as z:
        assert ((z["truth"] > 127) == truth).all()  # the copy's stored truth is the mask's


def test_refresh_of_a_row_whose_mask_cannot_be_found_says_so(tmp_path: Path) -> None:
    old, _, _ = _old_features(tmp_path)
    (tmp_path / "data" / "Gt" / "Sp_S_copy_gt.png").unlink()
    with pytest.raises(ValueError, match="names no mask and none is found"):
        list(refresh(old, tmp_path / "new.jsonl", ["clone"]))


def test_refresh_refuses_a_changed_file_and_unknown_analyses(tmp_path: Path) -> None:
    old, image, _ = _old_features(tmp_path)
    with pytest.raises(ValueError, match="unknown analyses"):
        list(refresh(old, tmp_path / "new.jsonl", ["clone", "nope"]))
    image.write_bytes(jpeg_bytes(natural(64, 64, 1), 90))
    with pytest.raises(ValueError, match="SHA-256 differs"):
        list(refresh(old, tmp_path / "new.jsonl", ["clone"]))
    assert not (tmp_path / "new.jsonl").exists()  # nothing half-written


def test_the_command_line_says_what_is_wrong_in_one_line(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "missing.jsonl"
    args = ["features", "--reuse", str(missing), "--only", "clone", "--out", str(tmp_path / "x")]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"forensic-train features: error: {missing}: no such features file"


def test_parts_choose_the_camera_halves_too(tmp_path: Path) -> None:
    """`--parts val` reads no test-half photograph (a validation-only run reads no test image);
    both halves together are every photograph, and there is no camera training half."""
    from trainer.verdict_features import photo_part, work_list

    for i in range(20):
        (tmp_path / f"camera{i}.jpg").write_bytes(b"")
    names = {p.name for p in tmp_path.iterdir()}
    val = work_list(None, tmp_path, ["val"])
    test = work_list(None, tmp_path, ["test"])
    assert val and test and {part for _, part in val} == {"camera-val"}
    assert {part for _, part in test} == {"camera-test"}
    assert {s.image.name for s, _ in val + test} == names
    assert all(photo_part(s.image.name) == part for s, part in val + test)
    assert work_list(None, tmp_path, ["train"]) == []
    # one source's part alone: the camera validation half without CASIA's validation part
    assert work_list(None, tmp_path, ["camera-val"]) == val
    both = work_list(None, tmp_path, ["test", "camera-val"])  # the bench's: every photograph
    assert sorted(s.image.name for s, _ in both) == sorted(names)
    with pytest.raises(UsageError, match="no part named vla"):
        work_list(None, tmp_path, ["val", "vla"])


def test_forgeries_of_one_camera_half_become_its_part_and_a_mixed_folder_is_refused(
    tmp_path: Path,
) -> None:
    """bench.evidence_forgeries' folders join the features as forgeries-val / forgeries-test,
    by the half their photographs.json says and photo_part confirms; kinds from the names."""
    from bench.evidence_forgeries import make_forgeries
    from tests.conftest import write_rgb
    from trainer.verdict_features import forgeries_part, kind_of, photo_part, work_list

    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(8):
        write_rgb(photos / f"cam{i}.png", 64, 96, seed=i)
    data = make_forgeries(photos, "test", tmp_path / "out", 1, 3)
    assert forgeries_part(data) == "forgeries-test"
    items = work_list(None, None, ["test"], [data])
    assert {part for _, part in items} == {"forgeries-test"}
    assert sum(s.label for s, _ in items) == len(list((data / "Tp").iterdir()))
    assert not work_list(None, None, ["val"], [data])  # the validation part holds none of them
    assert kind_of("sy_00003_copymove.png", 1) == "copy-move"
    assert kind_of("sy_00004_inpaint.png", 1) == "inpaint"

    listed = json.loads((data / "photos.json").read_text())
    other = next(p.name for p in photos.iterdir() if photo_part(p.name) == "camera-val")
    listed["photos"].append(other)  # a validation photograph among the test half's
    (data / "photos.json").write_text(json.dumps(listed))
    with pytest.raises(UsageError, match="photographs are in"):
        forgeries_part(data)


def test_synth_makes_forgeries_of_one_camera_half_for_the_features(tmp_path: Path) -> None:
    from tests.conftest import write_rgb
    from trainer.verdict_features import forgeries_part, photo_part

    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(8):
        write_rgb(photos / f"cam{i}.png", 64, 96, seed=i)
    out = tmp_path / "forged"
    argv = ["synth", str(photos), "--out", str(out), "--camera-half", "val", "--per-photo", "2"]
    assert main(argv) == 0
    listed = json.loads((out / "photos.json").read_text())
    assert listed["half"] == "val" and listed["photos"]
    assert len(list((out / "Tp").iterdir())) == 2 * len(listed["photos"])
    assert all(photo_part(n) == "camera-val" for n in listed["photos"])
    assert len(list((out / "Au").iterdir())) == len(listed["photos"])
    assert forgeries_part(out) == "forgeries-val"


def test_refresh_refuses_masks_that_look_inverted_as_features_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``features`` refuses masks that look inverted (its pixel F1 would be measured against
    them), but ``--reuse`` read every row's mask again and measured against it without the
    rule. It refuses them now, before anything is written, in a line naming the override;
    with ``--masks-as-given`` it measures against them and says so at the end."""
    old, _, truth = _old_features(tmp_path)
    mask = tmp_path / "data" / "Gt" / "Sp_S_copy_gt.png"
    Image.fromarray(np.where(truth, 0, 255).astype(np.uint8), mode="L").save(mask)  # inverted
    out = tmp_path / "new.jsonl"
    argv = ["features", "--reuse", str(old), "--only", "clone", "--parts", "val"]
    argv += ["--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"forensic-train features: error: {mask}: the masks look inverted")
    assert "give --masks-as-given" in err and "\n" not in err
    assert not out.exists() and not out.with_suffix(".maps").exists()

    assert main([*argv, "--masks-as-given"]) == 0
    (line,) = [ln for ln in capsys.readouterr().err.splitlines() if "--masks-as-given" in ln]
    assert line.startswith(f"warning: {mask}: the masks look inverted: 1 of 1")
    assert line.endswith("used as given (--masks-as-given), not refused as inverted")
    val, _ = (json.loads(r) for r in out.read_text(encoding="utf-8").splitlines())
    assert val["classic"]["clone"]["pixel_f1"] < 0.5  # measured against the mask as given


ESC = "\x1b[2J\u202e"  # clears the terminal; reverses what follows


def _no_control(*texts: str) -> None:
    for text in texts:
        assert "\x1b" not in text and "\u202e" not in text, text


def test_refresh_prints_names_with_escape_sequences_shown_not_obeyed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A data set is downloaded, so its file names are untrusted: ``features --reuse`` printed
    each image's name on its progress line, and the masks-as-given warning its mask's path,
    as they are (an image named ``a\\x1b[2J.jpg`` cleared the terminal), where the rest of
    the trainer shows them as ``\\x1b``."""
    old, image, truth = _old_features(tmp_path)
    named = image.with_name(f"Sp_S_copy{ESC}.jpg")
    image.rename(named)
    mask = tmp_path / "data" / "Gt" / f"Sp_S_copy{ESC}_gt.png"
    Image.fromarray(np.where(truth, 0, 255).astype(np.uint8), mode="L").save(mask)  # inverted
    (tmp_path / "data" / "Gt" / "Sp_S_copy_gt.png").unlink()
    rows = [json.loads(line) for line in old.read_text(encoding="utf-8").splitlines()]
    old.write_text("".join(json.dumps({**r, "path": str(named)}) + "\n" for r in rows))
    out = tmp_path / "new.jsonl"
    argv = ["features", "--reuse", str(old), "--only", "clone", "--parts", "val"]
    assert main([*argv, "--out", str(out), "--masks-as-given"]) == 0
    said, err = capsys.readouterr()
    lines = said.splitlines()
    assert [ln.rsplit(" ", 1)[0] for ln in lines] == [
        "1 Sp_S_copy\\x1b[2J\\u202e.jpg",
        "2 Sp_S_copy\\x1b[2J\\u202e.jpg",
    ]
    (line,) = [ln for ln in err.splitlines() if "--masks-as-given" in ln]
    assert line.startswith("warning: ") and "Sp_S_copy\\x1b[2J\\u202e_gt.png: " in line
    _no_control(said, err)


def test_features_says_a_file_it_skips_with_escape_sequences_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``features`` said an image it could not read in a ``skip <path>: <error>`` line with
    the name as it is; it is shown as the other commands show it."""
    import engine.assembly
    from engine.checkpoints import load_checkpoint
    from engine.pipeline import Analyzer
    from tests.conftest import make_tiny_checkpoint

    loaded = load_checkpoint(make_tiny_checkpoint(tmp_path / "tiny.safetensors"))
    monkeypatch.setattr(
        engine.assembly, "assemble_analyzer", lambda *_a, **_k: Analyzer([loaded], device="cpu")
    )
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / f"bad{ESC}\n.jpg").write_bytes(b"\xff\xd8\xff not a JPEG")
    out = tmp_path / "f.jsonl"
    argv = ["features", "--photos", str(photos), "--parts", "val,test", "--out", str(out)]
    assert main(argv) == 0
    said, err = capsys.readouterr()
    (line,) = err.splitlines()  # one line: a line break in the name is shown too
    assert line.startswith(f"skip {photos}/bad\\x1b[2J\\u202e\\x0a.jpg: ")
    _no_control(said, err)


def test_a_tampered_rows_faint_mask_is_refused_as_fit_refuses_it(tmp_path: Path) -> None:
    """A faint mask (0 and 100) reads as empty: a row's pixel F1 was measured against nothing. As
    ``fit`` (trainer.data.records.load_mask) it is refused naming the mask; ``--reuse`` writes
    nothing. An authentic image's such mask stays what it reads: empty."""
    from trainer.errors import DataError
    from trainer.verdict_features import read_truth

    old, image, truth = _old_features(tmp_path)
    faint = tmp_path / "data" / "Gt" / "Sp_S_copy_faint.png"
    Image.fromarray(truth.astype(np.uint8) * 100).save(faint)  # 0 and 100
    good = tmp_path / "data" / "Gt" / "Sp_S_copy_gt.png"
    val, test = (json.loads(line) for line in old.read_text(encoding="utf-8").splitlines())
    old.write_text(json.dumps({**val, "mask": str(faint)}) + "\n" + json.dumps(test) + "\n")
    with pytest.raises(DataError, match=r"its brightest value is 100; .*save the tampered region"):
        list(refresh(old, tmp_path / "new.jsonl", ["clone"]))
    assert not (tmp_path / "new.jsonl").exists()
    ev = load_evidence(image)
    assert not read_truth(faint, ev, tampered=False).any()
    assert (read_truth(good, ev) == truth).all()
