"""The batch dialog's scan thread: :class:`ScanJob` (what the dialog asks for) and
:class:`ScanWorker`, which runs it off the GUI thread with pause and cancel.

:class:`ScanWorker` is a ``QThread`` that lists the folder, builds its own
:class:`~engine.pipeline.Analyzer` (:func:`~engine.assembly.assemble_analyzer`, as the
command line does) and runs :func:`~forensic_viewer.scan.run.run_scan` into the output folder,
so a scan started in the dialog and one started with ``forensic-viewer scan`` write the same
files and can resume each other. Pause and cancel go through the ``cancel`` hook that
``run_scan`` polls between files and between window batches: pausing blocks the scan there (the
file in progress keeps its place; nothing is lost), resuming lets it go on, cancelling ends it
with every finished record kept. Starting again into the same output folder skips the finished
files. With "worker processes" N > 1 the thread runs
:func:`~forensic_viewer.scan.pool.run_pool_scan` instead (N processes, each assembling the same
models; the same files are written): Cancel stops the workers' analyses at once, Pause stops
handing out files and lets the ones being analysed finish, and no window progress is shown.
Rows are made on this thread; the dialog's slots only insert them.

The scan holds its output folder's lock (:class:`~forensic_viewer.scan.lock.OutputLock`) from
after the listing to its last file: a scan into a folder that another scan (the command line,
another dialog) is writing fails before any model loads, with a message naming that scan's PID
and start time; a folder without images, or whose every file is over the file-size or pixel
limit by its size or header (each listed under the message), is refused before the lock, so
nothing is made.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread

from engine.errors import ForensicError
from engine.io import IMAGE_SUFFIXES
from forensic_viewer.gui.batch_end import unread_note
from forensic_viewer.gui.mailbox import Mailbox
from forensic_viewer.gui.run_on import run_on_workers
from forensic_viewer.gui.workers import throttled
from forensic_viewer.scan.command import command_record, types_differ, viewer_scan_argv
from forensic_viewer.scan.failure import failure_line, is_unexpected
from forensic_viewer.scan.gone import gone_files
from forensic_viewer.scan.jobs import AUTO_JOBS, auto_jobs, files_to_analyse
from forensic_viewer.scan.lock import OutputLock
from forensic_viewer.scan.refused import refused_by_headers, refused_line
from forensic_viewer.scan.results import ResultIndex
from forensic_viewer.scan.run import ScanSummary
from forensic_viewer.scan.settings import unrecorded_end
from forensic_viewer.scan.triage import triage_row
from forensic_viewer.scan.upgrade import up_to_date_keys
from forensic_viewer.scan.walk import (
    Unread,
    no_images_line,
    output_holds_folder,
    scan_files,
    unread_record,
)

PROGRESS_INTERVAL = 0.1  # seconds between window-progress signals


@dataclass(frozen=True)
class ScanJob:
    """What the dialog asks for. models: checkpoint/ensemble files (empty: every installed)."""

    folder: Path
    out: Path
    recursive: bool = False
    suffixes: tuple[str, ...] = IMAGE_SUFFIXES
    models: tuple[str, ...] = ()
    device: str = "auto"
    faces: bool = True
    analyses: tuple[str, ...] = ()  # classic analyses run on every file as well
    exact: bool = False  # the paper's sliding-window path (the slow reference)
    # worker processes (forensic_viewer.scan.pool); 1: this process; AUTO_JOBS: as many as
    # scan.jobs.auto_jobs gives for the files found (one per core on the CPU for 30 or more)
    jobs: int = 1
    ray: str | None = None  # Ray actors (gui/run_on.py): "" a local instance, else its address
    gt: Path | None = None  # true masks to score the scan against (scan --gt; gui/truth_choice.py)

    def command(self) -> dict[str, Any]:
        """scan.json's ``run.command`` of this scan: the ``forensic-viewer scan`` a user could
        type for the same rows, marked as started from the viewer (scan/command.py)."""
        # "auto" is the command line's default; on Ray, 1 is every CPU (gui/run_on.py)
        jobs = (
            None
            if self.jobs == AUTO_JOBS or (self.ray is not None and self.jobs == 1)
            else self.jobs
        )
        argv = viewer_scan_argv(
            self.folder, self.out, models=self.models, device=self.device,
            recursive=self.recursive, faces=self.faces, analyses=self.analyses,
            exact=self.exact, jobs=jobs, ray=self.ray, gt=self.gt,
        )  # fmt: skip
        return command_record(argv, "viewer", differs=types_differ(self.suffixes))


class ScanWorker(QThread):
    """Runs one scan (listing, model loading, analysis) off the GUI thread.

    Messages (through :attr:`mailbox`, see :mod:`forensic_viewer.gui.mailbox` for why not signals),
    in order: ``listed(total, passed over, done earlier, masks, job, unread)`` (files found; files
    passed over as not images; files of the listing an earlier run into the output folder
    finished; ground-truth masks passed over, as ``scan --gt`` passes them over; the job, its
    ``auto`` worker count resolved; the line of each folder that could not be read, skipped), ``gone(files)``
    (:func:`~forensic_viewer.scan.gone.gone_files`), ``ready(names, ensemble or None, device)`` (models loaded), ``file(index,
    total, analysed, TriageRow, left)`` after every file (done, skipped because finished earlier, or
    failed; ``analysed``: to the end in this run; ``left``: files still to analyse, as far as
    known), ``windows(model, done, total)`` (progress within the current file), ``paused(bool)``
    when the scan really stops or goes on, with ground truth ``truth(lines, problems, labels)`` once
    a finished scan is scored (a cancelled one is scored when resumed to its end), and at the end
    exactly one of ``succeeded(ScanSummary)`` (``cancelled`` set when stopped) or
    ``failed(message[, files, summary, unrecorded, ended])`` (one line naming the file or
    folder; ``files``: each file's own line when the header check refused every one, before
    the lock and the models: :mod:`forensic_viewer.scan.refused`; once the run had begun its
    summary so far, and when scan.json could not record the failure the line saying so and
    the run's own record: :func:`~forensic_viewer.scan.settings.unrecorded_end`). ``finished`` (Qt's) comes last.
    """

    def __init__(self, job: ScanJob, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.job = job
        self.command = job.command()  # of the job as asked for: its "auto" not yet resolved
        self.mailbox = Mailbox(self)
        self._go = threading.Event()
        self._go.set()
        self._names: list[str] = []
        self._ensemble: str | None = None
        self._done_before: dict[str, str | None] = {}  # finished earlier: key -> SHA-256
        self._left = 0  # files of this run not finished earlier and not reported yet
        self._keys: list[str] = []  # the files of this run, as scan --gt scores them
        self._unread: dict[str, Any] | None = None  # what the listing could not read

    # --- called from any thread ---

    def pause(self) -> None:
        """Stop at the next window batch or file boundary (``pausedChanged(True)`` then)."""
        self._go.clear()

    def resume(self) -> None:
        self._go.set()

    @property
    def paused(self) -> bool:
        return not self._go.is_set()

    def cancel(self) -> None:
        """End the scan at the next window batch; finished files are kept for a resume."""
        self.requestInterruption()
        self._go.set()

    # --- the worker thread ---

    def _should_stop(self) -> bool:
        if not self._go.is_set() and not self.isInterruptionRequested():
            self.mailbox.post("paused", True)
            while not self._go.wait(0.1):
                if self.isInterruptionRequested():
                    break
            self.mailbox.post("paused", False)
        return self.isInterruptionRequested()

    def _on_file(self, index: int, total: int, record: dict[str, Any]) -> None:
        row = triage_row(record, self._names, self._ensemble, self.job.analyses)
        # analysed to the end now (as the summary counts them): new, or finished before but
        # changed since; a skipped file's row is its earlier one, which may hold ``replaces``
        # from the run that re-analysed it, and a failure (retried or not) is no analysis
        fresh = row.key not in self._done_before
        changed = not fresh and self._done_before[row.key] != record.get("sha256")
        analysed = row.status == "ok" and (fresh or changed)
        if fresh:
            self._left -= 1
        self._keys.append(row.key)
        self.mailbox.post("file", index, total, analysed, row, max(0, self._left))

    def _on_ready(
        self, names: list[str], ensemble: str | None, device: str, face_models: list[str]
    ) -> None:
        self._names = list(names)
        self._ensemble = ensemble
        self.mailbox.post("ready", list(names), ensemble, device, list(face_models))

    def run(self) -> None:
        job = self.job
        try:
            if not job.folder.is_dir():
                raise ForensicError(job.folder, "not a folder")
            if (why := output_holds_folder(job.folder, job.out)) is not None:
                raise ForensicError(job.folder, why)
            truth = None
            if job.gt is not None:  # read before any analysis: a wrong path costs no time
                from forensic_viewer.scan.groundtruth import read_truth

                truth = read_truth(job.gt)
            left_out: list[Path] = []
            unread: list[Unread] = []
            outputs: list[Path] = []  # other scans' output folders in it: not evidence
            files = scan_files(
                job.folder, job.recursive, job.suffixes, job.out, left_out, unread, outputs
            )
            unread_lines = [u.line() for u in unread]
            # scan.json's run.unread and run.passed_over, the case log's
            self._unread = unread_record(unread, left_out, job.folder)
            masks: list[Path] = []
            if truth is not None:  # what the images are scored against, as scan --gt
                from forensic_viewer.scan.groundtruth import without_masks

                files, masks = without_masks(files, truth)
            # no images: refused before the lock makes the output folder (nothing is left
            # behind) and before any model loads, as the command line does
            if not files:  # with the folders that could not be read, which may be why
                raise ForensicError(None, self._no_images(bool(masks)) + unread_note(unread_lines))
            # every file over a limit by its size or header: refused as the command line
            # refuses it, before the lock and the models (scan/refused.py)
            if refusals := refused_by_headers(files, job.out):
                self.mailbox.post("failed", refused_line(job.folder, len(refusals)), refusals)
                return
            # the lock before the models: a scan already writing there is named at once,
            # before the models take their time
            with OutputLock(job.out, command="the viewer's batch scan") as lock:
                index = ResultIndex(job.out)
                # rows holding an older analysis version are work left (scan/upgrade.py)
                self._done_before = {k: index.sha256(k) for k in up_to_date_keys(index)}
                self._left = files_to_analyse(files, self._done_before)
                if job.jobs == AUTO_JOBS and job.ray is None:
                    # a resume skips the files finished earlier: counted once, when it began
                    self.job = job = replace(job, jobs=auto_jobs(self._left, job.device))
                self.mailbox.post(
                    "listed", len(files), len(left_out), len(files) - self._left, len(masks), job,
                    unread_lines, len(outputs), self._unread,
                )  # fmt: skip
                # rows of files an earlier run analysed that have left the folder since: said
                # once the run has begun, as the command line says them (a scan refused for
                # its settings, a folder at a new path, is no run: nothing left its folder)
                gone = gone_files(index, (k for _, k in files), job.folder)
                try:
                    summary = self._scan(files, lock)
                except Exception as e:
                    if getattr(e, "summary", None) is not None:
                        self.mailbox.post("gone", gone)
                    raise
                self.mailbox.post("gone", gone)
                if truth is not None and not summary.cancelled:
                    from forensic_viewer.gui.truth_choice import score_scan

                    self.mailbox.post("truth", *score_scan(job.out, truth, self._keys))
        except Exception as e:  # the command line's one line (scan/failure.py)
            if is_unexpected(e):  # a bug: logged by the one hook, the dialog carries on
                sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
            # once the run had begun, the exception carries its summary so far (the case log's)
            # and, when scan.json could not record the failure, its line and the run's record
            message, summary = failure_line(e, job.out, job.folder), getattr(e, "summary", None)
            unrecorded = getattr(e, "unrecorded", None)
            self.mailbox.post("failed", message, (), summary, unrecorded, unrecorded_end(e))
        else:
            self.mailbox.post("succeeded", summary)

    def _no_images(self, masks: bool) -> str:
        """The command line's line for a folder without images, in the dialog's words."""
        job = self.job
        return no_images_line(
            str(job.folder),
            recursive=job.recursive,
            suffixes=job.suffixes,
            masks="ground-truth masks" if masks else "",
            sub_folders="include sub-folders",
        )

    def _scan(self, files: list[tuple[Path, str]], lock: OutputLock) -> ScanSummary:
        """In this process, or with worker processes each assembling the same models."""
        from forensic_viewer.scan.pool_worker import AnalyzerRecipe
        from forensic_viewer.scan.run import run_scan

        job = self.job
        if job.jobs == AUTO_JOBS:  # left so by run() only on Ray: every CPU Ray has (run_on.py)
            job = replace(job, jobs=1)
        recipe = AnalyzerRecipe(
            models=tuple(job.models), device=job.device, faces=job.faces, exact=job.exact
        )
        common: dict[str, Any] = {
            "source": str(job.folder.resolve()),
            "total": len(files),
            "on_file": self._on_file,
            "cancel": self._should_stop,
            "lock": lock,
            "analyses": job.analyses,
            "command": self.command,
            "unread": self._unread,
        }
        if job.jobs > 1 or job.ray is not None:  # worker processes, or Ray actors
            return run_on_workers(job, files, recipe, self._on_ready, common)
        analyzer = recipe.build()  # engine.assembly.assemble_analyzer, as the command line
        self._on_ready(
            analyzer.names,
            getattr(analyzer.ensemble, "name", None),
            str(analyzer.device),
            [m.name for m in analyzer.face_models],
        )
        windows = throttled(
            lambda p: self.mailbox.post("windows", p.stage, p.done, p.total), PROGRESS_INTERVAL
        )
        return run_scan(files, analyzer, job.out, progress=windows, **common)
