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
  one a fresh scan writes (timings aside); the metadata analysis's upgrade also replaces the
  row's metadata table with the one the loader reads now from the same bytes (the rest of
  what the first load recorded, its file-system times included, stays:
  :func:`refreshed_evidence`);
- an older version of an analysis the ensemble runs for its own verdict: the verdict depends
  on it and the float heatmaps it was made from are not kept, so the file is analysed again.

An upgrade that fails (the file no longer decodes, under a lowered pixel limit or a stricter
decoder; the new version fails on it) while the bytes are still the row's keeps the finished
row: its results are valid for those bytes, and an error row would supersede them. The run
names the file and why in one line and counts it as not upgraded (:func:`not_upgraded`); a
later resume tries again. A new map never takes an old map's file (its name holds the
version), and the old files are removed only after the new row is appended, so the last row
of a file always names maps that exist and are of its versions, whenever a scan is killed.

A row is judged by its own recorded versions, not by scan.json's: a cancelled upgrade goes on
where it stopped, and the ensemble's analyses (which scan.json does not list) are covered.
Everything else (model files, the ensemble file, parameters, the path, faces) is still compared
by :func:`~forensic_viewer.scan.settings.check_settings`, which refuses a folder that differs.
What was run again, on how many files and why: :class:`Upgraded`, in the summary and in
scan.json's ``run.upgraded`` (docs/RESULTS.md, "Resume").
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forensic_viewer.scan.encoded import EncodedRecord
from forensic_viewer.scan.maps import analysis_map_name, heatmap_png, row_file
from forensic_viewer.scan.records import (
    AnalysisRecord,
    EvidenceFacts,
    FileRecord,
    ScanRecord,
    as_record,
    check_finite,
)
from forensic_viewer.scan.walk import sha256_of_file

if TYPE_CHECKING:
    from engine.analyses import AnalysisResult
    from engine.types import Evidence
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
    kept: int = 0  # files not upgraded (:func:`not_upgraded`): their finished rows kept
    kept_lines: list[str] = field(default_factory=list)  # why, one line per file

    @property
    def note(self) -> str:
        """What was done and why, in one line (the summary's, scan.json's ``note``)."""
        was = ", ".join(sorted(self.old))
        done = []
        if self.rerun:
            done.append(f"run again on {self.rerun} files (their network results kept)")
        if self.reanalysed:
            done.append(f"{self.reanalysed} files analysed again (the ensemble's verdict uses it)")
        if self.kept:
            done.append(
                f"not upgraded on {self.kept} files, their finished rows kept (each named in a line)"
            )
        return f"version {was} in their rows, {self.now} now: " + "; ".join(done)

    def to_json(self) -> dict[str, Any]:
        return {
            "from": sorted(self.old),
            "to": self.now,
            "rerun": self.rerun,
            "reanalysed": self.reanalysed,
            "not_upgraded": self.kept,
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


def unchanged(rec: Recorded | None, path: Path) -> bool:
    """Whether ``rec`` is finished, of the analyses' versions now, and ``path``'s bytes still
    hash to its SHA-256 (a resume skips it)."""
    if rec is None or rec.status != "ok" or not rec.sha256 or rec.stale:
        return False
    try:
        return sha256_of_file(path) == rec.sha256
    except (OSError, ValueError):
        return False  # cannot be verified: analysed again, which says why


def up_to_date_keys(results: ResultIndex) -> frozenset[str]:
    """Paths whose last row is a finished analysis holding no classic analysis of an older
    version (``done_keys`` less the rows to upgrade): what the command line's ``--jobs auto``
    and the batch dialog count as not left to analyse."""
    rows = recorded_rows(results, ())
    return frozenset(k for k in results.done_keys() if not rows[k].stale)


# the classic analysis whose version follows how the loader reads the file's metadata (the
# XMP rows, engine.xmp.xmp_rows): upgrading it refreshes the row's metadata table too
METADATA_ANALYSIS = "metadata"


@dataclass(frozen=True)
class Rerun:
    """The outcome of running a row's analyses of an older version again: the row, the new
    results by name, and the evidence as loaded again for them (None: not at hand)."""

    row: FileRecord
    results: Mapping[str, AnalysisResult]
    evidence: Evidence | None = None


def refreshed_evidence(rerun: Rerun) -> EvidenceFacts | None:
    """The row's evidence facts with the metadata table the loader reads now from the same
    bytes, when the metadata analysis was run again (``METADATA_ANALYSIS``): its version
    follows how the loader reads the file's metadata, and a row kept its first load's table
    ("N bytes of binary data" where the XMP fields are rows now) beside the new findings.
    Only when the evidence loaded again hashes as the row's bytes (the same check the rerun
    passed); everything else the first load recorded (path, SHA-256, size, file-system
    times) stays: those belong to the forensic record of that analysis. None: nothing to
    refresh."""
    row, ev = rerun.row, rerun.evidence
    if METADATA_ANALYSIS not in rerun.results or ev is None or row.evidence is None:
        return None
    if not ev.sha256 == row.sha256 == row.evidence.sha256:
        return None
    return replace(row.evidence, metadata=dict(ev.metadata), metadata_format=ev.metadata_format)


def encode_rerun(rerun: Rerun) -> EncodedRecord:
    """The row with each analysis run again in its old entry's place (and its metadata table
    read again, :func:`refreshed_evidence`), and the bytes of their
    new maps (named as a fresh scan names them, by the new version, beside the row's other
    files (:meth:`~forensic_viewer.scan.records.FileRecord.output_name`): never the old map's file,
    which the old row names until the new one is appended; ``run.append_record`` then removes
    the old files the new row no longer names); nothing written. Raises
    :class:`~forensic_viewer.scan.records.NonFiniteResult` as
    :func:`~forensic_viewer.scan.encoded.encode_result` does."""
    row = rerun.row

    def entry(r: AnalysisResult) -> AnalysisRecord:
        file = (
            analysis_map_name(row.output_name() or row.path, r.analysis, r.provenance.version)
            if r.map is not None
            else None
        )
        return AnalysisRecord.from_result(r, file)

    fresh = {name: entry(r) for name, r in rerun.results.items()}
    record = replace(row, analyses=tuple(fresh.get(a.name, a) for a in row.analyses))
    if (evidence := refreshed_evidence(rerun)) is not None:
        record = replace(record, evidence=evidence)
    check_finite(record)
    files = [
        (a.map.file, heatmap_png(rerun.results[name].map))
        for name, a in fresh.items()
        if a.map is not None and a.map.file is not None
    ]
    return EncodedRecord(record, tuple(files))


def _upgraded(upgraded: dict[str, Upgraded], name: str, version: str) -> Upgraded:
    """The count of the analysis ``name`` in ``upgraded`` (made at its version now), with the
    older ``version`` a row held added."""
    u = upgraded.setdefault(name, Upgraded(current_version(name) or "?"))
    u.old.add(version)
    return u


def count_upgrade(upgraded: dict[str, Upgraded], stale: Stale, whole: bool) -> None:
    """Count one file whose analyses ``stale`` were run again (``whole``: the file was)."""
    for name, version in stale:
        u = _upgraded(upgraded, name, version)
        if whole:
            u.reanalysed += 1
        else:
            u.rerun += 1


def not_upgraded(upgraded: dict[str, Upgraded], stale: Stale, error: str) -> str:
    """Count one file whose upgrade failed (``error``: why, naming the file: it no longer
    decodes, e.g. under a lowered pixel limit, or the new version failed on it) while its bytes
    are those of its finished row: that row is kept, its results being valid for those bytes.
    The line saying so, naming the file (once, whatever the number of analyses)."""
    for name, version in stale:
        _upgraded(upgraded, name, version).kept += 1
    which = ", ".join(f"{n} {v} to {current_version(n) or '?'}" for n, v in stale)
    line = f"{error}; {which} not run: its finished row, of these same bytes, kept"
    for name, _ in stale:
        upgraded[name].kept_lines.append(line)
    return line


def named_files(results: ResultIndex, key: str) -> frozenset[str]:
    """The files (maps, face maps, thumbnail) the last row of ``key`` names (none for an
    error row, or no row): what a new row of ``key`` must not write over
    (:meth:`~forensic_viewer.scan.encoded.EncodedRecord.write`), and what
    :func:`remove_left_behind` removes once it is appended."""
    if results.status(key) != "ok":
        return frozenset()
    return as_record(results.get(key)).files()


def remove_left_behind(out: Path, before: Collection[str], record: ScanRecord) -> None:
    """Remove the files ``before`` (:func:`named_files` of the row ``record`` followed) that
    ``record``, just appended, no longer names: an upgraded analysis's older version (its map
    named by its version), a map the new version no longer makes, the maps and thumbnail of a
    file analysed again whole (its new ones written beside them), or of a row an error row
    replaced. Only after the append, so that a scan killed at any moment leaves the last row
    naming files that exist and are of its bytes and versions."""
    for name in set(before) - record.files():
        if (path := row_file(out, name, record.path)) is None:
            continue  # a row edited to name a file elsewhere: never removed
        with contextlib.suppress(OSError):  # a file left behind is untidy, never wrong
            path.unlink(missing_ok=True)


def upgrade_lines(upgraded: Mapping[str, Upgraded]) -> list[str]:
    """One line per analysis a run upgraded, then one per file it could not upgrade (each
    once): the command line's and the batch dialog's."""
    lines = [f"{name}: {u.note}" for name, u in upgraded.items()]
    files = dict.fromkeys(line for u in upgraded.values() for line in u.kept_lines)
    return lines + [f"not upgraded: {line}" for line in files]
