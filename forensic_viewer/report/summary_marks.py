"""Which cells of a report's summary table are marked, told by what they hold, never by their
words: the cells of a verdict of manipulated, which the PDF fills pink and the HTML classes
``manipulated``. Tested on the words, no cell was marked once they read "flagged as
manipulated, p 0.93" (they began "manipulated" before)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from forensic_viewer.report.text import SUMMARY_HEADER
from forensic_viewer.scan.triage import RAN

if TYPE_CHECKING:
    from forensic_viewer.report.build import Overview


def summary_flagged(ov: Overview, i: int) -> set[int]:
    """Where item ``i``'s summary cells (:func:`~forensic_viewer.report.text.summary_cells`)
    hold a verdict of manipulated: the default verdict's and the models' columns."""
    r = ov.rows[i]
    start = len(SUMMARY_HEADER)
    cells = ([r.ensemble] if ov.ensemble_column else []) + [r.cell(n) for n in ov.model_columns]
    return {
        start + k
        for k, c in enumerate(cells)
        if c is not None and c.status == RAN and c.verdict == "manipulated"
    }
