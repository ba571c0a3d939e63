"""Typed errors a user can cause. Each carries the file and a one-line reason.

``str(error)`` is the message shown to the analyst: ``"<file>: <reason>"``. No traceback is
needed to understand it, and the GUI, the command line and reports all print it as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.fstimes import FileTimes


class Cancelled(Exception):
    """Raised between steps (window batches, analysis stages) when the cancel callback returns
    True. Not a user's error: the work was asked to stop. Here, rather than in
    ``engine.tiling`` (which re-exports it), so that torch-free code can catch it.

    kept: set by ``engine.pipeline.Analyzer.analyze`` when the cancel left something: a
    function returning it (an ``Analysis`` with ``cancelled`` set: the models that finished and
    the partial map of the one running), built only when called; None otherwise."""

    kept: Callable[[], Any] | None = None


class ForensicError(Exception):
    """Base class: a problem with a file or an argument that the user can fix."""

    def __init__(self, path: str | Path | None, reason: str) -> None:
        self.path = None if path is None else str(path)
        self.reason = " ".join(str(reason).split())  # always one line
        super().__init__(self.reason if self.path is None else f"{self.path}: {self.reason}")


@dataclass(frozen=True)
class ImageHeader:
    """What was read of an evidence file that then could not be analysed: its bytes' SHA-256
    and size, the format its content is, and the size in pixels its header declares (as
    stored: before any EXIF orientation; None when the header itself could not be read), and
    its file-system times as found before the read (``fs_times``; None in rows written before
    they were recorded). A scan's error row keeps it, so a report can say what the failed file
    is."""

    sha256: str
    file_size: int
    format: str | None = None
    width: int | None = None
    height: int | None = None
    fs_times: FileTimes | None = None

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "format": self.format,
            "width": self.width,
            "height": self.height,
            "file_size": self.file_size,
        }
        if self.fs_times is not None:
            d["fs_times"] = self.fs_times.to_json()
        return d


class EvidenceError(ForensicError):
    """The evidence file cannot be analysed.

    header: what :func:`engine.io.load_evidence` had read of the file before it failed (None
    when its bytes could not be read, or the error was raised elsewhere)."""

    header: ImageHeader | None = None


class EmptyFileError(EvidenceError):
    """The file has no bytes."""


class UnsupportedFormatError(EvidenceError):
    """The bytes are not one of the allowed image formats (whatever the file name says)."""


class CorruptImageError(EvidenceError):
    """The format is allowed but the data cannot be decoded (truncated, bad checksum, ...)."""


class ImageTooLargeError(EvidenceError):
    """The declared pixel count, or the memory its decoding would take, is beyond the
    configured limit (decompression-bomb guard); or the file itself is beyond the size limit."""


class NotEnoughMemoryError(EvidenceError):
    """The machine ran out of memory while reading or decoding (the file may be sound: free
    memory, or lower the decode limit so such files are refused before decoding)."""


class InvalidImageError(EvidenceError):
    """Decoded, but unusable: zero width or height, or an unsupported pixel layout."""


class CheckpointError(ForensicError):
    """A model file cannot be used: wrong format, wrong architecture, damaged tensors."""


class ModelNotTrainedError(ForensicError):
    """An architecture was asked for analysis without a trained checkpoint."""


class DeviceMemoryError(ForensicError):
    """The analysis device (a GPU) ran out of memory on a single window or tile of a model, after
    smaller batches were tried: the CPU (``--device cpu``) has the memory it needs. The path is
    the evidence's; the reason names the model and the device."""


class ModelOutputError(ForensicError):
    """A model's output on one piece of evidence is unusable (NaN or infinite heatmap or image
    logit): no result is reported for it rather than a verdict computed from NaN. The path is
    the evidence's; the reason names the model."""
