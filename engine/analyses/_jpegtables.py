"""The quantisation tables of a JPEG and IJG's: libjpeg's tables at each quality, the closest
one to a file's by its colour coding (YCbCr: luma and chroma tables; RGB-coded: the luma
table for R, G and B), and the file's subsampling in words. For ``jpeg.py``'s three analyses
(and ``engine.probe``'s figures through it), apart so that file stays under 700 lines."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from engine.analyses._imaging import JPEG_SAMPLING, jpeg_colour_space, reduced_sampling

# ITU-T T.81 Annex K tables (natural order), scaled by libjpeg's jpeg_quality_scaling.
IJG_LUMA = np.array(
    [
        [16, 11, 10, 16, 24, 40, 51, 61],
        [12, 12, 14, 19, 26, 58, 60, 55],
        [14, 13, 16, 24, 40, 57, 69, 56],
        [14, 17, 22, 29, 51, 87, 80, 62],
        [18, 22, 37, 56, 68, 109, 103, 77],
        [24, 35, 55, 64, 81, 104, 113, 92],
        [49, 64, 78, 87, 103, 121, 120, 101],
        [72, 92, 95, 98, 112, 100, 103, 99],
    ],
    dtype=np.int64,
)
IJG_CHROMA = np.full((8, 8), 99, dtype=np.int64)
IJG_CHROMA[:4, :4] = [[17, 18, 24, 47], [18, 21, 26, 66], [24, 26, 56, 99], [47, 66, 99, 99]]


def ijg_table(base: NDArray[np.int64], quality: int, baseline: bool = True) -> NDArray[np.int64]:
    """libjpeg's table for ``quality`` (1..100): base scaled, rounded, clamped to 1..255, or to
    1..32767 for 16-bit tables (``jpeg_set_quality(..., force_baseline=FALSE)``, e.g.
    ``cjpeg -quality 10`` without ``-baseline``: they differ below quality 25)."""
    q = min(max(int(quality), 1), 100)
    scale = 5000 // q if q < 50 else 200 - 2 * q
    return np.clip((base * scale + 50) // 100, 1, 255 if baseline else 32767)


@dataclass(frozen=True)
class TableMatch:
    """How the file's tables relate to IJG's: exact quality, or closest and how far."""

    quality: int  # the IJG quality that matches, or the closest one
    exact: bool
    mean_abs_diff: float  # mean |file - IJG(quality)| over the compared entries
    baseline: bool = True  # False: IJG's 16-bit tables (entries over 255, not baseline JPEG)
    rgb: bool = False  # an RGB-coded file's: each component's table compared with IJG's luma

    def describe(self) -> str:
        if self.exact:
            kind = "" if self.baseline else ", 16-bit tables (not baseline)"
            rgb = ", its luminance table for R, G and B (as cjpeg -rgb writes)" if self.rgb else ""
            return f"libjpeg/IJG quality {self.quality}{kind}{rgb} (many programs)"
        rgb = " (R, G and B compared with IJG's luminance table)" if self.rgb else ""
        return (
            f"not the IJG tables: closest IJG quality {self.quality}{rgb} "
            f"(mean |Δ| {self.mean_abs_diff:.2f} per entry); cameras and some editors use "
            "tables of their own"
        )


# Who writes such tables, beside the "tables" finding. Nothing here knows a camera's or an
# editor's tables (no list of either is consulted), so no note may call a file's tables an
# editor's: the earlier note did ("an editor's tables on a file that claims to come straight
# from a camera deserve a look") under every file, an authentic Leica T photograph's IJG
# quality-99 tables among them (walk-through 2026-12-05).
IJG_TABLES_NOTE = (
    "libjpeg's standard tables, which many programs (editors among them) and some cameras "
    "write: by themselves they say neither 'camera' nor 'editor'"
)
OWN_TABLES_NOTE = (
    "tables of the file's own, as most cameras and some editors write; this analysis holds no "
    "list of camera or editor tables, so they name no maker"
)
NO_TABLES_NOTE = "no luminance table to compare with IJG's, so who writes such tables is not told"


def tables_note(match: TableMatch | None) -> str:
    """The "tables" finding's note for ``match`` (:func:`match_file`'s; None: no luma table)."""
    if match is None:
        return NO_TABLES_NOTE
    return IJG_TABLES_NOTE if match.exact else OWN_TABLES_NOTE


def _closest_ijg(
    compared: list[tuple[NDArray[np.int64], NDArray[np.int64]]], rgb: bool = False
) -> TableMatch:
    """The IJG quality whose scaling of each pair's base table (IJG_LUMA or IJG_CHROMA) comes
    closest to the file's table, over the baseline tables (clamped to 255) and the 16-bit ones
    (entries over 255 kept)."""
    best: tuple[float, int, bool] | None = None
    for baseline in (True, False):
        for q in range(1, 101):
            diffs = [np.abs(t - ijg_table(base, q, baseline)).ravel() for t, base in compared]
            d = float(np.mean(np.concatenate(diffs)))
            if best is None or d < best[0]:
                best = (d, q, baseline)
    assert best is not None
    d, q, baseline = best
    return TableMatch(q, exact=d == 0.0, mean_abs_diff=round(d, 4), baseline=baseline, rgb=rgb)


def match_ijg(tables: dict[int, NDArray[np.int64]], luma: int | None = 0) -> TableMatch | None:
    """Compare the luma table (number ``luma``: :func:`luma_table`) with IJG's luma table and
    every other table (libjpeg writes one, for both chroma components) with IJG's chroma table
    at every quality. A third table (another for Cr) must be IJG's chroma table too: it is no
    longer passed over."""
    if luma is None or luma not in tables:
        return None
    compared = [(tables[luma], IJG_LUMA)]
    compared += [(t, IJG_CHROMA) for k, t in sorted(tables.items()) if k != luma]
    return _closest_ijg(compared)


def match_ijg_rgb(tables: dict[int, NDArray[np.int64]], named: list[int]) -> TableMatch | None:
    """An RGB-coded JPEG's tables: each one a component names (``named``, the frame header's
    selectors) compared with IJG's *luma* table. libjpeg's JCS_RGB (``jpeg_set_colorspace`` in
    jcparam.c, as libjpeg 6b and libjpeg-turbo write it, ``cjpeg -rgb``) quantises R, G and B
    all by table 0, the luminance table scaled to the quality, and writes only the tables its
    components use; an RGB-coded file that quantises R or B by IJG's chroma table
    (``cjpeg -rgb -qslots 0,1,1``; libjpeg 9's ``-rgb1``, which subtracts G from R and B as
    well) is then "not the IJG tables". A table no component names quantises nothing and is
    left out."""
    used = sorted({k for k in named if k in tables})
    if not used:
        return None
    return _closest_ijg([(tables[k], IJG_LUMA) for k in used], rgb=True)


def match_file(img: Image.Image) -> TableMatch | None:
    """The IJG quality of an opened JPEG's tables, by its colour coding
    (:func:`jpeg_colour_space`): an RGB-coded file's by :func:`match_ijg_rgb`, any other's by
    :func:`match_ijg` with the first component's table as luma."""
    tables = read_tables(img)
    if jpeg_colour_space(img) == "RGB":
        return match_ijg_rgb(tables, [int(layer[3]) for layer in img.layer])
    return match_ijg(tables, luma_table(img))


def read_tables(img: Image.Image) -> dict[int, NDArray[np.int64]]:
    """Quantisation tables of an opened JPEG, natural order, as [8, 8] int arrays."""
    out: dict[int, NDArray[np.int64]] = {}
    for k, v in (getattr(img, "quantization", None) or {}).items():
        a = np.asarray(list(v), dtype=np.int64)
        if a.size == 64:
            out[int(k)] = a.reshape(8, 8)
    return out


def luma_table(img: Image.Image, component: int = 0) -> int | None:
    """The number of the table that quantises the first component (Y of a YCbCr or greyscale
    JPEG), or the ``component``-th: its selector in the frame header (Pillow's ``layer``: id,
    h, v, table), not table 0 by habit: T.81 lets any component use any of the four. Table 0
    when the decoder gives no components (as before); None when the file has no such one."""
    layers = getattr(img, "layer", None)
    if layers is None:
        return 0
    return int(layers[component][3]) if len(layers) > component else None


RGB_CODED = "RGB-coded (no YCbCr transform)"


def sampling_words(img: Image.Image) -> str:
    """Chroma subsampling in plain words, also for one- and four-component JPEGs; an
    RGB-coded one (:func:`jpeg_colour_space`) has no chroma, and says so."""
    layers = getattr(img, "layer", None) or []
    if jpeg_colour_space(img) == "RGB":
        if all((h, v) == (1, 1) for _, h, v, _ in layers):
            return f"{RGB_CODED}: R, G and B at full resolution (4:4:4)"
        factors = ", ".join(f"{h}x{v}" for _, h, v, _ in layers)
        return f"{RGB_CODED}: sampling factors {factors} (R, G, B)"
    if len(layers) == 1:
        return "none (one component: greyscale)"
    if len(layers) == 4:
        factors = ", ".join(f"{h}x{v}" for _, h, v, _ in layers)
        return f"four components (CMYK or YCCK), sampling factors {factors}"
    ratio = reduced_sampling(layers)
    factors = ", ".join(f"{h}x{v}" for _, h, v, _ in layers)
    if ratio is None:
        return f"other (sampling factors {factors})"
    name = JPEG_SAMPLING[ratio][0]
    # Cameras write some geometries with factors of their own (luma 2x2, chroma 1x2: 4:2:2)
    return name if layers[1][1:3] == (1, 1) else f"{name} (stored as sampling factors {factors})"
