"""``forensic-viewer analyze`` and ``scan``: the files listed (a scan's folder walked, what it
passed over said), the case log opened and --out locked, the models loaded (or, on a resume
with nothing new, only described), the scan run in this process, worker processes or on Ray,
then the closing table, ``--gt``'s scores and the reports; a stopped or failed run's finished
part is reported too.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from engine.ending import stop_words
from engine.errors import ForensicError
from engine.files import open_append
from engine.formatting import time_text
from forensic_viewer.cli_exit import (
    EXIT_FILES_FAILED,
    EXIT_OK,
    EXIT_SCAN_FAILED,
    UsageError,
    _error,
)
from forensic_viewer.cli_options import (
    _all_refused,
    _analyses,
    _check_window_args,
    _check_workers,
    _jobs,
    _on_ray,
    _refused_scan,
    _report_formats,
    _resolve_jobs,
    build_analyzer,
)
from forensic_viewer.cli_progress import ProgressBar
from forensic_viewer.cli_report import _write_reports, results_as_recorded
from forensic_viewer.cli_table import (
    TABLE_LIMIT,
    analysis_lines,
    print_table,
    table_checks,
    table_summary,
    warning_lines,
)
from forensic_viewer.scan.lock import OutputLock
from forensic_viewer.wording import plain, verdict_words


def cmd_analyze(args: argparse.Namespace) -> int:
    """Files keyed by resolved path against what --out already holds (see
    :func:`~forensic_viewer.scan.walk.file_keys`): never another file's row. A folder among
    files fails as a missing file does (its row, its line at the end, exit 1), the rest are
    analysed; folders alone are a usage error, before any output is written."""
    from forensic_viewer.scan.walk import file_keys, same_file_line

    folders = [p for p in args.images if p.is_dir()]
    if folders and len(folders) == len(args.images):  # a folder is scan's work, with its resume
        raise UsageError(
            f"{plain(folders[0])} is a folder: analyze takes image files; for a folder use "
            f"`forensic-viewer scan {plain(folders[0])} --out DIR` (--recursive for subfolders)"
        )
    _report_formats(args), _analyses(args), _check_window_args(args)  # usage errors first
    _check_workers(args)
    args.all_refused = _all_refused(args, args.images, args.out)  # rows, no model loaded
    if args.gt is not None:  # checked before any analysis, so a wrong path costs no time
        from forensic_viewer.scan.groundtruth import truth_for_images

        args.truth = truth_for_images(args.images, args.gt)

    def listing(index: Any) -> list[tuple[Path, str]]:
        same: list[tuple[Path, Path]] = []
        files = file_keys(args.images, index, same)
        for later, first in same:  # each name given is accounted for: the count line adds up
            print(plain(same_file_line(later, first)), file=sys.stderr)
        args.same_names = len(same)
        return files

    return _run_files(args, listing, source="analyze")


def cmd_scan(args: argparse.Namespace) -> int:
    """The folder's images listed first: a folder with none is a usage error in one line
    naming it and what was looked for, before any output is written or model loaded (a scan
    of nothing used to load the models, up to half a minute with Ray, and exit 0). A resumed
    scan whose files are all done has files, and resumes as before. A listing whose every file
    is over the file-size, pixel or decode-memory limit is refused then too, each file in its line
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
        # and recorded: scan.json, the case log, the reports; the passed over by name too
        args.unread = unread_record(unread, left_out, folder)
        if left_out:  # said, so that a file the scan passed over is never a surprise
            print(
                f"{plain(folder)}: {len(left_out)} file(s) passed over, not images by name or "
                f"content (first: {plain(left_out[0].relative_to(folder).as_posix())}; all "
                "named in scan.json, run.passed_over)",
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


# sha256: a gone file renamed; replaces: a changed file said with its SHA-256 then
_TABLE_FIELDS = ("path", "file", "status", "error", "sha256", "replaces")


def _changed(
    keys: Sequence[str], records: Sequence[Mapping[str, Any]]
) -> list[tuple[str, str | None, str | None]]:
    """(key, SHA-256 then, now) of each file of ``keys`` (a run's ``changed``), from the
    closing table's ``records``."""
    wanted = set(keys)
    by_key: dict[str, Mapping[str, Any]] = {r["path"]: r for r in records if r["path"] in wanted}

    def then(row: Mapping[str, Any]) -> str | None:
        replaces = row.get("replaces")  # {"sha256": ...} in a row
        return replaces.get("sha256") if isinstance(replaces, dict) else None

    return [(k, then(by_key.get(k, {})), by_key.get(k, {}).get("sha256")) for k in keys]


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
    from forensic_viewer.scan.jobs import files_to_analyse
    from forensic_viewer.scan.results import ResultIndex
    from forensic_viewer.scan.upgrade import up_to_date_keys

    formats = _report_formats(args)
    analyses = _analyses(args)
    with (
        case_session(args) as case_log,  # --case: the run goes into the case's audit log
        OutputLock(args.out, command=f"forensic-viewer {args.command}") as lock,
    ):
        _results_unchanged(args, case_log)
        files = list_files(index := ResultIndex(args.out))
        done = up_to_date_keys(index)
        # nothing new: every file finished, or failed before (tried again: models only if one
        # now loads); then the models are loaded only when a file needs them, if one does
        new = sum(key not in done and index.status(key) in (None, "ok") for _, key in files)
        # in this process: no worker loads them either; so for analyze's files all refused
        later = (not new or getattr(args, "all_refused", False)) and not _on_ray(args)
        _resolve_jobs(args, files_to_analyse(files, done) if not later else 0)
        t0 = time.perf_counter()
        analyzer = build_analyzer(args, weights=False) if later else build_analyzer(args)
        if not later:
            args.load_seconds = time.perf_counter() - t0  # said apart from the analysis time
        log_started(case_log, args, files)
        try:
            return _scan_and_report(
                args, files, source, analyzer, formats, lock, analyses, case_log, index,
                _loader(args) if later else None, done,
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


def _finished_words(rec: Mapping[str, Any], checks: Sequence[tuple[str, Any]]) -> str:
    """A finished file as its plain progress line says it: ``key: flagged as manipulated,
    158 s`` (the file as the closing table names it: a scan's path in its folder; the default
    verdict's word, as the table's first line of the file), or ``key: error``."""
    name = rec.get("path") or rec.get("file")
    if rec.get("status") != "ok":
        outcome = "error"
    elif checks:
        outcome = verdict_words(checks[0][1].get("verdict"))
    else:
        outcome = "analysed"
    seconds = rec.get("seconds")
    took = f", {seconds:.0f} s" if isinstance(seconds, int | float) else ""
    return plain(f"{name}: {outcome}{took}")


def _face_rates(out: Path, records: list[dict[str, Any]]) -> dict[str, str]:
    """Each face model's reliability sentence as the run recorded it (scan.json's
    ``face_model_figures``, the report's source too), or that the rates of the checkpoint
    that scored the faces of ``records`` are not at hand (another checkpoint's:
    :func:`~forensic_viewer.scan.face_rates.face_rates_for`; a row that records none is the
    folder's); {} when none or unreadable."""
    from forensic_viewer.scan.face_rates import (
        face_checkpoints,
        face_rates_for,
        recorded_face_models,
    )

    figures = recorded_face_models(out)
    scored = face_checkpoints(f for r in records for f in r.get("faces") or ())
    # the face models the run recorded (a resume keeps them), each with its faces' checkpoints
    return face_rates_for(
        figures, {n: scored.get(n, set()) for n in figures}, unrecorded_theirs=True
    )


def _results_unchanged(args: argparse.Namespace, case_log: Any) -> None:
    """Refuse a resume of --out whose results.jsonl changed since its last run ended
    (:func:`results_as_recorded`). With ``--accept-edited-results`` the line is said and
    recorded (the case log; scan.json's last run, which the report's alerts read) and the run
    goes on."""
    from forensic_viewer.scan.integrity import RESULTS_EDITED, note_run
    from forensic_viewer.scan.results import SCAN_INFO

    refused = (
        "nothing was analysed: scan into a new --out, or resume with --accept-edited-results "
        "to take its rows as they now read (scan.json, the report and the case log then say so)"
    )
    record = results_as_recorded(args, case_log, refused)
    if record is not None:
        note_run(args.out / SCAN_INFO, RESULTS_EDITED, record)


def _say_rows_set_aside(out: Path, case_log: Any) -> None:
    """Say on stderr, and record in the case log (``rows-set-aside``), the lines of
    results.jsonl the run found not whole rows and set aside (scan.json's
    ``run.rows_set_aside``: :mod:`forensic_viewer.scan.integrity`), if any."""
    from forensic_viewer.audit import Action
    from forensic_viewer.scan.integrity import ROWS_SET_ASIDE, run_field
    from forensic_viewer.scan.results import SCAN_INFO

    aside = run_field(out / SCAN_INFO, ROWS_SET_ASIDE)
    if not isinstance(aside, dict):
        return
    print(f"forensic-viewer: warning: {plain(aside.get('note', ''))}", file=sys.stderr)
    if case_log is not None:
        case_log.append(Action.ROWS_SET_ASIDE, {"out": str(out.resolve()), **aside})


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
        utf8 = {"encoding": "utf-8", "errors": "backslashreplace"}
        with open_append(out / SCAN_LOG, "a", follow_links=False, **utf8) as f:
            f.write(f"--- {time_text()} {message}\n")
            f.write(traceback.format_exc())
    except OSError:
        return None
    return out / SCAN_LOG


def _same_names(args: argparse.Namespace) -> str:
    """The count line's account of the names given that were a file given before
    (``analyze``: a link and its target), so that its files and the names given add up."""
    n = getattr(args, "same_names", 0)
    if not n:
        return ""
    given = len(args.images)
    return f" ({given} names given, {n} of them {'a file' if n == 1 else 'files'} given before)"


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
    done: Collection[str] = frozenset(),
) -> int:
    """Scan ``files`` (``index``: --out's ResultIndex, made for the listing: the run takes it
    rather than parse results.jsonl again), print the closing table, write the reports.
    ``load``: ``analyzer`` is only described and ``load()`` makes it whole when a file needs
    it (:func:`forensic_viewer.scan.run.run_scan`). ``done``: the keys finished before and up
    to date (``up_to_date_keys``), which a resume skips: the status line's rate and time left
    leave them out."""
    from forensic_viewer.casework import log_failed, log_finished, typed_command
    from forensic_viewer.scan.gone import changed_lines, gone_lines
    from forensic_viewer.scan.links import outside_line, row_read_from
    from forensic_viewer.scan.records import as_record
    from forensic_viewer.scan.results import copies_line
    from forensic_viewer.scan.run import run_scan
    from forensic_viewer.scan.upgrade import upgrade_lines

    gone: list[Any] = []  # rows of files an earlier run analysed that have left the folder since
    if source != "analyze" and index is not None:
        from forensic_viewer.scan.gone import gone_files

        gone = gone_files(index, (key for _, key in files), Path(source))
    to_analyse = sum(key not in done for _, key in files)
    bar = ProgressBar(len(files), sys.stderr.isatty(), to_analyse=to_analyse)
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
        bar.file_done(i, rec.get("path") not in done)
        # a log's line per file (stderr not a terminal); not for files all refused by their
        # headers, which are listed under "failed:" at once
        if rec.get("path") not in done and not getattr(args, "all_refused", False):
            bar.file_line(i, _finished_words(rec, checks))
        if not table:  # the path and status alone: the reports' list, the summary
            return
        records[-1]["checks"] = checks
        records[-1]["faces"] = [
            {k: f[k] for k in ("box", "face_scores") if k in f} for f in rec.get("faces") or []
        ]
        # whether detection ran ("faces: none found"), the image's size (a face's border cut)
        for key in ("faces_checked", "width", "height"):
            if key in rec:
                records[-1][key] = rec[key]
        if rec.get("analyses"):  # as the triage table words them, with their findings
            records[-1]["analyses"] = analysis_lines(as_record(rec).analyses)

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
    if gone:  # a gone file whose bytes the run went through under another name: a rename
        from forensic_viewer.scan.gone import renamed

        gone = list(renamed(gone, ((r["path"], r.get("sha256")) for r in records)))
    _say_rows_set_aside(args.out, case_log)  # the run began: its scan.json is this run's
    if failed is not None:  # its one line is main()'s or _run_files', said last
        if (unrecorded := getattr(failed, "unrecorded", None)) is not None:
            _error(unrecorded)  # scan.json says "running": its readers find it is not
        for line in [*warning_lines(records), *gone_lines(gone)]:  # as the dialog says them
            print(plain(line))
        done = failed.summary  # type: ignore[attr-defined]
        print(  # how much the rows kept hold, as a stopped run says it (stdout said nothing)
            f"failed after {done.through} of {done.total} files: {done.done} analysed, "
            f"{done.skipped} already done, {len(done.failed)} failed of {done.total} in "
            f"{done.seconds:.1f} s; results in {plain(args.out)}"
        )
        if formats and records:
            keys = [r["path"] for r in records]
            _report_failed_run(args, formats, keys, case_log, failed, gone)
        raise failed
    if table:
        print_table(records, _face_rates(args.out, records))
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
        refused = getattr(args, "all_refused", False)
        print(
            "every file refused by its size or header: no model was loaded"
            if refused
            else "nothing new to analyse: no model was loaded"
        )
    print(
        f"{stopped}{summary.done} analysed, {summary.skipped} already done{changed}, "
        f"{len(summary.failed)} failed of {summary.total}{_same_names(args)} "
        f"in {summary.seconds:.1f} s"
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
    for line in changed_lines(_changed(summary.changed, records)):
        print(plain(line))
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
        log_finished(case_log, args.out, summary, gone)
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
    from forensic_viewer.scan.truth_trained import scan_checkpoints, training_data

    models = training_data(scan_checkpoints(args.out, getattr(args, "model", None) or []))
    result = evaluate_scan(args.out, args.truth, keys, models)
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
