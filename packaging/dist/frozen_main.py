"""Entry point of the frozen build (``make dist``): one executable, three programs.

Method: PyInstaller freezes this one script; ``forensic-train`` in the bundle is a symbolic link
to ``forensic-viewer``, and the program run is chosen by the name it was started under
(``argv[0]``), so the two command-line tools share one copy of torch, Qt and OpenVINO (about
half the size and build time of two frozen programs). ``forensic-viewer -m MODULE ARGS`` runs a
bundled module as ``python -m`` would: the viewer starts training and data checks as a child
``<its own executable> -m trainer.cli ...`` (``sys.executable`` is this executable when frozen),
and that keeps working without a Python. ``multiprocessing.freeze_support()`` comes first so the
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


def main() -> int:
    multiprocessing.freeze_support()
    if len(sys.argv) >= 3 and sys.argv[1] == "-m":
        module = sys.argv[2]
        sys.argv = [sys.argv[0], *sys.argv[3:]]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return 0
    program = importlib.import_module(program_for(sys.argv[0]))
    return int(program.main() or 0)


if __name__ == "__main__":
    sys.exit(main())
