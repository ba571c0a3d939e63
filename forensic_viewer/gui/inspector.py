"""The magnifier panel with its modes and its close-up, and the status bar's pixel read-out.

Magnifier modes (:class:`LoupeMode`), chosen in the panel, raw by default:

- ``raw``: the evidence pixels unchanged, enlarged by repetition (nearest neighbour), so what
  the analyst inspects is what the file holds: no overlay, no interpolation, no colour change.
- ``enhanced``: the same patch with a per-channel contrast stretch (the 2nd and 98th
  percentiles of each channel inside the patch mapped to 0 and 255). A local stretch shows
  faint edges, noise and block structure in flat or dark areas, where tampering traces hide;
  percentiles rather than min / max so one hot pixel does not flatten the rest. The caption
  says that these are not the evidence values.
- ``overlays``: the patch with the visible layers blended on top, as the canvas shows them.

The panel shows what is under the cursor and, with the visible layers, follows them as the
canvas does (a layer shown, hidden, made more or less opaque, redrawn, added or removed, a
mask's fill turned off) while the cursor rests; it is cleared when the image changes (a patch or a
read-out of the previous image would be read as the new one's); the canvas then gives the new
image's point at once (the cursor's if it is over the image, else the centre), so the panel is
not left blank until the mouse moves.

:class:`ReadoutField` is the status bar's read-out: a permanent widget of bounded width (so a
long read-out never widens the window nor takes the room of the status messages), whose text is
elided at the end when it does not fit; the whole text is in its tooltip, and in the
magnifier panel above the close-up, one value a line (:meth:`LoupePanel.show_values`).
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QComboBox, QLabel, QSizePolicy, QVBoxLayout, QWidget

from forensic_viewer.events import Event, Subscriptions
from forensic_viewer.gui.panels import pixmap_from_rgb
from forensic_viewer.gui.tips import tip_text
from forensic_viewer.gui.wheel_guard import guard_wheel
from forensic_viewer.layer_base import Layer
from forensic_viewer.layers import LayerList
from forensic_viewer.overlays import composite_patch

STRETCH_PERCENTILES = (2.0, 98.0)  # of each channel inside the patch: mapped to 0 and 255


class Magnifier(QLabel):
    """A close-up of the pixels around the cursor, enlarged sharp, the cursor's pixel outlined:
    the patch :class:`LoupePanel` gives it in its mode (raw evidence pixels by default,
    enhanced, or with the visible layers)."""

    RADIUS = 15
    ZOOM = 8

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        side = (2 * self.RADIUS + 1) * self.ZOOM
        self.setFixedSize(side, side)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setStyleSheet("background: #222;")
        self.setAccessibleName("magnifier")
        self.setAccessibleDescription(
            f"the {2 * self.RADIUS + 1} × {2 * self.RADIUS + 1} pixels around the cursor, "
            f"{self.ZOOM} times enlarged; the status bar reads out the pixel's values"
        )

    def set_patch(self, rgb: NDArray[np.uint8] | None) -> None:
        """Show ``rgb`` [2 RADIUS + 1, 2 RADIUS + 1, 3], each pixel a square of a whole number
        of device pixels, about ZOOM logical ones: a pixmap of ZOOM pixels a pixel, scaled by
        Qt to a 125 % screen, drew them 10 and 11 device pixels wide and the cursor pixel's
        outline 1.25 pixels (walk-through hidpi, finding 8)."""
        if rgb is None:
            self.clear()
            return
        zoom = max(1, round(self.ZOOM * self.devicePixelRatioF()))  # device pixels a pixel
        big = np.repeat(np.repeat(rgb, zoom, axis=0), zoom, axis=1)
        c = self.RADIUS * zoom
        big[c - 1 : c + zoom + 1, [c - 1, c + zoom]] = (255, 255, 0)  # cursor pixel
        big[[c - 1, c + zoom], c - 1 : c + zoom + 1] = (255, 255, 0)
        pixmap = pixmap_from_rgb(big)
        pixmap.setDevicePixelRatio(zoom / self.ZOOM)  # as large as the close-up, in logical px
        self.setPixmap(pixmap)


class LoupeMode(StrEnum):
    RAW = "raw"
    ENHANCED = "enhanced"
    OVERLAYS = "overlays"


MODE_NAMES = {
    LoupeMode.RAW: "Raw pixels",
    LoupeMode.ENHANCED: "Enhanced (contrast stretch)",
    LoupeMode.OVERLAYS: "With the visible layers",
}
MODE_CAPTIONS = {
    LoupeMode.RAW: "raw evidence pixels, enlarged without interpolation",
    LoupeMode.ENHANCED: (
        "enhanced: each channel stretched from its 2nd-98th percentile in this patch to the "
        "full range; not the evidence values"
    ),
    LoupeMode.OVERLAYS: "evidence pixels with the visible layers blended on top",
}


def stretch_channels(
    rgb: NDArray[np.uint8], inside: NDArray[np.bool_] | None = None
) -> NDArray[np.uint8]:
    """Per-channel contrast stretch of ``rgb`` [h, w, 3]: the channel's 2nd and 98th percentile
    over the ``inside`` pixels (all when None) go to 0 and 255, clipped. A channel with no spread
    there is left as it is; pixels outside stay as they are (black beyond the image border)."""
    out = rgb.copy()
    mask = np.ones(rgb.shape[:2], bool) if inside is None else inside
    if not mask.any():
        return out
    for c in range(3):
        values = rgb[..., c][mask].astype(np.float32)
        lo, hi = np.percentile(values, STRETCH_PERCENTILES)
        if hi <= lo:
            continue
        stretched = (rgb[..., c].astype(np.float32) - lo) * (255.0 / (hi - lo))
        out[..., c] = np.where(mask, np.clip(np.rint(stretched), 0, 255), rgb[..., c])
    return out


def loupe_patch(
    layers: LayerList | None, x: float, y: float, radius: int, mode: LoupeMode
) -> NDArray[np.uint8] | None:
    """RGB [2r+1, 2r+1, 3] around scene point (x, y) in ``mode``; None without an image or
    outside it."""
    image = None if layers is None else layers.image
    if image is None:
        return None
    col, row = int(np.floor(x)), int(np.floor(y))
    h, w = image.shape
    if not (0 <= col < w and 0 <= row < h):
        return None
    if mode is LoupeMode.OVERLAYS:
        assert layers is not None
        return layers.magnify(x, y, radius)
    raw = composite_patch(image.pixels, [], col, row, radius)
    if mode is LoupeMode.RAW:
        return raw
    rows = np.arange(row - radius, row + radius + 1)
    cols = np.arange(col - radius, col + radius + 1)
    inside = ((rows >= 0) & (rows < h))[:, None] & ((cols >= 0) & (cols < w))[None, :]
    return stretch_channels(raw, inside)


class LoupePanel(QWidget):
    """The magnifier's mode chooser, a caption saying what the patch shows, and the patch."""

    RADIUS = Magnifier.RADIUS

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mode_box = QComboBox()
        for mode in LoupeMode:
            self.mode_box.addItem(MODE_NAMES[mode], str(mode))
        self.mode_box.setToolTip("what the magnifier shows of the pixels under the cursor")
        self.mode_box.setAccessibleName("magnifier shows")  # the tooltip describes it
        guard_wheel(self.mode_box)  # changed only when chosen, not by a wheel in passing
        self.magnifier = Magnifier()
        self.caption = QLabel()
        self.caption.setTextFormat(Qt.TextFormat.PlainText)
        self.caption.setWordWrap(True)
        self.caption.setMaximumWidth(self.magnifier.width())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.mode_box)
        # the caption under the chooser that sets it, above the patch: below it, a dock
        # shorter than the panel (a window under 1600 x 1000) scrolled the words away, cut
        # mid-line, where now it is the close-up's lower edge, away from the cursor's pixel
        layout.addWidget(self.caption)
        # the whole read-out, a line each: the status bar's field elides it, and with a few
        # models and analyses their values were never visible there (docs/ANALYSES.md).
        # Above the close-up: below it, a short dock (1280 x 800) scrolled them away
        self.values = QLabel()
        self.values.setTextFormat(Qt.TextFormat.PlainText)
        self.values.setWordWrap(True)
        self.values.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.values.setAccessibleName("values under the cursor")
        layout.addWidget(self.values)
        layout.addWidget(self.magnifier)
        layout.addStretch(1)
        self._layers: LayerList | None = None
        self._point: tuple[float, float] | None = None
        self._watched: LayerList | None = None
        self._subscriptions = Subscriptions()
        self.mode_box.currentIndexChanged.connect(self._on_mode)
        self._on_mode()

    @property
    def mode(self) -> LoupeMode:
        return LoupeMode(self.mode_box.currentData())

    def set_mode(self, mode: LoupeMode | str) -> None:
        self.mode_box.setCurrentIndex(self.mode_box.findData(str(LoupeMode(mode))))

    def show_at(self, layers: LayerList | None, x: float, y: float) -> None:
        """Show the pixels of ``layers`` around scene point (x, y) (cleared outside the image)."""
        self._layers, self._point = layers, (x, y)
        self.magnifier.set_patch(loupe_patch(layers, x, y, self.RADIUS, self.mode))

    def show_values(self, lines: list[str]) -> None:
        """The read-out of the pixel under the cursor, whole, one value a line."""
        self.values.setText("\n".join(lines))

    def clear(self) -> None:
        """Forget the point and the image (the image changed)."""
        self._layers, self._point = None, None
        self.magnifier.set_patch(None)
        self.values.setText("")

    def _on_mode(self, *_args: object) -> None:
        self.caption.setText(MODE_CAPTIONS[self.mode])
        if self._point is not None:
            self.show_at(self._layers, *self._point)

    LAYER_EVENTS = ("visible", "opacity", "rendered", "fill")  # what changes a layer's blend

    def watch(self, layers: LayerList | None) -> None:
        """Follow ``layers`` (the image shown): with the visible layers, the patch is drawn
        again whenever what the canvas draws of them changes (module doc)."""
        self._subscriptions.clear()
        self._watched = layers
        if layers is not None:
            self._subscriptions.on(layers.events.inserted, self._on_inserted)
            self._subscriptions.on(layers.events.removed, self._on_layers_changed)
            for layer in layers:
                self._follow(layer)

    def _follow(self, layer: Layer) -> None:
        for name in self.LAYER_EVENTS:
            if name in layer.events:
                self._subscriptions.on(layer.events[name], self._on_layers_changed)

    def _on_inserted(self, event: Event) -> None:
        self._follow(event.value)
        self._on_layers_changed(event)

    def _on_layers_changed(self, _event: Event) -> None:
        layers = self._layers
        if self.mode is LoupeMode.OVERLAYS and layers is self._watched and layers is not None:
            assert self._point is not None
            self.show_at(layers, *self._point)


class ReadoutField(QLabel):
    """A one-line label of bounded width that elides its text and keeps it whole in the
    tooltip; ``text()`` is always the whole text."""

    PREFERRED_WIDTH = 520  # px: coordinates, RGB and two or three heatmap values
    # px: "x 1234  y 5678" and a little; 240 with the progress bar, Cancel and the case mark
    # made the window 701 pixels wide at least, wider than 1280 x 800 at 200 % (640)
    MINIMUM_WIDTH = 120

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setMinimumWidth(self.MINIMUM_WIDTH)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def setText(self, text: str) -> None:  # Qt override: the tooltip follows
        super().setText(text)
        self.setToolTip(tip_text(text))

    def shown_text(self) -> str:
        """What fits in the field now (the text, or its start and an ellipsis)."""
        return self.fontMetrics().elidedText(
            self.text(), Qt.TextElideMode.ElideRight, self.contentsRect().width()
        )

    def sizeHint(self) -> QSize:  # Qt override: never as wide as a long text
        return QSize(self.PREFERRED_WIDTH, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # Qt override
        return QSize(self.minimumWidth(), super().minimumSizeHint().height())

    def paintEvent(self, _event: QPaintEvent) -> None:  # Qt override
        painter = QPainter(self)
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(self.contentsRect(), align, self.shown_text())
