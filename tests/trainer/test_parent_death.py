"""A trainer started by the training dialog stops with a checkpoint when the viewer dies
without quitting (killed, crashed): it trained on as an orphan, in a run folder that read as
stopped (Resume in a new viewer then ran a second trainer in it), until its end or until its
next progress line failed on the broken pipe, losing the steps since its last checkpoint.

The parent here is a small Python process that starts ``forensic-train fit`` as the dialog's
:class:`~forensic_viewer.gui.trainer_process.TrainerProcess` does (its process id in
``FORENSIC_TRAIN_STOP_WITH_PARENT``), then is killed by SIGKILL. The trainer's output goes to a
file, not a pipe, so nothing but the parent's death can stop it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.ending import PARENT_ENV
from tests.conftest import HANG_S
from tests.trainer.conftest import make_folder
from trainer.plan import LAST_CHECKPOINT, RESUME_NAME

ROOT = Path(__file__).resolve().parents[2]

PARENT = """
import os, subprocess, sys, time
argv, log = sys.argv[2:], open(sys.argv[1], "w")
env = {**os.environ, "FORENSIC_TRAIN_STOP_WITH_PARENT": str(os.getpid())}
child = subprocess.Popen([sys.executable, "-m", "trainer.cli", *argv], env=env, stdout=log, stderr=log)
print(child.pid, flush=True)
time.sleep(3600)
"""


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie left for init to reap has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl(PR_SET_PDEATHSIG)")
@pytest.mark.slow
def test_the_trainer_stops_with_a_checkpoint_when_its_viewer_is_killed(tmp_path: Path) -> None:
    assert PARENT_ENV in PARENT
    data = make_folder(tmp_path / "d", 4, 4, seed=0, size=48)
    out, log = tmp_path / "run", tmp_path / "fit.log"
    argv = ["fit", "--arch", "crfd-net-compact", "--data", str(data), "--out", str(out)]
    argv += ["--model-config", "channels=8,16,32", "--window", "32", "--threads", "1"]
    argv += ["--epochs", "100000", "--no-val", "--log-every", "1", "--checkpoint-minutes", "0"]
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(log), *argv],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    trainer = int(parent.stdout.readline())
    try:
        deadline = time.monotonic() + HANG_S
        while '"event": "step"' not in log.read_text(encoding="utf-8"):
            assert _running(trainer), log.read_text(encoding="utf-8")[-2000:]
            assert time.monotonic() < deadline, "no training step"
            time.sleep(0.05)
        parent.send_signal(signal.SIGKILL)  # the viewer dies without quitting
        parent.wait()
        deadline = time.monotonic() + HANG_S
        while _running(trainer) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _running(trainer), "the trainer trains on without its viewer"
    finally:
        if _running(trainer):
            os.kill(trainer, signal.SIGKILL)
    text = log.read_text(encoding="utf-8")
    assert "interrupted at step" in text and "continue with --resume" in text, text[-2000:]
    assert (out / LAST_CHECKPOINT).is_file() and (out / RESUME_NAME).is_file()
