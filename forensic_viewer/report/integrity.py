"""The evidence file's SHA-256 recorded at load against its bytes read again at export.

Every outcome other than a match is an alert on the first page of every report format. Split
from ``model.py`` (the report's data), which re-exports both names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from engine.formatting import time_text
from forensic_viewer.scan.walk import digest_of_file

IntegrityStatus = Literal["match", "mismatch", "unreadable", "not recorded"]


@dataclass
class Integrity:
    """The evidence file's SHA-256 at load against its bytes at export (``size``: how many)."""

    status: IntegrityStatus
    recorded: str | None
    current: str | None
    checked_at: str
    message: str
    size: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == "match"

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "sha256_at_load": self.recorded,
            "sha256_at_export": self.current,
            "checked_at": self.checked_at,
            "message": self.message,
            "size_at_export": self.size,
        }


def verify_integrity(path: str | Path | None, recorded: str | None) -> Integrity:
    """Read the evidence file now and compare its SHA-256 with the one recorded at load."""
    now = time_text()
    if not recorded:
        return Integrity(
            "not recorded",
            None,
            None,
            now,
            "no SHA-256 was recorded (the file could not be read when it was analysed)",
        )
    if not path:
        return Integrity(
            "unreadable", recorded, None, now, "the evidence file's path was not recorded"
        )
    try:
        current, size = digest_of_file(path)
    except FileNotFoundError:
        return Integrity(
            "unreadable", recorded, None, now, f"{path}: the evidence file no longer exists"
        )
    except OSError as e:  # a pipe or a device in its place: open_evidence's own words
        why = e.strerror or e
        return Integrity("unreadable", recorded, None, now, f"{path}: cannot be read: {why}")
    if current != recorded:
        return Integrity(
            "mismatch",
            recorded,
            current,
            now,
            f"{path}: THE EVIDENCE FILE HAS CHANGED since it was analysed "
            f"(SHA-256 at load {recorded}, now {current})",
            size,
        )
    return Integrity(
        "match", recorded, current, now, "SHA-256 at export matches the one at load", size
    )
