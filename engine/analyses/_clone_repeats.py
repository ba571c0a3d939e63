"""The copy-move analysis's tests for repeated structure: copies in the pixel sense, not a forger's.

Repeated textures, printed patterns and a checkerboard match themselves under a shift as a copy
does. The lattice test (:func:`periodic`) looks one step further along T and half a step. A
pattern whose period is too long for a third repeat to fit in the image passes that test, but
repeats along two directions: pairs whose transforms compose (v3 = v1 + v2) over copies that
are not the same regions, and that match less well than a digital copy does, are dropped as a
2-D lattice (:func:`lattice_members`), and a pair whose copies fill the area where the image
overlaps its own shifted copy is a pattern that goes on beyond the frame
(:func:`fills_frame`). Issue 17: together they clear 6 of the 8 authentic CASIA training images
with a pair (fabric prints) and lose none of the 269 training copy-moves found.
"""

from __future__ import annotations

import itertools
import math

import cv2
import numpy as np
from numpy.typing import NDArray

from engine.analyses._clone_dense import invert, match_map, shifted
from engine.analyses._clone_params import CloneParams, Verified


def iou(a: NDArray[np.bool_], b: NDArray[np.bool_]) -> float:
    """Intersection over union of two masks; 0 when both are empty."""
    u = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / u) if u else 0.0


def _compose(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    """The 2x3 affine of "b, then a"."""
    m = a[:, :2] @ b[:, :2]
    return np.concatenate([m, (a[:, :2] @ b[:, 2:] + a[:, 2:])], axis=1)


def periodic(
    gray: NDArray[np.float32],
    t: NDArray[np.float64],
    target: NDArray[np.bool_],
    source: NDArray[np.bool_],
    p: CloneParams,
) -> float:
    """How well the copies also match one more step along T (T∘T beyond the target, T^-1∘T^-1
    before the source): a lattice (printed pattern, tiles, barcodes) continues, a copy-move
    does not. Mean correlation over each copy (pixels mapped outside the image count 0), the
    larger of the two. A copy more than half as long as the image in the step's direction
    mostly maps outside it; when at least ``periodic_min_inside`` of it stays inside, the
    mean is read over those pixels only (a checkerboard shifted by half its width was a
    CASIA false pair: counted as 0, its outside half hid the lattice). Half a step too (the
    similarity H with H∘H = T, :func:`_half_step`): a texture repeated three times across the
    image pairs its first and last copies by two periods, whose double step leaves the image
    but whose half step is the period."""
    h, w = gray.shape
    out = 0.0
    half = _half_step(t)
    steps = [(_compose(t, t), target), (_compose(invert(t), invert(t)), source)]
    if half is not None:
        steps += [(half, target), (invert(half), source)]
    for k, (step, region) in enumerate(steps):
        ys, xs = np.nonzero(region)
        if k < 2 and _moves_less(step, xs, ys, p.min_distance):
            # T∘T of a half turn is (about) the identity: the copy compared with itself read
            # 0.99, and every copy turned by 180° was taken for a lattice
            continue
        m = int(3 * p.ncc_sigma) + 2
        box = (
            max(int(xs.min()) - m, 0),
            max(int(ys.min()) - m, 0),
            min(int(xs.max()) + m + 1, w),
            min(int(ys.max()) + m + 1, h),
        )
        ncc = match_map(gray, step, p, box)
        valid = cv2.warpAffine(
            np.ones((h, w), np.uint8),
            shifted(step, -box[0], -box[1]),
            (box[2] - box[0], box[3] - box[1]),
            flags=cv2.INTER_NEAREST,
            borderValue=0,
        ).astype(bool)
        sub = region[box[1] : box[3], box[0] : box[2]]
        inside = valid[sub]
        if inside.mean() >= p.periodic_min_inside:  # enough of the copy to read: its mean there
            out = max(out, float(ncc[sub][inside].mean()))
        else:
            out = max(out, float(np.where(valid, ncc, 0.0)[sub].mean()))
    return out


def _moves_less(step: NDArray[np.float64], xs: NDArray, ys: NDArray, d: float) -> bool:
    """Whether ``step`` moves every point (xs, ys) by less than ``d`` px: no other place to
    compare with (a pair's copies are at least ``min_distance`` apart)."""
    pts = np.stack([xs, ys], axis=1).astype(np.float64)
    moved = pts @ step[:, :2].T + step[:, 2] - pts
    return bool(np.hypot(moved[:, 0], moved[:, 1]).max() < d)


def _overlap_fill(
    t: NDArray[np.float64], target: NDArray[np.bool_], source: NDArray[np.bool_]
) -> float:
    """The smaller of the shares that each copy covers of the pixels where it can lie: the
    target of those x whose T^-1(x) is inside the image, the source of those whose T(x) is.

    A pasted region has an outline of its own and covers a small part of that area (CASIA's
    training copy-moves: at most 0.37 for the least-filling pair of an image). A pattern whose
    period is too long for a third repeat (:func:`periodic` then sees nothing) matches itself
    wherever the image can be compared with its shifted self: its copies reach the frame and
    fill that area (CASIA's fabric prints 0.76-0.99), the repeat continuing beyond the frame.
    """
    h, w = target.shape
    ones = np.ones((h, w), np.uint8)
    out = 1.0
    for m, region in ((t, target), (invert(t), source)):
        can = cv2.warpAffine(ones, m, (w, h), flags=cv2.INTER_NEAREST, borderValue=0).astype(bool)
        out = min(out, float((region & can).sum() / max(int(can.sum()), 1)))
    return out


def fills_frame(v: Verified, p: CloneParams) -> bool:
    """A pattern repeating to the frame (:func:`_overlap_fill` at least ``max_fill``, both
    copies at least ``fill_min_area`` of the image); False when ``max_fill`` is 0."""
    h, w = v.target.shape
    if p.max_fill <= 0 or min(v.target.sum(), v.source.sum()) < p.fill_min_area * h * w:
        return False
    return _overlap_fill(v.cand.t, v.target, v.source) >= p.max_fill


def _half_step(t: NDArray[np.float64]) -> NDArray[np.float64] | None:
    """The similarity H (half the rotation, the square root of the scale) with H∘H = T; None
    when T's linear part is not a similarity or H + I cannot be inverted."""
    a = t[:, :2]
    scale = math.sqrt(abs(np.linalg.det(a)))
    if scale == 0 or not np.allclose(a / scale @ (a / scale).T, np.eye(2), atol=0.05):
        return None
    angle = math.atan2(a[1, 0], a[0, 0]) / 2
    c, s = math.cos(angle) * math.sqrt(scale), math.sin(angle) * math.sqrt(scale)
    ah = np.array([[c, -s], [s, c]])
    m = ah + np.eye(2)
    if abs(np.linalg.det(m)) < 1e-6:
        return None
    bh = np.linalg.solve(m, t[:, 2])  # A_h b_h + b_h = b
    return np.concatenate([ah, bh[:, None]], axis=1)


def _same_transform(a: NDArray[np.float64], b: NDArray[np.float64], tol: float) -> bool:
    """Two 2x3 affines equal within 0.05 in their linear parts and ``tol`` px in their shifts,
    or one the inverse of the other (a pair has no direction)."""

    def close(x: NDArray[np.float64], y: NDArray[np.float64]) -> bool:
        return bool(
            np.abs(x[:, :2] - y[:, :2]).max() < 0.05 and np.hypot(*(x[:, 2] - y[:, 2])) < tol
        )

    return close(a, b) or close(a, invert(b))


def lattice_members(found: list[Verified], p: CloneParams) -> set[int]:
    """Indices of the pairs that make up a 2-D lattice with two others.

    A printed pattern repeats along two directions: its pairs' transforms compose (T3 = T1∘T2,
    shifts v3 = v1 + v2), and each pair covers the stretch of pattern that happens to align
    under its own shift, so the copies of different pairs overlap in part or not at all. The
    one-step lattice test (:func:`periodic`) cannot see such a lattice when the period is a
    large share of the image (CASIA's fabric prints: a period of 290 px in a 384 px image, no
    third repeat inside). A forger who pastes one region twice also makes three pairs whose
    transforms compose (A to B, A to C, B to C), but their copies are the same three regions:
    triples in which every copy is (IoU >= ``lattice_clique_iou``) a copy of another pair of
    the triple are not a lattice. The caller keeps a lattice member whose correlation reaches
    ``lattice_max_correlation``: a forger's exact tiling, or a copy pasted along a lattice
    vector, matches better than two prints of a pattern do.
    """
    n = len(found)
    if n < 3:
        return set()
    tol = p.lattice_shift_tol
    ts = [v.cand.t for v in found]
    members: set[int] = set()
    for i, j, k in itertools.combinations(range(n), 3):
        if (
            _same_transform(ts[i], ts[j], tol)
            or _same_transform(ts[i], ts[k], tol)
            or _same_transform(ts[j], ts[k], tol)
        ):
            continue  # one copy found twice (keypoints and blocks): not three directions
        composes = any(
            _same_transform(_compose(a, b), ts[c], tol)
            for x, y, c in itertools.permutations((i, j, k))
            for a in (ts[x], invert(ts[x]))
            for b in (ts[y], invert(ts[y]))
        )
        if not composes:
            continue
        tri = (i, j, k)
        clique = all(
            min(
                max(iou(r, o) for m in tri if m != q for o in (found[m].source, found[m].target))
                for r in (found[q].source, found[q].target)
            )
            >= p.lattice_clique_iou
            for q in tri
        )
        if not clique:
            members |= set(tri)
    return members
