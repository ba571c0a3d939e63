"""A row whose verdict contradicts its own figures is refused as an edited results.jsonl is,
whatever SHA-256 scan.json holds (QA walk-through 2026-12-06: the default verdict turned to
"authentic" beside score 0.867 > θ 0.599, scan.json's hash written again, and the report took
it); rows of earlier versions, the face rule's verdicts and verdicts outside the measured range
are no contradictions. Every decision carries its margin to θ and whether that lies within the
cross-processor bound, in the row, results.csv and the reports; rows written before read
unchanged."""

from __future__ import annotations

import copy
import csv
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from engine.decision import INT8_BOUND, decision_margin, margin_bound, sigmoid, statistic
from forensic_viewer.cli import main
from forensic_viewer.margin_text import margin_cell, margin_words
from forensic_viewer.scan.consistency import row_contradictions
from forensic_viewer.scan.record_parts import ModelFigures
from tests.conftest import write_rgb


def _details(rule: str, score: float, fraction: float, theta: float, **kw: Any) -> dict[str, Any]:
    return {
        "name": "m", "architecture": "a", "checkpoint": "c", "checkpoint_sha256": "0" * 64,
        "rule": rule, "score": score, "verdict": kw.pop("verdict"), "forged_fraction": fraction,
        "threshold": theta, "pixel_threshold": 0.5, "threshold_provenance": kw.pop("prov", "θ"),
        "input_policy": {}, "device": "cpu", "precision": kw.pop("precision", "int8"),
        "seconds": 1.0, **kw,
    }  # fmt: skip


def _row(model: dict[str, Any], ensemble: dict[str, Any] | None = None) -> dict[str, Any]:
    summary = {k: model[k] for k in ("score", "verdict", "forged_fraction", "threshold")}
    row: dict[str, Any] = {
        "path": "a.jpg", "sha256": "1" * 64, "status": "ok", "width": 384, "height": 256,
        "models": {"m": summary}, "details": {"m": model},
    }  # fmt: skip
    if ensemble is not None:
        row["ensemble"] = {k: ensemble[k] for k in summary}
        row["ensemble_details"] = ensemble
    return row


P, THETA = 0.3425, 0.3423  # a forged fraction a hair above θ (the walk-through's Au_pla_0041)
MEMBER = _details("forged_fraction", P / (P + THETA), P, THETA, verdict="manipulated")
X = statistic("forged_fraction", P, None)  # the member's stacking input, logit(P)
TERMS = [
    {"input": "m", "label": "m (forged fraction)", "kind": "forged_fraction",
     "value": X, "weight": 1.0, "contribution": X},
    {"input": "bias", "label": "bias", "kind": "bias", "value": 1.0, "weight": 2.52,
     "contribution": 2.52},
]  # fmt: skip
STACKED = _details(
    "ensemble", sigmoid(X + 2.52), 0.1, 0.5986, verdict="manipulated",
    precision="int8 + fp32", contributions=TERMS,
)  # fmt: skip


def test_a_row_as_written_has_no_contradiction() -> None:
    assert row_contradictions(_row(copy.deepcopy(MEMBER), copy.deepcopy(STACKED))) == []


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (lambda r: r["ensemble"].update(verdict="authentic"), "ensemble.verdict"),
        (
            lambda r: [r[k].update(verdict="authentic") for k in ("ensemble", "ensemble_details")],
            'ensemble.verdict is "authentic" but its score 0.86',
        ),
        (
            lambda r: [r["models"]["m"].update(verdict="authentic"), r["details"]["m"].update(verdict="authentic")],
            'details.m.verdict is "authentic" but its forged fraction 0.3425 is above θ 0.3423',
        ),
        (lambda r: r["details"]["m"].update(score=0.9), "details.m.score 0.9 is not p / (p + θ)"),
        (
            lambda r: [r[k].update(score=0.2) for k in ("ensemble", "ensemble_details")],
            "is not σ of its contributions",
        ),
    ],
)  # fmt: skip
def test_an_edited_figure_is_named_by_its_field(edit: Any, said: str) -> None:
    row = _row(copy.deepcopy(MEMBER), copy.deepcopy(STACKED))
    edit(row)
    found = row_contradictions(row)
    assert any(said in line for line in found), found


def test_the_face_rule_old_rows_and_small_images_are_no_contradiction() -> None:
    face = {"score": 0.99, "verdict": "manipulated", "threshold": 0.98, "rule": "logit"}
    by_face = _details(
        "ensemble", 0.55, 0.1, 0.5986, verdict="manipulated", contributions=TERMS[1:],
        prov="θ; on this file: face rule 'any': 1 face verdict(s) of f flag the image",
    )  # fmt: skip
    row = _row(copy.deepcopy(MEMBER), by_face)
    row["ensemble"]["score"] = row["ensemble_details"]["score"] = sigmoid(2.52)
    row["faces"] = [
        {"box": [0, 0, 9, 9], "confidence": 0.9, "scores": {}, "face_scores": {"f": face}}
    ]
    assert row_contradictions(row) == []
    # the stacked verdict alone would be "authentic": the face decided, below θ too
    row["ensemble_details"]["contributions"] = [{**TERMS[1], "weight": -1.0, "contribution": -1.0}]
    assert row_contradictions(row) == []
    # but a face rule with no face flagged is an edit
    face["verdict"] = "authentic"
    assert any("face_scores.f.verdict" in x for x in row_contradictions(row))
    # a row of an earlier version: no details, no rule
    old = {"path": "b.jpg", "sha256": "2" * 64, "status": "ok", "width": 9, "height": 9,
           "models": {"m": {"score": 0.9, "verdict": "authentic", "forged_fraction": 0.5,
                            "threshold": 0.3}}}  # fmt: skip
    assert row_contradictions(old) == []
    small = _details(
        "logit", sigmoid(1.0459), 0.2, 0.5, verdict="manipulated", image_logit=1.0459,
        out_of_range={"short_side": 5, "min_side": 192},
    )  # fmt: skip
    assert row_contradictions(_row(small)) == []


@pytest.fixture
def analysed(tmp_path: Path, tiny_checkpoint: Path) -> tuple[list[str], Path]:
    ensemble = tiny_checkpoint.parent / "stack.ensemble.json"
    stacking = {"bias": -0.5, "weights": {tiny_checkpoint.name: 0.3}}
    ensemble.write_text(
        json.dumps({"members": [{"model": tiny_checkpoint.name}], "stacking": stacking})
    )
    image = write_rgb(tmp_path / "photo.png", 120, 140, seed=3)
    out = tmp_path / "out"
    args = ["analyze", str(image), "--out", str(out), "--model", str(ensemble), "--no-faces"]
    assert main([*args, "--report", "json"]) == 0
    return args, out


def test_a_turned_verdict_with_its_hash_written_again_is_refused_by_report(
    analysed: tuple[list[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """The walk-through's two edits: the verdict, then scan.json's results_sha256."""
    _, out = analysed
    results = out / "results.jsonl"
    (row,) = [json.loads(x) for x in results.read_text().splitlines()]
    turned = "authentic" if row["ensemble"]["verdict"] == "manipulated" else "manipulated"
    for k in ("ensemble", "ensemble_details"):
        row[k]["verdict"] = turned
    results.write_text(json.dumps(row) + "\n")
    info = json.loads((out / "scan.json").read_text())
    info["run"]["results_sha256"] = hashlib.sha256(results.read_bytes()).hexdigest()
    (out / "scan.json").write_text(json.dumps(info))
    capsys.readouterr()
    assert main(["report", str(out), "--format", "json"]) == 2
    err = capsys.readouterr().err
    assert f'{results.resolve()} line 1 (photo.png): ensemble.verdict is "{turned}"' in err
    assert main(["report", str(out), "--format", "json", "--accept-edited-results"]) == 0
    alerts = json.loads((out / "report.json").read_text())["alerts"]
    assert any("ensemble.verdict" in a and "line 1" in a for a in alerts), alerts


def test_each_decision_carries_its_margin_in_the_row_and_the_csv(
    analysed: tuple[list[str], Path],
) -> None:
    _, out = analysed
    (row,) = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    for d in [*row["details"].values(), row["ensemble_details"]]:
        made = decision_margin(
            d["rule"] if d is not row["ensemble_details"] else "ensemble",
            d["score"], d["forged_fraction"], d["threshold"], d["precision"],
        )  # fmt: skip
        assert (d["margin"], d["near_threshold"], d["margin_bound"]) == tuple(made.values())
    (line,) = csv.DictReader((out / "results.csv").open(encoding="utf-8"))
    assert float(line["ensemble.margin"]) == pytest.approx(
        row["ensemble_details"]["margin"], abs=1e-6
    )
    assert line["ensemble.near_threshold"] in ("true", "false")
    info = json.loads((out / "scan.json").read_text())
    csv_sha = hashlib.sha256((out / "results.csv").read_bytes()).hexdigest()
    assert info["run"]["results_csv_sha256"] == csv_sha


def test_near_threshold_is_said_in_plain_words_and_old_rows_read_unchanged() -> None:
    assert margin_bound("forged_fraction", "int8") == INT8_BOUND
    assert margin_bound("logit", "fp16-autocast") is None
    near = {**MEMBER, **decision_margin("forged_fraction", MEMBER["score"], P, THETA, "int8")}
    assert near["near_threshold"] is True
    words = margin_words(near)
    assert words is not None and "within 0.0002 of θ" in words
    assert "on another processor, scores move by at most" in words and "may differ" in words
    far = {**near, **decision_margin("forged_fraction", 0.6, 0.5, THETA, "int8")}
    assert margin_words(far) is None and "so the verdict would be the same" in str(margin_cell(far))
    old = ModelFigures.from_json(MEMBER, "details.m")  # a row written before margins
    assert old.margin is None and old.to_json() == {**MEMBER, "image_logit": None}
    assert margin_cell(old.to_json()) is None


def test_a_resume_accepts_contradicting_rows_once_and_refuses_a_new_one(
    analysed: tuple[list[str], Path],
) -> None:
    args, out = analysed
    results = out / "results.jsonl"

    def edit(part: str, key: str, value: Any) -> None:
        (row,) = [json.loads(x) for x in results.read_text().splitlines()]
        row[part][key] = value
        results.write_text(json.dumps(row) + "\n")
        info = json.loads((out / "scan.json").read_text())
        info["run"]["results_sha256"] = hashlib.sha256(results.read_bytes()).hexdigest()
        (out / "scan.json").write_text(json.dumps(info))

    edit("ensemble", "verdict", "nothing")  # neither word: a contradiction of its own
    assert main(args) == 2
    assert main([*args, "--accept-edited-results"]) == 0
    accepted = json.loads((out / "scan.json").read_text())["earlier_runs"][-1]["results_edited"]
    assert accepted["accepted"] and accepted["contradictions"][0]["path"] == "photo.png"
    assert main(args) == 0  # those rows, accepted, are not asked about again
    edit("ensemble_details", "threshold", 0.0)  # a new edit still is
    assert main(args) == 2


@pytest.mark.gui
def test_a_verdict_near_theta_is_said_on_the_card_and_in_the_reports(
    qapp: Any, analysed: tuple[list[str], Path], tmp_path: Path
) -> None:
    from engine.io import load_evidence
    from forensic_viewer.gui.verdict_panel import VerdictPanel
    from forensic_viewer.report import scan_source, write_report
    from forensic_viewer.scan.records import parse_line
    from forensic_viewer.scan.replay import analysis_from_record

    _, out = analysed
    (row,) = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    (name,) = row["details"]
    d = row["details"][name]  # the member as if it ran int8, its forged fraction a hair over θ
    p = d["threshold"] + 0.0002
    d.update(forged_fraction=p, score=p / (p + d["threshold"]), verdict="manipulated")
    d.update(precision="int8")
    d.update(decision_margin(d["rule"], d["score"], p, d["threshold"], "int8"))
    row["models"][name].update({k: d[k] for k in ("forged_fraction", "score", "verdict")})
    assert row_contradictions(row) == []
    (out / "results.jsonl").write_text(json.dumps(row) + "\n")
    said = "within 0.0002 of θ"
    panel = VerdictPanel()
    rec = parse_line(json.dumps(row))
    assert rec is not None
    panel.set_analysis(analysis_from_record(rec, out, load_evidence(Path(row["evidence"]["path"]))))
    assert said in panel.text() and "so it may differ" in panel.text()
    paths = write_report(scan_source(out), tmp_path / "report", ["html", "json"])
    assert said in paths["html"].read_text(encoding="utf-8")
    member = json.loads(paths["json"].read_text(encoding="utf-8"))["items"][0]["models"][0]
    assert member["figures"]["near_threshold"] is True
