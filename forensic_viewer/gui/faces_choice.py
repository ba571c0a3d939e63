"""The batch dialog's face-detection switch, as ``forensic-viewer scan --no-faces`` sets it.

A scan records whether faces were detected (scan.json's ``faces``: None when off), and a resume
with another setting is refused ("faces differ"), rows made with and without faces not being
comparable. The dialog had no switch: every scan it started detected faces, so a folder scanned
with ``--no-faces`` could never be resumed or opened there (walk-through of a 10,000-file scan,
2026-12-06). :class:`FacesChoice` is the switch; its default for an output folder that holds a
scan is the setting that scan recorded (:func:`recorded_faces`), so a resume starts as it was
made unless the analyst changes it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QCheckBox, QWidget

from forensic_viewer.scan.triage import scan_info


def recorded_faces(out: Path) -> bool | None:
    """Whether the scan in ``out`` detected faces, as its scan.json records it; None when
    there is no scan.json, or it does not say (a folder of an early version)."""
    info = scan_info(out)
    if "faces" not in info:
        return None
    return info["faces"] is not None


class FacesChoice(QCheckBox):
    """Checked: faces are detected (and, with face models, analysed on their own); unchecked:
    ``--no-faces``. :meth:`follow` gives an output folder's recorded setting as the default."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("detect faces", parent)
        self.setChecked(True)  # the command line's default
        self.setToolTip(
            "unchecked: no face detection, as forensic-viewer scan --no-faces; recorded in "
            "scan.json, so a resume must use the same setting: an output folder holding a "
            "scan sets it as that scan was made"
        )
        self._out: Path | None = None  # the output folder last followed
        self._chosen = False  # clicked by the analyst since then
        self.clicked.connect(self._on_clicked)

    def _on_clicked(self) -> None:
        self._chosen = True

    def follow(self, out: Path | None) -> None:
        """Show ``out``'s recorded setting, unless the analyst has chosen since ``out`` was
        first followed (a folder without a recorded setting leaves the switch as it is)."""
        if out is None:
            return
        if out != self._out:
            self._out, self._chosen = out, False
        if self._chosen:
            return
        recorded = recorded_faces(out)
        if recorded is not None:
            self.setChecked(recorded)
