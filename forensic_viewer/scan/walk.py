"""Which files a scan reads: walking folders, the file-type filter, each file's key, and the
SHA-256 of a file's bytes as they are now (read-only).

No Qt; used by ``forensic-viewer scan``, the batch dialog and reports alike.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from engine.containers import is_refused_image
from engine.files import NotRegularFile, open_evidence
from engine.io import IMAGE_SUFFIXES, is_image_name, sniff_format
from forensic_viewer.scan.probe import PROBE_JSON, PROBE_MAPS
from forensic_viewer.scan.results import RESULTS, SCAN_INFO, ResultIndex

# The suffix a file of each allowed format would carry, for one whose name hides it.
FORMAT_SUFFIXES = {
    "JPEG": ".jpg",
    "PNG": ".png",
    "TIFF": ".tif",
    "WEBP": ".webp",
    "BMP": ".bmp",
    "GIF": ".gif",
    "HEIF": ".heic",
}
_SAME_TYPE = {".jpeg": ".jpg", ".tiff": ".tif", ".heif": ".heic", ".hif": ".heic"}
_BMP_HEADER_SIZES = (12, 40, 52, 56, 64, 108, 124)  # the DIB headers Pillow reads
_HEAD = 64  # a phone's HEIF ftyp box with its compatible brands (engine.heif.is_heif)
# The kind of a file whose content is an image of a format recognised but not decoded (AVIF,
# a Windows icon: engine.containers.is_refused_image): listed as evidence, refused with a row
REFUSED_IMAGE = "refused image"


def content_kind(path: str | Path) -> str | None:
    """:func:`read_kind`, None for a file that cannot be read."""
    try:
        return read_kind(path)
    except OSError:
        return None


def content_suffix(path: str | Path) -> str | None:
    """The suffix of the allowed image format ``path``'s first bytes say it is, or None.

    How a scan finds an image whose name hides it (``holiday.dat``, a name without a suffix):
    a folder is evidence as it is, and renaming a file must not take it out of a triage. Read
    by :func:`~engine.files.open_evidence`, 64 bytes, from regular files only (opening a named
    pipe would wait forever). A BMP needs a known header size after its two-letter magic, so a text
    file that starts with "BM" is not taken for one."""
    try:
        return read_suffix(path)
    except OSError:
        return None


def read_suffix(path: str | Path) -> str | None:
    """:func:`content_suffix`, raising the OSError of a file that cannot be read."""
    kind = read_kind(path)
    return None if kind == REFUSED_IMAGE else kind


def read_kind(path: str | Path) -> str | None:
    """:func:`read_suffix`, or :data:`REFUSED_IMAGE` for a file whose first bytes are an image
    of a format recognised but not decoded (an AVIF photograph, a Windows icon): evidence a
    scan must account for with a row (the loader's refusal and the file's SHA-256), where a
    file of anything else (text, XML sidecars, a PDF, a video) is passed over."""
    with open_evidence(path) as f:
        head = f.read(_HEAD)
    fmt = sniff_format(head)
    if fmt == "BMP" and int.from_bytes(head[14:18], "little") not in _BMP_HEADER_SIZES:
        return None
    if fmt is None:
        return REFUSED_IMAGE if is_refused_image(head) else None
    return FORMAT_SUFFIXES[fmt]


class Unread(NamedTuple):
    """A folder, or a file not named like an image, that a scan's walk could not read: the
    path, the reason (the system's words), whether it is a folder. :meth:`line` words it."""

    path: Path
    reason: str
    folder: bool = True

    def line(self) -> str:
        """One line: the path, why, and what the scan does without it."""
        what = "none of its files are scanned" if self.folder else "not known to be an image"
        kind = "folder" if self.folder else "file"
        return f"{self.path}: {kind} cannot be read ({self.reason}); skipped: {what}"


def is_output_folder(d: Path) -> bool:
    """Whether ``d`` is an output folder of this program: a scan's or ``analyze --out``'s
    (its ``scan.json`` and ``results.jsonl``) or a probe's (``probe.json`` and
    ``probe-maps/``). Its maps and thumbnails are results, never evidence."""
    try:
        return ((d / SCAN_INFO).is_file() and (d / RESULTS).is_file()) or (
            (d / PROBE_JSON).is_file() and (d / PROBE_MAPS).is_dir()
        )
    except OSError:
        return False


UNREAD_LISTED = 100  # of the folders and files a scan could not read, those scan.json names
PASSED_OVER = "passed_over"  # scan.json's run and scan-started: the files passed over


def unread_record(
    unread: Sequence[Unread], passed_over: Sequence[Path] = (), folder: Path | None = None
) -> dict[str, Any] | None:
    """What scan.json's ``run`` and the case log's ``scan-started`` keep of what the walk
    could not read (:class:`Unread`), so that a report of the scan can say which part of the
    evidence it did not cover: ``folders`` and ``files`` counted, and the first
    :data:`UNREAD_LISTED` of them in the listing's order, each its absolute ``path``, whether
    it is a ``folder`` and the ``reason``; and under :data:`PASSED_OVER` the files below
    ``folder`` it passed over as no image by name or content (:func:`passed_over_record`),
    which :func:`split_listing` takes apart again for scan.json and the case log. None when
    the walk read everything and passed over nothing."""
    record: dict[str, Any] = {}
    if unread:
        folders = sum(u.folder for u in unread)
        record |= {
            "folders": folders,
            "files": len(unread) - folders,
            "first": [
                {"path": os.path.abspath(u.path), "folder": u.folder, "reason": u.reason}
                for u in unread[:UNREAD_LISTED]
            ],
        }
    if passed_over and folder is not None:
        record[PASSED_OVER] = passed_over_record(folder, passed_over)
    return record or None


def passed_over_record(folder: Path, passed_over: Sequence[Path]) -> dict[str, Any]:
    """scan.json's ``run.passed_over``: how many ``files`` below ``folder`` a scan passed over
    as no image by name or content, and every one's ``names`` (relative to ``folder``, forward
    slashes, in the listing's order), so that the record accounts for each file of the folder:
    a row, or a name here."""
    return {
        "files": len(passed_over),
        "names": [rel_key(p, folder) for p in passed_over],
    }


def split_listing(
    listing: Mapping[str, Any] | None,
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(``unread``, ``passed_over``) of :func:`unread_record`'s record, each None when absent:
    the two keys scan.json's ``run`` and the case log's ``scan-started`` record them under."""
    if listing is None:
        return None, None
    rest = dict(listing)
    passed = rest.pop(PASSED_OVER, None)
    return rest or None, passed


PASSED_NAMED = 10  # of the files a scan passed over, those a report names


def passed_over_words(settings: dict[str, Any]) -> str | None:
    """What the listing of the scan's last run passed over as no image by name or content
    (``settings``: scan.json, whose ``run.passed_over`` :func:`passed_over_record` made): how
    many, the first :data:`PASSED_NAMED` named, and where all are named. None when it passed
    over nothing, and for folders written before ``passed_over`` existed (2026-12-06)."""
    run = settings.get("run")
    passed = run.get(PASSED_OVER) if isinstance(run, dict) else None
    if not isinstance(passed, dict) or not passed.get("files"):
        return None
    names = [str(n) for n in passed.get("names") or []]
    count = passed["files"]
    more = count - min(len(names), PASSED_NAMED)
    return (
        f"{count} file(s) in the scanned folder are no image by name or content and were not "
        f"analysed: {', '.join(names[:PASSED_NAMED])}"
        + (f"; and {more} more (all named in scan.json, run.passed_over)" if more > 0 else "")
        + ". Files whose content is an image of a format not decoded here (AVIF, icons) "
        "have rows of their own."
    )


def passed_over_json(settings: dict[str, Any]) -> dict[str, Any] | None:
    """report.json's ``passed_over``: scan.json's ``run.passed_over`` as recorded (``files``,
    ``names``) and ``note``, :func:`passed_over_words`; None when it passed over nothing."""
    note = passed_over_words(settings)
    if note is None:
        return None
    passed = settings["run"][PASSED_OVER]
    return {k: passed[k] for k in ("files", "names") if k in passed} | {"note": note}


UNREAD_NAMED = 3  # of the folders and files a scan could not read, those a report names
REPORT_UNREAD = "Their files are in no row of this report."  # a report's words after them
TRUTH_UNREAD = "Their files are in no row of the scan and were not scored."  # groundtruth's


def unread_words(settings: dict[str, Any], after: str = REPORT_UNREAD) -> str | None:
    """What the listing of the scan's last run could not read (``settings``: scan.json, whose
    ``run.unread`` :func:`unread_record` made; docs/RESULTS.md): how many folders and files,
    the first :data:`UNREAD_NAMED` named with why, then ``after`` (a report's: their files are
    in no row of it). None when it read everything, and for folders written before
    ``unread`` existed."""
    run = settings.get("run")
    unread = run.get("unread") if isinstance(run, dict) else None
    if not isinstance(unread, dict):
        return None
    first = [u for u in unread.get("first") or [] if isinstance(u, dict)]
    folders, files = unread.get("folders") or 0, unread.get("files") or 0
    counted = [f"{folders} folder(s)" if folders else "", f"{files} file(s)" if files else ""]
    named = [f"{u.get('path')} ({u.get('reason')})" for u in first[:UNREAD_NAMED]]
    more = folders + files - len(named)
    return (
        f"{' and '.join(c for c in counted if c)} could not be read by the scan: "
        + "; ".join(named)
        + (f"; and {more} more (scan.json, run.unread)" if more > 0 else "")
        + f". {after}"
    )


def not_covered_record(
    settings: dict[str, Any], after: str = REPORT_UNREAD
) -> dict[str, Any] | None:
    """What the listing of the scan's last run could not read, for a machine reader
    (report.json's ``not_covered``, groundtruth.json's): scan.json's ``run.unread`` as
    recorded (``folders``, ``files``, ``first``) and ``note``, :func:`unread_words`. None when
    it read everything, and for folders written before ``unread`` existed."""
    note = unread_words(settings, after)
    if note is None:
        return None
    unread = settings["run"]["unread"]
    return {k: unread[k] for k in ("folders", "files", "first") if k in unread} | {"note": note}


def iter_images(
    folder: Path,
    recursive: bool,
    others: list[Path] | None = None,
    unread: list[Unread] | None = None,
    outputs: list[Path] | None = None,
    subfolders: list[Path] | None = None,
) -> Iterator[Path]:
    """Image files below ``folder`` in a stable order: every file named like an image, and
    every other file whose content is one (:func:`read_kind`: of an allowed format, or of one
    recognised but not decoded, such as AVIF, which its reader then refuses in its own words).

    others: when given, every other file found is appended to it (what the scan leaves out,
    for the count it reports). unread: when given, every folder that could not be listed
    (permission denied, a path beyond the system's limit, an I/O error of a damaged medium),
    and every file not named like an image whose first bytes could not be read (so not known
    to be no image), is appended to it, so that the scan can say which part of the evidence
    it did not see; it went on with the rest. A pipe, device or socket is passed over, as a
    link to nothing is. Symbolic links to folders are followed once: a folder already visited
    (same device and inode) is skipped, so link loops end. Folders named like images are never
    taken as files. A folder below ``folder`` that is an output folder of this program (:func:`is_output_folder`: an earlier scan's, or another scan's than the one
    listing) is not walked: its heatmaps and thumbnails became evidence rows of a scan of
    ``folder`` (a resume of one scan took the maps of another made since as new files);
    ``outputs``, when given, gets each such folder. ``subfolders``, when given, gets every
    folder directly inside ``folder`` (links to folders too, output folders too), as the one
    listing of ``folder`` found them (the viewer counts those an opening leaves out from it).
    """
    seen: set[tuple[int, int]] = set()

    def cannot_list(d: Path, e: OSError, folder: bool = True) -> None:
        if unread is not None:
            unread.append(Unread(d, (e.strerror or str(e)).strip(), folder))

    def is_image(e: os.DirEntry[str]) -> bool | None:
        """True: named like an image or one by content; None: its content cannot be read."""
        if is_image_name(e.name):
            return True
        try:
            return read_kind(e.path) is not None
        except (NotRegularFile, FileNotFoundError, IsADirectoryError):
            return False  # no file's content: a pipe, a device, a link to nothing
        except OSError as err:  # permission denied, an I/O error: not known to be no image
            cannot_list(Path(e.path), err, folder=False)
            return None

    def walk(d: Path, top: bool = False) -> Iterator[Path]:
        try:
            st = d.stat()
        except OSError as e:
            cannot_list(d, e)
            return
        key = (st.st_dev, st.st_ino)
        if key in seen:
            return
        seen.add(key)
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError as e:
            cannot_list(d, e)
            return
        subdirs = []
        for e in entries:
            try:
                is_dir = e.is_dir(follow_symlinks=True)
            except OSError:  # a link loop, a name beyond the limit: a file that cannot be read
                is_dir = False  # listed by its name like any other, never silently dropped
            if is_dir:
                subdirs.append(Path(e.path))
                continue
            image = is_image(e)
            if image:
                yield Path(e.path)
            elif image is not None and others is not None:
                others.append(Path(e.path))
        if top and subfolders is not None:
            subfolders.extend(subdirs)
        if recursive:
            for s in subdirs:
                if is_output_folder(s):
                    if outputs is not None:
                        outputs.append(s)
                    continue
                yield from walk(s)

    yield from walk(folder, top=True)


def listing_order(key: str) -> tuple[tuple[int, str], ...]:
    """The sort key that puts a folder scan's row keys (:func:`rel_key`) in the order its
    listing (:func:`iter_images`) gives the files: in each folder its files by name, then its
    folders by name, each walked in turn. Rows are written in the order files finish (worker
    processes, a resume), so two reports of one folder numbered its files differently (a
    walk-through of 10,000 files with ``--jobs 2``, 2026-12-06); the report sorts by this.
    Keys of files given one by one (``analyze``: names) sort by name."""
    *folders, name = key.split("/")
    return (*((1, f) for f in folders), (0, name))


def rel_key(path: Path, root: Path | None) -> str:
    """The ``path`` field of a record: relative to the scanned folder, forward slashes."""
    if root is None:
        return path.name
    return path.relative_to(root).as_posix()


def file_keys(
    paths: Iterable[Path], index: ResultIndex, same: list[tuple[Path, Path]] | None = None
) -> list[tuple[Path, str]]:
    """(path, key) of files given one by one (``analyze``), into an output folder whose
    results are ``index``.

    A file the folder already holds a row of (same resolved path) gets that row's key, so a
    second run resumes it (and re-analyses it if its bytes changed since: the resume rule);
    any other file gets its name, made unique with ``-2``, ``-3``, ... against every key of
    the folder and of this run, so ``A/x.jpg`` and ``B/x.jpg`` never share a row, whichever
    run saw them. A file given twice is analysed once, under the first of its names given
    (a symbolic link and its target, ``a.jpg`` and ``./a.jpg``): ``same`` gets each later
    name with that first one, (later, first), for the run to say.
    """
    known: dict[str, str] = {}
    for key in index.keys():
        file = index.evidence_file(key)
        if file:
            known.setdefault(os.path.realpath(file), key)
    used = set(index.keys())
    seen: dict[str, Path] = {}
    out: list[tuple[Path, str]] = []
    for p in paths:
        real = os.path.realpath(p)
        if real in seen:
            if same is not None:
                same.append((p, seen[real]))
            continue
        seen[real] = p
        key = known.get(real)
        if key is None:
            key, n = p.name, 2
            while key in used:
                key = f"{p.stem}-{n}{p.suffix}"
                n += 1
        used.add(key)
        out.append((p, key))
    return out


def same_file_line(later: Path, first: Path) -> str:
    """What a run says of a file given under two names (:func:`file_keys`' ``same``)."""
    return f"{later} is the same file as {first}: analysed once"


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
    left_out: list[Path] | None = None,
    unread: list[Unread] | None = None,
    outputs: list[Path] | None = None,
) -> list[tuple[Path, str]]:
    """(path, key) of the images to scan below ``folder`` of one of the types ``suffixes``:
    by name, or for a file not named like an image, by content (:func:`content_suffix`;
    ``.jpeg`` and ``.jpg``, ``.tiff`` and ``.tif``, ``.heic``, ``.heif`` and ``.hif`` are one
    type). With every type wanted (no type filter), a file whose content is an image of a
    format recognised but not decoded (:data:`REFUSED_IMAGE`: AVIF, a Windows icon) is listed
    too, so that the scan refuses it with a row and its SHA-256 as ``analyze`` does.

    exclude: a folder whose files are never scanned: the output folder, when it sits inside the
    scanned one, holds heatmap PNGs and thumbnails that must not become evidence.
    left_out: when given, every file below ``folder`` (outside ``exclude``) that is not an
    image by name or content is appended to it, so the scan can say how many it passed over.
    unread: when given, every folder, or file not named like an image, that could not be read
    (:func:`iter_images`; :meth:`Unread.line` words it).
    outputs: when given, gets every other output folder of this program below ``folder``,
    which is passed over too (:func:`iter_images`).
    """
    skip = exclude.resolve() if exclude is not None else None

    def kept(p: Path) -> bool:
        return skip is None or not real_path(p).is_relative_to(skip)

    wanted = {_SAME_TYPE.get(s, s) for s in suffixes}
    if wanted >= {_SAME_TYPE.get(s, s) for s in IMAGE_SUFFIXES}:  # no type filter: every image
        wanted.add(REFUSED_IMAGE)
    others: list[Path] = []
    missed: list[Unread] = []
    files = []
    found = [] if outputs is None else outputs
    for p in iter_images(folder, recursive, others, missed, found):
        if not kept(p):
            continue
        kind = p.suffix.lower() if is_image_name(p) else content_kind(p)
        if kind is None or _SAME_TYPE.get(kind, kind) not in wanted:
            continue
        files.append((p, rel_key(p, folder)))
    if left_out is not None:
        left_out.extend(p for p in others if kept(p))
    if unread is not None:
        unread.extend(u for u in missed if kept(u.path))
    if skip is not None:  # the scan's own output folder goes without saying
        found[:] = [d for d in found if real_path(d) != skip]
    return files


def output_holds_folder(folder: Path, out: Path) -> str | None:
    """Why a scan of ``folder`` into ``out`` cannot run when ``out`` is the scanned folder or
    holds it (None otherwise): the listing passes over every file under the output folder,
    so such a scan found "no images" in a folder full of them, and a scan into the evidence
    folder itself would put its maps and thumbnails among the evidence."""
    if real_path(folder).is_relative_to(real_path(out)):
        where = "is the scanned folder" if real_path(folder) == real_path(out) else "holds it"
        return (
            f"the output folder {out} {where}; choose an output folder outside the evidence "
            "(or a new folder inside it)"
        )
    return None


def output_folders_line(folder: Path, outputs: Sequence[Path]) -> str:
    """The line saying a scan of ``folder`` passed over the output folders ``outputs`` of
    this program inside it (the first named)."""
    first = outputs[0].relative_to(folder).as_posix() if outputs else ""
    return (
        f"{folder}: {len(outputs)} output folder(s) of this program passed over, their maps "
        f"and thumbnails not evidence (first: {first})"
    )


def no_images_line(
    folder: str,
    *,
    recursive: bool,
    suffixes: Sequence[str] = IMAGE_SUFFIXES,
    masks: str = "",
    sub_folders: str = "--recursive",
) -> str:
    """The one line that refuses a scan of ``folder`` when :func:`scan_files` found nothing,
    before any model is loaded (the command line's and the batch dialog's): the types looked
    for, ``masks`` (e.g. "--gt masks") when masks were passed over, and without ``recursive``
    how to include sub-folders (``sub_folders``: the option or the box that does it)."""
    where = "in it or its sub-folders" if recursive else f"in it ({sub_folders}: sub-folders)"
    other = f" other than {masks}" if masks else ""
    return (
        f"{folder}: no images to analyse: no file {where} is an image by name "
        f"({' '.join(suffixes)}) or content{other}; nothing analysed, no model loaded"
    )


def real_path(path: str | Path) -> Path:
    """``path`` absolute with its links resolved as far as they go (a link loop stays as it
    is): ``Path.resolve`` raises RuntimeError on a loop (before Python 3.13), which must not end
    a scan's listing or its ground-truth pass. Use this, not ``resolve``, on evidence paths."""
    return Path(os.path.realpath(path))


def sha256_of_file(path: str | Path) -> str:
    """SHA-256 of the file's bytes, read in chunks through :func:`~engine.files.open_evidence`
    (read-only, never waiting). Raises OSError when it cannot be read, or is not a regular
    file: a named pipe would wait for a writer forever, ``/dev/zero`` would never end, and
    ``/dev/null`` would give the digest of bytes that were never evidence."""
    return digest_of_file(path)[0]


def digest_of_file(path: str | Path) -> tuple[str, int]:
    """:func:`sha256_of_file` and the number of bytes hashed, from the one read (a report's
    check at export: bytes that hash to the SHA-256 recorded at load give the file's size)."""
    h = hashlib.sha256()
    size = 0
    with open_evidence(path) as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size
