"""Every panel that shows the current file follows its results as they arrive (offscreen).

A walk-through found the Analyses panel empty ("check analyses, Run") while the canvas drew the
clone pair an ensemble's analysis had just brought; selecting another file and back filled it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from engine.analyses import run_analyses
from forensic_viewer.gui.main_window import MainWindow
from tests.viewer.test_analysis_panel import cloned, window  # noqa: F401 (fixtures)
from tests.viewer.test_main_window import open_and_wait

pytestmark = pytest.mark.gui


def test_an_analysis_that_brings_classic_results_fills_the_panels_at_once(
    qtbot,
    window: MainWindow,  # noqa: F811
    cloned: Path,  # noqa: F811
) -> None:
    open_and_wait(qtbot, window, cloned)
    path = str(cloned)
    entry = window.entries[path]
    probe = window.open_probe()
    assert window.analysis_panel.tree.topLevelItemCount() == 0
    # analysed again, by an ensemble whose analysis runs the clone detection as one of its
    # stages: the worker's result arrives carrying it
    clone = run_analyses(["clone"], entry.evidence)
    analysis = dataclasses.replace(entry.analysis, analyses=dict(clone))
    job = 10_000
    entry.job, entry.running = job, True
    window._job_paths[job] = path
    window.worker.succeeded.emit(job, analysis)
    assert "clone map" in [la.name for la in window.layers]  # as before: the canvas has it
    tree = window.analysis_panel.tree
    rows = [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]
    assert len(rows) == 1 and rows[0].startswith("clone")
    assert probe.analysis is analysis  # the probe reuses the analysis it has, not the earlier
