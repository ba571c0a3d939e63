"""Values in the settings file that the viewer did not write (a hand edit, a sync tool, an
older build) and two viewers on one account (pytest-qt, offscreen).

One non-list value under ``recent_files`` stopped every start with a ``TypeError`` and a
SIGABRT, naming no file; a byte array became ten entries ``b'/'``, ``b't'``…; a rectangle
became the pickers' start folder; 20,000 entries were all read into the menu. Two viewers
each wrote back their own copy of Open Recent, so the last one to open a file dropped the
other's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray, QRect, QSettings
from PySide6.QtWidgets import QFileDialog

from forensic_viewer.gui.file_menu import MAX_RECENT, SETTINGS_KEY, TEXT_SETTINGS_KEY
from forensic_viewer.gui.window_opening import LAST_FOLDER_KEY
from tests.conftest import HANG_S
from tests.viewer.test_open_folder import _window

pytestmark = pytest.mark.gui


def _write(path: Path, text: str) -> Path:
    path.write_text(f"[General]\n{text}\n")
    return path


@pytest.mark.parametrize(
    "line",
    [
        f"{TEXT_SETTINGS_KEY}=@Variant(\\0\\0\\0\\x2\\0\\0\\0\\x5)",  # an int
        f"{TEXT_SETTINGS_KEY}=@Rect(1 2 3 4)",
        f"{TEXT_SETTINGS_KEY}=@ByteArray(/tmp/x.jpg)",
        f"{SETTINGS_KEY}=@Size(3 4)",
        f"{SETTINGS_KEY}=@Variant(\\0\\0\\0\\x2\\0\\0\\0\\x5)",
    ],
)
def test_a_recent_list_of_the_wrong_type_is_ignored_and_said_naming_key_and_file(
    qtbot, tmp_path: Path, line: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _write(tmp_path / "settings.ini", line)
    window = _window(qtbot, settings)  # the window starts
    assert window.recent_files() == []
    key = line.split("=")[0]
    said = [r.getMessage() for r in caplog.records if "was ignored" in r.getMessage()]
    assert len(said) == 1 and key in said[0] and str(settings) in said[0]
    window.recent.rebuild()  # read again: said no more
    assert len([r for r in caplog.records if "was ignored" in r.getMessage()]) == 1


def test_the_recent_list_is_capped_when_read(qtbot, tmp_path: Path) -> None:
    settings_file = tmp_path / "settings.ini"
    many = QSettings(str(settings_file), QSettings.Format.IniFormat)
    many.setValue(SETTINGS_KEY, [QByteArray(f"/f{i}.jpg".encode()) for i in range(500)])
    many.sync()
    window = _window(qtbot, settings_file)
    assert window.recent_files() == [f"/f{i}.jpg" for i in range(MAX_RECENT)]
    entries = [a for a in window.recent_menu.actions() if not a.isSeparator()]
    assert len(entries) == MAX_RECENT + 1  # and Clear the list
    assert "only the first 10 are read" in window.statusBar().currentMessage()


def test_a_last_folder_that_is_not_text_is_not_where_the_pickers_start(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_file = tmp_path / "settings.ini"
    odd = QSettings(str(settings_file), QSettings.Format.IniFormat)
    odd.setValue(LAST_FOLDER_KEY, QRect(1, 2, 3, 4))
    odd.sync()
    started: list[str] = []

    def folder(_parent: object, _title: str, start: str, *_a: object, **_k: object) -> str:
        started.append(start)
        return ""

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", folder)
    window = _window(qtbot, settings_file)
    window.open_folder_dialog()
    assert started == [str(Path.home())]
    assert LAST_FOLDER_KEY in window.statusBar().currentMessage()


def test_an_error_building_the_window_is_a_python_error_not_an_abort(tmp_path: Path) -> None:
    """The analysis worker and the layer renderer were started before the menus were built:
    an exception there destroyed a running QThread with the half-made window (SIGABRT)."""
    code = (
        "from PySide6.QtWidgets import QApplication\n"
        "from forensic_viewer.gui.main_window import MainWindow\n"
        "from forensic_viewer.gui import window_layout\n"
        "app = QApplication([])\n"
        "def broken(self): raise TypeError('built wrong')\n"
        "window_layout.WindowLayout._build_actions = broken\n"
        "try:\n"
        "    MainWindow(models=[], device='cpu')\n"
        "except TypeError as e:\n"
        "    print('raised', e)\n"
        "import gc; gc.collect()\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    root = Path(__file__).resolve().parents[2]  # this checkout's code, not an installed one
    env["PYTHONPATH"] = str(root)
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_S,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "raised built wrong" in done.stdout


def test_two_viewers_on_one_account_keep_both_viewers_recent_files(qtbot, tmp_path: Path) -> None:
    """Viewer A is another process (in one process Qt shares one copy of a settings file)."""
    settings_file = tmp_path / "settings.ini"
    b = _window(qtbot, settings_file)
    assert b.recent_files() == []  # B read the list before A opened anything
    viewer_a = (
        "import sys\n"
        "from PySide6.QtCore import QByteArray, QSettings\n"
        "s = QSettings(sys.argv[1], QSettings.Format.IniFormat)\n"
        f"s.setValue({SETTINGS_KEY!r}, [QByteArray(b'/e/img02.jpg'), QByteArray(b'/e/coffee.jpg')])\n"
        "s.sync()\n"
    )
    subprocess.run([sys.executable, "-c", viewer_a, str(settings_file)], check=True, timeout=HANG_S)
    b.recent.remember("/e/img01.jpg")
    assert b.recent_files() == ["/e/img01.jpg", "/e/img02.jpg", "/e/coffee.jpg"]
    again = subprocess.run(
        [sys.executable, "-c", "import sys; print(open(sys.argv[1]).read())", str(settings_file)],
        capture_output=True,
        text=True,
        check=True,
        timeout=HANG_S,
    )
    assert "coffee.jpg" in again.stdout and "img01.jpg" in again.stdout
