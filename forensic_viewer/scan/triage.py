"""Triage rows: one line per evidence file of a scan, for the batch table and report summaries.

A row holds, per model and for the ensemble, the verdict and score, or "not run" when that
check did not run on the file (a failed file, a model without a result): a missing check is
never shown as a pass. Qt-free; the batch dialog turns rows into table items.

Classic analyses (``engine.analyses``) get one :class:`AnalysisCell` each: pairs found, score,
findings by level, the figure the analysis records to sum its map up (:data:`CELL_FIGURES`:
the noise analysis's off-level share) or else the map's 99th percentile, whichever the analysis
has (a row written before the figure existed shows the percentile); the metadata analysis its
findings alone (:data:`FINDINGS_CELLS`: its map is the thumbnail's difference). A cell changes no
verdict nor ``flagged``: a clone pair or an editor's name in the EXIF is a lead for the analyst,
not a decision (an ensemble that uses an analysis does so in its own, calibrated, verdict).

A scan scored against true masks (``scan --gt``, the batch dialog's "Ground truth") adds two
columns: the file's label (tampered, authentic, or no mask) and how the default verdict stands
against it (:func:`truth_agreement`). They are figures about the models on known material,
never about the evidence, and there are none without ground truth.

The probability spread (the disagreement column) is the spread of the calibrated probabilities of the models that ran on the
file (largest minus smallest; needs two models, else None), or of their image-level scores when
one of them has no calibration (scores flip at each model's own θ, so their spread can be small
across two verdicts and large across one). A spread near 1 means one model's probability is
near 1 and another's near 0, their scores far on opposite sides of their θ (a measurement, not
a certainty): such files deserve a look whatever the ensemble says.
A separate flag, :attr:`TriageRow.verdicts_disagree`, says whether the checks that give a
verdict on the file do not all give the same one: every model that ran, the default verdict
(the ensemble's, which its face rule or the copy pair of an analysis it uses may decide) and
each analysis the ensemble uses that found a copy pair (:data:`DISAGREEMENT_NOTE`).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.decision import MANIPULATED
from engine.ensemble_provenance import COPY_MOVE, decided_by_face
from engine.errors import EvidenceError, ForensicError
from engine.files import read_regular_text
from engine.io import load_evidence
from forensic_viewer.marked_area import MARKED_AREA_MEANING, UNFLAGGED_FILE
from forensic_viewer.probability_source import source_words
from forensic_viewer.scan.links import record_read_from
from forensic_viewer.scan.maps import THUMB_SIDE, read_thumbnail, row_file, thumb_name, thumbnail
from forensic_viewer.scan.records import AnalysisRecord, ModelRecord, ScanRecord, as_record
from forensic_viewer.scan.results import SCAN_INFO, ResultIndex
from forensic_viewer.wording import FLAGGED, verdict_words

RAN = "ran"
NOT_RUN = "not run"

# the ground-truth columns (a scan scored against true masks only)
TRUTH_HEADERS = ("Ground truth", "Default verdict vs truth")
TRUTH_WORDS = {1: "tampered", 0: "authentic"}
NO_MASK = "no mask"  # a file the scoring found no usable mask for (a problem line says why)
AGREES, MISSED, FALSE_ALARM = "agrees", "missed", "false alarm"

# the file cell's mark of a file read through a symbolic link from outside the scanned folder
# (the scan's summary line says how many; its tooltip, where: scan/links.py)
OUTSIDE_MARK = "(read from outside the scanned folder)"
# a file whose bytes changed since an earlier run of the scan analysed it (its row's replaces)
CHANGED_MARK = "(changed since analysed: analysed again)"


def analysis_header(name: str) -> str:
    """A classic analysis's column header in the reports' summary table and the triage table:
    ``ela (analysis)``, but :data:`~engine.ensemble_provenance.COPY_MOVE` for ``clone``, the
    one name readers see for it (walk-through 2026-12-06, finding 13)."""
    return COPY_MOVE if name == "clone" else f"{name} (analysis)"


# The disagreement column's header: what its figure is (walk-through L: "Disagreement 0.00
# (verdicts differ)" said "no disagreement" and "they differ" in one cell)
SPREAD_HEADER = "Probability spread"

# (column id, header) of the triage table; per-model columns come from the row's cells.
COLUMNS = (
    ("thumbnail", ""),
    ("file", "File"),
    ("models", "Verdict and score per model"),
    ("ensemble", "Ensemble"),
    ("forged_fraction", "Marked area"),
    ("faces", "Faces"),
    ("disagreement", SPREAD_HEADER),
    ("warnings", "Warnings"),
    ("status", "Status"),
)

# What the marked-area column gives: its header's tooltip (the reports say it in their note)
MARKED_AREA_NOTE = (
    f"Marked area: {MARKED_AREA_MEANING}, in the default verdict's mask. {UNFLAGGED_FILE}"
)

# What the disagreement column says: the table's tooltip and the report's legend.
DISAGREEMENT_NOTE = (
    f"{SPREAD_HEADER}: the largest minus the smallest of the models' calibrated probabilities "
    "on the file. Without a calibration it uses their scores; '—' with fewer than two models. "
    "Near 1, one model's probability is near 1 and another's near 0: their scores lie far on "
    "opposite sides of their θ. The spread leaves out the default verdict. 'verdicts differ' "
    "or 'verdicts agree' then says whether the checks that give a verdict on the file all give "
    "the same one. These checks are each model that ran, the default verdict (the "
    "ensemble's) and a copy-move analysis the ensemble uses when it found a pair. The default "
    "verdict counts also when its face rule or a copy pair decided it. A pair counts as "
    f"{FLAGGED}; finding none is no vote."
)

# What the warnings column gives: its header's tooltip (each file's warnings in its cell's).
WARNINGS_NOTE = (
    "Warnings: what the decoder said of the file as it read it (a name that is not its "
    "format, frames left out, colours converted, bytes after the image's end); each one in "
    "the cell's tooltip, and in results.csv's warnings column"
)


@dataclass(frozen=True)
class CellFigure:
    """A figure an analysis records in its ``extras`` that sums its map up for the triage cell
    (and its sort) better than the map's 99th percentile."""

    key: str  # in the analysis's extras; a share in [0, 1], or None when it has none
    words: str  # the cell: "<percent> % <words>"
    missing: str  # the cell when the analysis recorded None
    meaning: str  # the column's tooltip and the report's legend


CELL_FIGURES = {
    "noise": CellFigure(
        "off_level_share",
        "off-level noise",
        "no typical noise level",
        "noise: the share of the image whose local noise level (robust σ of 32-px blocks) is "
        "over twice or under half the image's median σ. A pasted, smoothed or noise-added "
        "region raises it, and so do fine texture and flat, dark or saturated areas: on "
        "authentic photographs it ranges from 0 to 58 % (docs/ANALYSES.md). 'no typical noise "
        "level': the median σ is under 0.1 grey levels (compressed away)",
    ),
}
P99_NOTE = "p99: the 99th percentile of the map, on its scale (raw, probability or region)"

# analyses whose cell gives their findings alone, never their map's percentile: the metadata
# analysis's map is where the image differs from its EXIF thumbnail, which only files with a
# thumbnail have, so "p99 0.04 raw" beside "nothing found" said nothing at triage
FINDINGS_CELLS = {
    "metadata": "metadata: its strong findings and notices (information rows not counted), "
    "else 'nothing found'; its map (the image against its thumbnail) is in the file's section",
}


def pairs_words(pairs: int) -> str:
    """``"no pair"``, ``"1 pair"``, ``"2 pairs"``: what copy-move detection found."""
    return "no pair" if pairs == 0 else f"{pairs} pair{'s' if pairs != 1 else ''}"


def analysis_note(name: str) -> str:
    """What an analysis's triage cell gives when it has no pairs, score or findings."""
    if name in FINDINGS_CELLS:
        return FINDINGS_CELLS[name]
    figure = CELL_FIGURES.get(name)
    return f"{name}: {P99_NOTE}" if figure is None else figure.meaning


@dataclass(frozen=True)
class Cell:
    """One model's (or the ensemble's) findings on one file, or the fact that it did not run."""

    name: str
    status: str  # RAN or NOT_RUN
    score: float | None = None
    verdict: str | None = None
    forged_fraction: float | None = None
    threshold: float | None = None
    probability: float | None = None  # calibrated (issue 17); None: the model has none
    out_of_range: bool = False  # the verdict is outside the measured range (wording.range_words)
    # where the probability came from when it is a face's, not the image's (probability_source)
    source: str | None = None

    @property
    def text(self) -> str:
        """``"flagged as manipulated, p 0.93"`` (calibrated probability), ``"not flagged, score
        0.12"`` (score of an uncalibrated model) or ``"not run"``; ``"flagged as manipulated
        (outside the measured range), p 0.74"`` for a verdict on an image smaller than any it
        was measured on (:func:`~forensic_viewer.wording.verdict_words`)."""
        if self.status != RAN or self.score is None:
            return NOT_RUN
        score = self.score if self.probability is None else None
        # θ is on the probability's scale only where p is the score (the stacked ensemble)
        same = self.probability is not None and math.isclose(
            self.probability, self.score, rel_tol=0.0, abs_tol=1e-9
        )
        words = verdict_words(
            self.verdict,
            self.probability,
            score,
            out_of_range=self.out_of_range,
            threshold=self.threshold if same and self.source is None else None,
        )
        return words if self.source is None else f"{words} ({self.source})"


@dataclass(frozen=True)
class AnalysisCell:
    """One classic analysis's findings on one file, or the fact that it did not run.

    sort: a number that orders files by how much the analysis found (within its column: the
        score and pairs, else strong findings before notices, else its figure
        (:data:`CELL_FIGURES`) or the map's 99th percentile, except for the analyses of
        :data:`FINDINGS_CELLS`; -1 when it did not run).
    figure: the analysis's figure when the row holds it (None: a row of another analysis, or
        written before the figure existed); value: its value (None: the analysis had none).
    """

    name: str
    status: str  # RAN or NOT_RUN
    score: float | None = None
    pairs: int | None = None  # None: no copy-move detection ran (another analysis, or none)
    strong: int = 0
    notices: int = 0
    p99: float | None = None
    scale: str | None = None  # the map's scale: probability, raw or region
    warnings: tuple[str, ...] = ()
    figure: CellFigure | None = None
    value: float | None = None

    @property
    def text(self) -> str:
        """E.g. ``"2 pairs"``, ``"no pair"`` (copy-move detection ran and found none: its score
        0, which read "score 0.00"), ``"score 0.40"``, ``"1 strong · 2 notices"`` (the findings
        of any analysis), ``"23 % off-level noise"``, ``"p99 0.41 raw"``."""
        if self.status != RAN:
            return NOT_RUN
        parts = []
        if self.pairs is not None:
            parts.append(pairs_words(self.pairs))
        elif self.score is not None:
            parts.append(f"score {self.score:.2f}")
        if self.strong:
            parts.append(f"{self.strong} strong")
        if self.notices:
            parts.append(f"{self.notices} notice{'s' if self.notices != 1 else ''}")
        if not parts and self.figure is not None:
            f = self.figure
            parts.append(f.missing if self.value is None else f"{100 * self.value:.0f} % {f.words}")
        elif not parts and self.p99 is not None and self.name not in FINDINGS_CELLS:
            parts.append(f"p99 {self.p99:.2f} {self.scale}")
        return " · ".join(parts) or "nothing found"

    @property
    def sort(self) -> float:
        if self.status != RAN:
            return -1.0
        if self.score is not None:
            return self.score + (self.pairs or 0)
        if self.strong or self.notices:
            return 10.0 * self.strong + self.notices
        if self.figure is not None:
            return -0.5 if self.value is None else self.value
        return -0.5 if self.p99 is None or self.name in FINDINGS_CELLS else self.p99

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "score": self.score,
            "pairs": self.pairs,
            "strong_findings": self.strong,
            "notices": self.notices,
            "map_p99": self.p99,
            **({} if self.figure is None else {self.figure.key: self.value}),
            "text": self.text,
        }


def analysis_cell(name: str, a: AnalysisRecord | None) -> AnalysisCell:
    if a is None:
        return AnalysisCell(name, NOT_RUN)
    figure = CELL_FIGURES.get(name)
    if figure is not None and figure.key not in a.extras:
        figure = None  # a row written before the analysis recorded it: the percentile
    value = None if figure is None else a.extras[figure.key]
    return AnalysisCell(
        name,
        RAN,
        score=a.score,
        pairs=a.pairs_found,
        strong=sum(f.level == "strong" for f in a.findings),
        notices=sum(f.level == "notice" for f in a.findings),
        p99=None if a.map is None else a.map.p99,
        scale=None if a.map is None else str(a.map.meaning.scale),
        warnings=a.warnings,
        figure=figure,
        value=float(value) if isinstance(value, int | float) else None,
    )


@dataclass(frozen=True)
class TriageRow:
    """One evidence file of a scan.

    forged_fraction: the ensemble's when it ran, else the largest of the models that ran.
    faces: number of faces found; None when face detection did not run (or was not recorded).
    disagreement: spread of the calibrated probabilities (of the scores when a model has none)
        of the models that ran (None with fewer than two).
    thumbnail: path of the thumbnail relative to the scan output folder, when one was made;
        thumbnail_sha256: the SHA-256 its row recorded of its bytes (None: not recorded).
    analyses: one cell per classic analysis of the scan (those that did not run included).
    verdicts: (check, verdict) of each check that gave a verdict on the file
        (:func:`verdict_votes`); verdicts_disagree: whether they are not all the same.
    read_from: where a folder scan read the file when a symbolic link took it outside the
        scanned folder (:func:`~forensic_viewer.scan.links.read_from_outside`), else None.
    warnings: what the decoder said of the file (:data:`WARNINGS_NOTE`); () for none.
    replaces: the SHA-256 of an earlier run's row of the file when its bytes changed since
        (the row's ``replaces``: analysed again), else None.
    """

    key: str
    file: str | None
    status: str
    error: str | None
    sha256: str | None
    cells: tuple[Cell, ...]
    ensemble: Cell | None
    forged_fraction: float | None
    faces: int | None
    disagreement: float | None
    verdicts_disagree: bool
    thumbnail: str | None
    analyses: tuple[AnalysisCell, ...] = ()
    verdicts: tuple[tuple[str, str], ...] = ()
    thumbnail_sha256: str | None = None
    read_from: str | None = None
    warnings: tuple[str, ...] = ()
    replaces: str | None = None

    @property
    def warnings_text(self) -> str:
        """The warnings cell: ``"2 warnings"``, "" for none (each in its tooltip)."""
        n = len(self.warnings)
        return f"{n} warning{'' if n == 1 else 's'}" if n else ""

    @property
    def file_text(self) -> str:
        """The file cell: the key, :data:`OUTSIDE_MARK` when it was read from outside the
        scanned folder, :data:`CHANGED_MARK` when its bytes changed since an earlier run."""
        marks = [
            m for m, on in ((OUTSIDE_MARK, self.read_from), (CHANGED_MARK, self.replaces)) if on
        ]
        return " ".join([self.key, *marks])

    @property
    def disagreement_text(self) -> str:
        """The disagreement cell: the spread, then in words of their own whether the checks'
        verdicts differ or agree (two checks or more; :data:`DISAGREEMENT_NOTE`)."""
        spread = "—" if self.disagreement is None else f"{self.disagreement:.2f}"
        if self.verdicts_disagree:
            return f"{spread}; verdicts differ"
        return f"{spread}; verdicts agree" if len(self.verdicts) > 1 else spread

    @property
    def verdicts_text(self) -> str:
        """Who said what, one check a line (the disagreement cell's tooltip)."""
        return "\n".join(f"{check}: {verdict_words(verdict)}" for check, verdict in self.verdicts)

    @property
    def flagged(self) -> bool:
        """The default verdict: the ensemble's when it ran; without one, whether any model
        that ran found a manipulation (one model: its verdict)."""
        if self.ensemble is not None and self.ensemble.status == RAN:
            return self.ensemble.verdict == MANIPULATED
        return self.flagged_by_any

    @property
    def flagged_by_any(self) -> bool:
        """Whether any check that ran (a model or the ensemble) found a manipulation."""
        cells = [*self.cells, *([self.ensemble] if self.ensemble else [])]
        return any(c.status == RAN and c.verdict == MANIPULATED for c in cells)

    @property
    def flagged_out_of_range(self) -> bool:
        """Whether the default verdict (:attr:`flagged`) flags the file only by verdicts
        outside the measured range: the ensemble's, or without one every model's that flags it
        (a 5x5 image). Nothing measured such a flag, so the report counts it apart."""
        if self.ensemble is not None and self.ensemble.status == RAN:
            return self.flagged and self.ensemble.out_of_range
        flags = [c for c in self.cells if c.status == RAN and c.verdict == MANIPULATED]
        return bool(flags) and all(c.out_of_range for c in flags)

    def cell(self, name: str) -> Cell | None:
        for c in self.cells:
            if c.name == name:
                return c
        return None

    def analysis(self, name: str) -> AnalysisCell | None:
        return next((a for a in self.analyses if a.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        def cell(c: Cell) -> dict[str, Any]:
            return {
                "status": c.status,
                "score": c.score,
                "verdict": c.verdict,
                "forged_fraction": c.forged_fraction,
                "threshold": c.threshold,
                "probability": c.probability,
                "out_of_range": c.out_of_range,
            }

        return {
            "path": self.key,
            "file": self.file,
            "status": self.status,
            "error": self.error,
            "sha256": self.sha256,
            "ensemble": None  # the default verdict, before the members
            if self.ensemble is None
            else {"name": self.ensemble.name, **cell(self.ensemble)},
            "models": {c.name: cell(c) for c in self.cells},
            "forged_fraction": self.forged_fraction,
            "faces": self.faces,
            "disagreement": self.disagreement,
            "verdicts_disagree": self.verdicts_disagree,
            "verdicts": dict(self.verdicts),
            "flagged": self.flagged,
            "flagged_by_any": self.flagged_by_any,
            "analyses": {a.name: a.to_dict() for a in self.analyses},
        }


def truth_agreement(row: TriageRow, label: int | None) -> str | None:
    """How the default verdict (:attr:`TriageRow.flagged`) stands against the true ``label``
    (1 tampered, 0 authentic): :data:`AGREES`, :data:`MISSED` (tampered, not flagged) or
    :data:`FALSE_ALARM` (authentic, flagged); None without a label or when no check ran on the
    file (no verdict to compare: a failed file is not "authentic")."""
    if label is None or row.status != "ok":
        return None
    checks = [*row.cells, *([row.ensemble] if row.ensemble else [])]
    if not any(c.status == RAN for c in checks):
        return None
    if row.flagged == bool(label):
        return AGREES
    return MISSED if label else FALSE_ALARM


def truth_texts(row: TriageRow, labels: Mapping[str, int]) -> tuple[str, str]:
    """The two ground-truth cells of ``row`` (:data:`TRUTH_HEADERS`) given the scan's labels."""
    label = labels.get(row.key)
    words = NO_MASK if label is None else TRUTH_WORDS[label]
    return words, truth_agreement(row, label) or "—"


def verdict_votes(rec: ScanRecord, cells: Sequence[Cell]) -> tuple[tuple[str, str], ...]:
    """The verdicts given on the file of ``rec``: each model that ran (``cells``), the default
    verdict (the ensemble's; named "decided by its face rule" when a face model's verdict
    decided it) and each analysis the ensemble uses that found a copy pair ("manipulated":
    finding none is no vote, a splice has no copy)."""
    votes = [(c.name, str(c.verdict)) for c in cells if c.status == RAN]
    ens = rec.ensemble
    if ens is None:
        return tuple(votes)
    fig = ens.figures
    face = fig is not None and decided_by_face(fig.threshold_provenance)
    by = ", decided by its face rule" if face else ""
    votes.append((f"default verdict ({ens.name}{by})", ens.verdict))
    used = [] if fig is None else list(fig.input_policy.get("analyses") or [])
    for a in rec.analyses:
        if a.name in used and a.pairs_found:
            pairs = f"{a.pairs_found} copy pair{'s' if a.pairs_found != 1 else ''}"
            votes.append((f"{a.name} analysis ({pairs}, used by {ens.name})", MANIPULATED))
    return tuple(votes)


def _cell(name: str, m: ModelRecord | None) -> Cell:
    if m is None:
        return Cell(name, NOT_RUN)
    return Cell(
        name,
        RAN,
        score=float(m.score),
        verdict=m.verdict,
        forged_fraction=float(m.forged_fraction),
        threshold=float(m.threshold),
        probability=None if m.figures is None else m.figures.probability,
        out_of_range=m.figures is not None and bool(m.figures.out_of_range),
    )


def triage_row(
    record: ScanRecord | Mapping[str, Any],
    models: Sequence[str] | None = None,
    ensemble: str | None = None,
    analyses: Sequence[str] | None = None,
) -> TriageRow:
    """The triage row of one scan ``record`` (typed, or a results.jsonl row as written).

    models: every model the scan ran, in column order (from scan.json; default: the record's
        own), so that a model with no result on this file shows as "not run".
    ensemble: the ensemble the scan was configured with, if any (shown "not run" when absent).
    analyses: every classic analysis the scan ran, in column order (default: the record's own).
    Raises :class:`~forensic_viewer.scan.records.RecordError` for a row that is not a record.
    """
    rec = as_record(record)
    found = {m.name: m for m in rec.models}
    names = list(models) if models is not None else list(found)
    names += [n for n in found if n not in names]
    cells = tuple(_cell(n, found.get(n)) for n in names)
    ran_analyses = {a.name: a for a in rec.analyses}
    classic = list(analyses) if analyses is not None else list(ran_analyses)
    classic += [n for n in ran_analyses if n not in classic]
    ens_name = rec.ensemble.name if rec.ensemble is not None else ensemble
    ens = None if ens_name is None else _cell(ens_name, rec.ensemble)
    if ens is not None and rec.ensemble is not None and rec.ensemble.figures is not None:
        f = rec.ensemble.figures
        faces = [face.face_scores for face in rec.faces]
        source = source_words(
            f.probability, f.threshold_provenance, f.contributions, faces, set(found)
        )
        ens = dataclasses.replace(ens, source=source)
    votes = verdict_votes(rec, cells)
    ran = [c for c in cells if c.status == RAN]
    scores = [c.score for c in ran if c.score is not None]
    if ran and all(c.probability is not None for c in ran):  # one scale for every model
        scores = [c.probability for c in ran if c.probability is not None]
    spread = float(max(scores) - min(scores)) if len(scores) >= 2 else None
    if ens is not None and ens.status == RAN:
        fraction = ens.forged_fraction
    else:
        fracs = [c.forged_fraction for c in ran if c.forged_fraction is not None]
        fraction = max(fracs) if fracs else None
    return TriageRow(
        key=rec.path,
        file=rec.file,
        status=rec.status,
        error=rec.error,
        sha256=rec.sha256,
        cells=cells,
        ensemble=ens,
        forged_fraction=fraction,
        faces=len(rec.faces) if rec.faces_checked else None,
        disagreement=spread,
        verdicts_disagree=len({v for _, v in votes}) > 1,
        thumbnail=rec.thumbnail,
        thumbnail_sha256=rec.files_sha256.get(rec.thumbnail or ""),
        analyses=tuple(analysis_cell(n, ran_analyses.get(n)) for n in classic),
        verdicts=votes,
        read_from=record_read_from(rec),
        warnings=tuple(getattr(rec, "warnings", ())),  # an error row has none
        replaces=rec.replaces,
    )


def scan_info(out: Path) -> dict[str, Any]:
    """The scan.json of an output folder ({} when absent or unreadable)."""
    try:
        return json.loads(read_regular_text(out / SCAN_INFO))
    except (OSError, ValueError):
        return {}


def triage_rows(out: Path, keys: Iterable[str] | None = None) -> Iterator[TriageRow]:
    """Rows of a scan output folder, one record read at a time (default: every file)."""
    info = scan_info(out)
    models = list(info.get("models") or {}) or None
    index = ResultIndex(out)
    if not len(index):
        return
    for rec in index.iter_records(keys):
        yield triage_row(rec, models, info.get("ensemble"), list(info.get("analyses") or {}))


def load_thumbnail(
    out: Path, row: TriageRow, *, max_side: int = THUMB_SIDE, from_evidence: bool = True
) -> NDArray[np.uint8] | None:
    """Thumbnail [h, w, 3] uint8 RGB of a row: the one the scan wrote, else (when
    ``from_evidence``) decoded again from the evidence file when its bytes still hash to the
    row's SHA-256 (a file changed since would show pixels the row's figures are not of);
    None when neither works, and for an error row: it has none, and ``thumbs/<key>.jpg`` is
    then an earlier row's, of other bytes (left by a scan killed before removing it). A
    thumbnail file whose bytes are not those its row recorded is not shown (its one line is
    logged). Rows of early versions name no thumbnail: theirs is read under its usual name."""
    if row.status != "ok":
        return None
    path = row_file(out, row.thumbnail or thumb_name(row.key), row.key)
    img = None if path is None else read_thumbnail(path, max_side, row.thumbnail_sha256)
    if img is not None:  # None: missing, unreadable (a pipe named like it), not the row's bytes
        return img
    if from_evidence and row.file:
        try:
            ev = load_evidence(row.file)
        except (EvidenceError, ForensicError, MemoryError):
            return None
        return thumbnail(ev.pixels, max_side) if ev.sha256 == row.sha256 else None
    return None
