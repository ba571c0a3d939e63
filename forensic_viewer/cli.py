"""``forensic-viewer``: the GUI, and every analysis it can do, headless.

    forensic-viewer [IMAGE_OR_FOLDER ...] [--model M ...] [--device D]   open the viewer
    forensic-viewer analyze IMAGE ... --out DIR [--model M ...] [--device D] [--window P --stride S]
    forensic-viewer scan FOLDER --out DIR [--model M ...] [--recursive] [--jobs N] [--ray [ADDR]]
        analyze and scan take [--analyses ela,noise,clone,...|all]: classic analyses too
        analyze and scan take [--exact]: the paper's sliding-window path (the slow reference)
        analyze and scan also take [--report html,pdf] [--examiner NAME] [--case-id ID]
        [--notes TEXT]: reports (with a JSON sidecar) of the files analysed, written to --out
        (an earlier report there moved whole into --out/earlier-reports/, never written over)
    forensic-viewer probe IMAGE --out DIR [--model M ...] [--report html,pdf]   robustness probe
    forensic-viewer models [NAME]
    forensic-viewer audit verify|show LOG    the case's hash-chained audit log (docs/AUDIT.md)
        analyze and scan take [--case DIR]: the run is logged in DIR/audit.jsonl

Exit codes: 0 when every file was analysed, 1 when some failed (a file missing, unreadable or
not decodable, or a folder among analyze's files: each is a row of its own, listed at the end;
the others are analysed anyway), 2 on a usage error (bad arguments, analyze given folders only,
scan given a folder without images, no usable model, an output folder holding results made with other settings), 3 when the scan itself failed (the
output folder is locked by another scan, cannot be written or filled up; finished results
are kept and a rerun resumes), 130 and 143 when Ctrl+C (SIGINT) or SIGTERM stopped it. The
viewer (no command) exits 0 when closed, 130 or 143 when one of those signals closed its
window (as File > Quit does: a batch scan is cancelled first).

Long file: every subcommand's parser, its checks and its command function side by side, so
that what each option does can be read where it is declared.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from engine.ending import (
    ignore_stop_signals,
    sigterm_as_interrupt,
    stop_status,
    stop_words,
)
from engine.ensemble import ENSEMBLE_SUFFIX
from engine.errors import ForensicError
from engine.files import not_regular_reason, open_append, read_regular_text
from engine.formatting import time_text
from forensic_viewer.casework import cmd_audit
from forensic_viewer.cli_exit import (
    EXIT_FILES_FAILED,
    EXIT_OK,
    EXIT_PIPE_CLOSED,
    EXIT_SCAN_FAILED,
    EXIT_USAGE,
    UsageError,
    _error,
)
from forensic_viewer.cli_parser import COMMANDS, build_parser, gui_parser, parse_command
from forensic_viewer.cli_progress import ProgressBar
from forensic_viewer.cli_table import (
    TABLE_LIMIT,
    print_table,
    table_checks,
    table_summary,
    warning_lines,
)
from forensic_viewer.scan.lock import OutputLock, ScanFailed
from forensic_viewer.wording import plain, plain_lines

# The commands that write a scan's results (a failure to write is the scan's: rows kept, rerun)
RESULT_COMMANDS = ("analyze", "scan", "probe")


def _jobs(args: argparse.Namespace) -> int:
    """--jobs as given (after :func:`_resolve_jobs`), else 1 (or for a command without it)."""
    jobs = getattr(args, "jobs", None)
    return 1 if jobs is None else jobs


def _resolve_jobs(args: argparse.Namespace, files: int) -> None:
    """A scan's ``--jobs auto`` (or none given) made a number for ``files`` files to analyse
    (:func:`forensic_viewer.scan.pool.auto_jobs`); with --ray, None (Ray's own default)."""
    if getattr(args, "jobs", 1) in (None, "auto"):
        from forensic_viewer.scan.pool import auto_jobs

        args.jobs = None if _on_ray(args) else auto_jobs(files, args.device)
        if args.jobs and args.jobs > 1:  # said, since the analyst did not ask for it
            print(f"{args.jobs} worker processes (--jobs auto; --jobs 1: one)", file=sys.stderr)


def _on_ray(args: argparse.Namespace) -> bool:
    """Whether --ray was given (with or without an address)."""
    return getattr(args, "ray", None) is not None


def _check_path_variables() -> None:
    """Refuse a $FORENSIC_VIEWER_CACHE, _CASE, _MODELS or _RESOURCES that is a relative path,
    before any command or the viewer reads it (:func:`engine.environ.relative_path_setting`)."""
    from engine.environ import relative_path_setting

    if (problem := relative_path_setting()) is not None:
        raise UsageError(problem)


def _check_window_args(args: argparse.Namespace) -> None:
    """Refuse a bad --window or --stride (a usage error)."""
    if args.window is not None and args.window < 1:
        raise UsageError(f"--window must be >= 1, got {args.window}")
    if args.stride is not None and args.stride < 1:
        raise UsageError(f"--stride must be >= 1, got {args.stride}")
    if args.window and args.stride and args.stride > args.window:
        raise UsageError(f"--stride ({args.stride}) must not exceed --window ({args.window})")


def _check_workers(args: argparse.Namespace) -> None:
    """Refuse a --jobs below 1 and --ray without Ray (usage errors)."""
    jobs = getattr(args, "jobs", None)
    if isinstance(jobs, int) and jobs < 1:
        raise UsageError(f"--jobs must be >= 1, got {jobs}")
    if _on_ray(args):
        from forensic_viewer.scan.ray_pool import INSTALL_HINT, ray_available

        if not ray_available():
            raise UsageError(f"--ray needs Ray, which is not installed: {INSTALL_HINT}")


def _check_models(args: argparse.Namespace) -> None:
    """Refuse, without loading any model, what :func:`build_analyzer` would refuse first, for
    a run that stops before it (every file refused by the header check); the checks that need
    no torch first, so a mistake they find is said at once, not after the seconds torch takes:
    a --device of no kind of device (for --ray too: a name no node has), no model installed
    for a run without --model, a --model that is a file or the name of one in the models
    folders (found by the names alone); only then a --model named otherwise (the headers
    are read) and a --device this machine may lack (its workers' machine: a Ray cluster's
    nodes are not this one, and are left to them)."""
    from engine import catalog  # no torch
    from engine.device_names import device_name_problem

    if (problem := device_name_problem(args.device)) is not None:
        raise UsageError(problem)
    if not args.model and not catalog.bundled_checkpoint_files():
        raise UsageError(catalog.NO_MODEL_INSTALLED)
    names = [m for m in args.model or () if not catalog.found_by_file_name(m)]
    if names:
        from engine.assembly import resolve_models  # torch

        _, problems = resolve_models(names)
        if problems:
            raise UsageError(problems[0])
    if not _on_ray(args) and args.device not in ("auto", "cpu"):
        from engine.devices import resolve_device  # torch

        resolve_device(args.device)  # ValueError: a usage error, as when the models load


def build_analyzer(args: argparse.Namespace, weights: bool | None = None):  # -> Analyzer
    """The Analyzer of ``--model``/``--device``/``--window``/``--stride``/``--no-faces``/
    ``--exact`` (assembled as the batch dialog does: :func:`engine.assembly.assemble_analyzer`);
    with ``--jobs N`` > 1 the recipe each worker process assembles it from. ``weights`` given:
    in this process whatever --jobs says, False: its checkpoints only described (settings, no
    network: a resume with nothing new to analyse)."""
    from engine.assembly import NoModelError, assemble_analyzer

    _check_window_args(args)
    _check_workers(args)
    jobs = _jobs(args)
    settings = {
        "device": args.device,
        "window": args.window,
        "stride": args.stride,
        "batch_size": args.batch_size,
        "faces": not args.no_faces,
        "exact": args.exact,
    }
    if weights is None and (jobs > 1 or _on_ray(args)):  # each worker assembles the same
        from forensic_viewer.scan.pool import AnalyzerRecipe

        return AnalyzerRecipe(models=None if args.model is None else tuple(args.model), **settings)
    try:
        return assemble_analyzer(args.model, **settings, weights=weights is not False)
    except NoModelError as e:
        raise UsageError(str(e)) from e


_TABLE_FIELDS = ("path", "file", "status", "error")


def _analyses(args: argparse.Namespace) -> tuple[str, ...]:
    """The --analyses names, checked before any model is loaded."""
    from engine.analyses import parse_analyses

    try:
        return parse_analyses(getattr(args, "analyses", "") or "")
    except ValueError as e:
        raise UsageError(f"--analyses: {e}") from e


def _run_files(
    args: argparse.Namespace,
    list_files: Callable[[Any], list[tuple[Path, str]]],
    source: str,
) -> int:
    """Open the case log (--case), lock --out, list the files (``list_files(index of
    --out)``), load the models, scan, write the reports; the exit code. The case log is opened
    first, so a refused one (a link, a broken chain, a folder that is a file) stops the run
    before --out is made or locked; then the lock, so a second scan into the same folder is
    refused before any model is loaded, held until the last report is written."""
    from forensic_viewer.casework import case_session, log_started
    from forensic_viewer.scan.pool import files_to_analyse
    from forensic_viewer.scan.results import ResultIndex
    from forensic_viewer.scan.upgrade import up_to_date_keys

    formats = _report_formats(args)
    analyses = _analyses(args)
    with (
        case_session(args) as case_log,  # --case: the run goes into the case's audit log
        OutputLock(args.out, command=f"forensic-viewer {args.command}") as lock,
    ):
        files = list_files(index := ResultIndex(args.out))
        done = up_to_date_keys(index)
        # nothing new: every file finished, or failed before (tried again: models only if one
        # now loads); then the models are loaded only when a file needs them, if one does
        new = sum(key not in done and index.status(key) in (None, "ok") for _, key in files)
        later = not new and not _on_ray(args)  # in this process: no worker loads them either
        _resolve_jobs(args, files_to_analyse(files, done) if not later else 0)
        t0 = time.perf_counter()
        analyzer = build_analyzer(args, weights=False) if later else build_analyzer(args)
        if not later:
            args.load_seconds = time.perf_counter() - t0  # said apart from the analysis time
        log_started(case_log, args, files)
        try:
            return _scan_and_report(
                args, files, source, analyzer, formats, lock, analyses, case_log, index,
                _loader(args) if later else None,
            )  # fmt: skip
        except (UsageError, ForensicError, OSError, KeyboardInterrupt):
            raise  # their lines and exit codes are main()'s (the same line: failure_line)
        except Exception as e:  # the one line the dialog and the case log say too
            from forensic_viewer.scan.failure import failure_line, is_unexpected

            line = failure_line(e, args.out, getattr(args, "folder", None))
            kept = _log_traceback(args.out, line) if is_unexpected(e) else None
            _error(line)
            if kept is not None:  # a bug in the scan itself: the rest is in scan.log
                where = plain(os.path.abspath(kept))
                print(f"the traceback of the unexpected error: {where}", file=sys.stderr)
            return EXIT_SCAN_FAILED


def _loader(args: argparse.Namespace) -> Callable[[], Any]:
    """The models of ``args`` loaded when a resume that seemed to have nothing new to analyse
    meets a file that needs them (changed since, or failed before); the time it took is kept
    as ``args.load_seconds``, said with the closing line."""

    def load() -> Any:
        t0 = time.perf_counter()
        analyzer = build_analyzer(args, weights=True)
        args.load_seconds = time.perf_counter() - t0
        return analyzer

    return load


def _log_traceback(out: Path, message: str) -> Path | None:
    """Append the traceback being handled to OUT/scan.log; that file, or None when it cannot
    be written."""
    from forensic_viewer.scan.run import SCAN_LOG

    try:
        with open_append(out / SCAN_LOG, "a", encoding="utf-8", errors="backslashreplace") as f:
            f.write(f"--- {time_text()} {message}\n")
            f.write(traceback.format_exc())
    except OSError:
        return None
    return out / SCAN_LOG


def stopped_outputs_line(asked: str, n: int) -> str:
    """The line said before a stopped scan's ``asked`` ("reports", "scores and reports") of
    its ``n`` finished files are written."""
    return _outputs_line(asked, n, "was stopped", "Ctrl+C again")


def _outputs_line(asked: str, n: int, ended: str, skip: str) -> str:
    """The line said before the ``asked`` outputs of a scan's ``n`` finished files are written,
    the scan having ``ended`` so; ``skip``, the keys that skip them."""
    files = "1 file" if n == 1 else f"{n} files"
    return (
        f"writing the {asked} of the {files} finished (they say the scan {ended}); "
        f"{skip} skips them, leaving no half-written file"
    )


def _scan_and_report(
    args: argparse.Namespace,
    files: list[tuple[Path, str]],
    source: str,
    analyzer: Any,
    formats: tuple[str, ...],
    lock: OutputLock,
    analyses: tuple[str, ...] = (),
    case_log: Any = None,
    index: Any = None,
    load: Callable[[], Any] | None = None,
) -> int:
    """Scan ``files`` (``index``: --out's ResultIndex, made for the listing: the run takes it
    rather than parse results.jsonl again), print the closing table, write the reports.
    ``load``: ``analyzer`` is only described and ``load()`` makes it whole when a file needs
    it (:func:`forensic_viewer.scan.run.run_scan`)."""
    from forensic_viewer.casework import log_failed, log_finished, typed_command
    from forensic_viewer.scan.gone import gone_lines
    from forensic_viewer.scan.links import outside_line, row_read_from
    from forensic_viewer.scan.records import as_record
    from forensic_viewer.scan.results import copies_line
    from forensic_viewer.scan.run import run_scan
    from forensic_viewer.scan.triage import analysis_cell
    from forensic_viewer.scan.upgrade import upgrade_lines

    gone: list[Any] = []  # rows of files an earlier run analysed that have left the folder since
    if source != "analyze" and index is not None:
        from forensic_viewer.scan.gone import gone_files

        gone = gone_files(index, (key for _, key in files), Path(source))
    bar = ProgressBar(len(files), sys.stderr.isatty())
    records: list[dict[str, Any]] = []
    table = len(files) <= TABLE_LIMIT  # else a summary (table_summary), no line per file
    verdicts: Counter[str] = Counter()
    outside: dict[str, str] = {}  # files read through links from outside the scanned folder

    def on_file(i: int, total: int, rec: dict[str, Any]) -> None:
        # only what the closing table prints: records also hold evidence facts and EXIF text,
        # and a 10,000-file scan must not keep them all
        records.append({k: rec[k] for k in _TABLE_FIELDS if k in rec})
        if rec.get("warnings"):  # the decoder's: said under the table, in both its forms
            records[-1]["warnings"] = list(rec["warnings"])
        if source != "analyze" and (target := row_read_from(rec)) is not None:
            outside[rec["path"]] = target
        checks = table_checks(rec)
        if checks and rec.get("status") == "ok":
            verdicts[str(checks[0][1].get("verdict"))] += 1
        bar.file_done(i, rec.get("status") == "ok")
        if not table:  # the path and status alone: the reports' list, the summary
            return
        records[-1]["checks"] = checks
        records[-1]["faces"] = [
            {k: f[k] for k in ("box", "face_scores") if k in f} for f in rec.get("faces") or []
        ]
        if rec.get("analyses"):  # one line each, as the triage table words it
            kept = as_record(rec)
            cells = (analysis_cell(a.name, a) for a in kept.analyses)
            records[-1]["analyses"] = {c.name: c.text for c in cells}

    interrupted: KeyboardInterrupt | None = None
    failed: Exception | None = None
    command = typed_command(args)
    unread = getattr(args, "unread", None)  # scan's listing: what it could not read
    try:
        if _on_ray(args):
            from forensic_viewer.scan.ray_pool import run_ray_scan

            summary = run_ray_scan(
                files,
                analyzer,
                args.out,
                address=args.ray or None,
                jobs=args.jobs,
                source=source,
                on_file=on_file,
                lock=lock,
                analyses=analyses,
                command=command,
                index=index,
                unread=unread,
            )
        elif _jobs(args) > 1 and load is None:
            from forensic_viewer.scan.pool import run_pool_scan

            summary = run_pool_scan(
                files,
                analyzer,
                args.out,
                jobs=args.jobs,
                source=source,
                on_file=on_file,
                lock=lock,
                analyses=analyses,
                command=command,
                index=index,
                unread=unread,
            )
        else:
            summary = run_scan(
                files,
                analyzer,
                args.out,
                source=source,
                on_file=on_file,
                progress=bar.windows,
                lock=lock,
                analyses=analyses,
                command=command,
                index=index,
                unread=unread,
                load=load,
            )
    except KeyboardInterrupt as e:  # the scan wrote its CSV and scan.json: say where it stopped
        summary = getattr(e, "summary", None)
        if summary is None:
            raise
        interrupted = e
    except Exception as e:  # the scan failed (exit 3, or 2 for other settings): logged ended
        log_failed(case_log, args.out, e, getattr(args, "folder", None))
        if getattr(e, "summary", None) is None:  # before its run began: nothing to report
            raise
        failed = e
    finally:
        bar.close()
    if failed is not None:  # its one line is main()'s or _run_files', said last
        if (unrecorded := getattr(failed, "unrecorded", None)) is not None:
            _error(unrecorded)  # scan.json says "running": its readers find it is not
        for line in [*warning_lines(records), *gone_lines(gone)]:  # as the dialog says them
            print(plain(line))
        if formats and records:
            keys = [r["path"] for r in records]
            _report_failed_run(args, formats, keys, case_log, failed, gone)
        raise failed
    if table:
        print_table(records)
    else:
        errors = sum(r["status"] != "ok" for r in records)
        print(table_summary(len(records), verdicts, errors, TABLE_LIMIT))
    for line in warning_lines(records):
        print(plain(line))
    changed = f", {len(summary.changed)} changed since analysed" if summary.changed else ""
    stopped = (
        f"{stop_words(interrupted)} after {summary.through} of {summary.total} files: "
        if interrupted is not None
        else ""
    )
    if load is not None and "load_seconds" not in args and interrupted is None:
        print("nothing new to analyse: no model was loaded")
    print(
        f"{stopped}{summary.done} analysed, {summary.skipped} already done{changed}, "
        f"{len(summary.failed)} failed of {summary.total} in {summary.seconds:.1f} s"
        + (
            f" (models loaded in {args.load_seconds:.1f} s "
            + ("when a file needed them)" if load is not None else "before)")
            if "load_seconds" in args
            else ""
        )
        + f"; results in {plain(args.out)}"
    )
    if summary.copies:  # the same evidence under two names: analysed twice, said once
        print(plain(copies_line(summary.copies)))
    if outside:  # the examiner's own files, analysed as evidence, if a seized link said so
        print(plain(outside_line(outside)))
    for line in gone_lines(gone):
        print(plain(line))
    for line in upgrade_lines(summary.upgraded):  # rows that held an older analysis version
        print(plain(f"upgraded {line}"))
    truth = getattr(args, "truth", None) is not None
    if interrupted is not None and (truth or (formats and records)):  # of the finished part
        asked = " and ".join(w for w, on in (("scores", truth), ("reports", formats)) if on)
        print(stopped_outputs_line(asked, len(records)), file=sys.stderr)
    try:
        if truth:
            _ground_truth(args, [r["path"] for r in records])
    finally:  # after --gt's columns, so the CSV is hashed as it stays
        log_finished(case_log, args.out, summary)
    if formats and records:
        keys = [r["path"] for r in records]
        written = _write_reports(args, formats, keys, case_log, gone=gone)
        if not written and interrupted is None:
            return EXIT_SCAN_FAILED
    if interrupted is not None:  # main() says it in one line and exits 130 or 143
        raise interrupted
    if summary.failed:
        print("failed:", file=sys.stderr)
        for _key, msg in summary.failed:
            print(f"  {plain(msg)}", file=sys.stderr)
        if summary.log is not None:
            print(f"tracebacks of unexpected errors: {plain(summary.log)}", file=sys.stderr)
        return EXIT_FILES_FAILED
    return EXIT_OK


def _ground_truth(args: argparse.Namespace, keys: list[str]) -> None:
    """``scan --gt``: score this run's files against the masks (a problem is one line on
    stderr, and the others are scored)."""
    from forensic_viewer.scan.groundtruth import (
        appledouble_line,
        evaluate_scan,
        fold_unmatched,
        summary_lines,
    )

    result = evaluate_scan(args.out, args.truth, keys)
    print("\n".join(summary_lines(result, args.out)))
    if (passed := appledouble_line(result)) is not None:
        print(plain(passed), file=sys.stderr)
    for line in fold_unmatched(result.problems):
        print(f"ground truth: {plain(line)}", file=sys.stderr)


def failed_outputs_line(n: int) -> str:
    """The line said before the reports of a failed scan's ``n`` finished files are written."""
    return _outputs_line("reports", n, "failed", "Ctrl+C")


def _report_failed_run(
    args: argparse.Namespace,
    formats: tuple[str, ...],
    keys: list[str],
    case_log: Any,
    failed: Exception,
    gone: Sequence[Any] = (),
) -> None:
    """The reports of the files a failed run went through, as a stopped run's are written:
    their first page says the scan failed, after how many files and why (scan.json's run, or
    the run's own record, ``failed.ended_run``, when scan.json could not take it). A run that
    failed made no report at all, and the analyst had nothing of the part analysed to hand
    over. Ctrl+C (or SIGTERM) skips them; the scan's failure is still what ends the program.
    ``gone``: as :func:`_write_reports`' (a failed run's report had no alert of them)."""
    print(failed_outputs_line(len(keys)), file=sys.stderr)
    from forensic_viewer.scan.settings import unrecorded_end

    ended = unrecorded_end(failed)
    try:
        _write_reports(args, formats, keys, case_log, ended=ended, gone=gone)
    except KeyboardInterrupt:  # the writers removed their half-written files
        print("reports skipped", file=sys.stderr)


def _report_formats(args: argparse.Namespace) -> tuple[str, ...]:
    """The --report formats, checked before any analysis so a typo costs no time."""
    if not getattr(args, "report", None):
        return ()
    from forensic_viewer.report import parse_formats

    try:
        return parse_formats(args.report)
    except ValueError as e:
        raise UsageError(f"--report: {e}") from e


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


def cmd_analyze(args: argparse.Namespace) -> int:
    """Files keyed by resolved path against what --out already holds (see
    :func:`~forensic_viewer.scan.walk.file_keys`): never another file's row. A folder among
    files fails as a missing file does (its row, its line at the end, exit 1), the rest are
    analysed; folders alone are a usage error, before any output is written."""
    from forensic_viewer.scan.walk import file_keys

    folders = [p for p in args.images if p.is_dir()]
    if folders and len(folders) == len(args.images):  # a folder is scan's work, with its resume
        raise UsageError(
            f"{plain(folders[0])} is a folder: analyze takes image files; for a folder use "
            f"`forensic-viewer scan {plain(folders[0])} --out DIR` (--recursive for subfolders)"
        )
    _report_formats(args), _analyses(args), _check_window_args(args)  # usage errors first
    _check_workers(args)
    if _refused_early(args, args.images, args.out):
        return EXIT_FILES_FAILED
    if args.gt is not None:  # checked before any analysis, so a wrong path costs no time
        from forensic_viewer.scan.groundtruth import truth_for_images

        args.truth = truth_for_images(args.images, args.gt)
    return _run_files(args, lambda index: file_keys(args.images, index), source="analyze")


def _refused_early(args: argparse.Namespace, images: list[Path], out: Path | None = None) -> bool:
    """Whether every image is over the file-size or pixel limit by its size or header (read
    alone: no pixel decoded), each said in load_evidence's one line naming the file (absolute,
    as a scan names it); then nothing else is done, no model loaded (about 10 s) to refuse them
    after, but a --model or --device the command could not have run with is said first
    (:func:`_check_models`: a usage error). With an image the limit admits, the run goes on
    and the scan refuses the others; so it does with ``out`` (``analyze``) when one of them has
    a finished row there, which the run resumes as a scan's does
    (:mod:`forensic_viewer.scan.refused`)."""
    from forensic_viewer.scan.refused import refused_files, refused_images

    refusals = refused_files(images) if out is None else refused_images(images, out)
    if refusals:
        _check_models(args)
    for line in refusals:
        _error(line)
    return bool(refusals)


def cmd_scan(args: argparse.Namespace) -> int:
    """The folder's images listed first: a folder with none is a usage error in one line
    naming it and what was looked for, before any output is written or model loaded (a scan
    of nothing used to load the models, up to half a minute with Ray, and exit 0). A resumed
    scan whose files are all done has files, and resumes as before. A listing whose every file
    is over the file-size or pixel limit is refused then too, each file in its line
    (:func:`_refused_scan`)."""
    from forensic_viewer.scan.walk import (
        Unread,
        no_images_line,
        output_folders_line,
        output_holds_folder,
        scan_files,
        unread_record,
    )

    folder: Path = args.folder
    if not folder.is_dir():
        raise UsageError(f"{plain(folder)}: not a folder")
    if (why := output_holds_folder(folder, args.out)) is not None:
        raise UsageError(plain(f"{folder}: {why}"))
    if args.gt is not None:  # checked before any analysis, so a wrong path costs no time
        from forensic_viewer.scan.groundtruth import read_truth

        args.truth = read_truth(args.gt)

    def listing() -> list[tuple[Path, str]]:
        # the output folder, when inside the scanned one, holds maps that are not evidence
        left_out: list[Path] = []
        unread: list[Unread] = []
        outputs: list[Path] = []  # other scans' output folders in it: results, not evidence
        files = scan_files(
            folder,
            args.recursive,
            exclude=args.out,
            left_out=left_out,
            unread=unread,
            outputs=outputs,
        )
        for skipped in unread:  # a part of the evidence not seen: each said
            print(plain(skipped.line()), file=sys.stderr)
        if outputs:
            print(plain(output_folders_line(folder, outputs)), file=sys.stderr)
        args.unread = unread_record(unread)  # and recorded: scan.json, the case log
        if left_out:  # said, so that a file the scan passed over is never a surprise
            print(
                f"{plain(folder)}: {len(left_out)} file(s) passed over, not images by name or "
                f"content (first: {plain(left_out[0].relative_to(folder).as_posix())})",
                file=sys.stderr,
            )
        if args.gt is not None:  # the masks are what the images are scored against
            from forensic_viewer.scan.groundtruth import without_masks

            files, masks = without_masks(files, args.truth)
            if masks:
                print(
                    f"{plain(folder)}: {len(masks)} ground-truth mask(s) of --gt passed over "
                    "(not analysed as evidence; first: "
                    f"{plain(masks[0].relative_to(folder).as_posix())})",
                    file=sys.stderr,
                )
        return files

    files = listing()
    if not files:
        masks = "--gt masks" if args.gt else ""
        raise UsageError(no_images_line(plain(folder), recursive=args.recursive, masks=masks))
    _report_formats(args), _analyses(args), _check_window_args(args)  # usage errors first
    _check_workers(args)
    if _refused_scan(args, folder, files):
        return EXIT_FILES_FAILED
    return _run_files(args, lambda _index: files, source=str(folder.resolve()))


def _refused_scan(args: argparse.Namespace, folder: Path, files: list[tuple[Path, str]]) -> bool:
    """Whether the header check refuses every file of the listing (see
    :mod:`forensic_viewer.scan.refused`): then the scan's one line and, under ``failed:`` as a
    scan lists its failures, each file's line, before any model is loaded (about 10 s) or
    the case log, the output folder or its lock is touched; a --model or --device the scan
    could not have run with is said first instead (:func:`_check_models`: a usage error)."""
    from forensic_viewer.scan.refused import refused_by_headers, refused_line

    refusals = refused_by_headers(files, args.out)
    if refusals:
        _check_models(args)
        _error(refused_line(folder, len(refusals)))
        print("failed:", file=sys.stderr)
        for line in refusals:
            print(f"  {plain(line)}", file=sys.stderr)
    return bool(refusals)


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


def _why_unreadable(e: OSError | ValueError) -> str:
    """The reason in a one-line "<file>: cannot be read: <reason>"."""
    if isinstance(e, OSError):
        return not_regular_reason(e) or e.strerror or str(e)
    return "not UTF-8 text" if isinstance(e, UnicodeDecodeError) else str(e)


def _card_text(card: Path, instead: str) -> str | None:
    """The model card ``card`` (beside a checkpoint or an ensemble, which may be in a folder of
    the user's), or None when there is none. It is read through
    :func:`engine.files.read_regular_text`: a named pipe named like a card had ``models NAME``
    wait for a writer forever. One that cannot be read is a note on stderr naming it, and what
    is shown ``instead``."""
    try:
        return read_regular_text(card)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        print(
            f"forensic-viewer: note: {plain(card)}: cannot be read: {_why_unreadable(e)}; "
            f"{instead}",
            file=sys.stderr,
        )
        return None


def _header_summary(path: Path, meta: Any) -> str:
    """What a checkpoint without a model card (one the user trained) says of itself, in the
    words the training dialog's install review uses (:mod:`trainer.review`: steps, validation
    figures with their image counts, θ and where it came from, warnings), and what it was
    trained on; the raw header alone was all ``models NAME`` printed for it."""
    from engine.calibration import Calibration
    from trainer.review import review_checkpoint

    lines = [f"No model card beside {path.name}; from its header:", ""]
    try:
        lines.append(review_checkpoint(path).text())
    except ForensicError as err:
        lines.append(f"(its training summary cannot be read: {err})")
    training = meta.training
    data = [d.get("path") for d in training.get("data") or [] if isinstance(d, dict)]
    if data:
        lines.append("trained on: " + ", ".join(map(str, data)))
    if training.get("init"):
        sha = training.get("init_sha256") or "not recorded"
        lines.append(f"started from: {training['init']} (SHA-256 {sha})")
    if calibration := Calibration.from_dict(meta.decision.calibration):
        lines.append(f"probability calibrated on: {calibration.fitted_on or 'not recorded'}")
    elif isinstance(why := meta.decision.calibration.get("no_calibration"), str) and why:
        lines.append(f"probability: not calibrated ({why})")  # refused when fitted (verdict)
    elif meta.decision.calibration:  # as the analyses read it: none (a slope <= 0, say)
        lines.append("probability: not calibrated (its stored calibration is unusable)")
    if training.get("command"):
        lines.append(f"command: {training['command']}")
    return "\n".join(lines)


def cmd_models(args: argparse.Namespace) -> int:
    from engine.assembly import available_models  # torch: not for --help or --version
    from engine.models import get_spec, list_models

    listing = available_models(args.extra)
    if args.name:
        for e in listing.checkpoints:
            if args.name in (e.name, e.path.stem):
                header = None if e.meta is None else json.loads(e.meta.to_json())
                if args.json and header is not None:
                    print(json.dumps(header, indent=2))
                    return 0
                card = _card_text(e.path.with_suffix(".md"), "its header follows")
                if card is not None:
                    print(plain_lines(card))
                elif e.meta is not None:
                    print(plain_lines(_header_summary(e.path, e.meta)))
                    print("\nIts header (JSON; alone with --json):")
                    print(json.dumps(header, indent=2))
                return 0
        for e in listing.ensembles:
            if args.name in (e.path.name, e.name):
                stem = e.path.name.removesuffix(ENSEMBLE_SUFFIX)
                card = _card_text(e.path.with_name(stem + ".md"), "the ensemble file follows")
                if card is None:
                    try:
                        card = read_regular_text(e.path)
                    except (OSError, ValueError) as err:
                        raise UsageError(
                            f"{e.path}: cannot be read: {_why_unreadable(err)}"
                        ) from None
                print(plain_lines(card))
                return 0
        raise UsageError(f"no checkpoint or ensemble named '{args.name}'")
    print("Architectures:")
    for name in list_models():
        print(f"  {name:<24} {get_spec(name).description}")
    print("\nCheckpoints:")
    if not listing.checkpoints:
        print("  (none installed: train one with `forensic-train fit`)")
    for e in listing.checkpoints:
        if e.meta is None:
            continue
        metrics = e.meta.metrics
        figs = ", ".join(
            f"{k} {v}" if isinstance(v, int) else f"{k} {v:.3f}"  # counts stay counts
            for k, v in metrics.items()
            if isinstance(v, float | int) and not isinstance(v, bool)
        )
        # a checkpoint's name, path and header are the user's files: escapes shown, not obeyed
        name, arch = plain(e.name), plain(e.meta.architecture)
        provenance = plain(e.meta.decision.provenance)
        print(f"  {name:<24} {arch:<20} {e.origin:<8} {plain(e.path)}")
        print(f"  {'':<24} θ {e.meta.decision.threshold:.4g} ({provenance})")
        if figs:  # the training run's own validation split (report/text.py says why it matters)
            print(f"  {'':<24} training-run validation split: {figs}")
    if listing.ensembles:
        print("\nEnsembles:")
        for e in listing.ensembles:
            print(f"  {plain(e.name):<24} {plain(e.path)}")
    for line in listing.problems:
        print(f"  unreadable: {plain(line)}", file=sys.stderr)
    for line in listing.clashes:
        print(f"warning: {plain(line)}", file=sys.stderr)
    return 0


def cmd_selftest(args: argparse.Namespace) -> int:
    from forensic_viewer.selftest import run_selftest

    return EXIT_OK if run_selftest(device=args.device) else 1


def main(argv: list[str] | None = None) -> int:
    """The program. Run as the program (``argv`` None: the console script, ``python -m``),
    once the command has ended in any way, further SIGINT and SIGTERM are ignored
    (:func:`engine.ending.ignore_stop_signals`); called with ``argv`` (tests, scripts) the caller's handlers stay."""
    program = argv is None
    try:
        return _main(list(sys.argv[1:] if argv is None else argv), program)
    finally:
        if program:
            ignore_stop_signals()


def _output_failed(e: OSError) -> int:
    """A command that writes no results (``models``, ``selftest``, ``audit``) failed to write
    its output: a reader that stopped reading (``| head``, ``| less`` quit) ends it without a
    word, as it ends any filter; anything else is one line. Never the scan's words: there is
    no scan to resume."""
    if isinstance(e, BrokenPipeError):
        try:  # what is still buffered must not fail again as the interpreter exits
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):  # a stdout without a descriptor (a caller's stream)
            pass
        return EXIT_PIPE_CLOSED
    _error(f"cannot write the output: {e}")
    return EXIT_SCAN_FAILED


def _main(argv: list[str], program: bool) -> int:
    gui = False  # the viewer: its window handles the stop signals while it is open
    command = ""
    args: argparse.Namespace | None = None
    try:
        if argv and argv[0] in COMMANDS:
            args = parse_command(build_parser(), argv)
            command = args.command
            _check_path_variables()
            args.argv = ["forensic-viewer", *argv]  # as typed: scan.json records it
            commands = {
                "analyze": cmd_analyze,
                "scan": cmd_scan,
                "probe": cmd_probe,
                "models": cmd_models,
                "selftest": cmd_selftest,
                "audit": cmd_audit,
            }
            with sigterm_as_interrupt(ending=program):  # then further signals are ignored
                status = commands[args.command](args)
                sys.stdout.flush()  # a closed pipe is reported here, not as the program exits
                return status
        args = gui_parser().parse_args(argv)
        if args.version:
            from forensic_viewer.selftest import version_lines

            print("\n".join(version_lines()))
            return EXIT_OK
        try:
            _check_path_variables()
        except UsageError as e:  # from its desktop entry nobody reads stderr: in a box too
            _error(e)
            from forensic_viewer.gui.refused import show_refusal

            show_refusal(plain(e))
            return EXIT_USAGE
        from forensic_viewer.gui.refused import unreachable_display

        if no_display := unreachable_display():  # Qt would abort the process: exit 134
            _error(no_display)
            return EXIT_USAGE
        gui = True
        # Qt and torch are imported, the window built: seconds
        with sigterm_as_interrupt(ending=program):
            from forensic_viewer.gui.app import run_gui

            return run_gui(args.images, args.model, args.device, args.case)
    except UsageError as e:
        _error(e)
        return EXIT_USAGE
    except ScanFailed as e:  # the output folder locked or unusable
        _error(e)
        return EXIT_SCAN_FAILED
    except ForensicError as e:
        _error(e)
        return EXIT_USAGE
    except ValueError as e:  # bad device and similar argument values
        _error(e)
        return EXIT_USAGE
    except OSError as e:  # writing results: the disk is full, the folder went away
        if command and command not in RESULT_COMMANDS:
            return _output_failed(e)
        from forensic_viewer.scan.failure import failure_line

        _error(failure_line(e, getattr(args, "out", None) or Path.cwd()))
        return EXIT_SCAN_FAILED
    except SystemExit as e:  # argparse: usage errors exit 2 by themselves
        return int(e.code or 0)
    except KeyboardInterrupt as e:  # Ctrl+C, or SIGTERM: engine.ending.Terminated
        if program:  # before the line: another signal must not cut it or the exit short
            ignore_stop_signals()
        if gui:
            print(f"forensic-viewer: {stop_words(e)}; the viewer was not open", file=sys.stderr)
        else:
            print(f"\n{stop_words(e)}; results so far are kept (re-run to resume)", file=sys.stderr)
        return stop_status(e)


if __name__ == "__main__":
    sys.exit(main())
