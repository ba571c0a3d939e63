"""Run by tests/viewer/test_hidpi.py in a child process at ``QT_SCALE_FACTOR`` (Qt reads the
scaling once, when the application starts): a canvas shows an image whose every pixel's colour
says its coordinates, and this prints, as JSON, what a test needs to check that the read-out
names the pixel drawn under the pointer, that 100 % is one image pixel per device pixel and
that the zoom steps land on whole device multiples.

``python -m tests.viewer.hidpi_canvas ZOOM...`` (ZOOM: device pixels per image pixel to test
the pointer at); ``python -m tests.viewer.hidpi_canvas magnifier``: the magnifier's close-up as
drawn (:func:`magnifier_row`).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

WIDTH, HEIGHT = 300, 200  # image pixels: red is the column, green the row (both < 256)


def coded_image() -> np.ndarray:
    """[H, W, 3]: pixel (col, row) is (col, row, 128)."""
    rows, cols = np.mgrid[0:HEIGHT, 0:WIDTH]
    return np.stack([cols, rows, np.full_like(cols, 128)], axis=-1).astype(np.uint8)


def mouse_move(canvas: Any, at: Any) -> Any:
    """The QMouseEvent a platform sends for the pointer moved to ``at`` (a QPointF in the
    canvas viewport's logical pixels), no button held."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QMouseEvent

    return QMouseEvent(
        QEvent.Type.MouseMove,
        at,
        canvas.viewport().mapToGlobal(at),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )


def main(zooms: list[float]) -> dict[str, object]:
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    from forensic_viewer.gui.canvas import Canvas
    from forensic_viewer.layer_base import ImageLayer
    from forensic_viewer.layers import LayerList

    # every move reaches the scene, as if the mouse moved slowly (the rate limit is
    # tests/viewer/test_hidpi.py's own test)
    pg.setConfigOptions(mouseRateLimit=-1)
    app = QApplication([])
    layer = ImageLayer(coded_image())
    job = layer.render_job()
    assert job is not None
    layer.apply_render(job.version, job.fn())
    canvas = Canvas()
    canvas.resize(360, 280)
    canvas.show()
    app.processEvents()
    canvas.set_layers(LayerList([layer]))
    ratio = canvas.devicePixelRatioF()
    out: dict[str, object] = {"ratio": ratio}
    canvas.actual_size()
    app.processEvents()
    out["actual_zoom"] = canvas.device_zoom
    steps = []
    for factor in (1.25, 1.25, 1.25, 0.8, 0.8, 0.8, 0.8):
        canvas.zoom(factor)
        steps.append(round(canvas.device_zoom, 6))
    out["steps"] = steps

    for zoom in zooms:
        out[str(zoom)] = _pointer_rows(app, canvas, zoom)
    return out


def _pointer_rows(app: Any, canvas: Any, zoom: float) -> dict[str, Any]:
    """At ``zoom`` device pixels per image pixel, the image's corner between device pixels,
    the pointer over each device pixel of a row: [device x, red and green drawn there (the
    column and row drawn), the point ``hovered`` gave]."""
    from PySide6.QtCore import QPointF
    from PySide6.QtWidgets import QApplication

    ratio = canvas.devicePixelRatioF()
    size = canvas.view.size()
    w, h = size.width() * ratio / zoom, size.height() * ratio / zoom
    canvas.view.setRange(xRange=(0.37, 0.37 + w), yRange=(0.21, 0.21 + h), padding=0.0)
    app.processEvents()
    shot = canvas.viewport().grab().toImage()  # device pixels
    hovered: list[tuple[float, float]] = []
    canvas.hovered.connect(lambda x, y: hovered.append((x, y)))
    rows = []
    y_device = shot.height() // 3
    for x_device in range(4, min(shot.width(), int(WIDTH * zoom)) - 4):
        # the position a platform gives for a device pixel: its corner, in logical pixels
        at = QPointF(x_device / ratio, y_device / ratio)
        QApplication.sendEvent(canvas.viewport(), mouse_move(canvas, at))
        drawn = shot.pixelColor(x_device, y_device)
        rows.append([x_device, drawn.red(), drawn.green(), *hovered[-1]])
    canvas.hovered.disconnect()
    (x0, _), (y0, _) = canvas.view.viewRange()
    return {"zoom": canvas.device_zoom, "x0": x0, "y0": y0, "y_device": y_device, "rows": rows}


def magnifier_row() -> dict[str, Any]:
    """The magnifier's close-up of a patch whose pixel (col, row) is (col, row, 128), grabbed
    in device pixels: the colour of each device pixel along patch row 3 and along the cursor's."""
    from PySide6.QtWidgets import QApplication

    from forensic_viewer.gui.inspector import Magnifier

    app = QApplication([])
    magnifier = Magnifier()
    magnifier.show()
    app.processEvents()
    side = 2 * Magnifier.RADIUS + 1
    magnifier.set_patch(coded_image()[:side, :side])
    app.processEvents()
    shot = magnifier.grab().toImage()
    ratio = magnifier.devicePixelRatioF()
    rows = {}
    for name, patch_row in (("row", 3), ("cursor", Magnifier.RADIUS)):  # the cursor's pixel
        y = round((patch_row + 0.5) * Magnifier.ZOOM * ratio)
        rows[name] = [shot.pixelColor(x, y).getRgb()[:3] for x in range(shot.width())]
    return {"ratio": ratio, "width": shot.width(), **rows}


if __name__ == "__main__":
    if sys.argv[1:] == ["magnifier"]:
        print(json.dumps(magnifier_row()))
    else:
        print(json.dumps(main([float(z) for z in sys.argv[1:]])))
