"""Which files a scan reads: walking folders, the file-type filter, each file's key.

No Qt; used by ``forensic-viewer scan`` and the batch dialog alike.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from engine.io import IMAGE_SUFFIXES, is_image_name


def iter_images(folder: Path, recursive: bool) -> Iterator[Path]:
    """Image files below ``folder`` in a stable order.

    Symbolic links to folders are followed once: a folder already visited (same device and
    inode) is skipped, so link loops end. Folders named like images are never taken as files.
    """
    seen: set[tuple[int, int]] = set()

    def walk(d: Path) -> Iterator[Path]:
        try:
            st = d.stat()
        except OSError:
            return
        key = (st.st_dev, st.st_ino)
        if key in seen:
            return
        seen.add(key)
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError:
            return
        subdirs = []
        for e in entries:
            try:
                is_dir = e.is_dir(follow_symlinks=True)
            except OSError:
                continue
            if is_dir:
                subdirs.append(Path(e.path))
            elif is_image_name(e.name):
                yield Path(e.path)
        if recursive:
            for s in subdirs:
                yield from walk(s)

    yield from walk(folder)


def rel_key(path: Path, root: Path | None) -> str:
    """The ``path`` field of a record: relative to the scanned folder, forward slashes."""
    if root is None:
        return path.name
    return path.relative_to(root).as_posix()


def parse_types(text: str) -> tuple[str, ...]:
    """``"jpg, .PNG tif"`` -> (".jpg", ".png", ".tif"); empty text: every image type.

    Raises ValueError naming the valid choices for a type a scan cannot read.
    """
    parts = [p.strip().lower().lstrip("*").lstrip(".") for p in text.replace(",", " ").split()]
    wanted = [f".{p}" for p in parts if p]
    if not wanted:
        return IMAGE_SUFFIXES
    bad = [w for w in wanted if w not in IMAGE_SUFFIXES]
    if bad:
        valid = " ".join(s.lstrip(".") for s in IMAGE_SUFFIXES)
        raise ValueError(f"file types are {valid}; got {' '.join(bad)}")
    return tuple(dict.fromkeys(wanted))


def scan_files(
    folder: Path,
    recursive: bool,
    suffixes: Sequence[str] = IMAGE_SUFFIXES,
    exclude: Path | None = None,
) -> list[tuple[Path, str]]:
    """(path, key) of the images to scan below ``folder`` with one of ``suffixes``.

    exclude: a folder whose files are never scanned: the output folder, when it sits inside the
    scanned one, holds heatmap PNGs and thumbnails that must not become evidence.
    """
    skip = exclude.resolve() if exclude is not None else None
    files = []
    for p in iter_images(folder, recursive):
        if p.suffix.lower() not in suffixes:
            continue
        if skip is not None and p.resolve().is_relative_to(skip):
            continue
        files.append((p, rel_key(p, folder)))
    return files
