"""What a report says, in its Case section, of reproducing its figures: the path and runtime
the run used, that the same command on the same runtime gives every figure and map again bit
for bit, and that another runtime or the exact path moves them by amounts documented elsewhere.

A defence expert's walk-through (2026-12-06) found no report saying that its figures depend on
the computation: under ``FORENSIC_VIEWER_RUNTIME=torch`` crfd-net-compact's forged fraction
moved by up to 0.021 and ``--exact`` moved a camera photograph's default-verdict probability
from 0.34 to 0.39, while docs/RESULTS.md ("Reproducing a result") held such tables that the
report never pointed to. The amounts are that section's, never repeated here: they are
measurements of one program version, and the section is where they are kept up to date.

No Qt; read by the HTML, PDF and JSON writers through :mod:`forensic_viewer.report.text`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from forensic_viewer.report.model import FACE_MODEL
from forensic_viewer.report.model_summary import ModelSummary

ROW = "Reproducing the figures"  # the Case section's row
SECTION = 'docs/RESULTS.md, "Reproducing a result"'  # where the amounts and conditions are
RUNTIME_NAMES = {"openvino": "OpenVINO", "torch": "PyTorch"}


def recorded_variables(settings: Mapping[str, Any]) -> dict[str, str]:
    """The result variables the run's command recorded (scan.json's ``run.command.variables``,
    a viewer report's ``command.variables``): ``{}`` when none was set or none recorded."""
    run = settings.get("run") if "source" in settings else settings
    command = run.get("command") if isinstance(run, Mapping) else None
    found = command.get("variables") if isinstance(command, Mapping) else None
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, Mapping) else {}


def path_words(settings: Mapping[str, Any]) -> str:
    """The computation path scan.json records (``exact``); "" when it records none (a viewer
    report's settings, a scan folder written before ``exact`` was)."""
    exact = settings.get("exact")
    if exact is True:
        return "the exact path (--exact: the paper's sliding windows on PyTorch, fp32)"
    if exact is False:
        return "the fast path"
    return ""


def networks_words(models: Iterable[ModelSummary]) -> str:
    """``crfd-net-compact on OpenVINO (int8), diffforensics-effl0 on OpenVINO (fp32)``: each
    network's runtime and precision as its results record them (the first file's runtime,
    every precision seen); the ensemble, which runs no network of its own, left out."""
    said = []
    for m in models:
        runtime = m.input_policy.get("runtime")
        if m.role == "ensemble" or not runtime:
            continue
        precision = " + ".join(sorted(m.precisions))
        face = " (faces)" if m.role == FACE_MODEL else ""
        said.append(
            f"{m.name}{face} on {RUNTIME_NAMES.get(str(runtime), str(runtime))}"
            + (f" ({precision})" if precision else "")
        )
    return ", ".join(said)


def reproducing_text(settings: Mapping[str, Any], models: Iterable[ModelSummary]) -> str:
    """The Case section's paragraph on reproducing this report's figures (:data:`ROW`).

    settings: scan.json of a scan (or a viewer report's own settings); models: the report's
    model summaries, whose recorded runtimes and precisions are what ran."""
    models = list(models)
    path = path_words(settings)
    networks = networks_words(models)
    variables = recorded_variables(settings)
    ran = ", ".join(p for p in (path, networks) if p) or "the path and runtimes its rows record"
    chosen = " under " + " ".join(f"{k}={v}" for k, v in variables.items()) if variables else ""
    on_torch = any(m.input_policy.get("runtime") == "torch" for m in models)
    threads = (
        " and, for a network on PyTorch, the same thread count (each result's input_policy.threads)"
        if on_torch
        else ""
    )
    return (
        f'This run used {ran}{chosen}. The same command (the "Command" row below) run '
        "again with the same program, models, libraries, processor and "
        f"runtime{threads} gives every figure and map of this report again, exactly the same. "
        "Another runtime (FORENSIC_VIEWER_RUNTIME: int8 or fp32 OpenVINO, PyTorch), the exact "
        "path (--exact) or another processor computes them otherwise and moves scores, "
        "probabilities, marked areas and maps by the amounts measured in "
        f"{SECTION}; a verdict whose figure lies that close to its threshold may then differ."
    )
