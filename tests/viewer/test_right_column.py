"""The right column at 1280 × 800: the layer list, the selected layer's controls and the
classic analyses' results each readable without dragging a dock."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSettings

from forensic_viewer.gui.main_window import MainWindow
from forensic_viewer.gui.panels import rows_height
from tests.conftest import HANG_MS
from tests.viewer.test_layer_panel import _many_layers, _settle

pytestmark = pytest.mark.gui


def _in_view(widget, dock) -> bool:
    """``widget`` lies whole inside ``dock``'s visible part (not scrolled below its fold)."""
    top = widget.mapTo(dock, QPoint(0, 0)).y()
    return top >= 0 and top + widget.height() <= dock.height()


@pytest.mark.parametrize("size", [(1280, 800), (1400, 900)])
def test_the_results_are_readable_at_ordinary_screen_sizes(
    qtbot, tmp_path: Path, size: tuple[int, int]
) -> None:
    """Split three ways (layers, verdict, tabs), the Analyses tree showed its header alone and
    the list 4 rows of ~25 at 1280 × 800 and 1400 × 900 (walk-through 24, 26, 29, 81.png)."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(models=[], device="cpu", settings=settings)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitUntil(lambda: window._models_known, timeout=HANG_MS)
    layers, kinds = _many_layers()
    panel = window.layer_panel
    panel.set_layers(layers)
    window.docks["Analyses"].raise_()
    for layer in kinds:
        layers.selected = layer
        _settle()
        assert panel.list.height() >= rows_height(panel.list, 7), layer.name
        opacity = panel.controls.opacity
        assert _in_view(opacity, window.docks["Layers"]), layer.name
    tree = window.analysis_panel.tree
    assert tree.height() >= rows_height(tree, 6)
    assert _in_view(tree, window.docks["Analyses"])
