"""Quitting the viewer while one of its threads cannot stop at once ends the process cleanly:
its exit status, its case log whole, the output folders' locks free; never Qt's abort
("QThread: Destroyed while thread '' is still running", SIGABRT, status 134), which a running
QThread destroyed with its window or dialog gives (review J, 2026-12-06).

Each case runs in a child process: the abort would end pytest itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from forensic_viewer.audit import verify_log
from tests.conftest import HANG_S
from tests.viewer.conftest import write_image

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]


def _child(code: str, args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_STATE_HOME": str(tmp_path / "state"),  # the viewer's log
        "XDG_CONFIG_HOME": str(tmp_path / "config"),  # its settings
        "FORENSIC_VIEWER_MODELS": str(tmp_path / "models"),
    }
    try:
        return subprocess.run(
            [sys.executable, "-c", code, *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=HANG_S,
        )
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"the viewer did not end: {e.stderr!r}"[-3000:])


# The stand-in for a network's OpenVINO conversion at first use (a minute, not interruptible):
# the worker's prepare asks for the quit, then works on, longer than the close waits for it
# (shortened from 10 s to 0.2 s here).
STUCK_PREPARE = """\
import os, signal, sys, threading
from PySide6.QtCore import QMetaObject, Qt
from PySide6.QtWidgets import QApplication
import engine.pipeline
from forensic_viewer.gui.workers import AnalysisWorker

AnalysisWorker.stop.__defaults__ = (200,)
never = threading.Event()

def stuck_prepare(self, cancel=None):
    if {quit!r} == "sigterm":
        os.kill(os.getpid(), signal.SIGTERM)
    else:  # File > Quit: the window's close, on the GUI thread
        QMetaObject.invokeMethod(
            QApplication.instance(), "closeAllWindows", Qt.ConnectionType.QueuedConnection
        )
    never.wait({hang})

engine.pipeline.Analyzer.prepare = stuck_prepare
"""


def _console_script() -> str:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, func = scripts["forensic-viewer"].split(":")
    return f"from {module} import {func}\nsys.exit({func}())\n"


@pytest.mark.parametrize(("how", "status"), [("sigterm", 143), ("quit", 0)])
def test_quitting_while_the_models_are_prepared_ends_cleanly(
    tmp_path: Path, tiny_checkpoint: Path, how: str, status: int
) -> None:
    """The analysis worker inside a conversion when the window closed: the close waited, then
    the window's end destroyed the running thread and Qt aborted the process (status 134 after
    10 s, 2 of 3 runs of the product on a fresh OpenVINO cache)."""
    code = STUCK_PREPARE.format(quit=how, hang=HANG_S) + _console_script()
    image = write_image(tmp_path / "a.png", 40, 48)
    case = tmp_path / "case"
    args = ["--model", str(tiny_checkpoint), "--device", "cpu", "--case", str(case), str(image)]
    done = _child(code, args, tmp_path)
    assert done.returncode == status, done.stderr[-3000:]
    assert "QThread: Destroyed" not in done.stderr
    if how == "sigterm":
        last = done.stderr.strip().splitlines()[-1]
        assert (
            last == "forensic-viewer: SIGTERM received: the viewer closed as File > Quit closes it"
        )
    viewer_log = (tmp_path / "state" / "forensic-viewer" / "viewer.log").read_text()
    assert "the analysis worker is still running" in viewer_log
    checked = verify_log(case / "audit.jsonl")
    assert checked.ok, checked.message
    assert [e.action for e in checked.entries][:2] == ["log-opened", "evidence-opened"]
