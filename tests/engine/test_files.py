"""The one atomic writer and the one duration formatter."""

from __future__ import annotations

import errno
import io
import os
from pathlib import Path
from typing import IO, Any

import pytest

import engine.files
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


class _FullDisk(io.FileIO):
    """A file on a disk that is full: every write fails with ENOSPC, as the kernel says it."""

    def write(self, data: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


def _on_a_full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """The atomic writer's files opened on a full disk (buffered as ``open`` buffers them)."""

    def full(path: Any, mode: str = "r", **kw: Any) -> IO[Any]:
        assert mode == "wb"
        return io.BufferedWriter(_FullDisk(path, "w"))

    monkeypatch.setattr(engine.files, "open", full, raising=False)


@pytest.mark.parametrize("rows", [1, 40])
def test_a_write_that_fills_the_disk_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: int
) -> None:
    """A scan on a full disk left ``results.jsonl.~<hex>.tmp`` behind for good (seen on a
    120 kB tmpfs): a short file fails only as its buffer is flushed at commit, which skipped
    the removal; a longer one, written row by row as compaction writes it, fails when the
    buffer first fills, and the abort's close, flushing what was still buffered, failed again
    and skipped the removal too. The earlier file stays as it was."""
    target = tmp_path / "results.jsonl"
    target.write_bytes(b"earlier rows\n")
    _on_a_full_disk(monkeypatch)
    with pytest.raises(OSError) as e, AtomicFile(target) as out:
        assert out.file is not None
        for _ in range(rows):
            out.file.write(b"x" * 999 + b"\n")
    assert e.value.errno == errno.ENOSPC
    assert [p.name for p in tmp_path.iterdir()] == ["results.jsonl"]
    assert target.read_bytes() == b"earlier rows\n"


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_every_writer_gets_the_permissions_open_gives_under_the_umask(
    tmp_path: Path, umask: int
) -> None:
    """A checkpoint (safetensors' save_file, writing by file name) was 0600 while the run's
    other files were 0644: a team sharing the run folder could not read it. Whatever writes
    the temporary file, the file gets what ``open()`` gives a new file (0666 less the umask),
    and the probe that reads it leaves nothing behind."""
    import os

    from tests.conftest import make_tiny_checkpoint

    def private(out: AtomicFile) -> None:  # a library that creates its file 0600
        fd = os.open(out.tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, b"x")
        os.close(fd)

    old = os.umask(umask)
    try:
        expected = 0o666 & ~umask
        with AtomicFile(tmp_path / "by_name.bin", mode=None) as out:
            private(out)
        atomic_write(tmp_path / "run.json", "{}")
        checkpoint = make_tiny_checkpoint(tmp_path / "best.safetensors")
    finally:
        os.umask(old)
    for name in ("by_name.bin", "run.json", checkpoint.name):
        assert oct((tmp_path / name).stat().st_mode & 0o777) == oct(expected), name
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "best.safetensors",
        "by_name.bin",
        "run.json",
    ]


@pytest.mark.skipif(not engine.files._DIR_FD, reason="folder-relative operations are POSIX")
def test_atomic_write_below_never_writes_through_a_linked_folder(tmp_path: Path) -> None:
    """A link at a folder below the root is refused, naming it, and nothing is made where it
    points; a link at the target is replaced (as atomic_write replaces it), never followed;
    missing folders are made; no temporary file stays."""
    from engine.files import FOLDER_LINK, atomic_write_below, os_problem

    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    (out / "maps").mkdir(parents=True)
    elsewhere.mkdir()
    (elsewhere / "x.png").write_bytes(b"evidence")
    (out / "maps" / "sub").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(OSError) as refused:
        atomic_write_below(out, "maps/sub/deeper/x.png", b"map")
    assert os_problem(refused.value, out) == f"{out / 'maps' / 'sub'}: {FOLDER_LINK}"
    assert sorted(p.name for p in elsewhere.iterdir()) == ["x.png"]
    (out / "maps" / "x.png").symlink_to(elsewhere / "x.png")
    assert atomic_write_below(out, "maps/x.png", b"map") == out / "maps" / "x.png"
    assert not (out / "maps" / "x.png").is_symlink()
    assert (elsewhere / "x.png").read_bytes() == b"evidence"
    atomic_write_below(out, "maps/a/b/y.png", b"new")
    assert (out / "maps" / "a" / "b" / "y.png").read_bytes() == b"new"
    assert sorted(p.name for p in (out / "maps").iterdir()) == ["a", "sub", "x.png"]
    for bad in ("../x.png", str(tmp_path / "x.png"), ""):
        with pytest.raises(ValueError):
            atomic_write_below(out, bad, b"map")


def test_append_whole_says_when_a_failed_line_cannot_be_cut_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A line the disk filled part way through is cut back; when the cut fails too, the error
    says the file ends torn, naming it (a write to an open descriptor names no file)."""
    log = tmp_path / "results.jsonl"
    log.write_bytes(b"whole\n")
    fd = engine.files.open_append_fd(log)
    real = engine.files.os.write
    calls: list[int] = []

    def full(fd: int, data: Any) -> int:
        calls.append(len(data))
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, bytes(data)[:3])

    def no_cut(fd: int, length: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    try:
        monkeypatch.setattr(engine.files.os, "write", full)
        with pytest.raises(OSError) as caught:
            engine.files.append_whole(fd, b"a line\n", log)
        assert log.read_bytes() == b"whole\n"  # cut back
        calls.clear()
        monkeypatch.setattr(engine.files.os, "ftruncate", no_cut)
        with pytest.raises(OSError) as torn:
            engine.files.append_whole(fd, b"a line\n", log)
    finally:
        monkeypatch.undo()
        engine.files.os.close(fd)
    assert caught.value.filename == str(log) and caught.value.errno == errno.ENOSPC
    assert caught.value.strerror == "No space left on device"
    assert torn.value.filename == str(log)
    assert "could not be cut off (Input/output error)" in torn.value.strerror
    assert log.read_bytes() == b"whole\na l"


def test_atomic_file_names_itself_in_a_full_disk_error_that_names_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write to an open file names none, and the one line of a full disk named the folder;
    the writer knows its file. An error of another kind is left as it is (it may be a read of
    the evidence inside the ``with``)."""
    target = tmp_path / "maps" / "a.png"
    with pytest.raises(OSError) as full, AtomicFile(target) as out:
        raise OSError(errno.ENOSPC, "No space left on device")
    assert full.value.filename == str(target)
    with pytest.raises(OSError) as read, AtomicFile(target) as out:
        raise OSError(errno.EIO, "Input/output error")
    assert read.value.filename is None

    out = AtomicFile(target, "wb")
    assert out.file is not None
    monkeypatch.setattr(out, "file", _FailingFlush(out.file))
    with pytest.raises(OSError) as flushed:
        out.commit()
    assert flushed.value.filename == str(target)
    assert engine.files.os_problem(flushed.value, tmp_path) == f"{target}: file too large"
    assert not target.exists() and list(target.parent.iterdir()) == []


class _FailingFlush:
    """A file whose last buffered bytes do not fit (the flush of ``commit``)."""

    def __init__(self, f: Any) -> None:
        self.f = f

    def flush(self) -> None:
        raise OSError(errno.EFBIG, "File too large")

    def close(self) -> None:
        self.f.close()


@pytest.mark.skipif(not engine.files._DIR_FD, reason="folder-relative operations are POSIX")
def test_atomic_write_below_interrupted_just_after_its_rename_raises_the_interruption(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl+C arriving right after the rename: the clean-up found no temporary file and its
    FileNotFoundError replaced the KeyboardInterrupt, so a scan stopped by Ctrl+C ended as
    "the scan failed: NAME: no such file or directory" (exit 3, not 130; found by CI)."""
    from engine.files import atomic_write_below

    real_replace = os.replace

    def replace_then_interrupted(*args: Any, **kwargs: Any) -> None:
        real_replace(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", replace_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_below(tmp_path, "maps/a.png", b"map")
    assert (tmp_path / "maps" / "a.png").read_bytes() == b"map"
    assert sorted(p.name for p in (tmp_path / "maps").iterdir()) == ["a.png"]
