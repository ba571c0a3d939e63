"""A scan output folder's own files and folders are never symbolic links (no Qt).

A scan, a resume, a report and the batch dialog write and append to files under fixed names in
the output folder, and create files in its ``maps/`` and ``thumbs/`` folders. A link planted
under one of those names was followed: ``results.jsonl`` pointing at an evidence file had the
scan append its rows to the evidence (and the compaction that followed replaced the link by a
regular file, hiding that it had been there); a dangling one created its target outside the
folder; ``maps`` or ``thumbs`` pointing at the evidence folder had heatmaps and thumbnails
written there, replacing files of the same names. So whoever takes the folder's lock
(:class:`~forensic_viewer.scan.lock.OutputLock`) first checks it with :func:`refuse_links`,
before anything is written, and refuses the folder in one line naming the link, as a link at
``.scan.lock`` is refused. The output folder itself may be a link (a folder on another drive).

The names are literals here (the scan package never imports the report package, whose names
these include); ``tests/viewer/test_scan_out_links.py`` checks them against the constants.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from engine.errors import ForensicError

# the files a scan, a report or a probe writes or appends to directly in the output folder
OWN_FILES = frozenset(
    {
        "results.jsonl",
        "results.csv",
        "scan.json",
        "scan.log",
        "groundtruth.json",
        "probe.json",
        *(
            f"{base}.{ext}"
            for base in ("report", "probe-report")
            for ext in ("html", "pdf", "json")
        ),
    }
)

# the folders it writes into: their files and subfolders are its own at every depth
DEEP_FOLDERS = re.compile(r"(maps|thumbs)(\.[0-9]+)?|probes|probe-maps")

# the folders it makes and moves files into, whose contents it never writes through
OWN_FOLDERS = re.compile(r"report_files(\.[0-9]+)?|earlier-reports")

FILE_LINK = "is a link; a file of the output folder must be a regular file"
FOLDER_LINK = "is a link; a folder of the output folder must be a folder inside it"


def refuse_links(out: Path) -> None:
    """Raise :class:`ForensicError` naming the first symbolic link in ``out`` under a name the
    program writes (:data:`OWN_FILES`, the folders :data:`DEEP_FOLDERS` and
    :data:`OWN_FOLDERS`) or anywhere inside :data:`DEEP_FOLDERS`, a dangling one included;
    nothing is followed or written. A folder that is not there yet is nothing to check."""
    try:
        entries = sorted(os.scandir(out), key=lambda e: e.name)
    except FileNotFoundError:
        return
    for entry in entries:
        deep = DEEP_FOLDERS.fullmatch(entry.name) is not None
        folder = deep or OWN_FOLDERS.fullmatch(entry.name) is not None
        if not folder and entry.name not in OWN_FILES:
            continue
        if entry.is_symlink():
            raise ForensicError(out / entry.name, FOLDER_LINK if folder else FILE_LINK)
        if deep and entry.is_dir(follow_symlinks=False):
            _refuse_links_below(Path(entry.path))


def _refuse_links_below(top: Path) -> None:
    """:func:`refuse_links` of every file and folder below ``top`` (links not followed)."""
    for root, dirs, files in os.walk(top):  # followlinks=False: a link is listed, not entered
        for name in sorted(dirs):
            if os.path.islink(os.path.join(root, name)):
                raise ForensicError(Path(root, name), FOLDER_LINK)
        for name in sorted(files):
            if os.path.islink(os.path.join(root, name)):
                raise ForensicError(Path(root, name), FILE_LINK)
