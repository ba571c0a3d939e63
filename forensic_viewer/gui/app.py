"""Starting the desktop application, and the one exception hook.

:func:`run_gui` is what ``forensic-viewer [IMAGES...]`` calls. Errors a user can cause (a file
that cannot be read, a checkpoint that does not fit) are caught where they happen and shown as
one line naming the file. Anything else is a bug: :class:`ExceptionHook`, installed once as
``sys.excepthook`` and ``threading.excepthook`` (worker threads report through it too), writes
the traceback to the log file and shows a short non-blocking dialog that points to it; the
window carries on. :func:`close_on_signals` has Ctrl+C, SIGTERM and SIGHUP (its terminal closed)
close the window as File > Quit does.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
from pathlib import Path
from types import FrameType, TracebackType

from PySide6.QtCore import QObject, QSettings, QSocketNotifier, Qt, QThread, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from engine.assembly import resolve_models
from engine.devices import available_devices
from engine.ending import exit_status, termination_signals
from engine.errors import ForensicError
from engine.formatting import time_text
from engine.resources import resources_dir
from forensic_viewer.audit import AuditError, AuditLog, case_dir_from, default_case_dir
from forensic_viewer.gui.questions import close_questions, questions_open
from forensic_viewer.gui.thread_stop import end_if_threads_run
from forensic_viewer.gui.window_memory import remembered_models

log = logging.getLogger("forensic_viewer")

APP_ID = "forensic-viewer"  # application name, and the desktop entry's file name without .desktop


def log_path() -> Path:
    """Where the viewer's log goes: ``$XDG_STATE_HOME/forensic-viewer/viewer.log`` (a relative
    ``$XDG_STATE_HOME`` ignored, as ``engine.environ`` ignores the other XDG variables')."""
    base = os.environ.get("XDG_STATE_HOME", "")
    root = Path(base) if Path(base).is_absolute() else Path.home() / ".local" / "state"
    return root / "forensic-viewer" / "viewer.log"


class LogFormatter(logging.Formatter):
    """The log's times as the product's files write them (:func:`engine.formatting.time_text`),
    to the millisecond: logging's own ``2026-12-05 14:02:09,123`` named no zone."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return time_text(record.created, "milliseconds")


def setup_logging(path: Path | None = None) -> Path | None:
    """Log to a file (INFO and up) and to stderr (WARNING and up); returns the file's path, or
    None when it cannot be written (a read-only home: everything then goes to stderr, and one
    warning there says which file and why)."""
    path = path or log_path()
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    fmt = LogFormatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s]: %(message)s")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError as e:
        console = logging.StreamHandler()  # INFO and up: the file's lines, on stderr
        console.setFormatter(fmt)
        root.addHandler(console)
        why = e.strerror or e
        log.warning("%s: the viewer's log cannot be written (%s); it goes to stderr", path, why)
        return None
    handler.setFormatter(fmt)
    root.addHandler(handler)
    console = logging.StreamHandler()
    console.setLevel(logging.WARNING)
    console.setFormatter(fmt)
    root.addHandler(console)
    return path


class ExceptionHook(QObject):
    """Logs unexpected exceptions with their traceback and tells the analyst, once per error.

    Callable as ``sys.excepthook``; safe from any thread (the dialog is raised on the GUI
    thread through a queued signal).
    """

    show = Signal(str)

    def __init__(self, log_file: Path | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.log_file = log_file
        self.dialogs: list[QMessageBox] = []
        self.show.connect(self._dialog)

    def __call__(
        self,
        exc_type: type[BaseException],
        exc: BaseException,
        tb: TracebackType | None,
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        log.error("unexpected error", exc_info=(exc_type, exc, tb))
        if isinstance(exc, ForensicError):
            text = str(exc)
        else:
            text = f"{exc_type.__name__}: {' '.join(str(exc).split())[:300]}"
        self.show.emit(text)

    def _threading_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            self(args.exc_type, args.exc_value, args.exc_traceback)

    def install(self) -> None:
        sys.excepthook = self
        threading.excepthook = self._threading_hook

    def _dialog(self, text: str) -> None:
        parent = QApplication.activeWindow()
        where = (
            f"in {self.log_file}"
            if self.log_file is not None
            else "on the terminal's standard error (the log file could not be written)"
        )
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Unexpected error",
            f"Something went wrong inside the viewer:\n\n{text}\n\n"
            f"The details are {where}. Work already done is kept.",
            QMessageBox.StandardButton.Ok,
            parent if isinstance(parent, QWidget) else None,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)  # an error may name a file: never markup
        box.setModal(False)
        box.finished.connect(
            lambda _r, b=box: self.dialogs.remove(b) if b in self.dialogs else None
        )
        self.dialogs.append(box)
        box.show()


_collector: object | None = None  # the running application's collector (one per process)


def collect_garbage_in_gui_thread(interval_s: float = 1.0) -> None:
    """Python's cycle collector runs in whichever thread happens to allocate when a threshold is
    crossed; when that is an analysis thread and the garbage holds Qt objects (a closed dialog,
    a dropped layer), their C++ side is destroyed off the GUI thread and the process can crash
    (CI caught one: a segmentation fault "Garbage-collecting" inside ``load_checkpoint`` on the
    analysis worker). pyqtgraph's collector turns automatic collection off and collects on a
    timer in the GUI thread instead. Call once, after the QApplication exists."""
    global _collector
    if _collector is None:
        from pyqtgraph.util.garbage_collector import GarbageCollector

        _collector = GarbageCollector(interval=interval_s)


def configure_application(app: QGuiApplication) -> None:
    """Name, icon and desktop identity of the application: settings are stored under its name,
    every window shows the bundled icon (package data, so a wheel or a frozen build finds it),
    and the desktop file name ties the running windows to the installed ``forensic-viewer.desktop``
    entry (Wayland's app id, X11's WM_CLASS grouping), so the task bar shows its icon and name."""
    app.setApplicationName(APP_ID)
    app.setOrganizationName(APP_ID)
    app.setDesktopFileName(APP_ID)
    icon_file = resources_dir() / "icons" / f"{APP_ID}.svg"
    icon = QIcon(str(icon_file))
    if icon.isNull():  # resources elsewhere ($FORENSIC_VIEWER_RESOURCES): the window goes without
        log.info("no application icon at %s", icon_file)
    else:
        app.setWindowIcon(icon)


class SignalClose:
    """What :func:`close_on_signals` installed; calling it puts back what was there before.
    ``signum``: the first stop signal that closed the window (0: none came)."""

    def __init__(self, window: QWidget) -> None:
        self.window = window
        self.signum = 0
        self._reader, self._writer = socket.socketpair()
        for end in (self._reader, self._writer):
            end.setblocking(False)  # the interpreter's write to it must never block
        # Ctrl+C in the terminal; kill PID, a logout; the terminal closed (SIGHUP, unless nohup
        # had it ignored)
        self._stops = (signal.SIGINT, *termination_signals())
        self._previous = {s: signal.getsignal(s) for s in self._stops}
        self._wakeup_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        for s in self._stops:
            signal.signal(s, self._note)
        self._notifier: QSocketNotifier | None = QSocketNotifier(
            self._reader.fileno(), QSocketNotifier.Type.Read
        )
        self._notifier.activated.connect(self._on_wakeup)

    @staticmethod
    def _note(_signum: int, _frame: FrameType | None) -> None:
        """The Python-level handler: nothing to do in it (it runs wherever the main thread
        happens to be); its being set is what has the interpreter write the signal's number
        to the wakeup socket."""

    def _on_wakeup(self) -> None:
        try:
            received = self._reader.recv(64)
        except OSError:  # BlockingIOError: woken, nothing left to read
            return
        stops = [n for n in received if n in self._stops]
        if not stops:
            return
        if not self.signum:
            self.signum = stops[0]
            # its close asks nothing (no one to answer): the main window's closeEvent reads it
            self.window.stop_signal = self.signum  # type: ignore[attr-defined]
            log.info("%s received: closing the viewer", signal.Signals(self.signum).name)
        # a question open: closed unanswered, its asker returns, then the window closes
        close_questions(f"{signal.Signals(stops[0]).name}: the viewer closed")
        self._close_window()

    def _close_window(self) -> None:
        """Close the window once no question's asker is on the stack (its event loop
        returned): closed from inside it, the window's close had closed the case log before
        the asker went on."""
        if questions_open():
            QTimer.singleShot(0, self._close_window)
            return
        self.window.close()  # a second signal asks again (a window waiting for its scan)

    def __call__(self) -> None:
        if self._notifier is None:
            return
        self._notifier.setEnabled(False)
        self._notifier.activated.disconnect(self._on_wakeup)
        self._notifier = None
        for s, handler in self._previous.items():  # first: a signal now goes to these
            signal.signal(s, handler)
        signal.set_wakeup_fd(self._wakeup_fd)
        self._reader.close()
        self._writer.close()


def close_on_signals(window: QWidget) -> SignalClose:
    """Ctrl+C (SIGINT), SIGTERM and SIGHUP close ``window`` as File > Quit does: its ``closeEvent``
    cancels a batch scan and waits for it (the scan's CSV, scan.json and case-log entry written
    as a cancelled scan's), stops the other workers and closes the case log. Call from the main
    thread; the returned callable puts back the handlers and the wakeup fd found.

    SIGHUP comes when the terminal the viewer was started from is closed; the training dialog's
    trainer, started by the viewer, gets it too and stops with a checkpoint (as the window's
    close stops it). Without this, SIGHUP's and SIGTERM's defaults ended the process at once (a scan's scan.json saying
    "running", no results.csv) and Ctrl+C did nothing until some Python code ran: Python's
    handlers run only between bytecodes of the main thread, which sits in Qt's event loop.
    The interpreter's C handler writes the signal's number to the ``signal.set_wakeup_fd``
    socket and a ``QSocketNotifier`` on the other end wakes the event loop, which closes the
    window at once. Chosen over a ``QTimer`` that lets the interpreter run every 100 ms or so:
    no latency, no wake-ups of an idle viewer, and the close happens in the event loop, never in
    the middle of whatever Python code the main thread was running when the signal came. A
    Yes/No question open then is closed unanswered first and the window closed once its asker
    has returned (:mod:`forensic_viewer.gui.questions`): the asker logs and starts nothing."""
    return SignalClose(window)


def run_gui(
    paths: list[str], models: list[str] | None, device: str, case: str | None = None
) -> int:
    """Open the main window on ``paths`` (files or folders) with ``models`` (names or files;
    None: the bundled models) on ``device`` (auto, cpu, cuda, mps), recording the examination
    in the audit log of the case folder ``case`` (see :func:`open_case_log`). Returns the exit
    status: 0, or 130 (Ctrl+C) and 143 (SIGTERM) when a stop signal closed the window
    (:func:`close_on_signals`; one line on stderr says so), as the command-line programs. A
    thread still running after its wait at the close (an OpenVINO conversion) ends the process
    here with that status (:func:`~forensic_viewer.gui.thread_stop.end_if_threads_run`)."""
    from forensic_viewer.gui.main_window import MainWindow

    log_file = setup_logging()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    configure_application(app)
    collect_garbage_in_gui_thread()
    QThread.currentThread().setObjectName("gui")
    hook = ExceptionHook(log_file, app)
    hook.install()
    problems: list[str] = []
    if device not in available_devices():
        problems.append(
            f"device '{device}' is not available here ({', '.join(available_devices())}); using auto"
        )
        device = "auto"
    model_paths, model_problems = resolve_models(models)
    problems += model_problems
    case_log, case_problem = open_case_log(case)
    problems += [case_problem] if case_problem else []
    settings = QSettings(APP_ID, APP_ID)
    if models is None:  # no --model: the models last chosen in the Models panel, if any
        kept, said = remembered_models(settings)
        model_paths = kept or model_paths
        problems += said
    window = MainWindow(
        models=model_paths,
        device=device,
        settings=settings,
        case_log=case_log,
        case_problem=case_problem,
    )
    stop = close_on_signals(window)
    try:
        window.show()
        if paths:
            window.open_paths(paths)
        for problem in problems:
            log.warning(problem)
            window.show_error(problem)
        status = int(app.exec())
    finally:
        stop()
    if stop.signum:
        name = signal.Signals(stop.signum).name
        print(
            f"forensic-viewer: {name} received: the viewer closed as File > Quit closes it",
            file=sys.stderr,
        )
        status = exit_status(stop.signum)  # 130, 143 or 129, as the command-line programs
    # a thread that outlived its wait at the close (gui/thread_stop.py) must not be destroyed
    # running by the window's end here: the process ends now, the case log already closed
    end_if_threads_run(status)
    return status


def open_case_log(case: str | None) -> tuple[AuditLog | None, str]:
    """The viewer's case log: ``--case DIR``, else ``FORENSIC_VIEWER_CASE``, else the per-user
    default case (:func:`forensic_viewer.audit.default_case_dir`). A log that cannot be
    opened (a broken chain, an unwritable folder) leaves the viewer without one, and the one
    line saying why is returned for the status bar."""
    folder = case_dir_from(case, default_case_dir())
    assert folder is not None
    try:
        log_ = AuditLog(folder, program="forensic-viewer (viewer)")
    except AuditError as e:
        return None, f"no case audit log: {e}"
    return log_, ""
