"""Pixel helpers shared by the classic analyses: luminance, JPEG round trips, orientation, and
the metadata analysis's thumbnail comparison (``compare_thumbnail``).

Maps of JPEG analyses are computed on the pixels *as stored in the file* (the 8x8 grid of the
JPEG starts at the stored top-left corner) and then turned by the EXIF orientation that
``engine.io`` applied to the evidence, so every map lines up with ``evidence.pixels``.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from engine.io import open_allowed
from engine.types import Evidence

# PIL transposes for EXIF orientations 2..8, as ``ImageOps.exif_transpose`` applies them.
_ORIENT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_UNDO = {2: 2, 3: 3, 4: 4, 5: 5, 6: 8, 7: 7, 8: 6}  # the orientation that turns each back


LUMA_BAND_PIXELS = 1 << 18  # pixels per row band of :func:`luminance` (temporaries: 4 MB)


def luminance(rgb: NDArray[np.uint8]) -> NDArray[np.float32]:
    """[H, W, 3] uint8 RGB -> [H, W] float32 Y of JPEG's YCbCr (ITU-R BT.601, 0..255).

    Computed in row bands: the whole image as float32 RGB plus the products' temporaries came
    to 5 times the result (1.4 GB more at 60 MP, for a copy-move analysis that keeps only a
    1536-pixel working copy of it)."""
    h, w = rgb.shape[:2]
    out = np.empty((h, w), np.float32)
    rows = max(1, LUMA_BAND_PIXELS // max(w, 1))
    for y in range(0, h, rows):
        x = rgb[y : y + rows].astype(np.float32)
        out[y : y + rows] = 0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2]
    return out


# Luma sampling factors (h, v) over chroma 1x1 that libjpeg writes, as OpenCV names them.
JPEG_SAMPLING = {
    (1, 1): ("4:4:4", cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444),
    (2, 1): ("4:2:2", cv2.IMWRITE_JPEG_SAMPLING_FACTOR_422),
    (2, 2): ("4:2:0", cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420),
    (1, 2): ("4:4:0", cv2.IMWRITE_JPEG_SAMPLING_FACTOR_440),
    (4, 1): ("4:1:1", cv2.IMWRITE_JPEG_SAMPLING_FACTOR_411),
}


def jpeg_roundtrip(
    image: NDArray[np.uint8], quality: int, sampling: tuple[int, int] = (2, 2)
) -> NDArray[np.uint8]:
    """Encode ``image`` ([H, W] grey or [H, W, 3] RGB uint8) as JPEG at ``quality`` and decode.

    OpenCV's libjpeg(-turbo): IJG tables scaled to ``quality``; for colour the luma sampling
    factors ``sampling`` (h, v) over chroma 1x1, a key of ``JPEG_SAMPLING`` (default (2, 2),
    4:2:0, libjpeg's own default). Nothing touches the disk.
    """
    params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
    if image.ndim == 3:
        params += [cv2.IMWRITE_JPEG_SAMPLING_FACTOR, JPEG_SAMPLING[sampling][1]]
    if image.ndim == 2:
        ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(image), params)
        if not ok:
            raise RuntimeError(f"JPEG encoding at quality {quality} failed")
        return cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(image[..., ::-1]), params)
    if not ok:
        raise RuntimeError(f"JPEG encoding at quality {quality} failed")
    return np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])


def jpeg_roundtrip_rgb_coded(image: NDArray[np.uint8], quality: int) -> NDArray[np.uint8]:
    """Encode [H, W, 3] RGB uint8 as an RGB-coded JPEG (no YCbCr transform) at ``quality`` and
    decode, as ``cjpeg -rgb -quality Q`` does: libjpeg's JCS_RGB (Pillow's ``keep_rgb``), R, G
    and B at full resolution, all quantised by IJG's luma table scaled to ``quality``, an
    Adobe APP14 marker with transform 0. Pillow refuses subsampling with ``keep_rgb`` (OpenCV
    cannot write RGB-coded JPEGs at all), so there is no subsampled variant. In memory."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(
        buf, "JPEG", quality=int(quality), keep_rgb=True
    )
    with Image.open(buf) as img:
        return np.ascontiguousarray(np.asarray(img.convert("RGB"), dtype=np.uint8))


def open_stored(data: bytes, fmt: str) -> Image.Image:
    """The evidence bytes opened by the allow-list's opener of the format sniffed at load time
    (:func:`engine.io.open_allowed`), at the frame the evidence is: the first, or a HEIF
    file's primary image (where its opener leaves it)."""
    img = open_allowed(data, fmt)
    if fmt != "HEIF":
        img.seek(0)
    return img


def stored_rgb(evidence: Evidence, data: bytes) -> NDArray[np.uint8]:
    """The evidence pixels as stored in the file (no EXIF orientation), [h, w, 3] uint8."""
    if not evidence.orientation_applied:
        return evidence.pixels
    if evidence.format == "TIFF":  # Pillow decodes a TIFF turned already: turn it back
        return orient_rgb(evidence.pixels, _UNDO.get(evidence.orientation, 1))
    img = open_stored(data, evidence.format)
    return np.ascontiguousarray(np.asarray(img.convert("RGB"), dtype=np.uint8))


def stored_colour_space(evidence: Evidence, data: bytes) -> str | None:
    """A JPEG's colour coding (:func:`jpeg_colour_space`), None for other formats."""
    return jpeg_colour_space(open_stored(data, "JPEG")) if evidence.format == "JPEG" else None


def reduced_sampling(layers: list[tuple[int, int, int, int]]) -> tuple[int, int] | None:
    """Three components' sampling factors (Pillow's ``layer``: id, h, v, table) reduced to the
    luma factors (h, v) over chroma 1x1 of the same geometry, a key of ``JPEG_SAMPLING``, or
    None: not three components, Cb's factors not Cr's, or a ratio libjpeg does not write by
    name. Cameras store the same geometry with other factors: luma 2x2 over chroma 1x2 is
    4:2:2 (luma 2x1 over chroma 1x1) as a decoder reconstructs it."""
    if len(layers) != 3 or layers[1][1:3] != layers[2][1:3]:
        return None
    (lh, lv), (ch, cv) = layers[0][1:3], layers[1][1:3]
    if min(lh, lv, ch, cv) < 1 or lh % ch or lv % cv:
        return None
    ratio = (lh // ch, lv // cv)
    return ratio if ratio in JPEG_SAMPLING else None


def stored_sampling(evidence: Evidence, data: bytes) -> tuple[int, int] | None:
    """A colour JPEG's luma sampling factors (h, v) over chroma 1x1 as ``JPEG_SAMPLING`` knows
    them (4:4:4 is (1, 1), 4:2:0 (2, 2)), its factors reduced to that geometry
    (:func:`reduced_sampling`), or None: not a JPEG, not three components, or a sampling
    libjpeg does not write by name."""
    if evidence.format != "JPEG":
        return None
    return reduced_sampling(getattr(open_stored(data, "JPEG"), "layer", None) or [])


def jpeg_colour_space(img: Image.Image) -> str:
    """The colour space an opened JPEG's components are in, by libjpeg(-turbo)'s own rules
    (``default_decompress_parms`` in jdapimin.c), which decoded the evidence: "grey" for one
    component; for three "YCbCr", or "RGB" when the Adobe APP14 marker says transform 0 and
    no JFIF marker (which implies YCbCr and comes first) is present, or, with neither marker,
    when the components are named 'R', 'G', 'B'; for four "CMYK", or "YCCK" when the APP14
    transform is not 0. Pillow reads the APP14 transform byte (``adobe_transform``) and the
    JFIF marker (``jfif``); "other" for any other count of components."""
    layers = getattr(img, "layer", None) or []
    transform = img.info.get("adobe_transform")
    if len(layers) == 1:
        return "grey"
    if len(layers) == 4:
        return "CMYK" if transform in (None, 0) else "YCCK"
    if len(layers) != 3:
        return "other"
    if "jfif" in img.info:
        return "YCbCr"
    if transform is not None:
        return "RGB" if transform == 0 else "YCbCr"
    return "RGB" if [layer[0] for layer in layers] == [0x52, 0x47, 0x42] else "YCbCr"


def orient(values: NDArray[np.float32], orientation: int) -> NDArray[np.float32]:
    """Turn a stored-orientation map [h, w] float32 as the evidence pixels were turned."""
    if orientation not in _ORIENT:
        return values
    img = Image.fromarray(np.ascontiguousarray(values, dtype=np.float32), mode="F")
    return np.ascontiguousarray(np.asarray(img.transpose(_ORIENT[orientation]), dtype=np.float32))


def orient_rgb(rgb: NDArray[np.uint8], orientation: int) -> NDArray[np.uint8]:
    """Turn a stored-orientation RGB picture as the evidence pixels were turned."""
    if orientation not in _ORIENT:
        return rgb
    img = Image.fromarray(np.ascontiguousarray(rgb))
    return np.ascontiguousarray(np.asarray(img.transpose(_ORIENT[orientation]), dtype=np.uint8))


def orient_cells(
    cells: NDArray[np.float32], cell: int, stored: tuple[int, int], orientation: int
) -> tuple[NDArray[np.float32], int]:
    """A map of one value per ``cell`` x ``cell`` pixels of the stored image (``stored``: its
    height and width) turned as the evidence pixels were, and its cell size then.

    The last cell of an axis that is not whole cells is cut by the border (44 rows: five
    cells of 8 and one of 4). A turn that flips that axis puts the short cell first, and cells
    counted from the displayed image's edge would all sit that much off their pixels; so the
    cells are split first into the largest cell that the stored size is whole cells of (4 for
    44 rows), at least 2 pixels (an odd size is then off by one pixel, not by up to 7; a cell
    of one pixel would hold the full-resolution map, ten times over for the ghost's layers).
    """
    sh, sw = stored
    fine = math.gcd(cell, sh % cell, sw % cell)
    if fine == cell or orientation == 1:
        return orient(cells, orientation), cell
    fine = max(fine, 2)
    k = cell // fine
    split = np.repeat(np.repeat(cells, k, axis=0), k, axis=1)[: -(-sh // fine), : -(-sw // fine)]
    return orient(np.ascontiguousarray(split), orientation), fine


def block_mean(x: NDArray[np.float32], block: int) -> NDArray[np.float32]:
    """Mean of each ``block`` x ``block`` cell of [H, W] (partial border cells averaged as they are)."""
    h, w = x.shape
    hb, wb = -(-h // block), -(-w // block)
    pad = np.pad(x, ((0, hb * block - h), (0, wb * block - w)))
    sums = pad.reshape(hb, block, wb, block).sum(axis=(1, 3), dtype=np.float64)
    rows = np.full(hb, block, np.float64)
    rows[-1] = h - (hb - 1) * block
    cols = np.full(wb, block, np.float64)
    cols[-1] = w - (wb - 1) * block
    return (sums / np.outer(rows, cols)).astype(np.float32)


def upsample_cells(cells: NDArray[np.float32], block: int, h: int, w: int) -> NDArray[np.float32]:
    """Each cell of a blockwise map repeated over its ``block`` x ``block`` pixels, cut to h x w."""
    out = np.repeat(np.repeat(cells, block, axis=0), block, axis=1)
    return np.ascontiguousarray(out[:h, :w], dtype=np.float32)


def cells_to_pixels(cells: NDArray[np.float32], block: int, h: int, w: int) -> NDArray[np.float32]:
    """A blockwise map [ceil(h/block), ceil(w/block)] at h x w, bilinear between cell centres.

    Each value stands at the centre of the pixels its cell covers (a last, partial cell's centre
    is that of its partial extent), so a map of an image whose sides are not multiples of
    ``block`` is not stretched: a plain resize of the cell grid to h x w would put every centre
    off by up to half the partial cell, and the last cell's value over far more than its pixels.
    """

    def weights(n: int, cells_n: int) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray]:
        starts = np.arange(cells_n) * block
        centres = (starts + np.minimum(starts + block, n)) / 2.0 - 0.5
        pos = np.interp(np.arange(n, dtype=np.float64), centres, np.arange(cells_n))
        i0 = np.floor(pos).astype(np.intp)
        i1 = np.minimum(i0 + 1, cells_n - 1)
        return i0, i1, (pos - i0).astype(np.float32)

    hb, wb = cells.shape
    r0, r1, tr = weights(h, hb)
    rows = cells[r0] * (1.0 - tr)[:, None] + cells[r1] * tr[:, None]  # h, wb
    # Along a row the centres are evenly spaced except a partial last cell's: OpenCV's resize by
    # exactly ``block`` puts them there, and the columns that the last cell reaches are redone.
    out = cv2.resize(rows.astype(np.float32), (wb * block, h), interpolation=cv2.INTER_LINEAR)
    out = np.ascontiguousarray(out[:, :w])
    tail = max(0, (wb - 2) * block)
    c0, c1, tc = weights(w, wb)
    out[:, tail:] = rows[:, c0[tail:]] * (1.0 - tc[tail:]) + rows[:, c1[tail:]] * tc[tail:]
    return out


def trim_bars(rgb: NDArray[np.uint8]) -> tuple[slice, slice]:
    """Rows/columns of black letterbox bars at a thumbnail's borders, cut away.

    What is kept is never empty: when bars would leave less than a third of a side, nothing of
    it is cut (a dark picture's own borders), and a side under 3 pixels, of which a third is no
    pixel, is never cut (an all-black one was cut to nothing, and OpenCV failed on it)."""
    y = luminance(rgb)
    dark_rows = (y.mean(axis=1) < 16) & (y.std(axis=1) < 8)
    dark_cols = (y.mean(axis=0) < 16) & (y.std(axis=0) < 8)

    def span(dark: NDArray[np.bool_]) -> slice:
        n = dark.size
        if n < 3:
            return slice(0, n)
        a = 0
        while a < n and dark[a]:
            a += 1
        b = n
        while b > a and dark[b - 1]:
            b -= 1
        return slice(0, n) if b - a < n // 3 else slice(a, b)

    return span(dark_rows), span(dark_cols)


# |log(aspect ratio)| under which a thumbnail's content and the image count as one aspect
# (a 160 x 107 thumbnail of a 3:2 image is 0.3 % off); over it the image is centre-cropped
# to the thumbnail's aspect, or stretched to it, whichever agrees better
THUMB_ASPECT_TOLERANCE = 0.02


@dataclass(frozen=True)
class ThumbnailFit:
    """How a thumbnail was laid over the image (:func:`compare_thumbnail`) and how well."""

    correlation: float  # Pearson's, of the standardised, slightly blurred luminances
    difference: NDArray[np.float32]  # |z_image - z_thumb| / 4, clipped at 1, at content size
    content: tuple[int, int]  # (w, h) of the thumbnail compared: whole, or bars cut away
    letterbox: bool  # black bars cut away from the thumbnail
    fit: str  # "same aspect", "centre crop" or "stretched": how the image was brought to it
    box: tuple[int, int, int, int]  # x0, y0, x1, y1: the part of the image compared

    def words(self) -> str:
        """The fit in plain words, for a finding."""
        fit = {
            "same aspect": "the whole image",
            "centre crop": "the image's centre cropped to the thumbnail's aspect",
            "stretched": "the whole image stretched to the thumbnail's aspect",
        }[self.fit]
        return f"letterbox bars removed, {fit}" if self.letterbox else fit


def centre_crop(w: int, h: int, aspect: float) -> tuple[int, int, int, int]:
    """The largest box (x0, y0, x1, y1) of aspect ``aspect`` (w / h) centred in w x h."""
    if w / h > aspect:
        cw = min(w, max(1, round(h * aspect)))
        return (w - cw) // 2, 0, (w - cw) // 2 + cw, h
    ch = min(h, max(1, round(w / aspect)))
    return 0, (h - ch) // 2, w, (h - ch) // 2 + ch


def compare_thumbnail(image: NDArray[np.uint8], thumb: NDArray[np.uint8]) -> ThumbnailFit:
    """A thumbnail compared with the image by the fit that agrees best (one rule for an EXIF
    thumbnail and a HEIF thumbnail item).

    Cameras letterbox a thumbnail (black bars) or crop it to 4:3 or 16:9, so the content is
    the whole thumbnail or the thumbnail without black bars (a dark picture's own borders can
    look like bars), and the image is brought to the content's aspect: as it is when the
    aspects agree (``THUMB_ASPECT_TOLERANCE``), else its centre cropped to that aspect, or
    all of it stretched. Each candidate: the image part reduced to the content's size, both
    luminances blurred slightly and standardised (thumbnails are sharpened and toned
    differently), Pearson's correlation over the pixels; the best one is kept (the first of
    equals: the whole thumbnail, then a crop, then a stretch). A thumbnail of other content
    agrees with none, and reads low whichever is kept. Any size is compared (a side under 3
    pixels has no bars cut: :func:`trim_bars`); one without pixels raises ``ValueError``.
    """

    def z(x: NDArray[np.uint8]) -> NDArray[np.float32]:
        y = cv2.GaussianBlur(luminance(x), (0, 0), 1.0)
        return (y - y.mean()) / max(float(y.std()), 1e-3)

    ih, iw = image.shape[:2]
    if thumb.size == 0 or image.size == 0:
        raise ValueError(
            f"no pixels to compare: image {iw} x {ih}, thumbnail "
            f"{thumb.shape[1]} x {thumb.shape[0]}"
        )
    rs, cs = trim_bars(thumb)
    contents = [(0, thumb.shape[0], 0, thumb.shape[1])]
    if (rs.start, rs.stop, cs.start, cs.stop) != contents[0]:
        contents.append((rs.start, rs.stop, cs.start, cs.stop))
    best: ThumbnailFit | None = None
    for content in contents:
        part = thumb[content[0] : content[1], content[2] : content[3]]
        h, w = part.shape[:2]
        zb = z(part)
        if abs(math.log((iw / ih) / (w / h))) <= THUMB_ASPECT_TOLERANCE:
            fits = [("same aspect", (0, 0, iw, ih))]
        else:
            fits = [("centre crop", centre_crop(iw, ih, w / h)), ("stretched", (0, 0, iw, ih))]
        for fit, (x0, y0, x1, y1) in fits:
            za = z(cv2.resize(image[y0:y1, x0:x1], (w, h), interpolation=cv2.INTER_AREA))
            corr = float((za * zb).mean())
            if best is None or corr > best.correlation:
                diff = np.clip(np.abs(za - zb) / 4.0, 0.0, 1.0).astype(np.float32)
                best = ThumbnailFit(
                    corr, diff, (w, h), content != contents[0], fit, (x0, y0, x1, y1)
                )
    assert best is not None
    return best


def colorize(values: NDArray[np.float32]) -> NDArray[np.uint8]:
    """[H, W] in [0, 1] -> [H, W, 3] uint8 RGB with the perceptually ordered 'inferno' map."""
    u8 = np.rint(np.clip(values, 0.0, 1.0) * 255.0).astype(np.uint8)
    return np.ascontiguousarray(cv2.applyColorMap(u8, cv2.COLORMAP_INFERNO)[..., ::-1])
