"""The status bar's progress: its per cent and ETA read whole, never cut by the bar's chunk."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel, QProgressBar

from forensic_viewer.gui.status_bar import WIDEST_PROGRESS, progress_bar
from forensic_viewer.gui.window_analysis import PROGRESS_STEPS

pytestmark = pytest.mark.gui


def _parts(field) -> tuple[QProgressBar, QLabel]:
    (bar,) = field.findChildren(QProgressBar)
    (label,) = field.findChildren(QLabel)
    return bar, label


@pytest.mark.parametrize("font", [False, True])
def test_the_eta_is_beside_the_bar_whole_in_a_label_as_wide_as_its_widest_text(
    qtbot, request, font: bool
) -> None:
    """The bar drew its text over the chunk, white on blue and dark on white: "75% · about
    0:12" beside a dark "eft", a "1" cut in two at the chunk's edge (walk-through 01, 02.png)."""
    if font:
        request.getfixturevalue("large_font")
    field = progress_bar(PROGRESS_STEPS)
    qtbot.addWidget(field)
    field.setVisible(True)
    field.setFormat("%p% · about 0:12 left")
    field.setValue(750)
    bar, label = _parts(field)
    assert not bar.isTextVisible()  # nothing drawn over the chunk
    assert label.text() == "75% · about 0:12 left" == field.text()
    metrics = label.fontMetrics()
    assert label.width() >= metrics.horizontalAdvance(WIDEST_PROGRESS)
    field.setFormat("%p%")  # the ETA gone: no remnant of it
    assert label.text() == "75%"
    field.setValue(0)
    assert label.text() == "0%"
