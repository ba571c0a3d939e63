"""The ground-truth panel: a true mask for the open image, drawn as a layer and scored.

The analyst loads a mask ("Load ground-truth mask…", or drops it on the canvas while an image is
open); it is read and matched to the image by :func:`~forensic_viewer.scan.groundtruth.read_mask`
(read-only, with its SHA-256, by :mod:`engine.masks`' rule; refused, one line naming it, when
its size differs from the image's; not scored, in ``scan --gt``'s line, when it is faint: not
black and marking no pixel, :func:`~forensic_viewer.scan.truth_lines.faint_line`),
kept for that evidence file, drawn as a
:class:`~forensic_viewer.model_layers.GroundTruthLayer`, and every map of the file's analysis (networks,
ensemble, classic analyses) is scored against it in a table whose rows say each figure's
threshold and convention (:func:`~forensic_viewer.scan.truth_scores.image_figures`). The table is
refilled whenever the analysis changes (results arriving, classic analyses added).

A dropped file is taken for a mask rather than new evidence when an image is open and either
Shift is held or its name says so (:func:`looks_like_mask`: a ``_gt`` / ``_mask`` stem or a
``Gt``/``mask(s)`` folder, the BenCo and CASIA names): opening evidence by a drop keeps working.

Scoring runs on a thread of the panel's own (one histogram pass per map: about 1 s per map at
4096 x 4096, measured on a 2-core machine shared with other work), polled by a timer, so the
window stays responsive. Each map's score is kept while its map and the mask live
(:meth:`GroundTruthPanel.score_of`, signal ``scored`` when new ones arrive): the compare panes
title their models with them, where they had scored every map again in the GUI thread on
every refresh (1.1 s per model at 12 MP, about 5 s per refresh with four models and the
ensemble).
"""

from __future__ import annotations

import dataclasses
import os
import weakref
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.io import IMAGE_SUFFIXES
from engine.masks import mask_key
from engine.types import Analysis, Evidence
from forensic_viewer.gui.report_job import ReportJob
from forensic_viewer.layers import LayerList
from forensic_viewer.model_layers import GroundTruthLayer
from forensic_viewer.report import ReportSource
from forensic_viewer.scan.groundtruth import MASK_TAILS, read_mask
from forensic_viewer.scan.truth_lines import faint_line, inverted_line
from forensic_viewer.scan.truth_scores import (
    FIGURE_HEADER,
    Figure,
    ImageTruth,
    MapScore,
    MapSource,
    TruthMask,
    figure_rows,
    image_figures,
    map_sources,
    score_image,
)

MASK_FOLDERS = ("gt", "mask", "masks", "groundtruth", "ground_truth")


def looks_like_mask(path: str | Path) -> bool:
    """Whether a file's name says it is a mask (``x_gt.png``, ``x-mask.png``, ``Gt/x.png``)."""
    p = Path(path)
    stem = p.stem.lower()
    return any(stem.endswith(t) for t in MASK_TAILS) or p.parent.name.lower() in MASK_FOLDERS


def masks_of(folder: Path, images: Iterable[str | Path]) -> bool:
    """Whether ``folder`` holds the ground-truth masks of ``images`` and nothing else: named
    as :func:`looks_like_mask` takes a mask's folder (``Gt/``, ``masks/``), every entry in it
    a file named like an image that is the mask of one of them by its stem
    (:func:`engine.masks.mask_key`: ``x.png`` or ``x_gt.png`` for ``x.jpg``), as the bundled
    samples' ``masks/`` is. Opening a folder does not count such a subfolder as left out
    (``gui/opening.py``): its files are no evidence to open. Lists the whole folder: call it
    off the GUI thread; one that cannot be listed is not taken for masks."""
    if folder.name.lower() not in MASK_FOLDERS:
        return False
    stems = {Path(p).stem for p in images}
    try:
        with os.scandir(folder) as inside:
            entries = list(inside)
    except OSError:
        return False
    return bool(entries) and all(
        Path(e.name).suffix.lower() in IMAGE_SUFFIXES
        and e.is_file()
        and mask_key(Path(e.name).stem) in stems
        for e in entries
    )


@dataclass
class _Loaded:
    truth: TruthMask
    sha256: str  # of the evidence it was loaded for: a changed file drops it


class GroundTruthPanel(QWidget):
    """The figures of the open image against its true mask, one row per figure."""

    scored = Signal()  # new maps scored: score_of has them

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.masks: dict[str, _Loaded] = {}  # evidence path -> its mask
        self.figures: list[Figure] = []
        self.shown: TruthMask | None = None  # the mask the figures are of
        # scoring runs on one thread of its own (numpy releases the GIL); the newest request
        # wins: an older one still running is ignored when it finishes
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="groundtruth")
        self._pending: tuple[TruthMask, list[MapSource], Future[ImageTruth]] | None = None
        # (id(map), id(mask)) -> the two, weakly, and the map's score (score_of)
        self._scores: dict[tuple[int, int], tuple[weakref.ref[Any], weakref.ref[Any], MapScore]]
        self._scores = {}
        self._timer = QTimer(self)
        self._timer.setInterval(25)
        self._timer.timeout.connect(self._poll)
        self.message = QLabel("no ground-truth mask: File ▸ Load ground-truth mask…, or drop one")
        self.message.setTextFormat(Qt.TextFormat.PlainText)  # it names the mask's file
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableWidget(0, len(FIGURE_HEADER))
        self.table.setAccessibleName("scores of each map against the ground-truth mask")
        self.table.setHorizontalHeaderLabels(FIGURE_HEADER)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        # Tab leaves the table (the arrow keys move between its cells): Qt's tables take Tab
        # from cell to cell and round again, and held the keyboard there
        self.table.setTabKeyNavigation(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)

    def load(self, path: str, evidence: Evidence, mask_file: str | Path) -> TruthMask:
        """Read ``mask_file`` for the evidence ``path``; raises
        :class:`~engine.errors.ForensicError` (one line naming the mask) when it cannot be
        read."""
        truth = read_mask(mask_file, (evidence.height, evidence.width))
        self.masks[path] = _Loaded(truth, evidence.sha256)
        return truth

    def truth_for(self, path: str | None, evidence: Evidence | None) -> TruthMask | None:
        loaded = self.masks.get(path or "")
        if loaded is None or evidence is None or loaded.sha256 != evidence.sha256:
            return None
        return loaded.truth

    def show_for(
        self,
        path: str | None,
        evidence: Evidence | None,
        analysis: Analysis | None,
        layers: LayerList | None,
    ) -> None:
        """Draw the mask of ``path`` (if one is loaded) as a layer of ``layers`` and fill the
        table from ``analysis``; clear both otherwise."""
        truth = self.truth_for(path, evidence)
        if layers is not None:
            self._place_layer(layers, truth)
        self.figures = []
        self.shown = truth
        if truth is None:
            self.message.setText(
                "no ground-truth mask: File ▸ Load ground-truth mask…, or drop one"
            )
        elif truth.faint:  # as scan --gt leaves it unscored: read as empty, never authentic
            self.message.setText(faint_line(truth.file, truth.faint))
        elif analysis is None or evidence is None or analysis.evidence.sha256 != evidence.sha256:
            lines = [f"{truth.file}: loaded; figures follow the analysis", *_problems(truth)]
            self.message.setText("\n".join(lines))
        else:
            self.message.setText(f"{truth.file}: scoring the maps…")
            sources = map_sources(analysis)
            job = self._pool.submit(
                score_image, path or "", analysis.evidence.sha256, truth, sources
            )
            self._pending = (truth, sources, job)
            self._timer.start()
            return
        self._pending = None
        self._fill()

    @staticmethod
    def _place_layer(layers: LayerList, truth: TruthMask | None) -> None:
        """Keep one ground-truth layer of ``truth`` on top of ``layers`` (none without a mask).
        The layer of the same mask is moved, not made again, so its visibility, opacity and
        what it draws survive results arriving."""
        kept: GroundTruthLayer | None = None
        for la in layers.of_kind("groundtruth"):
            if truth is not None and isinstance(la, GroundTruthLayer) and la.truth is truth.mask:
                kept = la
            layers.remove(la)
        if truth is not None:
            layers.append(kept if kept is not None else GroundTruthLayer(truth.mask))

    @property
    def scoring(self) -> bool:
        """Whether figures are being computed (on the panel's thread)."""
        return self._pending is not None

    def _poll(self) -> None:
        """Take the scores when the thread has them (polled: no signal crosses threads)."""
        if self._pending is None:
            self._timer.stop()
            return
        truth, sources, job = self._pending
        if not job.done():
            return
        self._timer.stop()
        self._pending = None
        try:
            image = job.result()
        except ValueError as e:  # a map of another size than the mask: named in the message
            self.message.setText(f"{truth.file}: {e}")
            self._fill()
            return
        self.figures = image_figures(image)
        self._keep(sources, truth, image)
        label = "tampered" if truth.label else "authentic (empty mask)"
        lines = [f"{truth.file} ({label}, sha256 {str(truth.sha256)[:16]}…)"]
        lines += _problems(truth)
        lines.append("maps at 8 bits; a pixel is flagged when above the threshold")
        self.message.setText("\n".join(lines))
        self._fill()
        self.scored.emit()

    def _keep(self, sources: list[MapSource], truth: TruthMask, image: ImageTruth) -> None:
        """Keep each map's score for :meth:`score_of` (and drop those of maps or masks gone)."""
        live = self._scores.items()
        self._scores = {k: v for k, v in live if v[0]() is not None and v[1]() is not None}
        mask = weakref.ref(truth.mask)
        for source, score in zip(sources, image.scores, strict=True):
            key = (id(source.heatmap), id(truth.mask))
            self._scores[key] = (weakref.ref(source.heatmap), mask, score)

    def score_of(self, heatmap: NDArray[np.floating], mask: NDArray[np.bool_]) -> MapScore | None:
        """The score of the map ``heatmap`` against the true mask ``mask`` (these very arrays)
        when the panel has scored it, else None (not yet, or never: a faint mask is not scored).
        Kept while both live, across the refreshes that score the same maps again."""
        kept = self._scores.get((id(heatmap), id(mask)))
        if kept is None or kept[0]() is not heatmap or kept[1]() is not mask:
            return None
        return kept[2]

    def report_data(self) -> dict[str, Any] | None:
        """The shown figures as a report's "Ground truth" section (None: no figures)."""
        truth = self.shown
        if truth is None or not self.figures:
            return None
        return {
            "source": truth.file,
            "images": 1,
            "tampered": truth.label,
            "mask_sha256": truth.sha256,
            "figures": [f.to_json() for f in self.figures],
            "problems": _problems(truth),
        }

    def _fill(self) -> None:
        rows = figure_rows(self.figures)
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            for j, text in enumerate(row):
                item = QTableWidgetItem(text)
                if j in (2, 5):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight)
                self.table.setItem(i, j, item)
        self.table.resizeColumnsToContents()


def _problems(truth: TruthMask) -> list[str]:
    """The mask's lines: that it looks inverted (:func:`inverted_line`, the rule the trainer
    refuses by), then its reader's warnings (a region read from the transparency, ...)."""
    inverted = inverted_line(truth)
    return ([inverted] if inverted else []) + list(truth.warnings)


def with_ground_truth(job: ReportJob, ground_truth: dict[str, Any] | None) -> ReportJob:
    """``job`` whose report gets a "Ground truth" section of ``ground_truth`` (unchanged when
    None)."""
    if ground_truth is None:
        return job

    def source() -> ReportSource:
        made = job.source()
        src = (
            made
            if isinstance(made, ReportSource)
            else ReportSource.from_items(list(made), title=job.title)
        )
        return dataclasses.replace(src, ground_truth=ground_truth)

    return dataclasses.replace(job, source=source)
