"""The command line a scan records in scan.json (``run.command``), so that another examiner can
run it again: as typed on the command line, or the equivalent of a scan the viewer started.

A record: ``argv`` (the program named ``forensic-viewer`` whatever started it: the console
script, ``python -m forensic_viewer.entry``, the frozen build), ``line`` (``shlex.join`` of
argv, for a POSIX shell), ``cwd`` (the working directory the relative paths of argv are read
against), ``version`` (forensic-viewer's), ``origin`` (``command line``; ``viewer``: argv is
the command a user could type to get the same rows), ``differs`` (what of the viewer's scan no
option of the command line gives, when something does). docs/RESULTS.md, "scan.json".

No Qt; used by the command line, the batch dialog and the reports.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

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
    ``forensic-viewer``); ``cwd`` None: this process's working directory."""
    args = [PROGRAM, *map(str, argv[1:])]
    record: dict[str, Any] = {
        "argv": args,
        "line": shlex.join(args),
        "cwd": cwd if cwd is not None else working_directory(),
        "version": package_version(APP_PACKAGE),
        "origin": origin,
    }
    if differs:
        record["differs"] = list(differs)
    return record


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
    for m in models:
        argv += ["--model", str(m)]
    argv += ["--device", device]
    if recursive:
        argv.append("--recursive")
    if not faces:
        argv.append("--no-faces")
    if analyses:
        argv += ["--analyses", ",".join(analyses)]
    if exact:
        argv.append("--exact")
    if jobs is not None and jobs >= 1:
        argv += ["--jobs", str(jobs)]
    if gt is not None:
        argv += ["--gt", str(gt)]
    if ray is not None:  # last: without an address, --ray takes no value
        argv += ["--ray", ray] if ray else ["--ray"]
    return argv


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
    line = str(command.get("line") or shlex.join(map(str, command.get("argv") or [])))
    if command.get("origin") == "viewer":
        return f"started from the viewer; equivalent command: {line}"
    return line


def not_recorded_text(version: str | None = None) -> str:
    """What a report says of a scan whose scan.json holds no command: made before scans
    recorded it (``version``: the forensic-viewer that made it, when scan.json says)."""
    by = f" (forensic-viewer {version})" if version else ""
    return f"not recorded (made before scans recorded their command line{by})"
