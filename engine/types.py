"""Plain data passed between the engine, the viewer, the command line and reports.

Arrays (pixels, heatmaps, masks) live on the objects for in-process use; ``to_dict`` gives the
JSON-safe figures without them. The same :class:`Analysis` feeds the GUI, the CLI and reports.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.decision import decision_margin
from engine.errors import ImageHeader
from engine.fstimes import FileTimes

# How a record's metadata was written (``Evidence.metadata_format``): 2, binary values over 64
# bytes recorded as their size and SHA-256 (``engine.exif.exif_bytes_text``, since
# 2026-12-04), so a longer ``0x…`` value is text the file holds, never bytes. Rows that do
# not record it (written before 2026-12-05) may hold a binary value as hex cut at 1,000
# characters, which reports summarise (``forensic_viewer.report.metadata``).
METADATA_FORMAT = 2


@dataclass
class Evidence:
    """An image file under examination, decoded. The file itself is never written to.

    pixels: [H, W, 3] uint8 RGB after the orientation policy (see ``engine.io``).
    sha256: of the exact bytes on disk at load time.
    orientation: the EXIF orientation tag found (1 when absent; 1 for HEIF, whose decoder
        turns the picture by the file's own boxes: the tag is in ``metadata``, with a
        warning); ``orientation_applied`` says whether the pixels (and so every heatmap and
        layer) were rotated/flipped by it.
    metadata: EXIF and text chunks as untrusted, size-capped text.
    warnings: conversions and oddities worth showing to the analyst.
    fs_times: the file-system times as found before the file was read (``engine.fstimes``:
        what the file system said at analysis time, not when the photograph was made); None
        for evidence not read from a file by ``engine.io``.
    metadata_format: how ``metadata`` was written (``METADATA_FORMAT``): which of its values
        can be bytes written as hex.
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
    metadata: dict[str, str]
    warnings: list[str]
    pixels: NDArray[np.uint8] = field(repr=False)
    fs_times: FileTimes | None = None
    metadata_format: int = METADATA_FORMAT

    def to_dict(self) -> dict[str, Any]:
        """Every fact but the pixels. ``path`` made absolute (a record must not depend on where
        the command ran; symbolic links not followed, as the analyst named the file) and
        ``real_path`` beside it, every link followed: where the bytes were read. ``fs_times``
        as a JSON object, left out when not recorded."""
        skip = ("pixels", "fs_times", "metadata_format")
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in skip}
        d["path"] = os.path.abspath(self.path)
        d["metadata"] = dict(self.metadata)
        d["warnings"] = list(self.warnings)
        d["real_path"] = os.path.realpath(self.path)
        if self.fs_times is not None:
            d["fs_times"] = self.fs_times.to_json()
        d["metadata_format"] = self.metadata_format  # last, as rows write it
        return d

    def header(self) -> ImageHeader:
        """What a file's header said (a failed analysis's error row keeps it): the size as
        stored, before the orientation policy turned it (as a failed decode records it)."""
        turned = self.orientation_applied and self.orientation in (5, 6, 7, 8)
        w, h = (self.height, self.width) if turned else (self.width, self.height)
        return ImageHeader(self.sha256, self.file_size, self.format, w, h, self.fs_times)


@dataclass(frozen=True)
class FaceScore:
    """One model's decision on one face, analysed at the model's own scale (``engine.facepath``).

    score, verdict: the model's rule and θ applied to the face window (as ``ModelResult``'s).
    probability: the model's calibration applied to the face window's statistic, or None for a
        model without a calibration. Both were fitted on whole images, not on faces (a face
        model's on faces).
    threshold, rule, forged_fraction: the model's θ, its rule (``logit``: the score is compared
        with θ; ``forged_fraction``: the face window's forged fraction is, and the score maps θ
        to 0.5) and that fraction, so a face verdict carries its threshold in θ's own unit as
        every other verdict does (None / "" in rows written before they were recorded).
    checkpoint_sha256: the SHA-256 of the checkpoint that made this decision, as a
        ``ModelResult`` names its own: a face model has no whole-image result, and its
        measured rates may be worded beside its faces only when they are this checkpoint's
        (None: unknown, in rows written before it was recorded, 2026-12-06).
    """

    score: float
    verdict: str
    probability: float | None = None
    threshold: float | None = None
    rule: str = ""
    forged_fraction: float | None = None
    checkpoint_sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"score": self.score, "verdict": self.verdict}
        if self.probability is not None:  # only then, as ModelFigures' probability
            d["probability"] = self.probability
        if self.threshold is not None:
            d["threshold"] = self.threshold
        if self.rule:
            d["rule"] = self.rule
        if self.forged_fraction is not None:
            d["forged_fraction"] = self.forged_fraction
        if self.checkpoint_sha256:
            d["checkpoint_sha256"] = self.checkpoint_sha256
        return d


@dataclass
class FaceRegion:
    """A detected face: box in image pixels (x, y, w, h), detector confidence, per-model scores.

    landmarks: None (a detector without them, e.g. the Haar cascade) or five (x, y) points in
        image pixels, in MTCNN's order: the eye on the image's left, the other eye, the nose
        tip, the mouth corner on the image's left, the other mouth corner.
    scores: per model, the mean of the whole-image heatmap inside the box.
    face_scores: per model, its decision on the face analysed at its own scale (the face path,
        ``engine.facepath``); empty when the face path did not run.
    """

    box: tuple[int, int, int, int]
    confidence: float
    scores: dict[str, float] = field(default_factory=dict)
    landmarks: tuple[tuple[float, float], ...] | None = None
    face_scores: dict[str, FaceScore] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "box": list(self.box),
            "confidence": self.confidence,
            "scores": dict(self.scores),
        }
        if self.landmarks is not None:  # only then: rows of detectors without them are unchanged
            d["landmarks"] = [[x, y] for x, y in self.landmarks]
        if self.face_scores:  # likewise: rows without the face path are unchanged
            d["face_scores"] = {k: v.to_dict() for k, v in self.face_scores.items()}
        return d


@dataclass
class ModelResult:
    """One model's findings on one evidence file.

    heatmap: [H, W] float32 in [0, 1] at the evidence's full resolution.
    mask: heatmap > pixel_threshold.
    score: image-level score in [0, 1], above 0.5 or θ when the verdict is "manipulated" (see
        ``engine.decision``); it ranks images but is not a probability.
    probability: the calibrated probability that the image was manipulated (see
        ``engine.calibration``: Platt scaling on the validation part, under its mix of tampered
        and authentic images), or None for a model without a calibration.
    reliability: what the verdict's threshold does on the test part, in one sentence ("at this
        threshold: 4 % of authentic camera photographs (1 of 26) ... are flagged"), or "".
    out_of_range: None, or the image was smaller than any image the verdict was measured on
        (``engine.decision.verdict_range``): ``{"short_side": 5, "min_side": 192}`` (an
        ensemble's also names the ``members`` that were). The verdict is what the rule gave,
        but the reliability sentence does not describe it; every display says so beside it
        (docs/VERDICTS.md, "Images too small for a verdict").
    contributions: for a stacked ensemble's result, what made its logit z = bias + Σ w_k · x_k
        (``engine.ensemble.Ensemble.combine``): per input ``{"input", "label", "kind",
        "value", "weight", "contribution"}`` (x_k, w_k and w_k · x_k; ``kind`` one of
        ``engine.ensemble_provenance.CONTRIBUTION_KINDS``), the bias last as an input of
        value 1, so the contributions sum to z, the logit of the stacked score (before the face rule, which can
        raise the score); None for every other result and in rows written before 2026-12-05.
    mask_on_authentic: for an ensemble whose calibration records it, what its mask marks on
        authentic camera photographs of the test half, ``{"median", "largest"}`` shares of the
        pixels (``engine.calibration.mask_on_authentic``), the figure its reliability sentence
        gives in words, kept as numbers for the displays that repeat it beside an unflagged
        marked area; None otherwise and in rows written before 2026-12-06.
    pixel_threshold_calibrated: whether the checkpoint records that ``pixel_threshold`` was
        chosen on validation data (``engine.calibration.pixel_threshold_calibrated``); None for
        an ensemble's (its file records no such choice) and in rows written before the evening of 2026-12-06.
    code_versions: ``{"checkpoint", "program"}`` when the checkpoint records another version
        of its architecture's code than the one that ran (``engine.checkpoints.code_versions``;
        its reliability sentence then says so), None otherwise and in older rows.
    """

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
    input_policy: dict[str, Any]
    device: str
    precision: str
    seconds: float
    heatmap: NDArray[np.float32] | None = field(default=None, repr=False)
    mask: NDArray[np.bool_] | None = field(default=None, repr=False)
    image_logit: float | None = None
    probability: float | None = None
    reliability: str = ""
    out_of_range: dict[str, Any] | None = None
    contributions: list[dict[str, Any]] | None = None
    mask_on_authentic: dict[str, float] | None = None
    pixel_threshold_calibrated: bool | None = None
    code_versions: dict[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        """Every field but the arrays, then the decision's margin to θ (:meth:`margin`)."""
        skip = {"heatmap", "mask"}
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in skip}
        return {**d, **self.margin()}

    def margin(self) -> dict[str, Any]:
        """``{"margin", "near_threshold", "margin_bound"}``: how far the figure θ is compared
        with lies from θ, and whether within the cross-processor bound of this result's
        precision (:func:`engine.decision.decision_margin`; docs/RESULTS.md)."""
        return decision_margin(
            self.rule, self.score, self.forged_fraction, self.threshold, self.precision
        )


@dataclass
class PartialMap:
    """A model's heatmap of which only part was computed (issue 18): while the model runs
    (the viewer's progressive heatmap) or as a Cancel left it. No mask, verdict, score or
    probability is ever made from it, and no ensemble takes it in.

    heatmap: [H, W] float32 in [0, 1], NaN where not computed yet (never 0, which would read
        as "authentic"); a preview holds every ``cell``-th pixel in each direction
        ([ceil(H / cell), ceil(W / cell)]).
    fraction: the share of the image's pixels computed, in [0, 1].
    """

    model: str
    heatmap: NDArray[np.float32] = field(repr=False)
    fraction: float
    cell: int = 1  # 1: full resolution (what a Cancel keeps); more: a preview while it runs

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "fraction": self.fraction, "verdict": None}


@dataclass
class Analysis:
    """Everything found about one evidence file.

    analyses: the classic analyses run on it, by name (``engine.analyses.AnalysisResult``;
        typed ``Any`` here because that module imports this one), next to the networks'
        ``results`` so that the viewer, scans and reports carry both in one object.
    face_maps: per model, the heatmaps of its face windows pasted back at full resolution
        ([H, W] float32, 0 outside the face crops; ``engine.facepath``); empty when the face
        path did not run. Not part of ``to_dict`` (maps are not JSON).
    cancelled: the analysis was cancelled: ``results`` holds the models that finished (each
        complete, with its verdict), ``partial`` the map of the one that was running, and
        there is no ensemble, face or classic-analysis step after the cancel.
    faces_checked: whether face detection ran on it (an empty ``faces`` then means "none
        found"), None when not known; set by whoever ran or rebuilt the analysis (the viewer's
        worker, a scan row's ``faces_checked``), as a scan row records it. Not in ``to_dict``
        (rows record it beside the analysis). The Verdict panel said nothing of a face the
        detector missed, so an unchecked face read as "not flagged" (walk-through 2026-12-06).
    """

    evidence: Evidence
    results: dict[str, ModelResult]
    faces: list[FaceRegion] = field(default_factory=list)
    ensemble: ModelResult | None = None
    seconds: float = 0.0
    analyses: dict[str, Any] = field(default_factory=dict)
    face_maps: dict[str, NDArray[np.float32]] = field(default_factory=dict)
    cancelled: bool = False
    partial: dict[str, PartialMap] = field(default_factory=dict)
    faces_checked: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        d = {
            "evidence": self.evidence.to_dict(),
            "models": {k: v.to_dict() for k, v in self.results.items()},
            "ensemble": None if self.ensemble is None else self.ensemble.to_dict(),
            "faces": [f.to_dict() for f in self.faces],
            "seconds": self.seconds,
            "analyses": {k: v.to_dict() for k, v in self.analyses.items()},
        }
        if self.cancelled:  # only then: complete analyses' rows are unchanged
            d["cancelled"] = True
            d["partial"] = {k: v.to_dict() for k, v in self.partial.items()}
        return d


@dataclass
class Progress:
    """Progress of one analysis: ``done`` of ``total`` units (windows) for ``stage``.

    partial: for a network's stage, ``partial(max_pixels=None)`` returns the :class:`PartialMap`
        of what is computed so far (None before the first batch), at full resolution or as a
        preview of at most about ``max_pixels`` pixels; it builds the map only when called, on
        the thread that runs the analysis (``engine.tiling.PartialFusion``), so a listener
        that never calls it costs nothing.
    """

    stage: str
    done: int
    total: int
    partial: Callable[..., PartialMap | None] | None = field(default=None, compare=False)

    @property
    def fraction(self) -> float:
        return 1.0 if self.total <= 0 else min(1.0, self.done / self.total)
