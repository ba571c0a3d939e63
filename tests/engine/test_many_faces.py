"""Under the face rule every face is a chance of a false flag (a face-manipulation analyst's
walk-through, 2026-12-06, finding 2): the Sony DSC-P52's 17 authentic faces re-saved at JPEG
quality 90 had 4 flagged, and its verdict said only photograph-level rates counted on
photographs of 0-2 faces. With two faces or more judged, the default verdict's reliability
says how many, and how often an authentic photograph with as many faces would be flagged at
the face model's per-face rate; a verdict the rule decided says how many of them flagged it.
θ and the rule are unchanged (that needs a validation measurement first)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from engine.decision import AUTHENTIC, MANIPULATED
from engine.ensemble import Ensemble, Member
from engine.ensemble_provenance import (
    FACE_RULE_CAVEAT,
    file_reliability,
    general_reliability,
    per_face_rate,
)
from engine.types import FaceRegion, FaceScore
from tests.engine.test_face_models import _face_model, _result

MEASURED = "at this threshold (test part): 13 % of authentic camera photographs (4 of 30)"
# the bundled face model's counts (its card's "authentic faces flagged at θ")
FACE_COUNTS = {
    "flagged": {
        "authentic FASSEG faces": [1, 36],
        "authentic camera-photograph faces": [3, 27],
        "face forgeries": [203, 360],
    }
}


def _faces(n: int, flagged: int) -> list[FaceRegion]:
    faces = []
    for i in range(n):
        face = FaceRegion((i, 0, 10, 10), 0.99)
        verdict = MANIPULATED if i < flagged else AUTHENTIC
        face.face_scores["face"] = FaceScore(score=0.4 if i < flagged else 0.05, verdict=verdict)
        faces.append(face)
    return faces


def _with_rates(tmp_path: Path, calibration: dict | None):
    face = _face_model(tmp_path / "face.safetensors")
    decision = dataclasses.replace(face.meta.decision, calibration=calibration)
    return dataclasses.replace(face, meta=dataclasses.replace(face.meta, decision=decision))


def test_the_number_of_faces_and_the_rate_it_implies_are_said(tmp_path: Path) -> None:
    face = _with_rates(tmp_path, {"a": 1.0, "b": 0.0, "reliability": FACE_COUNTS})
    ens = Ensemble(name="ens", members=[Member("whole")], face_rule="any")
    before = dataclasses.replace(_result(), reliability=MEASURED)
    out = ens.with_faces(before, _faces(17, 0), {"face": face}, {})
    assert out.verdict == AUTHENTIC
    assert out.reliability.startswith(MEASURED + FACE_RULE_CAVEAT)
    assert general_reliability(out.reliability) == MEASURED + FACE_RULE_CAVEAT
    assert file_reliability(out.reliability) == (
        "On this file, 17 faces judged by face: at its per-face rate on authentic "
        "camera-photograph faces, 11 % (3 of 27), an authentic photograph with 17 faces would "
        "be flagged about 86 % of the time (1 - (1 - r)^17, if its faces erred independently)"
    )  # 1 - (24/27)^17 = 0.865
    one = ens.with_faces(before, _faces(1, 0), {"face": face}, {})
    assert (
        file_reliability(one.reliability) == "" and one.reliability == MEASURED + FACE_RULE_CAVEAT
    )


def test_a_verdict_the_rule_decided_says_how_many_of_the_faces_flagged_it(tmp_path: Path) -> None:
    face = _with_rates(tmp_path, None)  # no measured per-face rate
    ens = Ensemble(name="ens", members=[Member("whole")], face_rule="any")
    before = dataclasses.replace(_result(), reliability=MEASURED)
    out = ens.with_faces(before, _faces(17, 4), {"face": face}, {})
    assert out.verdict == MANIPULATED
    assert "face rule 'any': 4 of 17 face verdict(s) of face flag the image" in (
        out.threshold_provenance
    )
    assert file_reliability(out.reliability) == (
        "On this file, 17 faces judged by face: each can flag it, and its per-face rate is not "
        "measured"
    )


def test_the_per_face_rate_is_the_camera_faces_else_every_authentic_face() -> None:
    assert per_face_rate({"reliability": FACE_COUNTS}) == (
        "authentic camera-photograph faces",
        3,
        27,
    )
    fassegs = {"flagged": {"authentic FASSEG faces": [1, 36], "authentic CASIA faces": [2, 27]}}
    assert per_face_rate({"reliability": fassegs}) == ("authentic faces", 3, 63)
    assert per_face_rate({"reliability": {"flagged": {"face forgeries": [3, 9]}}}) is None
    assert per_face_rate(None) is None
