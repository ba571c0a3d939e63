"""Walk-through mem, finding 1: each Analyse again (Ctrl+R) and each file shown left the layer
list the window replaced in memory, rasters and all (about 50 bytes an evidence pixel), held
in reference cycles that only a full collection frees, and the viewer runs with Python's cycle
collector off (``gui/app.py``). A list the window lets go is now freed at once."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import HANG_MS, make_tiny_checkpoint
from tests.viewer.conftest import open_listed, write_image
from tests.viewer.test_progressive import _window

pytestmark = pytest.mark.gui


def _two_models(tmp_path: Path) -> list[Path]:
    """Two networks: their heatmaps' linked settings and the agreement on their masks make
    cycles of the layers' own, besides each layer's with its events."""
    return [make_tiny_checkpoint(tmp_path / f"m{i}.safetensors", f"m{i}", seed=i) for i in (1, 2)]


def _let_go_without_collector(qtbot, window, replace: Callable[[], None]) -> list[str]:
    """``replace`` the shown layers with the cycle collector off; the names of the replaced
    list's layers (and "the list") still alive once the window is idle again."""
    layers = window.layers
    assert layers is not None and any(la.rendered is not None for la in layers)
    assert layers.of_kind("agreement") and layers._unlinks
    refs = {"the list": weakref.ref(layers)} | {la.name: weakref.ref(la) for la in layers}
    del layers
    gc.collect()
    gc.disable()
    try:
        replace()
        qtbot.waitUntil(lambda: window.renderer.idle, timeout=HANG_MS)
        return [name for name, ref in refs.items() if ref() is not None]
    finally:
        gc.enable()


@pytest.mark.parametrize("compare", [False, True])
def test_analyse_again_frees_the_layers_it_replaced(qtbot, tmp_path: Path, compare: bool) -> None:
    window = _window(qtbot, tmp_path, _two_models(tmp_path))
    window.set_compare(compare)
    image = write_image(tmp_path / "a.png", 64, 64)
    open_listed(qtbot, window, [image])
    entry = window.entries[str(image)]
    qtbot.waitUntil(lambda: not entry.running and entry.analysis is not None, timeout=HANG_MS)
    qtbot.waitUntil(lambda: window.renderer.idle, timeout=HANG_MS)
    earlier = entry.analysis

    def again() -> None:
        window.analyse()
        qtbot.waitUntil(
            lambda: entry.analysis is not earlier and not entry.running, timeout=HANG_MS
        )

    assert _let_go_without_collector(qtbot, window, again) == []
    # the new list is whole and drawn, and the panes show it
    assert window.layers is not None and window.layers.image is not None
    assert window.layers.image.pixels is entry.analysis.evidence.pixels
    assert all(la.rendered is not None for la in window.layers if la.visible and la.kind != "faces")
    if compare:
        assert window.compare.panes
        assert all(p.canvas.layers is window.layers for p in window.compare.panes)


def test_showing_another_file_frees_the_layers_of_the_one_left(qtbot, tmp_path: Path) -> None:
    window = _window(qtbot, tmp_path, _two_models(tmp_path))
    images = [write_image(tmp_path / f"{n}.png", 64, 64, seed=i) for i, n in enumerate("ab")]
    open_listed(qtbot, window, images)
    entries = [window.entries[str(p)] for p in images]
    qtbot.waitUntil(
        lambda: all(e.analysis is not None and not e.running for e in entries), timeout=HANG_MS
    )
    window.show_entry(str(images[0]))
    qtbot.waitUntil(lambda: window.renderer.idle, timeout=HANG_MS)

    assert _let_go_without_collector(qtbot, window, lambda: window.show_entry(str(images[1]))) == []
    # the file left keeps its analysis: shown again, its layers are built anew
    window.show_entry(str(images[0]))
    assert window.layers is not None and window.layers.image is not None
    assert window.layers.image.pixels is entries[0].evidence.pixels
