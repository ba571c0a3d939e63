"""Model cards in reports: what a checkpoint says about itself (measured metrics, the figures
behind θ, its training), read from the header of the very file that was analysed (its SHA-256
checked at export) or from the headers the viewer's analyzer loaded."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.calibration import pixel_threshold_calibrated
from engine.errors import CheckpointError
from engine.formatting import extended_time
from forensic_viewer.scan.walk import sha256_of_file

if TYPE_CHECKING:  # reading a checkpoint header needs no torch; engine.checkpoints imports it
    from engine.checkpoints import CheckpointMeta


@dataclass
class ModelCard:
    """What a checkpoint says about itself: measured metrics, the figures behind θ, training.

    source: where these came from, in words (e.g. that the checkpoint's SHA-256 matched, or why
        no card is shown).
    """

    source: str
    metrics: dict[str, Any] = field(default_factory=dict)
    threshold_details: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    # the decision rule's calibration as the header stores it (Platt's a and b, what it was
    # fitted on) and the rule it applies to: what turns a result into its probability
    calibration: dict[str, Any] = field(default_factory=dict)
    rule: str = ""
    # whether the header records the pixel threshold as chosen on validation data (None: no
    # header read): what a row written before results recorded it is read against
    pixel_threshold_calibrated: bool | None = None

    @classmethod
    def from_meta(cls, meta: CheckpointMeta, source: str) -> ModelCard:
        return cls(
            source=source,
            metrics=dict(meta.metrics),
            threshold_details=threshold_details(meta.decision.details),
            training=dict(meta.training),
            created=extended_time(meta.created),  # old checkpoints wrote "+0000"
            calibration=dict(meta.decision.calibration or {}),
            rule=str(meta.decision.rule),
            pixel_threshold_calibrated=pixel_threshold_calibrated(meta.decision.details),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "metrics": self.metrics,
            "threshold_details": self.threshold_details,
            "training": self.training,
            "created": self.created,
            "calibration": self.calibration,
            "probability": calibration_words(self.calibration, self.rule),
            "pixel_threshold_calibrated": self.pixel_threshold_calibrated,
        }


def calibration_words(calibration: Mapping[str, Any] | None, rule: str) -> str | None:
    """How a model's probability is computed from its results, with the coefficients its
    header stores, so that the other side can recompute it: ``p = σ(a·x + b), σ(t) = 1 / (1 +
    e^−t), a = 0.398…, b = 0.423…; x = logit(f) ...`` (:class:`engine.calibration.Calibration`,
    :func:`engine.decision.statistic`; a and b as stored, to the last digit). None when the
    header holds no calibration the analyses use (they then give no probability). The report
    and the cards had said only "Platt scaling"; a and b were in the checkpoint's header alone
    (a defence expert's walk-through, 2026-12-06)."""
    from engine.calibration import Calibration
    from engine.decision import FRACTION_FLOOR

    fitted = Calibration.from_dict(dict(calibration or {}))
    if fitted is None:
        return None
    if rule == "forged_fraction":
        x = (
            f"x = logit(f) = ln(f / (1 − f)), f the marked area of its results clipped to "
            f"[{FRACTION_FLOOR:g}, {1 - FRACTION_FLOOR:g}]"
        )
    else:
        x = "x = the image logit of its results (the logit of its score)"
    on = f"; fitted on {fitted.fitted_on}" if fitted.fitted_on else ""
    return (
        f"p = σ(a·x + b), σ(t) = 1 / (1 + e^−t), with a = {fitted.a!r}, b = {fitted.b!r}; "
        f"{x} (Platt scaling{on})"
    )


SUPERSEDED = (
    "the training run's own choice of θ (forensic-train calibrate), replaced by the θ of the "
    "decision rule, set at evidence size by forensic-train verdict (evidence_size)"
)


def threshold_details(details: dict[str, Any]) -> dict[str, Any]:
    """A checkpoint's ``decision.details`` as a report shows them. Once the verdict step has set
    θ at evidence size (``evidence_size``), the training run's calibration figures left beside
    it (its strategies, its θ) describe a θ no longer used: kept, under a name that says so, so
    a report never shows two θs side by side as if both applied."""
    if "evidence_size" not in details:
        return dict(details)
    rest = {k: v for k, v in details.items() if k != "evidence_size"}
    out: dict[str, Any] = {"evidence_size": details["evidence_size"]}
    if rest:
        out["training_run_calibration"] = {"superseded": SUPERSEDED, **rest}
    return out


def card_from_checkpoint(path: str | Path, expected_sha256: str) -> ModelCard:
    """The model card in the header of checkpoint ``path``, if it is still the file analysed."""
    path = Path(path)
    if not expected_sha256:
        return ModelCard(source="no checkpoint SHA-256 was recorded: no model card shown")
    try:
        actual = sha256_of_file(path)
    except OSError:
        return ModelCard(source=f"checkpoint {path} cannot be read at export: no model card")
    if actual != expected_sha256:
        return ModelCard(
            source=f"checkpoint {path} has changed since the analysis (SHA-256 {actual}): "
            "its model card is not shown"
        )
    from engine.checkpoints import read_meta

    try:
        meta = read_meta(path)
    except CheckpointError as e:
        return ModelCard(source=f"checkpoint header unreadable: {e}")
    return ModelCard.from_meta(meta, "checkpoint header; file SHA-256 matches the analysis")


class CardCache:
    """Model cards by (checkpoint, SHA-256), read once per report."""

    def __init__(self, known: Mapping[str, ModelCard] | None = None) -> None:
        self.known = dict(known or {})
        self._cache: dict[tuple[str, str], ModelCard] = {}

    def get(self, name: str, checkpoint: str, sha256: str) -> ModelCard | None:
        if name in self.known:
            return self.known[name]
        if not checkpoint:
            return None
        k = (checkpoint, sha256)
        if k not in self._cache:
            self._cache[k] = card_from_checkpoint(checkpoint, sha256)
        return self._cache[k]


def cards_from_analyzer(analyzer: Any) -> dict[str, ModelCard]:
    """Model cards of the checkpoints an :class:`~engine.pipeline.Analyzer` holds in memory
    (the viewer's case: the headers it loaded are the ones that ran)."""
    return {
        m.name: ModelCard.from_meta(m.meta, "checkpoint header as loaded for the analysis")
        for m in analyzer.models
    }
