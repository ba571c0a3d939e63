"""Opening lists what it opens off the GUI thread (pytest-qt, offscreen): a folder on a hung
mount, or a huge one, froze the window while it was listed, and so did an Open Recent entry's
existence check; the subfolders a folder left out were said once and gone within moments.

The file system is made slow by a blocking call the test releases (its wait has a timeout
only so that a regression fails instead of hanging the suite): no sleeps, no timings.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QTimer

from forensic_viewer.gui.main_window import MainWindow
from tests.conftest import HANG_MS, HANG_S
from tests.viewer.conftest import write_image

pytestmark = pytest.mark.gui

# s a held call waits for its release (a regression then fails, not hangs); 20 s ran out on a
# loaded machine before the test released it, and the listing it held then went on early
HELD_AT_MOST = HANG_S


def _window(qtbot, tmp_path: Path) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(models=[], device="cpu", settings=settings)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window._models_known, timeout=HANG_MS)
    return window


class Held:
    """``os.<name>`` of ``path`` held until :meth:`release` (other paths as usual)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, name: str, path: Path) -> None:
        self.entered = threading.Event()
        self.released = threading.Event()
        self.calls: list[str] = []
        real = getattr(os, name)

        def held(target, *args, **kwargs):
            if os.fspath(target) == str(path):
                self.calls.append(threading.current_thread().name)
                self.entered.set()
                self.released.wait(HELD_AT_MOST)
            return real(target, *args, **kwargs)

        monkeypatch.setattr(os, name, held)

    def release(self) -> None:
        self.released.set()


def _folder(root: Path, name: str, *images: str) -> Path:
    folder = root / name
    folder.mkdir()
    for image in images:
        write_image(folder / image, 32, 32)
    return folder.resolve()


def test_a_folder_is_listed_off_the_gui_thread_and_opened_when_it_comes_after_a_later_open(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = _folder(tmp_path, "on a hung mount", "x.png")
    quick = _folder(tmp_path, "local", "b.png", "a.png")
    window = _window(qtbot, tmp_path)
    held = Held(monkeypatch, "scandir", slow)
    window.open_paths([slow])  # returned while its listing is held
    assert window.statusBar().currentMessage() == f"Listing {slow}…"
    qtbot.waitUntil(held.entered.is_set, timeout=HANG_MS)
    assert held.calls and held.calls[0] != threading.main_thread().name
    ticked: list[bool] = []
    QTimer.singleShot(0, lambda: ticked.append(True))  # the event loop runs meanwhile
    qtbot.waitUntil(lambda: bool(ticked), timeout=HANG_MS)
    assert window.entries == {} and window.lister.listing
    window.open_paths([quick])  # a second Open while the first lists: shown first
    qtbot.waitUntil(lambda: not window.lister.listing, timeout=HANG_MS)
    assert not window.lister.idle  # the first listing is still held
    opened = [str(quick / "a.png"), str(quick / "b.png")]
    assert list(window.entries) == opened and window.current == opened[0]
    held.release()
    qtbot.waitUntil(lambda: window.lister.idle, timeout=HANG_MS)  # its late result came
    # and was opened too (the analyst asked for it), without taking the view from the newest
    assert list(window.entries) == [*opened, str(slow / "x.png")]
    assert window.current == opened[0]
    assert set(window.recent_files()) == {f"{quick}{os.sep}", f"{slow}{os.sep}"}
    assert str(slow) not in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: not any(e.running for e in window.entries.values()), timeout=HANG_MS)


def test_a_folder_that_cannot_be_listed_is_one_line_naming_it(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder that could not be listed (permission denied; gone since it was chosen)
    said "no image files directly inside", as if it had been read and held none."""
    locked = _folder(tmp_path, "locked", "a.png")
    gone = _folder(tmp_path, "gone", "a.png")
    real = os.scandir
    refusals = {str(locked): PermissionError(13, "Permission denied", str(locked))}
    refusals[str(gone)] = FileNotFoundError(2, "No such file or directory", str(gone))

    def scandir(path=".", *args, **kwargs):
        if (refused := refusals.get(os.fspath(path))) is not None:
            raise refused
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)
    window = _window(qtbot, tmp_path)
    bar = window.statusBar()
    for folder, why in ((locked, "Permission denied"), (gone, "No such file or directory")):
        window.open_paths([folder])
        qtbot.waitUntil(lambda: not bar.currentMessage().startswith("Listing"), timeout=HANG_MS)
        assert bar.currentMessage() == (
            f"{folder}: the folder cannot be listed ({why}); nothing in it was opened"
        )
    assert window.entries == {} and window.recent_files() == []


def test_open_recent_checks_an_entry_when_chosen_off_the_gui_thread(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether an Open Recent entry was still there was asked on the GUI thread: an entry on
    a dead mount hung the window. The menu is built without asking at all."""
    window = _window(qtbot, tmp_path)
    gone = tmp_path / "moved away"
    entries = [f"{gone}{os.sep}", str(tmp_path / "kept.png")]
    stats = Held(monkeypatch, "stat", gone)
    kept = Held(monkeypatch, "stat", tmp_path / "kept.png")
    kept.release()  # only recorded
    window.settings.setValue("recent_files", entries)
    window.recent.rebuild()
    assert not stats.calls and not kept.calls  # building the menu stats no entry
    window.recent_menu.actions()[0].trigger()  # returned while its stat is held
    assert window.statusBar().currentMessage() == f"Listing {gone}…"
    qtbot.waitUntil(stats.entered.is_set, timeout=HANG_MS)
    assert stats.calls[0] != threading.main_thread().name
    assert window.recent_files() == entries  # not known to be gone yet
    stats.release()
    qtbot.waitUntil(lambda: window.lister.idle, timeout=HANG_MS)
    said = f"{gone}{os.sep}: no such folder; taken out of File ▸ Open Recent"
    assert window.statusBar().currentMessage() == said
    assert window.recent_files() == entries[1:] and window.entries == {}


def test_the_subfolders_left_out_stay_said_until_another_folder_is_opened(
    qtbot, tmp_path: Path
) -> None:
    """The line "N subfolders not opened" went at the next progress message: a status-bar
    mark keeps it, for a screen reader too, until another folder is opened."""
    folder = _folder(tmp_path, "case", "a.png")
    for sub in ("one", "two"):
        (folder / sub).mkdir()
        write_image(folder / sub / "deeper.png", 32, 32)
    lone = _folder(tmp_path, "lone", "b.png")
    single = write_image(tmp_path / "single.png", 32, 32)
    window = _window(qtbot, tmp_path)
    mark = window.left_out_mark
    assert mark.isHidden()
    window.open_paths([folder])
    qtbot.waitUntil(lambda: window.lister.idle, timeout=HANG_MS)
    line = f"{folder}: 2 subfolders not opened (File ▸ Scan a folder… reads them)"
    window.statusBar().showMessage("analysing a.png: 10 %")  # the next progress message
    assert not mark.isHidden() and mark.text() == "2 subfolders not opened"
    assert mark.toolTip() == line and mark.accessibleDescription() == line
    assert mark.accessibleName() == "Subfolders not opened"
    assert mark in window.statusBar().findChildren(type(mark))
    window.open_paths([single])  # a file: the folder's mark stays
    qtbot.waitUntil(lambda: window.lister.idle, timeout=HANG_MS)
    assert not mark.isHidden() and mark.toolTip() == line
    window.open_paths([lone])  # another folder, which leaves nothing out
    qtbot.waitUntil(lambda: window.lister.idle, timeout=HANG_MS)
    assert mark.isHidden() and mark.accessibleDescription() == ""
    qtbot.waitUntil(lambda: not any(e.running for e in window.entries.values()), timeout=HANG_MS)
