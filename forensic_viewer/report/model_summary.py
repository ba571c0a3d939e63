"""A model that ran in a report (:class:`ModelSummary`: its checkpoint, θ, card and measured
rates, one per checkpoint), and the face models' (:func:`face_model_summaries`), whose figures
are given only for the checkpoint that scored the faces; moved out of
:mod:`forensic_viewer.report.build`, which makes the whole-image models' from the rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from forensic_viewer.report.cards import ModelCard, card_from_checkpoint
from forensic_viewer.report.model import FACE_MODEL
from forensic_viewer.scan.face_rates import not_at_hand, scored_by


@dataclass
class ModelSummary:
    """A model that ran in the report, with its checkpoint and model card (one per checkpoint)."""

    name: str
    role: str
    architecture: str
    checkpoint: str
    checkpoint_sha256: str
    rule: str
    threshold: float | None
    pixel_threshold: float | None
    provenance: str
    input_policy: dict[str, Any]
    devices: set[str]
    precisions: set[str]
    card: ModelCard | None
    # what OpenVINO ran on the fast path, as "NAME: SHA-256" (int8 files) or "fp32 conversion:
    # KEY" (engine.pipeline.Analyzer.files_of); more than one when files' rows differ
    model_files: set[str] = field(default_factory=set)
    files: int = 0
    reliability: str = ""  # what its θ did on the test part, as a sentence ("" not measured)
    # an ensemble's: what its mask marks on authentic photographs (ModelResult's, the first file's)
    mask_on_authentic: dict[str, float] | None = None
    # files whose image score came from a reduced view, and that view's largest and smallest
    # long side (a panorama's view is longer: engine.preprocess.reduced_shape): the view's size
    # is each file's own (its section says it), never one for the whole report
    reduced: int = 0
    detect_side: int = 0
    detect_side_min: int = 0
    # whether its checkpoint records the pixel threshold as chosen (ModelEntry.threshold_calibrated)
    pixel_threshold_calibrated: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "architecture": self.architecture,
            "checkpoint": self.checkpoint,
            "checkpoint_sha256": self.checkpoint_sha256,
            "rule": self.rule,
            "threshold": self.threshold,
            "pixel_threshold": self.pixel_threshold,
            "pixel_threshold_calibrated": self.pixel_threshold_calibrated,
            "threshold_provenance": self.provenance,
            "reliability": self.reliability,
            "input_policy": self.input_policy,
            "image_score_reduced": {
                "files": self.reduced,
                "long_side": self.detect_side,
                "long_side_min": self.detect_side_min or self.detect_side,
            },
            "devices": sorted(self.devices),
            "precisions": sorted(self.precisions),
            "model_files": sorted(self.model_files),
            "model_card": None if self.card is None else self.card.to_dict(),
            "files_analysed": self.files,
        }


def face_model_summaries(
    settings: dict[str, Any],
    judged: dict[str, int],
    scored: dict[str, set[str | None]],
    unrecorded_theirs: bool = False,
) -> list[ModelSummary]:
    """The face models that judged a face in the report (``judged``: name -> files), with the
    figures recorded of them (scan.json's ``face_model_figures``, or the viewer's face model's)
    when the checkpoint that scored the faces (``scored``: name -> the face scores' recorded
    SHA-256s, :func:`~forensic_viewer.scan.face_rates.face_checkpoints`) is theirs; else with
    the scoring checkpoint's SHA-256 and a reliability that says its rates are not at hand (the
    loaded face model's had been given for another checkpoint's faces). A face score that
    records no checkpoint is theirs only with ``unrecorded_theirs`` (a scan folder's rows). A
    face model of a scan written before figures were recorded is listed with its SHA-256 only."""
    recorded = settings.get("face_model_figures") or {}
    shas = settings.get("face_models") or {}
    out = []
    for name, files in judged.items():
        f = recorded.get(name) or {}
        known = str(f.get("checkpoint_sha256") or shas.get(name) or "")
        own = scored_by(known, scored.get(name, set()), unrecorded_theirs=unrecorded_theirs)
        if not own:  # another checkpoint's figures: none of them is said of these faces
            f = {"reliability": not_at_hand(scored.get(name, set()), known)}
            known = ", ".join(sorted(s for s in scored.get(name, set()) if s))
        out.append(
            ModelSummary(
                name=name,
                role=FACE_MODEL,
                architecture=str(f.get("architecture", "")),
                checkpoint=str(f.get("checkpoint", "")),
                checkpoint_sha256=known,
                rule=str(f.get("rule", "")),
                threshold=f.get("threshold"),
                pixel_threshold=f.get("pixel_threshold"),
                pixel_threshold_calibrated=_threshold_calibrated(f, known),
                provenance=str(f.get("threshold_provenance", "")),
                input_policy={},
                devices={str(f["device"])} if f.get("device") else set(),
                precisions={str(f["precision"])} if f.get("precision") else set(),
                card=None,
                files=files,
                reliability=str(f.get("reliability", "")),
            )
        )
    return out


def _threshold_calibrated(figures: dict[str, Any], sha256: str) -> bool | None:
    """Whether a face model's pixel threshold was chosen on validation data: as its recorded
    ``figures`` say, else (a scan written before they said it) as the header of its checkpoint
    says when the file's SHA-256 is still ``sha256``, as whole-image models fall back to their
    card; None when neither can say (review 2026-12-06: the bundled face model's threshold
    had read "stored in its checkpoint" in such a scan's report)."""
    said = figures.get("pixel_threshold_calibrated")
    if said is not None or not figures.get("checkpoint"):
        return said
    return card_from_checkpoint(str(figures["checkpoint"]), sha256).pixel_threshold_calibrated
