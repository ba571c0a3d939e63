"""Side panels: evidence list, layer list and controls, verdicts, metadata, models, magnifier.

Widgets here show the model (layers, analyses) and write user changes back to it through
setters; they compute nothing themselves. Every text that comes from a file (EXIF, names) goes
into plain-text items, never into a label that would interpret it as rich text.

Long file: the panels share their helpers (badges, plain-text labels, verdict words) and are
small each; splitting them would scatter those.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSlider,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.assembly import ModelEntry, available_models, describe_model
from engine.catalog import BUNDLED_MODELS, user_models_dir
from engine.devices import available_devices
from engine.ensemble import FACE_RULE_NOTE, decided_by_face
from engine.errors import ForensicError
from engine.types import Analysis, Evidence, ModelResult
from forensic_viewer import overlays
from forensic_viewer.events import Event, Subscriptions
from forensic_viewer.layers import (
    FACES_LEGEND,
    AgreementLayer,
    FacesLayer,
    GroundTruthLayer,
    HeatmapLayer,
    Layer,
    LayerList,
    MaskLayer,
)
from forensic_viewer.report.metadata import metadata_values
from forensic_viewer.wording import (
    FACE_PROBABILITY_NOTE,
    OUT_OF_RANGE,
    decision_words,
    face_verdict_words,
    odds_words,
    partial_words,
    plain,
    policy_text,
    range_words,
)

if TYPE_CHECKING:
    from forensic_viewer.gui.workers import UnreadFile
from trainer.progress import figure_words

THRESHOLD_STEPS = 1000  # threshold slider resolution: 0.001

NO_MODEL_HINT = (
    "No trained model is installed, so nothing is analysed: the image and its metadata are "
    "shown. To analyse, add a checkpoint (.safetensors): copy it into {bundled} or {user}, or "
    "pick the file with “Add checkpoint…” in the Models panel. To train one: "
    "forensic-train fit --arch crfd-net-compact --data DIR --out FILE.safetensors"
)


def no_model_hint() -> str:
    return NO_MODEL_HINT.format(bundled=BUNDLED_MODELS, user=user_models_dir())


# --- evidence list ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Badge:
    """A verdict badge: short text and a colour."""

    text: str
    color: QColor


BADGE_LOADING = Badge("… loading", QColor(150, 150, 150))
BADGE_CANCELLED = Badge("■ cancelled", QColor(150, 150, 150))
BADGE_ERROR = Badge("✗ cannot be read", QColor(200, 60, 60))
RED, GREEN, GREY = QColor(230, 80, 70), QColor(70, 170, 90), QColor(140, 140, 140)


def cancelled_text(analysis: Analysis) -> str:
    """The Verdict panel's head for a cancelled analysis: what was kept, the partial maps."""
    finished = "the models below finished" if analysis.results else "no model finished"
    lines = [
        f"analysis cancelled after {analysis.seconds:.2f} s: no default verdict (never built "
        f"from a partial analysis); {finished}. Ctrl+R analyses it again."
    ]
    lines += [
        f"{plain(name)} — {partial_words(p.fraction)}" for name, p in analysis.partial.items()
    ]
    return "\n".join(lines)


def verdict_badge(analysis: Analysis) -> Badge:
    """The badge of an analysis: the ensemble's verdict, else how many models say manipulated."""
    if analysis.cancelled:
        return Badge(f"◐ partial: {len(analysis.results)} finished", GREY)
    if analysis.ensemble is not None:
        manipulated = analysis.ensemble.verdict == "manipulated"
        if analysis.ensemble.out_of_range:  # not a measured verdict: never red or green
            return Badge(f"? {analysis.ensemble.verdict} (ensemble) · {OUT_OF_RANGE}", GREY)
        return Badge(
            f"{'⚠' if manipulated else '✓'} {analysis.ensemble.verdict} (ensemble)",
            RED if manipulated else GREEN,
        )
    if not analysis.results:
        return Badge("○ no model", GREY)
    n = len(analysis.results)
    k = sum(r.verdict == "manipulated" for r in analysis.results.values())
    if k:
        return Badge(f"⚠ manipulated ({k}/{n} models)", RED)
    return Badge(f"✓ authentic ({n}/{n} models)", GREEN)


class EvidenceList(QListWidget):
    """Opened evidence files, one row each, with a verdict badge."""

    def entry(self, path: str) -> QListWidgetItem:
        """The row of ``path``, created when new."""
        for i in range(self.count()):
            item = self.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == path:
                return item
        item = QListWidgetItem(Path(path).name)
        item.setData(Qt.ItemDataRole.UserRole, path)
        item.setToolTip(plain(path))
        self.addItem(item)
        return item

    def set_badge(self, item: QListWidgetItem, badge: Badge, detail: str = "") -> None:
        path = item.data(Qt.ItemDataRole.UserRole)
        item.setText(f"{Path(path).name}\n    {badge.text}")
        item.setForeground(QBrush(badge.color))
        item.setToolTip(plain(path) + (f"\n{plain(detail)}" if detail else ""))

    def path_of(self, item: QListWidgetItem | None) -> str | None:
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def badge_text(self, path: str) -> str:
        return self.entry(path).text().split("\n", 1)[-1].strip()


# --- layers ----------------------------------------------------------------------------------


def text_label(text: str) -> QLabel:
    """A wrapped label that shows ``text`` as it is (never as rich text)."""
    return QLabel(text, textFormat=Qt.TextFormat.PlainText, wordWrap=True)


def discard(widget: QWidget) -> None:
    """Hide ``widget`` now and delete it when the event loop next turns. Taken out of its
    layout but still a visible child, a replaced widget was painted under its replacement
    until the deferred deletion ran: a repaint before it (a screenshot taken then, or a busy
    moment) showed two files' verdict cards over each other."""
    widget.hide()
    widget.deleteLater()


def pick_folder(parent: QWidget, title: str, field: QLineEdit) -> str | None:
    """A dialog's Browse…: the folder picker opened at the folder typed in ``field``; the
    folder chosen is typed there and returned (None, the field unchanged, when closed)."""
    path = QFileDialog.getExistingDirectory(parent, title, field.text())
    if not path:
        return None
    field.setText(path)
    return path


def _pixmap_from_rgb(rgb: NDArray[np.uint8]) -> QPixmap:
    rgb = np.ascontiguousarray(rgb)
    h, w = rgb.shape[:2]
    return QPixmap.fromImage(QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy())


class LayerControls(QWidget):
    """Controls of one layer: opacity; colormap and legend; threshold and mask statistics."""

    def __init__(self, layer: Layer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layer = layer
        self._bind = Subscriptions()
        form = QFormLayout(self)
        form.setContentsMargins(4, 4, 4, 4)
        self.about = text_label(layer.about)  # what a classic analysis's values mean, if one
        if layer.about:
            form.addRow("shows", self.about)
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(round(layer.opacity * 100))
        self.opacity.valueChanged.connect(self._set_opacity)
        self._bind.on(layer.events.opacity, self._on_opacity)
        form.addRow("opacity", self.opacity)
        self.colormap: QComboBox | None = None
        self.legend: QLabel | None = None
        if isinstance(layer, HeatmapLayer | AgreementLayer):
            self.colormap = QComboBox()
            self.colormap.addItems(list(overlays.COLORMAPS))
            self.colormap.setCurrentText(layer.colormap)
            self.colormap.currentTextChanged.connect(self._set_colormap)
            self._bind.on(layer.events.colormap, self._on_colormap)
            form.addRow("colormap", self.colormap)
            self.legend = QLabel()
            self.legend.setScaledContents(True)
            self.legend.setFixedHeight(14)
            low, high = ("0", "1") if isinstance(layer, HeatmapLayer) else ("no model", "all")
            legend_row = QHBoxLayout()
            legend_row.addWidget(QLabel(low))
            legend_row.addWidget(self.legend, 1)
            legend_row.addWidget(QLabel(high))
            form.addRow("legend", legend_row)
            self._on_colormap(None)
        self.threshold: QSlider | None = None
        self.threshold_spin: QDoubleSpinBox | None = None
        self.stats: QLabel | None = None
        self.show_fill = self.show_contours = self.show_boxes = None
        if isinstance(layer, MaskLayer):
            self._build_mask(form, layer)
        if isinstance(layer, FacesLayer):
            text = "\n".join(
                f"{i + 1}. {FacesLayer.label(f)}  at {f.box}" for i, f in enumerate(layer.faces)
            )
            form.addRow("faces", text_label(text or "no face found"))
            form.addRow("", text_label(FACES_LEGEND))

    def _build_mask(self, form: QFormLayout, layer: MaskLayer) -> None:
        """A model's mask: its threshold (slider, box, back to the calibrated one), the mask's
        figures, what to draw. A true mask (ground truth) has no threshold to move."""
        self.stats = text_label("")
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
        self.threshold_spin = QDoubleSpinBox()
        self.threshold_spin.setRange(0.0, 1.0)
        self.threshold_spin.setDecimals(3)
        self.threshold_spin.setSingleStep(1.0 / THRESHOLD_STEPS)
        reset = QPushButton(f"calibrated {layer.calibrated_threshold:.3g}")
        reset.setToolTip("back to the model's calibrated pixel threshold")
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

    def _set_opacity(self, value: int) -> None:
        self.layer.opacity = value / 100.0

    def _set_colormap(self, name: str) -> None:
        self.layer.colormap = name  # type: ignore[attr-defined]

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
        _quietly(self.colormap, self.colormap.setCurrentText, name)
        self.legend.setPixmap(_pixmap_from_rgb(overlays.legend(name)))

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
    """Forged fraction and regions of the mask as last rendered, and at which threshold."""
    s = layer.stats
    if s is None:
        return "computing…"
    text = f"forged fraction {s.fraction:.2%} · {s.regions} region{'s' if s.regions != 1 else ''}"
    if s.outlined < s.regions:
        text += f" (largest {s.outlined} outlined)"
    if abs(s.threshold - layer.threshold) > 1e-9:
        text += f"  [at {s.threshold:.3f}, updating…]"
    return text


def _quietly(widget: QWidget, setter: Callable[..., object], value: object) -> None:
    """Set a widget's value without echoing it back to the layer."""
    blocked = widget.blockSignals(True)
    try:
        setter(value)
    finally:
        widget.blockSignals(blocked)


class LayerPanel(QWidget):
    """napari-style layer list (top layer first, checkbox = visibility) and the selected
    layer's controls."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setMaximumHeight(220)
        self._controls_box = QVBoxLayout()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.list)
        layout.addLayout(self._controls_box)
        layout.addStretch(1)
        self.controls: LayerControls | None = None
        self._layers: LayerList | None = None
        self._bind = Subscriptions()
        self._bind_rows = Subscriptions()
        self.list.itemChanged.connect(self._on_item_changed)
        self.list.currentRowChanged.connect(self._on_row)

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
        _quietly(self.list, self.item_of(layer).setText, layer.name)

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


# --- verdicts --------------------------------------------------------------------------------


def threshold_text(r: ModelResult) -> str:
    """θ and where it came from, as the analyst reads it (calibrated provenances already
    open with "θ = ...", and saying it twice reads like two thresholds)."""
    if r.threshold_provenance.lstrip().startswith("θ"):
        return r.threshold_provenance
    return f"θ = {r.threshold:.3g}: {r.threshold_provenance}"


def confidence_text(r: ModelResult) -> str:
    """``probability 0.81 (calibrated)``, or the uncalibrated score said as such."""
    if r.probability is not None:
        return f"probability {r.probability:.2f} (calibrated)"
    return f"score {r.score:.3f} (not a probability: no calibration)"


def odds_text(r: ModelResult) -> str | None:
    """Why the card's probability and verdict point opposite ways, when they do
    (:func:`~forensic_viewer.wording.odds_words`): a card read "authentic · probability 0.54"
    with no word on it."""
    return odds_words(r.verdict, r.probability)


def decision_text(r: ModelResult) -> str:
    """The image-level rule as applied, in the words of the command line and the reports
    (:func:`~forensic_viewer.wording.decision_words`: θ's value, and when a face decided an
    ensemble's verdict, so; the score is then the face's, not the stacking's), plus what the
    compared figure is."""
    by_face = r.rule == "ensemble" and decided_by_face(r.threshold_provenance)
    words = decision_words(
        {
            "rule": r.rule,
            "verdict": r.verdict,
            "score": r.score,
            "forged_fraction": r.forged_fraction,
            "threshold": r.threshold,
            "face_rule_applied": by_face,
        }
    )
    if r.rule == "ensemble":
        if by_face:
            return words
        fused = "stacked" if "stacking" in r.threshold_provenance else "weighted member"
        return f"{fused} {words}"
    if r.rule == "forged_fraction":
        return f"{words} (mask: heatmap > {r.pixel_threshold:.3g})"
    return f"{words} (the score: the sigmoid of the image logit)"


def faces_text(analysis: Analysis) -> str:
    """The faces the face path judged, one line per face with each model's verdict on it as
    the reports give it (:func:`~forensic_viewer.wording.face_verdict_words`: score against
    θ, the face model's first; a whole-image model's flag says it leaves the file's verdict
    alone), and, when a face model's verdict made the default verdict manipulated, that line;
    "" when no face was judged. Before, the face model's verdicts were only in the face boxes'
    labels on the canvas and in the report."""
    whole = set(analysis.results)
    lines = []
    for i, face in enumerate(analysis.faces, start=1):
        scores = sorted(face.face_scores.items(), key=lambda item: item[0] in whole)
        words = ", ".join(
            face_verdict_words(name, fs.to_dict(), face_model=name not in whole)
            for name, fs in scores
        )
        if words:
            lines.append(f"face {i}: {words}")
    if not lines:
        return ""
    face_models = {n for f in analysis.faces for n in f.face_scores if n not in whole}
    head = "Faces, each analysed alone" + (
        f" ({', '.join(sorted(face_models))}: a face model, its θ set on faces)"
        if face_models
        else ""
    )
    e = analysis.ensemble
    if e is not None and decided_by_face(e.threshold_provenance):
        flagged = e.threshold_provenance.split(FACE_RULE_NOTE, 1)[1]
        lines.append(f"default verdict {e.verdict} by its {FACE_RULE_NOTE}{flagged}")
    if any(
        fs.probability is not None
        for f in analysis.faces
        for n, fs in f.face_scores.items()
        if n in face_models
    ):
        lines.append(f"Note: {FACE_PROBABILITY_NOTE}.")
    return "\n".join(plain(line) for line in [f"{head}:", *lines])


class VerdictCard:
    """One model's (or the ensemble's) card: the verdict line, then what it is worth (the
    decision and its measured reliability), then a fold with how it was reached (θ and its
    provenance, timing, device and precision, window policy, checkpoint): what an analyst
    reads first stays in view, the long technical part one click away."""

    def __init__(self, title: QLabel, body: QLabel, toggle: QToolButton, details: QLabel) -> None:
        self.title, self.body, self.toggle, self.details = title, body, toggle, details

    def widgets(self) -> tuple[QWidget, ...]:
        return self.title, self.body, self.toggle, self.details

    def set_open(self, shown: bool) -> None:
        self.details.setVisible(shown)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        if self.toggle.isChecked() != shown:
            self.toggle.setChecked(shown)


class VerdictPanel(QScrollArea):
    """Per model (and the ensemble) a :class:`VerdictCard`, the default verdict first. Plain
    text, wrapped. Whether the cards' details are open is remembered from file to file."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        body = QWidget()
        self._layout = QVBoxLayout(body)
        self._layout.setContentsMargins(4, 4, 4, 4)
        self.message = self._label("")
        self._layout.addWidget(self.message)
        self.faces = self._label("")  # under the cards (faces_text)
        self.faces.setStyleSheet("margin-top: 6px;")
        self.faces.setVisible(False)
        self._layout.addWidget(self.faces)
        self._layout.addStretch(1)
        self.setWidget(body)
        self.cards: list[VerdictCard] = []
        self.details_open = False

    @staticmethod
    def _label(text: str) -> QLabel:
        label = text_label(text)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def _clear_cards(self) -> None:
        for card in self.cards:
            for widget in card.widgets():
                self._layout.removeWidget(widget)
                discard(widget)
        self.cards = []

    def show_message(self, text: str) -> None:
        self._clear_cards()
        self.message.setText(text)
        self.faces.setText("")
        self.faces.setVisible(False)

    def set_details_open(self, shown: bool) -> None:
        """Open or fold every card's details (and the cards of the next files)."""
        self.details_open = shown
        for card in self.cards:
            card.set_open(shown)

    def set_analysis(self, analysis: Analysis | None) -> None:
        if analysis is None:
            self.show_message("")
            return
        if not analysis.results and not analysis.partial:
            self.show_message(no_model_hint())
            return
        self.show_message(
            cancelled_text(analysis)
            if analysis.cancelled
            else f"analysis took {analysis.seconds:.2f} s"
        )
        results = list(analysis.results.values())
        if analysis.ensemble is not None:  # the default verdict leads, the members follow
            results.insert(0, analysis.ensemble)
        for r in results:
            self._add_card(r, lead="default verdict: " if r is analysis.ensemble else "")
        self.faces.setText(faces_text(analysis))
        self.faces.setVisible(bool(self.faces.text()))

    def _add_card(self, r: ModelResult, lead: str) -> None:
        verdict = f"{r.verdict} ({OUT_OF_RANGE})" if r.out_of_range else r.verdict
        title = self._label(f"{lead}{plain(r.name)} — {verdict} · {confidence_text(r)}")
        # a verdict outside the measured range is neither red nor green: nothing measured it
        color = GREY if r.out_of_range else RED if r.verdict == "manipulated" else GREEN
        title.setStyleSheet(f"font-weight: bold; color: {color.name()}; margin-top: 6px;")
        # what the verdict is worth before how θ was set: the measured rates are what an
        # analyst weighs; the provenance is long and technical; first, that nothing measured it
        worth = (
            range_words(r.out_of_range),
            decision_text(r),
            odds_text(r),
            r.reliability or "reliability not measured for this model",
        )
        body = self._label("\n".join(plain(line) for line in worth if line))
        how = (
            threshold_text(r),
            f"{r.seconds:.2f} s on {r.device} ({r.precision}) · " + policy_text(r.input_policy),
            f"checkpoint {Path(r.checkpoint).name} · sha256 {r.checkpoint_sha256[:16]}…",
        )
        details = self._label("\n".join(plain(line) for line in how))
        details.setToolTip(plain(r.checkpoint))
        toggle = QToolButton()
        toggle.setText("how θ was set, timing, checkpoint")
        toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toggle.setAutoRaise(True)
        toggle.setCheckable(True)
        card = VerdictCard(title, body, toggle, details)
        card.set_open(self.details_open)
        toggle.toggled.connect(self.set_details_open)
        index = self._layout.indexOf(self.faces)  # after the cards so far, before the faces
        for offset, widget in enumerate(card.widgets()):
            self._layout.insertWidget(index + offset, widget)
        self.cards.append(card)

    def text(self) -> str:
        """Everything in the cards, folded or not, as text (for tests and copying)."""
        lines = [self.message.text()] if self.message.text() else []
        for card in self.cards:
            lines += [card.title.text(), card.body.text(), card.details.text()]
        if self.faces.text():
            lines.append(self.faces.text())
        return "\n".join(lines)


# --- metadata -----------------------------------------------------------------------------


class MetadataPanel(QTreeWidget):
    """File facts, the SHA-256 of the bytes on disk, and EXIF shown as untrusted text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["", "value"])
        self.setColumnWidth(0, 150)

    def set_evidence(self, evidence: Evidence | None) -> None:
        self.clear()
        if evidence is None:
            return
        e = evidence
        orientation = f"EXIF tag {e.orientation}: " + (
            "applied to the pixels" if e.orientation_applied else "none needed"
        )
        rows = [
            ("file", e.path),
            ("size", f"{e.file_size:,} bytes"),
            ("format", f"{e.format} ({e.mode})"),
            ("dimensions", f"{e.width} × {e.height} pixels"),
            ("frames", str(e.frames)),
            ("orientation", orientation),
            ("SHA-256", e.sha256),
        ]
        facts = QTreeWidgetItem(["file"])
        for key, value in rows:
            facts.addChild(self._row(key, value))
        self.addTopLevelItem(facts)
        if e.warnings:
            warn = QTreeWidgetItem(["warnings"])
            for w in e.warnings:
                warn.addChild(self._row("", w))
            self.addTopLevelItem(warn)
        exif = QTreeWidgetItem(["EXIF (untrusted)"])
        exif.setToolTip(0, "as written in the file: anyone can edit these values")
        for key, value in metadata_values(e.metadata):  # as reports print them
            row = self._row(key, value)
            row.setToolTip(1, f"as recorded: {plain(e.metadata[key])}")
            exif.addChild(row)
        if not e.metadata:
            exif.addChild(self._row("", "none"))
        self.addTopLevelItem(exif)
        self.expandAll()

    def set_unread(self, unread: UnreadFile) -> None:
        """A file that did not decode: its size and the SHA-256 of its bytes, when read."""
        self.clear()
        facts = QTreeWidgetItem(["file"])
        size = "not read" if unread.size is None else f"{unread.size:,} bytes"
        for key, value in (
            ("file", unread.path),
            ("size", size),
            ("format", "not decoded (see the message)"),
            ("SHA-256", unread.sha256 or "not read"),
        ):
            facts.addChild(self._row(key, value))
        self.addTopLevelItem(facts)
        self.expandAll()

    @staticmethod
    def _row(key: str, value: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem([plain(key, 100), plain(value)])
        item.setToolTip(0, plain(key, 100))  # a long EXIF name is cut by its column
        item.setToolTip(1, plain(value))
        return item

    def value(self, key: str) -> str | None:
        """The value shown for ``key`` (for tests)."""
        for i in range(self.topLevelItemCount()):
            top = self.topLevelItem(i)
            for j in range(top.childCount()):
                if top.child(j).text(0) == key:
                    return top.child(j).text(1)
        return None


# --- models ----------------------------------------------------------------------------------


def model_label(entry: ModelEntry) -> str:
    """A model list row: the name, then where it comes from and, for a checkpoint, its
    architecture (``tiny  [user, crfd-net-compact]``, ``duo  [ensemble]``)."""
    if entry.meta is None:
        return f"{entry.name}  [ensemble{' file' if entry.origin == 'file' else ''}]"
    return f"{entry.name}  [{entry.origin}, {entry.meta.architecture}]"


class ModelPanel(QWidget):
    """Choose the checkpoints (bundled, user, or a file) and the device; ``apply`` asks for them."""

    apply = Signal(list, str)  # checkpoint paths, device
    problem = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.device = QComboBox()
        self.device.addItems(available_devices())
        add = QPushButton("Add checkpoint…")
        add.clicked.connect(self._pick_file)
        use = QPushButton("Use checked models")
        use.clicked.connect(self._apply)
        self.status = text_label("")
        row = QHBoxLayout()
        row.addWidget(QLabel("device"))
        row.addWidget(self.device, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        layout.addWidget(add)
        layout.addWidget(use)
        layout.addWidget(self.status)
        self.refresh()

    def refresh(self) -> None:
        """List the checkpoints found in the bundled and user folders (checks are kept)."""
        checked = set(self.checked_paths())
        extra = [self.list.item(i) for i in range(self.list.count())]
        extra_paths = [
            it.data(Qt.ItemDataRole.UserRole)
            for it in extra
            if it.data(Qt.ItemDataRole.UserRole + 1)
        ]
        self.list.clear()
        listing = available_models()
        for entry in (*listing.ensembles, *listing.checkpoints):
            self._add(entry)
        for path in extra_paths:
            self.add_file(path)
        self.set_checked(checked)
        problems = list(listing.problems)
        if not listing.checkpoints:
            problems.insert(0, f"no checkpoints in {BUNDLED_MODELS} or {user_models_dir()}")
        self.status.setText("\n".join(problems))

    def _add(self, entry: ModelEntry, *, picked: bool = False) -> None:
        """One row; its tooltip holds the file, θ's provenance and the measured figures."""
        path = str(entry.path.resolve())
        meta = entry.meta
        provenance = meta.decision.provenance if meta is not None else ""
        # in the words of the training log and the install review (trainer.progress)
        figures = figure_words(
            {
                k.removeprefix("val_"): v
                for k, v in (meta.metrics if meta is not None else {}).items()
            }
        )
        item = QListWidgetItem(plain(model_label(entry)))
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Unchecked)
        item.setData(Qt.ItemDataRole.UserRole, path)
        item.setData(Qt.ItemDataRole.UserRole + 1, picked)
        item.setToolTip(
            f"{plain(path)}\nθ: {plain(provenance)}"
            + (f"\ntraining-run validation split: {plain(figures)}" if figures else "")
        )
        self.list.addItem(item)

    def add_file(self, path: str) -> bool:
        """Add a checkpoint file to the list (checked); a bad file is reported, not added."""
        path = str(Path(path).resolve())
        if path in self.paths():
            self.set_checked(set(self.checked_paths()) | {path})
            return True
        try:
            entry = describe_model(path)
        except ForensicError as e:
            self.problem.emit(str(e))
            return False
        self._add(entry, picked=True)
        self.set_checked(set(self.checked_paths()) | {path})
        return True

    def _pick_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Add a checkpoint", str(user_models_dir()), "Checkpoints (*.safetensors)"
        )
        if path:
            self.add_file(path)

    def paths(self) -> list[str]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def checked_paths(self) -> list[str]:
        return [
            self.list.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.list.count())
            if self.list.item(i).checkState() == Qt.CheckState.Checked
        ]

    def set_checked(self, paths: set[str]) -> None:
        wanted = {str(Path(p).resolve()) for p in paths}
        for i in range(self.list.count()):
            item = self.list.item(i)
            on = str(Path(item.data(Qt.ItemDataRole.UserRole)).resolve()) in wanted
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def set_device(self, device: str) -> None:
        index = self.device.findText(device)
        if index >= 0:
            self.device.setCurrentIndex(index)

    def _apply(self) -> None:
        self.apply.emit(self.checked_paths(), self.device.currentText())


# --- magnifier -----------------------------------------------------------------------------


class Magnifier(QLabel):
    """A close-up of the pixels around the cursor, with the visible layers, enlarged sharp."""

    RADIUS = 15
    ZOOM = 8

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        side = (2 * self.RADIUS + 1) * self.ZOOM
        self.setFixedSize(side, side)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setStyleSheet("background: #222;")

    def set_patch(self, rgb: NDArray[np.uint8] | None) -> None:
        if rgb is None:
            self.clear()
            return
        big = np.repeat(np.repeat(rgb, self.ZOOM, axis=0), self.ZOOM, axis=1)
        c = self.RADIUS * self.ZOOM
        big[c - 1 : c + self.ZOOM + 1, [c - 1, c + self.ZOOM]] = (255, 255, 0)  # cursor pixel
        big[[c - 1, c + self.ZOOM], c - 1 : c + self.ZOOM + 1] = (255, 255, 0)
        self.setPixmap(_pixmap_from_rgb(big))
