"""What a report says, in its Case section, of reproducing its figures: the path and runtime
each network ran (as its results record them, never from the ``--exact`` flag alone), that the
same command on the same runtime gives every figure and map again bit for bit, and that
another runtime or the other path moves them by amounts documented elsewhere.

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


EXACT_WORDS = "the exact path (--exact: the paper's sliding windows on PyTorch, fp32)"
# The path a network's result ran, by its input_policy (engine.pipeline records ``tiling`` for a
# window network; a model that resizes the whole image runs one pass, on either path).
FAST, EXACT, WHOLE = "fast", "exact", "whole"
PATH_NAMES = {
    FAST: "overlap-crop tiles (the fast path)",
    EXACT: "sliding windows (the exact path)",
    WHOLE: "a whole-image pass",
}


def path_words(settings: Mapping[str, Any]) -> str:
    """The computation path scan.json records (``exact``); "" when it records none (a viewer
    report's settings, a scan folder written before ``exact`` was). It is what was asked: a
    network the fast path does not tile (engine/fastpath.py) runs sliding windows without
    ``--exact`` too, so the paragraph says it only when every network's result ran it
    (:func:`ran_path`)."""
    exact = settings.get("exact")
    if exact is True:
        return EXACT_WORDS
    if exact is False:
        return "the fast path"
    return ""


def ran_path(policy: Mapping[str, Any]) -> str | None:
    """The path a result ran, from its ``input_policy``: :data:`FAST` (overlap-crop tiles),
    :data:`EXACT` (sliding windows), :data:`WHOLE` (a whole-image pass); None when it does not
    say (an ensemble's, a face model's summary, a row from before the fast path)."""
    mode, tiling = policy.get("mode"), policy.get("tiling")
    if mode == "resize":
        return WHOLE
    if mode != "window":
        return None
    return {"overlap-crop": FAST, "sliding": EXACT}.get(str(tiling))


def _networks(models: Iterable[ModelSummary]) -> list[ModelSummary]:
    """The networks that ran (the ensemble, which runs none of its own, and summaries that
    record neither runtime nor path left out)."""
    return [
        m
        for m in models
        if m.role != "ensemble" and (m.input_policy.get("runtime") or ran_path(m.input_policy))
    ]


def networks_words(models: Iterable[ModelSummary], *, paths: bool = False) -> str:
    """``crfd-net-compact on OpenVINO (int8), diffforensics-effl0 on OpenVINO (fp32)``: each
    network's runtime and precision as its results record them (the first file's runtime,
    every precision seen); the ensemble, which runs no network of its own, left out. paths:
    each also with the path it ran (``t1 on PyTorch (fp32) in sliding windows (the exact
    path)``), for a run whose networks did not all run one path."""
    said = []
    for m in _networks(models):
        runtime = m.input_policy.get("runtime")
        precision = " + ".join(sorted(m.precisions))
        face = " (faces)" if m.role == FACE_MODEL else ""
        on = f" on {RUNTIME_NAMES.get(str(runtime), str(runtime))}" if runtime else ""
        kind = ran_path(m.input_policy) if paths else None
        said.append(
            f"{m.name}{face}{on}"
            + (f" ({precision})" if precision and runtime else "")
            + (f" in {PATH_NAMES[kind]}" if kind else "")
        )
    return ", ".join(said)


def run_path_words(settings: Mapping[str, Any], models: Iterable[ModelSummary]) -> str:
    """The run's path as its networks' results record it: "the fast path" only when every
    one ran overlap-crop tiles, :data:`EXACT_WORDS` when ``--exact`` was given and every one
    ran sliding windows, "the exact path (sliding windows; the fast path tiles none of these
    networks)" when every one did without it; "" when they ran different paths (each network
    then names its own) or none records one (scan.json's ``exact`` then, :func:`path_words`).

    A walk-through (2026-12-06) found "This run used the fast path" above a network of a new
    architecture whose own section said "exact path: sliding window 128": the flag alone had
    been read, and the fast path tiles only the families engine/fastpath.py names."""
    kinds = [ran_path(m.input_policy) for m in _networks(models)]
    if not kinds or None in kinds:
        return path_words(settings)
    if set(kinds) == {FAST}:
        return "the fast path"
    if set(kinds) == {EXACT}:
        return (
            EXACT_WORDS
            if settings.get("exact") is True
            else "the exact path (sliding windows; the fast path tiles none of these networks)"
        )
    return ""


def _other_path(settings: Mapping[str, Any], kinds: list[str | None]) -> str:
    """The path that would compute the figures otherwise, for the paragraph's last sentence:
    without ``--exact`` for a run that gave it, ``--exact`` for one whose networks ran the
    fast path (or that records none), nothing where no network ran tiles and ``--exact`` was
    not given (the flag would change none of them)."""
    if settings.get("exact") is True:
        return "the fast path (the same command without --exact)"
    if FAST in kinds or not kinds or None in kinds:
        return "the exact path (--exact)"
    return ""


def reproducing_text(settings: Mapping[str, Any], models: Iterable[ModelSummary]) -> str:
    """The Case section's paragraph on reproducing this report's figures (:data:`ROW`).

    settings: scan.json of a scan (or a viewer report's own settings); models: the report's
    model summaries, whose recorded runtimes and precisions are what ran."""
    models = list(models)
    path = run_path_words(settings, models)
    networks = networks_words(models, paths=not path)
    variables = recorded_variables(settings)
    ran = ", ".join(p for p in (path, networks) if p) or "the path and runtimes its rows record"
    chosen = " under " + " ".join(f"{k}={v}" for k, v in variables.items()) if variables else ""
    on_torch = any(m.input_policy.get("runtime") == "torch" for m in models)
    threads = (
        " and, for a network on PyTorch, the same thread count (each result's input_policy.threads)"
        if on_torch
        else ""
    )
    other = _other_path(settings, [ran_path(m.input_policy) for m in _networks(models)])
    return (
        f'This run used {ran}{chosen}. The same command (the "Command" row below) run '
        "again with the same program, models, libraries, processor and "
        f"runtime{threads} gives every figure and map of this report again, exactly the same. "
        "Another runtime (FORENSIC_VIEWER_RUNTIME: int8 or fp32 OpenVINO, PyTorch)"
        + (f", {other}" if other else "")
        + " or another processor computes them otherwise and moves scores, "
        "probabilities, marked areas and maps by the amounts measured in "
        f"{SECTION}; a verdict whose figure lies that close to its threshold may then differ."
    )
