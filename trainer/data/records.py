"""Data set records: which images, which masks, which label, and how they are read.

Two formats, as IMDL-BenCo:

- **Folder** (``ManiDataset`` plus authentic images): ``Tp/`` tampered images, ``Gt/`` their
  masks (or ``images/`` + ``masks/``; each folder's name in any case: :func:`data_folders`,
  the folders ``scan --gt`` finds too) with the same stem, or with a ``_gt``/``_mask``/``-gt``/``-mask`` ending (0 = authentic,
  255 = tampered; any image extension, in any case), paired by
  :func:`engine.masks.list_masks`, as ``forensic-viewer scan --gt`` pairs them; optional
  ``Au/`` authentic images (label 0, no mask: an all-zero mask is implied). macOS's
  AppleDouble files (``._x.jpg``) in these folders are no images and no masks: passed over.
- **JSON list** (``JsonDataset``): ``[[image, mask], ...]`` where ``mask`` is ``"Negative"`` for
  an authentic image; relative paths are relative to the JSON file's folder (not the working
  directory; a missing one's line says so). Another file (a CSV list) is refused, saying so.

Everything is validated before any long work starts (:func:`validate`): missing folders, empty
data sets, tampered images without a mask and masks of another size than their image are errors
with a one-line message (and, once the masks are read, masks that look inverted or of which none
marks a pixel: :func:`engine.masks.implausible_masks`) (a mask is never resized: :mod:`engine.masks`, the one reader of masks,
the ground-truth mode's too, says why). Images that cannot be decoded are not errors: they are
skipped when loaded, counted, and listed at the end of the command (:class:`SkipLog`). A named
pipe (or device) named like an image or a mask is listed like a file and read through
:func:`engine.files.open_regular`: an image that cannot be read (skipped and listed), a mask
that cannot be read (an error naming it), never a read that waits for a writer. An image a JSON
list names more than once is read that many times: the recipes weight parts of a training list
so (packaging/recipes/diffforensics-faces.sh lists the untouched crops ten times).

Pixels are decoded with :func:`engine.io.load_evidence`, the same call the viewer and
``forensic-viewer scan`` use, so training, evaluation and analysis see identical pixels
(including the EXIF orientation policy).
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, UnidentifiedImageError

from engine.errors import EvidenceError, ForensicError
from engine.files import is_listed, not_regular_reason, open_regular, read_regular
from engine.formatting import plain_lines
from engine.io import IMAGE_SUFFIXES, load_evidence, not_allowed_reason, sniff_format
from engine.masks import (
    AUTHENTIC_FOLDERS,
    INVERT_ADVICE,
    MASK_FOLDERS,
    TAMPERED_FOLDERS,
    implausible_masks,
    inverted_masks,
    is_appledouble,
    list_masks,
    read_mask,
    subfolder,
)
from trainer.errors import DataError

NEGATIVE = "Negative"  # the JSON format's mask entry for an authentic image
MASK_SUFFIXES = IMAGE_SUFFIXES  # a mask is named like an image (engine.masks.list_masks)


@dataclass(frozen=True)
class Sample:
    """One image of a data set.

    image: path of the image file.
    mask: path of its mask (tampered images) or None (authentic: all zero).
    label: 1 = manipulated, 0 = authentic.
    dataset: name of the data set it came from (for combined data sets and reports).
    """

    image: Path
    mask: Path | None
    label: int
    dataset: str = ""

    @property
    def name(self) -> str:
        return self.image.name


@dataclass
class SkipLog:
    """Images skipped because they could not be read, with the reason; listed at the end. Also
    the masks' warnings (:func:`engine.masks.read_mask`: a faint mask read as empty, a
    region read from the transparency), each once, listed after them."""

    entries: list[tuple[str, str]] = field(default_factory=list)
    mask_warnings: list[str] = field(default_factory=list)

    def add(self, path: str | Path, reason: str) -> None:
        self.entries.append((str(path), reason))

    def warn(self, lines: list[str]) -> None:
        self.mask_warnings += [w for w in lines if w not in self.mask_warnings]

    def __len__(self) -> int:
        return len(self.entries)

    def summary(self) -> str:
        """Lines for the end of a command: the count, then one line per skipped file; then the
        masks' warnings, one line each."""
        lines = []
        if self.entries:
            lines = [f"{len(self.entries)} unreadable image(s) skipped:"]
            lines += [f"  {p}: {r}" for p, r in self.entries]
        lines += [f"warning: {w}" for w in self.mask_warnings]
        return "\n".join(lines)

    def print_summary(self) -> None:
        """:meth:`summary` on stderr at the end of a command, when there is anything to list."""
        if self.entries or self.mask_warnings:
            print(plain_lines(self.summary()), file=sys.stderr)


@contextlib.contextmanager
def open_image(path: str | Path) -> Iterator[Image.Image]:
    """``Image.open`` of a data set's image or mask, opened by :func:`engine.files.open_regular`:
    a named pipe raises :class:`~engine.files.NotRegularFile` (an OSError) at once instead of
    waiting for a writer."""
    with open_regular(path) as f, Image.open(f) as im:
        yield im


def unreadable_reason(e: BaseException) -> str:
    """Why a file could not be read, for a one-line message."""
    return (isinstance(e, OSError) and not_regular_reason(e)) or str(e)


def listed_files(folder: Path, suffixes: tuple[str, ...] = IMAGE_SUFFIXES) -> list[Path]:
    """The entries of ``folder`` (none when it is no folder) named with one of ``suffixes`` (any
    case) that count as files (:func:`engine.files.is_listed`), by name: the images of ``Tp/``
    or ``Au/``, or with the mask suffixes the files of ``Gt/``, for reading a data set and for
    ``check`` alike. macOS's AppleDouble files (``._x.jpg``, metadata named like an image:
    :func:`engine.masks.is_appledouble`) are none, as ``scan --gt`` passes them over."""
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix.lower() in suffixes and not is_appledouble(p) and is_listed(p)
    )


def data_folders(root: Path) -> tuple[Path, Path, Path]:
    """The tampered, mask and authentic folders of a data folder: ``Tp/`` (or ``images/``),
    ``Gt/`` (or ``masks/``) and ``Au/``, each in any case (:func:`engine.masks.subfolder`, as
    ``scan --gt`` finds its ``Gt/`` and ``Au/``); a path that is no folder when it has none."""
    return (
        subfolder(root, TAMPERED_FOLDERS),
        subfolder(root, MASK_FOLDERS),
        subfolder(root, AUTHENTIC_FOLDERS),
    )


_TO_DO = (
    "put the tampered images in Tp/ and their masks in Gt/ (the same stem, or with a _gt or "
    "_mask ending), authentic ones in Au/, or list [image, mask] pairs in a JSON file "
    "(docs/TRAINING.md, Data)"
)


def _layout_hint(root: Path) -> str:
    """What to do with a folder of another layout, and what it holds, for its one line."""
    try:
        held = sorted(p.name + "/" for p in root.iterdir() if p.is_dir())
    except OSError:
        held = []
    listing = f" (it holds {', '.join(held[:4])}{', ...' if len(held) > 4 else ''})" if held else ""
    return f"{listing}: {_TO_DO}"


def _gt_hint(root: Path) -> str:
    """For ``Tp/`` without ``Gt/``: a sibling folder named like one of masks (CASIA v2's
    ``CASIA 2 Groundtruth/``), to be renamed, else what to do."""
    words = ("gt", "mask", "ground")
    try:
        like = sorted(
            p.name for p in root.iterdir() if p.is_dir() and any(w in p.name.lower() for w in words)
        )
    except OSError:
        like = []
    if like:
        return f": if {like[0]}/ holds the masks, rename it Gt/ (its _gt and _mask endings are understood)"
    return f": {_TO_DO}"


def read_folder(root: str | Path, problems: list[tuple[Path, str]] | None = None) -> list[Sample]:
    """Samples of a ``Tp/`` + ``Gt/`` (+ ``Au/``) folder; raises :class:`DataError` on misfit.
    With ``problems``, each tampered image without a mask is appended to it (and left out)
    instead of raising on the first: ``check`` lists every one."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(root, "no such data folder")
    tp, gt, au = data_folders(root)
    if not tp.is_dir() and not au.is_dir():
        raise DataError(
            root,
            "not a data folder: it has neither Tp/ or images/ (tampered) nor Au/ (authentic)"
            + _layout_hint(root),
        )
    if tp.is_dir() and not gt.is_dir():
        raise DataError(
            root, f"{tp.name}/ has no Gt/ or masks/ folder of masks next to it" + _gt_hint(root)
        )
    name = root.name
    samples: list[Sample] = []
    if tp.is_dir():
        masks = list_masks(gt).by_stem  # the pairing scan --gt makes of the same folder
        missing: list[Path] = []
        for img in listed_files(tp):
            m = masks.get(img.stem)
            if m is None:
                missing.append(img)
            else:
                samples.append(Sample(img, m, 1, name))
        if missing and problems is not None:
            problems += [
                (m, f"tampered image has no mask in {gt} (same stem expected)") for m in missing
            ]
        elif missing:
            more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
            raise DataError(
                missing[0], f"tampered image has no mask in {gt} (same stem expected){more}"
            )
    if au.is_dir():
        samples += [Sample(p, None, 0, name) for p in listed_files(au)]
    if not samples and missing:  # the images are there: none of them can be used
        raise DataError(
            root,
            f"no usable image: none of the {len(missing)} tampered images in {tp.name}/ has a "
            f"mask in {gt.name}/" + ("" if au.is_dir() else ", and there is no Au/ folder"),
        )
    if not samples:
        raise DataError(root, "empty data set: no images in Tp/ or Au/")
    return samples


def _relative_note(entry: str, path: Path) -> str:
    """For a path of a JSON list that does not exist: where a relative one was looked for (the
    list's folder, not the working directory a script that wrote it ran in)."""
    if Path(entry).is_absolute():
        return ""
    return f" (a relative path is read from the list's folder, {path.parent})"


def read_json_list(
    path: str | Path, problems: list[tuple[Path, str]] | None = None
) -> list[Sample]:
    """Samples of a JSON list of ``[image, mask]`` pairs (``mask`` may be ``"Negative"``).
    With ``problems``, each entry that is not a pair, or whose image or mask does not exist, is
    appended to it (and left out) instead of raising on the first: ``check`` lists every one."""
    path = Path(path)
    if not is_listed(path):
        raise DataError(path, "no such JSON data set file")
    try:
        pairs = json.loads(read_regular(path).decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        reason = isinstance(e, OSError) and not_regular_reason(e)
        raise DataError(path, reason or f"not a readable JSON list ({e})") from e
    if not isinstance(pairs, list):
        raise DataError(path, "a JSON data set must be a list of [image, mask] pairs")
    base = path.parent
    samples: list[Sample] = []
    found: list[tuple[Path, str]] = []
    for i, pair in enumerate(pairs):
        if not (
            isinstance(pair, list | tuple)
            and len(pair) == 2
            and all(isinstance(s, str) for s in pair)
        ):
            found.append((path, f"entry {i} is not an [image, mask] pair of strings: {pair!r}"))
            continue
        img = Path(pair[0]) if Path(pair[0]).is_absolute() else base / pair[0]
        if not is_listed(img):  # a pipe is listed: its loader skips it and says why
            found.append((img, f"image of entry {i} does not exist{_relative_note(pair[0], path)}"))
            continue
        if pair[1] == NEGATIVE:
            samples.append(Sample(img, None, 0, path.stem))
            continue
        mask = Path(pair[1]) if Path(pair[1]).is_absolute() else base / pair[1]
        if not is_listed(mask):
            why = f"{mask} does not exist{_relative_note(pair[1], path)}"
            found.append((img, f"tampered image has no mask: {why}"))
            continue
        samples.append(Sample(img, mask, 1, path.stem))
    if found and problems is not None:
        problems += found
        return samples
    if found:
        more = f" ({len(found) - 1} more entries with problems)" if len(found) > 1 else ""
        raise DataError(found[0][0], found[0][1] + more)
    if not samples:
        raise DataError(path, "empty data set: the JSON list has no entries")
    return samples


def read_dataset(path: str | Path, problems: list[tuple[Path, str]] | None = None) -> list[Sample]:
    """A folder (format a) or a ``.json`` file (format b); ``problems``: see
    :func:`read_folder`."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        return read_json_list(path, problems)
    if path.exists() and not path.is_dir():
        raise DataError(
            path,
            "not a data folder or a .json list (a CSV or text list is not read): write its "
            'pairs as a JSON list [["img.jpg", "img_gt.png"], ["au.jpg", "Negative"], ...], '
            "relative paths from the list's folder",
        )
    return read_folder(path, problems)


def _oriented_size(path: Path) -> tuple[int, int] | str:
    """(width, height) after the EXIF orientation, from the header only; why not if unreadable.
    A file Pillow cannot identify is said as the loader says it (:func:`engine.io.
    not_allowed_reason`: the formats allowed and what it looks like): a JSON list given as a
    mask read "cannot identify image file <_io.BufferedReader name=4>" (fine-tune walk-through,
    2026-12-06)."""
    try:
        with open_image(path) as im:
            w, h = im.size
            orientation = im.getexif().get(0x0112, 1)
    except UnidentifiedImageError:  # an OSError: its file's first bytes say what it is
        try:
            with open_regular(path) as f:
                head = f.read(512)
        except OSError as e:
            return unreadable_reason(e)
        fmt = sniff_format(head[:64])
        return (
            not_allowed_reason(head) if fmt is None else f"a {fmt} file whose header cannot be read"
        )
    except (OSError, ValueError) as e:
        return unreadable_reason(e)
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)


def validate(samples: list[Sample], problems: list[tuple[Path, str]] | None = None) -> None:
    """Check every mask against its image's size before training starts.

    Reads headers only (fast). An unreadable image is left to the loader (skipped and listed);
    an unreadable mask or one of another size is a :class:`DataError` naming the first file and
    how many more there are; with ``problems``, each (file, reason) is appended to it instead.
    """
    bad: list[tuple[Path, str]] = []
    for s in samples:
        if s.mask is None:
            continue
        isize = _oriented_size(s.image)
        if isinstance(isize, str):
            continue
        msize = _oriented_size(s.mask)
        if isinstance(msize, str):
            bad.append((s.mask, f"mask cannot be read: {msize}"))
        elif msize != isize:
            bad.append(
                (
                    s.mask,
                    f"mask is {msize[0]}x{msize[1]} but its image {s.image.name} is "
                    f"{isize[0]}x{isize[1]}",
                )
            )
    if problems is not None:
        problems.extend(bad)
    elif bad:
        more = f" ({len(bad) - 1} more mask(s) with problems)" if len(bad) > 1 else ""
        raise DataError(bad[0][0], bad[0][1] + more)


def empty_mask_warning(images: list[Path]) -> str:
    """One line for the tampered images whose mask marks no pixel (first named, the count)."""
    more = f", and {len(images) - 1} more" if len(images) > 1 else ""
    return (
        f"warning: {images[0]}: tampered image whose mask marks no tampered pixel: it gives no "
        f"forged window and trains as untouched texture{more}"
    )


MASKS_AS_GIVEN = "--masks-as-given"  # the override of the inverted-mask rule


def implausible_refusal(
    shares: list[tuple[Path, float]], warnings: list[str], as_given: bool = False
) -> tuple[Path, str] | None:
    """:func:`engine.masks.implausible_masks` of one data set's masks (``shares``: mask, share
    marked), its inverted reason naming :data:`MASKS_AS_GIVEN`, the override; with
    ``as_given`` only a set none of whose masks marks a pixel."""
    found = implausible_masks(shares, warnings, as_given=as_given)
    if found is not None and found == inverted_masks(shares):
        found = (
            found[0],
            f"{found[1]}; or, if they are right as they are (forgeries covering most of their "
            f"image: large removals, inpainting), give {MASKS_AS_GIVEN}",
        )
    return found


def taken_as_given(shares: list[tuple[Path, float]], as_given: bool) -> list[str]:
    """With ``as_given``, the one line a run records when these masks look inverted and
    :data:`MASKS_AS_GIVEN` had them used as they are (empty otherwise)."""
    found = inverted_masks(shares) if as_given else None
    if found is None:
        return []
    why = found[1].removesuffix(INVERT_ADVICE)
    return [f"{found[0]}: {why}: used as given ({MASKS_AS_GIVEN}), not refused as inverted"]


def refuse_implausible_masks(
    samples: list[Sample], *, empty_ok: bool = False, as_given: bool = False
) -> list[str]:
    """A :class:`DataError` for the first data set among ``samples`` whose tampered masks
    :func:`implausible_refusal` refuses (inverted, or none marking a pixel), as ``check`` and
    ``fit`` refuse them: for ``eval``, ``ensemble``, ``features`` and ``calibrate
    --pixel-threshold auto``, whose figures against such masks would be wrong without a word.
    ``empty_ok``: a set none of whose masks marks a pixel passes (``calibrate`` then keeps the
    pixel threshold and says so). ``as_given`` (:data:`MASKS_AS_GIVEN`): inverted-looking
    masks pass; returned, one line per data set (:func:`taken_as_given`), for the command to
    record. Reads every mask of ``samples``."""
    overridden: list[str] = []
    for name in dict.fromkeys(s.dataset for s in samples):
        shares, warnings = marked_shares([s for s in samples if s.dataset == name])
        if empty_ok and not any(share > 0 for _, share in shares):
            continue
        implausible = implausible_refusal(shares, warnings, as_given)
        if implausible is not None:
            raise DataError(*implausible)
        overridden += taken_as_given(shares, as_given)
    return overridden


def decoded_masks_findings(
    decoded: list[tuple[Sample, NDArray[np.uint8]]],
    skipped: SkipLog,
    refuse: bool = True,
    as_given: bool = False,
) -> tuple[list[Path], list[str]]:
    """The tampered images among ``decoded`` (each with its decoded mask) whose mask marks no
    pixel, for ``fit``'s warning; with ``refuse``, first a :class:`DataError` for the first data
    set whose masks :func:`implausible_refusal` refuses, as ``check`` refuses them, and the
    lines of the sets whose inverted-looking masks ``as_given`` let through
    (:func:`taken_as_given`), for the run to record."""
    overridden: list[str] = []
    for name in dict.fromkeys(s.dataset for s, _ in decoded) if refuse else ():
        shares = [
            (s.mask, float(m.mean()))
            for s, m in decoded
            if s.dataset == name and s.mask is not None
        ]
        implausible = implausible_refusal(shares, skipped.mask_warnings, as_given)
        if implausible is not None:
            raise DataError(*implausible)
        overridden += taken_as_given(shares, as_given)
    return [s.image for s, m in decoded if s.label == 1 and not m.any()], overridden


def marked_shares(
    samples: list[Sample], faint: list[tuple[Path, str]] | None = None
) -> tuple[list[tuple[Path, float]], list[str]]:
    """(mask, share of its pixels marked tampered) of each tampered sample's mask that can be
    read, and their warnings (reads every mask: for ``check``). With ``faint``, each tampered
    image's mask that is not black but marks no pixel is appended to it with the reason
    (:attr:`engine.masks.MaskFile.faint`), a problem as :func:`load_mask` refuses it."""
    out: list[tuple[Path, float]] = []
    warnings: list[str] = []
    for s in samples:
        if s.mask is None:
            continue
        try:
            read = read_mask(s.mask)
        except ForensicError:
            continue  # unreadable: validate() says so
        if faint is not None and read.faint and s.label == 1:
            faint.append((s.mask, faint_reason(read.faint)))
        out.append((s.mask, float(read.mask.mean()) if read.mask.size else 0.0))
        warnings += read.warnings
    return out, warnings


def empty_masks(
    samples: list[Sample], shares: list[tuple[Path, float]] | None = None
) -> list[Path]:
    """The tampered images whose mask marks no pixel, from ``shares`` (:func:`marked_shares`
    of ``samples``, when ``check`` has them already) or by reading every mask."""
    if shares is None:
        shares = marked_shares(samples)[0]
    image = {s.mask: s.image for s in samples if s.mask is not None}
    return [image[m] for m, share in shares if share == 0]


def faint_reason(faint: str) -> str:
    """The refusal of a tampered image's mask whose brightest value is at most half the range."""
    return f"{faint}: save the tampered region as 255"


def load_image(sample: Sample) -> NDArray[np.uint8]:
    """RGB [H, W, 3] uint8 exactly as the viewer decodes it; raises EvidenceError if unreadable."""
    return load_evidence(sample.image).pixels


def load_mask(
    sample: Sample, shape: tuple[int, int], skipped: SkipLog | None = None
) -> NDArray[np.uint8]:
    """Mask [H, W] uint8 in {0, 1} read by :func:`engine.masks.read_mask`, the rule ``scan
    --gt`` reads masks by (a channel above 127; transparency; warnings); zeros for an authentic
    image. A mask that cannot be read or is not of ``shape`` is a :class:`DataError` naming
    it: never resized, a misaligned mask would train on wrong pixels; so is a tampered image's
    mask that is not black but marks no pixel (a mask drawn at 100; one of 0 and 1 marks its 1s): read as
    empty, it trained the forged region as untouched, said only in a warning. Its warnings go
    to ``skipped``, listed at the end of the command."""
    if sample.mask is None:
        return np.zeros(shape, dtype=np.uint8)
    try:
        read = read_mask(sample.mask, shape)
    except ForensicError as e:
        raise DataError(sample.mask, e.reason) from e
    if read.faint and sample.label == 1:
        raise DataError(sample.mask, faint_reason(read.faint))
    if skipped is not None:
        skipped.warn(read.warnings)
    return read.mask.astype(np.uint8)


def load_pair(
    sample: Sample, skipped: SkipLog
) -> tuple[NDArray[np.uint8], NDArray[np.uint8]] | None:
    """(image, mask) or None after logging the image in ``skipped`` when it cannot be decoded."""
    try:
        rgb = load_image(sample)
    except EvidenceError as e:
        skipped.add(sample.image, e.reason)
        return None
    return rgb, load_mask(sample, rgb.shape[:2], skipped)
