"""Walk-through C, finding 1: analysing a file again (Ctrl+R, another set of models) and
cancelling that run lost the complete result it had; the earlier result is now kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from forensic_viewer.gui.report_job import image_report_job
from forensic_viewer.gui.window_analysis import EARLIER_KEPT
from tests.conftest import HANG_MS, make_tiny_checkpoint
from tests.viewer.conftest import open_listed, write_image
from tests.viewer.test_progressive import (  # noqa: F401 (a fixture)
    _cancel_midway,
    _window,
    slow_tiles,
)

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("slow_tiles")]


@pytest.mark.parametrize("how", ["again", "other-models"])
def test_a_cancelled_new_run_of_the_same_bytes_keeps_the_complete_earlier_result(
    qtbot, tmp_path: Path, how: str
) -> None:
    """The re-run decoded the file and dropped the finished analysis at once, so its Cancel
    left "cancelled" (or a partial part) with no verdict and nothing to export."""
    models = [make_tiny_checkpoint(tmp_path / f"m{i}.safetensors", f"m{i}", seed=i) for i in (1, 2)]
    window = _window(qtbot, tmp_path, models[:1] if how == "other-models" else models)
    image = write_image(tmp_path / "big.png", 192, 256)
    open_listed(qtbot, window, [image])
    entry = window.entries[str(image)]
    qtbot.waitUntil(lambda: not entry.running and entry.analysis is not None, timeout=HANG_MS)
    earlier = entry.analysis
    assert not earlier.cancelled and earlier.results

    _cancel_midway(window)  # the new run is cancelled part-way (a part of it is kept)
    ended: list[str] = []
    window.worker.kept.connect(lambda _job, _a: ended.append("kept"))
    if how == "again":
        window.analyse()
    else:  # a model added in the Models panel analyses the shown file again
        window._on_models_chosen([str(m) for m in models], "cpu")
    qtbot.waitUntil(lambda: ended == ["kept"], timeout=HANG_MS)
    qtbot.waitUntil(lambda: not entry.running and window._job_paths == {}, timeout=HANG_MS)
    qtbot.waitUntil(lambda: window.renderer.idle, timeout=HANG_MS)

    back = window.current_analysis()
    assert back is not None and entry.earlier is None
    assert back.results is earlier.results and back.ensemble is earlier.ensemble
    # held on the new run's decode of the same bytes, not on a second copy of the pixels
    assert back.evidence.pixels is not earlier.evidence.pixels
    assert np.array_equal(back.evidence.pixels, earlier.evidence.pixels)
    assert back.evidence.sha256 == earlier.evidence.sha256
    assert not entry.cancelled
    assert EARLIER_KEPT in window.statusBar().currentMessage()
    assert EARLIER_KEPT in window.evidence_list.entry(str(image)).toolTip()
    assert "no default verdict" not in window.verdict_panel.text()
    assert window.export_action.isEnabled()
    image_report_job(back)  # exportable: a complete analysis (a cancelled one is refused)
    names = {la.name for la in window.layers}
    assert {f"{m} mask" for m in earlier.results} <= names
    assert not any("partial" in n for n in names)


def test_a_new_run_that_finishes_replaces_the_earlier_result(qtbot, tmp_path: Path) -> None:
    """The earlier result is held only while the new run goes: the run's own result wins."""
    model = make_tiny_checkpoint(tmp_path / "m1.safetensors", "m1")
    window = _window(qtbot, tmp_path, [model])
    image = write_image(tmp_path / "small.png", 64, 64)
    open_listed(qtbot, window, [image])
    entry = window.entries[str(image)]
    qtbot.waitUntil(lambda: not entry.running and entry.analysis is not None, timeout=HANG_MS)
    earlier = entry.analysis
    window.analyse()
    qtbot.waitUntil(lambda: entry.running, timeout=HANG_MS)
    qtbot.waitUntil(lambda: not entry.running, timeout=HANG_MS)
    assert entry.analysis is not None and entry.analysis is not earlier
    assert entry.earlier is None and not entry.analysis.cancelled
