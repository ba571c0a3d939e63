"""A full disk (environments walk-through, 2026-12-06): a line that cannot be written whole is
cut back off the case log and results.jsonl, never left torn, and the one error line names the
file that could not be written, not its folder."""

from __future__ import annotations

import errno
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from forensic_viewer.audit import AuditError, AuditLog
from forensic_viewer.cli import main
from forensic_viewer.scan.records import error_record
from forensic_viewer.scan.results import RESULTS, ResultIndex, ResultLog
from tests.viewer.conftest import scan_cli, write_image


@contextmanager
def disk_full_after_part(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Every ``os.write`` writes the first half of its bytes, and the next one fails with
    ENOSPC, as a disk that fills in the middle of a line. Yields the bytes written so."""
    real = os.write
    written: list[int] = []

    def full(fd: int, data: bytes | memoryview) -> int:
        if written:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written.append(real(fd, bytes(data)[: max(1, len(data) // 2)]))
        return written[-1]

    with monkeypatch.context() as m:
        m.setattr(os, "write", full)
        yield written


@contextmanager
def files_limited_to(size: int) -> Iterator[None]:
    """No file of this process may grow past ``size`` bytes (``RLIMIT_FSIZE``): the kernel
    writes what fits and fails the rest with EFBIG, as a full disk does with ENOSPC, whatever
    wrote (``os.write`` or a buffered file object)."""
    resource = pytest.importorskip("resource")
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    before = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an error, not the signal's kill
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, before)


def test_an_audit_entry_that_fills_the_disk_is_cut_back_and_the_log_verifies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    case = tmp_path / "case"
    log = AuditLog(case)
    log.append("note", {"text": "before"})
    size = (case / "audit.jsonl").stat().st_size
    with disk_full_after_part(monkeypatch) as written, pytest.raises(AuditError) as caught:
        log.append("note", {"text": "x" * 500})
    assert written and written[0] > 0  # part of the entry did reach the file
    assert "audit.jsonl" in str(caught.value) and "No space left" in str(caught.value)
    data = (case / "audit.jsonl").read_bytes()
    assert len(data) == size and data.endswith(b"\n")
    assert main(["audit", "verify", str(case)]) == 0
    assert "BROKEN" not in capsys.readouterr().out
    log.append("note", {"text": "after"})  # the chain goes on from the last whole entry
    log.close()
    assert main(["audit", "verify", str(case)]) == 0


def test_a_row_that_fills_the_disk_is_cut_back_and_names_results_jsonl(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    log = ResultLog(out)
    log.append(error_record("a.jpg", "a" * 64, "a: damaged"))
    size = (out / RESULTS).stat().st_size
    with files_limited_to(size + 100), pytest.raises(OSError) as caught:
        log.append(error_record("b.jpg", "b" * 64, "b: damaged " + "x" * 500))
    assert (out / RESULTS).stat().st_size == size
    log.close()  # nothing of the failed row is left buffered to be written after the cut
    data = (out / RESULTS).read_bytes()
    assert len(data) == size and data.endswith(b"\n")
    assert caught.value.errno == errno.EFBIG
    assert caught.value.filename == str(out / RESULTS)  # the file, for the failure's one line
    index = ResultIndex(out)
    assert not index.bad_lines and not index.ends_torn
    assert ResultLog(out).rows_set_aside is None


def test_a_report_the_disk_cannot_take_is_named_not_its_folder(
    tmp_path: Path, tiny_checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``report`` on a full disk said "cannot write the report: OUT: no space left on
    device": which of its files, unsaid. The file being written is named now."""
    folder, out = tmp_path / "ev", tmp_path / "out"
    folder.mkdir()
    write_image(folder / "a.png", 40, 48, seed=1)
    assert scan_cli(folder, out, tiny_checkpoint, "--jobs", "1") == 0
    capsys.readouterr()
    with files_limited_to(2000):  # scan.json and results.jsonl are read, not written
        assert main(["report", str(out), "--format", "json"]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == (
        f"forensic-viewer: error: cannot write the report: {out / 'report.json'}: file too large"
    )
    assert not (out / "report.json").exists()


def test_an_earlier_report_goes_back_when_the_disk_refuses_the_new_one(
    tmp_path: Path,
    tiny_checkpoint: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``report`` moved the earlier report into earlier-reports/ and then found the disk
    full: OUT was left with no report. It goes back; the case log says both moves, and
    ``audit verify --files`` checks the files where they are."""
    folder, out, case = tmp_path / "ev", tmp_path / "out", tmp_path / "case"
    folder.mkdir()
    write_image(folder / "a.png", 40, 48, seed=1)
    assert scan_cli(folder, out, tiny_checkpoint, "--jobs", "1", "--case", str(case)) == 0
    assert main(["report", str(out), "--format", "json", "--case", str(case)]) == 0
    before = (out / "report.json").read_bytes()
    capsys.readouterr()
    from forensic_viewer.report.jsonout import JsonWriter

    def full(*_: object) -> None:  # the report's file, not the case log, finds the disk full
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(JsonWriter, "item", full)
    assert main(["report", str(out), "--format", "json", "--case", str(case)]) == 3
    said = capsys.readouterr()
    assert (out / "report.json").read_bytes() == before
    assert not (out / "earlier-reports").exists()  # nor the folder the move made
    assert said.out.splitlines()[-1] == f"the earlier report (report.json) moved back to {out}"
    assert (
        said.err.strip()
        .splitlines()[-1]
        .endswith(f"cannot write the report: {out / 'report.json'}: no space left on device")
    )
    assert main(["audit", "verify", str(case), "--files"]) == 0
    assert "MISSING" not in capsys.readouterr().out
