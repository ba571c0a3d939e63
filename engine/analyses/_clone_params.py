"""The copy-move analysis's settings and the candidate types its stages pass on.

``CloneParams`` holds every threshold of the pipeline in ``engine.analyses.clone`` (working
resolution, both detectors, the dense verification, the lattice and frame tests); a
``Candidate`` is a proposed transform with the points that support it (from
``_clone_keypoints`` or ``_clone_blocks``), a ``Verified`` one with the copies that the dense
verification found for it (``_clone_dense``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class CloneParams:
    max_side: int = 1536  # working resolution: longest side in pixels (larger images shrink)
    # keypoints
    keypoints: bool = True  # run the SIFT detector
    # SIFT keeps the strongest this many: 16,000 since 2026-12-06 (version 6); at 8,000 a 120-px
    # copy in a 12 MP photograph was lost among 24k keypoints of its busiest texture (ANALYSES.md)
    max_keypoints: int = 16000
    sift_contrast: float = (
        0.02  # SIFT contrastThreshold (OpenCV default 0.04: too few on small images)
    )
    g2nn_ratio: float = 0.5  # generalised 2NN: accept neighbour i while d_i / d_(i+1) < ratio
    g2nn_k: int = 8  # neighbours examined per keypoint
    min_distance: float = 12.0  # working px: matches and shifts closer than this are ignored
    ransac_threshold: float = 3.0  # working px: RANSAC inlier reprojection error
    min_inliers: int = 6  # keypoint matches supporting a transform (tuned on CASIA train)
    max_transforms: int = 8  # transforms tried per detector
    max_scale: float = 3.0  # accept scale factors in [1 / max_scale, max_scale] (2 missed a
    # CASIA validation copy shrunk to 0.48; 3 flagged no more validation photographs)
    # blocks
    blocks: bool = True  # run the dense block detector (translations)
    block: int = 8  # block side (working px)
    block_max_side: int = 768  # block matching runs at most at this longest side
    block_min_std: float = 4.0  # blocks flatter than this (grey levels) never vote
    block_quant: float = 3.0  # feature quantisation step (grey levels of the block mean)
    block_neighbours: int = 4  # sorted-list neighbours compared per block
    block_min_votes: int = 30  # blocks voting for a shift before it is proposed
    # dense verification
    highpass_sigma: float = 4.0  # correlate image minus its Gaussian blur of this σ (0: raw)
    ncc_sigma: float = 2.5  # Gaussian window of the local correlation (working px)
    ncc_threshold: float = 0.8  # local correlation at which a pixel surely belongs to a copy
    grow_threshold: float = 0.5  # ... and to which a copy grows from those pixels
    unique_shift: float = 2.0  # px: the transform shifted by this must correlate clearly less
    min_distinct: float = 0.0  # ... by this mean margin over a keypoint transform's copies
    block_min_distinct: float = 0.4  # ... and over a block shift's (flat areas and straight
    # edges match themselves under many shifts: block proposals need a clear margin)
    block_min_area: float = 0.01  # share of the working image each copy of a block shift covers
    block_seed_margin: float = 0.1  # a block shift whose distinctness at its voting blocks
    # (seed_margin) is below this is dropped before the dense maps: spurious shifts measured
    # -0.07 to -0.26, copies about 0.5 (the dense test then asks 0.4 over the region); -1: off
    min_std: float = 2.0  # pixels flatter than this (grey levels) in both copies cannot correlate
    min_correlation: float = 0.0  # a pair's mean correlation must reach this (0.75: stricter,
    # on CASIA train authentic false alarms 1.5 % -> 0.8 %, copy-moves flagged 84 % -> 78 %)
    max_periodic: float = 0.5  # reject a pair whose copies also correlate one more step along
    # the transform at more than this share of their own correlation (a lattice); 0: off
    periodic_min_inside: float = 0.2  # ... read over the copy's pixels that step stays inside
    # the image when at least this share does (else those outside count 0)
    lattice_max_correlation: float = 0.8  # a pair in a 2-D lattice (its transform composes
    # with two other pairs', their copies not the same regions) whose correlation is below this
    # is a repeat of a physical pattern, not a copy (_clone_repeats.lattice_members); 0: off.
    # Chosen on CASIA's training part: lattice repeats of fabric prints 0.67-0.78, a forger's tiling of
    # grass 0.79-0.81, a pasted disc along a lattice vector 0.91
    lattice_shift_tol: float = 6.0  # working px: T3 composes T1 and T2 when T1∘T2's shift is
    # this close to T3's (linear parts within 0.05)
    lattice_clique_iou: float = 0.4  # ... unless each copy of the three pairs is (IoU >= this)
    # a copy of another of them: three copies of one region (a forger's double paste)
    max_fill: float = 0.6  # reject a pair whose copies each cover at least this share of the
    # area where the image overlaps its own copy under T (_clone_repeats.fills_frame): a
    # pattern that repeats to the frame, not a pasted region with an outline of its own; 0:
    # off. CASIA training: fabric prints 0.76-0.99, copy-moves at most 0.37 (their
    # least-filling pair)
    fill_min_area: float = 0.05  # ... when each copy is at least this share of the image (a
    # small copy moved to the far corner fills the small area that overlaps there)
    min_area: float = 0.0015  # each copy must cover this share of the working image ...
    min_area_px: int = 120  # ... and at least this many working pixels

    def __post_init__(self) -> None:
        if self.max_side < 64 or self.block_max_side < 64:
            raise ValueError("max_side and block_max_side must be >= 64")
        if not 0.0 < self.g2nn_ratio < 1.0:
            raise ValueError(f"g2nn_ratio must be in (0, 1), got {self.g2nn_ratio}")
        if not -1.0 < self.ncc_threshold < 1.0:
            raise ValueError(f"ncc_threshold must be in (-1, 1), got {self.ncc_threshold}")
        if self.block < 4 or self.min_inliers < 3 or self.max_scale < 1.0:
            raise ValueError("block >= 4, min_inliers >= 3 and max_scale >= 1 are required")


@dataclass
class Candidate:
    """A transform T (2x3, working px) taking source points onto target points, with support."""

    t: NDArray[np.float64]
    src: NDArray[np.float32]  # [N, 2] support points on the source side
    dst: NDArray[np.float32]  # [N, 2] on the target side
    detector: str


@dataclass
class Verified:
    """A candidate with its two copies (target: where T maps the source) and their figures."""

    cand: Candidate
    target: NDArray[np.bool_]  # working-resolution masks
    source: NDArray[np.bool_]
    correlation: float
    distinct: float
