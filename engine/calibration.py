"""Calibrated confidence for image-level verdicts (issue 17).

A model's image score ranks images; it is not a probability. :class:`Calibration` maps it to
one: Platt scaling (J. Platt, "Probabilistic outputs for support vector machines", 1999), a
logistic curve p = σ(a·x + b) on the rule's statistic x (the image logit, or the logit of the
forged fraction: :func:`engine.decision.statistic`; for an ensemble the logit of its score), fitted on the validation part (CASIA
validation images and the calibration half of the camera photographs), never on the test part.
Platt rather than isotonic regression: about a hundred validation images give isotonic steps
too coarse to trust, and a two-parameter curve cannot overfit them.

What the probability means is stated with it: it is calibrated to the validation data's mix
(about as many tampered as authentic images), so it reads "of images like these, scored like
this, about p were tampered", not a posterior for a case with another base rate. Beside it the
calibration carries the measured reliability at the verdict's threshold on the **test** part
(the share of authentic camera photographs, authentic CASIA images and tampered CASIA images
that are flagged) and a reliability diagram (predicted vs observed per probability bin), which
the viewer, scan rows and reports show as sentences.

Stored as a plain dict (``Calibration.to_dict``) in a checkpoint's decision rule
(``DecisionRule.calibration``) or an ensemble file, so that a file describes itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from engine.metrics import roc_auc

EPS = 1e-6
RELIABILITY_BINS = 5


def logit(p: ArrayLike) -> np.ndarray:
    q = np.clip(np.asarray(p, dtype=np.float64), EPS, 1.0 - EPS)
    return np.log(q / (1.0 - q))


def sigmoid(x: ArrayLike) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(np.asarray(x, dtype=np.float64), -60.0, 60.0)))


def fit_logistic(
    x: ArrayLike, y: ArrayLike, *, l2: float = 1e-3, iterations: int = 100
) -> tuple[np.ndarray, float]:
    """Weights and bias of an L2-regularised logistic regression (Newton's method).

    x: [N, D] features; y: [N] labels in {0, 1}. The bias is not regularised. Returns ``(w [D],
    b)``. Deterministic; converges in a handful of steps on the few features used here.
    """
    X = np.asarray(x, dtype=np.float64)
    if X.ndim == 1:
        X = X[:, None]
    t = np.asarray(y, dtype=np.float64)
    if X.shape[0] != t.shape[0] or X.shape[0] == 0:
        raise ValueError(f"need matching, non-empty features and labels, got {X.shape}, {t.shape}")
    if not ((t == 0) | (t == 1)).all() or t.min() == t.max():
        raise ValueError("labels must be 0/1 and hold both classes")
    A = np.hstack([X, np.ones((X.shape[0], 1))])
    theta = np.zeros(A.shape[1])
    reg = np.full(A.shape[1], l2 * X.shape[0])
    reg[-1] = 0.0
    for _ in range(iterations):
        p = sigmoid(A @ theta)
        grad = A.T @ (p - t) + reg * theta
        hess = (A * (p * (1 - p))[:, None]).T @ A + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        theta -= step
        if np.abs(step).max() < 1e-10:
            break
    return theta[:-1], float(theta[-1])


@dataclass
class Reliability:
    """What the verdict's threshold does on the test part, and the reliability diagram.

    flagged: per group (e.g. ``authentic camera photographs``, ``authentic CASIA images``,
        ``tampered CASIA images``) ``[flagged, total]`` at the threshold.
    bins: reliability diagram on the test part: per probability bin ``[low, high, mean
        predicted, observed tampered share, images]``.
    split: which images these are, in words.

    An ensemble's record also carries what its card says of the same verdict (written by
    ``packaging/ensemble_figures.py``; empty for a checkpoint's), so that every result, and so
    every report, says it beside the counts:

    with_face_rule: per group ``[flagged, total]`` with the ensemble's face rule on, as the
        product runs it (a scan of the camera photographs); ``flagged`` is the stacked rule's.
    target: the share of the camera photographs' validation half θ was set to flag at most
        (``trainer.verdict.FALSE_ALARM_TARGET``), None when not stored.
    image_auc: ``[AUC, low, high]``, the 95 % bootstrap interval, on the test part.
    by_kind: per kind of tampered CASIA image (``splice``, ``copy-move``) the share flagged.
    mask_on_authentic: ``median`` and ``largest`` share of an authentic test-half camera
        photograph's pixels that the mask marks (every one a false alarm).
    optimistic: what the test part nonetheless took part in choosing, in words (the card's
        "Test part" caveat), "" when nothing.
    """

    flagged: dict[str, list[int]] = field(default_factory=dict)
    bins: list[list[float]] = field(default_factory=list)
    split: str = ""
    with_face_rule: dict[str, list[int]] = field(default_factory=dict)
    target: float | None = None
    image_auc: list[float] = field(default_factory=list)
    by_kind: dict[str, float] = field(default_factory=dict)
    mask_on_authentic: dict[str, float] = field(default_factory=dict)
    optimistic: str = ""

    def sentence(self) -> str:
        """The measured reliability as short facts, one sentence each and no final period
        (a reader with English as a second language read the single 208-word sentence with
        difficulty, walk-through 2026-12-06): :meth:`brief` first, then after :data:`DETAILS`
        every other figure of the record (:meth:`details`). ``Measured on the test part. False
        alarms: 1 of 26 authentic camera photographs (4 %) ...``."""
        brief = self.brief()
        if not brief:
            return "no measured reliability"
        details = self.details()
        if not details:
            return ". ".join(brief)
        return ". ".join(brief) + DETAILS + details[0][0].lower() + ". ".join(details)[1:]

    def brief(self) -> list[str]:
        """The few facts said wherever a verdict is (each a sentence without its period): where
        it was measured; the false alarms (with the face rule, as the product runs it, when
        those were counted); whether θ met its target; the manipulated images flagged; that
        the figures are optimistic. [] when nothing was counted."""
        authentic, manipulated = _split(self.flagged)
        if not authentic and not manipulated:
            return []
        out = [
            f"Measured at this threshold ({self.split})"
            if self.split
            else "Measured at this threshold"
        ]
        face_alarms = "; ".join(_counts(self.with_face_rule))  # camera photographs (scanned)
        if face_alarms:
            out.append(f"False alarms, with the face rule as the product runs it: {face_alarms}")
            if self.target is not None:
                out.append(_target_words(self.target, self.with_face_rule))
        elif authentic:
            out.append(f"False alarms: {authentic}")
        if manipulated:
            without = " (without the face rule)" if face_alarms else ""
            out.append(f"Manipulated images flagged{without}: {manipulated}")
        if self.optimistic:
            out.append("These test figures are optimistic")
        return out

    def details(self) -> list[str]:
        """The record's other figures (class docstring), each a sentence without its period:
        the stacked rule's own counts when the face rule's came first, the kinds of
        manipulation flagged, the image AUC, the mask on authentic photographs, why the
        figures are optimistic."""
        out = []
        if self.with_face_rule and (counts := _counts(self.flagged)):
            out.append("Without the face rule, it flags " + "; ".join(counts))
        if self.by_kind:
            kinds = " and ".join(f"{_pct(v, 1.0)} of {k}s" for k, v in self.by_kind.items())
            out.append(f"Of the manipulated CASIA images, it flags {kinds}")
        if len(self.image_auc) == 3:
            auc, lo, hi = self.image_auc
            out.append(f"Image AUC {auc:.3f} (95 % interval {lo:.2f}-{hi:.2f})")
        if {"median", "largest"} <= self.mask_on_authentic.keys():
            m = self.mask_on_authentic
            out.append(
                f"On authentic camera photographs (test half), its mask marks a median "
                f"{100 * m['median']:.1f} % of the pixels, up to {100 * m['largest']:.1f} %"
            )
            out.append("Every pixel marked there is a false alarm")
        if self.optimistic:
            out.append(f"Why these test figures are optimistic: {self.optimistic}")
        return out


# Opens the part of a reliability sentence that the models table gives in full and the
# places that repeat it per file may leave out (:func:`brief_reliability`); what is added to a
# sentence later goes before it (:func:`with_caveat`).
DETAILS = ". In more detail: "


def brief_reliability(text: str) -> str:
    """A reliability sentence without its :data:`DETAILS` (said once, in the models table)."""
    return text.split(DETAILS, 1)[0]


def reliability_details(text: str) -> str:
    """What :func:`brief_reliability` leaves out of a reliability sentence: the part after
    :data:`DETAILS`, "" when it has none."""
    return text.partition(DETAILS)[2]


def with_caveat(text: str, caveat: str) -> str:
    """``text`` (a reliability sentence) with ``caveat`` added to its brief part, before its
    :data:`DETAILS`, so that the brief part keeps every caveat."""
    head, sep, rest = text.partition(DETAILS)
    return head + caveat + sep + rest


def display_group(group: str) -> str:
    """A stored group's name as a reader sees it: "manipulated" for the outcome, as every
    verdict says it (the ensemble files store "tampered CASIA images")."""
    return group.replace("tampered", "manipulated")


def _split(flagged: dict[str, list[int]]) -> tuple[str, str]:
    """The authentic groups' counts and the others' (manipulated), each joined, "" when none."""
    authentic = _counts({g: c for g, c in flagged.items() if "authentic" in g})
    rest = _counts({g: c for g, c in flagged.items() if "authentic" not in g})
    return "; ".join(authentic), "; ".join(rest)


def _counts(flagged: dict[str, list[int]]) -> list[str]:
    """``4 of 30 authentic camera photographs (13 %)`` per group counted (n > 0)."""
    return [
        f"{k} of {n} {display_group(group)} ({_pct(k, n)})"
        for group, (k, n) in flagged.items()
        if n > 0
    ]


def _pct(k: float, n: float) -> str:
    return f"{100.0 * k / n:.0f} %"


def _target_words(target: float, counts: dict[str, list[int]]) -> str:
    """Whether θ met its false-alarm target: ``The target was at most 5 % ... not met: 4 of 30
    flagged`` ("missed with 4 of 30" had read as 4 photographs the check missed)."""
    over = [f"{k} of {n} flagged" for k, n in counts.values() if n > 0 and k / n > target]
    goal = (
        f"θ was set to flag at most {_pct(target, 1.0)} of the validation half's camera photographs"
    )
    if over:
        return f"{goal}. This target was not met here: {', '.join(over)}"
    return f"{goal}. This target was met here"


def counts_face_rule(data: dict[str, Any] | None) -> bool:
    """Whether a stored calibration's reliability counts the verdict with the face rule on
    (:attr:`Reliability.with_face_rule`): its sentence then needs no "counted without" caveat."""
    try:
        return bool(((data or {}).get("reliability") or {}).get("with_face_rule"))
    except AttributeError:
        return False


@dataclass
class Calibration:
    """Platt scaling of an image score, with the evidence behind it.

    a, b: p = σ(a · x + b), x the rule's statistic (module docstring).
    fitted_on: the validation images, in words.
    reliability: measured on the test part at the verdict's threshold (see :class:`Reliability`).
    """

    a: float
    b: float
    fitted_on: str = ""
    reliability: Reliability = field(default_factory=Reliability)
    method: str = "platt"

    def probability(self, statistic: float) -> float:
        return float(sigmoid(self.a * statistic + self.b))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Calibration | None:
        """The calibration stored in ``data``, or None when there is none or it is unusable: not
        finite, or a slope ``a <= 0`` (a higher score would read as less likely tampered; such
        a curve was stored by ``calibrate`` before 2026-12-05, :func:`platt_refusal`)."""
        if not data:
            return None
        try:
            a, b = float(data["a"]), float(data["b"])
            if (
                not (math.isfinite(a) and math.isfinite(b))
                or a <= 0.0  # a curve that runs backwards (platt_refusal): no probability
                or data.get("method", "platt") != "platt"
            ):
                return None
            reliability = _reliability(data.get("reliability") or {})
            return cls(a, b, str(data.get("fitted_on", "")), reliability)
        except (KeyError, TypeError, ValueError, IndexError):
            return None


def _reliability(rel: dict[str, Any]) -> Reliability:
    return Reliability(
        flagged=_group_counts(rel, "flagged"),
        bins=[[float(x) for x in row] for row in rel.get("bins", [])],
        split=str(rel.get("split", "")),
        with_face_rule=_group_counts(rel, "with_face_rule"),
        target=None if rel.get("target") is None else float(rel["target"]),
        image_auc=[float(x) for x in rel.get("image_auc", [])],
        by_kind={str(k): float(v) for k, v in dict(rel.get("by_kind", {})).items()},
        mask_on_authentic={
            str(k): float(v) for k, v in dict(rel.get("mask_on_authentic", {})).items()
        },
        optimistic=str(rel.get("optimistic", "")),
    )


def _group_counts(rel: dict[str, Any], key: str) -> dict[str, list[int]]:
    """``rel[key]``, per group ``[flagged, total]`` (:attr:`Reliability.flagged`,
    :attr:`Reliability.with_face_rule`), as ints; {} when absent."""
    return {str(k): [int(v[0]), int(v[1])] for k, v in dict(rel.get(key, {})).items()}


def reliability_sentence(data: dict[str, Any] | None) -> str:
    """The measured reliability stored with a calibration, in words ("" when none is stored
    or it cannot be read). Read even where :meth:`Calibration.from_dict` refuses the curve (a
    slope <= 0): what θ does on the test part was counted on the verdicts, not on the curve,
    so a model whose probability is refused still says how often its θ flags authentic
    photographs (m2f-swin-nano's stored curve runs backwards; its 3 of 30 stands)."""
    try:
        rel = (data or {}).get("reliability") or {}
        return _reliability(rel).sentence() if rel else ""
    except (AttributeError, TypeError, ValueError, IndexError):
        return ""


def mask_on_authentic(data: dict[str, Any] | None) -> dict[str, float] | None:
    """What the verdict's mask marks on authentic camera photographs (test half), as a stored
    calibration records it (:attr:`Reliability.mask_on_authentic`): ``{"median", "largest"}``,
    shares of the pixels; None when it records no such figure (a checkpoint's) or cannot be
    read. A result carries it beside its reliability sentence (``ModelResult.mask_on_authentic``)
    so that displays take the figure from here, not from the sentence's words."""
    try:
        m = _reliability((data or {}).get("reliability") or {}).mask_on_authentic
    except (AttributeError, TypeError, ValueError, IndexError):
        return None
    if not {"median", "largest"} <= m.keys():
        return None
    return {"median": m["median"], "largest": m["largest"]}


def face_rate_sentence(name: str, reliability: str) -> str:
    """The face model ``name``'s measured rates (``reliability``: its
    :func:`reliability_sentence`) as said beside the default verdict under the face rule,
    whose caveat (``engine.ensemble_provenance.FACE_RULE_CAVEAT``) promises them: each face
    the face model calls manipulated flags its photograph, so its own rate on authentic faces
    is what the rule adds. "" when its rates were not measured. The command line's closing lines say this
    sentence; the viewer's Verdict panel gives the same reliability in its faces section."""
    if not reliability:
        return ""
    return (
        f"face model {name}, whose every flagged face flags its photograph under the face "
        f"rule: {reliability}"
    )


# The fewest validation images of each class a calibration is fitted on. With fewer, one
# image's score swings the curve from "probably authentic" to "probably tampered" (4 tampered
# and 2 authentic images give the AUC 8 possible values), and the viewer would print that swing
# as a probability. The bundled models' calibrations stand on about a hundred images.
MIN_IMAGES_PER_CLASS = 5


# The start of ``pixel_threshold_choice`` when ``calibrate --pixel-threshold keep`` kept a
# threshold the calibration it replaced had chosen on validation data: "keep (calibrated DATE)".
KEPT_CALIBRATED = "keep (calibrated"


def pixel_threshold_calibrated(details: Mapping[str, Any]) -> bool:
    """Whether a checkpoint's ``decision.details`` record that its pixel threshold (the mask's)
    was chosen on validation data: ``calibrate --pixel-threshold auto`` records
    ``pixel_threshold_choice`` "auto" (trainer/calibrate.py; a later ``keep`` of that same
    threshold records :data:`KEPT_CALIBRATED` and a date, also calibrated; a plain ``keep``, a
    number given, and "keep (auto: no mask marks a pixel)" chose nothing), and ``face-model``, which always
    chooses it on its validation faces, records ``false_alarm_target`` (trainer/face_model.py)
    and no choice. False for fit's untuned default (0.5), a fine-tune's threshold kept from its
    start (``pixel_threshold_from``) and a checkpoint calibrated before ``auto`` existed
    (2026-11-22, the bundled crfd-net-compact's 0.5): their reports and the viewer call it the
    pixel threshold stored in the checkpoint, never a calibrated one (walk-through 2026-12-06)."""
    choice = details.get("pixel_threshold_choice")
    if choice is not None:
        return choice == "auto" or str(choice).startswith(KEPT_CALIBRATED)
    return "false_alarm_target" in details


def platt_refusal(
    statistics: ArrayLike, labels: ArrayLike, min_per_class: int = MIN_IMAGES_PER_CLASS
) -> str:
    """Why no Platt curve may be fitted on validation ``statistics`` and 0/1 ``labels``, in
    words ("" when one may): too few images of a class (``min_per_class``), or a statistic that
    does not rank tampered above authentic (image AUC <= 0.5: a fitted curve would run
    backwards, a high score reading "authentic" with a high probability)."""
    y = np.asarray(labels, dtype=np.int64).ravel()
    tampered, authentic = int((y == 1).sum()), int((y == 0).sum())
    if min(tampered, authentic) < max(min_per_class, 1):
        return (
            f"on the {y.size} validation images ({tampered} tampered, {authentic} authentic) "
            f"there are too few to calibrate (at least {min_per_class} of each class)"
        )
    auc = roc_auc(y == 1, np.asarray(statistics, dtype=np.float64).ravel())
    if not auc > 0.5:
        return (
            f"on the {y.size} validation images the score does not rank tampered above "
            f"authentic (AUC {auc:.2f})"
        )
    return ""


def fit_platt(statistics: ArrayLike, labels: ArrayLike, fitted_on: str = "") -> Calibration:
    """Platt scaling fitted on validation ``statistics`` (see module docstring) and 0/1 labels."""
    w, b = fit_logistic(np.asarray(statistics, dtype=np.float64), labels)
    return Calibration(a=float(w[0]), b=b, fitted_on=fitted_on)


def platt_or_refusal(
    statistics: ArrayLike, labels: ArrayLike, fitted_on: str = ""
) -> tuple[Calibration | None, str]:
    """:func:`fit_platt` on validation ``statistics`` and 0/1 ``labels`` and "", or None and
    why no curve may be stored: :func:`platt_refusal`'s reasons, or a slope <= 0 from a
    statistic that ranks right (the regularised fit can run flat or backwards all the same).
    ``calibrate``, ``verdict`` and ``face-model`` store no curve on None: a backwards curve
    read a tampered image as "authentic, p 0.99" (m2f-swin-nano's slope -0.457)."""
    if why := platt_refusal(statistics, labels):
        return None, why
    cal = fit_platt(statistics, labels, fitted_on)
    if cal.a <= 0:
        n = np.asarray(labels).size
        return None, f"the curve fitted on the {n} validation images has slope {cal.a:.3g}"
    return cal, ""


def refused_calibration(why: str, fitted_on: str, reliability: Reliability) -> dict[str, Any]:
    """What is stored in a calibration's place when :func:`platt_or_refusal` refuses one: no
    curve (:meth:`Calibration.from_dict` reads it as none: "not calibrated"), the images it
    would have been fitted on, why (``no_calibration``) and the reliability counted at θ, which
    :func:`reliability_sentence` still reads (the verdicts, not the curve, were counted)."""
    return {"fitted_on": fitted_on, "no_calibration": why, "reliability": asdict(reliability)}


def reliability_bins(
    probabilities: ArrayLike, labels: ArrayLike, bins: int = RELIABILITY_BINS
) -> list[list[float]]:
    """Reliability diagram rows ``[low, high, mean predicted, observed share, count]``,
    equal-width bins over [0, 1], each holding its lower edge (the last both), empty bins left
    out."""
    p = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    # i / bins, not np.linspace: its 0.6000000000000001 put a probability of 0.6 in 0.4-0.6
    edges = np.arange(bins + 1) / bins
    rows: list[list[float]] = []
    for i in range(bins):
        lo, hi = edges[i], edges[i + 1]
        sel = (p >= lo) & ((p < hi) if i < bins - 1 else (p <= hi))
        if sel.any():
            rows.append(
                [float(lo), float(hi), float(p[sel].mean()), float(y[sel].mean()), int(sel.sum())]
            )
    return rows


def flagged_counts(scores: Sequence[float], threshold: float) -> list[int]:
    s = np.asarray(scores, dtype=np.float64)
    return [int((s > threshold).sum()), int(s.size)]


def threshold_for_false_alarms(authentic_scores: ArrayLike, rate: float) -> float:
    """The smallest θ at which at most ``rate`` of ``authentic_scores`` lie above θ (a verdict
    flags a score strictly above θ, so θ is the highest score that must stay unflagged)."""
    s = np.sort(np.asarray(authentic_scores, dtype=np.float64))[::-1]
    if s.size == 0:
        raise ValueError("no authentic scores to set a threshold on")
    allowed = math.floor(rate * s.size + 1e-9)  # images that may stay above θ
    return 0.0 if allowed >= s.size else float(s[allowed])


def centred_in_gap(theta: float, scores: ArrayLike) -> float:
    """``theta`` moved up to the middle, on the logit scale, of the gap between it and the
    smallest of ``scores`` above it (unchanged when none is above, or θ is 0 or 1).

    :func:`threshold_for_false_alarms` returns a score that is itself a validation image's, so
    that image sits exactly on θ and stays unflagged only by the strict ">": a change in the
    last digits (another runtime, a GPU) flags it. In the middle of the gap every validation
    image keeps its side, with room on both; the logit scale because scores near 1 crowd there.
    """
    s = np.asarray(scores, dtype=np.float64)
    above = s[s > theta]
    if above.size == 0 or not 0.0 < theta < 1.0:
        return float(theta)
    hi = min(float(above.min()), 1.0 - 1e-12)
    odds = math.sqrt(theta / (1.0 - theta) * hi / (1.0 - hi))  # the mean of the two logits
    return odds / (1.0 + odds)
