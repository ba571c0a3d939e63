"""Help ▸ About… and Keyboard shortcuts… of the main window (offscreen)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QPlainTextEdit

from engine.catalog import bundled_checkpoint_files
from forensic_viewer.audit import file_sha256
from forensic_viewer.environment import package_version
from forensic_viewer.gui.help_menu import about_text, code_identity, model_lines, shortcut_rows
from tests.viewer.test_open_folder import _window

pytestmark = pytest.mark.gui


def _menu_titles(window) -> list[str]:
    return [a.text() for a in window.menuBar().actions()]


def test_help_is_the_last_menu_and_about_names_program_models_and_libraries(
    qtbot, tmp_path: Path
) -> None:
    window = _window(qtbot, tmp_path / "settings.ini")
    assert _menu_titles(window)[-1] == "&Help"
    dialog = window.help.show_about()
    qtbot.addWidget(dialog)
    text = dialog.findChild(QPlainTextEdit).toPlainText()
    assert text.startswith("Forensic viewer ")
    assert f"torch {package_version('torch')}" in text
    assert "OpenVINO " in text and ", Qt " in text and "Documentation: " in text
    files = bundled_checkpoint_files()
    for path in files:  # each bundled model, with the start of its file's SHA-256
        assert f"sha256 {file_sha256(path)[:12]}" in text
    assert str(Path(__file__).resolve().parents[2] / "docs") in text


def test_the_code_identity_hook_reads_what_the_environment_records() -> None:
    assert code_identity({"app_version": "1"}) == ""
    code = {"commit": "abc1234def", "modified": True}
    assert code_identity({"code": code}) == "commit abc1234d, modified files"
    assert code_identity({"code": {"sources_sha256": "0" * 64}}) == "sources SHA-256 " + "0" * 16
    assert code_identity() != ""  # this checkout or installation records one
    env = {"app_version": "2.0", "code": {"commit": "abc1234", "modified": False}, "libraries": {}}
    assert "Forensic viewer 2.0\ncode: commit abc1234\n" in about_text(env, models=[])


def test_an_unreadable_model_is_named_with_its_problem(tmp_path: Path) -> None:
    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(b"not a checkpoint")
    (line,) = model_lines([bad])
    assert str(bad) in line and "not a safetensors file" in line


def test_the_shortcuts_listed_are_the_actions_own(qtbot, tmp_path: Path) -> None:
    """Built from the QActions: a shortcut changed is listed changed, none left out."""
    window = _window(qtbot, tmp_path / "settings.ini")
    rows = shortcut_rows(window)
    assert ("Analysis", "Analyse again", "Ctrl+R") in rows
    assert ("View", "Zoom in", "Ctrl+=, Ctrl++") in rows
    assert ("Help", "Keyboard shortcuts…", "Ctrl+/") in rows
    with_keys = [a for a in window.actions() if any(not k.isEmpty() for k in a.shortcuts())]
    assert len(rows) == len(with_keys)  # every action with a key, once
    window.analyse_action.setShortcut(QKeySequence("F5"))
    assert ("Analysis", "Analyse again", "F5") in shortcut_rows(window)
    dialog = window.help.show_shortcuts()
    qtbot.addWidget(dialog)
    assert "F5" in dialog.findChild(QPlainTextEdit).toPlainText()
