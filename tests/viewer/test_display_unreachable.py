"""A viewer started with a display named but not there (``$DISPLAY`` left from another
session, an ``ssh -X`` whose forwarding ended) says so in one line and exits 2: Qt aborted it
(exit 134, a core dump) after the project's own checks. The display servers here are sockets
the tests listen on, in a folder of their own; the free ones, sockets nobody listens on."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import forensic_viewer.gui.app
from forensic_viewer.cli import EXIT_USAGE
from forensic_viewer.cli import main as viewer
from forensic_viewer.gui.refused import NO_WINDOW, X11_SOCKETS, unreachable_display
from tests.conftest import HANG_S
from tests.viewer.conftest import listening

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tcp_display() -> Iterator[tuple[str, socket.socket]]:
    """``127.0.0.1:<n>`` with a server listening on TCP port 6000 + n, as an X server on
    another host (or ``ssh -X``'s forwarding) listens; the first n free here."""
    for n in range(60, 200):
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            server.bind(("127.0.0.1", 6000 + n))
        except OSError:
            server.close()
            continue
        server.listen()
        yield f"127.0.0.1:{n}", server
        server.close()
        return
    pytest.skip("no free TCP port from 6060 to 6199")


@pytest.mark.parametrize("display", [":0", ":0.0", "unix:0", "unix:0.1"])
def test_a_display_whose_server_listens_is_reachable(x11_display: str, display: str) -> None:
    assert unreachable_display({"DISPLAY": display}, "linux") == ""


def test_a_display_nobody_serves_is_said_in_one_line(x11_display: str, short_dir: Path) -> None:
    said = unreachable_display({"DISPLAY": ":7"}, "linux")
    assert said == (
        f"cannot open the display :7 named by DISPLAY: no X server at {short_dir / 'X7'} "
        f"(No such file or directory); {NO_WINDOW}"
    )


def test_the_socket_a_crashed_server_left_behind_is_not_a_display(
    x11_display: str, short_dir: Path
) -> None:
    listening(short_dir / "X3").close()  # the file stays, nothing listens
    said = unreachable_display({"DISPLAY": ":3"}, "linux")
    assert (short_dir / "X3").exists()
    assert said.startswith(
        f"cannot open the display :3 named by DISPLAY: no X server at {short_dir / 'X3'} ("
    )
    assert said.endswith(NO_WINDOW) and "\n" not in said


def test_a_display_on_another_host_is_reached_on_its_tcp_port(
    tcp_display: tuple[str, socket.socket],
) -> None:
    display, server = tcp_display
    assert unreachable_display({"DISPLAY": display}, "linux") == ""
    server.close()
    port = 6000 + int(display.rsplit(":", 1)[1])
    said = unreachable_display({"DISPLAY": display}, "linux")
    assert f"named by DISPLAY: no X server at 127.0.0.1 port {port} (" in said, said


def test_a_wayland_display_is_its_socket_in_the_runtime_folder(short_dir: Path) -> None:
    env = {"WAYLAND_DISPLAY": "wayland-1", "XDG_RUNTIME_DIR": str(short_dir)}
    said = unreachable_display(env, "linux")
    assert said.startswith("cannot open the display wayland-1 named by WAYLAND_DISPLAY: ")
    with listening(short_dir / "wayland-1"):
        assert unreachable_display(env, "linux") == ""
        absolute = {"WAYLAND_DISPLAY": str(short_dir / "wayland-1")}  # no runtime folder needed
        assert unreachable_display(absolute, "linux") == ""
    no_folder = unreachable_display({"WAYLAND_DISPLAY": "wayland-1"}, "linux")
    assert "XDG_RUNTIME_DIR" in no_folder


@pytest.mark.parametrize(
    ("env", "reachable"),
    [
        ({"QT_QPA_PLATFORM": "wayland;xcb", "WAYLAND_DISPLAY": "none", "DISPLAY": ":0"}, True),
        ({"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":5"}, False),
        ({"QT_QPA_PLATFORM": "xcb:dpi=96", "DISPLAY": ":0"}, True),
        ({"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":5"}, True),  # no window: no server
        ({"QT_QPA_PLATFORM": "vnc", "DISPLAY": ":5"}, True),  # not for the variables to say
        ({"DISPLAY": "/private/tmp/launchd/org.xquartz:0"}, True),  # a form left to Qt
        ({}, False),
    ],
)
def test_any_platform_qt_would_try_that_connects_is_enough(
    x11_display: str, short_dir: Path, env: dict[str, str], reachable: bool
) -> None:
    env = {"XDG_RUNTIME_DIR": str(short_dir), **env}
    said = unreachable_display(env, "linux")
    assert (said == "") is reachable, said


def test_none_named_is_said_too() -> None:
    said = unreachable_display({"QT_QPA_PLATFORM": "xcb"}, "linux")
    assert said == f"cannot open a display: DISPLAY is not set; {NO_WINDOW}"
    both = unreachable_display({}, "linux")
    assert both.startswith("cannot open a display: neither DISPLAY nor WAYLAND_DISPLAY is set")
    assert unreachable_display({}, "win32") == unreachable_display({}, "darwin") == ""


def test_the_viewer_refuses_before_qt_starts(
    x11_display: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(forensic_viewer.gui.app, "run_gui", lambda *a: pytest.fail("started"))
    monkeypatch.delenv("QT_QPA_PLATFORM")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":4")
    capsys.readouterr()
    assert viewer([]) == EXIT_USAGE
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("forensic-viewer: error: cannot open the display :4 named by DISPLAY")


def _free_display() -> int:
    """A display number with no server here: no socket file, no abstract socket."""
    for n in range(90, 400):
        path = X11_SOCKETS / f"X{n}"
        if path.exists():
            continue
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(f"\0{path}")
            except OSError:
                return n
    pytest.skip("no free display number from 90 to 399")


def test_the_program_exits_2_not_aborted_by_qt() -> None:
    """The program as started (Qt aborted it: exit 134 and "could not connect to display")."""
    n = _free_display()
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    done = subprocess.run(
        [sys.executable, "-m", "forensic_viewer"],
        cwd=ROOT,
        env={**env, "DISPLAY": f":{n}", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=HANG_S,
    )
    assert done.returncode == EXIT_USAGE, done.stderr
    assert done.stderr.splitlines() == [
        f"forensic-viewer: error: cannot open the display :{n} named by DISPLAY: no X server at "
        f"{X11_SOCKETS / f'X{n}'} (No such file or directory); {NO_WINDOW}"
    ]
