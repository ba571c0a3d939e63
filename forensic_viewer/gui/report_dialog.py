"""The report dialog: case fields, formats and destination; the report is written off the GUI
thread with progress and cancel.

Two kinds of report come through here (:mod:`forensic_viewer.gui.report_job` makes their
:class:`~forensic_viewer.gui.report_job.ReportJob`), both written by
:func:`forensic_viewer.report.write_report` (the same call as ``forensic-viewer scan --report``):
one image from the viewer, and a whole scan from the batch dialog or Open scan results…. When
a scan's last run did not finish (cancelled, interrupted, killed), the dialog says so once the
report is written, in the words of the report's first page: it covers part of the scan.

Building the report's source (reading results.jsonl, model cards from checkpoint headers) also
runs on the worker thread. Cancelling leaves no report file behind. An earlier report of the
same name (which may have been handed over) is never replaced: Write asks, and on Yes moves it
whole into ``earlier-reports/<UTC time it was written>/`` in the folder, as the command line's
``--report`` does (:mod:`forensic_viewer.report.earlier`), logs ``report-moved`` when a case
log is open, and says where it went beside the outcome; a cancelled or failed write puts it
back (logged too) and says so.

The folder offered at first (:attr:`ReportJob.folder`): the scan's output folder for a scan or
an image opened from one; for any other image, ``reports/<evidence folder's name>-<hash>`` in
the viewer's per-user folder (:func:`~forensic_viewer.gui.report_job.reports_folder`), never
on the evidence medium: it had offered ``<evidence folder>-reports`` beside the evidence's
folder, on the evidence medium. A folder
offered may still not be writable (a scan's output folder copied onto a write-protected disk,
a file standing at its name): the dialog checks the folder it offers when it opens
(:func:`folder_problem`) and, when it cannot be written or made, offers ``reports/<its name>``
in the per-user folder (:func:`fallback_folder`) instead, saying so in one line. Write checks
the folder again and refuses an unwritable one in one line naming it, before anything starts;
the fields stay. Write then takes the folder's lock
(:func:`hold_folders`: :class:`~forensic_viewer.scan.lock.OutputLock`, as
``forensic-viewer report OUT`` holds OUT's; the reported scan's folder's too when the report
goes elsewhere) before the question about an earlier report, and holds it until the report is
written or not: a folder a scan, a resume or another report is writing into is refused in one
line, the command line's, naming the holder; so is a folder where a name the program writes is
a symbolic link (``earlier-reports/`` pointing elsewhere had the earlier report moved there),
checked under the lock (:func:`~forensic_viewer.scan.outfolder.refuse_links`).
A failure is one line naming the file and the problem (:func:`os_problem`), not errno text.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.environ import user_data_dir
from engine.errors import ForensicError
from engine.types import Progress
from forensic_viewer.audit import AuditError, AuditLog
from forensic_viewer.casework import log_report_moved, put_back_earlier_report
from forensic_viewer.gui.colormap_menu import preferred_colormap
from forensic_viewer.gui.mailbox import Mailbox
from forensic_viewer.gui.panels import (
    MessageLabel,
    name_form_fields,
    pick_output_folder,
    rows_height,
)
from forensic_viewer.gui.questions import ask
from forensic_viewer.gui.report_job import ReportJob, safe_basename
from forensic_viewer.gui.thread_stop import stop_within
from forensic_viewer.gui.wheel_guard import guard_wheel
from forensic_viewer.overlays import COLORMAPS, colormap_label
from forensic_viewer.report import (
    FORMATS,
    CaseInfo,
    FigureStyle,
    ReportCancelled,
    ReportOptions,
    ReportSource,
    os_problem,
    write_report,
)
from forensic_viewer.report.build import STOPPED_HEADING, stopped_scan_alert
from forensic_viewer.report.earlier import (
    EARLIER_REPORTS,
    MovedReport,
    move_earlier_report,
    report_names,
)
from forensic_viewer.scan.lock import OutputLock
from forensic_viewer.scan.proposed_out import REPORTS
from forensic_viewer.scan.walk import unread_words
from forensic_viewer.wording import plain

PROGRESS_STEPS = 1000
REPORT_LOCK_COMMAND = "the viewer's report dialog"  # what holds the lock, as a refusal says


def nearest_existing(folder: Path) -> Path:
    """``folder`` when it exists, else the nearest of its parents that does."""
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    return folder


def folder_problem(folder: Path) -> str | None:
    """Why a report cannot be written into ``folder``, as one line naming it, or None.

    The folder itself when it exists, else the nearest existing folder it would be made in,
    must not be on a read-only file system (``statvfs``'s ``ST_RDONLY``: a write-protected
    medium or a read-only mount, whoever asks; ``os.access`` says yes to root there) and must
    be a folder this user may write in and enter (``os.access`` W_OK | X_OK). Nothing is
    written to find out: the dialog opens beside evidence, and an analyst who cancels must
    leave no trace there. Windows' access lists can still refuse what ``os.access`` allows;
    Write then fails with one line, the fields kept."""
    existing = nearest_existing(folder)
    if not existing.is_dir():
        return f"{existing}: a file, not a folder"
    if read_only_mount(existing):
        why = "on a read-only file system"
    elif os.access(existing, os.W_OK | os.X_OK):
        return None
    else:
        why = "no write permission"
    if existing != folder:
        why += f" in {existing}, where it would be made"
    hint = "; read-only evidence medium?" if why.startswith("no write permission") else ""
    return f"{folder}: not writable ({why}{hint})"


def read_only_mount(folder: Path) -> bool:
    """Whether ``folder`` lies on a file system mounted read-only (False where ``statvfs``
    does not exist, as on Windows, or cannot say)."""
    statvfs = getattr(os, "statvfs", None)
    if statvfs is None:
        return False
    try:
        return bool(statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def fallback_folder(folder: Path) -> Path:
    """Where the report of ``folder`` goes when ``folder`` cannot be written: ``reports/<its
    name>`` in the viewer's per-user folder (:func:`engine.environ.user_data_dir`)."""
    return user_data_dir() / REPORTS / (folder.name or "report")


def hold_folders(dest: Path, scan: Path | None = None) -> list[OutputLock]:
    """The output folders' locks (:class:`~forensic_viewer.scan.lock.OutputLock`) a report
    into ``dest`` holds while it is written, taken: ``dest``'s, where it writes, as
    ``forensic-viewer report OUT`` holds OUT's, and that of ``scan``, the folder of the scan
    reported on, whose rows it reads, when it is another (a resume there rewrites
    results.jsonl). A ``scan`` folder this user cannot write (a copy on a write-protected
    medium, reported elsewhere) is probed only, taking nothing. The dialog took no lock, so
    Write report… wrote into a scan folder while a batch-dialog run or a command-line resume
    wrote there (yesterday's review). Raises, nothing then held:
    :class:`~forensic_viewer.scan.lock.OutputLocked` in the command line's words (the holder's
    PID, host, start and command), or :class:`~forensic_viewer.scan.lock.ScanFailed` (a link
    where the program writes, a folder that cannot be made)."""
    locks: list[OutputLock] = []
    try:
        for folder in (dest, scan):
            if folder is None or any(folder.resolve() == lock.out.resolve() for lock in locks):
                continue
            lock = OutputLock(folder, command=REPORT_LOCK_COMMAND)
            if folder is scan and folder_problem(folder) is not None:
                lock.probe()  # read only here: refused while a writer holds it, nothing made
            else:
                locks.append(lock.acquire())
    except BaseException:
        release_folders(locks)
        raise
    return locks


def release_folders(locks: Sequence[OutputLock]) -> None:
    """Release ``locks``; a lock file a lock made goes with it (the folder as it was found:
    a report into a folder of the analyst's choosing leaves no ``.scan.lock`` there)."""
    for lock in locks:
        lock.release(remove=lock.created)


class ReportWorker(QThread):
    """Writes one report. Posts to :attr:`mailbox` (not signals: a scan report makes two
    progress steps per file, see :mod:`forensic_viewer.gui.mailbox`) ``progress(stage, done,
    total)``, then one of ``succeeded(format -> path, stopped, not_covered)`` (``stopped``: the
    first page's warning of a scan whose last run did not finish, else None; ``not_covered``:
    the Case section's words for the folders and files its listing could not read, else
    None), ``cancelled()`` or
    ``failed(message)``.
    """

    def __init__(
        self,
        job: ReportJob,
        dest: Path,
        formats: Sequence[str],
        case: CaseInfo,
        options: ReportOptions | None = None,
        basename: str | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.mailbox = Mailbox(self)
        self.job = job
        self.dest = dest
        self.formats = tuple(formats)
        self.case = case
        self.options = options
        self.basename = basename or job.basename

    def _on_progress(self, p: Progress) -> None:
        self.mailbox.post("progress", p.stage, p.done, p.total)

    def run(self) -> None:
        try:
            self.dest.mkdir(parents=True, exist_ok=True)
            source = self.job.source()
            paths = write_report(
                source,
                self.dest,
                self.formats,
                case=self.case,
                options=self.options,
                basename=self.basename,
                title=self.job.title,
                progress=self._on_progress,
                cancel=self.isInterruptionRequested,
            )
        except ReportCancelled:
            self.mailbox.post("cancelled")
        except OSError as e:
            self.mailbox.post("failed", f"cannot write the report: {os_problem(e, self.dest)}")
        except (ForensicError, ValueError) as e:
            self.mailbox.post("failed", f"cannot write the report: {e}")
        except Exception as e:  # a bug: logged by the one hook, the dialog carries on
            sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
            self.mailbox.post(
                "failed", f"cannot write the report: unexpected error ({type(e).__name__}: {e})"
            )
        else:
            # a report of a stopped scan says so on its first page, of a scan that could not
            # read part of the evidence in its Case section; the dialog says them too
            stopped = not_covered = None
            if isinstance(source, ReportSource) and source.kind == "scan":
                stopped = stopped_scan_alert(source.settings, source.count)
                not_covered = unread_words(source.settings)
            written = {k: str(v) for k, v in paths.items()}
            self.mailbox.post("succeeded", written, stopped, not_covered)


class ReportDialog(QDialog):
    """Examiner, case id, notes, formats (the JSON sidecar always comes along), figures, their
    colormap and destination; Write starts a :class:`ReportWorker`, Cancel stops it.

    The colormap offered first is the viewer's View ▸ Heatmap colormap (the window's, whatever
    dialog opened this one: ``colormap_menu.preferred_colormap``): reports were drawn in
    inferno whatever the analyst had chosen (walk-through cvd, finding 2)."""

    written = Signal(dict)  # format -> path
    failed = Signal(str)  # why no report was written (the line the dialog shows)
    ended = Signal()  # the report thread's end handled: no longer running, folders free

    def __init__(
        self,
        job: ReportJob,
        parent: QWidget | None = None,
        *,
        default_dir: Path | None = None,
        case: CaseInfo | None = None,
    ) -> None:
        super().__init__(parent)
        self.job = job
        self.worker: ReportWorker | None = None
        self.paths: dict[str, str] = {}
        self._busy = False
        self.audit_log: AuditLog | None = None  # the case log whose head reports print
        # called before anything of a write is logged or the head taken: the case recorder
        # logs a threshold change still settling, which the report states as the slider's
        self.before_logging: Callable[[], None] | None = None
        self.written_case: CaseInfo | None = None  # the case fields of the last write
        self.case_offered: CaseInfo | None = None  # as the window filled them: typed after, asked
        self.moved: MovedReport | None = None  # the earlier report the last write moved aside
        self.locks: list[OutputLock] = []  # the folders' locks, held from Write to the end
        self.setWindowTitle(f"Report: {plain(job.title)}")
        case = case or CaseInfo()
        self.examiner = QLineEdit(case.examiner)
        self.case_id = QLineEdit(case.case_id)
        self.notes = QPlainTextEdit(case.notes)
        self.notes.setMaximumHeight(rows_height(self.notes, 6))
        self.notes.setTabChangesFocus(True)  # Tab goes on to Formats: it typed a tab, and held
        self.format_boxes = {f: QCheckBox(f.upper()) for f in FORMATS}
        for box in self.format_boxes.values():
            box.setChecked(True)
        self.format_boxes["json"].setEnabled(False)  # the sidecar with every figure, always
        self.format_boxes["json"].setToolTip("always written: every figure, for other tools")
        self.figures = QComboBox()
        self.figures.addItems(["all", "flagged", "none"])
        self.figures.setToolTip("annotated figures for every file, flagged files only, or none")
        self.colormap = QComboBox()
        for name in COLORMAPS:
            self.colormap.addItem(colormap_label(name), name)
        self.colormap.setCurrentIndex(self.colormap.findData(preferred_colormap(self)))
        self.colormap.setToolTip("the figures' heatmap colormap (View ▸ Heatmap colormap)")
        offered = Path(default_dir or job.folder or Path.home()).expanduser()
        problem = folder_problem(offered)
        if problem is not None:  # not writable, or a file stands where it would be made
            if folder_problem(fallback_folder(offered)) is None:
                offered = fallback_folder(offered)
                problem += f"; the report goes to {offered} instead"
            else:
                problem += "; choose another folder with Browse…"
        self.dest = QLineEdit(str(offered))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._pick_dest)
        self.basename = QLineEdit(job.basename)
        formats = QHBoxLayout()
        for box in self.format_boxes.values():
            formats.addWidget(box)
        formats.addStretch(1)
        dest_row = QHBoxLayout()
        dest_row.addWidget(self.dest, 1)
        dest_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Examiner", self.examiner)
        form.addRow("Case id", self.case_id)
        form.addRow("Notes", self.notes)
        form.addRow("Formats", formats)
        form.addRow("Figures", self.figures)
        form.addRow("Colormap", self.colormap)
        form.addRow("Folder", dest_row)
        form.addRow("File name", self.basename)
        name_form_fields(form)
        self.progress = QProgressBar()
        self.progress.setRange(0, PROGRESS_STEPS)
        self.message = MessageLabel(problem or "")  # a long path wraps, not widens the dialog
        self.write_button = QPushButton("Write")
        self.write_button.clicked.connect(self.write)
        self.write_button.setDefault(True)  # Enter in a field writes, as OK does; not Browse…
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.write_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        guard_wheel(self)  # the figures' choice: changed only when chosen, not in passing

    def _pick_dest(self) -> None:
        pick_output_folder(self, "Report folder", self.dest)

    def case(self) -> CaseInfo:
        """The case fields as typed."""
        return CaseInfo(
            examiner=self.examiner.text(),
            case_id=self.case_id.text(),
            notes=self.notes.toPlainText(),
        )

    def formats(self) -> list[str]:
        return [f for f, box in self.format_boxes.items() if box.isChecked()]

    @property
    def running(self) -> bool:
        """From Write until the GUI thread has handled the report thread's end."""
        return self._busy

    def write(self) -> None:
        if self.running:
            return
        if not self.dest.text().strip():
            self.message.setText("choose a folder for the report")
            return
        dest = Path(self.dest.text().strip()).expanduser()
        problem = folder_problem(dest)
        if problem is not None:  # nothing started, the fields as typed
            self._say_failed(f"cannot write the report: {problem}")
            return
        try:
            self.locks = hold_folders(dest, self.job.scan)
        except ForensicError as e:  # held by a scan or report, or a link where it writes
            self._say_failed(f"cannot write the report: {e}")
            return
        if not self._start(dest):  # nothing to write after all: the folders free again
            self._release()

    def _start(self, dest: Path) -> bool:
        """Under the folders' locks: the earlier report moved aside when the analyst says so,
        then the worker started; False, after one line saying why, when nothing was."""
        if self.audit_log is not None and self.before_logging is not None:
            self.before_logging()
        basename = safe_basename(self.basename.text())
        earlier = report_names(dest, basename)
        if earlier and not self._move_asked(dest, earlier):
            self.message.setText(
                f"not written: an earlier report ({', '.join(plain(n) for n in earlier)}) is in "
                f"{plain(dest)}; choose another file name or folder"
            )
            return False
        self.moved = None
        if earlier and not self._move_earlier(dest, basename):
            return False
        case = self.case()
        if self.audit_log is not None:
            try:
                case = dataclasses.replace(case, audit=self.audit_log.stamp())
            except AuditError as e:
                self._not_written(f"no report written: {e}", failed=True)
                return False
        self.written_case = case
        self.paths = {}
        if self.worker is not None:
            self.worker.wait()  # its end was handled, so this returns at once
            self.worker.deleteLater()
        self._busy = True
        self.worker = ReportWorker(
            self.job,
            dest,
            self.formats(),
            case,
            ReportOptions(
                style=FigureStyle(colormap=self.colormap.currentData()),
                figures=self.figures.currentText(),  # type: ignore[arg-type]
            ),
            basename,
            self,
        )
        mail = self.worker.mailbox
        mail.on("progress", self._on_progress)
        mail.on("succeeded", self._on_succeeded)
        mail.on("cancelled", lambda: self._not_written("cancelled: no report written"))
        mail.on("failed", lambda text: self._not_written(text, failed=True))
        self.worker.finished.connect(self._on_finished)
        mail.start()
        self.write_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setValue(0)
        self.message.setText("writing…")
        self.worker.start()
        return True

    def _move_asked(self, dest: Path, names: Sequence[str]) -> bool:
        """Ask whether to move the earlier report ``names`` in ``dest`` aside and write the new
        one; No unless the analyst says Yes."""
        yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
        box = QMessageBox(QMessageBox.Icon.Question, "Move the earlier report?", "", yes | no, self)
        box.setTextFormat(Qt.TextFormat.PlainText)  # a file name is never markup
        box.setText(
            "An earlier report of this name is there. Writing moves it, whole and unchanged, "
            f"into a folder of its own in {plain(dest / EARLIER_REPORTS)} (it is not replaced):\n"
            + "\n".join(plain(dest / n) for n in names)
        )
        box.setDefaultButton(no)
        return ask(box, yes) is True  # unanswered (a stop signal closed it): not moved

    def _move_earlier(self, dest: Path, basename: str) -> bool:
        """Move the earlier report ``basename`` in ``dest`` into ``earlier-reports/``, as the
        command line does (:func:`~forensic_viewer.report.earlier.move_earlier_report`), and
        log ``report-moved`` in the case log, if any, before the new report takes its head.
        False, after one line saying why, when the report is not to be written."""
        try:
            self.moved = move_earlier_report(dest, basename)
        except OSError as e:  # the earlier report stays where it is; nothing goes over it
            self._say_failed(f"cannot write the report: {os_problem(e, dest)}")
            return False
        if self.moved is None:  # gone since it was asked about: nothing moved, nothing to log
            return True
        try:
            log_report_moved(self.audit_log, self.moved)
        except AuditError as e:
            self._say_failed(self._with_moved(f"no report written: {e}"))
            return False
        return True

    def _say_failed(self, text: str) -> None:
        """Say why no report was written, and emit :attr:`failed` with it: the main window
        keeps it in its message history, as it keeps a report written (a failed write, disk
        full or permission denied, was said here once and then lost)."""
        self.message.setText(text)
        self.failed.emit(text)

    def _not_written(self, text: str, failed: bool = False) -> None:
        """No report was written (``text`` says why): an earlier report this write moved aside
        is put back and the case log says so (:func:`put_back_earlier_report`), the folder
        left as it was, not without a report (before 2026-12-06 it stayed aside)."""
        if self.moved is not None:
            text = f"{text}\n{plain(put_back_earlier_report(self.audit_log, self.moved))}"
            self.moved = None
        if failed:
            self._say_failed(text)
        else:
            self.message.setText(text)

    def _with_moved(self, text: str) -> str:
        """``text``, and where the earlier report went when this write moved it."""
        return text if self.moved is None else f"{text}\n{plain(self.moved.line())}"

    def cancel(self) -> None:
        if self.running:
            assert self.worker is not None
            self.worker.requestInterruption()
            self.message.setText("cancelling…")

    def _on_progress(self, stage: str, done: int, total: int) -> None:
        # verifying the evidence is the first half, writing the second
        half = 0 if stage.startswith("verifying") else 1
        frac = (half + (done / total if total else 1.0)) / 2
        self.progress.setValue(round(frac * PROGRESS_STEPS))
        self.message.setText(f"{stage} {done}/{total}")

    def _on_succeeded(
        self, paths: Mapping[str, str], stopped: str | None = None, not_covered: str | None = None
    ) -> None:
        self.paths = dict(paths)
        self.progress.setValue(PROGRESS_STEPS)
        written = self._with_moved("written: " + ", ".join(plain(p) for p in paths.values()))
        if stopped:  # the scan's last run did not finish (docs/RESULTS.md, "Stopping a scan")
            written += f"\n{STOPPED_HEADING}: {plain(stopped)}"
        if not_covered:  # folders or files the scan's listing could not read (run.unread)
            written += f"\nNot covered: {plain(not_covered)}"
        self.message.setText(written)
        self.written.emit(dict(paths))

    def _on_finished(self) -> None:
        if self.worker is not None:
            self.worker.mailbox.stop()  # what the thread posted last
        self._release()  # after the case log took what it posted: the report, a move back
        self._busy = False
        self.write_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.ended.emit()

    def _release(self) -> None:
        locks, self.locks = self.locks, []
        release_folders(locks)

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Stop the report thread (the viewer quits) and release the folders. A report still
        running after ``timeout_ms`` (reading a large scan before it can be cancelled) is
        left to the process's end, which frees its locks (``flock``): releasing them here
        would remove a lock file while it still writes. What a stopped thread posted last is
        handled first, as at its end (:meth:`_on_finished`), while the case log is open: the
        report it wrote is logged, an earlier report it moved aside put back (before, a report
        written as the window closed was left on the disk with no ``report-exported``)."""
        if stop_within(self.worker, timeout_ms, "a report being written"):
            if self.worker is not None:
                self.worker.mailbox.stop()  # what the thread posted last
            self._release()
        elif self.worker is not None:
            self.worker.mailbox.rest()  # nothing more is delivered: the window is going away
