"""The case audit log's scans and reports: ``--case DIR`` on ``analyze`` and ``scan``, the
entries of a scan and of a report (which the viewer's batch and report dialogs log too), and
``forensic-viewer audit verify|show`` (no Qt).

A run with a case folder (``--case DIR``, or ``FORENSIC_VIEWER_CASE``) appends to
``DIR/audit.jsonl`` (:mod:`forensic_viewer.audit`): ``scan-started`` once the models are
assembled (command, source, files, output folder, models asked for, settings), ``scan-finished`` after
the last file (counts, the models that ran with their checkpoint SHA-256 and the scan's
settings as ``scan.json`` records them, and the SHA-256 of ``results.jsonl``/``results.csv``;
after a failure, the error line, and the counts, seconds, settings and hashes so far once
the run had begun),
and ``report-exported`` for each report written (paths and SHA-256; the report itself prints
the head the log had before that entry). Without a case folder nothing is logged: the
command line has no default case, so that scripted batch runs never write into an examiner's
log they did not name.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forensic_viewer.audit import (
    HEX64,
    LOG_NAME,
    Action,
    AuditEntry,
    AuditError,
    AuditLog,
    AuditStamp,
    case_dir_from,
    file_sha256,
    log_lines,
    parse_entry,
    verify_log,
)
from forensic_viewer.audit_show import describe
from forensic_viewer.scan.command import command_record
from forensic_viewer.wording import plain

if TYPE_CHECKING:
    from forensic_viewer.scan.integrity import CaseEnd


def add_case_arg(p: argparse.ArgumentParser, gui: bool = False) -> None:
    """``--case DIR`` on the viewer, ``analyze`` and ``scan``."""
    default = "the per-user default case" if gui else "no log"
    p.add_argument(
        "--case",
        type=Path,
        metavar="DIR",
        help="case folder: the work is appended to DIR/audit.jsonl, the hash-chained case log "
        f"(default: $FORENSIC_VIEWER_CASE, else {default}); see docs/AUDIT.md",
    )


def add_audit_parser(sub: Any) -> None:
    """``forensic-viewer audit verify LOG [--head HASH]`` and ``audit show LOG``."""
    a = sub.add_parser("audit", help="check or list a case's hash-chained audit log")
    verbs = a.add_subparsers(dest="verb", required=True)
    v = verbs.add_parser(
        "verify",
        help="check the chain; one line naming the first broken entry (exit 0 ok, 1 broken)",
    )
    v.add_argument("log", type=Path, help="the audit.jsonl file, or its case folder")
    v.add_argument(
        "--head",
        metavar="HASH",
        help="also require an entry with this hash (the head a report printed)",
    )
    v.add_argument(
        "--files",
        action="store_true",
        help="also re-hash the files the entries name with a SHA-256 (evidence opened, reports "
        "and layers exported, results files and scan.json, the viewer's checkpoints) and each "
        "scan's evidence, maps, thumbnails and model files against the rows of its "
        "results.jsonl when that file is as recorded (else one line says they were not "
        "checked; a model file not at hand is said, no failure): one line per file naming the "
        "path read, exit 1 on any changed or missing; docs/AUDIT.md lists what is not checked",
    )
    v.add_argument(
        "--moved",
        action="append",
        default=[],
        metavar="OLD=NEW",
        help="with --files: read the files the log recorded under the folder OLD under NEW "
        "instead (a copy of the case, evidence at another mount point); repeatable",
    )
    s = verbs.add_parser("show", help="every entry on one readable line, then the check")
    s.add_argument("log", type=Path, help="the audit.jsonl file, or its case folder")


def cmd_audit(args: argparse.Namespace) -> int:
    if args.verb == "verify":
        moved = getattr(args, "moved", None) or []
        return verify_command(args.log, args.head, files=args.files or bool(moved), moved=moved)
    return show_command(args.log)


def log_path_from(arg: str | Path) -> Path:
    """``LOG`` as given on the command line: the log file, or a case folder holding one."""
    path = Path(arg).expanduser()
    return path / LOG_NAME if path.is_dir() else path


def verify_command(
    log: str | Path,
    expect_head: str | None = None,
    *,
    files: bool = False,
    moved: Sequence[str] = (),
) -> int:
    """``forensic-viewer audit verify LOG [--head HASH] [--files [--moved OLD=NEW]...]``: one
    line; 0 when the chain holds (and holds ``HASH``), 1 when it is broken. ``files``: then one
    line per file the entries name, naming the path read (``moved``: the folders recorded as
    OLD read under NEW) and whether its bytes still hash to their last record, and a count
    (:func:`~forensic_viewer.audit_scan.check_files`): 1 on any changed or missing. Raises
    :class:`AuditError` when unreadable or not an audit log at all (a report given by mistake
    is no broken log), ValueError when ``HASH`` is not a whole hash (:func:`head_argument`) or
    a ``moved`` is not OLD=NEW."""
    from forensic_viewer.audit_files import Moved, not_an_audit_log
    from forensic_viewer.audit_scan import check_files

    if expect_head is not None:
        expect_head = head_argument(expect_head)
    mapping = [Moved.parse(m) for m in moved]
    path = log_path_from(log)
    result = verify_log(path, expect_head, keep=False)
    if not result.ok and result.count == 0 and not_an_audit_log(path):
        raise AuditError(
            path,
            "not an audit log: no line of it is a case log entry (give the case folder or its "
            "audit.jsonl)",
        )
    print(plain(result.message()))
    code = 0 if result.ok else 1
    if files:
        checked = check_files(path, mapping)
        for line in [*checked.lines, *checked.summary()]:
            print(plain(line))
        code = code or (1 if checked.problems else 0)
    return code


def head_argument(text: str) -> str:
    """``--head HASH`` as the 64 hex digits it must be (spaces around it, as a copy from a
    report brings, and upper case are let through). Raises ValueError for anything else: a
    hash shortened as ``audit show`` prints it, or not a hash, says nothing about the log, and
    must not read "BROKEN" (exit 1), the verdict on a log whose entries were removed."""
    head = text.strip().lower()
    if HEX64.fullmatch(head):
        return head
    got = f"{len(head)} hex digits" if re.fullmatch(r"[0-9a-f]+", head) else repr(plain(text))
    raise ValueError(
        f"--head needs the whole hash of an entry, 64 hex digits as a report prints it, got "
        f"{got} (audit show shortens hashes to 12)"
    )


def show_command(log: str | Path) -> int:
    """``forensic-viewer audit show LOG``: every entry on one readable line, then the verdict
    of :func:`verify_log`. Lines past a break are still listed, marked ``?`` (not verified)."""
    path = log_path_from(log)
    result = verify_log(path, keep=False)
    # listed from a second reading, a line at a time and without the lock: a reader paging
    # through the listing never holds up a program logging into the case
    with contextlib.closing(log_lines(path, lock=False)) as lines:
        for number, raw, complete in lines:
            if number > result.count and result.ok:
                break  # appended since the check: not verified
            entry, _why = parse_entry(raw) if complete else (None, "")
            if number <= result.count and entry is not None:
                print(describe(entry))
            else:
                shown = describe(entry) if entry is not None else repr(raw[:120])[2:-1]
                print(f"?  line {number}: {shown}")
    print(plain(result.message()))
    return 0 if result.ok else 1


@contextmanager
def case_session(args: argparse.Namespace) -> Iterator[AuditLog | None]:
    """The case log of this run (``--case``, else ``FORENSIC_VIEWER_CASE``; None without
    either), closed when the run ends. A log that cannot be opened raises
    :class:`~forensic_viewer.audit.AuditError` (a usage error: nothing has run yet)."""
    case = case_dir_from(getattr(args, "case", None))
    if case is None:
        yield None
        return
    examiner = getattr(args, "examiner", "") or None
    log = AuditLog(case, program=f"forensic-viewer {args.command}", examiner=examiner)
    try:
        yield log
    finally:
        log.close()


def typed_command(args: argparse.Namespace) -> dict[str, Any] | None:
    """The command line as typed (``args.argv``, set by :func:`forensic_viewer.cli.main`), as
    scan.json's ``run``, the reports and ``scan-started`` record it; None for ``args`` a caller
    made of its own, parsed by no command line."""
    argv = getattr(args, "argv", None)
    return None if argv is None else command_record(argv)


def log_started(log: AuditLog | None, args: argparse.Namespace, files: list[Any]) -> None:
    if log is None:
        return
    log.append(
        Action.SCAN_STARTED,
        scan_started_details(
            args.command,
            source=getattr(args, "folder", None),
            images=getattr(args, "images", None) or [],
            files=len(files),
            out=args.out,
            models_asked=args.model or "default",
            device=args.device,
            exact=bool(args.exact),
            analyses=getattr(args, "analyses", "") or "",
            jobs=getattr(args, "jobs", 1),
            recursive=bool(getattr(args, "recursive", False)),
            gt=getattr(args, "gt", None),
            command_line=typed_command(args),
            unread=getattr(args, "unread", None),
        ),
    )


def scan_started_details(
    command: str,
    *,
    source: Path | str | None,
    images: Sequence[Path | str],
    files: int | None,
    out: Path | str,
    models_asked: Sequence[str] | str,
    device: str,
    exact: bool,
    analyses: str,
    jobs: int | None,
    recursive: bool,
    gt: Path | str | None,
    command_line: Mapping[str, Any] | None = None,
    unread: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """What ``scan-started`` records, the command line's and the batch dialog's alike (the
    keys of docs/AUDIT.md): ``source``/``images``, ``out`` and ``gt`` absolute (the log keeps
    no working folder to read "a.jpg" against); ``files`` the images listed to scan (ground
    truth masks passed over; None when a dialog's scan failed before its listing);
    ``models_asked`` as asked ("default": none named); ``analyses`` as ``--analyses`` takes
    them; ``jobs`` the worker processes it runs with (``auto`` resolved; None: Ray's own);
    ``command_line`` the line as typed, or the viewer's equivalent, and the working directory
    it is read against (:func:`forensic_viewer.scan.command.command_record`, as scan.json's
    ``run.command``; None: a caller's own arguments, parsed by no command line); ``unread``
    the folders and files the listing could not read, as scan.json's ``run.unread`` (None:
    none, or not listed: :func:`forensic_viewer.scan.walk.unread_record`), and the files it
    passed over as no image, recorded as ``passed_over`` as scan.json's ``run.passed_over``."""
    from forensic_viewer.scan.walk import split_listing

    unread_part, passed_over = split_listing(unread)
    return {
        "command": command,
        "source": _real(source),
        "images": [_real(p) for p in images][:100],
        "files": files,
        "out": str(Path(out).resolve()),
        "models_asked": models_asked if isinstance(models_asked, str) else list(models_asked),
        "device": device,
        "exact": exact,
        "analyses": analyses,
        "jobs": jobs,
        "recursive": recursive,
        "gt": _resolved(gt),
        "command_line": None
        if command_line is None
        else {k: command_line.get(k) for k in ("line", "cwd", "origin")},
        "unread": unread_part,
        "passed_over": passed_over,
    }


def _real(path: Path | str | None) -> str:
    """An evidence path or folder as given on the command line, absolute with its links
    resolved as a scan records its files (``file``); "" when none was given."""
    from forensic_viewer.scan.walk import real_path

    return "" if not path else str(real_path(path))


def _resolved(path: Path | str | None) -> str | None:
    """A ``--gt`` argument as the absolute path it named (None when not given; ``Negative``,
    the mark of one authentic image, as it is)."""
    if path is None or str(path) == "Negative":
        return None if path is None else "Negative"
    return str(Path(path).resolve())


def scan_finished_details(out: Path, summary: Any, gone: Sequence[Any] = ()) -> dict[str, Any]:
    """What ``scan-finished`` records of a scan into ``out`` (``summary``: its
    :class:`~forensic_viewer.scan.run.ScanSummary`): counts, what ``scan.json`` records
    (models with their checkpoint SHA-256, settings), the SHA-256 of the results files as
    they are now, and what the run changed (:func:`~forensic_viewer.scan.changes.run_changes`:
    rows made now and kept from earlier runs, files replaced with their SHA-256 before and now,
    ``gone``: the files an earlier run analysed that have left the folder). The command line
    and the viewer's batch dialog both log this."""
    from forensic_viewer.scan.changes import run_changes
    from forensic_viewer.scan.results import CSV_NAME, RESULTS

    up = getattr(summary, "upgraded", None)
    return {
        "out": str(out.resolve()),
        "total": summary.total,
        "analysed": summary.done,
        "already_done": summary.skipped,
        "failed": len(summary.failed),
        "cancelled": summary.cancelled,
        "interrupted": getattr(summary, "interrupted", None),  # the signal that stopped it
        "seconds": round(summary.seconds, 3),
        "settings": recorded_settings(out),
        "results_sha256": {n: file_sha256(out / n) for n in (RESULTS, CSV_NAME)},
        **scan_json_record(out),
        # rows that held an older classic analysis version and had it run again (upgrade.py)
        **({"upgraded": {n: u.to_json() for n, u in up.items()}} if up else {}),
        **run_changes(out, summary.done + len(summary.failed), gone),
    }


def scan_json_record(out: Path) -> dict[str, Any]:
    """``{"scan_json": {"path", "sha256"}}``: ``out``'s scan.json (absolute) with its SHA-256
    as it is now, for ``scan-finished`` and a scan's ``report-exported`` ({} when it cannot be
    read). Before 2026-12-06 no entry recorded it: a walk-through edited a copy's scan.json
    (``exact`` set true, a checkpoint's SHA-256 zeroed) and ``audit verify --files`` saw nothing.
    A resume rewrites scan.json; ``--files`` checks it against its last record."""
    from forensic_viewer.scan.results import SCAN_INFO

    path = os.path.join(str(out.resolve()), SCAN_INFO)
    sha = file_sha256(path)
    return {"scan_json": {"path": path, "sha256": sha}} if sha else {}


def recorded_settings(out: Path) -> dict[str, Any]:
    """The settings ``scan-finished`` records, as ``out``'s ``scan.json`` holds them: the
    models with their checkpoint SHA-256 (and the int8 files' run in place of one), the
    ensemble, window, stride, path and classic analyses ({} when scan.json cannot be read)."""
    from forensic_viewer.scan.triage import scan_info

    settings = scan_info(out)
    keep = ("models", "int8_files", "ensemble", "window", "stride", "exact", "analyses")
    return {k: settings[k] for k in keep if isinstance(settings, dict) and k in settings}


def log_finished(log: AuditLog | None, out: Path, summary: Any, gone: Sequence[Any] = ()) -> None:
    if log is not None:
        log.append(Action.SCAN_FINISHED, scan_finished_details(out, summary, gone))


def scan_failed_details(out: Path, error: str, summary: Any = None) -> dict[str, Any]:
    """What ``scan-finished`` records of a scan that failed (exit 3, or the batch dialog's
    failure): the output folder and ``error``, the one line said (naming the file or folder
    and the problem); with ``summary`` (the run had begun: its
    :class:`~forensic_viewer.scan.run.ScanSummary` so far) the counts, the seconds from the
    run's start to the failure and the settings (as a finished run's entry records them:
    :func:`recorded_settings`, this run's, which scan.json holds once the run has begun), and
    the SHA-256 of the results files as the failure left them, which a later report of the
    partial run or a resume starts from. Before the run began, scan.json holds an earlier
    run's settings, if any: none are recorded then."""
    from forensic_viewer.scan.results import CSV_NAME, RESULTS

    details: dict[str, Any] = {"out": str(out.resolve()), "error": error}
    if summary is not None:
        details |= {
            "total": summary.total,
            "through": summary.through,
            "analysed": summary.done,
            "already_done": summary.skipped,
            "failed": len(summary.failed),
            "seconds": round(summary.seconds, 3),
            "settings": recorded_settings(out),
            "results_sha256": {n: file_sha256(out / n) for n in (RESULTS, CSV_NAME)},
            **scan_json_record(out),
        }
    return details


def log_failed(
    log: AuditLog | None, out: Path, e: BaseException, folder: Path | str | None = None
) -> None:
    """``scan-finished`` of a scan that an error ended after ``scan-started``, its ``error``
    the line the command line prints and the batch dialog shows
    (:func:`~forensic_viewer.scan.failure.failure_line`; ``folder``: the scanned folder, None
    for ``analyze``'s files), with the summary so far on ``e`` once the run had begun
    (``settings.failure_recorded``). A log that cannot take it (on the full disk too) is passed
    over: the scan's own error is what is said."""
    from forensic_viewer.scan.failure import failure_line

    if log is None:
        return
    details = scan_failed_details(out, failure_line(e, out, folder), getattr(e, "summary", None))
    try:
        log.append(Action.SCAN_FINISHED, details)
    except (AuditError, OSError):
        pass


def results_opened_details(
    out: Path, edited: Any = None, results_sha256: str | None = None
) -> dict[str, Any]:
    """What ``folder-opened`` records of a scan output folder ``out`` opened read-only (the
    viewer's File ▸ Open scan results…; before 2026-12-06 it logged nothing, so an examiner's
    case log did not show that a scan's results were looked at): the folder, absolute with its
    links resolved as ``folder-opened`` names one, ``scan_results`` ("read-only": no run, no
    file written), the SHA-256 of results.jsonl and results.csv as they were read and of its
    scan.json (``scan_json_sha256``), and ``edited``, how results.jsonl differs from what its
    last run recorded (:meth:`~forensic_viewer.scan.integrity.Edited.to_json`; None when it
    does not, or nothing was recorded). The hashes are what was seen, not a record of the
    files: they are not in the shapes ``audit verify --files`` checks the last record of (a
    scan's ``out`` with ``results_sha256``, ``scan_json``), so an edit made before the opening
    still reads CHANGED against the run's own record. ``results_sha256``: results.jsonl's as
    the caller read it and judged ``edited`` by (read here when None)."""
    from forensic_viewer.scan.results import CSV_NAME, RESULTS, SCAN_INFO

    if results_sha256 is None:
        results_sha256 = file_sha256(out / RESULTS)
    return {
        "path": str(out.resolve()),
        "scan_results": "read-only",
        "results_sha256": {RESULTS: results_sha256, CSV_NAME: file_sha256(out / CSV_NAME)},
        "scan_json_sha256": file_sha256(out / SCAN_INFO),
        "edited": None if edited is None else edited.to_json(),
    }


def report_details(
    paths: Mapping[str, Path | str], stamp: AuditStamp | None, scan: Path | None = None
) -> dict[str, Any]:
    """What ``report-exported`` records: each file with its SHA-256, and the head (hash and
    entry number) the report printed; ``scan``: the output folder of the scan reported on, whose
    scan.json (the settings the report states) is recorded with its SHA-256
    (:func:`scan_json_record`)."""
    return {
        **({} if scan is None else scan_json_record(scan)),
        # absolute, as scan-started's ``out``: the log keeps no working folder to read them by
        "files": {
            fmt: {"path": os.path.abspath(p), "sha256": file_sha256(p)} for fmt, p in paths.items()
        },
        "head_in_report": "" if stamp is None else stamp.head,
        "entries_in_report": 0 if stamp is None else stamp.entries,
    }


def probe_details(table: Mapping[str, Any], probe_json: Path | None = None) -> dict[str, Any]:
    """What ``probe-run`` records of a robustness probe (``table``:
    :meth:`engine.probe.ProbeResult.to_dict`): the evidence with its SHA-256, the copies made,
    the models, every row whose verdict differs from the original's, the time, and the
    ``probe.json`` written (path and SHA-256) when there is one. The command line and the
    viewer's probe dialog both log this."""
    rows = table.get("rows", [])
    details: dict[str, Any] = {
        "path": table["evidence"]["path"],
        "sha256": table["evidence"]["sha256"],
        "copies": [
            {"name": d.get("name", ""), "sha256": d.get("sha256", "")}
            for d in table.get("derivations", [])
        ],
        "models": {m: o["verdict"] for m, o in table.get("original", {}).items()},
        "verdicts_changed": [
            {"copy": r["derivation"], "model": r["model"], "verdict": r["verdict"]}
            for r in rows
            if r.get("verdict_changed")
        ],
        "seconds": round(float(table.get("seconds", 0.0)), 3),
    }
    if probe_json is not None:
        details["probe_json"] = {
            "path": str(probe_json.resolve()),
            "sha256": file_sha256(probe_json),
        }
    return details


def log_report(
    log: AuditLog | None,
    paths: Mapping[str, Path | str],
    stamp: AuditStamp | None,
    scan: Path | None = None,
) -> AuditEntry | None:
    """``report-exported`` of a report's ``paths`` (:func:`report_details`); the entry, whose
    hash is the log's head with the report's own entry in it (None without a log)."""
    if log is None:
        return None
    return log.append(Action.REPORT_EXPORTED, report_details(paths, stamp, scan))


def head_after_report_line(log: AuditLog, entry: AuditEntry) -> str:
    """The closing line of a report written into a case log: the head *after* its
    ``report-exported`` entry. The head the report prints is the one before that entry, so
    ``audit verify --head`` of it cannot tell that the report's own entry (its files' SHA-256)
    and every later one were cut off the log (QA walk-through, 2026-12-06); noted off-machine,
    this one can."""
    return (
        f"case audit log head after this report: {entry.hash} (entry {entry.seq}); write this "
        f"value down outside this computer: `forensic-viewer audit verify {log.path} --head "
        f"{entry.hash}` then shows that the log still holds the report's own entry"
    )


def log_report_moved(log: AuditLog | None, moved: Any) -> None:
    """``report-moved``: an earlier report moved aside before a new one of its name was
    written (``moved``: :class:`~forensic_viewer.report.earlier.MovedReport`): the output
    folder, the folder it went to and each file with its SHA-256 there (a folder named alone),
    which the earlier ``report-exported`` entry's hashes can be checked against."""
    if log is not None:
        log.append(Action.REPORT_MOVED, moved.to_json(file_sha256))


def put_back_earlier_report(log: AuditLog | None, moved: Any) -> str:
    """The earlier report ``moved`` aside put back into its output folder when the new one
    was not written (:func:`~forensic_viewer.report.earlier.move_back`; the disk full left the
    folder with no report), a ``report-moved`` entry recording the move back
    (``moved_back``), and the one line to say: where the earlier report is now."""
    from engine.files import os_problem
    from forensic_viewer.report.earlier import move_back

    try:
        back = move_back(moved, file_sha256)
    except OSError as e:
        return (
            f"the earlier report stays in {moved.folder}: it could not be moved back "
            f"({os_problem(e, moved.out)})"
        )
    line = f"the earlier report ({', '.join(moved.names)}) moved back to {moved.out}"
    try:
        if log is not None:
            log.append(Action.REPORT_MOVED, back)
    except AuditError as e:  # the disk full for the case log too: said, never raised over
        return f"{line}; the case log could not record it: {e}"
    return line


def case_recorded_end(log: AuditLog | None, out: Path) -> CaseEnd | None:
    """The run's end of ``out`` as the case log recorded it
    (:class:`~forensic_viewer.scan.integrity.CaseEnd`: when, the SHA-256 of its results.jsonl,
    the entry): the last ``scan-finished`` of ``out``; None without a log, or when a
    ``scan-started`` of ``out`` came after it (a run killed since: it recorded no end, its rows
    came after). A folder the log never scanned into may be a copy of one it did (a case
    handed over: the log's ``out`` is where the first examiner scanned; a walk-through of
    2026-12-06 found the check falling back to a scan.json edited to agree): then the entry
    whose recorded results.jsonl is this folder's now, or the one its scan.json's run
    recorded, else the last end of the folder its scan.json's command scanned into
    (:func:`_copied_from`), its ``how`` saying which; None when nothing ties it to one."""
    from forensic_viewer.scan.integrity import CaseEnd
    from forensic_viewer.scan.results import RESULTS

    if log is None:
        return None
    where = str(out.resolve())
    ends: dict[str, CaseEnd | None] = {}  # each output folder's last end (None: killed since)
    finished: list[CaseEnd] = []  # every end of another folder
    for _n, raw, complete in log_lines(log.path):
        entry, _why = parse_entry(raw) if complete else (None, "")
        folder = None if entry is None else entry.details.get("out")
        if entry is None or not isinstance(folder, str):
            continue
        if entry.action == Action.SCAN_STARTED:
            ends[folder] = None
        elif entry.action == Action.SCAN_FINISHED:
            hashes = entry.details.get("results_sha256") or {}
            sha = hashes.get(RESULTS) if isinstance(hashes, Mapping) else None
            end = CaseEnd(entry.time, sha, entry.seq, folder) if _is_sha(sha) else None
            ends[folder] = end
            if end is not None and folder != where:
                finished.append(end)
    if where in ends:
        return ends[where]
    own = _folder_hashes(out)
    for end in reversed(finished):
        if (what := own.get(end.sha)) is not None:
            return end._replace(how=f"{what} is the one entry {end.seq} recorded")
    original = _copied_from(out)
    if original is not None and (end := ends.get(original)) is not None:
        return end._replace(how=f"its scan.json's command scanned into {original}")
    return None


def _is_sha(value: object) -> bool:
    return isinstance(value, str) and HEX64.fullmatch(value) is not None


def _folder_hashes(out: Path) -> dict[str, str]:
    """SHA-256 -> what it is of, in words, of what in the scan folder ``out`` ties it to a
    case log entry: its results.jsonl now, and the one its scan.json's run recorded. Each
    run's rows hold its timings, so no other run's file has that hash; results.csv does not
    tie a folder (a scan of the same evidence elsewhere writes it byte for byte)."""
    from forensic_viewer.scan.integrity import recorded_end
    from forensic_viewer.scan.results import RESULTS, SCAN_INFO

    found: dict[str, str] = {}
    recorded = recorded_end(out / SCAN_INFO)
    if recorded is not None and _is_sha(recorded[1]):
        found[recorded[1]] = f"the {RESULTS} its {SCAN_INFO} records"
    if sha := file_sha256(out / RESULTS):  # the file itself before what scan.json says of it
        found[sha] = f"its {RESULTS}"
    return found


def _copied_from(out: Path) -> str | None:
    """The output folder the last run recorded in ``out``'s scan.json scanned into (its
    command's ``--out``, read against its ``cwd``), when that is not ``out`` itself: the
    folder ``out`` was copied from. None when scan.json says nothing of it."""
    from forensic_viewer.scan.integrity import run_field
    from forensic_viewer.scan.results import SCAN_INFO

    command = run_field(out / SCAN_INFO, "command")
    argv = command.get("argv") if isinstance(command, Mapping) else None
    if not isinstance(argv, list):
        return None
    given = None
    for i, arg in enumerate(argv):
        if arg == "--out" and i + 1 < len(argv):
            given = argv[i + 1]
        elif isinstance(arg, str) and arg.startswith("--out="):
            given = arg[len("--out=") :]
    cwd = command.get("cwd")
    if not isinstance(given, str) or not (os.path.isabs(given) or isinstance(cwd, str)):
        return None
    folder = os.path.normpath(os.path.join(cwd or "", given))
    return None if folder == str(out.resolve()) else folder
