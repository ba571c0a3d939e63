"""A scan with ground truth passes over the masks: ``scan DIR --recursive --gt DIR`` on an
IMDL-BenCo folder analysed ``Gt/`` as evidence too (its rows in results.csv, the triage table
and reports, an all-white mask flagged, 40 % of a benchmark's time), as did a folder holding
the masks a JSON list names. Now they are passed over in one line, in one process, with
worker processes, on resume and in the batch dialog; without ``--gt`` nothing changes.

The checkpoint has random weights: these tests check which files are analysed and scored,
never findings.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from forensic_viewer.cli import EXIT_OK, main
from forensic_viewer.scan.groundtruth import GT_NAME, read_truth, without_masks
from forensic_viewer.scan.walk import scan_files
from tests.conftest import write_rgb
from tests.viewer.conftest import scan_args


def _rgb(path: Path, seed: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_rgb(path, 24, 32, seed=seed)


def _mask(path: Path, mask: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(mask.astype(np.uint8) * 255).save(path, format="PNG")
    return path


@pytest.fixture
def benco(tmp_path: Path) -> Path:
    """Tp/ a, b, e (e without a mask), Au/ f; Gt/ holds a's and b's masks, an all-white one
    that matches no image, a second mask for a's stem, a mask named like no image (its
    content says PNG) and one in a sub-folder: six files a scan would take for images."""
    root = tmp_path / "data"
    rng = np.random.default_rng(0)
    for i, name in enumerate(("a", "b", "e")):
        _rgb(root / "Tp" / f"{name}.png", seed=i)
    _rgb(root / "Au" / "f.png", seed=9)
    _mask(root / "Gt" / "a.png", rng.random((24, 32)) > 0.5)
    _mask(root / "Gt" / "b_gt.png", rng.random((24, 32)) > 0.5)
    _mask(root / "Gt" / "zz_mask.png", np.ones((24, 32), bool))  # all white, no image
    _mask(root / "Gt" / "a_mask.png", np.ones((24, 32), bool))  # a second mask for a
    _mask(root / "Gt" / "g.mask", np.ones((24, 32), bool))  # a PNG by its content only
    _mask(root / "Gt" / "more" / "h.png", np.ones((24, 32), bool))
    return root


GT_FILES = {"Gt/a.png", "Gt/b_gt.png", "Gt/zz_mask.png", "Gt/a_mask.png", "Gt/g.mask"}
GT_FILES |= {"Gt/more/h.png"}
IMAGES = {"Tp/a.png", "Tp/b.png", "Tp/e.png", "Au/f.png"}


def _scan(folder: Path, out: Path, checkpoint: Path, *extra: str) -> list[str]:
    return scan_args(folder, out, checkpoint, "--recursive", *extra)


def _rows(out: Path) -> dict[str, dict]:
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return {r["path"]: r for r in map(json.loads, lines)}


def _csv_keys(out: Path) -> list[str]:
    with open(out / "results.csv", newline="", encoding="utf-8") as f:
        return [r["path"] for r in csv.DictReader(f)]


def _masks_line(err: str) -> list[str]:
    return [line for line in err.splitlines() if "ground-truth mask(s) of --gt" in line]


def test_a_benco_folder_scanned_with_gt_analyses_and_scores_its_images_only(
    benco: Path, tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    out = tmp_path / "out"
    assert main(_scan(benco, out, tiny_checkpoint, "--gt", str(benco))) == EXIT_OK
    err = capsys.readouterr().err
    (line,) = _masks_line(err)
    assert line == (
        f"{benco}: 6 ground-truth mask(s) of --gt passed over "
        "(not analysed as evidence; first: Gt/a.png)"
    )
    assert set(_rows(out)) == IMAGES
    assert sorted(_csv_keys(out)) == sorted(IMAGES)
    gt = json.loads((out / GT_NAME).read_text(encoding="utf-8"))
    assert {f["path"] for f in gt["files"]} == {"Tp/a.png", "Tp/b.png", "Au/f.png"}
    assert (gt["tampered"], gt["authentic"]) == (2, 1)
    # the masks no image used are still said, as before: they are problems of the truth
    assert any(p.startswith(f"{benco / 'Gt' / 'zz_mask.png'}: ") for p in gt["problems"])

    # resumed: nothing new to analyse, and the masks stay passed over
    assert main(_scan(benco, out, tiny_checkpoint, "--gt", str(benco))) == EXIT_OK
    captured = capsys.readouterr()
    assert len(_masks_line(captured.err)) == 1
    assert "0 analysed, 4 already done" in captured.out
    assert set(_rows(out)) == IMAGES

    # without --gt nothing changes: a folder named Gt/ is evidence like any other
    plain = tmp_path / "plain"
    assert main(_scan(benco, plain, tiny_checkpoint)) == EXIT_OK
    assert not _masks_line(capsys.readouterr().err)
    assert set(_rows(plain)) == IMAGES | GT_FILES


def test_a_scan_that_analysed_its_masks_before_resumes_with_gt_without_new_mask_rows(
    benco: Path, tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    """A scan folder written before this change (or without --gt) holds rows of the masks:
    they stay in results.jsonl, are never scored, and the run with --gt adds none; a mask
    added since is passed over too, and the new image analysed."""
    out = tmp_path / "out"
    assert main(_scan(benco, out, tiny_checkpoint)) == EXIT_OK
    before = _rows(out)
    assert set(before) == IMAGES | GT_FILES
    _mask(benco / "Gt" / "n.png", np.ones((24, 32), bool))
    _rgb(benco / "Tp" / "n.png", seed=5)
    capsys.readouterr()
    assert main(_scan(benco, out, tiny_checkpoint, "--gt", str(benco))) == EXIT_OK
    captured = capsys.readouterr()
    assert "7 ground-truth mask(s)" in _masks_line(captured.err)[0]
    assert "1 analysed, 4 already done" in captured.out
    after = _rows(out)
    assert set(after) == set(before) | {"Tp/n.png"}  # no row for Gt/n.png
    assert {k: after[k] for k in before} == before  # the old rows as they were
    assert sorted(_csv_keys(out)) == sorted(IMAGES | {"Tp/n.png"})
    gt = json.loads((out / GT_NAME).read_text(encoding="utf-8"))
    assert {f["path"] for f in gt["files"]} == {"Tp/a.png", "Tp/b.png", "Tp/n.png", "Au/f.png"}


def test_the_masks_a_json_list_names_are_passed_over(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    """Masks beside their images, as a JSON list names them: the listed masks are passed
    over; an image the list names (even as another pair's mask) and a file it does not name
    are analysed."""
    ev = tmp_path / "ev"
    _rgb(ev / "a.png", seed=1)
    _rgb(ev / "b.png", seed=2)
    _rgb(ev / "c_mask.png", seed=3)  # named like a mask, listed nowhere: evidence
    _mask(ev / "masks" / "a_gt.png", np.eye(24, 32, dtype=bool))
    pairs = [["ev/a.png", "ev/masks/a_gt.png"], ["ev/b.png", "Negative"]]
    pairs.append(["ev/c_mask.png", "ev/b.png"])  # b is an image of the list: never a mask
    (listed := tmp_path / "pairs.json").write_text(json.dumps(pairs), encoding="utf-8")
    out = tmp_path / "out"
    assert main(_scan(ev, out, tiny_checkpoint, "--gt", str(listed))) == EXIT_OK
    err = capsys.readouterr().err
    (line,) = _masks_line(err)
    assert line.startswith(f"{ev}: 1 ground-truth mask(s) of --gt passed over")
    assert line.endswith("first: masks/a_gt.png)")
    assert set(_rows(out)) == {"a.png", "b.png", "c_mask.png"}
    gt = json.loads((out / GT_NAME).read_text(encoding="utf-8"))
    assert {f["path"] for f in gt["files"]} == {"a.png", "b.png", "c_mask.png"}


def test_the_masks_are_told_by_their_real_path(tmp_path: Path) -> None:
    """Gt/ reached through a link to the folder, and the truth named through another link:
    the same files (without_masks, the listing the drivers share)."""
    root = tmp_path / "data"
    _rgb(root / "Tp" / "a.png", seed=1)
    _mask(root / "Gt" / "a.png", np.eye(24, 32, dtype=bool))
    (tmp_path / "linked").symlink_to(root)
    (tmp_path / "truth").symlink_to(root)
    files = scan_files(tmp_path / "linked", recursive=True)
    kept, masks = without_masks(files, read_truth(tmp_path / "truth"))
    assert [k for _, k in kept] == ["Tp/a.png"]
    assert masks == [tmp_path / "linked" / "Gt" / "a.png"]


@pytest.mark.slow
def test_worker_processes_pass_over_the_same_masks(
    benco: Path, tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    """--jobs 2 gives the rows of a one-process scan: the listing both take is the same."""
    one, two = tmp_path / "one", tmp_path / "two"
    assert main(_scan(benco, one, tiny_checkpoint, "--gt", str(benco))) == EXIT_OK
    assert main(_scan(benco, two, tiny_checkpoint, "--gt", str(benco), "--jobs", "2")) == 0
    assert len(_masks_line(capsys.readouterr().err)) == 2
    a, b = _rows(one), _rows(two)
    assert set(a) == set(b) == IMAGES
    # the workers run on other thread counts than this process: the figures may differ in
    # their last bits, which file was analysed and what it was may not
    assert {k: (r["status"], r["sha256"], r["file"]) for k, r in a.items()} == {
        k: (r["status"], r["sha256"], r["file"]) for k, r in b.items()
    }
    gt_one = json.loads((one / GT_NAME).read_text(encoding="utf-8"))
    gt_two = json.loads((two / GT_NAME).read_text(encoding="utf-8"))
    # rows come in the order the workers finished them; groundtruth.json's files by their key
    assert [f["path"] for f in gt_two["files"]] == [f["path"] for f in gt_one["files"]]


def test_macos_appledouble_files_are_passed_over_by_the_scoring_not_the_scan(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    """``._a.jpg`` (macOS's resource fork of a.jpg, metadata named like an image) in Tp/,
    Gt/ and Au/ of a folder copied from a Mac: the scan analyses the one in the folder it
    scans as evidence (its row says it cannot be read), the scoring passes them all over
    (not scored, no problem line: ``Gt/._b_gt.png`` was "a mask that matches no image") and
    says how many in one line."""
    root = tmp_path / "data"
    _rgb(root / "Tp" / "a.png", seed=1)
    _mask(root / "Gt" / "a_gt.png", np.eye(24, 32, dtype=bool))
    _rgb(root / "Au" / "f.png", seed=2)
    junk = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + bytes(300)
    for name in ("Tp/._a.png", "Gt/._a_gt.png", "Gt/._b_gt.png", "Au/._f.png"):
        (root / name).write_bytes(junk)
    out = tmp_path / "out"
    main(_scan(root / "Tp", out, tiny_checkpoint, "--gt", str(root)))
    err = capsys.readouterr().err.splitlines()
    rows = _rows(out)
    assert set(rows) == {"a.png", "._a.png"}  # evidence: every file is analysed
    assert rows["._a.png"]["status"] == "error" and rows["a.png"]["status"] == "ok"
    gt = json.loads((out / GT_NAME).read_text(encoding="utf-8"))
    assert (gt["images"], gt["tampered"]) == (1, 1)
    assert [f["path"] for f in gt["files"]] == ["a.png"]
    assert not any("._" in p for p in gt["problems"])
    assert sorted(Path(p).name for p in gt["appledouble"]) == [
        "._a.png", "._a_gt.png", "._b_gt.png", "._f.png"
    ]  # fmt: skip
    (line,) = [ln for ln in err if "AppleDouble" in ln]
    assert line.startswith(f"{root}: 4 macOS AppleDouble file(s) (._*) passed over")
    assert not any("._" in ln for ln in err if ln.startswith("ground truth:"))


def test_a_scan_scored_against_inverted_masks_warns_in_one_line(tmp_path: Path) -> None:
    """Masks saved white = authentic: forensic-train refuses such a set, and scan --gt scored
    the scan against them without a word, every figure quietly wrong. It now warns in one
    line naming a mask (the first problem, groundtruth.json's mask_warning, the report's
    section); the figures are still computed: the scan's analyses stand without them."""
    from forensic_viewer.scan.groundtruth import evaluate_scan, report_section
    from forensic_viewer.scan.run import run_scan
    from tests.viewer.test_scan_prefetch import StubAnalyzer, files_of

    region = np.zeros((24, 32), bool)
    region[4:12, 8:20] = True
    for inverted in (False, True):
        root, out = tmp_path / f"inverted{inverted}", tmp_path / f"out{inverted}"
        for i, name in enumerate(("a", "b", "c")):
            _rgb(root / "Tp" / f"{name}.png", seed=i)
            _mask(root / "Gt" / f"{name}.png", ~region if inverted else region)
        run_scan(files_of(root / "Tp"), StubAnalyzer(), out, source=str(root / "Tp"))
        result = evaluate_scan(out, read_truth(root))
        assert result.images == 3 and result.figures  # scored either way
        gt = json.loads((out / GT_NAME).read_text(encoding="utf-8"))
        if not inverted:
            assert result.mask_warning is None and result.problems == []
            assert gt["mask_warning"] is None
            continue
        (line,) = result.problems
        assert line == result.mask_warning == gt["mask_warning"] and "\n" not in line
        assert line.startswith(f"{root / 'Gt' / 'a.png'}: the masks look inverted: 3 of 3")
        assert line.endswith("the ground-truth figures are computed against them as they are")
        assert "Warning: " + line in report_section(gt)[0]
        said = [w for f in gt["files"] for w in f["warnings"]]  # each file's own, not problems
        assert len(said) == 3 and all("this mask marks 88% of its image" in w for w in said)


def test_one_inverted_mask_among_right_ones_is_said_of_its_file_and_scored_as_it_is(
    tmp_path: Path,
) -> None:
    """A walk-through's ``Gt/`` held one mask marking 95 % of its image (white = authentic)
    among right ones: only the set's rule ran, and groundtruth.json gave it ``warnings: []``.
    That file now carries one line naming its mask (its warnings, ``gt.warning``, the
    problems, the report's ground-truth section in HTML and JSON); its scoring is unchanged."""
    import html

    from forensic_viewer.report import scan_source, write_report
    from forensic_viewer.scan.groundtruth import evaluate_scan
    from forensic_viewer.scan.run import run_scan
    from tests.viewer.test_scan_prefetch import StubAnalyzer, files_of

    region = np.zeros((20, 20), bool)
    region[:1, :] = True  # 5 % of the image
    root, out = tmp_path / "data", tmp_path / "out"
    for i, name in enumerate(("a", "b", "c")):
        (root / "Tp").mkdir(parents=True, exist_ok=True)
        write_rgb(root / "Tp" / f"{name}.png", 20, 20, seed=i)
        _mask(root / "Gt" / f"{name}.png", ~region if name == "c" else region)
    run_scan(files_of(root / "Tp"), StubAnalyzer(), out, source=str(root / "Tp"))
    result = evaluate_scan(out, read_truth(root))
    inverted = root / "Gt" / "c.png"
    assert result.mask_warning is None  # 1 of 3: not the set's rule
    (line,) = result.problems
    assert line.startswith(f"{inverted}: this mask marks 95% of its image: it looks inverted")
    by_key = {f.key: f for f in result.files}
    assert by_key["c.png"].truth.warnings == [line] and by_key["a.png"].truth.warnings == []
    assert by_key["c.png"].truth.label == 1 and by_key["c.png"].truth.mask.mean() == 0.95
    with open(out / "results.csv", newline="", encoding="utf-8") as f:
        rows = {r["path"]: r for r in csv.DictReader(f)}
    assert rows["c.png"]["gt.warning"] == line and rows["a.png"]["gt.warning"] == ""
    gt = json.loads((out / GT_NAME).read_text(encoding="utf-8"))
    assert [f["warnings"] for f in gt["files"]] == [[], [], [line]]
    written = write_report(scan_source(out), tmp_path / "report", ("html", "json"))
    assert html.escape(line) in written["html"].read_text("utf-8")
    report = json.loads(written["json"].read_text("utf-8"))
    assert [f["warnings"] for f in report["ground_truth"]["files"]] == [[], [], [line]]


@pytest.mark.parametrize("given", ["mask", "folder"])
def test_analyze_gt_says_a_faint_mask_in_one_line(
    tmp_path: Path, tiny_checkpoint: Path, capsys: pytest.CaptureFixture[str], given: str
) -> None:
    """A faint mask (0 and 1 then, 0 and 100 now) was said twice by ``analyze --gt``: the mask's own line and
    the line that no tampered image's mask marks a pixel, both naming the same file for one
    problem. It is one line now, naming the file, whether the mask is given as a file or
    found in a folder's Gt/; the image is not scored (never read as authentic)."""
    root = tmp_path / "data"
    image = _rgb(root / "Tp" / "a.png", seed=0)
    zero_one = root / "Gt" / "a.png"
    region = np.zeros((24, 32), np.uint8)
    region[4:12, 8:20] = 100
    zero_one.parent.mkdir(parents=True)
    Image.fromarray(region, mode="L").save(zero_one)  # faint: no value above 127
    truth = zero_one if given == "mask" else root
    argv = ["analyze", str(image), "--out", str(tmp_path / "out"), "--model", str(tiny_checkpoint)]
    assert main([*argv, "--no-faces", "--gt", str(truth)]) == EXIT_OK
    err = capsys.readouterr().err.splitlines()
    (line,) = [ln for ln in err if str(zero_one) in ln]
    assert line.startswith(f"ground truth: {zero_one}: ")
    said = "its brightest value is 100" if given == "mask" else "1 not scored (not black, no value"
    assert said in line and "not scored" in line
    gt = json.loads((tmp_path / "out" / GT_NAME).read_text(encoding="utf-8"))
    assert len(gt["problems"]) == 1 and gt["files"] == []


def test_an_all_black_mask_given_for_one_image_is_its_authentic_truth_without_a_warning(
    tmp_path: Path, tiny_checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``analyze IMAGE --gt MASK`` with an all-black mask, an authentic image's ground truth
    given on purpose, warned that "no tampered image's mask marks a pixel": a warning for sets
    of tampered images' masks. It is scored as authentic without a word now; one mask given
    that looks inverted still warns, and a folder of tampered images whose masks mark nothing
    (a Gt/ of faint masks) still warns, through analyze and scan alike."""
    from forensic_viewer.scan.groundtruth import evaluate_scan
    from forensic_viewer.scan.run import run_scan
    from tests.viewer.test_scan_prefetch import StubAnalyzer, files_of

    image = _rgb(tmp_path / "ev" / "a.png", seed=0)
    black = _mask(tmp_path / "black.png", np.zeros((24, 32), bool))
    argv = ["analyze", str(image), "--model", str(tiny_checkpoint), "--no-faces"]
    assert main([*argv, "--out", str(tmp_path / "out"), "--gt", str(black)]) == EXIT_OK
    assert not [ln for ln in capsys.readouterr().err.splitlines() if "ground truth" in ln]
    gt = json.loads((tmp_path / "out" / GT_NAME).read_text(encoding="utf-8"))
    assert gt["problems"] == [] and gt["mask_warning"] is None
    assert [f["label"] for f in gt["files"]] == [0]  # scored: an authentic image

    inverted = np.ones((24, 32), bool)
    inverted[4:12, 8:20] = False
    white = _mask(tmp_path / "white.png", inverted)
    assert main([*argv, "--out", str(tmp_path / "out2"), "--gt", str(white)]) == EXIT_OK
    (line,) = [ln for ln in capsys.readouterr().err.splitlines() if "ground truth" in ln]
    assert line.startswith(f"ground truth: {white}: the masks look inverted: 1 of 1")

    root = tmp_path / "data"  # tampered images whose masks, faint, mark nothing
    for i, name in enumerate(("a", "b")):
        _rgb(root / "Tp" / f"{name}.png", seed=i)
        (root / "Gt").mkdir(exist_ok=True)
        faint = inverted.astype(np.uint8) * 100
        Image.fromarray(faint, mode="L").save(root / "Gt" / f"{name}.png")
    assert main([*argv, "--out", str(tmp_path / "out3"), "--gt", str(root)]) == EXIT_OK
    first = next(ln for ln in capsys.readouterr().err.splitlines() if "ground truth: " in ln)
    assert first.startswith(f"ground truth: {root / 'Gt' / 'a.png'}: no tampered image's mask")
    run_scan(files_of(root / "Tp"), StubAnalyzer(), tmp_path / "out4", source=str(root / "Tp"))
    result = evaluate_scan(tmp_path / "out4", read_truth(root))
    assert result.mask_warning is not None and result.problems[0] == result.mask_warning
    assert "no tampered image's mask marks a pixel (2 masks" in result.mask_warning
    assert "of their images, 2 not scored" in result.mask_warning  # what the scan did
    assert "nothing to learn" not in result.mask_warning  # the trainer's words
    assert result.images == 0


def test_a_set_of_all_black_masks_says_its_images_are_scored_as_authentic(
    tmp_path: Path,
) -> None:
    """Tampered images whose masks are all black: the scan's line said the trainer's "nothing
    to learn masks from"; it says what the scan did now: scored them as authentic."""
    from forensic_viewer.scan.groundtruth import evaluate_scan
    from forensic_viewer.scan.run import run_scan
    from tests.viewer.test_scan_prefetch import StubAnalyzer, files_of

    root, out = tmp_path / "data", tmp_path / "out"
    for i, name in enumerate(("a", "b")):
        _rgb(root / "Tp" / f"{name}.png", seed=i)
        _mask(root / "Gt" / f"{name}.png", np.zeros((24, 32), bool))
    run_scan(files_of(root / "Tp"), StubAnalyzer(), out, source=str(root / "Tp"))
    result = evaluate_scan(out, read_truth(root))
    assert (result.images, result.tampered) == (2, 0)
    line = result.mask_warning
    assert line is not None and result.problems == [line]
    assert line.startswith(f"{root / 'Gt' / 'a.png'}: no tampered image's mask marks a pixel")
    assert "of their images, 2 scored as authentic (all black)" in line
    assert "nothing to learn" not in line


def test_masks_no_scanned_image_used_are_each_recorded_and_printed_as_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``analyze`` of 2 images with ``--gt`` a whole Tp/ + Gt/ folder printed one line per
    other mask, 19 of them; the console and the dialog now print one line with their count
    and the first names. groundtruth.json, the record, folded them too and so named 3 of
    19: it keeps one problem per mask. A single unmatched mask keeps its own line."""
    from argparse import Namespace

    from forensic_viewer.cli_scan import _ground_truth
    from forensic_viewer.gui.truth_choice import truth_message
    from forensic_viewer.scan.groundtruth import evaluate_scan, fold_unmatched
    from forensic_viewer.scan.results import ResultIndex
    from forensic_viewer.scan.run import run_scan
    from tests.viewer.test_scan_prefetch import StubAnalyzer, files_of

    for i, stem in enumerate("abcdef"):
        _mask(tmp_path / "Gt" / f"{stem}.png", np.ones((24, 32), bool))
        if stem in "ac":
            _rgb(tmp_path / "Tp" / f"{stem}.png", seed=i)
    out = tmp_path / "out"
    run_scan(files_of(tmp_path / "Tp"), StubAnalyzer(), out, source=str(tmp_path / "Tp"))
    truth = read_truth(tmp_path)
    result = evaluate_scan(out, truth)
    each = [
        f"{tmp_path / 'Gt' / s}.png: ground-truth mask matches no scanned image" for s in "bdef"
    ]
    assert result.problems == each
    assert json.loads((out / GT_NAME).read_text(encoding="utf-8"))["problems"] == each
    gt = Path("Gt")
    folded = (
        f"{tmp_path / 'Gt'}: 4 ground-truth masks match no scanned image "
        f"(b.png, d.png, e.png, and 1 more)"
    )
    assert fold_unmatched(["x: other", *each, "y: other"]) == ["x: other", folded, "y: other"]
    assert fold_unmatched(each[:1]) == each[:1]
    _ground_truth(Namespace(out=out, truth=truth), list(ResultIndex(out).keys()))
    printed = [ln for ln in capsys.readouterr().err.splitlines() if "ground truth: " in ln]
    assert printed == [f"ground truth: {folded}"]
    assert f"ground truth: {folded}\n" in truth_message(["counts", "where"], each)
    every_but_f = [tmp_path / gt / f"{s}.png" for s in "abcde"]
    assert truth.unmatched(every_but_f) == each[-1:]
