"""How a command-line program is stopped, and its end: Ctrl+C (SIGINT), SIGTERM and SIGHUP as
interrupts, the exit statuses and the one line of a stop, stop signals ignored once it ends.

Both programs (``forensic-viewer``, ``forensic-train``) handle the first Ctrl+C or SIGTERM
(``kill PID``, the training dialog's Stop, a service manager, a batch system's time limit):
the work done so far is kept and one line says so, with the exit status a shell gives a program
a signal stopped, 130 or 143. Ctrl+C is Python's own :class:`KeyboardInterrupt`, whose handler
is there from the interpreter's start; SIGTERM's default ends the process at once without a
word, so the programs have it raise :class:`Terminated`, a KeyboardInterrupt too, which takes
the same way out (a scan's finished rows kept and its lock released, a training run's ``--out``
put back). Either carries its signal's number (:func:`stop_signal`). SIGHUP, which closing the
terminal sends to the programs started from it, is handled as SIGTERM (:class:`HungUp`, exit
status 129), except where it was ignored when the program started (``nohup``): there it stays
ignored (:func:`termination_signals`).

An impatient user presses Ctrl+C again; the later signals arrive while the program is only
exiting (its exit hooks and torch's teardown, seconds), where a KeyboardInterrupt is printed as
a traceback ("Exception ignored in atexit callback") or, once Python has put back the default
handler, the signal kills the process: status -2 or -15 to a parent process, not 130 or 143
(:func:`ignore_stop_signals`).

Here for both programs, as the engine is the package both import; standard library only, so
that ``forensic-viewer``'s entry point has it in place before numpy, torch and Qt are imported.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType

EXIT_INTERRUPTED = 128 + signal.SIGINT  # 130
EXIT_TERMINATED = 128 + signal.SIGTERM  # 143
SIGHUP: int | None = getattr(signal, "SIGHUP", None)  # POSIX only: no terminal hang-up on Windows
EXIT_HUNG_UP = 128 + 1  # 129: SIGHUP's number wherever it exists


class Terminated(KeyboardInterrupt):
    """SIGTERM while a program runs: raised in the main thread, it takes the interrupt's way
    out instead of ending the process mid-write. ``signum``: the signal that stopped it (what a
    scan records in scan.json's ``run``)."""

    signum = signal.SIGTERM


class HungUp(Terminated):
    """SIGHUP (the program's terminal closed): stopped as by SIGTERM, said and counted apart."""

    signum = SIGHUP if SIGHUP is not None else signal.SIGTERM


def terminated(signum: int) -> Terminated:
    """The exception a termination signal ``signum`` (SIGTERM, SIGHUP) raises."""
    return HungUp() if SIGHUP is not None and signum == SIGHUP else Terminated()


def raise_terminated(signum: int, _frame: FrameType | None) -> None:
    """The handler of SIGTERM and SIGHUP: :class:`Terminated` (:class:`HungUp`) in the main
    thread."""
    raise terminated(signum)


def termination_signals() -> tuple[int, ...]:
    """The signals that stop a program as SIGTERM does: SIGTERM, and SIGHUP where it exists and
    is not ignored (a program started by ``nohup`` must outlive its terminal; it was ignored
    before the program ran, or the program ignores it as it ends)."""
    if SIGHUP is None or signal.getsignal(SIGHUP) == signal.SIG_IGN:
        return (signal.SIGTERM,)
    return (signal.SIGTERM, SIGHUP)


def stop_signal(stop: BaseException) -> int:
    """The signal that raised ``stop``: its ``signum``, else SIGINT (Python's own
    KeyboardInterrupt, which has none)."""
    return int(getattr(stop, "signum", signal.SIGINT))


def exit_status(signum: int) -> int:
    """The exit status of a program stopped by signal ``signum``: 143 for SIGTERM, 129 for
    SIGHUP, else 130."""
    if signum == signal.SIGTERM:
        return EXIT_TERMINATED
    return EXIT_HUNG_UP if SIGHUP is not None and signum == SIGHUP else EXIT_INTERRUPTED


def stop_status(stop: BaseException) -> int:
    """The exit status of a program stopped by ``stop``: 143 for SIGTERM, 129 for SIGHUP, else
    130."""
    return exit_status(stop_signal(stop))


def signal_words(signum: int) -> str:
    """``terminated (SIGTERM)`` for SIGTERM, ``hung up (SIGHUP)`` for SIGHUP, else
    ``interrupted (Ctrl+C)``: how both programs word a stop by ``signum`` wherever a person
    reads it (the one line, a scan's summary, scan.json's note, a report's first page)."""
    if signum == signal.SIGTERM:
        return STOP_WORDS["SIGTERM"]
    if SIGHUP is not None and signum == SIGHUP:
        return STOP_WORDS["SIGHUP"]
    return STOP_WORDS["SIGINT"]


# :func:`signal_words` by the signal's name, as scan.json's ``run.signal`` records it: a scan
# folder written on Linux may be reported on Windows, which has no SIGHUP to look up
STOP_WORDS = {
    "SIGINT": "interrupted (Ctrl+C)",
    "SIGTERM": "terminated (SIGTERM)",
    "SIGHUP": "hung up (SIGHUP)",
}


def stop_words(stop: BaseException) -> str:
    """``interrupted (Ctrl+C)``, ``terminated (SIGTERM)`` or ``hung up (SIGHUP)``, for the
    one line of a stop; a stop of no signal's that says its own ``words`` (the trainer's reader
    gone, ``trainer.progress.ReaderGone``), those."""
    words = getattr(stop, "words", None)
    return words if isinstance(words, str) else signal_words(stop_signal(stop))


def main_thread() -> bool:
    """Whether this is the main thread, the only one that may set signal handlers."""
    return threading.current_thread() is threading.main_thread()


def raise_on_sigterm() -> None:
    """:class:`Terminated` on SIGTERM (and SIGHUP: :func:`termination_signals`) from now on
    (main thread only; elsewhere signals are left alone): a program's first act, so that no
    time is left where SIGTERM's default ends it."""
    if main_thread():
        for signum in termination_signals():
            signal.signal(signum, raise_terminated)


# Set by the training dialog (forensic_viewer.gui.trainer_process) to the viewer's process id:
# the trainer it starts stops as a Stop stops it (SIGTERM: a checkpoint written) when the
# viewer dies without quitting (killed, crashed).
PARENT_ENV = "FORENSIC_TRAIN_STOP_WITH_PARENT"
PR_SET_PDEATHSIG = 1  # prctl(2), linux/prctl.h


def stop_with_parent() -> bool:
    """SIGTERM to this process when the process named by :data:`PARENT_ENV` ends (Linux only;
    elsewhere, or without the variable, nothing: returns False). A viewer killed while its
    training ran left the trainer training on, an orphan without a reader, until its next
    progress line failed on the broken pipe: the steps since its last checkpoint lost, and a
    run that read as stopped while it still wrote its folder, which Resume in a new viewer then
    shared. Also when the parent had ended before this ran (the signal is sent at once)."""
    wanted = os.environ.pop(PARENT_ENV, "")  # not passed on to this process's own children
    if not wanted.isdigit() or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() != int(wanted):  # the parent ended before prctl: no signal would come
        os.kill(os.getpid(), signal.SIGTERM)
    return True


@contextlib.contextmanager
def sigterm_as_interrupt(*, ending: bool = False) -> Iterator[None]:
    """:class:`Terminated` on SIGTERM (and SIGHUP: :func:`termination_signals`) while the
    block runs (main thread only); then the handlers that were there before, or with ``ending`` (a program's command, after which it only
    exits) stop signals ignored (:func:`ignore_stop_signals`) from the moment the block ends:
    the handler put back there (``Terminated``, or Python's own interrupt) turned a signal that
    came after the command, before the program ignored them, into a traceback."""
    if not main_thread():
        yield
        return
    before = {signum: signal.signal(signum, raise_terminated) for signum in termination_signals()}
    try:
        yield
    finally:
        if ending:
            ignore_stop_signals()
        else:
            for signum, handler in before.items():
                signal.signal(signum, handler)


def ignore_stop_signals() -> None:
    """Ignore SIGINT, SIGTERM and SIGHUP from now on: there is nothing left to stop. Only for a
    program's main thread once its command has ended (or its interrupt is being reported), never
    for a caller's process (tests, scripts calling ``main(argv)``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if SIGHUP is not None:
        signal.signal(SIGHUP, signal.SIG_IGN)
