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
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest
import torch
from torch import nn

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


UNTILED = "plain-fcn"  # a name in none of engine/fastpath.py's tiled families


@dataclass(frozen=True)
class PlainConfig:
    width: int = 4

    LIMITS: ClassVar[dict[str, tuple[float, float]]] = {"width": (1, 64)}


class PlainNet(nn.Module):
    """Two convolutions: an architecture the fast path has no tiling rule for."""

    def __init__(self, cfg: PlainConfig) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, cfg.width, 3, padding=1), nn.ReLU())
        self.head = nn.Conv2d(cfg.width, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


@pytest.fixture
def untiled_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkpoint of :data:`UNTILED`, registered for this test only (the registry is
    restored after it), as a new architecture file would register it."""
    from engine.checkpoints import CheckpointMeta, DecisionRule, InputPolicy, save_checkpoint
    from engine.models import registry

    registry.list_models()  # the project's architectures registered before the copy
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    registry.register_model(UNTILED, PlainConfig(), family=None)(PlainNet)
    torch.manual_seed(0)
    meta = CheckpointMeta(
        architecture=UNTILED,
        config={"width": 4},
        input_policy=InputPolicy(window=64, stride=32),
        decision=DecisionRule(threshold=0.1, provenance="test fixture, random weights"),
        name="plain",
    )
    return save_checkpoint(tmp_path / "plain.safetensors", PlainNet(PlainConfig()), meta)


def _scan_reproducing(tmp_path: Path, monkeypatch, *models: Path) -> str:
    for name in RESULT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FORENSIC_VIEWER_RUNTIME", "torch")
    (tmp_path / "ev").mkdir(exist_ok=True)
    shutil.copy(SMALLEST_SAMPLE, tmp_path / "ev" / "a.jpg")
    monkeypatch.chdir(tmp_path)
    out = f"out-{len(list(tmp_path.glob('out-*')))}"
    argv = ["scan", "ev", "--out", out, "--no-faces", "--jobs", "1", "--report", "json"]
    for m in models:
        argv += ["--model", str(m)]
    assert main(argv) == 0
    report = json.loads((tmp_path / out / "report.json").read_text(encoding="utf-8"))
    return str(report["reproducing"])


def test_a_network_the_fast_path_does_not_tile_is_said_to_have_run_sliding_windows(
    tmp_path: Path, tiny_checkpoint: Path, untiled_checkpoint: Path, monkeypatch
) -> None:
    """Without --exact the tiny CRFD-Net ran the fast path's tiles and the new architecture
    its sliding windows: the paragraph names each one's path, and "the fast path" for the run
    only when every network ran it (walk-through 2026-12-06: "This run used the fast path"
    above a model section saying "exact path: sliding window 128")."""
    both = _scan_reproducing(tmp_path, monkeypatch, tiny_checkpoint, untiled_checkpoint)
    assert both.startswith(
        "This run used tiny on PyTorch (fp32) in overlap-crop tiles (the fast path), "
        "plain on PyTorch (fp32) in sliding windows (the exact path) "
        "under FORENSIC_VIEWER_RUNTIME=torch."
    ), both
    assert "the exact path (--exact) or another processor" in both
    alone = _scan_reproducing(tmp_path, monkeypatch, untiled_checkpoint)
    assert alone.startswith(
        "This run used the exact path (sliding windows; the fast path tiles none of these "
        "networks), plain on PyTorch (fp32) under FORENSIC_VIEWER_RUNTIME=torch."
    ), alone
    assert "fast path," not in alone and "--exact" not in alone  # --exact would change nothing


def test_each_path_is_read_from_the_results_input_policy() -> None:
    """A whole-image model, windows and tiles side by side; --exact's run names the fast path
    as the other one, not itself."""
    tiles = _summary("a", "model", "openvino", "int8")
    tiles.input_policy |= {"mode": "window", "tiling": "overlap-crop"}
    whole = _summary("b", "model", None, "fp32")
    whole.input_policy = {"mode": "resize", "size": [512, 512]}
    text = reproducing_text({"exact": False}, [tiles, whole])
    assert text.startswith(
        "This run used a on OpenVINO (int8) in overlap-crop tiles (the fast path), "
        "b in a whole-image pass. "
    ), text
    windows = _summary("a", "model", "torch", "fp32")
    windows.input_policy |= {"mode": "window", "tiling": "sliding"}
    text = reproducing_text({"exact": True}, [windows])
    assert text.startswith(
        "This run used the exact path (--exact: the paper's sliding windows on PyTorch, fp32), "
        "a on PyTorch (fp32). "
    ), text
    assert "the fast path (the same command without --exact) or another processor" in text
