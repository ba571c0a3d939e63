"""Compare mode turned on and off, then the next file opened: the viewer carries on.

Walk-through E (a day-long session) crashed the viewer 4 times in 5 with a segmentation fault
in ``show_entry`` on the file opened after Ctrl+K twice: hiding the page of the stack that held
the focus made Qt ask the window for the next widget, and the window's Tab order walked the
focus chain from inside Qt's hiding, which corrupted memory (moving the focus there alone did
not). The session
runs in a process of its own (``compare_session.py``), so a crash fails this test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import HANG_S

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]
FILES = 8  # without the fix, every run of 8 files crashed (from the second to the fifth)


def test_files_opened_after_compare_mode_on_and_off_do_not_crash_the_viewer(
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.viewer.compare_session", str(tmp_path), str(FILES)],
        capture_output=True,
        text=True,
        timeout=HANG_S,
        cwd=ROOT,
        env=env,
    )
    assert done.returncode == 0, f"exit status {done.returncode}: {done.stderr[-4000:]}"
    assert "session ended" in done.stdout
