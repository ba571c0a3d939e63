"""Paths whose names are not UTF-8 through the viewer's other ways in besides the evidence
list (pytest-qt, offscreen): File ▸ Open Recent, a drop, the Models panel, and the error line
said of such a file. Qt holds text as UTF-16 and dropped a name's undecodable bytes (Python's
surrogates), so each of these opened, or named, a file that does not exist."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote_from_bytes

import pytest
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDropEvent

from forensic_viewer.gui.main_window import MainWindow
from forensic_viewer.wording import plain
from tests.conftest import HANG_MS, make_tiny_checkpoint
from tests.viewer.conftest import write_image

pytestmark = pytest.mark.gui

NOT_UTF8 = os.fsdecode(b"bad\xff.png")  # its byte 0xff as the surrogate Python lists it with


def _window(qtbot, settings_file: Path) -> MainWindow:
    settings = QSettings(str(settings_file), QSettings.Format.IniFormat)
    window = MainWindow(models=[], device="cpu", settings=settings)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window._models_known, timeout=HANG_MS)
    return window


def _idle(window: MainWindow) -> bool:
    return window.lister.idle and not any(e.running for e in window.entries.values())


def test_open_recent_keeps_and_reopens_a_name_that_is_not_utf8(qtbot, tmp_path: Path) -> None:
    """The entry came back from QSettings as ``bad.png``: reopening it said "no such file"
    and took it out of the list, in this session and the next."""
    odd = write_image(tmp_path / NOT_UTF8, 32, 40).resolve()
    window = _window(qtbot, tmp_path / "settings.ini")
    window.open_paths([odd])
    qtbot.waitUntil(lambda: _idle(window), timeout=HANG_MS)
    assert window.recent_files() == [str(odd)]
    assert window.recent_menu.actions()[0].text() == f"&1 {tmp_path.resolve()}/bad\\xff.png"
    window.settings.sync()
    later = _window(qtbot, tmp_path / "settings.ini")  # the next session
    assert later.recent_files() == [str(odd)]
    later.recent_menu.actions()[0].trigger()
    qtbot.waitUntil(lambda: _idle(later), timeout=HANG_MS)
    assert list(later.entries) == [str(odd)]
    assert later.layers is not None and later.layers.image is not None
    assert later.layers.image.shape == (32, 40)  # the real file, decoded
    assert later.recent_files() == [str(odd)]  # still listed: it is there


def test_open_recent_reads_the_list_an_earlier_version_kept(qtbot, tmp_path: Path) -> None:
    """Entries kept as text by versions before the bytes were kept are read, and a new entry
    replaces that list (its paths kept with it)."""
    kept = write_image(tmp_path / "kept.png", 32, 32).resolve()
    window = _window(qtbot, tmp_path / "settings.ini")
    window.settings.setValue("recent_files", [str(kept)])
    assert window.recent_files() == [str(kept)]
    new = write_image(tmp_path / "new.png", 32, 32).resolve()
    window.open_paths([new])
    qtbot.waitUntil(lambda: _idle(window), timeout=HANG_MS)
    assert window.recent_files() == [str(new), str(kept)]
    window.recent.clear()
    window.settings.sync()
    assert _window(qtbot, tmp_path / "settings.ini").recent_files() == []  # cleared, both


def _drop(window: MainWindow, uri_list: bytes) -> None:
    """A drop as a file manager makes one: ``text/uri-list``, a name's bytes percent-encoded."""
    mime = QMimeData()
    mime.setData("text/uri-list", uri_list)
    event = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    window.dropEvent(event)


def test_a_dropped_file_whose_name_is_not_utf8_is_that_file(qtbot, tmp_path: Path) -> None:
    """``QUrl.toLocalFile`` gave ``bad\\ufffd.png`` (the byte replaced): the drop opened a
    file that does not exist. The URL's percent-encoded bytes carry the name whole."""
    odd = write_image(tmp_path / NOT_UTF8, 32, 40).resolve()
    window = _window(qtbot, tmp_path / "settings.ini")
    _drop(window, b"file://" + quote_from_bytes(os.fsencode(odd)).encode() + b"\r\n")
    qtbot.waitUntil(lambda: _idle(window), timeout=HANG_MS)
    assert list(window.entries) == [str(odd)]
    assert window.layers is not None and window.layers.image is not None
    assert window.layers.image.shape == (32, 40)
    plain_name = write_image(tmp_path / "a b#1.png", 24, 24).resolve()  # quoted: space, '#'
    _drop(window, QUrl.fromLocalFile(str(plain_name)).toEncoded().data() + b"\r\n")
    qtbot.waitUntil(lambda: _idle(window), timeout=HANG_MS)
    assert list(window.entries) == [str(odd), str(plain_name)]


def test_the_models_panel_keeps_a_checkpoint_name_that_is_not_utf8(
    qtbot, tmp_path: Path, models_dir: Path
) -> None:
    """The row's path was kept as Qt item data and came back without its byte: "Use checked
    models" asked for ``tiny.safetensors``, a file that does not exist, and adding the file
    again made a second row."""
    from forensic_viewer.gui.model_panel import ModelPanel

    models_dir.mkdir()
    listed = make_tiny_checkpoint(models_dir / os.fsdecode(b"mine\xfe.safetensors")).resolve()
    picked = make_tiny_checkpoint(tmp_path / os.fsdecode(b"tiny\xff.safetensors")).resolve()
    panel = ModelPanel()
    qtbot.addWidget(panel)
    assert str(listed) in panel.paths()  # the user models folder's
    assert panel.add_file(str(picked))
    rows = panel.list.count()
    assert panel.add_file(str(picked)) and panel.list.count() == rows  # the same row
    panel.set_checked({str(listed), str(picked)})
    assert set(panel.checked_paths()) == {str(listed), str(picked)}
    asked: list[list[str]] = []
    panel.apply.connect(lambda paths, _device: asked.append(paths))
    panel._apply()
    assert [set(a) for a in asked] == [{str(listed), str(picked)}]
    panel.refresh()  # the file added by hand stays, still that file
    assert str(picked) in panel.paths() and str(picked) in panel.checked_paths()


def test_the_batch_dialogs_model_list_keeps_a_checkpoint_name_that_is_not_utf8(
    qtbot, tmp_path: Path, models_dir: Path
) -> None:
    """The batch dialog's Models row kept its paths as Qt item data too: a scan asked for
    ``tiny.safetensors``."""
    from forensic_viewer.gui.model_choice import ModelList

    picked = make_tiny_checkpoint(tmp_path / os.fsdecode(b"tiny\xff.safetensors")).resolve()
    models = ModelList()
    qtbot.addWidget(models)
    models.fill([str(picked)])
    assert models.checked_paths() == [str(picked)]
    models.refresh()
    assert models.checked_paths() == [str(picked)]


def test_a_file_that_fails_is_named_in_the_error_as_the_command_line_writes_it(
    qtbot, tmp_path: Path
) -> None:
    """The loader's "<path>: reason" went to the status bar and the Verdict panel raw: a
    name's line break split the status line in two ("  |  "), its escape sequence was shown
    as it is and its byte that is not UTF-8 was dropped (Qt's text), naming another file."""
    bad = tmp_path / os.fsdecode(b"bro\xffken\n\x1b[31m.png")
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"garbage" * 8)
    window = _window(qtbot, tmp_path / "settings.ini")
    window.open_paths([bad])
    qtbot.waitUntil(lambda: _idle(window), timeout=HANG_MS)
    error = window.entries[str(bad)].error
    assert error is not None and error.startswith(f"{bad}: ")  # as the loader said it
    said = window.statusBar().currentMessage()
    assert said == plain(error)  # as the command line prints it
    assert said.startswith(f"{plain(tmp_path)}/bro\\xffken\\x0a\\x1b[31m.png: ")
    assert window.verdict_panel.message.text() == plain(error)


def test_a_failed_scan_row_whose_name_is_not_utf8_opens_that_file(qtbot, tmp_path: Path) -> None:
    """A double-clicked row with no result opens its file as a new one: the path went through
    ``Signal(str)`` and arrived without its byte."""
    from forensic_viewer.gui.batch_dialog import BatchDialog
    from forensic_viewer.scan.triage import TriageRow

    odd = str(tmp_path / NOT_UTF8)
    dialog = BatchDialog(None, models=[], device="cpu")
    qtbot.addWidget(dialog)
    opened: list[str] = []
    dialog.openFile.connect(opened.append)
    row = TriageRow(
        key=NOT_UTF8, file=odd, status="error", error=f"{odd}: damaged", sha256=None, cells=(),
        ensemble=None, forged_fraction=None, faces=None, disagreement=None,
        verdicts_disagree=False, thumbnail=None,
    )  # fmt: skip
    dialog.open_row(row)
    assert opened == [odd]
