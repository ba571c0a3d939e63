"""Tab order of the main window: its regions as they are laid out, each region's controls in
its own order.

Qt moves the focus along one chain per window, in the order its widgets were made or last
given a parent: a widget made after the window (a verdict card's fold button, a compare
pane, the evidence view moved between the stack's pages) joined the chain at its end, so
Tab went from the Ground truth table back to the Verdict panel and reached the evidence
view last. :func:`next_in_order` puts the regions in the order the window shows them (left
column, centre, right column, top to bottom), each region's widgets in the order of the
window's widget tree; a widget in no region (the status bar's Cancel) follows them, so every
widget Tab can reach stays reachable.

The order is read without ``nextInFocusChain()`` and ``focusProxy()``: PySide6 makes the
object such a getter returns a child of the widget asked. Walking the chain made each widget
the child of the one before it, and the line edit of a spin box the spin box's child; asking
the line edit for its focus proxy made the spin box the line edit's child. Objects that then
held only each other were freed by the garbage collector while Qt kept their widgets, and
the viewer crashed on a later use (walk-through E: Tab pressed with files open).

A panel tabbed behind another (Metadata, Analyses, Ground truth behind Verdict) is skipped:
Qt keeps such a dock "visible", only moved out of the window, so Tab went on through six
controls no one could see (keyboard walk-through D, item 1) and Space there could start an
analysis unseen. The dock tabs' bar is in the order, its arrow keys bring a panel to the
front, and View ▸ the panel's entry raises it (gui/window_layout.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QComboBox,
    QDockWidget,
    QLineEdit,
    QMainWindow,
    QScrollArea,
    QTabBar,
    QWidget,
)


def hands_on_focus(widget: QWidget) -> bool:
    """Whether ``widget`` is the inner part of one of Qt's composite controls, which passes the
    focus to the control holding it: a scroll area's viewport (the evidence view's too), a
    spin box's or combo box's line edit. The main window's widgets whose ``focusProxy()`` is
    set are of these kinds (the window sets none itself).

    ``focusProxy()`` is not asked: PySide6 makes the Python object it returns a child of the
    widget asked, here the control a child of its own inner part. A spin box and its line
    edit then held only each other, the garbage collector freed both Python objects while Qt
    kept the widgets, and the next use of the spin box crashed the process
    (tests/viewer/test_tab_order_wrappers.py)."""
    parent = widget.parentWidget()
    if isinstance(parent, QAbstractScrollArea):
        return widget is parent.viewport()  # asked of its parent: the link PySide keeps holds
    return isinstance(parent, QAbstractSpinBox | QComboBox) and isinstance(widget, QLineEdit)


def takes_tab(widget: QWidget, window: QWidget) -> bool:
    """Whether Tab can move the focus to ``widget`` (Qt's own test: it accepts focus by Tab,
    is shown and enabled, and hands its focus to no other widget)."""
    return (
        widget.focusPolicy() & Qt.FocusPolicy.TabFocus == Qt.FocusPolicy.TabFocus
        and widget.isVisibleTo(window)
        and widget.isEnabled()
        and not hands_on_focus(widget)
    )


def behind_a_tab(dock: QDockWidget) -> bool:
    """Whether ``dock`` is tabbed with other docks of its main window and another's tab is the
    current one (its tab bar names the docks by their titles)."""
    window = dock.parentWidget()
    if not isinstance(window, QMainWindow) or not window.tabifiedDockWidgets(dock):
        return False
    title = dock.windowTitle()
    for bar in window.findChildren(QTabBar):
        if bar.parentWidget() is window and title in (bar.tabText(i) for i in range(bar.count())):
            return bar.tabText(bar.currentIndex()) != title
    return False


def docks_behind_tabs(window: QWidget) -> list[QDockWidget]:
    """The docks of ``window`` that sit behind another's tab."""
    docks = window.findChildren(QDockWidget)
    return [d for d in docks if d.parentWidget() is window and behind_a_tab(d)]


def tab_order(window: QWidget, regions: Sequence[QWidget]) -> list[QWidget]:
    """The widgets of ``window`` that Tab reaches, region by region (a widget belongs to the
    first region holding it), each region's in the order of the window's widget tree (a
    panel's widgets as they were added to it); none in a dock behind another's tab.

    The tree is read with one ``findChildren``, not by walking Qt's focus chain: PySide6 makes
    the object each ``nextInFocusChain()`` returns a child of the widget asked, which put the
    window's own Python object under the last widget of the chain and each widget under the
    one before it, whatever Qt's parents; ``findChildren`` puts them under the window, which
    holds them all in Qt too."""
    hidden = docks_behind_tabs(window)
    chain = [
        widget
        for widget in window.findChildren(QWidget)
        if window.isAncestorOf(widget)  # not a dialog's
        and takes_tab(widget, window)
        and not any(dock.isAncestorOf(widget) for dock in hidden)
    ]

    def region_of(widget: QWidget) -> int:
        for i, region in enumerate(regions):
            if region is widget or region.isAncestorOf(widget):
                return i
        return len(regions)

    return sorted(chain, key=region_of)  # stable: the tree's order inside a region


def next_in_order(window: QWidget, regions: Sequence[QWidget], forward: bool) -> QWidget | None:
    """The widget Tab (``forward``) or Shift+Tab moves the focus to from the focused one."""
    order = tab_order(window, regions)
    if not order:
        return None
    current = window.focusWidget()
    while current is not None and current not in order:
        current = current.parentWidget()  # a spin box's inner field: the spin box
    if current is None:
        return order[0 if forward else -1]
    step = 1 if forward else -1
    return order[(order.index(current) + step) % len(order)]


def move_focus(window: QWidget, regions: Sequence[QWidget], forward: bool) -> bool:
    """Tab or Shift+Tab in ``window``: the focus to the next widget in order, scrolled into
    view in the scroll areas holding it (a dock that scrolls, the Verdict panel); False when
    the window has no widget Tab reaches."""
    target = next_in_order(window, regions, forward)
    if target is None:
        return False
    reason = Qt.FocusReason.TabFocusReason if forward else Qt.FocusReason.BacktabFocusReason
    target.setFocus(reason)
    area = target.parentWidget()
    while area is not None and area is not window:
        if isinstance(area, QScrollArea):
            area.ensureWidgetVisible(target)
        area = area.parentWidget()
    return True
