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
"""

from __future__ import annotations

import json
import math
import numbers
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from engine.decision import AUTHENTIC, MANIPULATED, forged_fraction
from engine.errors import CheckpointError
from engine.types import ModelResult

ENSEMBLE_SUFFIX = ".ensemble.json"  # every ensemble file's name ends so; checkpoints never do
MAX_WEIGHT = 1e6  # a member weight beyond this is a typo, and sums of such weights overflow


def _finite_number(x: object) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(x)


@dataclass(frozen=True)
class Member:
    model: str
    detection_weight: float = 1.0
    localization_weight: float = 1.0


@dataclass
class Ensemble:
    name: str
    members: list[Member]
    threshold: float = 0.5
    pixel_threshold: float = 0.5
    description: str = ""
    path: Path | None = None
    resolved: dict[str, str] = field(default_factory=dict)  # member model -> result name

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
        if sum(m.detection_weight for m in self.members) <= 0:
            raise ValueError(f"ensemble '{self.name}': detection weights sum to 0")
        if sum(m.localization_weight for m in self.members) <= 0:
            raise ValueError(f"ensemble '{self.name}': localization weights sum to 0")

    @classmethod
    def load(cls, path: str | Path) -> Ensemble:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            members = [Member(**m) for m in data["members"]]
            return cls(
                name=str(data.get("name") or path.name.removesuffix(ENSEMBLE_SUFFIX)),
                members=members,
                threshold=float(data.get("threshold", 0.5)),
                pixel_threshold=float(data.get("pixel_threshold", 0.5)),
                description=str(data.get("description", "")),
                path=path,
            )
        except OSError as e:
            raise CheckpointError(path, f"cannot read ensemble file ({e.strerror or e})") from e
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

    def combine(self, results: dict[str, ModelResult]) -> ModelResult:
        """Equation (6) over the members' results (keyed by result name)."""
        picked: list[tuple[Member, ModelResult]] = []
        for m in self.members:
            key = self.resolved.get(m.model, m.model)
            if key not in results:
                raise KeyError(f"ensemble '{self.name}' needs a result of model '{key}'")
            picked.append((m, results[key]))
        score = weighted_mean([r.score for _, r in picked], [m.detection_weight for m, _ in picked])
        heat = fuse_heatmaps(
            [r.heatmap for _, r in picked], [m.localization_weight for m, _ in picked]
        )
        mask = heat > self.pixel_threshold
        first = picked[0][1]
        return ModelResult(
            name=self.name,
            architecture="ensemble",
            checkpoint=str(self.path) if self.path else "",
            checkpoint_sha256="",
            rule="ensemble",
            score=score,
            verdict=MANIPULATED if score > self.threshold else AUTHENTIC,
            forged_fraction=forged_fraction(mask),
            threshold=self.threshold,
            pixel_threshold=self.pixel_threshold,
            threshold_provenance=(
                "weighted mean of member scores (detection weights "
                + ", ".join(f"{r.name}={m.detection_weight:g}" for m, r in picked)
                + "; localization weights "
                + ", ".join(f"{r.name}={m.localization_weight:g}" for m, r in picked)
                + ")"
            ),
            input_policy={"members": [r.name for _, r in picked]},
            device=first.device,
            precision=first.precision,
            seconds=sum(r.seconds for _, r in picked),
            heatmap=heat,
            mask=mask,
        )


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
    """Equation (6) per pixel; members with weight 0 are skipped (their map may be None)."""
    total = 0.0
    acc: NDArray[np.float64] | None = None
    for h, w in zip(heatmaps, weights, strict=True):
        if w == 0:
            continue
        if h is None:
            raise ValueError("a member with a localization weight has no heatmap")
        acc = h.astype(np.float64) * w if acc is None else acc + h.astype(np.float64) * w
        total += w
    if acc is None:
        raise ValueError("localization weights sum to 0")
    return (acc / total).astype(np.float32)
