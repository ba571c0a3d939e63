"""A scan refused before its models load when the header check refuses every file.

A scan loads its models (about 10 s; more with worker processes or Ray) before it reads a file, so
a folder whose images are all over the file-size, pixel or decode-memory limit cost that load only
to learn that nothing could be analysed. :func:`refused_by_headers` reads the files' sizes and
headers first (:func:`engine.precheck.refuse_beyond_limit`: no pixel decoded) and stops at the
first file it does not refuse, so a folder with a file the limits admit costs one header read more
and is scanned as before (the refused files get their error rows, in the same words). Only a folder
of refused files is read to its end here, and it is then not scanned at all. The command line and
the batch dialog both call it after the listing and before the output folder's lock, so a refused
scan makes no output folder; ``analyze`` calls the same rule on the images it is given
(:func:`refused_images`) and then loads no model but writes their error rows (a file refused alone
had none), ``probe`` the header check alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from engine.errors import ImageTooLargeError
from engine.precheck import refuse_beyond_limit
from forensic_viewer.scan.failure import named
from forensic_viewer.scan.results import ResultIndex
from forensic_viewer.scan.walk import file_keys


def refused_files(paths: Iterable[Path]) -> list[str]:
    """Each file's refusal, :func:`~engine.io.load_evidence`'s one line naming it as a scan
    names it (:func:`~forensic_viewer.scan.failure.named`), when the header check refuses every one
    of ``paths`` (in their order); [] as soon as one is not refused. ``probe`` calls it alone
    (its output folder holds no rows to resume)."""
    lines: list[str] = []
    for path in paths:
        try:
            refuse_beyond_limit(named(path))
        except ImageTooLargeError as e:
            lines.append(str(e))
        else:
            return []
    return lines


def refused_by_headers(files: Iterable[tuple[Path, str]], out: Path) -> list[str]:
    """:func:`refused_files` of ``files`` ((path, key) pairs, in the listing's order), and []
    also when one of them has a finished row in the output folder ``out`` (a resume skips or
    upgrades it, as before). ``out`` is read only then, and never made or locked."""
    keys: list[str] = []

    def paths() -> Iterator[Path]:
        for path, key in files:
            keys.append(key)
            yield path

    lines = refused_files(paths())
    if lines and not ResultIndex(out).done_keys().isdisjoint(keys):
        return []
    return lines


def refused_images(images: Sequence[Path], out: Path) -> list[str]:
    """:func:`refused_by_headers` of the images ``analyze`` is given one by one, each under the
    key its run gives it (:func:`~forensic_viewer.scan.walk.file_keys`: a finished row's own
    key when ``out`` holds one of it), ``out`` read only when every image is refused."""
    lines = refused_files(images)
    if lines:
        index = ResultIndex(out)
        if not index.done_keys().isdisjoint(key for _, key in file_keys(images, index)):
            return []
    return lines


def refused_line(folder: Path | str, count: int) -> str:
    """The one line of a scan of ``folder`` whose ``count`` files :func:`refused_by_headers`
    refused (each file's own line follows it), the folder named absolute as a scan names it."""
    each = "its one image is" if count == 1 else f"each of its {count:,} images is"
    return (
        f"{named(folder)}: not scanned: {each} over the file-size, pixel or decode-memory limit "
        "by its size or header, refused before any model is loaded; nothing was written"
    )
