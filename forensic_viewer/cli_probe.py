"""``forensic-viewer probe``: the robustness probe of one image (:mod:`engine.probe`) run
under --out's lock and the case log, its table printed and written (probe.json, maps), and with
--report the probed image's report with that table.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from engine.errors import ForensicError
from engine.files import read_regular_text
from forensic_viewer.cli_exit import EXIT_FILES_FAILED, EXIT_OK, EXIT_SCAN_FAILED, _error
from forensic_viewer.cli_options import (
    _check_window_args,
    _refused_early,
    _report_formats,
    build_analyzer,
)
from forensic_viewer.cli_progress import ProgressBar
from forensic_viewer.cli_report import _logged_report
from forensic_viewer.scan.lock import OutputLock
from forensic_viewer.wording import plain


def cmd_probe(args: argparse.Namespace) -> int:
    """The robustness probe of one image (:mod:`engine.probe`), written by
    :func:`forensic_viewer.scan.probe.write_probe`; exit codes as ``analyze``."""
    from engine.io import load_evidence
    from engine.probe import run_probe
    from forensic_viewer.audit import Action
    from forensic_viewer.casework import case_session, probe_details
    from forensic_viewer.scan.probe import table_lines, write_probe
    from forensic_viewer.scan.walk import real_path

    formats = _report_formats(args)
    _check_window_args(args)
    if _refused_early(args, [real_path(args.image)]):  # before the models load, in its words
        return EXIT_FILES_FAILED
    # --case: the probe goes into the case's log, opened first so that a refused one leaves no
    # output folder behind; then one writer per output folder, as for scans.
    with (
        case_session(args) as case_log,
        OutputLock(args.out, command=f"forensic-viewer {args.command}"),
    ):
        analyzer = build_analyzer(args)
        bar = ProgressBar(1, sys.stderr.isatty())
        try:
            # absolute, as a scan records its files: probe.json, the report and the case log
            # name the file without the working folder the command was run from
            evidence = load_evidence(real_path(args.image))
            result = run_probe(analyzer, evidence, progress=bar.windows)
        except ForensicError as e:
            bar.close()
            _error(e)
            return EXIT_FILES_FAILED
        bar.close()
        path = write_probe(result, args.out)
        # the table as written (JSON's types), read like every other probe table: regular only
        table = json.loads(read_regular_text(path))
        if case_log is not None:
            case_log.append(Action.PROBE_RUN, probe_details(table, path))
        print("\n".join(table_lines(table)))
        print(f"probe of {plain(args.image)} in {result.seconds:.1f} s; results in {plain(path)}")
        if formats and not _write_probe_report(
            args, formats, result.original, table, analyzer, case_log
        ):
            return EXIT_SCAN_FAILED
        return EXIT_OK


def _write_probe_report(
    args: argparse.Namespace,
    formats: tuple[str, ...],
    original: Any,
    table: Any,
    analyzer: Any,
    case_log: Any = None,
) -> bool:
    """The probed image's report (``original``: its Analysis) with the probe's table, into
    --out as probe-report.*; with a case log, the report prints its head and is logged."""
    from forensic_viewer.casework import typed_command
    from forensic_viewer.report.probe import BASENAME, write_probe_report

    return _logged_report(
        args,
        case_log,
        lambda case: write_probe_report(
            original,
            table,
            args.out,
            formats,
            analyzer=analyzer,
            case=case,
            command=typed_command(args),
        ),
        BASENAME,
    )
