"""The end of a command-line program: once it has ended, stop signals are ignored.

Both programs (``forensic-viewer``, ``forensic-train``) handle the first Ctrl+C (SIGINT) or
SIGTERM: the work done so far is kept and one line says so, with exit status 130 or 143. An
impatient user presses Ctrl+C again; the later signals arrive while the program is only exiting
(its exit hooks and torch's teardown, seconds), where a KeyboardInterrupt is printed as a
traceback ("Exception ignored in atexit callback") or, once Python has put back the default
handler, the signal kills the process: status -2 or -15 to a parent process, not 130 or 143.
Here for both programs, as the engine is the package both import.
"""

from __future__ import annotations

import signal


def ignore_stop_signals() -> None:
    """Ignore SIGINT and SIGTERM from now on: there is nothing left to stop. Only for a
    program's main thread once its command has ended (or its interrupt is being reported), never
    for a caller's process (tests, scripts calling ``main(argv)``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
