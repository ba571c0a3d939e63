"""The Models dock's rows are read whole at a 1600 x 1000 window's dock width (offscreen).

A walk-through's screenshot cut the rows ("crfd-net-compact  [bundled, crfd-net-co…") and the
list scrolled sideways: each row now says the name (and a non-bundled origin), the details in
its tooltip."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QStyle

pytestmark = pytest.mark.gui


def test_every_models_row_fits_the_dock_and_its_tooltip_has_the_details(
    qtbot, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    from engine.assembly import available_models
    from forensic_viewer.gui.main_window import MainWindow
    from forensic_viewer.gui.window_layout import DOCK_WIDTHS

    bundled = [e for e in available_models().checkpoints if e.origin == "bundled"]
    assert bundled, "the bundled models are what the walk-through saw"
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(models=[str(tiny_checkpoint)], device="cpu", settings=settings)
    qtbot.addWidget(window)
    window.resize(1600, 1000)
    window.show()
    # the docks' first widths are capped by the screen's (window_layout.dock_widths) and the
    # offscreen screen is 800 pixels wide: give them what a 1600-pixel screen gives
    window.resizeDocks(
        [window.docks["Evidence"], window.docks["Layers"]],
        list(DOCK_WIDTHS),
        Qt.Orientation.Horizontal,
    )
    panel = window.model_panel
    assert panel.add_file(str(tiny_checkpoint)) or str(tiny_checkpoint.resolve()) in panel.paths()
    for _ in range(10):
        QApplication.processEvents()
    rows = panel.list
    check = rows.style().pixelMetric(QStyle.PixelMetric.PM_IndicatorWidth)
    room = rows.viewport().width() - check - 12  # the check box and the item's margins
    for i in range(rows.count()):
        item = rows.item(i)
        assert rows.fontMetrics().horizontalAdvance(item.text()) <= room, item.text()
    assert rows.horizontalScrollBar().maximum() == 0  # nothing to scroll sideways to
    by_name = {rows.item(i).text(): rows.item(i) for i in range(rows.count())}
    crfd = by_name["crfd-net-compact"]
    assert crfd.toolTip().startswith("checkpoint (bundled), architecture crfd-net-compact\n")
    assert (
        by_name["diffforensics-faces"]
        .toolTip()
        .startswith("checkpoint (bundled), architecture diffforensics-effl2")
    )
    assert "bundled-ensemble  [ensemble]" in by_name
    picked = rows.findItems("tiny  [file]", Qt.MatchFlag.MatchExactly)
    assert picked and picked[0].toolTip().startswith("checkpoint (file), architecture ")
