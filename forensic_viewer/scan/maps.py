"""The image files of a scan output folder: 8-bit heatmap PNGs and triage thumbnails (no Qt).

The results rows (:mod:`forensic_viewer.scan.records`) name these files by paths relative to
the output folder; this module decides those names and reads and writes the pixels:

- ``maps/<relative path>.<model>.png``: each heatmap as 8-bit grayscale at the evidence's full
  (orientation-corrected) resolution, value = round(255 x probability) (the ensemble's, where the
  copy-move regions replaced its heatmap: 255 inside, 0 outside);
- ``maps/<relative path>.<analysis>.v<version>.analysis.png``: the map of each classic analysis
  that has one, 8-bit the same way (value = round(255 x map value); what the value means is in
  the row), named with the analysis's version so that a resume upgrading it writes the new map
  beside the old one, which its row names until the new row is appended (scan/upgrade.py);
- ``thumbs/<relative path>.jpg``: a small JPEG of the evidence (long side :data:`THUMB_SIDE`)
  for triage tables, made while the file was decoded anyway;
- ``maps.2/...`` and ``thumbs.2/...`` (the same names): a file analysed again whole (its bytes
  changed, or the ensemble's analysis is of an older version) writes its new files where its
  old row names none (:func:`unnamed`), and the old files go once the new row is appended.

The row records the SHA-256 of each file's bytes as written (``files_sha256``); every reader
here takes it (``sha256``) and refuses a file that no longer hashes to it
(:class:`ChangedSinceScan`, one line naming the file), as it would a missing one, so a map or
thumbnail swapped or damaged after the scan is never shown as the scan's.

A relative path whose file name, with the suffix, would pass the file systems' limit on one
name (:data:`NAME_MAX` bytes) is shortened (:func:`fitted_name`), and folders deeper than
:data:`FOLDERS_MAX` bytes are mirrored as far as they fit (:func:`fitted_folders`); the rows
name every file, so readers never rebuild these names.

Two evidence files whose names differ only in case (``Case.png``, ``case.png``) or in their
Unicode form (NFC ``é``, NFD ``e`` + accent) are two files here, but one on a drive that folds
names (macOS APFS and HFS+, exFAT, NTFS): their maps would be one file, the second overwriting
the first. The later of them mirrors :func:`distinct_name` instead of its path
(:class:`OutputNames`: names compared as :func:`folded_name` folds them), so every other file
keeps the name it always had.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import os
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from engine.bomb_guards import pixel_limit
from engine.errors import ForensicError
from engine.files import TEMP_ROOM, atomic_write, not_regular_reason, open_regular
from engine.metrics import levels

MAPS = "maps"


THUMBS = "thumbs"


THUMB_SIDE = 160  # px, long side of a triage thumbnail
# px, the short side a thumbnail keeps (or the image's own): a 4000 x 16 strip fitted whole
# into 160 px was a thumbnail 1 px high, a line that showed nothing of the picture
THUMB_MIN_SIDE = 16


NAME_MAX = 255  # bytes of one file name: ext4, XFS, Btrfs, APFS (NTFS: 255 UTF-16 units, fewer)
# bytes of a key's folders that the output's file names repeat: with the output folder's own
# path and the name they stay within the 4,096 bytes a path may have (Linux's PATH_MAX)
FOLDERS_MAX = 2048


def fitted_name(key: str, suffix: str) -> str:
    """``key`` + ``suffix``, the file name within :data:`NAME_MAX` bytes with what the atomic
    writer adds for its temporary file (:data:`~engine.files.TEMP_ROOM`): a longer one (an
    evidence file whose name is near the limit, as a long non-ASCII name soon is) keeps its
    beginning, cut at a character, then ``~`` and 16 hex digits of the key's SHA-256 (two long
    names alike in their beginning stay apart) and the suffix. The key's folders are the
    evidence's, within :data:`FOLDERS_MAX` bytes (:func:`fitted_folders`)."""
    folder, sep, name = key.rpartition("/")
    folder = fitted_folders(folder)
    room = NAME_MAX - TEMP_ROOM - len(suffix.encode())
    if len(_raw(name)) <= room:
        return f"{folder}{sep}{name}{suffix}"
    cut = _cut(name, room - len(_tag(key)))
    return f"{folder}{sep}{cut}{_tag(key)}{suffix}"


def fitted_folders(folder: str) -> str:
    """A key's folders (``a/b/c``) as the output folder repeats them: each name within
    :data:`NAME_MAX` bytes (a file system that allows longer, such as NTFS with 255 UTF-16
    units, gives names this one refuses), and the whole within :data:`FOLDERS_MAX`: the folders
    that fit kept whole, the rest replaced by one named ``~`` and 16 hex digits of the folders'
    SHA-256. A file deep in a seized folder tree had its map's path pass the system's limit
    (4,096 bytes with the output folder's own path), and that one file stopped the scan."""
    kept: list[str] = []
    used = 0
    for part in folder.split("/") if folder else []:
        if len(_raw(part)) > NAME_MAX:
            part = _cut(part, NAME_MAX - len(_tag(part))) + _tag(part)
        used += len(_raw(part)) + 1
        if used > FOLDERS_MAX - len(_tag(folder)) - 1:
            kept.append(_tag(folder))
            break
        kept.append(part)
    return "/".join(kept)


def _tag(text: str) -> str:
    """``~`` and 16 hex digits of ``text``'s SHA-256: what keeps two cut names apart."""
    return "~" + hashlib.sha256(_raw(text)).hexdigest()[:16]


def _cut(name: str, size: int) -> str:
    """The beginning of ``name`` within ``size`` bytes, cut at a character."""
    return _raw(name)[:size].decode(errors="ignore")


def _raw(name: str) -> bytes:
    """``name`` as the bytes the file system holds: a name that is not UTF-8 comes from
    ``os.fsdecode`` with its bytes as surrogates, which plain ``encode()`` refuses."""
    return name.encode("utf-8", "surrogateescape")


def distinct_name(key: str) -> str:
    """``key`` with ``~`` and 8 hex digits of its SHA-256 after its file name
    (``a/case.png~1a2b3c4d``): what a file's output files mirror when its own name folds to
    another evidence file's (:class:`OutputNames`)."""
    return f"{key}~{hashlib.sha256(_raw(key)).hexdigest()[:8]}"


def folded_name(name: str) -> str:
    """The thumbnail file name of the mirrored ``name`` as a drive that folds names compares
    it: NFC (APFS and HFS+ take a name's NFC and NFD forms for one) and case folded. The
    thumbnail's, since ``.jpg`` is the shortest suffix: two names that fold alike there
    fold alike with every longer suffix unless one is shortened (:func:`fitted_name`), and a
    shortened name carries its key's own hash, which tells it apart anyway."""
    nfc = unicodedata.normalize("NFC", thumb_name(name))
    return unicodedata.normalize("NFC", nfc.casefold())


class OutputNames:
    """The name each evidence file's output files mirror (its key, or :func:`distinct_name`),
    for the one output folder of a scan.

    rows: the name each key's last row in results.jsonl mirrors (a key whose row names no file,
    an error row's, holds none). Such a key keeps its name, so a resume never renames a row's
    files. Any other key is given a name by :meth:`claim` in the order of the file list (the
    one-process scan claims as it reaches a file, a pooled or Ray scan's parent as it hands it
    out, so both give the same names): its key, unless that folds (:func:`folded_name`) to a
    name another key holds, a row's or one claimed before it; then :func:`distinct_name`.
    """

    def __init__(self, rows: Mapping[str, str] | None = None) -> None:
        self._names = dict(rows or {})
        self._holders: dict[str, str] = {}  # folded name -> the key that holds it
        for key, name in self._names.items():
            self._holders.setdefault(folded_name(name), key)

    def claim(self, key: str) -> str:
        """The name ``key``'s output files mirror, given to it once for the run."""
        name = self._names.get(key)
        if name is None:
            holder = self._holders.setdefault(folded_name(key), key)
            name = key if holder == key else distinct_name(key)
            if name != key:
                self._holders.setdefault(folded_name(name), key)
            self._names[key] = name
        return name


def map_name(key: str, model: str) -> str:
    """Where the heatmap of ``model`` on the file ``key`` goes, relative to the output folder."""
    return f"{MAPS}/" + fitted_name(key, f".{model}.png")


def analysis_map_name(key: str, analysis: str, version: str) -> str:
    """Where the map of version ``version`` of the classic ``analysis`` on the file ``key``
    goes (a suffix of its own, so an analysis never takes the file of a model of the same
    name; the version in it, so a new version's map never overwrites the file an older row
    still names)."""
    return f"{MAPS}/" + fitted_name(key, f".{analysis}.v{version}.analysis.png")


def face_map_name(key: str, model: str) -> str:
    """Where the face map of ``model`` on the file ``key`` goes (its heatmaps of the detected
    faces' crops pasted back at full resolution, 0 elsewhere: the face path, engine.facepath)."""
    return f"{MAPS}/" + fitted_name(key, f".{model}.faces.png")


def thumb_name(key: str) -> str:
    """Where the thumbnail of the file ``key`` goes, relative to the output folder."""
    return f"{THUMBS}/" + fitted_name(key, ".jpg")


def unnamed(name: str, taken: Collection[str]) -> str:
    """``name``, or when the row a new one replaces names it (``taken``), the same file in the
    first of the folders ``maps.2``, ``maps.3``, ... (``thumbs.2``, ...) that no name of
    ``taken`` is in: a whole re-analysis wrote its maps over the old ones before its row was
    appended, so a scan killed in between left the old row (the old SHA-256) naming maps and a
    thumbnail of the new bytes. The folder changes, never the file name, which stays within
    :data:`NAME_MAX`; rows name every file, so readers follow."""
    if name not in taken:
        return name
    top, sep, rest = name.partition("/")
    n = 2
    while (other := f"{top}.{n}{sep}{rest}") in taken:
        n += 1
    return other


def unnumbered(name: str) -> str:
    """``name`` as it was before :func:`unnamed` moved it: ``maps.2/x`` is ``maps/x``."""
    top, sep, rest = name.partition("/")
    base, dot, n = top.partition(".")
    return f"{base}{sep}{rest}" if dot and n.isdigit() else name


def heatmap_png(heatmap: NDArray[np.floating], keep: Iterable[float] = (0.5,)) -> bytes:
    """``heatmap`` [H, W] in [0, 1] as the bytes of its 8-bit grayscale PNG file, value =
    round(255 x probability) computed in float32 (:func:`engine.metrics.levels`, the one
    quantisation, which ground-truth scoring also uses), no pixel moved across a threshold in
    ``keep`` (a model's map: its own pixel threshold and 0.5), so a mask drawn from the file
    at those thresholds is the one the scan's forged fraction counted.

    The one encoder of a scan's map files: a one-process scan calls it just before writing,
    the workers of a pooled or Ray scan call it and send the bytes, so every map file is the
    same byte for byte whoever made it. zlib level 1: a third of the CPU time of Pillow's
    default level 6 for files about half again as large; encoding is the largest cost of a
    scan besides the network, and in a pooled scan the workers pay it, not the driver.
    """
    buf = io.BytesIO()
    Image.fromarray(levels(heatmap, keep), mode="L").save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def save_heatmap_png(heatmap: NDArray[np.floating], path: Path) -> None:
    """``heatmap`` [H, W] in [0, 1] written to ``path`` as :func:`heatmap_png` encodes it."""
    atomic_write(path, heatmap_png(heatmap))


def row_file(out: Path, name: str, key: str) -> Path | None:
    """``out / name``, a file the row of ``key`` names (a map, a thumbnail), when it is inside
    the output folder ``out`` with every link followed; else None, said once in a line naming
    the row and the path (:func:`_outside_said`), and its readers take it as missing. Rows
    name files relative to ``out``; one edited to name ``maps/../../x`` or an absolute path
    had a report read a file elsewhere (and a resume could remove it)."""
    path, root = out / name, Path(os.path.realpath(out))
    real = Path(os.path.realpath(path))
    if real.is_relative_to(root) and real != root:
        return path
    _outside_said(str(out), key, name)
    return None


def row_file_inside(out: Path, name: str, key: str) -> Path:
    """:func:`row_file` for a reader that refuses a missing map (the viewer's replay, ground
    truth scoring): ``out / name``, or :class:`ForensicError` in one line naming the path when
    the name leaves ``out`` (said once more by :func:`row_file`'s warning)."""
    path = row_file(out, name, key)
    if path is None:
        raise ForensicError(out / name, "is outside the scan's output folder: not read")
    return path


@functools.cache
def _outside_said(out: str, key: str, name: str) -> None:
    """The warning of :func:`row_file`, once per folder, row and name (a report reads each
    item more than once)."""
    logging.getLogger(__name__).warning(
        "%s: the row of %s in results.jsonl names %s, outside this folder: not read, taken as "
        "missing",
        out,
        key,
        name,
    )


class ChangedSinceScan(ForensicError):
    """A file of a scan folder whose bytes no longer hash to the SHA-256 its row recorded."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            path, "does not match the hash its row recorded: changed or replaced since the scan"
        )


# the least a file a row names may hold before it is refused unread (named_file_limit)
NAMED_FILE_FLOOR = 512 * 2**20


def named_file_limit() -> int:
    """The most bytes a file a row names (a map, a thumbnail) may hold: an 8-bit map PNG of
    evidence at the pixel limit (:func:`engine.io.pixel_limit`) holds at most about a byte a
    pixel (a row's filter byte, zlib's stored blocks), so twice that, and never less than
    :data:`NAMED_FILE_FLOOR` (a scan made under a higher limit stays readable)."""
    return max(NAMED_FILE_FLOOR, 2 * pixel_limit() + 2**20)


class NamedFileTooLarge(ForensicError):
    """A file of a scan folder under a name a row gives, larger than any map or thumbnail a
    scan writes (:func:`named_file_limit`): refused before it is read into memory."""

    def __init__(self, path: Path, size: int, limit: int) -> None:
        super().__init__(
            path,
            f"is {size:,} bytes, more than any map or thumbnail a scan writes "
            f"({limit:,} bytes): not read",
        )


def read_named(path: Path, sha256: str | None) -> bytes:
    """The bytes of a file a row names, opened by :func:`engine.files.open_regular` (Pillow
    would open a pipe named like it by its name and wait on it). ``sha256``: what the row
    recorded of them (None: a row of an earlier version, nothing to check). Raises OSError,
    :class:`NamedFileTooLarge` for a file over :func:`named_file_limit` (a huge file planted
    under a map's name was read whole), or :class:`ChangedSinceScan` when they hash otherwise."""
    limit = named_file_limit()
    with open_regular(path) as f:
        if (size := os.fstat(f.fileno()).st_size) > limit:
            raise NamedFileTooLarge(path, size, limit)
        data = f.read(limit + 1)  # a file growing while it is read stops here too
    if len(data) > limit:
        raise NamedFileTooLarge(path, len(data), limit)
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise ChangedSinceScan(path)
    return data


def read_map_png(path: Path, sha256: str | None = None) -> NDArray[np.float32]:
    """An 8-bit map file of a scan folder (a heatmap, a face map, a classic analysis's map) as
    [H, W] float32 in [0, 1], its bytes checked against ``sha256`` (:func:`read_named`).
    Raises OSError, ValueError or :class:`ChangedSinceScan`."""
    data = read_named(path, sha256)
    with Image.open(io.BytesIO(data), formats=["PNG"]) as im:
        return np.asarray(im.convert("L"), dtype=np.float32) / np.float32(255.0)


def read_map_file(path: Path | None, sha256: str | None = None) -> NDArray[np.float32] | None:
    """A scan's 8-bit map file (a heatmap, a face map, a classic analysis's map) for a report
    figure: None when there is none (no file named, or nothing at that name); raises
    :class:`ForensicError` naming the file when something is there but cannot be read (a pipe
    or device named like it, which a check by name before opening called missing, a damaged
    PNG) or is not the file its row recorded (``sha256``: :class:`ChangedSinceScan`)."""
    if path is None:
        return None
    try:
        return read_map_png(path, sha256)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise ForensicError(path, f"map cannot be read: {not_regular_reason(e) or e}") from e
    except ValueError as e:
        raise ForensicError(path, f"map cannot be read ({e})") from e


def read_heatmap_png(
    path: Path, size: tuple[int, int], sha256: str | None = None
) -> NDArray[np.float32]:
    """The 8-bit heatmap file ``path`` as [H, W] float32 in [0, 1].

    size: the evidence's (height, width); a map of another size belongs to another file.
    sha256: what its row recorded of its bytes (None: nothing recorded).
    Raises :class:`ForensicError` naming the file when it cannot be read (a named pipe or a
    device put in a scan folder under a map's name included), its size differs, or its bytes
    are not those the row recorded (:class:`ChangedSinceScan`).
    """
    try:
        heat = read_map_png(path, sha256)
    except OSError as e:
        if (reason := not_regular_reason(e)) is not None:
            raise ForensicError(path, f"heatmap cannot be read: {reason}") from e
        raise ForensicError(path, f"heatmap cannot be read ({e})") from e
    except ValueError as e:
        raise ForensicError(path, f"heatmap cannot be read ({e})") from e
    if heat.shape != size:
        raise ForensicError(
            path,
            f"heatmap is {heat.shape[1]}×{heat.shape[0]}, the evidence is {size[1]}×{size[0]}",
        )
    return heat


def thumbnail(rgb: NDArray[np.uint8], max_side: int = THUMB_SIDE) -> NDArray[np.uint8]:
    """``rgb`` [H, W, 3] scaled (area interpolation) so its long side is at most ``max_side``.

    An image longer than ``max_side`` : :data:`THUMB_MIN_SIDE` (10:1 at 160 px: panoramas,
    scanned strips) would leave a thumbnail thinner than that; it is scaled so its short side
    keeps :data:`THUMB_MIN_SIDE` pixels (or its own, when fewer) and the middle of its long
    side is shown, ``max_side`` long."""
    h, w = rgb.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    floor = min(THUMB_MIN_SIDE, h, w)
    scale = max(scale, floor / min(h, w))
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    h, w = rgb.shape[:2]
    y0, x0 = max(0, (h - max_side) // 2), max(0, (w - max_side) // 2)
    return np.ascontiguousarray(rgb[y0 : y0 + max_side, x0 : x0 + max_side])


def encode_jpeg(rgb: NDArray[np.uint8], quality: int = 85) -> bytes:
    """``rgb`` [H, W, 3] as JPEG bytes (the thumbnail file's content)."""
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def thumbnail_jpeg(rgb: NDArray[np.uint8], path: Path) -> bytes | None:
    """The thumbnail file's bytes of the evidence ``rgb`` [H, W, 3]; None, logged naming
    ``path``, when it cannot be made: no thumbnail is no reason to lose the analysis."""
    try:
        return encode_jpeg(thumbnail(rgb))
    except Exception:
        logging.getLogger(__name__).info("%s: no thumbnail", path, exc_info=True)
        return None


def read_thumbnail(
    path: Path, max_side: int = THUMB_SIDE, sha256: str | None = None
) -> NDArray[np.uint8] | None:
    """A thumbnail file written by a scan, as [h, w, 3] uint8 RGB (None when unreadable: a
    pipe or a device named like it included, opened by :func:`engine.files.open_regular`).
    sha256: what its row recorded of its bytes; a file that hashes otherwise is None too, its
    one line (:class:`ChangedSinceScan`) logged, as is a file too large to be a thumbnail
    (:class:`NamedFileTooLarge`)."""
    try:
        data = read_named(path, sha256)
        with Image.open(io.BytesIO(data), formats=["JPEG"]) as im:
            return thumbnail(np.asarray(im.convert("RGB")), max_side)
    except (ChangedSinceScan, NamedFileTooLarge) as e:
        logging.getLogger(__name__).warning("%s", e)
        return None
    except (OSError, ValueError):
        return None
