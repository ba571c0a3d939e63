"""HEIF/HEIC evidence (the photographs of iPhones since 2017 and of many other phones: HEVC
images in the ISO base media container): recognised by the brands of its ``ftyp`` box and
decoded by pi-heif (libheif with libde265: a decoder only, LGPL libraries in the wheel, no
encoder), which is imported at first use. ``engine.io`` applies its policy to HEIF as to every
other format; what is HEIF's own is here: which files are HEIF (an AVIF file may carry HEIF's
generic brand), how pi-heif is opened, and the orientation, which libheif applies from the
file's own ``irot``/``imir`` boxes while pi-heif resets the EXIF tag it hands on.

The evidence is the primary image alone; its thumbnails, depth maps and auxiliary images are
other items of the file. For the metadata analysis, :func:`heif_items` reads them from the
``meta`` box (sizes, transforms, auxiliary types; nothing decoded) and
:func:`decode_thumbnail` decodes a thumbnail item, which pi-heif 1.4 lists but cannot decode:
from a copy in memory that names it the primary item. Depth maps are listed, never decoded.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from PIL import Image

# ISO base media brands (the ftyp box) of HEIF still images, as phones save them.
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")
_AVIF_BRANDS = {b"avif", b"avis"}  # AV1 in the same container: not decoded here
HEIF_DECODER = "pi-heif"  # the distribution that decodes HEIF (pip install pi-heif)
# Every HEIF evidence carries this warning (viewer's metadata panel, results, reports): what the
# verdicts' figures are worth on it was measured once and found worse (docs/VERDICTS.md 10).
HEIF_VERDICT_NOTE = (
    "HEVC-coded (HEIF): the networks learned from and were measured on JPEG and PNG images; on "
    "camera photographs re-encoded as HEIF the default verdict flagged 3 of 23 against 1 as "
    "JPEG (docs/VERDICTS.md section 10), so its false-alarm figures understate here"
)


def _brands(head: bytes) -> set[bytes]:
    """The major and compatible brands of the ftyp box that starts ``head`` (as far as
    ``head`` holds it); empty when ``head`` starts with no ftyp box."""
    if head[4:8] != b"ftyp":
        return set()
    box = head[8 : min(int.from_bytes(head[:4], "big"), len(head))]  # major, minor, compatible
    return {box[:4]} | {box[i : i + 4] for i in range(8, len(box) - 3, 4)}


def is_heif(head: bytes) -> bool:
    """Whether ``head`` (a file's first bytes, 64 hold a phone's ftyp box) starts a HEIF still
    image: a HEIF major brand and no AVIF brand among the compatible ones."""
    return head[8:12] in _HEIF_BRANDS and not _brands(head) & _AVIF_BRANDS


def is_avif(head: bytes) -> bool:
    """Whether ``head`` starts an AVIF image (its major brand, or a compatible one)."""
    return bool(_brands(head) & _AVIF_BRANDS)


def open_heif(stream: io.BytesIO) -> Image.Image:
    """pi-heif's Pillow image of the file's primary image (header only until loaded), with
    thumbnails, depth maps and auxiliary images left undecoded (the metadata analysis reads
    them by :func:`heif_items` and :func:`decode_thumbnail`)."""
    from pi_heif import options
    from pi_heif.as_plugin import HeifImageFile

    options.THUMBNAILS = options.DEPTH_IMAGES = options.AUX_IMAGES = False
    return HeifImageFile(stream)


def heif_decoder_available() -> bool:
    """Whether pi-heif can be imported (a dependency; missing only from a partial install)."""
    import importlib.util

    return importlib.util.find_spec("pi_heif") is not None


def heif_orientation(img: Image.Image, metadata: dict[str, str], warns: list[str]) -> int:
    """The orientation left to apply to a decoded HEIF picture: 1, as libheif has turned it by
    the file's ``irot``/``imir`` boxes, which a phone writes to match the EXIF tag. pi-heif
    resets that tag to 1 in what it hands on and keeps the file's value, which the metadata
    gets back here, with a warning when it is not 1."""
    try:
        value = int(img.info.get("original_orientation") or 1)
    except (TypeError, ValueError, OverflowError):
        return 1
    if 1 < value <= 8:
        if "EXIF:Orientation" in metadata:
            metadata["EXIF:Orientation"] = str(value)
        warns.append(
            f"EXIF orientation {value}: the HEIF decoder turned the picture by the file's own "
            "rotation and mirroring (irot/imir), as phones show it; the tag is not applied again"
        )
    return 1


# --- items besides the primary image: thumbnails, depth maps, auxiliary images -------------

# auxC types that libheif reads as a depth map (HEVC auxiliary id 2; MPEG-B CICP)
DEPTH_TYPES = frozenset(
    {"urn:mpeg:hevc:2015:auxid:2", "urn:mpeg:mpegB:cicp:systems:auxiliary:depth"}
)
# auxC types of an alpha plane, which pi-heif merges into the picture (and io drops, warning)
_ALPHA_TYPES = frozenset(
    {"urn:mpeg:hevc:2015:auxid:1", "urn:mpeg:mpegB:cicp:systems:auxiliary:alpha"}
)
_MAX_BOXES = 20_000  # boxes read at one level: an iPhone's 12 MP photograph has about 60 items
_UNUSED_REF = b"xthm"  # a reference type libheif does not know: the thumbnail freed from its image


class HeifItemError(ValueError):
    """The item boxes of a HEIF file (``meta``) cannot be read; ``str()`` is the reason."""


@dataclass(frozen=True)
class HeifItem:
    """One image item as its boxes describe it.

    size: (w, h) as decoded before turning: ``ispe`` cut by ``clap``; None without ``ispe``.
    transforms: the item's own ``irot`` (quarter turns anticlockwise) and ``imir`` (axis 1:
        left-right, 0: top-bottom, as libheif reads it) in the order the file lists them.
    aux_type: its ``auxC`` type (a URN), "" when it has none.
    """

    item_id: int
    size: tuple[int, int] | None
    transforms: tuple[tuple[str, int], ...] = ()
    aux_type: str = ""

    def shown(
        self, transforms: tuple[tuple[str, int], ...] | None = None
    ) -> tuple[int, int] | None:
        """(w, h) after ``transforms`` (default its own): the sides swap for odd quarter turns."""
        if self.size is None:
            return None
        turns = sum(
            v for k, v in (self.transforms if transforms is None else transforms) if k == "irot"
        )
        return self.size[::-1] if turns % 2 else self.size


@dataclass(frozen=True)
class HeifItems:
    """The primary image item, its thumbnails (``thmb`` references to it) and its auxiliary
    images (``auxl`` references; alpha planes left out), with where the boxes that name the
    primary item are, for :func:`decode_thumbnail`."""

    primary: HeifItem
    thumbnails: tuple[HeifItem, ...]
    auxiliary: tuple[HeifItem, ...]
    pitm: tuple[int, int]  # offset and width (2 or 4 bytes) of the primary item's ID
    thmb_types: dict[int, tuple[int, ...]] = field(
        default_factory=dict
    )  # item -> its thmb types' offsets
    infe_flags: dict[int, int] = field(default_factory=dict)  # item -> offset of its infe flags

    def depth_maps(self) -> tuple[HeifItem, ...]:
        return tuple(a for a in self.auxiliary if a.aux_type in DEPTH_TYPES)


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int, int]]:
    """(type, start, content start, end) of the boxes in data[start:end]."""
    i, n = start, 0
    while i + 8 <= end:
        n += 1
        if n > _MAX_BOXES:
            raise HeifItemError(f"more than {_MAX_BOXES} boxes in one box")
        size, kind = struct.unpack_from(">I4s", data, i)
        head = 8
        if size == 1:
            if i + 16 > end:
                raise HeifItemError(f"box {kind!r} cut short")
            size, head = struct.unpack_from(">Q", data, i + 8)[0], 16
        elif size == 0:
            size = end - i
        if size < head or i + size > end:
            raise HeifItemError(f"box {kind!r} at byte {i} runs past its container")
        yield kind, i, i + head, i + size
        i += size


def _uint(data: bytes, at: int, width: int, end: int) -> int:
    if at + width > end:
        raise HeifItemError("a box is shorter than its fields")
    return int.from_bytes(data[at : at + width], "big")


def _properties(data: bytes, start: int, end: int) -> dict[int, list[tuple[bytes, int, int]]]:
    """item ID -> its properties (type, content start, end) in association order (iprp)."""
    props: list[tuple[bytes, int, int]] = []
    assoc: dict[int, list[tuple[bytes, int, int]]] = {}
    for kind, _, c, e in _boxes(data, start, end):
        if kind == b"ipco":
            props = [(k, c2, e2) for k, _, c2, e2 in _boxes(data, c, e)]
        elif kind == b"ipma":
            version, flags = data[c], _uint(data, c + 1, 3, e)
            count, at = _uint(data, c + 4, 4, e), c + 8
            for _ in range(min(count, _MAX_BOXES)):
                item = _uint(data, at, 2 if version < 1 else 4, e)
                at += 2 if version < 1 else 4
                n, at = _uint(data, at, 1, e), at + 1
                for _ in range(n):
                    wide = flags & 1
                    index = _uint(data, at, 2 if wide else 1, e) & (0x7FFF if wide else 0x7F)
                    at += 2 if wide else 1
                    if 0 < index <= len(props):
                        assoc.setdefault(item, []).append(props[index - 1])
    return assoc


def _item(data: bytes, item_id: int, props: list[tuple[bytes, int, int]]) -> HeifItem:
    size: tuple[int, int] | None = None
    transforms: list[tuple[str, int]] = []
    aux = ""
    for kind, c, e in props:
        if kind == b"ispe":
            size = (_uint(data, c + 4, 4, e), _uint(data, c + 8, 4, e))
        elif kind == b"clap" and size is not None:
            wn, wd, hn, hd = (_uint(data, c + 4 * k, 4, e) for k in range(4))
            if wd and hd and 0 < wn // wd <= size[0] and 0 < hn // hd <= size[1]:
                size = (int(wn / wd + 0.5), int(hn / hd + 0.5))
        elif kind == b"irot":
            transforms.append(("irot", _uint(data, c, 1, e) & 3))
        elif kind == b"imir":
            transforms.append(("imir", _uint(data, c, 1, e) & 1))
        elif kind == b"auxC":
            # a null-terminated UTF-8 string (ISO/IEC 23008-12, AuxiliaryTypeProperty)
            aux = data[c + 4 : min(e, c + 260)].split(b"\x00")[0].decode("utf-8", "replace")
    return HeifItem(item_id, size, tuple(transforms), aux)


def heif_items(data: bytes) -> HeifItems:
    """The primary item of a HEIF file and the thumbnails and auxiliary images attached to it,
    read from its ``meta`` box (nothing decoded). Raises :class:`HeifItemError`."""
    meta = next(((c, e) for k, _, c, e in _boxes(data, 0, len(data)) if k == b"meta"), None)
    if meta is None:
        raise HeifItemError("no meta box")
    pitm: tuple[int, int] | None = None
    refs: list[tuple[bytes, int, int, tuple[int, ...]]] = []  # type, its offset, from, to
    assoc: dict[int, list[tuple[bytes, int, int]]] = {}
    flags: dict[int, int] = {}
    for kind, _, c, e in _boxes(data, meta[0] + 4, meta[1]):
        if kind == b"pitm":
            pitm = (c + 4, 2 if data[c] == 0 else 4)
        elif kind == b"iref":
            w = 2 if data[c] == 0 else 4
            for rkind, rs, rc, re_ in _boxes(data, c + 4, e):
                frm, n = _uint(data, rc, w, re_), _uint(data, rc + w, 2, re_)
                to = tuple(_uint(data, rc + w + 2 + w * k, w, re_) for k in range(n))
                refs.append((rkind, rs + 4, frm, to))
        elif kind == b"iinf":
            for ikind, _, ic, ie in _boxes(data, c + (6 if data[c] == 0 else 8), e):
                if ikind == b"infe" and data[ic] >= 2:
                    flags[_uint(data, ic + 4, 2 if data[ic] == 2 else 4, ie)] = ic + 1
        elif kind == b"iprp":
            assoc = _properties(data, c, e)
    if pitm is None:
        raise HeifItemError("no primary item (pitm)")
    primary = _uint(data, pitm[0], pitm[1], meta[1])
    thumbs = [frm for k, _, frm, to in refs if k == b"thmb" and primary in to]
    auxs = [frm for k, _, frm, to in refs if k == b"auxl" and primary in to]
    aux_items = (_item(data, a, assoc.get(a, [])) for a in dict.fromkeys(auxs))
    types: dict[int, tuple[int, ...]] = {}
    for k, at, frm, _ in refs:
        if k == b"thmb":
            types[frm] = (*types.get(frm, ()), at)
    return HeifItems(
        primary=_item(data, primary, assoc.get(primary, [])),
        thumbnails=tuple(_item(data, t, assoc.get(t, [])) for t in dict.fromkeys(thumbs)),
        auxiliary=tuple(a for a in aux_items if a.aux_type not in _ALPHA_TYPES),
        pitm=pitm,
        thmb_types=types,
        infe_flags=flags,
    )


def apply_transforms(
    rgb: NDArray[np.uint8], transforms: tuple[tuple[str, int], ...]
) -> NDArray[np.uint8]:
    """Turn and mirror decoded pixels [h, w, 3] as libheif does by ``irot``/``imir``."""
    for kind, value in transforms:
        if kind == "irot":
            rgb = np.rot90(rgb, k=value)
        else:
            rgb = rgb[:, ::-1] if value == 1 else rgb[::-1]
    return np.ascontiguousarray(rgb)


def undo_transforms(
    rgb: NDArray[np.uint8], transforms: tuple[tuple[str, int], ...]
) -> NDArray[np.uint8]:
    """The pixels as stored, from pixels [h, w, 3] turned by ``transforms``
    (:func:`apply_transforms` undone: each step inverted, last first)."""
    for kind, value in reversed(transforms):
        if kind == "irot":
            rgb = np.rot90(rgb, k=-value)
        else:
            rgb = rgb[:, ::-1] if value == 1 else rgb[::-1]
    return np.ascontiguousarray(rgb)


def decode_thumbnail(data: bytes, items: HeifItems, thumb: HeifItem) -> NDArray[np.uint8]:
    """A thumbnail item decoded by pi-heif, [h, w, 3] uint8 RGB, as its own boxes show it.

    pi-heif decodes only top-level images, so a copy of the bytes in memory names the thumbnail
    as the primary item (``pitm``), its ``thmb`` reference renamed to a type libheif does not
    know and its hidden flag cleared; the file is never written. libheif turns it by its own
    ``irot``/``imir`` and by nothing else: a thumbnail whose own differ from the primary
    image's (none, or others) shows what its boxes say, and the metadata analysis tells that
    apart (it was turned by the primary image's ones when it had none, and so trusted as if
    its rotation matched the image's)."""
    copy = bytearray(data)
    at, width = items.pitm
    if thumb.item_id >= 1 << (8 * width):
        raise HeifItemError(f"item {thumb.item_id} cannot be named in a {width}-byte pitm")
    copy[at : at + width] = thumb.item_id.to_bytes(width, "big")
    for ref in items.thmb_types.get(thumb.item_id, ()):
        copy[ref : ref + 4] = _UNUSED_REF
    if (flag := items.infe_flags.get(thumb.item_id)) is not None:
        copy[flag + 2] &= 0xFE  # the low byte of the infe's 24-bit flags: 1 = hidden
    img = open_heif(io.BytesIO(bytes(copy)))
    if thumb.shown() is not None and img.size != thumb.shown():
        raise HeifItemError(
            f"decoded at {img.size[0]} x {img.size[1]}, its boxes say {thumb.shown()}"
        )
    return np.asarray(img.convert("RGB"), dtype=np.uint8)
