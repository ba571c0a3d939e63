"""The pixel read-out whole: every model's and analysis's value reachable at 1280 × 800."""

from __future__ import annotations

from pathlib import Path

import pytest

from forensic_viewer.gui.main_window import MainWindow
from tests.viewer.test_analysis_panel import cloned, run_and_wait, window  # noqa: F401
from tests.viewer.test_main_window import open_and_wait
from tests.viewer.test_scan_analyses import TARGET

pytestmark = pytest.mark.gui


def test_every_model_and_analysis_value_is_read_whole_beside_the_magnifier(
    qtbot,
    window: MainWindow,  # noqa: F811
    cloned: Path,  # noqa: F811
) -> None:
    """The status bar's field cut the read-out after the models' values at 1400 and 1280 px
    (walk-through 04, 32, 79.png): the analyses' values docs/ANALYSES.md promises were never
    seen. The Magnifier panel gives it whole, one value a line; the field's tooltip too."""
    open_and_wait(qtbot, window, cloned)
    run_and_wait(qtbot, window, ["clone", "ela", "noise"])
    window.resize(1280, 800)
    tx, ty, w, h = TARGET
    x, y = tx + w // 2, ty + h // 2
    window._on_hover(x + 0.5, y + 0.5)
    lines = window.loupe.values.text().split("\n")
    ela = window.current_analysis().analyses["ela"].map[y, x]
    assert lines[:2] == [f"x {x}  y {y}", lines[1]] and lines[1].startswith("RGB ")
    assert lines[2].startswith("tiny ")  # the model's value
    assert f"ela {ela:.3f} raw" in lines and "clone 1.000 region" in lines
    assert any(line.startswith("noise ") for line in lines)
    assert window.readout.toolTip().split("\n") == lines
    assert window.loupe.values.isVisibleTo(window)
    window._on_hover(-5.0, -5.0)  # off the image: nothing stays of the pixel left
    assert window.loupe.values.text() == ""
