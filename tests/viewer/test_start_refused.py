"""The viewer refused at its start for a relative FORENSIC_VIEWER_* variable says so in a box
as well as on stderr (stderr alone: launched from its desktop entry, nothing was seen); the
command line's subcommands print only. Offscreen, with the box's ``exec`` intercepted."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

import forensic_viewer.gui.app
from forensic_viewer.cli import EXIT_USAGE
from forensic_viewer.cli import main as viewer
from forensic_viewer.gui.refused import TITLE, display_available

pytestmark = pytest.mark.gui


@pytest.fixture
def boxes(qapp, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, x11_display: str) -> list[tuple]:
    """Every message box shown (its icon, title, text, text format), none left waiting; the
    viewer's window never opens; a desktop session's display named, with a server listening
    (the application made offscreen by the test session is the one used);
    FORENSIC_VIEWER_CASE relative."""
    shown: list[tuple] = []

    def exec_(box: QMessageBox) -> int:
        shown.append((box.icon(), box.windowTitle(), box.text(), box.textFormat()))
        return int(QMessageBox.StandardButton.Ok.value)

    monkeypatch.setattr(QMessageBox, "exec", exec_)
    monkeypatch.setattr(forensic_viewer.gui.app, "run_gui", lambda *a: pytest.fail("started"))
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setenv("DISPLAY", x11_display)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FORENSIC_VIEWER_CASE", "case <b>1</b>")
    return shown


def test_the_viewer_refused_at_start_shows_the_line_in_a_box_too(
    boxes: list[tuple], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert viewer([]) == EXIT_USAGE  # the same exit status as before
    (line,) = capsys.readouterr().err.splitlines()
    reason = "FORENSIC_VIEWER_CASE=case <b>1</b> is not an absolute path: "
    assert line.startswith(f"forensic-viewer: error: {reason}")
    ((icon, title, text, text_format),) = boxes
    assert icon == QMessageBox.Icon.Critical and title == TITLE
    assert f"forensic-viewer: error: {text}" == line  # the one line, as stderr has it
    assert text_format == Qt.TextFormat.PlainText  # "<b>" shown as typed, not as markup


def test_the_subcommands_refused_print_only(
    boxes: list[tuple], capsys: pytest.CaptureFixture[str]
) -> None:
    for command in (["models"], ["audit", "verify", "x.jsonl"]):
        capsys.readouterr()
        assert viewer(command) == EXIT_USAGE
        (line,) = capsys.readouterr().err.splitlines()
        assert "FORENSIC_VIEWER_CASE=case <b>1</b> is not an absolute path" in line
    assert boxes == []


def test_without_a_display_seen_the_viewer_refused_prints_only(
    boxes: list[tuple], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No display to connect to (Qt would abort the process: none named, or one named that
    no server serves), or one nobody sees (offscreen: the box would wait for a click
    forever): stderr alone, as before."""
    for platform, display in (("xcb", ""), ("xcb", ":1"), ("offscreen", ":0")):
        monkeypatch.setenv("QT_QPA_PLATFORM", platform)
        monkeypatch.setenv("DISPLAY", display)
        capsys.readouterr()
        assert viewer([]) == EXIT_USAGE
        assert "is not an absolute path" in capsys.readouterr().err
    assert boxes == []


@pytest.mark.parametrize(
    ("env", "platform", "seen"),
    [
        ({"DISPLAY": ":0"}, "linux", True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", True),
        ({}, "linux", False),
        ({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"}, "linux", False),
        ({"QT_QPA_PLATFORM": "wayland;xcb", "DISPLAY": ":1"}, "linux", True),
        ({"QT_QPA_PLATFORM": "xcb:dpi=96", "DISPLAY": ":1"}, "linux", True),
        ({"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":1"}, "linux", False),
        ({"QT_QPA_PLATFORM": "vnc"}, "linux", True),
        ({}, "win32", True),
        ({}, "darwin", True),
    ],
)
def test_a_display_is_one_qt_can_open_and_someone_sees(
    env: dict[str, str], platform: str, seen: bool
) -> None:
    assert display_available(env, platform) is seen
