"""JPEG compression history: quantisation tables, JPEG ghosts, aligned double quantisation.

Three analyses registered here:

``jpeg-tables``
    The quantisation tables read from the file (Pillow's ``quantization``, natural order), the
    IJG quality whose scaled Annex K tables they are (exact match) or come closest to, chroma
    subsampling and coding. An RGB-coded JPEG's tables (:func:`match_ijg_rgb`) are each compared
    with IJG's luma table, which libjpeg's RGB coding uses for all three. Known tables: only
    the standard IJG tables at each quality, which libjpeg and the many programs built on it
    write ("libjpeg/IJG quality N (many programs)").
    Camera makers and some editors use tables of their own; we hold no list of them that we
    could justify, so other tables are reported as "not IJG" with the closest IJG quality.

``jpeg-ghost``
    H. Farid, "Exposing Digital Forgeries from JPEG Ghosts", IEEE Trans. Information Forensics
    and Security 4(1), 2009. The luminance is recompressed at a range of qualities; at each
    quality the squared difference is averaged over a sliding ``block`` and normalised per
    location over the qualities (0 = the quality where the location differs least, 1 = most).
    A region that was compressed at quality q before shows a dip (a "ghost") at q that the rest
    of the image does not. The primary map is the ghost contrast at the quality q* where most of
    the image shows such a dip (below the file's own last quality; dips count in patches of
    3x3 cells or more, over at least 5 % of the informative cells, else there is no q*): the distance of each
    location's normalised difference from the image's median there. Every quality's normalised
    difference is kept as a layer; a flat location (its largest difference and its own variance
    both under ``flat``) has none. Only the stored 8x8 grid is tried (Farid also tries shifted
    grids for a cropped region); luminance only, for speed (Farid averages the three colours).
    An image whose shorter side is under :func:`ghost_floor` (24 px) holds no patch of cells:
    no finding and no map, an information finding that it is too small to assess.
    An RGB-coded JPEG (Adobe APP14 transform 0) has no luminance: both analyses read its green
    component, which it compressed as it is, with that component's table.

``jpeg-dq``
    Aligned double quantisation (A-DJPG) in the spirit of T. Bianchi and A. Piva, "Image
    Forgery Localization via Block-Grained Analysis of JPEG Artifacts", IEEE Trans. Information
    Forensics and Security 7(3), 2012. DCT coefficients of the 8x8 blocks are computed from the
    decoded luminance (the decoder's own Y, not the coefficients in the file: a +-0.5 rounding
    error that matters only for quantisation steps of 1-2) and quantised with the file's luma
    table Q2. For each of the first low-frequency AC coefficients, two models of the quantised
    values are built from a calibration image (the same DCT on the grid shifted by 4 pixels,
    which approximates the unquantised coefficients, J. Lukáš and J. Fridrich 2003): H0, compressed
    once with Q2; H1, compressed with Q1 then Q2, for the Q1 that maximises the likelihood of a
    mixture of both over the whole image. Frequencies whose best mixture beats H0 by a
    BIC-style margin carry evidence of double compression. Per block, the log-likelihood ratio
    summed over those frequencies (averaged over a small neighbourhood of blocks) gives the map:
    the probability, with equal priors, that the block was compressed once while the image as a
    whole was compressed twice. A pasted region from another source (or one saved at another
    grid or quality) lacks the first compression's trace. When fewer than
    ``MIN_DQ_FREQUENCIES`` (4) frequencies show double compression the question does not
    arise: no map (a map of 0 read as "every block compressed twice"), a warning, and for 1-3
    an information finding that the trace is too thin. Detected, a notice names the first
    quality and the frequencies it rests on. The ghost's finding names its quality, the share
    of the image it covers and whether that is the whole image (a resave) or a region.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from engine.analyses._imaging import (
    block_mean,
    jpeg_colour_space,
    jpeg_roundtrip,
    luminance,
    open_stored,
    orient,
    orient_cells,
    stored_rgb,
    upsample_cells,
)
from engine.analyses._jpegfindings import (
    MIN_DQ_FREQUENCIES,
    dq_findings,
    ghost_finding,
    no_ghost_warning,
)
from engine.analyses._jpegtables import (
    IJG_LUMA,
    RGB_CODED,
    TableMatch,
    ijg_table,
    luma_table,
    match_file,
    read_tables,
    sampling_words,
    tables_note,
)
from engine.analyses.base import (
    AnalysisMap,
    Context,
    Finding,
    Level,
    MapMeaning,
    MapScale,
    Output,
    register_analysis,
    too_small,
)
from engine.types import Evidence

# Zig-zag scan order: ZIGZAG[i] = (row, col) of the i-th coefficient.
ZIGZAG: list[tuple[int, int]] = sorted(
    ((r, c) for r in range(8) for c in range(8)),
    key=lambda rc: (rc[0] + rc[1], rc[0] if (rc[0] + rc[1]) % 2 else rc[1]),
)


def dct_matrix() -> NDArray[np.float64]:
    """8x8 orthonormal DCT-II matrix C (block DCT = C @ B @ C.T, JPEG's FDCT scaling)."""
    k = np.arange(8)
    c = np.sqrt(2.0 / 8.0) * np.cos((2 * k[None, :] + 1) * k[:, None] * np.pi / 16.0)
    c[0] /= np.sqrt(2.0)
    return c


def block_dct(y: NDArray[np.float32]) -> NDArray[np.float32]:
    """[H, W] (level-shifted) -> [H//8, W//8, 8, 8] DCT of each aligned 8x8 block."""
    h, w = (y.shape[0] // 8) * 8, (y.shape[1] // 8) * 8
    blocks = y[:h, :w].reshape(h // 8, 8, w // 8, 8).transpose(0, 2, 1, 3)
    c = dct_matrix().astype(np.float32)
    return np.einsum("ij,abjk,lk->abil", c, blocks, c, optimize=True)


# --- tables -------------------------------------------------------------------------------


def cmyk_refusal(evidence: Evidence) -> str | None:
    """Why a JPEG analysis of the luminance does not apply to a CMYK JPEG, or None."""
    if evidence.format == "JPEG" and evidence.mode == "CMYK":
        return (
            "a CMYK JPEG compresses its four ink channels (or YCCK), not the luminance this "
            "analysis reads: not applicable"
        )
    return None


@dataclass(frozen=True)
class JpegTablesParams:
    pass  # nothing to choose: the tables are read as they are


@register_analysis(
    "jpeg-tables",
    JpegTablesParams(),
    method="quantisation tables and IJG quality estimate",
    source="ITU-T T.81 Annex K tables with libjpeg's quality scaling (IJG jcparam.c)",
    version="7",  # 7: the IJG tables' note says "by themselves they say neither 'camera' nor
    # 'editor'", not "on their own they point to neither" (an idiom; only the words changed);
    # 6: a subsampling stored with other factors named by its geometry (luma
    # 2x2 over chroma 1x2: "4:2:2 (stored as ...)", was "other"), 4:4:0 and 4:1:1 by name;
    # 5: the tables' note says what the match says (IJG's: many programs and some
    # cameras; else the file's own), no longer "an editor's tables ... deserve a look" on all;
    # 4: an RGB-coded JPEG's tables compared with IJG's luma table, each (its
    # R and B tables were compared with the chroma table), and its coding in the words;
    # 3: the luma table is the one Y's selector names, not table 0;
    # 2: IJG's 16-bit tables (qualities below 25 without force_baseline) match;
    # a third table is compared too (one for Cr that is not IJG's: not "IJG quality N")
    description="the file's quantisation tables, estimated quality, who writes such tables",
    needs_file=True,
)
def jpeg_tables(evidence: Evidence, p: JpegTablesParams, ctx: Context) -> Output:
    ctx.step(0, 1)
    if evidence.format != "JPEG":
        return Output(
            extras={"jpeg": False},
            warnings=(f"not a JPEG ({evidence.format}): no quantisation tables",),
        )
    img = open_stored(ctx.file_bytes(), "JPEG")
    tables = read_tables(img)
    luma = luma_table(img)
    match = match_file(img)
    sampling = sampling_words(img)
    coding = jpeg_colour_space(img)
    progressive = bool(img.info.get("progressive") or img.info.get("progression"))
    findings = [
        Finding(
            "jpeg",
            "tables",
            "none" if match is None else match.describe(),
            Level.INFO,
            tables_note(match),
        ),
        Finding(
            "jpeg",
            "chroma subsampling",
            sampling,
            Level.INFO,
            "R, G and B compressed as they are, not transformed to YCbCr as most JPEGs are "
            "(cjpeg -rgb writes such files)"
            if coding == "RGB"
            else "",
        ),
        Finding("jpeg", "coding", "progressive" if progressive else "baseline", Level.INFO, ""),
    ]
    ctx.step(1, 1)
    return Output(
        findings=tuple(findings),
        extras={
            "jpeg": True,
            "tables": {str(k): v.ravel().tolist() for k, v in tables.items()},
            "table_order": "natural (row-major 8x8)",
            "luma_table": luma,  # the first component's table selector (Y's)
            "ijg_quality": None if match is None else match.quality,
            "ijg_exact": None if match is None else match.exact,
            "ijg_mean_abs_diff": None if match is None else match.mean_abs_diff,
            "ijg_baseline": None if match is None else match.baseline,
            "described": None if match is None else match.describe(),
            "subsampling": sampling,
            "colour_coding": RGB_CODED if coding == "RGB" else coding,
            "progressive": progressive,
        },
    )


# Ghost and DQ read the plane a JPEG compressed: Y, or the green component of an RGB-coded one
PLANES = {0: "luminance (Y)", 1: "green component (an RGB-coded JPEG: Adobe APP14 transform 0)"}


def _stored_luma(
    evidence: Evidence, ctx: Context
) -> tuple[NDArray[np.float32], Image.Image | None, int]:
    """The plane as stored in the file and the number of its JPEG component (``PLANES``): the
    decoder's own Y for a JPEG, else Y from RGB. An RGB-coded JPEG (:func:`jpeg_colour_space`)
    compressed R, G and B as they are and holds no Y: its green component, decoded unchanged
    (libjpeg could not give it as YCbCr: the file's Y had been a mix of three planes, each
    quantised on its own, which neither analysis's DCT reasoning describes)."""
    if evidence.format == "JPEG":
        img = open_stored(ctx.file_bytes(), "JPEG")
        if jpeg_colour_space(img) == "RGB":
            return np.asarray(img.convert("RGB"))[..., 1].astype(np.float32), img, 1
        if img.mode in ("RGB", "YCbCr"):
            img.draft("YCbCr", img.size)
            ycc = np.asarray(img.convert("YCbCr") if img.mode != "YCbCr" else img)
            return ycc[..., 0].astype(np.float32), img, 0
        return luminance(np.asarray(img.convert("RGB"), dtype=np.uint8)), img, 0
    rgb = (
        stored_rgb(evidence, ctx.file_bytes()) if evidence.orientation_applied else evidence.pixels
    )
    return luminance(rgb), None, 0


def _last_quality(img: Image.Image | None) -> TableMatch | None:
    """The file's own (last) IJG quality, as ``jpeg-tables`` estimates it (:func:`match_file`:
    an RGB-coded file's tables each against IJG's luma table)."""
    return None if img is None else match_file(img)


# --- ghost --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GhostParams:
    q_min: int = 50  # lowest recompression quality tried
    q_max: int = 95  # highest one
    q_step: int = 5  # step between qualities (10 qualities by default)
    block: int = (
        16  # side of the sliding window the squared difference is averaged over (Farid: 16)
    )
    flat: float = 1.0  # grey levels²: a location is flat, and carries no ghost, when both its
    # largest difference and its own variance over the block are below this. The difference
    # alone blanked textured regions compressed coarsely before (little left to change: the
    # ghost itself), a quarter of a region recompressed at q60 (docs/ANALYSES.md)
    min_dip_share: float = 0.05  # q* needs a dip in at least this share of informative cells,
    # counted in patches of dip_patch x dip_patch cells. Single-compressed images show dips
    # scattered at 55-65 (raw share up to 0.16 on the 53 camera photographs, 32 of them over
    # the former 0.02) that patches reduce to <= 0.022 (0.044 on small synthetic scenes); a
    # region recompressed from q60 over 11 % of an image gives 0.061, a whole image 0.75-0.92
    dip_patch: int = 3  # side in 8-px cells of the smallest patch of dips that counts (1: any)
    qualities: tuple[int, ...] = field(default=())  # explicit list instead of q_min..q_max

    def __post_init__(self) -> None:
        if not 1 <= self.q_min < self.q_max <= 100 or self.q_step < 1:
            raise ValueError(
                f"need 1 <= q_min < q_max <= 100 and q_step >= 1, got "
                f"{self.q_min}, {self.q_max}, {self.q_step}"
            )
        if self.block < 2:
            raise ValueError(f"block must be >= 2, got {self.block}")
        if self.dip_patch < 1:
            raise ValueError(f"dip_patch must be >= 1, got {self.dip_patch}")

    def quality_list(self) -> list[int]:
        if self.qualities:
            return sorted({int(q) for q in self.qualities})
        return list(range(self.q_min, self.q_max + 1, self.q_step))


GHOST_CELL = 8  # layers keep one value per 8x8 cell (the JPEG grid)


def ghost_floor(p: GhostParams) -> int:
    """The shortest side, in pixels, below which the ghost makes no finding (24 by default).

    The dips count only in patches of ``dip_patch`` x ``dip_patch`` cells (an opening that
    removes a dipping cell whose neighbours do not dip): on an image fewer cells across than
    that, no such patch fits and the opening keeps what it should remove (a single 8x8 cell
    has no neighbour, so any dip in it was "100 %" of the image: 8x8 PNGs never saved as JPEGs
    read "a resave at about 70"). The ``block`` the difference is averaged over must fit too.
    Measured 2026-12-06 on crops of 12 camera photographs reduced 4x and saved as PNG (48
    per size): a ghost found in 9 crops of 8 px, in 0-3 of 16 to 64 px (as on whole images);
    the same crops saved at 70 first: found at 65-75 in 40-48 of 48 from 16 px up."""
    return max(p.dip_patch * GHOST_CELL, p.block)


def ghost_differences(
    y: NDArray[np.float32], qualities: list[int], block: int, ctx: Context | None = None
) -> NDArray[np.float32]:
    """[Q, ceil(H/8), ceil(W/8)]: squared difference of ``y`` and its recompression at each
    quality, averaged over a sliding ``block`` window, sampled per 8x8 cell."""
    y8 = np.clip(np.rint(y), 0, 255).astype(np.uint8)
    yf = y8.astype(np.float32)
    out = []
    for i, q in enumerate(qualities):
        if ctx is not None:
            ctx.step(i, len(qualities) + 1)
        d = yf - jpeg_roundtrip(y8, q).astype(np.float32)
        d = cv2.boxFilter(d * d, -1, (block, block), borderType=cv2.BORDER_REFLECT)
        out.append(block_mean(d, GHOST_CELL))
    return np.stack(out)


def local_variance(y: NDArray[np.float32], block: int) -> NDArray[np.float32]:
    """[ceil(H/8), ceil(W/8)]: the variance of ``y`` over the sliding ``block`` window, per 8x8
    cell, as :func:`ghost_differences` samples: how much content a location has for a quantiser
    to remove, whatever its compression history."""
    mean = cv2.boxFilter(y, -1, (block, block), borderType=cv2.BORDER_REFLECT)
    square = cv2.boxFilter(y * y, -1, (block, block), borderType=cv2.BORDER_REFLECT)
    return block_mean(np.maximum(square - mean * mean, 0.0), GHOST_CELL)


def ghost_maps(
    diffs: NDArray[np.float32],
    qualities: list[int],
    last_q: int | None,
    p: GhostParams,
    variance: NDArray[np.float32] | None = None,
) -> tuple[NDArray[np.float32], NDArray[np.float32], int | None, dict]:
    """Normalised differences [Q, h, w], the ghost contrast [h, w], q* (or None), statistics.
    A location is informative when its largest difference or its ``variance`` (the content's,
    :func:`local_variance`; None: the difference alone) reaches ``p.flat``."""
    lo, hi = diffs.min(axis=0), diffs.max(axis=0)
    informative = hi >= p.flat
    if variance is not None:
        informative |= variance >= p.flat
    norm = np.where(informative, (diffs - lo) / np.maximum(hi - lo, 1e-6), 0.0).astype(np.float32)
    n_inf = int(informative.sum())
    # Dips: a quality whose difference is below both neighbours' (Farid's ghost signature).
    dips: dict[int, float] = {}
    for i in range(1, len(qualities) - 1):
        q = qualities[i]
        if last_q is not None and q >= last_q - 2:
            continue
        depth = np.minimum(diffs[i - 1], diffs[i + 1]) - diffs[i]
        dip = (informative & (depth > 0.05 * (hi - lo))).astype(np.uint8)
        if p.dip_patch > 1:  # scattered single cells are the curves' noise, not a ghost
            dip = cv2.morphologyEx(dip, cv2.MORPH_OPEN, np.ones((p.dip_patch, p.dip_patch)))
        dips[q] = float(dip.sum()) / max(n_inf, 1)
    q_star = max(dips, key=lambda q: dips[q]) if dips else None
    if q_star is not None and dips[q_star] < p.min_dip_share:
        q_star = None
    if q_star is None or n_inf == 0:
        contrast = np.zeros(lo.shape, np.float32)
    else:
        at = norm[qualities.index(q_star)]
        med = float(np.median(at[informative]))
        contrast = np.where(informative, np.minimum(np.abs(at - med) * 2.0, 1.0), 0.0)
    stats = {
        "dip_share": {str(q): round(v, 4) for q, v in dips.items()},
        "informative_share": round(n_inf / max(informative.size, 1), 4),
    }
    return norm, contrast.astype(np.float32), q_star, stats


@register_analysis(
    "jpeg-ghost",
    GhostParams(),
    method="JPEG ghosts: normalised recompression difference over a range of qualities",
    source="H. Farid, 'Exposing Digital Forgeries from JPEG Ghosts', IEEE TIFS 4(1), 2009",
    version="10",  # 10: the no-ghost warning says "pasted so that it does not line up with
    # the 8x8 grid", not "pasted off it" (an idiom; only the words changed);
    # 9: no map and no meaning when no ghost is found (a map of zeros read as
    # a measurement, "p99 0.00 raw"); the warning says only the file's own 8x8 grid was tried;
    # 8: no finding and no map on an image under ghost_floor (24 px a side):
    # a single 8x8 cell's any dip was the whole image, 8x8 PNGs "resaved at about 70";
    # 7: a finding says what the ghost found: the quality, over how much of
    # the image, whole-image recompression or a region (was the map's label alone);
    # 6: an RGB-coded JPEG's own quality as jpeg-tables 4 estimates it (each of
    # its tables against IJG's luma table: G's was, R's and B's against the chroma table);
    # 5: flat only where the content's variance is low too (textured regions
    # compressed coarsely before were blanked as flat); 4: an RGB-coded JPEG's green
    # component (it has no Y; failed before);
    # 3: the file's own quality from the table Y's selector names, not table 0
    description="JPEG ghost contrast at the image's dominant earlier quality; one layer per quality",
    needs_file=True,
)
def jpeg_ghost(evidence: Evidence, p: GhostParams, ctx: Context) -> Output:
    qualities = p.quality_list()
    refusal = cmyk_refusal(evidence)
    if refusal is not None:
        return Output(extras={"qualities": qualities, "ghost_quality": None}, warnings=(refusal,))
    y, img, component = _stored_luma(evidence, ctx)
    match = _last_quality(img)
    last_q = None if match is None else match.quality
    floor = ghost_floor(p)
    if min(y.shape) < floor:
        need = (
            f"the ghost counts dips in patches of {p.dip_patch} x {p.dip_patch} cells of "
            f"{GHOST_CELL} px and averages over {p.block} px: at least {floor} px a side; "
            "no map"
        )
        return Output(
            findings=(too_small("jpeg", evidence.height, evidence.width, need),),
            extras={
                "qualities": qualities,
                "ghost_quality": None,
                "plane": PLANES[component],
                "last_quality": last_q,
                "min_side": floor,
            },
        )
    diffs = ghost_differences(y, qualities, p.block, ctx)
    variance = local_variance(y, p.block)
    norm, contrast, q_star, stats = ghost_maps(diffs, qualities, last_q, p, variance)
    ctx.step(len(qualities), len(qualities) + 1)
    sh, sw = y.shape
    full = orient(upsample_cells(contrast, GHOST_CELL, sh, sw), evidence.orientation)
    layers = tuple(
        AnalysisMap(
            name=f"ghost-q{q}",
            meaning=MapMeaning(
                scale=MapScale.RAW,
                label=f"normalised recompression difference at quality {q}",
                unit="0 = this location's smallest difference over the qualities, 1 = largest",
                high="differs more from its recompression at this quality (low: a ghost)",
            ),
            values=values,
            cell=cell,
        )
        for i, q in enumerate(qualities)
        for values, cell in [orient_cells(norm[i], GHOST_CELL, (sh, sw), evidence.orientation)]
    )
    warnings = () if q_star is not None else (no_ghost_warning(evidence.format == "JPEG"),)
    findings = () if q_star is None else (ghost_finding(q_star, stats, last_q),)
    return Output(
        findings=findings,
        map=None if q_star is None else full,
        meaning=None
        if q_star is None
        else MapMeaning(
            scale=MapScale.RAW,
            label=f"JPEG ghost contrast at quality {q_star}"
            + ": |normalised difference - image median| x 2"
            + ("" if component == 0 else f", of the {PLANES[component]}"),
            unit="0 = as the image's median location, 1 = half the normalised range or more",
            high="differs from most of the image in its compression history at that quality",
        ),
        layers=layers,
        extras={
            "qualities": qualities,
            "ghost_quality": q_star,
            "plane": PLANES[component],
            "last_quality": last_q,
            "last_quality_exact": None if match is None else match.exact,
            **stats,
        },
        warnings=warnings,
    )


# --- aligned double quantisation -----------------------------------------------------------


@dataclass(frozen=True)
class DqParams:
    n_freqs: int = 20  # AC coefficients (zig-zag order, DC excluded) examined
    q1_max: int = 40  # largest first quantisation step tried per coefficient
    min_gain: float = 8.0  # a frequency counts when its mixture beats H0 by min_gain x ln(N)
    min_gain_per_block: float = 0.1  # ... and by this many nats per block: with 10^5 blocks
    # tiny model mismatches pass any significance test (22 of 53 camera originals did; their
    # best per-block gain was <= 0.064, true double compression gives 0.3-1)
    min_alpha: float = 0.2  # ... and at least this share of blocks follow the double model
    clip: float = 4.0  # each frequency's per-block log-likelihood ratio is clipped to +-clip
    neighbourhood: int = 3  # blocks per side over which the ratio is averaged (1 = none)

    def __post_init__(self) -> None:
        if not 1 <= self.n_freqs <= 63:
            raise ValueError(f"n_freqs must be in [1, 63], got {self.n_freqs}")
        if self.q1_max < 2 or self.neighbourhood < 1 or self.clip <= 0:
            raise ValueError("q1_max >= 2, neighbourhood >= 1 and clip > 0 are required")


@dataclass(frozen=True)
class _FreqFit:
    index: int  # zig-zag index
    q2: int
    q1: int
    alpha: float
    gain: float  # log-likelihood gain of the mixture over H0, per ln(N)
    used: bool


_EPS = 1e-6
DQ_MIN_SIDE = 16  # px: 2 x 2 blocks, and one block of the grid shifted by 4 for calibration.
# Smaller files were refused with "no luma table or image too small", a warning; the fit's
# own margins keep it from any finding well above: measured 2026-12-06 on crops of 12 camera
# photographs reduced 4x, saved at 70 then 90 (36 a size), a notice from 48 px up only
# (22 of 36 at 48, none at 16-32); saved once at 90, none at 16-96 px


def _hist_prob(values: NDArray[np.int64], lo: int, hi: int) -> NDArray[np.float64]:
    """Probability of each integer lo..hi (outliers clipped to the ends), Laplace-smoothed."""
    h = np.bincount(np.clip(values, lo, hi) - lo, minlength=hi - lo + 1).astype(np.float64)
    h += 0.5
    return h / h.sum()


CALIBRATION_SAMPLES = 65536  # calibration coefficients used per frequency (a fixed subsample)


def _fit_frequency(
    x: NDArray[np.int64], u: NDArray[np.float32], q2: int, p: DqParams
) -> tuple[int, float, float, NDArray[np.float64], NDArray[np.float64], int]:
    """Best Q1 for one coefficient: (q1, alpha, gain, log p0, log p1, lo) over the value range.

    x: the observed quantised values (one per block); u: calibration coefficients that stand
    for the unquantised ones. The mixture weight is fitted by EM on the histogram of ``x``,
    for every candidate Q1 at once.
    """
    if u.size > CALIBRATION_SAMPLES:
        u = u[:: -(-u.size // CALIBRATION_SAMPLES)]
    lim = int(max(np.abs(x).max(initial=0), 1))
    lo, hi = -lim, lim
    counts = np.bincount(np.clip(x, lo, hi) - lo, minlength=hi - lo + 1).astype(np.float64)
    n = float(counts.sum())
    p0 = _hist_prob(np.rint(u / q2).astype(np.int64), lo, hi)
    ll0 = float((counts * np.log(p0)).sum())
    q1s = [q1 for q1 in range(1, p.q1_max + 1) if q1 != q2]
    p1 = np.stack(
        [_hist_prob(np.rint(np.rint(u / q1) * (q1 / q2)).astype(np.int64), lo, hi) for q1 in q1s]
    )  # Q, bins
    alpha = np.full((len(q1s), 1), 0.5)
    for _ in range(50):  # EM for the mixture weights, one per candidate Q1
        mix = alpha * p1 + (1 - alpha) * p0
        new = (counts * (alpha * p1 / mix)).sum(axis=1, keepdims=True) / n
        done = np.abs(new - alpha).max() < 1e-5
        alpha = new
        if done:
            break
    ll = (counts * np.log(alpha * p1 + (1 - alpha) * p0)).sum(axis=1)
    gains = (ll - ll0) / math.log(max(n, 2.0))
    best = int(np.argmax(gains))
    if gains[best] <= 0.0:
        return q2, 0.0, 0.0, np.log(p0), np.log(p0), lo
    return q1s[best], float(alpha[best, 0]), float(gains[best]), np.log(p0), np.log(p1[best]), lo


@register_analysis(
    "jpeg-dq",
    DqParams(),
    method="aligned double JPEG quantisation (A-DJPG), per-block likelihood ratio",
    source="T. Bianchi, A. Piva, 'Image Forgery Localization via Block-Grained Analysis of "
    "JPEG Artifacts', IEEE TIFS 7(3), 2012 (simplified: coefficients from decoded pixels)",
    version="7",  # 7: the detected finding's note says many innocent resaves show it too
    # and that it found none in the 53 camera originals (it read "not a camera original" alone);
    # 6: under 16 px a side an information finding, too small to assess (was a
    # warning shared with a missing luma table); 5: a finding says what was found (first quality, on how many frequencies);
    # no map, a warning, when fewer than 4 frequencies fit (the map of 0 read "compressed twice");
    # 4: an RGB-coded JPEG's last quality described as jpeg-tables 4 does;
    # 3: an RGB-coded JPEG's green component by its own table (failed before);
    # 2: Y quantised by the table its selector names, not table 0
    description="probability that each 8x8 block was compressed once in a doubly compressed image",
    needs_file=True,
)
def jpeg_dq(evidence: Evidence, p: DqParams, ctx: Context) -> Output:
    total = p.n_freqs + 2
    ctx.step(0, total)
    if evidence.format != "JPEG":
        return Output(
            extras={"detected": False},
            warnings=(f"not a JPEG ({evidence.format}): no quantisation table to test",),
        )
    refusal = cmyk_refusal(evidence)
    if refusal is not None:
        return Output(extras={"detected": False}, warnings=(refusal,))
    y, img, component = _stored_luma(evidence, ctx)
    assert img is not None
    tables = read_tables(img)
    luma = luma_table(img, component)
    sh, sw = y.shape
    if min(sh, sw) < DQ_MIN_SIDE:
        need = (
            "the test reads 8x8 blocks and a calibration grid shifted by 4 px: at least "
            f"{DQ_MIN_SIDE} px a side; no map"
        )
        return Output(
            findings=(too_small("jpeg", evidence.height, evidence.width, need),),
            extras={"detected": False, "min_side": DQ_MIN_SIDE},
        )
    if luma not in tables:
        return Output(
            extras={"detected": False},
            warnings=(f"no quantisation table for the {PLANES[component]}: not tested",),
        )
    q2t = tables[luma]
    coef = block_dct(y - 128.0)  # by, bx, 8, 8
    calib = block_dct(y[4:, 4:] - 128.0)  # the grid shifted by 4: ~unquantised statistics
    by, bx = coef.shape[:2]
    ctx.step(1, total)
    llr = np.zeros((by, bx), np.float64)
    fits: list[_FreqFit] = []
    for i, (r, c) in enumerate(ZIGZAG[1 : p.n_freqs + 1]):
        q2 = int(q2t[r, c])
        x = np.rint(coef[:, :, r, c] / q2).astype(np.int64)
        q1, alpha, gain, lp0, lp1, lo = _fit_frequency(x.ravel(), calib[:, :, r, c].ravel(), q2, p)
        n_blocks = x.size
        per_block = gain * math.log(max(n_blocks, 2)) / max(n_blocks, 1)
        used = gain >= p.min_gain and per_block >= p.min_gain_per_block and alpha >= p.min_alpha
        fits.append(_FreqFit(i + 1, q2, q1, round(alpha, 4), round(gain, 3), used))
        if used:
            idx = np.clip(x, lo, lo + lp0.size - 1) - lo
            llr += np.clip(lp1[idx] - lp0[idx], -p.clip, p.clip)
        ctx.step(i + 2, total)
    used = [f for f in fits if f.used]
    detected = len(used) >= MIN_DQ_FREQUENCIES
    if detected:
        if p.neighbourhood > 1:
            llr = cv2.blur(llr, (p.neighbourhood, p.neighbourhood), borderType=cv2.BORDER_REFLECT)
        prob_single = (1.0 / (1.0 + np.exp(np.clip(llr, -50, 50)))).astype(np.float32)
    else:
        prob_single = np.zeros((by, bx), np.float32)
    cells = np.zeros((-(-sh // 8), -(-sw // 8)), np.float32)
    cells[:by, :bx] = prob_single
    if detected:  # partial border blocks (outside the 8x8 grid) borrow their neighbour's value
        cells[by:, :] = cells[by - 1 : by, :] if by > 0 else 0
        cells[:, bx:] = cells[:, bx - 1 : bx] if bx > 0 else 0
    q1_quality = _q1_quality([(ZIGZAG[f.index], f.q1) for f in used])
    ctx.step(total, total)
    return Output(
        map=orient(upsample_cells(cells, 8, sh, sw), evidence.orientation) if detected else None,
        meaning=MapMeaning(
            scale=MapScale.PROBABILITY,
            label="probability that the 8x8 block was compressed once, in an image "
            "compressed twice (equal priors)"
            + ("" if component == 0 else f"; of the {PLANES[component]}"),
            unit="probability",
            high="lacks the trace of the first compression that the rest of the image shows",
        )
        if detected
        else None,
        findings=dq_findings(len(used), p.n_freqs, q1_quality),
        warnings=()
        if detected
        else (
            f"no aligned double compression found ({len(used)} of {p.n_freqs} frequencies fit "
            f"one, under {MIN_DQ_FREQUENCIES}): no map; a first save at a finer quality than "
            "the last, or on another 8x8 grid, leaves no trace this test sees",
        ),
        extras={
            "detected": detected,
            "frequencies_tested": p.n_freqs,
            "plane": PLANES[component],
            "frequencies_used": len(used),
            "first_quality_estimate": q1_quality,
            "last_quality": _describe(_last_quality(img)),
            "fits": [
                {
                    "zigzag": f.index,
                    "q2": f.q2,
                    "q1": f.q1,
                    "alpha": f.alpha,
                    "gain_per_ln_n": f.gain,
                    "used": f.used,
                }
                for f in fits
            ],
        },
    )


def _describe(match: TableMatch | None) -> str | None:
    return None if match is None else match.describe()


def _q1_quality(steps: list[tuple[tuple[int, int], int]]) -> int | None:
    """The IJG quality whose luma table has the estimated first steps at most positions."""
    if not steps:
        return None
    best, best_hits = None, 0
    for q in range(1, 101):
        t = ijg_table(IJG_LUMA, q)
        hits = sum(int(t[r, c] == q1) for (r, c), q1 in steps)
        if hits > best_hits:
            best, best_hits = q, hits
    return best if best_hits >= max(2, len(steps) // 2) else None
