"""The copy-move analysis's keypoint detector: SIFT self-matches and the transforms they support.

I. Amerini, L. Ballan, R. Caldelli, A. Del Bimbo, G. Serra, "A SIFT-based forensic method for
copy-move attack detection and transformation recovery", IEEE TIFS 6(3), 2011: SIFT keypoints
(OpenCV ``cv2.SIFT_create``, RootSIFT descriptors) matched against the image itself with the
generalised 2-nearest-neighbour test (g2NN), matches between nearby points dropped; transforms
(similarity: rotation, scale, translation) found by repeated RANSAC, each removing its inliers
(instead of Amerini's explicit clustering). The exact nearest neighbours come from matrix
products (:func:`knn_rows`), and only the descriptors that can pass the g2NN test's first step
get them (:func:`g2nn_candidates`).
"""

from __future__ import annotations

import itertools
import math

import cv2
import numpy as np
from numpy.typing import NDArray

from engine.analyses._clone_params import Candidate, CloneParams


def _root_sift(desc: NDArray[np.float32]) -> NDArray[np.float32]:
    """RootSIFT (Arandjelović and Zisserman 2012): L1-normalise, square root."""
    d = desc / np.maximum(desc.sum(axis=1, keepdims=True), 1e-7)
    return np.sqrt(d).astype(np.float32)


def knn_self(
    desc: NDArray[np.float32], k: int, chunk: int = 2048
) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """Exact k nearest neighbours (L2) of every descriptor among all, itself included.

    [N, k] indices and distances, nearest first (:func:`knn_rows` for all rows).
    """
    return knn_rows(desc, np.arange(len(desc)), k, chunk)


def knn_rows(
    desc: NDArray[np.float32], rows: NDArray[np.int64], k: int, chunk: int = 2048
) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """Exact k nearest neighbours (L2) of ``desc[rows]`` among all descriptors, itself included.

    [len(rows), k] indices and distances, nearest first. Squared distances come from one
    matrix product per chunk of rows (BLAS), several times faster than OpenCV's brute-force
    matcher for thousands of keypoints, and as exact.
    """
    n = len(desc)
    sq = (desc * desc).sum(axis=1)
    idx = np.empty((len(rows), k), np.int64)
    dist = np.empty((len(rows), k), np.float32)
    for s in range(0, len(rows), chunk):
        r = rows[s : s + chunk]
        d2 = sq[r, None] + sq[None, :] - 2.0 * (desc[r] @ desc.T)
        part = (
            np.argpartition(d2, k - 1, axis=1)[:, :k]
            if k < n
            else np.tile(np.arange(n), (len(d2), 1))
        )
        pd = np.take_along_axis(d2, part, axis=1)
        order = np.argsort(pd, axis=1, kind="stable")
        idx[s : s + chunk] = np.take_along_axis(part, order, axis=1)
        dist[s : s + chunk] = np.sqrt(np.maximum(np.take_along_axis(pd, order, axis=1), 0.0))
    return idx, dist


def g2nn_candidates(
    desc: NDArray[np.float32], ratio: float, chunk: int = 2048
) -> NDArray[np.int64]:
    """Indices of the descriptors that can pass the first g2NN step: d_1 < ratio * d_2.

    The g2NN test stops at the first neighbour whose distance is not clearly below the next
    one's, so a descriptor whose nearest other neighbour fails it yields no match at all, and
    most do (on a 1.2 MP photograph about 98 %). Their two nearest distances come from one
    matrix product per chunk of rows and two row minima, far cheaper than a partial sort of
    every row; only the survivors go to :func:`knn_self`. Exact: the same keypoints pass.
    """
    n = len(desc)
    sq = (desc * desc).sum(axis=1)
    keep = []
    buf = np.empty((min(chunk, n), n), np.float32)  # one buffer, reused: no page faults
    dt = np.ascontiguousarray(desc.T)
    # -2 a.b as (-2 a).b: scaling by a power of two is exact in every product and partial sum,
    # so the block holds the same values as -2 x (a.b) without a pass of its own over it
    twice = desc * np.float32(-2.0)
    for s in range(0, n, chunk):
        rows = np.arange(s, min(s + chunk, n))
        r = np.arange(len(rows))
        # |a - b|^2 = |a|^2 + |b|^2 - 2 a.b; the row's |a|^2 is added after the minima
        d2 = buf[: len(rows)]
        np.matmul(twice[rows], dt, out=d2)
        d2 += sq[None, :]
        d2[r, rows] = np.inf  # itself is not a neighbour
        j1 = np.argmin(d2, axis=1)
        m1 = d2[r, j1]
        d2[r, j1] = np.inf
        m2 = d2.min(axis=1)
        d1 = np.sqrt(np.maximum(m1 + sq[rows], 0.0))
        dn = np.sqrt(np.maximum(m2 + sq[rows], 0.0))
        keep.append(rows[d1 < ratio * dn])
    return np.concatenate(keep) if keep else np.zeros(0, np.int64)


def keypoint_matches(
    gray: NDArray[np.uint8], p: CloneParams
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """g2NN self-matches of SIFT keypoints: ([M, 2] points, [M, 2] their matches), one per pair."""
    sift = cv2.SIFT_create(nfeatures=p.max_keypoints, contrastThreshold=p.sift_contrast)
    kps, desc = sift.detectAndCompute(gray, None)
    empty = np.zeros((0, 2), np.float32)
    if desc is None or len(kps) < 3:
        return empty, empty
    pts = np.array([k.pt for k in kps], np.float32)
    desc = _root_sift(desc)
    rows = g2nn_candidates(desc, p.g2nn_ratio)
    if rows.size == 0:
        return empty, empty
    idx, dist = knn_rows(desc, rows, min(p.g2nn_k + 1, len(kps)))
    pairs: set[tuple[int, int]] = set()
    for r, i in enumerate(rows):
        others = [(int(j), float(d)) for j, d in zip(idx[r], dist[r], strict=True) if j != i]
        for (j, dj), (_, dnext) in itertools.pairwise(others):
            if dj >= p.g2nn_ratio * dnext:
                break
            if np.hypot(*(pts[i] - pts[j])) > p.min_distance:
                pairs.add((min(i, j), max(i, j)))
    if not pairs:
        return empty, empty
    ij = np.array(sorted(pairs), np.int64)
    return pts[ij[:, 0]], pts[ij[:, 1]]


def _similarity_ok(t: NDArray[np.float64], p: CloneParams) -> bool:
    scale = math.sqrt(abs(np.linalg.det(t[:, :2])))
    return 1.0 / p.max_scale <= scale <= p.max_scale


def keypoint_candidates(
    a: NDArray[np.float32], b: NDArray[np.float32], p: CloneParams
) -> list[Candidate]:
    """Transforms supported by at least ``min_inliers`` matches, found by repeated RANSAC.

    Each match enters in both directions (which copy is the source is unknown); a transform
    found removes its inlier matches in both directions before the next RANSAC.
    """
    src = np.concatenate([a, b])
    dst = np.concatenate([b, a])
    pair_id = np.concatenate([np.arange(len(a)), np.arange(len(a))])
    alive = np.ones(len(src), bool)
    out: list[Candidate] = []
    # OpenCV 4's RANSAC samples with a generator of its own, seeded alike at every call (the
    # thread's generator, which this seeds, is not read: tests/engine/analyses/
    # test_repeatable.py), so its transforms are the same from run to run; the seed stays in
    # case another OpenCV version samples from the thread's generator
    cv2.setRNGSeed(12345)
    for _ in range(p.max_transforms * 2):
        if alive.sum() < p.min_inliers or len(out) >= p.max_transforms:
            break
        s, d = src[alive], dst[alive]
        t, inl = _ransac(s, d, p)
        if t is None or inl is None or int(inl.sum()) < p.min_inliers:
            break
        inl = inl.ravel().astype(bool)
        ids = pair_id[alive][inl]
        alive &= ~np.isin(pair_id, ids)
        t = t.astype(np.float64)
        s, d = s[inl], d[inl]
        if _near_half_turn(t):
            t, s, d = _one_direction(t, s, d, p)
        if not _similarity_ok(t, p):
            continue
        out.append(Candidate(t=t, src=s, dst=d, detector="keypoints"))
    return out


def _ransac(
    s: NDArray[np.float32], d: NDArray[np.float32], p: CloneParams
) -> tuple[NDArray[np.float64] | None, NDArray[np.uint8] | None]:
    """A similarity from ``s`` to ``d`` by RANSAC and its inlier marks (None, None: none)."""
    return cv2.estimateAffinePartial2D(
        s,
        d,
        method=cv2.RANSAC,
        ransacReprojThreshold=p.ransac_threshold,
        maxIters=2000,
        confidence=0.995,
    )


HALF_TURN_DEG = 20.0  # a transform turned this close to 180° is refitted one way round


def _near_half_turn(t: NDArray[np.float64]) -> bool:
    angle = math.degrees(math.atan2(t[1, 0], t[0, 0]))
    return abs(abs(angle) - 180.0) < HALF_TURN_DEG


def _one_direction(
    t: NDArray[np.float64], s: NDArray[np.float32], d: NDArray[np.float32], p: CloneParams
) -> tuple[NDArray[np.float64], NDArray[np.float32], NDArray[np.float32]]:
    """A half turn's transform refitted on its matches taken one way round.

    Every match enters RANSAC in both directions, and a half turn is its own inverse: for a
    copy turned by 176° RANSAC settled on the exact point reflection, which fits both
    directions within its threshold (the candidate read 180.0°), and the dense verification
    of that wrong transform dropped it (distinctness -0.06 to -0.11). Each match is oriented
    from one copy towards the other (along the main axis of the matches' displacements) and
    RANSAC runs again on those; the first fit stands when the refit finds too little."""
    v = (d - s).astype(np.float64)
    _, vecs = np.linalg.eigh(v.T @ v)
    forward = v @ vecs[:, -1] >= 0  # the main axis of the displacements, one way
    a = np.where(forward[:, None], s, d)
    b = np.where(forward[:, None], d, s)
    keep = np.unique(np.concatenate([a, b], axis=1), axis=0, return_index=True)[1]
    a, b = a[np.sort(keep)], b[np.sort(keep)]
    if len(a) < p.min_inliers:
        return t, s, d
    t2, inl = _ransac(a, b, p)
    if t2 is None or inl is None or int(inl.sum()) < p.min_inliers:
        return t, s, d
    inl = inl.ravel().astype(bool)
    return t2.astype(np.float64), a[inl], b[inl]
