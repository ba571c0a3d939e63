"""Which detected face is which, the same way everywhere: its number (1-based, in the
analysis's order, as the reports' faces table and face-map tiles number it), its place
(``face 2, x 428 y 635``) and whether a face model flagged it.

A face model (scope ``"faces"``) runs on the face path only, so it has a verdict on a face
(``FaceRegion.face_scores``) and no whole-image heatmap mean in its box (``FaceRegion.scores``);
its "manipulated" is what the default verdict's face rule counts. A whole-image model's face
verdict leaves the file's verdict alone, so it does not mark a face flagged here.

In a photograph of several faces, the viewer drew every box alike and named a face in the
Verdict panel by its number only, so an analyst could not tell which face was flagged
(walk-through 2026-12-05). When no face was judged, :func:`no_face_words` says whether
detection ran (a face it missed is never judged) or was off. Qt-free: the canvas, the layer
panel, the read-out and the Verdict panel use it.
"""

from __future__ import annotations

from engine.decision import MANIPULATED
from engine.types import FaceRegion, FaceScore
from forensic_viewer.wording import FLAGGED, NOT_FLAGGED, face_decision_words

# the report's words (report/face_text.py), then what the detector misses (docs/FACES.md)
NO_FACE_FOUND = "Face detection ran and found no face"
NOT_FOUND_WHY = "faces turned on their side, in profile or very small are not found (docs/FACES.md)"
FACES_NOT_CHECKED = "faces not checked: face detection was off"


def no_face_words(checked: bool | None, face_rule: bool = False) -> str:
    """What to say of an analysis in which no face was judged: ``checked`` (did detection
    run, ``Analysis.faces_checked``) None: nothing (not known); False: :data:`FACES_NOT_CHECKED`;
    True: that it found none, so ``face_rule`` (the default verdict's face rule is on) checked
    nothing, and which faces the detector misses. An image whose face was missed (turned 90°)
    read "not flagged (calibrated)" under a sentence on the face rule, with no word that no
    face had been checked (walk-through 2026-12-06, finding 1)."""
    if checked is None:
        return ""
    if not checked:
        return FACES_NOT_CHECKED
    what = "the face rule checked nothing" if face_rule else "no face was judged"
    return f"{NO_FACE_FOUND}: {what}; {NOT_FOUND_WHY}"


def face_models_of(face: FaceRegion) -> list[str]:
    """The face models that judged ``face``: those with a face verdict and no heatmap mean."""
    return [name for name in face.face_scores if name not in face.scores]


def flagged_by(face: FaceRegion) -> list[str]:
    """The face models that called ``face`` manipulated (empty: no face model flagged it)."""
    return [n for n in face_models_of(face) if face.face_scores[n].verdict == MANIPULATED]


def flag_words(face: FaceRegion) -> str:
    """What the face models said of ``face`` in the fewest words, for the head of its label
    (a narrow box shows little more): ``flagged as manipulated`` when one flagged it, ``not
    flagged`` when face models judged it and none did, "" when no face model judged it."""
    if not face_models_of(face):
        return ""
    return FLAGGED if flagged_by(face) else NOT_FLAGGED


def face_name(number: int, face: FaceRegion) -> str:
    """``face 2, x 428 y 635``: the face's number and its box's top-left corner, as the
    reports' faces table gives them."""
    x, y = face.box[0], face.box[1]
    return f"face {number}, x {x} y {y}"


def face_verdict_short(fs: FaceScore) -> str:
    """A model's verdict on one face in a few words, in every display's verdict words:
    ``flagged as manipulated, score 0.9965 > θ 0.9829`` or ``not flagged, score 0.9089 ≤
    θ 0.9829`` (:func:`~forensic_viewer.wording.face_decision_words`)."""
    words = FLAGGED if fs.verdict == MANIPULATED else NOT_FLAGGED
    return f"{words}, {face_decision_words(fs.to_dict())}"
