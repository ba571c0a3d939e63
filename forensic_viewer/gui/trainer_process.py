"""The training dialog's child process: one ``forensic-train`` run through ``QProcess``.

Training runs only in child processes (``python -m trainer.cli ...``), so a crash or an
out-of-memory in training never takes the viewer down. :class:`TrainerProcess` turns the
child's stdout into the trainer's JSON events (:mod:`trainer.progress`), its other lines into
text, and its end into one exit report, with the trainer's last message on stderr.
"""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Signal

from engine.ending import PARENT_ENV
from trainer.progress import LineSplitter, is_bar_line, parse_event

EXIT_CRASHED = -1  # the process died without an exit status (killed, segfault)
EXIT_NOT_STARTED = -2  # the process could not be started


class TrainerProcess(QObject):
    """One ``forensic-train`` child process: events from stdout, text lines, one exit report.

    ``finished`` carries the exit status (``EXIT_CRASHED`` when the process died without one,
    ``EXIT_NOT_STARTED`` when it could not start) and the trainer's last message on stderr
    (progress bars left out), which is what the dialog shows on an error.
    """

    event = Signal(dict)
    text = Signal(str)  # any other line of stdout or stderr
    finished = Signal(int, str)  # exit status, last message

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.process = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")
        env.insert("PYTHONIOENCODING", "utf-8")
        # the trainer stops with a checkpoint if the viewer dies without quitting (killed,
        # crashed): no orphan training on in a run folder that reads as stopped
        env.insert(PARENT_ENV, str(os.getpid()))
        self.process.setProcessEnvironment(env)
        self.process.readyReadStandardOutput.connect(self._read_stdout)
        self.process.readyReadStandardError.connect(self._read_stderr)
        self.process.finished.connect(self._on_finished)
        self.process.errorOccurred.connect(self._on_error)
        self._out = LineSplitter()
        self._err = LineSplitter()
        self.last_message = ""
        self.argv: list[str] = []
        self._reported = True

    @property
    def running(self) -> bool:
        return self.process.state() != QProcess.ProcessState.NotRunning

    def start(self, argv: list[str]) -> None:
        """Run ``python -m trainer.cli ARGV`` with this interpreter (the viewer's own)."""
        self.argv = list(argv)
        self.last_message = ""
        self._out, self._err = LineSplitter(), LineSplitter()
        self._reported = False
        self.process.start(sys.executable, ["-m", "trainer.cli", *argv])

    def terminate(self) -> None:
        """SIGTERM: the trainer writes a checkpoint and its resume file, then exits."""
        if self.running:
            self.process.terminate()

    def kill(self) -> None:
        if self.running:
            self.process.kill()

    def _lines(self, lines: list[str], stderr: bool) -> None:
        for line in lines:
            event = None if stderr else parse_event(line)
            if event is not None:
                self.event.emit(event)
                continue
            if not line.strip():
                continue
            if stderr and not is_bar_line(line):
                self.last_message = line.strip()
            self.text.emit(line)

    def _read_stdout(self) -> None:
        self._lines(self._out.feed(bytes(self.process.readAllStandardOutput().data())), False)

    def _read_stderr(self) -> None:
        self._lines(self._err.feed(bytes(self.process.readAllStandardError().data())), True)

    def _on_finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self._read_stdout()
        self._read_stderr()
        self._lines(self._out.flush(), False)
        self._lines(self._err.flush(), True)
        crashed = status == QProcess.ExitStatus.CrashExit
        self._report(EXIT_CRASHED if crashed else code)

    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.last_message = f"cannot start {sys.executable}: {self.process.errorString()}"
            self._report(EXIT_NOT_STARTED)

    def _report(self, code: int) -> None:
        if not self._reported:
            self._reported = True
            self.finished.emit(code, self.last_message)
