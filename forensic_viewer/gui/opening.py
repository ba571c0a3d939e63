"""Opening files and folders without freezing the window: their listing, off the GUI thread.

Opening (File ▸ Open…, Open Folder…, Open Recent, a drop, the command line) first looks at
what was given: whether it is there, whether it is a folder, the images directly inside a
folder and how many of its subfolders are left out. That ran on the GUI thread, so a folder
on a network mount that hung, or one of a great many files, froze the window without a word.
:func:`list_given` does it all, Qt-free; :class:`Lister` runs it on a thread of its own per
opening (a daemon thread: one stuck on a dead mount never holds the viewer's exit) and hands
the result to the GUI thread through a :class:`~forensic_viewer.gui.mailbox.Mailbox`. Every
opening is opened when its listing comes, in whatever order they come: one that comes after a
later opening's adds its files to the evidence list without taking the view from the newest
(dropping it would lose files the analyst asked for, without a word).

:class:`LeftOutMark` keeps what the last folders opened left out ("2 subfolders not opened") in
the status bar until another folder is opened: the status bar's message of it gave way to the
next progress line within moments, and only the case log kept it. Its tooltip names each
folder with its count (:func:`left_out_tip`).
"""

from __future__ import annotations

import os
import stat
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QStatusBar

from forensic_viewer.gui.file_menu import left_out_words, unopened_subfolders
from forensic_viewer.gui.groundtruth_panel import masks_of
from forensic_viewer.gui.mailbox import Mailbox
from forensic_viewer.gui.tips import tip_text
from forensic_viewer.scan.walk import Unread, iter_images, real_path
from forensic_viewer.wording import plain


@dataclass(frozen=True)
class Given:
    """One path given to open, as listed. ``files``: the images it opens (a file: itself; a
    folder: the images directly inside), absolute with their links resolved, as a scan and a
    probe record their files: the case log keeps no working folder. ``folder``: a folder's own
    path, so resolved (None: not a folder); ``left_out``: its subfolders not opened
    (:func:`~forensic_viewer.gui.file_menu.unopened_subfolders`). ``gone``: not there, nor
    the folder it was in (a file's reading then says so on its row). ``problem``: a folder
    that could not be listed, one line naming it."""

    path: str
    files: tuple[str, ...] = ()
    folder: str | None = None
    left_out: int = 0
    gone: bool = False
    problem: str = ""


@dataclass(frozen=True)
class Listing:
    """What :func:`list_given` found, in the order the paths were given."""

    given: tuple[Given, ...]

    @property
    def files(self) -> list[str]:
        return [f for g in self.given for f in g.files]

    @property
    def folders(self) -> list[Given]:
        """The folders among the paths given (those that could not be listed too)."""
        return [g for g in self.given if g.folder is not None]

    def left_out(self) -> dict[str, int]:
        """Each folder listed, its subfolders not opened (for ``left_out_words``)."""
        return {g.folder: g.left_out for g in self.folders if g.folder and not g.problem}

    @property
    def problems(self) -> list[str]:
        return [g.problem for g in self.given if g.problem]


def list_one(given: str | Path) -> Given:
    """List one path given to open (see :class:`Given`). Blocks as long as its file system
    does: call it off the GUI thread."""
    path = str(given)
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return Given(path, files=(str(real_path(path)),), gone=True)
    except (OSError, ValueError):  # not known: opened as a file, whose reading says why
        mode = 0
    if not stat.S_ISDIR(mode):
        return Given(path, files=(str(real_path(path)),))
    folder = real_path(path)
    unread: list[Unread] = []
    subfolders: list[Path] = []
    found = list(iter_images(Path(path), recursive=False, unread=unread, subfolders=subfolders))
    files = tuple(str(real_path(f)) for f in found)
    for u in unread:
        if u.folder and u.path == Path(path):  # the folder itself: nothing in it is known
            why = f"the folder cannot be listed ({u.reason}); nothing in it was opened"
            return Given(path, folder=str(folder), problem=f"{plain(folder)}: {why}")
    # the opened images' own ground-truth masks (the bundled samples' masks/) are not left out
    subfolders = [s for s in subfolders if not masks_of(s, found)]
    return Given(path, files, folder=str(folder), left_out=unopened_subfolders(subfolders))


def list_given(paths: Iterable[str | Path]) -> Listing:
    """List every path given to open (:func:`list_one`), in order."""
    return Listing(tuple(list_one(p) for p in paths))


def expand_paths(paths: Iterable[str | Path]) -> list[str]:
    """Files given, folders replaced by the image files directly inside them, sorted: by name
    or by content, as a folder scan takes them; each absolute with its links resolved."""
    return list_given(paths).files


def listing_words(paths: list[str]) -> str:
    """The status bar's line while ``paths`` are listed."""
    first = plain(paths[0])
    if len(paths) == 1:
        return f"Listing {first}…"
    others = len(paths) - 1
    return f"Listing {first} and {others} other{'s' if others != 1 else ''}…"


def _failed(paths: list[str], err: BaseException) -> Listing:
    """The listing of ``paths`` when it failed unexpectedly (a bug, logged by the hook)."""
    why = f"could not be listed (unexpected error: {type(err).__name__}: {err})"
    return Listing(tuple(Given(p, problem=f"{plain(p)}: {why}") for p in paths))


class Lister(QObject):
    """Lists what is opened on a thread per opening; each opening's :class:`Listing` goes to
    ``on_listed(listing, context, newest)`` on the GUI thread when it comes, ``newest`` False
    for one that came after a later opening's (it adds its files; the view stays on the
    newest's). ``bar`` says "Listing …" meanwhile (taken away when the newest opening's listing
    comes, unless another message replaced it).

    ``context``: whatever :meth:`start` was given with the paths (e.g. the Open Recent entry
    they came from), handed back with their listing."""

    def __init__(
        self,
        on_listed: Callable[[Listing, Any, bool], None],
        bar: QStatusBar,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._on_listed = on_listed
        self._bar = bar
        self._said = ""  # the "Listing …" line shown for the newest opening
        self._mail = Mailbox(self, interval_ms=20)
        self._mail.on("listed", self._deliver)
        self._latest = 0  # the number of the newest opening: only its listing is shown
        self._waiting: set[int] = set()  # openings whose listing has not come back yet
        self._stopped = False

    @property
    def idle(self) -> bool:
        """Whether every listing started has come back (shown or dropped)."""
        return not self._waiting

    @property
    def listing(self) -> bool:
        """Whether the newest opening is still being listed."""
        return self._latest in self._waiting

    def start(self, paths: Iterable[str | Path], context: Any = None) -> None:
        """List ``paths`` on a thread of their own; an earlier start still being listed
        opens its files when they come, without taking the view."""
        given = [str(p) for p in paths]
        self._latest += 1
        number = self._latest
        self._waiting.add(number)
        self._mail.start()
        thread = threading.Thread(
            target=self._run, args=(number, given, context), name=f"listing {number}", daemon=True
        )
        thread.start()
        self._said = listing_words(given) if given else ""
        self._bar.showMessage(self._said)

    def _run(self, number: int, paths: list[str], context: Any) -> None:
        try:
            listing = list_given(paths)
        except Exception as e:  # a bug must not leave "Listing…" up for good; the hook logs it
            sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
            listing = _failed(paths, e)
        self._mail.post("listed", number, listing, context)

    def _deliver(self, number: int, listing: Listing, context: Any) -> None:
        self._waiting.discard(number)
        if not self._waiting:
            self._mail.rest()
        if self._stopped:
            return
        newest = number == self._latest
        if newest and self._bar.currentMessage() == self._said:
            self._bar.clearMessage()
        self._on_listed(listing, context, newest)

    def stop(self) -> None:
        """The window is closing: nothing listed from now on is shown. A listing stuck on
        its file system stays stuck, on a daemon thread that does not hold the exit."""
        self._stopped = True
        self._mail.rest()


LISTED_FOLDERS = 10  # folders the left-out mark's tooltip names; the others are counted


def _subfolders(n: int) -> str:
    return f"{n:,} subfolder{'s' if n != 1 else ''}"


def left_out_tip(left_out: dict[str, int]) -> str | None:
    """The left-out mark's whole words: of one folder, the status bar's line; of several,
    that line (their total), then each folder with its count, the first
    :data:`LISTED_FOLDERS` of them (the others counted in one last line). The line alone
    gave a total without naming any folder. None when they left none out."""
    line = left_out_words(left_out)
    counted = [(folder, n) for folder, n in left_out.items() if n]
    if line is None or len(counted) == 1:
        return line
    rows = [f"{line}:"] + [f"{plain(f)}: {_subfolders(n)}" for f, n in counted[:LISTED_FOLDERS]]
    if rest := [n for _, n in counted[LISTED_FOLDERS:]]:
        rows.append(f"… and {len(rest):,} other folders: {_subfolders(sum(rest))}")
    return "\n".join(rows)


class LeftOutMark(QLabel):
    """The status bar's mark of the subfolders the last folders opened left out: short
    ("2 subfolders not opened"), its whole words (which folder, each folder's count when
    there are several, where they are read: :func:`left_out_tip`) in its tooltip and
    accessible description; hidden when those folders left none out."""

    def __init__(self, bar: QStatusBar) -> None:
        super().__init__()
        self.setAccessibleName("Subfolders not opened")
        self.setVisible(False)
        bar.addPermanentWidget(self)

    def show_left_out(self, left_out: dict[str, int]) -> None:
        """Say what the folders just opened left out (``left_out``: each folder, its count),
        replacing what an earlier folder left out."""
        line = left_out_tip(left_out)
        self.setText(f"{_subfolders(sum(left_out.values()))} not opened" if line else "")
        self.setToolTip(tip_text(line or ""))
        self.setAccessibleDescription(line or "")
        self.setVisible(line is not None)
