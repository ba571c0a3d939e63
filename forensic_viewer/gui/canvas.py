"""The canvas: a pyqtgraph view of the evidence with its layers drawn on top.

One :class:`Canvas` shows the layers of a :class:`~forensic_viewer.layers.LayerList` that pass
its filter (the compare panes show one model's layers each). Each layer gets a visual that
subscribes to the layer's events and only moves data into graphics items: rasters arrive
rendered (see ``forensic_viewer.gui.workers.LayerRenderer``) and are wrapped in a QImage without a
copy; outlines are polylines drawn with cosmetic pens so they stay one or two screen pixels
wide at any zoom. A classic analysis's map with one value per cell of pixels is drawn over the
evidence cell by cell, the last cells cut by its border (:class:`~forensic_viewer.gui.layer_visuals.RasterItem`); clone pairs are drawn linked
(:class:`~forensic_viewer.gui.layer_visuals.PairsVisual`). The visuals live in
:mod:`forensic_viewer.gui.layer_visuals`.

Navigation: the mouse wheel zooms about the cursor, dragging pans (pyqtgraph's ViewBox),
Ctrl and the arrow keys pan by a tenth of the view (with Shift, by half of it: the keyboard
alone reaches every part of the evidence; View ▸ Zoom in / out zoom by keys), and a canvas the
keyboard focused (Tab) wears a frame in the theme's highlight colour over its edge. The arrow
keys alone move the inspected pixel (:data:`INSPECT_STEP`, with Shift :data:`INSPECT_STEP_SHIFT`),
drawn as a square, kept in view, and ``hovered`` gives it, so the read-out and the magnifier
follow the keys as they follow the mouse (they followed the mouse alone: walk-through D, item
3); the mouse moved over the image takes the inspection back. :data:`VIEW_KEYS` lists these
keys for Help ▸ Keyboard shortcuts.
:meth:`Canvas.fit` shows the whole evidence and :meth:`Canvas.actual_size` one evidence pixel
per device pixel (true 1:1 on a screen scaled to 125 % or 200 %); :meth:`Canvas.zoom` steps
land on whole device multiples above it, and ``zoomed`` gives the zoom in device pixels per
evidence pixel (:mod:`forensic_viewer.gui.device_pixels`). A fitted canvas stays fitted when it is resized, until the analyst zooms or
pans (``navigated``): a canvas is fitted when it gets its image, often before its layout gives
it its size (the compare panes are made when compare mode is entered), and fitted to the size
it had then, linked panes showed the image at half its size or less. ``hovered`` gives the scene point under the cursor for the pixel read-out and
the magnifier, the centre of the pointer's device pixel mapped unrounded (the one Qt's scene
gives is rounded to a whole logical pixel: the neighbouring pixel on a scaled screen); when an image is shown it is given at once, for the point under the cursor if the
cursor is over that image, else for the image's centre, so the magnifier shows the new image
rather than staying blank until the mouse moves. Scene coordinates are evidence pixels: pixel
(col, row) covers [col, col + 1] x [row, row + 1], y downwards.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QCursor,
    QFocusEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QWidget

from forensic_viewer.events import Event
from forensic_viewer.gui.device_pixels import device_centre, zoom_step
from forensic_viewer.gui.layer_visuals import LayerVisual, cosmetic_pen, make_visual
from forensic_viewer.layer_base import Layer
from forensic_viewer.layers import LayerList

BACKGROUND = QColor(40, 42, 46)
PAN_STEP, PAN_STEP_SHIFT = 0.1, 0.5  # Ctrl and an arrow key pan by this share of the view
INSPECT_STEP, INSPECT_STEP_SHIFT = 1, 10  # evidence pixels: an arrow key moves the inspected one
INSPECT_MARK = 9  # screen pixels: the least side of the inspected pixel's square, zoomed out
FOCUS_FRAME = 2  # pixels: the frame a focused canvas wears over its edge
# focus given by these shows the frame (a click or the window's activation does not: the frame
# covers the image's edge, and a mouse user sees where they clicked)
KEYBOARD_FOCUS = (
    Qt.FocusReason.TabFocusReason,
    Qt.FocusReason.BacktabFocusReason,
    Qt.FocusReason.ShortcutFocusReason,
)
PAN_KEYS = {
    Qt.Key.Key_Left: (-1, 0),
    Qt.Key.Key_Right: (1, 0),
    Qt.Key.Key_Up: (0, -1),
    Qt.Key.Key_Down: (0, 1),
}
# (keys, what they do) in a focused evidence view: keys of no action, for the shortcuts' list
VIEW_KEYS = (
    ("Arrows", "move the inspected pixel by one (the read-out and magnifier follow)"),
    ("Shift+Arrows", f"move the inspected pixel by {INSPECT_STEP_SHIFT}"),
    ("Ctrl+Arrows", "pan by a tenth of the view"),
    ("Ctrl+Shift+Arrows", "pan by half of the view"),
)


class Canvas(pg.GraphicsView):
    """A zoomable, pannable view of a layer list (or of the layers that pass ``accept``)."""

    hovered = Signal(float, float)  # scene point under the cursor, in evidence pixels
    navigated = Signal()  # the analyst zoomed or panned: the view no longer follows fit()
    zoomed = Signal(float)  # the zoom changed: device pixels per evidence pixel

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background=BACKGROUND)
        self.view = pg.ViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.view.setDefaultPadding(0.0)
        self.setCentralItem(self.view)
        self.setMinimumSize(160, 120)
        self.setAccessibleName("evidence view")
        self._focus_shown = False  # the focus came by the keyboard: the frame is drawn
        self._layers: LayerList | None = None
        self._accept: Callable[[Layer], bool] | None = None
        self._visuals: dict[int, LayerVisual] = {}
        self._shape: tuple[int, int] | None = None
        self._fitted = False  # fit() again on every resize (module doc)
        self._point: tuple[float, float] | None = None  # the last point ``hovered`` gave
        self._inspected: tuple[int, int] | None = None  # (col, row) the arrow keys moved to
        self._cursor_at = QCursor.pos()  # where the mouse was at the last arrow key
        self._pointer: QPointF | None = None  # the last mouse move's position, unrounded
        self._moving = False  # in mouseMoveEvent: the scene's own point is not followed
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.view.sigResized.connect(self._on_resized)
        self.view.sigRangeChanged.connect(self._on_range)
        self.view.sigResized.connect(self._on_range)
        self.view.sigRangeChangedManually.connect(self.release_fit)

    @property
    def layers(self) -> LayerList | None:
        return self._layers

    @property
    def visuals(self) -> list[LayerVisual]:
        return list(self._visuals.values())

    def set_layers(
        self, layers: LayerList | None, accept: Callable[[Layer], bool] | None = None
    ) -> None:
        """Show ``layers`` (only those ``accept`` returns True for); None empties the view.
        A new evidence size fits the view to it; ``hovered`` follows (see the module doc)."""
        if self._layers is not None:
            self._layers.events.inserted.disconnect(self._on_inserted)
            self._layers.events.removed.disconnect(self._on_removed)
        for visual in self._visuals.values():
            visual.close()
        self._visuals.clear()
        self._layers, self._accept = layers, accept
        if layers is None or layers.image is None:
            self._shape = None
            return
        layers.events.inserted.connect(self._on_inserted)
        layers.events.removed.connect(self._on_removed)
        shape = layers.image.shape
        for layer in layers:
            self._add_visual(layer)
        if shape != self._shape:
            self._shape = shape
            self._inspected = None
            self.fit()
        self._hover(*self._inspected_point())

    def _hover(self, x: float, y: float) -> None:
        self._point = (x, y)
        self.hovered.emit(x, y)

    def _inspected_point(self) -> tuple[float, float]:
        """The pixel the arrow keys moved to, else the scene point under the cursor when it is
        over the image, else the centre."""
        assert self._shape is not None
        h, w = self._shape
        if self._inspected is not None:
            return self._inspected[0] + 0.5, self._inspected[1] + 0.5
        if self.underMouse():
            at = QPointF(self.viewport().mapFromGlobal(QCursor.pos()))
            if self._pointer is not None and self._pointer.toPoint() == at.toPoint():
                at = self._pointer  # the same place, unrounded
            point = self._pointer_point(at)
            if 0 <= point.x() < w and 0 <= point.y() < h:
                return point.x(), point.y()
        return w / 2, h / 2

    def _add_visual(self, layer: Layer) -> None:
        if self._accept is not None and not self._accept(layer):
            return
        assert self._layers is not None and self._layers.image is not None
        visual = make_visual(layer, self.view, self._layers.image.shape)
        self._visuals[id(layer)] = visual
        visual.refresh()
        self._restack()

    def _restack(self) -> None:
        assert self._layers is not None
        for z, layer in enumerate(self._layers):
            visual = self._visuals.get(id(layer))
            if visual is not None:
                visual.set_z(z)

    def _on_inserted(self, event: Event) -> None:
        self._add_visual(event.value)

    def _on_removed(self, event: Event) -> None:
        visual = self._visuals.pop(id(event.value), None)
        if visual is not None:
            visual.close()

    # navigation

    def fit(self) -> None:
        """Show the whole evidence, now and after every resize until the view is navigated."""
        if self._shape is not None:
            h, w = self._shape
            self.view.setRange(QRectF(0, 0, w, h), padding=0.0)
            self._fitted = True

    @property
    def fitted(self) -> bool:
        """Whether the view follows :meth:`fit` (not zoomed or panned since)."""
        return self._fitted

    def release_fit(self, *_args: object) -> None:
        """The view was navigated: keep it where it is on a resize, and say so (``navigated``)."""
        self._fitted = False
        self.navigated.emit()

    def show_region(self, rect: QRectF) -> None:
        """Show ``rect`` (scene coordinates) as if the analyst had navigated there."""
        self.view.setRange(rect, padding=0.0)
        self.release_fit()

    def _on_resized(self, *_args: object) -> None:
        if self._fitted:
            self.fit()

    def actual_size(self) -> None:
        """One evidence pixel per device pixel, about the centre of the view: per logical
        pixel, a 150 % screen drew the evidence's pixels 1 and 2 device pixels wide in turn."""
        if self._shape is None:
            return
        self.release_fit()
        (x0, x1), (y0, y1) = self.view.viewRange()
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        size = self.view.size()
        ratio = self.devicePixelRatioF()
        w, h = size.width() * ratio, size.height() * ratio
        self.view.setRange(
            xRange=(cx - w / 2, cx + w / 2), yRange=(cy - h / 2, cy + h / 2), padding=0.0
        )

    @property
    def device_zoom(self) -> float:
        """Device pixels per evidence pixel (1.0 at 100 %); 0.0 before the view has a size."""
        sx = self.view.viewPixelSize()[0]  # evidence pixels per logical pixel
        return self.devicePixelRatioF() / sx if sx > 0 else 0.0

    def zoom(self, factor: float) -> None:
        """Zoom in (factor > 1) or out about the centre of the view, above 1:1 to whole device
        pixels per evidence pixel (:func:`~forensic_viewer.gui.device_pixels.zoom_step`)."""
        self.release_fit()
        now = self.device_zoom
        scale = now / zoom_step(now, factor) if now > 0 else 1.0 / factor
        self.view.scaleBy((scale, scale))

    def _on_range(self, *_args: object) -> None:
        self.zoomed.emit(self.device_zoom)

    @property
    def inspected(self) -> tuple[int, int] | None:
        """The (col, row) of the pixel the arrow keys moved to; None when the mouse leads."""
        return self._inspected

    def keyPressEvent(self, event: QKeyEvent) -> None:  # Qt override
        step = PAN_KEYS.get(Qt.Key(event.key()))
        if step is None or self._shape is None:
            super().keyPressEvent(event)
            return
        shift = event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            share = PAN_STEP_SHIFT if shift else PAN_STEP
            (x0, x1), (y0, y1) = self.view.viewRange()
            self.release_fit()
            self.view.translateBy(x=step[0] * share * (x1 - x0), y=step[1] * share * (y1 - y0))
        else:
            self._move_inspected(step, INSPECT_STEP_SHIFT if shift else INSPECT_STEP)
        event.accept()

    def _move_inspected(self, step: tuple[int, int], pixels: int) -> None:
        """Move the inspected pixel ``pixels`` along ``step`` (from the point last given, at
        first), within the image; pan when it leaves the view; give it (``hovered``)."""
        assert self._shape is not None
        h, w = self._shape
        if self._inspected is None:
            x, y = self._point if self._point is not None else (w / 2, h / 2)
            start = int(np.floor(x)), int(np.floor(y))
        else:
            start = self._inspected
        col, row = start[0] + step[0] * pixels, start[1] + step[1] * pixels
        col, row = min(max(col, 0), w - 1), min(max(row, 0), h - 1)
        self._inspected = (col, row)
        self._cursor_at = QCursor.pos()
        (x0, x1), (y0, y1) = self.view.viewRange()
        dx = min(0.0, col - x0) + max(0.0, col + 1 - x1)
        dy = min(0.0, row - y0) + max(0.0, row + 1 - y1)
        if dx or dy:
            self.release_fit()
            self.view.translateBy(x=dx, y=dy)
        self.viewport().update()
        self._hover(col + 0.5, row + 0.5)

    def focusInEvent(self, event: QFocusEvent) -> None:  # Qt override
        super().focusInEvent(event)
        self._focus_shown = event.reason() in KEYBOARD_FOCUS
        self.viewport().update()

    def focusOutEvent(self, event: QFocusEvent) -> None:  # Qt override
        super().focusOutEvent(event)
        self._focus_shown = False
        self.viewport().update()

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # Qt override
        """The focus frame, when the focus came by the keyboard, drawn over the view's edge
        in screen pixels. A frame around the view (a style sheet's border) cut the image's
        right and bottom edge: pyqtgraph lays the scene out to the widget's size, not to the
        smaller viewport's."""
        super().drawForeground(painter, rect)
        if self._inspected is not None:
            self._draw_inspected(painter)
        if not (self._focus_shown and self.hasFocus()):
            return
        painter.save()
        painter.resetTransform()
        pen = QPen(self.palette().color(QPalette.ColorRole.Highlight), FOCUS_FRAME)
        pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        half = FOCUS_FRAME / 2
        painter.drawRect(QRectF(self.viewport().rect()).adjusted(half, half, -half, -half))
        painter.restore()

    def _draw_inspected(self, painter: QPainter) -> None:
        """The inspected pixel's square in screen pixels, at least :data:`INSPECT_MARK` wide,
        a dark line under a light one: it shows on any image."""
        assert self._inspected is not None
        col, row = self._inspected
        scene = self.view.mapViewToScene(QRectF(col, row, 1, 1)).boundingRect()
        box = QRectF(self.mapFromScene(scene).boundingRect())
        grow = max(0.0, (INSPECT_MARK - box.width()) / 2)
        box.adjust(-grow, -grow, grow, grow)
        painter.save()
        painter.resetTransform()
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for color, width in ((QColor(0, 0, 0), 3), (QColor(255, 255, 255), 1)):
            painter.setPen(cosmetic_pen(color, width))
            painter.drawRect(box)
        painter.restore()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # Qt override
        """Follow the pointer at every move: pyqtgraph's scene drops moves that come faster
        than its rate limit, the last one too, and gives its point rounded to a whole logical
        pixel (the neighbouring pixel on a scaled screen: module doc)."""
        self._pointer = QPointF(event.position())
        self._moving = True
        try:
            super().mouseMoveEvent(event)
        finally:
            self._moving = False
        self._on_mouse_moved(None)

    def _pointer_point(self, at: QPointF) -> QPointF:
        """The evidence point drawn at the centre of the device pixel at ``at`` (viewport
        coordinates, logical pixels)."""
        ratio = self.devicePixelRatioF()
        centre = QPointF(device_centre(at.x(), ratio), device_centre(at.y(), ratio))
        scene = self.viewportTransform().inverted()[0].map(centre)
        return self.view.mapSceneToView(scene)

    def _on_mouse_moved(self, pos: QPointF | None) -> None:
        """A mouse move (``pos`` None), or the scene's (the move Qt replays when the view
        moves under a still mouse: the pointer is where the last move left it)."""
        if self._shape is None or (pos is not None and self._moving):
            return
        if self._pointer is not None:
            point = self._pointer_point(self._pointer)
        elif pos is not None:
            point = self.view.mapSceneToView(pos)
        else:
            return
        if self._inspected is not None:
            h, w = self._shape
            # Qt replays the last mouse move when the view pans under a still mouse
            inside = 0 <= point.x() < w and 0 <= point.y() < h
            if not inside or QCursor.pos() == self._cursor_at:
                return  # the keys lead until the mouse moves over the image
            self._inspected = None  # the mouse takes the inspection back
            self.viewport().update()
        self._hover(point.x(), point.y())
