"""``forensic-viewer probe``: probe.json with one row per derivation, the maps, the evidence
untouched, exit codes as ``analyze``, and the report's probe section.

The checkpoint has random weights: these tests check the plumbing, never a finding.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
from html import escape
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from engine.environ import result_variables
from engine.probe import DERIVATIONS
from forensic_viewer.cli import main
from forensic_viewer.scan.command import variables_prefix
from forensic_viewer.scan.probe import PROBE_JSON, table_lines
from tests.conftest import write_rgb
from tests.viewer.conftest import without_sessions


def test_probe_writes_the_table_and_maps_and_leaves_the_evidence_alone(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    img = write_rgb(tmp_path / "evidence.png", h=64, w=96)
    before, mtime = img.read_bytes(), img.stat().st_mtime_ns
    out = tmp_path / "out"
    args = ["probe", str(img), "--out", str(out), "--model", str(tiny_checkpoint)]
    assert main([*args, "--device", "cpu", "--no-faces"]) == 0
    assert img.read_bytes() == before and img.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evidence.png", "out", "tiny.safetensors"]

    table = json.loads((out / PROBE_JSON).read_text(encoding="utf-8"))
    names = [d.name for d in DERIVATIONS]
    assert [r["derivation"] for r in table["rows"]] == names  # one model: one row each
    assert [d["name"] for d in table["derivations"]] == names
    assert table["evidence"]["sha256"] == hashlib.sha256(before).hexdigest()
    for row in table["rows"]:
        assert row["model"] == "tiny" and row["verdict"] in ("authentic", "manipulated")
        assert 0.0 <= row["iou"] <= 1.0 and 0.0 <= row["score"] <= 1.0
    social = next(d for d in table["derivations"] if d["name"] == "social")
    assert any("no resize" in n for n in social["notes"])  # 96 px long side < 2048
    half = next(d for d in table["derivations"] if d["name"] == "resize-50")
    assert (half["width"], half["height"]) == (48, 32)
    assert set(table["maps"]) == {"original", *names}
    for per_model in table["maps"].values():
        with Image.open(out / per_model["tiny"]) as im:
            assert im.size == (96, 64) and im.mode == "L"  # on the original's grid
    printed = capsys.readouterr().out
    assert printed.count("\ttiny\t") == 1 + len(names)  # the original's row, then each copy's


def test_probe_json_records_each_map_files_sha256(tmp_path: Path, tiny_checkpoint: Path) -> None:
    """Every other output records the SHA-256 of the files it writes; probe.json named its
    maps without one, so a map handed on could not be checked against the table. Its
    report's JSON carries the table, hashes included."""
    img = write_rgb(tmp_path / "evidence.png", h=48, w=64)
    out = tmp_path / "out"
    args = ["probe", str(img), "--out", str(out), "--model", str(tiny_checkpoint)]
    assert main([*args, "--device", "cpu", "--no-faces", "--report", "json"]) == 0
    table = json.loads((out / PROBE_JSON).read_text(encoding="utf-8"))
    named = sorted(name for per_model in table["maps"].values() for name in per_model.values())
    assert sorted(table["maps_sha256"]) == named and len(named) == 1 + len(DERIVATIONS)
    for name, sha in table["maps_sha256"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == sha
    sidecar = json.loads((out / "probe-report.json").read_text(encoding="utf-8"))
    assert sidecar["items"][0]["probe"]["maps_sha256"] == table["maps_sha256"]


def test_probe_exit_codes(tmp_path: Path, tiny_checkpoint: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    base = ["--out", str(tmp_path / "o"), "--model", str(tiny_checkpoint), "--device", "cpu"]
    assert main(["probe", str(bad), *base]) == 1  # the file cannot be analysed
    assert not (tmp_path / "o" / PROBE_JSON).exists()
    assert main(["probe", str(bad), *base, "--report", "docx"]) == 2  # usage, before models
    assert main(["probe", str(bad), *base, "--analyses", "ela"]) == 2  # not an option of probe
    assert main(["probe", str(bad), "--out", str(tmp_path / "o"), "--model", "nope"]) == 2


def test_probe_does_not_offer_analyses(capsys: pytest.CaptureFixture[str]) -> None:
    """probe compares the models' results and runs no classic analyses: its --help must not
    offer --analyses (it was listed, then refused on every use)."""
    assert main(["probe", "--help"]) == 0
    printed = capsys.readouterr().out
    assert "--out" in printed and "--model" in printed
    assert "--analyses" not in printed


def test_report_of_a_probe_has_its_table(tmp_path: Path, tiny_checkpoint: Path) -> None:
    img = write_rgb(tmp_path / "evidence.png", h=48, w=64)
    out = tmp_path / "out"
    args = ["probe", str(img), "--out", str(out), "--model", str(tiny_checkpoint)]
    assert main([*args, "--device", "cpu", "--no-faces", "--report", "html,pdf"]) == 0
    sidecar = json.loads((out / "probe-report.json").read_text(encoding="utf-8"))
    table = sidecar["items"][0]["probe"]
    assert [r["derivation"] for r in table["rows"]] == [d.name for d in DERIVATIONS]
    html = (out / "probe-report.html").read_text(encoding="utf-8")
    assert "Robustness probe" in html and "jpeg-q85" in html and "IoU with original" in html
    text = "".join(p.extract_text() for p in PdfReader(out / "probe-report.pdf").pages)
    assert "Robustness probe" in text and "resize-50" in text
    lines = table_lines(table)
    assert any(line.startswith("IoU: ") and "1.0" in line for line in lines)
    # the command that made it, as typed, and where it ran: the probe can be run again
    line = shlex.join(["forensic-viewer", *args, "--device", "cpu", "--no-faces", "--report"])
    line = variables_prefix(result_variables()) + line
    assert sidecar["command"] == {"text": f"{line} html,pdf", "cwd": os.getcwd()}
    assert f"Command</th><td>{escape(line)} html,pdf</td>" in html


def test_a_probe_report_that_cannot_be_written_is_one_error_line(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    img = write_rgb(tmp_path / "evidence.png", h=48, w=64)
    out = tmp_path / "out"
    (out / "probe-report.html").mkdir(parents=True)  # in the report's way
    args = ["probe", str(img), "--out", str(out), "--model", str(tiny_checkpoint)]
    assert main([*args, "--device", "cpu", "--no-faces", "--report", "html"]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"forensic-viewer: error: cannot write the report: {out / 'probe-report.html'}: "
        "is a directory"
    ]  # the file written, not its NAME.tmp twin, and no errno text
    assert (out / PROBE_JSON).is_file()  # the probe itself is kept


def test_probe_with_a_case_is_logged_and_its_output_folder_is_locked(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    from forensic_viewer.audit import LOG_NAME, verify_log
    from forensic_viewer.scan.lock import OutputLock

    img = write_rgb(tmp_path / "evidence.png", h=48, w=64)
    out, case = tmp_path / "out", tmp_path / "case"
    args = ["probe", str(img), "--out", str(out), "--model", str(tiny_checkpoint)]
    args += ["--device", "cpu", "--no-faces", "--case", str(case)]
    with OutputLock(out, command="another run"):  # someone else writes there: refused, exit 3
        assert main(args) == 3
    assert not (out / PROBE_JSON).exists()
    assert main([*args, "--report", "html"]) == 0
    check = verify_log(case / LOG_NAME)
    assert check.ok, check.problem
    entries = [e for e in without_sessions(check.entries) if e.action != "log-opened"]
    assert [e.action for e in entries] == ["probe-run", "report-exported"]
    probe = entries[0].details
    assert probe["sha256"] == hashlib.sha256(img.read_bytes()).hexdigest()
    assert [c["name"] for c in probe["copies"]] == [d.name for d in DERIVATIONS]
    assert probe["models"] == {
        "tiny": json.loads((out / PROBE_JSON).read_text())["original"]["tiny"]["verdict"]
    }
    written = hashlib.sha256((out / PROBE_JSON).read_bytes()).hexdigest()
    assert probe["probe_json"]["sha256"] == written
    assert entries[1].details["head_in_report"] == entries[0].hash
    assert entries[0].hash in (out / "probe-report.html").read_text(encoding="utf-8")


def test_the_probe_table_leads_each_copy_with_the_default_verdict() -> None:
    """The ensemble's row (the default verdict) comes first for the original and for each copy,
    whatever order probe.json holds them in; the copies keep their order."""
    from forensic_viewer.scan.probe import table_rows

    def row(derivation: str, model: str, role: str) -> dict:
        return {"derivation": derivation, "model": model, "role": role, "verdict": "authentic"}

    table = {
        "original": {
            "a": {"role": "model", "verdict": "authentic", "score": 0.1},
            "pair": {"role": "ensemble", "verdict": "authentic", "score": 0.2},
        },
        "rows": [
            row("jpeg-q85", "a", "model"),
            row("jpeg-q85", "pair", "ensemble"),
            row("resize-50", "a", "model"),
            row("resize-50", "pair", "ensemble"),
        ],
    }
    got = [(r[0], r[1]) for r in table_rows(table)]
    assert got == [
        ("original", "pair (ensemble)"),
        ("original", "a"),
        ("jpeg-q85", "pair (ensemble)"),
        ("jpeg-q85", "a"),
        ("resize-50", "pair (ensemble)"),
        ("resize-50", "a"),
    ]


def test_probe_of_a_relative_path_records_the_file_absolute(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """probe.json and the case log's probe-run name the evidence as the file it is: a path
    relative to the folder the command was run from means nothing in the log (which keeps no
    working folder) nor in probe.json (which lies in --out), while both name probe.json and
    --out absolute."""
    import os

    from forensic_viewer.audit import LOG_NAME, verify_log

    write_rgb(tmp_path / "evidence.png", h=48, w=64)
    monkeypatch.chdir(tmp_path)
    args = ["probe", "evidence.png", "--out", "out", "--model", str(tiny_checkpoint)]
    assert main([*args, "--device", "cpu", "--no-faces", "--case", "case"]) == 0
    real = os.path.realpath(tmp_path / "evidence.png")
    table = json.loads((tmp_path / "out" / PROBE_JSON).read_text(encoding="utf-8"))
    assert table["evidence"]["path"] == real
    log = verify_log(tmp_path / "case" / LOG_NAME)
    probe = next(e for e in log.entries if e.action == "probe-run")
    assert probe.details["path"] == real
    assert probe.details["sha256"] == table["evidence"]["sha256"]


def test_a_copy_below_the_measured_sizes_has_its_verdict_marked(
    tmp_path: Path, tiny_checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The 50 % copy of an image 200 px high is 100 px high, below the 192 px the verdicts
    were measured down to (docs/VERDICTS.md section 7): its verdict is marked beside it, as
    every other display marks it, and the notes say why; the original and the full-size
    copies are not marked."""
    img = write_rgb(tmp_path / "evidence.png", h=200, w=256)
    out = tmp_path / "out"
    args = ["probe", str(img), "--out", str(out), "--model", str(tiny_checkpoint)]
    assert main([*args, "--device", "cpu", "--no-faces"]) == 0
    table = json.loads((out / PROBE_JSON).read_text(encoding="utf-8"))
    off = {r["derivation"]: r["out_of_range"] for r in table["rows"]}
    assert off.pop("resize-50") == {"short_side": 100, "min_side": 192}
    assert set(off.values()) == {None}
    assert table["original"]["tiny"]["out_of_range"] is None
    lines = capsys.readouterr().out.splitlines()
    half = next(x for x in lines if x.startswith("resize-50\ttiny\t"))
    assert "(outside the measured range)" in half.split("\t")[2]
    assert not any("outside" in x for x in lines if x.startswith(("original\t", "jpeg-q95\t")))
    note = next(x for x in lines if x.startswith("resize-50: "))
    assert "short side is 100 px, below the 192 px" in note
