"""The report's data: what was examined, what ran on it, what it found, and with what.

A :class:`ReportItem` is one evidence file, built from an in-memory
:class:`~engine.types.Analysis` (the viewer: one image, full-precision heatmaps, the decoded
pixels at hand) or from a scan output folder (a results.jsonl record and its 8-bit heatmap
files, the evidence decoded again at export). Writers (HTML, PDF, JSON) read only these objects.

Honesty rules encoded here rather than in each writer:

- a model, the ensemble or face detection that did not run on a file is a :data:`NOT_RUN`
  entry with the reason, never an empty result that could read as a pass;
- the SHA-256 recorded at load is compared with the file's bytes at export
  (:func:`verify_integrity`, read-only); every outcome other than a match is an alert;
- model-card figures are taken from a checkpoint file only when its SHA-256 is the one the
  analysis used;
- a classic analysis (:class:`AnalysisEntry`) says what its map means in its own words: raw
  values and regions are never called a probability of manipulation;
- every mask is drawn at its model's own pixel threshold and says whether a calibration chose it
  (:mod:`forensic_viewer.threshold_words`); when the viewer's
  threshold slider showed another, the item says which (:func:`with_viewer_thresholds`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from engine.ensemble_provenance import heatmap_replaced_by
from engine.errors import EvidenceError, ForensicError
from engine.formatting import time_text
from engine.io import load_evidence
from engine.types import Analysis, ModelResult
from forensic_viewer.audit import AuditStamp
from forensic_viewer.environment import environment
from forensic_viewer.probability_source import source_fields, source_words
from forensic_viewer.report.cards import CardCache, ModelCard
from forensic_viewer.report.integrity import Integrity, verify_integrity
from forensic_viewer.scan.gone import GoneFile
from forensic_viewer.scan.groundtruth import read_scan_truth
from forensic_viewer.scan.integrity import RESULTS_EDITED
from forensic_viewer.scan.links import error_naming_file, record_read_from
from forensic_viewer.scan.maps import read_map_file, row_file
from forensic_viewer.scan.probe import read_scan_probe
from forensic_viewer.scan.records import (
    SUMMARY_FIELDS,
    AnalysisRecord,
    ErrorRecord,
    FaceRecord,
    FileRecord,
    ModelRecord,
    ScanRecord,
)
from forensic_viewer.scan.results import ResultIndex
from forensic_viewer.scan.settings import run_as_found
from forensic_viewer.scan.triage import NOT_RUN, RAN, TriageRow, scan_info, triage_row
from forensic_viewer.scan.walk import listing_order
from forensic_viewer.threshold_words import mask_source_words, moved_threshold_words
from forensic_viewer.wording import evidence_files_words

HEATMAP_FULL = "float32 at full resolution (in memory)"
# the map is not the image's probability (wording.HEATMAP_MEANING says so beside the legend)
HEATMAP_8BIT = "8-bit map file (value = round(255 x heatmap value, 0 to 1))"
REGIONS_8BIT = "8-bit map file of the copy-move regions (value 255 inside, 0 outside)"
FACE_MODEL = "face model"  # the role of a checkpoint of scope "faces" in a report's models


@dataclass
class CaseInfo:
    """Case fields typed by the examiner; printed on the first page of every report."""

    examiner: str = ""
    case_id: str = ""
    notes: str = ""
    audit: AuditStamp | None = None  # the case audit log's head when the report was written

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "examiner": self.examiner,
            "case_id": self.case_id,
            "notes": self.notes,
        }
        if self.audit is not None:
            d["audit_log"] = self.audit.to_dict()
        return d


@dataclass
class ModelEntry:
    """One model's (or the ensemble's) part in one item.

    status: :data:`RAN` or :data:`NOT_RUN`; ``note`` says why it did not run.
    figures: every field of :class:`~engine.types.ModelResult` but the arrays (RAN only).
    heatmap / heatmap_file: the heatmap in memory (viewer) or its 8-bit file (scan);
        heatmap_sha256: what the scan's row recorded of the file's bytes (None: nothing).
    viewer_threshold: the threshold the viewer's slider showed this mask at when the report
        was written, when not the calibrated ``figures["pixel_threshold"]`` the report draws.
    """

    name: str
    role: Literal["model", "ensemble"]
    status: str
    note: str = ""
    figures: dict[str, Any] = field(default_factory=dict)
    card: ModelCard | None = None
    heatmap: NDArray[np.float32] | None = field(default=None, repr=False)
    heatmap_file: Path | None = None
    viewer_threshold: float | None = None
    heatmap_sha256: str | None = None

    @property
    def ran(self) -> bool:
        return self.status == RAN

    @property
    def mask_threshold(self) -> dict[str, Any] | None:
        """The threshold the report's mask is drawn at, where it comes from, and the viewer's
        slider when it showed another (None: no mask, the check did not run)."""
        if not self.ran or self.figures.get("pixel_threshold") is None:
            return None
        return {
            "value": self.figures["pixel_threshold"],
            "source": mask_source_words(self.role, self.threshold_calibrated),
            "viewer_slider": self.viewer_threshold,
        }

    @property
    def threshold_calibrated(self) -> bool | None:
        """Whether its checkpoint records the pixel threshold as chosen on validation data:
        as its result records it, else (a row from before) as the checkpoint's header does."""
        said = self.figures.get("pixel_threshold_calibrated")
        return (
            said if said is not None or self.card is None else self.card.pixel_threshold_calibrated
        )

    @property
    def heatmap_precision(self) -> str:
        provenance = str(self.figures.get("threshold_provenance", ""))  # copy-move regions?
        eight = REGIONS_8BIT if heatmap_replaced_by(provenance) else HEATMAP_8BIT
        return HEATMAP_FULL if self.heatmap is not None else eight

    def load_heatmap(self) -> NDArray[np.float32] | None:
        """[H, W] float32 in [0, 1], from memory or from the 8-bit map file (None: no file;
        :class:`ForensicError` naming it when it cannot be read, see :func:`read_map_file`)."""
        if self.heatmap is not None:
            return self.heatmap
        return read_map_file(self.heatmap_file, self.heatmap_sha256)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "status": self.status,
            "note": self.note,
            "figures": self.figures,
            "mask_threshold": self.mask_threshold,
            "model_card": None if self.card is None else self.card.to_dict(),
            "heatmap_source": self.heatmap_precision if self.ran else None,
        }


@dataclass
class AnalysisEntry:
    """One classic analysis's part in one item.

    status: :data:`RAN` or :data:`NOT_RUN` (``note`` says why).
    record: its figures, pairs and findings (RAN only).
    map / map_file: its map in memory (viewer) or its 8-bit file (scan); None without a map;
        map_sha256: what the scan's row recorded of the file's bytes (None: nothing).
    display: its picture for the eye (the viewer's picture layer), in memory only: a scan
        does not keep it.
    """

    name: str
    status: str
    note: str = ""
    record: AnalysisRecord | None = None
    map: NDArray[np.float32] | None = field(default=None, repr=False)
    map_file: Path | None = None
    map_sha256: str | None = None
    display: NDArray[np.uint8] | None = field(default=None, repr=False)  # in memory (viewer)

    @property
    def ran(self) -> bool:
        return self.status == RAN and self.record is not None

    @property
    def map_precision(self) -> str:
        return (
            "float32 at full resolution (in memory)" if self.map is not None else "8-bit map file"
        )

    def load_map(self) -> NDArray[np.float32] | None:
        """[H, W] float32 in [0, 1], from memory or from the 8-bit map file (None: no map;
        :class:`ForensicError` naming the file when it cannot be read or is not the row's)."""
        if self.map is not None:
            return self.map
        return read_map_file(self.map_file, self.map_sha256)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "note": self.note,
            "record": None if self.record is None else self.record.to_json(),
            "map_source": self.map_precision if self.ran and self.record.map else None,  # type: ignore[union-attr]
        }


def _analysis_entries(
    found: Sequence[AnalysisRecord],
    asked: Sequence[str],
    why: str,
    out: Path | None,
    hashes: Mapping[str, str] | None = None,
    key: str = "",
) -> list[AnalysisEntry]:
    """One entry per analysis asked for (not run: ``why``) and per one found besides; a map
    the row of ``key`` names outside ``out`` is taken as missing (:func:`row_file`)."""
    by_name = {a.name: a for a in found}
    entries = []
    for name in [*asked, *(n for n in by_name if n not in asked)]:
        a = by_name.get(name)
        if a is None:
            entries.append(AnalysisEntry(name, NOT_RUN, note=why))
            continue
        named = None if out is None or a.map is None else a.map.file
        sha = (hashes or {}).get(named or "")
        file = None if out is None or not named else row_file(out, named, key)
        entries.append(AnalysisEntry(name, RAN, record=a, map_file=file, map_sha256=sha))
    return entries


@dataclass
class ReportItem:
    """One evidence file in a report.

    key: its name in the report (path relative to the scanned folder, or the file name).
    file: the evidence path as analysed (absolute).
    evidence: every fact of :class:`~engine.types.Evidence` but the pixels (may be partial for
        a file that failed to load).
    faces_checked: whether face detection ran (None: not recorded).
    record: the scan record this item shows (for a viewer analysis, the record a scan would
        have written, without map files); its triage row is made from it. An item built by
        hand without one gets a record made from its own fields.
    pixels: the analysed pixels when in memory (viewer); a scan decodes the file at export.
    integrity: set by :func:`verify_integrity` when the report is written.
    probe: the robustness probe's table when one was run for this file (``probe.json``'s
        content, :func:`forensic_viewer.scan.probe.write_probe`), else None.
    duplicate_of: the key of the scan's file whose bytes this one's are (the same SHA-256;
        :meth:`~forensic_viewer.scan.results.ResultIndex.duplicates`), else None.
    read_from: where a folder scan read the file when a symbolic link took it outside the
        scanned folder (:func:`~forensic_viewer.scan.links.read_from_outside`), else None.
    """

    key: str
    file: str | None
    status: str
    error: str | None
    sha256: str | None
    evidence: dict[str, Any]
    models: list[ModelEntry]
    ensemble: ModelEntry | None = None
    faces: list[dict[str, Any]] = field(default_factory=list)
    faces_checked: bool | None = None
    seconds: float | None = None
    pixels: NDArray[np.uint8] | None = field(default=None, repr=False)
    thumbnail_file: Path | None = None
    integrity: Integrity | None = None
    notes: list[str] = field(default_factory=list)
    record: ScanRecord | None = field(default=None, repr=False)
    analyses: list[AnalysisEntry] = field(default_factory=list)
    probe: dict[str, Any] | None = None
    face_maps: list[ModelEntry] = field(default_factory=list)  # each model's face map
    duplicate_of: str | None = None
    read_from: str | None = None
    thumbnail_sha256: str | None = None  # what the row recorded of the thumbnail file's bytes

    def entries(self) -> list[ModelEntry]:
        """The ensemble's entry (the default verdict) first, then the members'."""
        return [*([self.ensemble] if self.ensemble is not None else []), *self.models]

    def probability_source(self, e: ModelEntry, fields: bool = False) -> Any:
        """Where ``e``'s probability came from when it is a flagged face's, not the image's
        (the default verdict under the face rule: :mod:`forensic_viewer.probability_source`):
        its words, or None; ``fields``: report.json's ``probability_source``
        (:func:`~forensic_viewer.probability_source.source_fields`), None too for a member."""
        if e.role != "ensemble" or not e.ran:
            return None
        f = e.figures
        return (source_fields if fields else source_words)(
            f.get("probability"),
            str(f.get("threshold_provenance") or ""),
            f.get("contributions"),
            [face.get("face_scores") or {} for face in self.faces],
            {m.name for m in self.models},
        )

    def triage(self) -> TriageRow:
        """The item's triage row: its record, with every model and the ensemble asked for (a
        check that did not run shows as such) and the evidence path the report uses."""
        record = self.record if self.record is not None else self._own_record()
        return triage_row(
            dataclasses.replace(record, file=self.file),
            [m.name for m in self.models],
            None if self.ensemble is None else self.ensemble.name,
            [a.name for a in self.analyses],
        )

    def _own_record(self) -> ScanRecord:
        """A record from this item's fields (items built by hand carry none)."""
        if self.status != "ok":
            return ErrorRecord(self.key, self.error or "", file=self.file, sha256=self.sha256)

        def summary(e: ModelEntry) -> ModelRecord | None:
            if not e.ran or any(e.figures.get(k) is None for k in SUMMARY_FIELDS):
                return None
            return ModelRecord(e.name, *(e.figures[k] for k in SUMMARY_FIELDS))

        found = [m for m in map(summary, self.models) if m is not None]
        return FileRecord(
            path=self.key,
            sha256=self.sha256 or "",
            width=int(self.evidence.get("width") or 0),
            height=int(self.evidence.get("height") or 0),
            models=tuple(found),
            ensemble=None if self.ensemble is None else summary(self.ensemble),
            faces=tuple(FaceRecord.from_json(f, f"faces[{i}]") for i, f in enumerate(self.faces)),
            faces_checked=self.faces_checked,
            analyses=tuple(a.record for a in self.analyses if a.record is not None),
        )

    def load_pixels(self) -> tuple[NDArray[np.uint8] | None, str]:
        """The analysed pixels and a note: from memory, or decoded again from the evidence
        file when its bytes still hash to the recorded SHA-256 (else None and why)."""
        if self.pixels is not None:
            return self.pixels, ""
        if self.status != "ok" or not self.file:
            return None, "the evidence was not decoded"
        if self.integrity is not None and not self.integrity.ok:
            return None, "the evidence is not shown: " + self.integrity.message
        try:
            ev = load_evidence(self.file)
        except (EvidenceError, ForensicError) as e:
            return None, f"the evidence cannot be decoded at export: {e}"
        except MemoryError:
            return None, f"{self.file}: out of memory while decoding at export"
        if ev.sha256 != self.sha256:
            # changed between the check and this read: flag it like any other mismatch
            self.integrity = verify_integrity(self.file, self.sha256)
            if self.integrity.ok:
                self.integrity = Integrity(
                    "mismatch",
                    self.sha256,
                    ev.sha256,
                    time_text(),
                    f"{self.file}: THE EVIDENCE FILE CHANGED during the export",
                )
            return None, "the evidence is not shown: " + self.integrity.message
        return ev.pixels, ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.key,
            "file": self.file,
            "status": self.status,
            "error": self.error,
            "sha256_at_load": self.sha256,
            **({"duplicate_of": self.duplicate_of} if self.duplicate_of else {}),
            **({"read_from_outside_folder": self.read_from} if self.read_from else {}),
            **({"replaces": {"sha256": r.replaces}} if (r := self.record) and r.replaces else {}),
            # the identity of the scan's run that made the row (several runs: which one)
            **({"run": run} if (run := getattr(self.record, "run", None)) else {}),
            "integrity": None if self.integrity is None else self.integrity.to_dict(),
            "evidence": self.evidence,
            "ensemble": None if (e := self.ensemble) is None else self._ensemble_dict(e),
            "models": [e.to_dict() for e in self.models],
            "face_detection": {True: RAN, False: NOT_RUN, None: "not recorded"}[self.faces_checked],
            "faces": self.faces,
            "seconds": self.seconds,
            "notes": self.notes,
            "analyses": {a.name: a.to_dict() for a in self.analyses},
            **({"probe": self.probe} if self.probe is not None else {}),
        }

    def _ensemble_dict(self, e: ModelEntry) -> dict[str, Any]:
        """The default verdict's entry of report.json, with whose probability it is beside
        its bare ``probability`` (:meth:`probability_source`; null when it has none)."""
        return {**e.to_dict(), "probability_source": self.probability_source(e, fields=True)}


def with_viewer_thresholds(item: ReportItem, thresholds: Mapping[str, float]) -> ReportItem:
    """``item`` with the thresholds the viewer's sliders showed its masks at (by model name,
    those not at their calibrated one): each entry keeps its calibrated mask and records the
    slider's, and the item's notes say so in one sentence."""
    moved: dict[str, tuple[float, float]] = {}
    stored = {e.name for e in item.entries() if e.role != "ensemble" and not e.threshold_calibrated}
    entries = []
    for e in item.entries():
        t, pt = thresholds.get(e.name), e.figures.get("pixel_threshold")
        if e.ran and t is not None and pt is not None and t != pt:
            e = dataclasses.replace(e, viewer_threshold=t)
            moved[e.name] = (t, float(pt))
        entries.append(e)
    if not moved:
        return item
    ens = entries.pop(0) if item.ensemble is not None else None
    return dataclasses.replace(
        item,
        ensemble=ens,
        models=entries,
        notes=[*item.notes, moved_threshold_words(moved, stored)],
    )


def _entry_from_result(
    r: ModelResult, role: Literal["model", "ensemble"], cards: CardCache
) -> ModelEntry:
    figures = r.to_dict()
    card = None if role == "ensemble" else cards.get(r.name, r.checkpoint, r.checkpoint_sha256)
    return ModelEntry(r.name, role, RAN, figures=figures, card=card, heatmap=r.heatmap)


def item_from_analysis(
    analysis: Analysis,
    *,
    key: str | None = None,
    cards: Mapping[str, ModelCard] | None = None,
    faces_checked: bool | None = None,
    not_run: Mapping[str, str] | None = None,
    probe: dict[str, Any] | None = None,
) -> ReportItem:
    """The report item of an analysis done in this process (the viewer's single image).

    cards: model cards by model name (see :func:`cards_from_analyzer`); models without one get
        theirs from the checkpoint file when its SHA-256 still matches.
    faces_checked: whether face detection was part of the analysis.
    not_run: models (by name) that were asked for but did not run, with the reason: they are
        listed as not run instead of being left out.
    probe: the robustness probe's table of this file (``probe.json``'s content), if one ran.
    """
    ev = analysis.evidence
    key = key or Path(ev.path).name
    cache = CardCache(cards)
    models = [_entry_from_result(r, "model", cache) for r in analysis.results.values()]
    for name, why in (not_run or {}).items():
        if name not in analysis.results:
            models.append(ModelEntry(name, "model", NOT_RUN, note=why))
    ens = None
    if analysis.ensemble is not None:
        ens = _entry_from_result(analysis.ensemble, "ensemble", cache)
    record = FileRecord.from_analysis(key, analysis, faces_checked=faces_checked, heatmaps=False)
    analyses = _analysis_entries(record.analyses, [], "", None)
    for a in analyses:
        a.map = analysis.analyses[a.name].map
        a.display = analysis.analyses[a.name].display
    return ReportItem(
        key=key,
        file=os.path.abspath(ev.path),
        status="ok",
        error=None,
        sha256=ev.sha256,
        evidence=ev.to_dict(),
        models=models,
        record=record,
        ensemble=ens,
        faces=[f.to_dict() for f in analysis.faces],
        faces_checked=faces_checked,
        seconds=analysis.seconds,
        pixels=ev.pixels,
        analyses=analyses,
        probe=probe,
        face_maps=[ModelEntry(n, "model", RAN, heatmap=m) for n, m in analysis.face_maps.items()],
    )


def item_from_record(
    record: ScanRecord,
    out: Path,
    models: Sequence[str],
    ensemble: str | None,
    cards: CardCache,
    source: str | None = None,
    analyses: Sequence[str] = (),
) -> ReportItem:
    """The report item of one ``record`` of the scan output folder ``out``.

    models / ensemble / analyses: what the scan ran (scan.json), so absent results show as
        not run.
    source: the scanned folder (scan.json), for records written before they held ``file``.
    """
    file, hashes = record.file, record.files_sha256  # hashes: of the files the row names
    if not file and source and source != "analyze":
        file = str(Path(source) / record.path)
    if isinstance(record, ErrorRecord):  # named as everywhere in the report, not as given
        record = dataclasses.replace(record, error=error_naming_file(record.error, file))
    why = (  # the error itself heads the file's section (and is the item's "error"), once
        "the file could not be analysed (its error is given once, above)"
        if isinstance(record, ErrorRecord)
        else "no result was recorded for this model"
    )

    def ran(m: ModelRecord, role: Literal["model", "ensemble"]) -> ModelEntry:
        figures = m.all_figures() if role == "model" else {"name": m.name, **m.all_figures()}
        card = None
        if role == "model":
            fig = m.figures
            card = cards.get(
                m.name, *((fig.checkpoint, fig.checkpoint_sha256) if fig else ("", ""))
            )
        heat = row_file(out, m.heatmap, record.path) if m.heatmap else None
        entry = ModelEntry(m.name, role, RAN, figures=figures, card=card, heatmap_file=heat)
        return dataclasses.replace(entry, heatmap_sha256=hashes.get(m.heatmap or ""))

    entries: list[ModelEntry] = []
    found = {m.name: m for m in record.models}
    for name in [*models, *(n for n in found if n not in models)]:
        m = found.get(name)
        entries.append(
            ModelEntry(name, "model", NOT_RUN, note=why) if m is None else ran(m, "model")
        )
    ens = None
    if record.ensemble is not None:
        ens = ran(record.ensemble, "ensemble")
    elif ensemble:
        ens = ModelEntry(ensemble, "ensemble", NOT_RUN, note=why)
    return ReportItem(
        key=record.path,
        file=file,
        status=record.status,
        error=record.error,
        sha256=record.sha256,
        evidence=record.evidence_facts(),
        models=entries,
        record=record,
        ensemble=ens,
        faces=[f.to_json() for f in record.faces],
        faces_checked=record.faces_checked,
        seconds=record.seconds if isinstance(record, FileRecord) else None,
        thumbnail_file=row_file(out, record.thumbnail, record.path) if record.thumbnail else None,
        thumbnail_sha256=hashes.get(record.thumbnail or ""),
        analyses=_analysis_entries(
            record.analyses,
            analyses,
            why if isinstance(record, ErrorRecord) else "no result was recorded for this analysis",
            out,
            hashes,
            record.path,
        ),
        probe=read_scan_probe(out, record.output_name() or record.path, record.sha256),
        face_maps=[
            ModelEntry(
                n,
                "model",
                RAN,
                heatmap_file=row_file(out, f, record.path),
                heatmap_sha256=hashes.get(f),
            )
            for n, f in record.face_maps.items()
        ],
    )


@dataclass
class ReportSource:
    """What one report covers.

    kind: ``"image"`` (one evidence file from the viewer) or ``"scan"`` (a scan output folder).
    items: makes a fresh iterator over the items (a report reads them twice: the summary and
        the alerts first, then each item), so a 10,000-file scan is never all in memory.
    settings: the scan's settings (scan.json: folder, models and their SHA-256, window, stride,
        and the environment at scan time); empty for a viewer report.
    results_sha256: the SHA-256 of the results.jsonl bytes read (as indexed), so the report
        names the very rows it shows; None for a viewer report.
    """

    kind: Literal["image", "scan"]
    title: str
    items: Callable[[], Iterator[ReportItem]]
    count: int
    settings: dict[str, Any] = field(default_factory=dict)
    environment: dict[str, Any] = field(default_factory=environment)
    ground_truth: dict[str, Any] | None = None  # a groundtruth.json (its "Ground truth" section)
    results_sha256: str | None = None  # a scan's: of the results.jsonl bytes its rows came from
    gone: tuple[GoneFile, ...] = ()  # a resumed scan's files analysed before, left the folder
    bad_lines: tuple[int, ...] = ()  # results.jsonl's lines that are not whole rows (numbers)

    @classmethod
    def from_items(
        cls, items: Sequence[ReportItem], *, title: str = "", settings: dict[str, Any] | None = None
    ) -> ReportSource:
        """A report over items already in memory (the viewer: usually one analysis)."""
        kind: Literal["image", "scan"] = "image" if len(items) == 1 else "scan"
        return cls(
            kind=kind,
            title=title or (items[0].key if len(items) == 1 else evidence_files_words(len(items))),
            items=lambda: iter(items),
            count=len(items),
            settings=dict(settings or {}),
        )


def scan_source(
    out: Path,
    keys: Sequence[str] | None = None,
    *,
    cards: Mapping[str, ModelCard] | None = None,
    title: str = "",
) -> ReportSource:
    """A report over the scan output folder ``out`` (default: every file it holds; ``keys``:
    those files), in the order of the folder's listing (:func:`listing_order`), not the order
    the rows were written in, so that two reports of one folder number its files alike.
    Raises :class:`ForensicError` when ``out`` holds no results."""
    info = run_as_found(out, scan_info(out))  # before the rows: a scan ending leaves them a part
    index = ResultIndex(out)
    if not len(index):
        raise ForensicError(out, "holds no scan results (results.jsonl is missing or empty)")
    models = list(info.get("models") or {})
    ensemble = info.get("ensemble")
    classic = list(info.get("analyses") or {})
    cache = CardCache(cards)
    chosen = [k for k in (keys if keys is not None else index.keys()) if k in index]
    chosen = sorted(chosen, key=listing_order)
    copies = index.duplicates(chosen)  # of the whole folder's files, as the scan's CSV says
    folder = info.get("source") != "analyze"  # files given one by one have no scanned folder

    def items() -> Iterator[ReportItem]:
        for rec in index.iter_records(chosen):
            item = item_from_record(rec, out, models, ensemble, cache, info.get("source"), classic)
            outside = record_read_from(rec) if folder else None
            yield dataclasses.replace(item, duplicate_of=copies.get(rec.path), read_from=outside)

    source = str(info.get("source") or out)
    if not title:
        title = (
            f"Analysis of {evidence_files_words(len(chosen))}"
            if source == "analyze"
            else f"Scan of {source}"
        )
    return ReportSource(
        kind="scan",
        title=title,
        items=items,
        count=len(chosen),
        settings=info,
        ground_truth=read_scan_truth(out),
        results_sha256=index.read_sha256,
        bad_lines=tuple(b.number for b in index.bad_lines),
    )


def run_source(
    out: Path,
    keys: Sequence[str] | None = None,
    *,
    ended: Mapping[str, Any] | None = None,
    gone: Sequence[GoneFile] = (),
) -> ReportSource:
    """The report of a scan run into ``out``, as the command line's ``--report`` and the batch
    dialog's Write report… both make it: :func:`scan_source` of ``keys`` (None: every row but
    those of ``gone``, which the alert names instead: "in no section of this report");
    ``ended``: how the run ended when scan.json could not record it (a failed run's own
    record, ``failure_recorded``'s ``ended_run``), in place of the "running" scan.json was
    left saying; ``gone``: the files an earlier run analysed that have left the folder
    (:mod:`forensic_viewer.scan.gone`), the report's alert."""
    if keys is None and gone:
        left = {g.key for g in gone}
        keys = [k for k in ResultIndex(out).keys() if k not in left]
    source = dataclasses.replace(scan_source(out, keys), gone=tuple(gone))
    if ended is not None:
        source.settings["run"] = dict(ended)
    return source


def with_results_taken(source: ReportSource, record: Mapping[str, Any]) -> ReportSource:
    """``source`` whose run says this report took its edited results.jsonl as the rows now read
    (``record``: the edited file's record the examiner accepted), the report's alert; scan.json
    itself is not written (``forensic-viewer report --accept-edited-results``, the viewer's
    Open scan results…)."""
    run = source.settings.get("run")
    source.settings["run"] = {
        **(run if isinstance(run, dict) else {}),
        RESULTS_EDITED: {**record, "taken_by": "this report"},
    }
    return source
