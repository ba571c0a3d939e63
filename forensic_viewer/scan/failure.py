"""The words of what went wrong in a scan (no Qt): one file's unexpected error, and the one
line of a scan that failed as a whole, which the command line prints, the batch dialog shows,
and the case log's ``scan-finished`` and scan.json's ``run.reason`` record.

A failed scan's line was worked out in three places that disagreed: a damaged
``results.jsonl`` (a :class:`~forensic_viewer.scan.records.RecordError`) read "the scan failed:
unexpected RecordError ..." on the command line and in the case log, and the error's own line
in the dialog. :func:`failure_line` is now the one way, and :func:`is_unexpected` the one rule
of which errors are the project's own (their line names the file and the problem) and which
are a bug (their type and message, and a traceback kept).
"""

from __future__ import annotations

import os
from pathlib import Path

from engine.errors import ForensicError
from engine.files import os_problem
from forensic_viewer.scan.records import RecordError


def named(path: Path | str) -> Path:
    """``path`` as a scan names the file in every message and row: absolute as named
    (``os.path.abspath``: symbolic links not followed, as the row's ``file``). A folder given
    relative to where the scan runs named its files relative to a directory nothing records."""
    return Path(os.path.abspath(path))


def brief(e: BaseException) -> str:
    """An exception's message on one line, cut at 200 characters, for a one-line error."""
    return " ".join(str(e).split())[:200]


def unexpected(path: Path | str, e: BaseException, stage: str) -> str:
    """The one-line message of an exception nobody planned for, naming the file."""
    text = brief(e)
    return f"{path}: unexpected {type(e).__name__} while {stage}" + (f": {text}" if text else "")


def is_unexpected(e: BaseException) -> bool:
    """Whether ``e`` is a bug rather than one of the errors the project raises with a line of
    their own: a :class:`ForensicError` ("<file>: <reason>": evidence, checkpoints, the output
    folder locked or holding other settings), an :class:`OSError` (a file of the output folder
    that cannot be written, :func:`output_failed`), a :class:`RecordError` (a ``results.jsonl``
    row that is not a record, naming it) and a plain :class:`ValueError` (what the project
    raises for a bad device and similar arguments, a worker's among them). A ValueError of
    another kind (a ``UnicodeDecodeError``, a ``JSONDecodeError``: their message names no
    file) and anything else is unexpected."""
    if isinstance(e, ForensicError | OSError | RecordError):
        return False
    return type(e) is not ValueError


def scan_failed(e: BaseException, folder: Path | str | None = None) -> str:
    """The one line of a whole scan that a bug ended (the listing, the models, the results,
    not one file: :func:`unexpected`): ``[<folder>: ]the scan failed: unexpected <type>:
    <message>``, the folder named absolute (:func:`named`)."""
    at = f"{named(folder)}: " if folder is not None else ""
    text = brief(e)
    return f"{at}the scan failed: unexpected {type(e).__name__}" + (f": {text}" if text else "")


def output_failed(e: OSError, out: Path | str) -> str:
    """The one line of a scan whose output folder could not be written once it ran (the disk full,
    the folder gone): the file (the writers name theirs: :func:`engine.files.name_the_file`) or,
    when the error names none, the output folder, absolute, and the problem in words
    (:func:`engine.files.os_problem`, never errno text), then that the rows written are kept."""
    where = os_problem(e, named(out))
    return f"the scan failed: {where}; finished results are kept, run again to resume"


def failure_line(e: BaseException, out: Path | str, folder: Path | str | None = None) -> str:
    """The one line of a scan into ``out`` (of ``folder``, None for ``analyze``'s files) that
    ``e`` ended: :func:`output_failed` for an OSError, the error's own line for the project's
    other errors (:func:`is_unexpected`), else :func:`scan_failed`. The command line, the batch
    dialog and the case log all say this."""
    if isinstance(e, OSError):
        return output_failed(e, out)
    if not is_unexpected(e):
        return str(e)
    return scan_failed(e, folder)


def failure_reason(e: BaseException, out: Path | str) -> str:
    """Why a scan failed, in one line, for scan.json's ``run.reason``: an OSError as "<file>:
    <problem>" (the output folder when it names none), the project's own errors as their line
    says it, else the unexpected error's type and message."""
    if isinstance(e, OSError):
        return os_problem(e, named(out))
    if not is_unexpected(e):
        return str(e)
    return f"unexpected {type(e).__name__}: {brief(e)}"
