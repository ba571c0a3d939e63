"""A case log is read a line at a time, never whole: by ``audit verify``, ``audit show`` and a
writer opening the log (:mod:`forensic_viewer.audit`).

Case logs are never cut or rotated (the evidence trail), and ``audit verify`` read the whole
file into memory (``f.read()``), as did every program opening the log to append: a case of
years held that much. The results and messages are the same; what is read at once is one line.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

import forensic_viewer.audit as audit
import forensic_viewer.casework as casework
from forensic_viewer.audit import GENESIS, LOG_NAME, AuditEntry, AuditLog, verify_log

ENTRIES = 2_000


def long_log(case: Path, n: int = ENTRIES) -> tuple[Path, str, int]:
    """A sound log of ``n`` entries (written at once: ``append`` fsyncs each); its path, head
    and longest line."""
    case.mkdir()
    head, lines = GENESIS, []
    for seq in range(1, n + 1):
        entry = AuditEntry.make(seq, "note", {"text": f"note {seq}"}, head, "A. Examiner", "host")
        lines.append(entry.line())
        head = entry.hash
    path = case / LOG_NAME
    path.write_bytes(b"".join(lines))
    return path, head, max(map(len, lines))


class Watched(io.RawIOBase):
    """The log's file as the verifier gets it, which fails on any read of more than a line
    and records the most bytes one call returned."""

    def __init__(self, f: Any, line: int, most: list[int]) -> None:
        self.f, self.line, self.most = f, line, most

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0 or size > self.line:
            raise AssertionError(f"read({size}): more than a line at once")
        return self._seen(self.f.read(size))

    def readline(self, size: int | None = -1) -> bytes:
        return self._seen(self.f.readline(size))

    def _seen(self, data: bytes) -> bytes:
        self.most[0] = max(self.most[0], len(data))
        return data

    def __iter__(self) -> Watched:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def fileno(self) -> int:
        return int(self.f.fileno())

    def seek(self, offset: int, whence: int = 0) -> int:
        return int(self.f.seek(offset, whence))

    def close(self) -> None:
        self.f.close()
        super().close()


@pytest.fixture
def most(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[int]:
    """Every file the audit module opens for reading, watched; the most bytes one read gave."""
    seen = [0]
    opened = audit.open_regular

    def watched(path: Any, *args: Any, **kw: Any) -> Any:
        return Watched(opened(path, *args, **kw), 4_096, seen)

    monkeypatch.setattr(audit, "open_regular", watched)
    return seen


def test_audit_verify_reads_a_long_log_a_line_at_a_time(
    tmp_path: Path, most: list[int], capsys
) -> None:
    path, head, line = long_log(tmp_path / "case")
    assert casework.verify_command(path, head) == 0
    assert capsys.readouterr().out == f"{path}: OK, {ENTRIES} entries, head {head}\n"
    assert 0 < most[0] <= line
    result = verify_log(path, keep=False)
    assert (result.ok, result.count, result.head, result.entries) == (True, ENTRIES, head, ())


def test_a_writer_opening_a_long_log_reads_it_a_line_at_a_time(
    tmp_path: Path, most: list[int]
) -> None:
    path, head, _line = long_log(tmp_path / "case")
    log = AuditLog(tmp_path / "case", program="test")
    try:
        assert (log.entries, verify_log(path).entries[-2].hash) == (ENTRIES + 1, head)
    finally:
        log.close()
    assert 0 < most[0] <= max(map(len, path.read_bytes().splitlines(keepends=True)))


def test_audit_show_of_a_broken_long_log_reads_it_a_line_at_a_time(
    tmp_path: Path, most: list[int], capsys
) -> None:
    """The same listing and verdict as before: entries, then the lines past the break
    marked ``?``, then the line naming the break."""
    path, _head, line = long_log(tmp_path / "case", 50)
    lines = path.read_bytes().splitlines(keepends=True)
    lines[30] = lines[30].replace(b"note 31", b"note 3X")
    path.write_bytes(b"".join(lines))
    assert casework.show_command(path) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 30 + 20 + 1
    assert out[29].lstrip().startswith("30  ") and out[30].startswith("?  line 31: ")
    assert out[-1] == (
        f"{path}: BROKEN at line 31 (entry 31): its hash does not match its content (the entry "
        "was edited)"
    )
    assert 0 < most[0] <= line
