"""A report's faces section: what face detection found, and each face's verdicts as the face
path gave them (each face analysed on its own at each model's training scale), in the
words the HTML and PDF reports and the viewer's Verdict panel share; moved out of
:mod:`forensic_viewer.report.text`, whose number formatting it uses."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from engine.facepath import FACE_MARGIN, face_out_of_range
from engine.faces import MEASURED_DETECTOR, UNMEASURED_DETECTOR
from forensic_viewer.report.model import ReportItem
from forensic_viewer.report.text import num
from forensic_viewer.wording import (
    FACE_PROBABILITY_NOTE,
    NOT_USED,
    face_models_first,
    face_range_words,
    face_verdict_words,
    image_size,
)


def detector_of(settings: Mapping[str, Any] | None) -> str | None:
    """The face detector a report's settings record (scan.json's ``faces.detector``; a viewer
    report's the viewer's detector, in the same place), else None."""
    faces = (settings or {}).get("faces")
    return str(faces["detector"]) if isinstance(faces, Mapping) and faces.get("detector") else None


def detector_words(detector: str | None) -> str:
    """After "Face detection ran": nothing for MTCNN (or not recorded); for another
    detector (the Haar fallback) its name and that the face models were not measured on its
    faces: a Haar "face" had read as one MTCNN found (installer's walk-through, 2026-12-06)."""
    if detector in (None, MEASURED_DETECTOR):
        return ""
    return (
        f" with the {detector} detector, not MTCNN, whose faces the face models were measured "
        f"on ({UNMEASURED_DETECTOR})"
    )


WHOLE_ON_FACES = (
    f"The whole-image models' results on a face are {NOT_USED}: their thresholds were set on "
    "whole images, not on faces."
)


def faces_text(item: ReportItem, detector: str | None = None) -> str:
    """The faces section's paragraph; ``detector``: the one that found the faces
    (:func:`detector_of`), named when it is not MTCNN."""
    if item.status != "ok":
        return "Face detection: NOT RUN (the file was not analysed)."
    if item.faces_checked is None:
        return "Face detection: not recorded for this file."
    if not item.faces_checked:
        return "Face detection: NOT RUN on this file."
    ran = f"Face detection ran{detector_words(detector)}"
    if not item.faces:
        return f"{ran} and found no face."
    found = f"{ran} and found {len(item.faces)} face(s)."
    judged = [(i, f) for i, f in enumerate(item.faces, start=1) if f.get("face_scores")]
    if not judged:
        return found
    whole = {m.name for m in item.models}
    size = image_size(item.evidence)
    verdicts = " ".join(f"Face {i}: {face_verdicts(f, whole, size)}." for i, f in judged)
    face_models = list(
        dict.fromkeys(n for _, f in judged for n in f["face_scores"] if n not in whole)
    )
    thresholds = (
        f" {', '.join(face_models)}: a face model, its threshold set on faces."
        if face_models
        else ""
    )
    calibrated = any(
        fs.get("probability") is not None
        for _, f in judged
        for n, fs in f["face_scores"].items()
        if n in face_models
    )
    return (
        f"{found} Each face was also analysed on its own, at each model's training scale. The "
        f"crop is the box with a {FACE_MARGIN:.0%} margin, resized to the model's window."
        f"{thresholds} {WHOLE_ON_FACES} "
        f"{verdicts}" + (f" Note: {FACE_PROBABILITY_NOTE}." if calibrated else "")
    )


def face_verdicts(
    face: dict[str, Any], whole: Collection[str] = (), size: tuple[int, int] | None = None
) -> str:
    """A face's per-model results on the face path, e.g. ``tiny flagged as manipulated (score
    0.6250 > θ 0.5000, probability 0.800)`` or, for a whole-image forged-fraction model,
    ``crfd-net-compact (not used for the verdict): marked area 54.52 %, θ 34.23 %``,
    joined by semicolons; "" when the face path did not run. A row
    written before face thresholds were recorded gives the score alone. ``whole``: the
    whole-image models (the others are face models); a face one of them flags says that this
    leaves the file's verdict alone (:func:`~forensic_viewer.wording.face_verdict_words`, the
    Verdict panel's words too); the face models' first. ``size``: the image's (width, height),
    to say when the border cuts the face."""
    words = "; ".join(
        face_verdict_words(name, fs, face_model=name not in whole)
        for name, fs in face_models_first(face.get("face_scores") or {}, whole)
    )
    box = face.get("box")
    marked = face_range_words(face_out_of_range(box, size)) if box else ""
    return f"{words} ({marked})" if words and marked else words


FACE_COLUMNS = ("#", "Box", "Confidence", "Mean heatmap in the box", "Verdict of the face alone")


def face_rows(item: ReportItem) -> list[list[str]]:
    """[#, box, detector confidence, per-model mean heatmap in the box, per-model verdict on
    the face analysed alone] per face (:data:`FACE_COLUMNS`)."""
    out = []
    whole = {m.name for m in item.models}
    size = image_size(item.evidence)
    for i, f in enumerate(item.faces, start=1):
        x, y, w, h = f.get("box", [0, 0, 0, 0])
        scores = ", ".join(f"{k} {num(v, 3)}" for k, v in (f.get("scores") or {}).items())
        out.append(
            [
                str(i),
                f"x {x}, y {y}, {w} x {h}",
                num(f.get("confidence"), 3),
                scores or "—",
                face_verdicts(f, whole, size) or "—",
            ]
        )
    return out
