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
