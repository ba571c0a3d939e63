"""The training dialog's earlier runs: the run folders of a runs folder, newest first.

A run stopped by quitting the viewer is continued by naming it again; the dialog lists the
runs its runs folder holds (stopped or finished, with that state) so that the analyst picks
one instead of remembering and retyping its name. What each run folder holds is
:func:`trainer.plan.run_folder`'s decision, the same one that enables Resume. Plain Python,
no torch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from trainer.plan import PROGRESS_LOG, RUN_STATE, Folder, RunState, run_folder

LISTED = (Folder.STOPPED, Folder.FINISHED)  # the folders worth picking: there is a run in them


@dataclass(frozen=True)
class EarlierRun:
    """One run folder of the dialog's, as the list of earlier runs shows it."""

    state: RunState  # its saved settings and finished stages
    folder: Folder  # stopped or finished
    modified: float  # when it last changed (its state or a stage's events), seconds since 1970

    @property
    def name(self) -> str:
        return self.state.config.name

    def label(self) -> str:
        """``NAME — stopped, 2027-01-03 14:02``: the run, its state and when it last changed."""
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.modified))
        return f"{self.name} — {self.folder.value}, {when}"


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
            out.append(EarlierRun(state, folder, _modified(state)))
    return sorted(out, key=lambda r: (-r.modified, r.name))
