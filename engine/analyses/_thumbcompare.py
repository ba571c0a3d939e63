"""The metadata analysis's embedded thumbnail (EXIF, or a HEIF thumbnail item) against the
image, in words: its finding, the difference map at the image's size and the facts. The fit
itself (which crop or stretch of the image the thumbnail shows, the correlation, the
difference) is ``_imaging.compare_thumbnail``. Apart so that ``metadata.py`` stays under 700
lines."""

from __future__ import annotations

from typing import Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from engine.analyses._imaging import compare_thumbnail
from engine.analyses.base import Finding, Level
from engine.metatext import clean
from engine.types import Evidence


class Thresholds(Protocol):
    """The correlations the levels turn on (``metadata.MetadataParams``'s)."""

    thumb_strong: float  # below: other content (strong)
    thumb_notice: float  # below: differs (notice)


LOCAL_SHARE = 0.005  # share of the difference map above LOCAL_LEVEL from which a thumbnail
# that agrees overall (correlation >= thumb_notice) is said to differ locally. Rule written
# before measuring (2026-12-06): adopt only if no authentic image raises it. Measured: 47 of
# the 53 camera photographs have a thumbnail, at most 0.077 % (Panasonic NV-GX7), 9 of
# CASIA's 600 authentic images, 0 %; 3 % of a 10 MP photograph replaced by floor texture
# (correlation 0.944, "matches" before): 0.88 %
LOCAL_LEVEL = 0.5  # |z-difference| / 4 of the map: a z-difference of 2


def compare(
    evidence: Evidence, thumb: NDArray[np.uint8], key: str, value: str, p: Thresholds
) -> tuple[Finding, NDArray[np.float32], dict] | None:
    """A thumbnail, turned as the image is shown, compared with the image: its finding, the
    difference map at the image's size and the facts; None when it is too small to compare."""
    if min(thumb.shape[:2]) < 8:
        return None
    fit = compare_thumbnail(evidence.pixels, thumb)
    corr, (cw, ch) = fit.correlation, fit.content
    # the difference over the part of the image compared; the rest, which the thumbnail does
    # not show (a centre crop's sides), 0
    x0, y0, x1, y1 = fit.box
    m = np.zeros((evidence.height, evidence.width), np.float32)
    m[y0:y1, x0:x1] = cv2.resize(fit.difference, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
    m = np.clip(m, 0.0, 1.0).astype(np.float32)
    local = float((m > LOCAL_LEVEL).mean())
    facts = {
        "thumbnail": {"width": int(thumb.shape[1]), "height": int(thumb.shape[0])},
        "thumbnail_content": [cw, ch],
        "thumbnail_fit": fit.fit,
        "thumbnail_letterbox": fit.letterbox,
        "thumbnail_image_box": list(fit.box),
        "thumbnail_correlation": round(corr, 4),
        "thumbnail_mean_difference": round(float(fit.difference.mean()), 4),
        "thumbnail_local_share": round(local, 5),
    }
    ar_img = evidence.width / evidence.height
    ar_th = cw / ch
    if abs(np.log(ar_img / ar_th)) > 0.1:
        facts["thumbnail_aspect_mismatch"] = [round(ar_img, 4), round(ar_th, 4)]
    level, note = _level(corr, local, p)
    row = Finding("thumbnail", key, f"correlation {corr:.3f}, {fit.words()}{value}", level, note)
    return row, m, facts


def _level(corr: float, local: float, p: Thresholds) -> tuple[Level, str]:
    """The finding's level and note. One correlation over the whole picture hardly moves for a
    local edit (3 % of a photograph replaced read 0.944: under every authentic photograph's
    0.966, far above the notice's 0.85), so a thumbnail that agrees overall is not said to
    "match"; where its difference map is high over LOCAL_SHARE of the image, a notice."""
    if corr < p.thumb_strong:
        return (
            Level.STRONG,
            "the thumbnail shows other content than the image: the picture was changed after "
            "the thumbnail was written",
        )
    if corr < p.thumb_notice:
        return (
            Level.NOTICE,
            "the thumbnail differs from the image: a crop, a local edit or another processing",
        )
    if local >= LOCAL_SHARE:
        return (
            Level.NOTICE,
            "the thumbnail agrees with the image overall but differs locally "
            f"({100 * local:.1f} % of the image by more than 2 standard deviations of its "
            "luminance): a local edit after the thumbnail was written, or a processing that "
            "changed one area; see the map",
        )
    return (
        Level.INFO,
        "the thumbnail agrees with the image overall; a local edit would not lower this one "
        "figure much: see the map",
    )


def undecodable(key: str, e: Exception) -> Finding:
    return Finding(
        "thumbnail",
        key,
        "cannot be decoded",
        Level.NOTICE,
        f"a damaged thumbnail ({clean(str(e), 80)})",
    )


def own_turn(own: tuple, as_image: tuple | None, p: Thresholds) -> tuple:
    """A thumbnail item compared as its own irot/imir show it (``own``), which differ from the
    image's, and turned as the image is (``as_image``): when only the latter matches, the
    thumbnail shows the image but its boxes turn it otherwise: a notice, neither "matches"
    (as when it was turned by the image's boxes) nor "other content"; the map is the turned
    one's (the other compares the picture with a turned copy of itself)."""
    if as_image is None or as_image[2]["thumbnail_correlation"] < p.thumb_notice:
        return own
    row, facts, m = own[0], own[2], as_image[1]
    r = as_image[2]["thumbnail_correlation"]
    note = (
        "the thumbnail item's own rotation or mirroring (irot/imir) differs from the image's: "
        "it shows the image only when turned as the image is (a writer that turned only the "
        "picture, or boxes changed after the thumbnail was written)"
    )
    row = Finding(
        row.topic, row.key, f"{row.value}; {r:.3f} turned as the image", Level.NOTICE, note
    )
    return row, m, facts | {"thumbnail_turned_as_image_correlation": r}
