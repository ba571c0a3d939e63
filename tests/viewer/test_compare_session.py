"""Compare mode turned on and off, then the next file opened: the viewer carries on.

Walk-through E (a day-long session) crashed the viewer 4 times in 5 with a segmentation fault
in ``show_entry`` on the file opened after Ctrl+K twice: hiding the page of the stack that held
the focus made Qt ask the window for the next widget, and the window's Tab order walked the
focus chain from inside Qt's hiding, which corrupted memory (moving the focus there alone did
not). Tab pressed after each file crashed it the same way. The session runs in a process of
its own (``compare_session.py``), so a crash fails this test.
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


def _session(folder: Path, *args: int) -> None:
    """``compare_session.py`` run on ``folder`` with ``args``: it ended, and did not crash."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.viewer.compare_session", str(folder), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=HANG_S,
        cwd=ROOT,
        env=env,
    )
    assert done.returncode == 0, f"exit status {done.returncode}: {done.stderr[-4000:]}"
    assert "session ended" in done.stdout


def test_files_opened_after_compare_mode_on_and_off_do_not_crash_the_viewer(
    tmp_path: Path,
) -> None:
    _session(tmp_path, FILES)


TABS = 40  # Tab presses after each file: 12 did not crash the unfixed viewer on an idle machine


@pytest.mark.slow
def test_tab_pressed_after_each_file_does_not_crash_the_viewer(tmp_path: Path) -> None:
    """The Tab order walked Qt's focus chain and asked widgets for their focus proxy: PySide6
    re-parented the widgets' Python objects until the garbage collector freed some Qt still
    held, and the viewer crashed in ``show_entry`` or ``_on_succeeded`` on a later file
    (without the fix: 2 runs of 2 here, and 2 of 2 with 12 presses on a loaded machine)."""
    _session(tmp_path, FILES, TABS)
