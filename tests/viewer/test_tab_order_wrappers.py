"""The main window's Tab order leaves the widgets' Python objects as Qt holds them.

PySide6 makes the object a getter such as ``nextInFocusChain()`` or ``focusProxy()`` returns
a child of the widget asked. Walking the focus chain made a spin box's line edit its child, and
asking the line edit for its focus proxy made the spin box the line edit's child: the two held
only each other, the garbage collector freed both Python objects while Qt kept the widgets, and
the next use of the spin box crashed the process (Tab presses crashed the viewer in a session
with files open). The check runs in a process of its own, so a crash fails the test.
"""

from __future__ import annotations

import pytest

from tests.conftest import run_bounded

pytestmark = pytest.mark.gui

PANELS = """
import gc
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication, QComboBox, QDockWidget, QListWidget, QMainWindow, QScrollArea, QSpinBox,
    QVBoxLayout, QWidget,
)

from forensic_viewer.gui.focus_order import hands_on_focus, move_focus, tab_order

app = QApplication([])
window = QMainWindow()
window.setCentralWidget(QListWidget())
for n in range(3):  # panels as the window's: controls made in place, kept by Qt alone
    panel = QWidget()
    layout = QVBoxLayout(panel)
    layout.addWidget(QSpinBox())
    editable = QComboBox()
    editable.setEditable(True)
    layout.addWidget(editable)
    layout.addWidget(QListWidget())
    area = QScrollArea()
    area.setWidget(panel)
    dock = QDockWidget(f"panel {n}", window)
    dock.setWidget(area)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
del panel, layout, editable, area, dock
window.show()
app.processEvents()
for step in range(20):
    tab_order(window, [])
    move_focus(window, [], True)
    gc.collect()
    for box in window.findChildren(QSpinBox):
        box.setValue(step)
print("values", sorted(box.value() for box in window.findChildren(QSpinBox)))
# last, as it upsets the objects: Qt's own answer for every widget agrees
print("disagree", [type(w).__name__ for w in window.findChildren(QWidget)
                   if hands_on_focus(w) != (w.focusProxy() is not None)])
"""


def test_tab_order_keeps_the_python_objects_of_the_window_widgets_alive() -> None:
    said = run_bounded(PANELS)
    assert "values [19, 19, 19]" in said
    assert "disagree []" in said
