"""Side-by-side comparison: one pane per model, the ensemble and optionally the original.

Every pane is a :class:`~forensic_viewer.gui.canvas.Canvas` over the same layer list, filtered to
its model's layers (plus the faces), so the panes share the layer settings by construction;
zoom and pan are linked through pyqtgraph's view linking, so moving one moves all. Each pane's
title gives the model's score and verdict.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from engine.types import Analysis, ModelResult
from forensic_viewer.gui.canvas import Canvas
from forensic_viewer.gui.panels import GREEN, RED
from forensic_viewer.layers import Layer, LayerList
from forensic_viewer.wording import plain


def pane_title(name: str, result: ModelResult | None) -> str:
    """``name — verdict · score s`` (or just the name for the original)."""
    if result is None:
        return name
    return f"{name} — {result.verdict} · score {result.score:.3f}"


class ComparePane(QWidget):
    """A titled canvas showing one model's layers (or only the evidence)."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(plain(title))
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.canvas = Canvas()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(1, 1, 1, 1)
        layout.setSpacing(1)
        layout.addWidget(self.title)
        layout.addWidget(self.canvas, 1)


class CompareView(QWidget):
    """Panes in a grid, views linked."""

    hovered = Signal(float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(2)
        self.panes: list[ComparePane] = []
        self.empty = QLabel("Nothing to compare: open an evidence file and analyse it.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._grid.addWidget(self.empty, 0, 0)

    def set_content(
        self, layers: LayerList | None, analysis: Analysis | None, *, original: bool = True
    ) -> None:
        """One pane per model of ``analysis`` (and its ensemble), plus the evidence alone when
        ``original``; all showing ``layers``."""
        for pane in self.panes:
            pane.canvas.set_layers(None)
            self._grid.removeWidget(pane)
            pane.deleteLater()
        self.panes = []
        sources: list[tuple[str, ModelResult | None]] = []
        if layers is not None and analysis is not None:
            sources = list(analysis.results.items())
            if analysis.ensemble is not None:
                sources.append((f"{analysis.ensemble.name} (ensemble)", analysis.ensemble))
        if layers is not None and (original or not sources):
            sources.insert(0, ("original", None))
        self.empty.setVisible(not sources)
        columns = max(1, math.ceil(math.sqrt(len(sources))))
        for i, (name, result) in enumerate(sources):
            pane = ComparePane(pane_title(name, result))
            if result is not None:
                color = RED if result.verdict == "manipulated" else GREEN
                pane.title.setStyleSheet(f"color: {color.name()};")
            pane.canvas.set_layers(layers, _accept_for(None if result is None else result.name))
            pane.canvas.hovered.connect(self.hovered)
            self._grid.addWidget(pane, i // columns, i % columns)
            self.panes.append(pane)
        self._link()

    def _link(self) -> None:
        if not self.panes:
            return
        first = self.panes[0].canvas.view
        for pane in self.panes[1:]:
            pane.canvas.view.setXLink(first)
            pane.canvas.view.setYLink(first)

    def fit(self) -> None:
        if self.panes:
            self.panes[0].canvas.fit()


def _accept_for(model: str | None) -> Callable[[Layer], bool]:
    """Layers drawn in a pane: the image and faces, plus ``model``'s own layers."""

    def accept(layer: Layer) -> bool:
        if layer.kind == "image":
            return True
        if model is None:
            return False
        return layer.model == model or layer.kind == "faces"

    return accept
