"""Fixtures for the viewer tests: evidence files written on the fly and a ready main window."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.conftest import HANG_MS, HANG_S


def write_image(path: Path, h: int = 96, w: int = 128, seed: int = 0) -> Path:
    """A smooth RGB image with some texture (so heatmaps vary), written as PNG."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([xx * 255 / max(1, w - 1), yy * 255 / max(1, h - 1), (xx + yy) % 256], -1)
    noise = rng.integers(-40, 41, size=(h, w, 3))
    pixels = np.clip(base + noise, 0, 255).astype(np.uint8)
    Image.fromarray(pixels).save(path, format="PNG")
    return path


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Small fast-path tiles, and each analysis waits at every progress report until the event
    is set or its thread is asked to stop (a closing window), at HANG_S at the latest. A test
    that cancels "while the analysis runs" holds it here: waiting for a first progress signal
    was not enough, as under load the analysis of a small image could end before the Cancel
    (and ``cancelled`` was then never sent: a 600 s hang in a loaded run)."""
    from PySide6.QtCore import QThread

    from forensic_viewer.gui import workers

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


@pytest.fixture
def models_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user models folder of the test: the analyst's own is never touched."""
    folder = tmp_path / "models"
    monkeypatch.setenv("FORENSIC_VIEWER_MODELS", str(folder))
    return folder


@pytest.fixture
def large_font(qapp) -> Iterator[None]:
    """The application's font at 16 points, as an analyst with low vision sets it."""
    before = qapp.font()
    font = qapp.font()
    font.setPointSize(16)
    qapp.setFont(font)
    yield
    qapp.setFont(before)


@pytest.fixture
def image_path(tmp_path: Path) -> Path:
    return write_image(tmp_path / "evidence.png")


@pytest.fixture
def corrupt_path(tmp_path: Path) -> Path:
    path = tmp_path / "broken.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"garbage" * 8)
    return path


def stop_batch_after(monkeypatch, index: int, how: str) -> Callable[[], None]:
    """Make the batch dialog's scan thread call its ``how`` ("pause" or "cancel") once file
    ``index`` (0-based) has been reported, as an analyst's click would land then; returns the
    function that puts the real per-file step back (a resume that should run to the end)."""
    from forensic_viewer.gui.batch_dialog import ScanWorker

    original = ScanWorker._on_file

    def stop_there(self: ScanWorker, i: int, total: int, record: dict) -> None:
        original(self, i, total, record)
        if i == index:  # on the scan thread: the next poll of run_scan sees it
            getattr(self, how)()

    monkeypatch.setattr(ScanWorker, "_on_file", stop_there)
    return lambda: monkeypatch.setattr(ScanWorker, "_on_file", original)


def face_item(face: dict[str, Any], models: list[Any], ensemble: Any = None) -> Any:
    """A report item built by hand: ``f.jpg``, analysed, with ``face`` its one face and
    ``models`` (``ModelEntry``, and the ``ensemble``'s) its results."""
    from forensic_viewer.report import ReportItem

    return ReportItem(
        key="f.jpg",
        file="f.jpg",
        status="ok",
        error=None,
        sha256="0" * 64,
        evidence={},
        models=models,
        ensemble=ensemble,
        faces=[face],
        faces_checked=True,
    )


def scan_args(folder: Path, out: Path, model: Path, *extra: str) -> list[str]:
    """The command line of ``forensic-viewer scan`` of ``folder`` into ``out`` with the one
    checkpoint ``model``, faces not checked, then ``extra``."""
    return ["scan", str(folder), "--out", str(out), "--model", str(model), "--no-faces", *extra]


def scan_cli(folder: Path, out: Path, model: Path, *extra: str) -> int:
    """That scan run in this process: its exit code."""
    from forensic_viewer.cli import main

    return main(scan_args(folder, out, model, *extra))


@pytest.fixture
def case_window(qtbot, tmp_path: Path, tiny_checkpoint: Path):
    """A shown main window with the tiny model and a case log (examiner "A. Examiner") in
    ``tmp_path / "case"``, its models known."""
    from PySide6.QtCore import QSettings

    from forensic_viewer.audit import AuditLog
    from forensic_viewer.gui.main_window import MainWindow

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    log = AuditLog(tmp_path / "case", program="test viewer", examiner="A. Examiner")
    window = MainWindow(
        models=[str(tiny_checkpoint)], device="cpu", settings=settings, case_log=log
    )
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window._models_known, timeout=HANG_MS)
    return window


@pytest.fixture
def no_models(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every call to the model loader, which fails: a file or folder the product refuses must
    be refused before any model loads."""
    import engine.assembly

    calls: list[object] = []

    def refuse(*args: object, **kw: object) -> None:
        calls.append(args)
        raise AssertionError("models loaded before the refusal")

    monkeypatch.setattr(engine.assembly, "assemble_analyzer", refuse)
    return calls


def open_listed(qtbot, window: Any, paths: list[Any]) -> None:
    """``window.open_paths(paths)``, then wait for their listing (off the GUI thread,
    ``gui/opening.py``) to be opened: their entries are there and their analyses asked for."""
    window.open_paths(paths)
    qtbot.waitUntil(lambda: window.lister.idle, timeout=HANG_MS)


def listening(path: str | Path) -> Any:
    """A Unix stream socket bound to ``path`` and listening, as a display server's is (close
    it: the file stays behind, as a crashed server's does, and refuses connections)."""
    import socket

    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen()
    return server


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A new folder with a short path (a Unix socket's path is limited to 107 bytes, which a
    test's tmp_path can exceed), removed afterwards."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="fv-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def x11_display(short_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``:0``, served: the folder of X11's local sockets (``gui.refused.X11_SOCKETS``) is a
    temporary one where a socket ``X0`` listens, as an X server's would; none else is there."""
    import forensic_viewer.gui.refused

    monkeypatch.setattr(forensic_viewer.gui.refused, "X11_SOCKETS", short_dir)
    server = listening(short_dir / "X0")
    yield ":0"
    server.close()


@pytest.fixture(autouse=True)
def _closing_answers_quit_anyway(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """A window closed with work in progress (a test's end: pytest-qt closes its widgets)
    asks one modal question that nothing would answer offscreen: answered "Quit anyway",
    the open note kept, and each question's work listed here. tests/viewer/test_close_work.py
    asks the real question."""
    from forensic_viewer.gui import window_closing

    asked: list[list[str]] = []

    def quit_anyway(_parent: object, pending: list[str], *, note: bool) -> tuple[bool, bool]:
        asked.append(pending)
        return True, note

    monkeypatch.setattr(window_closing, "ask_to_quit", quit_anyway)
    return asked


def without_sessions(entries: Iterable[Any]) -> list[Any]:
    """Case-log entries (``AuditEntry`` or their JSON objects) as their actions recorded them:
    each program's session bookkeeping left out, the ``log-closed`` at its end and the
    ``session`` in every entry's details (tests/viewer/test_audit_sessions.py tests those)."""
    kept: list[Any] = []
    for e in entries:
        if isinstance(e, dict):
            if e["action"] != "log-closed":
                details = {k: v for k, v in e["details"].items() if k != "session"}
                kept.append({**e, "details": details})
        elif e.action != "log-closed":
            details = {k: v for k, v in e.details.items() if k != "session"}
            kept.append(dataclasses.replace(e, details=details))
    return kept
