"""A thread that outlives its bounded wait is kept from destruction (gui/thread_stop.py), and
the table's thumbnail reader no longer waits without bound on the GUI thread."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtCore import QObject, QThread

import forensic_viewer.gui.triage_table as triage_table
from forensic_viewer.gui.thread_stop import running_threads, stop_within
from tests.conftest import HANG_MS, HANG_S

pytestmark = pytest.mark.gui


class _Stuck(QThread):
    """Work that does not look at interruption (a read from a stalled share)."""

    def __init__(self, release: threading.Event, parent: QObject) -> None:
        super().__init__(parent)
        self.release = release

    def run(self) -> None:
        self.release.wait(HANG_S)


def test_a_thread_past_its_wait_is_detached_and_held(qapp) -> None:
    parent = QObject()
    release = threading.Event()
    stuck = _Stuck(release, parent)
    stuck.start()
    assert not stop_within(stuck, 50, "a stuck thread")
    assert stuck.isInterruptionRequested()
    assert stuck.parent() is None  # its parent's destruction no longer destroys it running
    assert stuck in running_threads()
    release.set()
    assert stuck.wait(HANG_MS)
    assert stuck not in running_threads()
    done = _Stuck(threading.Event(), parent)
    assert stop_within(done, 50, "never started")  # nothing to wait for
    assert done.parent() is parent


def test_hiding_the_table_waits_a_bounded_time_for_a_stuck_thumbnail(
    qapp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ThumbnailLoader.stop (the table hidden, the viewer quitting) waited for the read under
    way without a bound, on the GUI thread: a thumbnail read from a stalled network share froze
    the window until the read ended."""
    release = threading.Event()
    reading = threading.Event()

    def stalled(*_a: Any, **_k: Any) -> None:
        reading.set()
        release.wait(HANG_S)

    monkeypatch.setattr(triage_table, "load_thumbnail", stalled)
    monkeypatch.setattr(triage_table, "THUMB_STOP_MS", 50)
    parent = QObject()
    loader = triage_table.ThumbnailLoader(parent)
    loader.request(tmp_path, SimpleNamespace(key="a.png"))  # type: ignore[arg-type]
    assert reading.wait(HANG_S)
    # the unfixed wait returns only when the read ends: this timer bounds that case's hang
    unstick = threading.Timer(HANG_S / 10, release.set)
    unstick.start()
    try:
        loader.stop()
        assert loader.isRunning()  # stop returned while the read was still stuck
        assert loader.parent() is None
    finally:
        release.set()
        unstick.cancel()
    assert loader.wait(HANG_MS)


def test_closing_the_window_keeps_a_scan_result_still_decoding_from_destruction(
    qtbot, case_window: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window's close waited for a scan result read again (``_reloading``) with a plain
    bounded wait: a decode longer than that was then destroyed running with the window, which
    Qt answers with an abort."""
    import forensic_viewer.gui.main_window as main_window
    import forensic_viewer.gui.result_loader as result_loader

    release = threading.Event()
    reading = threading.Event()

    def stalled(_out: Path) -> None:
        reading.set()
        release.wait(HANG_S)
        raise OSError("released")

    monkeypatch.setattr(result_loader, "ResultIndex", stalled)
    monkeypatch.setattr(main_window, "CLOSE_WAIT_MS", 50)
    loader = result_loader.ResultLoader(tmp_path, "a.png", case_window)
    case_window._reloading["a.png"] = loader
    loader.start()
    assert reading.wait(HANG_S)
    try:
        case_window.close()
        assert loader.isRunning()  # the close returned while the decode went on
        assert loader.parent() is None  # the window's destruction no longer takes it
        assert loader in running_threads()
    finally:  # a failure here must not leave the thread to the window's destruction
        release.set()
        assert loader.wait(HANG_MS)


def test_a_thumbnail_read_past_its_wait_is_not_waited_for_again_nor_followed_by_another(
    qapp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Closing the viewer stopped a table's thumbnail reader more than once (its dialog's
    shutdown, then its hide): each stop waited THUMB_STOP_MS again for the same stuck read.
    The reader checks its stop between thumbnails and the rows asked for are dropped, so no
    further file is read once the current one ends."""
    release = threading.Event()
    reading = threading.Event()
    read: list[str] = []

    def stalled(_out: Path, row: Any, **_k: Any) -> None:
        read.append(row.key)
        reading.set()
        release.wait(HANG_S)

    monkeypatch.setattr(triage_table, "load_thumbnail", stalled)
    monkeypatch.setattr(triage_table, "THUMB_STOP_MS", 50)
    parent = QObject()
    loader = triage_table.ThumbnailLoader(parent)
    for key in ("a.png", "b.png", "c.png"):
        loader.request(tmp_path, SimpleNamespace(key=key))  # type: ignore[arg-type]
    assert reading.wait(HANG_S)
    unstick = threading.Timer(HANG_S / 10, release.set)  # bounds the unfixed second wait
    unstick.start()
    try:
        loader.stop()  # waits 50 ms, then holds the stuck reader
        monkeypatch.setattr(triage_table, "THUMB_STOP_MS", HANG_MS)
        loader.stop()  # the second stop of the same close
        assert loader.isRunning()  # returned at once: the read is still stuck
    finally:
        release.set()
        unstick.cancel()
    assert loader.wait(HANG_MS)
    assert read == ["c.png"]  # the newest asked first; the others never read
