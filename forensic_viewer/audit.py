"""The case's audit log: every examination action as one hash-chained JSON line (no Qt).

A case folder holds ``audit.jsonl``. Each line is one :class:`AuditEntry`: ``seq`` (1, 2, ...),
``time`` (UTC, microseconds), ``action`` (:class:`Action`), ``examiner`` and ``host``, the
action's ``details`` (paths, SHA-256 of evidence, checkpoints and exported files, settings),
``prev`` (the ``hash`` of the entry before it; 64 zeros for the first) and ``hash``: the SHA-256
of the entry's other fields as canonical JSON (keys sorted, no spaces, ASCII only with
``\\u`` escapes, no NaN). The stored line *is* that canonical JSON with ``hash`` added, so a
change of any byte of an entry, and any edit, removal, insertion or reordering of entries,
breaks the chain at the first entry concerned; :func:`verify_log` names it. Removing entries
from the end leaves a shorter chain that holds: reports therefore print the head (the last
entry's hash and the count) at the time they were written, and ``verify --head HASH`` checks
that a report's head is still in the log.

Writing (:class:`AuditLog`): each entry is one ``os.write`` of its complete line to a file opened
``O_APPEND``, followed by ``fsync``, under an exclusive ``flock`` of the log (POSIX; two programs
logging into one case, the viewer and a command-line scan, take turns and keep one chain). An entry
that :meth:`AuditLog.append` returned is therefore on the disk: a crash afterwards cannot lose it.
A write that fails (the disk full) is cut back to where its entry began
(:func:`engine.files.append_whole`), never left torn. A crash during the write can leave a torn
last line (a prefix of an entry, without its newline): :func:`verify_log` reports it, never accepts
it; the entries before it still verify. The next program that opens the log moves the torn bytes to
``audit.jsonl.torn-<time>`` beside it and writes, in their place, a ``torn-line-recovered`` entry
with the torn bytes' size and SHA-256, so the repair is itself on the record (a crash during the
repair leaves the log still torn, never a sound chain without that entry). A log whose chain is
broken in any other way is refused for writing (:class:`AuditError`): it is evidence of tampering
(or damage) that an examiner must look at, and appending to it would bury it.

Examiner and host: ``examiner`` is what the examiner gave (``--examiner``; the environment
variable ``FORENSIC_VIEWER_EXAMINER``), else the operating-system account name; ``host`` is the
machine's name. Both are what the operating system says, not an authenticated identity.

Where the log lives: ``--case DIR`` (the viewer, ``analyze`` and ``scan``) or the environment
variable ``FORENSIC_VIEWER_CASE`` name the case folder; without them the viewer logs into a
per-user default case (:func:`default_case_dir`), and ``analyze``/``scan`` log nothing. See
docs/AUDIT.md.

Reading: the log is read a line at a time, by ``audit verify`` and ``show`` and by a writer
opening it, never whole: it is never cut or rotated (it is the case's evidence trail), and a
case of years holds more than one wants in memory; a writer then reads only what others
appended since (:meth:`AuditLog._catch_up`). The ``audit verify`` and ``show`` commands are
in :mod:`forensic_viewer.casework`.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import math
import os
import re
import socket
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO

from engine.environ import user_data_dir  # default_case_dir's; others import it from there
from engine.errors import ForensicError
from engine.files import (
    AtomicFile,
    append_whole,
    file_above,
    not_regular_reason,
    open_append_fd,
    open_regular,
    write_all,
)
from forensic_viewer.audit_sessions import Sessions, tap
from forensic_viewer.environment import APP_PACKAGE, code_identity, package_version

try:
    import fcntl
except ImportError:  # Windows: one writer per log (no flock)
    fcntl = None  # type: ignore[assignment]

LOG_NAME = "audit.jsonl"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # the log is never a link (see AuditLog)
GENESIS = "0" * 64  # the ``prev`` of the first entry
CASE_ENV = "FORENSIC_VIEWER_CASE"
EXAMINER_ENV = "FORENSIC_VIEWER_EXAMINER"
FIELDS = ("action", "details", "examiner", "hash", "host", "prev", "seq", "time")
HEX64 = re.compile(r"[0-9a-f]{64}")


class Action(StrEnum):
    """What an entry records. Readers accept other names (a later version's actions)."""

    LOG_OPENED = "log-opened"  # a program started writing: program, version, pid
    LOG_CLOSED = "log-closed"  # that program's clean end (audit_sessions.py)
    SESSIONS_NOT_ENDED = "sessions-not-ended"  # earlier sessions with no log-closed
    TORN_LINE_RECOVERED = "torn-line-recovered"  # a crash's torn last line moved aside
    EVIDENCE_OPENED = "evidence-opened"  # path, SHA-256, size, format, file-system times
    FOLDER_OPENED = "folder-opened"  # path, images opened, subfolders not opened
    ANALYSIS_STARTED = "analysis-started"  # path, models asked for, device, exact/fast
    ANALYSIS_FINISHED = "analysis-finished"  # per model: checkpoint SHA-256, θ, verdict, score
    ANALYSIS_FAILED = "analysis-failed"
    ANALYSIS_CANCELLED = "analysis-cancelled"
    CLASSIC_ANALYSES = "classic-analyses"  # classic analyses run: names, parameters, scores
    TRUTH_LOADED = "truth-loaded"  # a ground-truth mask for the evidence: both SHA-256
    THRESHOLD_CHANGED = "threshold-changed"  # a mask layer's pixel threshold: from, to
    LAYER_EXPORTED = "layer-exported"  # a layer written to a file: path, SHA-256
    REPORT_EXPORTED = "report-exported"  # report files: paths, SHA-256
    REPORT_MOVED = "report-moved"  # an earlier report moved aside: where to, SHA-256
    NOTE = "note"  # the examiner's note
    PROBE_RUN = "probe-run"  # a robustness probe: evidence, copies, verdicts that changed
    SCAN_STARTED = "scan-started"  # analyze/scan: files, output folder, models, settings
    SCAN_FINISHED = "scan-finished"  # counts, results file SHA-256
    RESULTS_EDITED = "results-edited"  # results.jsonl differs from its run's recorded SHA-256
    ROWS_SET_ASIDE = "rows-set-aside"  # results.jsonl lines not whole rows, saved beside it
    RESULT_KEPT = "result-kept"  # a viewer analysis kept in the case's viewer-results folder
    RESULTS_NOT_KEPT = "results-not-kept"  # finished analyses a close stopped waiting to keep


class AuditError(ForensicError):
    """The audit log cannot be used (unreadable, broken chain, not writable); one line naming
    the file."""


def canonical(obj: Mapping[str, Any]) -> bytes:
    """The one byte form of an entry that is hashed and stored: sorted keys, no spaces,
    ASCII (every other character as a ``\\u`` escape, so control and bidi characters from file
    names are inert), NaN refused."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False).encode("ascii")


def entry_hash(body: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of an entry without its ``hash`` field."""
    return hashlib.sha256(canonical({k: v for k, v in body.items() if k != "hash"})).hexdigest()


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data: paths and other objects as text, tuples and sets as
    lists, numpy scalars as numbers, non-finite floats as text ("nan", "inf")."""
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(jsonable(v) for v in value)
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return jsonable(value.item())
    return str(value)


def utc_now() -> str:
    """``2026-12-02T01:02:03.456789Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class AuditEntry:
    """One line of the log (see the module docstring for each field's meaning)."""

    seq: int
    time: str
    action: str
    examiner: str
    host: str
    details: dict[str, Any]
    prev: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in FIELDS}

    def line(self) -> bytes:
        return canonical(self.to_dict()) + b"\n"

    @classmethod
    def make(
        cls, seq: int, action: str, details: Mapping[str, Any], prev: str, examiner: str, host: str
    ) -> AuditEntry:
        body = {
            "seq": seq,
            "time": utc_now(),
            "action": str(action),
            "examiner": examiner,
            "host": host,
            "details": jsonable(dict(details)),
            "prev": prev,
        }
        return cls(**body, hash=entry_hash(body))


@dataclass(frozen=True)
class AuditStamp:
    """What a report prints of the case log: where it is (absolute), how many entries, the head
    hash."""

    log: str
    entries: int
    head: str

    def to_dict(self) -> dict[str, Any]:
        return {"log": self.log, "entries": self.entries, "head": self.head}


# --- reading and verifying ---


def _lines(
    f: BinaryIO, limit: int | None = None, first: int = 1
) -> Iterator[tuple[int, bytes, bool]]:
    """(line number from ``first``, bytes without the newline, complete) of every line of
    ``f`` from where it stands, read one at a time (at most ``limit`` bytes in all): a log
    grows for the years of a case and is never held whole. The last is incomplete when the
    bytes read do not end with a newline."""
    number, left = first, limit
    while left is None or left > 0:
        raw = f.readline() if left is None else f.readline(left)
        if not raw:
            return
        if left is not None:
            left -= len(raw)
        complete = raw.endswith(b"\n")
        yield number, raw[:-1] if complete else raw, complete
        number += 1


def log_lines(path: Path, lock: bool = True) -> Iterator[tuple[int, bytes, bool]]:
    """:func:`_lines` of the log at ``path``, opened by :func:`engine.files.open_regular`
    without following a link (a pipe, a device or a link given as the log, or put in the case
    folder under its name, is refused: never waited on nor read without end), under a shared
    ``flock`` with ``lock`` (an entry being appended meanwhile is read whole or not at all).
    Reading it failing raises :class:`AuditError`; what the caller does with a line (print it
    to a closed pipe) raises what it raises."""
    try:
        with open_regular(path, follow_links=False) as f:
            if lock and fcntl is not None:  # a write in progress finishes first
                fcntl.flock(f.fileno(), fcntl.LOCK_SH)
            yield from _lines(f)
    except OSError as e:
        raise AuditError(path, _unreadable(e)) from e


def parse_entry(raw: bytes) -> tuple[AuditEntry | None, str]:
    """The entry on one complete line, or None and why not (its hash is checked elsewhere)."""
    try:
        obj = json.loads(raw.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return None, "is not a JSON entry"
    if not isinstance(obj, dict) or sorted(obj) != list(FIELDS):
        return None, f"does not have exactly the fields {', '.join(FIELDS)}"
    ok = (
        type(obj["seq"]) is int
        and all(isinstance(obj[k], str) for k in ("time", "action", "examiner", "host"))
        and isinstance(obj["details"], dict)
        and all(isinstance(obj[k], str) and HEX64.fullmatch(obj[k]) for k in ("prev", "hash"))
    )
    if not ok:
        return None, "has a field of the wrong type"
    return AuditEntry(**obj), ""


@dataclass(frozen=True)
class Verification:
    """The result of :func:`verify_log`.

    entries: the entries that verified (all of them when ``ok``; otherwise those before the
        first problem), when kept (``keep``: none otherwise). count: how many verified.
        head: the last verified entry's hash (:data:`GENESIS` when none).
    problem: "" when the chain holds, else what is wrong at ``line`` (``seq``: the entry number
        expected there). torn: the problem is a torn last line (a crash while writing).
    """

    path: Path
    entries: tuple[AuditEntry, ...]
    head: str
    problem: str = ""
    line: int | None = None
    seq: int | None = None
    torn: bool = False
    torn_offset: int = 0  # where the line with the problem starts (bytes)
    count: int = 0

    @property
    def ok(self) -> bool:
        return not self.problem

    def message(self) -> str:
        """One line: the verdict on the whole log."""
        n = self.count
        if self.ok:
            return f"{self.path}: OK, {n} entries, head {self.head}"
        return f"{self.path}: BROKEN at line {self.line} (entry {self.seq}): {self.problem}"


def _line_problem(raw: bytes, complete: bool, seq: int, head: str) -> str:
    """What is wrong with the line that should hold entry ``seq`` after ``head``; "" if nothing."""
    if not complete:
        return (
            f"torn last line ({len(raw)} bytes without an end of line: the writer stopped "
            f"mid-entry, e.g. a crash); the {seq - 1} entries before it verify"
        )
    entry, why = parse_entry(raw)
    if entry is None:
        return f"the line {why}" if raw else "the line is empty"
    if entry.seq != seq:
        return (
            f"it holds entry {entry.seq} where entry {seq} belongs "
            "(entries were removed, inserted or reordered)"
        )
    if entry.prev != head:
        return (
            "its prev does not match the hash of the entry before it "
            "(an entry was removed, inserted or replaced)"
        )
    if entry_hash(entry.to_dict()) != entry.hash:
        return "its hash does not match its content (the entry was edited)"
    if raw + b"\n" != entry.line():
        return "the line is not in canonical form (it was rewritten)"
    return ""


def verify_lines(
    path: Path,
    lines: Iterable[tuple[int, bytes, bool]],
    expect_head: str | None = None,
    *,
    keep: bool = True,
    after: tuple[int, str, int] = (0, GENESIS, 0),
) -> Verification:
    """Verify the chain in ``lines`` (:func:`_lines` of the log at ``path``), one line at a
    time; see :func:`verify_log`. ``after``: the entries before ``lines`` (count, head, bytes),
    already verified: the first line must hold the entry after them, and the result's count,
    head, line numbers and offsets count them."""
    entries: list[AuditEntry] = []
    count, head, offset = after
    want = None if expect_head is None else expect_head.lower()
    found = want is None
    for number, raw, complete in lines:
        seq = count + 1
        problem = _line_problem(raw, complete, seq, head)
        if problem:
            return Verification(
                path, tuple(entries), head, problem, number, seq, not complete, offset, count
            )
        entry = AuditEntry(**json.loads(raw))
        if keep:
            entries.append(entry)
        count, head = count + 1, entry.hash
        found = found or head == want
        offset += len(raw) + 1
    if not found:
        return Verification(
            path,
            tuple(entries),
            head,
            f"no entry has the hash {expect_head} (entries were removed from the end, or this "
            "is another case's log)",
            count + 1,
            count + 1,
            count=count,
        )
    return Verification(path, tuple(entries), head, count=count)


def verify_log(
    path: str | Path, expect_head: str | None = None, *, keep: bool = True
) -> Verification:
    """Check every entry of the log at ``path`` in order: well-formed, ``seq`` consecutive from
    1, ``prev`` equal to the previous entry's hash, ``hash`` recomputed from the content, the
    line byte for byte canonical; stop at the first problem. ``expect_head``: a hash (e.g. a
    report's) that must be one of the entries'. The file is read a line at a time under a
    shared ``flock`` (:func:`log_lines`), never whole; ``keep``: the entries kept in the
    result (False: counted, so that nothing grows with the log). Raises :class:`AuditError`
    when the file cannot be read; a log is verified where it is, as the case that writes it
    finds it."""
    path = Path(path)
    with contextlib.closing(log_lines(path)) as lines:
        return verify_lines(path, lines, expect_head, keep=keep)


def _unreadable(e: OSError) -> str:
    """An audit log's read error in one line's words."""
    reason = not_regular_reason(e)
    return (
        f"cannot read the audit log: {reason}"
        if reason
        else f"cannot read the audit log ({e.strerror or e})"
    )


# --- where logs live ---


def default_examiner() -> str:
    """``FORENSIC_VIEWER_EXAMINER``, else the operating-system account name."""
    name = os.environ.get(EXAMINER_ENV, "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment or the password database
        return "unknown"


def default_case_dir() -> Path:
    """The per-user default case of the viewer: ``default-case`` in
    :func:`engine.environ.user_data_dir`."""
    return user_data_dir() / "default-case"


def case_dir_from(arg: str | Path | None, default: Path | None = None) -> Path | None:
    """The case folder: ``arg`` (``--case``), else ``FORENSIC_VIEWER_CASE``, else ``default``."""
    if arg:
        return Path(arg).expanduser()
    env = os.environ.get(CASE_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    return default


# --- writing ---


class AuditLog:
    """The appending side of a case log (``CASE_DIR/audit.jsonl``, made when missing).

    Opening verifies the whole log (a torn last line is recovered as the module docstring says;
    any other break raises :class:`AuditError`) and appends a ``log-opened`` entry naming
    ``program``. :meth:`append` returns the entry once it is on the disk. Safe to call from
    several threads; several processes take turns through ``flock``.
    """

    def __init__(
        self,
        case_dir: str | Path,
        *,
        program: str = "forensic-viewer",
        examiner: str | None = None,
        host: str | None = None,
        opened: Mapping[str, Any] | None = None,
    ) -> None:
        self.case_dir = Path(case_dir)
        self.path = self.case_dir / LOG_NAME
        self.examiner = examiner or default_examiner()
        self.host = host or socket.gethostname()
        self._lock = threading.Lock()
        if self.case_dir.exists() and not self.case_dir.is_dir():
            # mkdir would say "File exists" of audit.jsonl, which is not what is wrong
            raise AuditError(
                self.case_dir, "the case folder is a file, not a folder: --case names a folder"
            )
        in_the_way = file_above(self.case_dir)  # mkdir says "Not a directory", naming nothing
        if in_the_way is not None:
            raise AuditError(self.path, f"cannot make the case folder: {in_the_way} is a file")
        try:
            self.case_dir.mkdir(parents=True, exist_ok=True)
            # never waiting for a reader of a named pipe put in the case folder as the log, nor
            # following a link there: a dangling one would create the log elsewhere, one into
            # another case's log would mix two cases into one chain
            self._fd: int | None = open_append_fd(self.path, follow_links=False)
        except OSError as e:
            reason = not_regular_reason(e)
            raise AuditError(
                self.path,
                f"cannot open the audit log: {reason}"
                if reason
                else f"cannot open the audit log ({e.strerror or e})",
            ) from e
        self._sync_folder()
        self._size = 0
        self._seq = 0
        self._head = GENESIS
        self._session: int | None = None  # the seq of this program's log-opened
        self._sessions: Sessions | None = Sessions()  # fed while the log is first read
        try:
            with self._lock, self._flock():
                self._catch_up()
        except OSError as e:
            self.close()
            raise AuditError(self.path, _unreadable(e)) from e
        except AuditError:
            self.close()
            raise
        self.append(
            Action.LOG_OPENED,
            {
                "program": program,
                "version": package_version(APP_PACKAGE),
                "code": dict(code_identity()),  # which code: the version alone does not say
                "pid": os.getpid(),
                **(opened or {}),
            },
        )
        sessions, self._sessions = self._sessions, None
        if not_ended := sessions.not_ended(self.host):
            self.append(Action.SESSIONS_NOT_ENDED, {"sessions": [s.record() for s in not_ended]})

    # The fd is the log's one writer handle; flock on it serialises writers across processes.
    def _flock(self) -> _FileLock:
        return _FileLock(self._fd)

    def _sync_folder(self) -> None:
        """A new log's directory entry must reach the disk too (POSIX; no-op elsewhere)."""
        try:
            fd = os.open(self.case_dir, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)

    def _catch_up(self) -> None:
        """Read what other writers appended since we last looked (everything, the first time)
        and check it; recover a torn last line. Called under the file lock.

        Only the bytes after those this object verified or wrote are read, their first entry
        checked to follow its head (``prev``, the next ``seq``): reading the whole log at each
        turn of a viewer and a command line writing one case took longer with every year of
        it. Not seen: another process editing the bytes before that point in place while the
        log is open. That is no append (which ``flock`` and this check order) but tampering,
        which ``audit verify`` and the next program to open the log find at the first entry
        concerned, as they would had it happened after this program closed the log."""
        st = os.fstat(self._fd)  # type: ignore[arg-type]
        try:
            same = os.path.samestat(st, os.lstat(self.path))  # a link put there is not it
        except FileNotFoundError:
            same = False
        if not same:  # our writes would go to a file no one sees any more
            raise AuditError(self.path, "the audit log was moved, deleted or replaced while open")
        size = st.st_size
        if size == self._size:
            return
        if size < self._size:
            raise AuditError(self.path, "the audit log became shorter while it was open")
        # the file our descriptor writes, nothing put there; read a line at a time
        with open_regular(self.path, follow_links=False) as f:
            if not os.path.samestat(st, os.fstat(f.fileno())):
                raise AuditError(self.path, "the audit log was replaced while open")
            f.seek(self._size)  # what this process verified (or wrote) is not read again
            done = (self._seq, self._head, self._size)
            lines = _lines(f, size - self._size, self._seq + 1)
            if self._sessions is not None:  # the first reading: which sessions never ended
                lines = tap(lines, self._sessions)
            result = verify_lines(self.path, lines, keep=False, after=done)
            if result.torn:  # its bytes, kept aside: a crash's part of an entry
                f.seek(result.torn_offset)
                torn = f.read(size - result.torn_offset)
        if result.torn:
            self._adopt(result)
            self._recover(torn, result)
            return
        if not result.ok:
            raise AuditError(self.path, f"refusing to write to a broken log: {result.message()}")
        self._adopt(result)
        self._size = size

    def _adopt(self, result: Verification) -> None:
        self._seq = result.count
        self._head = result.head

    def _recover(self, torn: bytes, result: Verification) -> None:
        """Move a torn last line aside (its bytes kept in a file beside the log) and write the
        ``torn-line-recovered`` entry over it, in its place.

        Over it, never after cutting it: the entry is written from the torn line's first byte
        (through a descriptor of its own: one opened ``O_APPEND`` writes only at the end), then
        the file is cut after it. Until the entry's newline is on the disk the log still ends
        torn, so a crash in the middle of the repair leaves a log that ``verify`` calls torn
        and the next program recovers again; cutting first left, for a moment, a log that
        verified with no trace of the torn line."""
        aside = self.path.with_name(
            f"{LOG_NAME}.torn-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}"
        )
        with AtomicFile(aside, "wb", fsync=True) as f:  # on the disk before the log changes
            assert f.file is not None
            f.file.write(torn)
        entry = self._entry(
            Action.TORN_LINE_RECOVERED,
            {
                "line": result.line,
                "bytes": len(torn),
                "sha256": hashlib.sha256(torn).hexdigest(),
                "saved_as": aside.name,
            },
        )
        line = entry.line()
        # never following a link nor waiting on a pipe put there since the log was read
        flags = os.O_WRONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(self.path, flags | _NOFOLLOW)
        try:
            if not os.path.samestat(os.fstat(fd), os.fstat(self._fd)):  # type: ignore[arg-type]
                raise AuditError(self.path, "the audit log was replaced while open")
            os.lseek(fd, result.torn_offset, os.SEEK_SET)
            write_all(fd, line)  # torn when it fails: the next program recovers it
            os.ftruncate(fd, result.torn_offset + len(line))  # torn bytes longer than the entry
            os.fsync(fd)
        finally:
            os.close(fd)
        self._seq, self._head = entry.seq, entry.hash
        self._size = result.torn_offset + len(line)

    def _entry(self, action: str, details: Mapping[str, Any]) -> AuditEntry:
        """The next entry after the head (not written), with this program's session (the seq
        of its ``log-opened``, which is its own) once it has one."""
        if action == Action.LOG_OPENED:
            self._session = self._seq + 1
        if self._session is not None:
            details = {**details, "session": self._session}
        return AuditEntry.make(self._seq + 1, action, details, self._head, self.examiner, self.host)

    def _write(self, action: str, details: Mapping[str, Any]) -> AuditEntry:
        entry = self._entry(action, details)
        append_whole(self._fd, entry.line(), self.path)  # type: ignore[arg-type]
        os.fsync(self._fd)  # type: ignore[arg-type]
        self._seq, self._head = entry.seq, entry.hash
        self._size += len(entry.line())
        return entry

    def append(self, action: str, details: Mapping[str, Any] | None = None) -> AuditEntry:
        """Append one entry and return it once it is on the disk (written and fsync'ed).
        Raises :class:`AuditError` when the log cannot be written or was broken meanwhile."""
        with self._lock:
            if self._fd is None:
                raise AuditError(self.path, "the audit log is closed")
            try:
                with self._flock():
                    self._catch_up()
                    return self._write(action, details or {})
            except OSError as e:
                raise AuditError(
                    self.path, f"cannot write the audit log ({e.strerror or e})"
                ) from e

    def stamp(self) -> AuditStamp:
        """The log's head now (other writers' entries included): for a report."""
        with self._lock:
            try:
                if self._fd is not None:
                    with self._flock():
                        self._catch_up()
            except OSError as e:
                raise AuditError(self.path, _unreadable(e)) from e
            return AuditStamp(os.path.abspath(self.path), self._seq, self._head)

    @property
    def entries(self) -> int:
        return self._seq

    @property
    def head(self) -> str:
        return self._head

    def close(self) -> None:
        """End this program's session with ``log-closed`` and let the log go. A log that
        cannot take the entry (a full disk) is closed without it: the next opening then
        names the session as not ended, which is all the log can show of it."""
        if self._fd is not None and self._session is not None:
            with contextlib.suppress(AuditError):
                self.append(Action.LOG_CLOSED, {})
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


class _FileLock:
    """An exclusive ``flock`` on the log for one catch-up + write (blocking; POSIX only)."""

    def __init__(self, fd: int | None) -> None:
        self.fd = fd

    def __enter__(self) -> _FileLock:
        if fcntl is not None and self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *_exc: object) -> None:
        if fcntl is not None and self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file written by the viewer (a report, an exported layer), for its entry;
    "" when it cannot be read."""
    h = hashlib.sha256()
    try:
        with open_regular(path) as f:  # never waiting on a pipe put there since
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return ""
    return h.hexdigest()
