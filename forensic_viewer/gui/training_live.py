"""The training dialog's live view: header, progress, curves, status, warnings, review, log.

:class:`TrainingLive` is a part of :class:`~forensic_viewer.gui.training_dialog.TrainingDialog`
(a mixin: its methods run on the dialog, which calls :meth:`TrainingLive._build_live` and whose
run state, ``progress``, ``_phase`` and ``_stop_requested``, it reads). It draws the curves
(each loss term, the learning rate and the validation figures per epoch, each figure with its
own colour and marker in the legend), a progress bar with ETA, a status line (step of the
trainer's step total, the last validation's figures), the running process's warnings, the
finished model's review with Install and Do not install, and a log of the events in words
(their raw lines stay in the stage's ``progress.jsonl``).

Curves draw a marker at each point while they have few points (a short run's single step is
otherwise an invisible line of length zero). When a run stops, fails or finishes, the header and
the ETA say so instead of keeping the last "training" estimate (:meth:`TrainingLive._show_ended`),
and a dialog closed meanwhile has the main window say it.

The charts keep their height when a review shows: the warnings and the review's text scroll in
a :class:`NotesArea` of a few lines, the loss and learning-rate charts sit side by side, and the
legends are set in small type, three figures a row under the validation chart.

Each chart is named for a screen reader, and its description says its last values in words
(:func:`last_points`), its text equivalent: the three charts were read as blank graphics
views (walk-through D, item 8).
"""

from __future__ import annotations

from collections.abc import Mapping

import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from engine.formatting import format_duration
from forensic_viewer.gui.panels import MessageLabel, tint
from trainer.progress import Series, epoch_text, figure_name, figure_words, is_warning

MARKED_POINTS = 50  # curves with at most this many points get a marker at each point
# Markers of the validation curves, one per figure in the order they first arrive (with the
# curve's own colour and the legend, so a figure is told apart even from a single point).
VAL_SYMBOLS = ("o", "t", "s", "d", "star", "p", "h", "t1", "+")
# The loss terms' colours: Okabe and Ito's, bright enough on the charts' black (their blue
# lightened), and white; with a line style of LOSS_STYLES each, in turn, and a marker of
# VAL_SYMBOLS while few points, so a curve is told without hue (walk-through cvd: a hue wheel
# of 9 turned seg, seg_wbce, seg_dice and edge yellow for a deuteranope, edge_1..3 blue).
LOSS_COLORS = (
    (230, 159, 0), (86, 180, 233), (0, 158, 115), (240, 228, 66), (90, 160, 255),
    (213, 94, 0), (204, 121, 167), (255, 255, 255),
)  # fmt: skip
LOSS_STYLES = (
    Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine, Qt.PenStyle.DashDotLine,
)  # fmt: skip


def pin_constant(plot: pg.PlotWidget, y: list[float]) -> None:
    """A chart of one constant value (a learning rate without a schedule) shown around it, from
    half to one and a half of it: pyqtgraph's own range about a flat line drew 1e-4 at "0" on
    an axis from -0.4 to 0.5. Other data: the chart ranges itself."""
    if y and min(y) == max(y) and y[0] != 0:
        v = abs(y[0])
        plot.setYRange(y[0] - v / 2, y[0] + v / 2, padding=0.1)
    else:
        plot.enableAutoRange(axis="y")


REOPEN = "Models ▸ Train a model… shows it"  # where a closed dialog's run is found again
ERROR_COLOR = QColor(0xD0, 0x40, 0x40)  # a refusal, an error (made legible: panels.tint)
WARNING_COLOR = QColor(0xD0, 0x80, 0x00)  # warnings that do not stop the run


# the trainer's advice to a shell user, and what it means in the dialog
DIALOG_WORDS = (("continue with --resume", "the Resume button continues it"),)


def in_dialog_words(line: str) -> str:
    """A trainer's line with its command-line advice said as the dialog's (after Stop the log
    read "continue with --resume", an option the analyst never types here)."""
    for shell, dialog in DIALOG_WORDS:
        line = line.replace(shell, dialog)
    return line


LEGEND_BELOW_ROW = 4  # a PlotItem's layout: title 0, top axis 1, view 2, bottom axis 3
# The least height of each chart widget (title, axis, legend and the curves' area), which the
# review and the warnings above them cannot take: with the review shown at the dialog's own
# 1200x800 the loss and validation charts were squeezed to a few pixels (2026-12-06)
PLOT_MIN_HEIGHT = 170
NOTES_LINES = 9  # the warnings and the review's text above the charts: at most this tall
NOTES_MIN_LINES = 3  # ... and at least this tall when it holds that much (then it scrolls)


def legend_below(plot: pg.PlotWidget, columns: int = 2) -> pg.LegendItem:
    """``plot``'s legend in a row of its own under the x axis, its entries side by side
    (``columns`` a row), in small type: in the plot's corner (pyqtgraph's place) it hid the
    curves that ran there, and two a row in full-size type the validation chart's eight took
    four rows of its height."""
    item = plot.getPlotItem()
    legend = pg.LegendItem(colCount=columns, frame=False, labelTextSize="8pt", verSpacing=-6)
    item.layout.addItem(legend, LEGEND_BELOW_ROW, 1)
    item.legend = legend  # where plot(name=...) adds its entry
    return legend


class NotesArea(QScrollArea):
    """The running step's warnings and a finished model's review above the charts: as tall as
    its text, up to :data:`NOTES_LINES` lines, then it scrolls. Unbounded, a long review and a
    few warnings took the height the charts needed."""

    def __init__(self, inner: QWidget) -> None:
        super().__init__()
        self.setWidget(inner)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    def _height(self) -> int:
        inner = self.widget()
        width = self.viewport().width()
        text = inner.heightForWidth(width) if inner.hasHeightForWidth() else -1
        text = text if text >= 0 else inner.sizeHint().height()
        return min(text, NOTES_LINES * self.fontMetrics().lineSpacing())

    def sizeHint(self) -> QSize:  # Qt override
        return QSize(super().sizeHint().width(), self._height())

    def minimumSizeHint(self) -> QSize:  # Qt override
        """Three lines at least when the dialog is short of height (a large font): the
        charts' least height goes first, and the dialog stays within its screen."""
        return QSize(0, min(self._height(), NOTES_MIN_LINES * self.fontMetrics().lineSpacing()))

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt override
        """A new width wraps the text anew: its height follows."""
        super().resizeEvent(event)
        self.updateGeometry()


def last_points(series: Mapping[str, Series], by: str) -> str:
    """The last point of each curve of a chart, in words: ``at step 120: loss 0.412, bce
    0.300`` (``by`` "step" or "epoch"), each at the x it was taken at (``at epoch 3: pixel F1
    0.3; at epoch 2: AUC 0.8``; all at the latest x said a figure was measured where it was
    not), or "no points yet"."""
    at: dict[float, list[str]] = {}  # a curve's last x -> its words, in the curves' order
    for name, s in series.items():
        if s.x:
            at.setdefault(s.x[-1], []).append(f"{name} {s.y[-1]:.4g}")
    if not at:
        return "no points yet"
    return "; ".join(
        f"at {by} {epoch_text(x) if by == 'epoch' else f'{x:.0f}'}: {', '.join(words)}"
        for x, words in at.items()
    )


def _set_points(
    curve: pg.PlotDataItem, x: list[float], y: list[float], symbol: str = "o", always: bool = False
) -> None:
    """Set a curve's points, with a marker at each while there are few (one point of a line
    is otherwise drawn as nothing), or ``always``."""
    curve.setData(x, y)
    pen = pg.mkPen(curve.opts["pen"])
    curve.setSymbolPen(pen)
    curve.setSymbolBrush(pen.color())  # the curve's own colour, not pyqtgraph's default blue
    curve.setSymbolSize(7 if always else 6)
    curve.setSymbol(symbol if always or len(x) <= MARKED_POINTS else None)


class TrainingLive:
    """The live view of :class:`~forensic_viewer.gui.training_dialog.TrainingDialog`: header,
    progress bar and ETA, curves, status, warnings, the review of a finished model, the log."""

    def _build_live(self) -> QWidget:
        self.stage_label = QLabel("no run")
        self.stage_label.setTextFormat(Qt.TextFormat.PlainText)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.eta_label = QLabel(f"ETA {format_duration(None)}")
        bar_row = QHBoxLayout()
        bar_row.addWidget(self.progress_bar, 1)
        bar_row.addWidget(self.eta_label)
        self.loss_plot = pg.PlotWidget(title="loss terms (by step)")
        self.lr_plot = pg.PlotWidget(title="learning rate (by step)")
        self.val_plot = pg.PlotWidget(title="validation (by epoch)")
        for plot, name in (
            (self.loss_plot, "loss terms chart"),
            (self.lr_plot, "learning rate chart"),
            (self.val_plot, "validation chart"),
        ):
            plot.setAccessibleName(name)
            plot.setAccessibleDescription(last_points({}, "step"))
        legend_below(self.loss_plot)  # beside the learning rate: half the pane's width
        legend_below(self.val_plot, columns=3)  # up to eight figures: three rows at most
        for plot in (self.loss_plot, self.lr_plot, self.val_plot):
            plot.setMinimumHeight(PLOT_MIN_HEIGHT)
        # the validation figures are fractions (accuracy, F1, IoU, AUC): their axis is 0..1,
        # where pyqtgraph's auto range drew -0.4..0.4 around a run of zeros
        self.val_plot.setYRange(0.0, 1.0, padding=0.02)
        self.val_plot.getPlotItem().getViewBox().setMouseEnabled(y=False)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.lr_curve = self.lr_plot.plot(pen=pg.mkPen("y", width=2))
        self.status = MessageLabel()  # a checkpoint's path in a failure: wrapped, however long
        # the running process's warnings (a --warmup longer than the run keeps the learning
        # rate small throughout): the run's length is known only once it has started, so the
        # trainer's own words are shown here, not lost in the log
        self.warnings_label = QLabel()
        self.warnings_label.setTextFormat(Qt.TextFormat.PlainText)
        self.warnings_label.setWordWrap(True)
        tint(self.warnings_label, WARNING_COLOR)
        self.warnings_label.setVisible(False)
        self.review_label = QLabel()
        self.review_label.setTextFormat(Qt.TextFormat.PlainText)
        self.review_label.setWordWrap(True)
        self.install_button = QPushButton("Install for the viewer")
        self.install_button.setToolTip("copy the model into the models folder: Models panel")
        self.discard_button = QPushButton("Do not install")
        self.discard_button.setToolTip("leave the model in its run folder only")
        self.install_button.clicked.connect(self.confirm_install)
        self.discard_button.clicked.connect(self.discard_install)
        # calibrate said that θ was set on images the model was trained on: Install waits
        # for this tick (the dialog's _install shows it with the note)
        self.caveat_check = QCheckBox("install all the same: θ was set on training images")
        self.caveat_check.setVisible(False)
        self.caveat_check.toggled.connect(self.install_button.setEnabled)
        self.review_box = QWidget()
        review_buttons = QHBoxLayout()
        review_buttons.addWidget(self.install_button)
        review_buttons.addWidget(self.discard_button)
        review_buttons.addStretch(1)
        review_layout = QVBoxLayout(self.review_box)
        review_layout.setContentsMargins(0, 0, 0, 0)
        review_layout.addWidget(self.caveat_check)
        review_layout.addLayout(review_buttons)
        self.review_box.setVisible(False)
        self.review_label.setVisible(False)  # shown with review_box (_show_review)
        notes = QWidget()
        notes_box = QVBoxLayout(notes)
        notes_box.setContentsMargins(0, 0, 0, 0)
        notes_box.addWidget(self.warnings_label)
        notes_box.addWidget(self.review_label)
        notes_box.addStretch(1)
        self.notes_area = NotesArea(notes)
        self.notes_area.setVisible(False)
        self.log = QPlainTextEdit()
        self.log.setAccessibleName("training log")
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(5000)
        # the loss terms and the learning rate side by side: the pane is wider than it is tall
        steps = QSplitter(Qt.Orientation.Horizontal)
        steps.addWidget(self.loss_plot)
        steps.addWidget(self.lr_plot)
        steps.setStretchFactor(0, 3)
        steps.setStretchFactor(1, 2)
        plots = QSplitter(Qt.Orientation.Vertical)
        for w in (steps, self.val_plot, self.log):
            plots.addWidget(w)
            plots.setCollapsible(plots.count() - 1, False)
        for index, stretch in enumerate((3, 3, 1)):
            plots.setStretchFactor(index, stretch)
        live = QWidget()
        box = QVBoxLayout(live)
        box.addWidget(self.stage_label)
        box.addLayout(bar_row)
        box.addWidget(self.status)
        box.addWidget(self.notes_area)
        box.addWidget(self.review_box)
        box.addWidget(plots, 1)
        return live

    def _show_notes(self) -> None:
        """The notes area shown while it holds a warning or a review, its height renewed."""
        # isHidden: hidden by its own setVisible (the area itself may be hidden meanwhile)
        self.review_label.setVisible(not self.review_box.isHidden())
        self.notes_area.setVisible(
            not self.warnings_label.isHidden() or not self.review_label.isHidden()
        )
        self.notes_area.updateGeometry()

    def _last_val_text(self, prefix: str = "") -> str:
        """``PREFIX last validation (epoch N): pixel F1 ...`` of the stage, or "" before one."""
        last = self.progress.last_val() if self.progress is not None else None
        if last is None:
            return ""
        return f"{prefix}last validation (epoch {epoch_text(last[0])}): {figure_words(last[1])}"

    def _redraw(self) -> None:
        p = self.progress
        if not self._dirty or p is None:
            return
        self._dirty = False
        for name, series in p.losses.items():
            curve = self._curve(self.loss_plot, f"loss:{name}", name)
            _set_points(curve, series.x, series.y, curve.opts["symbol"])
        _set_points(self.lr_curve, p.lr.x, p.lr.y)
        pin_constant(self.lr_plot, p.lr.y)
        for name, series in p.val.items():
            curve = self._curve(self.val_plot, f"val:{name}", figure_name(name), VAL_SYMBOLS)
            _set_points(curve, series.x, series.y, curve.opts["symbol"], always=True)
        self.loss_plot.setAccessibleDescription(last_points(p.losses, "step"))
        self.lr_plot.setAccessibleDescription(last_points({"learning rate": p.lr}, "step"))
        val = {figure_name(name): series for name, series in p.val.items()}
        self.val_plot.setAccessibleDescription(last_points(val, "epoch"))
        self.progress_bar.setValue(round(1000 * p.fraction()))
        speed = f", {p.samples_per_s:.1f} samples/s" if p.samples_per_s else ""
        if self._phase == "train" and not self._stop_requested:
            self.eta_label.setText(f"ETA {format_duration(p.eta())}")
        if self._phase == "train" and p.step and not self._stop_requested:
            self._set_status(
                f"{p.step_text()}, epoch {p.epoch + 1}{speed}{self._last_val_text('; ')}"
            )

    def _curve(
        self, plot: pg.PlotWidget, key: str, name: str, symbols: tuple[str, ...] = ()
    ) -> pg.PlotDataItem:
        """The curve ``key`` of ``plot``, made on first use in the next colour of its plot (and
        the next of ``symbols`` as its marker)."""
        curve = self.curves.get(key)
        if curve is None:
            kind = key.split(":", 1)[0]
            index = sum(k.split(":", 1)[0] == kind for k in self.curves)
            style = LOSS_STYLES[index % len(LOSS_STYLES)]
            pen = pg.mkPen(LOSS_COLORS[index % len(LOSS_COLORS)], width=2, style=style)
            symbol = (symbols or VAL_SYMBOLS)[index % len(symbols or VAL_SYMBOLS)]
            curve = plot.plot(name=name, pen=pen, symbol=symbol)
            self.curves[key] = curve
        return curve

    def _reset_curves(self) -> None:
        for plot in (self.loss_plot, self.val_plot):
            plot.clear()
            legend = plot.plotItem.legend
            if legend is not None:
                legend.clear()
        self.curves.clear()
        self.lr_curve.setData([], [])
        for plot in (self.loss_plot, self.lr_plot, self.val_plot):
            plot.setAccessibleDescription(last_points({}, "step"))
        self.progress_bar.setValue(0)
        self.eta_label.setText(f"ETA {format_duration(None)}")

    def plotted(self) -> dict[str, int]:
        """Points drawn per curve (``loss:NAME``, ``val:NAME`` and ``lr``), for tests and logs."""
        out = {
            k: len(c.getData()[0] if c.getData()[0] is not None else [])
            for k, c in self.curves.items()
        }
        x = self.lr_curve.getData()[0]
        out["lr"] = 0 if x is None else len(x)
        return out

    def _set_header(self, text: str) -> None:
        self._header = text
        self.stage_label.setText(text)

    def _show_ended(self, how: str, detail: str = "", why: str = "") -> None:
        """Header and ETA say that the run ``how`` (stopped, failed, finished): no estimate;
        ``detail`` in its place after the header (a finished run: what became of θ). The main
        window's message history gets the outcome at once, with ``why`` (a failure's reason,
        what a finished run waits for), whether the dialog is open or closed; it was told only when the
        dialog had been closed, so a run that ended in view was in no history. Where to find
        the dialog again is said only when it is closed."""
        step = self.progress.step if self.progress is not None else 0
        at = f" at step {step}" if step and how != "finished" else ""
        self.stage_label.setText(f"{self._header} — {detail or how + at}")
        self.eta_label.setText(how)
        self.list_earlier_runs()
        said = f"training {self.stage_label.text()}" + (f": {why}" if why else "")
        self.notice.emit(said if self.isVisible() else f"{said}; {REOPEN}")

    def _set_status(self, text: str, error: bool = False) -> None:
        tint(self.status, ERROR_COLOR if error else None)
        self.status.setText(text)

    def _log(self, text: str) -> None:
        self.log.appendPlainText(text)

    def _on_text(self, line: str) -> None:
        """A line of the trainer that is no event: logged (its command-line advice in the
        dialog's words), and a warning kept in view."""
        line = in_dialog_words(line)
        self._log(line)
        if is_warning(line):
            shown = self.warnings_label.text()
            self.warnings_label.setText(f"{shown}\n{line.strip()}" if shown else line.strip())
            self.warnings_label.setVisible(True)
            self._show_notes()

    def _clear_warnings(self) -> None:
        """A new process: the previous one's warnings are no longer about what runs."""
        self.warnings_label.clear()
        self.warnings_label.setVisible(False)
        self._show_notes()
