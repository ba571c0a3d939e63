"""Tab order of the main window: its regions as they are laid out, each region's controls in
its own order.

Qt moves the focus along one chain per window, in the order its widgets were made or last
given a parent: a widget made after the window (a verdict card's fold button, a compare
pane, the evidence view moved between the stack's pages) joined the chain at its end, so
Tab went from the Ground truth table back to the Verdict panel and reached the evidence
view last. :func:`next_in_order` keeps the chain's order inside each region and puts the
regions in the order the window shows them (left column, centre, right column, top to
bottom); a widget in no region (the status bar's Cancel) follows them, so every widget Tab
can reach stays reachable.

A panel tabbed behind another (Metadata, Analyses, Ground truth behind Verdict) is skipped:
Qt keeps such a dock "visible", only moved out of the window, so Tab went on through six
controls no one could see (keyboard walk-through D, item 1) and Space there could start an
analysis unseen. The dock tabs' bar is in the order, its arrow keys bring a panel to the
front, and View ▸ the panel's entry raises it (gui/window_layout.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QScrollArea, QTabBar, QWidget


def takes_tab(widget: QWidget, window: QWidget) -> bool:
    """Whether Tab can move the focus to ``widget`` (Qt's own test: it accepts focus by Tab,
    is shown and enabled, and hands its focus to no other widget)."""
    return (
        widget.focusPolicy() & Qt.FocusPolicy.TabFocus == Qt.FocusPolicy.TabFocus
        and widget.focusProxy() is None
        and widget.isVisibleTo(window)
        and widget.isEnabled()
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
    first region holding it), each region's in the window's focus chain order; none in a dock
    behind another's tab."""
    hidden = docks_behind_tabs(window)
    chain: list[QWidget] = []
    seen: set[int] = set()
    widget = window.nextInFocusChain()
    while widget is not window and id(widget) not in seen:
        seen.add(id(widget))
        if (
            window.isAncestorOf(widget)
            and takes_tab(widget, window)
            and not any(dock.isAncestorOf(widget) for dock in hidden)
        ):
            chain.append(widget)
        widget = widget.nextInFocusChain()

    def region_of(widget: QWidget) -> int:
        for i, region in enumerate(regions):
            if region is widget or region.isAncestorOf(widget):
                return i
        return len(regions)

    return sorted(chain, key=region_of)  # stable: the chain's order inside a region


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
