"""An evidence file's file-system times: taken from the opened file before it is read, in UTC;
the access time recorded is the one found, not this read's; a file changed while it is read is
refused; a birth time the system does not give is None, never a guess."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from engine import fstimes, reading
from engine.errors import EvidenceError
from engine.formatting import utc_ns_text
from engine.io import load_evidence
from tests.conftest import write_rgb

MTIME_NS = 1_620_000_000 * 10**9 + 250_000_000  # 2021-05-03T00:00:00.25Z
ATIME_NS = 1_600_000_000 * 10**9  # 2020-09-13T12:26:40Z: before the modification


def test_utc_ns_text_writes_utc_with_the_nanoseconds_the_file_system_keeps() -> None:
    assert utc_ns_text(MTIME_NS) == "2021-05-03T00:00:00.250000000Z"
    assert utc_ns_text(ATIME_NS) == "2020-09-13T12:26:40Z"
    assert utc_ns_text(-1) == "1969-12-31T23:59:59.999999999Z"  # before 1970: floor, not trunc
    far = 400_000_000_000 * 10**9  # the year 14645: no calendar date, and no error
    assert utc_ns_text(far) == "400000000000 s from 1970-01-01T00:00:00Z (beyond the calendar)"


def test_the_evidence_records_its_file_system_times_in_utc(tmp_path: Path) -> None:
    path = write_rgb(tmp_path / "a.png", 24, 32)
    os.utime(path, ns=(ATIME_NS, MTIME_NS))
    times = load_evidence(path).fs_times
    assert times is not None
    assert times.modified == "2021-05-03T00:00:00.250000000Z"
    assert times.accessed == "2020-09-13T12:26:40Z"
    assert times.status_changed == utc_ns_text(os.stat(path).st_ctime_ns)
    fd = os.open(path, os.O_RDONLY)
    try:  # where the file system gives one (else None: "not given")
        born = fstimes.birth_ns(fd, os.fstat(fd))
    finally:
        os.close(fd)
    assert times.created == (None if born is None else utc_ns_text(born))


@pytest.mark.skipif(not hasattr(os, "O_NOATIME"), reason="O_NOATIME is Linux's")
def test_the_access_time_recorded_is_the_one_found_before_the_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file of another owner is read without O_NOATIME, and the read updates its access
    time (relatime: an access time older than the modification): the one recorded is the one
    the file had when it was opened."""
    path = write_rgb(tmp_path / "a.png", 24, 32)
    os.utime(path, ns=(ATIME_NS, MTIME_NS))
    real_open = os.open

    def not_owner(p: object, flags: int, *a: object) -> int:
        if flags & os.O_NOATIME:
            raise PermissionError(1, "Operation not permitted", str(p))  # EPERM
        return real_open(p, flags, *a)

    monkeypatch.setattr(os, "open", not_owner)
    times = load_evidence(path).fs_times
    if os.stat(path).st_atime_ns == ATIME_NS:
        pytest.skip("this file system did not update the access time (noatime)")
    assert times is not None and times.accessed == "2020-09-13T12:26:40Z"


def test_a_file_changed_while_it_is_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its times as recorded and its bytes as hashed would not be of one file: refused, as a
    file that grew while read is (bytes of the same size written between the first stat and
    the read)."""
    path = write_rgb(tmp_path / "a.png", 24, 32, seed=1)
    other = write_rgb(tmp_path / "b.png", 24, 32, seed=2).read_bytes()
    os.utime(path, ns=(ATIME_NS, MTIME_NS))
    taken = fstimes.file_times

    def then_rewritten(fd: int, st: os.stat_result) -> fstimes.FileTimes:
        times = taken(fd, st)
        with open(path, "r+b") as f:  # a writer, after the times were taken
            f.write(other[: st.st_size].ljust(st.st_size, b"\0"))
        return times

    monkeypatch.setattr(reading, "file_times", then_rewritten)
    with pytest.raises(EvidenceError, match="changed while being read") as e:
        load_evidence(path)
    assert str(e.value).startswith(str(path))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="statx is Linux's")
def test_a_birth_time_the_system_does_not_give_is_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_rgb(tmp_path / "a.png", 24, 32)
    monkeypatch.setattr(fstimes, "_statx", lambda: None)  # a C library without statx
    times = load_evidence(path).fs_times
    assert times is not None and times.created is None
    assert times.modified == utc_ns_text(os.stat(path).st_mtime_ns)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="statx is Linux's")
def test_statx_gives_the_birth_time_only_when_its_mask_says_so(tmp_path: Path) -> None:
    path = write_rgb(tmp_path / "a.png", 24, 32)
    fd = os.open(path, os.O_RDONLY)
    try:
        born = fstimes.birth_ns(fd, os.fstat(fd))
        if born is None:
            pytest.skip("this file system or kernel gives no birth time")
        # made by this test: not before the inode's last change minus a minute, not after it
        assert os.fstat(fd).st_ctime_ns - 60 * 10**9 <= born <= os.fstat(fd).st_ctime_ns
    finally:
        os.close(fd)


def test_an_empty_file_is_refused_with_its_times_and_sha256(tmp_path: Path) -> None:
    """A zero-byte file's error carried no header, so a scan's row kept neither its times nor
    its size while an undecodable text file's row kept both (the 2026-12-05 walk-through's
    ``zero.jpg`` and ``text.png``)."""
    import hashlib

    path = tmp_path / "zero.jpg"
    path.write_bytes(b"")
    os.utime(path, ns=(ATIME_NS, MTIME_NS))
    with pytest.raises(EvidenceError, match="file is empty") as e:
        load_evidence(path)
    header = e.value.header
    assert header is not None and header.file_size == 0 and header.format is None
    assert header.sha256 == hashlib.sha256(b"").hexdigest()
    assert header.fs_times is not None
    assert header.fs_times.to_json()["modified"] == utc_ns_text(MTIME_NS)
    assert header.fs_times.to_json()["accessed"] == utc_ns_text(ATIME_NS)
