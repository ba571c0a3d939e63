"""The copy-move analysis's dense verification: the image correlated with its warped self.

W. Pan and S. Lyu, "Region duplication detection using image feature matching", IEEE TIFS 5(4),
2010: the local zero-mean normalised cross-correlation (Gaussian window) of the image with its
copy warped by a proposed transform T (:func:`match_map`), thresholded with hysteresis and kept
where it holds the detector's support, cleaned morphologically (:func:`copy_region`), with the
copy's distinctness (T against T shifted a little); :func:`seed_margin` is the same
distinctness read at the support points only, a cheap early verdict on a block shift. Also the
affine helpers the repeat tests share (:func:`invert`, :func:`shifted`).
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from numpy.typing import NDArray

from engine.analyses._clone_params import CloneParams


def local_ncc(
    a: NDArray[np.float32], b: NDArray[np.float32], sigma: float, min_std: float
) -> NDArray[np.float32]:
    """Zero-mean normalised cross-correlation of a and b in a Gaussian window, per pixel.

    Where both are flatter than ``min_std`` the correlation is undefined and set to 0.
    """
    blur = lambda x: cv2.GaussianBlur(x, (0, 0), sigma)  # noqa: E731
    ma, mb = blur(a), blur(b)
    va = np.maximum(blur(a * a) - ma * ma, 0.0)
    vb = np.maximum(blur(b * b) - mb * mb, 0.0)
    cov = blur(a * b) - ma * mb
    ncc = cov / np.sqrt(va * vb + 1e-6)
    flat = (va < min_std**2) | (vb < min_std**2)
    return np.where(flat, 0.0, ncc).astype(np.float32)


def invert(t: NDArray[np.float64]) -> NDArray[np.float64]:
    return cv2.invertAffineTransform(t).astype(np.float64)


def shifted(t: NDArray[np.float64], dx: float, dy: float) -> NDArray[np.float64]:
    out = t.copy()
    out[0, 2] += dx
    out[1, 2] += dy
    return out


def match_map(
    gray: NDArray[np.float32],
    t: NDArray[np.float64],
    p: CloneParams,
    box: tuple[int, int, int, int],
) -> NDArray[np.float32]:
    """Local correlation of the image with its copy warped by T, inside ``box`` (x0, y0, x1, y1):
    high at x where the image matches itself at T^-1(x)."""
    x0, y0, x1, y1 = box
    warped = cv2.warpAffine(
        gray,
        shifted(t, -x0, -y0),
        (x1 - x0, y1 - y0),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REFLECT,
    )
    return local_ncc(gray[y0:y1, x0:x1], warped, p.ncc_sigma, p.min_std)


def copy_region(
    gray: NDArray[np.float32],
    t: NDArray[np.float64],
    seeds: NDArray[np.float32],
    p: CloneParams,
    min_px: float = 0.0,
) -> tuple[NDArray[np.bool_], float, float]:
    """Pixels x where the image matches itself at T^-1(x), grown from ``seeds`` (points of x).

    Core pixels correlate at ``ncc_threshold`` or more and the region grows into connected
    pixels at ``grow_threshold`` or more (hysteresis), which restores the border that the
    correlation window blurs. Returns the region, its mean correlation and its distinctness:
    the mean margin of the correlation at T over the best correlation at T shifted by
    ``unique_shift`` pixels in four directions. A copy's texture matches at T only; a straight
    edge or a smooth ramp also matches along itself and so has a low distinctness.
    """
    h, w = gray.shape
    none = np.zeros((h, w), bool), 0.0, 0.0
    # Work in a window around the seeds (3x their extent, at least 64 px of margin): copies lie
    # around their support, and a 12 MP image then costs little more than a small one.
    pad = max(64.0, float(np.ptp(seeds[:, 0])), float(np.ptp(seeds[:, 1])))
    x0 = int(max(seeds[:, 0].min() - pad, 0))
    y0 = int(max(seeds[:, 1].min() - pad, 0))
    x1 = int(min(seeds[:, 0].max() + pad + 1, w))
    y1 = int(min(seeds[:, 1].max() + pad + 1, h))
    win = (slice(y0, y1), slice(x0, x1))
    ncc = match_map(gray, t, p, (x0, y0, x1, y1))
    wh, ww = y1 - y0, x1 - x0
    valid = cv2.warpAffine(
        np.ones((h, w), np.uint8),
        shifted(t, -x0, -y0),
        (ww, wh),
        flags=cv2.INTER_NEAREST,
        borderValue=0,
    ).astype(bool)
    inv = invert(t)
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    sx = inv[0, 0] * xx + inv[0, 1] * yy + inv[0, 2]
    sy = inv[1, 0] * xx + inv[1, 1] * yy + inv[1, 2]
    ok = valid & ((sx - xx) ** 2 + (sy - yy) ** 2 >= p.min_distance**2)
    core = (ncc >= p.ncc_threshold) & ok
    sx_i = np.clip(np.rint(seeds[:, 0]).astype(int) - x0, 0, ww - 1)
    sy_i = np.clip(np.rint(seeds[:, 1]).astype(int) - y0, 0, wh - 1)
    n, labels = cv2.connectedComponents(core.astype(np.uint8), connectivity=8)
    if n <= 1:
        return none
    keep = np.unique(labels[sy_i, sx_i])
    core = np.isin(labels, keep[keep > 0])
    if not core.any():
        return none
    grow = ((ncc >= p.grow_threshold) & ok) | core
    n, labels = cv2.connectedComponents(grow.astype(np.uint8), connectivity=8)
    keep = np.unique(labels[core])
    part = np.isin(labels, keep[keep > 0])
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    part = cv2.morphologyEx(part.astype(np.uint8), cv2.MORPH_CLOSE, kernel).astype(bool)
    part = _fill_holes(part)
    part = cv2.morphologyEx(
        part.astype(np.uint8),
        cv2.MORPH_OPEN,
        cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)),
    ).astype(bool)
    if not part.any() or part.sum() < min_px:  # too small: no need for the rivals
        return none
    at_t = ncc[part]
    # Rivals read inside the region only, so they are computed on the region's bounding box
    # grown by the Gaussian window's reach (clipped to the window): inside the region every
    # value is the one the whole window gives (the warp is pointwise, the blur's support is
    # inside the grown box or meets the same window border), at a fraction of the cost.
    ys, xs = np.nonzero(part)
    reach = int(np.ceil(4 * p.ncc_sigma)) + 2
    bx0, by0 = max(int(xs.min()) - reach, 0), max(int(ys.min()) - reach, 0)
    bx1, by1 = min(int(xs.max()) + reach + 1, ww), min(int(ys.max()) + reach + 1, wh)
    inner = part[by0:by1, bx0:bx1]
    # The rival shift is unique_shift pixels of the copied content at its own (smaller)
    # scale: on the enlarged side of a scaled copy the content is smooth at 2 px, and a
    # fixed 2 px there rejected true copies (CASIA copies shrunk to 0.4-0.5).
    d = p.unique_shift * max(1.0, math.sqrt(abs(np.linalg.det(t[:, :2]))))
    rivals = [
        match_map(gray, shifted(t, dx, dy), p, (x0 + bx0, y0 + by0, x0 + bx1, y0 + by1))[inner]
        for dx, dy in ((d, 0), (-d, 0), (0, d), (0, -d))
    ]
    rival = np.max(rivals, axis=0)
    region = np.zeros((h, w), bool)
    region[win] = part
    return region, float(at_t.mean()), float((at_t - rival).mean())


def _fill_holes(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Fill the holes of a binary mask (background not connected to the border)."""
    h, w = mask.shape
    flood = np.zeros((h + 2, w + 2), np.uint8)
    flood[1:-1, 1:-1] = mask
    ff_mask = np.zeros((h + 4, w + 4), np.uint8)
    cv2.floodFill(flood, ff_mask, (0, 0), 1)
    return mask | (flood[1:-1, 1:-1] == 0)


def seed_margin(
    gray: NDArray[np.float32], t: NDArray[np.float64], seeds: NDArray[np.float32], p: CloneParams
) -> float:
    """The distinctness of :func:`copy_region`, read only at (up to 256 of) the seeds.

    The same Gaussian-window correlation of the image with its copy warped by T, and by T
    shifted ``unique_shift`` pixels four ways, but in one window per seed (sampled with
    ``cv2.remap``) instead of dense maps over the support's whole extent: a cheap early
    verdict on a proposal. Spurious block shifts (straight edges, smooth areas matching
    themselves) show a negative margin at their voting blocks, a copy a clearly positive one.
    """
    n = min(256, len(seeds))
    pts = seeds[np.linspace(0, len(seeds) - 1, n).astype(int)].astype(np.float64)
    r = math.ceil(2 * p.ncc_sigma)
    gy, gx = np.mgrid[-r : r + 1, -r : r + 1].astype(np.float64)
    k = np.exp(-(gx * gx + gy * gy) / (2 * p.ncc_sigma**2))
    k /= k.sum()
    side = 2 * r + 1
    px = pts[:, 0, None, None] + gx  # N, side, side: target-side pixels around each seed
    py = pts[:, 1, None, None] + gy

    def sample(mx: NDArray[np.float64], my: NDArray[np.float64]) -> NDArray[np.float64]:
        out = cv2.remap(
            gray,
            mx.reshape(n * side, side).astype(np.float32),
            my.reshape(n * side, side).astype(np.float32),
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REFLECT,
        )
        return out.reshape(n, side, side).astype(np.float64)

    a = sample(px, py)
    ma = (k * a).sum(axis=(1, 2))
    va = np.maximum((k * a * a).sum(axis=(1, 2)) - ma * ma, 0.0)

    def ncc_at(tt: NDArray[np.float64]) -> NDArray[np.float64]:
        i = invert(tt)
        b = sample(i[0, 0] * px + i[0, 1] * py + i[0, 2], i[1, 0] * px + i[1, 1] * py + i[1, 2])
        mb = (k * b).sum(axis=(1, 2))
        vb = np.maximum((k * b * b).sum(axis=(1, 2)) - mb * mb, 0.0)
        cov = (k * a * b).sum(axis=(1, 2)) - ma * mb
        flat = (va < p.min_std**2) | (vb < p.min_std**2)
        return np.where(flat, 0.0, cov / np.sqrt(va * vb + 1e-6))

    d = p.unique_shift
    at = ncc_at(t)
    rival = np.max(
        [ncc_at(shifted(t, dx, dy)) for dx, dy in ((d, 0), (-d, 0), (0, d), (0, -d))], axis=0
    )
    return float((at - rival).mean())
