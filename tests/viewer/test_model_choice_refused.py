"""Walk-through C, findings 2 and 7: a set of models the viewer cannot use together (two of one
name) is refused before the models in use are let go; a checkpoint that fails to load is
unchecked and its error stays in the Models panel."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import HANG_MS, make_tiny_checkpoint
from tests.viewer.test_main_window import _window, open_and_wait, write_image

pytestmark = pytest.mark.gui


def test_two_models_of_one_name_are_refused_and_the_models_in_use_stay(
    qtbot, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """Before, the worker unloaded every model on the Analyzer's refusal: the result went, the
    compare panes lost every model and the Verdict panel said no model was installed."""
    window = _window(qtbot, tmp_path, [str(tiny_checkpoint)])
    open_and_wait(qtbot, window, write_image(tmp_path / "photo.png"))
    shown = window.current_analysis()
    in_use = list(window.model_paths)
    copy = make_tiny_checkpoint(tmp_path / "copies" / "my-copy.safetensors", "tiny", seed=1)

    assert window.model_panel.add_file(str(copy))
    window.model_panel._apply()  # "Use checked models"

    assert window.model_paths == in_use and window._models_known  # nothing reconfigured
    assert window.model_names == ["tiny"]
    assert window.model_panel.checked_paths() == [str(tiny_checkpoint.resolve())]
    assert window.current_analysis() is shown
    entry = window.entries[window.current]
    assert not entry.running
    said = window.statusBar().currentMessage()
    assert said.startswith("models not changed (the ones in use stay): two models share")
    assert str(tiny_checkpoint) in said and str(copy) in said
    assert "No trained model" not in window.verdict_panel.text()
    # the worker still analyses with the model in use
    window.analyse()
    qtbot.waitUntil(lambda: not entry.running, timeout=HANG_MS)
    assert set(window.current_analysis().results) == {"tiny"}


def test_a_checkpoint_that_fails_to_load_is_unchecked_and_its_error_stays(
    qtbot, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """Walk-through C, finding 7: a truncated checkpoint's error was replaced within a second
    by the re-analysis's verdict and the file stayed checked, as if it were in use."""
    from forensic_viewer.gui.model_panel import NOT_LOADED

    window = _window(qtbot, tmp_path, [str(tiny_checkpoint)])
    open_and_wait(qtbot, window, write_image(tmp_path / "photo.png"))
    whole = make_tiny_checkpoint(tmp_path / "whole.safetensors", "other", seed=2).read_bytes()
    cut = tmp_path / "cut" / "cut.safetensors"
    cut.parent.mkdir()
    cut.write_bytes(whole[: len(whole) - 4000])  # its header whole, its tensors cut short
    panel = window.model_panel
    assert panel.add_file(str(cut))  # the header reads: listed and checked
    said: list[str] = []
    window.worker.modelsFailed.connect(said.append)
    panel._apply()
    entry = window.entries[window.current]
    qtbot.waitUntil(lambda: window._models_known and bool(said), timeout=HANG_MS)
    qtbot.waitUntil(lambda: not entry.running, timeout=HANG_MS)

    assert str(cut) in said[0]
    assert panel.checked_paths() == [str(tiny_checkpoint.resolve())]
    row = panel.list.item(panel.paths().index(str(cut.resolve())))
    assert row.text().endswith(NOT_LOADED) and said[0].split("\n")[0] in row.toolTip()
    assert said[0] in panel.status.text()  # kept below the list ...
    assert said[0] not in window.statusBar().currentMessage()  # ... after the verdict replaced it
    assert set(window.current_analysis().results) == {"tiny"}  # the others ran

    panel.refresh()  # the folders listed again: the mark stays until the file is used again
    row = panel.list.item(panel.paths().index(str(cut.resolve())))
    assert row.text().endswith(NOT_LOADED) and said[0] in panel.status.text()
