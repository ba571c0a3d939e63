"""Every report says, in its Case section, which path and runtime made its figures, that the
same command on the same runtime gives them again bit for bit, and where the amounts another
runtime or the exact path moves them by are given (docs/RESULTS.md, "Reproducing a result").

A defence expert's walk-through (2026-12-06) found no report saying it: FORENSIC_VIEWER_RUNTIME
and --exact had moved figures, no verdict, and the report did not point to the section.
"""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

from engine.environ import RESULT_VARIABLES
from forensic_viewer.cli import main
from forensic_viewer.report.model_summary import ModelSummary
from forensic_viewer.report.reproduce import ROW, SECTION, reproducing_text

ROOT = Path(__file__).resolve().parents[2]
SMALLEST_SAMPLE = min(
    (ROOT / "resources" / "samples").glob("*.jpg"), key=lambda p: p.stat().st_size
)


def _summary(name: str, role: str, runtime: str | None, precision: str) -> ModelSummary:
    policy = {"runtime": runtime} if runtime else {}
    return ModelSummary(
        name=name,
        role=role,
        architecture=name,
        checkpoint="",
        checkpoint_sha256="",
        rule="",
        threshold=None,
        pixel_threshold=None,
        provenance="",
        input_policy=policy,
        devices={"cpu"},
        precisions={precision},
        card=None,
    )


def test_the_paragraph_names_the_path_and_each_networks_runtime_from_what_was_recorded() -> None:
    models = [
        _summary("crfd-net-compact", "model", "openvino", "int8"),
        _summary("diffforensics-effl0", "model", "openvino", "fp32"),
        _summary("bundled-ensemble", "ensemble", None, "int8 + fp32"),
    ]
    text = reproducing_text({"source": "/ev", "exact": False, "run": {}}, models)
    assert text.startswith(
        "This run used the fast path, crfd-net-compact on OpenVINO (int8), "
        "diffforensics-effl0 on OpenVINO (fp32). "
    )
    assert "again, exactly the same" in text and SECTION in text and "thread count" not in text
    exact = [_summary("crfd-net-compact", "model", "torch", "fp32")]
    command = {"argv": ["forensic-viewer"], "variables": {"FORENSIC_VIEWER_RUNTIME": "torch"}}
    text = reproducing_text({"source": "/ev", "exact": True, "run": {"command": command}}, exact)
    assert text.startswith(
        "This run used the exact path (--exact: the paper's sliding windows on PyTorch, fp32), "
        "crfd-net-compact on PyTorch (fp32) under FORENSIC_VIEWER_RUNTIME=torch. "
    )
    assert "the same thread count (each result's input_policy.threads)" in text


def test_every_report_of_a_scan_says_it_in_its_case_section(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch
) -> None:
    for name in RESULT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FORENSIC_VIEWER_RUNTIME", "torch")
    (tmp_path / "ev").mkdir()
    shutil.copy(SMALLEST_SAMPLE, tmp_path / "ev" / "a.jpg")
    monkeypatch.chdir(tmp_path)
    argv = ["scan", "ev", "--out", "out", "--model", str(tiny_checkpoint), "--no-faces"]
    assert main([*argv, "--report", "html,pdf,json"]) == 0
    out = tmp_path / "out"
    said = json.loads((out / "report.json").read_text(encoding="utf-8"))["reproducing"]
    assert said.startswith(
        "This run used the fast path, tiny on PyTorch (fp32) under FORENSIC_VIEWER_RUNTIME=torch."
    )
    assert SECTION in said
    page = (out / "report.html").read_text(encoding="utf-8")
    case = page[page.index('<section id="case">') :]
    case = case[: case.index("</section>")]
    assert f"{ROW}</th><td>{html.escape(said, quote=True)}</td>" in case

    from pypdf import PdfReader

    words = " ".join(
        " ".join(p.extract_text() for p in PdfReader(out / "report.pdf").pages).split()
    )
    assert f"{ROW} This run used the fast path, tiny on PyTorch (fp32)" in words
