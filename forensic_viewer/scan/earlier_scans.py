"""The scans the batch dialog ran before, offered again after a restart (no Qt).

After the viewer closed or was killed during a scan, nothing said a scan of a folder had
been left unfinished, and its output folder is under a hidden per-user folder (restart
walk-through, finding 6). :func:`earlier_scans` lists each output folder of
``<per-user folder>/scans/`` with the folder it scanned and how its last run ended, from its
scan.json (a "running" one no scan holds taken as ended without recording its end:
:func:`~forensic_viewer.scan.settings.marked_run`); the batch dialog offers them, and Start on
one resumes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from engine.environ import user_data_dir
from engine.files import read_regular_text
from forensic_viewer.scan.proposed_out import SCANS
from forensic_viewer.scan.results import SCAN_INFO
from forensic_viewer.scan.settings import NOT_RUNNING, RUN_FIELD, marked_run

MAX_LISTED = 50  # the most recent scans offered


@dataclass(frozen=True)
class EarlierScan:
    """One earlier scan: its output folder, the folder it scanned, whether it descended into
    sub-folders, how its last run ended in words, and when (scan.json's times)."""

    out: Path
    folder: str
    recursive: bool
    state: str
    when: str

    def words(self) -> str:
        """What the batch dialog's list shows of it."""
        return f"{self.folder}: {self.state} ({self.when})"


def _state(run: dict) -> str:
    """How the run ``run`` (scan.json's, as a reader takes it) ended, in words."""
    state, through, files = run.get("state"), run.get("through"), run.get("files")
    if state == "running":
        if run.get(NOT_RUNNING):
            return "ended without recording its end (killed?): Start resumes it"
        return "running now"
    if state == "finished":
        return f"finished, {through} of {files} files"
    return f"{state} after {through} of {files} files: Start resumes it"


def earlier_scans(root: Path | None = None) -> list[EarlierScan]:
    """The scans in ``root`` (the per-user ``scans`` folder when None), newest first, at most
    :data:`MAX_LISTED`; a folder whose scan.json cannot be read, or names no scanned folder
    (``analyze``'s), is left out."""
    root = user_data_dir() / SCANS if root is None else root
    found: list[tuple[str, EarlierScan]] = []
    try:
        outs = [p for p in root.iterdir() if p.is_dir()]
    except OSError:
        return []
    for out in outs:
        try:
            info = json.loads(read_regular_text(out / SCAN_INFO))
        except (OSError, ValueError):
            continue
        source = info.get("source") if isinstance(info, dict) else None
        run = marked_run(out, info.get(RUN_FIELD)) if isinstance(source, str) else None
        if not isinstance(run, dict) or not Path(source).is_absolute():
            continue
        argv = (run.get("command") or {}).get("argv") or []
        when = str(run.get("ended") or run.get("started") or "")
        scan = EarlierScan(out, source, "--recursive" in argv, _state(run), when)
        found.append((when, scan))
    found.sort(key=lambda pair: pair[0], reverse=True)
    return [scan for _when, scan in found[:MAX_LISTED]]
