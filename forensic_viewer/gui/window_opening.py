"""What the main window opens: evidence files and folders, and ground-truth masks.

:class:`WindowOpening` is a part of :class:`~forensic_viewer.gui.main_window.MainWindow` (a
mixin: its methods run on the window, whose ``entries``, ``lister``, ``recent`` and panels they
use). File ▸ Open…, Open Folder…, Open Recent, a drop and the command line all go through
:meth:`WindowOpening.open_paths`: what is given is listed off the GUI thread
(``gui/opening.py``), then each file is analysed and the first shown; File ▸ Open Recent
remembers a folder as the folder and a file given on its own once it decodes. A mask dropped on
the open image (named like one, or with Shift) or chosen with File ▸ Load ground-truth mask…
goes to the Ground truth panel (docs/GROUND_TRUTH.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote_to_bytes

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog

from engine.errors import ForensicError
from engine.io import IMAGE_SUFFIXES
from forensic_viewer.gui.file_menu import left_out_words, nothing_to_open, pick_evidence_folder
from forensic_viewer.gui.groundtruth_panel import looks_like_mask
from forensic_viewer.gui.opening import Listing
from forensic_viewer.gui.panels import READ_ONLY
from forensic_viewer.gui.settings_values import text_value

LAST_FOLDER_KEY = "last_open_folder"  # the folder the last file or folder opened was in


def dropped_path(url: QUrl) -> str:
    """The local path of a dropped ``file:`` URL, its name's bytes as the file system holds
    them: from the URL's percent-encoded path (``%FF`` as a file manager writes a byte that is
    not UTF-8), decoded as Python names files (``os.fsdecode``). ``QUrl.toLocalFile`` replaced
    such a byte by U+FFFD, so the drop opened a file that does not exist. On Windows, and for
    a URL naming another host (a network share), Qt's own reading."""
    if os.name == "nt" or url.host() not in ("", "localhost"):
        return url.toLocalFile()
    encoded = url.path(QUrl.ComponentFormattingOption.FullyEncoded)
    return os.fsdecode(unquote_to_bytes(encoded))


class WindowOpening:
    """The openings of :class:`~forensic_viewer.gui.main_window.MainWindow`: evidence and masks."""

    def open_dialog(self) -> None:
        patterns = " ".join(f"*{s}" for s in IMAGE_SUFFIXES)
        paths, _ = QFileDialog.getOpenFileNames(
            self,
            "Open evidence",
            self.start_folder(),
            f"Images ({patterns});;All files (*)",
            options=READ_ONLY,
        )
        if paths:
            self.open_paths(paths)

    def open_folder_dialog(self) -> None:
        """File ▸ Open Folder…: the folder chosen opened as one dropped on the window is."""
        folder = pick_evidence_folder(self, self.start_folder())
        if folder:
            self.open_paths([folder])

    def start_folder(self) -> str:
        """Where File ▸ Open… and Open Folder… start: the shown evidence's folder, else the
        last folder a picker opened from (kept in the settings, as Open Recent is), else the
        home folder. They started in the process's working directory, wherever the viewer
        was launched from. No file system is asked: Qt's picker falls back on its own when
        the folder is gone."""
        if self.current:
            return str(Path(self.current).parent)
        last, said = text_value(self.settings, LAST_FOLDER_KEY)  # not text: ignored, said
        if said:
            self.show_error(said)
        return last or str(Path.home())

    def open_paths(self, paths: Iterable[str | Path], recent: str | None = None) -> None:
        """Open files (folders: the images directly inside), analyse each, show the first: once
        they are listed, off the GUI thread (``gui/opening.py``; "Listing …" meanwhile); one
        listed after a later opening adds its files without taking the view. ``recent``: the
        Open Recent entry they come from, taken out of it when gone."""
        if given := [str(p) for p in paths]:
            # where the pickers start next time, whichever way it was opened (a drop, the
            # command line, Open Recent): only Open… and Open Folder… kept it
            self.settings.setValue(LAST_FOLDER_KEY, str(Path(given[0]).absolute().parent))
            self.lister.start(given, recent)

    def _open_listed(self, listing: Listing, recent: str | None, newest: bool = True) -> None:
        """Open what ``listing`` found. File ▸ Open Recent lists what was opened: a folder as
        the folder (reopening it reopens the folder), a file given on its own once it decodes
        (a folder's files one by one as they decoded replaced the ten entries).

        A folder's subfolders are not opened: those that hold something are counted and said
        once in the status bar and the case log, and kept in the status bar's mark until
        another folder is opened (``gui/opening.py``). Not ``newest`` (listed after a later
        opening): its files are analysed and its problems said, but the view, the mark and
        the status bar's line stay the newest opening's."""
        if recent is not None and listing.given[0].gone:
            self.recent.gone(recent)
            return
        for given in listing.given:
            if given.folder is not None and not given.problem:
                self.case.log_folder_opened(given.folder, len(given.files), given.left_out)
                if given.files:
                    self.recent.remember(given.folder, folder=True)
            elif given.folder is None:
                for path in given.files:
                    entry = self.entries.get(path)
                    if entry is not None and entry.shown()[0] is not None:
                        self.recent.remember(path)  # decoded already (from a folder opened before)
                    else:
                        self._recent_when_decoded.add(path)
        left_out = listing.left_out()
        if listing.folders and newest:
            self.left_out_mark.show_left_out(left_out)
        lines = listing.problems
        if files := listing.files:
            for path in files:
                self.analyse(path)
            if newest:
                self.show_entry(files[0])
                lines += [said] if (said := left_out_words(left_out)) else []
        elif not lines:
            lines = [nothing_to_open([g.path for g in listing.folders])]
        if lines:
            self.show_error("\n".join(lines))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # Qt override
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # Qt override
        paths = [dropped_path(u) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            if len(paths) == 1 and self.layers is not None and (shift or looks_like_mask(paths[0])):
                self.load_truth(paths[0])  # a mask dropped on the open image
                return
            self.open_paths(paths)

    def load_truth_dialog(self) -> None:
        paths = " ".join(f"*{s}" for s in IMAGE_SUFFIXES)
        path, _ = QFileDialog.getOpenFileName(
            self, "Load ground-truth mask", "", f"Masks ({paths});;All files (*)", options=READ_ONLY
        )
        if path:
            self.load_truth(path)

    def load_truth(self, mask: str | Path) -> None:
        """Ground-truth mode: ``mask`` for the open image, drawn and scored (docs/GROUND_TRUTH.md)."""
        entry = self.entries.get(self.current) if self.current else None
        evidence = None if entry is None else entry.shown()[0]
        if entry is None or evidence is None:
            self.show_error(f"{mask}: open an image before loading its ground-truth mask")
            return
        try:
            truth = self.truth_panel.load(entry.path, evidence, mask)
        except ForensicError as e:
            self.show_error(str(e))
            return
        self.case.log_truth(entry.path, evidence.sha256, truth)  # a report scores against it
        self._show_truth()
        self._refresh_compare()  # its pane
        self.docks["Ground truth"].raise_()

    def _show_truth(self) -> None:
        entry = self.entries.get(self.current) if self.current else None
        evidence, analysis = (None, None) if entry is None else entry.shown()
        self.truth_panel.show_for(self.current, evidence, analysis, self.layers)

    def recent_files(self) -> list[str]:
        """File ▸ Open Recent's entries, most recent first (a folder's ends with a separator)."""
        return self.recent.entries()
