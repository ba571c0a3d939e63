"""Stopping a ``QThread`` within a bound without ever destroying it while it runs.

Qt aborts the process ("QThread: Destroyed while thread '' is still running", SIGABRT, exit
status 134) when a ``QThread`` object is destroyed while its thread runs, and a thread object
goes with its Qt parent: a dialog, the main window when :func:`~forensic_viewer.gui.app.run_gui`
returns. Every wait for a thread on the GUI thread is bounded (a frozen window is no way to
quit), and some work cannot be interrupted at once: an OpenVINO conversion of a network at
first use (a minute), the listing of a large scan before its report, a thumbnail read from a
stalled network share. Quitting then aborted the process after the wait (review J, 2026-12-06).

:func:`stop_within` asks a thread to stop and waits; a thread still running after the wait is
detached from its parent and held here, so no parent's destruction takes it (the model: the
batch scan, which keeps the window open until its thread ends, ``MainWindow.closeEvent``).
Once the window has closed, its case log with it, :func:`end_if_threads_run` ends the process
without destroying them (``os._exit``). Why not wait on: the case log is closed and every
entry in it was synced as it was written; what such a thread writes is written whole or not
at all (an OpenVINO conversion's cache file, :mod:`engine.ovcache`; a report's files, each
through a temporary file put in place at its end, which may be left behind; an earlier report
it moved aside stays in ``earlier-reports/``); an output folder's lock is an ``flock``, which
the operating system releases. Waiting for a conversion instead left SIGTERM (a logout, systemd's
stop) facing a window that would not go for a minute, the usual end of which is SIGKILL.
"""

from __future__ import annotations

import logging
import os
import sys

import shiboken6
from PySide6.QtCore import QThread

log = logging.getLogger(__name__)

_kept: list[QThread] = []  # threads that outlived their wait, detached from their parents


def stop_within(thread: QThread | None, timeout_ms: int, what: str) -> bool:
    """Request interruption of ``thread`` and wait up to ``timeout_ms`` for it to end; True
    when it has ended (or never started). Else ``thread`` is detached from its Qt parent and
    held until the process ends (:func:`end_if_threads_run`), one log line naming ``what``,
    and False; a thread held so is not waited for again (False at once). Call on the GUI thread, after whatever else the thread needs to notice a stop
    (a cancel, a wake-up)."""
    _forget_finished()
    if thread is None or not shiboken6.isValid(thread):
        return True
    if thread in _kept:  # past one wait already: a dialog's hide and shutdown waited twice
        return False
    thread.requestInterruption()
    if thread.wait(timeout_ms):
        return True
    log.warning(
        "%s is still running %.0f s after it was asked to stop; it is left to end with the process",
        what,
        timeout_ms / 1000,
    )
    if thread not in _kept:
        thread.setParent(None)  # a parent's destruction would destroy it running
        _kept.append(thread)
    return False


def running_threads() -> list[QThread]:
    """The threads :func:`stop_within` held that still run."""
    return [t for t in _kept if shiboken6.isValid(t) and t.isRunning()]


def end_if_threads_run(status: int) -> None:
    """End the process with ``status`` now, without destroying any object, when a thread that
    outlived its wait still runs (the window closed, its case log too); else return. Python's
    own exit would destroy the held threads running, and abort the process."""
    running = running_threads()
    if not running:
        return
    log.info(  # the log file only: the program's last line on stderr stays its own
        "exiting with %d thread(s) still running (%s); they end with the process",
        len(running),
        ", ".join(type(t).__name__ for t in running),
    )
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more to say there
            pass
    os._exit(status)


def _forget_finished() -> None:
    """Let go of held threads that have ended (on the GUI thread, where they may be
    destroyed); one whose C++ side a ``deleteLater`` took is dropped too."""
    _kept[:] = running_threads()
