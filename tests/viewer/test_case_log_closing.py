"""The case log says exactly what the viewer did with a file: a decode only to show it is no
analysis, and closing the window mid-analysis ends every analysis the log started before the
log is closed (docs/AUDIT.md)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QThread

from forensic_viewer.audit import LOG_NAME, AuditLog
from forensic_viewer.gui import workers
from forensic_viewer.gui.main_window import MainWindow
from tests.conftest import HANG_MS, HANG_S, make_tiny_checkpoint
from tests.viewer.conftest import open_listed, write_image

pytestmark = pytest.mark.gui


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Small fast-path tiles, and each analysis waits at its first tile until the event is
    set or its thread is asked to stop (a closing window), at HANG_S at the latest."""
    monkeypatch.setattr("engine.fastpath.CRFD_TILE", 64)
    event = threading.Event()
    real = workers.throttled_partial

    def held(send):
        inner = real(send)

        def on_progress(p) -> None:
            inner(p)
            thread = QThread.currentThread()
            for _ in range(int(HANG_S / 0.05)):
                if event.wait(0.05) or thread.isInterruptionRequested():
                    return

        return on_progress

    monkeypatch.setattr(workers, "throttled_partial", held)
    yield event
    event.set()


def _window(qtbot, tmp_path: Path) -> MainWindow:
    model = make_tiny_checkpoint(tmp_path / "m1.safetensors", "m1", seed=1)
    log = AuditLog(tmp_path / "case", program="test viewer", examiner="A. Examiner")
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(models=[str(model)], device="cpu", settings=settings, case_log=log)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: bool(window.model_names), timeout=HANG_MS)
    return window


def _entries(tmp_path: Path) -> list[dict]:
    return [json.loads(x) for x in (tmp_path / "case" / LOG_NAME).read_text().splitlines()]


def _of(entries: list[dict], path: Path) -> list[str]:
    return [e["action"] for e in entries if e["details"].get("path") == str(path)]


def test_a_file_decoded_only_to_show_it_is_logged_opened_not_analysed(
    qtbot, tmp_path: Path, gate: threading.Event
) -> None:
    """A file whose queued analysis a Cancel stopped, its pixels let go since, is decoded
    again when shown, to show it (``_decode_to_show``), not analysed: the log had an
    ``analysis-started`` (its models empty) that no end followed, since models were loaded."""
    window = _window(qtbot, tmp_path)
    big = write_image(tmp_path / "big.png", 192, 256)
    queued = write_image(tmp_path / "queued.png", 96, 128, seed=2)
    open_listed(qtbot, window, [big, queued])
    job = window.entries[str(big)].job
    qtbot.waitUntil(lambda: job in window._job_started, timeout=HANG_MS)  # running, held
    window.cancel()
    gate.set()
    qtbot.waitUntil(lambda: window._job_paths == {}, timeout=HANG_MS)
    entry = window.entries[str(queued)]
    window.retention.limit = 0  # showing another file lets the queued one's pixels go
    window.show_entry(str(big))
    assert entry.cancelled and entry.released and entry.analysis is None
    before = _of(_entries(tmp_path), queued)
    assert before == ["evidence-opened", "analysis-started", "analysis-cancelled"]

    window.show_entry(str(queued))
    qtbot.waitUntil(lambda: not entry.released and entry.evidence is not None, timeout=HANG_MS)
    qtbot.waitUntil(lambda: window._job_paths == {}, timeout=HANG_MS)
    assert not entry.running and entry.analysis is None and entry.cancelled
    assert window.layers is not None and window.layers.image is not None  # shown
    assert _of(_entries(tmp_path), queued) == [*before, "evidence-opened"]
