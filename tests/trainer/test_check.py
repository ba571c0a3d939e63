"""``forensic-train check``: counts, problems, split and exit status, before any training."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.trainer.conftest import make_folder, save_mask
from trainer import cli
from trainer.check import check, split_weight
from trainer.data.records import read_dataset
from trainer.data.splits import three_way_split
from trainer.errors import DataError
from trainer.setup import parse_data_spec


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, dict]:
    code = cli.main(["check", *argv, "--json"])
    out, _ = capsys.readouterr()
    lines = out.strip().splitlines()
    assert len(lines) == 1, out
    return code, json.loads(lines[0])


def test_counts_split_and_calibration(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_folder(tmp_path / "d", 6, 2, seed=0, size=48)
    code, r = _run(capsys, ["--data", str(root), "--val-fraction", "0.3", "--split-by", "seed"])
    assert code == 0 and r["ok"]
    assert (r["tampered"], r["masks"], r["authentic"], r["unreadable"]) == (6, 6, 2, 0)
    split = r["split"]
    # validation is the held-out part's validation half, as fit and calibrate take it; the
    # test half (chooses nothing) is counted on neither side
    train, choose, test = three_way_split(read_dataset(root), 0.3, "seed", 0)
    assert test and split["val_tampered"] + split["val_authentic"] == len(choose)
    assert split["test_tampered"] + split["test_authentic"] == len(test)
    assert sum(split.values()) == len(train) + len(choose) + len(test) == 8
    # calibrate refuses θ on fewer than 5 authentic training or tampered validation images
    assert r["calibration_minimum"] == 5
    assert r["calibration"] == (min(split["train_authentic"], split["val_tampered"]) >= 5)
    assert r["problems"] == []


def test_a_split_too_small_for_theta_is_said_and_skips_calibrate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One tampered validation image and more was enough for check's ``calibration``, so the
    training dialog planned calibrate on a split it refuses (fewer than 5 of a side) and said
    "θ will be calibrated after training"."""
    from trainer.plan import TrainingConfig

    train = make_folder(tmp_path / "train", 2, 8, seed=0, size=32)
    val = make_folder(tmp_path / "val", 3, 1, seed=1, size=32)
    argv = ["--data", str(train), "--val-data", str(val)]
    code, r = _run(capsys, argv)
    assert code == 0 and r["ok"]
    assert (r["split"]["train_authentic"], r["split"]["val_tampered"]) == (8, 3)
    assert not r["calibration"] and r["calibration_minimum"] == 5
    config = TrainingConfig("few", "crfd-net-compact", [str(train)], str(tmp_path / "runs"))
    assert not config.can_calibrate(r)  # the plan installs the uncalibrated model instead
    assert cli.main(["check", *argv]) == 0
    text = capsys.readouterr().out
    assert (
        "θ: set on 8 authentic training and 3 tampered validation images, 5 of each needed: "
        "cannot be calibrated"
    ) in text
    more = make_folder(tmp_path / "more", 5, 1, seed=2, size=32)
    code, r = _run(capsys, ["--data", str(train), "--val-data", str(more)])
    assert r["calibration"] and config.can_calibrate(r)


def test_problems_exit_2_and_keep_the_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_folder(tmp_path / "d", 3, 1, seed=0, size=48)
    (root / "Gt" / "t001.png").unlink()
    code, r = _run(capsys, ["--data", str(root), "--data", str(tmp_path / "nope")])
    assert code == 2 and not r["ok"]
    assert (r["tampered"], r["masks"], r["authentic"]) == (3, 2, 1)
    assert any("t001.png: tampered image has no mask" in p for p in r["problems"])
    assert any(p.endswith("nope: no such data folder") for p in r["problems"])
    assert r["split"] is None


def test_misfit_mask_and_missing_tampered_images(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "d", 3, 1, seed=0, size=48)
    save_mask(root / "Gt" / "t002.png", np.ones((20, 30), np.uint8))
    r = check([str(root)])
    assert not r["ok"] and "mask is 30x20 but its image t002.png is 48x48" in r["problems"][0]
    au_only = make_folder(tmp_path / "au", 0, 3, seed=1, size=48)
    assert "nothing to learn masks from" in check([str(au_only)])["problems"][0]
    assert check([str(au_only)], stage="pretrain")["ok"]  # stage 1 ignores masks


def test_unreadable_images_and_missing_authentic_are_warnings(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "d", 4, 0, seed=0, size=48)
    (root / "Au").mkdir()
    (root / "Au" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    r = check([str(root)], val_fraction=0.3, split_by="seed")
    assert r["ok"] and r["unreadable"] == 1
    assert any("broken.png: cannot be read and will be skipped" in w for w in r["warnings"])
    assert not r["calibration"]
    assert any("θ cannot be calibrated" in w for w in r["warnings"])


@pytest.mark.parametrize("text", ["/d/x", "/d/x:0.5", "C:/data", "/d/x:abc", "rel:2"])
def test_weights_read_as_fit_reads_them(text: str) -> None:
    spec = parse_data_spec(text)
    assert split_weight(text) == (spec.path, spec.weight)


def test_every_problem_is_named_not_the_first_and_a_count(tmp_path: Path) -> None:
    """Two missing masks and a mask of the wrong size: all three named, each on its own, so
    one run of check is enough to mend a data set."""
    root = make_folder(tmp_path / "d", 4, 1, seed=0, size=48)
    (root / "Gt" / "t000.png").unlink()
    (root / "Gt" / "t001.png").unlink()
    save_mask(root / "Gt" / "t002.png", np.ones((20, 30), np.uint8))
    problems = check([str(root)])["problems"]
    assert sum("tampered image has no mask" in p for p in problems) == 2
    assert any(p.startswith(str(root / "Tp" / "t001.png")) for p in problems)
    assert any("mask is 30x20 but its image t002.png is 48x48" in p for p in problems)
    assert not any("more" in p for p in problems)


def test_a_tampered_image_whose_mask_marks_nothing_is_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Such an image gives no forged window: check says so, and so does fit."""
    root = make_folder(tmp_path / "d", 4, 2, seed=0, size=48)
    save_mask(root / "Gt" / "t003.png", np.zeros((48, 48), np.uint8))
    r = check([str(root)], val_fraction=0.3, split_by="seed")
    assert r["ok"]
    assert any("t003.png: tampered image whose mask marks no tampered pixel" in w
               for w in r["warnings"])  # fmt: skip
    argv = ["fit", "--arch", "crfd-net-compact", "--model-config", "channels=8,16,32"]
    argv += ["--data", str(root), "--out", str(tmp_path / "run"), "--window", "32"]
    argv += ["--epochs", "1", "--max-steps", "1", "--no-val", "--threads", "1"]
    assert cli.main(argv) == 0
    err = capsys.readouterr().err
    assert "t003.png: tampered image whose mask marks no tampered pixel" in err


def test_a_mask_drawn_below_128_is_a_problem_for_check_and_fit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mask whose tampered pixels are 100 reads as marking nothing: check warned that the
    image "gives no forged window", said "ready to train", and fit trained its forged region
    as untouched texture. It is a problem naming the value now, and fit refuses it."""
    root = make_folder(tmp_path / "d", 4, 2, seed=0, size=48)
    faint = np.zeros((48, 48), np.uint8)
    faint[10:30, 10:30] = 100
    assert cv2.imwrite(str(root / "Gt" / "t003.png"), faint)
    r = check([str(root)], val_fraction=0.3, split_by="seed")
    assert not r["ok"]
    reason = "its brightest value is 100; only values above 127 count as tampered"
    assert [p for p in r["problems"] if "t003.png" in p] == [
        f"{root / 'Gt' / 't003.png'}: {reason}: save the tampered region as 255"
    ]
    assert not any("t003.png" in w for w in r["warnings"])
    argv = ["fit", "--arch", "crfd-net-compact", "--model-config", "channels=8,16,32"]
    argv += ["--data", str(root), "--out", str(tmp_path / "run"), "--window", "32"]
    argv += ["--epochs", "1", "--max-steps", "1", "--no-val", "--threads", "1"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert f"{root / 'Gt' / 't003.png'}: {reason}" in err
    assert not (tmp_path / "run" / "last.safetensors").exists()


def test_a_json_list_names_every_missing_file_like_a_folder(tmp_path: Path) -> None:
    """A JSON pair list with two missing masks and a missing image: check names all three
    (it stopped at the first missing mask), and fit still refuses at the first."""
    root = make_folder(tmp_path / "d", 4, 1, seed=0, size=48)
    pairs = [[f"d/Tp/t00{i}.png", f"d/Gt/t00{i}.png"] for i in range(4)]
    pairs += [["d/Au/missing.png", "Negative"], ["d/Au/a000.png", "Negative"]]
    (root / "Gt" / "t000.png").unlink()
    (root / "Gt" / "t002.png").unlink()
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps(pairs))
    r = check([str(listed)])
    assert not r["ok"]
    problems = r["problems"]
    assert len(problems) == 3, problems
    assert problems[0].startswith(str(tmp_path / "d" / "Tp" / "t000.png"))
    assert problems[1].startswith(str(tmp_path / "d" / "Tp" / "t002.png"))
    assert all("tampered image has no mask" in p for p in problems[:2])
    assert "missing.png: image of entry 4 does not exist" in problems[2]
    with pytest.raises(DataError, match=r"t000.png: tampered image has no mask.*2 more entries"):
        read_dataset(listed)


def test_an_unreadable_image_is_listed_beside_the_problems(tmp_path: Path) -> None:
    """A folder with a mask of another size and an unreadable image: the check named the mask
    only, and the image once the mask was fixed and the data checked again."""
    root = make_folder(tmp_path / "d", 4, 2, seed=0, size=48)
    save_mask(root / "Gt" / "t002.png", np.ones((20, 30), np.uint8))
    (root / "Au" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    r = check([str(root)])
    assert not r["ok"] and "mask is 30x20 but its image t002.png is 48x48" in r["problems"][0]
    assert r["unreadable"] == 1
    assert any("broken.png: cannot be read and will be skipped" in w for w in r["warnings"])


def test_other_layouts_are_refused_in_one_line_saying_what_to_do(tmp_path: Path) -> None:
    """CASIA v2 ships its masks in ``CASIA 2 Groundtruth/`` beside ``Tp/``; COVERAGE ships
    ``image/`` + ``mask/`` with other stems (``1t.tif``, ``1forged.tif``). Each was refused
    without a word of what to do: the line names the folder to rename, or the layouts read."""
    casia2 = make_folder(tmp_path / "casia2", 2, 1, seed=0, size=48)
    (casia2 / "Gt").rename(casia2 / "CASIA 2 Groundtruth")
    r = check([str(casia2)])
    assert len(r["problems"]) == 1
    assert r["problems"][0] == (
        f"{casia2}: Tp/ has no Gt/ or masks/ folder of masks next to it: if CASIA 2 "
        "Groundtruth/ holds the masks, rename it Gt/ (its _gt and _mask endings are understood)"
    )
    coverage = tmp_path / "coverage"
    for sub in ("image", "mask"):
        (coverage / sub).mkdir(parents=True)
    (problem,) = check([str(coverage)])["problems"]
    assert problem.startswith(f"{coverage}: not a data folder") and "\n" not in problem
    assert "(it holds image/, mask/)" in problem
    assert "put the tampered images in Tp/ and their masks in Gt/" in problem
    assert "list [image, mask] pairs in a JSON file" in problem


@pytest.mark.parametrize(
    ("encode", "words", "fit_words"),
    [
        (lambda m: 255 - 255 * m, "the masks look inverted: 4 of 4 mark more than half", None),
        (
            lambda m: 100 * m,
            "no tampered image's mask marks a pixel (4 masks; some hold values up",
            "t000.png: its brightest value is 100; only values above 127 count as tampered",
        ),
    ],
    ids=["inverted", "faint"],
)
def test_inverted_or_all_empty_masks_stop_check_and_fit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], encode, words: str, fit_words: str | None
) -> None:
    """Masks saved white = authentic (as some sets ship them), or faint (read as empty):
    check said "ready to train" and fit trained the network on the opposite of the forgeries,
    or on nothing, without a word. Both refuse, in one line naming a mask; fit before it makes
    its run folder (a faint mask by its own reason, as it decodes the first)."""
    root = make_folder(tmp_path / "d", 4, 2, seed=0, size=48)
    for mask in sorted((root / "Gt").iterdir()):
        marked = (cv2.imread(str(mask), cv2.IMREAD_GRAYSCALE) > 127).astype(np.uint8)
        assert cv2.imwrite(str(mask), encode(marked).astype(np.uint8))
    r = check([str(root)], val_fraction=0.3, split_by="seed")
    (problem,) = r["problems"]
    assert problem.startswith(f"{root / 'Gt'}/t00") and words in problem
    argv = ["fit", "--arch", "crfd-net-compact", "--model-config", "channels=8,16,32"]
    argv += ["--data", str(root), "--out", str(tmp_path / "run"), "--window", "32"]
    argv += ["--epochs", "1", "--max-steps", "1", "--no-val", "--threads", "1"]
    argv += ["--val-fraction", "0.3", "--split-by", "seed"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert (fit_words or words.split(":")[0].split(" (")[0]) in err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("command", ["eval", "calibrate"])
def test_inverted_masks_stop_eval_and_calibrate_as_they_stop_fit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """eval measured its pixel figures, and calibrate --pixel-threshold auto chose its pixel
    threshold, against masks that check and fit refuse as inverted: quietly wrong. They refuse
    the same way, in one line naming a mask, before any image is analysed or file written."""
    from tests.trainer.test_cli import tiny_checkpoint

    root = make_folder(tmp_path / "d", 4, 4, seed=0, size=48)
    for mask in sorted((root / "Gt").iterdir()):
        marked = (cv2.imread(str(mask), cv2.IMREAD_GRAYSCALE) > 127).astype(np.uint8)
        assert cv2.imwrite(str(mask), (255 - 255 * marked).astype(np.uint8))
    model = tiny_checkpoint(tmp_path / "m.safetensors")
    written = tmp_path / ("ev.json" if command == "eval" else "cal.safetensors")
    argv = [command, "--model", str(model), "--data", str(root)]
    argv += ["--split-by", "seed", "--val-fraction", "0.5"]
    argv += ["--json" if command == "eval" else "--out", str(written)]
    # eval's pixel figures, calibrate's pixel threshold chosen by F1: what the masks decide
    argv += ["--split", "val"] if command == "eval" else ["--pixel-threshold", "auto"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"forensic-train {command}: error: {root / 'Gt'}/t0")
    assert "\n" not in err
    assert "the masks look inverted" in err and not written.exists()


def test_masks_of_large_regions_in_a_minority_pass(tmp_path: Path) -> None:
    """One forgery that covers most of its image is no sign of inverted masks."""
    root = make_folder(tmp_path / "d", 4, 2, seed=0, size=48)
    big = np.ones((48, 48), np.uint8)
    big[:8] = 0
    save_mask(root / "Gt" / "t000.png", big)
    assert check([str(root)], val_fraction=0.3, split_by="seed")["ok"]


def test_whole_image_masks_of_generated_images_are_not_inverted(tmp_path: Path) -> None:
    """A set of wholly generated images labels every pixel tampered: most masks then mark all
    of their image, which the inverted-mask rule refused as "white = authentic". An inverted
    mask leaves its forgery unmarked, so only masks short of the whole image count; a set
    mixing whole-image masks with inverted partial ones is still refused."""
    root = make_folder(tmp_path / "d", 4, 2, seed=0, size=48)
    masks = sorted((root / "Gt").iterdir())
    for mask in masks[:3]:
        save_mask(mask, np.ones((48, 48), np.uint8))
    assert check([str(root)], val_fraction=0.3, split_by="seed")["ok"]
    inverted = np.ones((48, 48), np.uint8)
    inverted[10:20, 10:20] = 0
    save_mask(masks[3], inverted)
    (problem,) = check([str(root)], val_fraction=0.3, split_by="seed")["problems"]
    assert problem.startswith(f"{masks[3]}: the masks look inverted: 1 of 1 mark")


def test_a_json_lists_relative_paths_and_a_csv_list_are_explained(tmp_path: Path) -> None:
    """A list written by a script run one folder up holds paths relative to that folder: each
    missing entry's line now says relative paths are read from the list's folder. A CSV list
    was "no such data folder", though it exists: it is named as a list that is not read, with
    the JSON form to write instead."""
    root = make_folder(tmp_path / "d", 2, 1, seed=0, size=48)
    lists = tmp_path / "lists"
    lists.mkdir()
    good = [["../d/Tp/t000.png", "../d/Gt/t000.png"], ["../d/Au/a000.png", "Negative"]]
    (lists / "good.json").write_text(json.dumps(good))
    assert check([str(lists / "good.json")])["authentic"] == 1
    assert [s.image.resolve() for s in read_dataset(lists / "good.json")] == [
        (root / "Tp" / "t000.png").resolve(),
        (root / "Au" / "a000.png").resolve(),
    ]
    (lists / "from_cwd.json").write_text(json.dumps([["d/Tp/t000.png", "d/Gt/t000.png"]]))
    (problem,) = check([str(lists / "from_cwd.json")])["problems"]
    assert problem == (
        f"{lists / 'd/Tp/t000.png'}: image of entry 0 does not exist (a relative path is read "
        f"from the list's folder, {lists})"
    )
    (lists / "pairs.csv").write_text("image,mask\n../d/Tp/t000.png,../d/Gt/t000.png\n")
    (problem,) = check([str(lists / "pairs.csv")])["problems"]
    assert problem.startswith(f"{lists / 'pairs.csv'}: not a data folder or a .json list (a CSV")
    assert "write its pairs as a JSON list" in problem


def test_a_folder_whose_tampered_images_all_lack_masks_is_not_called_empty(
    tmp_path: Path,
) -> None:
    """Tp/ full and Gt/ empty: each image's missing mask is named, and the last line says that
    none can be used, not that the folder holds no images (it read as the folder's images
    being unreadable or elsewhere, beside 3 tampered images counted)."""
    root = make_folder(tmp_path / "d", 3, 0, seed=0, size=32)
    for mask in (root / "Gt").iterdir():
        mask.unlink()
    result = check([str(root)])
    problems = result["problems"]
    assert sum("tampered image has no mask" in p for p in problems) == 3
    assert not any("no images in Tp/ or Au/" in p for p in problems)
    assert any(
        p == f"{root}: no usable image: none of the 3 tampered images in Tp/ has a mask in Gt/, "
        "and there is no Au/ folder"
        for p in problems
    ), problems


def test_file_names_with_escape_sequences_are_shown_not_obeyed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A data set is downloaded, so its file names are untrusted: ``check`` printed an image
    named ``a\\x1b[2J.png`` (and a command's error line a checkpoint named so) as it is, which
    cleared the terminal. They are printed as the viewer prints evidence names (``\\x1b``)."""
    esc = "\x1b[2J\u202e"
    root = make_folder(tmp_path / "d", 2, 1, seed=0, size=48)
    (root / "Tp" / f"bad{esc}.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    cli.main(["check", "--data", str(root)])
    out, err = capsys.readouterr()
    assert "bad\\x1b[2J\\u202e.png" in out
    bad = tmp_path / f"bad{esc}.safetensors"
    bad.write_bytes(b"junk")
    assert cli.main(["eval", "--model", str(bad), "--data", str(root)]) == 2
    out2, err2 = capsys.readouterr()
    assert "bad\\x1b[2J\\u202e.safetensors: file is too short" in err2
    for text in (out, err, out2, err2):
        assert "\x1b" not in text and "\u202e" not in text


def test_authentic_images_among_the_tampered_ones_are_said_in_one_line_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An ML engineer's images/ + masks/ folder held its authentic images in images/: check
    printed 20 lines "tampered image has no mask" and not a word of Au/. One line opens them,
    saying where authentic images go; a mask or two missing gets no such line."""
    root = make_folder(tmp_path / "d", 2, 4, seed=0, size=32)
    (root / "Tp").rename(root / "images")
    (root / "Gt").rename(root / "masks")
    for image in sorted((root / "Au").iterdir()):
        image.rename(root / "images" / image.name)
    (root / "Au").rmdir()
    problems = check([str(root)])["problems"]
    assert problems[0] == (
        f"{root}: 4 of the 6 images in images/ have no mask in masks/: every image in images/ "
        "is read as tampered and needs its mask; authentic images go in Au/ "
        "(docs/TRAINING.md, Data)"
    )
    assert sum("tampered image has no mask" in p for p in problems) == 4  # each still named
    assert sum("authentic images go in Au/" in p for p in problems) == 1
    assert cli.main(["check", "--data", str(root)]) == 2
    first = capsys.readouterr().out.splitlines()[1]
    assert first.startswith("problem: ") and "authentic images go in Au/" in first
    few = make_folder(tmp_path / "few", 3, 1, seed=0, size=32)
    for stem in ("t000", "t001"):
        (few / "Gt" / f"{stem}.png").unlink()
    assert not any("Au/" in p for p in check([str(few)])["problems"])


def test_a_folder_of_another_layout_is_said_before_its_masks_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """tampered/ masks/ authentic/: the line saying the layout was printed after "mask without
    a tampered image (ignored), and 19 more", which sent the reader after the masks."""
    root = make_folder(tmp_path / "d", 3, 1, seed=0, size=32)
    (root / "Tp").rename(root / "tampered")
    (root / "Gt").rename(root / "masks")
    (root / "Au").rename(root / "authentic")
    assert cli.main(["check", "--data", str(root)]) == 2
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith(f"problem: {root}: not a data folder")
    assert lines[2].startswith("warning: ") and "mask without a tampered image" in lines[2]


def test_one_pair_names_what_would_split_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One images/+masks/ pair cannot be split; the problem said "use --split source or
    --split seed": an option fit and check do not have (theirs is --split-by), and seed is
    what had just failed (found by the docs review of 2026-12-05)."""
    root = tmp_path / "one"
    rng = np.random.default_rng(0)
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    cv2.imwrite(str(root / "images" / "a.png"), rng.integers(0, 255, (48, 48, 3), np.uint8))
    mask = np.zeros((48, 48), np.uint8)
    mask[8:24, 8:24] = 255
    cv2.imwrite(str(root / "masks" / "a.png"), mask)
    code, r = _run(capsys, ["--data", str(root)])
    assert code == 2
    (problem,) = [p for p in r["problems"] if "split" in p]
    assert "a split needs at least 2 images" in problem and "--val-data" in problem
    assert "--split " not in problem


def test_check_takes_only_fits_split_choices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_folder(tmp_path / "d", 3, 1, seed=0, size=48)
    # it was a problem among the data's, found after reading every image; now a usage error
    assert cli.main(["check", "--data", str(root), "--split-by", "random", "--json"]) == 2
    out, err = capsys.readouterr()
    assert "invalid choice: 'random'" in err and out == ""


def test_faint_masks_are_said_with_the_missing_and_misfit_masks_in_one_run(
    tmp_path: Path,
) -> None:
    """Fine-tune walk-through (2026-12-06): check listed a missing mask and a misfit one; the
    masks saved as 0/1 (now faint ones) appeared only on a second run, once those two were fixed."""
    root = make_folder(tmp_path / "d", 5, 2, seed=0, size=48)
    (root / "Gt" / "t000.png").unlink()  # missing
    save_mask(root / "Gt" / "t001.png", np.ones((20, 30), np.uint8))  # another size
    low = np.zeros((48, 48), np.uint8)
    low[10:30, 10:30] = 100
    assert cv2.imwrite(str(root / "Gt" / "t003.png"), low)  # faint
    problems = check([str(root)], val_fraction=0.3, split_by="seed")["problems"]
    assert any("t000.png" in p and "no mask" in p for p in problems), problems
    assert any("mask is 30x20 but its image t001.png" in p for p in problems), problems
    assert any(
        p.startswith(f"{root / 'Gt' / 't003.png'}: its brightest value is 100") for p in problems
    ), problems


def test_a_mask_that_is_no_image_is_said_as_the_loader_says_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Fine-tune walk-through (2026-12-06): a JSON list whose mask was the list itself said
    "mask cannot be read: cannot identify image file <_io.BufferedReader name=4>"."""
    make_folder(tmp_path / "d", 5, 2, seed=0, size=48)
    listed = tmp_path / "bad.json"
    pairs = [[f"d/Tp/t00{i}.png", f"d/Gt/t00{i}.png"] for i in range(1, 5)]
    pairs += [["d/Tp/t000.png", "bad.json"], ["d/Au/a000.png", "Negative"]]
    listed.write_text(json.dumps(pairs))
    (problem,) = [p for p in check([str(listed)])["problems"] if p.startswith(str(listed))]
    assert problem == (
        f"{listed}: mask cannot be read: not an image of an allowed format (JPEG, PNG, TIFF, "
        "WEBP, BMP, GIF, HEIF): plain text"
    )
    assert "BufferedReader" not in problem


def test_an_unreadable_tampered_image_is_warned_of_once(tmp_path: Path) -> None:
    """Fine-tune walk-through (2026-12-06): a truncated tampered image whose mask marked nothing
    got two warnings, "cannot be read and will be skipped" and "... trains as untouched
    texture"; it is skipped, so only the first holds."""
    root = make_folder(tmp_path / "d", 6, 2, seed=0, size=48)
    (root / "Tp" / "t001.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    save_mask(root / "Gt" / "t001.png", np.zeros((48, 48), np.uint8))
    warnings = check([str(root)], val_fraction=0.3, split_by="seed")["warnings"]
    said = [w for w in warnings if "t001.png" in w]
    assert len(said) == 1 and said[0].endswith("t001.png: cannot be read and will be skipped")
