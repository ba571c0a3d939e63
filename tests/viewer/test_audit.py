"""The hash-chained case audit log (forensic_viewer.audit): the chain, every kind of tampering
found at the right line, torn lines after a crash, two writers, and ``forensic-viewer audit``."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from forensic_viewer.audit import (
    GENESIS,
    LOG_NAME,
    Action,
    AuditError,
    AuditLog,
    canonical,
    entry_hash,
    verify_log,
)
from forensic_viewer.cli import main
from tests.conftest import HANG_S

ROOT = Path(__file__).resolve().parents[2]


def _case(tmp_path: Path, notes: int = 5) -> AuditLog:
    """A case log with a log-opened entry, ``notes`` notes (entries 2 .. notes + 1) and the
    log-closed of its clean close (entry notes + 2)."""
    log = AuditLog(tmp_path / "case", examiner="A. Examiner", host="lab-1")
    for i in range(notes):
        log.append(Action.NOTE, {"text": f"note {i}", "path": Path("/ev") / f"{i}.png"})
    log.close()
    return log


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def _write(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(lines))


def test_entries_chain_by_hash_and_verify(tmp_path: Path) -> None:
    log = _case(tmp_path)
    result = verify_log(log.path)
    assert result.ok, result.message()
    entries = result.entries
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5, 6, 7]
    assert entries[0].action == "log-opened" and entries[0].prev == GENESIS
    assert entries[-1].action == "log-closed"
    assert entries[0].details["pid"] == os.getpid()
    for before, after in itertools.pairwise(entries):
        assert after.prev == before.hash
    for e, raw in zip(entries, _lines(log.path), strict=True):
        body = {k: v for k, v in json.loads(raw).items() if k != "hash"}
        assert e.hash == hashlib.sha256(canonical(body)).hexdigest() == entry_hash(body)
        assert raw == e.line()  # the stored line is the canonical form
    assert entries[2].details == {"text": "note 1", "path": "/ev/1.png", "session": 1}
    assert entries[2].examiner == "A. Examiner" and entries[2].host == "lab-1"
    assert entries[2].time.endswith("Z")
    assert result.head == entries[-1].hash == log.head
    assert result.message() == f"{log.path}: OK, 7 entries, head {log.head}"


def test_an_edited_entry_breaks_at_that_entry(tmp_path: Path) -> None:
    log = _case(tmp_path)
    lines = _lines(log.path)
    lines[3] = lines[3].replace(b"note 2", b"note X")
    _write(log.path, lines)
    result = verify_log(log.path)
    assert not result.ok and (result.line, result.seq) == (4, 4)
    assert "edited" in result.problem
    assert len(result.entries) == 3
    assert result.message().startswith(f"{log.path}: BROKEN at line 4 (entry 4): ")


def test_an_edit_with_its_hash_recomputed_breaks_the_next_link(tmp_path: Path) -> None:
    log = _case(tmp_path)
    lines = _lines(log.path)
    forged = json.loads(lines[3])
    forged["details"]["text"] = "note X"
    forged["hash"] = entry_hash(forged)
    lines[3] = canonical(forged) + b"\n"
    _write(log.path, lines)
    result = verify_log(log.path)
    assert (result.line, result.seq) == (5, 5) and "prev does not match" in result.problem


def test_reordered_entries_break_at_the_first_moved_one(tmp_path: Path) -> None:
    log = _case(tmp_path)
    lines = _lines(log.path)
    lines[2], lines[3] = lines[3], lines[2]
    _write(log.path, lines)
    result = verify_log(log.path)
    assert (result.line, result.seq) == (3, 3)
    assert "holds entry 4 where entry 3 belongs" in result.problem


def test_a_deleted_middle_entry_breaks_where_it_was(tmp_path: Path) -> None:
    log = _case(tmp_path)
    lines = _lines(log.path)
    del lines[2]
    _write(log.path, lines)
    result = verify_log(log.path)
    assert (result.line, result.seq) == (3, 3) and "removed" in result.problem


def test_a_deleted_first_entry_and_an_inserted_one_are_found(tmp_path: Path) -> None:
    log = _case(tmp_path)
    lines = _lines(log.path)
    _write(log.path, lines[1:])
    assert (verify_log(log.path).line, verify_log(log.path).seq) == (1, 1)
    # an inserted entry forged to fit after entry 2 (its seq, prev and hash right): the
    # genuine entry 3 after it no longer fits
    extra = json.loads(lines[2])
    extra["details"] = {"text": "inserted"}
    extra["hash"] = entry_hash(extra)
    _write(log.path, [*lines[:2], canonical(extra) + b"\n", *lines[2:]])
    result = verify_log(log.path)
    assert (result.line, result.seq) == (4, 4)
    assert "holds entry 3 where entry 4 belongs" in result.problem


def test_a_rewritten_line_with_the_same_content_is_found(tmp_path: Path) -> None:
    log = _case(tmp_path)
    lines = _lines(log.path)
    lines[1] = json.dumps(json.loads(lines[1]), indent=1).replace("\n", " ").encode() + b"\n"
    _write(log.path, lines)
    result = verify_log(log.path)
    assert (result.line, result.seq) == (2, 2) and "canonical" in result.problem


def test_a_truncated_last_line_is_reported_and_the_entries_before_it_hold(
    tmp_path: Path,
) -> None:
    log = _case(tmp_path)
    data = log.path.read_bytes()
    log.path.write_bytes(data[:-20])  # a crash in the middle of writing the last entry
    result = verify_log(log.path)
    assert not result.ok and result.torn
    assert (result.line, result.seq) == (7, 7) and "torn last line" in result.problem
    assert len(result.entries) == 6


def test_a_log_cut_at_a_line_end_fails_only_against_a_report_head(tmp_path: Path) -> None:
    log = _case(tmp_path)
    head = log.head
    lines = _lines(log.path)
    assert verify_log(log.path, expect_head=head).ok
    _write(log.path, lines[:-1])  # whole entries removed from the end: the chain still holds
    assert verify_log(log.path).ok
    result = verify_log(log.path, expect_head=head)
    assert not result.ok and head in result.problem and result.line == 7


def test_reopening_after_a_torn_line_moves_it_aside_and_records_that(tmp_path: Path) -> None:
    log = _case(tmp_path, notes=2)
    whole = log.path.read_bytes()
    torn = b'{"action":"note","details":{"te'
    log.path.write_bytes(whole + torn)
    again = AuditLog(log.case_dir, examiner="B", host="lab-2")
    again.append(Action.NOTE, {"text": "after the crash"})
    again.close()
    result = verify_log(log.path)
    assert result.ok, result.message()
    actions = [e.action for e in result.entries]
    assert actions == [
        *["log-opened", "note", "note", "log-closed"],
        *["torn-line-recovered", "log-opened", "note", "log-closed"],
    ]
    recovered = result.entries[4].details
    assert recovered["bytes"] == len(torn) and recovered["line"] == 5
    assert recovered["sha256"] == hashlib.sha256(torn).hexdigest()
    assert (log.case_dir / recovered["saved_as"]).read_bytes() == torn
    assert log.path.read_bytes().startswith(whole)  # the verified entries are untouched


class _Killed(BaseException):
    """Stands for SIGKILL at a chosen point: nothing after it runs, no handler sees it."""


def test_a_crash_while_recovering_a_torn_line_leaves_it_visible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The program that repairs a torn last line dies before its record is on the disk: the
    log must still read as torn (never as a sound chain without a trace of the damage), and
    the next program records the repair."""
    log = _case(tmp_path, notes=2)
    whole = log.path.read_bytes()
    torn = b'{"action":"note","details":{"te'
    log.path.write_bytes(whole + torn)

    def killed(*_args: object) -> int:
        raise _Killed

    with monkeypatch.context() as m:
        m.setattr(os, "write", killed)  # the first byte the repair would write to the log
        with pytest.raises(_Killed):
            AuditLog(log.case_dir, examiner="B", host="lab-2")
    result = verify_log(log.path)
    assert result.torn, result.message()
    AuditLog(log.case_dir, examiner="C", host="lab-3").close()
    result = verify_log(log.path)
    assert result.ok, result.message()
    recovered = [e for e in result.entries if e.action == Action.TORN_LINE_RECOVERED]
    assert [e.details["sha256"] for e in recovered] == [hashlib.sha256(torn).hexdigest()]
    assert log.path.read_bytes().startswith(whole)


def test_a_torn_line_longer_than_its_repair_entry_is_cut_off(tmp_path: Path) -> None:
    """The repair entry is written over the torn bytes; what is left of a longer torn line
    after it is cut, so the log ends with the entry's newline."""
    log = _case(tmp_path, notes=1)
    torn = b'{"action":"note","details":{"text":"' + b"x" * 5000
    log.path.write_bytes(log.path.read_bytes() + torn)
    AuditLog(log.case_dir).close()
    result = verify_log(log.path)
    assert result.ok, result.message()
    assert [e.action for e in result.entries][-3:] == [
        *["torn-line-recovered", "log-opened", "log-closed"]
    ]
    assert result.entries[-3].details["bytes"] == len(torn)


@pytest.mark.timeout(HANG_S)
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_pipe_put_in_place_of_the_log_during_a_repair_is_refused_without_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The repair writes its entry through a descriptor of its own, opened after the torn
    bytes were saved aside: a named pipe put at the log's name meanwhile is refused at once
    (one line naming the log), never waited on for a reader, and the log is left as it was."""
    import forensic_viewer.audit as audit

    log = _case(tmp_path, notes=1)
    log.path.write_bytes(log.path.read_bytes() + b'{"action":"no')
    real = audit.AtomicFile.commit

    def saved_then_swapped(self: audit.AtomicFile) -> Path:
        done = real(self)
        log.path.rename(log.path.with_name("moved.jsonl"))
        os.mkfifo(log.path)
        return done

    monkeypatch.setattr(audit.AtomicFile, "commit", saved_then_swapped)
    with pytest.raises(AuditError) as info:
        AuditLog(log.case_dir)
    assert str(info.value).startswith(str(log.path)) and "\n" not in str(info.value)
    assert verify_log(log.path.with_name("moved.jsonl")).torn


def test_a_broken_log_is_refused_for_writing(tmp_path: Path) -> None:
    log = _case(tmp_path)
    lines = _lines(log.path)
    del lines[2]
    _write(log.path, lines)
    before = log.path.read_bytes()
    with pytest.raises(AuditError, match="refusing to write to a broken log") as info:
        AuditLog(log.case_dir)
    assert str(info.value).startswith(str(log.path))
    assert "\n" not in str(info.value)
    assert log.path.read_bytes() == before


def test_a_log_replaced_while_open_is_not_written_to(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "case")
    log.append(Action.NOTE, {"text": "one"})
    copy = log.path.read_bytes()
    log.path.unlink()
    log.path.write_bytes(copy)  # same bytes, another file: appends to the old one would be lost
    with pytest.raises(AuditError, match="moved, deleted or replaced"):
        log.append(Action.NOTE, {"text": "two"})
    log.close()
    assert log.path.read_bytes() == copy


def test_two_writers_on_one_case_keep_one_chain(tmp_path: Path) -> None:
    a = AuditLog(tmp_path / "case", program="viewer")
    b = AuditLog(tmp_path / "case", program="scan")
    for i in range(3):
        a.append(Action.NOTE, {"text": f"a{i}"})
        b.append(Action.NOTE, {"text": f"b{i}"})
    assert a.stamp().entries == b.stamp().entries == 8
    a.close()
    b.close()
    result = verify_log(tmp_path / "case" / LOG_NAME)
    assert result.ok, result.message()
    texts = [e.details.get("text") for e in result.entries[2:-2]]
    assert texts == ["a0", "b0", "a1", "b1", "a2", "b2"]


def test_details_become_plain_json(tmp_path: Path) -> None:
    import numpy as np

    log = AuditLog(tmp_path / "case")
    e = log.append(
        Action.THRESHOLD_CHANGED,
        {"to": np.float32(0.25), "nan": float("nan"), "names": ("a", "b"), "p": Path("x")},
    )
    log.close()
    assert e.details == {"to": 0.25, "nan": "nan", "names": ["a", "b"], "p": "x", "session": 1}
    assert verify_log(log.path).ok


_WRITER = """
import sys
from forensic_viewer.audit import Action, AuditLog
log = AuditLog(sys.argv[1], program="crash-test")
print(log.entries, flush=True)
i = 0
while True:
    i += 1
    e = log.append(Action.NOTE, {"text": "x" * (i % 700), "i": i})
    print(e.seq, flush=True)
"""


def test_a_writer_killed_with_sigkill_loses_no_reported_entry(tmp_path: Path) -> None:
    """Every entry the writer reported as appended is in the log after ``kill -9``, and the log
    verifies (or, had the kill hit a write, shows a torn last line and verifies after reopening)."""
    case = tmp_path / "case"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(case)], stdout=subprocess.PIPE, env=env, text=True
    )
    assert proc.stdout is not None
    reported = [int(proc.stdout.readline())]
    while reported[-1] < 60:
        reported.append(int(proc.stdout.readline()))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=HANG_S)
    result = verify_log(case / LOG_NAME)
    assert result.ok or result.torn, result.message()
    assert len(result.entries) >= reported[-1]
    assert [e.seq for e in result.entries][: reported[-1]] == list(range(1, reported[-1] + 1))
    again = AuditLog(case)
    again.close()
    assert verify_log(case / LOG_NAME).ok


def test_audit_verify_and_show_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = _case(tmp_path, notes=3)
    assert main(["audit", "verify", str(log.path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"{log.path}: OK, 5 entries, head {log.head}"]
    assert main(["audit", "verify", str(log.case_dir), "--head", log.head]) == 0  # a case folder
    capsys.readouterr()
    assert main(["audit", "show", str(log.path)]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert len(shown) == 6 and " note " in shown[2] and "text=note 1" in shown[2]
    assert "A. Examiner@lab-1" in shown[1]
    lines = _lines(log.path)
    lines[2] = lines[2].replace(b"note 1", b"note 9")
    _write(log.path, lines)
    assert main(["audit", "verify", str(log.path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and "BROKEN at line 3 (entry 3)" in out[0]
    assert main(["audit", "show", str(log.path)]) == 1
    shown = capsys.readouterr().out.splitlines()
    assert shown[2].startswith("?  line 3:") and "BROKEN at line 3" in shown[-1]
    assert main(["audit", "verify", str(tmp_path / "missing.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "missing.jsonl: cannot read the audit log" in err and err.count("\n") == 1


def test_audit_show_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """``audit show LOG | head``: the reader stops reading. The command ends without a word and
    141 (128 + SIGPIPE, as a shell reports a filter ended so), never 'the scan failed ...
    run again to resume' and 3, a scan's failure in a command that scans nothing."""
    log = _case(tmp_path, notes=200)  # more than a pipe's buffer: the writes must fail
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "forensic_viewer.entry", "audit", "show", str(log.path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first line
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=HANG_S) == 141
    assert err == ""


def test_cases_reports_and_the_users_models_share_one_per_user_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Windows (``%APPDATA%`` set, no ``$XDG_DATA_HOME``) the user's models are in the same
    per-user folder as the default case and the reports, not in a ``~/.local/share`` no other
    program there uses; with ``$XDG_DATA_HOME`` set, both follow it."""
    from engine.catalog import user_models_dir
    from engine.environ import user_data_dir
    from forensic_viewer.audit import default_case_dir

    appdata, xdg = tmp_path / "AppData" / "Roaming", tmp_path / "xdg"
    monkeypatch.delenv("FORENSIC_VIEWER_MODELS", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("APPDATA", str(appdata))
    assert user_data_dir() == appdata / "forensic-viewer"
    assert default_case_dir() == appdata / "forensic-viewer" / "default-case"
    assert user_models_dir() == appdata / "forensic-viewer" / "models"
    monkeypatch.setenv("XDG_DATA_HOME", str(xdg))
    assert (user_data_dir(), user_models_dir()) == (
        xdg / "forensic-viewer",
        xdg / "forensic-viewer" / "models",
    )


def test_audit_verify_refuses_a_head_that_is_not_a_whole_hash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A head shortened as ``audit show`` prints it, or pasted with spaces, is no verdict on
    the log: a usage error (exit 2, one line), never "BROKEN" (exit 1, entries removed)."""
    log = _case(tmp_path, notes=1)
    capsys.readouterr()
    pasted = f"  {log.head.upper()}\n"  # copied from a report: the whole hash, spaces around
    assert main(["audit", "verify", str(log.path), "--head", pasted]) == 0
    assert capsys.readouterr().out.startswith(f"{log.path}: OK")
    for head in (log.head[:12], "not-a-hash"):
        assert main(["audit", "verify", str(log.path), "--head", head]) == 2
        captured = capsys.readouterr()
        assert "BROKEN" not in captured.out + captured.err
        assert "--head needs the whole hash" in captured.err and captured.err.count("\n") == 1
    assert main(["audit", "verify", str(log.path), "--head", "0" * 64]) == 1  # a real miss
    assert "BROKEN" in capsys.readouterr().out
