"""The reports a command writes into --out (``analyze``, ``scan`` and ``probe`` with
``--report``): an earlier report there moved aside whole, the case's examiner, id, notes and
audit-log head on every report, each file printed and, with ``--case``, logged.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from engine.errors import ForensicError
from forensic_viewer.cli_exit import _error
from forensic_viewer.wording import plain


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
        return write_report(source, args.out, formats, case=case)

    return _logged_report(args, case_log, write)


def _logged_report(
    args: argparse.Namespace,
    case_log: Any,
    write: Callable[[Any], dict[str, Path]],
    basename: str = "report",
) -> bool:
    """``write(case)``: a report for the --examiner, --case-id and --notes given and the case
    log's head (``case``: a :class:`~forensic_viewer.report.CaseInfo`); each file printed and,
    with a case log, logged. An earlier report ``basename`` in --out, which may have been
    handed over, is first moved aside whole into ``earlier-reports/`` (one line says where;
    the case log records it: :mod:`forensic_viewer.report.earlier`), never written over.
    False, after one error line, when it cannot be written."""
    from forensic_viewer.casework import log_report, log_report_moved
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
    except OSError as e:  # "<file>: <problem>", the file written, never errno text
        _error(f"cannot write the report: {os_problem(e, Path(args.out))}")
        return False
    except ForensicError as e:
        _error(f"cannot write the report ({e})")
        return False
    log_report(case_log, paths, stamp)
    for fmt, path in paths.items():
        print(f"report ({fmt}): {plain(path)}")
    return True
