"""The training dialog: train a network on the analyst's data from the viewer, with live curves.

Training runs only in child processes (``python -m trainer.cli ...`` through ``QProcess``), so a
crash or an out-of-memory in training never takes the viewer down, and the viewer never imports
torch training code. What a run is (the data check, one or two training stages, calibration,
installation), the arguments of each process, the run folder and its saved state are
:mod:`trainer.plan`; reading the trainer's JSON-lines progress (and saying its events in words)
is :mod:`trainer.progress`; the child process is :mod:`forensic_viewer.gui.trainer_process`.
This module holds the widgets and the curves (each loss term, the learning rate and the
validation figures per epoch, each figure with its own colour and marker in the legend), a
progress bar with ETA, a status line (step of the trainer's step total, the last validation's
figures) and a log of the events in words (their raw lines stay in the stage's
``progress.jsonl``).

Curves draw a marker at each point while they have few points (a short run's single step is
otherwise an invisible line of length zero). When a run stops, fails or finishes, the header and
the ETA say so instead of keeping the last "training" estimate. A finished model is not installed
at once: its review (:mod:`trainer.review`: steps trained, validation figures, θ, warnings for a
short or unvalidated run) is shown and the analyst installs it or leaves it in the run folder.

A run starts from the architecture's initial weights (with the pretrained-weights row) or
fine-tunes a model (the "start from" row, :mod:`forensic_viewer.gui.start_from`): the run is
then one ``fit --init`` stage (:attr:`trainer.plan.TrainingConfig.init`), the architecture is
the checkpoint's and locked, its window proposed, the pretrained-weights and configuration
rows disabled (the checkpoint holds both), and what stops it (a missing or unreadable file,
another architecture) is shown under the row. A face model's θ is then set by
``forensic-train face-model`` on the split's face crops instead of ``calibrate``.

Stop sends SIGTERM (``QProcess.terminate``): the trainer writes its last checkpoint and resume
file and exits; Resume runs the same command with ``--resume`` in the same run folder, also
after the viewer was closed: the list beside the output name offers the runs folder's stopped
and finished runs (:func:`trainer.runs.earlier_runs`), and picking one fills the form with its
saved settings. Resume is offered only for a run that was stopped before it
finished (its tooltip says why not otherwise). A Stop that reaches a stage which had just
finished (the trainer exits 143 all the same, saying so) leaves that stage finished, not
stopped (:func:`trainer.progress.finished_despite_stop`); one that reaches ``calibrate`` once
it has written this run's calibrated file leaves the run finished. Closing the dialog hides it;
a run goes on, and :attr:`TrainingDialog.notice` has the main window's status bar say so (and
that quitting the viewer stops it), then say when it has stopped, failed or finished.

Long file: about 1,200 lines, not the 700 the restructure aimed at, because everything left is Qt.
The settings form and its mapping to and from :class:`~trainer.plan.TrainingConfig` take ~330
lines (the "start from" list is a module of its own), the sequencing of a run's processes on
their ``finished`` signals (with the status, log and buttons each step updates) ~220, the
curves ~80. Cutting further would spread one dialog's widgets over several files without
making any of it usable without Qt.
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path
from typing import IO, Any

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QEventLoop, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QColor, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QProgressDialog,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from engine.devices import available_devices
from engine.errors import CheckpointError
from engine.files import open_append
from engine.formatting import format_duration
from engine.models.registry import list_models
from forensic_viewer.gui.panels import (
    INPUT_FOLDER,
    READ_ONLY,
    PanelScroll,
    name_form_fields,
    pick_output_folder,
    rows_height,
    tint,
)
from forensic_viewer.gui.screen_fit import fit_to_screen
from forensic_viewer.gui.start_from import StartFromBox
from forensic_viewer.gui.trainer_process import EXIT_CRASHED, EXIT_NOT_STARTED, TrainerProcess
from trainer.plan import (
    LAST_CHECKPOINT,
    PROGRESS_LOG,
    RESUME_NAME,
    RunState,
    Stage,
    TrainingConfig,
    assess,
    check_answer,
    default_pretrained,
    default_runs_dir,
    default_threads,
    family_batch_size,
    imagenet_shorthand,
    install_checkpoint,
    pretrained_field,
    readiness,
    two_stages,
    user_models_dir,
)
from trainer.progress import (
    EXIT_BUSY,
    EXIT_STOPPED,
    EXIT_USAGE,
    TrainingProgress,
    describe_event,
    epoch_text,
    figure_name,
    figure_words,
    finished_despite_stop,
    is_warning,
)
from trainer.review import InstallReview, review_checkpoint
from trainer.run_folder import RunLocked, probe_run_folders
from trainer.runs import EarlierRun, earlier_runs, proposed_name
from trainer.starting import read_starting_point

MARKED_POINTS = 50  # curves with at most this many points get a marker at each point
# Markers of the validation curves, one per figure in the order they first arrive (with the
# curve's own colour and the legend, so a figure is told apart even from a single point).
VAL_SYMBOLS = ("o", "t", "s", "d", "star", "p", "h", "t1", "+")
STOP_GRACE_MS = 120_000  # after Stop, how long the trainer may take to write its checkpoint
CHECK_TIMEOUT_MS = 120_000  # a data check that takes longer is killed and reported
REOPEN = "Models ▸ Train a model… shows it"  # where a closed dialog's run is found again
ERROR_COLOR = QColor(0xD0, 0x40, 0x40)  # a refusal, an error (made legible: panels.tint)
WARNING_COLOR = QColor(0xD0, 0x80, 0x00)  # warnings that do not stop the run
PROBLEM_COLOR = QColor(Qt.GlobalColor.red)  # a data check's problem in its list


def file_identity(path: Path) -> tuple[int, int, int] | None:
    """``path``'s inode, size and modification time (ns), None when it is not there: a file
    replaced (written anew through a temporary file) never has the identity it had."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def summarize_check(result: dict[str, Any], calibrates: bool | None = None) -> str:
    """One paragraph of counts from a ``forensic-train check --json`` answer; ``calibrates``:
    whether θ can be set after training (:meth:`TrainingConfig.can_calibrate`; None: the
    check's own ``calibration``)."""
    lines = [
        f"{result.get('tampered', 0)} tampered images, {result.get('masks', 0)} masks, "
        f"{result.get('authentic', 0)} authentic images"
        + (f", {result['unreadable']} unreadable" if result.get("unreadable") else "")
    ]
    for d in result.get("datasets", []):
        lines.append(
            f"  {Path(d['path']).name}: {d['tampered']} tampered, {d['masks']} masks, "
            f"{d['authentic']} authentic"
        )
    split = result.get("split")
    if split:
        lines.append(
            f"split: training {split['train_tampered']} tampered + {split['train_authentic']} "
            f"authentic, validation {split['val_tampered']} tampered + "
            f"{split['val_authentic']} authentic"
        )
        lines.append(
            "θ will be calibrated after training"
            if (result.get("calibration") if calibrates is None else calibrates)
            else "θ cannot be calibrated on this split (the default θ is kept)"
        )
    return "\n".join(lines)


# --- the dialog ------------------------------------------------------------------------------


def _set_points(
    curve: pg.PlotDataItem, x: list[float], y: list[float], symbol: str = "o", always: bool = False
) -> None:
    """Set a curve's points, with a marker at each while there are few (one point of a line
    is otherwise drawn as nothing), or ``always``."""
    curve.setData(x, y)
    pen = pg.mkPen(curve.opts["pen"])
    curve.setSymbolPen(pen)
    curve.setSymbolBrush(pen.color())  # the curve's own colour, not pyqtgraph's default blue
    curve.setSymbolSize(7 if always else 6)
    curve.setSymbol(symbol if always or len(x) <= MARKED_POINTS else None)


def _spin(low: int, high: int, value: int, special: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    if special:
        box.setSpecialValueText(special)
    return box


class _FormPane(QWidget):
    """The settings form in its scroll area, kept as tall as its wrapped lines need at its
    width: a scroll area gives it its minimum size hint, which Qt takes from wrapped labels at
    their unwrapped width, so the data check's counts (several wrapped lines) were clipped."""

    def event(self, event: QEvent) -> bool:  # Qt override
        handled = super().event(event)
        if event.type() in (QEvent.Type.LayoutRequest, QEvent.Type.Resize):
            layout = self.layout()
            if layout is not None and layout.hasHeightForWidth():
                self.setMinimumHeight(layout.heightForWidth(self.width()))
        return handled


class TrainingDialog(QDialog):
    """Choose architecture, data and settings; run, watch, stop, resume; install the model.

    Closing the dialog hides it; a run goes on in the background (the main window keeps the
    dialog). :meth:`shutdown` stops a run gracefully when the viewer quits.
    """

    modelInstalled = Signal(str)  # path of the checkpoint copied into the user models folder
    # what the main window says while the dialog is closed: the run goes on, or it has ended
    notice = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, runs_dir: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Train a model")
        self.check_result: dict[str, Any] | None = None
        self._set_aside: dict[int, str] = {}  # rows a chosen start emptied (_show_start)
        self._proposed = ""  # the output name last proposed (_propose_name), kept until typed over
        self._checked_args: list[str] | None = None  # check_argv of check_result
        self.state: RunState | None = None  # of the run being trained (or last trained)
        self.progress: TrainingProgress | None = None
        self.installed: Path | None = None
        self._phase = "idle"  # idle | train | calibrate
        self._stage: Stage | None = None
        self._stop_requested = False
        # the calibrated file as calibrate found it (None: none): one it leaves otherwise is
        # this run's, one left as it was is an earlier run's
        self._calibrated_before: tuple[int, int, int] | None = None
        self._events_file: IO[str] | None = None
        self._dirty = False
        self._header = "no run"  # the stage label without its ended state
        self.review: InstallReview | None = None  # of the model waiting to be installed
        self._pending: tuple[Path, str] | None = None  # (checkpoint, θ note) awaiting confirmation

        self._check_lines: list[str] = []  # what the running data check printed
        self.checker = TrainerProcess(self)
        self.checker.text.connect(self._check_lines.append)
        self.checker.finished.connect(self._on_check_finished)
        self.runner = TrainerProcess(self)
        self.runner.event.connect(self._on_event)
        self.runner.text.connect(self._on_text)
        self.runner.finished.connect(self._on_run_finished)
        self._check_timer = QTimer(self, singleShot=True, interval=300)
        self._check_timer.timeout.connect(self.validate_data)
        self._check_deadline = QTimer(self, singleShot=True, interval=CHECK_TIMEOUT_MS)
        self._check_deadline.timeout.connect(self.checker.kill)
        self._kill_timer = QTimer(self, singleShot=True, interval=STOP_GRACE_MS)
        self._kill_timer.timeout.connect(self._kill_after_grace)
        self._redraw_timer = QTimer(self, interval=250)
        self._redraw_timer.timeout.connect(self._redraw)
        self._redraw_timer.start()

        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.settings_pane = self._build_settings(runs_dir or default_runs_dir())
        # Start, Stop, Resume and the readiness line under the scrolled form, always in view:
        # at the end of the form they were below the fold at the dialog's own 1200x800
        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 0, 0)
        left_box.addWidget(self.settings_pane, 1)
        left_box.addLayout(self._run_row)
        left_box.addWidget(self.readiness_label)
        splitter.addWidget(left)
        splitter.addWidget(self._build_live())
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        # the settings at their full width (the plots take the rest, at least two fifths):
        # split evenly, the form was cut at its right edge (the start-from list, the Browse…
        # buttons) behind a horizontal scroll bar. A large font widens the form, and the
        # dialog with it: at 16 pt the form wanted more than three fifths of 1200 pixels and
        # its wrapped lines were cut at the right edge
        pane = self.settings_pane
        wanted = pane.widget().sizeHint().width() + pane.verticalScrollBar().sizeHint().width()
        wanted += 2 * pane.frameWidth()
        self.resize(max(1200, -(-wanted * 5 // 3)), 800)
        fit_to_screen(self)  # a small screen: the form at its least width, the plots the rest
        width = self.width()
        settings = max(min(wanted, width * 3 // 5), pane.minimumSizeHint().width())
        splitter.setSizes([settings, width - settings])
        self._on_arch_changed(self.arch.currentText())
        self.list_earlier_runs()
        self._update_buttons()

    # --- construction ---

    def _build_settings(self, runs_dir: Path) -> PanelScroll:
        form = QFormLayout()
        # a row too narrow for its label beside its field puts the label above (a small
        # screen at a large font), instead of a horizontal scroll bar
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.start_from = StartFromBox()
        self.start_from.changed.connect(self._on_start_changed)
        form.addRow("start from", self.start_from)
        self.start_note = QLabel()  # what stops fine-tuning the chosen checkpoint
        self.start_note.setTextFormat(Qt.TextFormat.PlainText)
        self.start_note.setWordWrap(True)
        tint(self.start_note, ERROR_COLOR)
        form.addRow("", self.start_note)
        self.arch = QComboBox()
        self.arch.addItems(list_models())
        self.arch.setCurrentText("crfd-net-compact")
        self.arch.currentTextChanged.connect(self._on_arch_changed)
        form.addRow("architecture", self.arch)
        self.stages_label = QLabel()
        self.stages_label.setWordWrap(True)
        form.addRow("", self.stages_label)
        self.model_config = QLineEdit()
        self.model_config.setPlaceholderText("KEY=VALUE … e.g. channels=16,32,64")
        form.addRow("configuration", self.model_config)
        self.pretrained = QLineEdit()
        self.pretrained.textChanged.connect(self._on_name_changed)
        self.pick_pretrained = QPushButton("…")
        self.pick_pretrained.setAccessibleName("Choose the pretrained weights file")
        self.pick_pretrained.clicked.connect(self._pick_pretrained)
        pretrained_row = QHBoxLayout()
        pretrained_row.addWidget(self.pretrained, 1)
        pretrained_row.addWidget(self.pick_pretrained)
        form.addRow("pretrained weights", pretrained_row)

        self.data_list = QListWidget()
        self.data_list.setMaximumHeight(rows_height(self.data_list, 5))
        self.data_list.model().rowsInserted.connect(self._data_changed)
        self.data_list.model().rowsRemoved.connect(self._data_changed)
        self.data_list.itemChanged.connect(self._data_changed)
        add_folder, add_json, remove = (
            QPushButton("Add folder…"),
            QPushButton("Add JSON…"),
            QPushButton("Remove"),
        )
        add_folder.clicked.connect(self._pick_folder)
        add_json.clicked.connect(self._pick_json)
        remove.clicked.connect(self._remove_data)
        buttons = QHBoxLayout()
        for b in (add_folder, add_json, remove):
            buttons.addWidget(b)
        data_box = QVBoxLayout()
        data_box.addWidget(self.data_list)
        data_box.addLayout(buttons)
        form.addRow("data", data_box)
        self.data_summary = QLabel(
            "add a Tp/+Gt/(+Au/) folder or a JSON list; FOLDER:0.5 weighs it"
        )
        self.data_summary.setTextFormat(Qt.TextFormat.PlainText)
        self.data_summary.setWordWrap(True)
        form.addRow("", self.data_summary)
        self.data_problems = QListWidget()
        self.data_problems.setMaximumHeight(rows_height(self.data_problems, 4))
        # each line whole, wrapped: a line is a file and then its problem, and the pane's width
        # showed the folder and cut the rest (what was wrong) behind a horizontal scroll bar
        self.data_problems.setWordWrap(True)
        self.data_problems.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.data_problems.setResizeMode(QListWidget.ResizeMode.Adjust)
        form.addRow("problems", self.data_problems)
        # the data check refuses masks that look inverted (most marking more than half of their
        # image); sets of large removals or inpainting do mark that much: the analyst says so
        # short: at 16 pt a longer text made the dialog wider than a small screen
        self.masks_as_given = QCheckBox("masks as given")
        self.masks_as_given.setToolTip(
            "--masks-as-given: forgeries may cover most of their image (large removals, "
            "inpainting); masks that look inverted are trained on as they are, and the run "
            "records it"
        )
        self.masks_as_given.toggled.connect(self._data_changed)
        form.addRow("", self.masks_as_given)

        self.val_fraction = QDoubleSpinBox()
        self.val_fraction.setRange(0.01, 0.9)
        self.val_fraction.setSingleStep(0.05)
        self.val_fraction.setValue(0.15)
        self.val_fraction.valueChanged.connect(self._data_changed)
        self.split_by = QComboBox()
        self.split_by.setAccessibleName("split by")  # its label beside it says "by" alone
        self.split_by.addItems(["auto", "source", "scene", "seed"])
        self.split_by.currentTextChanged.connect(self._data_changed)
        self.seed = _spin(0, 2**31 - 1, 0)
        self.seed.valueChanged.connect(self._data_changed)
        self.validate_each_epoch = QCheckBox("validate after every epoch")
        self.validate_each_epoch.setChecked(True)
        split_row = QHBoxLayout()
        split_row.addWidget(self.val_fraction)
        for text, control in (("by", self.split_by), ("seed", self.seed)):
            label = QLabel(text)
            label.setBuddy(control)  # names the control for screen readers
            split_row.addWidget(label)
            split_row.addWidget(control)
        form.addRow("validation share", split_row)
        form.addRow("", self.validate_each_epoch)

        self.epochs = _spin(1, 100_000, 100)
        self.max_steps = _spin(0, 100_000_000, 0, "no limit (all epochs)")
        self.batch_size = _spin(1, 4096, 4)
        self.window = _spin(16, 8192, 128)
        self.device = QComboBox()
        self.device.addItems(available_devices())
        self.threads = _spin(1, max(1, os.cpu_count() or 1), default_threads())
        form.addRow("epochs", self.epochs)
        form.addRow("max steps", self.max_steps)
        form.addRow("batch size", self.batch_size)
        form.addRow("window", self.window)
        form.addRow("device", self.device)
        form.addRow("CPU threads", self.threads)
        self.processes = _spin(1, max(1, os.cpu_count() or 1), 1)
        self.processes.setToolTip(
            "training processes (DistributedDataParallel through torchrun); the batch size is "
            "shared by them"
        )
        form.addRow("processes", self.processes)
        self.extra = QLineEdit()
        self.extra.setPlaceholderText("more fit arguments, e.g. --lr 2e-4 --aug full")
        form.addRow("more arguments", self.extra)

        self.name = QLineEdit()  # proposed by _propose_name once the architecture is set
        self.name.textChanged.connect(self._on_name_changed)
        # the runs folder's stopped and finished runs: a run stopped by quitting the viewer is
        # picked here, not found by retyping its name
        self.earlier = QComboBox()
        self.earlier.setAccessibleName("earlier runs")  # its tooltip describes it
        self.earlier.activated.connect(self._on_run_picked)
        self._earlier: list[EarlierRun] = []
        name_row = QHBoxLayout()
        name_row.addWidget(self.name, 1)
        name_row.addWidget(self.earlier)
        form.addRow("output name", name_row)
        self.runs_dir = QLineEdit(str(runs_dir))
        self.runs_dir.textChanged.connect(self._on_name_changed)
        self.runs_dir.textChanged.connect(self.list_earlier_runs)
        self.runs_dir.textChanged.connect(self._propose_name)
        pick_runs = QPushButton("…")
        pick_runs.setAccessibleName("Choose the runs folder")
        pick_runs.clicked.connect(self._pick_runs_dir)
        runs_row = QHBoxLayout()
        runs_row.addWidget(self.runs_dir, 1)
        runs_row.addWidget(pick_runs)
        form.addRow("runs folder", runs_row)
        name_form_fields(form)

        self.start_button = QPushButton("Start")
        self.stop_button = QPushButton("Stop")
        self.resume_button = QPushButton("Resume")
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.resume_button.clicked.connect(self.resume)
        self._run_row = QHBoxLayout()
        for b in (self.start_button, self.stop_button, self.resume_button):
            self._run_row.addWidget(b)
        self.readiness_label = QLabel()
        self.readiness_label.setTextFormat(Qt.TextFormat.PlainText)
        self.readiness_label.setWordWrap(True)

        inner = _FormPane()
        box = QVBoxLayout(inner)
        box.addLayout(form)
        box.addStretch(1)
        return PanelScroll(inner)  # as wide as the form at least, and scrolls up and down

    def _build_live(self) -> QWidget:
        self.stage_label = QLabel("no run")
        self.stage_label.setTextFormat(Qt.TextFormat.PlainText)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.eta_label = QLabel(f"ETA {format_duration(None)}")
        bar_row = QHBoxLayout()
        bar_row.addWidget(self.progress_bar, 1)
        bar_row.addWidget(self.eta_label)
        self.loss_plot = pg.PlotWidget(title="loss terms (by step)")
        self.lr_plot = pg.PlotWidget(title="learning rate (by step)")
        self.val_plot = pg.PlotWidget(title="validation (by epoch)")
        for plot in (self.loss_plot, self.val_plot):
            plot.addLegend(offset=(-10, 10))
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.lr_curve = self.lr_plot.plot(pen=pg.mkPen("y", width=2))
        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        # the running process's warnings (a --warmup longer than the run keeps the learning
        # rate small throughout): the run's length is known only once it has started, so the
        # trainer's own words are shown here, not lost in the log
        self.warnings_label = QLabel()
        self.warnings_label.setTextFormat(Qt.TextFormat.PlainText)
        self.warnings_label.setWordWrap(True)
        tint(self.warnings_label, WARNING_COLOR)
        self.warnings_label.setVisible(False)
        self.review_label = QLabel()
        self.review_label.setTextFormat(Qt.TextFormat.PlainText)
        self.review_label.setWordWrap(True)
        self.install_button = QPushButton("Install for the viewer")
        self.install_button.setToolTip("copy the model into the models folder: Models panel")
        self.discard_button = QPushButton("Do not install")
        self.discard_button.setToolTip("leave the model in its run folder only")
        self.install_button.clicked.connect(self.confirm_install)
        self.discard_button.clicked.connect(self.discard_install)
        self.review_box = QWidget()
        review_buttons = QHBoxLayout()
        review_buttons.addWidget(self.install_button)
        review_buttons.addWidget(self.discard_button)
        review_buttons.addStretch(1)
        review_layout = QVBoxLayout(self.review_box)
        review_layout.setContentsMargins(0, 0, 0, 0)
        review_layout.addWidget(self.review_label)
        review_layout.addLayout(review_buttons)
        self.review_box.setVisible(False)
        self.log = QPlainTextEdit()
        self.log.setAccessibleName("training log")
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(5000)
        plots = QSplitter(Qt.Orientation.Vertical)
        for w in (self.loss_plot, self.lr_plot, self.val_plot, self.log):
            plots.addWidget(w)
        live = QWidget()
        box = QVBoxLayout(live)
        box.addWidget(self.stage_label)
        box.addLayout(bar_row)
        box.addWidget(self.status)
        box.addWidget(self.warnings_label)
        box.addWidget(self.review_box)
        box.addWidget(plots, 1)
        return live

    # --- settings ---

    def config(self) -> TrainingConfig:
        """The configuration the widgets show now."""
        try:
            extra = shlex.split(self.extra.text())
        except ValueError:
            extra = self.extra.text().split()
        return TrainingConfig(
            name=self.name.text().strip(),
            arch=self.arch.currentText(),
            data=self.data_paths(),
            runs_dir=self.runs_dir.text().strip(),
            model_config=self.model_config.text().split() if self.model_config.isEnabled() else [],
            pretrained=self.pretrained.text().strip() if self.pretrained.isEnabled() else "",
            init=self.start_from.path,
            window=self.window.value(),
            epochs=self.epochs.value(),
            max_steps=self.max_steps.value(),
            batch_size=self.batch_size.value(),
            val_fraction=round(self.val_fraction.value(), 4),
            split_by=self.split_by.currentText(),
            seed=self.seed.value(),
            validate=self.validate_each_epoch.isChecked(),
            device=self.device.currentText(),
            threads=self.threads.value(),
            processes=self.processes.value(),
            extra=extra,
            masks_as_given=self.masks_as_given.isChecked(),
        )

    def set_config(self, c: TrainingConfig) -> None:
        """Show ``c`` in the widgets (a resumed run's own settings)."""
        self.arch.setCurrentText(c.arch)
        self.start_from.set_path(c.init)  # before the window: it proposes the checkpoint's
        self.set_data(c.data)
        self.model_config.setText(" ".join(c.model_config))
        self.pretrained.setText(c.pretrained)
        self.window.setValue(c.window)
        self.epochs.setValue(c.epochs)
        self.max_steps.setValue(c.max_steps)
        self.batch_size.setValue(c.batch_size)
        self.val_fraction.setValue(c.val_fraction)
        self.split_by.setCurrentText(c.split_by)
        self.seed.setValue(c.seed)
        self.validate_each_epoch.setChecked(c.validate)
        self.device.setCurrentText(c.device)
        self.threads.setValue(c.threads)
        self.processes.setValue(c.processes)
        self.extra.setText(shlex.join(c.extra))
        self.masks_as_given.setChecked(c.masks_as_given)
        self.runs_dir.setText(c.runs_dir)
        self.name.setText(c.name)

    def data_paths(self) -> list[str]:
        items = (self.data_list.item(i).text().strip() for i in range(self.data_list.count()))
        return [t for t in items if t]

    def set_data(self, paths: list[str | Path]) -> None:
        self.data_list.clear()
        for p in paths:
            self._add_data(str(p))

    def _add_data(self, path: str) -> None:
        item = QListWidgetItem(path)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        self.data_list.addItem(item)

    def _pick_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self, "Data folder (Tp/, Gt/, Au/)", "", INPUT_FOLDER
        )
        if path:
            self._add_data(path)

    def _pick_json(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Data set list", "", "JSON (*.json)", options=READ_ONLY
        )
        if path:
            self._add_data(path)

    def list_earlier_runs(self) -> None:
        """List the runs folder's stopped and finished runs, the newest first, with their
        state (:func:`trainer.runs.earlier_runs`)."""
        self._earlier = earlier_runs(self.runs_dir.text().strip() or ".")
        self.earlier.clear()
        count = len(self._earlier)
        self.earlier.addItem(f"earlier runs ({count})…" if count else "no earlier runs")
        for run in self._earlier:
            self.earlier.addItem(run.label())
        self.earlier.setToolTip(
            "a stopped or finished run of the runs folder: its name and settings fill the form"
        )
        self.earlier.setEnabled(bool(count) and not self.busy)

    def _on_run_picked(self, index: int) -> None:
        """An earlier run picked: the form shows its saved settings and name, as the run it
        is (Resume continues a stopped one)."""
        self.earlier.setCurrentIndex(0)
        if self.busy or not 0 < index <= len(self._earlier):
            return
        self.set_config(self._earlier[index - 1].state.config)

    def _pick_runs_dir(self) -> None:
        pick_output_folder(self, "Folder for run folders", self.runs_dir)

    def _remove_data(self) -> None:
        for item in self.data_list.selectedItems():
            self.data_list.takeItem(self.data_list.row(item))

    def _pick_pretrained(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Pretrained weights",
            "",
            "Weights (*.safetensors *.pth *.pt *.bin)",
            options=READ_ONLY,
        )
        if path:
            self.pretrained.setText(path)

    def _on_start_changed(self, path: str) -> None:
        """A model chosen: the run fine-tunes it, so the architecture is its (locked) and its
        window is proposed; the initial weights: the architecture is free again."""
        start = None
        if path:
            try:
                start = read_starting_point(path)
            except CheckpointError:
                pass  # the note and the readiness line say why (TrainingConfig.start_problems)
        usable = start is not None and self.arch.findText(start.arch) >= 0
        if start is not None and usable:
            self.arch.setCurrentText(start.arch)
            self.window.setValue(start.window)
        self.arch.setEnabled(not usable)
        self._show_start()
        self._propose_name()

    def _show_start(self) -> None:
        """The rows that follow the start: pretrained weights and configuration only from the
        initial weights (a checkpoint holds both), the stages of the run."""
        arch, init = self.arch.currentText(), bool(self.start_from.path)
        key = pretrained_field(arch)
        # a started-from model holds its weights and configuration: the rows are emptied (their
        # greyed text read as if "imagenet" weights or the typed configuration would be used)
        # and what they held comes back with the initial weights
        for field in (self.pretrained, self.model_config):
            if init and field.text():
                self._set_aside[id(field)] = field.text()
                field.clear()
            elif not init and id(field) in self._set_aside:
                kept = self._set_aside.pop(id(field))
                if not field.text():
                    field.setText(kept)
        self.pretrained.setEnabled(not init and key is not None)
        self.pick_pretrained.setEnabled(not init and key is not None)
        if init:
            self.pretrained.setPlaceholderText("none: the chosen model holds its weights")
        elif key is None:
            self.pretrained.setPlaceholderText(f"{arch} takes no pretrained weights")
        elif imagenet_shorthand(arch):
            self.pretrained.setPlaceholderText("imagenet, or a weights file (empty: random)")
        else:
            self.pretrained.setPlaceholderText(
                f"{key}: an ImageNet .safetensors/.pth file (empty: random)"
            )
        self.model_config.setEnabled(not init)
        self.model_config.setPlaceholderText(
            "the chosen model's own" if init else "KEY=VALUE … e.g. channels=16,32,64"
        )
        config = self.config()
        then = f"; then {config.calibrate_plan()}"  # θ (and the pixel threshold) after training
        if init:
            self.stages_label.setText(f"one stage: {config.stages()[0].title}{then}")
        elif two_stages(arch):
            self.stages_label.setText(
                "two stages, run one after the other: 1. pretrain (masks ignored), "
                f"2. fit --init <stage 1 checkpoint>{then}"
            )
        else:
            self.stages_label.setText(f"one stage: fit{then}")
        if self.check_result is not None:  # what the split allows after training follows the start
            self._show_check_summary(self.check_result)
        self._update_buttons()

    def _on_arch_changed(self, arch: str) -> None:
        self.batch_size.setValue(family_batch_size(arch))
        shown = self.pretrained.text().strip()
        wanted = default_pretrained(arch, shown)  # imagenet where known, a file kept
        if wanted != shown:
            self.pretrained.setText(wanted)
        self._show_start()
        self._propose_name()

    def _data_changed(self, *_args: object) -> None:
        self.check_result = None
        self._check_timer.start()
        self._update_buttons()

    def _propose_name(self, *_args: object) -> None:
        """Offer an output name for the start chosen now (``MODEL-ft-YYYYMMDD`` when fine-tuning
        MODEL, ``ARCH-YYYYMMDD`` from the initial weights), with -2, -3, ... past the runs
        folder's runs, the bundled models' names and the installed models'
        (:func:`trainer.runs.proposed_name`), unless the analyst typed a name of their own or
        an earlier run's was picked: a fixed "my-model" named the last run again, whose
        folder then refused Start."""
        if self.name.text().strip() not in ("", self._proposed):
            return
        from engine.catalog import bundled_names  # the catalog imports torch

        base = self.arch.currentText()
        if path := self.start_from.path:
            try:
                base = f"{read_starting_point(path).name}-ft"
            except CheckpointError:
                base = f"{Path(path).stem}-ft"
        taken = set(bundled_names()) | {m.stem for m in user_models_dir().glob("*.safetensors")}
        self._proposed = proposed_name(self.runs_dir.text().strip() or ".", base, taken)
        self.name.setText(self._proposed)

    def _on_name_changed(self, *_args: object) -> None:
        self._update_buttons()

    # --- data check ---

    def validate_data(self) -> None:
        """Run ``forensic-train check`` on the data as listed now (a running one is replaced)."""
        config = self.config()
        if not config.data:
            self.data_problems.clear()
            self.data_summary.setText("add a data folder or JSON list")
            return
        if self.checker.running:
            self.checker.finished.disconnect(self._on_check_finished)
            self.checker.kill()
            self.checker.process.waitForFinished(2000)
            self.checker.finished.connect(self._on_check_finished)
        self._checked_args = config.check_argv()
        self._check_lines.clear()
        self.data_summary.setText("checking the data…")
        self.data_problems.clear()
        self.checker.start(self._checked_args)
        self._check_deadline.start()

    def _show_check_summary(self, result: dict[str, Any]) -> None:
        """The check's counts and whether θ can be set after training: on the split for a
        whole-image model (calibrate), on its validation faces for a face model (face-model),
        so a change of starting point changes the answer without a new check."""
        self.data_summary.setText(summarize_check(result, self.config().can_calibrate(result)))

    def _on_check_finished(self, code: int, message: str) -> None:
        self._check_deadline.stop()
        result = check_answer(code, self._check_lines, message)
        self.check_result = result if self._checked_args == self.config().check_argv() else None
        self._show_check_summary(result)
        self.data_problems.clear()
        for p in result.get("problems", []):
            item = QListWidgetItem(f"✗ {p}")
            self.data_problems.addItem(item)
            tint(item, PROBLEM_COLOR)
        for w in result.get("warnings", []):
            self.data_problems.addItem(QListWidgetItem(f"• {w}"))
        if self.check_result is None and self.config().data:
            self._check_timer.start()  # the list changed while checking
        self._update_buttons()

    # --- running ---

    def start(self) -> None:
        """Start a new run with the settings shown (after the data check passed)."""
        config = self.config()
        state = RunState.load(config.run_dir)
        can_start, _, reason = readiness(config, self.check_result, state)
        if not can_start or self.busy:
            self._set_status(reason, error=True)
            return
        if self._in_use(config, started=False):
            return
        self.state = RunState(config, [], config.can_calibrate(self.check_result))
        try:
            self.state.save()
        except OSError as e:
            self._set_status(
                f"{config.run_dir}: cannot write the run folder ({e.strerror or e})", error=True
            )
            return
        self.log.clear()
        self._close_review()
        self._log(f"run folder: {config.run_dir}")
        self._launch_next()

    def resume(self) -> None:
        """Continue the stopped run of the output name shown, with its own settings."""
        config = self.config()
        state = RunState.load(config.run_dir)
        _, can_resume, reason = readiness(config, self.check_result, state)
        if not can_resume or state is None or self.busy:
            self._set_status(reason, error=True)
            return
        if self._in_use(state.config, started=False):
            return
        self.state = state
        self.set_config(state.config)
        self._close_review()
        self._log(f"resuming the run in {config.run_dir}")
        self._launch_next()

    def stop(self) -> None:
        """Ask the running step to stop: the trainer writes a checkpoint, then exits."""
        if not self.runner.running:
            return
        self._stop_requested = True
        self.runner.terminate()
        self._kill_timer.start()
        self._set_status("stopping: the trainer is writing a checkpoint…")
        self.eta_label.setText("stopping…")
        self._update_buttons()

    def shutdown(self, timeout_ms: int = 60_000) -> None:
        """Stop any child process before the viewer quits: SIGTERM, then up to ``timeout_ms``
        for the trainer to write its checkpoint (killed after that). A modal note says so
        meanwhile: the viewer's windows stayed frozen with nothing shown for up to a minute."""
        self.checker.kill()
        if not self.runner.running:
            return
        self._stop_requested = True
        name = self.state.config.name if self.state is not None else "the run"
        note = QProgressDialog(
            f"Stopping the training run {name}: writing its checkpoint (Resume continues it)…",
            "",
            0,
            0,
            self.parentWidget() or self,
        )
        note.setWindowTitle("Quitting")
        note.setCancelButton(None)  # the stop is already asked for; the viewer quits after it
        note.setWindowModality(Qt.WindowModality.ApplicationModal)
        note.setMinimumDuration(0)
        loop = QEventLoop()
        deadline = QTimer(singleShot=True, interval=timeout_ms)
        deadline.timeout.connect(loop.quit)
        self.runner.process.finished.connect(loop.quit)
        self.runner.terminate()
        note.show()
        if self.runner.running:  # the note is drawn while the trainer ends; no input meanwhile
            deadline.start()
            loop.exec(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
        deadline.stop()
        self.runner.process.finished.disconnect(loop.quit)
        if self.runner.running:
            self.runner.kill()
            self.runner.process.waitForFinished(5000)
        note.close()
        note.deleteLater()

    def _in_use(self, config: TrainingConfig, *, started: bool = True) -> bool:
        """Whether another trainer holds a folder of ``config``'s run (a second viewer window, a
        ``fit --resume`` in a shell), said as the trainer's refusal is (exit status 3). Asked
        before the dialog writes its records there (``training-dialog.json``, a stage's
        ``progress.jsonl``): the holder's window keeps its own, where a trainer started only
        to be refused had them overwritten first. A run this dialog has not ``started`` (Start,
        Resume) did not fail: the header says it was not started, and nothing else changes."""
        try:
            probe_run_folders([config.run_dir, *(s.out for s in config.stages())])
        except RunLocked as e:
            text = self._failure_text(EXIT_BUSY, str(e))
            if started:
                self._fail(text)
                return True
            pid = e.holder.get("pid", "?")
            self.stage_label.setText(
                f"not started: the run folder is in use by another trainer (PID {pid})"
            )
            self.eta_label.setText("not started")
            self._log(text)
            self._set_status(text, error=True)
            return True
        return False

    @property
    def busy(self) -> bool:
        return self._phase != "idle"

    def _launch_next(self) -> None:
        assert self.state is not None
        config = self.state.config
        nxt = self.state.next_stage()
        if nxt is None:
            self._calibrate_or_install()
            return
        if self._in_use(config):  # between stages: a trainer from a shell took the folder
            return
        stage, resume = nxt
        self._stage = stage
        self._phase = "train"
        self._stop_requested = False
        self.progress = TrainingProgress(config.batch_size, config.max_steps)
        events = stage.out / PROGRESS_LOG
        if resume:
            self.progress.replay(events)
        self._close_events()
        try:
            stage.out.mkdir(parents=True, exist_ok=True)
            if not resume:  # a new stage's events start a new file
                events.unlink(missing_ok=True)
            # never waiting for a reader of a pipe put in the run folder under its name
            self._events_file = open_append(events, "a", encoding="utf-8")
        except OSError as e:
            self._fail(f"{events}: cannot write the run folder: {e.strerror or e}")
            return
        self._reset_curves()
        stages = config.stages()
        index = stages.index(stage) + 1
        self._set_header(
            f"{config.name}: {stage.title}"
            + (f" — stage {index} of {len(stages)}" if len(stages) > 1 else "")
            + (" (resumed)" if resume else "")
        )
        argv = config.stage_argv(stage, resume)
        self._clear_warnings()
        self._log("$ forensic-train " + shlex.join(argv))
        self._set_status(f"{stage.title}: starting (loading the data and the network)…")
        self.runner.start(argv)
        self._dirty = True
        self._update_buttons()

    def _calibrate_or_install(self) -> None:
        assert self.state is not None
        config = self.state.config
        model = config.final_checkpoint()
        if not model.is_file():
            self._fail(f"{model}: the training left no checkpoint to install")
            return
        if self.state.calibrate:
            self._phase = "calibrate"
            self._stop_requested = False
            doing = config.calibrate_words()[0]  # calibrate, or face-model for a face model
            self._set_header(f"{config.name}: {doing}")
            argv = config.calibrate_argv(model)
            self._calibrated_before = file_identity(config.calibrated_path())
            self._clear_warnings()
            self._log("$ forensic-train " + shlex.join(argv))
            self._set_status(f"{doing}…")
            self.runner.start(argv)
            self._update_buttons()
            return
        self._install(
            model, "θ not calibrated (no authentic training or tampered validation images)"
        )

    def _install(self, model: Path, note: str) -> None:
        """The run is over: show ``model``'s review and wait for Install or Do not install."""
        try:
            review = review_checkpoint(model)
        except CheckpointError as e:
            self._fail(str(e))
            return
        # a best-validation checkpoint from earlier in the run: "8 steps" of a 22-step run
        review.run_steps = self.progress.step if self.progress is not None else None
        self.review, self._pending = review, (model, note)
        self._phase = "idle"
        # the run, not its last step ("calibrating θ …"), finished: the header says so
        assert self.state is not None
        self._set_header(f"{self.state.config.name}: run finished")
        self._show_ended("finished", note)
        self.review_label.setText(
            f"{review.text()}\n{note}.\nInstall it for the viewer (it is then listed in the "
            "Models panel), or leave it in the run folder."
        )
        tint(self.review_label, WARNING_COLOR if review.warnings else None)
        self.review_box.setVisible(True)
        self._set_status(
            "training finished: check the model's figures"
            + (" and warnings" if review.warnings else "")
            + " before installing it"
        )
        self._log(review.text())
        self._update_buttons()

    def confirm_install(self) -> None:
        """Install the reviewed model (the analyst confirmed)."""
        pending = self._pending
        self._close_review()
        if pending is not None:
            self._do_install(*pending)

    def discard_install(self) -> None:
        """Leave the reviewed model in its run folder."""
        pending = self._pending
        self._close_review()
        if pending is not None:
            self._set_status(f"not installed; the model stays in {pending[0]}")
            self._log(f"not installed: {pending[0]}")

    def _close_review(self) -> None:
        self._pending = None
        self.review_box.setVisible(False)
        self._update_buttons()

    def _do_install(self, model: Path, note: str) -> None:
        assert self.state is not None
        dst = self.state.config.installed_path()
        try:
            install_checkpoint(model, dst)
        except OSError as e:
            self._fail(
                f"{dst}: cannot install the checkpoint ({e.strerror or e}); it stays in {model}"
            )
            return
        self.installed = dst
        self._phase = "idle"
        self._set_status(
            f"installed {dst.name} in {dst.parent}; {note}. It is listed in the Models panel."
        )
        self._log(f"installed {model} as {dst}")
        self._update_buttons()
        self.modelInstalled.emit(str(dst))

    def _on_run_finished(self, code: int, message: str) -> None:
        self._kill_timer.stop()
        self._close_events()
        if self._phase == "calibrate":
            assert self.state is not None
            calibrated = self.state.config.calibrated_path()
            step = self.state.config.calibrate_argv(calibrated)[0]  # calibrate or face-model
            done = self.state.config.calibrate_words()[1]
            if code == 0 and calibrated.is_file():
                self._install(calibrated, done)
            elif self._stop_requested and self._calibrated_here(calibrated):
                # the stop came once it had written its file: the run folder reads as
                # finished (Resume is off), so the run is, and its review follows
                self._log(f"{step}: finished before the stop reached it")
                self._install(calibrated, done)
            elif self._stop_requested:
                self._idle(f"{step} stopped; " + self._resume_words(calibrated))
            elif code == EXIT_BUSY:  # a trainer in the run folder: its weights may change yet
                self._fail(self._failure_text(code, message) + "; Resume runs it again")
            else:
                self._log(f"{step} failed: {message}")
                self._install(
                    self.state.config.final_checkpoint(), f"θ not calibrated ({message or code})"
                )
            return
        if self._phase != "train" or self.state is None or self._stage is None:
            return
        self._redraw()
        stage = self._stage
        if code == 0 or finished_despite_stop(code, message, self.progress):
            self.state.done.append(str(stage.out))
            try:
                self.state.save()
            except OSError as e:
                self._fail(f"{stage.out}: cannot record the finished stage ({e.strerror or e})")
                return
            if code == 0:
                self._log(f"{stage.title}: finished")
                self._launch_next()
            else:
                self._finished_at_stop(stage)
            return
        checkpoint = stage.out / LAST_CHECKPOINT
        resumable = (stage.out / RESUME_NAME).is_file()
        if code in EXIT_STOPPED or (self._stop_requested and resumable):
            step = self.progress.step if self.progress else 0
            self._idle(
                f"stopped at step {step}{self._last_val_text('; ')}; checkpoint {checkpoint}"
                + ("; Resume continues the run" if resumable else "")
            )
        elif self._stop_requested:
            self._idle("stopped before the first checkpoint; Start begins again")
        else:
            self._fail(self._failure_text(code, message))

    def _calibrated_here(self, calibrated: Path) -> bool:
        """Whether ``calibrated`` was written by this run's calibrate: there, and not the file
        (inode, size, modification time) it found when it started."""
        now = file_identity(calibrated)
        return now is not None and now != self._calibrated_before

    def _resume_words(self, calibrated: Path) -> str:
        """What Resume does after a stopped calibrate. A calibrated file an earlier run left
        (the step would have replaced it) made the run folder read as finished, Resume off: it
        is moved aside to ``NAME.earlier`` (kept, never deleted), so that Resume runs the step
        again as said."""
        if calibrated.exists():
            aside = calibrated.with_name(calibrated.name + ".earlier")
            try:
                calibrated.replace(aside)
            except OSError as e:
                self._log(
                    f"{calibrated}: an earlier run's file, cannot be moved ({e.strerror or e})"
                )
                return f"{calibrated} is an earlier run's: move it away, then Resume runs it again"
            self._log(f"{calibrated}: an earlier run's file, kept as {aside.name}")
        return "Resume runs it again and installs the model"

    def _finished_at_stop(self, stage: Stage) -> None:
        """``stage`` had finished when Stop (or another SIGTERM) reached its trainer, which
        then exits 143 all the same: the stage is done, and no further process starts. With
        nothing left to run, the model's review follows as after any finished run; else
        Resume goes on with what is left (the next stage, or setting θ)."""
        assert self.state is not None
        self._log(f"{stage.title}: finished before the stop reached it")
        if self.state.next_stage() is None and not self.state.calibrate:
            self._calibrate_or_install()  # only the review: no process
            return
        nxt = self.state.next_stage()
        left = nxt[0].title if nxt is not None else self.state.config.calibrate_words()[0]
        self._phase = "idle"
        self._show_ended("finished")
        self._set_status(
            f"{stage.title} had finished before the stop: checkpoint "
            f"{stage.out / LAST_CHECKPOINT}{self._last_val_text('; ')}; Resume continues the "
            f"run with {left}"
        )
        self._update_buttons()

    @staticmethod
    def _failure_text(code: int, message: str) -> str:
        last = f": {message}" if message else ""
        if code == EXIT_CRASHED:
            return (
                "the trainer stopped unexpectedly (killed or crashed, perhaps out of memory)" + last
            )
        if code == EXIT_NOT_STARTED:
            return "the trainer could not be started" + last
        if code == EXIT_USAGE:
            return "the trainer refused the data or settings" + last
        if code == EXIT_BUSY:  # two windows resuming one run, or a trainer run from a shell
            return "the run folder is in use by another trainer" + last
        return f"training failed (exit status {code})" + last

    def _kill_after_grace(self) -> None:
        if self.runner.running:
            self._log(f"the trainer did not stop within {STOP_GRACE_MS // 1000} s: killed")
            self.runner.kill()

    def _idle(self, text: str) -> None:
        """A run stopped at the analyst's request."""
        self._phase = "idle"
        self._show_ended("stopped")
        self._set_status(text)
        self._update_buttons()

    def _fail(self, text: str) -> None:
        self._phase = "idle"
        self._show_ended("failed")
        self._log(text)
        self._set_status(text, error=True)
        self._update_buttons()

    def _close_events(self) -> None:
        if self._events_file is not None:
            self._events_file.close()
            self._events_file = None

    # --- progress ---

    def _on_event(self, event: dict[str, Any]) -> None:
        if self._events_file is not None:
            self._events_file.write(json.dumps(event) + "\n")
            self._events_file.flush()
        if self.progress is not None and self._phase == "train":
            self.progress.apply(event)
            self._dirty = True
        self._log(describe_event(event))  # the raw line stays in the stage's progress log

    def _last_val_text(self, prefix: str = "") -> str:
        """``PREFIX last validation (epoch N): pixel F1 ...`` of the stage, or "" before one."""
        last = self.progress.last_val() if self.progress is not None else None
        if last is None:
            return ""
        return f"{prefix}last validation (epoch {epoch_text(last[0])}): {figure_words(last[1])}"

    def _redraw(self) -> None:
        p = self.progress
        if not self._dirty or p is None:
            return
        self._dirty = False
        for name, series in p.losses.items():
            _set_points(self._curve(self.loss_plot, f"loss:{name}", name), series.x, series.y)
        _set_points(self.lr_curve, p.lr.x, p.lr.y)
        for name, series in p.val.items():
            curve = self._curve(self.val_plot, f"val:{name}", figure_name(name), VAL_SYMBOLS)
            _set_points(curve, series.x, series.y, curve.opts["symbol"], always=True)
        self.progress_bar.setValue(round(1000 * p.fraction()))
        speed = f", {p.samples_per_s:.1f} samples/s" if p.samples_per_s else ""
        if self._phase == "train" and not self._stop_requested:
            self.eta_label.setText(f"ETA {format_duration(p.eta())}")
        if self._phase == "train" and p.step and not self._stop_requested:
            of = f" of {p.steps_total}" if p.steps_total else ""
            self._set_status(
                f"step {p.step}{of}, epoch {p.epoch + 1}{speed}{self._last_val_text('; ')}"
            )

    def _curve(
        self, plot: pg.PlotWidget, key: str, name: str, symbols: tuple[str, ...] = ()
    ) -> pg.PlotDataItem:
        """The curve ``key`` of ``plot``, made on first use in the next colour of its plot (and
        the next of ``symbols`` as its marker)."""
        curve = self.curves.get(key)
        if curve is None:
            kind = key.split(":", 1)[0]
            index = sum(k.split(":", 1)[0] == kind for k in self.curves)
            pen = pg.mkPen(pg.intColor(index, hues=9), width=2)
            symbol = symbols[index % len(symbols)] if symbols else None
            curve = plot.plot(name=name, pen=pen, symbol=symbol)
            self.curves[key] = curve
        return curve

    def _reset_curves(self) -> None:
        for plot in (self.loss_plot, self.val_plot):
            plot.clear()
            legend = plot.plotItem.legend
            if legend is not None:
                legend.clear()
        self.curves.clear()
        self.lr_curve.setData([], [])
        self.progress_bar.setValue(0)
        self.eta_label.setText(f"ETA {format_duration(None)}")

    def plotted(self) -> dict[str, int]:
        """Points drawn per curve (``loss:NAME``, ``val:NAME`` and ``lr``), for tests and logs."""
        out = {
            k: len(c.getData()[0] if c.getData()[0] is not None else [])
            for k, c in self.curves.items()
        }
        x = self.lr_curve.getData()[0]
        out["lr"] = 0 if x is None else len(x)
        return out

    # --- state shown ---

    def _update_buttons(self) -> None:
        config = self.config()
        state = RunState.load(config.run_dir) if config.name else None
        ready = assess(config, self.check_result, state)  # Start, Resume and their words
        self.start_note.setText("\n".join(config.start_problems()))
        busy = self.busy
        self.earlier.setEnabled(bool(self._earlier) and not busy)
        self.start_button.setEnabled(ready.can_start and not busy)
        self.resume_button.setEnabled(ready.can_resume and not busy)
        self.resume_button.setToolTip(ready.resume_note if config.name else "")
        self.stop_button.setEnabled(self.runner.running and not self._stop_requested)
        if busy:
            self.readiness_label.setText(
                f"running in {self.state.config.run_dir if self.state else ''}"
            )
        else:
            self.readiness_label.setText(f"run folder: {config.run_dir}\n{ready.reason}")

    def _set_header(self, text: str) -> None:
        self._header = text
        self.stage_label.setText(text)

    def _show_ended(self, how: str, detail: str = "") -> None:
        """Header and ETA say that the run ``how`` (stopped, failed, finished): no estimate;
        ``detail`` in its place after the header (a finished run: what became of θ)."""
        step = self.progress.step if self.progress is not None else 0
        at = f" at step {step}" if step and how != "finished" else ""
        self.stage_label.setText(f"{self._header} — {detail or how + at}")
        self.eta_label.setText(how)
        self.list_earlier_runs()
        if not self.isVisible():  # closed while it ran: nothing else would say it ended
            self.notice.emit(f"training {self.stage_label.text()}; {REOPEN}")

    def _set_status(self, text: str, error: bool = False) -> None:
        tint(self.status, ERROR_COLOR if error else None)
        self.status.setText(text)

    def _log(self, text: str) -> None:
        self.log.appendPlainText(text)

    def _on_text(self, line: str) -> None:
        """A line of the trainer that is no event: logged, and a warning kept in view."""
        self._log(line)
        if is_warning(line):
            shown = self.warnings_label.text()
            self.warnings_label.setText(f"{shown}\n{line.strip()}" if shown else line.strip())
            self.warnings_label.setVisible(True)

    def _clear_warnings(self) -> None:
        """A new process: the previous one's warnings are no longer about what runs."""
        self.warnings_label.clear()
        self.warnings_label.setVisible(False)

    def showEvent(self, event: QShowEvent) -> None:  # Qt override
        """The earlier runs as the runs folder holds them now (a run may have ended since);
        the dialog within its screen, title bar and borders included (known once shown)."""
        super().showEvent(event)
        fit_to_screen(self)
        if not self.busy:
            self.list_earlier_runs()

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt override
        """Closing hides the dialog; a run goes on (Stop ends it), and the main window says so."""
        self.hide()
        event.ignore()
        if self.busy and self.state is not None:
            self.notice.emit(
                f"training {self.state.config.name} goes on in the background ({REOPEN}); "
                "quitting the viewer stops it with a checkpoint, which Resume continues"
            )
