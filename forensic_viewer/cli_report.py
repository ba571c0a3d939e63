"""The reports a command writes into --out (``analyze``, ``scan`` and ``probe`` with
``--report``; ``report``, of a scan output folder without a run): an earlier report there
moved aside whole, the case's examiner, id, notes and audit-log head on every report, each
file printed and, with ``--case``, logged; and the check of --out's results.jsonl that a
resume and ``report`` make before they take its rows (``results_as_recorded``); a scan's
report says how far it is on stderr (:class:`ReportLines`).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from engine.errors import ForensicError
from engine.types import Progress
from forensic_viewer.cli_exit import _error
from forensic_viewer.wording import plain

REPORT_EVERY_FILES = 500  # a report's progress line after every this many files of a stage
REPORT_EVERY_SECONDS = 10.0  # or when this long has passed since the last line


class ReportLines:
    """Lines on stderr while the command line writes a report (``write_report``'s
    ``progress``): ``report: writing report: 2,000 of 9,720 files`` every
    :data:`REPORT_EVERY_FILES` files of a stage or :data:`REPORT_EVERY_SECONDS` seconds, and
    the end of a stage once a line was said. A report of 9,720 files took 7 minutes with
    nothing said (a walk-through, 2026-12-06); a small one says nothing. ``write``: a line's
    destination (stderr); ``clock``: seconds, as :func:`time.perf_counter` gives them."""

    def __init__(
        self,
        write: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.write = write or (lambda line: print(line, file=sys.stderr, flush=True))
        self.clock = clock
        self.every = REPORT_EVERY_FILES
        self.seconds = REPORT_EVERY_SECONDS
        self.last = clock()  # the report's start, then when the last line was said
        self.said = False

    def __call__(self, p: Progress) -> None:
        now = self.clock()
        due = p.done % self.every == 0 or now - self.last >= self.seconds
        if not (due or (self.said and p.done == p.total)):
            return
        self.last, self.said = now, True
        self.write(f"report: {p.stage}: {p.done:,} of {p.total:,} files")


def _options(args: argparse.Namespace) -> Any:
    """The ReportOptions of ``args`` (``--figures``, ``--colormap``)."""
    from forensic_viewer.overlays import DEFAULT_COLORMAP
    from forensic_viewer.report import FigureStyle, ReportOptions

    style = FigureStyle(colormap=getattr(args, "colormap", DEFAULT_COLORMAP))
    return ReportOptions(style=style, figures=getattr(args, "figures", "all"))


def _write_reports(
    args: argparse.Namespace,
    formats: tuple[str, ...],
    keys: list[str],
    case_log: Any = None,
    ended: dict[str, Any] | None = None,
    gone: Sequence[Any] = (),
) -> bool:
    """Reports of the files of this run (done, resumed or failed) into --out; with a case
    log, the reports print its head and their files are logged. ``ended``: how the run
    ended, when scan.json could not record it (:func:`_report_failed_run`). ``gone``: the
    files an earlier run analysed that have left the folder (:mod:`forensic_viewer.scan.gone`),
    an alert of the reports."""
    from forensic_viewer.report import write_report
    from forensic_viewer.report.model import run_source

    def write(case: Any) -> dict[str, Path]:
        source = run_source(args.out, keys, ended=ended, gone=gone)  # the batch dialog's too
        return write_report(
            source, args.out, formats, case=case, options=_options(args), progress=ReportLines()
        )

    return _logged_report(args, case_log, write, scan=Path(args.out))


def _logged_report(
    args: argparse.Namespace,
    case_log: Any,
    write: Callable[[Any], dict[str, Path]],
    basename: str = "report",
    scan: Path | None = None,
) -> bool:
    """``write(case)``: a report for the --examiner, --case-id and --notes given and the case
    log's head (``case``: a :class:`~forensic_viewer.report.CaseInfo`); each file printed and,
    with a case log, logged. An earlier report ``basename`` in --out, which may have been
    handed over, is first moved aside whole into ``earlier-reports/`` (one line says where;
    the case log records it: :mod:`forensic_viewer.report.earlier`), never written over, and
    put back (logged too) when the new one is not written. ``scan``: the scan folder reported
    on, whose scan.json the entry records. False, after one error line, when it cannot be
    written."""
    from forensic_viewer.casework import (
        head_after_report_line,
        log_report,
        log_report_moved,
        put_back_earlier_report,
    )
    from forensic_viewer.report import CaseInfo, os_problem
    from forensic_viewer.report.earlier import move_earlier_report

    out = Path(args.out)
    try:
        moved = move_earlier_report(out, basename)
    except OSError as e:  # the earlier report stays where it is, and no report goes over it
        _error(f"cannot write the report: {os_problem(e, out)}")
        return False
    if moved is not None:
        print(plain(moved.line()))
        log_report_moved(case_log, moved)
    stamp = None if case_log is None else case_log.stamp()
    case = CaseInfo(examiner=args.examiner, case_id=args.case_id, notes=args.notes, audit=stamp)
    try:
        paths = write(case)
    except BaseException as e:  # the folder left as it was: the earlier report back in it
        if moved is not None:
            print(plain(put_back_earlier_report(case_log, moved)))
        if isinstance(e, OSError):  # "<file>: <problem>", the file written, never errno text
            _error(f"cannot write the report: {os_problem(e, Path(args.out))}")
            return False
        if isinstance(e, ForensicError):
            _error(f"cannot write the report ({e})")
            return False
        raise
    entry = log_report(case_log, paths, stamp, scan)
    for fmt, path in paths.items():
        print(f"report ({fmt}): {plain(path)}")
    if entry is not None:
        print(plain(head_after_report_line(case_log, entry)))
    return True


def results_as_recorded(
    args: argparse.Namespace, case_log: Any, refused: str
) -> dict[str, Any] | None:
    """The check a resume and ``report`` make of --out's results.jsonl: refused when it changed
    since its last run ended (the SHA-256 the case log's last ``scan-finished`` of it
    recorded, else scan.json's ``run``): one line saying so and ``refused`` (what was not done
    and the ways forward), a ``results-edited`` entry in the case log, and a ForensicError
    (exit 2). With ``--accept-edited-results`` the warning is said, the case log's entry says
    so, and the record (:meth:`~forensic_viewer.scan.integrity.Edited.record`) is returned for
    the caller to keep; None when the file is as recorded."""
    from forensic_viewer.audit import Action
    from forensic_viewer.casework import case_recorded_end
    from forensic_viewer.scan.integrity import edited_results
    from forensic_viewer.scan.results import RESULTS, SCAN_INFO

    recorded = case_recorded_end(case_log, args.out)
    edited = edited_results(args.out / RESULTS, args.out / SCAN_INFO, recorded)
    if case_log is not None and recorded is not None and recorded.how and edited is None:
        print(  # which record vouched for the rows of a copied folder
            f"forensic-viewer: {plain(args.out / RESULTS)} is as the case log's "
            f"{plain(recorded.words())} recorded",
            file=sys.stderr,
        )
    elif case_log is not None and recorded is None and (args.out / RESULTS).exists():
        print(
            f"forensic-viewer: warning: the case log holds no recorded end of the last run "
            f"into {plain(args.out)}, nor of a folder it was copied from: {RESULTS} was "
            f"checked against {SCAN_INFO} alone",
            file=sys.stderr,
        )
    if edited is None:
        return None
    accepted = bool(getattr(args, "accept_edited_results", False))
    record = edited.record(accepted)
    if case_log is not None:
        case_log.append(Action.RESULTS_EDITED, {"out": str(args.out.resolve()), **record})
    if not accepted:
        raise ForensicError(None, f"{edited.line}; {refused}")
    accepted_line = f"{edited.line} (taken as they read: --accept-edited-results)"
    print(f"forensic-viewer: warning: {plain(accepted_line)}", file=sys.stderr)
    return record


def cmd_report(args: argparse.Namespace) -> int:
    """``forensic-viewer report OUT``: the report of the scan output folder OUT as it stands,
    without a run, so that an examiner given a copied folder can write it: OUT's
    results.jsonl checked as a resume checks it (refused when edited since its run ended,
    unless ``--accept-edited-results``: then this report's alert says it took the rows as
    they read; scan.json is not written), the report written into OUT as ``scan --report``
    writes it (an earlier one moved aside), and evidence no longer at its recorded path named
    by the report's integrity check (``the evidence file no longer exists``), never a
    failure. A folder that is not a scan output is a usage error (exit 2)."""
    from forensic_viewer.casework import case_session
    from forensic_viewer.cli_exit import EXIT_OK, EXIT_SCAN_FAILED, UsageError
    from forensic_viewer.report import parse_formats, scan_source, write_report
    from forensic_viewer.report.model import with_results_taken
    from forensic_viewer.scan.lock import OutputLock
    from forensic_viewer.scan.results import missing_scan_files

    formats = parse_formats(args.format)
    out = Path(args.out)
    if missing := missing_scan_files(out):
        raise UsageError(
            f"{plain(out)}: not a scan output folder (no {' or '.join(missing)}); give the "
            "--out folder of an analyze or scan"
        )
    refused = (
        "no report was written: report again with --accept-edited-results to take its rows "
        "as they now read (the report and the case log then say so)"
    )
    with case_session(args) as case_log, OutputLock(out, command="forensic-viewer report"):
        record = results_as_recorded(args, case_log, refused)
        source = scan_source(out)  # no rows: a ForensicError, before an earlier report moves
        if record is not None:  # this report's alert; scan.json stays as the run left it
            with_results_taken(source, record)

        def write(case: Any) -> dict[str, Path]:
            return write_report(
                source, out, formats, case=case, options=_options(args), progress=ReportLines()
            )

        return EXIT_OK if _logged_report(args, case_log, write, scan=out) else EXIT_SCAN_FAILED
