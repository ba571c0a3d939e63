"""The viewer on a scaled screen (walk-through hidpi, 2026-12-06): the read-out names the pixel
drawn under the pointer, drawing stays sharp when an image pixel covers a device pixel or more,
100 % is one image pixel per device pixel and the zoom steps land on whole device multiples.

Qt reads its scaling once, at start, so the canvas's checks run in a child process at
``QT_SCALE_FACTOR=2`` (``tests/viewer/hidpi_canvas.py``); drawing is checked on a QImage whose
device pixel ratio is set.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication

from forensic_viewer.gui.canvas import Canvas
from forensic_viewer.gui.device_pixels import (
    ZOOM_IN,
    ZOOM_OUT,
    device_centre,
    smooth_at,
    zoom_step,
    zoom_words,
)
from forensic_viewer.gui.inspector import Magnifier
from forensic_viewer.gui.layer_visuals import RasterItem
from forensic_viewer.layer_base import ImageLayer
from forensic_viewer.layers import LayerList
from tests.conftest import HANG_MS, HANG_S
from tests.viewer.conftest import scan_cli, write_image
from tests.viewer.hidpi_canvas import mouse_move

ROOT = Path(__file__).resolve().parents[2]
ZOOMS = (1.0, 3.0, 1.7)  # device pixels per image pixel the pointer is tried at


@pytest.fixture(scope="module")
def at_200() -> dict[str, Any]:
    """What the canvas did at 200 % (``hidpi_canvas.main``), run once for the module."""
    out = _child("2", *map(str, ZOOMS))
    assert out["ratio"] == 2.0  # the child did run scaled
    return out


def _child(scale: str, *args: str) -> dict[str, Any]:
    """``python -m tests.viewer.hidpi_canvas ARGS`` at ``QT_SCALE_FACTOR=scale``: its JSON."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_SCALE_FACTOR": scale}
    env.pop("QT_SCREEN_SCALE_FACTORS", None)
    done = subprocess.run(
        [sys.executable, "-m", "tests.viewer.hidpi_canvas", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("zoom", [1.0, 3.0])
def test_the_read_out_names_the_pixel_drawn_under_the_pointer_at_200_percent(
    at_200: dict[str, Any], zoom: float
) -> None:
    """The read-out named the next pixel over the right or bottom half of a pixel: Qt's scene
    gives the pointer rounded to a whole logical pixel (two device pixels at 200 %)."""
    run = at_200[str(zoom)]
    assert run["zoom"] == pytest.approx(zoom)
    rows = run["rows"]
    assert len(rows) > 250
    wrong = [r for r in rows if (r[1], r[2]) != (math.floor(r[3]) % 256, math.floor(r[4]) % 256)]
    assert not wrong, f"[device x, drawn col, drawn row, read-out x, y]: {wrong[:5]}"


def test_the_read_out_maps_the_centre_of_the_pointers_device_pixel(
    at_200: dict[str, Any],
) -> None:
    """At a zoom that is no whole multiple (a wheel zoom), the point is the device pixel's
    centre, mapped exactly (Qt's rasteriser draws the pixels at such zooms to within a fraction
    of a device pixel of that: their edges are not tested here)."""
    run = at_200["1.7"]
    for x_device, _red, _green, x, y in run["rows"]:
        assert x == pytest.approx(run["x0"] + (x_device + 0.5) / run["zoom"], abs=1e-6)
        assert y == pytest.approx(run["y0"] + (run["y_device"] + 0.5) / run["zoom"], abs=1e-6)


def test_100_percent_is_one_image_pixel_per_device_pixel_and_zoom_steps_are_whole(
    at_200: dict[str, Any],
) -> None:
    """100 % drew an image pixel over 2 x 2 device pixels at 200 % (and 1 or 2 in turn at
    150 %); zooming by 1.25 from 1:1 drew them 1 and 2 device pixels wide in turn."""
    assert at_200["actual_zoom"] == pytest.approx(1.0)
    assert at_200["steps"] == pytest.approx([2.0, 3.0, 4.0, 3.0, 2.0, 1.0, 0.8])


def test_the_pointer_is_mapped_at_its_device_pixels_centre() -> None:
    assert device_centre(629.5, 2.0) == 629.75  # device pixel 1259 at 200 %
    assert device_centre(630.0, 2.0) == 630.25
    assert device_centre(10.0, 1.0) == 10.5
    assert device_centre(1007.2, 1.25) == pytest.approx(1007.6)  # 1259.0 despite rounding


def test_zoom_steps_land_on_whole_multiples_above_one_to_one() -> None:
    zoom, seen = 0.3, []
    for _ in range(12):
        zoom = zoom_step(zoom, ZOOM_IN)
        seen.append(zoom)
    assert 1.0 in seen  # zooming in stops at 1:1 on the way
    above = [z for z in seen if z > 1]
    assert above == [round(z) for z in above] and above == sorted(set(above))
    assert zoom_step(1.6, ZOOM_OUT) == 1.0  # from a fit between whole multiples
    assert zoom_step(1.6, ZOOM_IN) == 2.0
    assert zoom_step(1.0, ZOOM_OUT) == pytest.approx(0.8)
    assert zoom_step(0.5, 4.0) == 2.0
    text, tip = zoom_words(3.0)
    assert text == "zoom 300 %" and tip.startswith("3 screen (device) pixels per image pixel")


def _checker_drawn(scale: float, ratio: float) -> NDArray[np.uint8]:
    """A 1-pixel checkerboard drawn by RasterItem at ``scale`` logical pixels per image pixel
    on a QImage of device pixel ratio ``ratio``; the drawn device pixels' blue channel."""
    n = 40
    board = (np.indices((n, n)).sum(axis=0) % 2 * 255).astype(np.uint8)
    bgra = np.dstack([board, board, board, np.full_like(board, 255)])
    item = RasterItem(n, n)
    item.set_array(bgra)
    side = math.ceil(n * scale * ratio)
    target = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
    target.setDevicePixelRatio(ratio)
    target.fill(0)
    painter = QPainter(target)
    painter.scale(scale, scale)
    item.paint(painter)
    painter.end()
    assert item.boundingRect() == QRectF(0, 0, n, n)
    view = target.constBits()
    pixels = np.frombuffer(view, np.uint8).reshape(side, target.bytesPerLine() // 4, 4)
    return pixels[2:-2, 2 : side - 2, 0].copy()


@pytest.mark.parametrize("ratio", [2.0, 1.5])
def test_drawing_is_sharp_when_an_image_pixel_covers_a_device_pixel_or_more(
    qapp, ratio: float
) -> None:
    """At 200 % one step out from 100 % (0.8 logical, 1.6 device pixels per image pixel) the
    checkerboard was grey: smoothing was switched on by the logical scale."""
    drawn = _checker_drawn(0.8, ratio)
    assert set(np.unique(drawn).tolist()) <= {0, 255}  # every device pixel black or white
    smoothed = _checker_drawn(0.4, ratio)  # below one device pixel per image pixel
    assert ((smoothed > 30) & (smoothed < 225)).mean() > 0.5
    assert smooth_at(0.99) and not smooth_at(1.0) and not smooth_at(1.6)


def test_the_read_out_follows_every_mouse_move_however_fast(qtbot) -> None:
    """pyqtgraph's scene drops the moves that come faster than 100 a second, the last one
    too: a read-out taken from it named a pixel the pointer had left."""
    layer = ImageLayer(np.zeros((50, 80, 3), np.uint8))
    job = layer.render_job()
    assert job is not None
    layer.apply_render(job.version, job.fn())
    canvas = Canvas()
    qtbot.addWidget(canvas)
    canvas.resize(400, 300)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.set_layers(LayerList([layer]))
    hovered: list[tuple[float, float]] = []
    canvas.hovered.connect(lambda x, y: hovered.append((x, y)))
    ends = []
    for i in range(20):
        at = QPointF(100 + 5 * i, 120)
        QApplication.sendEvent(canvas.viewport(), mouse_move(canvas, at))
        ends.append(canvas.view.mapSceneToView(canvas.mapToScene(at.toPoint())).x())
    assert len(hovered) == 20
    assert hovered[-1][0] == pytest.approx(ends[-1], abs=1.0)


@pytest.fixture
def scanned(tmp_path: Path, tiny_checkpoint: Path) -> Path:
    """A --no-faces scan of two images larger than the thumbnails the scan writes."""
    folder = tmp_path / "evidence"
    folder.mkdir()
    for i in range(2):
        write_image(folder / f"{i}.png", 200, 300, seed=i)
    out = tmp_path / "out"
    assert scan_cli(folder, out, tiny_checkpoint) == 0
    return out


def test_table_thumbnails_are_read_at_the_screens_pixels(
    qtbot, scanned: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 200 % the 64-pixel thumbnails were drawn over 128 device pixels, soft beside the
    text: they are read at 128 (the scan wrote 160) and drawn 64 logical pixels long."""
    from PySide6.QtGui import QGuiApplication

    from forensic_viewer.gui.triage_table import TABLE_THUMB, TriageModel, thumb_side
    from forensic_viewer.scan.triage import triage_rows

    assert thumb_side(1.0) == TABLE_THUMB and thumb_side(2.0) == 2 * TABLE_THUMB
    monkeypatch.setattr(QGuiApplication, "devicePixelRatio", lambda _app: 2.0)
    model = TriageModel()
    model.set_out(scanned)
    model.set_models(["tiny"], None, [])
    model.add_rows([r for r in triage_rows(scanned) if r.status == "ok"])
    model.flush()
    column = model.column_of("thumbnail")
    index = model.index(0, column)
    assert model.data(index, Qt.ItemDataRole.DecorationRole) is None  # asked for
    qtbot.waitUntil(
        lambda: model.data(index, Qt.ItemDataRole.DecorationRole) is not None, timeout=HANG_MS
    )
    pixmap = model.data(index, Qt.ItemDataRole.DecorationRole)
    assert max(pixmap.width(), pixmap.height()) == 2 * TABLE_THUMB  # device pixels
    assert pixmap.devicePixelRatio() == 2.0  # drawn TABLE_THUMB logical pixels long
    model.thumbnails.stop()


def test_the_magnifier_draws_whole_device_pixels_at_125_percent() -> None:
    """Its 248-pixel pixmap was scaled by Qt to 310 device pixels at 125 %: its pixels 10 and
    11 wide in turn, the cursor pixel's 1-pixel outline 1.25."""
    out = _child("1.25", "magnifier")
    assert out["ratio"] == 1.25 and out["width"] == 310
    side = 2 * Magnifier.RADIUS + 1
    runs = [(tuple(k), len(list(g))) for k, g in itertools.groupby(out["row"])]
    assert runs == [((col, 3, 128), 10) for col in range(side)]
    yellow = [len(list(g)) for k, g in itertools.groupby(out["cursor"]) if k == [255, 255, 0]]
    assert yellow == [1, 1]  # the outline's left and right sides
