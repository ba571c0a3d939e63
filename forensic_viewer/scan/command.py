"""The command line a scan records in scan.json (``run.command``), so that another examiner can
run it again: as typed on the command line, or the equivalent of a scan the viewer started.

A record: ``argv`` (the program named ``forensic-viewer`` whatever started it: the console
script, ``python -m forensic_viewer.entry``, the frozen build), ``line`` (``shlex.join`` of
argv, for a POSIX shell), ``cwd`` (the working directory the relative paths of argv are read
against), ``version`` (forensic-viewer's), ``origin`` (``command line``; ``viewer``: argv is
the command a user could type to get the same rows), ``differs`` (what of the viewer's scan no
option of the command line gives, when something does), ``variables`` (the program's own
environment variables that change results and were set, :data:`engine.environ.RESULT_VARIABLES`:
``line`` starts with them, ``FORENSIC_VIEWER_RUNTIME=torch forensic-viewer scan ...``, so that
the line reproduces the run; absent when none was set). docs/RESULTS.md, "scan.json".

No Qt; used by the command line, the batch dialog and the reports.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from engine.environ import result_variables
from engine.io import IMAGE_SUFFIXES
from forensic_viewer.environment import APP_PACKAGE, package_version

PROGRAM = "forensic-viewer"
Origin = Literal["command line", "viewer"]


def working_directory() -> str | None:
    """The process's working directory, None when it no longer exists (removed while the
    program runs: relative paths of the command then name nothing anyone can find again)."""
    try:
        return os.getcwd()
    except OSError:
        return None


def command_record(
    argv: Sequence[str],
    origin: Origin = "command line",
    *,
    cwd: str | None = None,
    differs: Sequence[str] = (),
) -> dict[str, Any]:
    """scan.json's ``run.command`` for ``argv`` (its first item the program, replaced by
    ``forensic-viewer``); ``cwd`` None: this process's working directory. The result
    variables set in this process's environment go in ``variables`` and before the ``line``:
    a scan run under ``FORENSIC_VIEWER_RUNTIME=torch`` had recorded the plain command, which
    run again gave int8 OpenVINO's figures (a defence expert's walk-through, 2026-12-06)."""
    args = [PROGRAM, *map(str, argv[1:])]
    variables = result_variables()
    record: dict[str, Any] = {
        "argv": args,
        "line": variables_prefix(variables) + shlex.join(args),
        "cwd": cwd if cwd is not None else working_directory(),
        "version": package_version(APP_PACKAGE),
        "origin": origin,
    }
    if differs:
        record["differs"] = list(differs)
    if variables:
        record["variables"] = variables
    return record


def variables_prefix(variables: Mapping[str, Any]) -> str:
    """``NAME=value `` for each variable, quoted for a POSIX shell, before a command."""
    return "".join(f"{name}={shlex.quote(str(value))} " for name, value in variables.items())


def viewer_scan_argv(
    folder: Path | str,
    out: Path | str,
    *,
    models: Sequence[str],
    device: str,
    recursive: bool = False,
    faces: bool = True,
    analyses: Sequence[str] = (),
    exact: bool = False,
    jobs: int | None = None,
    ray: str | None = None,
    gt: Path | str | None = None,
) -> list[str]:
    """The ``forensic-viewer scan`` a user could type to get the rows of a scan the viewer's
    batch dialog started with these settings (same models, analyses, path, faces and options).
    jobs: None or below 1, the command line's default (auto: the dialog's "auto")."""
    argv = [PROGRAM, "scan", str(folder), "--out", str(out)]
    argv += _analysis_options(models, device, faces, analyses, exact)
    if recursive:
        argv.append("--recursive")
    if jobs is not None and jobs >= 1:
        argv += ["--jobs", str(jobs)]
    if gt is not None:
        argv += ["--gt", str(gt)]
    if ray is not None:  # last: without an address, --ray takes no value
        argv += ["--ray", ray] if ray else ["--ray"]
    return argv


def _analysis_options(
    models: Sequence[str], device: str, faces: bool, analyses: Sequence[str], exact: bool
) -> list[str]:
    """The options ``analyze`` and ``scan`` share for what runs: models, device, faces, the
    classic analyses, the path."""
    argv: list[str] = []
    for m in models:
        argv += ["--model", str(m)]
    argv += ["--device", device]
    if not faces:
        argv.append("--no-faces")
    if analyses:
        argv += ["--analyses", ",".join(analyses)]
    if exact:
        argv.append("--exact")
    return argv


ANALYZE_OUT = "OUT"  # the output folder of a viewer analysis's equivalent command: any new one


def viewer_analyze_command(
    image: Path | str,
    *,
    models: Sequence[str],
    device: str,
    faces: bool,
    exact: bool,
    analyses: Sequence[str] = (),
) -> dict[str, Any]:
    """The record of an image analysed in the viewer: the ``forensic-viewer analyze`` a user
    could type for the same results (the viewer's model files, device, faces, path and the
    classic analyses that ran), into a folder ``OUT`` of their choosing (``differs`` says so)."""
    argv = [PROGRAM, "analyze", str(image), "--out", ANALYZE_OUT]
    argv += _analysis_options(models, device, faces, analyses, exact)
    said = f"{ANALYZE_OUT}: a new folder of your choosing, where analyze writes its results"
    return command_record(argv, "viewer", differs=[said])


def types_differ(suffixes: Sequence[str]) -> list[str]:
    """What the command cannot say of a scan limited to the file types ``suffixes`` (the
    batch dialog's "File types"; the command line has no such option)."""
    if tuple(suffixes) == tuple(IMAGE_SUFFIXES):
        return []
    kept = " ".join(s.lstrip(".") for s in suffixes)
    return [
        f"the viewer scanned only the file types {kept}; the command line has no such option "
        "and scans every image type (the rows of these files are the same)"
    ]


def command_text(command: Mapping[str, Any]) -> str:
    """A recorded command in the reports' words: "forensic-viewer scan ...", or for a scan the
    viewer started "started from the viewer; equivalent command: forensic-viewer scan ..."."""
    line = str(command.get("line") or "") or variables_prefix(
        command.get("variables") or {}
    ) + shlex.join(map(str, command.get("argv") or []))
    if command.get("origin") == "viewer":
        if command.get("argv", [None, None])[1:2] == ["analyze"]:
            return f"analysed in the viewer; equivalent command: {line}"
        return f"started from the viewer; equivalent command: {line}"
    return line


def command_summary(settings: Mapping[str, Any], scan: bool = True) -> dict[str, Any]:
    """What a report says of the command that made its results (its "Command" rows, and
    report.json's ``command``): ``text`` (:func:`command_text`, or why there is none), ``cwd``,
    ``differs``; for a scan resumed over several runs ``runs`` (how many), ``first_run``
    (the first one's command in words, with its working directory), ``runs_without_analyses``
    (how many of the runs kept analysed no file) and ``runs_killed`` (the start of each run kept
    whose end was never recorded).

    settings: a scan's scan.json (``scan``), the command in ``run.command``; else a report's
    own settings (one image, a probe), the command in ``command`` when one made it."""
    run = settings.get("run") if scan else settings
    command = run.get("command") if isinstance(run, Mapping) else None
    if isinstance(command, Mapping):
        said: dict[str, Any] = {"text": command_text(command), "cwd": command.get("cwd")}
        if command.get("differs"):
            said["differs"] = [str(d) for d in command["differs"]]
    elif scan:
        version = (settings.get("environment") or {}).get("app_version")
        said = {"text": not_recorded_text(version), "cwd": None}
    else:
        said = {"text": "not recorded (no command line made these results)", "cwd": None}
    earlier = [r for r in settings.get("earlier_runs") or [] if isinstance(r, Mapping)]
    if scan and earlier:
        left_out = settings.get("earlier_runs_left_out")
        said["runs"] = len(earlier) + 1 + (left_out if isinstance(left_out, int) else 0)
        first = earlier[0].get("command")
        said["first_run"] = (
            f"{command_text(first)} (working directory {first.get('cwd')})"
            if isinstance(first, Mapping)
            else not_recorded_text()
        )
        last = settings.get("run")
        kept = [*earlier, *([last] if isinstance(last, Mapping) else [])]
        # a run that recorded its end with no file analysed and no row upgraded made no
        # analysis (a rerun for its reports: its files done before, or failing again)
        said["runs_without_analyses"] = sum(_analysed_none(r) for r in kept)
        # a run whose end was never recorded (killed, or scan.json unwritable): by its start
        said["runs_killed"] = [str(r.get("started")) for r in kept if r.get("not_running")]
    return said


def _analysed_none(run: Mapping[str, Any]) -> bool:
    """Whether scan.json's record of a ``run`` says it analysed no file and upgraded no row
    (a run killed, or recorded without its counts, may have)."""
    return not run.get("not_running") and run.get("analysed") == 0 and not run.get("upgraded")


def not_recorded_text(version: str | None = None) -> str:
    """What a report says of a scan whose scan.json holds no command: made before scans
    recorded it (``version``: the forensic-viewer that made it, when scan.json says)."""
    by = f" (forensic-viewer {version})" if version else ""
    return f"not recorded (made before scans recorded their command line{by})"
