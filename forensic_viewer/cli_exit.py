"""How the command line ends: its exit codes, the usage error, and the one error line.

The codes are the program's (``forensic_viewer.cli``'s docstring says when each is returned);
every command module raises :class:`UsageError` and says its errors through :func:`_error`.
"""

from __future__ import annotations

import sys

from forensic_viewer.wording import plain

EXIT_OK = 0  # every file analysed
EXIT_FILES_FAILED = 1  # some files could not be analysed; the others were
EXIT_USAGE = 2  # the command cannot run as given
EXIT_SCAN_FAILED = 3  # the scan itself failed (output folder locked, unwritable, full)
EXIT_PIPE_CLOSED = 141  # 128 + SIGPIPE: stdout's reader stopped reading, as a shell reports it


class UsageError(Exception):
    """Bad arguments: printed as one line, exit code 2."""


def _error(message: object) -> None:
    """One line on stderr; names from evidence files are shown, never obeyed (control and
    bidi characters escaped)."""
    print(f"forensic-viewer: error: {plain(message)}", file=sys.stderr)
