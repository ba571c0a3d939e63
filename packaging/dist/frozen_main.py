"""Entry point of the frozen build (``make dist``): one executable, three programs.

Method: PyInstaller freezes this one script; ``forensic-train`` in the bundle is a symbolic link
to ``forensic-viewer``, and the program run is chosen by the name it was started under
(``argv[0]``), so the two command-line tools share one copy of torch, Qt and OpenVINO (about
half the size and build time of two frozen programs). ``forensic-viewer -m MODULE ARGS`` runs a
bundled module as ``python -m`` would: the viewer starts training and data checks as a child
``<its own executable> -m trainer.cli ...`` (``sys.executable`` is this executable when frozen),
and that keeps working without a Python. Interpreter options before ``-m`` are passed over as
``python`` would take them (:func:`module_call`): torchrun starts each rank of
``forensic-train --nproc N`` as ``<executable> -u -m trainer.cli ...``, which reached the viewer's
parser and failed every rank (walk-through pkg, 2026-12-06); ``-u`` makes stdout and stderr
unbuffered, the rest change nothing in a frozen program. ``multiprocessing.freeze_support()`` comes first so the
scan pool's spawned workers run their task instead of a second viewer.
"""

from __future__ import annotations

import importlib
import multiprocessing
import runpy
import sys
from pathlib import Path


# the program each executable name runs (its module's main())
PROGRAMS = {"forensic-train": "trainer.cli", "forensic-viewer": "forensic_viewer.entry"}


def program_for(argv0: str) -> str:
    """The module whose ``main()`` runs when started as ``argv0``: ``forensic-train`` (and
    ``forensic-train-1.0``-like names) the trainer, anything else the viewer."""
    name = Path(argv0).name
    return next(
        (m for tool, m in PROGRAMS.items() if name.startswith(tool)), PROGRAMS["forensic-viewer"]
    )


# python's options without a value (each may be combined: -uB) and those taking one (-X dev)
FLAG_OPTIONS = frozenset("bBdEiIOPqsSuvx")
VALUE_OPTIONS = frozenset("WX")


def module_call(args: list[str]) -> tuple[str, list[str], set[str]] | None:
    """``args`` (``sys.argv[1:]``) as ``python [options] -m MODULE ARGS`` would read them:
    (MODULE, ARGS, the option letters given), or None when they are not such a call (the
    program's own arguments)."""
    given: set[str] = set()
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] not in ("-", "--"):
        letters = args[i][1:]
        for j, letter in enumerate(letters):
            if letter == "m":
                module = letters[j + 1 :] or (args[i + 1] if i + 1 < len(args) else "")
                rest = args[i + 1 :] if letters[j + 1 :] else args[i + 2 :]
                return (module, rest, given) if module else None
            if letter in VALUE_OPTIONS:
                i += 0 if letters[j + 1 :] else 1  # -Xdev or -X dev
                break
            if letter not in FLAG_OPTIONS:
                return None
            given.add(letter)
        i += 1
    return None


def main() -> int:
    multiprocessing.freeze_support()
    if (call := module_call(sys.argv[1:])) is not None:
        module, rest, options = call
        if "u" in options:
            for stream in (sys.stdout, sys.stderr):
                if hasattr(stream, "reconfigure"):  # None without a console
                    stream.reconfigure(write_through=True)
        sys.argv = [sys.argv[0], *rest]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return 0
    program = importlib.import_module(program_for(sys.argv[0]))
    return int(program.main() or 0)


if __name__ == "__main__":
    sys.exit(main())
