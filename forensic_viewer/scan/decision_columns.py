"""The columns of results.csv that say what each verdict compared with θ (no Qt).

A model's ``score`` is not always the figure its θ applies to: the forged-fraction rule
compares the forged fraction with θ, and its score, p / (p + θ), passes 0.5 where p passes θ
(on a researcher's scan, ``score > threshold`` disagreed with the verdict on 7 of 40 rows of
crfd-net-compact); the logit rule compares σ(image logit), not the logit; an ensemble its own
(stacked or weighted) score, which under the face rule becomes the larger of that and the
flagged face's score moved onto θ's scale, so that ``ensemble.score`` meant two things from
row to row. So each model of the scan (and the ensemble) gets:

- ``<model>.rule``: its rule as the row's ``details`` records it (``logit``,
  ``forged_fraction``, ``ensemble``; empty in a row without details);
- ``<model>.decision_value``: the figure θ was compared with
  (:func:`engine.decision.threshold_applies_to`): the verdict is "manipulated" exactly when it
  is above ``<model>.threshold``;
- ``<model>.pixel_threshold``: the heatmap value above which a pixel is in its mask;

and the ensemble besides:

- ``ensemble.decided_by``: ``ensemble`` (its own score; no face flagged), ``face rule`` (its
  own verdict was "authentic" and a face the face model flagged made it "manipulated") or
  ``ensemble and face rule`` (both flagged the image);
- ``ensemble.score_without_face_rule``: the ensemble's own score, the face rule left out, which
  its measured reliability was counted on: ``ensemble.score`` when no face flagged the image,
  else the stacked score from its terms (:func:`engine.ensemble_provenance.stacked_score`);
  empty when it cannot be known (an ensemble that does not stack, whose score the face rule moved);
- ``ensemble.probability_source``: whose probability ``ensemble.probability`` is: ``image`` (the
  image's own), a flagged face's in the words the reports say it in ("face 1's probability,
  diffforensics-faces, calibrated on face crops; the image's stacked probability 0.31"), or
  ``unknown`` (:func:`forensic_viewer.probability_source.source_fields`); empty without a
  probability;
- ``ensemble.stacked_probability``: the image's own stacked probability, σ of the sum of its
  terms (empty for an ensemble that does not stack);

then per model and the ensemble, ``<model>.checkpoint_sha256``: the SHA-256 of the weights
that made the row (the ensemble's: its ensemble file's), as its ``details`` record it, so that
a results.csv handed on alone says which weights produced each row (scan.json holds them for
the folder; a resumed scan's rows may come from several runs); and last (added later that
day) per model and the ensemble ``<model>.margin``, its figure minus θ, and
``<model>.near_threshold``, whether that is within the cross-processor bound of its precision
(:func:`engine.decision.decision_margin`; a verdict there may differ on another processor).

They come after the ``warnings`` column (added 2026-12-06; the last two later that day, at the
end), so that every column before keeps its place; docs/RESULTS.md, "results.csv" and "Which column to use for an image AUC".
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.decision import threshold_applies_to
from engine.ensemble_provenance import decided_by_face, decided_by_face_alone, stacked_score
from forensic_viewer.probability_source import source_fields
from forensic_viewer.scan.record_parts import FaceRecord, ModelRecord

# per model and the ensemble: <model>.<column>
DECISION_COLUMNS = ("rule", "decision_value", "pixel_threshold")
# per model and the ensemble, after the ensemble's columns (added later): the SHA-256 of the
# weights (the ensemble's: of its ensemble file) that made the row, as its details record it
CHECKPOINT_COLUMN = "checkpoint_sha256"
# per model and the ensemble, last (added later still): the decision's margin to θ and whether
# it lies within the cross-processor bound (engine.decision.decision_margin)
MARGIN_COLUMNS = ("margin", "near_threshold")
# the ensemble's alone: ensemble.<column>
ENSEMBLE_COLUMNS = (
    "decided_by",
    "score_without_face_rule",
    "probability_source",
    "stacked_probability",
)

OWN, FACE_RULE, BOTH = "ensemble", "face rule", "ensemble and face rule"


def decision_column_names(names: Sequence[str], ensemble: bool) -> list[str]:
    """The header cells: :data:`DECISION_COLUMNS` for each of ``names`` (the models, then
    ``ensemble`` when the scan had one), then the ensemble's :data:`ENSEMBLE_COLUMNS`."""
    cols = [f"{m}.{c}" for m in names for c in DECISION_COLUMNS]
    cols += [f"ensemble.{c}" for c in ENSEMBLE_COLUMNS] if ensemble else []
    cols += [f"{m}.{CHECKPOINT_COLUMN}" for m in names]
    return cols + [f"{m}.{c}" for m in names for c in MARGIN_COLUMNS]


def margin_cells(d: ModelRecord | None) -> list[str]:
    """The :data:`MARGIN_COLUMNS` of one model (or the ensemble) on one file: its figure minus
    θ (6 decimals) and ``true``/``false``, whether that lies within the cross-processor bound
    of its precision; empty when it did not run, for a row written before margins were (read
    unchanged), and ``near_threshold`` empty when no bound was measured (fp16)."""
    f = None if d is None else d.figures
    if f is None or f.margin is None:
        return [""] * len(MARGIN_COLUMNS)
    near = "" if f.near_threshold is None else str(f.near_threshold).lower()
    return [f"{f.margin:+.6f}", near]


def checkpoint_cell(d: ModelRecord | None) -> str:
    """The :data:`CHECKPOINT_COLUMN` of one model (or the ensemble) on one file: empty when it
    did not run or the row holds no details."""
    return "" if d is None or d.figures is None else d.figures.checkpoint_sha256


def rule_of(d: ModelRecord, is_ensemble: bool) -> str | None:
    """The rule behind ``d``'s verdict (None: not recorded, a row without details)."""
    if is_ensemble:
        return "ensemble"
    return None if d.figures is None else d.figures.rule


def decision_value(d: ModelRecord, rule: str) -> float:
    """The figure of ``d`` that its θ was compared with under ``rule``."""
    return threshold_applies_to(rule, d.score, d.forged_fraction)


def decision_cells(d: ModelRecord | None, is_ensemble: bool = False) -> list[str]:
    """The :data:`DECISION_COLUMNS` of one model (or the ensemble) on one file; all empty when
    it did not run, the rule and its value empty when the row does not say the rule."""
    if d is None:
        return [""] * len(DECISION_COLUMNS)
    rule = rule_of(d, is_ensemble)
    pixel = None if d.figures is None else d.figures.pixel_threshold
    return [
        rule or "",
        "" if rule is None else f"{decision_value(d, rule):.6f}",
        "" if pixel is None else f"{pixel:.6f}",
    ]


def decided_by(e: ModelRecord) -> str:
    """What made the ensemble's verdict (:data:`OWN`, :data:`FACE_RULE` or :data:`BOTH`)."""
    provenance = "" if e.figures is None else e.figures.threshold_provenance
    if not decided_by_face(provenance):
        return OWN
    if decided_by_face_alone(provenance):
        return FACE_RULE
    # rows since 2026-12-05 say when the face rule alone decided; an older stacked row's own
    # score says it from its terms (an older one that does not stack reads as both)
    own = without_face_rule(e)
    return FACE_RULE if own is not None and own <= e.threshold else BOTH


def without_face_rule(e: ModelRecord) -> float | None:
    """The ensemble's own score, the face rule left out (None: not to be known)."""
    provenance = "" if e.figures is None else e.figures.threshold_provenance
    if not decided_by_face(provenance):
        return e.score
    return stacked_score(None if e.figures is None else e.figures.contributions)


def ensemble_cells(
    e: ModelRecord | None, faces: Sequence[FaceRecord] = (), models: Sequence[str] = ()
) -> list[str]:
    """The :data:`ENSEMBLE_COLUMNS` of the ensemble on one file (empty: it did not run), of
    its ``faces`` and the scan's whole-image ``models`` (whose face scores the face rule does
    not take)."""
    if e is None:
        return [""] * len(ENSEMBLE_COLUMNS)
    own = without_face_rule(e)
    fig = e.figures
    src = source_fields(
        None if fig is None else fig.probability,
        "" if fig is None else fig.threshold_provenance,
        None if fig is None else fig.contributions,
        [dict(f.face_scores) for f in faces],
        models,
    )
    stacked = None if src is None else src["stacked_probability"]
    return [
        decided_by(e),
        "" if own is None else f"{own:.6f}",
        "" if src is None else src["source"],
        "" if stacked is None else f"{stacked:.6f}",
    ]
