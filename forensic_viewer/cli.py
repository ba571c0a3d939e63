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

Long file: every subcommand's parser, its checks and its command function side by side, so
that what each option does can be read where it is declared.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from engine.ending import (
    ignore_stop_signals,
    sigterm_as_interrupt,
    stop_status,
    stop_words,
)
from engine.ensemble import ENSEMBLE_SUFFIX
from engine.errors import ForensicError
from engine.files import not_regular_reason, read_regular_text
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
from forensic_viewer.cli_options import (
    _check_window_args,
    _refused_early,
    _report_formats,
    build_analyzer,
)
from forensic_viewer.cli_parser import COMMANDS, build_parser, gui_parser, parse_command
from forensic_viewer.cli_progress import ProgressBar
from forensic_viewer.cli_report import _logged_report
from forensic_viewer.cli_scan import cmd_analyze, cmd_scan
from forensic_viewer.scan.lock import OutputLock, ScanFailed
from forensic_viewer.wording import plain, plain_lines

# The commands that write a scan's results (a failure to write is the scan's: rows kept, rerun)
RESULT_COMMANDS = ("analyze", "scan", "probe")


def _check_path_variables() -> None:
    """Refuse a $FORENSIC_VIEWER_CACHE, _CASE, _MODELS or _RESOURCES that is a relative path,
    before any command or the viewer reads it (:func:`engine.environ.relative_path_setting`)."""
    from engine.environ import relative_path_setting

    if (problem := relative_path_setting()) is not None:
        raise UsageError(problem)


def cmd_probe(args: argparse.Namespace) -> int:
    """The robustness probe of one image (:mod:`engine.probe`), written by
    :func:`forensic_viewer.scan.probe.write_probe`; exit codes as ``analyze``."""
    from engine.io import load_evidence
    from engine.probe import run_probe
    from forensic_viewer.audit import Action
    from forensic_viewer.casework import case_session, probe_details
    from forensic_viewer.scan.probe import table_lines, write_probe
    from forensic_viewer.scan.walk import real_path

    formats = _report_formats(args)
    _check_window_args(args)
    if _refused_early(args, [real_path(args.image)]):  # before the models load, in its words
        return EXIT_FILES_FAILED
    # --case: the probe goes into the case's log, opened first so that a refused one leaves no
    # output folder behind; then one writer per output folder, as for scans.
    with (
        case_session(args) as case_log,
        OutputLock(args.out, command=f"forensic-viewer {args.command}"),
    ):
        analyzer = build_analyzer(args)
        bar = ProgressBar(1, sys.stderr.isatty())
        try:
            # absolute, as a scan records its files: probe.json, the report and the case log
            # name the file without the working folder the command was run from
            evidence = load_evidence(real_path(args.image))
            result = run_probe(analyzer, evidence, progress=bar.windows)
        except ForensicError as e:
            bar.close()
            _error(e)
            return EXIT_FILES_FAILED
        bar.close()
        path = write_probe(result, args.out)
        # the table as written (JSON's types), read like every other probe table: regular only
        table = json.loads(read_regular_text(path))
        if case_log is not None:
            case_log.append(Action.PROBE_RUN, probe_details(table, path))
        print("\n".join(table_lines(table)))
        print(f"probe of {plain(args.image)} in {result.seconds:.1f} s; results in {plain(path)}")
        if formats and not _write_probe_report(
            args, formats, result.original, table, analyzer, case_log
        ):
            return EXIT_SCAN_FAILED
        return EXIT_OK


def _write_probe_report(
    args: argparse.Namespace,
    formats: tuple[str, ...],
    original: Any,
    table: Any,
    analyzer: Any,
    case_log: Any = None,
) -> bool:
    """The probed image's report (``original``: its Analysis) with the probe's table, into
    --out as probe-report.*; with a case log, the report prints its head and is logged."""
    from forensic_viewer.casework import typed_command
    from forensic_viewer.report.probe import BASENAME, write_probe_report

    return _logged_report(
        args,
        case_log,
        lambda case: write_probe_report(
            original,
            table,
            args.out,
            formats,
            analyzer=analyzer,
            case=case,
            command=typed_command(args),
        ),
        BASENAME,
    )


def _why_unreadable(e: OSError | ValueError) -> str:
    """The reason in a one-line "<file>: cannot be read: <reason>"."""
    if isinstance(e, OSError):
        return not_regular_reason(e) or e.strerror or str(e)
    return "not UTF-8 text" if isinstance(e, UnicodeDecodeError) else str(e)


def _card_text(card: Path, instead: str) -> str | None:
    """The model card ``card`` (beside a checkpoint or an ensemble, which may be in a folder of
    the user's), or None when there is none. It is read through
    :func:`engine.files.read_regular_text`: a named pipe named like a card had ``models NAME``
    wait for a writer forever. One that cannot be read is a note on stderr naming it, and what
    is shown ``instead``."""
    try:
        return read_regular_text(card)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        print(
            f"forensic-viewer: note: {plain(card)}: cannot be read: {_why_unreadable(e)}; "
            f"{instead}",
            file=sys.stderr,
        )
        return None


def _header_summary(path: Path, meta: Any) -> str:
    """What a checkpoint without a model card (one the user trained) says of itself, in the
    words the training dialog's install review uses (:mod:`trainer.review`: steps, validation
    figures with their image counts, θ and where it came from, warnings), and what it was
    trained on; the raw header alone was all ``models NAME`` printed for it."""
    from engine.calibration import Calibration
    from trainer.review import review_checkpoint

    lines = [f"No model card beside {path.name}; from its header:", ""]
    try:
        lines.append(review_checkpoint(path).text())
    except ForensicError as err:
        lines.append(f"(its training summary cannot be read: {err})")
    training = meta.training
    data = [d.get("path") for d in training.get("data") or [] if isinstance(d, dict)]
    if data:
        lines.append("trained on: " + ", ".join(map(str, data)))
    if training.get("init"):
        sha = training.get("init_sha256") or "not recorded"
        lines.append(f"started from: {training['init']} (SHA-256 {sha})")
    if calibration := Calibration.from_dict(meta.decision.calibration):
        lines.append(f"probability calibrated on: {calibration.fitted_on or 'not recorded'}")
    elif isinstance(why := meta.decision.calibration.get("no_calibration"), str) and why:
        lines.append(f"probability: not calibrated ({why})")  # refused when fitted (verdict)
    elif meta.decision.calibration:  # as the analyses read it: none (a slope <= 0, say)
        lines.append("probability: not calibrated (its stored calibration is unusable)")
    if training.get("command"):
        lines.append(f"command: {training['command']}")
    return "\n".join(lines)


def cmd_models(args: argparse.Namespace) -> int:
    from engine.assembly import available_models  # torch: not for --help or --version
    from engine.models import get_spec, list_models

    listing = available_models(args.extra)
    if args.name:
        for e in listing.checkpoints:
            if args.name in (e.name, e.path.stem):
                header = None if e.meta is None else json.loads(e.meta.to_json())
                if args.json and header is not None:
                    print(json.dumps(header, indent=2))
                    return 0
                card = _card_text(e.path.with_suffix(".md"), "its header follows")
                if card is not None:
                    print(plain_lines(card))
                elif e.meta is not None:
                    print(plain_lines(_header_summary(e.path, e.meta)))
                    print("\nIts header (JSON; alone with --json):")
                    print(json.dumps(header, indent=2))
                return 0
        for e in listing.ensembles:
            if args.name in (e.path.name, e.name):
                stem = e.path.name.removesuffix(ENSEMBLE_SUFFIX)
                card = _card_text(e.path.with_name(stem + ".md"), "the ensemble file follows")
                if card is None:
                    try:
                        card = read_regular_text(e.path)
                    except (OSError, ValueError) as err:
                        raise UsageError(
                            f"{e.path}: cannot be read: {_why_unreadable(err)}"
                        ) from None
                print(plain_lines(card))
                return 0
        raise UsageError(f"no checkpoint or ensemble named '{args.name}'")
    print("Architectures:")
    for name in list_models():
        print(f"  {name:<24} {get_spec(name).description}")
    print("\nCheckpoints:")
    if not listing.checkpoints:
        print("  (none installed: train one with `forensic-train fit`)")
    for e in listing.checkpoints:
        if e.meta is None:
            continue
        metrics = e.meta.metrics
        figs = ", ".join(
            f"{k} {v}" if isinstance(v, int) else f"{k} {v:.3f}"  # counts stay counts
            for k, v in metrics.items()
            if isinstance(v, float | int) and not isinstance(v, bool)
        )
        # a checkpoint's name, path and header are the user's files: escapes shown, not obeyed
        name, arch = plain(e.name), plain(e.meta.architecture)
        provenance = plain(e.meta.decision.provenance)
        print(f"  {name:<24} {arch:<20} {e.origin:<8} {plain(e.path)}")
        print(f"  {'':<24} θ {e.meta.decision.threshold:.4g} ({provenance})")
        if figs:  # the training run's own validation split (report/text.py says why it matters)
            print(f"  {'':<24} training-run validation split: {figs}")
    if listing.ensembles:
        print("\nEnsembles:")
        for e in listing.ensembles:
            print(f"  {plain(e.name):<24} {plain(e.path)}")
    for line in listing.problems:
        print(f"  unreadable: {plain(line)}", file=sys.stderr)
    for line in listing.clashes:
        print(f"warning: {plain(line)}", file=sys.stderr)
    return 0


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
                "models": cmd_models,
                "selftest": cmd_selftest,
                "audit": cmd_audit,
            }
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
