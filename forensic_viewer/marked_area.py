"""The "marked area" as every display words it: the share of an image's pixels whose heatmap is
above the model's pixel threshold (the command line's table, the reports' tables and rows, the
viewer's cards, mask layers and triage table). Records keep its name ``forged_fraction``
(results.jsonl, results.csv, report.json): scripts read them.

"forged 2.61 %" beside "not flagged" read as "2.61 % of the photograph is forged" (walk-through
L, 2026-12-06): the figure is a count of pixels above a threshold, not a conclusion. Where a
check did not flag the file, a sentence says that its marked area is not a finding, and for the
default verdict how much its mask marks on authentic camera photographs, as its reliability
sentence says it (``engine.calibration.Reliability.limits``: the ensemble file's
``mask_on_authentic``, the figure of its card and README.md)."""

from __future__ import annotations

import re

from forensic_viewer.wording import threshold_figure

MARKED_AREA = "marked area"
MARKED_AREA_MEANING = (
    "the share of the image's pixels whose heatmap is above the model's pixel threshold"
)
NOT_A_FINDING = (
    "Not flagged: the marked area only shows where the heatmap is high. "
    "It is not a finding of manipulation."
)
# the summary tables' note (reports): the same, said of the file
UNFLAGGED_FILE = "On a file that is not flagged, the marked area is not a finding of manipulation."
# the line the command line's table and the viewer's cards add beside a check not flagged
NOT_A_FINDING_MARK = "not a finding: not flagged"

# the clause of a reliability sentence that gives the mask on authentic camera photographs
_ON_AUTHENTIC = re.compile(
    r"on authentic camera photographs[^;]*?mask marks a median ([0-9.]+) % of the pixels, "
    r"up to ([0-9.]+) %"
)


def authentic_mask_words(reliability: str | None) -> str | None:
    """What the default verdict's mask marks on authentic camera photographs, in a sentence of
    its own, from its ``reliability`` sentence; None when that sentence does not say it (a
    checkpoint's, or an ensemble file that stores no ``mask_on_authentic``)."""
    found = _ON_AUTHENTIC.search(reliability or "")
    if found is None:
        return None
    median, largest = found.groups()
    return (
        f"On authentic camera photographs, the default verdict's mask marks a median "
        f"{median} % of the pixels (up to {largest} %)."
    )


def not_a_finding(reliability: str | None = None) -> str:
    """:data:`NOT_A_FINDING`, then what the mask marks on authentic camera photographs when
    ``reliability`` (the default verdict's sentence) says it."""
    figure = authentic_mask_words(reliability)
    return f"{NOT_A_FINDING} {figure}" if figure else NOT_A_FINDING


def marked_area_words(fraction: float | None, pixel_threshold: float | None = None) -> str:
    """``2.61 % of the pixels (heatmap above 0.45)``; "—" when not recorded."""
    if fraction is None:
        return "—"
    above = f" (heatmap above {threshold_figure(pixel_threshold)})" if pixel_threshold else ""
    return f"{100.0 * fraction:.2f} % of the pixels{above}"
