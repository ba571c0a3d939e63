"""A model's flag outside the measured range (an image smaller than any its model was
measured on) is not a plain flag: the evidence list shows it grey with "?" and says so, as it
shows the ensemble's, and a report's headline counts it apart from the measured flags."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from engine.types import Analysis, ModelResult
from forensic_viewer.report import scan_source, write_report
from forensic_viewer.scan.maps import save_heatmap_png
from forensic_viewer.scan.triage import triage_rows
from forensic_viewer.wording import OUT_OF_RANGE
from tests.conftest import memory_evidence, write_rgb
from tests.viewer.test_records import previous_row

SMALL = {"short_side": 5, "min_side": 192}


def _result(name: str, verdict: str, out_of_range: dict | None = None) -> ModelResult:
    heat = np.zeros((4, 4), np.float32)
    return ModelResult(
        name=name, architecture="crfd-net-compact", checkpoint="", checkpoint_sha256="0" * 64,
        rule="forged_fraction", score=0.7 if verdict == "manipulated" else 0.2, verdict=verdict,
        forged_fraction=0.3, threshold=0.1, pixel_threshold=0.5,
        threshold_provenance="θ = 0.1: test", input_policy={}, device="cpu", precision="fp32",
        seconds=0.1, heatmap=heat, mask=heat > 0.5, out_of_range=out_of_range,
    )  # fmt: skip


@pytest.mark.gui
def test_a_members_flag_outside_the_measured_range_is_grey_and_said(qapp) -> None:
    from forensic_viewer.gui.panels import GREY, NEUTRAL, RED, verdict_badge

    evidence = memory_evidence(np.zeros((5, 5, 3), np.uint8))

    def badge(*results: ModelResult):
        return verdict_badge(Analysis(evidence=evidence, results={r.name: r for r in results}))

    alone = badge(_result("a", "manipulated", SMALL))
    assert alone.color == GREY
    assert alone.text == f"? flagged as manipulated (1/1 models) · {OUT_OF_RANGE}"
    unflagged = badge(_result("a", "authentic", SMALL))
    assert unflagged.color == GREY and unflagged.text.startswith("? not flagged")
    assert OUT_OF_RANGE in unflagged.text
    measured = badge(_result("a", "manipulated"), _result("b", "manipulated", SMALL))
    assert measured.color == RED  # a measured flag stays a flag, the other said apart
    assert measured.text == f"⚠ flagged as manipulated (1/2 models) · 1 more {OUT_OF_RANGE}"
    assert badge(_result("a", "authentic"), _result("b", "authentic", SMALL)).color == NEUTRAL


def test_the_report_headline_counts_unmeasured_flags_apart(tmp_path: Path) -> None:
    """No ensemble: b.png flagged by a measured verdict, c.png only by one outside the
    measured range (the intake walk-through's 5x5 image read "1 flagged as manipulated")."""
    ev, out = tmp_path / "ev", tmp_path / "out"
    ev.mkdir()
    lines = []
    for i, name in enumerate(("a.png", "b.png", "c.png")):
        row = previous_row(write_rgb(ev / name, 24, 32, seed=i))
        del row["ensemble"], row["ensemble_details"]
        verdict = "authentic" if name == "a.png" else "manipulated"
        row["models"]["stub"]["verdict"] = row["details"]["stub"]["verdict"] = verdict
        if name == "c.png":
            row["details"]["stub"] = {**row["details"]["stub"], "out_of_range": SMALL}
        save_heatmap_png(np.zeros((24, 32), np.float32), out / row["models"]["stub"]["heatmap"])
        lines.append(json.dumps(row))
    (out / "results.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = list(triage_rows(out))
    assert [r.flagged for r in rows] == [False, True, True]
    assert [r.flagged_out_of_range for r in rows] == [False, False, True]
    paths = write_report(scan_source(out), out / "report", ["json", "html"])
    report = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert report["counts"]["flagged_out_of_range"] == 1
    html = paths["html"].read_text(encoding="utf-8")
    assert "1 flagged as manipulated by at least one model (no ensemble ran); " in html
    assert f"1 more flagged as manipulated only by verdicts {OUT_OF_RANGE}" in html


def test_an_ensembles_unmeasured_flag_is_counted_apart_too(tmp_path: Path) -> None:
    ev, out = tmp_path / "ev", tmp_path / "out"
    ev.mkdir()
    row = previous_row(write_rgb(ev / "a.png", 24, 32))
    row["ensemble"]["verdict"] = row["ensemble_details"]["verdict"] = "manipulated"
    row["ensemble_details"]["out_of_range"] = {**SMALL, "members": ["stub"]}
    save_heatmap_png(np.zeros((24, 32), np.float32), out / row["models"]["stub"]["heatmap"])
    save_heatmap_png(np.zeros((24, 32), np.float32), out / row["ensemble"]["heatmap"])
    (out / "results.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    (only,) = triage_rows(out)
    assert only.flagged and only.flagged_out_of_range
    assert not dataclasses.replace(only, ensemble=None).flagged_out_of_range  # stub in range
    paths = write_report(scan_source(out), out / "report", ["html"])
    html = paths["html"].read_text(encoding="utf-8")
    assert "0 flagged as manipulated by the default verdict (pair)" in html
    assert f"1 more flagged as manipulated only by verdicts {OUT_OF_RANGE}" in html


@pytest.mark.gui
def test_the_ground_truth_tooltip_says_a_flag_rests_on_unmeasured_verdicts(
    qapp, tmp_path: Path
) -> None:
    """The batch table's agreement tooltip said "default verdict flagged as manipulated" of
    c.png, flagged only by a verdict outside the measured range, as of b.png's measured flag."""
    from PySide6.QtCore import Qt

    from forensic_viewer.gui.triage_table import TriageModel

    ev, out = tmp_path / "ev", tmp_path / "out"
    ev.mkdir()
    out.mkdir()
    lines = []
    for i, name in enumerate(("b.png", "c.png")):
        row = previous_row(write_rgb(ev / name, 24, 32, seed=i))
        del row["ensemble"], row["ensemble_details"]
        row["models"]["stub"]["verdict"] = row["details"]["stub"]["verdict"] = "manipulated"
        if name == "c.png":
            row["details"]["stub"] = {**row["details"]["stub"], "out_of_range": SMALL}
        lines.append(json.dumps(row))
    (out / "results.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    model = TriageModel()
    model.set_models(["stub"], None)
    for row in triage_rows(out):
        model.upsert(row)
    model.set_truth({"b.png": 0, "c.png": 0})
    where = {model.row_at(i).key: i for i in range(model.rowCount())}

    def tip(key: str) -> str:
        index = model.index(where[key], model.column_of("agreement"))
        return model.data(index, Qt.ItemDataRole.ToolTipRole)

    assert tip("b.png") == "default verdict flagged as manipulated; ground truth authentic"
    assert tip("c.png") == (
        f"default verdict flagged as manipulated only by verdicts {OUT_OF_RANGE}; "
        "ground truth authentic"
    )


def test_a_flag_with_one_measured_model_is_not_counted_apart(tmp_path: Path) -> None:
    """Two models flag a.png, only one of them outside its measured range (a model with a
    larger window measures a larger smallest side): the measured flag stands, so the file is a
    plain flag and the headline counts nothing apart."""
    ev, out = tmp_path / "ev", tmp_path / "out"
    ev.mkdir()
    row = previous_row(write_rgb(ev / "a.png", 24, 32))
    del row["ensemble"], row["ensemble_details"]
    row["models"]["wide"] = {**row["models"]["stub"], "heatmap": "maps/a.png.wide.png"}
    row["details"]["wide"] = {**row["details"]["stub"], "name": "wide", "out_of_range": SMALL}
    for name in ("stub", "wide"):
        save_heatmap_png(np.zeros((24, 32), np.float32), out / row["models"][name]["heatmap"])
    (out / "results.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    (only,) = triage_rows(out)
    assert [(c.name, c.verdict, c.out_of_range) for c in only.cells] == [
        ("stub", "manipulated", False),
        ("wide", "manipulated", True),
    ]
    assert only.flagged and not only.flagged_out_of_range
    paths = write_report(scan_source(out), out / "report", ["json", "html"])
    report = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert report["counts"]["flagged_out_of_range"] == 0
    html = paths["html"].read_text(encoding="utf-8")
    assert "1 flagged as manipulated by at least one model (no ensemble ran)" in html
    assert "only by verdicts" not in html
