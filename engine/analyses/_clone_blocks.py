"""The copy-move analysis's block detector: translations voted for by matching DCT blocks.

J. Fridrich, D. Soukal, J. Lukáš, "Detection of copy-move forgery in digital images", DFRWS
2003; A. C. Popescu, H. Farid, TR2004-515: every overlapping block described by its
low-frequency DCT coefficients (computed for all blocks at once as separable filters),
quantised, sorted lexicographically; neighbours in the sorted list that lie far apart vote for
their shift vector; shifts with enough votes are proposed as translations. This finds copies in
areas with too few keypoints (it cannot follow rotation or scaling).
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from engine.analyses._clone_params import Candidate, CloneParams


def block_features(gray: NDArray[np.float32], block: int) -> NDArray[np.float32]:
    """[H - b + 1, W - b + 1, 6] low-frequency DCT coefficients of every b x b block.

    Coefficients (0,0) (the mean), (0,1), (1,0), (1,1), (0,2), (2,0), each a separable filter
    (cosine rows times cosine columns), scaled so that all are in grey levels.
    """
    n = np.arange(block)
    basis = [np.cos((2 * n + 1) * u * np.pi / (2 * block)).astype(np.float32) for u in range(3)]
    basis = [v / np.abs(v).sum() for v in basis]  # each filter averages: grey-level units
    out = []
    for u, v in ((0, 0), (0, 1), (1, 0), (1, 1), (0, 2), (2, 0)):
        f = cv2.sepFilter2D(
            gray, cv2.CV_32F, basis[v], basis[u], anchor=(0, 0), borderType=cv2.BORDER_CONSTANT
        )
        out.append(f[: gray.shape[0] - block + 1, : gray.shape[1] - block + 1])
    return np.stack(out, axis=-1)


def _scatter(i: NDArray[np.uint64]) -> NDArray[np.int64]:
    """9 well-mixed bits of each integer (the splitmix64 finaliser): a repeatable shuffle."""
    x = i * np.uint64(0x9E3779B97F4A7C15)
    x ^= x >> np.uint64(31)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    return (x >> np.uint64(55)).astype(np.int64)


def block_candidates(gray: NDArray[np.float32], p: CloneParams) -> list[Candidate]:
    """Translations voted for by many pairs of similar, far-apart, textured blocks."""
    h, w = gray.shape
    if min(h, w) < 2 * p.block:
        return []
    feats = block_features(gray, p.block)
    g2 = cv2.sepFilter2D(
        gray * gray,
        cv2.CV_32F,
        np.ones(p.block, np.float32) / p.block,
        np.ones(p.block, np.float32) / p.block,
        anchor=(0, 0),
        borderType=cv2.BORDER_CONSTANT,
    )[: h - p.block + 1, : w - p.block + 1]
    std = np.sqrt(np.maximum(g2 - feats[..., 0] ** 2, 0.0))
    ys, xs = np.nonzero(std >= p.block_min_std)
    if len(ys) < 2:
        return []
    q = np.clip(np.rint(feats[ys, xs] / p.block_quant), -255, 255).astype(np.int64)  # N, 6
    # One int64 key per block: six 9-bit features, then 9 bits of a position hash so that
    # blocks with equal features sort in scattered order (in raster order every flat area
    # would vote for the same small horizontal shifts).
    key = np.zeros(len(ys), np.int64)
    for j in range(q.shape[1]):
        key = (key << 9) | (q[:, j] + 256)
    key = (key << 9) | _scatter(ys.astype(np.uint64) * np.uint64(w) + xs.astype(np.uint64))
    order = np.argsort(key)
    ys, xs = ys[order], xs[order]
    # the features as 6 rows [6, N]: the test below reduces over the short axis, which numpy
    # does as 6 vectorised passes (over [N, 6]'s last axis it looped per block, 7x slower)
    qt = q[order].T.astype(np.int16, order="C")
    dy_all, dx_all, src_idx = [], [], []
    for k in range(1, p.block_neighbours + 1):
        same = np.all(np.abs(qt[:, k:] - qt[:, :-k]) <= 1, axis=0)
        dy = ys[k:] - ys[:-k]
        dx = xs[k:] - xs[:-k]
        far = dy * dy + dx * dx >= p.min_distance**2
        sel = np.nonzero(same & far)[0]
        dy, dx = dy[sel], dx[sel]
        flip = (dx < 0) | ((dx == 0) & (dy < 0))  # one sign per shift: s and -s are one copy
        src = np.where(flip, sel + k, sel)
        dy_all.append(np.where(flip, -dy, dy))
        dx_all.append(np.where(flip, -dx, dx))
        src_idx.append(src)
    if not dy_all:
        return []
    dy = np.concatenate(dy_all)
    dx = np.concatenate(dx_all)
    src = np.concatenate(src_idx)
    if dy.size == 0:
        return []
    # Votes in a shift histogram (dx >= 0, dy any); a copy's votes spread over neighbouring
    # shifts after JPEG, so votes are summed over 3 x 3 shifts and peaks taken.
    nx, ny = int(dx.max()) + 2, int(dy.max() - dy.min()) + 3
    y0 = int(dy.min()) - 1
    acc = np.bincount((dy - y0) * nx + dx, minlength=nx * ny).reshape(ny, nx).astype(np.float32)
    votes = cv2.boxFilter(acc, -1, (3, 3), normalize=False, borderType=cv2.BORDER_CONSTANT)
    peak = (votes >= p.block_min_votes) & (votes >= cv2.dilate(votes, np.ones((5, 5), np.uint8)))
    py, px = np.nonzero(peak)
    order = np.argsort(-votes[py, px], kind="stable")[: p.max_transforms]
    out: list[Candidate] = []
    half = p.block / 2.0
    for i in order:
        sx, sy = int(px[i]), int(py[i]) + y0
        members = (np.abs(dx - sx) <= 1) & (np.abs(dy - sy) <= 1)
        sp = np.stack([xs[src[members]] + half, ys[src[members]] + half], axis=1).astype(np.float32)
        t = np.array([[1.0, 0.0, float(sx)], [0.0, 1.0, float(sy)]])
        shift = np.array([sx, sy], np.float32)
        out.append(Candidate(t=t, src=sp, dst=sp + shift, detector="blocks"))
    return out
