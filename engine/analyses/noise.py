"""Noise analysis: a noise residual to look at, and a local noise-level map.

Residual: the evidence's luminance minus its 3x3 median (the "noise analysis" of Forensically
and Sherloq): what remains is sensor noise, JPEG artefacts and fine texture. Shown amplified.

Local noise level: the luminance's one-level Haar wavelet diagonal band (HH), cut into blocks;
in each block the noise standard deviation is estimated by the robust median absolute
deviation, σ = median(|HH|) / 0.6745 (Donoho and Johnstone 1994), as B. Mahdian and S. Saic do
to find noise inconsistencies ("Using noise inconsistencies for blind image forensics", Image
and Vision Computing 27(10), 2009). A region pasted from another photograph, or smoothed, or
with noise added, often carries another noise level than its surroundings. The map is the local
σ relative to the image's median σ: 0.5 is the image's typical level, 1 twice it or more,
0 noiseless. Texture raises the estimate too (the median makes it robust to edges, not to
dense texture), and flat saturated areas read as noiseless: read the map against the image.

One figure sums the map up for a scan's triage table (``extras["off_level_share"]``, version 2
too: the map is unchanged): the share of the image, by area, whose block σ is more than
:data:`OFF_LEVEL_FACTOR` times the image's median σ or less than its inverse. The map's own
99th percentile cannot tell files apart: clipped at twice the median, it is 1.00 on almost
every photograph. When the median σ is under :data:`MIN_TYPICAL_SIGMA` grey levels (most of the
luminance's diagonal detail quantised to 0 by the JPEG compression: 6 of the 52 camera
photographs measured) there is no typical level to depart from: the figure is None, and the
relative map is left out with a warning saying so (it would be 0 or 1 in every cell, a picture
of the rounding); the σ layer, the residual and the other figures stay.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from engine.analyses._imaging import (
    cells_to_pixels,
    luminance,
    open_stored,
    orient,
    orient_cells,
    orient_rgb,
    stored_rgb,
)
from engine.analyses._jpegtables import match_file
from engine.analyses.base import (
    AnalysisMap,
    Context,
    Finding,
    MapMeaning,
    MapScale,
    Output,
    register_analysis,
    too_small,
)
from engine.types import Evidence

MAD_TO_SIGMA = 1.0 / 0.6745  # σ of a Gaussian from the median of |x|
OFF_LEVEL_FACTOR = 2.0  # a block is off level above 2x or below 1/2 the image's median σ
MIN_TYPICAL_SIGMA = 0.1  # grey levels: a median σ below it is no level to compare with
MIN_CELLS = 2  # blocks the image must span for a relative map: the median of one block is
# that block (the map 0.5 everywhere, no block off level: "consistent" where nothing was
# compared); too small to assess below
JPEG_EXPLAINS_BELOW = 97  # a JPEG's IJG quality under which its quantisation can wipe the
# noise out: Gaussian noise of σ 1 over a camera scene reads median σ 0.00-0.01 at qualities
# 75-95 and 0.57-0.74 at 97-99; σ 2: 0.00-0.24 at 75-90, 1.09-1.48 at 97-99 (2026-12-05)


@dataclass(frozen=True)
class NoiseParams:
    block: int = 32  # pixels per side of a noise-level block (16 x 16 HH coefficients)
    residual_gain: float = 10.0  # display: |Y - median3(Y)| x residual_gain, clipped at 255
    sigma_cap: float = 10.0  # layer "noise-sigma": σ / sigma_cap grey levels, clipped at 1

    def __post_init__(self) -> None:
        if self.block < 8 or self.block % 2:
            raise ValueError(f"block must be an even number >= 8, got {self.block}")
        if self.residual_gain <= 0 or self.sigma_cap <= 0:
            raise ValueError("residual_gain and sigma_cap must be > 0")


def haar_hh(y: np.ndarray) -> np.ndarray:
    """Diagonal detail band of the orthonormal one-level Haar transform: [H//2, W//2]."""
    h, w = (y.shape[0] // 2) * 2, (y.shape[1] // 2) * 2
    a = y[:h:2, :w:2]
    b = y[:h:2, 1:w:2]
    c = y[1:h:2, :w:2]
    d = y[1:h:2, 1:w:2]
    return (a - b - c + d) * 0.5


def local_sigma(y: np.ndarray, block: int) -> np.ndarray:
    """Robust noise σ per ``block`` x ``block`` pixel cell of luminance ``y``: [ceil(H/b), ceil(W/b)]."""
    hh = np.abs(haar_hh(y))
    c = block // 2
    hb, wb = -(-hh.shape[0] // c), -(-hh.shape[1] // c)
    pad = np.full((hb * c, wb * c), np.nan, np.float32)
    pad[: hh.shape[0], : hh.shape[1]] = hh
    cells = pad.reshape(hb, c, wb, c).transpose(0, 2, 1, 3).reshape(hb, wb, c * c)
    sigma = np.nanmedian(cells, axis=2) * MAD_TO_SIGMA
    # A side of ``block`` x k + 1 pixels ends in a cell of one row (column) that holds no Haar
    # coefficient (they need pixel pairs): it borrows its neighbour's value. Left at 0 it read
    # "noiseless", pulled the map towards 0 over the last half cell and the median down.
    out_h, out_w = -(-y.shape[0] // block), -(-y.shape[1] // block)
    out = np.pad(sigma, ((0, out_h - sigma.shape[0]), (0, out_w - sigma.shape[1])), mode="edge")
    return out.astype(np.float32)


def off_level_shares(
    sigma: np.ndarray, block: int, height: int, width: int, med: float
) -> dict[str, float | None]:
    """How much of a ``height`` x ``width`` image departs from its typical noise level:
    the shares of its area (partial last cells counted by their pixels) whose ``block``-px
    cell σ (``sigma``, :func:`local_sigma`) is above :data:`OFF_LEVEL_FACTOR` x ``med``, the
    image's median σ (``noisier_share``), below ``med`` / the factor (``smoother_share``), and
    both (``off_level_share``); all None when ``med`` is under :data:`MIN_TYPICAL_SIGMA`.
    ``med`` is the caller's median of ``sigma``, computed once for the map and these shares."""
    if med < MIN_TYPICAL_SIGMA:
        return {"off_level_share": None, "noisier_share": None, "smoother_share": None}
    rows = np.minimum(block, height - block * np.arange(sigma.shape[0]))
    cols = np.minimum(block, width - block * np.arange(sigma.shape[1]))
    area = rows[:, None] * cols[None, :] / float(height * width)  # each cell's share
    noisier = float(area[sigma > OFF_LEVEL_FACTOR * med].sum())
    smoother = float(area[sigma < med / OFF_LEVEL_FACTOR].sum())
    return {
        "off_level_share": round(noisier + smoother, 4),
        "noisier_share": round(noisier, 4),
        "smoother_share": round(smoother, 4),
    }


def no_level_warning(med: float, quality: int | None) -> str:
    """Why there is no relative map when the median σ is under :data:`MIN_TYPICAL_SIGMA`,
    naming the causes the file's JPEG quality (None: unknown or not a JPEG) leaves open."""
    if quality is not None and quality >= JPEG_EXPLAINS_BELOW:
        cause = (
            f"at JPEG quality about {quality} the compression keeps such detail: in-camera noise "
            "reduction or flat content (sky, walls, saturated areas) removed it"
        )
    elif quality is not None:
        cause = (
            f"in-camera noise reduction, flat content, or the JPEG compression (quality about "
            f"{quality}) removed it"
        )
    else:
        cause = "in-camera noise reduction, flat content or an earlier compression removed it"
    return (
        f"no typical noise level (median σ {med:.2f} grey levels, under {MIN_TYPICAL_SIGMA:g}: "
        f"the finest detail is gone; {cause}): no relative noise map; each block's σ is the "
        "viewer's noise-sigma layer (a scan keeps no layers: only their statistics and "
        "median_sigma)"
    )


def _file_quality(evidence: Evidence, ctx: Context) -> int | None:
    """A JPEG's own IJG quality as ``jpeg-tables`` estimates it, else None."""
    if evidence.format != "JPEG":
        return None
    match = match_file(open_stored(ctx.file_bytes(), "JPEG"))
    return None if match is None else match.quality


@register_analysis(
    "noise",
    NoiseParams(),
    method="median-filter noise residual and blockwise robust (MAD) Haar-HH noise level",
    source="B. Mahdian, S. Saic, 'Using noise inconsistencies for blind image forensics', "
    "Image and Vision Computing 27(10), 2009; residual as in Forensically / Sherloq",
    version="7",  # 7: the no-level warning names where each block's σ is for each medium
    # (it said "see the noise-sigma layer", which scans do not keep); 6: an image within one block (or under 4 px a side) is too
    # small to assess: an information finding, no relative map, no off-level share (its
    # one block read 0.5 everywhere and off-level share 0); 5: the no-level warning names noise reduction and flat content, JPEG
    # only below quality 97 (a quality-99 Leica T was blamed on it); no spread_p95_over_p5 when
    # σ's 5th percentile is under 0.1 (a fraction of a step gave 131072);
    # 4: no relative map (a warning) without a typical level (median σ < 0.1);
    # 3: a one-pixel last row/column of cells borrows its neighbour's σ, not 0;
    # the residual's median is of the float Y, not of Y rounded to 8 bits; computed on the
    # pixels as stored (Haar pairs inside the JPEG blocks) and turned by the EXIF orientation
    description="local noise level relative to the image (raw) and the noise residual",
)
def noise(evidence: Evidence, p: NoiseParams, ctx: Context) -> Output:
    # On the pixels as stored, the maps turned afterwards: turned first, a side of odd length
    # flipped puts every Haar pair of a JPEG across its 8x8 block edges, and the blocking
    # then reads as noise (a quality-50 JPEG: σ 0.96 upright, 1.65 tagged as turned 180°).
    rgb = evidence.pixels
    if evidence.orientation_applied:
        rgb = stored_rgb(evidence, ctx.file_bytes())
    h, w = rgb.shape[:2]
    turn = evidence.orientation
    y = luminance(rgb)
    ctx.step(0, 3)
    # The median of the same float Y (OpenCV takes float32 for a 3x3 median): the median of Y
    # rounded to 8 bits left the rounding, up to 0.5, in every residual (0.25 on a flat colour).
    residual = np.abs(y - cv2.medianBlur(y, 3))
    shown = np.rint(np.minimum(residual * p.residual_gain, 255.0)).astype(np.uint8)
    display = orient_rgb(np.repeat(shown[..., None], 3, axis=2), turn)
    ctx.step(1, 3)
    cells = -(-h // p.block) * -(-w // p.block)
    if min(h, w) < 4:  # no 2 x 2 Haar coefficients: no σ at all
        return Output(display=display, findings=(_too_small(evidence, p.block),))
    sigma = local_sigma(y, p.block)
    ctx.step(2, 3)
    med = float(np.median(sigma))
    if cells < MIN_CELLS:
        sigma_cells, sigma_cell = orient_cells(
            np.clip(sigma / p.sigma_cap, 0.0, 1.0).astype(np.float32), p.block, (h, w), turn
        )
        return Output(
            display=display,
            findings=(_too_small(evidence, p.block),),
            layers=(_sigma_layer(sigma_cells, sigma_cell, p),),
            extras={
                "median_sigma": round(med, 4),
                "off_level_share": None,
                "noisier_share": None,
                "smoother_share": None,
                "mean_residual": round(float(residual.mean()), 4),
                "unit": "grey levels (0..255)",
            },
        )
    sigma_cells, sigma_cell = orient_cells(
        np.clip(sigma / p.sigma_cap, 0.0, 1.0).astype(np.float32), p.block, (h, w), turn
    )
    lo, hi = (float(v) for v in np.percentile(sigma, [5, 95]))
    m, meaning, warnings = None, None, ()
    if med < MIN_TYPICAL_SIGMA:
        # σ / (2 x median σ) of a median near 0 is 0 or 1 in every cell: a map of the JPEG's
        # rounding, not of the noise. The σ layer still shows the levels measured.
        warnings = (no_level_warning(med, _file_quality(evidence, ctx)),)
    else:
        rel = np.clip(sigma / (2.0 * med), 0.0, 1.0).astype(np.float32)
        # Bilinear between cell centres so that the map has no blocky steps at full resolution.
        m = orient(np.clip(cells_to_pixels(rel, p.block, h, w), 0.0, 1.0), turn)
        meaning = MapMeaning(
            scale=MapScale.RAW,
            label=f"local noise level (robust σ of Haar HH, {p.block}-px blocks) relative to "
            "the image median",
            unit="σ / (2 x median σ), clipped at 1: 0.5 = the image's median level",
            high="noisier than the rest of the image (low: smoother); an inconsistent region "
            "may be pasted, smoothed or have had noise added, but fine texture also reads high, "
            "and flat, dark or saturated areas, strong JPEG compression, denoising or "
            "resampling read low",
        )
    ctx.step(3, 3)
    return Output(
        map=m,
        meaning=meaning,
        warnings=warnings,
        display=display,
        layers=(_sigma_layer(sigma_cells, sigma_cell, p),),
        extras={
            "median_sigma": round(med, 4),
            "sigma_p5": round(lo, 4),
            "sigma_p95": round(hi, 4),
            # a p5 under 0.1 grey levels is no level to divide by: the 8-bit band's σ moves in
            # steps of 0.37, and a percentile between a cell of 0 and one of 0.37 is a fraction
            # of a step (1.1e-5 gave a Panasonic LX3 a spread of 131072)
            "spread_p95_over_p5": round(hi / lo, 4) if lo >= MIN_TYPICAL_SIGMA else None,
            **off_level_shares(sigma, p.block, h, w, med),
            "off_level_factor": OFF_LEVEL_FACTOR,
            "mean_residual": round(float(residual.mean()), 4),
            "unit": "grey levels (0..255)",
        },
    )


def _sigma_layer(values: np.ndarray, cell: int, p: NoiseParams) -> AnalysisMap:
    """The layer "noise-sigma": each block's σ in grey levels, ``values`` per ``cell`` px."""
    return AnalysisMap(
        name="noise-sigma",
        meaning=MapMeaning(
            scale=MapScale.RAW,
            label="local noise σ in grey levels",
            unit=f"σ / {p.sigma_cap:g} grey levels, clipped at 1",
            high="noisier",
        ),
        values=values,
        cell=cell,
    )


def _too_small(evidence: Evidence, block: int) -> Finding:
    """The information that ``evidence`` is under the noise map's floor (:data:`MIN_CELLS`)."""
    need = (
        f"the map compares each {block}-px block's noise level with the median of at least "
        f"{MIN_CELLS} blocks, and σ needs 4 px a side: no relative map and no off-level share"
    )
    return too_small("noise", evidence.height, evidence.width, need)
