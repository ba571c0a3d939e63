"""Where File ▸ Open… and Open Folder… start: the shown evidence's folder, else the last one
used (kept across sessions), else home; they started in the process's working directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from tests.conftest import HANG_MS
from tests.viewer.conftest import write_image
from tests.viewer.test_open_folder import _window

pytestmark = pytest.mark.gui


def test_the_pickers_start_at_the_evidence_else_the_last_folder_else_home(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the working directory: where the viewer was launched
    case = tmp_path / "case 7"
    case.mkdir()
    image = write_image(case / "a.png", 32, 32)
    started: list[str] = []
    answers: list[object] = []

    def files(_parent: object, _title: str, start: str, *_a: object, **_k: object):
        started.append(start)
        return answers.pop(0), ""

    def folder(_parent: object, _title: str, start: str, *_a: object, **_k: object) -> str:
        started.append(start)
        return ""

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", files)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", folder)
    settings = tmp_path / "settings.ini"
    window = _window(qtbot, settings)
    answers.append([])
    window.open_dialog()
    window.open_folder_dialog()
    assert started == [str(Path.home())] * 2  # nothing opened yet, ever
    answers.append([str(image)])
    window.open_dialog()
    qtbot.waitUntil(lambda: window.current == str(image), timeout=HANG_MS)
    answers.append([])
    window.open_dialog()
    window.open_folder_dialog()
    assert started[-2:] == [str(case)] * 2  # the shown evidence's folder
    window.close()
    again = _window(qtbot, settings)  # another session, nothing shown: the last folder used
    answers.append([])
    again.open_dialog()
    assert started[-1] == str(case)
