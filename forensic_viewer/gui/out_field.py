"""The batch dialog's Output folder field while it holds the proposal Start put there.

An empty Output field means the scanned folder's proposal (``scan/proposed_out.py``), which
Start writes into the field so the analyst sees where the results go. The field then kept it:
typing or browsing another Folder and pressing Start again reused the first folder's output
folder, and the scan was refused as a resume of a different folder ("only the folder's path
differs"). :class:`ProposedOut` remembers the proposal it wrote; when the Folder changes
while the field still holds it, the field is emptied, so the next Start proposes the new
folder's (and shows it). An output folder the analyst typed or browsed stays.

Emptied rather than filled with the new proposal at once: the proposal looks for an earlier
``<folder>-scan`` beside the folder on disk
(:func:`~forensic_viewer.scan.proposed_out.proposed_scan_output`), which is not
done on each keystroke of a folder being typed (a hung mount would hold the dialog).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLineEdit


class ProposedOut(QObject):
    """Empties ``out`` when ``folder`` changes while ``out`` holds the proposal :meth:`show`
    wrote (module docstring); ``out`` edited by hand, or :meth:`chosen`, keeps what it holds."""

    def __init__(self, folder: QLineEdit, out: QLineEdit) -> None:
        super().__init__(out)
        self._out = out
        self._proposal: str | None = None  # the text shown as the proposal, while it stands
        out.textEdited.connect(self.chosen)  # typed: the analyst's (setText does not emit it)
        folder.textChanged.connect(self._folder_changed)

    def show(self, out: Path) -> None:
        """Start's output folder ``out`` shown in the field: the proposal when the field was
        empty (then followed by the Folder), else the analyst's own, made absolute."""
        if not self._out.text().strip():
            self._proposal = str(out)
        self._out.setText(str(out))

    def chosen(self, *_: object) -> None:
        """The analyst typed or browsed the output folder: it stays whatever the Folder."""
        self._proposal = None

    def _folder_changed(self, _text: str) -> None:
        if self._proposal is not None and self._out.text() == self._proposal:
            self._out.clear()
        self._proposal = None
