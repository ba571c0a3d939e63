"""What the viewer knows of an evidence file that did not decode (:class:`UnreadFile`), for its
Metadata panel (``metadata_panel.set_unread``) and the case log's ``analysis-failed``.

The loader (``engine.io.load_evidence``) reads the file once and, where it got that far,
leaves on its error the header of what it read (``EvidenceError.header``: the SHA-256 of those
bytes, their size, the file-system times found before the read). :func:`unread_file` takes
them from there, so the evidence is not read a second time and its times are the ones found
before the first read; only when the loader read nothing it could hash (the file missing,
unreadable, beyond the size read, or an error raised before the read) does it read the file
once more, read-only, as a scan's error row does (``scan.run.sha256_if_read``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from engine.errors import ImageHeader
from engine.fstimes import FileTimes


@dataclass(frozen=True)
class UnreadFile:
    """What is known of an evidence file that did not decode: its size and the SHA-256 of its
    bytes as they are (None: the file could not be read at all), as a scan's error row, and its
    file-system times as found before the loader's read (None: not taken, the loader having
    read nothing)."""

    path: str
    size: int | None
    sha256: str | None
    fs_times: FileTimes | None = None
    # refused over a limit (file size, pixels, decoding memory: ImageTooLargeError), not a
    # file that cannot be read: its badge says which (a decompression bomb read "cannot be read")
    refused: bool = False


def unread_file(
    path: str, header: ImageHeader | None = None, *, refused: bool = False
) -> UnreadFile:
    """The size, SHA-256 and file-system times of ``path`` from the loader's ``header`` when it
    left one; else its size and SHA-256 read now, read-only (no times). ``refused``: the loader
    refused it over a size limit (:attr:`UnreadFile.refused`)."""
    if header is not None:
        return UnreadFile(path, header.file_size, header.sha256, header.fs_times, refused)
    from forensic_viewer.scan.run import sha256_if_read

    sha = sha256_if_read(Path(path))
    try:
        size = os.stat(path).st_size if sha is not None else None
    except OSError:
        size = None
    return UnreadFile(path, size, sha, refused=refused)
