"""HEIF/HEIC evidence (the photographs of iPhones since 2017 and of many other phones: HEVC
images in the ISO base media container): recognised by the brands of its ``ftyp`` box and
decoded by pi-heif (libheif with libde265: a decoder only, LGPL libraries in the wheel, no
encoder), which is imported at first use. ``engine.io`` applies its policy to HEIF as to every
other format; what is HEIF's own is here: which files are HEIF (an AVIF file may carry HEIF's
generic brand), how pi-heif is opened, and the orientation, which libheif applies from the
file's own ``irot``/``imir`` boxes while pi-heif resets the EXIF tag it hands on.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

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
    thumbnails, depth maps and auxiliary images left undecoded."""
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
