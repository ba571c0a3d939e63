"""One report, every format: the two passes that feed the writers.

Pass 1 (:func:`overview`) reads every item once: it re-verifies each evidence file's SHA-256
against the one recorded at load, builds the summary (triage) rows and the table of models,
and collects the alerts that go on the first page. Pass 2 (:func:`item_figures`, driven by
``write_report``) draws each item's figures once and hands them to every writer, then drops
them, so memory does not grow with the number of files.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from engine.ending import STOP_WORDS
from engine.ensemble_provenance import general_provenance, general_reliability, heatmap_replaced_by
from engine.errors import ForensicError
from engine.formatting import time_text
from engine.types import Progress
from forensic_viewer.environment import environment
from forensic_viewer.overlays import ANALYSIS_OPACITY, analysis_colormap
from forensic_viewer.report.figures import (
    FigureStyle,
    analysis_figure,
    annotated_figure,
    boxes_words,
    encode,
    evidence_figure,
    face_maps_figure,
    face_tiles_words,
    fit_size,
    fold_pieces,
    picture_figure,
    picture_scale,
)
from forensic_viewer.report.integrity_alerts import OwnFiles
from forensic_viewer.report.model import (
    CaseInfo,
    Integrity,
    ReportItem,
    ReportSource,
    verify_integrity,
)
from forensic_viewer.report.model_summary import ModelSummary, face_model_summaries
from forensic_viewer.scan.face_rates import face_checkpoints
from forensic_viewer.scan.gone import gone_alert
from forensic_viewer.scan.groundtruth import truth_labels
from forensic_viewer.scan.maps import ChangedSinceScan, NamedFileTooLarge, read_named
from forensic_viewer.scan.probe import probe_summary
from forensic_viewer.scan.settings import NOT_RUNNING
from forensic_viewer.scan.triage import TriageRow
from forensic_viewer.scan.walk import UNREAD_NAMED as UNREAD_NAMED
from forensic_viewer.scan.walk import not_covered_record, unread_words
from forensic_viewer.threshold_words import mask_source_words
from forensic_viewer.wording import (
    copy_map_words,
    evidence_files_words,
    model_files_words,
    picture_layer_name,
    scale_words,
    threshold_figure,
    tile_grid_words,
)

FigurePolicy = Literal["all", "flagged", "none"]
ProgressFn = Callable[[Progress], None]
CancelFn = Callable[[], bool]


class ReportCancelled(Exception):
    """The report was cancelled; no partial report file is left behind."""


@dataclass(frozen=True)
class ReportOptions:
    """How a report is drawn.

    figures: annotated figures for every item, only for flagged items (any check found a
        manipulation), or none (tables only: quick reports of very large scans).
    jpeg_quality: of the embedded figures.
    """

    style: FigureStyle = field(default_factory=FigureStyle)
    figures: FigurePolicy = "all"
    jpeg_quality: int = 88


ASKED = "asked for"  # --analyses, the Analyses panel: shown and recorded, no verdict changed


def by_ensemble(name: str) -> str:
    """How an analysis ran that the ensemble ``name`` runs for its own verdict."""
    return f"as part of the default verdict (ensemble {name})"


@dataclass
class AnalysisSummary:
    """A classic analysis that ran in the report: method, source, version, parameters (the
    first file's; ``varied`` when another file's differ; ``others``, the versions other files
    hold: a scan stopped while its rows were upgraded, scan/upgrade.py), on how many files and
    how it came to run (``how``: :data:`ASKED`, :func:`by_ensemble`, or both)."""

    name: str
    method: str
    source: str
    version: str
    params: dict[str, Any]
    files: int = 0
    varied: bool = False
    how: list[str] = field(default_factory=list)
    others: set[str] = field(default_factory=set)

    @property
    def version_text(self) -> str:
        """The version, and the others files hold: never one version said for several."""
        others = ", ".join(sorted(self.others))
        return self.version + (f" (other files: {others})" if others else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "method": self.method,
            "source": self.source,
            "version": self.version,
            "params": self.params,
            "files_analysed": self.files,
            "params_varied": self.varied,
            "how": self.how,
            **({"other_versions": sorted(self.others)} if self.others else {}),
        }


@dataclass
class Overview:
    """Everything the first page needs, from pass 1."""

    source: ReportSource
    case: CaseInfo
    rows: list[TriageRow]
    integrity: list[Integrity]
    models: list[ModelSummary]
    generated: str
    export_environment: dict[str, Any]
    options: ReportOptions
    analyses: list[AnalysisSummary] = field(default_factory=list)
    copies: dict[str, str] = field(default_factory=dict)  # key -> the file it is a copy of
    outside: dict[str, str] = field(default_factory=dict)  # key -> read through a link there
    own: OwnFiles = field(default_factory=OwnFiles)  # the scan's own files not as recorded
    # a probe report's first-page words on its probe, one per probed file (scan/probe.py)
    probes: list[str] = field(default_factory=list)

    def settings(self) -> dict[str, Any]:
        """The settings the report records (report.json's ``settings``): the scan's, but with
        ``analyses`` the classic analyses that ran and how. scan.json lists only those asked
        for (what a resume compares), so an analysis the ensemble ran for its verdict was
        missing and ``{}`` read as none having run. One asked for that ran on no file is kept
        with ``files`` 0."""
        s = {k: v for k, v in self.source.settings.items() if k != "environment"}
        ran = {
            a.name: {"version": a.version, "params": a.params, "how": a.how, "files": a.files}
            for a in self.analyses
        }
        asked = {n: {**v, "how": [ASKED], "files": 0} for n, v in (s.get("analyses") or {}).items()}
        return {**s, "analyses": {**asked, **ran}}

    @property
    def alerts(self) -> list[str]:
        """Loud first-page messages: :attr:`export_alerts`, then :attr:`scan_alerts`."""
        return [*self.export_alerts, *self.scan_alerts]

    @property
    def export_alerts(self) -> list[str]:
        """Evidence files whose SHA-256 read again at export is not the one recorded, or that
        could not be read then."""
        return [i.message for i in self.integrity if i.status in ("mismatch", "unreadable")]

    @property
    def scan_alerts(self) -> list[str]:
        """What is not as recorded other than at export: files a resumed scan found gone from
        its folder (:func:`gone_alert`), evidence changed between runs, the scan's own files
        not as recorded (:mod:`~forensic_viewer.report.integrity_alerts`: results.jsonl edited
        or torn, map and thumbnail files changed, recorded figures that disagree)."""
        gone = gone_alert(self.source.gone, self.source.settings.get("run"))
        more = [gone, *self.own.alerts(self.source.settings, self.source.bad_lines)]
        return [a for a in more if a is not None]

    @property
    def alert_sections(self) -> list[tuple[str, str, list[str]]]:
        """The first page's alert boxes, (heading, what it means, alerts), each heading true
        of the alerts under it: an export check that found every file as recorded is never
        said to have failed because files left the folder or changed between runs."""
        sections = []
        if self.export_alerts:
            sections.append((EXPORT_HEADING, EXPORT_MEANING, self.export_alerts))
        if self.scan_alerts:
            sections.append((SCAN_HEADING, SCAN_MEANING, self.scan_alerts))
        return sections

    @property
    def alert_banner(self) -> str:
        """The line each later page shows while the first page has alerts."""
        return "EVIDENCE INTEGRITY ALERT" if self.export_alerts else "ALERT"

    @property
    def stopped(self) -> str | None:
        """The first page's warning when the scan was stopped before its end (a report of a
        part reads like a whole): :func:`stopped_scan_alert`."""
        return stopped_scan_alert(self.source.settings, len(self.rows))

    @property
    def not_covered(self) -> str | None:
        """What the scan's listing could not read, in words: :func:`unread_words`."""
        return unread_words(self.source.settings)

    @property
    def not_covered_record(self) -> dict[str, Any] | None:
        """The same for report.json: :func:`not_covered_record`."""
        return not_covered_record(self.source.settings)

    @cached_property
    def truth(self) -> dict[str, int] | None:
        """The true label (1 tampered, 0 authentic) of each file a scan scored against true
        masks, by key (the summary's ground-truth columns); None when it was not scored."""
        return truth_labels(self.source.ground_truth)

    # The summary's columns, in the order first met, worked out once: the summary asked for
    # them for each of its rows (text.summary_cells), each time from every row, which made a
    # report's summary quadratic in its files (most of the 138 s a 10,000-file PDF took
    # before its first file's section).
    @cached_property
    def ensemble_column(self) -> str | None:
        """The ensemble of the first row that has one, or None."""
        return next((r.ensemble.name for r in self.rows if r.ensemble is not None), None)

    @cached_property
    def model_columns(self) -> list[str]:
        """The models of every row (its cells), each once."""
        return list(dict.fromkeys(c.name for r in self.rows for c in r.cells))

    @cached_property
    def analysis_columns(self) -> list[str]:
        """The classic analyses of every row, each once."""
        return list(dict.fromkeys(a.name for r in self.rows for a in r.analyses))

    @property
    def counts(self) -> dict[str, int]:
        return {
            "files": len(self.rows),
            "analysed": sum(r.status == "ok" for r in self.rows),
            "failed": sum(r.status != "ok" for r in self.rows),
            "flagged": sum(r.flagged for r in self.rows),
            "flagged_by_any": sum(r.flagged_by_any for r in self.rows),
            "flagged_out_of_range": sum(r.flagged_out_of_range for r in self.rows),
            "evidence_changed": sum(i.status == "mismatch" for i in self.integrity),
            "evidence_unreadable": sum(i.status == "unreadable" for i in self.integrity),
            **self.own.counts(),
            "byte_identical_copies": len(self.copies),
            "read_from_outside_folder": len(self.outside),
        }


STOPPED_HEADING = "WARNING: this report covers part of a scan"
EXPORT_HEADING = "WARNING: evidence integrity check failed at export"
EXPORT_MEANING = (
    "The SHA-256 of these evidence files, read again now, is not the one recorded when they "
    "were analysed (or they could not be read). Findings describe the files as they were at "
    "analysis, not as they are now."
)
SCAN_HEADING = "WARNING: the scan's files are not all as its runs recorded them"
SCAN_MEANING = (
    "Evidence files gone from the folder or changed between runs of the scan, or the scan's "
    "own files (results, maps, thumbnails) not as it wrote them; the check at export is a "
    "separate one."
)


def stopped_scan_alert(settings: dict[str, Any], reported: int) -> str | None:
    """The alert of a scan whose last run did not finish, from scan.json's ``run``
    (docs/RESULTS.md): cancelled, interrupted or failed after N of M files, or still "running"
    (killed, or running now). None for a finished run and for folders written before ``run``
    existed.

    reported: the files this report holds. A scan folder keeps the rows of every run, so a
    resumed run stopped after N files leaves a report of the files that run *and earlier ones*
    recorded, which can be more than N: the alert counts those, never "the other files" of
    the last run alone."""
    run = settings.get("run")
    if not isinstance(run, dict) or run.get("state") in (None, "finished"):
        return None
    holds = (
        f"this report holds {evidence_files_words(reported)}, recorded by that run or earlier ones: "
        "the files no run reached are not in it"
    )
    if run.get("state") == "running" and run.get(NOT_RUNNING):  # settings.marked_run
        return (
            "scan.json says this scan is running, but no scan holds its output folder: its "
            "last run ended without recording its end (killed, or scan.json could not be "
            f"written); {holds}; running the same scan again resumes it."
        )
    if run.get("state") == "running":
        return (
            "scan.json says this scan is still running, or was killed before it could record "
            f"its end; {holds}."
        )
    if run.get("state") == "failed":  # the output folder could not be written (docs/RESULTS.md)
        unrecorded = run.get("unrecorded")  # scan.json could not say so: the run's own report
        said = f" (scan.json could not record it: {unrecorded})" if unrecorded else ""
        return (
            f"This scan failed after {run.get('through')} of {run.get('files')} files in its "
            f"last run ({run.get('reason')}){said}; {holds}; running the same scan again "
            "resumes it."
        )
    how = str(run.get("state"))
    stop = run.get("signal")
    if isinstance(stop, str) and stop in STOP_WORDS:  # worded as the command's own stop line
        how = STOP_WORDS[stop]  # by name: a SIGHUP recorded on Linux, reported on Windows
    elif stop:
        how += f" ({run['signal']})"
    return (
        f"This scan was {how} after {run.get('through')} of {run.get('files')} files in its "
        f"last run; {holds}; running the same scan again resumes it."
    )


@dataclass
class Figure:
    """One encoded figure and what it shows."""

    caption: str
    data: bytes
    mime: str
    width: int
    height: int

    @classmethod
    def jpeg(cls, caption: str, rgb: NDArray[np.uint8], quality: int) -> Figure:
        """``rgb`` [H, W, 3] uint8 encoded as a JPEG of ``quality``."""
        return cls(caption, encode(rgb, "JPEG", quality), "image/jpeg", rgb.shape[1], rgb.shape[0])


@dataclass
class ItemFigures:
    """The figures of one item: the evidence, then one per model and the ensemble (by name),
    one per classic analysis with a map (by name), one per model's face map (by model name:
    its faces' crops, :func:`face_maps_figure`)."""

    evidence: Figure | None = None
    entries: dict[str, Figure] = field(default_factory=dict)
    analyses: dict[str, Figure] = field(default_factory=dict)
    pictures: dict[str, Figure] = field(default_factory=dict)  # an analysis's picture, by name
    face_maps: dict[str, Figure] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _check(cancel: CancelFn | None) -> None:
    if cancel is not None and cancel():
        raise ReportCancelled("report cancelled")


def overview(
    source: ReportSource,
    case: CaseInfo,
    options: ReportOptions,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> Overview:
    """Pass 1: integrity of every evidence file, summary rows and the models that ran."""
    rows: list[TriageRow] = []
    integrity: list[Integrity] = []
    models: dict[tuple[str, str], ModelSummary] = {}
    classic: dict[str, AnalysisSummary] = {}
    judged: dict[str, int] = {}  # face models (the face path only): files with a face judged
    scored: dict[str, set[str | None]] = {}  # their checkpoints, as the face scores record them
    copies: dict[str, str] = {}  # files whose bytes are another scanned file's
    outside: dict[str, str] = {}  # files read through links from outside the scanned folder
    own_files = OwnFiles()  # the scan's own files not as recorded
    probes: list[str] = []
    asked = set(source.settings.get("analyses") or ())
    for i, item in enumerate(source.items()):
        _check(cancel)
        integrity.append(verify_integrity(item.file, item.sha256))
        rows.append(item.triage())
        if item.duplicate_of:
            copies[item.key] = item.duplicate_of
        if item.read_from:
            outside[item.key] = item.read_from
        own_files.add(item)
        if item.probe is not None:
            probes.append(probe_summary(item.probe) if source.count == 1 else
                          f"{item.key}: {probe_summary(item.probe)}")  # fmt: skip
        ens = item.ensemble if item.ensemble is not None and item.ensemble.ran else None
        policy = ens.figures.get("input_policy") or {} if ens is not None else {}
        own = policy.get("analyses") or ()  # what the ensemble ran for its verdict
        for a in item.analyses:
            if a.record is None:
                continue
            r = a.record
            if a.name not in classic:
                p = r.provenance
                classic[a.name] = AnalysisSummary(
                    a.name, p.method, p.source, p.version, dict(r.params)
                )
            summary = classic[a.name]
            summary.files += 1
            summary.varied |= dict(r.params) != summary.params
            if r.provenance.version != summary.version:
                summary.others.add(r.provenance.version)
            how = [by_ensemble(ens.name)] if ens is not None and a.name in own else []
            if a.name in asked or not how:  # the viewer's: run unless its ensemble ran it
                how.append(ASKED)
            summary.how += [h for h in how if h not in summary.how]
        for e in item.entries():
            if not e.ran:
                continue
            f = e.figures
            k = (e.name, str(f.get("checkpoint_sha256", "")))
            if k not in models:
                models[k] = ModelSummary(
                    name=e.name,
                    role=e.role,
                    architecture=str(f.get("architecture", "")),
                    checkpoint=str(f.get("checkpoint", "")),
                    checkpoint_sha256=str(f.get("checkpoint_sha256", "")),
                    rule=str(f.get("rule", "")),
                    threshold=f.get("threshold"),
                    pixel_threshold=f.get("pixel_threshold"),
                    pixel_threshold_calibrated=e.threshold_calibrated,
                    # the first file's; an ensemble's without what held on that file only
                    provenance=general_provenance(str(f.get("threshold_provenance", "")))
                    if e.role == "ensemble"
                    else str(f.get("threshold_provenance", "")),
                    input_policy={
                        k: v
                        for k, v in (f.get("input_policy") or {}).items()
                        if k not in ("detect_size", "model_files")
                    },
                    devices=set(),
                    precisions=set(),
                    card=e.card,
                    # the first file's; an ensemble's without what held on that file only
                    reliability=general_reliability(str(f.get("reliability", "")))
                    if e.role == "ensemble"
                    else str(f.get("reliability", "")),
                    mask_on_authentic=f.get("mask_on_authentic") if e.role == "ensemble" else None,
                )
            m = models[k]
            m.files += 1
            view = (f.get("input_policy") or {}).get("detect_size")
            if isinstance(view, (list, tuple)) and len(view) == 2:
                m.reduced += 1
                long_side = max(int(v) for v in view)
                m.detect_side = max(m.detect_side, long_side)
                m.detect_side_min = min(m.detect_side_min or long_side, long_side)
            if f.get("device"):
                m.devices.add(str(f["device"]))
            if f.get("precision"):
                m.precisions.add(str(f["precision"]))
            m.model_files.update(
                model_files_words((f.get("input_policy") or {}).get("model_files"))
            )
        whole = {e.name for e in item.entries()}
        for name, shas in face_checkpoints(item.faces).items():
            if name not in whole:
                judged[name] = judged.get(name, 0) + 1
                scored.setdefault(name, set()).update(shas)
        if progress is not None:
            progress(Progress("verifying evidence", i + 1, source.count))
    return Overview(
        source=source,
        case=case,
        rows=rows,
        integrity=integrity,
        models=[
            *models.values(),
            # a scan's rows were judged by its scan.json's face models (a resume keeps them)
            *face_model_summaries(
                source.settings, judged, scored, source.results_sha256 is not None
            ),
        ],
        generated=time_text(),
        export_environment=environment(),
        options=options,
        analyses=list(classic.values()),
        copies=copies,
        outside=outside,
        own=own_files,
        probes=probes,
    )


def _tiles(role: str, policy: Any, shape: tuple[int, ...]) -> str:
    """A network's figure caption: how its tiles lay over the image, when more than one
    (:func:`~forensic_viewer.wording.tile_grid_words`); the ensemble's fused map has no grid
    of its own."""
    if role == "ensemble" or not isinstance(policy, dict):
        return ""
    words = tile_grid_words(policy, (int(shape[0]), int(shape[1])))
    return f"; {words}" if words else ""


def _map_or_note(
    load: Callable[[], NDArray[np.float32] | None], who: str, what: str, notes: list[str]
) -> NDArray[np.float32] | None:
    """The map ``load()`` reads, or None with a note saying why there is no figure: the
    one-line error naming the file that could not be read, or that ``what`` is missing.
    who: the model or analysis the map belongs to, as the note names it."""
    try:
        values = load()
    except ForensicError as err:
        notes.append(f"{who}: {err}; no figure")
        return None
    if values is None:
        notes.append(f"{who}: {what} is missing; no figure")
    return values


def thumbnail_note(item: ReportItem) -> str | None:
    """The file section's line when the scan's thumbnail file of ``item`` no longer hashes to
    what its row recorded (or is too large to be one): the summary table leaves it out
    (:func:`~forensic_viewer.scan.maps.read_thumbnail` only logs it), and the report says why
    in the file's section. None otherwise (no file, unreadable, nothing recorded)."""
    if item.pixels is not None or item.thumbnail_file is None or item.thumbnail_sha256 is None:
        return None
    try:
        read_named(item.thumbnail_file, item.thumbnail_sha256)
    except (ChangedSinceScan, NamedFileTooLarge) as err:
        return f"summary thumbnail: {err}; left out of the summary table"
    except OSError:
        return None
    return None


def item_figures(
    item: ReportItem,
    row: TriageRow,
    options: ReportOptions,
    pixel_thresholds: Mapping[str, tuple[float, bool | None]] | None = None,
) -> ItemFigures:
    """Pass 2 for one item: the evidence and one annotated figure per model that ran.

    pixel_thresholds: each model's pixel threshold and whether it is calibrated, by name (the
        report's model list), for the face-map figures' outlines; a face model's is not in the
        item's own entries."""
    out = ItemFigures()
    if (changed := thumbnail_note(item)) is not None:  # said whatever figures are drawn
        out.notes.append(changed)
    if item.status != "ok" or options.figures == "none":
        return out
    if options.figures == "flagged" and not row.flagged:
        out.notes.append("figures are drawn for flagged files only in this report")
        return out
    style, q = options.style, options.jpeg_quality
    pixels, why = item.load_pixels()
    if why:
        out.notes.append(why)
    of = evidence_named(item)  # every caption: a figure page alone still names its evidence
    if pixels is not None:
        fig = evidence_figure(pixels, item.faces, style)
        caption = f"{of}The evidence as analysed (orientation applied){boxes_words(item.faces)}."
        caption += _folded(pixels.shape, style)
        out.evidence = Figure.jpeg(caption, fig, q)
    for e in item.entries():
        if not e.ran:
            continue
        heat = _map_or_note(e.load_heatmap, e.name, "the heatmap file", out.notes)
        if heat is None:
            continue
        base = pixels
        if base is not None and base.shape[:2] != heat.shape[:2]:
            out.notes.append(
                f"{e.name}: heatmap {heat.shape[1]}x{heat.shape[0]} does not match the "
                f"evidence {base.shape[1]}x{base.shape[0]}; drawn without the evidence"
            )
            base = None
        pt = float(e.figures.get("pixel_threshold", 0.5))
        provenance = str(e.figures.get("threshold_provenance", ""))
        copies = heatmap_replaced_by(provenance) if e.role == "ensemble" else None
        fig = annotated_figure(base, heat, pt, item.faces, style, regions=copies is not None)
        what = "the ensemble" if e.role == "ensemble" else f"model {e.name}"
        drawn = f"Heatmap of {what}" if copies is None else "C" + copy_map_words(copies)[1:]
        out.entries[e.name] = Figure.jpeg(
            f"{of}{drawn} ({e.heatmap_precision}); outline: mask "
            f"({'map' if copies else 'heatmap'} > {threshold_figure(pt)}), at "
            f"{mask_source_words(e.role, e.threshold_calibrated)}"
            + ("" if base is not None else "; evidence not shown")
            + _tiles(e.role, e.figures.get("input_policy"), heat.shape)
            + _folded(heat.shape, style),
            fig,
            q,
        )
    for fm in item.face_maps:
        values = _map_or_note(fm.load_heatmap, fm.name, "the face map file", out.notes)
        if values is None:
            continue
        base = pixels if pixels is not None and pixels.shape[:2] == values.shape else None
        pt, calibrated = (pixel_thresholds or {}).get(fm.name, (None, None))
        fig = face_maps_figure(base, values, pt, item.faces, style, model=fm.name)
        if fig is None:
            continue
        outline = (
            ""
            if pt is None
            else f"; outline: mask (face map > {threshold_figure(pt)}), "
            f"at {mask_source_words('model', calibrated)}, on the faces it flagged only (the map is a "
            "per-pixel output; a face's verdict is its score against θ)"
        )
        out.face_maps[fm.name] = Figure.jpeg(
            f"{of}Face map of model {fm.name} ({fm.heatmap_precision}): each detected face "
            "analysed "
            f"on its own at the model's scale, shown on its crop ({face_tiles_words(item.faces)}"
            f"; numbered as in the faces table, a flagged face's box red){outline}"
            + ("" if base is not None else "; evidence not shown"),
            fig,
            q,
        )
    for a in item.analyses:
        if a.ran and a.record is not None and a.display is not None:
            ends, words = picture_scale(a.name, a.record.params, a.record.extras)
            out.pictures[a.name] = Figure.jpeg(
                f"{of}Picture of analysis {a.name}, as the viewer's "
                f"'{picture_layer_name(a.name)}' "
                "layer shows "
                f"it: {words}. Not a probability." + _folded(a.display.shape, style),
                picture_figure(a.display, ends, style),
                q,
            )
        if not a.ran or a.record is None or a.record.map is None:
            continue
        values = _map_or_note(a.load_map, f"analysis {a.name}", "the map file", out.notes)
        if values is None:
            continue
        base = pixels if pixels is not None and pixels.shape[:2] == values.shape else None
        kind = str(a.record.map.meaning.scale)
        fig = analysis_figure(base, values, kind, a.record.pairs, style)
        pairs = " Boxes: clone pairs, source and target joined by a line." if a.record.pairs else ""
        out.analyses[a.name] = Figure.jpeg(
            f"{of}Analysis {a.name}: {a.record.map.meaning.label} ({scale_words(kind)}; "
            f"{a.map_precision}), drawn as the viewer draws it: {_drawn(kind)}.{pairs}"
            + ("" if base is not None else " Evidence not shown.")
            + (NO_PICTURE if a.record.display and a.display is None else "")
            + _folded(values.shape, style),
            fig,
            q,
        )
    return out


def _drawn(kind: str) -> str:
    """How a classic analysis's map of scale ``kind`` is drawn (overlays.analysis_raster): a
    map of regions only inside them, any other at every value."""
    colormap = analysis_colormap(kind)
    if kind == "region":
        return (
            f"its regions in {colormap}'s colour for 1 at opacity {ANALYSIS_OPACITY:g}, "
            "outlined; nothing is drawn outside them, where the evidence shows as it is"
        )
    return f"{colormap}, every value coloured, at opacity {ANALYSIS_OPACITY:g}"


def evidence_named(item: ReportItem) -> str:
    """The words that open each of a file's figure captions: its name and the first 8 hex
    digits of its SHA-256 (as the summary gives them), so that a figure page, which may hold
    no heading of its file, identifies the evidence it shows."""
    sha = f"SHA-256 {item.sha256[:8]}…" if item.sha256 else "SHA-256 not recorded"
    return f"{item.key} ({sha}): "


NO_PICTURE = (
    " Its picture for the eye (the viewer's picture layer) is not kept by a scan: open the "
    "file in the viewer to see it."
)


def _folded(shape: tuple[int, ...], style: FigureStyle) -> str:
    """A caption's words for the figure of an image of ``shape`` when it is drawn folded into
    pieces (a strip: :func:`~forensic_viewer.report.figures.fold`), else ""."""
    h, w = shape[:2]
    n = fold_pieces(*fit_size(h, w, style.max_side), style.max_side)
    if n == 1:
        return ""
    order = "side by side from left to right" if h > w else "one below the other from the top"
    return (
        f" The image ({w} x {h} pixels) is drawn cut across its length into {n} pieces, "
        f"{order}, so that it stays legible."
    )
