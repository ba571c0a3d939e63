"""``forensic-viewer``: the GUI, and every analysis it can do, headless.

    forensic-viewer [IMAGE_OR_FOLDER ...] [--model M ...] [--device D]   open the viewer
    forensic-viewer analyze IMAGE ... --out DIR [--model M ...] [--device D] [--window P --stride S]
    forensic-viewer scan FOLDER --out DIR [--model M ...] [--recursive] [--jobs N] [--ray [ADDR]]
        analyze and scan take [--analyses ela,noise,clone,...|all]: classic analyses too
        analyze and scan take [--exact]: the paper's sliding-window path (the slow reference)
        analyze and scan also take [--report html,pdf] [--examiner NAME] [--case-id ID]
        [--notes TEXT]: reports (with a JSON sidecar) of the files analysed, written to --out
        (an earlier report there moved whole into --out/earlier-reports/, never written over)
    forensic-viewer probe IMAGE --out DIR [--model M ...] [--report html,pdf]   robustness probe
    forensic-viewer report OUT [--format html,pdf,json] [--examiner NAME] [--case-id ID]
        [--notes TEXT] [--accept-edited-results]   the report of a scan output folder, no run
    forensic-viewer models [NAME]
    forensic-viewer audit verify|show LOG    the case's hash-chained audit log (docs/AUDIT.md)
        analyze and scan take [--case DIR]: the run is logged in DIR/audit.jsonl

Exit codes: 0 when every file was analysed, 1 when some failed (a file missing, unreadable or
not decodable, or a folder among analyze's files: each is a row of its own, listed at the end;
the others are analysed anyway), 2 on a usage error (bad arguments, analyze given folders only,
scan given a folder without images, no usable model, an output folder holding results made with other settings), 3 when the scan itself failed (the
output folder is locked by another scan, cannot be written or filled up; finished results
are kept and a rerun resumes), 130 and 143 when Ctrl+C (SIGINT) or SIGTERM stopped it. The
viewer (no command) exits 0 when closed, 130 or 143 when one of those signals closed its
window (as File > Quit does: a batch scan is cancelled first).

Here the program itself: which command runs, and how each way it can end becomes one line
and an exit code. The commands are their own modules' (``analyze`` and ``scan``:
:mod:`~forensic_viewer.cli_scan`; ``probe``: :mod:`~forensic_viewer.cli_probe`; ``report``: :mod:`~forensic_viewer.cli_report`; ``models``:
:mod:`~forensic_viewer.cli_models`; ``audit``: :mod:`~forensic_viewer.casework`), their arguments
:mod:`~forensic_viewer.cli_parser`'s, the option checks :mod:`~forensic_viewer.cli_options`'s,
the exit codes :mod:`~forensic_viewer.cli_exit`'s (importable from here too).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from engine.ending import (
    ignore_stop_signals,
    sigterm_as_interrupt,
    stop_status,
    stop_words,
)
from engine.errors import ForensicError
from forensic_viewer.casework import cmd_audit
from forensic_viewer.cli_exit import (
    EXIT_FILES_FAILED,
    EXIT_OK,
    EXIT_PIPE_CLOSED,
    EXIT_SCAN_FAILED,
    EXIT_USAGE,
    UsageError,
    _error,
)
from forensic_viewer.cli_models import cmd_models
from forensic_viewer.cli_parser import COMMANDS, build_parser, gui_parser, parse_command
from forensic_viewer.cli_probe import cmd_probe
from forensic_viewer.cli_report import cmd_report
from forensic_viewer.cli_scan import cmd_analyze, cmd_scan
from forensic_viewer.scan.lock import ScanFailed
from forensic_viewer.wording import plain

__all__ = ["EXIT_FILES_FAILED", "EXIT_OK", "EXIT_SCAN_FAILED", "EXIT_USAGE", "main"]

# The commands that write a scan's results (a failure to write is the scan's: rows kept, rerun)
RESULT_COMMANDS = ("analyze", "scan", "probe")


def _check_path_variables() -> None:
    """Refuse a $FORENSIC_VIEWER_CACHE, _CASE, _MODELS or _RESOURCES that is a relative path,
    before any command or the viewer reads it (:func:`engine.environ.relative_path_setting`)."""
    from engine.environ import relative_path_setting

    if (problem := relative_path_setting()) is not None:
        raise UsageError(problem)


def cmd_selftest(args: argparse.Namespace) -> int:
    from forensic_viewer.selftest import run_selftest

    return EXIT_OK if run_selftest(device=args.device) else 1


def main(argv: list[str] | None = None) -> int:
    """The program. Run as the program (``argv`` None: the console script, ``python -m``),
    once the command has ended in any way, further SIGINT and SIGTERM are ignored
    (:func:`engine.ending.ignore_stop_signals`); called with ``argv`` (tests, scripts) the caller's handlers stay."""
    program = argv is None
    try:
        return _main(list(sys.argv[1:] if argv is None else argv), program)
    finally:
        if program:
            ignore_stop_signals()


def _line_buffered(stream: object) -> None:
    """Each line the program prints reaches a redirected stdout as it is printed: Python
    buffers a file's or a pipe's output in blocks, so a run ended by SIGKILL (an out-of-memory
    killer, a batch system's time limit) lost the lines it had said (the intake walk-through
    of 2026-12-06: ``analyze ... > log`` killed with ``kill -9`` left the log empty)."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        try:
            reconfigure(line_buffering=True)
        except (OSError, ValueError):  # a closed stream or one that cannot: as it was
            pass


def _output_failed(e: OSError) -> int:
    """A command that writes no results (``models``, ``selftest``, ``audit``) failed to write
    its output: a reader that stopped reading (``| head``, ``| less`` quit) ends it without a
    word, as it ends any filter; anything else is one line. Never the scan's words: there is
    no scan to resume."""
    if isinstance(e, BrokenPipeError):
        try:  # what is still buffered must not fail again as the interpreter exits
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):  # a stdout without a descriptor (a caller's stream)
            pass
        return EXIT_PIPE_CLOSED
    _error(f"cannot write the output: {e}")
    return EXIT_SCAN_FAILED


def _main(argv: list[str], program: bool) -> int:
    gui = False  # the viewer: its window handles the stop signals while it is open
    command = ""
    args: argparse.Namespace | None = None
    try:
        if argv and argv[0] in COMMANDS:
            args = parse_command(build_parser(), argv)
            command = args.command
            _check_path_variables()
            args.argv = ["forensic-viewer", *argv]  # as typed: scan.json records it
            commands = {
                "analyze": cmd_analyze,
                "scan": cmd_scan,
                "probe": cmd_probe,
                "report": cmd_report,
                "models": cmd_models,
                "selftest": cmd_selftest,
                "audit": cmd_audit,
            }
            if program:
                _line_buffered(sys.stdout)
            with sigterm_as_interrupt(ending=program):  # then further signals are ignored
                status = commands[args.command](args)
                sys.stdout.flush()  # a closed pipe is reported here, not as the program exits
                return status
        args = gui_parser().parse_args(argv)
        if args.version:
            from forensic_viewer.selftest import version_lines

            print("\n".join(version_lines()))
            return EXIT_OK
        try:
            _check_path_variables()
        except UsageError as e:  # from its desktop entry nobody reads stderr: in a box too
            _error(e)
            from forensic_viewer.gui.refused import show_refusal

            show_refusal(plain(e))
            return EXIT_USAGE
        from forensic_viewer.gui.refused import unreachable_display

        if no_display := unreachable_display():  # Qt would abort the process: exit 134
            _error(no_display)
            return EXIT_USAGE
        gui = True
        # Qt and torch are imported, the window built: seconds
        with sigterm_as_interrupt(ending=program):
            from forensic_viewer.gui.app import run_gui

            return run_gui(args.images, args.model, args.device, args.case)
    except UsageError as e:
        _error(e)
        return EXIT_USAGE
    except ScanFailed as e:  # the output folder locked or unusable
        _error(e)
        return EXIT_SCAN_FAILED
    except ForensicError as e:
        _error(e)
        return EXIT_USAGE
    except ValueError as e:  # bad device and similar argument values
        _error(e)
        return EXIT_USAGE
    except OSError as e:  # writing results: the disk is full, the folder went away
        if command and command not in RESULT_COMMANDS:
            return _output_failed(e)
        from forensic_viewer.scan.failure import failure_line

        _error(failure_line(e, getattr(args, "out", None) or Path.cwd()))
        return EXIT_SCAN_FAILED
    except SystemExit as e:  # argparse: usage errors exit 2 by themselves
        return int(e.code or 0)
    except KeyboardInterrupt as e:  # Ctrl+C, or SIGTERM: engine.ending.Terminated
        if program:  # before the line: another signal must not cut it or the exit short
            ignore_stop_signals()
        if gui:
            print(f"forensic-viewer: {stop_words(e)}; the viewer was not open", file=sys.stderr)
        else:
            print(f"\n{stop_words(e)}; results so far are kept (re-run to resume)", file=sys.stderr)
        return stop_status(e)


if __name__ == "__main__":
    sys.exit(main())
