"""``forensic-viewer`` run as the program (a child process started as its console script is)
and stopped by Ctrl+C (SIGINT) or ``kill PID`` (SIGTERM): it ends with one line and the exit
status a shell gives a stopped program, 130 or 143, never a traceback or the signal's default.

Each child sends the signal to itself at a chosen point (no sleeps, no races): the test says
where. A batch scan stopped by a signal is ``test_batch_stopped.py``'s.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _console_script() -> str:
    """What the installed ``forensic-viewer`` runs: the entry point pyproject declares,
    called as pip's console-script wrapper calls it."""
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, func = scripts["forensic-viewer"].split(":")
    return f"from {module} import {func}\nsys.exit({func}())\n"


def _run(code: str, args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_STATE_HOME": str(tmp_path / "state"),  # the viewer's log
        "XDG_CONFIG_HOME": str(tmp_path / "config"),  # its settings
    }
    child = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = child.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        child.kill()
        out, err = child.communicate()
        pytest.fail(f"the viewer did not end after the signal:\n{err[-3000:]}")
    return subprocess.CompletedProcess(child.args, child.returncode, out, err)


@pytest.mark.parametrize(
    ("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["int", "term"]
)
def test_a_stop_signal_closes_the_viewers_window_as_quit_does(
    tmp_path: Path, tiny_checkpoint: Path, signum: int, status: int
) -> None:
    """The window open, no scan: SIGTERM had ended the process by its default (status -15, no
    word, nothing closed); Ctrl+C did nothing until some Python code ran in the event loop, then
    printed a KeyboardInterrupt traceback and the viewer carried on."""
    shown = f"""\
        import os, sys
        from PySide6.QtCore import QTimer
        from forensic_viewer.gui.main_window import MainWindow

        show = MainWindow.show

        def show_then_signal(self):
            show(self)
            QTimer.singleShot(0, lambda: os.kill(os.getpid(), {int(signum)}))

        MainWindow.show = show_then_signal
        """
    code = textwrap.dedent(shown) + _console_script()
    args = ["--model", str(tiny_checkpoint), "--device", "cpu", "--case", str(tmp_path / "case")]
    done = _run(code, args, tmp_path)
    name = signal.Signals(signum).name
    assert done.returncode == status, done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    last = done.stderr.strip().splitlines()[-1]
    assert last == f"forensic-viewer: {name} received: the viewer closed as File > Quit closes it"
