"""Sessions in the case log: each entry says which program's session wrote it, a clean end
writes ``log-closed``, and the next opening names the sessions that never ended.

A crash and a clean close looked the same (no entry at either), the next ``log-opened`` said
nothing of the scan a killed viewer left running, and two viewers' interleaved entries could
be told apart only by their times."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from forensic_viewer.audit import (
    GENESIS,
    LOG_NAME,
    Action,
    AuditEntry,
    AuditLog,
    verify_log,
)
from tests.conftest import HANG_S, run_bounded

KILLED = """
import os, signal, sys
from forensic_viewer.audit import AuditLog
log = AuditLog(sys.argv[1], program="killed viewer")
log.append("analysis-started", {"path": "/e/a.jpg"})
log.append("analysis-finished", {"path": "/e/a.jpg"})
log.append("analysis-started", {"path": "/e/b.jpg"})
log.append("scan-started", {"out": "/scans/s1"})
print(log.entries, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def _entries(case: Path) -> list[AuditEntry]:
    result = verify_log(case / LOG_NAME)
    assert result.ok, result.message()
    return list(result.entries)


def test_every_entry_carries_its_session_and_a_clean_close_writes_log_closed(
    tmp_path: Path,
) -> None:
    log = AuditLog(tmp_path, program="test")
    log.append(Action.NOTE, {"text": "x"})
    log.close()
    log.close()  # a second close writes nothing more
    entries = _entries(tmp_path)
    assert [e.action for e in entries] == ["log-opened", "note", "log-closed"]
    assert {e.details["session"] for e in entries} == {entries[0].seq}


def test_the_next_opening_names_a_killed_session_and_its_starts_without_an_end(
    tmp_path: Path,
) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", KILLED, str(tmp_path)], cwd=Path(__file__).parents[2]
    ) as child:
        assert child.wait(timeout=HANG_S) == -9
    other = AuditLog(tmp_path, program="next viewer")
    entries = _entries(tmp_path)
    opened, said = entries[-2], entries[-1]
    assert opened.action == "log-opened" and said.action == "sessions-not-ended"
    assert said.details["session"] == opened.seq  # written by the opening session
    [killed] = said.details["sessions"]
    assert killed["session"] == 1 and killed["program"] == "killed viewer"
    assert killed["pid"] == child.pid and killed["last_seq"] == 5
    assert killed["not_ended"] == [
        {"seq": 4, "action": "analysis-started", "path": "/e/b.jpg"},
        {"seq": 5, "action": "scan-started", "out": "/scans/s1"},
    ]  # a.jpg's analysis ended
    other.close()
    AuditLog(tmp_path, program="third").close()
    actions = [e.action for e in _entries(tmp_path)]
    assert actions.count("sessions-not-ended") == 1  # named once


def test_a_session_still_running_is_not_named(tmp_path: Path) -> None:
    """A second viewer open on the case has no log-closed yet: it has not ended."""
    code = (
        "import sys\nfrom forensic_viewer.audit import AuditLog\n"
        "log = AuditLog(sys.argv[1], program='open viewer')\n"
        "print('open', flush=True)\nsys.stdin.readline()\nlog.close()\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path)],
        cwd=Path(__file__).parents[2],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline() == "open\n"
        AuditLog(tmp_path, program="second").close()
        child.stdin.write("\n")
        child.stdin.flush()
        assert child.wait(timeout=HANG_S) == 0
    actions = [e.action for e in _entries(tmp_path)]
    assert actions == ["log-opened", "log-opened", "log-closed", "log-closed"]


def test_an_older_log_without_sessions_verifies_and_is_not_judged(tmp_path: Path) -> None:
    """Entries written before sessions: no session, no log-closed; never named."""
    lines, head = [], GENESIS
    for seq, (action, details) in enumerate(
        [("log-opened", {"program": "old", "pid": 1}), ("scan-started", {"out": "/s"})], start=1
    ):
        entry = AuditEntry.make(seq, action, details, head, "old examiner", os.uname().nodename)
        lines.append(entry.line())
        head = entry.hash
    (tmp_path / LOG_NAME).write_bytes(b"".join(lines))
    AuditLog(tmp_path, program="new").close()
    entries = _entries(tmp_path)
    assert [e.action for e in entries] == ["log-opened", "scan-started", "log-opened", "log-closed"]
    assert "session" not in entries[1].details


def test_the_audit_command_verifies_a_log_with_sessions(tmp_path: Path) -> None:
    AuditLog(tmp_path, program="a").close()
    said = run_bounded(
        "import sys\nfrom forensic_viewer.cli import main\n"
        "sys.exit(main(['audit', 'verify', sys.argv[1]]))\n",
        tmp_path / LOG_NAME,
    )
    assert "OK, 2 entries" in said
