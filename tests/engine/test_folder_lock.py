"""``engine.lock.FolderLock``: a lock file its holder removed (a failed ``fit`` putting back the
``--out`` it found) must not be locked by a process that opened it just before: that process
would hold a lock no one else sees, and the next one would lock the new file beside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.lock import FolderLock, FolderLocked


def test_a_lock_file_removed_as_it_was_opened_is_taken_again_on_the_new_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "run"
    holder = FolderLock(out, command="first").acquire()
    lock = FolderLock(out, command="second")
    opened = FolderLock._open

    def open_then_holder_removes(self: FolderLock) -> int:
        fd = opened(self)
        if holder.held:  # the first opening: the holder removes its file and ends now
            holder.release(remove=True)
        return fd

    monkeypatch.setattr(FolderLock, "_open", open_then_holder_removes)
    lock.acquire()
    try:
        monkeypatch.undo()
        assert lock.path.is_file()  # the file there now is the one locked
        with pytest.raises(Exception, match="another process is writing into this folder"):
            FolderLock(out, command="third").acquire()
    finally:
        lock.release()


def test_a_probe_refuses_as_acquire_does_and_takes_and_makes_nothing(tmp_path: Path) -> None:
    """``probe`` (the training dialog's question before it writes its records): no folder or
    lock file made where there is none, a free folder's lock file left as it was and still
    free, a held one refused naming its holder."""
    out = tmp_path / "new" / "run"
    FolderLock(out).probe()
    assert not (tmp_path / "new").exists()
    FolderLock(out, command="first").acquire().release()
    lock_file = out / FolderLock.name
    before = (lock_file.read_bytes(), lock_file.stat().st_mtime_ns)
    FolderLock(out).probe()
    assert (lock_file.read_bytes(), lock_file.stat().st_mtime_ns) == before
    with FolderLock(out, command="holder"):  # still free after the probe: taken here
        with pytest.raises(FolderLocked, match=r"another process is writing .*, holder\)"):
            FolderLock(out).probe()
