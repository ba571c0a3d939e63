"""Training with several processes: ``forensic-train fit --nproc N`` and what a run started by
``torchrun`` records about itself.

Method: the training loop (:func:`trainer.loops.fit`) already runs under ``torchrun`` with
DistributedDataParallel (see its module doc); this module only launches it and says how a
run was started. ``--nproc N`` is a shorthand that runs PyTorch's own launcher,
``python -m torch.distributed.run --standalone --nproc_per_node=N -m trainer.cli ...`` with the
same arguments less ``--nproc`` (a standard, maintained launcher rather than home-made
process plumbing: it sets ``RANK``/``WORLD_SIZE``/``MASTER_ADDR``, picks a free port, and ends
every rank when one fails). The command as the user typed it travels to the ranks in
:data:`COMMAND_ENV`, so the checkpoint records that command, not the launcher's.

Only rank 0 writes files (checkpoints, ``run.json``, ``history.jsonl``) and prints events;
:func:`rank` tells the others apart.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Sequence

from trainer.progress import EXIT_INTERRUPTED

COMMAND_ENV = "FORENSIC_TRAIN_COMMAND"  # the user's command, set by --nproc for its ranks


def rank() -> int:
    """This process's rank under torchrun (0 otherwise)."""
    return int(os.environ.get("RANK", "0"))


def world_size() -> int:
    """The number of training processes (1 without torchrun)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def launched_command(given: Sequence[str]) -> str:
    """How this run was started, to record in its checkpoints: ``forensic-train ...`` in one
    process, the ``--nproc`` command that launched the ranks, or the ``torchrun`` command."""
    if world_size() > 1 and os.environ.get(COMMAND_ENV):
        return os.environ[COMMAND_ENV]
    args = " ".join(map(shlex.quote, given))
    if world_size() == 1:
        return f"forensic-train {args}"
    local = int(os.environ.get("LOCAL_WORLD_SIZE", world_size()))
    nodes = f"--nnodes={world_size() // max(1, local)} " if local != world_size() else ""
    return f"torchrun {nodes}--nproc_per_node={local} -m trainer.cli {args}"


def without_nproc(argv: Sequence[str]) -> list[str]:
    """``argv`` less its ``--nproc N`` / ``--nproc=N``."""
    out: list[str] = []
    skip = False
    for a in argv:
        if skip:
            skip = False
        elif a == "--nproc":
            skip = True
        elif not a.startswith("--nproc="):
            out.append(a)
    return out


def launch(argv: Sequence[str], nproc: int) -> int:
    """Run ``forensic-train argv`` (without ``--nproc``) as ``nproc`` processes on this
    machine through ``torch.distributed.run``; its exit status. SIGTERM (the training dialog's
    stop) is passed on to the launcher, which passes it on to every rank: each writes its
    checkpoint and resume file as in one process."""
    if nproc < 1:
        raise ValueError(f"--nproc must be >= 1, got {nproc}")
    command = "forensic-train " + " ".join(map(shlex.quote, argv))
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc_per_node={nproc}",
        "-m",
        "trainer.cli",
        *without_nproc(argv),
    ]
    child = subprocess.Popen(cmd, env={**os.environ, COMMAND_ENV: command})
    stopped: list[int] = []

    def forward(signum: int, frame: object) -> None:
        stopped.append(signum)
        child.send_signal(signum)

    previous = signal.signal(signal.SIGTERM, forward)
    try:
        while True:
            try:
                code = child.wait()
                break
            except KeyboardInterrupt:  # Ctrl-C reached the launcher too; wait for the ranks
                stopped.append(signal.SIGINT)
    finally:
        signal.signal(signal.SIGTERM, previous)
    # torchrun reports ranks ended by a signal as a failure; they wrote their checkpoint and
    # resume file first, so the caller (the training dialog) hears "interrupted", as from one
    return EXIT_INTERRUPTED if stopped and code != 0 else code
