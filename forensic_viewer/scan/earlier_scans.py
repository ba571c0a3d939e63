"""The scans the batch dialog ran before, offered again after a restart (no Qt).

After the viewer closed or was killed during a scan, nothing said a scan of a folder had
been left unfinished, and its output folder is under a hidden per-user folder (restart
walk-through, finding 6). :func:`earlier_scans` lists each output folder of
``<per-user folder>/scans/`` with the folder it scanned and how its last run ended, from its
scan.json (a "running" one no scan holds taken as ended without recording its end:
:func:`~forensic_viewer.scan.settings.marked_run`); the batch dialog offers them, and Start on
one resumes it. A scan.json damaged or edited by hand (a ``run.command`` that is not an
object) leaves its folder out, said once in the viewer's log for all of them: before, one such
file stopped the batch dialog from opening.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from engine.environ import user_data_dir
from engine.files import read_regular_text
from forensic_viewer.scan.proposed_out import SCANS
from forensic_viewer.scan.results import SCAN_INFO
from forensic_viewer.scan.settings import NOT_RUNNING, RUN_FIELD, marked_run

log = logging.getLogger(__name__)
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


def _earlier(out: Path) -> EarlierScan | None:
    """The scan whose output folder is ``out``; None for one that names no scanned folder
    (``analyze``'s). Raises OSError, ValueError (TypeError, AttributeError) for a scan.json
    that cannot be read or is not a scan's."""
    info = json.loads(read_regular_text(out / SCAN_INFO))
    source = info.get("source") if isinstance(info, dict) else None
    run = marked_run(out, info.get(RUN_FIELD)) if isinstance(source, str) else None
    if not isinstance(run, dict) or not Path(source).is_absolute():
        return None
    command = run.get("command") or {}
    argv = command.get("argv") or []
    if not isinstance(argv, list):  # a string would match "--recursive" as a substring
        raise ValueError("its run.command.argv is not a list")
    when = str(run.get("ended") or run.get("started") or "")
    return EarlierScan(out, source, "--recursive" in argv, _state(run), when)


def earlier_scans(root: Path | None = None) -> list[EarlierScan]:
    """The scans in ``root`` (the per-user ``scans`` folder when None), newest first, at most
    :data:`MAX_LISTED`; a folder whose scan.json cannot be read, or names no scanned folder
    (``analyze``'s), is left out, those whose scan.json is damaged said in one log line."""
    root = user_data_dir() / SCANS if root is None else root
    found: list[tuple[str, EarlierScan]] = []
    try:
        outs = [p for p in root.iterdir() if p.is_dir()]
    except OSError:
        return []
    damaged: list[str] = []
    for out in outs:
        try:
            scan = _earlier(out)
        except FileNotFoundError:
            continue
        except (OSError, ValueError, TypeError, AttributeError) as e:
            damaged.append(f"{out / SCAN_INFO} ({e})")
            continue
        if scan is not None:
            found.append((scan.when, scan))
    if damaged:
        log.warning(
            "%d earlier scans not offered, their scan.json damaged: %s",
            len(damaged),
            "; ".join(damaged[:3]) + ("; …" if len(damaged) > 3 else ""),
        )
    found.sort(key=lambda pair: pair[0], reverse=True)
    return [scan for _when, scan in found[:MAX_LISTED]]
