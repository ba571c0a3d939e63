"""The Analyses panel: choose classic analyses, run them on the open image, read what they found.

The classic analyses (``engine.analyses``: ELA, noise, JPEG tables, ghosts and double
quantisation, copy-move, metadata) run as jobs of the viewer's
:class:`~forensic_viewer.gui.workers.AnalysisWorker`, after or between the networks' jobs, and
report through its mailbox; Cancel (the panel's, the status bar's, Esc) stops them at their
next step. Their results become layers (:func:`~forensic_viewer.layers.add_classic_layers`,
done by the window through ``on_results``) and rows here: per analysis its map's meaning (raw
values are called raw values; what a high value means), score, clone pairs and findings. Every text that comes from the
file (metadata values, already escaped by the engine) is shown as plain text through
:func:`~forensic_viewer.wording.plain`, never as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.analyses import AnalysisResult, Level, get_analysis_spec, list_analyses
from engine.types import Evidence
from forensic_viewer.gui.panels import rows_height, tint
from forensic_viewer.gui.tips import tip_text
from forensic_viewer.gui.wheel_guard import guard_wheel
from forensic_viewer.gui.workers import AnalysisWorker
from forensic_viewer.report.text import pair_text
from forensic_viewer.scan.triage import pairs_words
from forensic_viewer.wording import parameters_words, plain, scale_words

LEVEL_COLORS = {Level.STRONG: QColor(220, 60, 50), Level.NOTICE: QColor(200, 130, 0)}
LEVEL_ORDER = {Level.STRONG: 0, Level.NOTICE: 1, Level.INFO: 2}
PROMPT = "check analyses, Run"  # the status line of an image shown
NO_IMAGE = "open an image, check analyses, Run"


def result_summary(name: str, r: AnalysisResult) -> str:
    """The one-line title of a result: pairs, findings by level, or what its map holds."""
    parts = []
    if r.pairs or "pairs" in r.output.extras:  # copy-move detection ran ("no pair", not 0.00)
        parts.append(f"{pairs_words(len(r.pairs))} of copies")
    elif r.score is not None:
        parts.append(f"score {r.score:.2f}")
    for level in (Level.STRONG, Level.NOTICE):
        n = sum(f.level == level for f in r.findings)
        if n:
            parts.append(f"{n} {level}")
    if not parts and r.meaning is not None:
        parts.append(scale_words(r.meaning.scale))
    if not parts:
        parts.append("no map" if not r.findings else "information only")
    return f"{name} — {', '.join(parts)} · {r.seconds:.2f} s"


class AnalysisChoices(QListWidget):
    """The registered classic analyses, checkable, each with its method and source as tooltip
    (the panel's list and the batch dialog's)."""

    def __init__(self, checked: Sequence[str] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        for name in list_analyses():
            spec = get_analysis_spec(name)
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setToolTip(f"{spec.description}\n{spec.provenance.source}")
            self.addItem(item)
        self.set_checked(list_analyses() if checked is None else checked)

    def checked(self) -> list[str]:
        return [
            self.item(i).text()
            for i in range(self.count())
            if self.item(i).checkState() == Qt.CheckState.Checked
        ]

    def set_checked(self, names: Sequence[str]) -> None:
        for i in range(self.count()):
            item = self.item(i)
            on = item.text() in names
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)


class AnalysisPanel(QWidget):
    """Checkable list of the classic analyses, Run and Cancel, and the results of the image.

    The window sets the image Run applies to (:meth:`set_target`) and listens through plain
    callbacks: ``on_results(path, {name: AnalysisResult})``, ``on_progress(text, fraction)``
    and ``on_finished(message)``.
    """

    def __init__(self, worker: AnalysisWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.on_results: Callable[[str, dict[str, AnalysisResult]], None] | None = None
        self.on_progress: Callable[[str, float], None] | None = None
        self.on_finished: Callable[[str], None] | None = None
        self._path: str | None = None
        self._evidence: Evidence | None = None
        self._jobs: dict[int, str] = {}  # job -> evidence path
        self.choices = AnalysisChoices()
        self.choices.setAccessibleName("classic analyses to run")
        self.choices.setMaximumHeight(rows_height(self.choices, 7))
        ela = get_analysis_spec("ela").defaults.quality
        self.ela_quality = QSpinBox()  # the one parameter examiners change (Sherloq uses 75)
        self.ela_quality.setRange(1, 100)
        self.ela_quality.setValue(ela)
        self.ela_quality.setAccessibleName("ELA's JPEG quality")
        self.ela_quality.setToolTip(
            f"JPEG quality of ELA's resave (default {ela}, as FotoForensics; Sherloq uses 75); "
            "recorded with the result"
        )
        guard_wheel(self.ela_quality)  # a wheel over the panel in passing changed the quality
        self.run_button = QPushButton("Run on this image")
        self.run_button.setEnabled(False)  # until there is an image (set_target)
        self.run_button.clicked.connect(lambda: self.run())
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.status = QLabel(NO_IMAGE)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setAccessibleName("classic analyses' results and findings")
        self.tree.setHeaderLabels(["", "value"])
        self.tree.setColumnWidth(0, 150)
        # rows to read however short the dock (it scrolls beyond): at 1280 x 800 the tree
        # was squeezed to its header, the results unreadable
        self.tree.setMinimumHeight(rows_height(self.tree, 6))
        quality = QHBoxLayout()
        quality.addWidget(QLabel("ELA quality"))
        quality.addWidget(self.ela_quality)
        quality.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button, 1)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.choices)
        layout.addLayout(quality)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.tree, 1)
        mail = worker.mail
        mail.on("classic-progress", self._on_progress)
        mail.on("classic-done", self._on_done)
        mail.on("classic-failed", self._on_failed)
        mail.on("classic-cancelled", self._on_cancelled)

    # --- choosing and running ---

    def checked(self) -> list[str]:
        return self.choices.checked()

    def set_checked(self, names: Sequence[str]) -> None:
        self.choices.set_checked(names)

    @property
    def running(self) -> bool:
        return bool(self._jobs)

    def set_target(
        self,
        path: str | None,
        evidence: Evidence | None,
        results: Mapping[str, AnalysisResult] | None = None,
    ) -> None:
        """The image Run applies to (None: no image decoded yet) and its results so far.

        Another image clears the status line: it spoke of the last image's run ("ela done in
        0.1 s" stood under the next image's results). A run's own lines name its file."""
        if path != self._path or evidence is not self._evidence:
            if path is not None and path in self._jobs.values():
                self.status.setText(f"{Path(path).name}: analyses queued or running")
            else:
                self.status.setText(PROMPT if evidence is not None else "" if path else NO_IMAGE)
        self._path, self._evidence = path, evidence
        self.run_button.setEnabled(evidence is not None)
        self.show_results(results or {})

    def run(self, names: Sequence[str] | None = None) -> int | None:
        """Run ``names`` (default: the checked analyses) on the image; the job id, or None."""
        names = list(self.checked() if names is None else names)
        if self._evidence is None or self._path is None:
            self.status.setText("open an image first")
            return None
        if not names:
            self.status.setText("check at least one analysis")
            return None
        job = self.worker.submit_analyses(self._evidence, names, self.params(names))
        self._jobs[job] = self._path
        self.cancel_button.setEnabled(True)
        self.status.setText(f"queued: {', '.join(names)}")
        return job

    def params(self, names: Sequence[str]) -> dict[str, dict[str, int]]:
        """The parameters chosen here for the analyses ``names`` (ELA's quality)."""
        return {"ela": {"quality": self.ela_quality.value()}} if "ela" in names else {}

    def cancel(self) -> None:
        if self._jobs:
            self.worker.cancel()
            self.status.setText("cancelling…")

    # --- the worker's messages (GUI thread) ---

    def _end(self, job: int, message: str) -> str | None:
        path = self._jobs.pop(job, None)
        self.cancel_button.setEnabled(bool(self._jobs))
        if path is not None:
            self.status.setText(message)
            if self.on_finished is not None:
                self.on_finished(message)
        return path

    def _on_progress(
        self, job: int, name: str, index: int, count: int, done: int, total: int
    ) -> None:
        path = self._jobs.get(job)
        if path is None:
            return
        fraction = (index + (done / total if total else 1.0)) / max(1, count)
        text = f"analysing {Path(path).name}: {name} ({index + 1}/{count}), step {done}/{total}"
        self.status.setText(text)
        if self.on_progress is not None:
            self.on_progress(text, fraction)

    def _on_done(self, job: int, results: dict[str, AnalysisResult]) -> None:
        seconds = sum(r.seconds for r in results.values())
        path = self._end(job, f"{self._name(job)}{', '.join(results)} done in {seconds:.1f} s")
        if path is not None and self.on_results is not None:
            self.on_results(path, results)

    def _on_failed(self, job: int, message: str) -> None:
        self._end(job, plain(message))

    def _on_cancelled(self, job: int) -> None:
        self._end(job, f"{self._name(job)}analyses cancelled")

    def _name(self, job: int) -> str:
        """``"<file name>: "`` of ``job``'s image, the head of its lines."""
        path = self._jobs.get(job)
        return "" if path is None else f"{Path(path).name}: "

    # --- results ---

    def show_results(self, results: Mapping[str, AnalysisResult]) -> None:
        """One top row per result (see :func:`result_summary`), its details below."""
        self.tree.clear()
        for name, r in results.items():
            top = QTreeWidgetItem([plain(result_summary(name, r), 300), ""])
            top.setToolTip(0, tip_text(plain(f"{r.provenance.method}\n{r.provenance.source}")))
            self.tree.addTopLevelItem(top)
            top.setFirstColumnSpanned(True)  # only takes once the item is in the tree
            for key, value, color in self._rows(r):
                item = QTreeWidgetItem([plain(key, 100), plain(value)])
                item.setToolTip(1, tip_text(plain(value)))
                top.addChild(item)
                if color is not None:
                    tint(item, color)  # WCAG AA on the tree's background, theme after theme
        self.tree.expandAll()

    @staticmethod
    def _rows(r: AnalysisResult) -> list[tuple[str, str, QColor | None]]:
        rows: list[tuple[str, str, QColor | None]] = []
        if r.meaning is not None:
            m = r.meaning
            rows.append(("map", f"{m.label} ({scale_words(m.scale)})", None))
            rows.append(("map unit", m.unit, None))
            rows.append(("high values", m.high, None))  # as the report and the layer panel say
        if r.score is not None:
            rows.append(("score", f"{r.score:.3f}: {r.output.score_label or ''}", None))
        rows += [(f"pair {i}", pair_text(p), None) for i, p in enumerate(r.pairs, start=1)]
        for f in sorted(r.findings, key=lambda f: LEVEL_ORDER.get(f.level, 3)):
            note = f" — {f.note}" if f.note else ""
            rows.append(
                (f"{f.level} · {f.topic}", f"{f.key}: {f.value}{note}", LEVEL_COLORS.get(f.level))
            )
        rows += [("warning", w, None) for w in r.warnings]
        params = parameters_words(r.params)
        rows.append(("method", f"{r.provenance.method} (version {r.provenance.version})", None))
        rows.append(("parameters", params, None))
        return rows

    def text(self) -> str:
        """Everything the results tree shows, as text (for tests and copying)."""
        lines = []
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            lines.append(top.text(0))
            lines += [
                f"  {top.child(j).text(0)}: {top.child(j).text(1)}" for j in range(top.childCount())
            ]
        return "\n".join(lines)
