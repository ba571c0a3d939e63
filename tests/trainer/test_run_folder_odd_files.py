"""The training dialog's readers of a run folder, and every log appended to in a folder a user
chooses, refuse what is not a regular file instead of waiting on it.

The run folder is the user's: a named pipe called ``training-dialog.json`` or a stage's
``progress.jsonl`` froze the viewer when the training dialog looked at the folder or resumed
a stage, and a pipe named like a log made its writer wait for a reader (a scan's
``results.jsonl`` and ``scan.log``, a stage's events). Readers that may do without the file
go on as when it is missing; :func:`engine.files.open_append` refuses the file in one line.

A reader that waits blocks in a system call, so each case runs in a child process with a time
limit (``tests.conftest.run_bounded``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import run_bounded

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")


def test_a_pipe_in_a_run_folder_reads_as_no_state_and_no_events(tmp_path: Path) -> None:
    out = run_bounded(
        """
        import json, os, sys
        from pathlib import Path
        from trainer.plan import PROGRESS_LOG, RUN_STATE, RunState
        from trainer.progress import TrainingProgress

        run = Path(sys.argv[1])
        run.mkdir()
        os.mkfifo(run / RUN_STATE)
        os.mkfifo(run / PROGRESS_LOG)
        progress = TrainingProgress(4, 10)
        progress.replay(run / PROGRESS_LOG)
        print(json.dumps([RunState.load(run) is None, progress.step]))
        """,
        tmp_path / "run",
    )
    assert json.loads(out.strip().splitlines()[-1]) == [True, 0]


@pytest.mark.parametrize("odd", ["fifo", "/dev/null"])
def test_a_log_to_append_to_that_is_a_pipe_or_a_device_is_refused_at_once(
    tmp_path: Path, odd: str
) -> None:
    out = run_bounded(
        """
        import json, os, sys
        from pathlib import Path
        from engine.files import NotRegularFile, open_append

        out, odd = Path(sys.argv[1]), sys.argv[2]
        out.mkdir()
        path = out / "a.log"
        os.mkfifo(path) if odd == "fifo" else os.symlink(odd, path)
        said = []
        try:
            open_append(path, "a", encoding="utf-8")
            said.append("opened")
        except NotRegularFile as e:
            said.append([e.filename, e.strerror])
        print(json.dumps(said))
        """,
        tmp_path / "out",
        odd,
    )
    [(name, reason)] = json.loads(out.strip().splitlines()[-1])
    assert name == str(tmp_path / "out" / "a.log")
    assert reason == "not a regular file (a device, pipe or socket)"
