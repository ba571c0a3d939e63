"""The viewer's side of the case audit log: what the analyst does goes into ``audit.jsonl``.

:class:`CaseRecorder` listens to the window instead of living in it: the analysis worker's
signals (a file decoded and hashed: ``evidence-opened`` then ``analysis-started`` with the
models, device and path chosen when it was asked for, the ones it runs with; a file decoded
only to be shown again, ``evidence-opened`` alone;
``analysis-finished`` with every model's checkpoint SHA-256, θ, pixel threshold, verdict and
score; failed; cancelled, with what the cancel kept: the
finished models and the running one's share computed), the classic analyses' results
(names, parameters, scores), a ground-truth mask loaded (``truth-loaded``), the mask layers' ``threshold`` events, and the report dialog's
``written`` signal (each file with its SHA-256, and the head hash the report printed), and the
batch dialog's scans (``scan-started``, ``scan-finished`` as :mod:`forensic_viewer.casework`
words them for the command line) and reports, and File ▸ Open scan results… (the folder opened,
``folder-opened``; an edited results.jsonl accepted or not for its report, ``results-edited``;
its reports). Its
"Case" menu adds a note (:class:`NoteDialog`), exports the selected layer as drawn (a PNG,
logged with its SHA-256) and shows the log with its verification.

Threshold sliders emit an event per step; an entry per step would bury the log. A change is
therefore logged once the layer's threshold has rested for :data:`THRESHOLD_SETTLE_MS` (from,
to), and any change still waiting is logged when the window closes, another image is shown,
a layer is exported or a report written (before them: they are drawn at it);
a crash within that half second loses that one change (nothing already logged is lost).
With no log (the case folder could not be opened: a read-only per-user folder, a broken
chain), the menu says why, the status bar says "Not logged" for as long as the window is open,
and nothing is recorded. A write that fails (a full disk) is said in one line, goes to the
viewer's log file with the entry not written, and leaves the same lasting "Not logged" mark,
its tooltip counting the actions not logged; the window carries on.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from engine.files import AtomicFile
from engine.types import Analysis, Evidence, ModelResult
from forensic_viewer.audit import (
    Action,
    AuditEntry,
    AuditError,
    AuditLog,
    file_sha256,
    jsonable,
    verify_log,
)
from forensic_viewer.audit_show import describe
from forensic_viewer.casework import (
    case_recorded_end,
    probe_details,
    report_details,
    scan_failed_details,
    scan_finished_details,
    scan_started_details,
)
from forensic_viewer.events import Event, Subscriptions
from forensic_viewer.gui.case_results import CaseResults
from forensic_viewer.gui.tips import tip_text
from forensic_viewer.layer_base import Layer
from forensic_viewer.layer_export import NotDrawn, layer_bgra, layer_png, layer_settings
from forensic_viewer.layer_memory import Reset
from forensic_viewer.layers import LayerList
from forensic_viewer.model_layers import MaskLayer
from forensic_viewer.scan.jobs import AUTO_JOBS
from forensic_viewer.wording import plain

if TYPE_CHECKING:
    from forensic_viewer.gui.batch_dialog import BatchDialog, ScanJob
    from forensic_viewer.gui.report_dialog import ReportDialog
    from forensic_viewer.gui.scan_results import ScanResultsDialog
    from forensic_viewer.gui.unread import UnreadFile
    from forensic_viewer.scan.truth_scores import TruthMask

log = logging.getLogger(__name__)
THRESHOLD_SETTLE_MS = 500  # a threshold unchanged this long is logged (see the docstring)


def model_details(r: ModelResult) -> dict[str, Any]:
    """What the log keeps of one model's result: enough to say which weights decided what."""
    return {
        "checkpoint": r.checkpoint,
        "checkpoint_sha256": r.checkpoint_sha256,
        "architecture": r.architecture,
        "threshold": r.threshold,
        "pixel_threshold": r.pixel_threshold,
        "verdict": r.verdict,
        "score": r.score,
        "probability": r.probability,
        "forged_fraction": r.forged_fraction,
        "input_policy": r.input_policy,
        "device": r.device,
        "precision": r.precision,
    }


class NoteDialog(QDialog):
    """Case ▸ Add a note…: free text, appended to the log on OK (empty notes are not)."""

    def __init__(self, parent: QWidget | None, subject: str) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a note to the case log")
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText("what you saw, checked or decided")
        self.text.setAccessibleName("note")  # a placeholder is no name for a screen reader
        self.text.setTabChangesFocus(True)  # Tab goes on to OK: it typed a tab, and held
        self.subject = subject  # the image it is about ("": the case)
        about = QLabel(f"about: {subject}" if subject else "about the case")
        about.setTextFormat(Qt.TextFormat.PlainText)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addWidget(self.text)
        layout.addWidget(buttons)


class CaseRecorder(QObject):
    """Records the window's examination actions in ``log`` (None: records nothing)."""

    def __init__(self, window: Any, log: AuditLog | None, problem: str = "") -> None:
        """``window``: the :class:`~forensic_viewer.gui.main_window.MainWindow` (not imported:
        it imports this module); ``problem``: why there is no ``log`` (the line of
        :func:`~forensic_viewer.gui.app.open_case_log`), "" when none was asked for."""
        super().__init__(window)
        self.window = window
        self.log = log
        self.problem = problem
        self.not_logged: QLabel | None = None  # the status bar's mark: no log, or a write failed
        self._failed = 0  # actions whose entry could not be written (a full disk)
        self.note_dialog: NoteDialog | None = None  # the one open (None: none)
        self._scans: dict[BatchDialog, ScanJob | None] = {}  # batch dialog -> its last scan
        # cancelled job -> its path, until its kept part (or the failure to build it) arrives
        self._kept: dict[int, str | None] = {}
        # job -> its path, from its analysis-started until its end is logged (close() ends them)
        self._started: dict[int, str] = {}
        # the jobs a Cancel had stopped when the window began to close (closing()), else None
        self._cancelled_before_close: set[int] | None = None
        self._unread: dict[int, UnreadFile] = {}  # a file that did not decode, until it fails
        self._layers: LayerList | None = None
        self._layers_path: str | None = None  # the evidence file the watched layers belong to
        self._subs = Subscriptions()
        self._known: dict[MaskLayer, float] = {}  # threshold last logged (or first seen)
        self._pending: dict[MaskLayer, float] = {}  # threshold now, waiting to settle
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(THRESHOLD_SETTLE_MS)
        self._settle.timeout.connect(self.flush_thresholds)
        self._worker_slots: tuple[tuple[Any, Callable[..., None]], ...] = (
            (window.worker.loaded, self._on_loaded),
            (window.worker.succeeded, self._on_succeeded),
            (window.worker.unreadable, self._on_unreadable),
            (window.worker.failed, self._on_failed),
            (window.worker.cancelled, self._on_cancelled),
            (window.worker.kept, self._on_kept),
        )
        for signal, slot in self._worker_slots:
            signal.connect(slot)
        panel = window.analysis_panel
        shown = panel.on_results  # the window's handler first, then the log

        def on_classic(path: str, results: Mapping[str, Any]) -> None:
            if shown is not None:
                shown(path, results)
            self._on_classic(path, results)

        panel.on_results = on_classic
        self._build_menu()
        self.results = CaseResults(window, log)  # each finished analysis kept in the case

    # --- the Case menu ---

    def _build_menu(self) -> None:
        menu = self.window.menuBar().addMenu("&Case")
        if self.log is not None:
            where = f"log: {self.log.path}"
        else:  # why not, when a log was asked for and could not be opened
            where = self.problem or "no case log (see docs/AUDIT.md)"
        menu.addAction(plain(where).replace("&", "&&")).setEnabled(False)  # where it is recorded
        menu.addSeparator()
        self.note_action = self._add(menu, "Add a &note…", self.open_note_dialog, "Ctrl+Shift+N")
        self.export_action = self._add(
            menu, "E&xport the selected layer as drawn…", self._pick_export
        )
        self.export_action.setEnabled(False)  # until a layer is selected (watch)
        self.show_action = self._add(menu, "&Show and verify the case log…", self.show_log)
        self.note_action.setEnabled(self.log is not None)
        self.show_action.setEnabled(self.log is not None)
        if self.log is None:
            menu.setToolTip("no case log: start with --case DIR (see docs/AUDIT.md)")
            menu.setToolTipsVisible(True)
            self._say_not_logged()

    def _say_not_logged(self, why: str = "") -> None:
        """A mark in the status bar for as long as the window is open, without a log or once a
        write to it failed (``why``): the one line said (why the log could not be opened, or
        written: a full disk) went at the next status message, and the examination then went
        unrecorded with nothing on the screen saying so."""
        if not why:
            why = self.problem or (
                "no case audit log: no case folder; start with --case DIR (see docs/AUDIT.md)"
            )
        mark = self.not_logged
        if mark is None:
            mark = QLabel("Not logged")  # short: the status bar's messages keep their room
            mark.setAccessibleName("Case log")
            self.window.statusBar().addPermanentWidget(mark)
            self.not_logged = mark
        said = plain(why)
        mark.setToolTip(tip_text(said))
        mark.setAccessibleDescription(said)

    def _add(self, menu: QMenu, text: str, slot: Callable[[], object], key: str = "") -> QAction:
        action = QAction(text, self.window)
        if key:
            action.setShortcut(QKeySequence(key))
        action.triggered.connect(lambda _checked=False: slot())
        self.window.addAction(action)  # the shortcut works with the menu closed
        menu.addAction(action)
        return action

    def open_note_dialog(self) -> NoteDialog | None:
        """Show the note dialog (not modal); OK appends the note."""
        if self.log is None:
            return None
        subject = self.window.current or ""
        dialog = NoteDialog(self.window, subject)
        dialog.accepted.connect(lambda: self.add_note(dialog.text.toPlainText(), subject))
        dialog.finished.connect(dialog.deleteLater)
        # the attribute let go with the dialog: it held a deleted C++ object once it closed
        dialog.finished.connect(lambda _result: self._forget_note_dialog(dialog))
        dialog.show()
        self.note_dialog = dialog
        return dialog

    def _forget_note_dialog(self, dialog: NoteDialog) -> None:
        if self.note_dialog is dialog:  # not a later one opened while it was open
            self.note_dialog = None

    def add_note(self, text: str, subject: str | None = None, **marks: bool) -> AuditEntry | None:
        """A note about ``subject`` (the image shown when None), with that image's SHA-256;
        ``marks``: how it was added, when not by its OK (``gui/window_closing.py``)."""
        if not text.strip():
            return None
        path = self.window.current if subject is None else subject
        details: dict[str, Any] = {"text": text, **marks}
        if path:
            entry = self.window.entries.get(path)
            details["path"] = path
            if entry is not None and entry.evidence is not None:
                details["sha256"] = entry.evidence.sha256
        return self.append(Action.NOTE, details)

    def _pick_export(self) -> None:
        layer = None if self.window.layers is None else self.window.layers.selected
        if layer is None:
            self.window.show_error("select a layer in the Layers panel to export it")
            return
        name = f"{Path(self.window.current or 'layer').stem}.{layer.name}.png".replace(" ", "_")
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Export the layer as drawn", str(Path.home() / name), "PNG (*.png)"
        )
        if path:
            self.export_layer(layer, Path(path))

    def export_layer(self, layer: Layer, path: Path) -> AuditEntry | None:
        """Write ``layer`` as the canvas draws it now (RGBA PNG, one pixel per evidence pixel,
        alpha not premultiplied) and log the file with its SHA-256 and the layer's settings.
        The PNG says what shaped it, and a mask is drawn with its outlines
        (:mod:`forensic_viewer.layer_export`). A map of one value per cell of pixels (a JPEG
        ghost's, the noise level's) is written at the evidence's size, cell by cell as drawn:
        written as its cells, it was not a whole number of times smaller than the evidence,
        and stretched over it, it did not line up. A threshold change still settling is logged first: the export is drawn at
        it, and was logged before it."""
        self.flush_thresholds()
        image = None if self.window.layers is None else self.window.layers.image
        if image is None:
            self.window.show_error(f"{layer.name}: no image shown to export it over")
            return None
        try:
            bgra = layer_bgra(layer, image.shape)
        except NotDrawn as e:
            self.window.show_error(str(e))
            return None
        evidence = self._evidence(self.window.current)
        settings = layer_settings(layer)
        about = {"layer": layer.name, "kind": layer.kind, "model": layer.model, **settings}
        try:
            png = layer_png(bgra, {**about, "evidence_sha256": evidence["sha256"]})
            with AtomicFile(path, "wb") as f:
                assert f.file is not None
                f.file.write(png)
        except OSError as e:
            self.window.show_error(f"{path}: cannot export the layer ({e})")
            return None
        details = {"file": str(path), "file_sha256": file_sha256(path), **about, **evidence}
        self.window.statusBar().showMessage(f"layer {layer.name} exported to {path}")
        return self.append(Action.LAYER_EXPORTED, details)

    def show_log(self) -> QDialog | None:
        """Case ▸ Show and verify: the verdict first, then every entry on one line."""
        if self.log is None:
            return None
        self.flush_thresholds()
        result = verify_log(self.log.path)
        dialog = QDialog(self.window)
        dialog.setWindowTitle("Case audit log")
        text = QPlainTextEdit()
        text.setReadOnly(True)
        text.setPlainText("\n".join([result.message(), "", *map(describe, result.entries)]))
        layout = QVBoxLayout(dialog)
        layout.addWidget(text)
        dialog.resize(900, 500)
        dialog.show()
        return dialog

    # --- recording ---

    def append(self, action: str, details: Mapping[str, Any]) -> AuditEntry | None:
        """Append, or say in the status bar why not (the window carries on)."""
        if self.log is None:
            return None
        try:
            return self.log.append(action, details)
        except AuditError as e:
            self.entry_not_logged(e, action, details)
            return None

    def entry_not_logged(self, e: AuditError, action: str, details: Mapping[str, Any]) -> None:
        """An entry the log did not take: said, kept in the viewer's log, marked lasting."""
        self._failed += 1
        log.error("not logged: %s; the entry: %s %s", e, action, json.dumps(jsonable(details)))
        self.window.show_error(f"not logged: {e}")
        first = "1 action" if self._failed == 1 else f"{self._failed} actions"
        self._say_not_logged(f"{first} of this window not in the case log, the last: {e}")

    def _evidence(self, path: str | None) -> dict[str, Any]:
        entry = None if path is None else self.window.entries.get(path)
        sha = None if entry is None or entry.evidence is None else entry.evidence.sha256
        return {"path": path, "sha256": sha}

    def _on_loaded(self, job: int, evidence: Evidence) -> None:
        details = {
            "path": evidence.path,
            "sha256": evidence.sha256,
            "file_size": evidence.file_size,
            "format": evidence.format,
            "width": evidence.width,
            "height": evidence.height,
        }
        if evidence.fs_times is not None:  # as a scan's row records them (evidence.fs_times)
            details["fs_times"] = evidence.fs_times.to_json()
        self.append(Action.EVIDENCE_OPENED, details)
        w = self.window
        asked = w.job_models(job)  # those chosen when the file was opened: the ones it runs with
        if asked is None:  # decoded only to be shown: opened, no analysis started
            return
        if asked.get("models") or w.model_names:
            self._started[job] = evidence.path
            self.append(
                Action.ANALYSIS_STARTED,
                {"path": evidence.path, "sha256": evidence.sha256, **asked},
            )

    def _on_succeeded(self, job: int, analysis: Analysis) -> None:
        self._started.pop(job, None)
        if not analysis.results and analysis.ensemble is None:
            return  # no model: the file was only shown (evidence-opened says so)
        ens = analysis.ensemble
        self.append(
            Action.ANALYSIS_FINISHED,
            {
                "path": analysis.evidence.path,
                "sha256": analysis.evidence.sha256,
                "seconds": round(analysis.seconds, 3),
                "models": {k: model_details(r) for k, r in analysis.results.items()},
                "ensemble": None if ens is None else {ens.name: model_details(ens)},
                "faces": len(analysis.faces),
            },
        )
        self.results.keep(analysis)  # written in the case folder: a restart reopens it

    def _on_unreadable(self, job: int, unread: UnreadFile) -> None:
        self._unread[job] = unread  # its failure follows

    def _on_failed(self, job: int, message: str) -> None:
        """A failure (with the SHA-256 and size of the bytes tried when the file did not
        decode, and the file-system times found before the read when the loader took them, as
        an error row's header records them); after a cancel whose kept part could not be
        built, the cancel first (it happened, and kept nothing)."""
        self._started.pop(job, None)
        if job in self._kept:
            self.append(Action.ANALYSIS_CANCELLED, {"path": self._kept.pop(job)})
        details: dict[str, Any] = {"path": self.window._job_paths.get(job), "error": message}
        unread = self._unread.pop(job, None)
        if unread is not None and unread.sha256 is not None:
            details["sha256"] = unread.sha256
            details["file_size"] = unread.size
            if unread.fs_times is not None:
                details["fs_times"] = unread.fs_times.to_json()
        self.append(Action.ANALYSIS_FAILED, details)

    def _on_cancelled(self, job: int) -> None:
        """One entry per cancel; when the cancel kept something (it follows, ``kept``), the
        entry waits for it and lists it: the finished models as a finished analysis logs them,
        and the running model's share of the image computed (no verdict)."""
        self._started.pop(job, None)
        path = self.window._job_paths.get(job)
        if self.window.worker.keeping(job):
            self._kept[job] = path
            return
        self.append(Action.ANALYSIS_CANCELLED, {"path": path, **self._closed_reason(job)})

    def _closed_reason(self, job: int) -> dict[str, str]:
        """``reason`` of the cancel of ``job`` when the window's closing stopped it, not a
        Cancel before."""
        before = self._cancelled_before_close
        return {} if before is None or job in before else {"reason": "the window closed"}

    def _on_kept(self, job: int, kept: Analysis) -> None:
        self._started.pop(job, None)
        path = self._kept.pop(job, self.window._job_paths.get(job))
        details: dict[str, Any] = {"path": path, "sha256": kept.evidence.sha256}
        details["kept"] = {
            "models": {k: model_details(r) for k, r in kept.results.items()},
            "partial": {
                k: {"fraction": p.fraction, "verdict": None} for k, p in kept.partial.items()
            },
        }
        self.append(Action.ANALYSIS_CANCELLED, details)

    def log_folder_opened(self, folder: str, files: int, left_out: int) -> AuditEntry | None:
        """A folder opened (File ▸ Open Folder…, a drop, the command line, Open Recent): its
        path, the images opened from directly inside it, and its subfolders that hold
        something, which are not opened (``file_menu.unopened_subfolders``)."""
        details = {"path": folder, "files": files, "subfolders_not_opened": left_out}
        return self.append(Action.FOLDER_OPENED, details)

    def log_truth(self, path: str, sha256: str, truth: TruthMask) -> AuditEntry | None:
        """``truth-loaded``: a ground-truth mask loaded for the evidence ``path`` (File ▸ Load
        ground-truth mask…, or dropped), with both files' SHA-256. The Ground truth panel and
        the report score the maps against it, and nothing in the log named it (a walk-through
        of 2026-12-06): ``mask`` beside ``mask_sha256`` is a file ``audit verify --files``
        checks."""
        details: dict[str, Any] = {
            "path": path,
            "sha256": sha256,
            "mask": os.path.realpath(truth.file) if truth.file else None,
            "mask_sha256": truth.sha256,
            "tampered": truth.label,
        }
        if truth.warnings:  # as the panel says them (a faint mask read as empty, ...)
            details["warnings"] = list(truth.warnings)
        return self.append(Action.TRUTH_LOADED, details)

    def log_probe(self, table: Mapping[str, Any], kept: Path | None = None) -> AuditEntry | None:
        """A robustness probe run from the viewer (its table: ProbeResult.to_dict(); kept:
        the file it was kept in, in the scan folder of a file opened from a scan)."""
        return self.append(Action.PROBE_RUN, probe_details(table, kept))

    def _on_classic(self, path: str, results: Mapping[str, Any]) -> None:
        self.append(
            Action.CLASSIC_ANALYSES,
            {
                "path": path,
                "analyses": {
                    name: {
                        "sha256": r.evidence_sha256,
                        "params": dict(r.params),
                        "score": r.score,
                        "seconds": round(r.seconds, 3),
                    }
                    for name, r in results.items()
                },
            },
        )

    # --- thresholds ---

    def watch(self, layers: LayerList | None) -> None:
        """Follow the mask layers of ``layers`` (the list the window shows now)."""
        self.flush_thresholds()
        self._subs.clear()
        self._known.clear()
        self._layers, self._layers_path = layers, self.window.current
        self._on_selected()
        if layers is None:
            return
        self._subs.on(layers.events.selected, self._on_selected)
        self._subs.on(layers.events.inserted, self._on_inserted)
        self._subs.on(layers.events.removed, self._on_removed)
        for layer in layers:
            self._follow(layer)

    def _on_selected(self, _event: Event | None = None) -> None:
        """Export the selected layer only when there is one (it was enabled with no image)."""
        layers = self._layers
        self.export_action.setEnabled(layers is not None and layers.selected is not None)

    def _follow(self, layer: Layer) -> None:
        if isinstance(layer, MaskLayer) and layer not in self._known:
            self._known[layer] = layer.threshold
            self._subs.on(layer.events.threshold, self._on_threshold)

    def _on_inserted(self, event: Event) -> None:
        self._follow(event.value)

    def _on_removed(self, event: Event) -> None:
        self._pending.pop(event.value, None)
        if event.value in self._known:
            event.value.events.threshold.disconnect(self._on_threshold)
            del self._known[event.value]

    def _on_threshold(self, event: Event) -> None:
        self._pending[event.source] = float(event.value)
        self._settle.start()

    def flush_thresholds(self) -> None:
        """Log every threshold change that is still waiting to settle."""
        self._settle.stop()
        pending, self._pending = self._pending, {}
        for layer, value in pending.items():
            before = self._known.get(layer, layer.calibrated_threshold)
            if abs(value - before) < 1e-12:
                continue
            self._known[layer] = value
            self.append(
                Action.THRESHOLD_CHANGED,
                {
                    **self._evidence(self._layers_path),
                    "layer": layer.name,
                    "model": layer.model,
                    "from": before,
                    "to": value,
                    "calibrated": layer.calibrated_threshold,
                },
            )

    def log_resets(self, path: str, resets: Sequence[Reset]) -> None:
        """Masks built anew at their calibrated threshold where the analyst had moved it (the
        file's bytes or the model's calibration changed, ``layer_memory.py``): each logged as
        a ``threshold-changed`` with its ``reason``, and said in the status bar, since the
        log's last word on it was the moved threshold."""
        said = []
        for reset in resets:
            layer = reset.layer
            self.append(
                Action.THRESHOLD_CHANGED,
                {
                    **self._evidence(path),
                    "layer": layer.name,
                    "model": layer.model,
                    "from": reset.was,
                    "to": layer.threshold,
                    "calibrated": layer.calibrated_threshold,
                    "reason": f"reset to the {layer.own_threshold} threshold: {reset.why}",
                },
            )
            said.append(
                f"{layer.name}: threshold back at its {layer.own_threshold} {layer.threshold:g} "
                f"(was {reset.was:g}): {reset.why}"
            )
        self.window.statusBar().showMessage(plain("; ".join(said)))

    # --- reports and closing ---

    def attach_report(self, dialog: ReportDialog) -> None:
        """Reports written from ``dialog`` print the log's head and are logged."""
        if self.log is None or dialog.audit_log is self.log:
            return
        dialog.audit_log = self.log
        dialog.before_logging = self.flush_thresholds  # a move just made comes before the head
        dialog.written.connect(lambda paths: self._on_report(dialog, paths))

    def _on_report(self, dialog: ReportDialog, paths: Mapping[str, str]) -> None:
        """``report-exported``; a scan's report (of the batch dialog, Open scan results… or an
        image opened from a scan) with that scan's scan.json and its SHA-256, as the command
        line's report records it (the settings the report states; the dialog's recorded none,
        so ``audit verify --files`` did not check them)."""
        stamp = dialog.written_case.audit if dialog.written_case is not None else None
        details = report_details(paths, stamp, dialog.job.scan)
        self.append(Action.REPORT_EXPORTED, {"subject": dialog.job.title, **details})

    def attach_results(self, dialog: ScanResultsDialog) -> None:
        """File ▸ Open scan results…: the folder opened (``folder-opened``, read-only, with
        its results' SHA-256 as read), the analyst's answer about an edited results.jsonl
        (``results-edited``, as the command line's report logs it) and its reports are logged
        (before 2026-12-06 only its reports were)."""
        if self.log is None:
            return
        dialog.opened.connect(lambda details: self.append(Action.FOLDER_OPENED, details))
        dialog.resultsEdited.connect(lambda record: self.append(Action.RESULTS_EDITED, record))
        dialog.reportOpened.connect(self.attach_report)

    def attach_batch(self, dialog: BatchDialog) -> None:
        """Scans run from the batch dialog, and reports written from it, are logged."""
        if self.log is None or dialog in self._scans:
            return
        self._scans[dialog] = None
        log = self.log
        dialog.case_end = lambda out: case_recorded_end(log, out)  # a resume checks it too
        dialog.resultsEdited.connect(lambda record: self.append(Action.RESULTS_EDITED, record))
        dialog.scanStarted.connect(lambda job, n, u: self._on_scan_started(dialog, job, n, u))
        dialog.scanEnded.connect(lambda outcome: self._on_scan_ended(dialog, outcome))
        dialog.reportOpened.connect(self.attach_report)

    def _on_scan_started(
        self, dialog: BatchDialog, job: ScanJob, files: int | None, unread: Any = None
    ) -> None:
        """``scan-started`` as the command line writes it (``casework.scan_started_details``):
        the dialog's checked models are the models asked for, its scan a folder's."""
        self._scans[dialog] = job
        self.append(
            Action.SCAN_STARTED,
            scan_started_details(
                "batch dialog",
                source=job.folder,
                images=[],
                files=files,
                out=job.out,
                models_asked=job.models,
                device=job.device,
                exact=job.exact,
                analyses=",".join(job.analyses),
                jobs=None if job.jobs == AUTO_JOBS else job.jobs,  # AUTO only on Ray: its own
                recursive=job.recursive,
                gt=job.gt,
                command_line=job.command(),
                unread=unread,
            ),
        )

    def _on_scan_ended(self, dialog: BatchDialog, outcome: object) -> None:
        job = self._scans.get(dialog)
        if job is None:
            return
        if isinstance(outcome, str):  # the scan itself failed: counted once it had begun
            summary = getattr(dialog, "failed_summary", None)
            self.append(Action.SCAN_FINISHED, scan_failed_details(job.out, outcome, summary))
        else:
            gone = getattr(getattr(dialog, "run_end", None), "gone", ())  # said at its end too
            self.append(Action.SCAN_FINISHED, scan_finished_details(job.out, outcome, gone))

    def closing(self) -> None:
        """The window is about to stop its worker: the analyses a Cancel has stopped already
        are told from those the closing stops (their ``analysis-cancelled`` says ``reason``)."""
        worker, jobs = self.window.worker, self.window._job_paths
        self._cancelled_before_close = {j for j in jobs if worker.was_cancelled(j)}

    def close(self) -> None:
        """The window closes, its worker stopped: log what is waiting, end every analysis the
        log started, then let the log go.

        The worker's last signals (the running analysis's ``cancelled``, a file decoded as it
        stopped) are queued calls from its threads that the event loop would deliver after
        the window had gone, to a closed log: they are delivered here first. An analysis the
        log started that never reached an end (it waited in the queue, or its worker did not
        stop in time) is then logged cancelled by the closing; whatever the worker says
        after that is not logged (the log already ended it)."""
        self.flush_thresholds()
        if self._cancelled_before_close is None:
            self.closing()
        QCoreApplication.sendPostedEvents(self, QEvent.Type.MetaCall.value)
        for signal, slot in self._worker_slots:
            signal.disconnect(slot)
        self._worker_slots = ()  # a window closed twice
        for job, path in self._kept.items():  # cancels whose kept part never arrived
            self._started.pop(job, None)
            self.append(Action.ANALYSIS_CANCELLED, {"path": path})
        self._kept.clear()
        for job, path in self._started.items():  # never ran, or not stopped in time
            self.append(Action.ANALYSIS_CANCELLED, {"path": path, **self._closed_reason(job)})
        self._started.clear()
        self._subs.clear()
        self.results.close()  # the analyses still being written, and their entries, first
        if self.log is not None:
            self.log.close()
