"""A resume after a classic analysis's version changed: which rows hold results of an older
version, what is done with each, and what the run says of it (no Qt).

Why: each classic analysis result in a row carries its implementation's version
(``analyses.NAME.provenance.version``), and a fix that changes an analysis's results bumps it.
A resume used to refuse the whole folder then (scan.json's ``analyses`` differed), so a
10,000-file scan started again from nothing; keeping the rows as they were would have mixed
versions silently. Per finished row whose bytes still hash the same, now:

- every analysis it holds at the version registered now: skipped, as ever;
- an older version of an analysis asked for besides the networks (``--analyses``): only those
  analyses run again on the file (decoded again); its network results, faces, thumbnail and
  other analyses are kept, and each new entry replaces the old one in place, so the row is the
  one a fresh scan writes (timings aside);
- an older version of an analysis the ensemble runs for its own verdict: the verdict depends
  on it and the float heatmaps it was made from are not kept, so the file is analysed again.

A row is judged by its own recorded versions, not by scan.json's: a cancelled upgrade goes on
where it stopped, and the ensemble's analyses (which scan.json does not list) are covered.
Everything else (model files, the ensemble file, parameters, the path, faces) is still compared
by :func:`~forensic_viewer.scan.settings.check_settings`, which refuses a folder that differs.
What was run again, on how many files and why: :class:`Upgraded`, in the summary and in
scan.json's ``run.upgraded`` (docs/RESULTS.md, "Resume").
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from forensic_viewer.scan.maps import analysis_map_name, heatmap_png
from forensic_viewer.scan.records import (
    AnalysisRecord,
    EncodedRecord,
    FileRecord,
    check_finite,
)

if TYPE_CHECKING:
    from engine.analyses import AnalysisResult
    from forensic_viewer.scan.results import ResultIndex

Stale = tuple[tuple[str, str], ...]  # (analysis, the version its row holds) of older versions


@dataclass(frozen=True)
class Recorded:
    """What the output folder already says about a path: its last row's status and SHA-256;
    ``stale``, the classic analyses it holds of another version than the one registered now;
    ``whole``: one of them is the ensemble's, so the file is analysed again, not only them."""

    status: str
    sha256: str | None
    stale: Stale = ()
    whole: bool = False


@dataclass
class Upgraded:
    """One analysis of a resume's upgrade: the versions its rows held, the version now, the
    files it was run on again alone (``rerun``) and those analysed again whole because the
    ensemble's verdict uses it (``reanalysed``)."""

    now: str
    old: set[str] = field(default_factory=set)
    rerun: int = 0
    reanalysed: int = 0

    @property
    def note(self) -> str:
        """What was done and why, in one line (the summary's, scan.json's ``note``)."""
        was = ", ".join(sorted(self.old))
        done = []
        if self.rerun:
            done.append(f"run again on {self.rerun} files (their network results kept)")
        if self.reanalysed:
            done.append(f"{self.reanalysed} files analysed again (the ensemble's verdict uses it)")
        return f"version {was} in their rows, {self.now} now: " + "; ".join(done)

    def to_json(self) -> dict[str, Any]:
        return {
            "from": sorted(self.old),
            "to": self.now,
            "rerun": self.rerun,
            "reanalysed": self.reanalysed,
            "note": self.note,
        }


def current_version(name: str) -> str | None:
    """The version of the analysis ``name`` registered now (None: no longer registered)."""
    from engine.analyses import get_analysis_spec

    try:
        return get_analysis_spec(name).provenance.version
    except KeyError:
        return None


def recorded_rows(results: ResultIndex, ensemble: Collection[str]) -> dict[str, Recorded]:
    """What a resume knows of each path of ``results`` before it looks at the files:
    :class:`Recorded`, with the analyses of an older version in its row (``ensemble``: the
    classic analyses the ensemble runs for its verdict)."""
    now: dict[str, str | None] = {}
    rows = {}
    for k in results.keys():
        stale = tuple(
            (name, version)
            for name, version in results.analysis_versions(k)
            if now.setdefault(name, current_version(name)) not in (None, version)
        )
        whole = any(name in ensemble for name, _ in stale)
        rows[k] = Recorded(results.status(k) or "", results.sha256(k), stale, whole)
    return rows


def up_to_date_keys(results: ResultIndex) -> frozenset[str]:
    """Paths whose last row is a finished analysis holding no classic analysis of an older
    version (``done_keys`` less the rows to upgrade): what the command line's ``--jobs auto``
    and the batch dialog count as not left to analyse."""
    rows = recorded_rows(results, ())
    return frozenset(k for k in results.done_keys() if not rows[k].stale)


@dataclass(frozen=True)
class Rerun:
    """The outcome of running a row's analyses of an older version again: the row, and the
    new results by name."""

    row: FileRecord
    results: Mapping[str, AnalysisResult]


def encode_rerun(rerun: Rerun) -> EncodedRecord:
    """The row with each analysis run again in its old entry's place, and the bytes of their
    new maps (named as a fresh scan names them, so they replace the old files; an old map the
    new version does not make is dropped when written); nothing written. Raises :class:`~forensic_viewer.scan.records.NonFiniteResult` as
    :func:`~forensic_viewer.scan.records.encode_result` does."""
    row = rerun.row

    def entry(r: AnalysisResult) -> AnalysisRecord:
        file = analysis_map_name(row.path, r.analysis) if r.map is not None else None
        return AnalysisRecord.from_result(r, file)

    fresh = {name: entry(r) for name, r in rerun.results.items()}
    record = replace(row, analyses=tuple(fresh.get(a.name, a) for a in row.analyses))
    check_finite(record)
    files = [
        (a.map.file, heatmap_png(rerun.results[name].map))
        for name, a in fresh.items()
        if a.map is not None and a.map.file is not None
    ]
    named = {a.map.file for a in record.analyses if a.map is not None}
    dropped = tuple(
        a.map.file
        for a in row.analyses
        if a.name in fresh and a.map is not None and a.map.file and a.map.file not in named
    )
    return EncodedRecord(record, tuple(files), dropped)


def count_upgrade(upgraded: dict[str, Upgraded], stale: Stale, whole: bool) -> None:
    """Count one file whose analyses ``stale`` were run again (``whole``: the file was)."""
    for name, version in stale:
        u = upgraded.setdefault(name, Upgraded(current_version(name) or "?"))
        u.old.add(version)
        if whole:
            u.reanalysed += 1
        else:
            u.rerun += 1


def upgrade_lines(upgraded: Mapping[str, Upgraded]) -> list[str]:
    """One line per analysis a run upgraded: the command line's and the batch dialog's."""
    return [f"{name}: {u.note}" for name, u in upgraded.items()]
