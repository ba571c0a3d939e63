"""The batch dialog's "Models" row: the installed checkpoints and ensembles, checkable.

The files the viewer uses are checked at first (and added when they are not installed), so a
scan started from the dialog analyses with the viewer's models unless the analyst says
otherwise. Kept apart from ``batch_dialog.py`` so that file stays a readable length.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from forensic_viewer.gui.model_panel import model_label
from forensic_viewer.gui.tips import tip_text
from forensic_viewer.wording import plain


class ModelList(QListWidget):
    """Installed checkpoints and ensembles, checkable; files passed in are added and checked.

    A row's path stays on the Python side, the row holding its number (as the Models panel's):
    as Qt item data a name that is not UTF-8 lost its bytes, and the scan asked for a file
    that does not exist."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._paths: list[str] = []  # row number -> its path, as listed or given

    def fill(self, checked: Sequence[str]) -> None:
        from engine.assembly import available_models

        self.clear()
        self._paths = []
        listing = available_models()
        rows = [(str(e.path), model_label(e)) for e in (*listing.ensembles, *listing.checkpoints)]
        wanted = {str(Path(p).resolve()) for p in checked}
        known = {str(Path(p).resolve()) for p, _ in rows}
        rows += [(p, Path(p).name) for p in checked if str(Path(p).resolve()) not in known]
        for path, text in rows:
            item = QListWidgetItem(plain(text))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            on = str(Path(path).resolve()) in wanted
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            item.setData(Qt.ItemDataRole.UserRole, len(self._paths))
            self._paths.append(path)
            item.setToolTip(tip_text(plain(path)))
            self.addItem(item)

    def refresh(self) -> None:
        """List the installed models again (one installed since, by the training dialog),
        keeping what is checked."""
        self.fill(self.checked_paths())

    def paths(self) -> list[str]:
        """Every row's path, in the list's order."""
        return [
            self._paths[self.item(i).data(Qt.ItemDataRole.UserRole)] for i in range(self.count())
        ]

    def checked_paths(self) -> list[str]:
        return [
            self._paths[self.item(i).data(Qt.ItemDataRole.UserRole)]
            for i in range(self.count())
            if self.item(i).checkState() == Qt.CheckState.Checked
        ]
