"""How each layer is drawn in a canvas: its graphics items, following the layer's events.

Moved out of :mod:`forensic_viewer.gui.canvas` (which keeps the view, its navigation and the
read-out) when that file passed 700 lines. A visual only moves data into graphics items:
rasters arrive rendered (``forensic_viewer.gui.workers.LayerRenderer``) and are wrapped in a
QImage without a copy (:class:`RasterItem`, sharp above one device pixel per image pixel);
outlines, face boxes and clone pairs are drawn with cosmetic pens on a dark casing
(``overlays.CASING_RGB``) so that they stay one or two screen pixels wide at any zoom and apart
from the heatmap under them for every colour vision.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFontMetrics,
    QImage,
    QPainter,
    QPen,
)
from PySide6.QtWidgets import QGraphicsItem, QGraphicsLineItem, QGraphicsRectItem

from forensic_viewer.classic_layers import ClonePairsLayer
from forensic_viewer.events import Event, Subscriptions
from forensic_viewer.face_marks import flagged_by
from forensic_viewer.gui.device_pixels import smooth_at
from forensic_viewer.gui.tips import tip_text
from forensic_viewer.layer_base import Layer
from forensic_viewer.model_layers import FacesLayer, MaskLayer
from forensic_viewer.overlays import (
    CASING_PX,
    CASING_RGB,
    FLAGGED_FACE_RGB,
    PAIR_LINK_RGB,
    PAIR_SOURCE_RGB,
    PAIR_TARGET_RGB,
    Polylines,
    Raster,
    pair_link,
)

FACE_COLOR = QColor(80, 220, 255)
FLAGGED_FACE_COLOR = QColor(*FLAGGED_FACE_RGB)  # a face a face model flagged (face_marks)
LABEL_FILL = QColor(0, 0, 0, 170)  # behind face labels


class RasterItem(pg.GraphicsObject):
    """Draws a premultiplied BGRA array [H, W, 4] over (0, 0)-(W, H), without copying it.

    Pixels are drawn sharp (nearest neighbour) when an image pixel covers a device pixel or
    more, so the analyst sees the real pixels, and smoothed when zoomed out further (the
    device transform decides: the painter's own leaves out a HiDPI screen's ratio, and
    smoothed an image magnified 1.6 times at 200 %). With a ``cell`` > 1, the array holds one value per
    cell x cell pixels of an image of ``width`` x ``height`` pixels (a classic analysis's map,
    a partial map's preview): its pixel (i, j) covers [j * cell, (j + 1) * cell) x
    [i * cell, (i + 1) * cell), the last row and column cut by the image's border, as the
    read-out and the magnifier index it. So the part of the array that covers the image is
    drawn over (0, 0)-(width, height); stretching the whole array over the image put a cell's
    colour up to half a cell away from its pixels when the image is not whole cells.
    """

    def __init__(self, width: int = 0, height: int = 0, *, cell: int = 1) -> None:
        super().__init__()
        self._array: Raster | None = None
        self._image: QImage | None = None
        self._rect = QRectF(0, 0, width, height)
        self._source = QRectF()
        self._cell = int(cell)

    def set_array(self, array: Raster | None, cell: int | None = None) -> None:
        """Draw ``array`` (None: nothing), of one value per ``cell`` x ``cell`` pixels (None:
        the cell given before)."""
        if cell is not None:
            self._cell = int(cell)
        if array is None:
            self._array, self._image = None, None
        else:
            array = np.ascontiguousarray(array)
            h, w = array.shape[:2]
            if self._cell == 1 and (w, h) != (self._rect.width(), self._rect.height()):
                self.prepareGeometryChange()
                self._rect = QRectF(0, 0, w, h)
            self._array = array  # the QImage below borrows this memory
            self._image = QImage(array.data, w, h, 4 * w, QImage.Format.Format_ARGB32_Premultiplied)
            self._source = QRectF(
                0, 0, self._rect.width() / self._cell, self._rect.height() / self._cell
            )
        self.update()

    @property
    def array(self) -> Raster | None:
        return self._array

    def boundingRect(self) -> QRectF:  # Qt override
        return QRectF(self._rect)

    def paint(self, painter: QPainter, *_args: Any) -> None:
        if self._image is None:
            return
        smooth = smooth_at(painter.deviceTransform().m11())
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
        painter.drawImage(self._rect, self._image, self._source)


class LayerVisual:
    """Graphics items that draw one layer in one view, following the layer's events."""

    def __init__(self, layer: Layer, view: pg.ViewBox) -> None:
        self.layer = layer
        self.view = view
        self.items: list[QGraphicsItem] = []
        self._subscriptions = Subscriptions()
        self._on("visible", self._update_visibility)
        self._on("opacity", self._on_opacity)

    def _on(self, name: str, callback: Callable[[Event], None]) -> None:
        self._subscriptions.on(self.layer.events[name], callback)

    def _add(self, item: QGraphicsItem, *, bounds: bool = False) -> None:
        self.view.addItem(item, ignoreBounds=not bounds)
        self.items.append(item)

    def set_z(self, z: float) -> None:
        for item in self.items:
            item.setZValue(z)

    def refresh(self) -> None:
        """Bring the items in line with the layer (after creation)."""
        self._on_opacity(None)
        self._update_visibility(None)

    def _on_opacity(self, _event: Event | None) -> None:
        for item in self.items:
            item.setOpacity(self.layer.opacity)

    def _update_visibility(self, _event: Event | None) -> None:
        for item in self.items:
            item.setVisible(self.layer.visible)

    def close(self) -> None:
        """Stop following the layer and take the items out of the view."""
        self._subscriptions.clear()
        for item in self.items:
            self.view.removeItem(item)
        self.items.clear()


class RasterVisual(LayerVisual):
    """Image, heatmap and agreement layers: one raster."""

    def __init__(self, layer: Layer, view: pg.ViewBox, shape: tuple[int, int]) -> None:
        super().__init__(layer, view)
        self.raster = RasterItem(shape[1], shape[0], cell=layer.cell)
        self._add(self.raster, bounds=layer.kind == "image")
        self._on("rendered", self._on_rendered)
        self.raster.set_array(layer.raster())

    def _on_rendered(self, _event: Event) -> None:
        # a partial map's preview may change its cell between updates
        self.raster.set_array(self.layer.raster(), self.layer.cell)


class MaskVisual(LayerVisual):
    """A mask: its fill, the contours and the bounding boxes of its largest regions."""

    layer: MaskLayer

    def __init__(self, layer: MaskLayer, view: pg.ViewBox, shape: tuple[int, int]) -> None:
        super().__init__(layer, view)
        color, casing = QColor(*layer.color), QColor(*CASING_RGB)
        self.fill = RasterItem(shape[1], shape[0])
        # each outline on a dark casing drawn first (overlays.CASING_RGB): a mask's colour can
        # be the heatmap's own under it (vermillion on inferno at 0.63, for a deuteranope)
        self.contour_casing = pg.PlotCurveItem(
            pen=pg.mkPen(casing, width=2 + CASING_PX), antialias=False
        )
        self.contours = pg.PlotCurveItem(pen=pg.mkPen(color, width=2), antialias=False)
        casing_pen = pg.mkPen(casing, width=1.5 + CASING_PX)
        self.box_casing = pg.PlotCurveItem(pen=casing_pen, antialias=False)
        box_pen = pg.mkPen(color, width=1.5, style=Qt.PenStyle.DashLine)
        self.boxes = pg.PlotCurveItem(pen=box_pen, antialias=False)
        for item in (self.fill, self.contour_casing, self.contours, self.box_casing, self.boxes):
            self._add(item)
        for name in ("fill", "contours", "boxes"):
            self._on(name, self._update_visibility)
        self._on("rendered", self._on_rendered)
        self._on_rendered(None)

    def _on_rendered(self, _event: Event | None) -> None:
        stats = self.layer.stats
        self.fill.set_array(None if stats is None else stats.fill)
        for curves, lines in (
            ((self.contour_casing, self.contours), None if stats is None else stats.contours),
            ((self.box_casing, self.boxes), None if stats is None else stats.boxes),
        ):
            for curve in curves:
                _set_polylines(curve, lines)

    def _update_visibility(self, _event: Event | None) -> None:
        shown = self.layer.visible
        self.fill.setVisible(shown and self.layer.fill)
        for curve in (self.contour_casing, self.contours):
            curve.setVisible(shown and self.layer.contours)
        for curve in (self.box_casing, self.boxes):
            curve.setVisible(shown and self.layer.boxes)


def _set_polylines(curve: pg.PlotCurveItem, lines: Polylines | None) -> None:
    if lines is None or len(lines) == 0:
        curve.setData([], [])
    else:
        curve.setData(lines.x, lines.y, connect=lines.connect)


class FacesVisual(LayerVisual):
    """Face boxes, numbered as the reports number them, each with a label: its number, each
    model's verdict on the face (the face model's first) and scores. A face that a face model
    flagged is drawn in :data:`FLAGGED_FACE_COLOR`, thicker, the others in :data:`FACE_COLOR`.

    A label is drawn inside its box, at the top, and kept within its box's width and the part
    of the image in view: elided at the image's right edge, a label ran over the neighbouring
    faces' boxes and labels (walk-through 2026-12-05: the forged face's label was hidden under
    its neighbour's, which read "face AUTHENTIC" on the forged face). Text that does not fit
    (at the current zoom) is elided, the number always kept; the whole label is in the box's
    and the label's tooltip. Labels are placed again whenever the view moves or is resized.
    """

    layer: FacesLayer

    def __init__(self, layer: FacesLayer, view: pg.ViewBox, shape: tuple[int, int]) -> None:
        super().__init__(layer, view)
        self.shape = shape
        self.labels: list[tuple[pg.TextItem, tuple[int, int, int, int], str]] = []
        self.rects: list[QGraphicsRectItem] = []
        for i, face in enumerate(layer.faces, start=1):
            color = FLAGGED_FACE_COLOR if flagged_by(face) else FACE_COLOR
            x, y, w, h = face.box
            full = FacesLayer.label(face, i, (shape[1], shape[0]))
            width = 3 if color is FLAGGED_FACE_COLOR else 2
            self._add(_casing(QGraphicsRectItem(QRectF(x, y, w, h)), width))
            rect = QGraphicsRectItem(QRectF(x, y, w, h))
            rect.setPen(cosmetic_pen(color, width))
            rect.setToolTip(tip_text(full))
            self._add(rect)
            self.rects.append(rect)
            # on a dark backing: readable over any heatmap colour and over grey
            label = pg.TextItem(full, color=color, anchor=(0, 0), fill=LABEL_FILL)
            label.setToolTip(tip_text(full))
            self._add(label)
            self.labels.append((label, face.box, full))
        view.sigRangeChanged.connect(self.place_labels)
        view.sigResized.connect(self.place_labels)
        self.place_labels()

    def place_labels(self, *_args: object) -> None:
        """Put each label inside its box and the visible image, elided to fit (class doc)."""
        sx, sy = self.view.viewPixelSize()  # evidence pixels per screen pixel
        if not (sx > 0 and sy > 0):
            return
        h, w = self.shape
        (vx0, vx1), (vy0, vy1) = self.view.viewRange()
        left, right, top, bottom = max(0.0, vx0), min(float(w), vx1), max(0.0, vy0), min(h, vy1)
        for label, (x, y, bw, _bh), full in self.labels:
            metrics = QFontMetrics(label.textItem.font())
            pad = 2 * label.textItem.document().documentMargin()  # px around the text
            start = min(max(float(x), left), right)
            end = min(float(x + bw), right)  # the box's right side, or the view's
            number = full.split(" · ", 1)[0]
            room = max(int((end - start) / sx - pad), metrics.horizontalAdvance(number))
            text = metrics.elidedText(full, Qt.TextElideMode.ElideRight, room)
            if not text.startswith(number):  # too narrow even for "2…": the number alone
                text = number
            label.setText(text)
            tw = (metrics.horizontalAdvance(text) + pad) * sx
            th = (metrics.height() + pad) * sy
            label.setPos(
                QPointF(
                    max(left, min(start, right - tw)),
                    max(top, min(max(float(y), top), bottom - th)),
                )
            )

    def close(self) -> None:
        self.view.sigRangeChanged.disconnect(self.place_labels)
        self.view.sigResized.disconnect(self.place_labels)
        super().close()


class PairsVisual(LayerVisual):
    """Clone pairs drawn linked: the source box, the target box, a line between their centres
    and the pair's number at both boxes (colours of :mod:`forensic_viewer.overlays`, as in the
    reports). The tooltip of each item gives the pair's transform and support."""

    layer: ClonePairsLayer

    def __init__(self, layer: ClonePairsLayer, view: pg.ViewBox) -> None:
        super().__init__(layer, view)
        self.links: list[QGraphicsLineItem] = []
        self.boxes: list[tuple[QGraphicsRectItem, QGraphicsRectItem]] = []
        for i, pair in enumerate(layer.pairs, start=1):
            tip = ClonePairsLayer.label(i, pair)
            rects = []
            for box, rgb in (
                (pair.source_box, PAIR_SOURCE_RGB),
                (pair.target_box, PAIR_TARGET_RGB),
            ):
                x, y, w, h = box
                self._add(_casing(QGraphicsRectItem(QRectF(x, y, w, h)), 2))
                rect = QGraphicsRectItem(QRectF(x, y, w, h))
                rect.setPen(cosmetic_pen(QColor(*rgb), 2))
                rect.setToolTip(tip)
                self._add(rect)
                rects.append(rect)
                label = pg.TextItem(str(i), color=QColor(*rgb), anchor=(0, 1), fill=LABEL_FILL)
                label.setPos(QPointF(x, y))
                self._add(label)
            (x0, y0), (x1, y1) = pair_link(pair)
            self._add(_casing(QGraphicsLineItem(x0, y0, x1, y1), 2))
            line = QGraphicsLineItem(x0, y0, x1, y1)
            line.setPen(cosmetic_pen(QColor(*PAIR_LINK_RGB), 2, Qt.PenStyle.DashLine))
            line.setToolTip(tip)
            self._add(line)
            self.links.append(line)
            self.boxes.append((rects[0], rects[1]))


def _casing(
    item: QGraphicsRectItem | QGraphicsLineItem, width: float
) -> QGraphicsRectItem | QGraphicsLineItem:
    """``item`` as the dark casing of a stroke ``width`` wide drawn over it (added first)."""
    item.setPen(cosmetic_pen(QColor(*CASING_RGB), width + CASING_PX))
    return item


def cosmetic_pen(color: QColor, width: float, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(color, width, style)
    pen.setCosmetic(True)  # the same screen width at any zoom
    return pen


def make_visual(layer: Layer, view: pg.ViewBox, shape: tuple[int, int]) -> LayerVisual:
    """The visual that draws ``layer`` (``shape``: the evidence's height and width)."""
    if isinstance(layer, MaskLayer):
        return MaskVisual(layer, view, shape)
    if isinstance(layer, FacesLayer):
        return FacesVisual(layer, view, shape)
    if isinstance(layer, ClonePairsLayer):
        return PairsVisual(layer, view)
    return RasterVisual(layer, view, shape)
