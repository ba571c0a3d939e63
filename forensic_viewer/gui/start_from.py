"""The training dialog's "start from" row: train from the architecture's initial weights, or
fine-tune a checkpoint (one of the viewer's catalog, or a file the analyst chooses).

The row only says which checkpoint was chosen (:attr:`StartFromBox.path`, "" for the initial
weights); what a choice means for the run (one ``fit --init`` stage, the checkpoint's
architecture and configuration, the problems that stop it) is :mod:`trainer.plan`
(:attr:`~trainer.plan.TrainingConfig.init`), and the dialog locks its other settings to it.
The list holds :func:`trainer.starting.starting_points` (whole-image and face models, bundled
then installed) and is read again each time the row is shown, so a model installed meanwhile
appears. A file chosen with "Choose file…" joins
the list for the session.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QWidget

from forensic_viewer.gui.panels import READ_ONLY
from forensic_viewer.gui.tips import tip_text
from forensic_viewer.wording import plain
from trainer.plan import user_models_dir
from trainer.starting import StartingPoint, starting_points

INITIAL = "the architecture's initial weights"
CHOOSE = "Choose file…"
SHOWN_CHARACTERS = 24  # the combo's width in characters; longer entries are elided


def describe(start: StartingPoint) -> str:
    """How the list names a starting point: ``NAME (ORIGIN: ARCH, window N)``."""
    origin = "installed" if start.origin == "user" else start.origin
    return f"{start.name} ({origin}: {start.arch}, window {start.window})"


class StartFromBox(QWidget):
    """A combo: the architecture's initial weights, the catalog's models, chosen files,
    "Choose file…" last. :attr:`changed` carries the chosen checkpoint's path ("" : none)."""

    changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox()
        self.combo.setToolTip(
            "fine-tune a model on your data (fit --init), or train the architecture from its "
            "initial weights"
        )
        # a model's entry names its file and architecture: as wide as the longest, the combo
        # widened the training dialog past a small screen at a large font. It shows the
        # first characters of the choice; the list opens as wide as its entries, each one
        # whole in its tooltip
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.combo.setMinimumContentsLength(SHOWN_CHARACTERS)
        self._files: list[str] = []  # files chosen with "Choose file…", kept in the list
        self._current = ""  # the path shown, restored when "Choose file…" is cancelled
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo, 1)
        self.refresh()
        self.combo.currentIndexChanged.connect(self._on_index)

    @property
    def path(self) -> str:
        """The chosen checkpoint, "" for the architecture's initial weights."""
        return self._current

    def refresh(self) -> None:
        """List the catalog's models again, keeping the choice shown."""
        starts = starting_points()
        listed = {str(s.path) for s in starts}
        if self._current and self._current not in listed and self._current not in self._files:
            self._files.append(self._current)  # e.g. removed since: still the one chosen
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem(INITIAL, "")
        for start in starts:
            self.combo.addItem(describe(start), str(start.path))
        for path in self._files:
            if path not in listed:
                self.combo.addItem(f"{Path(path).name} (file: {path})", path)
        self.combo.addItem(CHOOSE, None)
        for i in range(self.combo.count()):  # a model's name and path, never markup
            tip = tip_text(plain(self.combo.itemText(i)))
            self.combo.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
        self.combo.blockSignals(False)
        self._show(self._current)

    def set_path(self, path: str) -> None:
        """Choose ``path`` ("" : the initial weights); a file not listed joins the list."""
        if path and self.combo.findData(path) < 0:
            self._files.append(path)
            self.refresh()
        self._show(path)
        if path != self._current:
            self._current = path
            self.changed.emit(path)

    def _show(self, path: str) -> None:
        self.combo.blockSignals(True)
        self.combo.setCurrentIndex(max(0, self.combo.findData(path)))
        self.combo.blockSignals(False)

    def _on_index(self, index: int) -> None:
        path = self.combo.itemData(index)
        if path is None:  # "Choose file…"
            chosen, _ = QFileDialog.getOpenFileName(
                self,
                "Start from a checkpoint",
                str(user_models_dir()),
                "Checkpoints (*.safetensors)",
                options=READ_ONLY,
            )
            if not chosen:
                self._show(self._current)
                return
            path = chosen
        self.set_path(str(path))

    def showEvent(self, event: QShowEvent) -> None:  # Qt override
        """A model installed since the row was last shown is listed."""
        self.refresh()
        super().showEvent(event)
