"""Reading an evidence file leaves its access time as it was (Linux, O_NOATIME), so a scan
does not change the file-system metadata of the evidence it reads."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from engine.files import open_evidence
from engine.io import load_evidence
from tests.conftest import write_rgb


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="O_NOATIME is Linux's")
def test_loading_evidence_keeps_its_access_time(tmp_path: Path) -> None:
    path = write_rgb(tmp_path / "a.png", 24, 32)
    st = os.stat(path)
    if os.geteuid() != 0 and st.st_uid != os.geteuid():
        pytest.skip("O_NOATIME needs the file's owner or root")
    old = st.st_mtime_ns - 10**12  # before the last change: relatime would update it
    os.utime(path, ns=(old, st.st_mtime_ns))
    assert load_evidence(path).sha256
    with open_evidence(path) as f:
        assert f.read()
    assert os.stat(path).st_atime_ns == old
    assert os.stat(path).st_mtime_ns == st.st_mtime_ns


@pytest.mark.skipif(not hasattr(os, "O_NOATIME"), reason="O_NOATIME is Linux's")
def test_a_file_of_another_owner_is_read_without_the_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kernel refuses O_NOATIME (EPERM) to whoever neither owns the file nor is root: the
    file is still read, as before, not refused."""
    path = write_rgb(tmp_path / "a.png", 24, 32)
    real_open = os.open

    def not_owner(p: object, flags: int, *a: object) -> int:
        if flags & os.O_NOATIME:
            raise PermissionError(1, "Operation not permitted", str(p))  # EPERM
        return real_open(p, flags, *a)

    monkeypatch.setattr(os, "open", not_owner)
    assert load_evidence(path).sha256
    (tmp_path / "locked.png").write_bytes(b"x")
    (tmp_path / "locked.png").chmod(0)
    if os.geteuid() != 0:  # root reads it whatever its mode
        with pytest.raises(PermissionError):
            open_evidence(tmp_path / "locked.png")
