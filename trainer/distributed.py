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

Several machines: ``--nnodes M --node-rank R --master-addr HOST [--master-port P]`` on each
of the M machines (the same command but ``--node-rank``) pass through to torchrun's static
rendezvous (:class:`Rendezvous`) instead of ``--standalone``; rank 0 of node 0 listens on
HOST:P and every other rank connects there. Plain ``torchrun`` commands work as well; these
only spare typing its launcher and keep the recorded command the one the user typed.

Only the global rank 0 writes files (checkpoints, ``run.json``, ``history.jsonl``) and prints
events; :func:`rank` tells the others apart.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from engine.ending import exit_status, termination_signals

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


# the options of ``fit``/``pretrain`` that launch torchrun rather than train (each takes a value)
LAUNCH_OPTIONS = ("--nproc", "--nnodes", "--node-rank", "--master-addr", "--master-port")


@dataclass(frozen=True)
class Rendezvous:
    """Where the processes of a run meet: this machine alone (``nnodes`` 1, torchrun's
    ``--standalone``: a free local port), or node ``node_rank`` of ``nnodes`` machines that
    meet at ``master_addr:master_port`` (torchrun's static rendezvous: node 0 listens there, so
    ``master_addr`` is node 0's address and the port must be open to the other nodes)."""

    nnodes: int = 1
    node_rank: int = 0
    master_addr: str = ""
    master_port: int = 29500  # torchrun's own default

    def check(self) -> None:
        """Raise ValueError saying which option is wrong."""
        if self.nnodes < 1:
            raise ValueError(f"--nnodes must be >= 1, got {self.nnodes}")
        if not 0 <= self.node_rank < self.nnodes:
            raise ValueError(
                f"--node-rank must be in [0, {self.nnodes - 1}] for --nnodes {self.nnodes}, "
                f"got {self.node_rank}"
            )
        if self.nnodes > 1 and not self.master_addr:
            raise ValueError("--nnodes above 1 needs --master-addr (node 0's address)")
        if not 0 < self.master_port < 65536:
            raise ValueError(f"--master-port must be in [1, 65535], got {self.master_port}")

    def torchrun_args(self) -> list[str]:
        if self.nnodes == 1:
            return ["--standalone"]
        return [
            f"--nnodes={self.nnodes}",
            f"--node-rank={self.node_rank}",
            f"--master-addr={self.master_addr}",
            f"--master-port={self.master_port}",
        ]


def without_nproc(argv: Sequence[str]) -> list[str]:
    """``argv`` less the launcher's options (:data:`LAUNCH_OPTIONS`, as ``--opt V`` or
    ``--opt=V``): what each rank runs."""
    out: list[str] = []
    skip = False
    for a in argv:
        if skip:
            skip = False
        elif a in LAUNCH_OPTIONS:
            skip = True
        elif not a.startswith(tuple(f"{o}=" for o in LAUNCH_OPTIONS)):
            out.append(a)
    return out


def launch(argv: Sequence[str], nproc: int, nodes: Rendezvous | None = None) -> int:
    """Run ``forensic-train argv`` (without the launcher's options) as ``nproc`` processes on
    this machine through ``torch.distributed.run``, alone or as one node of ``nodes``; its
    exit status. SIGTERM (the training dialog's stop) and SIGHUP are passed on to the launcher, which
    passes it on to every rank: each writes its checkpoint and resume file as in one
    process."""
    if nproc < 1:
        raise ValueError(f"--nproc must be >= 1, got {nproc}")
    nodes = nodes or Rendezvous()
    nodes.check()
    command = "forensic-train " + " ".join(map(shlex.quote, argv))
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        *nodes.torchrun_args(),
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

    previous = {signum: signal.signal(signum, forward) for signum in termination_signals()}
    try:
        while True:
            try:
                code = child.wait()
                break
            except KeyboardInterrupt:  # Ctrl-C reached the launcher too; wait for the ranks
                stopped.append(signal.SIGINT)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    # torchrun reports ranks ended by a signal as a failure; they wrote their checkpoint and
    # resume file first, so the caller (the training dialog) hears "stopped" (143 for SIGTERM,
    # 130 for Ctrl-C), as from one process
    return exit_status(stopped[0]) if stopped and code != 0 else code
