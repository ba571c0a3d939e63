"""``--colormap NAME`` on ``analyze``, ``scan`` and ``report``: a report's heatmaps in the
analyst's colormap, recorded in report.json; reports were always inferno, with no option for
it (walk-through cvd, finding 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import forensic_viewer.report as R
from forensic_viewer.cli import main
from tests.conftest import write_rgb
from tests.viewer.conftest import scan_args


@pytest.mark.parametrize("command", ["analyze", "scan", "report"])
def test_the_reports_colormap_is_the_one_asked_for_and_recorded(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    folder, out = tmp_path / "evidence", tmp_path / "out"
    folder.mkdir()
    write_rgb(folder / "a.png", 40, 50, seed=1)
    drawn: list[str] = []
    real = R.item_figures

    def figures(item, row, options, thresholds):  # what the figures were drawn in
        drawn.append(options.style.colormap)
        return real(item, row, options, thresholds)

    monkeypatch.setattr(R, "item_figures", figures)
    asked = ("--report", "json", "--colormap", "cividis")
    if command == "analyze":
        args = ["analyze", str(folder / "a.png"), "--out", str(out)]
        assert main([*args, "--model", str(tiny_checkpoint), "--device", "cpu", *asked]) == 0
    elif command == "scan":
        assert main(scan_args(folder, out, tiny_checkpoint, *asked)) == 0
    else:
        assert main(scan_args(folder, out, tiny_checkpoint, "--report", "json")) == 0
        assert json.loads((out / "report.json").read_text("utf-8"))["colormap"] == "inferno"
        drawn.clear()
        assert main(["report", str(out), "--format", "json", "--colormap", "cividis"]) == 0
    assert drawn == ["cividis"]
    assert json.loads((out / "report.json").read_text("utf-8"))["colormap"] == "cividis"


def test_an_unknown_colormap_is_refused_in_one_line_naming_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(tmp_path), "--colormap", "rainbow"]) == 2
    (line,) = [x for x in capsys.readouterr().err.splitlines() if "rainbow" in x]
    assert "argument --colormap: invalid choice: 'rainbow'" in line and "cividis" in line
