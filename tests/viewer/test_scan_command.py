"""scan.json records the command line of each run, so that another examiner can run it again.

The checkpoint has random weights: these tests check that the command is recorded and that
re-running it gives the same rows, never that a finding is right.
"""

from __future__ import annotations

import html
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from engine.environ import result_variables
from forensic_viewer.cli import build_parser, main
from forensic_viewer.scan.command import variables_prefix
from forensic_viewer.scan.settings import MAX_EARLIER_RUNS, earlier_runs
from tests.conftest import HANG_S

ROOT = Path(__file__).resolve().parents[2]
SMALLEST_SAMPLE = min(
    (ROOT / "resources" / "samples").glob("*.jpg"), key=lambda p: p.stat().st_size
)


def _entry(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m forensic_viewer.entry ARGV`` in ``cwd``: the program as a user runs it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_DATA_HOME": str(cwd / "user-data")}
    return subprocess.run(
        [sys.executable, "-m", "forensic_viewer.entry", *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_S,
    )


def _scan_json(out: Path) -> dict[str, Any]:
    return json.loads((out / "scan.json").read_text(encoding="utf-8"))


def _rows(out: Path) -> list[dict[str, Any]]:
    """results.jsonl's rows without their timings (``seconds``, at any depth) and the start
    time of the run that wrote them (``run``)."""

    def timeless(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: timeless(x) for k, x in v.items() if k not in ("seconds", "run")}
        return [timeless(x) for x in v] if isinstance(v, list) else v

    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return [timeless(json.loads(line)) for line in lines]


def test_the_recorded_command_runs_again_to_the_same_rows(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """A scan run as the program, with paths relative to its working directory, records its
    argv (the program named forensic-viewer), the quoted line, the version and the working
    directory; the line, split and run again from there into a new folder, gives the same
    rows."""
    (tmp_path / "case 1").mkdir()
    shutil.copy(SMALLEST_SAMPLE, tmp_path / "case 1" / SMALLEST_SAMPLE.name)
    argv = ["scan", "case 1", "--out", "out", "--model", tiny_checkpoint.name, "--no-faces"]
    done = _entry(argv, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]

    command = _scan_json(tmp_path / "out")["run"]["command"]
    assert command["argv"] == ["forensic-viewer", *argv]  # as typed: relative paths kept
    prefix = variables_prefix(result_variables())  # the tests run FORENSIC_VIEWER_RUNTIME=torch
    assert command["line"] == prefix + (
        f"forensic-viewer scan 'case 1' --out out --model {tiny_checkpoint.name} --no-faces"
    )
    assert command["cwd"] == str(tmp_path)
    assert command["origin"] == "command line" and command["version"]

    again = shlex.split(command["line"].removeprefix(prefix))
    assert again[0] == "forensic-viewer"
    again[again.index("--out") + 1] = "out2"  # a new output folder
    done = _entry(again[1:], Path(command["cwd"]))
    assert done.returncode == 0, done.stderr[-3000:]
    rows = _rows(tmp_path / "out2")
    assert rows == _rows(tmp_path / "out")
    assert [r["status"] for r in rows] == ["ok"]
    assert rows[0]["models"]["tiny"]["verdict"] in ("authentic", "manipulated")


def test_a_resumed_scan_keeps_every_earlier_runs_command(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch
) -> None:
    """Each run's command is recorded in ``run``, by the one-process scan and by the scan
    with worker processes alike; the one before moves to ``earlier_runs``."""
    (tmp_path / "ev").mkdir()
    shutil.copy(SMALLEST_SAMPLE, tmp_path / "ev" / "a.jpg")
    monkeypatch.chdir(tmp_path)
    first = ["scan", "ev", "--out", "out", "--model", str(tiny_checkpoint), "--no-faces"]
    assert main(first) == 0
    assert main([*first, "--jobs", "2"]) == 0
    info = _scan_json(tmp_path / "out")
    assert info["run"]["command"]["argv"] == ["forensic-viewer", *first, "--jobs", "2"]
    assert [r["command"]["argv"] for r in info["earlier_runs"]] == [["forensic-viewer", *first]]
    assert info["earlier_runs"][0]["state"] == "finished"
    assert info["earlier_runs"][0]["analysed"] == 1 and info["run"]["skipped"] == 1
    # the recorded command is the one the command line's parser reads to these options
    args = build_parser().parse_args(info["run"]["command"]["argv"][1:])
    assert (args.folder, args.out, args.jobs) == (Path("ev"), Path("out"), 2)


def test_earlier_runs_keep_the_first_and_the_latest_and_count_the_others() -> None:
    """A folder resumed many times keeps the first run's command and the latest ones."""
    old = {"earlier_runs": [{"n": i} for i in range(MAX_EARLIER_RUNS)], "run": {"n": "last"}}
    kept = earlier_runs(old)
    runs = kept["earlier_runs"]
    assert len(runs) == MAX_EARLIER_RUNS
    assert runs[0] == {"n": 0} and runs[1] == {"n": 2} and runs[-1] == {"n": "last"}
    assert kept["earlier_runs_left_out"] == 1
    again = earlier_runs({**kept, "run": {"n": "next"}})
    assert again["earlier_runs"][0] == {"n": 0} and again["earlier_runs_left_out"] == 2
    assert earlier_runs({"source": "x"}) == {}  # written before runs were recorded


def _pdf_words(path: Path) -> str:
    from pypdf import PdfReader

    return " ".join(" ".join(p.extract_text() for p in PdfReader(path).pages).split())


def test_every_report_of_a_scan_gives_its_command_and_working_directory(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch
) -> None:
    """HTML, PDF and JSON say "Command: forensic-viewer scan ..." and where it ran; a folder
    whose scan.json holds no command (an older version's) says so, and names none."""
    from forensic_viewer.report import scan_source, write_report

    (tmp_path / "ev").mkdir()
    shutil.copy(SMALLEST_SAMPLE, tmp_path / "ev" / "a.jpg")
    monkeypatch.chdir(tmp_path)
    argv = ["scan", "ev", "--out", "out", "--model", str(tiny_checkpoint), "--no-faces"]
    assert main([*argv, "--report", "html,pdf,json"]) == 0
    line = shlex.join(["forensic-viewer", *argv, "--report", "html,pdf,json"])
    line = variables_prefix(result_variables()) + line
    out = tmp_path / "out"
    page = (out / "report.html").read_text(encoding="utf-8")
    assert f"Command</th><td>{html.escape(line, quote=True)}</td>" in page
    assert f"Working directory</th><td>{html.escape(str(tmp_path))}</td>" in page
    assert f"Command {line} Working directory {tmp_path}" in _pdf_words(out / "report.pdf")
    said = json.loads((out / "report.json").read_text(encoding="utf-8"))["command"]
    assert said == {"text": line, "cwd": str(tmp_path)}

    info = _scan_json(out)
    del info["run"]["command"]  # as a version before commands were recorded wrote it
    (out / "scan.json").write_text(json.dumps(info), encoding="utf-8")
    paths = write_report(scan_source(out), tmp_path / "old", ("html", "json"))
    page = paths["html"].read_text(encoding="utf-8")
    assert "Command</th><td>not recorded (made before scans recorded their command line" in page
    assert "forensic-viewer scan ev" not in page and "Working directory" not in page
    said = json.loads(paths["json"].read_text(encoding="utf-8"))["command"]
    assert said["text"].startswith("not recorded (made before") and said["cwd"] is None


def test_a_runs_result_variables_are_recorded_before_its_command_and_a_resume_keeps_the_runtime(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch, capsys
) -> None:
    """A defence expert's walk-through (2026-12-06): a scan run under
    FORENSIC_VIEWER_RUNTIME=torch recorded, and its report showed, the plain command, which run
    again gave int8 OpenVINO's figures. The variables that change results are recorded and
    put before the command; a resume under another runtime is refused, naming both (torch
    against openvino-fp32 had been let through: both run no int8 files)."""
    from engine.environ import RESULT_VARIABLES

    for name in RESULT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FORENSIC_VIEWER_RUNTIME", "torch")
    monkeypatch.setenv("FORENSIC_VIEWER_MAX_PIXELS", "200M")
    (tmp_path / "ev").mkdir()
    shutil.copy(SMALLEST_SAMPLE, tmp_path / "ev" / "a.jpg")
    monkeypatch.chdir(tmp_path)
    argv = ["scan", "ev", "--out", "out", "--model", str(tiny_checkpoint), "--no-faces"]
    assert main([*argv, "--report", "html,json"]) == 0
    info = _scan_json(tmp_path / "out")
    command = info["run"]["command"]
    assert command["variables"] == {
        "FORENSIC_VIEWER_RUNTIME": "torch",
        "FORENSIC_VIEWER_MAX_PIXELS": "200M",
    }
    line = "FORENSIC_VIEWER_RUNTIME=torch FORENSIC_VIEWER_MAX_PIXELS=200M " + shlex.join(
        ["forensic-viewer", *argv, "--report", "html,json"]
    )
    assert command["line"] == line and info["runtime"] == "torch"
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert f"Command</th><td>{html.escape(line, quote=True)}</td>" in page
    said = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert said["command"]["text"] == line

    capsys.readouterr()
    monkeypatch.setenv("FORENSIC_VIEWER_RUNTIME", "openvino-fp32")
    assert main(argv) != 0
    err = capsys.readouterr().err
    assert "runtime differ" in err and "the runtime torch there, openvino-fp32 now" in err
    assert _scan_json(tmp_path / "out")["runtime"] == "torch"  # the folder is left as it was
