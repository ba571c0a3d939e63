"""``forensic-train`` stopped by an impatient user: Ctrl+C or SIGTERM sent three times still
ends with the exit status of the first (130 or 143) and its lines, no traceback. SIGHUP (the
terminal closed) stops it as SIGTERM does (129): it ended the process by its default, the steps
since the last checkpoint lost; under ``nohup`` (SIGHUP ignored from the start) it trains on.

The first signal was handled (a checkpoint and resume file, "interrupted at step N"); the others
came while the program was already ending (writing, then its exit hooks and torch's teardown,
seconds), where one was printed as a KeyboardInterrupt traceback or, once Python had put back
the default handler, killed the process by SIGINT: status -2 for the parent process (the
training dialog, a batch wrapper), not 130; a second SIGTERM while the stop's checkpoint was
written cut it short with a traceback (exit 1). Run as the program (``python -m``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import HANG_S, hang_up_as_default
from tests.trainer.conftest import make_folder
from trainer.plan import RESUME_NAME

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("signum", "status"),
    [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)],
    ids=["int", "term", "hup"],
)
def test_a_stop_signal_sent_three_times_still_exits_with_the_first_ones_status(
    tmp_path: Path, signum: int, status: int
) -> None:
    data = make_folder(tmp_path / "d", 4, 4, seed=0, size=48)
    argv = ["fit", "--arch", "crfd-net-compact", "--data", str(data), "--out", str(tmp_path / "r")]
    tiny = ["--model-config", "channels=8,16,32", "--window", "32", "--threads", "1"]
    fit = subprocess.Popen(
        [sys.executable, "-m", "trainer.cli", *argv, *tiny, "--epochs", "200", "--no-val"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        preexec_fn=hang_up_as_default,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.extend(fit.stdout or ()), daemon=True)
    reader.start()
    deadline = time.monotonic() + HANG_S
    while not any('"event": "step"' in line for line in out):
        assert fit.poll() is None, "the run ended before it could be stopped"
        assert time.monotonic() < deadline, "no training step"
        time.sleep(0.02)
    for _ in range(3):
        fit.send_signal(signum)
        time.sleep(0.2)
    _, err = fit.communicate(timeout=HANG_S)
    assert fit.returncode == status, err[-3000:]
    assert "Traceback" not in err and "Exception ignored" not in err, err[-3000:]
    last = err.strip().splitlines()[-1]
    assert any(w in last for w in ("interrupted", "terminated", "hung up")), err[-3000:]
    # the files of the first stop were written whole: a second SIGTERM had cut them short (a
    # traceback, exit 1) and, before the first checkpoint, --out was put back: the run was lost
    assert (tmp_path / "r" / RESUME_NAME).is_file()


# sys.argv[1]: where the signal is sent: "fit" once _cmd_fit has returned (its own handler
# put back), "main" once the whole command has returned, before main ignores the stop signals;
# sys.argv[2]: the signal's number
LATE_TERM = """
import os, signal, sys, types

import trainer.cli as cli

where, signum = sys.argv[1], int(sys.argv[2])
commands = types.ModuleType("trainer.commands")  # fit's run, finished at once without torch
commands.run_fit = lambda args, stage, command: 0
sys.modules["trainer.commands"] = commands


def then_sigterm(real):
    def hooked(*args):
        status = real(*args)
        os.kill(os.getpid(), signum)
        return status

    return hooked


if where == "fit":
    cli._cmd_fit = then_sigterm(cli._cmd_fit)
else:
    cli._main = then_sigterm(cli._main)
sys.argv = ["forensic-train", "fit", "--arch", "crfd-net-compact", "--data", "d", "--out", "r"]
sys.exit(cli.main())
"""


@pytest.mark.parametrize("where", ["fit", "main"])
@pytest.mark.parametrize(
    ("signum", "status", "words"),
    [
        (signal.SIGTERM, 143, "terminated (SIGTERM)"),
        (signal.SIGINT, 130, "interrupted (Ctrl+C)"),
        (signal.SIGHUP, 129, "hung up (SIGHUP)"),
    ],
    ids=["term", "int", "hup"],
)
def test_a_stop_signal_as_the_command_ends_exits_with_one_line(
    tmp_path: Path, where: str, signum: int, status: int, words: str
) -> None:
    """Between ``fit`` putting back the handler it found and ``main`` ignoring the stop
    signals, the handler was the signal's default: a SIGTERM there (the dialog's Stop as a run
    ended) killed the process, status -15, without a word; a Ctrl+C there printed a traceback
    (status 1). The signal is sent from a hook at that very point, in a child run as the
    program."""
    done = subprocess.run(
        [sys.executable, "-c", LATE_TERM, where, str(int(signum))],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        preexec_fn=hang_up_as_default,
        capture_output=True,
        text=True,
        timeout=HANG_S,
    )
    lines = done.stderr.strip().splitlines()
    assert done.returncode == status, done.stderr
    assert len(lines) == 1 and words in lines[0], done.stderr


@pytest.mark.parametrize("where", ["fit", "main"])
def test_a_hang_up_under_nohup_stops_nothing(tmp_path: Path, where: str) -> None:
    """``nohup forensic-train fit ...`` starts the program with SIGHUP ignored, so that a run
    outlives its terminal: the program must not put a handler of its own over that."""
    done = subprocess.run(
        [sys.executable, "-c", LATE_TERM, where, str(int(signal.SIGHUP))],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=HANG_S,
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN),  # as nohup does
    )
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr
