"""Evidence-grade reports of one image (from the viewer) or of a whole scan, headless.

    from forensic_viewer.report import CaseInfo, write_report, item_from_analysis, scan_source

    write_report(scan_source(out_dir), out_dir / "report", case=CaseInfo("A. Examiner", "C-1"))
    write_report([item_from_analysis(analysis, cards=cards_from_analyzer(analyzer),
                                     faces_checked=True)], folder)

Formats: ``html`` (one self-contained file; above ``html.EMBED_LIMIT`` files, with its
images and pages of ``html.PAGE_FILES`` files' sections in ``NAME_files/`` beside it), ``pdf`` and ``json`` (the sidecar with every
figure). The three are written in one go from the same data, so they agree. No Qt here, so the
command line can write reports without a display; the viewer calls the same function from a
worker thread (``progress`` and ``cancel`` are the hooks for its dialog).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from engine.files import name_the_file, os_problem
from engine.types import Progress
from forensic_viewer.report.build import (
    CancelFn,
    ItemFigures,
    Overview,
    ProgressFn,
    ReportCancelled,
    ReportOptions,
    item_figures,
    overview,
)
from forensic_viewer.report.cards import ModelCard, cards_from_analyzer
from forensic_viewer.report.figures import FigureStyle, encode
from forensic_viewer.report.model import (
    CaseInfo,
    Integrity,
    ReportItem,
    ReportSource,
    item_from_analysis,
    scan_source,
    verify_integrity,
)
from forensic_viewer.scan.maps import read_thumbnail, thumbnail

FORMATS = ("html", "pdf", "json")
SUFFIX = {"html": ".html", "pdf": ".pdf", "json": ".json"}
THUMB_SIDE = 96

__all__ = [
    "FORMATS",
    "CaseInfo",
    "FigureStyle",
    "Integrity",
    "ModelCard",
    "ReportCancelled",
    "ReportItem",
    "ReportOptions",
    "ReportSource",
    "cards_from_analyzer",
    "item_from_analysis",
    "os_problem",
    "parse_formats",
    "scan_source",
    "verify_integrity",
    "write_report",
]


def parse_formats(text: str | Iterable[str]) -> tuple[str, ...]:
    """``"html,pdf"`` -> ("html", "pdf", "json"): the JSON sidecar always comes along.

    Raises ValueError naming the valid choices for anything else.
    """
    parts = text.split(",") if isinstance(text, str) else list(text)
    wanted = [p.strip().lower() for p in parts if p.strip()]
    bad = [p for p in wanted if p not in FORMATS]
    if bad or not wanted:
        raise ValueError(f"report formats are {', '.join(FORMATS)}, got {text!r}")
    return tuple(f for f in FORMATS if f in wanted or f == "json")


def _writer(fmt: str, path: Path):  # -> HtmlWriter | PdfWriter | JsonWriter
    if fmt == "html":
        from forensic_viewer.report.html import HtmlWriter

        return HtmlWriter(path)
    if fmt == "pdf":
        from forensic_viewer.report.pdf import PdfWriter

        return PdfWriter(path)
    from forensic_viewer.report.jsonout import JsonWriter

    return JsonWriter(path)


def _thumbnails(source: ReportSource, cancel: CancelFn | None) -> Iterator[bytes | None]:
    """Summary-table thumbnails (JPEG), one per item as the table is written: from pixels in
    memory, or the scan's thumbnail files."""
    for item in source.items():
        if cancel is not None and cancel():
            raise ReportCancelled("report cancelled")
        img = None
        if item.pixels is not None:
            img = thumbnail(item.pixels, THUMB_SIDE)
        elif item.thumbnail_file is not None:
            img = read_thumbnail(item.thumbnail_file, THUMB_SIDE, item.thumbnail_sha256)
        yield None if img is None else encode(img, "JPEG", 80)


def write_report(
    items: ReportSource | Sequence[ReportItem],
    out_dir: str | Path,
    formats: Iterable[str] = FORMATS,
    *,
    case: CaseInfo | None = None,
    options: ReportOptions | None = None,
    basename: str = "report",
    title: str = "",
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> dict[str, Path]:
    """Write the report of ``items`` into ``out_dir`` as ``<basename>.<format>``.

    items: a :class:`ReportSource` (e.g. :func:`scan_source`) or report items in memory
        (e.g. ``[item_from_analysis(...)]`` from the viewer).
    formats: any of ``html``, ``pdf``, ``json``.
    progress: called with :class:`engine.types.Progress` (stage "verifying evidence", then
        "writing report") after every file.
    cancel: polled between files; on cancel :class:`ReportCancelled` is raised and no report
        file is left (an earlier report of the same name stays as it was).
    Returns the path of each written format. Every evidence file is read again (read-only) to
    re-verify its SHA-256; a mismatch is flagged on the first page of every format.
    """
    source = (
        items
        if isinstance(items, ReportSource)
        else ReportSource.from_items(list(items), title=title)
    )
    asked = {str(x).lower() for x in formats}
    fmts = [f for f in FORMATS if f in asked]
    if asked - set(FORMATS) or not fmts:
        raise ValueError(f"report formats are {', '.join(FORMATS)}, got {sorted(asked)}")
    options = options or ReportOptions()
    out = Path(out_dir)
    ov: Overview = overview(source, case or CaseInfo(), options, progress, cancel)
    writers = {f: _writer(f, out / f"{basename}{SUFFIX[f]}") for f in fmts}
    thresholds = {
        m.name: (m.pixel_threshold, m.pixel_threshold_calibrated)
        for m in ov.models
        if m.pixel_threshold is not None
    }
    at: Path | None = None  # the file being written, for an error naming none (the disk full)
    try:
        for f, w in writers.items():
            at = w.path
            w.begin(ov, _thumbnails(source, cancel) if f == "html" else ())
        for i, item in enumerate(source.items()):
            at = None
            if cancel is not None and cancel():
                raise ReportCancelled("report cancelled")
            item.integrity = ov.integrity[i]
            figs: ItemFigures = item_figures(item, ov.rows[i], options, thresholds)
            if item.integrity is not None:
                ov.integrity[i] = item.integrity  # a change seen while drawing is kept
            for w in writers.values():
                at = w.path
                w.item(i, item, ov, figs)
            if progress is not None:
                progress(Progress("writing report", i + 1, source.count))
        written = {}
        for f, w in writers.items():
            at = w.path
            written[f] = w.finish()
        return written
    except BaseException as e:
        if at is not None:
            name_the_file(e, at)
        for w in writers.values():
            w.abort()
        raise
