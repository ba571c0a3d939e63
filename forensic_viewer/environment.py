"""Which program and libraries produced a result, in words: for reports, ``--version`` and the
case log.

The recording itself (:func:`environment`, :func:`code_identity`, :func:`cpu_description`,
:func:`package_version`) is :mod:`engine.provenance`'s, re-exported here: ``forensic-train
eval --json`` records the same block, and the trainer cannot import the viewer. What an examiner
needs to reproduce a result bit for bit is recorded (docs/RESULTS.md, "Reproducing a result").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from engine.provenance import (  # noqa: F401 (re-exported: the viewer's one name for them)
    APP_PACKAGE,
    GIT_SECONDS,
    LIBRARIES,
    SOURCE_PACKAGES,
    VECTOR_FLAGS,
    code_identity,
    cpu_description,
    environment,
    git_commit,
    git_modified,
    package_version,
    sources_sha256,
)


def code_text(code: Any, full_in: str | None = None, whole: bool = False) -> str:
    """A recorded :func:`code_identity` in words: ``commit 1a2b3c4d`` (as committed), else what
    identifies the code: ``commit 1a2b3c4d, modified files, sources SHA-256 0123456789abcdef``
    (``modified: not known`` likewise: the commit alone does not give the code that ran, only
    the sources' SHA-256 does), ``sources SHA-256 ...`` or ``build SHA-256 ...`` without a
    commit, or ``code not identified``. The SHA-256 is cut to 16 hex digits, followed by where
    it is in full (``full_in``, e.g. "scan.json's environment.code"), or whole (``whole``: no
    file the reader holds is sure to have it). A report of code from a modified tree had said
    "commit 955e59bc, modified files" and nothing that identified it (a defence expert's
    walk-through, 2026-12-06)."""
    if not isinstance(code, Mapping):
        return "code not identified"
    said = ""
    if code.get("commit"):
        said = f"commit {str(code['commit'])[:8]}"
        if code.get("modified") is False:
            return said
        said += ", modified files" if code.get("modified") is True else ", modified: not known"
    for key, name in (("sources_sha256", "sources"), ("build_sha256", "build")):
        if code.get(key):
            digest = str(code[key]) if whole else str(code[key])[:16]
            where = f" (in full in {full_in})" if full_in and not whole else ""
            return f"{said}{', ' if said else ''}{name} SHA-256 {digest}{where}"
    return said or "code not identified"


def app_text(env: Mapping[str, Any], full_in: str | None = None, whole: bool = False) -> str:
    """``forensic-viewer 0.1.0 (commit 1a2b3c4d, modified files, sources SHA-256 ...)`` of a
    recorded :func:`environment` (``full_in``, ``whole``: :func:`code_text`); without the
    brackets for one recorded before the code was."""
    text = f"{env.get('app')} {env.get('app_version')}"
    return f"{text} ({code_text(env['code'], full_in, whole)})" if "code" in env else text


def computed_by(env: Mapping[str, Any]) -> str:
    """torch's and OpenVINO's versions and the processor of a recorded :func:`environment`, as
    a report's "At scan time" row says them (an environment of an earlier version named neither
    OpenVINO nor the processor: left out)."""
    libs = env.get("libraries") or {}
    said = [f"torch {libs.get('torch')}"]
    said += [f"OpenVINO {libs['openvino']}"] if libs.get("openvino") else []
    return ", ".join(said + ([str(env["cpu"])] if env.get("cpu") else []))


# what of two runs' environments may change a figure (docs/RESULTS.md, "Reproducing a result")
RUN_COMPARED = ("app_version", "code", "python", "platform", "cpu", "libraries")


def run_environments(scan: Mapping[str, Any]) -> list[str]:
    """One line per run of a scan (scan.json ``scan``: its ``earlier_runs``, then its ``run``),
    oldest first, when the runs that recorded an environment did not all run in the same one
    (:data:`RUN_COMPARED`, and the device): a resumed scan's rows may come from each. Empty
    when they agree, or fewer than two recorded one (runs before 2026-12-06 kept none in
    ``earlier_runs``)."""
    runs = [r for r in scan.get("earlier_runs") or [] if isinstance(r, Mapping)]
    last = scan.get("run")
    runs.append(
        {**(last if isinstance(last, Mapping) else {}), **{k: scan.get(k) for k in RUN_OWN_KEYS}}
    )
    known = [r for r in runs if isinstance(r.get("environment"), Mapping)]

    def key(r: Mapping[str, Any]) -> str:
        env = r["environment"]
        return json.dumps([[env.get(k) for k in RUN_COMPARED], r.get("device")], sort_keys=True)

    if len({key(r) for r in known}) < 2:
        return []
    libraries = [r["environment"].get("libraries") or {} for r in known]
    differ = sorted(
        {n for libs in libraries for n in libs if len({str(x.get(n)) for x in libraries}) > 1}
        - {"torch", "openvino"}  # computed_by names them
    )
    out = []
    for r, libs in zip(known, libraries, strict=True):
        env = r["environment"]
        said = [app_text(env, "scan.json"), f"Python {env.get('python')}", computed_by(env)]
        said += [f"{n} {libs.get(n, 'not recorded')}" for n in differ]
        said += [str(env.get("platform")), f"device {r.get('device') or 'not recorded'}"]
        out.append(f"run started {r.get('started') or 'at a time not recorded'}: {', '.join(said)}")
    return out


RUN_OWN_KEYS = ("environment", "device")  # scan.json's own fields of its last run
