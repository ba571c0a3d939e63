"""``python -m trainer`` is the ``forensic-train`` program.

A researcher's walk-through ran ``python -m trainer --help`` (the venv's scripts not on PATH)
and got "No module named trainer.__main__".
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import HANG_S

ROOT = Path(__file__).resolve().parents[2]


def test_python_m_trainer_runs_the_forensic_train_program() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "trainer", "--help"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=HANG_S,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: forensic-train ")
    for command in ("fit", "eval", "calibrate", "ensemble"):
        assert command in done.stdout
    # a usage error is the program's, status 2 with its one line, not a traceback
    done = subprocess.run(
        [sys.executable, "-m", "trainer", "no-such-command"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=HANG_S,
    )
    assert done.returncode == 2
    assert "invalid choice: 'no-such-command'" in done.stderr
    assert "Traceback" not in done.stderr
