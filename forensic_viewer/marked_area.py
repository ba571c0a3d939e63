"""The "marked area" as every display words it: the share of an image's pixels whose heatmap is
above the model's pixel threshold (the command line's table, the reports' tables and rows, the
viewer's cards, mask layers and triage table). Records keep its name ``forged_fraction``
(results.jsonl, results.csv, report.json): scripts read them.

"forged 2.61 %" beside "not flagged" read as "2.61 % of the photograph is forged" (walk-through
L, 2026-12-06): the figure is a count of pixels above a threshold, not a conclusion. Where a
check did not flag the file, a sentence says that its marked area is not a finding, and for the
default verdict how much its mask marks on authentic camera photographs: the figure its
reliability sentence gives in words, taken from the numbers stored beside that sentence (a
result's ``mask_on_authentic``: ``engine.calibration.mask_on_authentic``, from the ensemble
file's ``mask_on_authentic``, the figure of its card and README.md), never read back out of the
sentence, whose words change. A row written before 2026-12-06 holds no such numbers: its
displays say the rest without the figure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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


def authentic_mask_words(figure: Mapping[str, Any] | None) -> str | None:
    """What the default verdict's mask marks on authentic camera photographs, in a sentence of
    its own, from its result's ``mask_on_authentic`` (``{"median", "largest"}``, shares of the
    pixels); None without it (a checkpoint's result, an ensemble file that stores no such
    figure, a row written before 2026-12-06) or when it cannot be read."""
    if figure is None:
        return None
    try:
        median, largest = float(figure["median"]), float(figure["largest"])
    except (KeyError, TypeError, ValueError):
        return None
    return (
        f"On authentic camera photographs, the default verdict's mask marks a median "
        f"{100 * median:.1f} % of the pixels (up to {100 * largest:.1f} %)."
    )


def not_a_finding(figure: Mapping[str, Any] | None = None) -> str:
    """:data:`NOT_A_FINDING`, then what the default verdict's mask marks on authentic camera
    photographs when ``figure`` (its result's ``mask_on_authentic``) gives it."""
    said = authentic_mask_words(figure)
    return f"{NOT_A_FINDING} {said}" if said else NOT_A_FINDING


def marked_area_words(fraction: float | None, pixel_threshold: float | None = None) -> str:
    """``2.61 % of the pixels (heatmap above 0.45)``; "—" when not recorded."""
    if fraction is None:
        return "—"
    above = f" (heatmap above {threshold_figure(pixel_threshold)})" if pixel_threshold else ""
    return f"{100.0 * fraction:.2f} % of the pixels{above}"
