"""Ground-truth mode without Qt: masks and their matching, figures by hand, ``scan --gt``.

The scan tests use the tiny random checkpoint: they check that every figure is written where
it belongs and equals what its convention says, recomputed from the scan's own 8-bit maps.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader

from engine.errors import ForensicError
from engine.metrics import f1_iou, roc_auc
from forensic_viewer.cli import main
from forensic_viewer.report import scan_source, write_report
from forensic_viewer.scan.groundtruth import (
    GT_NAME,
    evaluate_scan,
    read_mask,
    read_truth,
    truth_labels,
)
from forensic_viewer.scan.triage import (
    AGREES,
    FALSE_ALARM,
    MISSED,
    NOT_RUN,
    RAN,
    TRUTH_HEADERS,
    Cell,
    TriageRow,
    truth_agreement,
    truth_texts,
)
from forensic_viewer.scan.truth_scores import (
    FREE,
    MapSource,
    TruthMask,
    TruthSummary,
    image_figures,
    score_image,
)
from tests.conftest import HANG_S
from tests.conftest import write_rgb as _write_rgb


def write_rgb(path: Path, h: int, w: int, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return _write_rgb(path, h, w, seed=seed)


def _mask(path: Path, mask: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.where(mask, 255, 0).astype(np.uint8), mode="L").save(path)
    return path


def _figure(figs, source: str, figure: str, threshold: str, average_start: str):
    found = [
        f
        for f in figs
        if f.source == source
        and f.figure == figure
        and f.threshold == threshold
        and f.average.startswith(average_start)
    ]
    assert len(found) == 1, (source, figure, threshold, average_start, figs)
    return found[0]


# --- masks -----------------------------------------------------------------------------------


def test_read_mask_binarises_and_refuses_another_size(tmp_path: Path) -> None:
    m = np.zeros((4, 6), np.uint8)
    m[:, :3] = 200  # tampered
    m[0, 5] = 127  # not above 127: authentic
    path = tmp_path / "m.png"
    Image.fromarray(m, mode="L").save(path)
    same = read_mask(path, (4, 6))
    assert same.mask.sum() == 12 and not same.mask[0, 5] and same.warnings == []
    assert same.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(ForensicError) as e:  # never resized: it could misalign every pixel
        read_mask(path, (8, 12))
    assert str(e.value).startswith(f"{path}: ground-truth mask is 6x4 but its image is 12x8")


def test_a_faint_mask_is_read_as_empty_and_says_so(tmp_path: Path) -> None:
    m = np.zeros((4, 6), np.uint8)
    m[:, :3] = 100  # a faint drawing: no value above 127
    path = tmp_path / "m100.png"
    Image.fromarray(m, mode="L").save(path)
    tm = read_mask(path, (4, 6))
    assert tm.label == 0 and not tm.mask.any()  # the documented convention: above 127
    assert len(tm.warnings) == 1 and str(path) in tm.warnings[0]
    assert "brightest is 100" in tm.warnings[0] and "\n" not in tm.warnings[0]
    ones = tmp_path / "m01.png"
    Image.fromarray((m > 0).astype(np.uint8), mode="L").save(ones)
    tm = read_mask(ones, (4, 6))  # a mask of 0 and 1: its 1s
    assert tm.label == 1 and (tm.mask == (m > 0)).all() and tm.warnings == []
    black = tmp_path / "black.png"
    Image.fromarray(np.zeros((4, 6), np.uint8), mode="L").save(black)
    assert read_mask(black, (4, 6)).warnings == []  # an authentic image's mask: nothing to say


def test_unreadable_mask_is_one_line_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png")
    with pytest.raises(ForensicError) as e:
        read_mask(bad, (4, 4))
    assert str(bad) in str(e.value) and "\n" not in str(e.value)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
@pytest.mark.timeout(HANG_S)
def test_a_mask_that_is_a_pipe_is_worded_without_nested_brackets(tmp_path: Path) -> None:
    """It read "ground-truth mask cannot be read (is not a regular file (a device, pipe or
    socket))": the loader's reason is said once, after a colon."""
    os.mkfifo(pipe := tmp_path / "m.png")
    with pytest.raises(ForensicError) as e:
        read_mask(pipe, (4, 4))
    assert str(e.value) == (
        f"{pipe}: ground-truth mask cannot be read: "
        "is not a regular file (a device, pipe or socket)"
    )


def test_folder_layout_matches_stems_with_gt_and_mask_tails(tmp_path: Path) -> None:
    for name in ("a.png", "b_gt.png", "c-mask.tif"):
        _mask(tmp_path / "Gt" / name, np.ones((2, 2), bool))
    write_rgb(tmp_path / "Au" / "d.jpg", 8, 8)
    src = read_truth(tmp_path)
    assert src.lookup(None, "Tp/a.jpg") == (True, tmp_path / "Gt" / "a.png")
    assert src.lookup(None, "b.png") == (True, tmp_path / "Gt" / "b_gt.png")
    assert src.lookup(None, "x/c.png") == (True, tmp_path / "Gt" / "c-mask.tif")
    assert src.lookup(None, "d.jpg") == (True, None)  # authentic
    assert src.lookup(None, "e.png") == (False, None)


def test_json_list_with_negative(tmp_path: Path) -> None:
    (tmp_path / "list.json").write_text(
        json.dumps([["i/a.png", "m/a.png"], ["i/b.png", "Negative"]])
    )
    src = read_truth(tmp_path / "list.json")
    assert src.lookup(tmp_path / "i" / "a.png", "whatever") == (True, tmp_path / "m" / "a.png")
    assert src.lookup(tmp_path / "i" / "b.png", "b.png") == (True, None)
    with pytest.raises(ForensicError, match="no such ground-truth folder"):
        read_truth(tmp_path / "i")  # never created
    (tmp_path / "plain").mkdir()
    with pytest.raises(ForensicError, match="neither Gt/"):
        read_truth(tmp_path / "plain")


# --- figures ---------------------------------------------------------------------------------


def _src(heat: np.ndarray, own: float | None = 0.3, score: float = 0.5, manip: bool = True):
    return MapSource("m", "model", heat.astype(np.float32), own, score, manip)


def test_per_image_and_pooled_figures_by_hand() -> None:
    # image 1: 1 x 4, truth [1 1 0 0], heat [0.9 0.4 0.4 0.1]
    # at 0.5: TP 1 FN 1 -> F1 2/3; at own 0.3: TP 2 FP 1 -> F1 4/5
    t1 = np.array([[1, 1, 0, 0]], bool)
    h1 = np.array([[0.9, 0.4, 0.4, 0.1]])
    # image 2: authentic, heat [0.6 0 0 0]: one FP at both thresholds
    t2 = np.zeros((1, 4), bool)
    h2 = np.array([[0.6, 0.0, 0.0, 0.0]])
    im1 = score_image("1", "s1", TruthMask(t1), [_src(h1, score=0.8, manip=True)])
    im2 = score_image("2", "s2", TruthMask(t2), [_src(h2, score=0.7, manip=True)])
    s = TruthSummary()
    s.add(im1)
    s.add(im2)
    figs = s.figures()
    assert _figure(figs, "m", "pixel F1", "0.5", "per-image").value == pytest.approx(2 / 3)
    assert _figure(figs, "m", "pixel F1", "0.5", "per-image").n == 1  # authentic left out
    # pooled at 0.5: TP 1, FP 1 (the authentic image's), FN 1 -> 2 / 4
    assert _figure(figs, "m", "pixel F1", "0.5", "pooled").value == pytest.approx(0.5)
    assert _figure(figs, "m", "pixel IoU", "own 0.3", "per-image").value == pytest.approx(2 / 3)
    # pooled at own 0.3: TP 2, FP 2, FN 0 -> IoU 2 / 4
    assert _figure(figs, "m", "pixel IoU", "own 0.3", "pooled").value == pytest.approx(0.5)
    # pixel AUC of image 1: positives 0.9, 0.4 vs negatives 0.4, 0.1: (2 + 1.5) / 4
    assert _figure(figs, "m", "pixel AUC", "threshold-free", "per-image").value == pytest.approx(
        3.5 / 4
    )
    assert (
        _figure(figs, "m", "pixel AUC", "threshold-free", "per-image").n == 1
    )  # empty mask left out
    pooled = roc_auc(np.r_[t1.ravel(), t2.ravel()], np.r_[h1.ravel(), h2.ravel()])
    assert _figure(figs, "m", "pixel AUC", "threshold-free", "pooled").value == pytest.approx(
        pooled
    )
    # image level: tampered 0.8 > authentic 0.7; both called manipulated -> bacc 1/2
    assert _figure(figs, "m", "image AUC", "threshold-free", "over images").value == 1.0
    assert _figure(figs, "m", "balanced accuracy", "verdict θ", "verdict").value == 0.5


def test_all_positive_mask_and_authentic_image_figures() -> None:
    full = np.ones((2, 2), bool)
    heat = np.array([[0.9, 0.9], [0.2, 0.2]])
    im = score_image("k", "s", TruthMask(full), [_src(heat, own=None)])
    figs = image_figures(im)
    f1 = _figure(figs, "m", "pixel F1", "0.5", "this image").value
    assert f1 == pytest.approx(f1_iou(heat > 0.5, full)[0]) == pytest.approx(2 / 3)
    assert (
        _figure(figs, "m", "pixel AUC", "threshold-free", "this image").value is None
    )  # one class
    clean = score_image("k", "s", TruthMask(np.zeros((2, 2), bool)), [_src(heat)])
    figs = image_figures(clean)
    assert not [f for f in figs if f.figure == "pixel F1"]  # undefined on an empty mask
    assert _figure(figs, "m", "flagged share", "0.5", "this image; its mask is empty").value == 0.5
    assert _figure(figs, "m", "flagged share", "own 0.3", "this image").value == 0.5


def test_one_label_only_leaves_image_figures_undefined() -> None:
    s = TruthSummary()
    s.add(score_image("k", "s", TruthMask(np.ones((1, 2), bool)), [_src(np.ones((1, 2)))]))
    figs = s.figures()
    assert _figure(figs, "m", "image AUC", "threshold-free", "over images").value is None
    assert _figure(figs, "m", "balanced accuracy", "verdict θ", "verdict").value is None


def test_an_image_whose_score_is_nan_is_left_out_of_the_image_auc() -> None:
    s = TruthSummary()
    heat = np.zeros((1, 2))
    for key, label, score in (("t", 1, 0.8), ("a", 0, 0.3), ("n", 1, float("nan"))):
        truth = TruthMask(np.full((1, 2), bool(label)))
        s.add(score_image(key, "s", truth, [_src(heat, score=score)]))
    auc = _figure(s.figures(), "m", "image AUC", "threshold-free", "over images")
    assert auc.value == 1.0 and auc.n == 2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_folder_figures_match_scikit_learn_on_8_bit_maps(seed: int) -> None:
    """Random maps on few levels (ties), masks of every kind (empty, all tampered, mixed):
    every summary figure recomputed with scikit-learn from the 8-bit values, flagged when
    above the threshold."""
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(seed)
    summary, images = TruthSummary(), []
    for i in range(9):
        truth = rng.random((6, 7)) < 0.4
        truth = (np.zeros_like(truth), np.ones_like(truth), truth)[i % 3]
        heat = np.round(rng.random((6, 7)) * 8) / 8 * 0.6 + 0.4 * truth * rng.random((6, 7))
        level = np.rint(heat.astype(np.float32) * 255).astype(np.uint8) / 255.0
        score, manip = float(rng.random()), bool(rng.random() < 0.5)
        src = _src(heat, own=0.35, score=score, manip=manip)
        summary.add(score_image(str(i), "s", TruthMask(truth), [src]))
        images.append((truth, level, score, manip))
    figs = summary.figures()
    tampered = [im for im in images if im[0].any()]
    both = [im for im in images if 0 < im[0].sum() < im[0].size]
    every_truth = np.concatenate([im[0].ravel() for im in images])
    every_level = np.concatenate([im[1].ravel() for im in images])
    for th, t in (("own 0.35", 0.35), ("0.5", 0.5)):
        for name, fn in (("pixel F1", metrics.f1_score), ("pixel IoU", metrics.jaccard_score)):
            mean = np.mean([fn(g.ravel(), v.ravel() > t, zero_division=0) for g, v, *_ in tampered])
            assert _figure(figs, "m", name, th, "per-image").value == pytest.approx(mean)
            pooled = fn(every_truth, every_level > t)
            assert _figure(figs, "m", name, th, "pooled").value == pytest.approx(pooled)
    mean_auc = np.mean([metrics.roc_auc_score(g.ravel(), v.ravel()) for g, v, *_ in both])
    assert _figure(figs, "m", "pixel AUC", FREE, "per-image").value == pytest.approx(mean_auc)
    pooled_auc = metrics.roc_auc_score(every_truth, every_level)
    assert _figure(figs, "m", "pixel AUC", FREE, "pooled").value == pytest.approx(pooled_auc)
    labels = [int(im[0].any()) for im in images]
    image_auc = metrics.roc_auc_score(labels, [im[2] for im in images])
    assert _figure(figs, "m", "image AUC", FREE, "over images").value == pytest.approx(image_auc)
    bacc = metrics.balanced_accuracy_score(labels, [im[3] for im in images])
    assert _figure(figs, "m", "balanced accuracy", "verdict θ", "verdict").value == pytest.approx(
        bacc
    )


# --- scan --gt -------------------------------------------------------------------------------


@pytest.fixture
def benco(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    rng = np.random.default_rng(0)
    for i, name in enumerate(("a", "b", "c", "d", "e")):
        write_rgb(root / "Tp" / f"{name}.png", 24, 32, seed=i)
    _mask(root / "Gt" / "a.png", rng.random((24, 32)) > 0.5)
    _mask(root / "Gt" / "b_gt.png", rng.random((24, 32)) > 0.5)
    (root / "Gt" / "c.png").write_bytes(b"broken mask")  # unreadable
    _mask(root / "Gt" / "zz_mask.png", np.ones((4, 4), bool))  # no image
    write_rgb(root / "Au" / "f.png", 24, 32, seed=9)  # authentic, no mask
    (root / "Tp" / "e.png").rename(root / "Tp" / "e.png")  # e: no mask at all
    return root


def test_scan_gt_writes_summary_and_csv_columns(
    benco: Path, tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    out = tmp_path / "out"
    # the authentic image joins the scan through a second folder level
    (benco / "Tp" / "au").mkdir()
    (benco / "Au" / "f.png").rename(benco / "Tp" / "au" / "f.png")
    (benco / "Au").rmdir()
    code = main(
        ["scan", str(benco / "Tp"), "--out", str(out), "--model", str(tiny_checkpoint),
         "--recursive", "--no-faces", "--gt", str(benco)]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0  # ground-truth problems never fail the scan
    # one line each naming the file: unreadable mask, image without mask, mask without image
    err = captured.err.splitlines()
    assert any(str(benco / "Gt" / "c.png") in line for line in err)
    assert any("e.png" in line and "no ground-truth mask" in line for line in err)
    assert any(str(benco / "Gt" / "zz_mask.png") in line for line in err)
    assert any("au/f.png" in line and "no ground-truth mask" in line for line in err)
    assert "pixel F1" in captured.out and "pooled" in captured.out

    gt = json.loads((out / GT_NAME).read_text())
    scored = {f["path"]: f for f in gt["files"]}
    assert set(scored) == {"a.png", "b.png"}
    assert (
        scored["a.png"]["mask_sha256"]
        == hashlib.sha256((benco / "Gt" / "a.png").read_bytes()).hexdigest()
    )
    # recompute image a's F1 at 0.5 from the scan's own 8-bit map and the mask
    rec = json.loads(
        next(
            line
            for line in (out / "results.jsonl").read_text().splitlines()
            if json.loads(line)["path"] == "a.png"
        )
    )
    heat = np.asarray(Image.open(out / rec["models"]["tiny"]["heatmap"]), np.float64) / 255
    truth = np.asarray(Image.open(benco / "Gt" / "a.png")) > 127
    want_f1 = f1_iou(heat > 0.5, truth)[0]
    assert scored["a.png"]["maps"]["tiny"]["0.5"]["f1"] == pytest.approx(want_f1)
    assert scored["a.png"]["maps"]["tiny"]["pixel_auc"] == pytest.approx(roc_auc(truth, heat))
    per_image = [
        f
        for f in gt["figures"]
        if f["source"] == "tiny" and f["figure"] == "pixel F1" and f["threshold"] == "0.5"
    ]
    assert {f["average"].split()[0] for f in per_image} == {"per-image", "pooled"}
    mean = np.mean([scored[k]["maps"]["tiny"]["0.5"]["f1"] for k in ("a.png", "b.png")])
    assert next(f for f in per_image if f["average"].startswith("per-image"))["value"] == (
        pytest.approx(mean)
    )

    with open(out / "results.csv", newline="", encoding="utf-8") as f:
        rows = {r["path"]: r for r in csv.DictReader(f)}
    assert float(rows["a.png"]["gt.tiny.f1@0.5"]) == pytest.approx(want_f1, abs=1e-6)
    assert rows["a.png"]["gt.label"] == "1"
    assert rows["c.png"]["gt.error"].startswith(str(benco / "Gt" / "c.png"))
    assert rows["c.png"]["gt.tiny.f1"] == ""
    assert "tiny.score" in rows["a.png"]  # the scan's own columns are kept

    # a mask of half its image's size is refused, one line naming it, as training refuses it
    _mask(benco / "Gt" / "b_gt.png", np.ones((12, 16), bool))
    half = evaluate_scan(out, read_truth(benco))
    assert "b.png" not in {f.key for f in half.files}
    line = f"{benco / 'Gt' / 'b_gt.png'}: ground-truth mask is 16x12 but its image is 32x24"
    assert any(p.startswith(line) for p in half.problems)

    # the same scan against a JSON list in which f is authentic: columns replaced, not doubled
    pairs = [
        [str(benco / "Tp" / "a.png"), str(benco / "Gt" / "a.png")],
        [str(benco / "Tp" / "au" / "f.png"), "Negative"],
    ]
    (tmp_path / "list.json").write_text(json.dumps(pairs))
    result = evaluate_scan(out, read_truth(tmp_path / "list.json"))
    assert result.images == 2 and result.tampered == 1
    with open(out / "results.csv", newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
    assert header.count("gt.label") == 1
    bacc = [f for f in result.figures if f.source == "tiny" and f.figure == "balanced accuracy"]
    assert len(bacc) == 1 and bacc[0].value in (0.0, 0.5, 1.0)  # one image of each label


def test_reports_carry_a_ground_truth_section(
    benco: Path, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    out = tmp_path / "out"
    # the whole folder: its masks are passed over (the broken one failed as an image when
    # they were analysed too), and the images of Tp/ and Au/ are scored
    code = main(
        ["scan", str(benco), "--out", str(out), "--model", str(tiny_checkpoint), "--recursive",
         "--no-faces", "--gt", str(benco), "--report", "html,pdf"]
    )  # fmt: skip
    assert code == 0
    gt = json.loads((out / GT_NAME).read_text())
    assert {f["path"] for f in gt["files"]} == {"Tp/a.png", "Tp/b.png", "Au/f.png"}
    assert gt["authentic"] == 1
    f1 = next(f for f in gt["figures"] if f["figure"] == "pixel F1")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert '<section id="ground-truth"><h2>Ground truth</h2>' in html
    assert f1["average"] in html and f"{f1['value']:.3f}" in html
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["ground_truth"]["figures"] == gt["figures"]
    pdf = " ".join(page.extract_text() for page in PdfReader(out / "report.pdf").pages)
    assert "Ground truth" in pdf and "per-image mean" in pdf
    # the summary table: each file's label and the default verdict against it
    for header in TRUTH_HEADERS:
        assert f'<th scope="col">{header}</th>' in html
    summary = html[html.index('<section id="summary">') :]
    summary = summary[: summary.index("</section>")]
    row_a = summary[summary.index("Tp/a.png") :].split("</tr>")[0]
    assert "<td>tampered</td>" in row_a
    assert "<td>agrees</td>" in row_a or "<td>missed</td>" in row_a
    assert "Gt/" not in summary  # a mask is no file of the report
    row_f = summary[summary.index("Au/f.png") :].split("</tr>")[0]
    assert "<td>authentic</td>" in row_f
    assert "<td>agrees</td>" in row_f or "<td>false alarm</td>" in row_f
    unscored = dataclasses.replace(scan_source(out), ground_truth=None)  # no ground truth
    plain = write_report(unscored, tmp_path / "plain", ("html",))["html"].read_text("utf-8")
    assert not any(f'<th scope="col">{h}</th>' in plain for h in TRUTH_HEADERS)


def test_the_default_verdict_against_the_truth() -> None:
    def row(verdict: str, status: str = "ok", ran: bool = True) -> TriageRow:
        cell = Cell("m", RAN, 0.9, verdict) if ran else Cell("m", NOT_RUN)
        return TriageRow(
            "k.png", "k.png", status, None, None, (cell,), None, None, None, None, False, None
        )

    assert truth_agreement(row("manipulated"), 1) == AGREES
    assert truth_agreement(row("authentic"), 1) == MISSED
    assert truth_agreement(row("manipulated"), 0) == FALSE_ALARM
    assert truth_agreement(row("authentic"), 0) == AGREES
    assert truth_agreement(row("authentic", ran=False), 0) is None  # no check ran: no verdict
    assert truth_agreement(row("authentic", status="error"), 0) is None
    assert truth_agreement(row("manipulated"), None) is None
    assert truth_texts(row("authentic"), {"k.png": 1}) == ("tampered", MISSED)
    assert truth_texts(row("authentic"), {}) == ("no mask", "—")
    files = [{"path": "a.png", "label": 1}, {"path": "b.png", "label": 0}]
    assert truth_labels({"files": files}) == {"a.png": 1, "b.png": 0}
    assert truth_labels({"source": "m.png", "images": 1, "figures": []}) is None  # one image
    assert truth_labels(None) is None


def test_analyze_gt_scores_one_image_against_its_mask_file(
    benco: Path, tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    out = tmp_path / "out"
    image, mask = benco / "Tp" / "a.png", benco / "Gt" / "a.png"
    base = ["analyze", str(image), "--out", str(out), "--model", str(tiny_checkpoint)]
    assert main([*base, "--no-faces", "--gt", str(mask)]) == 0
    assert "pixel F1" in capsys.readouterr().out
    scored = json.loads((out / GT_NAME).read_text())["files"]
    assert [f["path"] for f in scored] == ["a.png"]
    assert scored[0]["mask_sha256"] == hashlib.sha256(mask.read_bytes()).hexdigest()
    # a missing mask file is refused before any analysis (usage, exit 2), one line naming it
    missing = tmp_path / "nope.png"
    assert main([*base, "--out", str(tmp_path / "o2"), "--gt", str(missing)]) == 2
    assert str(missing) in capsys.readouterr().err
    assert not (tmp_path / "o2").exists()


def test_a_link_loop_named_like_an_image_or_mask_is_no_crash(tmp_path: Path) -> None:
    """A symbolic link loop called like an image (the scan lists it and gives it its error
    row) or named in a JSON list: Path.resolve raised RuntimeError on it (Python 3.11), which
    ended ``scan --gt`` as "the scan failed" after the whole scan had run. Now it is a file
    without a mask like any other, and the images beside it are scored."""
    from forensic_viewer.scan.groundtruth import truth_for_images
    from forensic_viewer.scan.run import run_scan
    from tests.viewer.test_scan_prefetch import StubAnalyzer, files_of

    ev = tmp_path / "ev"
    ev.mkdir()
    write_rgb(ev / "a.png", 24, 32, seed=1)
    (ev / "loop.png").symlink_to(ev / "loop.png")  # a link to itself
    truth = tmp_path / "truth"
    (truth / "Gt").mkdir(parents=True)
    _mask(truth / "Gt" / "a_gt.png", np.eye(24, 32, dtype=bool))
    (truth / "Gt" / "b_gt.png").symlink_to(truth / "Gt" / "b_gt.png")
    out = tmp_path / "out"
    summary = run_scan(files_of(ev), StubAnalyzer(), out, source=str(ev))
    assert [k for k, _ in summary.failed] == ["loop.png"]
    result = evaluate_scan(out, read_truth(truth))
    assert [f.key for f in result.files] == ["a.png"]
    pairs = [["ev/a.png", "truth/Gt/a_gt.png"], ["ev/loop.png", "Negative"]]
    (tmp_path / "list.json").write_text(json.dumps(pairs), encoding="utf-8")
    result = evaluate_scan(out, read_truth(tmp_path / "list.json"))
    assert [f.key for f in result.files] == ["a.png"]
    one = truth_for_images([ev / "loop.png"], truth / "Gt" / "a_gt.png")
    assert one.lookup(ev / "loop.png", "loop.png") == (True, truth / "Gt" / "a_gt.png")


@pytest.mark.timeout(HANG_S)
def test_a_named_pipe_among_the_masks_or_as_the_truth_is_one_line_naming_it(
    tmp_path: Path, capsys
) -> None:
    """A named pipe called like a mask in Gt/ (or like an image in Au/) was left out without
    a word, and one given as ``--gt x.json`` (or as ``analyze --gt`` of one image's mask) was
    "no such ground-truth folder". Each is now one line naming it and saying it is not a
    regular file, and nothing waits on the pipe for a writer."""

    from forensic_viewer.scan.groundtruth import truth_for_images
    from forensic_viewer.scan.run import run_scan
    from tests.viewer.test_scan_prefetch import StubAnalyzer, files_of

    truth = tmp_path / "truth"
    _mask(truth / "Gt" / "a_gt.png", np.eye(24, 32, dtype=bool))
    os.mkfifo(pipe := truth / "Gt" / "b_gt.png")
    (truth / "Au").mkdir()
    os.mkfifo(au_pipe := truth / "Au" / "c.png")
    src = read_truth(truth)
    assert src.lookup(None, "b.png") == (False, None)
    assert src.lookup(None, "c.png") == (False, None)
    for named in (pipe, au_pipe):
        (line,) = [p for p in src.problems if p.startswith(f"{named}: ")]
        assert "not a regular file" in line and "\n" not in line
    # the problems reach groundtruth.json with the scan's; the real mask is scored
    ev = tmp_path / "ev"
    ev.mkdir()
    write_rgb(ev / "a.png", 24, 32, seed=1)
    out = tmp_path / "out"
    run_scan(files_of(ev), StubAnalyzer(), out, source=str(ev))
    result = evaluate_scan(out, src)
    assert [f.key for f in result.files] == ["a.png"]
    gt = json.loads((out / GT_NAME).read_text(encoding="utf-8"))
    assert any(p.startswith(f"{pipe}: ") for p in gt["problems"])

    os.mkfifo(listed := tmp_path / "x.json")
    with pytest.raises(ForensicError) as e:
        read_truth(listed)
    assert str(e.value).startswith(f"{listed}: ") and "not a regular file" in str(e.value)
    assert "no such" not in str(e.value)
    scan = ["scan", str(ev), "--out", str(tmp_path / "o2"), "--gt", str(listed)]
    assert main(scan) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(listed) in err[0] and "not a regular file" in err[0]
    assert not (tmp_path / "o2").exists()
    with pytest.raises(ForensicError, match="not a regular file"):
        truth_for_images([ev / "a.png"], pipe)


def test_groundtruth_json_does_not_hang_on_the_order_of_the_rows(tmp_path: Path) -> None:
    """A scan with worker processes writes its rows in the order the workers finished, so
    two scans of one folder hold them in different orders; groundtruth.json (files, problems,
    figures) lists the files by their scan key, and the two are the same byte for byte."""
    from forensic_viewer.scan.run import run_scan
    from tests.viewer.test_scan_prefetch import StubAnalyzer, files_of

    rng = np.random.default_rng(3)
    ev, truth = tmp_path / "ev", tmp_path / "truth"
    for i, name in enumerate(("a", "b", "c", "d", "e")):
        write_rgb(ev / f"{name}.png", 24, 32, seed=i)
    for name, share in (("a", 0.2), ("b", 0.5), ("c", 0.8)):
        _mask(truth / "Gt" / f"{name}_gt.png", rng.random((24, 32)) < share)
    files = files_of(ev)  # d and e have no mask: two problem lines

    def scored(out: Path, order: list[tuple[Path, str]]) -> tuple[list[str], str]:
        rows: list[str] = []

        def seen(*a: object) -> None:
            rows.append(a[2]["path"])  # type: ignore[index]

        run_scan(order, StubAnalyzer(), out, source=str(ev), on_file=seen)
        lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
        assert [json.loads(line)["path"] for line in lines] == rows  # rows in the scan's order
        evaluate_scan(out, read_truth(truth), rows)  # the keys as `scan --gt` passes them
        written = (out / GT_NAME).read_text(encoding="utf-8")
        evaluate_scan(out, read_truth(truth))  # all of the folder's keys
        assert (out / GT_NAME).read_text(encoding="utf-8") == written
        return rows, written

    rows0, first = scored(tmp_path / "out0", files)
    rows1, second = scored(tmp_path / "out1", files[::-1])
    assert rows0 == rows1[::-1] == ["a.png", "b.png", "c.png", "d.png", "e.png"]
    assert first == second
    gt = json.loads(first)
    assert [f["path"] for f in gt["files"]] == ["a.png", "b.png", "c.png"]
    c_mask = str(truth / "Gt" / "c_gt.png")  # marks 80 %: it looks inverted, one line
    expected = [c_mask, str(ev / "d.png"), str(ev / "e.png")]
    assert [p.split(": ")[0] for p in gt["problems"]] == expected


def test_a_tampered_image_whose_mask_is_faint_is_left_unscored_never_authentic(
    tmp_path: Path,
) -> None:
    """A faint mask (0 and 1 then, 0 and 100 now) was read as empty, so its ``Tp/`` image was labelled authentic: a
    walk-through's missed forgery counted as a correct authentic image (image AUC, balanced
    accuracy, the report's "agrees"), said only in a warning, while forensic-train refuses the
    same mask. The image is now left unscored, as for a mask of another size: one line naming
    the mask and why, the row's ``gt.error``; the other images are scored."""
    from forensic_viewer.scan.run import run_scan
    from tests.viewer.test_scan_prefetch import StubAnalyzer, files_of

    ev, truth, out = tmp_path / "Tp", tmp_path, tmp_path / "out"
    for i, name in enumerate(("a", "b")):
        write_rgb(ev / f"{name}.png", 24, 32, seed=i)
    region = np.zeros((24, 32), np.uint8)
    region[4:12, 8:20] = 100
    (truth / "Gt").mkdir()
    zero_one = truth / "Gt" / "a_gt.png"
    Image.fromarray(region, mode="L").save(zero_one)  # faint: no value above 127
    _mask(truth / "Gt" / "b_gt.png", region.astype(bool))
    run_scan(files_of(ev), StubAnalyzer(), out, source=str(ev))
    result = evaluate_scan(out, read_truth(truth))
    assert {f.key: f.truth.label for f in result.files} == {"b.png": 1}  # a.png not scored
    assert (result.images, result.tampered) == (1, 1)
    (line,) = result.problems
    assert line.startswith(f"{zero_one}: ground-truth mask not scored: its brightest value is 100")
    assert "forensic-train refuses it" in line and "\n" not in line
    with open(out / "results.csv", newline="", encoding="utf-8") as f:
        rows = {r["path"]: r for r in csv.DictReader(f)}
    a, b = rows["a.png"], rows["b.png"]
    assert a["gt.label"] == "" and a["gt.error"] == line  # why it is not scored
    assert b["gt.label"] == "1" and b["gt.error"] == b["gt.warning"] == ""
    gt = json.loads((out / GT_NAME).read_text(encoding="utf-8"))
    assert truth_labels(gt) == {"b.png": 1}  # the report's column: "no mask", not authentic


def test_the_summary_gives_the_image_auc_interval_and_the_rates_at_theta() -> None:
    """Fine-tune walk-through (2026-12-06): scan --gt gave the image AUC without an interval
    and, at θ, the balanced accuracy alone, which hid a θ that flagged no tampered image."""
    s = TruthSummary()
    heat = np.zeros((1, 2))
    for i in range(6):  # 6 tampered, of which 2 flagged; 5 authentic, of which 1 flagged
        s.add(score_image(f"t{i}", "s", TruthMask(np.ones((1, 2), bool)),
                          [_src(heat, score=0.5 + i / 10, manip=i < 2)]))  # fmt: skip
    for i in range(5):
        s.add(score_image(f"a{i}", "s", TruthMask(np.zeros((1, 2), bool)),
                          [_src(heat, score=0.1 * i, manip=i == 0)]))  # fmt: skip
    figs = s.figures()
    auc = _figure(figs, "m", "image AUC", "threshold-free", "over images")
    assert auc.value == 1.0 and "; 95 % bootstrap interval 1.000-1.000" in auc.average
    false_alarms = _figure(figs, "m", "false-alarm rate", "verdict θ", "verdict")
    assert false_alarms.value == pytest.approx(0.2) and false_alarms.n == 5
    assert false_alarms.average == "verdict at the model's θ: flags 1 of 5 authentic images"
    detections = _figure(figs, "m", "detection rate", "verdict θ", "verdict")
    assert detections.value == pytest.approx(2 / 6)
    assert detections.average.endswith("flags 2 of 6 tampered images")
    few = TruthSummary()
    few.add(score_image("t", "s", TruthMask(np.ones((1, 2), bool)), [_src(heat, score=0.9)]))
    few.add(score_image("a", "s", TruthMask(np.zeros((1, 2), bool)), [_src(heat, score=0.1)]))
    auc = _figure(few.figures(), "m", "image AUC", "threshold-free", "over images")
    assert auc.average.endswith("too few images for an interval: 1 tampered, 1 authentic, "
                                "5 of each needed")  # fmt: skip
