"""File ▸ Open Folder… and the folders of File ▸ Open Recent (pytest-qt, offscreen).

Folders opened only by drag-and-drop, the command line and Open Recent; Open Recent showed a
folder as it shows a file, and an entry whose folder was gone opened as an unreadable file
named like the folder, kept in the list.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDropEvent, QKeySequence
from PySide6.QtWidgets import QFileDialog, QStyle

from forensic_viewer.gui.main_window import MainWindow
from tests.conftest import HANG_MS
from tests.viewer.conftest import without_sessions, write_image

pytestmark = pytest.mark.gui


def _window(qtbot, settings_file: Path) -> MainWindow:
    """A window without models (opening and listing files is what is tested)."""
    settings = QSettings(str(settings_file), QSettings.Format.IniFormat)
    window = MainWindow(models=[], device="cpu", settings=settings)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window._models_known, timeout=HANG_MS)  # its status line said
    return window


def _idle(window: MainWindow) -> bool:
    """Listed (off the GUI thread) and analysed."""
    return window.lister.idle and not any(e.running for e in window.entries.values())


def _listed(qtbot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.lister.idle, timeout=HANG_MS)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Two images directly inside, one in a subfolder."""
    folder = tmp_path / "case 7"
    (folder / "sub").mkdir(parents=True)
    for name in ("b.png", "a.png"):
        write_image(folder / name, 32, 32)
    write_image(folder / "sub" / "c.png", 32, 32)
    return folder.resolve()


@pytest.fixture
def picker(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[tuple]]:
    """The folder picker replaced: it answers the folders queued ("": closed) and records
    each call's arguments."""
    answers: list[str] = []
    asked: list[tuple] = []

    def answer(*args: object) -> str:
        asked.append(args)
        return answers.pop(0)

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", answer)
    return answers, asked


def _file_action(window: MainWindow, text: str):
    (action,) = [a for a in window.menuBar().actions()[0].menu().actions() if a.text() == text]
    return action


def test_open_folder_opens_the_folder_as_a_drop_does(
    qtbot, tmp_path: Path, folder: Path, picker
) -> None:
    answers, asked = picker
    window = _window(qtbot, tmp_path / "picked.ini")
    action = _file_action(window, "Open &Folder…")
    assert action.shortcut() == QKeySequence("Ctrl+Shift+F")
    answers.append("")  # closed: nothing opens
    action.trigger()
    assert window.entries == {} and window.recent_files() == []
    answers.append(str(folder))
    action.trigger()
    (_parent, _title, _start, options) = asked[-1]
    assert options & QFileDialog.Option.ReadOnly  # nothing renamed or deleted from it
    assert options & QFileDialog.Option.ShowDirsOnly
    qtbot.waitUntil(lambda: _idle(window), timeout=HANG_MS)
    dropped = _window(qtbot, tmp_path / "dropped.ini")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    drop = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    dropped.dropEvent(drop)
    qtbot.waitUntil(lambda: _idle(dropped), timeout=HANG_MS)
    # its images, not its subfolder's, in the order a drop takes them
    assert list(window.entries) == [str(folder / "a.png"), str(folder / "b.png")]
    assert list(window.entries) == list(dropped.entries)
    assert window.current == dropped.current == str(folder / "a.png")
    assert window.recent_files() == dropped.recent_files() == [f"{folder}{os.sep}"]


def test_a_folder_with_images_only_in_subfolders_says_so(
    qtbot, tmp_path: Path, folder: Path, picker
) -> None:
    answers, _ = picker
    window = _window(qtbot, tmp_path / "settings.ini")
    answers.append(str(folder.parent))  # tmp_path: only "case 7" inside
    _file_action(window, "Open &Folder…").trigger()
    _listed(qtbot, window)
    assert window.entries == {} and window.recent_files() == []
    said = window.statusBar().currentMessage()
    assert said == (
        f"{folder.parent}: no image files directly inside (its subfolders are not opened; "
        "File ▸ Scan a folder… reads them)"
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    window.open_paths([folder.parent, empty])  # dropped together
    _listed(qtbot, window)
    assert window.statusBar().currentMessage() == (
        "no image files directly inside these folders (their subfolders are not opened)"
    )


def test_open_recent_tells_folders_from_files(qtbot, tmp_path: Path, folder: Path) -> None:
    window = _window(qtbot, tmp_path / "settings.ini")
    single = write_image(tmp_path / "single.png", 32, 32).resolve()
    window.settings.setValue("recent_files", [str(folder)])  # kept by an earlier version
    window.open_paths([single])
    qtbot.waitUntil(lambda: _idle(window), timeout=HANG_MS)
    window.open_paths([folder])  # the earlier entry of it goes
    qtbot.waitUntil(lambda: _idle(window), timeout=HANG_MS)
    assert window.recent_files() == [f"{folder}{os.sep}", str(single)]
    first, second = [a for a in window.recent_menu.actions() if not a.isSeparator()][:2]
    assert first.text() == f"&1 {folder}{os.sep}" and second.text() == f"&2 {single}"
    style = window.recent_menu.style()
    folder_icon = style.standardIcon(QStyle.StandardPixmap.SP_DirIcon).pixmap(16).toImage()
    file_icon = style.standardIcon(QStyle.StandardPixmap.SP_FileIcon).pixmap(16).toImage()
    assert folder_icon != file_icon
    assert first.icon().pixmap(16).toImage() == folder_icon
    assert second.icon().pixmap(16).toImage() == file_icon
    window.settings.sync()
    later = _window(qtbot, tmp_path / "settings.ini")  # the next session: reopened as a folder
    later.recent_menu.actions()[0].trigger()
    _listed(qtbot, later)
    assert list(later.entries) == [str(folder / "a.png"), str(folder / "b.png")]
    qtbot.waitUntil(lambda: _idle(later), timeout=HANG_MS)


def test_a_recent_folder_or_file_that_is_gone_is_said_and_taken_out(
    qtbot, tmp_path: Path, folder: Path
) -> None:
    """A gone folder was opened as a file named like it ("case 7: no such file", a row in the
    evidence list), and stayed in the list; so did a gone file."""
    window = _window(qtbot, tmp_path / "settings.ini")
    single = write_image(tmp_path / "single.png", 32, 32).resolve()
    window.open_paths([single])
    qtbot.waitUntil(lambda: _idle(window), timeout=HANG_MS)  # listed once decoded
    window.open_paths([folder])
    qtbot.waitUntil(lambda: _idle(window), timeout=HANG_MS)
    entries = dict.fromkeys(window.entries)
    gone = folder.with_name("case 7 (moved)")
    folder.rename(gone)
    window.recent_menu.actions()[0].trigger()
    _listed(qtbot, window)
    said = f"{folder}{os.sep}: no such folder; taken out of File ▸ Open Recent"
    assert window.statusBar().currentMessage() == said
    assert window.recent_files() == [str(single)]
    assert window.recent_menu.actions()[0].text() == f"&1 {single}"
    single.unlink()
    window.recent_menu.actions()[0].trigger()
    _listed(qtbot, window)
    said = f"{single}: no such file; taken out of File ▸ Open Recent"
    assert window.statusBar().currentMessage() == said
    assert window.recent_files() == [] and not window.recent_menu.isEnabled()
    assert dict.fromkeys(window.entries) == entries  # no row for either


def test_the_file_pickers_of_evidence_are_read_only(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """File ▸ Open… and Load ground-truth mask… opened Qt's picker as it comes: its context
    menu renames and deletes files, the evidence's included."""
    asked: list[object] = []

    def answer(*args: object, **kwargs: object) -> tuple[object, str]:
        asked.append(kwargs.get("options", args[4] if len(args) > 4 else None))
        return ([] if name == "getOpenFileNames" else ""), ""

    window = _window(qtbot, tmp_path / "settings.ini")
    for name, text in (
        ("getOpenFileNames", "&Open…"),
        ("getOpenFileName", "Load &ground-truth mask…"),
    ):
        monkeypatch.setattr(QFileDialog, name, answer)
        _file_action(window, text).trigger()
    assert len(asked) == 2
    assert all(o is not None and o & QFileDialog.Option.ReadOnly for o in asked)


def test_the_subfolders_a_folder_leaves_out_are_said_once_and_logged(
    qtbot, tmp_path: Path, folder: Path
) -> None:
    """A folder opened showed its own images and said nothing of its subfolders': their
    images were left out without a word. Those that hold something are counted (only the
    folder's own level is listed), an output folder of this program not."""
    from forensic_viewer.audit import LOG_NAME, AuditLog, verify_log

    (folder / "deep" / "deeper").mkdir(parents=True)  # holds a folder: counted
    (folder / "nothing").mkdir()  # empty: not counted
    (folder / "scan-out").mkdir()  # an earlier scan's output: not evidence
    for name in ("scan.json", "results.jsonl"):
        (folder / "scan-out" / name).write_text("{}\n", encoding="utf-8")
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    log = AuditLog(tmp_path / "case", program="test viewer", examiner="A. Examiner")
    window = MainWindow(models=[], device="cpu", settings=settings, case_log=log)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window._models_known, timeout=HANG_MS)
    window.open_paths([folder])
    _listed(qtbot, window)
    said = f"{folder}: 2 subfolders not opened (File ▸ Scan a folder… reads them)"
    assert window.statusBar().currentMessage() == said
    assert list(window.entries) == [str(folder / "a.png"), str(folder / "b.png")]
    qtbot.waitUntil(lambda: _idle(window), timeout=HANG_MS)
    lone = tmp_path / "lone"
    lone.mkdir()
    write_image(lone / "x.png", 32, 32)
    window.statusBar().clearMessage()
    window.open_paths([lone])  # nothing left out: nothing said of subfolders
    _listed(qtbot, window)
    assert "subfolder" not in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: _idle(window), timeout=HANG_MS)
    log.close()
    checked = verify_log(tmp_path / "case" / LOG_NAME)
    assert checked.ok, checked.message()
    recorded = without_sessions(checked.entries)
    opened = [e.details for e in recorded if e.action == "folder-opened"]
    assert opened == [
        {"path": str(folder), "files": 2, "subfolders_not_opened": 2},
        {"path": str(lone.resolve()), "files": 1, "subfolders_not_opened": 0},
    ]


def test_the_opened_images_own_masks_folder_is_not_counted_as_left_out(
    tmp_path: Path, folder: Path
) -> None:
    """``make run`` opened the bundled samples and said "1 subfolder not opened" of their
    ``masks/``: the ground-truth masks of the images opened, which the viewer reads as masks
    (a file in it dropped on its image is loaded as its ground truth), not evidence left out.
    A folder of that name holding anything else is still counted, and so are other folders."""
    from forensic_viewer.gui.opening import list_one

    samples = Path(__file__).resolve().parents[2] / "resources" / "samples"
    assert (samples / "masks").is_dir() and list_one(samples).left_out == 0
    masks = folder / "masks"
    masks.mkdir()
    write_image(masks / "a.png", 16, 16)
    write_image(masks / "b_gt.png", 16, 16)  # BenCo's name for b.png's mask
    assert list_one(folder).left_out == 1  # sub/ alone
    write_image(masks / "c.png", 16, 16)  # the mask of no image opened: evidence, perhaps
    assert list_one(folder).left_out == 2
    (masks / "c.png").unlink()
    (masks / "notes.txt").write_text("not a mask", encoding="utf-8")
    assert list_one(folder).left_out == 2


def test_open_recent_that_cannot_be_saved_is_said_once_and_kept_for_the_session(
    qtbot, tmp_path: Path, folder: Path, caplog
) -> None:
    """With a settings file that cannot be written (its folder is a file here, which stops
    root too), File ▸ Open Recent was lost at the end of the session and nobody was told. It
    is said once, in the status bar and the log, and the list is kept for the session."""
    (tmp_path / "config").write_text("a file where the settings folder should be")
    settings_file = tmp_path / "config" / "settings.ini"
    window = _window(qtbot, settings_file)
    single = write_image(tmp_path / "single.png", 32, 32).resolve()
    line = f"{settings_file}: cannot be written; File ▸ Open Recent is kept for this session only"
    with caplog.at_level("WARNING", logger="forensic_viewer.gui.file_menu"):
        window.open_paths([single])
        qtbot.waitUntil(lambda: _idle(window), timeout=HANG_MS)
        assert window.statusBar().currentMessage() == line
        window.open_paths([folder])
        qtbot.waitUntil(lambda: _idle(window), timeout=HANG_MS)
    assert [r.getMessage() for r in caplog.records] == [line]
    assert window.recent_files() == [f"{folder}{os.sep}", str(single)]
