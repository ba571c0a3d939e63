"""The one atomic writer and the one duration formatter."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.files import AtomicFile, atomic_write, temp_path
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
    assert not temp_path(target).exists()


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
