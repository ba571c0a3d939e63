"""``forensic-viewer``'s entry point (the console script, the frozen build): Ctrl+C, SIGTERM and
SIGHUP are handled before anything heavy is imported.

The program's own handlers (:mod:`forensic_viewer.cli`) came only once the command line was
imported, with numpy, OpenCV and the engine's analyses (a quarter of a second; torch and Qt
follow for the viewer): Ctrl+C in that time printed the import's traceback and ended the
process by SIGINT (status -2 to a parent process, not 130), SIGTERM ended it by the signal's
default without a word (-15, not 143). Here SIGTERM raises
:class:`~engine.ending.Terminated` from the start, as it does while a command runs, and a stop
that arrives while the program is imported ends as one later does: one line, 130 or 143.
Imports only the standard library's light modules and :mod:`engine.ending` until then.
"""

from __future__ import annotations

import sys

from engine.ending import (
    ignore_stop_signals,
    main_thread,
    raise_on_sigterm,
    stop_status,
    stop_words,
)


def main() -> int:
    """Run ``forensic-viewer`` as the program (:func:`forensic_viewer.cli.main` with the
    command line's arguments); the exit status."""
    raise_on_sigterm()  # cli keeps it while a command runs
    try:
        from forensic_viewer.cli import main as run
    except KeyboardInterrupt as e:
        if main_thread():  # before the line: another signal must not cut it or the exit short
            ignore_stop_signals()
        print(f"forensic-viewer: {stop_words(e)} while starting; nothing was done", file=sys.stderr)
        return stop_status(e)
    return run()


if __name__ == "__main__":
    sys.exit(main())
