"""The output folder the viewer proposes for a folder of evidence: off the evidence medium.

The batch dialog proposed ``<folder>-scan`` beside the scanned folder and the report dialog
``<folder>-reports`` beside an image's folder. On a read-only evidence mount Start then failed
("cannot be used as the output folder (Read-only file system)"); on writable media the
product wrote onto the evidence medium by default, which forensic practice forbids. The
proposal is now a folder of the per-user folder (:func:`engine.environ.user_data_dir`):
``scans/<folder name>-<hash>`` or ``reports/<folder name>-<hash>``, the hash the first
:data:`HASH_HEX` hex digits of the SHA-256 of the folder's absolute path as named
(:func:`~forensic_viewer.scan.failure.named`: nothing asked of the file system, so a hung
mount never holds the dialog). The same folder always gets the same proposal, so Start again
resumes; two folders of one name (two cases' ``DCIM``) get two. The analyst may type or
browse to any folder instead.

A scan made before this rule into ``<folder>-scan`` beside the folder is still proposed for
that folder while it holds a scan of it (its scan.json's ``source``), so it resumes there.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from engine.environ import user_data_dir
from engine.files import read_regular_text
from forensic_viewer.scan.failure import named
from forensic_viewer.scan.results import SCAN_INFO

SCANS = "scans"  # the per-user folder's folder of proposed scan output folders
REPORTS = "reports"  # ... and of proposed report folders (the fallback of report_dialog too)
HASH_HEX = 8  # hex digits of the path's SHA-256 in the name: 4 billion values per name
NAME_BYTES = 100  # the most bytes of the folder's name kept in the proposal (NAME_MAX is 255)
EARLIER_SUFFIX = "-scan"  # the batch dialog's proposal before: <folder>-scan beside it


def proposed_output(folder: str | Path, kind: str = SCANS) -> Path:
    """``<per-user folder>/<kind>/<name>-<hash>`` for the evidence folder ``folder`` (see the
    module doc): ``name`` its last part cut to :data:`NAME_BYTES` bytes (a 255-byte name plus
    the hash would be a name too long), ``folder`` if it has none (the root)."""
    path = named(Path(folder).expanduser())
    digest = hashlib.sha256(os.fsencode(path)).hexdigest()[:HASH_HEX]
    return user_data_dir() / kind / f"{_short(path.name) or 'folder'}-{digest}"


def _short(name: str) -> str:
    """``name`` cut to at most :data:`NAME_BYTES` bytes on the file system, whole characters."""
    while len(os.fsencode(name)) > NAME_BYTES:
        name = name[:-1]
    return name


def earlier_scan_output(folder: str | Path) -> Path | None:
    """``<folder>-scan`` beside ``folder`` when it holds a scan of ``folder`` (scan.json's
    ``source`` is the folder's resolved path, as a resume checks it), else None: where a scan
    made before :func:`proposed_output` resumes. Read only; any error is None."""
    path = named(Path(folder).expanduser())
    if not path.name:
        return None
    out = path.with_name(path.name + EARLIER_SUFFIX)
    try:
        info = json.loads(read_regular_text(out / SCAN_INFO))
        source = str(path.resolve())
    except (OSError, ValueError):  # none there, unreadable, a name too long, not JSON
        return None
    return out if isinstance(info, dict) and info.get("source") == source else None


def scan_rule_words() -> str:
    """The rule in the batch dialog's words (its output folder's tooltip)."""
    return (
        f"empty: {user_data_dir() / SCANS}/<folder name>-<{HASH_HEX} hex digits of the "
        "SHA-256 of its path>, never on the evidence medium; the same folder gets the same "
        "output folder, so Start again resumes (a scan an earlier version made beside the "
        f"folder, <folder>{EARLIER_SUFFIX}, resumes there)"
    )


def proposed_scan_output(folder: str | Path) -> Path:
    """The batch dialog's output folder for ``folder``: an earlier scan's beside it
    (:func:`earlier_scan_output`), else :func:`proposed_output`."""
    return earlier_scan_output(folder) or proposed_output(folder, SCANS)
