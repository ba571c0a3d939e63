"""The Layers panel: the napari-style layer list and the selected layer's controls.

:class:`LayerPanel` lists the layers, top layer first, a checkbox for visibility (a mask's
row with a square of its colour);
:class:`LayerControls` holds one layer's opacity, colormap and legend, threshold and mask
figures (:func:`mask_summary`). Both write the analyst's changes to the layer through its
setters and follow its events (napari's way); they compute nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from engine.analyses import MapScale
from forensic_viewer import overlays
from forensic_viewer.classic_layers import MapChoiceLayer
from forensic_viewer.events import Event, Subscriptions
from forensic_viewer.face_marks import no_face_words
from forensic_viewer.gui.panels import (
    discard,
    name_form_fields,
    pixmap_from_rgb,
    rows_height,
    text_label,
)
from forensic_viewer.gui.wheel_guard import guard_wheel
from forensic_viewer.layer_base import Layer
from forensic_viewer.layers import LayerList
from forensic_viewer.marked_area import MARKED_AREA, MARKED_AREA_MEANING, NOT_A_FINDING
from forensic_viewer.model_layers import (
    FACES_LEGEND,
    AgreementLayer,
    FacesLayer,
    GroundTruthLayer,
    HeatmapLayer,
    MaskLayer,
    color_words,
)
from forensic_viewer.wording import threshold_figure

THRESHOLD_STEPS = 1000  # threshold slider resolution: 0.001
LIST_MIN_ROWS = 7  # the layer list's rows however short the dock (it scrolls beyond them)
CONTROLS_MIN_ROWS = 4  # the controls' lines shown however short the dock (they scroll)
LEGEND_MIN_WIDTH = 64  # a colormap's legend is drawn at least this wide
# The threshold box's decimals: the four of wording.threshold_figure for a threshold in
# [0.1, 1), so a calibrated 0.4567 reads 0.4567 there as in the report (three read 0.457).
THRESHOLD_DECIMALS = 4


class LayerControls(QWidget):
    """Controls of one layer: opacity; colormap and legend; threshold and mask statistics."""

    def __init__(self, layer: Layer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layer = layer
        self._bind = Subscriptions()
        form = QFormLayout(self)
        form.setContentsMargins(4, 4, 4, 4)
        # what a classic analysis's values mean, if one: a plain wrapped label, whose height
        # for its width the form and the dock's PanelScroll give it in the same layout pass. A
        # label that set its own minimum height from its last width (to be read whole in a
        # short dock, before the docks scrolled) was drawn over the opacity slider until the
        # next pass ("scaled." on the slider in a 1600 x 1000 screenshot).
        # an analysis's several maps (the JPEG ghost's qualities) in one layer: which it shows
        self.choice: QComboBox | None = None
        if isinstance(layer, MapChoiceLayer):
            self.choice = QComboBox()
            self.choice.addItems(layer.choices)
            self.choice.setCurrentIndex(layer.chosen)
            self.choice.setAccessibleName(f"map of {layer.analysis} shown")
            self.choice.currentIndexChanged.connect(self._set_chosen)
            self._bind.on(layer.events.chosen, self._on_chosen)
            form.addRow("map", self.choice)
        self.about = text_label(layer.about)
        if layer.about:
            form.addRow("shows", self.about)
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(round(layer.opacity * 100))
        self.opacity.valueChanged.connect(self._set_opacity)
        self.opacity.setAccessibleName(f"opacity of {layer.name}")
        self._bind.on(layer.events.opacity, self._on_opacity)
        form.addRow("opacity", self.opacity)
        self.colormap: QComboBox | None = None
        self.legend: QLabel | None = None
        if isinstance(layer, HeatmapLayer | AgreementLayer):
            self.colormap = QComboBox()
            for name in overlays.COLORMAPS:  # jet and turbo said not perceptually ordered
                self.colormap.addItem(overlays.colormap_label(name), name)
            self.colormap.setCurrentIndex(self.colormap.findData(layer.colormap))
            self.colormap.currentIndexChanged.connect(self._set_colormap)
            self._bind.on(layer.events.colormap, self._on_colormap)
            form.addRow("colormap", self.colormap)
            self.legend = QLabel()
            self.legend.setScaledContents(True)
            self.legend.setFixedHeight(14)
            # the colormap's picture is drawn to the width there is: it asks for none (its
            # 256 pixels beside the agreement's wider ends widened the panel by ~50 pixels,
            # and the canvas moved, when that layer was selected)
            self.legend.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            self.legend.setMinimumWidth(LEGEND_MIN_WIDTH)
            low, high = ("0", "1") if isinstance(layer, HeatmapLayer) else ("no model", "all")
            if getattr(layer, "regions_of", None):  # the copy-move regions, not a heatmap
                low, high = ("0 outside", "1 inside")
            self._legend_range = (low, high)
            self.legend.setAccessibleName("legend")
            legend_row = QHBoxLayout()
            legend_row.addWidget(QLabel(low))
            legend_row.addWidget(self.legend, 1)
            legend_row.addWidget(QLabel(high))
            form.addRow("legend", legend_row)
            self._on_colormap(None)
        self.fade: QCheckBox | None = None
        if isinstance(layer, HeatmapLayer) and not _is_region(layer):
            self.fade = QCheckBox("transparent where low")
            self.fade.setToolTip(
                "each pixel as opaque as its value, so the photograph shows where the map is "
                "low; untick to colour every pixel"
            )
            self.fade.setChecked(layer.fade)
            self.fade.toggled.connect(self._set_fade)
            self._bind.on(layer.events.fade, self._on_fade)
            form.addRow("", self.fade)
        self.threshold: QSlider | None = None
        self.threshold_spin: QDoubleSpinBox | None = None
        self.stats: QLabel | None = None
        self.show_fill = self.show_contours = self.show_boxes = None
        if isinstance(layer, MaskLayer):
            self._build_mask(form, layer)
        if isinstance(layer, FacesLayer):
            text = "\n".join(  # with the image's size, as the canvas: border cuts are said
                f"{i + 1}. {FacesLayer.label(f, image_size=layer.image_size)}  at {f.box}"
                for i, f in enumerate(layer.faces)
            )
            form.addRow("faces", text_label(text or no_face_words(checked=True)))
            form.addRow("", text_label(FACES_LEGEND))
        name_form_fields(form)
        guard_wheel(self)  # scrolling the dock over the threshold changed it on the way

    def _build_mask(self, form: QFormLayout, layer: MaskLayer) -> None:
        """A model's mask: its threshold (slider, box, back to the model's own), the mask's
        figures, what to draw. A true mask (ground truth) has no threshold to move."""
        self.stats = text_label("")
        self.stats.setToolTip(f"{MARKED_AREA}: {MARKED_AREA_MEANING}. {NOT_A_FINDING}")
        if isinstance(layer, GroundTruthLayer):
            form.addRow("source", text_label(f"{layer.name}: the true mask, loaded as it is"))
        else:
            self._build_threshold(form, layer)
        form.addRow("mask", self.stats)
        self.show_fill = QCheckBox("fill")
        self.show_contours = QCheckBox("contours")
        self.show_boxes = QCheckBox("boxes")
        draw = QHBoxLayout()
        for box, attr in (
            (self.show_fill, "fill"),
            (self.show_contours, "contours"),
            (self.show_boxes, "boxes"),
        ):
            box.setChecked(getattr(layer, attr))
            box.toggled.connect(lambda on, attr=attr: setattr(layer, attr, on))
            self._bind.on(
                layer.events[attr], lambda e, box=box: _quietly(box, box.setChecked, e.value)
            )
            draw.addWidget(box)
        form.addRow("draw", draw)
        self._bind.on(layer.events.rendered, self._on_rendered)
        self._on_rendered(None)

    def _build_threshold(self, form: QFormLayout, layer: MaskLayer) -> None:
        self.threshold = QSlider(Qt.Orientation.Horizontal)
        self.threshold.setRange(0, THRESHOLD_STEPS)
        self.threshold.setAccessibleName(f"mask threshold of {layer.name}")
        self.threshold_spin = QDoubleSpinBox()
        self.threshold_spin.setAccessibleName(f"mask threshold of {layer.name}, typed")
        self.threshold_spin.setRange(0.0, 1.0)
        self.threshold_spin.setDecimals(THRESHOLD_DECIMALS)
        self.threshold_spin.setSingleStep(1.0 / THRESHOLD_STEPS)
        reset = QPushButton(f"{layer.own_threshold} {threshold_figure(layer.calibrated_threshold)}")
        reset.setToolTip(f"back to {layer.own_threshold_words}")
        reset.clicked.connect(layer.reset_threshold)
        row = QHBoxLayout()
        row.addWidget(self.threshold, 1)
        row.addWidget(self.threshold_spin)
        form.addRow("threshold", row)
        form.addRow("", reset)
        self.threshold.valueChanged.connect(self._set_threshold_from_slider)
        self.threshold_spin.valueChanged.connect(self._set_threshold)
        self._bind.on(layer.events.threshold, self._on_threshold)
        self._on_threshold(None)

    # user -> layer

    def _set_chosen(self, index: int) -> None:
        if index >= 0:
            self.layer.chosen = index  # type: ignore[attr-defined]

    def _on_chosen(self, _event: Event | None) -> None:
        chosen = self.layer.chosen  # type: ignore[attr-defined]
        assert self.choice is not None
        _quietly(self.choice, self.choice.setCurrentIndex, chosen)
        self.about.setText(self.layer.about)  # that map's meaning, its quality named

    def _set_opacity(self, value: int) -> None:
        self.layer.opacity = value / 100.0

    def _set_colormap(self, index: int) -> None:
        assert self.colormap is not None
        self.layer.colormap = self.colormap.itemData(index)  # type: ignore[attr-defined]

    def _set_fade(self, on: bool) -> None:
        self.layer.fade = on  # type: ignore[attr-defined]

    def _set_threshold_from_slider(self, value: int) -> None:
        self.layer.threshold = value / THRESHOLD_STEPS  # type: ignore[attr-defined]

    def _set_threshold(self, value: float) -> None:
        self.layer.threshold = value  # type: ignore[attr-defined]

    # layer -> widgets

    def _on_opacity(self, _event: Event | None) -> None:
        _quietly(self.opacity, self.opacity.setValue, round(self.layer.opacity * 100))

    def _on_colormap(self, _event: Event | None) -> None:
        name = self.layer.colormap  # type: ignore[attr-defined]
        assert self.colormap is not None and self.legend is not None
        _quietly(self.colormap, self.colormap.setCurrentIndex, self.colormap.findData(name))
        self.legend.setPixmap(pixmap_from_rgb(overlays.legend(name)))
        low, high = self._legend_range  # the picture said it to sighted analysts alone
        self.legend.setAccessibleDescription(
            f"colour scale {name}: {low} at the left end to {high} at the right end"
        )

    def _on_fade(self, _event: Event | None) -> None:
        assert self.fade is not None
        _quietly(self.fade, self.fade.setChecked, self.layer.fade)  # type: ignore[attr-defined]

    def _on_threshold(self, _event: Event | None) -> None:
        layer = self.layer
        assert isinstance(layer, MaskLayer) and self.threshold and self.threshold_spin
        _quietly(self.threshold, self.threshold.setValue, round(layer.threshold * THRESHOLD_STEPS))
        _quietly(self.threshold_spin, self.threshold_spin.setValue, layer.threshold)
        self._on_rendered(None)

    def _on_rendered(self, _event: Event | None) -> None:
        layer = self.layer
        assert isinstance(layer, MaskLayer) and self.stats is not None
        self.stats.setText(mask_summary(layer))

    def close_bindings(self) -> None:
        self._bind.clear()


def mask_summary(layer: MaskLayer) -> str:
    """The marked area (:mod:`forensic_viewer.marked_area`) and regions of the mask as last
    rendered, and at which threshold."""
    s = layer.stats
    if s is None:
        return "computing…"
    text = f"{MARKED_AREA} {s.fraction:.2%} · {s.regions} region{'s' if s.regions != 1 else ''}"
    if s.outlined < s.regions:
        text += f" (largest {s.outlined} outlined)"
    if abs(s.threshold - layer.threshold) > 1e-9:
        text += f"  [at {threshold_figure(s.threshold)}, updating…]"
    return text


def _say_color(item: QListWidgetItem, layer: MaskLayer) -> None:
    """A mask's row says its colour in words, to a screen reader (its name) and in its
    tooltip: the swatch alone said which colour on the image was which model's
    (walk-through D, item 10)."""
    words = color_words(layer.color)
    item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{layer.name}, {words}")
    item.setToolTip(f"{layer.name}: drawn in {words}")


def swatch(rgb: tuple[int, int, int]) -> QIcon:
    """A square of ``rgb``: a mask's row in the layer list wears the colour its fill and
    outlines are drawn in. Nothing else said which colour was which model's, and masks of
    several models shown together on the canvas (or the ground truth's beside them) could
    not be told apart."""
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(*rgb))
    return QIcon(pixmap)


def _is_region(layer: Layer) -> bool:
    """A classic analysis's map of regions: drawn transparent outside them whatever the fade."""
    meaning = getattr(layer, "meaning", None)
    return meaning is not None and meaning.scale == MapScale.REGION


def _quietly(widget: QWidget, setter: Callable[..., object], value: object) -> None:
    """Set a widget's value without echoing it back to the layer."""
    blocked = widget.blockSignals(True)
    try:
        setter(value)
    finally:
        widget.blockSignals(blocked)


class ControlsScroll(QScrollArea):
    """The selected layer's controls, asking for the height they need at the width they have
    (their wrapped "shows" line whole) and scrolling when the dock gives them less."""

    def sizeHint(self) -> QSize:  # Qt override
        hint = super().sizeHint()
        panel = self.widget()
        if panel is None:
            return hint
        width = self.viewport().width() or hint.width()
        layout = panel.layout()
        if layout is not None and layout.hasHeightForWidth():
            needed = layout.totalHeightForWidth(width)
        else:
            needed = panel.sizeHint().height()
        return QSize(hint.width(), max(needed, self.minimumHeight()) + 2 * self.frameWidth())

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt override: wrapped anew
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.updateGeometry()


class LayerPanel(QWidget):
    """napari-style layer list (top layer first, checkbox = visibility) and the selected
    layer's controls. Their Tab order is the main window's (gui/focus_order.py): controls
    made anew for each selected layer join the end of the window's focus chain, and the
    window puts them after the list, its region keeping its chain's order."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setAccessibleName("Layers")
        self.list.setAccessibleDescription(
            "top layer first; the check box shows or hides a layer, the selected layer's "
            "controls follow the list"
        )
        # the selected layer's controls scroll on their own below the list: in a short dock
        # (1280 x 800) a long "shows" and the colormap pushed opacity out of the dock, and the
        # list of ~25 layers (the JPEG ghost's qualities) was left 4 rows
        self._controls_host = QWidget()
        self._controls_box = QVBoxLayout(self._controls_host)
        self._controls_box.setContentsMargins(0, 0, 0, 0)
        self.controls_scroll = ControlsScroll()
        self.controls_scroll.setWidgetResizable(True)
        self.controls_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.controls_scroll.setWidget(self._controls_host)
        self.controls_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the controls
        self.controls_scroll.setMinimumHeight(CONTROLS_MIN_ROWS * self._row_height())
        self.list.setMinimumHeight(rows_height(self.list, LIST_MIN_ROWS))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        # the list takes the height the controls leave (with the JPEG ghosts there are 20 and
        # more layers, and a list held to 220 pixels stayed so in a tall dock), never fewer
        # than LIST_MIN_ROWS rows; the controls as tall as they need, scrolling when short
        layout.addWidget(self.list, 1)
        layout.addWidget(self.controls_scroll)
        self.controls: LayerControls | None = None
        self._layers: LayerList | None = None
        self._bind = Subscriptions()
        self._bind_rows = Subscriptions()
        self.list.itemChanged.connect(self._on_item_changed)
        self.list.currentRowChanged.connect(self._on_row)

    def _row_height(self) -> int:
        return self.fontMetrics().lineSpacing() + 10  # a form row: a slider's, a combo's

    def set_layers(self, layers: LayerList | None) -> None:
        self._bind.clear()
        self._layers = layers
        self._rebuild()
        if layers is not None:
            self._bind.on(layers.events.inserted, lambda _e: self._rebuild())
            self._bind.on(layers.events.removed, lambda _e: self._rebuild())
            self._bind.on(layers.events.selected, self._on_selected)

    def _rows(self) -> list[Layer]:
        return [] if self._layers is None else list(self._layers)[::-1]

    def _rebuild(self) -> None:
        self._bind_rows.clear()
        blocked = self.list.blockSignals(True)
        self.list.clear()
        for layer in self._rows():
            item = QListWidgetItem(layer.name)
            if isinstance(layer, MaskLayer):
                item.setIcon(swatch(layer.color))
                _say_color(item, layer)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if layer.visible else Qt.CheckState.Unchecked)
            self.list.addItem(item)
            self._bind_rows.on(layer.events.visible, self._on_visible)
            self._bind_rows.on(layer.events.name, self._on_name)  # a partial map's share grows
        self.list.blockSignals(blocked)
        self._on_selected(None)

    def item_of(self, layer: Layer) -> QListWidgetItem:
        return self.list.item(self._rows().index(layer))

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        layer = self._rows()[self.list.row(item)]
        layer.visible = item.checkState() == Qt.CheckState.Checked

    def _on_visible(self, event: Event) -> None:
        layer: Layer = event.source  # type: ignore[assignment]
        item = self.item_of(layer)
        state = Qt.CheckState.Checked if layer.visible else Qt.CheckState.Unchecked
        _quietly(self.list, item.setCheckState, state)

    def _on_name(self, event: Event) -> None:
        layer: Layer = event.source  # type: ignore[assignment]
        item = self.item_of(layer)
        _quietly(self.list, item.setText, layer.name)
        if isinstance(layer, MaskLayer):
            _quietly(self.list, lambda mask: _say_color(item, mask), layer)

    def _on_row(self, row: int) -> None:
        rows = self._rows()
        if self._layers is not None and 0 <= row < len(rows):
            self._layers.selected = rows[row]

    def _on_selected(self, _event: Event | None) -> None:
        selected = None if self._layers is None else self._layers.selected
        if self.controls is not None:
            self.controls.close_bindings()
            self._controls_box.removeWidget(self.controls)
            discard(self.controls)
            self.controls = None
        if selected is None:
            return
        _quietly(self.list, self.list.setCurrentRow, self._rows().index(selected))
        self.controls = LayerControls(selected)
        self._controls_box.addWidget(self.controls)
        self.controls_scroll.updateGeometry()  # the new layer's controls' height
