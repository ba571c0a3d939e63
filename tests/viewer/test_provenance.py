"""Every result names exactly what computed it (2026-12-05 evidence-integrity review): the int8
OpenVINO files the fast path ran, in each row, scan.json and the report; a resume with other
int8 files is refused like one with another checkpoint."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.resources import resources_dir
from engine.runtime import openvino_available
from tests.conftest import write_rgb
from tests.viewer.conftest import scan_cli

CRFD = "crfd-net-compact"


@pytest.fixture
def crfd_copy(tmp_path: Path, monkeypatch) -> Path:
    """The bundled crfd-net-compact with its int8 files, copied into ``tmp_path / "models"``."""
    monkeypatch.setenv("FORENSIC_VIEWER_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("FORENSIC_VIEWER_RUNTIME", raising=False)
    folder = tmp_path / "models"
    folder.mkdir()
    for suffix in (".safetensors", ".int8.xml", ".int8.bin", ".int8.json"):
        shutil.copyfile(resources_dir() / "models" / f"{CRFD}{suffix}", folder / f"{CRFD}{suffix}")
    return folder / f"{CRFD}.safetensors"


@pytest.mark.skipif(not openvino_available(), reason="openvino not installed")
def test_int8_files_are_named_everywhere_and_other_ones_refuse_a_resume(
    tmp_path: Path, crfd_copy: Path, capsys
) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    write_rgb(evidence / "a.png", 64, 48, seed=1)
    out = tmp_path / "out"
    case = tmp_path / "case"
    assert scan_cli(evidence, out, crfd_copy, "--report", "html", "--case", str(case)) == 0
    shipped = json.loads(crfd_copy.with_name(f"{CRFD}.int8.json").read_text())["files"]
    row = json.loads((out / "results.jsonl").read_text().splitlines()[0])
    model = row["details"][CRFD]
    assert model["precision"] == "int8"
    assert model["input_policy"]["model_files"] == shipped
    assert json.loads((out / "scan.json").read_text())["int8_files"] == {CRFD: shipped}
    entries = [json.loads(line) for line in (case / "audit.jsonl").read_text().splitlines()]
    finished = [e for e in entries if e["action"] == "scan-finished"][-1]
    assert finished["details"]["settings"]["int8_files"] == {CRFD: shipped}
    html = (out / "report.html").read_text(encoding="utf-8")
    for name, digest in shipped.items():
        assert f"{name} SHA-256 {digest}" in html
    # the reviewer's bit flip in the weights: a resume into the same folder is refused (it
    # mixed rows of two models), and a new scan runs fp32 and says so
    weights = crfd_copy.with_name(f"{CRFD}.int8.bin")
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x04
    weights.write_bytes(bytes(data))
    write_rgb(evidence / "b.png", 64, 48, seed=2)
    capsys.readouterr()
    assert scan_cli(evidence, out, crfd_copy) != 0
    said = capsys.readouterr()
    assert "int8_files differ" in said.out + said.err
    assert len((out / "results.jsonl").read_text().splitlines()) == 1
    again = tmp_path / "again"
    assert scan_cli(evidence, again, crfd_copy) == 0
    rows = [json.loads(line) for line in (again / "results.jsonl").read_text().splitlines()]
    assert {r["details"][CRFD]["precision"] for r in rows} == {"fp32"}
    assert {tuple(r["details"][CRFD]["input_policy"]["model_files"]) for r in rows} == {
        ("fp32 conversion",)
    }
    assert json.loads((again / "scan.json").read_text())["int8_files"] == {}


def test_each_row_names_its_run_and_each_run_keeps_its_environment(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """2026-12-05 review: a resumed scan kept only the last run's environment, and its report
    showed one environment for rows made by three runs."""
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    write_rgb(evidence / "a.png", 40, 32, seed=1)
    out = tmp_path / "out"
    assert scan_cli(evidence, out, tiny_checkpoint) == 0
    write_rgb(evidence / "b.png", 40, 32, seed=2)
    (evidence / "c.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 40)  # an error row
    assert scan_cli(evidence, out, tiny_checkpoint) == 1
    info = json.loads((out / "scan.json").read_text())
    first, last = info["earlier_runs"][0], info["run"]
    assert first["environment"]["code"] == info["environment"]["code"]
    assert first["device"] == info["device"] == "cpu"
    rows = {r["path"]: r for r in map(json.loads, (out / "results.jsonl").read_text().splitlines())}
    assert rows["a.png"]["run"] == first["id"]
    assert rows["b.png"]["run"] == rows["c.jpg"]["run"] == last["id"]
    assert rows["c.jpg"]["status"] == "error"
    env_rows = _environment_rows(info)
    assert "Runs in other environments" not in env_rows  # the same environment twice
    # the first run with another numpy and code: the report says so and lists both runs
    first["environment"]["libraries"]["numpy"] = "0.1"
    first["environment"]["code"] = {"commit": "1" * 40, "modified": False}
    said = _environment_rows(info)["Runs in other environments"]
    assert f"run started {first['started']}: forensic-viewer " in said
    assert "(commit 11111111)" in said and "numpy 0.1" in said
    assert f"run started {last['started']}: " in said and "device cpu" in said
    # report.json holds the same lines
    (out / "scan.json").write_text(json.dumps(info), encoding="utf-8")
    from forensic_viewer.report import scan_source, write_report

    write_report(scan_source(out), out, formats=("json",))
    runs = json.loads((out / "report.json").read_text(encoding="utf-8"))["environment"]
    assert len(runs["runs_differ"]) == 2 and all(r in said for r in runs["runs_differ"])


def _environment_rows(scan_json: dict) -> dict[str, str]:
    """The report's environment rows of a scan whose scan.json is ``scan_json``."""
    from types import SimpleNamespace

    from forensic_viewer.report.text import environment_rows

    source = SimpleNamespace(settings=scan_json)
    return dict(environment_rows(SimpleNamespace(export_environment={}, source=source)))  # type: ignore[arg-type]
