"""The first page's alerts on a scan's own files (no Qt): rows of ``results.jsonl`` edited after
their run or set aside as not whole rows, a stacked verdict whose recorded figures disagree,
evidence whose bytes changed between runs, and map and thumbnail files that no longer hash to
what their row recorded (a replaced thumbnail was left out of the summary table with one line on
stderr, until a walk-through of 2026-12-06 found 7 thumbnails of 8 and no word in the report).
Pass 1 of a report (:func:`forensic_viewer.report.build.overview`) collects them, so
they are counted on page 1 and not only in a file's own section.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.ensemble_provenance import decided_by_face
from engine.files import sha256_of
from forensic_viewer.report.model import ReportItem
from forensic_viewer.scan.integrity import RESULTS_EDITED, ROWS_SET_ASIDE

# a stacked verdict's score is σ(Σ contributions): they agree when the sum is within this of
# the score's logit, or (a saturated σ, where the logit says little) σ(Σ) within 1e-6 of it
LOGIT_TOLERANCE = 0.01


def results_alerts(settings: Mapping[str, Any], bad_lines: Sequence[int]) -> list[str]:
    """Alerts of scan.json's runs (the last and the earlier ones: a resume keeps them) that
    found results.jsonl edited since a run ended, or lines in it that were not whole rows;
    and of ``bad_lines``, the lines that are not whole rows in the file the report read."""
    runs = [r for r in [*(settings.get("earlier_runs") or []), settings.get("run")]]
    alerts: list[str] = []
    for run in (r for r in runs if isinstance(r, dict)):
        if isinstance(edited := run.get(RESULTS_EDITED), dict):
            by = edited.get("taken_by") or "the resume"  # ``report`` takes them: "this report"
            taken = f" ({by} took its rows as they read)" if edited.get("accepted") else ""
            alerts.append(f"{edited.get('note', 'results.jsonl was edited')}{taken}")
        if isinstance(aside := run.get(ROWS_SET_ASIDE), dict) and aside.get("note"):
            alerts.append(str(aside["note"]))
    if bad_lines:
        which = "line" if len(bad_lines) == 1 else "lines"
        numbers = ", ".join(map(str, bad_lines[:10])) + (" …" if len(bad_lines) > 10 else "")
        alerts.append(
            f"results.jsonl {which} {numbers} not whole rows (torn or edited): left out of this "
            "report; a resume of the scan sets them aside and analyses their files again"
        )
    return alerts


def figures_disagree(item: ReportItem) -> str | None:
    """The alert of ``item``'s stacked verdict whose recorded contributions do not sum to its
    recorded score's logit (:data:`LOGIT_TOLERANCE`): one of them was changed after the scan
    (a face model's verdict that decided it moves the score: not checked then)."""
    e = item.ensemble
    if e is None or not e.ran:
        return None
    terms = e.figures.get("contributions")
    score = e.figures.get("score")
    provenance = str(e.figures.get("threshold_provenance", ""))
    if not terms or not isinstance(score, int | float) or decided_by_face(provenance):
        return None
    try:
        total = sum(float(t["contribution"]) for t in terms)
    except (KeyError, TypeError, ValueError):
        return f"{item.key}: the ensemble's recorded contributions cannot be read"
    p = min(max(float(score), 1e-12), 1 - 1e-12)
    if abs(total - math.log(p / (1 - p))) <= LOGIT_TOLERANCE:
        return None
    if abs(1 / (1 + math.exp(-max(min(total, 700), -700))) - float(score)) <= 1e-6:
        return None
    return (
        f"{item.key}: recorded figures disagree: the ensemble's contributions sum to "
        f"{total:+.2f} (probability {1 / (1 + math.exp(-max(min(total, 700), -700))):.2f}) "
        f"but its recorded score is {float(score):.2f}; its row was changed after the scan"
    )


def _named_files(item: ReportItem) -> Iterator[tuple[Path, str]]:
    """(file, recorded SHA-256) of each map file ``item``'s row names with a hash."""
    for e in item.entries():
        if e.heatmap_file is not None and e.heatmap_sha256:
            yield e.heatmap_file, e.heatmap_sha256
    for a in item.analyses:
        if getattr(a, "map_file", None) is not None and getattr(a, "map_sha256", None):
            yield a.map_file, a.map_sha256
    for fm in item.face_maps:
        if fm.heatmap_file is not None and fm.heatmap_sha256:
            yield fm.heatmap_file, fm.heatmap_sha256


def _changed(files: Iterable[tuple[Path, str]]) -> list[str]:
    """Of ``files`` (path, SHA-256 its row recorded), those whose bytes no longer hash to it,
    as "<file> (changed since the scan)", or that are gone, "(gone)"; an unreadable one is
    left to the file's section, which says why."""
    out = []
    for path, recorded in files:
        try:
            digest = sha256_of(path)  # open_regular: a pipe named like a map must not hang it
        except OSError:
            continue
        if digest is None:
            out.append(f"{path.resolve()} (gone)")
        elif digest != recorded:
            out.append(f"{path.resolve()} (changed since the scan)")
    return out


def changed_maps(item: ReportItem) -> list[str]:
    """The map files of ``item`` whose bytes no longer hash to what its row recorded, or that
    are gone (:func:`_changed`)."""
    return _changed(_named_files(item))


def changed_thumbnail(item: ReportItem) -> list[str]:
    """``item``'s thumbnail file as :func:`changed_maps` names a map, when it no longer hashes
    to what its row recorded or is gone (the summary table leaves it out); [] otherwise."""
    path, recorded = item.thumbnail_file, item.thumbnail_sha256
    return _changed([(path, recorded)]) if path is not None and recorded else []


def changed_between_runs(item: ReportItem) -> bool:
    """Whether ``item``'s row says its evidence bytes changed since an earlier run analysed it
    (its ``replaces``)."""
    record = getattr(item, "record", None)
    return bool(record is not None and getattr(record, "replaces", None))


def count_alert(n: int, one: str, many: str, names: Sequence[str]) -> str | None:
    """ "<n> <what>: a, b, c …" for the first page, or None when ``n`` is 0."""
    if not n:
        return None
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return f"{n} {one if n == 1 else many}: {shown}"


@dataclass
class OwnFiles:
    """What pass 1 found of the scan's own files, item by item (:meth:`add`): the first page's
    alerts (:meth:`alerts`) and counts (:meth:`counts`)."""

    changed_since: list[str] = field(default_factory=list)  # keys: bytes changed between runs
    maps_changed: list[str] = field(default_factory=list)  # map files not as their row recorded
    thumbs_changed: list[str] = field(default_factory=list)  # thumbnails, likewise
    disagree: list[str] = field(default_factory=list)  # figures_disagree's alerts

    def add(self, item: ReportItem) -> None:
        if changed_between_runs(item):
            self.changed_since.append(item.key)
        self.maps_changed += changed_maps(item)
        self.thumbs_changed += changed_thumbnail(item)
        if (odd := figures_disagree(item)) is not None:
            self.disagree.append(odd)

    def counts(self) -> dict[str, int]:
        return {
            "evidence_changed_between_runs": len(self.changed_since),
            "map_files_changed": len(self.maps_changed),
            "thumbnail_files_changed": len(self.thumbs_changed),
        }

    def alerts(self, settings: Mapping[str, Any], bad_lines: Sequence[int]) -> list[str]:
        """Its alerts, then :func:`results_alerts`'s."""
        between = count_alert(
            len(self.changed_since),
            "file's bytes changed between runs of the scan (analysed again; its section says so)",
            "files' bytes changed between runs of the scan (analysed again; their sections say so)",
            self.changed_since,
        )
        maps = count_alert(
            len(self.maps_changed),
            "map file is not as the scan wrote it",
            "map files are not as the scan wrote them",
            self.maps_changed,
        )
        thumbs = count_alert(
            len(self.thumbs_changed),
            "thumbnail file is not as the scan wrote it (left out of the summary table)",
            "thumbnail files are not as the scan wrote them (left out of the summary table)",
            self.thumbs_changed,
        )
        found = [a for a in (between, maps, thumbs) if a is not None]
        return [*found, *self.disagree, *results_alerts(settings, bad_lines)]
