"""What a scan records of its settings in ``scan.json`` and what a resume must match: the
models (their SHA-256, and that of the int8 files the fast path runs for them), the ensemble file, the window overrides, the classic analyses and their
parameters, the path (exact or fast), face detection and the face path; and of each run, how it
ended and the command that started it (``run``, the earlier runs in ``earlier_runs``).

No Qt; used by the one-process scan (:mod:`forensic_viewer.scan.run`), the worker-process and
Ray scans alike. The file's fields: docs/RESULTS.md, "scan.json".
"""

from __future__ import annotations

import contextlib
import json
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.analyses import analysis_settings
from engine.ending import stop_signal, stop_words
from engine.errors import ForensicError
from engine.files import atomic_write, not_regular_reason, os_problem, read_regular_text
from engine.formatting import time_text
from forensic_viewer.scan.failure import brief, failure_reason, named
from forensic_viewer.scan.integrity import (
    RESULTS_CSV_SHA256,
    RESULTS_EDITED,
    RESULTS_SHA256,
    ROWS_SET_ASIDE,
    file_sha256,
    recorded_run,
)
from forensic_viewer.scan.lock import OutputLock, OutputLocked
from forensic_viewer.scan.results import CSV_NAME, RESULTS, SCAN_INFO
from forensic_viewer.scan.run_id import RUN_ID, new_run_id, shown_start
from forensic_viewer.scan.walk import PASSED_OVER, TRUTH_UNREAD, not_covered_record, split_listing

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

    from engine.pipeline import Analyzer


class ScanSettingsMismatch(ForensicError):
    """The output folder holds results made with other models or settings."""


def scan_settings(analyzer: Analyzer, source: str, analyses: Sequence[str] = ()) -> dict[str, Any]:
    """What a resume must match. exact: the paper's sliding-window path (the reference) or
    the fast path. faces: None with face detection off, else the detector's backend and
    whether each face is analysed on its own (the face path): rows made with and without faces
    must not be mixed in one folder any more than rows of two checkpoints."""
    return {
        "source": source,
        "models": {m.name: m.sha256 for m in analyzer.models},
        "face_models": {m.name: m.sha256 for m in getattr(analyzer, "face_models", ())},
        # the int8 OpenVINO files the fast path runs in place of a checkpoint's fp32 weights
        "int8_files": int8_planned(analyzer),
        "window": analyzer.window,
        "stride": analyzer.stride,
        "ensemble": getattr(analyzer.ensemble, "name", None),
        "ensemble_sha256": getattr(analyzer.ensemble, "sha256", None) or None,
        "analyses": analysis_settings(analyses, getattr(analyzer, "analysis_params", None)),
        "exact": bool(getattr(analyzer, "exact", False)),
        "runtime": runtime_setting(analyzer),
        "faces": faces_setting(getattr(analyzer, "faces", None), analyzer),
    }


def faces_setting(detector: Any, analyzer: Any = None) -> dict[str, Any] | None:
    """scan.json's ``faces``: None without a ``detector``, else its backend's name and whether
    ``analyzer`` analyses each face on its own (the face path). A viewer report records it too
    (its ``settings``), so both reports say which detector found the faces."""
    if detector is None:
        return None
    return {
        "detector": getattr(detector, "name", type(detector).__name__),
        "face_path": bool(getattr(analyzer, "face_path", False)),
    }


def runtime_setting(analyzer: Analyzer) -> str | None:
    """The runtime the fast path was asked for (``auto``, ``torch``, ``openvino``,
    ``openvino-fp32``), ``FORENSIC_VIEWER_RUNTIME`` deciding ``auto``
    (:func:`engine.runtime.chosen_runtime`); None on the exact path, always PyTorch. Compared on
    resume: ``int8_files`` told the default from ``torch`` or ``openvino-fp32`` (a resume
    across those was refused), but not those two from each other, whose rows a resume mixed."""
    if getattr(analyzer, "exact", False):
        return None
    from engine.runtime import chosen_runtime

    return str(chosen_runtime(getattr(analyzer, "runtime", "auto")))


def int8_planned(analyzer: Analyzer) -> dict[str, dict[str, str]]:
    """Per network whose fast path will run a bundled int8 model, its files' SHA-256 by name
    (:func:`engine.runtime.int8_to_run`): recorded beside the checkpoints' SHA-256, so that a
    resume with other int8 files is refused like one with another checkpoint (2026-12-05
    review: swapping the .bin between two runs mixed the rows of two models in one folder)."""
    from engine.fastpath import Tiling
    from engine.runtime import int8_to_run

    detector = getattr(analyzer, "faces", None)
    faces = getattr(analyzer, "face_models", []) if getattr(analyzer, "face_path", False) else []
    out = {}
    for loaded in [*analyzer.models, *(faces if detector is not None else [])]:
        if not hasattr(analyzer, "plan"):  # a stand-in analyzer (tests) runs no network
            break
        plan = analyzer.plan(loaded)
        if plan.tiling is Tiling.OVERLAP_CROP and loaded.meta.input_policy.mode == "window":
            shape = None if plan.shrink else (plan.tile, plan.tile)
            run = int8_to_run(analyzer.runtime, analyzer.device, analyzer.precision, loaded, shape)
            if run:
                out[loaded.name] = run
    return out


RUN_FIELD = "run"  # scan.json's record of the last run: running, or how it ended (docs/RESULTS.md)
# the runs before the last (their ``run`` records, commands included), oldest first: a resumed
# scan's rows come from several runs, each perhaps started by another command line
EARLIER_RUNS = "earlier_runs"
RUN_OWN = ("environment", "device")  # scan.json's fields of the last run, kept in earlier_runs
MAX_EARLIER_RUNS = 50  # kept: the first run and the latest ones; the others are counted
EARLIER_LEFT_OUT = "earlier_runs_left_out"

# settings added since the first scan.json, with the value a folder written before them had
# ("exact" has none: such a folder may come from before the fast path or after; it is refused)
SETTING_DEFAULTS: dict[str, Any] = {"analyses": {}, "face_models": {}}
# settings added since whose value a folder written before them cannot say: not compared then
# (the ensemble file's SHA-256, whose θ and weights decide the default verdict; whether faces
# were detected, by which detector, and analysed on their own; the int8 model files' SHA-256;
# the runtime asked for (since 2026-12-06))
SETTINGS_UNRECORDED: tuple[str, ...] = ("ensemble_sha256", "faces", "int8_files", "runtime")


def check_settings(
    out: Path,
    settings: dict[str, Any],
    extra: dict[str, Any] | None = None,
    run_id: str | None = None,
    command: Mapping[str, Any] | None = None,
    unread: Mapping[str, Any] | None = None,
) -> None:
    """Refuse an output folder made with other settings (classic analyses of another version
    excepted: :func:`upgradable`), then record ``settings`` in scan.json
    (written aside and renamed: a reader never sees half of it), with the run's ``run`` state
    "running" until :func:`record_run` says how it ended; the earlier run's ``run`` joins
    ``earlier_runs`` (:func:`earlier_runs`).

    extra: written along (e.g. the program's environment) but never compared.
    run_id: the run's identity (:func:`~forensic_viewer.scan.run_id.new_run_id`, which its rows
    carry), made when it began, if before this check: a scan with worker processes checks once
    they have loaded their models, seconds after it began. None: a run beginning now. Recorded
    as ``run.id``, and its start to the second as ``run.started``.
    command: the run's command line (:func:`forensic_viewer.scan.command.command_record`),
    kept in ``run`` to its end; None: not known (a scan started by a script's own call).
    unread: what the run's listing could not read (:func:`forensic_viewer.scan.walk.unread_record`),
    kept in ``run`` to its end as ``unread``, and the files it passed over as no image, kept
    as ``passed_over`` (:func:`~forensic_viewer.scan.walk.split_listing`); None: it read
    everything and passed over nothing, or it is not known.
    """
    info = out / SCAN_INFO
    old: Any = None
    if info.exists():
        try:  # through open_regular: a pipe or device named scan.json is named, not waited on
            old = json.loads(read_regular_text(info))
        except ValueError:
            old = None
        except OSError as e:
            if (reason := not_regular_reason(e)) is None:
                raise
            raise ForensicError(info, reason) from e
        if isinstance(old, dict):
            old = {k: v for k, v in settings.items() if k in SETTINGS_UNRECORDED} | old
            differ = [k for k in settings if old.get(k, SETTING_DEFAULTS.get(k)) != settings[k]]
            if differ == ["analyses"] and upgradable(old.get("analyses"), settings["analyses"]):
                differ = []  # the rows of older versions are brought up to date: scan/upgrade.py
            if differ == ["source"] and ANALYZE not in (old.get("source"), settings["source"]):
                moved = moved_words(old.get("source"), settings["source"], out)
                raise ScanSettingsMismatch(out, moved)
            if differ:
                said = params_difference(old.get("analyses"), settings["analyses"])
                if "runtime" in differ:
                    said += runtime_difference(old.get("runtime"), settings["runtime"])
                raise ScanSettingsMismatch(
                    out,
                    f"holds results made with other models or settings ({', '.join(differ)} "
                    f"differ: scan.json{said}); choose another output folder",
                )
    out.mkdir(parents=True, exist_ok=True)
    run_id = run_id or new_run_id()
    run: dict[str, Any] = {"state": "running", "started": shown_start(run_id), RUN_ID: run_id}
    if command is not None:
        run["command"] = dict(command)
    unread_part, passed_over = split_listing(unread)
    if unread_part is not None:
        run["unread"] = unread_part
    if passed_over is not None:
        run[PASSED_OVER] = passed_over
    history = earlier_runs(old) if isinstance(old, dict) else {}
    scan = {**(extra or {}), **history, RUN_FIELD: run, **settings}
    atomic_write(info, json.dumps(scan, indent=2) + "\n")


ANALYZE = "analyze"  # scan.json's source of files given one by one (no folder)


def moved_words(was: Any, now: str, out: Path) -> str:
    """The refusal of a resume whose only other setting is the scanned folder's path (the
    evidence copied or mounted elsewhere): both paths, and what to do. It said "other models
    or settings (source differ)", naming neither path (a hand-over walk-through, 2026-12-06).
    ``out``: the output folder, whose results' report needs no run (``forensic-viewer report``;
    the words had said no command wrote one, before there was)."""
    return (
        f"holds the results of a scan of {was}, not of {now}: the same models and settings, "
        f"only the folder's path differs, and a resume goes on only in the folder it began "
        f"with; to resume, make the evidence readable at {was} again (mount it there) and "
        f"scan that path, or choose another output folder to analyse {now} anew (the report "
        f"of the results already here needs no run: forensic-viewer report {out})"
    )


def runtime_difference(old: Any, now: Any) -> str:
    """``"; the runtime torch there, auto now (FORENSIC_VIEWER_RUNTIME ...)"``, for the refusal
    of a resume under another runtime (None: the exact path, PyTorch)."""

    def words(r: Any) -> str:
        return "the exact path's PyTorch" if r is None else str(r)

    return (
        f"; the runtime {words(old)} there, {words(now)} now (FORENSIC_VIEWER_RUNTIME sets it; "
        "run.command.line shows the run's)"
    )


def params_difference(old: Any, now: Mapping[str, Any]) -> str:
    """``"; ela's quality 90 there, 75 now"``: the parameters of an analysis of both scan.json's
    ``analyses`` ``old`` and ``now`` (of one version) that differ, for the refusal of a resume
    with other --param values; "" when none does."""
    if not isinstance(old, dict):
        return ""
    parts = []
    for name, o in old.items():
        n = now.get(name)
        if not isinstance(o, dict) or not isinstance(n, dict) or o.get("version") != n["version"]:
            continue
        was, chosen = o.get("params") or {}, n.get("params") or {}
        parts += [
            f"{name}'s {k} {was.get(k)} there, {v} now"
            for k, v in chosen.items()
            if was.get(k) != v
        ]
    return "; " + ", ".join(parts) if parts else ""


def upgradable(old: Any, now: Mapping[str, Any]) -> bool:
    """Whether scan.json's ``analyses`` ``old`` differ from ``now`` only by analyses' versions
    (the same analyses; an analysis's parameters may differ only with its version): a resume
    then runs them again where rows hold an older version (:mod:`forensic_viewer.scan.upgrade`)
    rather than refuse the folder."""
    if not isinstance(old, dict) or list(old) != list(now):
        return False
    return all(
        isinstance(o, dict) and (o == now[n] or o.get("version") != now[n].get("version"))
        for n, o in old.items()
    )


def earlier_runs(old: dict[str, Any]) -> dict[str, Any]:
    """scan.json's ``earlier_runs`` (and ``earlier_runs_left_out``) once the run recorded in
    ``old`` (the scan.json found) is an earlier one: its runs before, then its ``run`` with
    its ``environment`` and ``device`` (:data:`RUN_OWN`, until then scan.json's own) (one
    that still says "running" marked :data:`NOT_RUNNING`: the run beginning holds the folder's
    lock, so that one ended without recording its end and is taken for no more). At most
    :data:`MAX_EARLIER_RUNS`: the first run and the latest, the others counted, so a folder
    resumed by a script thousands of times keeps a scan.json of a few pages."""
    runs = [r for r in old.get(EARLIER_RUNS) or [] if isinstance(r, dict)]
    if isinstance(last := old.get(RUN_FIELD), dict):  # a "running" one is no more: a run begins
        dead = last.get("state") == "running"
        # scan.json's environment and device are the last run's: kept with it, since the next
        # run's replace them (a resumed scan's report showed one environment for rows of three)
        last = {**{k: old[k] for k in RUN_OWN if k in old and k not in last}, **last}
        runs.append({**last, NOT_RUNNING: True, "note": EARLIER_NOT_RUNNING} if dead else last)
    left_out = old.get(EARLIER_LEFT_OUT)
    left_out = left_out if isinstance(left_out, int) and left_out > 0 else 0
    if len(runs) > MAX_EARLIER_RUNS:
        left_out += len(runs) - MAX_EARLIER_RUNS
        runs = [runs[0], *runs[len(runs) - MAX_EARLIER_RUNS + 1 :]]
    if not runs:
        return {}
    return {EARLIER_RUNS: runs, **({EARLIER_LEFT_OUT: left_out} if left_out else {})}


def now_text() -> str:
    """The time as scan.json's ``run`` records it (local time with its UTC offset)."""
    return time_text()


# a reader's mark on a "running" run that no scan holds the folder of: its end was never
# recorded (killed, or scan.json could not be written as it ended: a full disk)
NOT_RUNNING = "not_running"
EARLIER_NOT_RUNNING = (
    "its end was never recorded (killed, or scan.json could not be written): the next run "
    "found no scan holding the output folder"
)
NOT_RUNNING_NOTE = (
    "scan.json says running, but no scan holds the output folder: the run ended without "
    "recording its end (killed, or scan.json could not be written); running the same scan "
    "again resumes"
)


def _recorded_run(out: Path) -> Any:
    """scan.json's ``run`` as written now (None when it cannot be read, or is no record)."""
    return recorded_run(out / SCAN_INFO)


def no_longer_running(out: Path, run: Any) -> bool:
    """Whether ``run``, scan.json's ``run`` just read from ``out``, says "running" of a run
    that is no more: no scan holds ``out``'s lock (:meth:`OutputLock.probe`: the operating
    system lets it go when its holder ends, however it ends) and scan.json still says the
    same once the lock is seen free (a run records its end before it lets the lock go, so one
    ending between the two reads is not taken for dead). A scan of this process holds the
    lock on another open file, which the probe sees held too."""
    if not isinstance(run, dict) or run.get("state") != "running":
        return False
    try:
        OutputLock(out).probe()
    except OutputLocked:
        return False
    return _recorded_run(out) == run


def marked_run(out: Path, run: Any) -> Any:
    """``run`` (scan.json's, just read from ``out``) as a reader should take it: marked
    :data:`NOT_RUNNING` (with :data:`NOT_RUNNING_NOTE` as its ``note``) when it says
    "running" of a run that is no more (:func:`no_longer_running`), else as it is."""
    if no_longer_running(out, run):
        return {**run, NOT_RUNNING: True, "note": NOT_RUNNING_NOTE}
    return run


def run_as_found(out: Path, info: dict[str, Any]) -> dict[str, Any]:
    """``info``, scan.json just read from ``out``, with its ``run`` as a reader should take
    it (:func:`marked_run`): the reports' scan.json."""
    if RUN_FIELD in info:
        return {**info, RUN_FIELD: marked_run(out, info[RUN_FIELD])}
    return info


def stopped_run(out: Path) -> dict[str, Any] | None:
    """scan.json's ``run`` when the scan's last run did not finish (cancelled, interrupted,
    failed, or still "running": running now, or, marked :data:`NOT_RUNNING`, killed or unable
    to record its end: :func:`marked_run`); None when it finished, and for folders without
    scan.json or written before ``run`` existed. What files made of a scan's rows (the ground
    truth's ``partial_scan``) say of the part they cover."""
    run = marked_run(out, _recorded_run(out))
    if not isinstance(run, dict) or run.get("state") in (None, "finished"):
        return None
    keep = ("state", "signal", "reason", "through", "files", "note", NOT_RUNNING)
    return {k: run[k] for k in keep if k in run}


def not_covered(out: Path) -> dict[str, Any] | None:
    """What the listing of the scan's last run in ``out`` could not read (groundtruth.json's
    ``not_covered``: their images were never scored), from its scan.json
    (:func:`~forensic_viewer.scan.walk.not_covered_record`: ``run.unread`` and its words); None
    when it read everything, and for folders without scan.json or written before ``unread``."""
    try:
        info = json.loads(read_regular_text(out / SCAN_INFO))
    except (OSError, ValueError):
        return None
    return not_covered_record(info, TRUTH_UNREAD) if isinstance(info, dict) else None


def record_run(out: Path, run: dict[str, Any]) -> None:
    """Record in scan.json how the run ended (``run``: its state, counts and note), beside the
    start time, command and unread part :func:`check_settings` recorded (and what the run
    found of results.jsonl as it began: :mod:`~forensic_viewer.scan.integrity`), with the
    SHA-256 of results.jsonl as the run leaves it, which the next resume compares it with (and
    of results.csv, ``results_csv_sha256``, for whoever is handed the CSV: nothing compares it);
    written aside and renamed, so an interrupt while writing leaves the earlier scan.json
    whole."""
    info = out / SCAN_INFO
    old = json.loads(read_regular_text(info))
    began = old.get(RUN_FIELD) or {}
    keep = (RUN_ID, "command", "unread", PASSED_OVER, RESULTS_EDITED, ROWS_SET_ASIDE)
    kept = {k: began[k] for k in keep if k in began}
    left = {RESULTS_SHA256: sha} if (sha := file_sha256(out / RESULTS)) else {}
    if csv_sha := file_sha256(out / CSV_NAME):  # beside it, results.csv as the run left it
        left[RESULTS_CSV_SHA256] = csv_sha
    old[RUN_FIELD] = {**run, "started": began.get("started"), "ended": now_text(), **kept, **left}
    atomic_write(info, json.dumps(old, indent=2) + "\n")


def end_run(out: Path, summary: Any, interrupted: KeyboardInterrupt | None) -> None:
    """Record in scan.json how the run ended (finished, cancelled, or interrupted by a signal
    after N of M files, with how to resume), once results.csv is written (``summary``: the
    run's ``ScanSummary``). An interrupt is then raised again with ``summary`` as its
    ``summary`` attribute, so the caller can say where the scan stopped before it ends; the
    signal is the exception's (:func:`engine.ending.stop_signal`). The one-process,
    worker-process and Ray scans all end here (a failure: :func:`failure_recorded`)."""
    through, files = summary.through, summary.total
    run: dict[str, Any] = {"state": "finished", "files": files, "through": through}
    if interrupted is not None:
        summary.cancelled = True
        summary.interrupted = signal.Signals(stop_signal(interrupted)).name
        run |= {"state": "interrupted", "signal": summary.interrupted}
    elif summary.cancelled:
        run["state"] = "cancelled"
    run |= {"analysed": summary.done, "failed": len(summary.failed), "skipped": summary.skipped}
    if summary.upgraded:  # which analyses ran again, on how many files, why (scan/upgrade.py)
        run["upgraded"] = {n: u.to_json() for n, u in summary.upgraded.items()}
    if run["state"] == "finished":
        run["note"] = f"finished: {through} of {files} files"
    else:
        # in the programs' words for the signal; run["signal"] keeps its name
        how = run["state"] if interrupted is None else stop_words(interrupted)
        run["note"] = (
            f"{how} after {through} of {files} files: results.csv covers those; "
            "running the same scan again resumes"
        )
    record_run(out, run)
    if interrupted is not None:
        interrupted.summary = summary  # type: ignore[attr-defined]
        raise interrupted


CSV_NOT_REWRITTEN = "results.csv was not rewritten: it is an earlier run's, if any"


def record_failed_run(
    out: Path, e: Exception, summary: Any, csv: str | None = None
) -> tuple[dict[str, Any], str | None]:
    """Record in scan.json that the run failed once its settings were checked (``state``
    "failed", ``reason``: :func:`failure_reason`), with ``summary``'s counts (a
    ``ScanSummary``) so far, as a stopped run records them; scan.json said "running" until
    then. ``csv``: None when results.csv was rewritten with the files the run went through
    (as a stopped run's), else why not. The run's record, and None when it was written, else
    why not, naming scan.json (:func:`unrecorded_problem`): the disk being full, that
    write may fail too, and scan.json then says "running" of a run that is no more (its
    readers find it so: :func:`run_as_found`)."""
    reason = failure_reason(e, out)
    through, files = summary.through, summary.total
    run = {"state": "failed", "reason": reason, "files": files, "through": through}
    run |= {"analysed": summary.done, "failed": len(summary.failed), "skipped": summary.skipped}
    covered = "results.csv covers those" if csv is None else csv
    run["note"] = (
        f"failed after {through} of {files} files ({reason}): the rows written are kept; "
        f"{covered}; running the same scan again resumes"
    )
    try:
        record_run(out, run)
    except (OSError, ValueError) as problem:  # ValueError: scan.json itself unreadable
        return run, unrecorded_problem(problem, out)
    return run, None


def unrecorded_problem(problem: Exception, out: Path) -> str:
    """Why scan.json could not record how a run ended, as "<file>: <problem>"
    (:func:`engine.files.os_problem`, scan.json named when the error names no file; a
    scan.json that is no JSON said so)."""
    info = named(out / SCAN_INFO)
    if isinstance(problem, OSError):
        return os_problem(problem, info)
    return f"{info}: not readable as JSON ({brief(problem)})"


def unrecorded_line(where: str) -> str:
    """The one line said when scan.json could not record that a run failed (``where``:
    :func:`unrecorded_problem`), and what that leaves."""
    return f"{where}; it could not record that the run failed: it says running, though it is not"


def unrecorded_end(e: BaseException) -> dict[str, Any] | None:
    """How the failed run that raised ``e`` ended (:func:`failure_recorded`'s ``ended_run``)
    when scan.json could not record it, else None (scan.json holds it): what the run's report
    says in place of the "running" scan.json was left saying (the command line's and the
    batch dialog's)."""
    return getattr(e, "ended_run", None) if getattr(e, "unrecorded", None) else None


@contextlib.contextmanager
def failure_recorded(
    out: Path,
    summary: Any,
    write_csv: Callable[[], bool] | None = None,
    started: float | None = None,
) -> Iterator[None]:
    """An exception out of the block (a run whose settings scan.json holds) ends the run as a
    stop does, as far as the output folder can still be written: ``write_csv()`` rewrites
    results.csv with the files the run went through (False: nothing to write, its results
    never opened), then :func:`record_failed_run` says so; the exception is raised on with
    ``summary`` as its ``summary`` attribute (the case log's ``scan-finished`` counts it),
    its ``seconds`` those from ``started`` (``time.perf_counter()`` when the run began, as a
    finished run counts them) to the failure; ``ended_run``, the run's record (with
    ``unrecorded``, :func:`unrecorded_problem`, when scan.json could not take it), and
    ``unrecorded``, None when scan.json holds it, else the one line of why not
    (:func:`unrecorded_line`): a report of the run then says how it ended all the same.
    A stop (KeyboardInterrupt) is :func:`record_run`'s, through ``end_run``."""
    try:
        yield
    except Exception as e:
        if started is not None:
            summary.seconds = time.perf_counter() - started
        csv: str | None = CSV_NOT_REWRITTEN
        try:
            if write_csv is not None and write_csv():
                csv = None
        except Exception as c:  # the disk still full: said in the note, the scan's error raised
            csv = f"{CSV_NOT_REWRITTEN} ({failure_reason(c, out)})"
        run, where = record_failed_run(out, e, summary, csv)
        ended = run if where is None else {**run, "unrecorded": where}
        line = None if where is None else unrecorded_line(where)
        with contextlib.suppress(AttributeError):
            e.summary, e.ended_run, e.unrecorded = summary, ended, line  # type: ignore[attr-defined]
        raise
