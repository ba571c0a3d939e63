"""What the batch dialog says and reports when a scan run ends, as the command line does.

A run of :class:`~forensic_viewer.gui.batch_dialog.BatchDialog` ends with a closing message
under its progress line and leaves a scan for Write report…. Since 2026-12-05 the command line
says more of a run than the dialog did; :class:`RunEnd` gathers it on the GUI thread, file by
file, so the dialog says the same:

- the decoders' warnings (a name that is not its format, frames left out, bytes after the
  image's end): counted in the closing message, each one in the triage table's Warnings
  column (:data:`~forensic_viewer.scan.triage.WARNINGS_NOTE`), as ``cli_table`` prints them;
- the files an earlier run analysed that have left the folder (:mod:`~forensic_viewer.scan.gone`),
  named under the closing message, and the report's alert;
- a failed run: the line saying scan.json could not record the failure
  (:func:`~forensic_viewer.scan.settings.unrecorded_line`), and Write report… writes the
  report of the files the run went through, marked failed, by the command line's own path
  (:func:`~forensic_viewer.report.model.run_source`);
- what it said before: byte-identical copies, analyses upgraded, files read from outside the
  folder; and, as a run begins, what its listing found and passed over (:func:`listed_line`);
- the files that failed, named in the closing message (the first few, :func:`failed_words`).

No computation of its own beyond counting: the words are the command line's.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from forensic_viewer.gui.report_job import ReportJob, scan_report_job
from forensic_viewer.scan.gone import GoneFile, changed_lines, gone_lines, renamed
from forensic_viewer.scan.links import outside_line
from forensic_viewer.scan.results import copies_line
from forensic_viewer.scan.run import ScanSummary
from forensic_viewer.scan.triage import TriageRow
from forensic_viewer.scan.upgrade import upgrade_lines


def unread_note(lines: list[str]) -> str:
    """What the walk could not read (:class:`~forensic_viewer.scan.walk.Unread` lines), for the
    dialog's one-line message: the first named, the others counted; "" when none."""
    if not lines:
        return ""
    more = f", and {len(lines) - 1} more" if len(lines) > 1 else ""
    return f" ({lines[0]}{more})"


def scanning_line(
    names: Sequence[str], ensemble: str | None, face_models: Sequence[str], device: str
) -> str:
    """The message once the models are loaded, naming every model that runs: the whole-image
    models, the face models (run on each face found; the message left them out although
    they were checked and ran) and the ensemble that gives the default verdict."""
    runs = ", ".join(names) or "no whole-image model"
    if face_models:
        s = "s" if len(face_models) > 1 else ""
        runs += f"; face model{s} {', '.join(face_models)}"
    if ensemble:
        runs += f"; default verdict: ensemble {ensemble}"
    return f"scanning with {runs} on {device}"


FAILED_NAMED = 3  # failed files named in the closing message; the rest counted


def failed_words(failed: Sequence[tuple[str, str]]) -> str:
    """The closing message's failures (:attr:`ScanSummary.failed`, key and error): "1 failed
    (broken.png)", "5 failed (a.png, b.png, c.png and 2 more)": "1 failed" alone sent the
    analyst looking for it through the table."""
    keys = [key for key, _ in failed]
    named = ", ".join(keys[:FAILED_NAMED])
    more = f" and {len(keys) - FAILED_NAMED} more" if len(keys) > FAILED_NAMED else ""
    return f"{len(keys)} failed ({named}{more})"


def listed_line(
    total: int,
    left_out: int,
    done_before: int,
    masks: int,
    unread: Sequence[str] | None,
    outputs: int,
    out: Path | None,
) -> str:
    """The message once a run has listed its folder: ``total`` files to scan, ``done_before``
    of them finished by an earlier run into ``out``, and what the listing passed over: files
    not images, ground-truth masks, folders it could not read (``unread``' lines), output
    folders of earlier scans."""
    passed = f" ({left_out} other files are not images by name or content)" if left_out else ""
    if masks:
        passed += f" ({masks} ground-truth masks are passed over, not analysed as evidence)"
    passed += unread_note(list(unread or []))
    if outputs:
        passed += f" ({outputs} output folders of earlier scans are passed over, not evidence)"
    earlier = (
        f", {done_before} of them finished by an earlier run into {out} "
        "(skipped, unless changed since)"
        if done_before
        else ""
    )
    return f"{total} files to scan{earlier}; loading models…{passed}"


def warnings_line(warned: dict[str, int]) -> str | None:
    """The closing message's count of the decoders' warnings (``warned``: file key -> how
    many), "3 warnings on 2 files: see the Warnings column"; None when no file warned."""
    n, files = sum(warned.values()), len(warned)
    if not n:
        return None
    return (
        f"{n:,} warning{'' if n == 1 else 's'} on {files:,} file{'' if files == 1 else 's'}: "
        "see the Warnings column"
    )


class RunEnd:
    """What one run of the batch dialog leaves for its closing message and its report.

    keys: the files the run went through, in order (a failed run's report holds these).
    outside: file key -> where it was read, outside the scanned folder (scan/links.py).
    warned: file key -> how many warnings its decoding gave.
    gone: the files an earlier run into the output folder analysed that have left the folder.
    failed: whether the run failed once it had begun (its summary so far came with it).
    unrecorded: the line saying scan.json could not record the failure, else None;
    ended: the run's own record then (what its report says in place of "running").
    """

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.outside: dict[str, str] = {}
        self.warned: dict[str, int] = {}
        self._gone: tuple[GoneFile, ...] = ()
        self.hashes: dict[str, str | None] = {}  # file key -> its row's SHA-256
        self.replaced: dict[str, str] = {}  # file key -> its earlier row's SHA-256 (replaces)
        self.failed = False
        self.unrecorded: str | None = None
        self.ended: dict[str, Any] | None = None

    def file(self, row: TriageRow) -> None:
        """One file the run went through (done, skipped as done earlier, or failed)."""
        self.keys.append(row.key)
        self.hashes[row.key] = row.sha256
        if row.replaces:
            self.replaced[row.key] = row.replaces
        if row.read_from:  # the closing message's line, as the command line's summary
            self.outside[row.key] = row.read_from
        if row.warnings:
            self.warned[row.key] = len(row.warnings)
        else:
            self.warned.pop(row.key, None)

    @property
    def gone(self) -> tuple[GoneFile, ...]:
        """The files gone from the folder, each one whose bytes the run went through under
        another name said renamed (:func:`~forensic_viewer.scan.gone.renamed`)."""
        return renamed(self._gone, self.hashes.items())

    @gone.setter
    def gone(self, gone: tuple[GoneFile, ...]) -> None:
        self._gone = gone

    def fail(
        self, summary: ScanSummary | None, unrecorded: str | None, ended: dict[str, Any] | None
    ) -> None:
        """The run failed: once begun (``summary``), its report is of :attr:`keys`, marked
        failed by scan.json or, when scan.json could not take it, by ``ended``."""
        self.failed = summary is not None
        self.unrecorded, self.ended = unrecorded, ended

    def lines(self, summary: ScanSummary | None = None) -> list[str]:
        """The lines under the closing message: a failed run's scan.json line first; then
        the copies, upgrades, links and files changed since analysed (named) of a run that
        ended (``summary``), the files gone from
        the folder and the warnings' count."""
        lines = [self.unrecorded] if self.unrecorded else []
        if summary is not None:
            lines += [copies_line(summary.copies)] if summary.copies else []
            lines += [f"upgraded {x}" for x in upgrade_lines(summary.upgraded)]  # as the CLI
            lines += [outside_line(self.outside)] if self.outside else []
            changed = [(k, self.replaced.get(k), self.hashes.get(k)) for k in summary.changed]
            lines += changed_lines(changed)
        lines += gone_lines(self.gone, listed_by="the report Write report… makes")
        warned = warnings_line(self.warned)
        return lines + ([warned] if warned else [])

    @property
    def no_report(self) -> bool:
        """A run that failed after it began but before any file finished: no report to
        write (the command line writes none; Write report… would make one of 0 files)."""
        return self.failed and not self.keys

    def report_job(self, out: Path) -> ReportJob:
        """Write report…'s job: a failed run's report holds the files it went through, as
        the command line's; else every file of the folder but those gone from it."""
        keys: Sequence[str] | None = tuple(self.keys) if self.failed else None
        return scan_report_job(out, keys, ended=self.ended, gone=self.gone)
