"""Where a default verdict's probability came from when it is not the image's own.

Under the face rule (``engine.ensemble.Ensemble.with_faces``) the default verdict's
probability is the larger of the stacked ensemble's and the flagged faces' face-model
probabilities: on a photograph with a face, "p 0.89" could be one face's probability,
calibrated on as many manipulated as authentic *face crops*, while the image's stacked
probability was 0.31. Every place that shows the default verdict's probability (the reports'
summary and model section, the command line's table, the Verdict panel) says so, in
:func:`source_words`'s words; nothing is hidden and no stored figure changes: results.jsonl
keeps the faces' probabilities (``faces[].face_scores``) and the stacked terms
(``ensemble_details.contributions``) from which these words are made. The machine-readable
outputs say it too (:func:`source_fields`: results.jsonl's ``probability_source``, results.csv's
``ensemble.probability_source`` and ``ensemble.stacked_probability``, report.json's ensemble
entry), where a bare probability was read as the image's (docs/RESULTS.md, "Whose probability").
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from engine.decision import MANIPULATED
from engine.ensemble_provenance import decided_by_face, decided_by_face_alone, stacked_score
from engine.types import Analysis

FACE_CROPS = "calibrated on face crops"


def _get(fs: object, key: str) -> Any:
    """A face score's field, from a ``FaceScore`` or its JSON form alike."""
    return fs.get(key) if isinstance(fs, Mapping) else getattr(fs, key, None)


def source_words(
    probability: float | None,
    provenance: str,
    contributions: Iterable[Mapping[str, Any]] | None,
    faces: Iterable[Mapping[str, object]],
    whole: Collection[str] = (),
) -> str | None:
    """``"the image's own stacked probability is 0.31. Flagged because of face 1 only:
    diffforensics-faces scored it 0.9969, 0.0140 above its θ 0.9829. 0.87 is face 1's
    probability from diffforensics-faces, calibrated on face crops"`` when the default verdict's ``probability`` is a flagged face's
    (the face rule decided, per its θ ``provenance``, and a face model's probability on that
    face is the one shown), else None (the image's own probability).

    contributions: the stacked ensemble's terms (its own probability is σ of their sum;
        omitted from the words when unknown: an ensemble that does not stack).
    faces: each face's ``face_scores`` (model name -> ``FaceScore`` or its JSON), in order.
    whole: the whole-image models, whose face scores the face rule does not take.
    """
    if probability is None or not decided_by_face(provenance):
        return None
    terms = list(contributions) if contributions else None
    stacked = stacked_score(terms)
    if stacked is not None and math.isclose(stacked, probability, abs_tol=1e-9):
        return None  # the stacked probability was the larger: the image's own

    def shown(fs: object) -> bool:
        p = _get(fs, "probability")
        return (
            _get(fs, "verdict") == MANIPULATED
            and p is not None
            and math.isclose(float(p), probability, abs_tol=1e-9)
        )

    for i, scores in enumerate(faces, start=1):
        for name, fs in scores.items():
            if name not in whole and shown(fs):
                alone = decided_by_face_alone(provenance)
                return _face_words(i, name, fs, probability, stacked, alone=alone)
    return None


def _face_words(
    number: int, name: str, fs: object, probability: float, stacked: float | None, *, alone: bool
) -> str:
    """:func:`source_words` of face ``number``'s ``fs`` (model ``name``): the image's own
    stacked probability first, then that the face decided with the face model's score, θ and
    margin, then whose the probability is; "only" when the image's own verdict was "not
    flagged" (``alone``), else that the face flagged it too. The face's probability and the margin of its score
    moved onto the image's scale had read as the image's, and as a clear decision where one
    face was just over its own θ (walk-through 2026-12-06, finding 9)."""
    own = "" if stacked is None else f"the image's own stacked probability is {stacked:.2f}. "
    score, theta = _get(fs, "score"), _get(fs, "threshold")
    measured = ""
    if score is not None and theta is not None:
        n = 4  # more decimals where four print the score and θ alike
        while n < 8 and f"{float(score):.{n}f}" == f"{float(theta):.{n}f}":
            n += 1
        measured = (
            f": {name} scored it {float(score):.{n}f}, {float(score) - float(theta):.{n}f} "
            f"above its θ {float(theta):.{n}f}"
        )
    return (
        f"{own}Flagged because of face {number} only"
        if alone
        else f"{own}Face {number} flagged it too"
    ) + f"{measured}. {probability:.2f} is face {number}'s probability from {name}, {FACE_CROPS}"


IMAGE = "image"  # source_fields' source when the probability is the image's own
UNKNOWN = "unknown"  # ... when the face rule moved it and no face's probability is it


def source_fields(
    probability: float | None,
    provenance: str,
    contributions: Iterable[Mapping[str, Any]] | None,
    faces: Iterable[Mapping[str, object]],
    whole: Collection[str] = (),
) -> dict[str, Any] | None:
    """The machine-readable form of :func:`source_words` for results.jsonl
    (``probability_source``), results.csv (``ensemble.probability_source``,
    ``ensemble.stacked_probability``) and report.json (the ensemble entry's): a bare
    ``ensemble.probability`` is read as the image's, and under the face rule it may be a face
    crop's. None without a probability. Else ``{"source": ..., "stacked_probability": ...}``:
    ``source`` :data:`IMAGE` (the image's own: no face decided, or the stacked probability
    was the larger), the face's words (:func:`source_words`) when a flagged face's is shown,
    :data:`UNKNOWN` when the face rule moved it and no face's matches (an ensemble that does
    not stack); ``stacked_probability`` the image's own stacked probability, σ of the sum of
    ``contributions`` (None: an ensemble that does not stack). Arguments as
    :func:`source_words`'."""
    if probability is None:
        return None
    terms = list(contributions) if contributions else None
    stacked = stacked_score(terms)
    words = source_words(probability, provenance, terms, faces, whole)
    own = not decided_by_face(provenance) or (
        stacked is not None and math.isclose(stacked, probability, abs_tol=1e-9)
    )
    source = words if words is not None else (IMAGE if own else UNKNOWN)
    return {"source": source, "stacked_probability": stacked}


def analysis_source(analysis: Analysis) -> dict[str, Any] | None:
    """:func:`source_fields` of an :class:`engine.types.Analysis`'s default verdict (None
    without an ensemble or its probability)."""
    ens = analysis.ensemble
    if ens is None:
        return None
    return source_fields(
        ens.probability,
        ens.threshold_provenance,
        ens.contributions,
        [f.face_scores for f in analysis.faces],
        set(analysis.results),
    )
