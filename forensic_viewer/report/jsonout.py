"""The JSON sidecar: every figure of the report, for machines and for later comparison.

Same content as the HTML and PDF (case, alerts, environment, settings, models with their
model cards, the summary rows, and per file the evidence facts, the SHA-256 check, every
model's figures or the reason it did not run, faces, timings), without the images. Written
item by item, so a 10,000-file report is never all in memory.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from forensic_viewer.environment import run_environments
from forensic_viewer.report.build import ItemFigures, Overview
from forensic_viewer.report.glossary import report_words
from forensic_viewer.report.limitations import limitations_text
from forensic_viewer.report.model import ReportItem
from forensic_viewer.report.reproduce import reproducing_text
from forensic_viewer.report.text import caveat_text
from forensic_viewer.report.textfile import TextReportFile
from forensic_viewer.scan.command import command_summary
from forensic_viewer.scan.walk import passed_over_json

FORMAT = "forensic-viewer report"
FORMAT_VERSION = 1


def _clean(v: Any) -> Any:
    """JSON-safe: NaN/inf become None (strict JSON has no such numbers), tuples lists."""
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, list | tuple | set):
        return [_clean(x) for x in v]
    return v


def dumps(v: Any) -> str:
    return json.dumps(_clean(v), ensure_ascii=False, allow_nan=False)


class JsonWriter(TextReportFile):
    """Writes ``path``: the header from an :class:`Overview`, then ``items`` one at a time."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._first = True

    def begin(self, ov: Overview, thumbnails: Iterable[bytes | None]) -> None:
        self._open()
        head = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "title": ov.source.title,
            "kind": ov.source.kind,
            # a scan's: the SHA-256 of the results.jsonl bytes its items were read from
            **({"results_sha256": r} if (r := ov.source.results_sha256) else {}),
            "generated": ov.generated,
            "case": ov.case.to_dict(),
            "alerts": ov.alerts,
            # the same under the first page's headings: the export check's, then the scan's
            "alert_sections": [{"heading": h, "alerts": a} for h, _, a in ov.alert_sections],
            # files an earlier run analysed that a resumed scan found gone from its folder
            "no_longer_in_folder": [g.to_json() for g in ov.source.gone],
            "partial_scan": ov.stopped,  # null, or how the scan stopped before its end
            # null, or the folders and files the scan's listing could not read: not covered
            "not_covered": ov.not_covered_record,
            # null, or the files the scan's listing passed over as no image: each named
            "passed_over": passed_over_json(ov.source.settings),
            "counts": ov.counts,
            "caveat": caveat_text(ov),  # the words beside the other formats' headline
            # the other formats' "Words used in this report", after their summary
            "glossary": [{"word": w, "meaning": m} for w, m in report_words(ov)],
            # the Case section's "Reproducing the figures": the path and runtimes that ran
            "reproducing": reproducing_text(ov.source.settings, ov.models),
            "environment": {
                "export": ov.export_environment,
                "scan": ov.source.settings.get("environment"),
                # a resumed scan's runs, when they ran in different environments (else [])
                "runs_differ": run_environments(ov.source.settings),
            },
            "command": command_summary(
                ov.source.settings, scan="source" in ov.source.settings
            ),  # the words of the other formats' "Command" rows
            "settings": ov.settings(),
            "figures": ov.options.figures,
            "colormap": ov.options.style.colormap,  # of the heatmaps in the other formats
            "models": [m.to_dict() for m in ov.models],
            "analyses": [a.to_dict() for a in ov.analyses],
            **({"ground_truth": ov.source.ground_truth} if ov.source.ground_truth else {}),
            "limitations": limitations_text(ov),
            "summary": [
                {**row.to_dict(), "integrity": integ.status}
                for row, integ in zip(ov.rows, ov.integrity, strict=True)
            ],
        }
        text = dumps(head)
        self._f.write(text[:-1] + ', "items": [\n')

    def item(self, index: int, item: ReportItem, ov: Overview, figs: ItemFigures) -> None:
        assert self._f is not None
        d = item.to_dict()
        d["index"] = index + 1
        d["integrity"] = ov.integrity[index].to_dict()
        d["figure_notes"] = figs.notes
        d["figures_drawn"] = [
            *(["evidence"] if figs.evidence is not None else []),
            *figs.entries,
            *(f"face map {name}" for name in figs.face_maps),
            *(f"analysis {name}" for name in figs.analyses),
            *(f"analysis {name} picture" for name in figs.pictures),
        ]
        self._f.write(("" if self._first else ",\n") + dumps(d))
        self._first = False

    def finish(self) -> Path:
        assert self._f is not None
        self._f.write("\n]}\n")
        return self._commit()
