"""Two programs writing one case log in turns (the viewer and a command-line scan): each, at
its turn, reads only what the other appended since it last looked (``AuditLog._catch_up``).

It read the whole log from its first entry at every turn: a case's log is never cut, so each
alternation took longer with every year of the case. The new part is still checked against
the head already verified, and refused when it does not follow it; opening a log and
``audit verify`` still read it whole.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import forensic_viewer.audit as audit
from forensic_viewer.audit import AuditEntry, AuditError, AuditLog, verify_log
from tests.viewer.test_audit_streaming import long_log

EARLIER = 500  # entries in the log before the two programs open it
TURNS = 20


class Counted:
    """A file the audit module opened for reading; counts the lines read from it."""

    def __init__(self, f: Any, lines: list[int]) -> None:
        self.f, self.lines = f, lines

    def readline(self, size: int = -1) -> bytes:
        raw = self.f.readline(size)
        self.lines[0] += bool(raw)
        return raw

    def __getattr__(self, name: str) -> Any:
        return getattr(self.f, name)

    def __enter__(self) -> Counted:
        return self

    def __exit__(self, *exc: object) -> None:
        self.f.close()


@pytest.fixture
def lines_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every line the audit module reads from a file it opened, counted."""
    count = [0]
    opened = audit.open_regular
    monkeypatch.setattr(audit, "open_regular", lambda *a, **kw: Counted(opened(*a, **kw), count))
    return count


def _two(tmp_path: Path) -> tuple[AuditLog, AuditLog, Path]:
    path, _head, _line = long_log(tmp_path / "case", EARLIER)
    return AuditLog(path.parent, program="viewer"), AuditLog(path.parent, program="scan"), path


def test_a_writer_reads_only_what_the_other_appended(tmp_path: Path, lines_read: list[int]) -> None:
    first, second, path = _two(tmp_path)
    try:
        assert lines_read[0] >= 2 * EARLIER  # opening reads the log whole, each time
        for turn in range(TURNS):
            for log in (first, second):
                lines_read[0] = 0
                log.append("note", {"text": f"turn {turn}"})
                assert lines_read[0] == 1  # the other's one entry, not the case's thousand
        lines_read[0] = 0
        assert first.stamp().entries == second.entries == EARLIER + 2 + 2 * TURNS
        assert lines_read[0] == 1 and first.head == second.head
    finally:
        first.close()
        second.close()
    result = verify_log(path)
    assert result.ok and result.count == EARLIER + 2 + 2 * TURNS + 2  # and their log-closed


def _forged(path: Path, how: str) -> bytes:
    """A line after the log's last entry that does not follow it, as ``how`` says."""
    last = json.loads(path.read_bytes().splitlines()[-1])
    seq, head = last["seq"] + 1, last["hash"]
    if how == "prev":  # a well-formed entry chained to the entry before the head
        return AuditEntry.make(seq, "note", {"text": "x"}, last["prev"], "M", "h").line()
    if how == "seq":  # chained to the head, numbered as if an entry were missing
        return AuditEntry.make(seq + 1, "note", {"text": "x"}, head, "M", "h").line()
    line = AuditEntry.make(seq, "note", {"text": "x"}, head, "M", "h").line()
    return line.replace(b'"text":"x"', b'"text":"y"')  # edited after it was hashed


@pytest.mark.parametrize(
    ("how", "why"),
    [
        ("prev", "its prev does not match the hash of the entry before it"),
        ("seq", f"it holds entry {EARLIER + 4} where entry {EARLIER + 3} belongs"),
        ("hash", "its hash does not match its content"),
    ],
)
def test_a_new_part_that_does_not_follow_the_head_is_refused(
    tmp_path: Path, how: str, why: str
) -> None:
    """Line numbers in the message are the log's, not the new part's."""
    first, second, path = _two(tmp_path)
    try:
        with path.open("ab") as f:  # another program's entry, appended but not chained
            f.write(_forged(path, how))
        with pytest.raises(AuditError) as refused:
            first.append("note", {"text": "after"})
        seq = EARLIER + 3
        assert f"BROKEN at line {seq} (entry {seq}): {why}" in str(refused.value)
        assert str(path) in str(refused.value)
    finally:
        first.close()
        second.close()


def test_a_torn_line_in_the_new_part_is_recovered_where_it_is(tmp_path: Path) -> None:
    first, second, path = _two(tmp_path)
    try:
        second.append("note", {"text": "whole"})
        with path.open("ab") as f:  # a crash of the other program mid-entry
            f.write(b'{"action":"note","det')
        entry = first.append("note", {"text": "after the crash"})
    finally:
        first.close()
        second.close()
    result = verify_log(path)
    assert result.ok and result.count - 2 == entry.seq == EARLIER + 5  # then the log-closed
    recovered = result.entries[-4]
    assert recovered.action == "torn-line-recovered"
    assert recovered.details["line"] == EARLIER + 4
    assert (path.parent / recovered.details["saved_as"]).read_bytes() == (b'{"action":"note","det')
