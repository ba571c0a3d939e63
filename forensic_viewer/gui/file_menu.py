"""The File menu's ways to open evidence besides Open…: Open Folder… (the folder picker) and
Open Recent (the last files and folders opened, kept in the user's settings).

A folder is opened as a folder dropped on the window is (the main window's ``open_paths``:
the images directly inside it, not its subfolders', which File ▸ Scan a folder… reads; the
subfolders left out are counted, :func:`unopened_subfolders`, and said once,
:func:`left_out_words`, in the status bar and the case log). In
Open Recent a folder is kept and shown with a trailing path separator and the style's folder
icon, a file with its file icon: both looked alike. An entry whose file or folder is no longer
there is said in one line and taken out of the list instead of being opened: found when it is
chosen, by its listing off the GUI thread (``gui/opening.py``), never while the menu is built,
so an entry on a dead mount hangs neither the menu nor the window.

Each entry is kept as its path's bytes (``os.fsencode``), not as text: QSettings holds text
as Qt does, which dropped the bytes of a name that is not UTF-8, so such an entry reopened as
a file that does not exist and was taken out of the list. A list an earlier version kept as
text (:data:`TEXT_SETTINGS_KEY`) is read until the list is next changed.

When the settings cannot be written (a read-only or full configuration folder), the list is
kept for the session in the settings' memory and the analyst is told once, in the status bar
and the viewer's log (:func:`not_kept_line`): it was lost at the end of the session unsaid.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QFileDialog, QMenu, QStyle, QWidget

from forensic_viewer.gui.panels import INPUT_FOLDER
from forensic_viewer.gui.settings_values import path_bytes, path_texts
from forensic_viewer.scan.walk import is_output_folder
from forensic_viewer.wording import plain

log = logging.getLogger(__name__)

MAX_RECENT = 10
# the paths, most recent first, each as its bytes (os.fsencode); a folder's ends with a separator
SETTINGS_KEY = "recent_paths"
TEXT_SETTINGS_KEY = "recent_files"  # the same as text, as versions before 2026-12-06 kept it
_SEPARATORS = tuple({os.sep, os.altsep or os.sep})


def pick_evidence_folder(parent: QWidget, start: str = "") -> str | None:
    """File ▸ Open Folder…: a folder chosen in the picker, which opens in ``start`` (None when
    it was closed). The picker is read-only: nothing in it renames, moves or deletes a file of
    the evidence."""
    path = QFileDialog.getExistingDirectory(
        parent, "Open a folder of evidence", start, INPUT_FOLDER
    )
    return path or None


def nothing_to_open(folders: Sequence[str | Path]) -> str:
    """The status bar's line when the paths given hold no image to open, ``folders`` those of
    them that are folders (as listed, ``gui/opening.py``: no file system is asked here): a
    folder's subfolders are not opened (said, with where they are read), as the folder is
    named."""
    if not folders:
        return "no image files to open"
    if len(folders) > 1:
        return "no image files directly inside these folders (their subfolders are not opened)"
    return (
        f"{plain(folders[0])}: no image files directly inside (its subfolders are not opened; "
        "File ▸ Scan a folder… reads them)"
    )


def unopened_subfolders(subfolders: Iterable[Path]) -> int:
    """How many of ``subfolders``, the folders directly inside a folder opened (as its one
    listing found them: ``scan.walk.iter_images(subfolders=)``, links to folders included),
    hold something (a file or a folder): those that opening the folder leaves out, since it
    opens only the images directly inside.

    Each is listed until its first entry, so a deep tree costs no more than its top level (on
    the listing's thread, ``gui/opening.py``): a subfolder holding only empty folders counts
    though no image is below it, and one that cannot be listed counts (what it holds is not
    known to be nothing). An output folder of this program (a scan's, a probe's) does not
    count: Scan a folder… does not read it either. Nor does the opened images' own
    ground-truth masks folder, which ``gui/opening.py`` takes out before
    (:func:`~forensic_viewer.gui.groundtruth_panel.masks_of`)."""
    count = 0
    for sub in subfolders:
        if is_output_folder(sub):
            continue
        try:
            with os.scandir(sub) as inside:
                count += next(inside, None) is not None
        except OSError:
            count += 1
    return count


def left_out_words(left_out: dict[str, int]) -> str | None:
    """The line that says which subfolders the folders opened left out (``left_out``: each
    folder opened, its :func:`unopened_subfolders`); None when they left none out."""
    counted = {folder: n for folder, n in left_out.items() if n}
    total = sum(counted.values())
    if not total:
        return None
    subfolders = "1 subfolder" if total == 1 else f"{total:,} subfolders"
    where = f"{plain(next(iter(counted)))}: " if len(counted) == 1 else ""
    return f"{where}{subfolders} not opened (File ▸ Scan a folder… reads them)"


def folder_entry(path: str) -> str:
    """``path`` as Open Recent keeps a folder: with one trailing separator."""
    return path if path.endswith(_SEPARATORS) else path + os.sep


def is_folder_entry(entry: str) -> bool:
    return entry.endswith(_SEPARATORS)


def entry_path(entry: str) -> str:
    """The path an Open Recent entry opens (a folder's without its trailing separator)."""
    return entry.rstrip("".join(_SEPARATORS)) or entry  # the root keeps its one


def recent_text(number: int, entry: str) -> str:
    """File ▸ Open Recent's entry ``number`` (from 1): its number, the first nine's digit its
    letter (Alt+F, R, 1 opens the last file), as editors number them, then the path (a
    folder's with its trailing separator), whose own "&" shows as itself instead of making a
    letter."""
    digits = str(number)
    return f"{digits[:-1]}&{digits[-1]} {plain(entry).replace('&', '&&')}"


def not_kept_line(settings_file: str) -> str:
    """The one line said when the settings file cannot be written: the list of this session
    is not kept for the next."""
    where = plain(settings_file) or "the viewer's settings"
    return f"{where}: cannot be written; File ▸ Open Recent is kept for this session only"


class RecentMenu:
    """File ▸ Open Recent: ``menu`` filled from ``settings``; an entry chosen goes to
    ``open_path(path, entry)`` (a folder's path without its separator, and the entry), whose
    listing tells whether it is gone (:meth:`gone` then says so to ``say`` in one line).
    Nothing here asks the file system: building the menu stat-ed no entry, and must not."""

    def __init__(
        self,
        menu: QMenu,
        settings: QSettings,
        open_path: Callable[[str, str], None],
        say: Callable[[str], None],
    ) -> None:
        self.menu = menu
        self.settings = settings
        self._open_path = open_path
        self._say = say
        self._not_kept_said = False  # the settings could not be written, said once
        self._ignored_said: set[str] = set()  # the lines of values ignored, said once each
        self.rebuild()

    def entries(self) -> list[str]:
        """The entries, most recent first: a file's path, a folder's with a trailing separator."""
        if not self.settings.contains(SETTINGS_KEY):
            texts, said = path_texts(self.settings, TEXT_SETTINGS_KEY, MAX_RECENT)
            self._say_ignored(said)
            return texts
        paths, said = path_bytes(self.settings, SETTINGS_KEY, MAX_RECENT)
        self._say_ignored(said)
        return [os.fsdecode(p) for p in paths]

    def _say_ignored(self, line: str) -> None:
        """A value of the list's key that was not a list of paths (or too long a one, read in
        part): said once in the status bar (the viewer's log says it, ``settings_values.py``)."""
        if line and line not in self._ignored_said:
            self._ignored_said.add(line)
            self._say(line)

    def remember(self, path: str, *, folder: bool = False) -> None:
        """``path`` first in the list; the same path kept before (as a file or a folder, or a
        folder kept without its separator by an earlier version) goes."""
        entry = folder_entry(path) if folder else path
        key = entry_path(entry)
        kept = [e for e in self._current() if entry_path(e) != key]
        self._store([entry, *kept])

    def forget(self, entry: str) -> None:
        self._store([e for e in self._current() if e != entry])

    def _current(self) -> list[str]:
        """The entries as the settings file holds them now: another viewer on the same account
        may have written its list since this one read it. Built from this viewer's copy, the
        whole key written back dropped the other viewer's openings (both viewers' files were
        in the list only until the second one's next opening)."""
        self.settings.sync()
        return self.entries()

    def clear(self) -> None:
        self._store([])

    def _store(self, entries: list[str]) -> None:
        kept = [QByteArray(os.fsencode(e)) for e in entries[:MAX_RECENT]]
        self.settings.setValue(SETTINGS_KEY, kept)
        self.settings.remove(TEXT_SETTINGS_KEY)  # replaced (Clear the list clears it too)
        self.settings.sync()  # now, so that a settings file that cannot be written is known
        if self.settings.status() == QSettings.Status.AccessError and not self._not_kept_said:
            self._not_kept_said = True  # the list stays in the settings' memory meanwhile
            line = not_kept_line(self.settings.fileName())
            log.warning(line)
            self._say(line)
        self.rebuild()

    def rebuild(self) -> None:
        self.menu.clear()
        entries = self.entries()
        style = self.menu.style()
        folder_icon = style.standardIcon(QStyle.StandardPixmap.SP_DirIcon)
        file_icon = style.standardIcon(QStyle.StandardPixmap.SP_FileIcon)
        for number, entry in enumerate(entries, start=1):
            icon = folder_icon if is_folder_entry(entry) else file_icon
            action = self.menu.addAction(icon, recent_text(number, entry))
            action.triggered.connect(lambda _=False, e=entry: self.open(e))
        if entries:
            self.menu.addSeparator()
            self.menu.addAction("&Clear the list", self.clear)
        self.menu.setEnabled(bool(entries))

    def open(self, entry: str) -> None:
        """Open ``entry``: its path goes to be listed, off the GUI thread (a stat of an entry on
        a dead mount, here, hung the window); :meth:`gone` follows when it is not there."""
        self._open_path(entry_path(entry), entry)

    def gone(self, entry: str) -> None:
        """``entry``'s file or folder is gone: said in one line and taken out of the list (a
        missing file had become an evidence row that could not be read, a missing folder one
        named like the folder, and both stayed in the list)."""
        what = "folder" if is_folder_entry(entry) else "file"
        self.forget(entry)
        self._say(f"{plain(entry)}: no such {what}; taken out of File ▸ Open Recent")
