"""``forensic-viewer`` run as the program (a child process started as its console script is)
and stopped by Ctrl+C (SIGINT) or ``kill PID`` (SIGTERM): it ends with one line and the exit
status a shell gives a stopped program, 130 or 143, never a traceback or the signal's default.

Each child sends the signal to itself at a chosen point (no sleeps, no races): the test says
where. A batch scan stopped by a signal is ``test_batch_stopped.py``'s.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from tests.conftest import HANG_S, hang_up_as_default, said_lines

ROOT = Path(__file__).resolve().parents[2]


def _console_script() -> str:
    """What the installed ``forensic-viewer`` runs: the entry point pyproject declares,
    called as pip's console-script wrapper calls it."""
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, func = scripts["forensic-viewer"].split(":")
    return f"from {module} import {func}\nsys.exit({func}())\n"


def _run(code: str, args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_STATE_HOME": str(tmp_path / "state"),  # the viewer's log
        "XDG_CONFIG_HOME": str(tmp_path / "config"),  # its settings
    }
    child = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=hang_up_as_default,
    )
    try:
        out, err = child.communicate(timeout=HANG_S)
    except subprocess.TimeoutExpired:
        child.kill()
        out, err = child.communicate()
        pytest.fail(f"the viewer did not end after the signal:\n{err[-3000:]}")
    return subprocess.CompletedProcess(child.args, child.returncode, out, err)


@pytest.mark.parametrize(
    ("signum", "status"),
    [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)],
    ids=["int", "term", "hup"],
)
def test_a_stop_signal_closes_the_viewers_window_as_quit_does(
    tmp_path: Path, tiny_checkpoint: Path, signum: int, status: int
) -> None:
    """The window open, no scan: SIGTERM had ended the process by its default (status -15, no
    word, nothing closed); Ctrl+C did nothing until some Python code ran in the event loop, then
    printed a KeyboardInterrupt traceback and the viewer carried on. SIGHUP (its terminal
    closed) ended the process by its default, as SIGTERM had."""
    shown = f"""\
        import os, sys
        from PySide6.QtCore import QTimer
        from forensic_viewer.gui.main_window import MainWindow

        show = MainWindow.show

        def show_then_signal(self):
            show(self)
            QTimer.singleShot(0, lambda: os.kill(os.getpid(), {int(signum)}))

        MainWindow.show = show_then_signal
        """
    code = textwrap.dedent(shown) + _console_script()
    args = ["--model", str(tiny_checkpoint), "--device", "cpu", "--case", str(tmp_path / "case")]
    done = _run(code, args, tmp_path)
    name = signal.Signals(signum).name
    assert done.returncode == status, done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    last = done.stderr.strip().splitlines()[-1]
    assert last == f"forensic-viewer: {name} received: the viewer closed as File > Quit closes it"


# The child sends the signal to itself when the import system first looks for MODULE: the
# handler runs at the next bytecode, inside that import.
SIGNAL_WHILE_IMPORTING = """\
import os, sys

class SignalWhenImported:
    def find_spec(self, name, path=None, target=None):
        if name == {module!r}:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), {signum})
        return None

sys.meta_path.insert(0, SignalWhenImported())
"""


@pytest.mark.parametrize(
    ("module", "args", "signum", "status", "line"),
    [
        ("forensic_viewer.cli", ["models"], signal.SIGINT, 130, "interrupted (Ctrl+C) while "
         "starting; nothing was done"),
        ("forensic_viewer.cli", ["models"], signal.SIGTERM, 143, "terminated (SIGTERM) while "
         "starting; nothing was done"),
        ("forensic_viewer.gui.app", [], signal.SIGTERM, 143, "terminated (SIGTERM); the viewer "
         "was not open"),
    ],
    ids=["int-cli", "term-cli", "term-qt"],
)  # fmt: skip
def test_a_stop_signal_while_the_program_is_imported_ends_it_with_one_line(
    tmp_path: Path, module: str, args: list[str], signum: int, status: int, line: str
) -> None:
    """The first half second of ``forensic-viewer ...`` imports the command line (numpy,
    OpenCV, the engine's analyses), then torch and Qt for the viewer, before the program's
    handlers were in place: Ctrl+C printed the import's traceback and ended the process by
    SIGINT (status -2 to a parent, not 130); SIGTERM ended it by its default, without a word
    (-15, not 143), also while the viewer imported Qt and torch."""
    code = SIGNAL_WHILE_IMPORTING.format(module=module, signum=int(signum)) + _console_script()
    done = _run(code, args, tmp_path)
    assert done.returncode == status, done.stderr[-3000:]
    assert done.stderr.strip() == f"forensic-viewer: {line}", done.stderr[-3000:]


def test_the_entry_point_imports_nothing_heavy_before_its_handlers_are_up(tmp_path: Path) -> None:
    """What the console script imports before :func:`forensic_viewer.entry.main` runs is the
    time a stop signal still finds no handler: it must stay the standard library's light
    modules (here: neither numpy nor the command line)."""
    code = (
        "import sys\n"
        "from forensic_viewer.entry import main\n"
        "print(sorted(m for m in ('numpy', 'torch', 'PySide6', 'forensic_viewer.cli') "
        "if m in sys.modules))\n"
    )
    done = _run(code, [], tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "[]"


def test_python_dash_m_runs_the_console_scripts_program(tmp_path: Path) -> None:
    """``python -m forensic_viewer`` is the program (no ``__main__`` module made it "No module
    named forensic_viewer.__main__"): the same version line and exit status as the entry point."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    runs = [
        subprocess.run(
            [sys.executable, *args, "--version"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=HANG_S,
        )
        for args in (["-m", "forensic_viewer"], ["-c", "import sys\n" + _console_script()])
    ]
    assert [r.returncode for r in runs] == [0, 0], [r.stderr for r in runs]
    assert runs[0].stdout == runs[1].stdout
    assert "forensic-viewer" in runs[0].stdout


SIGNAL_AFTER_THE_COMMAND = """
import os, signal, sys
import forensic_viewer.cli as cli

run_command = cli._main


def then_signal(*args, **kwargs):
    code = run_command(*args, **kwargs)
    os.kill(os.getpid(), {signum})  # the command has ended: the program is only exiting
    print("signal sent", flush=True)
    return code


cli._main = then_signal
"""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["int", "term"])
def test_a_stop_signal_after_the_command_ended_changes_nothing(tmp_path: Path, signum: int) -> None:
    """A signal that arrives once ``analyze`` has returned (the program only exiting) found
    the handler the command had put back, ``Terminated`` or Python's own interrupt, outside
    every handler of the command line: a traceback and status 1 instead of the command's own.
    It is ignored from the moment the command ends: status 0, nothing on stderr."""
    from tests.conftest import make_tiny_checkpoint, write_rgb

    model = make_tiny_checkpoint(tmp_path / "tiny.safetensors")
    image = write_rgb(tmp_path / "a.png", 40, 48)
    out = tmp_path / "out"
    code = SIGNAL_AFTER_THE_COMMAND.format(signum=int(signum)) + _console_script()
    args = ["analyze", str(image), "--out", str(out), "--model", str(model), "--no-faces"]
    done = _run(code, args, tmp_path)
    assert "signal sent" in done.stdout, done.stderr[-3000:]  # the signal came after the command
    assert done.returncode == 0, done.stderr[-3000:]
    assert said_lines(done.stderr) == [], done.stderr[-3000:]  # its file's progress line only
    assert (out / "results.csv").is_file()
