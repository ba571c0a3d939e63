"""Ground-truth masks: the one reader of a mask file, for training, ``forensic-train eval`` and
``forensic-viewer scan --gt`` / ``analyze --gt`` / the viewer's Ground truth panel alike, so a
mask means the same region wherever it is read (docs/GROUND_TRUTH.md, "What a mask is").

The rule (:func:`read_mask`):

- The file is decoded read-only by :func:`engine.io.load_evidence`, the evidence decoder (its
  limits, its refusal of pipes, the EXIF orientation applied as to the image), SHA-256 kept.
- A pixel is **tampered when any colour channel is above half its range** (127 of 255): the
  brightest channel, not the luminance. For grey masks (BenCo's, CASIA's) the two are the same;
  a mask drawn in a colour is a drawing of the region whatever its hue, and by luminance pure
  red (76) or blue (29) would read as no region at all, the image as authentic, without a word.
- **Transparency**: when the alpha channel varies (some pixels above 127, some not), a
  transparent pixel (alpha 127 or less) is never tampered: an editor keeps the colour of the
  pixels it erases. When the colour then marks no pixel (a region painted black, or drawn in
  the alpha alone), the opaque pixels are the region, and a warning says the transparency was
  read. An alpha that is the same everywhere says nothing and is ignored.
- A **mask of 0 and 1** (its values, at the file's own depth, 0 and 1 only: 8 or 16-bit grey,
  32-bit or signed grey, a colour's brightest channel, or a palette image's indices when
  its colours mark nothing, as a palette of black alone or of black and (1, 1, 1) does) is
  read as what it is: **its 1s are tampered** (:func:`_zero_one`). Such masks are common
  in data sets written from arrays (``Image.fromarray(mask)`` of a 0/1 array); read by the
  rule above alone it marked no pixel, and the viewer showed its tampered image as authentic.
- A mask that marks no pixel but is not all black (a faint drawing: values above 1 and up to
  half the range) is read
  as **empty** (no pixel tampered), with a warning naming its brightest value at the file's
  own depth: a 16-bit grey mask of 0 and 100 says "the brightest is 100 of 65535" (the 8-bit
  pixels hold 0 there). A 16-bit colour mask, which the decoder reads at its high byte, says
  that instead when it reads as empty. Such a mask's :attr:`MaskFile.faint` gives the reason
  in a phrase ("its brightest value is 100; only values above 127 count as tampered"): the
  trainer refuses it for a tampered image, which would otherwise train its forged region as
  untouched (``trainer.data.records.load_mask``, ``forensic-train check``), and ``scan
  --gt`` leaves its image unscored (``forensic_viewer.scan.truth_lines.faint_line``).
- A **32-bit or signed** grey mask (a TIFF; the evidence decoder min-max rescales such data,
  so a pixel's 8-bit value depends on the others: a mask of 0 and 1 marked its 1s, one of
  all 1s nothing) is read from its samples by the same rule at its declared range: tampered
  above half the highest value its format holds (2147483647 of 4294967295 unsigned, 1073741823
  of 2147483647 signed, 16383 of 32767 signed 16-bit; negative values never), so a faint
  mask reads as empty with the warning above ("the brightest is 100 of 2147483647") and a mask
  of 0 and 1 as its 1s.
- **Which mask is an image's** in a folder of masks (:func:`list_masks`: ``forensic-viewer scan
  --gt`` and the trainer's ``Tp/`` + ``Gt/`` folders alike): a file named like an image whose
  stem, less a ``_gt``/``_mask``/``-gt``/``-mask`` ending (BenCo's and CASIA's names, any case),
  is the image's stem (case kept); its suffix in any case and of any image format (a ``.png``
  mask for a ``.jpg``). Two masks for one stem: the one without an ending, else the first by
  name, is used and the other named. macOS's AppleDouble files (``._x.png``: the resource
  fork a Mac writes beside every file on a disk that is not its own, a few hundred bytes of
  metadata named like an image) are no masks and no images: :func:`is_appledouble`, which
  the listings of ``Tp/``, ``Au/`` and ``Gt/`` pass over (``scan --gt`` and the trainer), or
  ``Tp/._x.jpg`` would pair with ``Gt/._x.png`` as a tampered image and its mask.
- A mask of **another size than its image is refused** (:class:`MaskSizeError`, one line naming
  the file and both sizes). A mask of another size was made for another version of the image:
  whether scaling would put its region back in place (a resized copy) or shift every pixel (a
  crop, a border, another aspect ratio) cannot be told from the mask, a misaligned mask would
  train the networks on wrong pixels and silently bend every figure, and a warning in a batch of
  thousands is overlooked. The image is left out instead, named; training checks every size
  before it starts (``trainer.data.records.validate``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from engine.errors import EvidenceError, ForensicError
from engine.io import IMAGE_SUFFIXES, load_evidence
from engine.orientation import apply_orientation
from engine.rgb import WIDE_MODES, declared_range, integer_format

_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")
_WIDE_INT = tuple(m for m in WIDE_MODES if m != "F")  # float masks in [0, 1] scale exactly
_REDUCED = "16 bits per channel reduced to 8"  # the start of load_evidence's warning of it
MASK_TAILS = ("_gt", "_mask", "-gt", "-mask")  # stem endings of masks in BenCo / CASIA releases
# the sub-folders of a data or ground-truth folder, each by the first of its names found (any
# case: ``GT/``, ``tp/``): BenCo's and CASIA's, then the plain ``images/`` + ``masks/`` layout
TAMPERED_FOLDERS = ("Tp", "images")
MASK_FOLDERS = ("Gt", "masks")
AUTHENTIC_FOLDERS = ("Au",)
APPLEDOUBLE = "._"  # the name's start of macOS's resource-fork companion files


# (alpha [H, W] uint8 or None, 16/32-bit grey samples [H, W] or None, the highest value
# their declared format holds (0 without them), whether the decoded image kept a TIFF
# Orientation tag: Pillow turns a TIFF as it loads it and drops the tag, a palette image's
# indices [H, W] uint8 or None)
_Planes = tuple[
    NDArray[np.uint8] | None, NDArray[np.int64] | None, int, bool, NDArray[np.uint8] | None
]


class MaskSizeError(ForensicError):
    """A mask of another size than its image (refused: see the module docstring)."""


@dataclass(frozen=True)
class MaskFile:
    """A decoded mask. mask: [H, W] bool, True = tampered; sha256 of the file's bytes;
    warnings: one line each, naming the file; faint: why a mask that is not black marks no
    pixel (its brightest value at or below half the range), else empty."""

    mask: NDArray[np.bool_]
    sha256: str
    warnings: list[str] = field(default_factory=list)
    faint: str = ""


def read_mask(path: str | Path, size: tuple[int, int] | None = None) -> MaskFile:
    """The mask file ``path`` by the rule of the module docstring, for an image of ``size``
    (height, width; None: any size). The file is read and decoded once, by
    :func:`load_evidence`, which hands over the decoded image's alpha or 16-bit samples before
    it reduces them (``native=``). Raises :class:`ForensicError` naming the file when it cannot
    be read, :class:`MaskSizeError` when its size is not ``size``."""
    planes: list[_Planes] = []
    try:
        ev = load_evidence(path, native=lambda img: planes.append(_native_planes(img)))
    except EvidenceError as e:
        raise ForensicError(path, f"ground-truth mask cannot be read: {e.reason}") from e
    alpha, wide, index = _oriented(planes[0], ev.orientation, ev.format)
    of = planes[0][2]  # the declared format's highest value
    brightest = ev.pixels.max(axis=2)  # H, W
    # The evidence pixels of 32-bit or signed samples are min-max rescaled (one value: mapped
    # from the declared range), so their meaning would depend on the other pixels: such a
    # mask is read from its samples, above half its declared highest value
    mask = brightest > 127 if wide is None or of == 65535 else wide > of // 2
    if not mask.any():
        mask = _zero_one(brightest, wide, index)
    warnings: list[str] = []
    faint = ""
    if alpha is not None and alpha.min() <= 127 < alpha.max():
        opaque = alpha > 127
        if (mask & opaque).any():
            mask &= opaque
        else:
            mask = opaque
            warnings.append(
                f"{path}: the colour marks no pixel above 127, the transparency does: its "
                "opaque pixels (alpha above 127) read as tampered"
            )
    if not mask.any():
        if wide is not None:
            top = int(wide.max()) if wide.size else 0
        else:
            top, of = (int(brightest.max()) if brightest.size else 0), 255
        if 0 < top <= of // 2:  # e.g. a mask of 0 and 1: else its image counts as authentic unsaid
            depth = "" if of == 255 else f" of {of}"
            faint = (
                f"its brightest value is {top}{depth}; only values above {of // 2} count as "
                "tampered"
            )
            warnings.append(
                f"{path}: no pixel is above {of // 2}{depth} (the brightest is {top}{depth}): "
                "read as an empty mask (authentic); a tampered pixel is one above half the "
                "range, as in masks of 0 and 255"
            )
        elif any(w.startswith(_REDUCED) for w in ev.warnings):
            warnings.append(
                f"{path}: a 16-bit colour mask, read at its high byte, marks no pixel: read as "
                "an empty mask (authentic); if it holds 0 and 1, save it as 0 and 255"
            )
    check_mask_size(path, mask, size)
    return MaskFile(mask, ev.sha256, warnings, faint)


def _zero_one(
    brightest: NDArray[np.uint8],
    wide: NDArray[np.int64] | None,
    index: NDArray[np.uint8] | None,
) -> NDArray[np.bool_]:
    """The 1s of a mask of 0 and 1 (the module docstring), else no pixel: its grey samples at
    their own depth when it has them, else its brightest channel, else (its colours all
    black: a palette of black alone, indices past its end read black) its palette indices.
    brightest: [H, W]; wide, index: [H, W] or None."""
    for values in (wide, brightest if wide is None else None, index):
        if values is not None and values.size and values.min() >= 0 and values.max() == 1:
            return values == 1
        if values is not None and values.size and values.max() > 0:
            break  # values that are not 0 and 1 (a faint mask): the indices are not asked
    return np.zeros(brightest.shape, bool)


def check_mask_size(
    path: str | Path, mask: NDArray[np.bool_], size: tuple[int, int] | None
) -> None:
    """Raise :class:`MaskSizeError` naming ``path`` unless ``mask`` is [H, W] of ``size``
    (height, width; None: any size)."""
    h, w = mask.shape
    if size is not None and (h, w) != tuple(size):
        raise MaskSizeError(
            path,
            f"ground-truth mask is {w}x{h} but its image is {size[1]}x{size[0]}: a mask must "
            "have its image's size (resized, it could misalign every pixel)",
        )


def _native_planes(img: Image.Image) -> _Planes:
    """The planes of the decoded mask ``img`` (loaded, not yet oriented) that the evidence
    pixels drop (alpha) or reduce to 8 bits (16/32-bit grey), for the modes that have them:
    grey samples as the file declares them (Pillow hands unsigned 32-bit ones over in its
    signed mode ``I``, bit for bit) with their format's highest value."""
    mode = img.mode
    tagged = 0x0112 in getattr(img, "tag_v2", {})
    index = np.asarray(img).copy() if mode == "P" else None
    if mode in _WIDE_INT:
        bits, signed = integer_format(img)
        plane = np.asarray(img)
        if (bits, signed) == (32, False):
            plane = plane.view(np.uint32)
        return None, plane.astype(np.int64), declared_range(bits, signed)[1], tagged, None
    if mode in _ALPHA_MODES or (mode == "P" and "transparency" in img.info):
        im = img.convert("RGBA") if mode == "P" else img
        return np.asarray(im.getchannel(im.getbands()[-1])), None, 0, tagged, index
    return None, None, 0, tagged, index


def _oriented(
    planes: _Planes, orientation: int, fmt: str
) -> tuple[NDArray[np.uint8] | None, NDArray[np.int64] | None, NDArray[np.uint8] | None]:
    """``planes`` (alpha, grey samples, palette indices) with the EXIF orientation applied as
    :mod:`engine.io` applies it to the pixels: once, so not to a TIFF that Pillow turned as it
    loaded it."""
    alpha, wide, _, tagged, index = planes
    if orientation == 1 or (fmt == "TIFF" and not tagged):
        return alpha, wide, index
    return _turn(alpha, orientation), _turn(wide, orientation), _turn(index, orientation)


def _turn(plane: NDArray | None, orientation: int) -> NDArray | None:
    return None if plane is None else apply_orientation(plane[..., None], orientation)[..., 0]


def mask_key(stem: str) -> str:
    """The image stem a mask file's ``stem`` is for: less a :data:`MASK_TAILS` ending (any
    case), else itself."""
    low = stem.lower()
    for tail in MASK_TAILS:
        if low.endswith(tail):
            return stem[: -len(tail)]
    return stem


def subfolder(root: str | Path, names: tuple[str, ...]) -> Path:
    """The folder of ``root`` named as the first of ``names`` that it holds, that name as
    written, else in any case (``GT/`` for ``Gt``; of two, the first by name): the ``Tp/``,
    ``Gt/`` and ``Au/`` of ``scan --gt`` and of the trainer's data folders alike (the
    :data:`TAMPERED_FOLDERS`, :data:`MASK_FOLDERS`, :data:`AUTHENTIC_FOLDERS`). ``root /
    names[0]``, which is no folder, when it holds none."""
    root = Path(root)
    try:
        folders = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.name)
    except OSError:
        folders = []
    for name in names:
        if (root / name).is_dir():
            return root / name
        same = [p for p in folders if p.name.lower() == name.lower()]
        if same:
            return same[0]
    return root / names[0]


def is_appledouble(path: str | Path) -> bool:
    """Whether ``path`` is named as macOS's AppleDouble files are (``._x.jpg``): the resource
    fork of ``x.jpg``, metadata and not an image, on a disk that is not a Mac's. A ground-truth
    or training folder copied from a Mac holds one beside every image and mask."""
    return Path(path).name.startswith(APPLEDOUBLE)


@dataclass
class MaskFolder:
    """A folder of masks listed by :func:`list_masks`. by_stem: image stem -> its mask;
    seconds: (mask, stem) of each further mask for a stem already taken (not used);
    appledouble: the AppleDouble files named like images (:func:`is_appledouble`), passed over."""

    by_stem: dict[str, Path] = field(default_factory=dict)
    seconds: list[tuple[Path, str]] = field(default_factory=list)
    appledouble: list[Path] = field(default_factory=list)

    @property
    def masks(self) -> list[Path]:
        """The masks used, one per stem, by name."""
        return sorted(self.by_stem.values())

    def second_lines(self) -> list[str]:
        """One line naming each mask left unused for a second of its stem."""
        return [
            f"{m}: a second mask for the stem {stem!r}; {self.by_stem[stem].name} is used"
            for m, stem in self.seconds
        ]


def list_masks(folder: Path, usable: Callable[[Path], bool] | None = None) -> MaskFolder:
    """The masks of ``folder`` (``Gt/``) by the image stem each is for (the module docstring's
    rule), the one listing of ``forensic-viewer scan --gt`` and the trainer's data folders, so
    one folder pairs its images with the same masks in both. An entry counts when named like an
    image (suffix in any case) and not a folder (a pipe or a dangling link named like a mask is
    listed, and refused by its reader with a line naming it), and ``usable`` says yes (a caller
    that refuses such entries at once, with its own line). An AppleDouble file is no mask
    (:func:`is_appledouble`): passed over, in ``appledouble``."""
    found: dict[str, list[Path]] = {}
    out = MaskFolder()
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() not in IMAGE_SUFFIXES or p.is_dir():
            continue
        if is_appledouble(p):
            out.appledouble.append(p)
        elif usable is None or usable(p):
            found.setdefault(mask_key(p.stem), []).append(p)
    for stem, masks in found.items():
        first, *rest = sorted(masks, key=lambda m: (m.stem != stem, m.name))
        out.by_stem[stem] = first
        out.seconds += [(m, stem) for m in rest]
    return out


INVERTED_SHARE = 0.5  # a mask marking more than this share of its image looks inverted
WHOLE_SHARE = 0.995  # ... unless it marks (nearly) all of it: a wholly generated or edited image
INVERT_ADVICE = (  # the end of the inverted rule's reason: what to do
    "; a mask's white (above 127) is the tampered region: invert them so that white marks "
    "what was changed"
)


def implausible_masks(
    marked: list[tuple[Path, float]], warnings: list[str], *, as_given: bool = False
) -> tuple[Path, str] | None:
    """(first mask, reason) when a data set's tampered masks, as (mask, share of its pixels
    marked tampered), cannot mark its forgeries: every one marks nothing (faint masks, of
    values up to half the range, read so: the reason then quotes :func:`engine.masks.read_mask`'s warning of it), or they
    look inverted (:func:`inverted_masks`). Trained on, either teaches the network the
    opposite of the forgeries or nothing at all, without a word, and figures measured against
    them are wrong without a word: ``forensic-train check``, ``fit``, ``eval``, ``calibrate``,
    ``ensemble``, ``features`` and ``face-model`` refuse such a data set (the trainer's
    ``trainer.data.records``), ``forensic-viewer scan --gt`` warns (its analyses stand without
    the figures). ``as_given``: the inverted rule is not applied (the trainer's
    ``--masks-as-given``: sets of large removals or inpainting whose forgeries do cover most
    of their images); a set none of whose masks marks a pixel is refused all the same.
    ``warnings``: the masks' warnings, one line each."""
    if not marked:
        return None
    if not any(share > 0 for _, share in marked):
        faint = any(w.startswith(f"{m}: ") for m, _ in marked for w in warnings)
        why = "; some hold values up to half the range: faint drawings?" if faint else ""
        return (
            marked[0][0],
            f"no tampered image's mask marks a pixel ({len(marked)} masks{why}): nothing to "
            "learn masks from or score maps against; a tampered pixel is one above 127, as in "
            "masks of 0 and 255",
        )
    return None if as_given else inverted_masks(marked)


def inverted_masks(marked: list[tuple[Path, float]]) -> tuple[Path, str] | None:
    """(first mask, reason) when most of the masks among ``marked`` (mask, share of its pixels
    marked tampered) that mark a pixel mark more than :data:`INVERTED_SHARE` of their image:
    white = authentic, as some sets ship them (and Columbia's colour-coded edge maps read so).
    A mask marking at least :data:`WHOLE_SHARE` of its image is a wholly generated or re-made
    image (sets of generated images label them so), not an inverted mask: an inverted mask
    leaves its forgery unmarked, so it is left out of the count. Of one mask (the viewer's, or
    ``analyze IMAGE --gt MASK``): whether it marks more than half of its image."""
    drawn = [(m, share) for m, share in marked if 0 < share < WHOLE_SHARE]
    large = [(m, share) for m, share in drawn if share > INVERTED_SHARE]
    if 2 * len(large) > len(drawn):
        first, share = large[0]
        return (
            first,
            f"the masks look inverted: {len(large)} of {len(drawn)} mark more than half of "
            f"their image (this one {share:.0%}){INVERT_ADVICE}",
        )
    return None
