"""The viewer refused at its start, said where its user looks: in a box as well as on stderr.

A start of the viewer refused before its window opens (a relative ``FORENSIC_VIEWER_CACHE``,
``_CASE``, ``_MODELS`` or ``_RESOURCES``: :func:`engine.environ.relative_path_setting`) was one
line on stderr alone: launched from its desktop entry, where nobody reads stderr, the viewer
did nothing visible. :func:`show_refusal` shows that line in a critical message box too, when
a display can be opened (:func:`display_available`); the command line's subcommands print
only, as before.

A display named but not there (``$DISPLAY`` left over from another session, an ``ssh -X``
whose forwarding ended, no X server started) made Qt abort the viewer (exit 134, a core dump)
after every check of the project's own: :func:`unreachable_display` connects to the display
server the variables name, as Qt would, before a ``QApplication`` is made, and says why not in
one line.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Mapping
from pathlib import Path

# platforms that show nobody anything: a box there would wait, unseen, for a click forever
_UNSEEN = {"offscreen", "minimal"}
TITLE = "Forensic viewer did not start"
X11_SOCKETS = Path("/tmp/.X11-unix")  # X<n>: the local socket of display :n (libxcb's)
X11_TCP_PORT = 6000  # + n: display n of another host (or localhost:10, ssh -X)
CONNECT_TIMEOUT_S = 5.0  # a display server answers a connection at once, even far away
NO_WINDOW = "set QT_QPA_PLATFORM=offscreen for no window"
# the variable naming the display each platform that shows a window here connects to
DISPLAY_VARIABLES = {"xcb": "DISPLAY", "wayland": "WAYLAND_DISPLAY"}
DEFAULT_PLATFORMS = ["wayland", "xcb"]  # what Qt tries, in turn, when none is named


def _named_platforms(env: Mapping[str, str]) -> list[str]:
    """The platforms ``$QT_QPA_PLATFORM`` names (``wayland;xcb``: any of them, as Qt tries
    them in turn; their options after ``:`` dropped); [] when it names none."""
    names = [n.split(":")[0].strip() for n in env.get("QT_QPA_PLATFORM", "").split(";")]
    return [n for n in names if n]


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
    for name in _named_platforms(env) or DEFAULT_PLATFORMS:
        if name in _UNSEEN:
            continue
        if name not in DISPLAY_VARIABLES or env.get(DISPLAY_VARIABLES[name]):
            return True
    return False


def _connect(address: str | tuple[str, int]) -> str:
    """ "" when a stream socket connects to ``address`` (a socket file's path, an abstract
    name starting with a NUL byte, or a host and port); otherwise what the system said."""
    family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
    try:
        if family == socket.AF_INET:
            socket.create_connection(address, timeout=CONNECT_TIMEOUT_S).close()
            return ""
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(CONNECT_TIMEOUT_S)
            sock.connect(address)
        return ""
    except OSError as e:
        return e.strerror or str(e) or type(e).__name__


def _x11_problem(display: str) -> str:
    """Why no X server can be reached at ``display`` (``[host]:n[.screen]``), "" when one can
    or when the value is not of a form this checks (then Qt is left to try it)."""
    host, colon, number = display.rpartition(":")
    digits = number.split(".")[0]
    if not colon or not digits.isdigit() or host.startswith("/"):
        return ""  # a launchd socket path (XQuartz) or a form Qt may know better
    if host in ("", "unix"):
        path = X11_SOCKETS / f"X{int(digits)}"
        if sys.platform.startswith("linux") and not _connect(f"\0{path}"):
            return ""  # the server's abstract socket, which libxcb tries first
        said = _connect(str(path))
        return f"no X server at {path} ({said})" if said else ""
    port = X11_TCP_PORT + int(digits)
    said = _connect((host, port))
    return f"no X server at {host} port {port} ({said})" if said else ""


def _wayland_problem(name: str, env: Mapping[str, str]) -> str:
    """Why no Wayland compositor can be reached at ``name`` (``$WAYLAND_DISPLAY``: a socket in
    ``$XDG_RUNTIME_DIR``, or an absolute path), "" when one can."""
    runtime = env.get("XDG_RUNTIME_DIR", "")
    if not os.path.isabs(name) and not runtime:
        return "XDG_RUNTIME_DIR, the folder of its socket, is not set"
    path = os.path.join(runtime, name)
    said = _connect(path)
    return f"no compositor at {path} ({said})" if said else ""


def unreachable_display(environ: Mapping[str, str] | None = None, platform: str = "") -> str:
    """Why Qt would find no display to open here, one line ending in what to do instead; ""
    when it would find one, or when that is not for the variables to say. Asked before a
    ``QApplication`` is made, since Qt aborts the process when its platform cannot connect.

    The platforms are those :func:`display_available` weighs (``$QT_QPA_PLATFORM``'s, in turn;
    none named: Wayland and X11): one that connects, ``offscreen``/``minimal`` or one this
    does not know (``vnc``, ``eglfs``) is enough. X11's display server is reached as libxcb
    reaches it (``:n``: the socket ``/tmp/.X11-unix/X<n>``; ``host:n``: TCP port 6000 + n), a
    Wayland compositor at ``$XDG_RUNTIME_DIR/$WAYLAND_DISPLAY``; only a connection is made,
    nothing is said to the server. Windows and macOS always have a display."""
    env = os.environ if environ is None else environ
    platform = platform or sys.platform
    if platform in ("win32", "darwin"):
        return ""
    named = _named_platforms(env)
    reasons: list[str] = []
    for name in named or DEFAULT_PLATFORMS:
        variable = DISPLAY_VARIABLES.get(name)
        if variable is None:
            return ""  # offscreen, minimal, or a platform whoever named it knows
        value = env.get(variable, "")
        if not value:
            continue
        said = _x11_problem(value) if name == "xcb" else _wayland_problem(value, env)
        if not said:
            return ""
        reasons.append(f"the display {value} named by {variable}: {said}")
    if not reasons:
        unset = list(dict.fromkeys(DISPLAY_VARIABLES[n] for n in named)) or [
            "DISPLAY",
            "WAYLAND_DISPLAY",
        ]
        said = (
            f"{unset[0]} is not set" if len(unset) == 1 else f"neither {' nor '.join(unset)} is set"
        )
        return f"cannot open a display: {said}; {NO_WINDOW}"
    return f"cannot open {'; nor '.join(reasons)}; {NO_WINDOW}"


def show_refusal(line: str) -> bool:
    """Show ``line`` (why the viewer does not start) in a critical message box, as plain text
    (never read as markup: it holds a variable's value), and wait for it to be closed; False,
    with nothing shown, when no display can be opened (stderr has said it)."""
    if not display_available() or unreachable_display():
        return False
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QMessageBox

    _app = QApplication.instance() or QApplication(sys.argv[:1])
    box = QMessageBox(QMessageBox.Icon.Critical, TITLE, line, QMessageBox.StandardButton.Ok)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.exec()
    return True
