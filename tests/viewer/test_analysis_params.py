"""Parameters an examiner sets (``--param ela.quality=75``, the Analyses panel's ELA quality):
checked in one line naming the analysis and parameter, used, recorded in rows and scan.json,
and a resume with other values refused by name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine.analyses import parse_overrides, run_analyses
from forensic_viewer.cli import main
from tests.viewer.conftest import scan_cli
from tests.viewer.test_scan_analyses import checkpoint, evidence  # noqa: F401 (fixtures)


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("ela.quality=abc", "analysis ela, parameter quality: expected a whole number, got 'abc'"),
        ("ela.quality=150", "analysis ela, parameter quality: quality must be in [1, 100]"),
        ("ela.qualty=75", "analysis ela has no parameter 'qualty'; its parameters: "),
        ("elx.quality=75", "unknown analysis 'elx'"),
        ("ela=75", "expected ANALYSIS.PARAMETER=VALUE"),
        ("clone.keypoints=maybe", "analysis clone, parameter keypoints: expected true or false"),
    ],
)
def test_a_bad_parameter_is_refused_in_one_line(given: str, said: str) -> None:
    with pytest.raises(ValueError) as e:
        parse_overrides([given])
    assert said in str(e.value) and "\n" not in str(e.value)


def test_values_are_read_as_the_parameters_types() -> None:
    got = parse_overrides(["ela.quality=75", "ela.map_gain=4", "clone.keypoints=no"])
    assert got == {"ela": {"quality": 75, "map_gain": 4.0}, "clone": {"keypoints": False}}
    assert isinstance(got["ela"]["map_gain"], float)


def test_the_scan_runs_records_and_refuses_a_resume_with_other_values(
    evidence: Path,  # noqa: F811
    checkpoint: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out"
    assert (
        scan_cli(evidence, out, checkpoint, "--analyses", "ela", "--param", "ela.quality=75") == 0
    )
    rows = [json.loads(x) for x in (out / "results.jsonl").read_text("utf-8").splitlines()]
    assert {r["analyses"]["ela"]["params"]["quality"] for r in rows} == {75}
    labels = {r["analyses"]["ela"]["map"]["meaning"]["label"] for r in rows}
    assert labels == {"error level at JPEG quality 75"}  # the value was used, not only written
    info = json.loads((out / "scan.json").read_text("utf-8"))
    assert info["analyses"]["ela"]["params"]["quality"] == 75
    capsys.readouterr()
    assert (
        scan_cli(evidence, out, checkpoint, "--analyses", "ela", "--param", "ela.quality=80") == 2
    )
    assert "ela's quality 75 there, 80 now" in capsys.readouterr().err
    assert scan_cli(evidence, out, checkpoint, "--analyses", "ela") == 2  # the default is other
    assert "ela's quality 75 there, 90 now" in capsys.readouterr().err
    assert (
        scan_cli(evidence, out, checkpoint, "--analyses", "ela", "--param", "ela.quality=75") == 0
    )
    assert "0 analysed, 3 already done" in capsys.readouterr().out


def test_a_parameter_of_an_analysis_not_asked_for_is_a_usage_error(
    evidence: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    o = tmp_path / "o"
    code = main(
        ["scan", str(evidence), "--out", str(o), "--analyses", "clone", "--param", "ela.quality=75"]
    )
    assert code == 2
    assert "--param: analysis ela is not among --analyses" in capsys.readouterr().err
    code = main(["analyze", str(evidence / "plain.png"), "--out", str(o), "--analyses", "ela",
                 "--param", "ela.quality=0"])  # fmt: skip
    err = capsys.readouterr().err
    assert (
        code == 2 and "analysis ela, parameter quality: quality must be in [1, 100], got 0" in err
    )
    assert not (o / "results.jsonl").exists()


def test_run_analyses_uses_the_chosen_values(evidence: Path) -> None:  # noqa: F811
    from engine.io import load_evidence

    ev = load_evidence(evidence / "hostile.jpg")
    r = run_analyses(["ela"], ev, params={"ela": {"quality": 75}})["ela"]
    assert r.params["quality"] == 75 and r.meaning is not None and "75" in r.meaning.label


def test_an_analysis_the_ensemble_runs_keeps_its_parameters() -> None:
    """The ensemble's weights were fitted on its analyses at their defaults: --param for one of
    them would change its verdict unseen, so it is refused; others are taken."""
    from types import SimpleNamespace

    from engine.assembly import choose_analysis_params

    analyzer: Any = SimpleNamespace(
        ensemble=SimpleNamespace(analyses=["clone"]), analysis_params={}
    )
    with pytest.raises(ValueError, match="analysis clone is run by the ensemble for its verdict"):
        choose_analysis_params(analyzer, {"clone": {"keypoints": False}})
    assert analyzer.analysis_params == {}
    choose_analysis_params(analyzer, {"ela": {"quality": 75}})
    assert analyzer.analysis_params == {"ela": {"quality": 75}}
