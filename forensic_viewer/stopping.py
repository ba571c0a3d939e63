"""How ``forensic-viewer`` is stopped: Ctrl+C (SIGINT: Python's ``KeyboardInterrupt``) and
SIGTERM (``kill PID``, a service manager, a batch system's time limit: :class:`Terminated`, an
interrupt too) while it runs, and the exit statuses a shell gives a program they stopped.

Standard library only, so that the program's entry point (:mod:`forensic_viewer.entry`) has it
in place before the command line, numpy, torch and Qt are imported.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

EXIT_INTERRUPTED = 128 + signal.SIGINT  # 130
EXIT_TERMINATED = 128 + signal.SIGTERM  # 143


class Terminated(KeyboardInterrupt):
    """SIGTERM while a command runs: raised in the main thread, it takes the interrupt's way
    out (every finished row kept, results.jsonl closed, the lock released) instead of ending
    the process mid-write. ``signum``: what a scan records as the signal that stopped it
    (scan.json's ``run``)."""

    signum = signal.SIGTERM


def raise_terminated(_signum: int, _frame: FrameType | None) -> None:
    """The SIGTERM handler: :class:`Terminated` in the main thread."""
    raise Terminated


def stop_status(stop: KeyboardInterrupt) -> int:
    """The exit status of a program stopped by ``stop``: 143 for SIGTERM, else 130."""
    return EXIT_TERMINATED if isinstance(stop, Terminated) else EXIT_INTERRUPTED


def stop_words(stop: KeyboardInterrupt) -> str:
    """``interrupted (Ctrl+C)`` or ``terminated (SIGTERM)``, for the one line of a stop."""
    return "terminated (SIGTERM)" if isinstance(stop, Terminated) else "interrupted (Ctrl+C)"


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """:class:`Terminated` on SIGTERM while the block runs (main thread only); then the
    handler that was there before."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)
