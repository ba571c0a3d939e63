"""results.csv says, per model and for the default verdict, the figure θ was compared with
(``<model>.decision_value``), under which rule, at which pixel threshold, and what made the
default verdict (``ensemble.decided_by``, ``ensemble.score_without_face_rule``).

A researcher's walk-through compared ``crfd-net-compact.score`` with ``.threshold``: on 7 of 40
rows that disagreed with the verdict, because the forged-fraction rule compares the forged
fraction with θ; and ``ensemble.score`` was the stacked score on some rows and a flagged face's
score moved onto θ's scale on others, with nothing in the table saying which.
"""

from __future__ import annotations

import csv
from types import SimpleNamespace

import numpy as np
import pytest

from engine.checkpoint_meta import DecisionRule
from engine.decision import MANIPULATED, decide, sigmoid
from engine.ensemble import Ensemble, Member, Stacking
from engine.types import FaceRegion, FaceScore, ModelResult
from forensic_viewer.scan.records import FileRecord, ModelRecord
from forensic_viewer.scan.results import write_csv

SHAPE = (20, 50)  # 1,000 pixels: a forged fraction in steps of 0.001
FRACTION_THETA, LOGIT_THETA, ENSEMBLE_THETA, FACE_THETA = 0.3, 0.6, 0.55, 0.9
SHA = {"ff": "f" * 64, "lg": "1" * 64}  # the members' weights


def _member(name: str, rule: str, theta: float, p: float, image_logit: float | None) -> ModelResult:
    """A member's result as the pipeline makes it: its verdict from engine.decision.decide."""
    heat = np.zeros(SHAPE, np.float32)
    heat.ravel()[: round(p * heat.size)] = 0.9
    mask = heat > 0.5
    d = decide(rule, mask, theta, image_logit)
    return ModelResult(
        name=name, architecture="test", checkpoint="", checkpoint_sha256=SHA[name], rule=rule,
        score=d.score, verdict=d.verdict, forged_fraction=d.forged_fraction, threshold=theta,
        pixel_threshold=0.5, threshold_provenance="test", input_policy={}, device="cpu",
        precision="fp32", seconds=0.0, heatmap=heat, mask=mask, image_logit=image_logit,
    )  # fmt: skip


def _face(score: float) -> FaceRegion:
    face = FaceRegion((2, 2, 10, 10), 0.99)
    verdict = MANIPULATED if score > FACE_THETA else "authentic"
    face.face_scores["face"] = FaceScore(score=score, verdict=verdict, threshold=FACE_THETA)
    return face


# per file: (forged fraction of "ff", image logit of "lg", the face model's score on its face)
FILES = {
    "low.png": (0.05, -2.0, None),
    "ff-score-above-theta.png": (0.25, 0.0, None),  # score 0.45 > θ 0.3, fraction below
    "ff-flags.png": (0.35, 0.2, None),
    "both-flag.png": (0.7, 3.0, None),
    "face-alone.png": (0.05, -2.0, 0.97),  # the stacked verdict is authentic
    "face-and-stacked.png": (0.7, 3.0, 0.95),
    "face-not-flagged.png": (0.05, -2.0, 0.5),
}


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """results.csv of the files above: a forged-fraction member, a logit member and a stacked
    ensemble of both with the face rule, a face model flagging two of the files."""
    ens = Ensemble(
        "stack", [Member("ff"), Member("lg")], threshold=ENSEMBLE_THETA,
        stacking=Stacking(bias=-0.5, weights={"ff": 0.8, "lg": 1.2}), face_rule="any",
        sha256="e" * 64,
    )  # fmt: skip
    face_model = SimpleNamespace(meta=SimpleNamespace(decision=DecisionRule("logit", FACE_THETA)))
    records = []
    for path, (p, z, face_score) in FILES.items():
        results = {
            "ff": _member("ff", "forged_fraction", FRACTION_THETA, p, None),
            "lg": _member("lg", "logit", LOGIT_THETA, 0.0, z),
        }
        faces = [] if face_score is None else [_face(face_score)]
        e = ens.with_faces(ens.combine(results), faces, {"face": face_model}, {})  # type: ignore[dict-item]
        records.append(
            FileRecord(
                path,
                "0" * 64,
                SHAPE[1],
                SHAPE[0],
                models=tuple(ModelRecord.from_result(n, r, None) for n, r in results.items()),
                ensemble=ModelRecord.from_result("ensemble", e, None),
            )
        )
    out = tmp_path_factory.mktemp("decision")
    write_csv(out, records, ["ff", "lg"], face_models=["face"])
    with open(out / "results.csv", encoding="utf-8", newline="") as f:
        return {r["path"]: r for r in csv.DictReader(f)}


@pytest.mark.parametrize("model", ["ff", "lg", "ensemble"])
def test_the_decision_value_is_above_theta_exactly_when_the_verdict_flags(
    table: dict[str, dict[str, str]], model: str
) -> None:
    for path, row in table.items():
        flagged = row[f"{model}.verdict"] == MANIPULATED
        above = float(row[f"{model}.decision_value"]) > float(row[f"{model}.threshold"])
        assert above == flagged, (path, model)
    # the cases that make it matter: the forged-fraction rule's score passes θ unflagged, and
    # the face rule flags images under both its verdicts and neither
    assert {r[f"{model}.verdict"] for r in table.values()} == {MANIPULATED, "authentic"}


def test_the_rule_names_the_column_theta_applies_to(table: dict[str, dict[str, str]]) -> None:
    row = table["ff-score-above-theta.png"]
    assert float(row["ff.score"]) > FRACTION_THETA and row["ff.verdict"] == "authentic"
    assert (
        row["ff.rule"] == "forged_fraction"
        and row["ff.decision_value"] == row["ff.forged_fraction"]
    )
    assert row["lg.rule"] == "logit" and row["lg.decision_value"] == row["lg.score"]
    assert row["ensemble.rule"] == "ensemble"
    assert row["ensemble.decision_value"] == row["ensemble.score"]
    assert row["ff.pixel_threshold"] == "0.500000" == row["ensemble.pixel_threshold"]


def test_the_table_says_when_the_face_rule_made_the_default_verdict(
    table: dict[str, dict[str, str]],
) -> None:
    decided = {path: row["ensemble.decided_by"] for path, row in table.items()}
    assert decided["face-alone.png"] == "face rule"
    assert decided["face-and-stacked.png"] == "ensemble and face rule"
    assert decided["face-not-flagged.png"] == decided["low.png"] == "ensemble"
    alone = table["face-alone.png"]
    # the score is the face's on the ensemble's scale; the stacked score stays beside it
    own = float(sigmoid(-0.5 + 0.8 * np.log(0.05 / 0.95) + 1.2 * -2.0))
    assert alone["ensemble.score_without_face_rule"] == f"{own:.6f}"
    assert own < ENSEMBLE_THETA < float(alone["ensemble.score"])
    for path in ("low.png", "face-not-flagged.png", "both-flag.png"):
        row = table[path]
        assert row["ensemble.score_without_face_rule"] == row["ensemble.score"]


def test_the_new_columns_come_after_every_earlier_one(table: dict[str, dict[str, str]]) -> None:
    header = list(next(iter(table.values())))
    assert header.index("warnings") < header.index("ff.rule")  # earlier columns keep places
    assert header[-13:] == [
        "ensemble.decided_by",
        "ensemble.score_without_face_rule",
        "ensemble.probability_source",  # added later: at the end
        "ensemble.stacked_probability",
        "ff.checkpoint_sha256",  # later still
        "lg.checkpoint_sha256",
        "ensemble.checkpoint_sha256",
        "ff.margin",  # later still: each decision's margin to θ
        "ff.near_threshold",
        "lg.margin",
        "lg.near_threshold",
        "ensemble.margin",
        "ensemble.near_threshold",
    ]


def test_each_row_names_the_weights_that_made_it(table: dict[str, dict[str, str]]) -> None:
    """results.jsonl and scan.json carried the checkpoints' SHA-256, results.csv not: a CSV
    handed on alone could not say which weights produced its rows."""
    for row in table.values():
        assert row["ff.checkpoint_sha256"] == "f" * 64 and row["lg.checkpoint_sha256"] == "1" * 64
        assert row["ensemble.checkpoint_sha256"] == "e" * 64  # the ensemble file's
