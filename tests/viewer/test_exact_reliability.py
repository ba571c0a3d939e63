"""An exact-path result beside a reliability measured on the fast path (walk-through
2026-12-05: ``analyze --exact`` printed the fast path's "at this threshold (test part): ..."
for an exact-path score that differed from the fast path's, 0.664 against 0.722)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.fastpath import EXACT_PATH_CAVEAT, ran_exact
from forensic_viewer.cli import main
from forensic_viewer.report import scan_source, write_report
from tests.conftest import write_calibrated_pair, write_rgb


def _analyse(tmp_path: Path, checkpoint: Path, *extra: str) -> tuple[Path, dict]:
    image = write_rgb(tmp_path / "photo.png", 200, 240, seed=3)
    out = tmp_path / ("out" + "".join(extra).replace("-", "_"))
    ensemble = write_calibrated_pair(checkpoint)
    args = ["analyze", str(image), "--out", str(out), "--model", str(ensemble), "--no-faces"]
    assert main([*args, *extra]) == 0
    (line,) = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return out, json.loads(line)


def test_an_exact_run_says_its_reliability_was_measured_on_the_fast_path(
    tmp_path: Path, tiny_checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    _, fast = _analyse(tmp_path, tiny_checkpoint)
    fast_printed = capsys.readouterr().out
    out, exact = _analyse(tmp_path, tiny_checkpoint, "--exact")
    exact_printed = capsys.readouterr().out
    assert fast["ensemble_details"]["reliability"]  # the pair's calibration has one
    assert EXACT_PATH_CAVEAT not in fast["ensemble_details"]["reliability"]
    assert EXACT_PATH_CAVEAT not in fast_printed
    assert exact["ensemble_details"]["reliability"].endswith(EXACT_PATH_CAVEAT)
    reliability_lines = [
        ln for ln in exact_printed.splitlines() if "Measured at this threshold" in ln
    ]
    assert reliability_lines and all(EXACT_PATH_CAVEAT in ln for ln in reliability_lines)
    paths = write_report(scan_source(out), tmp_path / "report", ["html", "json"])
    assert "measured on the fast path. This result was made on the exact path" in paths[
        "html"
    ].read_text(encoding="utf-8")
    report = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert report["items"][0]["ensemble"]["figures"]["reliability"].endswith(EXACT_PATH_CAVEAT)


def test_which_results_ran_the_exact_path() -> None:
    sliding = {"mode": "window", "tiling": "sliding"}
    assert ran_exact("crfd-net-compact", sliding)
    assert ran_exact("diffforensics-effl0", sliding)
    assert not ran_exact("crfd-net-compact", {"mode": "window", "tiling": "overlap-crop"})
    assert not ran_exact("something-new", sliding)  # its fast path is those windows too
    assert not ran_exact("crfd-net-compact", {"mode": "resize"})
    assert not ran_exact("crfd-net-compact", {"mode": "window"})  # a row from before the paths


@pytest.mark.gui
def test_the_viewers_card_says_it_too(qapp, tmp_path: Path, tiny_checkpoint: Path) -> None:
    from engine.io import load_evidence
    from forensic_viewer.gui.verdict_panel import VerdictPanel
    from forensic_viewer.scan.records import parse_line
    from forensic_viewer.scan.replay import analysis_from_record

    out, row = _analyse(tmp_path, tiny_checkpoint, "--exact")
    rec = parse_line(json.dumps(row))
    assert rec is not None
    panel = VerdictPanel()
    panel.set_analysis(analysis_from_record(rec, out, load_evidence(tmp_path / "photo.png")))
    assert EXACT_PATH_CAVEAT.removeprefix("; ") in panel.text()
