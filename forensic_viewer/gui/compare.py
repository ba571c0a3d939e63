"""Side-by-side comparison: one pane per model, the ensemble, each classic analysis and
optionally the original, each pane's content selectable.

Every pane is a :class:`~forensic_viewer.gui.canvas.Canvas` over the same layer list, filtered to
one source's layers (a model's plus the faces, or a classic analysis's map and pairs), so the
panes share the layer settings by construction; zoom and pan are linked through pyqtgraph's
view linking, so moving one moves all. Each pane's title gives the model's verdict and, as
its card in the Verdict panel does, its calibrated probability (the score where there is no
calibration), or what the analysis's values are (raw values are called so); a verdict outside
the measured range is marked so and grey, as its card is (docs/VERDICTS.md, section 7); its
chooser shows
any other source in that pane instead (kept, while it is offered, when results or classic
analyses arriving make the panes again). A network's partial map has a pane of its own, while
the network runs (filled in as its tiles finish, hatched where not computed, as the main view
draws it) and after a Cancel kept it, titled as partial with no verdict (in grey, as the main
view marks it), its share of the image following the map. A loaded ground-truth mask has a pane
too (``ground truth``: the true mask outlined over the image), to set beside a model's, and is
outlined over every model's pane, whose title then gives the pixel F1 and IoU of the mask drawn
against it, read off the Ground truth panel's scores (:class:`TruthScores`: scored on the
panel's thread, never in the GUI thread; "scoring…" until they come). A model's title says the
threshold its mask is drawn at (``mask > 0.35``: the models' differ; the slider's once moved,
and the figures beside it are at that threshold), and one strip above the grid gives the
scale of each colormap the panes are drawn in and what the outlines are
(``gui/compare_legend.py``).

The panes never widen the window past the screen: a title above the chooser is wrapped on as
many lines as it takes (up to six, then cut with an ellipsis; whole in its tooltip, with the
card's sentence on a probability and verdict that point opposite ways, said short in the title
itself), so the verdict, score and θ keep the pane's
whole width (beside the chooser a 250-pixel pane cut "score 0.388" to "score 0", read as a
score of zero); a chooser is as wide as the pane and asks for no more than a short name (the
list opens wider), and the grid sits in a scroll area, so the panes shrink with the window down
to a small minimum and scroll below it (the main window also keeps itself within the screen's
available area, ``forensic_viewer.gui.screen_fit``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from engine.assembly import not_the_bundled
from engine.errors import ForensicError
from engine.types import Analysis, ModelResult
from forensic_viewer.classic_layers import AnalysisLayer, ClonePairsLayer
from forensic_viewer.events import Subscriptions
from forensic_viewer.gui.canvas import Canvas
from forensic_viewer.gui.compare_legend import CompareLegend
from forensic_viewer.gui.panels import GREY, NEUTRAL, RED, discard, tint
from forensic_viewer.gui.tips import tip_text
from forensic_viewer.gui.verdict_panel import rule_text
from forensic_viewer.gui.wheel_guard import guard_wheel
from forensic_viewer.layer_base import Layer
from forensic_viewer.layers import LayerList
from forensic_viewer.model_layers import (
    GroundTruthLayer,
    MaskLayer,
    PartialHeatmapLayer,
)
from forensic_viewer.scan.truth_scores import MapScore
from forensic_viewer.wording import (
    PRIOR_CAVEAT,
    confidence_words,
    odds_short,
    odds_words,
    partial_words,
    plain,
    verdict_words,
)

SCALE_SHORT = {
    "raw": "raw values, not a probability",
    "probability": "probability of its event, not of manipulation",
}


def mask_words(threshold: float) -> str:
    """``mask > 0.35``: the pixel threshold a model's mask is drawn at in its pane. The masks
    of the panes are cut at different levels (0.5, 0.35, 0.45 for the bundled models) and
    nothing in a pane said so: extents that looked comparable were not."""
    return f"mask > {threshold:.4g}"


class TruthScores(Protocol):
    """Where the panes' figures against the true mask come from: the Ground truth panel
    (:class:`~forensic_viewer.gui.groundtruth_panel.GroundTruthPanel`), which scores every map
    on a thread of its own. The panes had scored each model's map again in the GUI thread on
    every refresh: 1.1 s per model at 12 MP, 7 s at 100 MP, the window frozen meanwhile."""

    @property
    def scoring(self) -> bool:
        """Whether scores are being computed."""
        ...

    def score_of(self, heatmap: NDArray[np.floating], mask: NDArray[np.bool_]) -> MapScore | None:
        """The score of ``heatmap`` against ``mask`` when it has one."""
        ...


SCORING_WORDS = (
    "vs true mask: scoring…",
    "its figures against the true mask follow when the Ground truth panel has scored the maps",
)


def truth_words(score: MapScore, drawn: float) -> tuple[str, str]:
    """The mask drawn, its map above ``drawn`` (the own pixel threshold, or the slider's),
    against the true mask of ``score`` (the Ground truth panel's :class:`MapScore` of the
    model's map): a short part for the pane's title, which says ``mask > drawn`` just before it,
    and a sentence for its tooltip, with the own threshold's figures (the panel's row) once the
    slider moved. The counts at any threshold are read off the map's 8-bit histogram; at the
    own threshold they are those of the full-precision mask, to the pixel. Once the title said
    "mask > 0.6" beside F1 at the own 0.35."""
    own = score.own_threshold
    at_own = own is not None and drawn == own
    counts = score.own if at_own and score.own is not None else score.histogram.counts_above(drawn)
    at = (
        f"at its own pixel threshold {drawn:.4g}" if at_own else f"above {drawn:.4g} (the slider's)"
    )
    if not score.histogram.positives.any():  # an authentic image: F1 and IoU are 0/0
        n = counts.tp + counts.fp + counts.fn + counts.tn
        share = f"{100 * (counts.tp + counts.fp) / max(1, n):.2f} %"
        said = f"the true mask is empty: the mask drawn, {at}, flags {share}"
        return f"true mask empty: flags {share}", said
    figures = f"F1 {counts.f1():.3f}, IoU {counts.iou():.3f}"
    said = f"against the true mask, the mask drawn, {at}: pixel {figures}"
    if not at_own and own is not None and score.own is not None:
        said += (
            f"; at its own pixel threshold {own:.4g} (the Ground truth panel's row): pixel "
            f"F1 {score.own.f1():.3f}, IoU {score.own.iou():.3f}"
        )
    if not at_own:
        said += " (the map at 8 bits, as the Ground truth panel scores it)"
    return f"vs true mask {figures}", said


@functools.lru_cache(maxsize=64)
def pane_name(name: str, checkpoint: str, sha256: str | None) -> str:
    """A model's name in its pane's title, marked when its file carries a bundled model's name
    but is not the bundled checkpoint (by SHA-256, :func:`engine.assembly.not_the_bundled`):
    ``m2f-effl0 (file bitflip-m2f, not the bundled checkpoint)``. A modified copy was compared
    under the bundled name, with nothing in the pane to tell it from the bundled model."""
    try:
        foreign = sha256 is not None and not_the_bundled(name, sha256=sha256)
    except (OSError, ForensicError):
        foreign = False
    if not foreign:
        return name
    return f"{name} (file {Path(checkpoint).stem}, not the bundled checkpoint)"


def pane_title(
    name: str, result: ModelResult | None, mask: float | None = None, truth: str = ""
) -> str:
    """``VERDICT · probability 0.52 (calibrated) · forged fraction 29.33 % ≤ θ 34.23 % —
    name`` (or just the name for the original): the verdict first, since a narrow pane cuts
    its title's end and the pane's chooser names the model anyway; how sure, in the Verdict
    panel's words (:func:`~forensic_viewer.wording.confidence_words`: the raw score only where
    there is no calibration), where "score 0.430" beside the card's "probability 0.50" read
    as two models disagreeing; then the rule as applied, θ in its unit (without calibration,
    the score said once: ``score 0.430 ≤ θ 0.5 (not a probability: no calibration)``)
    (:func:`~forensic_viewer.wording.decision_words`, as the card and the reports say it):
    "AUTHENTIC · probability 0.52" over a large mask read as a contradiction until it said
    that the verdict is the mask's share of the image against θ, not the probability.
    ``mask``: the pixel threshold its mask is drawn at (:func:`mask_words`), and ``truth``,
    its figures against a true mask (:func:`truth_words`), before the name."""
    if result is None:
        return name
    # the probability's caveat is in the title's tooltip (pane_note): a third of a window is short
    sure = confidence_words(result.probability, result.score, result.out_of_range, caveat=False)
    rule = rule_text(result)  # the Verdict panel card's words: "stacked score" for an ensemble
    said = f"score {result.score:.3f}"
    if result.probability is None and said in rule:  # the same figure, said once
        how = f"{rule}{sure.removeprefix(said)}"  # score 0.430 ≤ θ 0.5 (not a probability: ...)
    else:
        how = f"{sure} · {rule}"
    # marked as its card is: a verdict outside the measured range is never shown bare
    verdict = verdict_words(result.verdict, out_of_range=bool(result.out_of_range))
    # a probability that points against the verdict is explained in the pane as on the card
    short = odds_short(result.verdict, result.probability)
    drawn = "" if mask is None else f" · {mask_words(mask)}"
    drawn += f" · {truth}" if truth else ""
    return f"{verdict} · {how}" + (f" · {short}" if short else "") + f"{drawn} — {name}"


def pane_note(result: ModelResult) -> str:
    """For the title's tooltip: what a calibrated probability assumes (:data:`~forensic_viewer.
    wording.PRIOR_CAVEAT`, which the title leaves out for room), and why the pane's
    probability and verdict point opposite ways, when they do, in the card's words
    (:func:`~forensic_viewer.wording.odds_words`); "" without a probability."""
    if result.probability is None:
        return ""
    odds = odds_words(result.verdict, result.probability)
    return f"probability {PRIOR_CAVEAT}" + (f". {odds[0].upper()}{odds[1:]}" if odds else "")


def pane_color(result: ModelResult) -> QColor:
    """A model's pane colour, its card's: grey for a verdict outside the measured range
    (nothing measured it), else red for manipulated, the neutral ink for not flagged (never
    green, which reads as "cleared")."""
    if result.out_of_range:
        return GREY
    return RED if result.verdict == "manipulated" else NEUTRAL


def partial_title(name: str, fraction: float) -> str:
    """``partial (40 % of the image) — no verdict — name``: a cancelled model's pane, its
    partial state first (where a verdict would stand), in the main view's words."""
    return f"{partial_words(fraction)} — {name}"


@dataclass(frozen=True)
class Source:
    """What one pane shows: the evidence alone, a model's (or the ensemble's) layers, a
    classic analysis's layers, or the ground-truth mask."""

    kind: Literal["original", "model", "analysis", "groundtruth"]
    name: str
    title: str
    color: QColor | None = None
    note: str = ""  # said in the title's tooltip, after the title (pane_note)

    @property
    def tooltip(self) -> str:
        """The whole title, and the note when there is one."""
        return f"{self.title}\n{self.note}" if self.note else self.title

    def accept(self) -> Callable[[Layer], bool]:
        """Layers drawn in the pane: the image, plus the source's own (a model's with the faces)."""
        kind, name = self.kind, self.name

        def accept(layer: Layer) -> bool:
            if layer.kind == "image":
                return True
            if kind == "model":  # the true mask outlined over it, when one is loaded and shown
                return layer.model == name or layer.kind in ("faces", "groundtruth")
            if kind == "groundtruth":
                return layer.kind == "groundtruth"
            return kind == "analysis" and layer.analysis == name

        return accept


def compare_sources(
    layers: LayerList, analysis: Analysis | None, scores: TruthScores | None = None
) -> list[Source]:
    """Every source the panes can show: the original, the ensemble (the default verdict,
    beside the original), each model, the partial map of a network running or stopped by a
    Cancel (no verdict: :func:`partial_title`), the ground-truth mask when one is loaded, then
    each classic analysis with a map in ``layers``. A model's title says the threshold its
    mask is drawn at (its mask layer's, the slider's) and, with a true mask loaded, that mask's
    F1 and IoU against it, read off ``scores`` (:func:`truth_words`: nothing is scored here,
    in the GUI thread)."""
    out = [Source("original", "original", "original")]
    drawn = {la.model: la.threshold for la in layers.of_kind("mask") if isinstance(la, MaskLayer)}
    truth = next(iter(layers.of_kind("groundtruth")), None)
    if analysis is not None:
        results = list(analysis.results.items())
        if analysis.ensemble is not None:
            results.insert(0, (f"{analysis.ensemble.name} (default verdict)", analysis.ensemble))
        for label, r in results:
            short, said, note = "", "", pane_note(r)
            threshold = drawn.get(r.name, r.pixel_threshold)
            if isinstance(truth, GroundTruthLayer) and r.heatmap is not None and scores is not None:
                score = scores.score_of(r.heatmap, truth.truth)
                if score is not None:
                    short, said = truth_words(score, threshold)
                elif scores.scoring:
                    short, said = SCORING_WORDS
            if said:
                note = f"{note}\n{said}" if note else said
            if r is not analysis.ensemble:
                label = pane_name(r.name, r.checkpoint, r.checkpoint_sha256)
            title = pane_title(label, r, threshold, short)
            out.append(Source("model", r.name, title, pane_color(r), note))
    for la in partial_layers(layers):  # the running network's, or what a Cancel kept
        name = la.model or ""
        if all(s.name != name for s in out):
            out.append(Source("model", name, partial_title(name, la.fraction), GREY))
    if layers.of_kind("groundtruth"):
        out.append(Source("groundtruth", "ground truth", "ground truth (the true mask)"))
    for la in layers.of_kind("analysis"):
        assert isinstance(la, AnalysisLayer) and la.analysis is not None
        pairs = sum(
            len(p.pairs) for p in layers.of_kind("pairs") if isinstance(p, ClonePairsLayer)
            if p.analysis == la.analysis
        )  # fmt: skip
        scale = str(la.meaning.scale)
        if scale == "region":  # the regions are the pairs: say how many, or that none was
            what = f"{pairs} copied pair{'s' if pairs != 1 else ''}" if pairs else "none found"
            title = f"{la.analysis} — {what}"
        else:
            title = f"{la.analysis} — {SCALE_SHORT.get(scale, '')}"
        out.append(Source("analysis", la.analysis, title))
    return out


def partial_layers(layers: LayerList) -> list[PartialHeatmapLayer]:
    """The partial maps of ``layers`` (a running network's, or the one a Cancel kept)."""
    return [la for la in layers.of_kind("heatmap") if isinstance(la, PartialHeatmapLayer)]


class PaneTitle(QLabel):
    """A pane's title that never widens the pane (and the window): wrapped at words, at a
    ``·`` between its parts where that leaves a line at least half full (the separator itself
    not drawn), on as many lines as it takes up to :attr:`MAX_LINES` (its height follows), the
    last cut with an ellipsis only beyond them; whole in ``text()`` and the tooltip. On one
    line, then on two, the verdict's rule and the model's name were cut in a pane a third of
    a 1600-pixel window wide ("MANIPULATED · probability 0.94 (calibrated) · stacked score
    0.940 > θ 0…", walk-through 2026-12-05).

    The titles of one compare view (``group``) take the same height, that of the one with
    the most lines: linked views show one region, which a shorter canvas beside a taller
    one cannot show whole."""

    MAX_LINES = 6

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self._lines = 2  # before its first layout: two lines, as wide as it will be
        self._needed = 2  # the lines its own text takes at its width
        self.group: list[PaneTitle] = [self]  # the titles that share one height

    def _height(self) -> int:
        margins = self.contentsMargins()
        return self._lines * self.fontMetrics().lineSpacing() + margins.top() + margins.bottom()

    def sizeHint(self) -> QSize:  # Qt override: the lines it takes, never as wide as the text
        return QSize(0, self._height())

    def minimumSizeHint(self) -> QSize:  # Qt override
        return self.sizeHint()

    def setText(self, text: str) -> None:  # Qt override: the height follows the text
        super().setText(text)
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt override: and the width
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        self._needed = max(1, len(self.shown_lines()))
        lines = max(t._needed for t in self.group)
        for title in self.group:
            if title._lines != lines:
                title._lines = lines
                title.updateGeometry()

    def shown_lines(self) -> list[str]:
        """The lines drawn now: the text wrapped to the title's width, the last cut with an
        ellipsis only where :attr:`MAX_LINES` do not hold it."""
        metrics, width = self.fontMetrics(), self.contentsRect().width()
        words, lines = self.text().split(" "), []
        while words:
            if len(lines) == self.MAX_LINES - 1:  # the last line: what is left, cut if need be
                rest = " ".join(words)
                lines.append(metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width))
                break
            fit = 0
            while (
                fit < len(words) and metrics.horizontalAdvance(" ".join(words[: fit + 1])) <= width
            ):
                fit += 1
            if fit == 0:  # not one word fits: its start, cut
                lines.append(metrics.elidedText(words[0], Qt.TextElideMode.ElideRight, width))
                words = words[1:]
                continue
            if fit == len(words):
                lines.append(" ".join(words))
                break
            at_dot = [i for i in range(1, fit + 1) if i < len(words) and words[i] == "·"]
            if at_dot and 2 * metrics.horizontalAdvance(" ".join(words[: at_dot[-1]])) >= width:
                lines.append(" ".join(words[: at_dot[-1]]))
                words = words[at_dot[-1] + 1 :]
            else:
                lines.append(" ".join(words[:fit]))
                words = words[fit:]
        return lines

    def shown_text(self) -> str:
        """What the title shows now, its lines joined by newlines."""
        return "\n".join(self.shown_lines())

    def paintEvent(self, _event: QPaintEvent) -> None:  # Qt override
        painter = QPainter(self)
        rect = self.contentsRect()
        step = self.fontMetrics().lineSpacing()
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        for i, line in enumerate(self.shown_lines()):
            painter.drawText(QRect(rect.x(), rect.y() + i * step, rect.width(), step), align, line)


class ComparePane(QWidget):
    """A titled canvas showing one source's layers; the chooser switches to another source."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = PaneTitle(plain(title))
        self.chooser = QComboBox()
        self.chooser.setToolTip("show another model or analysis in this pane")
        self.chooser.setAccessibleName("pane shows")  # the tooltip describes it; set_place
        self.chooser.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.chooser.setMinimumContentsLength(10)  # characters; the opened list is wider
        # as wide as the pane: held to ten characters, "bundled-ensemble" read "bundled-ensembl"
        self.chooser.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        guard_wheel(self.chooser)  # a wheel in passing changed what the pane shows
        self.canvas = Canvas()
        self.source: Source | None = None
        self.made_for = ""  # the source the pane was made to show (CompareView.set_content)
        self._layers: LayerList | None = None
        self._sources: list[Source] = []
        self.place = ""  # "pane 2 of 5": which pane, for a screen reader (set_place)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(1, 1, 1, 1)
        layout.setSpacing(1)
        layout.addWidget(self.title)  # the pane's whole width (module doc)
        layout.addWidget(self.chooser)
        layout.addWidget(self.canvas, 1)
        self.chooser.currentIndexChanged.connect(self._on_chosen)

    def set_place(self, number: int, count: int) -> None:
        """Name the pane's chooser and view after its place among ``count`` panes: five
        choosers named "pane shows" and five views "evidence view" were not told apart
        (walk-through D, item 9)."""
        self.place = f"pane {number} of {count}"
        self.chooser.setAccessibleName(f"{self.place} shows")
        if self.source is not None:
            self.canvas.setAccessibleName(f"{self.place}: {plain(self.source.name)}")

    def set_sources(self, layers: LayerList, sources: list[Source], current: Source) -> None:
        self._layers, self._sources = layers, sources
        blocked = self.chooser.blockSignals(True)
        self.chooser.clear()
        self.chooser.addItems([plain(s.name) for s in sources])
        self.chooser.setCurrentIndex(sources.index(current))
        self.chooser.blockSignals(blocked)
        self.show_source(current)

    def show_source(self, source: Source) -> None:
        """Draw ``source``'s layers in this pane (the views stay linked)."""
        self.source = source
        self.chooser.setToolTip(
            tip_text(f"{plain(source.name)}: show another model or analysis here")
        )
        self.title.setText(plain(source.title))
        self.title.setToolTip(tip_text(plain(source.tooltip)))
        # what the pane shows, its verdict in words, for a screen reader on its view
        self.canvas.setAccessibleDescription(plain(source.tooltip))
        if self.place:
            self.canvas.setAccessibleName(f"{self.place}: {plain(source.name)}")
        tint(self.title, source.color)  # WCAG AA on the pane, theme after theme
        self.canvas.set_layers(self._layers, source.accept())

    @property
    def offered(self) -> list[str]:
        """The names of the sources the chooser offers."""
        return [s.name for s in self._sources]

    def retitle(self, sources: list[Source]) -> None:
        """The same sources with new titles (a partial map's share grew): titles only, the
        canvas is not made again."""
        self._sources = sources
        if self.source is not None:
            same = next((s for s in sources if s.name == self.source.name), None)
            if same is not None and same != self.source:
                self.source = same
                self.title.setText(plain(same.title))
                self.title.setToolTip(tip_text(plain(same.tooltip)))

    def choose(self, name: str) -> None:
        """Show the source called ``name`` (as the chooser does)."""
        self.chooser.setCurrentIndex([s.name for s in self._sources].index(name))

    def _on_chosen(self, index: int) -> None:
        if 0 <= index < len(self._sources):
            self.show_source(self._sources[index])


class CompareView(QWidget):
    """Panes in a grid, views linked, under the legend strip."""

    hovered = Signal(float, float)
    zoomed = Signal(float)  # a pane's zoom changed (Canvas.zoomed)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid_widget = QWidget()
        self._grid = QGridLayout(grid_widget)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(2)
        self.panes: list[ComparePane] = []
        # the partial maps' names and the masks' thresholds: their panes' titles; the
        # heatmaps' colormap: the legend
        self._partials = Subscriptions()
        self._analysis: Analysis | None = None
        # the models' figures against a loaded true mask (the window gives the Ground truth
        # panel's: retitled when its scores arrive, truth_scored)
        self.truth_scores: TruthScores | None = None
        self.legend = CompareLegend()
        self.legend.hide()
        self.empty = QLabel("Nothing to compare: open an evidence file and analyse it.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._grid.addWidget(self.empty, 0, 0)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)  # panes fill the view and scroll only below minimum
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        # the panes take the focus, not the area round them (it took Ctrl+K's, unnamed)
        self.scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.scroll.setWidget(grid_widget)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self.legend)
        outer.addWidget(self.scroll)

    def set_content(
        self, layers: LayerList | None, analysis: Analysis | None, *, original: bool = True
    ) -> None:
        """One pane per model of ``analysis`` (and its ensemble) and per classic analysis with
        a map in ``layers``, plus the evidence alone when ``original``; all showing ``layers``.

        The panes are made again (results or analyses arrived, the original shown or not): of
        the same ``layers`` they show the region the analyst had zoomed or panned to, else
        they fit the image, and each pane keeps the source the analyst chose in it while
        that is still offered (a classic analysis finishing put every pane back)."""
        region = None
        chosen: dict[str, str] = {}  # a pane's own source -> the one the analyst chose there
        if self.panes and layers is not None and self.panes[0].canvas.layers is layers:
            first = self.panes[0].canvas
            if not first.fitted:
                region = first.view.viewRect()
            chosen = {p.made_for: p.source.name for p in self.panes if p.source is not None}
        for pane in self.panes:
            pane.canvas.set_layers(None)
            self._grid.removeWidget(pane)
            discard(pane)
        self.panes = []
        self._partials.clear()
        self._analysis = analysis
        sources = [] if layers is None else compare_sources(layers, analysis, self.truth_scores)
        for la in [] if layers is None else partial_layers(layers):
            self._partials.on(la.events.name, lambda _e, layers=layers: self._retitle(layers))
        for la in [] if layers is None else layers.of_kind("mask"):
            self._partials.on(la.events.threshold, lambda _e, layers=layers: self._retitle(layers))
        # the legend's scales follow the heatmaps' and the analysis maps' colormaps
        for la in (
            [] if layers is None else [*layers.of_kind("heatmap"), *layers.of_kind("analysis")]
        ):
            self._partials.on(la.events.colormap, lambda _e, ls=layers: self.legend.show_layers(ls))
        self.legend.show_layers(layers)
        shown = [s for s in sources if s.kind != "original" or original or len(sources) == 1]
        self.empty.setVisible(not shown)
        columns = max(1, math.ceil(math.sqrt(len(shown))))
        titles: list[PaneTitle] = []  # one height for all (PaneTitle)
        for i, source in enumerate(shown):
            assert layers is not None
            made_for = source.name
            source = next((s for s in sources if s.name == chosen.get(made_for)), source)
            pane = ComparePane(source.title)
            pane.title.group = titles
            titles.append(pane.title)
            pane.made_for = made_for
            pane.set_sources(layers, sources, source)
            pane.set_place(i + 1, len(shown))
            pane.canvas.hovered.connect(self.hovered)
            pane.canvas.zoomed.connect(self.zoomed)
            pane.canvas.navigated.connect(self._release_fit)
            self._grid.addWidget(pane, i // columns, i % columns)
            self.panes.append(pane)
        self._link()
        if region is not None and self.panes:
            self.panes[0].canvas.show_region(region)  # the links take it to the others

    def shows(self, name: str) -> bool:
        """Whether a pane's chooser offers the source ``name``."""
        return any(name in p.offered for p in self.panes)

    def _retitle(self, layers: LayerList) -> None:
        """A partial map grew: the panes' titles say its new share of the image."""
        if self.panes and self.panes[0].canvas.layers is layers:
            sources = compare_sources(layers, self._analysis, self.truth_scores)
            for pane in self.panes:
                pane.retitle(sources)

    def truth_scored(self) -> None:
        """The Ground truth panel scored maps: the panes' titles give their figures."""
        layers = self.panes[0].canvas.layers if self.panes else None
        if layers is not None:
            self._retitle(layers)

    def _link(self) -> None:
        if not self.panes:
            return
        first = self.panes[0].canvas.view
        for pane in self.panes[1:]:
            pane.canvas.view.setXLink(first)
            pane.canvas.view.setYLink(first)
        for pane in self.panes:  # after each canvas's own fit on a resize (connected first)
            pane.canvas.view.sigResized.connect(self._fit_tallest)

    def _fit_tallest(self, *_args: object) -> None:
        """Fitted linked panes show one region: that of the pane tallest for its width, which
        every other pane then shows whole. A grid's rows can differ by a pixel, and the last
        pane resized had set the region, cutting the image's sides in the taller panes (by
        luck the taller ones had come last while every title took two lines)."""
        fitted = [p.canvas for p in self.panes if p.canvas.fitted and p.canvas.width() > 0]
        if len(fitted) > 1:
            max(fitted, key=lambda c: c.height() / c.width()).fit()

    def _release_fit(self) -> None:
        """One pane was zoomed or panned: the linked panes stop fitting on resize too (else
        the first resize would fit them all again, through the links)."""
        for pane in self.panes:
            if pane.canvas.fitted:
                pane.canvas.release_fit()

    def fit(self) -> None:
        if self.panes:
            for pane in self.panes:
                pane.canvas.fit()
