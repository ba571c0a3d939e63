"""A line the command line prints reaches a redirected stdout at once: a run killed by
SIGKILL keeps what it said (the intake walk-through of 2026-12-06: ``analyze ... > log``
killed with ``kill -9`` left an empty log, its lines still in Python's block buffer)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import HANG_S

ROOT = Path(__file__).resolve().parents[2]

# The command prints one line and is killed at once, before any exit could flush it.
SCRIPT = """
import os, signal, sys
import forensic_viewer.cli as cli

def said_then_killed(args):
    print("1 analysed, 0 already done, 0 failed of 1")
    os.kill(os.getpid(), signal.SIGKILL)

cli.cmd_analyze = said_then_killed
sys.argv = ["forensic-viewer", "analyze", "--out", sys.argv[1], sys.argv[2]]
cli.main()
"""


def test_a_line_printed_before_a_sigkill_is_in_the_redirected_output(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    # as a user's shell runs it: Python buffers a redirected stdout unless told not to
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    env["PYTHONPATH"] = str(ROOT)
    with log.open("w") as out:
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(tmp_path / "out"), str(tmp_path / "x.png")],
            stdout=out,
            stderr=subprocess.PIPE,
            env=env,
            timeout=HANG_S,
        )
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert log.read_text() == "1 analysed, 0 already done, 0 failed of 1\n"
