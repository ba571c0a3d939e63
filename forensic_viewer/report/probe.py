"""The report of a probed image: its analysis with the robustness probe's table (no Qt).

``forensic-viewer probe --report`` writes it; the viewer's File ▸ Export report… passes the
table to :func:`~forensic_viewer.report.model.item_from_analysis` itself. The section's rows
and notes are :func:`forensic_viewer.scan.probe.table_rows` / ``table_notes`` (the CLI and the
probe dialog show the same cells).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from engine.types import Analysis
from forensic_viewer.report import (
    CaseInfo,
    ReportSource,
    cards_from_analyzer,
    item_from_analysis,
    write_report,
)
from forensic_viewer.scan.probe import PROBE_HEADING

BASENAME = "probe-report"


def write_probe_report(
    original: Analysis,
    table: dict[str, Any],
    out: Path,
    formats: Iterable[str],
    *,
    analyzer: Any = None,
    case: CaseInfo | None = None,
    command: dict[str, Any] | None = None,
) -> dict[str, Path]:
    """``out/probe-report.<format>``: the report of ``original`` (the probed image's analysis)
    with the probe's ``table`` (``probe.json``'s content) as its Robustness probe section.

    analyzer: the Analyzer that made ``original``: its checkpoint headers become the model
    cards and it says whether faces were checked. command: the ``probe`` command line that
    made it (:func:`forensic_viewer.scan.command.command_record`), for its "Command" row.
    Raises what :func:`write_report` raises."""
    from forensic_viewer.scan.results import face_model_figures

    item = item_from_analysis(
        original,
        cards=cards_from_analyzer(analyzer) if analyzer is not None else None,
        faces_checked=None if analyzer is None else analyzer.faces is not None,
        probe=table,
    )
    settings = {"face_model_figures": face_model_figures(analyzer)} if analyzer else {}
    if command is not None:
        settings["command"] = command
    title = f"{PROBE_HEADING} of {item.key}"  # the first page's second line
    source = ReportSource.from_items([item], settings=settings, title=title)
    return write_report(source, out, formats, case=case, basename=BASENAME)
