"""The training dialog's earlier runs: the run folders of a runs folder, newest first.

A run stopped by quitting the viewer is continued by naming it again; the dialog lists the
runs its runs folder holds (stopped or finished, with that state) so that the analyst picks
one instead of remembering and retyping its name. What each run folder holds is
:func:`trainer.plan.run_folder`'s decision, the same one that enables Resume. The output name
a new run is offered (:func:`proposed_name`) names none of the folder's runs. Plain Python,
no torch.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from engine.formatting import time_text
from trainer.plan import PROGRESS_LOG, RUN_STATE, Folder, RunState, run_folder
from trainer.run_folder import running

_NAME_MAX = 64  # the longest output name trainer.plan.NAME_PATTERN allows

LISTED = (Folder.STOPPED, Folder.FINISHED)  # the folders worth picking: there is a run in them


@dataclass(frozen=True)
class EarlierRun:
    """One run folder of the dialog's, as the list of earlier runs shows it."""

    state: RunState  # its saved settings and finished stages
    folder: Folder  # stopped or finished
    modified: float  # when it last changed (its state or a stage's events), seconds since 1970
    busy: str | None = None  # "running (PID N)" while a trainer holds its folders' lock

    @property
    def name(self) -> str:
        return self.state.config.name

    def label(self) -> str:
        """``NAME — stopped, 2027-01-03T14:02+01:00``: the run, its state (``running (PID
        N)`` while a trainer, of another window or a shell, holds its lock) and when it last
        changed, in local time with its UTC offset as every time the product shows or writes
        (:func:`engine.formatting.time_text`); it showed local time with no zone, which read
        differently to an analyst in another zone or after a change of summer time."""
        what = self.busy or self.folder.value
        return f"{self.name} — {what}, {time_text(self.modified, 'minutes')}"


def _modified(state: RunState) -> float:
    """The latest modification time of the run's state and its stages' event logs (a stop
    writes no state, but its events were written until it stopped)."""
    files = [state.config.run_dir / RUN_STATE]
    files += [s.out / PROGRESS_LOG for s in state.config.stages()]
    times = []
    for f in files:
        try:
            times.append(f.stat().st_mtime)
        except OSError:
            continue
    return max(times, default=0.0)


def earlier_runs(runs_dir: str | Path) -> list[EarlierRun]:
    """The dialog's stopped and finished runs in ``runs_dir``, the newest first (an unreadable
    folder or state is left out: there is nothing to pick in it)."""
    try:
        folders = [p for p in Path(runs_dir).iterdir() if p.is_dir()]
    except OSError:
        return []
    out = []
    for path in folders:
        state = RunState.load(path)
        # a state copied from elsewhere names another folder: picking it would show that one
        if state is None or state.config.run_dir.resolve() != path.resolve():
            continue
        folder = run_folder(state.config, state)
        if folder in LISTED:
            busy = running([path, *(s.out for s in state.config.stages())])
            out.append(EarlierRun(state, folder, _modified(state), busy))
    return sorted(out, key=lambda r: (-r.modified, r.name))


def _today() -> datetime.date:
    return datetime.date.today()


def proposed_name(runs_dir: str | Path, base: str, taken: Collection[str] = ()) -> str:
    """The output name the training dialog offers a new run: ``BASE-YYYYMMDD`` (today), or
    with ``-2``, ``-3``, ... the first that is no entry of ``runs_dir`` (a run, even one not
    listed, whose folder Start would refuse or resume) and none of ``taken`` (the bundled
    models' names, which the plan refuses, and the installed models'). ``base`` (a model's
    name, an architecture's) is made a valid name (``trainer.plan.NAME_PATTERN``): other
    characters (and runs of ``-``) become one ``-``, and it is shortened so that the whole name fits."""
    valid = re.sub(r"[^A-Za-z0-9._]+", "-", base).strip("._-")  # a run of them: one -
    stem = f"{valid[: _NAME_MAX - 14].rstrip('._-') or 'model'}-{_today():%Y%m%d}"  # + -NNNN
    name, n = stem, 2
    while name in taken or _entry(Path(runs_dir) / name):
        name, n = f"{stem}-{n}", n + 1
    return name


def _entry(path: Path) -> bool:
    """Whether ``path`` names anything (a dangling link too: a run folder cannot be made there)."""
    return path.exists() or path.is_symlink()
