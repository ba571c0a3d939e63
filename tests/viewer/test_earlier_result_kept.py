"""Walk-through C, finding 1: analysing a file again (Ctrl+R, another set of models) and
cancelling that run lost the complete result it had; the earlier result is now kept."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from engine.errors import ForensicError
from forensic_viewer.gui import workers
from forensic_viewer.gui.main_window import CANCELLED_WORDS
from forensic_viewer.gui.report_job import image_report_job
from forensic_viewer.gui.retention import held_bytes
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


def _analysed(qtbot, window, paths: list[Path]) -> None:
    """``paths`` opened and analysed to the end (the gate open), the first shown."""
    open_listed(qtbot, window, paths)
    entries = [window.entries[str(p)] for p in paths]
    qtbot.waitUntil(
        lambda: all(not e.running and e.analysis is not None for e in entries), timeout=HANG_MS
    )
    qtbot.waitUntil(lambda: window._job_paths == {} and window.renderer.idle, timeout=HANG_MS)
    window.show_entry(str(paths[0]))


def _ended(qtbot, window, entry) -> None:
    qtbot.waitUntil(lambda: not entry.running and window._job_paths == {}, timeout=HANG_MS)
    qtbot.waitUntil(lambda: window.renderer.idle, timeout=HANG_MS)


def test_a_new_run_of_the_same_bytes_failing_after_its_decode_puts_the_earlier_result_back(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The failure path (``_on_failed``): the run read the very bytes the result is of."""
    model = make_tiny_checkpoint(tmp_path / "m1.safetensors", "m1")
    window = _window(qtbot, tmp_path, [model])
    image = write_image(tmp_path / "small.png", 64, 64)
    _analysed(qtbot, window, [image])
    entry = window.entries[str(image)]
    earlier, badge = entry.analysis, window.evidence_list.badge_text(str(image))

    def fail(evidence, **_kw):
        raise ForensicError(evidence.path, "the analysis failed")

    monkeypatch.setattr(window.worker._analyzer, "analyze", fail)
    loaded: list[int] = []
    window.worker.loaded.connect(lambda job, _e: loaded.append(job))
    window.analyse()
    _ended(qtbot, window, entry)
    assert loaded  # it failed after its decode
    assert window.current_analysis() is entry.analysis and entry.earlier is None
    assert entry.analysis.results is earlier.results
    said = window.statusBar().currentMessage()
    assert "the analysis failed" in said and EARLIER_KEPT in said
    assert window.evidence_list.badge_text(str(image)) == badge
    assert window.export_action.isEnabled()


def test_a_file_gone_before_a_superseding_run_read_it_shows_its_error_not_the_earlier_result(
    qtbot, tmp_path: Path, gate: threading.Event
) -> None:
    """The result held since a Ctrl+R's decode outlives that run when a model change
    supersedes it; that new run found the file gone, and was shown the old bytes' analysis as
    "earlier result kept" instead of its error."""
    models = [make_tiny_checkpoint(tmp_path / f"m{i}.safetensors", f"m{i}", seed=i) for i in (1, 2)]
    window = _window(qtbot, tmp_path, models[:1])
    image = write_image(tmp_path / "small.png", 64, 64)
    gate.set()
    _analysed(qtbot, window, [image])
    entry = window.entries[str(image)]
    gate.clear()
    window.analyse()  # Ctrl+R: its decode holds the complete result, its analysis waits
    qtbot.waitUntil(lambda: entry.earlier is not None, timeout=HANG_MS)
    image.unlink()
    window._on_models_chosen([str(m) for m in models], "cpu")  # supersedes the Ctrl+R
    qtbot.waitUntil(lambda: not entry.running, timeout=HANG_MS)
    gate.set()
    _ended(qtbot, window, entry)
    assert entry.earlier is None and window.current_analysis() is None
    assert "cannot be read" in window.evidence_list.badge_text(str(image))
    assert EARLIER_KEPT not in window.evidence_list.entry(str(image)).toolTip()
    assert not window.export_action.isEnabled()


@pytest.mark.parametrize("when", ["after-its-decode", "before-its-decode"])
def test_a_new_run_cancelled_before_it_kept_anything_puts_the_earlier_result_back(
    qtbot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    gate: threading.Event,
    when: str,
) -> None:
    """The bare Cancel (``_on_cancelled``): the Ctrl+R waited behind another file's analysis,
    decoded ahead or not yet decoded."""
    model = make_tiny_checkpoint(tmp_path / "m1.safetensors", "m1")
    window = _window(qtbot, tmp_path, [model])
    image = write_image(tmp_path / "small.png", 64, 64)
    gate.set()
    _analysed(qtbot, window, [image])
    entry = window.entries[str(image)]
    earlier, badge = entry.analysis, window.evidence_list.badge_text(str(image))
    gate.clear()
    if when == "before-its-decode":
        monkeypatch.setattr(workers, "DECODE_AHEAD_PIXELS", 1)  # one file decoded ahead
    others = [write_image(tmp_path / f"o{i}.png", 256, 256, seed=i) for i in (1, 2)]
    open_listed(qtbot, window, others)  # the first runs, held; the second decoded ahead
    qtbot.waitUntil(lambda: window.entries[str(others[1])].evidence is not None, timeout=HANG_MS)
    window.show_entry(str(image))
    window.analyse()
    if when == "after-its-decode":
        qtbot.waitUntil(lambda: entry.earlier is not None, timeout=HANG_MS)
    else:
        assert entry.evidence is earlier.evidence  # still waiting for room to decode
    kept: list[int] = []
    window.worker.kept.connect(lambda job, _a: kept.append(job))
    window.cancel()
    gate.set()
    _ended(qtbot, window, entry)
    qtbot.waitUntil(lambda: all(not e.running for e in window.entries.values()), timeout=HANG_MS)
    assert entry.job not in kept  # nothing of this run was kept
    assert window.current_analysis() is entry.analysis and entry.earlier is None
    assert entry.analysis.results is earlier.results and not entry.cancelled
    assert window.evidence_list.badge_text(str(image)) == badge
    assert EARLIER_KEPT in window.evidence_list.entry(str(image)).toolTip()
    assert EARLIER_KEPT in window.statusBar().currentMessage()
    assert window.verdict_panel.text() != CANCELLED_WORDS
    assert window.export_action.isEnabled()


@pytest.mark.parametrize("limit", ["within", "over", "over-then-shown"])
def test_the_earlier_result_held_counts_towards_the_limit_and_goes_over_it(
    qtbot, tmp_path: Path, gate: threading.Event, limit: str
) -> None:
    """A file analysed again while another is shown held its complete earlier analysis
    beside its new decode, and the retention limit neither counted nor let go of it."""
    model = make_tiny_checkpoint(tmp_path / "m1.safetensors", "m1")
    window = _window(qtbot, tmp_path, [model])
    shown = write_image(tmp_path / "shown.png", 64, 64, seed=1)
    image = write_image(tmp_path / "again.png", 64, 96, seed=2)
    gate.set()
    _analysed(qtbot, window, [shown, image])
    entry, front = window.entries[str(image)], window.entries[str(shown)]
    earlier, badge = entry.analysis, window.evidence_list.badge_text(str(image))
    held_shown = held_bytes(front.evidence, front.analysis, front.classic)
    pixels = earlier.evidence.pixels.nbytes
    maps = held_bytes(earlier, entry.classic) - pixels
    assert maps > 0
    # over: the shown file and the new decode fit, not the earlier result's maps beside it
    window.retention.limit = held_shown + pixels + (maps if limit == "within" else 0)
    gate.clear()
    window.analyse(str(image))  # its analysis is held at its first progress
    qtbot.waitUntil(lambda: entry.earlier is not None, timeout=HANG_MS)
    assert window.retention.held <= window.retention.limit
    assert {k: r.score for k, r in entry.earlier.results.items()} == {
        k: r.score for k, r in earlier.results.items()
    }
    if limit == "within":
        assert entry.earlier.results is earlier.results
    else:  # its verdicts stay, its pixels and maps go
        assert held_bytes(entry.earlier) == 0
    if limit == "over-then-shown":
        window.show_entry(str(image))
    job = entry.job
    window.cancel()
    gate.set()
    _ended(qtbot, window, entry)
    assert entry.earlier is None
    if limit == "over-then-shown":  # put back released, shown, it would run again at once
        assert entry.job == job and not entry.released
        assert EARLIER_KEPT not in window.evidence_list.entry(str(image)).toolTip()
        assert window.evidence_list.badge_text(str(image)) != badge
        return
    assert not entry.cancelled
    assert window.evidence_list.badge_text(str(image)) == badge
    assert EARLIER_KEPT in window.evidence_list.entry(str(image)).toolTip()
    assert window.retention.held <= window.retention.limit
    if limit == "over":  # put back released: analysed again when shown
        assert entry.released and held_bytes(entry.evidence, entry.analysis, entry.classic) == 0
        assert {k: r.score for k, r in entry.analysis.results.items()} == {
            k: r.score for k, r in earlier.results.items()
        }
    else:
        assert not entry.released and entry.analysis.results is earlier.results
