"""The training dialog's settings form: the widgets, the configuration they show, the data check.

:class:`TrainingForm` is a part of :class:`~forensic_viewer.gui.training_dialog.TrainingDialog`
(a mixin: its methods run on the dialog, whose ``__init__`` wires the data check's process and
timers and calls :meth:`TrainingForm._build_settings`). It holds the form's rows and their
mapping to and from :class:`~trainer.plan.TrainingConfig` (:meth:`TrainingForm.config`,
:meth:`TrainingForm.set_config`), the earlier runs of the runs folder, the proposed output
name, and the data check (``forensic-train check`` in a child process, its counts and problems
under the data list). The Start, Stop and Resume row and the readiness line are made with the
form (the dialog places them under it); whether Start and Resume are possible is the dialog's
(``_update_buttons``), called whenever a row changes.

A run starts from the architecture's initial weights (with the pretrained-weights row) or
fine-tunes a model (the "start from" row, :mod:`forensic_viewer.gui.start_from`): the run is
then one ``fit --init`` stage (:attr:`trainer.plan.TrainingConfig.init`), the architecture is
the checkpoint's and locked, its window proposed, the pretrained-weights and configuration
rows disabled (the checkpoint holds both), and what stops it (a missing or unreadable file,
another architecture) is shown under the row. A face model's θ is then set by
``forensic-train face-model`` on the split's face crops instead of ``calibrate``.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.devices import available_devices
from engine.errors import CheckpointError
from engine.files import suffix_is
from forensic_viewer.gui.panels import (
    INPUT_FOLDER,
    READ_ONLY,
    MessageLabel,
    PanelScroll,
    name_form_fields,
    pick_output_folder,
    rows_height,
    tint,
)
from forensic_viewer.gui.start_from import StartFromBox
from forensic_viewer.gui.training_live import ERROR_COLOR
from forensic_viewer.gui.wheel_guard import guard_wheel
from trainer.check import check_answer
from trainer.families import family_batch_size, two_stages
from trainer.plan import (
    Folder,
    RunState,
    TrainingConfig,
    default_pretrained,
    default_threads,
    imagenet_shorthand,
    pretrained_field,
    trainable_architectures,
    user_models_dir,
)
from trainer.plan_args import THETA_CHOICES
from trainer.runs import EarlierRun, earlier_runs, proposed_name
from trainer.starting import read_starting_point

PROBLEM_COLOR = QColor(Qt.GlobalColor.red)  # a data check's problem in its list


def summarize_check(
    result: dict[str, Any], calibrates: bool | None = None, faces: bool = False
) -> str:
    """One paragraph of counts from a ``forensic-train check --json`` answer; ``calibrates``:
    whether θ can be set after training (:meth:`TrainingConfig.can_calibrate`; None: the
    check's own ``calibration``), and if not, why (:func:`calibration_missing`; ``faces``: a
    face model's)."""
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
            + (
                f", test {split['test_tampered']} tampered + {split['test_authentic']} "
                "authentic (chooses nothing)"
                if split.get("test_tampered") or split.get("test_authentic")
                else ""
            )
        )
        lines.append(
            "θ will be calibrated after training"
            if (result.get("calibration") if calibrates is None else calibrates)
            else f"θ cannot be calibrated on this split ({calibration_missing(result, faces)}; "
            "the default θ is kept)"
        )
    return "\n".join(lines)


def calibration_missing(result: dict[str, Any] | None, faces: bool = False) -> str:
    """Why θ cannot be set after training, from the data check's split (``result``): only the
    causes that hold ("no tampered validation image"), where one fixed sentence named both
    possible ones although the split had authentic training images; ``faces``: a face model,
    whose θ is set on the validation split's faces (``face-model``). ``calibrate`` refuses
    fewer than the check's ``calibration_minimum`` (5) of a side: those are said with their
    count and what to change, where the dialog said "θ will be calibrated" and ran calibrate
    into its refusal."""
    split = (result or {}).get("split")
    if not split:  # a run resumed from an earlier session: its check's split is not at hand
        return "the run's split allowed no calibration"
    if faces:
        needed = (
            ("val_tampered", "tampered validation"),
            ("val_authentic", "authentic validation"),
        )
        least = 1  # face-model sets θ on any faces (it refuses only the probability curve)
    else:
        needed = (
            ("train_authentic", "authentic training"),
            ("val_tampered", "tampered validation"),
        )
        least = int((result or {}).get("calibration_minimum", 1))
    missing = [f"no {words} image" for key, words in needed if not split.get(key)]
    few = [key for key, _ in needed if 0 < split.get(key, 0) < least]
    missing += [
        f"only {split[key]} {words} image{'s' if split[key] > 1 else ''} of the {least} needed"
        for key, words in needed
        if key in few
    ]
    if few:  # more validation images come from a larger share, more training ones from more
        short = tuple(key for key, _ in needed if split.get(key, 0) < least)
        give = {
            ("val_tampered",): "a larger validation share or more tampered images",
            ("train_authentic",): "more authentic images",
        }.get(short, "more images")
        return " and ".join(missing) + f": give {give}"
    return " and ".join(missing) or "the split allows it, but the run was planned without it"


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


class TrainingForm:
    """The settings form of :class:`~forensic_viewer.gui.training_dialog.TrainingDialog`: its
    rows, the configuration they show, the earlier runs, the proposed name, the data check."""

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
        self.arch.addItems(trainable_architectures())  # those with a training objective
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
        self.choose = QComboBox()  # calibrate --choose, the command line's default first
        self.choose.addItems(THETA_CHOICES)
        self.choose.setToolTip(
            "calibrate --choose: which of Table 3's thresholds θ stores; best: the one of the "
            "best balanced accuracy on the validation split (the recipes pass midpoint)"
        )
        self.choose.currentTextChanged.connect(lambda _t: self._show_start())
        form.addRow("θ chosen by", self.choose)

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
        self.extra.textChanged.connect(self._on_extra_changed)
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
        self.readiness_label = MessageLabel()  # names the run folder: wrapped, however long

        inner = _FormPane()
        box = QVBoxLayout(inner)
        box.addLayout(form)
        box.addStretch(1)
        guard_wheel(inner)  # the wheel scrolls the form; it changed the batch size on its way
        return PanelScroll(inner)  # as wide as the form at least, and scrolls up and down

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
            # enabled by the start chosen (isEnabledTo: the form itself is off during a run)
            model_config=self.model_config.text().split() if self._own(self.model_config) else [],
            pretrained=self.pretrained.text().strip() if self._own(self.pretrained) else "",
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
            choose=self.choose.currentText(),
        )

    def _own(self, field: QWidget) -> bool:
        """Whether ``field`` is enabled for the start chosen, whether or not a run has the
        form disabled meanwhile."""
        return field.isEnabledTo(self.settings_pane.widget())

    def set_form_enabled(self, on: bool) -> None:
        """The settings editable, or not while a run goes on: epochs, batch size and window
        stayed editable during a run, though the run had its own and ignored them."""
        self.settings_pane.widget().setEnabled(on)

    def renew_proposed_name(self) -> None:
        """A proposed name whose run folder now holds a run this dialog cannot continue (a
        finished one: a second run the same day) gives way to the next free one, ``-2``,
        ``-3``, ...; Start was refused until the analyst renamed it. A stopped run keeps its
        name, which Resume continues; a name the analyst typed is theirs."""
        name = self.name.text().strip()
        if self.busy or not name or name != self._proposed:
            return
        state = RunState.load(self.config().run_dir)
        if state is not None and state.next_stage() is None:
            self._propose_name()

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
        self.choose.setCurrentText(c.choose)
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
        is (Resume continues a stopped one; a finished one's review offers Install)."""
        self.earlier.setCurrentIndex(0)
        if self.busy or not 0 < index <= len(self._earlier):
            return
        picked = self._earlier[index - 1]
        self.set_config(picked.state.config)
        if picked.folder is Folder.FINISHED and picked.busy is None:  # its model to install
            self.review_earlier(picked.state)

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
        self.choose.setEnabled(not config.face_start())  # face-model chooses θ its own way
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

    def _on_extra_changed(self, *_args: object) -> None:
        """ "More arguments" edited: a ``--val-data`` there changes what the data check reads
        (``trainer.plan_args``), so the data are checked again; an option refused there is
        said at once. The answer of a check of other arguments was kept, and Start with it."""
        if self._checked_args is not None and self.config().check_argv() != self._checked_args:
            self._data_changed()
        else:
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
        installed = user_models_dir().glob("*")  # X.SAFETENSORS too: the catalog lists it
        taken = set(bundled_names()) | {m.stem for m in installed if suffix_is(m, ".safetensors")}
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
        config = self.config()
        self.data_summary.setText(
            summarize_check(result, config.can_calibrate(result), config.face_start())
        )

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
