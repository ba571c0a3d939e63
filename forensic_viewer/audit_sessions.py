"""Sessions of a case log: which program wrote which entry, and which sessions never ended.

Each program that opens a case log writes ``log-opened``; since 2026-12-06 the ``seq`` of that
entry is its session, carried in ``details["session"]`` of every entry it writes (the
``log-opened`` too), and a clean end writes ``log-closed``. Two viewers sharing a case
interleave their entries; the session says whose each is. A session whose program was killed
(SIGKILL, a crash, a power cut) has no ``log-closed``: the next program to open the log finds
it (:class:`Sessions`, fed every entry as the log is verified) and writes one
``sessions-not-ended`` entry naming each such session and its starts left without an end
(``analysis-started``, ``scan-started``), so a crash is told from a clean close.

Only sessions that carry a session (written by a version that also writes ``log-closed``)
are judged: an older program's never wrote an end. Only sessions of this machine are judged,
and one whose process is still running (a second viewer open on the case) is not ended yet:
a session on another host is left for a program on that host to judge. Once named in a
``sessions-not-ended`` entry, a session is not named again. No Qt, no file access.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

MAX_LISTED = 100  # starts without an end listed per session (the rest counted)
ENDS = {
    "analysis-started": ("path", ("analysis-finished", "analysis-failed", "analysis-cancelled")),
    "scan-started": ("out", ("scan-finished",)),
}
_END_OF = {end: start for start, (_key, ends) in ENDS.items() for end in ends}


@dataclass
class Session:
    """One program's session in the log, as far as it was read."""

    session: int  # the seq of its log-opened entry
    program: str
    pid: int | None
    host: str
    opened: str  # the time of its log-opened entry
    last_seq: int = 0
    last_time: str = ""
    started: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # (action, key): seqs

    def see(self, seq: int, time: str, action: str, details: dict[str, Any]) -> None:
        self.last_seq, self.last_time = seq, time
        if action in ENDS:
            key = str(details.get(ENDS[action][0], ""))
            self.started.setdefault((action, key), []).append(seq)
        elif action in _END_OF:
            start = _END_OF[action]
            key = str(details.get(ENDS[start][0], ""))
            seqs = self.started.get((start, key))
            if seqs:
                seqs.pop(0)
                if not seqs:
                    del self.started[(start, key)]

    def record(self) -> dict[str, Any]:
        """What ``sessions-not-ended`` says of this session."""
        unended = sorted(
            (seq, action, key) for (action, key), seqs in self.started.items() for seq in seqs
        )
        return {
            "session": self.session,
            "program": self.program,
            "pid": self.pid,
            "host": self.host,
            "opened": self.opened,
            "last_seq": self.last_seq,
            "last_time": self.last_time,
            "not_ended": [
                {"seq": seq, "action": action, ENDS[action][0]: key}
                for seq, action, key in unended[:MAX_LISTED]
            ],
            "not_ended_count": len(unended),
        }


class Sessions:
    """The sessions of a log not known to have ended, fed its entries in order (:meth:`see`)."""

    def __init__(self) -> None:
        self.open: dict[int, Session] = {}

    def see(self, entry: dict[str, Any]) -> None:
        """One verified entry (its JSON object)."""
        action, details = entry.get("action"), entry.get("details")
        if not isinstance(details, dict):
            return
        session = details.get("session")
        if action == "log-opened":
            if type(session) is int:  # an older program's wrote none: not judged
                pid = details.get("pid")
                self.open[session] = Session(
                    session,
                    str(details.get("program", "")),
                    pid if type(pid) is int else None,
                    str(entry.get("host", "")),
                    str(entry.get("time", "")),
                    entry.get("seq", 0),
                    str(entry.get("time", "")),
                )
        elif action == "log-closed":
            self.open.pop(session, None)  # type: ignore[arg-type]
        elif action == "sessions-not-ended":
            for named in details.get("sessions") or []:
                if isinstance(named, dict):
                    self.open.pop(named.get("session"), None)  # type: ignore[arg-type]
        elif type(session) is int and session in self.open:
            self.open[session].see(entry.get("seq", 0), str(entry.get("time", "")), action, details)

    def not_ended(self, host: str) -> list[Session]:
        """The sessions of ``host`` that never ended: no ``log-closed``, and no process of
        their PID running now (one running is a program still writing, not ended)."""
        return [s for s in self.open.values() if s.host == host and not _running(s.pid)]


def _running(pid: int | None) -> bool:
    """Whether a process ``pid`` runs on this machine (a PID reused since counts as running:
    the session is then judged by a later opening)."""
    if pid is None or pid <= 0:
        return False
    if pid == os.getpid() or os.name == "nt":  # Windows: os.kill would end it; not judged
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: it exists
        return True
    return True


def tap(
    lines: Iterable[tuple[int, bytes, bool]], sessions: Sessions
) -> Iterator[tuple[int, bytes, bool]]:
    """``lines`` of a log being verified (``audit._lines``), each complete one also fed to
    ``sessions``: the verifier stops at the first line that does not verify, and so does this
    (a line that does not parse is the verifier's to report)."""
    for number, raw, complete in lines:
        if complete:
            try:
                entry = json.loads(raw)
            except ValueError:
                entry = None
            if isinstance(entry, dict):
                sessions.see(entry)
        yield number, raw, complete
