"""Every read of an evidence path refuses what is not a regular file, without waiting.

A named pipe called ``a.jpg`` would make an ``open`` wait for a writer forever (a scan hung
and Ctrl+C could not end it); ``/dev/null`` behind a link would give the bytes of no evidence.
One opener (:func:`engine.files.open_evidence`) is used by the loader, the classic analyses'
second read of the file, and the scan's hashing and content sniffing.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from engine.analyses.base import Context
from engine.errors import EvidenceError
from engine.files import NotRegularFile, open_evidence
from engine.io import load_evidence
from forensic_viewer.scan.walk import content_suffix, sha256_of_file
from tests.conftest import HANG_S, write_rgb

posix = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")


def _fifo(path: Path) -> Path:
    os.mkfifo(path)  # opening it without O_NONBLOCK would wait for a writer
    return path


def _dev_null(path: Path) -> Path:
    os.symlink("/dev/null", path)
    return path


def _socket(path: Path) -> Path:
    """A Unix socket, as a seized system's folders hold them (its open fails with ENXIO)."""
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(path))  # the socket file stays when the socket is closed
    return path


ODD = {"fifo": _fifo, "dev-null link": _dev_null, "socket": _socket}


@posix
@pytest.mark.timeout(HANG_S)
@pytest.mark.parametrize("odd", ODD)
def test_open_evidence_refuses_what_is_not_a_regular_file_at_once(tmp_path: Path, odd) -> None:
    path = ODD[odd](tmp_path / "a.jpg")
    with pytest.raises(NotRegularFile) as e:
        open_evidence(path)
    assert str(path) in str(e.value) and "not a regular file" in str(e.value)
    with pytest.raises(OSError):  # what the scan's readers catch
        sha256_of_file(path)
    assert content_suffix(path) is None


@posix
def test_a_socket_is_refused_in_the_words_of_a_pipe_not_as_a_missing_device(
    tmp_path: Path,
) -> None:
    """A scan's row for a socket said "cannot be read (No such device or address)", the
    errno text of its open, where a pipe's said what it is."""
    path = _socket(tmp_path / "a.png")
    with pytest.raises(EvidenceError) as e:
        load_evidence(path)
    assert str(e.value) == f"{path}: is not a regular file (a device, pipe or socket)"


def test_open_evidence_reads_a_regular_file_and_refuses_a_folder(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"evidence")
    with open_evidence(path) as f:
        assert f.read() == b"evidence"
    with pytest.raises(IsADirectoryError):
        open_evidence(tmp_path)


@posix
@pytest.mark.timeout(HANG_S)
@pytest.mark.parametrize("odd", ODD)
def test_an_analysis_reading_the_file_again_refuses_a_pipe_put_in_its_place(
    tmp_path: Path, odd
) -> None:
    """The classic analyses read the file's bytes again (JPEG tables, EXIF): a file replaced by
    a named pipe since it was loaded is one line naming it, not a hang; by a link to /dev/null,
    the same line, not a misleading "its bytes differ"."""
    path = tmp_path / "a.jpg"
    write_rgb(path, 32, 24, seed=1, fmt="JPEG")
    evidence = load_evidence(path)
    path.unlink()
    ODD[odd](path)
    with pytest.raises(EvidenceError) as e:
        Context(evidence, "jpeg").file_bytes()
    assert str(e.value) == (  # worded once, not "(not a regular file (a device, ...))"
        f"{path}: cannot be read again for its JPEG/EXIF data: "
        "not a regular file (a device, pipe or socket)"
    )
