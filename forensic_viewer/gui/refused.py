"""The viewer refused at its start, said where its user looks: in a box as well as on stderr.

A start of the viewer refused before its window opens (a relative ``FORENSIC_VIEWER_CACHE``,
``_CASE``, ``_MODELS`` or ``_RESOURCES``: :func:`engine.environ.relative_path_setting`) was one
line on stderr alone: launched from its desktop entry, where nobody reads stderr, the viewer
did nothing visible. :func:`show_refusal` shows that line in a critical message box too, when
a display can be opened (:func:`display_available`); the command line's subcommands print
only, as before.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

# platforms that show nobody anything: a box there would wait, unseen, for a click forever
_UNSEEN = {"offscreen", "minimal"}
TITLE = "Forensic viewer did not start"


def display_available(environ: Mapping[str, str] | None = None, platform: str = "") -> bool:
    """Whether Qt can open a display here that someone sees. Asked before a ``QApplication``
    is made, since Qt ends the process (abort, a core dump) when its platform finds no
    display to connect to: on Linux and the BSDs, a display server named by ``$DISPLAY``
    (X11, Qt's ``xcb``) or ``$WAYLAND_DISPLAY`` for the platforms ``$QT_QPA_PLATFORM`` names
    (``wayland;xcb``: any of them, as Qt tries them in turn; none named: both); any other
    platform named there was set by whoever meant it, except ``offscreen`` and ``minimal``,
    where a box would wait for a click nobody can give (a viewer started headless, by a test
    or a script). Windows and macOS always have one."""
    env = os.environ if environ is None else environ
    platform = platform or sys.platform
    if platform in ("win32", "darwin"):
        return True
    names = [n.split(":")[0].strip() for n in env.get("QT_QPA_PLATFORM", "").split(";")]
    needs = {"xcb": "DISPLAY", "wayland": "WAYLAND_DISPLAY"}
    for name in [n for n in names if n] or ["wayland", "xcb"]:
        if name in _UNSEEN:
            continue
        if name not in needs or env.get(needs[name]):
            return True
    return False


def show_refusal(line: str) -> bool:
    """Show ``line`` (why the viewer does not start) in a critical message box, as plain text
    (never read as markup: it holds a variable's value), and wait for it to be closed; False,
    with nothing shown, when no display can be opened (stderr has said it)."""
    if not display_available():
        return False
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QMessageBox

    _app = QApplication.instance() or QApplication(sys.argv[:1])
    box = QMessageBox(QMessageBox.Icon.Critical, TITLE, line, QMessageBox.StandardButton.Ok)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.exec()
    return True
