"""The entries of a scanned file's results row besides the classic analyses' (no Qt).

:class:`ModelFigures` and :class:`ModelRecord` (a model's or the ensemble's result),
:class:`FaceRecord` (a face found), :class:`EvidenceFacts` (the evidence file but its pixels),
each written and read here, field for field; the row that holds them is
:mod:`forensic_viewer.scan.records`' :class:`~forensic_viewer.scan.records.FileRecord`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.fstimes import FileTimes
from engine.types import Evidence, FaceRegion, FaceScore, ModelResult
from forensic_viewer.scan.rowjson import RecordError, RowObject, is_integer, is_number

MARGIN = ("margin", "near_threshold", "margin_bound")  # ModelFigures' fields, not ModelResult's


@dataclass(frozen=True)
class ModelFigures:
    """Every figure of one :class:`~engine.types.ModelResult` but its arrays: a row's
    ``details`` (or ``ensemble_details``) entry. The fields are ModelResult's, in its order."""

    name: str
    architecture: str
    checkpoint: str
    checkpoint_sha256: str
    rule: str
    score: float
    verdict: str
    forged_fraction: float
    threshold: float
    pixel_threshold: float
    threshold_provenance: str
    input_policy: Mapping[str, Any]
    device: str
    precision: str
    seconds: float
    image_logit: float | None = None
    probability: float | None = None
    reliability: str = ""
    out_of_range: Mapping[str, Any] | None = None  # docs/VERDICTS.md, "Images too small ..."
    contributions: list[dict[str, Any]] | None = None  # a stacked ensemble's terms, since 12-05
    # what an ensemble's mask marks on authentic photographs, {"median", "largest"}, since 12-06
    mask_on_authentic: Mapping[str, float] | None = None
    # whether the checkpoint records its pixel threshold as chosen on validation data (since
    # 2026-12-06; absent before and for an ensemble: such rows say "stored", not "calibrated")
    pixel_threshold_calibrated: bool | None = None
    # {"checkpoint", "program"}: the architecture code's version the checkpoint records and the
    # one that ran, when they differ (since 2026-12-06; absent otherwise and before)
    code_versions: Mapping[str, str] | None = None
    # the decision's figure minus θ, whether it lies within the cross-processor bound of its
    # precision, and that bound (engine.decision.decision_margin; since 2026-12-06, absent
    # before: such rows read without them; near_threshold and margin_bound null when no bound
    # was measured for the precision)
    margin: float | None = None
    near_threshold: bool | None = None
    margin_bound: float | None = None

    @classmethod
    def from_result(cls, r: ModelResult) -> ModelFigures:
        kw = {f.name: getattr(r, f.name) for f in dataclasses.fields(cls) if f.name not in MARGIN}
        return cls(**{**kw, "input_policy": dict(r.input_policy), **r.margin()})

    def to_json(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["input_policy"] = dict(self.input_policy)
        # probability, reliability added by issue 17, out_of_range later: absent when not
        # known (or in range), so earlier rows are written back byte for byte
        for key in ("probability", "reliability", "out_of_range", "contributions"):
            if d[key] is None or d[key] == "":
                del d[key]
        if d["pixel_threshold_calibrated"] is None:
            del d["pixel_threshold_calibrated"]
        if d["code_versions"] is None:
            del d["code_versions"]
        else:
            d["code_versions"] = dict(d["code_versions"])
        if d["mask_on_authentic"] is None:
            del d["mask_on_authentic"]
        else:
            d["mask_on_authentic"] = dict(d["mask_on_authentic"])
        if self.margin is None:  # a row written before margins were
            for key in MARGIN:
                del d[key]
        if "out_of_range" in d:
            d["out_of_range"] = dict(d["out_of_range"])
        return d

    @classmethod
    def from_json(cls, value: object, where: str) -> ModelFigures:
        o = RowObject(value, where)
        return cls(
            name=o.text("name"),
            architecture=o.text("architecture"),
            checkpoint=o.text("checkpoint"),
            checkpoint_sha256=o.text("checkpoint_sha256"),
            rule=o.text("rule"),
            score=o.number("score"),
            verdict=o.text("verdict"),
            forged_fraction=o.number("forged_fraction"),
            threshold=o.number("threshold"),
            pixel_threshold=o.number("pixel_threshold"),
            threshold_provenance=o.text("threshold_provenance"),
            input_policy=o.mapping("input_policy"),
            device=o.text("device"),
            precision=o.text("precision"),
            seconds=o.number("seconds"),
            image_logit=o.number("image_logit", None, nullable=True),
            probability=o.number("probability", None, nullable=True),
            reliability=o.text("reliability", ""),
            out_of_range=o.mapping("out_of_range", None, nullable=True),
            contributions=_contributions(o),
            mask_on_authentic=_mask_on_authentic(o),
            pixel_threshold_calibrated=o.flag("pixel_threshold_calibrated", None, nullable=True),
            code_versions=o.mapping("code_versions", None, nullable=True),
            margin=o.number("margin", None, nullable=True),
            near_threshold=o.flag("near_threshold", None, nullable=True),
            margin_bound=o.number("margin_bound", None, nullable=True),
        )

    def to_result(self, heatmap: NDArray[np.float32]) -> ModelResult:
        """The :class:`ModelResult` with ``heatmap`` [H, W] float32 and its mask (its margin
        made again from its figures: :meth:`ModelResult.margin`)."""
        kw = {k: v for k, v in self.to_json().items() if k not in MARGIN}
        r = ModelResult(**kw, heatmap=heatmap)
        r.mask = heatmap > r.pixel_threshold
        return r


def _mask_on_authentic(o: RowObject) -> dict[str, float] | None:
    """An ensemble's ``mask_on_authentic`` (absent in rows before 2026-12-06 and for other
    results): its ``median`` and ``largest``, each a number."""
    figure = o.mapping("mask_on_authentic", None, nullable=True)
    if figure is None:
        return None
    m = RowObject(figure, f"{o.where}.mask_on_authentic")
    return {key: float(m.number(key)) for key in ("median", "largest")}


def _contributions(o: RowObject) -> list[dict[str, Any]] | None:
    """A stacked ensemble's ``contributions`` (absent in older rows and other results), each
    term checked as its readers use it."""
    terms = o.array("contributions", None)
    for i, term in enumerate(terms or []):
        t = RowObject(term, f"{o.where}.contributions[{i}]")
        for key in ("label", "kind"):
            t.text(key)
        for key in ("value", "weight", "contribution"):
            t.number(key)
    return None if terms is None else [dict(t) for t in terms]


# the figures of a model that its results row, the CSV and the triage table show
SUMMARY_FIELDS = ("score", "verdict", "forged_fraction", "threshold")


@dataclass(frozen=True)
class ModelRecord:
    """One model's (or the ensemble's) result on one file: the figures a triage table shows,
    its heatmap file and, when the row holds them, the full :class:`ModelFigures`.

    heatmap: the 8-bit map, relative to the output folder (None: no file, e.g. a viewer
        analysis that was never written).
    """

    name: str
    score: float
    verdict: str
    forged_fraction: float
    threshold: float
    heatmap: str | None = None
    figures: ModelFigures | None = None

    @classmethod
    def from_result(cls, name: str, r: ModelResult, heatmap: str | None) -> ModelRecord:
        return cls(
            name=name,
            score=r.score,
            verdict=r.verdict,
            forged_fraction=r.forged_fraction,
            threshold=r.threshold,
            heatmap=heatmap,
            figures=ModelFigures.from_result(r),
        )

    def summary_json(self) -> dict[str, Any]:
        """The row's ``models`` entry (no name: the key gives it)."""
        d: dict[str, Any] = {k: getattr(self, k) for k in SUMMARY_FIELDS}
        if self.heatmap is not None:
            d["heatmap"] = self.heatmap
        return d

    def all_figures(self) -> dict[str, Any]:
        """Every figure recorded (the full figures when the row has them, else the summary)."""
        base = self.figures.to_json() if self.figures is not None else {}
        return {**base, **{k: getattr(self, k) for k in SUMMARY_FIELDS}}

    @classmethod
    def from_json(
        cls, name: str, value: object, figures: ModelFigures | None, where: str
    ) -> ModelRecord:
        o = RowObject(value, where)
        return cls(
            name=name,
            score=o.number("score"),
            verdict=o.text("verdict"),
            forged_fraction=o.number("forged_fraction"),
            threshold=o.number("threshold"),
            heatmap=o.text("heatmap", None, nullable=True),
            figures=figures,
        )


@dataclass(frozen=True)
class FaceRecord:
    """A face found in the evidence: box (x, y, w, h) in image pixels, detector confidence,
    the mean heatmap inside the box per model, and per model its decision on the face analysed
    at the model's own scale (``face_scores``: the face path, ``engine.facepath``).

    ``face_scores`` is written only when the face path ran (rows of earlier versions have none
    and are written back byte for byte); each entry's ``probability`` only when the model has a
    calibration, as in :class:`ModelFigures`, and its ``checkpoint_sha256`` (the checkpoint that
    judged the face) only in rows written since it was recorded (None: unknown).
    """

    box: tuple[int, int, int, int]
    confidence: float
    scores: Mapping[str, float] = field(default_factory=dict)
    face_scores: Mapping[str, FaceScore] = field(default_factory=dict)

    @classmethod
    def from_region(cls, f: FaceRegion) -> FaceRecord:
        return cls(tuple(f.box), f.confidence, dict(f.scores), dict(f.face_scores))  # type: ignore[arg-type]

    def to_region(self) -> FaceRegion:
        return FaceRegion(
            box=tuple(int(v) for v in self.box),  # type: ignore[arg-type]
            confidence=float(self.confidence),
            scores={k: float(v) for k, v in self.scores.items()},
            face_scores=dict(self.face_scores),
        )

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "box": list(self.box),
            "confidence": self.confidence,
            "scores": dict(self.scores),
        }
        if self.face_scores:
            d["face_scores"] = {k: v.to_dict() for k, v in self.face_scores.items()}
        return d

    @classmethod
    def from_json(cls, value: object, where: str) -> FaceRecord:
        o = RowObject(value, where)
        box = o.array("box")
        if len(box) != 4 or not all(is_integer(v) for v in box):
            raise RecordError(f"{where}.box: expected 4 integers, got {box!r}")
        scores = o.mapping("scores", {})
        bad = [k for k, v in scores.items() if not is_number(v)]
        if bad:
            raise RecordError(f"{where}.scores.{bad[0]}: expected a number")
        face_scores = {}
        for name, entry in o.mapping("face_scores", {}).items():
            e = RowObject(entry, f"{where}.face_scores.{name}")
            face_scores[name] = FaceScore(
                score=e.number("score"),
                verdict=e.text("verdict"),
                probability=e.number("probability", None, nullable=True),
                threshold=e.number("threshold", None, nullable=True),
                rule=e.text("rule", ""),
                forged_fraction=e.number("forged_fraction", None, nullable=True),
                checkpoint_sha256=e.text("checkpoint_sha256", None) or None,
            )
        return cls(tuple(box), o.number("confidence"), dict(scores), face_scores)  # type: ignore[arg-type]


@dataclass(frozen=True)
class EvidenceFacts:
    """Every fact of :class:`~engine.types.Evidence` but the pixels: a row's ``evidence``.

    path: the file's absolute path as it was named (symbolic links not followed), never one
        relative to wherever the command ran; real_path: the same with every symbolic link
        followed, i.e. where the bytes were read (None in rows written before it was recorded).
    fs_times: the file-system times found before the read (:class:`~engine.fstimes.FileTimes`;
        None in rows written before they were recorded, and left out of the row then).
    metadata_format: how ``metadata`` was written (:data:`engine.types.METADATA_FORMAT`);
        None in rows written before it was recorded (left out then), whose hex values longer
        than 64 bytes may be binary values (reports summarise those).
    """

    path: str
    sha256: str
    file_size: int
    format: str
    width: int
    height: int
    mode: str
    frames: int
    orientation: int
    orientation_applied: bool
    metadata: Mapping[str, str]
    warnings: tuple[str, ...]
    real_path: str | None = None
    fs_times: FileTimes | None = None
    metadata_format: int | None = None

    @classmethod
    def from_evidence(cls, ev: Evidence) -> EvidenceFacts:
        d = ev.to_dict()  # path absolute, real_path beside it
        d |= {"metadata": dict(ev.metadata), "warnings": tuple(ev.warnings)}
        return cls(**{**d, "fs_times": ev.fs_times})

    def to_json(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["metadata"] = dict(self.metadata)
        d["warnings"] = list(self.warnings)
        if self.real_path is None:  # a row of a version that did not record it
            del d["real_path"]
        if self.fs_times is None:  # nor these
            del d["fs_times"]
        else:
            d["fs_times"] = self.fs_times.to_json()
        if self.metadata_format is None:  # nor this
            del d["metadata_format"]
        return d

    @classmethod
    def from_json(cls, value: object, where: str) -> EvidenceFacts:
        o = RowObject(value, where)
        metadata = o.mapping("metadata")
        bad = [k for k, v in metadata.items() if not isinstance(v, str)]
        if bad:
            raise RecordError(f"{where}.metadata.{bad[0]}: expected a string")
        return cls(
            path=o.text("path"),
            sha256=o.text("sha256"),
            file_size=o.integer("file_size"),
            format=o.text("format"),
            width=o.integer("width"),
            height=o.integer("height"),
            mode=o.text("mode"),
            frames=o.integer("frames"),
            orientation=o.integer("orientation"),
            orientation_applied=o.flag("orientation_applied"),
            metadata=dict(metadata),
            warnings=o.strings("warnings"),
            real_path=o.text("real_path", None, nullable=True),
            fs_times=fs_times_field(o),
            metadata_format=o.integer("metadata_format", None, nullable=True),
        )


def fs_times_field(o: RowObject) -> FileTimes | None:
    """An evidence's or a header's ``fs_times`` (None: a row written before they were)."""
    value = o.mapping("fs_times", None)
    if value is None:
        return None
    t = RowObject(value, f"{o.where}.fs_times")
    return FileTimes(
        modified=t.text("modified"),
        status_changed=t.text("status_changed", nullable=True),
        accessed=t.text("accessed"),
        created=t.text("created", nullable=True),
    )
