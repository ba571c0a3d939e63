"""What ``audit verify --files`` checks of a scan's own files (no Qt), once its results.jsonl
is the one the case log recorded (:func:`~forensic_viewer.audit_files.check_scan_evidence`):
each map and thumbnail a row names against the SHA-256 the row recorded (``files_sha256``),
read as the report's readers read them (:func:`~forensic_viewer.scan.maps.row_file`'s rule
that a row's file is inside the output folder, :func:`~forensic_viewer.scan.maps.read_named`'s
regular file within its size limit), and each model file the rows name with its path and
SHA-256 (a model's ``checkpoint``, the int8 files beside it that ran in its place, the
ensemble's file), re-hashed when it is at hand, else said to be not at hand (not a failure:
the checkpoints stay with the program, not with the case).

A walk-through of 2026-12-06 zeroed a scan's ensemble mask in a copy of the case: ``--files``
said "0 changed or missing", although every map's SHA-256 is in the recorded rows.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import ForensicError
from engine.files import sha256_of
from forensic_viewer.audit_files import (
    HEX64,
    RESULTS,
    FilesCheck,
    Moved,
    check_file,
    compared,
    missing,
    named_files,
    relocated,
    unreadable,
)

if TYPE_CHECKING:
    from forensic_viewer.scan.records import ScanRecord
    from forensic_viewer.scan.results import ResultIndex


def check_scan_evidence(
    result: FilesCheck, out: str, sha: str, seq: int, moved: Sequence[Moved]
) -> None:
    """Re-hash the evidence of the scan into ``out`` against the SHA-256 its rows recorded, read
    from its results.jsonl (where :func:`relocated` puts it) only when that file is the one
    entry ``seq`` recorded (``sha``): rows edited since vouch for nothing, and that is said in
    one line instead. A row of an early version without the evidence's absolute path, or whose
    bytes were never read, is counted as not checked. Then its maps, thumbnails and model files
    (:func:`check_scan_outputs`), by the same rows."""
    from forensic_viewer.scan.results import ResultIndex

    where, _note = relocated(os.path.join(out, RESULTS), moved)
    try:
        index = ResultIndex(Path(where).parent)
    except (ForensicError, OSError) as e:
        index, why = None, f"it cannot be read ({e})"
    else:
        if index.read_sha256 is None:
            why = "it is missing"
        elif index.read_sha256 != sha:
            why = f"it is not the file entry {seq} recorded"
        else:
            why = ""
    if index is None or why:
        result.scans_not_checked += 1
        result.lines.append(
            f"NOT CHECKED the evidence, maps and thumbnails of the scan into {out}: its rows in {where} hold each "
            f"file's SHA-256, but {why}"
        )
        return
    result.scans += 1
    unchecked = 0
    for key in index.keys():
        file, recorded = index.evidence_file(key), index.sha256(key)
        if file is None or recorded is None:
            unchecked += 1
            continue
        result.evidence += 1
        check_file(result, file, recorded, f"its row in {where} (entry {seq})", moved)
    if unchecked:
        result.lines.append(
            f"NOT CHECKED {unchecked} of the rows in {where}: they name no evidence path, or "
            "their bytes were never read"
        )
    check_scan_outputs(result, index, out, f"its row in {where} (entry {seq})", moved)


def check_files(path: Path, moved: Sequence[Moved] = ()) -> FilesCheck:
    """Re-hash every file the log at ``path`` names (:func:`named_files`), each where
    :func:`relocated` puts it: one line per file naming the path read (OK, CHANGED, MISSING,
    UNREADABLE). A path recorded relative (report-exported entries before 2026-12-06) is read
    against the current folder, and its line says so. A scan's scan.json is checked against
    its last record (``scan-finished``, a report's ``report-exported``: since 2026-12-06), and a
    scan whose log recorded none is said to be unchecked there."""
    from forensic_viewer.scan.results import SCAN_INFO

    result = FilesCheck()
    scans: dict[str, tuple[str, int]] = {}
    found = named_files(path, scans)
    for file, (recorded, seq) in found.items():
        check_file(result, file, recorded, f"entry {seq}", moved)
    for out, (sha, seq) in scans.items():
        if os.path.join(out, SCAN_INFO) not in found:
            result.lines.append(
                f"NOT CHECKED {os.path.join(out, SCAN_INFO)}: scan.json: not recorded by this "
                "log (its scan entries were written by a version that recorded no SHA-256 of it)"
            )
        check_scan_evidence(result, out, sha, seq, moved)
    return result


def check_scan_outputs(
    result: FilesCheck, index: ResultIndex, out: str, by: str, moved: Sequence[Moved]
) -> None:
    """Add to ``result`` a line per map and thumbnail the rows of ``index`` (the scan into
    ``out``, as recorded; ``by``: the record, "its row in … (entry 7)") name, read where
    :func:`relocated` puts ``out``, then a line per model file they name (:func:`check_model`).
    Files a row names without a SHA-256 (rows of earlier versions) are counted in one line."""
    from forensic_viewer.scan.records import RecordError

    folder, _note = relocated(out, moved)
    unrecorded = 0
    models: dict[str, str] = {}
    for key in index.keys():
        try:
            record = index.record(key)
        except (RecordError, ForensicError, OSError) as e:
            result.problems += 1
            result.lines.append(f"UNREADABLE the row of {key} in {folder}: {e}")
            continue
        for name in sorted(record.files()):
            sha = record.files_sha256.get(name)
            if sha is None:
                unrecorded += 1
                continue
            check_output(result, Path(folder), name, key, sha, by, out)
        models.update(model_files(record))
    if unrecorded:
        result.lines.append(
            f"NOT CHECKED {unrecorded} map or thumbnail file(s) the rows in {folder} name: "
            "their rows hold no SHA-256 of them (rows written before it was recorded)"
        )
    for file, sha in models.items():
        check_model(result, file, sha, by, moved)


def check_output(
    result: FilesCheck, folder: Path, name: str, key: str, sha: str, by: str, out: str
) -> None:
    """One map or thumbnail ``name`` of the row of ``key``, in the output folder ``folder``
    (``out`` as the log recorded it), against ``sha``: OK, CHANGED, MISSING, UNREADABLE or
    OUTSIDE (the name, or a link at it, leaves the folder: its readers take it as missing)."""
    from forensic_viewer.scan.maps import read_named, row_file

    result.checked += 1
    result.outputs += 1
    read = str(folder / name)
    note = (
        ""
        if str(folder) == out
        else f" (recorded as {os.path.join(out, name)}: read under --moved)"
    )
    result.moved += bool(note)
    path = row_file(folder, name, key)
    if path is None:
        result.problems += 1
        result.lines.append(
            f"OUTSIDE {read}{note}: it leads out of the scan's output folder, not read ({by} "
            f"recorded {sha[:12]}…)"
        )
        return
    try:
        data = read_named(path, None)
    except FileNotFoundError:
        missing(result, f"{read}{note}", sha, by, as_recorded=not note)
        return
    except (OSError, ForensicError) as e:
        unreadable(result, f"{read}{note}", e, by)
        return
    compared(result, f"{read}{note}", hashlib.sha256(data).hexdigest(), sha, by)


def model_files(record: ScanRecord) -> Iterator[tuple[str, str]]:
    """(path, SHA-256) of each model file the row names: each model's and the ensemble's
    ``checkpoint`` with ``checkpoint_sha256``, and the files its ``input_policy.model_files``
    names (the int8 OpenVINO files that ran in its place), which lie beside the checkpoint."""
    entries = (*record.models, *([record.ensemble] if record.ensemble is not None else []))
    for m in entries:
        fig = m.figures
        if fig is None or not os.path.isabs(fig.checkpoint):
            continue
        if HEX64.fullmatch(fig.checkpoint_sha256):
            yield fig.checkpoint, fig.checkpoint_sha256
        files = fig.input_policy.get("model_files")
        for name, sha in files.items() if isinstance(files, dict) else ():
            if isinstance(sha, str) and HEX64.fullmatch(sha) and os.path.basename(name) == name:
                yield os.path.join(os.path.dirname(fig.checkpoint), name), sha


def check_model(
    result: FilesCheck, recorded: str, sha: str, by: str, moved: Sequence[Moved]
) -> None:
    """Re-hash the model file recorded as ``recorded`` with ``sha`` where :func:`relocated`
    puts it: OK or CHANGED when it is there, "not at hand" (no failure) when it is not."""
    file, note = relocated(recorded, moved)
    try:
        now = sha256_of(file)
    except OSError as e:
        result.checked += 1
        unreadable(result, f"model {file}{note}", e, by)
        return
    if now is None:
        result.models_not_at_hand += 1
        result.lines.append(f"NOT AT HAND model {file}{note} ({by} recorded {sha[:12]}…)")
        return
    result.checked += 1
    result.models += 1
    result.moved += file != recorded
    compared(result, f"model {file}{note}", now, sha, by)
