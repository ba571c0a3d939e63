"""The batch dialog's "Ground truth" row: score a folder scan against true masks, as
``forensic-viewer scan --gt DIR`` does (docs/GROUND_TRUTH.md).

:class:`TruthChoice` is the widget (off by default: a scan is of evidence, and its true masks
are rarely known); :func:`score_scan` is what the scan thread runs once the scan has finished,
inside its output lock: :func:`~forensic_viewer.scan.groundtruth.evaluate_scan` writes
``groundtruth.json`` and the ``gt.*`` columns of ``results.csv`` (so the scan's report gets its
Ground truth section) and the lines the command line prints come back for the dialog, with
each file's label for the triage table's ground-truth columns. Kept
apart from ``batch_dialog.py`` so that file stays a readable length.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLineEdit, QPushButton, QWidget

from forensic_viewer.gui.panels import pick_input_folder
from forensic_viewer.scan.groundtruth import (
    TruthSource,
    appledouble_line,
    evaluate_scan,
    fold_unmatched,
    summary_lines,
)


class TruthChoice(QWidget):
    """A check box "score against true masks" with the masks' folder (an IMDL-BenCo folder,
    ``Tp/`` + ``Gt/`` and optionally ``Au/``; a BenCo JSON list may be typed in). The folder
    field and its Browse… button are live only when the box is checked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.enabled = QCheckBox("score against true masks")
        self.enabled.setToolTip(
            "after the scan, score every map against the masks of an IMDL-BenCo folder "
            "(Tp/ + Gt/, optional Au/) or a JSON list of [image, mask] pairs: "
            "groundtruth.json, gt.* columns of results.csv, a report section "
            "(docs/GROUND_TRUTH.md)"
        )
        self.folder = QLineEdit()
        self.folder.setAccessibleName("ground-truth folder or JSON list")
        self.folder.setPlaceholderText("folder with Gt/ (and Au/), or a JSON list of pairs")
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self._pick)
        self.enabled.toggled.connect(self._follow)
        self._follow(False)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.enabled)
        row.addWidget(self.folder, 1)
        row.addWidget(self.browse)

    def _follow(self, on: bool) -> None:
        # explicitly: the row's own setEnabled (off while a scan runs) then leaves them so
        self.folder.setEnabled(on)
        self.browse.setEnabled(on)

    def _pick(self) -> None:
        pick_input_folder(self, "Ground-truth folder", self.folder)

    def path(self) -> Path | None:
        """The masks' folder or JSON list when the box is checked, else None. Raises
        ValueError when it is checked with no path typed."""
        if not self.enabled.isChecked():
            return None
        text = self.folder.text().strip()
        if not text:
            raise ValueError(
                "choose the ground-truth folder, or uncheck 'score against true masks'"
            )
        return Path(text).expanduser()


def score_scan(
    out: Path, truth: TruthSource, keys: Sequence[str]
) -> tuple[list[str], list[str], dict[str, int]]:
    """Score the files ``keys`` of the scan in ``out`` against ``truth`` (files written as
    ``scan --gt`` writes them). Returns what the command line prints: the summary lines (the
    counts, each figure with its convention, where the files are) and the problems, one line
    each (a mask unreadable, an image without a mask, ...); then the label of each file
    scored (1 tampered, 0 authentic) by scan key, for the triage table."""
    result = evaluate_scan(out, truth, keys)
    labels = {f.key: f.truth.label for f in result.files}
    lines = summary_lines(result, out)
    if (passed := appledouble_line(result)) is not None:  # in the tooltip, after the counts
        lines.insert(1, passed)
    return lines, list(result.problems), labels


def truth_message(lines: Sequence[str], problems: Sequence[str]) -> str:
    """The dialog's few lines on a scored scan: the counts, the problems' number and the
    first of them, where the figures are (every figure is in ``groundtruth.json``, the CSV,
    the report, and the message's tooltip)."""
    if not lines:
        return ""
    problems = fold_unmatched(problems)
    out = [lines[0]]
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        out.append(f"ground truth: {problems[0]}{more}")
    out.append(lines[-1])
    return "\n".join(out)
