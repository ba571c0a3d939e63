"""``forensic-viewer analyze`` / ``scan`` / ``models`` end to end on a tiny checkpoint.

The checkpoint has random weights: these tests check plumbing (files, figures, resume, errors),
never that a finding is right.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.ensemble import ENSEMBLE_SUFFIX
from forensic_viewer.cli import main
from tests.conftest import HANG_S, write_calibrated_pair, write_rgb
from tests.viewer.conftest import scan_args


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "evidence"
    (d / "sub" / "deeper").mkdir(parents=True)
    write_rgb(d / "a.png", 70, 90, seed=1)
    write_rgb(d / "b.jpg", 40, 50, seed=2, fmt="JPEG")
    write_rgb(d / "sub" / "c ü&.png", 30, 20, seed=3)
    write_rgb(d / "sub" / "deeper" / "d.png", 64, 64, seed=4)
    (d / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 40)
    (d / "notes.png").write_text("hello")
    (d / "dir.jpg").mkdir()  # a folder named like an image
    os.symlink(d, d / "sub" / "loop")  # a symbolic-link loop
    return d


def _resumes_without(out: Path, info: dict, key: str, args: list[str], capsys) -> None:
    """A scan.json written before ``key`` was recorded (``info`` without it) still resumes:
    the folder's two finished files are not analysed again (its two bad ones are retried)."""
    (out / "scan.json").write_text(
        json.dumps({k: v for k, v in info.items() if k != key}), encoding="utf-8"
    )
    capsys.readouterr()
    assert main(args) == 1
    assert "0 analysed, 2 already done" in capsys.readouterr().out


def _records(out: Path) -> dict[str, dict]:
    return {r["path"]: r for r in map(json.loads, (out / "results.jsonl").read_text().splitlines())}


def test_scan_mixed_folder_recursive(
    folder: Path, tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    out = tmp_path / "out"
    code = main(scan_args(folder, out, tiny_checkpoint, "--recursive"))
    assert code == 1  # two bad files
    recs = _records(out)
    assert set(recs) == {
        "a.png",
        "b.jpg",
        "broken.jpg",
        "notes.png",
        "sub/c ü&.png",
        "sub/deeper/d.png",
    }
    bad = {k for k, r in recs.items() if r["status"] == "error"}
    assert bad == {"broken.jpg", "notes.png"}
    assert "broken.jpg" in recs["broken.jpg"]["error"]
    # read but not decoded: the SHA-256 of the bytes read is recorded all the same
    assert recs["notes.png"]["sha256"] == hashlib.sha256(b"hello").hexdigest()
    ok = recs["sub/c ü&.png"]
    tiny = ok["models"]["tiny"]
    assert 0.0 <= tiny["score"] <= 1.0 and tiny["verdict"] in ("manipulated", "authentic")
    assert tiny["threshold"] == 0.1
    heat = np.asarray(Image.open(out / tiny["heatmap"]))
    assert heat.shape == (30, 20) and heat.dtype == np.uint8  # full resolution, 8-bit
    # forged fraction is the share of pixels above the pixel threshold, as the PNG shows it
    frac = float((heat / 255.0 > 0.5).mean())
    assert abs(frac - tiny["forged_fraction"]) < 0.05
    rows = list(csv.DictReader(open(out / "results.csv", encoding="utf-8")))
    assert {r["path"] for r in rows} == set(recs)
    assert float(next(r for r in rows if r["path"] == "a.png")["tiny.score"]) == pytest.approx(
        recs["a.png"]["models"]["tiny"]["score"], abs=1e-6
    )
    err = capsys.readouterr().err
    assert "broken.jpg" in err and "notes.png" in err


def test_scan_not_recursive_and_resume(
    folder: Path, tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    out = tmp_path / "out"
    args = ["scan", str(folder), "--out", str(out), "--model", str(tiny_checkpoint), "--no-faces"]
    assert main(args) == 1
    recs = _records(out)
    assert set(recs) == {"a.png", "b.jpg", "broken.jpg", "notes.png"}
    stamp = (out / "maps" / "a.png.tiny.png").stat().st_mtime_ns
    capsys.readouterr()
    (folder / "broken.jpg").unlink()
    (folder / "notes.png").unlink()
    write_rgb(folder / "new.png", 33, 33, seed=9)
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "1 analysed, 2 already done" in text
    assert re.search(r"in \d+\.\d s \(models loaded in \d+\.\d s before\)", text)
    assert (out / "maps" / "a.png.tiny.png").stat().st_mtime_ns == stamp  # not redone
    assert "new.png" in _records(out)


def test_resume_with_other_settings_is_refused(
    folder: Path, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    out = tmp_path / "out"
    base = ["scan", str(folder), "--out", str(out), "--model", str(tiny_checkpoint), "--no-faces"]
    main(base)
    assert main([*base, "--window", "32", "--stride", "16"]) == 2


def test_analyze_files(tmp_path: Path, tiny_checkpoint: Path, capsys) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    a = write_rgb(tmp_path / "x" / "same.png", 40, 40, seed=1)
    b = write_rgb(tmp_path / "y" / "same.png", 40, 40, seed=2)
    out = tmp_path / "out"
    assert (
        main(
            [
                "analyze",
                str(a),
                str(b),
                "--out",
                str(out),
                "--model",
                str(tiny_checkpoint),
                "--window",
                "32",
                "--stride",
                "16",
                "--no-faces",
            ]
        )
        == 0
    )
    recs = _records(out)
    assert set(recs) == {"same.png", "same-2.png"}
    assert recs["same.png"]["sha256"] != recs["same-2.png"]["sha256"]
    d = recs["same.png"]["details"]["tiny"]
    assert d["input_policy"]["window"] == 32 and d["input_policy"]["stride"] == 16
    assert d["threshold_provenance"] == "test fixture, random weights"
    assert "same.png\ttiny" in capsys.readouterr().out


USAGE_ERRORS = {  # "{img}" an image, "{missing}" no such folder, "{ckpt}" a checkpoint
    "checkpoint_file_missing": ["analyze", "{img}", "--model", "nope.safetensors"],
    "folder_missing": ["scan", "{missing}", "--model", "{ckpt}"],
    "unknown_device": ["analyze", "{img}", "--model", "{ckpt}", "--device", "tpu"],
    "window_smaller_than_stride": [
        "analyze", "{img}", "--model", "{ckpt}", "--window", "16", "--stride", "32"
    ],
}  # fmt: skip


@pytest.mark.parametrize("args", USAGE_ERRORS.values(), ids=USAGE_ERRORS)
def test_usage_errors_exit_2(args: list[str], tmp_path: Path, tiny_checkpoint: Path) -> None:
    img = write_rgb(tmp_path / "a.png")
    names = {"img": img, "missing": tmp_path / "missing", "ckpt": tiny_checkpoint}
    argv = [a.format(**names) for a in args]
    assert main([*argv[:2], "--out", str(tmp_path / "o"), *argv[2:]]) == 2


def test_usage_errors(tmp_path: Path, capsys) -> None:
    img = write_rgb(tmp_path / "a.png")
    assert main(["analyze", str(img), "--out", str(tmp_path / "o"), "--model", "crfd-net"]) == 2
    assert "no trained checkpoint" in capsys.readouterr().err
    assert main(["analyze"]) == 2


def test_analyze_sends_a_folder_to_scan_before_writing_anything(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "evidence"
    folder.mkdir()
    Image.new("RGB", (32, 32)).save(folder / "a.png")
    out = tmp_path / "out"
    assert main(["analyze", str(folder), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "is a folder" in err and f"forensic-viewer scan {folder}" in err
    assert not out.exists()  # no empty results or report of a run that did nothing


def test_analyze_reports_a_folder_among_files_and_analyses_the_rest(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    # A folder named like an image among files refused the whole command (exit 2, nothing
    # analysed), where a missing file is one failed row and the rest are analysed: now alike.
    a = write_rgb(tmp_path / "a.png", 40, 40, seed=1)
    b = write_rgb(tmp_path / "b.png", 40, 40, seed=2)
    folder = tmp_path / "x.jpg"
    folder.mkdir()
    write_rgb(folder / "inside.png", 40, 40, seed=3)
    missing = tmp_path / "gone.jpg"
    out = tmp_path / "out"
    argv = ["analyze", str(a), str(folder), str(missing), str(b), "--out", str(out)]
    assert main([*argv, "--model", str(tiny_checkpoint), "--no-faces"]) == 1
    recs = _records(out)
    assert {k: r["status"] for k, r in recs.items()} == {
        "a.png": "ok",
        "x.jpg": "error",
        "gone.jpg": "error",
        "b.png": "ok",
    }
    assert recs["x.jpg"]["error"] == f"{folder}: is a folder, not an image file"
    err = capsys.readouterr().err
    failed = err[err.index("failed:") :].splitlines()[1:]
    assert failed == [f"  {folder}: is a folder, not an image file", f"  {missing}: no such file"]


def test_models_lists_architectures_and_checkpoints(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    assert main(["models", "--extra", str(tiny_checkpoint.parent)]) == 0
    out = capsys.readouterr().out
    assert "crfd-net-compact" in out and "tiny" in out and "test fixture" in out
    # a checkpoint's own figures say where they come from (the bundled ones carry some)
    assert "training-run validation split: val_image_acc " in out
    capsys.readouterr()
    assert main(["models", "tiny", "--extra", str(tiny_checkpoint.parent)]) == 0
    # no model card: what the header says, in the training dialog's review words (the raw
    # header alone was all a user's own model got), then the header itself
    out = capsys.readouterr().out
    summary, _, rest = out.partition("Its header (JSON; alone with --json):")
    assert summary.startswith("No model card beside tiny.safetensors; from its header:")
    assert "tiny: trained for " in summary and "θ = 0.1 (" in summary
    assert json.loads(rest)["architecture"] == "crfd-net-compact"
    assert main(["models", "tiny", "--json", "--extra", str(tiny_checkpoint.parent)]) == 0
    header = json.loads(capsys.readouterr().out)  # --json: the checkpoint header alone
    assert header["architecture"] == "crfd-net-compact" and header["decision"]["threshold"] == 0.1
    assert main(["models", "nope", "--extra", str(tiny_checkpoint.parent)]) == 2


def test_models_prints_an_ensembles_card(tmp_path: Path, tiny_checkpoint: Path, capsys) -> None:
    folder = tiny_checkpoint.parent
    (folder / f"pair{ENSEMBLE_SUFFIX}").write_text(
        json.dumps({"name": "pair", "members": [{"model": "tiny"}]}), encoding="utf-8"
    )
    assert main(["models", "pair", "--extra", str(folder)]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "pair"  # no card: the file itself
    (folder / "pair.md").write_text("# pair\n\nweights chosen on validation\n", encoding="utf-8")
    assert main(["models", "pair", "--extra", str(folder)]) == 0
    assert "weights chosen on validation" in capsys.readouterr().out


def test_printed_table_leads_with_the_default_verdict_and_says_what_theta_is_compared_with(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    img = write_rgb(tmp_path / "a.png", 40, 40, seed=1)
    ensemble = write_calibrated_pair(tiny_checkpoint)
    out = tmp_path / "out"
    assert (
        main(["analyze", str(img), "--out", str(out), "--model", str(ensemble), "--no-faces"]) == 0
    )
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("a.png\t")]
    assert lines[0].split("\t")[1] == "default verdict: pair (ensemble)"  # leads
    assert lines[1].split("\t")[1] == "tiny"  # the members below it
    rec = _records(out)["a.png"]
    tiny, ens = rec["models"]["tiny"], rec["ensemble"]
    op = ">" if tiny["verdict"] == "manipulated" else "≤"
    # the forged-fraction rule: θ is a share of pixels, printed in the same unit as the share
    assert f"marked area {tiny['forged_fraction']:.2%} {op} θ {0.1:.2%}" in lines[1]
    op = ">" if ens["verdict"] == "manipulated" else "≤"
    assert f"score {ens['score']:.3f} {op} θ {ens['threshold']:.4g}" in lines[0]
    # a probability is quoted, not said "calibrated" on a 40-pixel image (below the measured size)
    assert "p " in lines[0] and "(calibration not measured here)" in lines[0]


def test_printed_table_quotes_the_default_verdicts_reliability(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    img = write_rgb(tmp_path / "a.png", 40, 40, seed=1)
    ensemble = write_calibrated_pair(tiny_checkpoint)
    assert main(["analyze", str(img), "--out", str(tmp_path / "o"), "--model", str(ensemble)]) == 0
    out = capsys.readouterr().out
    assert (
        "default verdict pair: Measured at this threshold (test part). False alarms: 1 of 20 "
        "authentic test images (5 %)\n" in out  # no details left out: no pointer to them
    )


def test_a_resume_after_the_ensemble_file_changed_is_refused(
    folder: Path, tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    """The ensemble file holds the default verdict's θ: rows made with another θ must not be
    mixed into one folder, as rows of another checkpoint are not. A folder written before the
    file's SHA-256 was recorded still resumes."""
    ensemble = write_calibrated_pair(tiny_checkpoint)
    out = tmp_path / "out"
    args = ["scan", str(folder), "--out", str(out), "--model", str(ensemble), "--no-faces"]
    assert main(args) == 1  # the two bad files
    info = json.loads((out / "scan.json").read_text(encoding="utf-8"))
    assert info["ensemble_sha256"] == hashlib.sha256(ensemble.read_bytes()).hexdigest()
    row = _records(out)["a.png"]
    assert row["ensemble_details"]["checkpoint_sha256"] == info["ensemble_sha256"]
    changed = json.loads(ensemble.read_text(encoding="utf-8"))
    ensemble.write_text(json.dumps({**changed, "threshold": 0.9}), encoding="utf-8")
    capsys.readouterr()
    assert main(args) == 2
    assert "other models or settings" in capsys.readouterr().err
    _resumes_without(out, info, "ensemble_sha256", args, capsys)


def test_csv_rows_carry_the_default_verdicts_probability_and_reliability(
    folder: Path, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """A spreadsheet reader sees the default verdict with its calibrated probability and what
    its θ was measured to do, as results.jsonl has them; empty where not calibrated."""
    ensemble = write_calibrated_pair(tiny_checkpoint)
    out = tmp_path / "out"
    main(["scan", str(folder), "--out", str(out), "--model", str(ensemble), "--no-faces"])
    with (out / "results.csv").open(encoding="utf-8") as f:
        rows = {r["path"]: r for r in csv.DictReader(f)}
    details = _records(out)["a.png"]["ensemble_details"]
    a = rows["a.png"]
    assert a["ensemble.verdict"] == details["verdict"]
    assert float(a["ensemble.probability"]) == pytest.approx(details["probability"], abs=1e-6)
    assert a["ensemble.reliability"] == details["reliability"]
    assert a["ensemble.reliability"].startswith(
        "Measured at this threshold (test part). False alarms: 1 of 20 authentic test images (5 %)"
    )
    assert a["tiny.reliability"] == ""  # the tiny checkpoint carries no calibration
    assert rows["broken.jpg"]["ensemble.reliability"] == ""


@pytest.mark.slow
def test_sigterm_stops_a_scan_like_an_interrupt_keeping_every_finished_row(
    folder: Path, tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    """``kill PID`` (SIGTERM, what service managers and batch systems send) ends a scan the way
    Ctrl+C does: one line saying the results are kept, results.jsonl closed with whole rows
    only, exit 143 (not a crash on the way out), and a rerun resumes. The scan runs in a child
    process, as it would be killed: an interrupted scan unwound inside the test process would
    leave its half-finished objects to this process's garbage collector."""
    import signal
    import subprocess
    import sys

    out = tmp_path / "out"
    args = ["scan", str(folder), "--out", str(out), "--model", str(tiny_checkpoint), "--no-faces"]
    child = (
        "import os, signal, sys\n"
        "import forensic_viewer.scan.run as run\n"
        "from forensic_viewer.cli import main\n"
        "real, calls = run.analyse_item, []\n"
        "def analyse_then_terminated(*a, **kw):  # SIGTERM comes as the second file starts\n"
        "    calls.append(1)\n"
        "    if len(calls) == 2:\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "    return real(*a, **kw)\n"
        "run.analyse_item = analyse_then_terminated\n"
        "before = signal.getsignal(signal.SIGTERM)\n"
        "code = main(sys.argv[1:])\n"
        "assert signal.getsignal(signal.SIGTERM) == before, 'handler not put back'\n"
        "sys.exit(code)\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", child, *args], capture_output=True, text=True, timeout=HANG_S
    )
    assert res.returncode == 128 + signal.SIGTERM, res.stderr[-2000:]
    assert "terminated (SIGTERM); results so far are kept" in res.stderr
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["status"] == "ok"
    assert main(args) == 1  # the two bad files
    assert "already done" in capsys.readouterr().out
    assert len(_records(out)) == 4


def test_models_prints_counts_as_counts(tmp_path: Path, tiny_checkpoint: Path, capsys) -> None:
    """A checkpoint's metrics hold counts beside fractions: '199 images', not '199.000'."""
    from engine.checkpoints import load_checkpoint, save_checkpoint

    loaded = load_checkpoint(tiny_checkpoint)
    loaded.meta.metrics = {"val_image_auc": 0.63632, "val_images": 199}
    folder = tmp_path / "counted"
    folder.mkdir()
    save_checkpoint(folder / "counted.safetensors", loaded.model, loaded.meta)
    assert main(["models", "--extra", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "training-run validation split: val_image_auc 0.636, val_images 199\n" in out


def test_a_verdict_decided_by_a_face_says_so_beside_theta() -> None:
    """Under the face rule the ensemble's score on a file is the flagged face's score moved
    onto the ensemble's scale; the Decision words say so, and only when it happened: the face
    rule alone (the stacked verdict not flagged), else that a face flagged it too."""
    from engine.ensemble_provenance import FACE_RULE_NOTE, FACES_ALONE_NOTE, ON_THIS_FILE
    from forensic_viewer.cli_table import table_checks
    from forensic_viewer.wording import decision_words

    def record(provenance: str) -> dict:
        ens = {"name": "pair", "verdict": "manipulated", "score": 0.81, "forged_fraction": 0.0}
        details = {"threshold": 0.527, "threshold_provenance": provenance}
        return {"ensemble": ens, "ensemble_details": details, "models": {}}

    flagged = f"θ = 0.527 on the stacked probability{ON_THIS_FILE}{FACE_RULE_NOTE}1 face verdict"
    ((label, d),) = table_checks(record(f"{flagged}; {FACES_ALONE_NOTE}"))
    assert label.startswith("default verdict") and d["face_rule_applied"]
    assert decision_words(d) == (
        "score 0.810 > θ 0.527 (decided by the face rule: this is a flagged face's score, not "
        "the image's)"
    )
    ((_, d),) = table_checks(record(flagged))
    assert decision_words(d) == (
        "score 0.810 > θ 0.527 (a face flagged it too: the larger of the image's and the face's "
        "score)"
    )
    ((_, d),) = table_checks(record("θ = 0.527 on the stacked probability"))
    assert decision_words(d) == "score 0.810 > θ 0.527"


def test_a_resume_with_faces_turned_on_or_off_is_refused(
    folder: Path, tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    """Rows with faces detected and analysed, and rows without, must not be mixed in one
    folder; a folder written before scan.json recorded faces still resumes."""
    out = tmp_path / "out"
    off = ["scan", str(folder), "--out", str(out), "--model", str(tiny_checkpoint), "--no-faces"]
    assert main(off) == 1  # the two bad files
    info = json.loads((out / "scan.json").read_text(encoding="utf-8"))
    assert info["faces"] is None
    with (out / "results.csv").open(encoding="utf-8") as f:
        assert {r["faces"] for r in csv.DictReader(f)} == {""}  # no count: none was looked for
    capsys.readouterr()
    assert main(off[:-1]) == 2  # the same scan with face detection on
    assert "other models or settings (faces differ: scan.json)" in capsys.readouterr().err
    _resumes_without(out, info, "faces", off, capsys)


def test_scan_json_names_the_face_detector_and_the_face_path(
    folder: Path, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    out = tmp_path / "out"
    main(["scan", str(folder), "--out", str(out), "--model", str(tiny_checkpoint)])
    faces = json.loads((out / "scan.json").read_text(encoding="utf-8"))["faces"]
    assert faces["detector"] in ("mtcnn", "haar") and faces["face_path"] is True


def test_scan_analyses_an_image_whose_name_hides_it_and_says_what_it_passed_over(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    d = tmp_path / "evidence"
    d.mkdir()
    write_rgb(d / "renamed.dat", 40, 50, seed=2, fmt="JPEG")
    (d / "readme.txt").write_text("not evidence")
    out = tmp_path / "out"
    args = ["scan", str(d), "--out", str(out), "--model", str(tiny_checkpoint), "--no-faces"]
    assert main(args) == 0
    row = _records(out)["renamed.dat"]
    assert row["status"] == "ok" and row["evidence"]["format"] == "JPEG"
    err = capsys.readouterr().err
    said = "1 file(s) passed over, not images by name or content (first: readme.txt; all named"
    assert f"{said} in scan.json, run.passed_over)" in err


def test_the_table_gives_each_face_verdict_with_its_threshold(capsys) -> None:
    """Every verdict the command line prints carries the θ it was decided by, a face's too
    (four decimals: a face model's θ near 1 would print alike at three)."""
    from forensic_viewer.cli_table import print_table

    face = {
        "box": [10, 20, 30, 40],
        "face_scores": {
            "faces": {"score": 0.98391, "verdict": "manipulated", "threshold": 0.98287},
            "crfd": {  # a forged-fraction model: its θ is on the face window's forged fraction
                "score": 0.5452,
                "verdict": "manipulated",
                "threshold": 0.34231,
                "rule": "forged_fraction",
                "forged_fraction": 0.41,
            },
            "old": {"score": 0.25, "verdict": "authentic"},  # a row from before θ was kept
        },
    }
    print_table([{"path": "a.jpg", "status": "ok", "checks": [], "faces": [face]}])
    out = capsys.readouterr().out
    assert "faces flagged as manipulated (score 0.9839 > θ 0.9829)" in out
    assert "crfd flagged as manipulated (marked area 41.00% > θ 34.23%)" in out
    assert "old not flagged (score 0.250)" in out


def test_the_table_says_once_why_a_probability_points_against_its_verdict(capsys) -> None:
    """ "authentic  p 0.51 (calibrated)" was printed with no word on why (the faces had one)."""
    from forensic_viewer.cli_table import print_table
    from forensic_viewer.wording import IMAGE_PROBABILITY_NOTE

    def check(verdict: str, p: float) -> tuple[str, dict]:
        d = {"name": "m", "verdict": verdict, "score": 0.8, "forged_fraction": 0.1}
        return "m", {**d, "threshold": 0.9, "rule": "logit", "probability": p}

    rows = [
        {"path": f"{i}.jpg", "status": "ok", "checks": [check("authentic", 0.54)]} for i in (1, 2)
    ]
    print_table(rows)
    assert capsys.readouterr().out.count(IMAGE_PROBABILITY_NOTE) == 1
    print_table([{"path": "a.jpg", "status": "ok", "checks": [check("authentic", 0.3)]}])
    assert IMAGE_PROBABILITY_NOTE not in capsys.readouterr().out


def test_a_scan_of_a_relative_folder_names_failed_files_by_their_absolute_path(
    tmp_path: Path, tiny_checkpoint: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``scan evidence`` run from the folder above it wrote ``evidence/broken.jpg: ...`` in
    results.jsonl and on the terminal, a path relative to a directory nothing records, while
    results.csv and reports named the file by its absolute path. Every place names it so."""
    d = tmp_path / "evidence"
    d.mkdir()
    write_rgb(d / "a.png", 40, 40, seed=1)
    (d / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 40)
    monkeypatch.chdir(tmp_path)
    args = ["scan", "evidence", "--out", "out", "--model", str(tiny_checkpoint)]
    assert main([*args, "--no-faces", "--jobs", "1"]) == 1
    error = _records(tmp_path / "out")["broken.jpg"]["error"]
    assert error.startswith(f"{d / 'broken.jpg'}: "), error
    printed = capsys.readouterr()
    # the closing table names the file once, by its key ("broken.jpg: ERROR /…/broken.jpg: …")
    reason = error.removeprefix(f"{d / 'broken.jpg'}: ")
    assert [x for x in printed.out.splitlines() if "ERROR" in x] == [f"broken.jpg: ERROR {reason}"]
    assert f"  {error}" in printed.err.splitlines()  # the list of failed files
    rows = list(csv.DictReader(open(tmp_path / "out" / "results.csv", encoding="utf-8")))
    assert next(r for r in rows if r["path"] == "broken.jpg")["error"] == error


def test_a_folder_of_phone_photographs_is_scanned_heic_included(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """HEIF/HEIC (engine/heif.py): named so or renamed, a scan takes it and analyses the picture
    as the phone shows it, with the file's SHA-256 and what the decoder said."""
    heif = Path(__file__).resolve().parents[1] / "data" / "heif"
    folder = tmp_path / "phone"
    folder.mkdir()
    shutil.copyfile(heif / "rotated.heic", folder / "IMG_0002.HEIC")
    shutil.copyfile(heif / "plain.heic", folder / "export.bin")  # a name that hides it
    write_rgb(folder / "a.png", 40, 40)
    out = tmp_path / "out"
    base = ["scan", str(folder), "--out", str(out), "--model", str(tiny_checkpoint)]
    assert main([*base, "--no-faces", "--jobs", "1"]) == 0
    recs = _records(out)
    assert set(recs) == {"a.png", "IMG_0002.HEIC", "export.bin"}
    upright = recs["IMG_0002.HEIC"]
    assert upright["status"] == "ok" and (upright["width"], upright["height"]) == (64, 96)
    assert upright["evidence"]["format"] == "HEIF"
    assert upright["sha256"] == hashlib.sha256((heif / "rotated.heic").read_bytes()).hexdigest()
    assert any("EXIF orientation 6" in w for w in upright["warnings"])
    assert recs["export.bin"]["status"] == "ok" and recs["export.bin"]["width"] == 96


@pytest.mark.parametrize("recursive", [False, True])
def test_a_folder_without_images_is_said_in_one_line_before_any_model_is_loaded(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch, capsys, recursive: bool
) -> None:
    # It loaded the models (up to 37 s with Ray), scanned nothing and exited 0.
    import engine.assembly
    import forensic_viewer.cli_scan as cli_scan

    def loaded(*_a, **_k):
        raise AssertionError("models loaded for a folder without images")

    monkeypatch.setattr(engine.assembly, "assemble_analyzer", loaded)
    monkeypatch.setattr(cli_scan, "build_analyzer", loaded)
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    (empty / "notes.txt").write_text("no image")
    out = tmp_path / "out"
    extra = ["--recursive"] * recursive
    assert main(scan_args(empty, out, tiny_checkpoint, *extra)) == 2
    err = capsys.readouterr().err.splitlines()
    said = [line for line in err if "no images to analyse" in line]
    assert len(said) == 1 and str(empty) in said[0] and ".jpg" in said[0] and ".heic" in said[0]
    assert ("sub-folders" in said[0]) and (("--recursive" in said[0]) != recursive)
    assert not out.exists()  # nothing written either
