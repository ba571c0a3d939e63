"""The one atomic writer and the one duration formatter."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.files import AtomicFile, atomic_write, temp_path, temp_target
from engine.formatting import format_duration


def test_atomic_write_replaces_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "results.csv"
    atomic_write(target, "a,b\n")
    atomic_write(target, b"c,d\n")
    assert target.read_bytes() == b"c,d\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["results.csv"]


def test_a_failed_write_keeps_the_earlier_file(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("complete earlier report")
    with pytest.raises(RuntimeError), AtomicFile(target, "w", encoding="utf-8") as out:
        assert out.file is not None
        out.file.write("half of a new re")
        raise RuntimeError("renderer crashed")
    assert target.read_text() == "complete earlier report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary file left


def test_nothing_is_visible_before_commit(tmp_path: Path) -> None:
    target = tmp_path / "model.safetensors"
    out = AtomicFile(target, mode=None)  # a library writes the temporary file by name
    out.tmp.write_bytes(b"weights")
    assert not target.exists()
    assert out.commit() == target and target.read_bytes() == b"weights"
    assert not out.tmp.exists()


def test_append_modes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="mode must start with 'w'"):
        AtomicFile(tmp_path / "x", "ab")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "?"),
        (-3, "0:00"),
        (0.4, "0:00"),
        (59.6, "1:00"),
        (61, "1:01"),
        (3600, "1:00:00"),
        (3725, "1:02:05"),
    ],
)
def test_format_duration(seconds: float | None, text: str) -> None:
    assert format_duration(seconds) == text


def test_remaining_time_is_estimated_at_the_pace_so_far() -> None:
    from engine.formatting import estimate_remaining

    assert estimate_remaining(30.0, 0.25) == pytest.approx(90.0)
    assert estimate_remaining(1.0, 0.01) is None  # too early to tell
    assert estimate_remaining(30.0, 1.0) is None  # done


def test_two_writers_of_one_file_never_write_into_each_other(tmp_path: Path) -> None:
    """Two programs writing one file at once (two reports into one scan folder): the file the
    first put in place keeps the bytes it wrote (its SHA-256 may be in a case log already)
    while the second goes on writing, and the second replaces it whole. With one temporary
    name the second wrote into the file the first had put in place, then failed to find its
    temporary file."""
    target = tmp_path / "report.html"
    first, second = AtomicFile(target, "wb"), AtomicFile(target, "wb")
    assert first.file is not None and second.file is not None
    first.file.write(b"report A, whole")
    second.file.write(b"the other report, ")
    second.file.flush()
    first.commit()
    assert target.read_bytes() == b"report A, whole"
    second.file.write(b"B, whole too")
    second.file.flush()
    assert target.read_bytes() == b"report A, whole"  # the first's file, as it reported it
    second.commit()
    assert target.read_bytes() == b"the other report, B, whole too"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_a_temporary_name_says_which_file_it_stands_for(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    tmp = temp_path(target)
    assert tmp.parent == tmp_path and tmp.name.endswith(".tmp") and tmp != temp_path(target)
    assert temp_target(tmp) == target
    assert temp_target(tmp_path / "report.html.tmp") == target  # the earlier form
    assert temp_target(target) == target
