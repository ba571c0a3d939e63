"""The evidence list with awkward file names: a name that is not UTF-8, a name with a line
break. A row keeps its path on the Python side (Qt dropped a name's undecodable bytes), shows
the name as the command line writes it, and selecting it opens the real file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from forensic_viewer.gui.main_window import MainWindow
from forensic_viewer.gui.panels import BADGE_LOADING, EvidenceList
from forensic_viewer.wording import plain
from tests.conftest import HANG_MS
from tests.viewer.conftest import open_listed, write_image

pytestmark = pytest.mark.gui

NOT_UTF8 = os.fsdecode(b"bad\xff\xfename.jpg")  # its bytes as surrogates, as Python lists it


def test_a_name_that_is_not_utf8_keeps_one_row_and_its_path(qapp) -> None:
    evidence = EvidenceList()
    path = f"/cases/{NOT_UTF8}"
    item = evidence.entry(path)
    evidence.set_badge(item, BADGE_LOADING)
    assert evidence.count() == 1  # the badge went to the file's row, not to a second one
    assert evidence.path_of(evidence.item(0)) == path
    assert evidence.badge_text(path) == BADGE_LOADING.text
    # shown as the command line writes it: the undecodable bytes escaped, never dropped
    assert evidence.item(0).text() == f"{plain(NOT_UTF8)}\n    {BADGE_LOADING.text}"
    assert "ff" in evidence.item(0).text().split("\n")[0]


def test_a_name_with_a_line_break_is_one_line_and_its_badge_the_badge(qapp) -> None:
    evidence = EvidenceList()
    path = "/cases/new\nline.jpg"
    evidence.set_badge(evidence.entry(path), BADGE_LOADING)
    assert evidence.item(0).text() == f"new\\x0aline.jpg\n    {BADGE_LOADING.text}"
    assert evidence.badge_text(path) == BADGE_LOADING.text  # not "line.jpg\n    … loading"
    assert evidence.path_of(evidence.item(0)) == path


def test_selecting_a_file_whose_name_is_not_utf8_shows_that_file(qtbot, tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(models=[], device="cpu", settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window._models_known, timeout=HANG_MS)
    odd = write_image(tmp_path / NOT_UTF8, 40, 56)
    other = write_image(tmp_path / "grey.png", 32, 32)
    open_listed(qtbot, window, [odd, other])
    qtbot.waitUntil(lambda: all(not e.running for e in window.entries.values()), timeout=HANG_MS)
    assert window.evidence_list.count() == 2
    window.evidence_list.setCurrentRow(1)
    window.evidence_list.setCurrentRow(0)
    assert window.current == str(odd)
    assert window.layers is not None and window.layers.image is not None
    assert window.layers.image.shape == (40, 56)  # the real file's pixels, not nothing
    assert "no model" in window.evidence_list.badge_text(str(odd))
