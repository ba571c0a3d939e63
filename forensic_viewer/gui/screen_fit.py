"""Keep a top-level window within the available area of its screen.

Qt grows a window to its layout's minimum size when content is added (compare mode's panes,
a long label), and a first size chosen for a large monitor (1400 x 900) does not fit a laptop
or a projector. :func:`fit_to_screen` shrinks the window to the screen's available geometry
(the screen without task bars and docks) and moves it back inside; content that cannot shrink
that far must scroll (the compare view does).
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def fit_to_screen(window: QWidget) -> None:
    """Shrink and move ``window`` so that its frame lies inside its screen's available area."""
    screen = window.screen()
    if screen is None:
        return
    area = screen.availableGeometry()
    frame = window.frameGeometry()
    extra_w = frame.width() - window.width()  # title bar and borders
    extra_h = frame.height() - window.height()
    width = min(window.width(), area.width() - extra_w)
    height = min(window.height(), area.height() - extra_h)
    if (width, height) != (window.width(), window.height()):
        window.resize(max(1, width), max(1, height))
    frame = window.frameGeometry()
    x = min(max(frame.x(), area.left()), area.right() + 1 - frame.width())
    y = min(max(frame.y(), area.top()), area.bottom() + 1 - frame.height())
    if (x, y) != (frame.x(), frame.y()):
        window.move(x, y)
