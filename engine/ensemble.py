"""Weighted ensembles of models (``papers/mask2former-ddl.md`` §3.5, equation 6).

Y = Σ w_i · y_i / Σ w_i, applied separately to detection (the image-level score) and to
localization (the heatmap), each with its own weights; a weight of 0 leaves a model out of that
task. The paper's final configuration re-weights detection with Swin-S at 2.5 against Swin-T at
1 and takes localization from Swin-T alone.

An ensemble is a small JSON file, ``NAME.ensemble.json``::

    {"name": "m2f-ensemble",
     "members": [{"model": "m2f-swin-t", "detection_weight": 1.0, "localization_weight": 1.0},
                 {"model": "m2f-swin-s", "detection_weight": 2.5, "localization_weight": 0.0}],
     "threshold": 0.5, "pixel_threshold": 0.5,
     "description": "..."}

``model`` is a checkpoint name or a path relative to the ensemble file; weights are finite
numbers in [0, 1e6] (:data:`MAX_WEIGHT`), thresholds finite numbers in [0, 1]. The fused verdict is
"manipulated" when the fused score exceeds ``threshold``; every member's score is already on a
scale where its own verdict flips at 0.5 or at its calibrated θ (see ``engine.decision``).

Two optional blocks go beyond the paper (issue 17 and 19; docs/VERDICTS.md says why):

- ``"stacking": {"bias": b, "weights": {"crfd-net-compact": w1, "analysis:clone": w2, ...},
  "fitted_on": "..."}``: detection by logistic regression instead of equation 6. The score is
  σ(b + Σ w_k · x_k), where x_k is a member's θ-free statistic (its image logit, or the logit
  of its forged fraction: :func:`engine.decision.statistic`) or a classic analysis's score
  (``analysis:NAME``, :mod:`engine.analyses`). Fitted on the validation part, the score is then
  itself a calibrated probability, and a weight says how much a member adds given the others
  (equation 6's weights cannot: a member at chance still pulls the mean towards 0.5). The
  members' ``detection_weight`` is not used when stacking is present. Each term w_k · x_k and
  the bias go into the result (``ModelResult.contributions``), so every display can say what
  moved the score, and when whole-image statistics carried a "manipulated" verdict that its
  mask need not show why (:func:`engine.ensemble_provenance.whole_image_decided`; the
  2026-12-05 walk-through's authentic 12 MP photograph read "manipulated, p 0.75" over 1.45 %
  of scattered specks).
- ``"localization_analyses": {"clone": "replace"}``: when the copy-move analysis finds a pair,
  its map of both copies replaces the fused heatmap (measured on the validation part: copy-move
  pixel F1 up, splices unchanged); otherwise the fused heatmap stands. With
  ``"copy_keep_ratio": r`` > 0 only the copies whose mean fused heatmap is at least r times the
  hottest copy's replace it (:func:`engine.analyses.clone.suspect_copies`: the networks point
  at the pasted copy, which the pixels alone cannot tell).
- ``"calibration"``: the measured reliability of the verdict (:mod:`engine.calibration`; for a
  stacked ensemble a = 1, b = 0: the score is already the probability).

- ``"face_rule": "any"`` (issue 20): a face that a face model (a checkpoint of scope
  ``"faces"``, run on the face path only) calls manipulated makes the verdict "manipulated",
  whatever the stacked score says; :meth:`Ensemble.with_faces`. Why an OR and not another
  stacking input: the stacking was fitted on CASIA and camera photographs, where a face model
  has nothing to say about most images (no face, or a face that is not the forgery); a face
  verdict whose own θ was chosen on face crops for a low false-alarm rate (docs/FACES.md) is
  added as evidence of its own, and the image's false-alarm rate grows by at most the face
  model's per-face rate times the faces per photograph (measured: docs/FACES.md). When the
  face rule alone makes the verdict (the stacked one says "authentic"), the heatmap is the
  flagged faces' face map and nothing else: the members' marks elsewhere did not reach the
  verdict, and on the validation half's whole-photograph face forgeries they had buried the
  face (default mask pixel F1 0.19, 0.68 with the face map alone; docs/FACES.md).

The analyses an ensemble names are run by :class:`engine.pipeline.Analyzer` with the networks.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from engine.analyses.clone import suspect_copies
from engine.calibration import (
    Calibration,
    counts_face_rule,
    logit,
    mask_on_authentic,
    reliability_sentence,
    sigmoid,
    with_caveat,
)
from engine.decision import AUTHENTIC, MANIPULATED, forged_fraction, statistic
from engine.ensemble_provenance import (
    ANALYSIS,
    BIAS,
    FACE_RULE_CAVEAT,
    FACE_RULE_COUNTED,
    FACE_RULE_NOTE,
    FACES_ALONE_NOTE,
    ON_THIS_FILE,
    analysis_label,
    analysis_words,
    contribution,
    many_faces_words,
    member_label,
    per_face_rate,
    stacking_input_words,
)
from engine.errors import CheckpointError
from engine.files import not_regular_reason, read_regular
from engine.types import FaceRegion, FaceScore, ModelResult

if TYPE_CHECKING:
    from engine.analyses import AnalysisResult
    from engine.checkpoints import LoadedModel

ENSEMBLE_SUFFIX = ".ensemble.json"  # every ensemble file's name ends so; checkpoints never do
MAX_WEIGHT = 1e6  # a member weight beyond this is a typo, and sums of such weights overflow
FUSE_BAND_PIXELS = 1 << 18  # pixels of equation (6)'s float64 sums made at once


def _finite_number(x: object) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(x)


@dataclass(frozen=True)
class Member:
    model: str
    detection_weight: float = 1.0
    localization_weight: float = 1.0


ANALYSIS_PREFIX = "analysis:"  # a stacking weight on a classic analysis's score
LOCALIZATION_MODES = ("replace",)
FACE_RULES = ("", "any")  # "": face models do not change the verdict; "any": module docstring


@dataclass(frozen=True)
class Stacking:
    """Logistic detection over members' statistics and analyses' scores (module docstring)."""

    bias: float
    weights: dict[str, float]
    fitted_on: str = ""

    @property
    def analyses(self) -> list[str]:
        return [
            k.removeprefix(ANALYSIS_PREFIX) for k in self.weights if k.startswith(ANALYSIS_PREFIX)
        ]


@dataclass
class Ensemble:
    name: str
    members: list[Member]
    threshold: float = 0.5
    pixel_threshold: float = 0.5
    description: str = ""
    path: Path | None = None
    resolved: dict[str, str] = field(default_factory=dict)  # member model -> result name
    stacking: Stacking | None = None
    localization_analyses: dict[str, str] = field(default_factory=dict)
    calibration: dict[str, Any] = field(default_factory=dict)
    face_rule: str = ""
    copy_keep_ratio: float = 0.0  # module docstring; 0: every copy replaces the heatmap
    sha256: str = ""  # of the file's bytes as loaded: its results name it as a checkpoint's

    @property
    def analyses(self) -> list[str]:
        """The classic analyses this ensemble needs, in a fixed order."""
        names = set(self.localization_analyses)
        if self.stacking is not None:
            names.update(self.stacking.analyses)
        return sorted(names)

    def __post_init__(self) -> None:
        if not self.members:
            raise ValueError(f"ensemble '{self.name}' has no members")
        for m in self.members:
            for w in (m.detection_weight, m.localization_weight):
                if not _finite_number(w) or not 0 <= w <= MAX_WEIGHT:
                    raise ValueError(
                        f"ensemble '{self.name}': weights must be finite, >= 0 and "
                        f"<= {MAX_WEIGHT:g} ({m})"
                    )
        for label, t in (("threshold", self.threshold), ("pixel_threshold", self.pixel_threshold)):
            if not _finite_number(t) or not 0.0 <= t <= 1.0:
                raise ValueError(
                    f"ensemble '{self.name}': {label} must be a finite number in [0, 1], got {t!r}"
                )
        if self.stacking is None and sum(m.detection_weight for m in self.members) <= 0:
            raise ValueError(f"ensemble '{self.name}': detection weights sum to 0")
        if self.stacking is not None:
            models = {m.model for m in self.members}
            for key, w in self.stacking.weights.items():
                if not _finite_number(w) or abs(w) > MAX_WEIGHT:
                    raise ValueError(f"ensemble '{self.name}': stacking weight {key}={w!r}")
                if not key.startswith(ANALYSIS_PREFIX) and key not in models:
                    raise ValueError(
                        f"ensemble '{self.name}': stacking weight on '{key}', not a member"
                    )
            if not _finite_number(self.stacking.bias) or abs(self.stacking.bias) > MAX_WEIGHT:
                raise ValueError(f"ensemble '{self.name}': stacking bias {self.stacking.bias!r}")
        for name, mode in self.localization_analyses.items():
            if mode not in LOCALIZATION_MODES:
                raise ValueError(
                    f"ensemble '{self.name}': localization of '{name}' must be one of "
                    f"{LOCALIZATION_MODES}, got {mode!r}"
                )
        if not _finite_number(self.copy_keep_ratio) or not 0 <= self.copy_keep_ratio <= 1:
            raise ValueError(
                f"ensemble '{self.name}': copy_keep_ratio must be in [0, 1], "
                f"got {self.copy_keep_ratio!r}"
            )
        if sum(m.localization_weight for m in self.members) <= 0:
            raise ValueError(f"ensemble '{self.name}': localization weights sum to 0")
        if self.face_rule not in FACE_RULES:
            raise ValueError(
                f"ensemble '{self.name}': face_rule must be one of {FACE_RULES}, "
                f"got {self.face_rule!r}"
            )

    @classmethod
    def load(cls, path: str | Path) -> Ensemble:
        path = Path(path)
        try:
            raw = read_regular(path)
            data = json.loads(raw.decode("utf-8"))
            members = [Member(**m) for m in data["members"]]
            stack = data.get("stacking")
            return cls(
                name=str(data.get("name") or path.name.removesuffix(ENSEMBLE_SUFFIX)),
                members=members,
                threshold=float(data.get("threshold", 0.5)),
                pixel_threshold=float(data.get("pixel_threshold", 0.5)),
                description=str(data.get("description", "")),
                path=path,
                stacking=None
                if stack is None
                else Stacking(
                    bias=float(stack["bias"]),
                    weights={str(k): float(v) for k, v in dict(stack["weights"]).items()},
                    fitted_on=str(stack.get("fitted_on", "")),
                ),
                localization_analyses={
                    str(k): str(v) for k, v in dict(data.get("localization_analyses") or {}).items()
                },
                calibration=dict(data.get("calibration") or {}),
                face_rule=str(data.get("face_rule") or ""),
                copy_keep_ratio=float(data.get("copy_keep_ratio", 0.0)),
                sha256=hashlib.sha256(raw).hexdigest(),
            )
        except OSError as e:
            raise CheckpointError(
                path, not_regular_reason(e) or f"cannot read ensemble file ({e.strerror or e})"
            ) from e
        except (ValueError, KeyError, TypeError) as e:
            raise CheckpointError(path, f"malformed ensemble file ({e})") from e

    def member_paths(self) -> list[str]:
        """Member references, paths resolved relative to the ensemble file when they exist."""
        out = []
        for m in self.members:
            p = Path(m.model)
            if self.path is not None and not p.is_absolute() and (self.path.parent / p).is_file():
                p = self.path.parent / p
            out.append(str(p) if p.is_file() else m.model)
        return out

    def combine(
        self,
        results: dict[str, ModelResult],
        analyses: Mapping[str, AnalysisResult] | None = None,
    ) -> ModelResult:
        """Equation (6) (or the stacking) over the members' results (keyed by result name)
        and the classic analyses it names (keyed by analysis name)."""
        analyses = analyses or {}
        picked: list[tuple[Member, ModelResult]] = []
        for m in self.members:
            key = self.resolved.get(m.model, m.model)
            if key not in results:
                raise KeyError(f"ensemble '{self.name}' needs a result of model '{key}'")
            picked.append((m, results[key]))
        for name in self.analyses:
            if name not in analyses:
                raise KeyError(f"ensemble '{self.name}' needs the '{name}' analysis")
        contributions: list[dict[str, Any]] | None = None
        if self.stacking is not None:
            by_model = {m.model: r for m, r in picked}
            z = self.stacking.bias
            contributions = []
            for key, w in self.stacking.weights.items():
                if key.startswith(ANALYSIS_PREFIX):
                    name = key.removeprefix(ANALYSIS_PREFIX)
                    x = analyses[name].output.score or 0.0
                    label, kind = analysis_label(name, x), ANALYSIS
                else:
                    r = by_model[key]
                    x = statistic(r.rule, r.forged_fraction, r.image_logit)
                    label, kind = member_label(r)
                z += w * x
                contributions.append(contribution(key, label, kind, x, w))
            contributions.append(contribution(BIAS, BIAS, BIAS, 1.0, self.stacking.bias))
            score = float(sigmoid(z))
            what = "stacked probability"
            how = (
                "logistic stacking of the members' statistics and the analyses' scores (bias "
                f"{self.stacking.bias:.3g}; weights "
                + ", ".join(  # named as readers see them: "copy-move analysis +2.22"
                    f"{stacking_input_words(k, ANALYSIS_PREFIX)} {w:+.3g}"
                    for k, w in self.stacking.weights.items()
                )
                + ")"
            )
        else:
            score = weighted_mean(
                [r.score for _, r in picked], [m.detection_weight for m, _ in picked]
            )
            what = "weighted mean of the member scores"
            how = "detection weights " + ", ".join(
                f"{r.name} {m.detection_weight:g}" for m, r in picked
            )
        heat = fuse_heatmaps(
            [r.heatmap for _, r in picked], [m.localization_weight for m, _ in picked]
        )
        replaced = ""
        for name, _mode in self.localization_analyses.items():  # "replace", the one mode
            out = analyses[name].output
            if out.map is not None and (out.score or 0.0) > 0.0:
                copies = suspect_copies(out.map > 0.5, heat, self.copy_keep_ratio)
                heat, replaced = copies.astype(np.float32), name
        mask = heat > self.pixel_threshold
        first = picked[0][1]
        calibration = Calibration.from_dict(self.calibration)
        return ModelResult(
            name=self.name,
            architecture="ensemble",
            checkpoint=str(self.path) if self.path else "",
            checkpoint_sha256=self.sha256,
            rule="ensemble",
            score=score,
            verdict=MANIPULATED if score > self.threshold else AUTHENTIC,
            forged_fraction=forged_fraction(mask),
            threshold=self.threshold,
            pixel_threshold=self.pixel_threshold,
            threshold_provenance=(
                f"θ = {self.threshold:.4g} on the {what}"
                + (f" ({self.description})" if self.description else "")
                + f": {how}; the heatmap is the weighted mean of the members' heatmaps (weights "
                + ", ".join(f"{r.name} {m.localization_weight:g}" for m, r in picked)
                + ")"
                + "".join(
                    f"; when the {analysis_words(name)} finds a pair, its map replaces the heatmap"
                    for name in self.localization_analyses
                )
                + (
                    "; under the face rule 'any', a face that a face model calls manipulated "
                    "makes the verdict manipulated"
                    if self.face_rule == "any"
                    else ""
                )
                + (
                    f"{ON_THIS_FILE}the heatmap is the {analysis_words(replaced)}'s map (it found "
                    "a pair)"
                    + (
                        f", the copies whose mean fused heatmap reaches {self.copy_keep_ratio:g}"
                        " of the hottest copy's"
                        if self.copy_keep_ratio > 0
                        else ""
                    )
                    if replaced
                    else ""
                )
            ),
            input_policy={"members": [r.name for _, r in picked], "analyses": self.analyses},
            device=first.device,
            # the members' precisions, each once: "int8 + fp32" when one ran as the bundled int8
            # model and another at fp32 (the first member's alone would say all ran as it did)
            precision=" + ".join(dict.fromkeys(r.precision for _, r in picked)),
            seconds=sum(r.seconds for _, r in picked),
            heatmap=heat,
            mask=mask,
            probability=None
            if calibration is None
            else calibration.probability(float(logit(score))),
            reliability=reliability_sentence(self.calibration),
            out_of_range=members_out_of_range([r for _, r in picked]),
            contributions=contributions,
            mask_on_authentic=mask_on_authentic(self.calibration),
        )

    def with_faces(
        self,
        result: ModelResult,
        faces: Sequence[FaceRegion],
        face_models: Mapping[str, LoadedModel],
        face_maps: Mapping[str, NDArray[np.float32]],
        image_size: tuple[int, int] | None = None,
        detector: str | None = None,
    ) -> ModelResult:
        """``result`` (this ensemble's) with the face rule applied (module docstring).

        With ``face_rule == "any"`` and at least one face that a face model in ``face_models``
        calls manipulated: the verdict is "manipulated"; the score is the larger of the
        ensemble's and the face's, the face's moved onto the ensemble's scale (its θ to the
        ensemble's threshold, piecewise linearly: :func:`rescale`); the probability is the
        larger of the two; that face model's face map (0 outside the face crops) is merged into
        the heatmap by the maximum, rescaled from its pixel threshold to the ensemble's; when
        ``result`` itself is "authentic" (the face rule alone decides), the heatmap is that map
        inside the flagged faces' crops and 0 elsewhere (module docstring). Without
        a flagged face ``result`` is returned as it is, but for its reliability sentence, which
        then says it was counted without the face rule (:data:`FACE_RULE_CAVEAT`), or, when
        the counts were also taken with it, what the rule does (:data:`FACE_RULE_COUNTED`);
        with two faces or more judged, how often an authentic photograph with as many would
        be flagged at the face model's per-face rate (:func:`many_faces_words`). A verdict the
        rule decided says how many of the faces' verdicts flagged it ("2 of 17 face
        verdict(s)").

        When the face rule alone decides and every flagged face is outside the face verdicts'
        measured range (smaller than measured, or its crop cut by the border of the image of
        ``image_size``, width x height: :func:`engine.facepath.face_out_of_range`), the
        result's ``out_of_range`` says so (:func:`faces_out_of_range`), as a member's small
        image does: the verdict stands on no measured face. So it does, with ``"detector"``,
        when ``detector`` (the one that found ``faces``) is not the one the face models were
        measured on (the Haar fallback: :data:`engine.faces.MEASURED_DETECTOR`).
        """
        if self.face_rule != "any":
            return result
        judged = {n: sum(n in f.face_scores for f in faces) for n in face_models}
        if result.reliability and face_models:  # what the rule adds to the measured counts
            said = FACE_RULE_COUNTED if counts_face_rule(self.calibration) else FACE_RULE_CAVEAT
            said += "".join(  # and what the number of faces does to it
                many_faces_words(n, judged[n], per_face_rate(m.meta.decision.calibration))
                for n, m in face_models.items()
            )
            result = dataclasses.replace(result, reliability=with_caveat(result.reliability, said))
        flagged: list[tuple[str, FaceScore, FaceRegion]] = []
        numbers: dict[int, int] = {}  # id(face) -> its number (1-based) among ``faces``
        for i, face in enumerate(faces, start=1):
            for name in face_models:
                fs = face.face_scores.get(name)
                if fs is not None and fs.verdict == MANIPULATED:
                    flagged.append((name, fs, face))
                    numbers[id(face)] = i
        if not flagged:
            return result
        score, probability = result.score, result.probability
        for name, fs, _ in flagged:
            rule = face_models[name].meta.decision
            score = max(score, rescale(fs.score, rule.threshold, self.threshold))
            if fs.probability is not None:
                probability = max(probability or 0.0, fs.probability)
        faces_alone = result.verdict != MANIPULATED  # the face rule alone decides
        heat = result.heatmap
        if heat is not None and faces_alone:
            heat = np.zeros_like(heat)
        for name in dict.fromkeys(n for n, _, _ in flagged):
            fmap = face_maps.get(name)
            if heat is not None and fmap is not None and fmap.shape == heat.shape:
                if faces_alone:  # only the faces that decided
                    fmap = _inside_faces(fmap, [f for n, _, f in flagged if n == name])
                t = face_models[name].meta.decision.pixel_threshold
                heat = np.maximum(heat, rescale_map(fmap, t, self.pixel_threshold))
        mask = None if heat is None else heat > self.pixel_threshold
        names = ", ".join(dict.fromkeys(n for n, _, _ in flagged))
        where = f"; {FACES_ALONE_NOTE} (the stacked verdict is not flagged)" if faces_alone else ""
        out_of_range = result.out_of_range
        if faces_alone:
            unique = {id(f): f for _, _, f in flagged}
            out_of_range = faces_out_of_range(
                result.out_of_range,
                [(numbers[k], f.box) for k, f in unique.items()],
                image_size,
                detector,
            )
        return dataclasses.replace(
            result,
            score=float(score),
            verdict=MANIPULATED,
            out_of_range=out_of_range,
            heatmap=heat,
            mask=mask,
            forged_fraction=result.forged_fraction if mask is None else forged_fraction(mask),
            probability=probability,
            threshold_provenance=result.threshold_provenance
            + ("; " if ON_THIS_FILE in result.threshold_provenance else ON_THIS_FILE)
            + f"{FACE_RULE_NOTE}{len(flagged)} of {sum(judged.values())} face verdict(s) of "
            + f"{names} flag the image"
            + where,
        )


def _inside_faces(fmap: NDArray[np.float32], faces: Sequence[FaceRegion]) -> NDArray[np.float32]:
    """``fmap`` (a face map: each face's crop pasted back, 0 elsewhere) kept inside the crops of
    ``faces`` only (:func:`engine.facepath.crop_box`, the face path's own), 0 elsewhere."""
    # imported here: engine.facepath brings torch (through engine.checkpoints), and this module
    # is read by the command line's light paths (--version, --help) that must not load it
    from engine.facepath import crop_box

    h, w = fmap.shape
    out = np.zeros_like(fmap)
    for face in faces:
        c = crop_box(face.box, w, h)
        out[c.y0 : c.y1, c.x0 : c.x1] = fmap[c.y0 : c.y1, c.x0 : c.x1]
    return out


def members_out_of_range(results: Sequence[ModelResult]) -> dict[str, Any] | None:
    """An ensemble's ``out_of_range`` from its members' (:func:`engine.decision.verdict_range`):
    when any member's verdict was outside its measured range, so is the ensemble's, whose
    stacking and θ were fitted on those members' statistics at measured sizes; the largest
    member bound and the members out of range are named. None when every member was within."""
    out = [r for r in results if r.out_of_range]
    if not out:
        return None
    return {
        "short_side": min(int(r.out_of_range["short_side"]) for r in out),  # type: ignore[index]
        "min_side": max(int(r.out_of_range["min_side"]) for r in out),  # type: ignore[index]
        "members": [r.name for r in out],
    }


def faces_out_of_range(
    out_of_range: Mapping[str, Any] | None,
    flagged: Sequence[tuple[int, Sequence[int]]],
    image_size: tuple[int, int] | None,
    detector: str | None = None,
) -> dict[str, Any] | None:
    """An ensemble's ``out_of_range`` when the face rule alone decided its verdict on the
    ``flagged`` faces ((number, box) each): its own (``out_of_range``, its members' small
    image) with ``"faces"``, one entry per flagged face (``{"face": number, **why}``,
    :func:`engine.facepath.face_out_of_range`), when every flagged face is outside the face
    verdicts' measured range (one face in range carries the verdict on a measured face); with
    ``"detector"`` when ``detector`` found the faces and is not the one the face models were
    measured on (every face then is unmeasured: the Haar fallback); else its own unchanged."""
    # imported here: engine.facepath brings torch (as _inside_faces says), engine.faces cv2
    from engine.facepath import face_out_of_range
    from engine.faces import MEASURED_DETECTOR

    out = dict(out_of_range or {})
    if flagged and detector not in (None, MEASURED_DETECTOR):
        out["detector"] = detector
    why = [(n, face_out_of_range(list(box), image_size)) for n, box in flagged]
    if why and all(w is not None for _, w in why):
        out["faces"] = [{"face": n, **(w or {})} for n, w in why]
    return out or None


def rescale(value: float, src: float, dst: float) -> float:
    """``value`` on a [0, 1] scale whose decision point is ``src`` moved onto one whose
    decision point is ``dst``, piecewise linearly (0, src, 1 to 0, dst, 1), in double precision:
    a value above ``src`` stays above ``dst`` (in float32 a face score a hair over its model's θ
    came out at or under the ensemble's θ, a flagged verdict showing a score that reads
    unflagged), one at or under ``src`` at or under ``dst``."""
    v = min(max(float(value), 0.0), 1.0)
    src = min(max(src, 1e-6), 1 - 1e-6)
    if v <= src:
        return min(v * (dst / src), dst)
    return max(dst + (v - src) * ((1.0 - dst) / (1.0 - src)), float(np.nextafter(dst, 1.0)))


def rescale_map(values: Any, src: float, dst: float) -> Any:
    """:func:`rescale` for an array (or a NumPy scalar)."""
    v = np.clip(np.asarray(values, dtype=np.float32), 0.0, 1.0)
    src = min(max(src, 1e-6), 1 - 1e-6)
    low = v * (dst / src)
    high = dst + (v - src) * ((1.0 - dst) / (1.0 - src))
    return np.where(v <= src, low, high).astype(np.float32)


def weighted_mean(values: list[float], weights: list[float]) -> float:
    """Equation (6) for scalars."""
    w = np.asarray(weights, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if w.sum() <= 0:
        raise ValueError("weights sum to 0")
    return float((w * v).sum() / w.sum())


def fuse_heatmaps(
    heatmaps: list[NDArray[np.float32] | None], weights: list[float]
) -> NDArray[np.float32]:
    """Equation (6) per pixel; members with weight 0 are skipped (their map may be None).

    Summed in float64 one row band at a time: whole maps of float64 sums and products were
    about 4 maps of 8 bytes a pixel at once (1.9 GB at 60 MP), at the analysis's peak."""
    used = [(h, w) for h, w in zip(heatmaps, weights, strict=True) if w != 0]
    if not used:
        raise ValueError("localization weights sum to 0")
    if any(h is None for h, _ in used):
        raise ValueError("a member with a localization weight has no heatmap")
    total = 0.0
    for _, w in used:
        total += w
    first = used[0][0]
    assert first is not None
    out = np.empty(first.shape, np.float32)
    rows = max(1, FUSE_BAND_PIXELS // max(1, first[0].size))
    for y in range(0, first.shape[0], rows):
        acc: NDArray[np.float64] | None = None
        for h, w in used:
            band = h[y : y + rows].astype(np.float64) * w  # type: ignore[index]
            acc = band if acc is None else acc + band
        out[y : y + rows] = acc / total  # type: ignore[operator]
    return out
