"""The strip above the compare panes: one colour scale per colormap the panes are drawn in,
each saying what it colours, and what the masks' outlines are.

The strip showed the network heatmaps' inferno scale, "heatmaps, one colour scale", while the
clone, ELA and noise panes beside them were drawn in viridis on raw or region scales: an
analyst reading values by lightness read those panes against the wrong scale (walk-through cvd,
finding 6). Now the first scale is the network heatmaps' (one colormap for all: it is linked
across the heatmap layers, 0 to 1) and each colormap the classic analyses' maps are drawn in
gets one more, naming the analyses and how their values read (``wording.scale_words``). Before
any of this, the only legend was in the Layers dock, for the one layer selected there.
"""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QWidget

from forensic_viewer import overlays
from forensic_viewer.classic_layers import AnalysisLayer
from forensic_viewer.gui.panels import pixmap_from_rgb
from forensic_viewer.layers import LayerList
from forensic_viewer.model_layers import HeatmapLayer
from forensic_viewer.wording import scale_words

LEGEND_WORDS = (
    "network heatmaps, one colour scale, linked · each model's mask is drawn where its map is "
    "above the threshold given in its pane's title as “mask > t”: its own pixel threshold "
    "until its mask slider moves it"
)
TRUTH_LEGEND = " · white outline: the true mask, over every model's pane"


def analysis_scales(layers: LayerList) -> list[tuple[str, str]]:
    """Per colormap the classic analyses' maps in ``layers`` are drawn in (in their order):
    the colormap and what it colours there, ``ela (raw values, not a probability ...)``."""
    found: dict[str, list[str]] = {}
    for la in layers.of_kind("analysis"):
        if isinstance(la, AnalysisLayer):
            found.setdefault(la.colormap, []).append(
                f"{la.analysis} ({scale_words(la.meaning.scale)})"
            )
    return [(name, "; ".join(what)) for name, what in found.items()]


class CompareLegend(QWidget):
    """The strip above the panes (:func:`analysis_scales`, the module's docstring): ``bar``
    and ``words`` the network heatmaps' scale, ``others`` one (bar, words) per colormap of
    the classic analyses' maps."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar, self.words = self._row(0, "heatmap colour scale")
        self.others: list[tuple[QLabel, QLabel]] = []

    def _row(self, row: int, name: str) -> tuple[QLabel, QLabel]:
        grid = self.layout()
        if not isinstance(grid, QGridLayout):
            grid = QGridLayout(self)
            grid.setContentsMargins(2, 1, 2, 1)
            grid.setVerticalSpacing(1)
            grid.setColumnStretch(3, 1)
        bar = QLabel()
        bar.setScaledContents(True)
        bar.setFixedSize(160, 12)
        bar.setAccessibleName(name)
        words = QLabel()
        words.setWordWrap(True)
        words.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        for column, widget in enumerate((QLabel("0"), bar, QLabel("1"), words)):
            grid.addWidget(widget, row, column)
        return bar, words

    def show_for(
        self, colormap: str | None, truth: bool, others: list[tuple[str, str]] | None = None
    ) -> None:
        """The scale of the heatmaps' ``colormap`` (None: no heatmap), the true mask's outline
        said when one is loaded (``truth``), and a scale per (colormap, what it colours) of
        ``others``; hidden with nothing to compare."""
        others = others or []
        self.setVisible(colormap is not None or bool(others))
        for widget in (self.bar, self.words):
            widget.setVisible(colormap is not None)
        if colormap is not None:
            _paint(self.bar, colormap)
            words = LEGEND_WORDS + (TRUTH_LEGEND if truth else "")
            self.words.setText(f"{overlays.colormap_label(colormap)}: {words}")
        while len(self.others) < len(others):
            self.others.append(self._row(len(self.others) + 1, "analysis map colour scale"))
        for i, (bar, words) in enumerate(self.others):
            shown = i < len(others)
            for widget in (bar, words):
                widget.setVisible(shown)
            if shown:
                name, what = others[i]
                _paint(bar, name)
                words.setText(f"{overlays.colormap_label(name)}: {what}")

    def show_layers(self, layers: LayerList | None) -> None:
        """The scales of what ``layers``' panes are drawn in (:meth:`show_for`)."""
        heatmaps = [] if layers is None else layers.of_kind("heatmap")
        first = next((la for la in heatmaps if isinstance(la, HeatmapLayer)), None)
        self.show_for(
            None if first is None else first.colormap,
            bool(layers and layers.of_kind("groundtruth")),
            [] if layers is None else analysis_scales(layers),
        )


def _paint(bar: QLabel, colormap: str) -> None:
    bar.setPixmap(pixmap_from_rgb(overlays.legend(colormap)))
    bar.setAccessibleDescription(f"colour scale {colormap}: 0 at the left to 1 at the right")
