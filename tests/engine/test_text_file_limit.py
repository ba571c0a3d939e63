"""Text files read whole (scan.json, probe tables, ground-truth lists) are read up to
``engine.files.TEXT_FILE_LIMIT``: a scan.json replaced by a large file (a disk image, a sparse
file) was read whole into memory and then parsed. Beyond the limit the reader refuses it in one
line naming the file and its size. The large files are sparse: they take no disk space."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.errors import ForensicError
from engine.files import (
    TEXT_FILE_LIMIT,
    FileTooLarge,
    not_regular_reason,
    os_problem,
    read_regular,
    read_regular_text,
)


def sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def test_a_text_file_over_the_limit_is_refused_naming_it(tmp_path: Path) -> None:
    big = sparse(tmp_path / "scan.json", TEXT_FILE_LIMIT + 1)
    with pytest.raises(FileTooLarge) as caught:
        read_regular_text(big)
    e = caught.value
    assert e.filename == str(big)
    line = os_problem(e, tmp_path)
    assert line.startswith(f"{big}: {TEXT_FILE_LIMIT + 1} bytes, beyond the {TEXT_FILE_LIMIT}")
    assert "\n" not in line and not_regular_reason(e) == e.strerror


def test_a_text_file_at_the_limit_and_an_uncapped_read_are_read(tmp_path: Path) -> None:
    small = tmp_path / "probe.json"
    small.write_text("{}", encoding="utf-8")
    assert read_regular_text(small, limit=2) == "{}"
    with pytest.raises(FileTooLarge):
        read_regular_text(small, limit=1)
    assert read_regular_text(small, limit=None) == "{}"


def test_a_file_that_grows_after_its_size_was_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The size on the descriptor said 2 bytes; by the time it is read the file holds 100 (a
    writer appending meanwhile): the bytes read count, not the size first seen."""
    import engine.files

    grown = tmp_path / "probe.json"
    grown.write_bytes(b"x" * 100)
    real = os.fstat

    def said_small(fd: int) -> os.stat_result:
        fields = list(real(fd))
        fields[6] = 2  # st_size, as it was before the writer appended
        return os.stat_result(fields)

    monkeypatch.setattr(engine.files.os, "fstat", said_small)
    with pytest.raises(FileTooLarge) as caught:
        read_regular(grown, limit=10)
    assert caught.value.filename == str(grown)
    assert caught.value.strerror.startswith("11 bytes, beyond the 10 bytes")


def test_a_resume_refuses_a_scan_json_over_the_limit_in_one_line(tmp_path: Path) -> None:
    from forensic_viewer.scan.settings import check_settings

    out = tmp_path / "out"
    out.mkdir()
    info = sparse(out / "scan.json", TEXT_FILE_LIMIT + 10)
    with pytest.raises(ForensicError) as caught:
        check_settings(out, {"source": "folder"})
    assert str(caught.value) == (
        f"{info}: {TEXT_FILE_LIMIT + 10} bytes, beyond the {TEXT_FILE_LIMIT} bytes a file of "
        "this kind is read up to"
    )
    assert info.stat().st_size == TEXT_FILE_LIMIT + 10  # left as it was
