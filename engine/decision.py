"""Image-level decisions from a heatmap (and an image logit where the network has one).

Two rules, chosen per checkpoint (``DecisionRule.rule``):

- ``forged_fraction`` (CRFD-Net §3.4): mask = heatmap > pixel threshold; the forged fraction p
  is the share of mask pixels; the image is manipulated when p > θ. θ is calibrated as
  (p_real_max + p_fake_min) / 2 by ``forensic-train calibrate`` and stored in the checkpoint with
  its provenance. The rule gives no probability, so the *score* reported for it is
  p / (p + θ): monotone in p (rankings and AUC are those of p), exactly 0.5 at the calibrated
  threshold, and above 0.5 exactly when the verdict is "manipulated".
- ``logit``: the image is manipulated when sigmoid(image logit) > θ; the score is that
  sigmoid. On an image larger than one window the network gives one logit per window;
  ``aggregate`` says how they become the image logit (:func:`aggregate_logits`): the largest
  (``max``, what the bundled models did before issue 17) rises with the number of windows, so
  an authentic 12 MP photograph of 165 windows scored far above the same camera's 1 MP one;
  the mean (``mean``) does not, and ranked CASIA images as well (docs/VERDICTS.md).

Neither rule means what its measured reliability says on an image much smaller than those it
was trained and measured on: the figures behind θ come from images of 256 px and more on their
short side, and on CASIA validation images reduced to 128 px and less the false alarms rise
and the detections fall to chance or below (docs/VERDICTS.md, "Images too small for a
verdict"). So a verdict
on an image whose short side is below :func:`min_verdict_side` carries ``out_of_range``
(:func:`verdict_range`): still computed, never presented without that mark.

Each rule has a *statistic* (:func:`statistic`): the image logit, or the logit of the forged
fraction. It is what a calibration (:mod:`engine.calibration`) turns into a probability and
what a stacked ensemble weighs, because unlike the score it does not depend on θ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

# The pixel thresholds a trainer tries when it chooses a checkpoint's pixel threshold on validation
# data (trainer.calibrate for whole images, trainer.face_model for face crops): 0.05 to 0.95.
PIXEL_GRID = tuple(float(t) for t in np.round(np.arange(0.05, 0.96, 0.05), 2))

MANIPULATED = "manipulated"
AUTHENTIC = "authentic"
RULES = ("forged_fraction", "logit")
AGGREGATES = ("max", "mean")
FRACTION_FLOOR = 1e-4  # forged fractions are clipped to [floor, 1 - floor] before their logit


# The smallest short side (pixels) on which the bundled networks' verdicts still behaved as
# measured at full size: 3/4 of the short side of the images they were trained and measured on
# (CASIA's 384 x 256). On CASIA validation images reduced to 192 px both kept their full-size
# false-alarm and detection counts within two images of 37; at 128 px the false alarms rose
# from 12 to 18 of 37 (crfd-net-compact) and from 2 to 8 (diffforensics-effl0, whose image AUC
# fell below 0.5): bench/small_images.py, docs/VERDICTS.md ("Images too small for a verdict").
MIN_VERDICT_SIDE = 192
# A network never trained on less than its window: below 3/4 of it an image is mostly padding.
MIN_SIDE_OF_WINDOW = 0.75


def min_verdict_side(window: int) -> int:
    """The smallest short side (pixels) of an image whose verdict is within the measured range,
    for a network trained on ``window``-pixel windows of CASIA-scale images: the larger of
    :data:`MIN_VERDICT_SIDE` (the training images' scale, which every bundled network learnt;
    a reduced image shows its content at another scale) and :data:`MIN_SIDE_OF_WINDOW` of the
    window (a network with a window larger than 256 px sees a smaller image mostly padded)."""
    return max(MIN_VERDICT_SIDE, round(MIN_SIDE_OF_WINDOW * int(window)))


def verdict_range(shape: tuple[int, int], min_side: int) -> dict[str, int] | None:
    """``{"short_side": s, "min_side": min_side}`` when the image of ``shape`` ([H, W]) has a
    short side below ``min_side`` (its verdict is outside the measured range), else None."""
    short = int(min(shape[0], shape[1]))
    return {"short_side": short, "min_side": int(min_side)} if short < min_side else None


@dataclass(frozen=True)
class Decision:
    score: float
    verdict: str
    forged_fraction: float


def forged_fraction(mask: NDArray[np.bool_]) -> float:
    """Share of mask pixels in the image (CRFD-Net's p)."""
    return float(mask.mean()) if mask.size else 0.0


def fraction_score(p: float, theta: float) -> float:
    """p / (p + θ): the forged-fraction rule's score in [0, 1] (see module docstring)."""
    if theta <= 0.0:
        return 1.0 if p > 0.0 else 0.0
    return float(p / (p + theta))


def sigmoid(x: float) -> float:
    return float(1.0 / (1.0 + np.exp(-np.clip(x, -60.0, 60.0))))


def decide(
    rule: str,
    mask: NDArray[np.bool_],
    threshold: float,
    image_logit: float | None = None,
) -> Decision:
    """Apply ``rule`` with threshold θ; ``mask`` is the heatmap thresholded at the pixel threshold."""
    p = forged_fraction(mask)
    if rule == "forged_fraction":
        manipulated = p > threshold
        score = fraction_score(p, threshold)
    elif rule == "logit":
        if image_logit is None:
            raise ValueError("the 'logit' rule needs a network with an image logit")
        score = sigmoid(image_logit)
        manipulated = score > threshold
    else:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    return Decision(
        score=score, verdict=MANIPULATED if manipulated else AUTHENTIC, forged_fraction=p
    )


def threshold_applies_to(rule: str, score: float, forged_fraction: float) -> float:
    """The figure of a result (its ``score`` and ``forged_fraction``) that θ is compared with
    under ``rule``: the forged fraction for the forged-fraction rule (its score, p / (p + θ),
    passes 0.5 where p passes θ, not θ), the score for every other: the logit rule's σ(image
    logit) (not the logit), an ensemble's (rule ``"ensemble"``) fused or stacked score, under
    the face rule the larger of that and the flagged face's score moved onto θ's scale
    (:meth:`engine.ensemble.Ensemble.with_faces`). The verdict is "manipulated" exactly when
    that figure is above θ."""
    return forged_fraction if rule == "forged_fraction" else score


def aggregate_logits(logits: NDArray[np.floating], how: str) -> float:
    """The image logit from per-window logits (see module docstring)."""
    values = np.asarray(logits, dtype=np.float64).ravel()
    if values.size == 0:
        raise ValueError("no window logits to aggregate")
    if how == "max":
        return float(values.max())
    if how == "mean":
        return float(values.mean())
    raise ValueError(f"aggregate must be one of {AGGREGATES}, got {how!r}")


def statistic(rule: str, forged: float, image_logit: float | None) -> float:
    """The θ-free quantity behind a rule's score: the image logit (``logit``) or
    logit(clip(forged fraction)) (``forged_fraction``)."""
    if rule == "logit":
        if image_logit is None:
            raise ValueError("the 'logit' rule needs a network with an image logit")
        return float(image_logit)
    p = min(max(float(forged), FRACTION_FLOOR), 1.0 - FRACTION_FLOOR)
    return float(np.log(p / (1.0 - p)))


def midpoint_threshold(
    p_real: NDArray[np.floating], p_fake: NDArray[np.floating]
) -> dict[str, float]:
    """θ candidates of CRFD-Net Table 3 from forged fractions of authentic and forged images.

    p_real: forged fractions of authentic (training) images; p_fake: of forged (validation)
    images. Returns p_real_max, p_fake_min and their midpoint ``theta``.
    """
    p_real = np.asarray(p_real, dtype=np.float64)
    p_fake = np.asarray(p_fake, dtype=np.float64)
    if p_real.size == 0 or p_fake.size == 0:
        raise ValueError(
            f"calibration needs authentic and forged images, got {p_real.size} and {p_fake.size}"
        )
    real_max, fake_min = float(p_real.max()), float(p_fake.min())
    return {"p_real_max": real_max, "p_fake_min": fake_min, "theta": (real_max + fake_min) / 2.0}


# How far a decision's figure moved when the same command ran on another processor
# (docs/RESULTS.md, "Reproducing a result": 12 files, AVX-512 against oneDNN/OpenVINO kept to
# AVX2 by ONEDNN_MAX_CPU_ISA=AVX2, 2026-12-05), rounded up: a verdict whose figure lies closer
# to θ than this may differ on another processor. An int8 network (crfd-net-compact as its
# bundled int8 OpenVINO model) moved its forged fraction by up to 0.0045 and its score by
# 0.0043; the default verdict's stacked probability, whose ensemble has that member, 4.4e-4;
# the fp32 networks' scores 4e-8 (and 4e-7 with another PyTorch thread count). Not measured:
# fp16 (CUDA autocast), and another runtime or the exact path, which are other computations
# (recorded in each result) and move figures further (0.034, 0.046: docs/BENCHMARKS.md).
INT8_BOUND = 0.005
INT8_ENSEMBLE_BOUND = 0.0005
FP32_BOUND = 1e-6


def margin_bound(rule: str, precision: str) -> float | None:
    """The cross-processor bound (above) of a result of ``rule`` made at ``precision`` (a
    result's ``precision``; an ensemble's joins its members', ``int8 + fp32``); None when none
    was measured for it (fp16, an unknown precision)."""
    parts = {p.strip() for p in str(precision).split("+")}
    if "int8" in parts:
        return INT8_ENSEMBLE_BOUND if rule == "ensemble" else INT8_BOUND
    if parts and parts <= {"fp32"}:
        return FP32_BOUND
    return None


def decision_margin(
    rule: str, score: float, forged_fraction: float, threshold: float, precision: str
) -> dict[str, Any]:
    """``{"margin", "near_threshold", "margin_bound"}`` of a decision: its figure
    (:func:`threshold_applies_to`) minus θ (above 0: "manipulated"), the bound of
    :func:`margin_bound`, and whether the figure lies within it of θ (None: no bound measured
    for this precision)."""
    margin = float(threshold_applies_to(rule, score, forged_fraction)) - float(threshold)
    bound = margin_bound(rule, precision)
    near = None if bound is None else abs(margin) < bound
    return {"margin": margin, "near_threshold": near, "margin_bound": bound}
