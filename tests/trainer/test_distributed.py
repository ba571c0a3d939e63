"""Training with several processes (issue 22): DistributedDataParallel under torchrun gives the
one-process loss trajectory for the same global batch, only rank 0 writes files, a run resumes
with another number of processes, and the checkpoint says how it was run; the same across two
"nodes" (two torchrun launches on this machine meeting at 127.0.0.1).

The torchrun test starts 2 CPU processes that import torch (30-60 s on the loaded 2-core
machine) and is marked slow; the batch arithmetic and the recorded command are checked fast.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from engine.checkpoints import read_meta
from tests.conftest import HANG_S
from tests.trainer.conftest import make_folder
from trainer.cli import main
from trainer.distributed import COMMAND_ENV, launched_command, without_nproc
from trainer.loops import _batches, steps_per_epoch

ROOT = Path(__file__).resolve().parents[2]
# The tolerance of the loss trajectory, relative. The samples, the class-balancing share and
# the averaged gradient are those of the global batch; what differs is BatchNorm, whose
# statistics each CPU process takes over its own half of the batch (gloo has no
# SyncBatchNorm). Measured on steps 3-6: at most 0.9 % (0.54, 0.42, 0.12, 0.83 %); the
# trajectory of another global batch (2 instead of 4) differs by up to 27 %. Two nodes of one
# process (2026-12-02): steps 1-4 0.002, 0.61, 0.89, 0.11 %; resumed by one process, steps 5-6
# 0.69, 1.10 %.
RTOL = 0.03


@pytest.mark.parametrize(("n", "batch", "world"), [(13, 4, 1), (13, 4, 2), (16, 4, 2), (9, 3, 3)])
def test_the_ranks_split_the_batches_of_one_process(n: int, batch: int, world: int) -> None:
    one = _batches(n, 0, batch, 0, 1)
    ranks = [_batches(n, 0, batch, r, world) for r in range(world)]
    assert all(len(r) == steps_per_epoch(n, batch, world) for r in ranks)  # the same steps
    for step, batches in enumerate(zip(*ranks, strict=True)):
        assert len({len(b) for b in batches}) == 1  # the same share each
        merged = sorted(i for b in batches for i in b)
        # each step sees the one-process batch, a last short one cut to a multiple of world
        assert merged == one[step][: len(one[step]) - len(one[step]) % world]
    assert _batches(n, 2, batch, 0, world) == ranks[0][2:]  # resume: a batch index, any world


def test_the_recorded_command_says_how_the_run_was_started(monkeypatch) -> None:
    for var in ("WORLD_SIZE", "LOCAL_WORLD_SIZE", COMMAND_ENV):
        monkeypatch.delenv(var, raising=False)
    given = ["fit", "--out", "my run", "--nproc", "2"]
    assert launched_command(given) == "forensic-train fit --out 'my run' --nproc 2"
    assert without_nproc(given) == ["fit", "--out", "my run"]
    assert without_nproc(["fit", "--nproc=3", "--out", "o"]) == ["fit", "--out", "o"]
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    assert launched_command(["fit"]) == "torchrun --nnodes=2 --nproc_per_node=2 -m trainer.cli fit"
    monkeypatch.setenv(COMMAND_ENV, "forensic-train fit --nproc 4")
    assert launched_command(["fit"]) == "forensic-train fit --nproc 4"


def test_nproc_must_be_positive(tmp_path: Path, capsys) -> None:
    code = main(["fit", "--arch", "crfd-net-compact", "--data", str(tmp_path), "--out",
                 str(tmp_path / "o"), "--nproc", "0"])  # fmt: skip
    assert code == 2 and "--nproc must be >= 1" in capsys.readouterr().err


def _steps(stdout: str) -> list[dict[str, Any]]:
    events = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    return [e for e in events if e["event"] == "step"]


def _tiny_fit(tmp_path: Path) -> list[str]:
    """A few deterministic steps of a tiny CRFD-Net on a made folder, one thread, no validation:
    the run the distributed tests repeat with one, two and two-node processes."""
    data = make_folder(tmp_path / "data", 24, 8, seed=0)
    return [
        "fit", "--arch", "crfd-net-compact", "--model-config", "channels=8,16,32",
        "--data", str(data), "--window", "32", "--aug", "none", "--no-val", "--seed", "0",
        "--schedule", "constant", "--warmup", "0", "--lr", "3e-3", "--epochs", "1",
        "--checkpoint-minutes", "0", "--device", "cpu", "--threads", "1", "--log-every", "1",
    ]  # fmt: skip


@pytest.mark.slow
def test_two_processes_follow_one_and_only_rank_0_writes(
    tmp_path: Path, capsys, seeded_single_thread: None
) -> None:
    base = _tiny_fit(tmp_path)
    one, two, other = tmp_path / "one", tmp_path / "two", tmp_path / "other"
    assert main([*base, "--batch-size", "4", "--max-steps", "6", "--out", str(one)]) == 0
    reference = _steps(capsys.readouterr().out)
    assert main([*base, "--batch-size", "2", "--max-steps", "6", "--out", str(other)]) == 0
    smaller = _steps(capsys.readouterr().out)
    # begun in one process (resume file at step 2), continued with two under torchrun
    begun = [*base, "--batch-size", "4", "--checkpoint-steps", "2", "--out", str(two)]
    assert main([*begun, "--max-steps", "2"]) == 0
    capsys.readouterr()
    audit = tmp_path / "audit"
    audit.mkdir()
    run = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         "-m", "tests.trainer.rank_audit", str(audit), *begun, "--max-steps", "6", "--resume"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=HANG_S,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    ddp = _steps(run.stdout)
    assert [e["step"] for e in ddp] == [3, 4, 5, 6]  # rank 0 alone logs: each step once
    ref = [e["loss"] for e in reference[2:]]
    got = [e["loss"] for e in ddp]
    assert got == pytest.approx(ref, rel=RTOL)
    far = max(abs(a - b) / b for a, b in zip([e["loss"] for e in smaller[2:]], ref, strict=True))
    assert far > RTOL  # another global batch is told apart
    written = {r: (audit / f"rank-{r}.txt").read_text().split() for r in (0, 1)}
    assert written[1] == []
    assert str(two / "last.safetensors") in written[0] or any(
        p.startswith(str(two / "last.safetensors")) for p in written[0]
    )
    training = read_meta(two / "last.safetensors").training
    assert (training["step"], training["processes"], training["backend"]) == (6, 2, "gloo")
    assert training["command"].startswith("torchrun --nproc_per_node=2 -m trainer.cli fit ")


def test_nproc_launches_torchrun_and_a_stop_reaches_it_and_reads_as_interrupted(
    monkeypatch,
) -> None:
    import signal

    import trainer.distributed as distributed

    started: list[dict[str, Any]] = []

    class FakeLauncher:
        """torchrun that is stopped while it runs and then reports its ranks as failed."""

        def __init__(self, cmd: list[str], env: dict[str, str]) -> None:
            started.append({"cmd": cmd, "env": env, "signals": []})

        def send_signal(self, signum: int) -> None:
            started[-1]["signals"].append(signum)

        def wait(self) -> int:
            if not started[-1]["signals"]:  # the training dialog's stop, as the handler
                # launch() installed receives it; a real SIGTERM to the test process crashed
                # it (SIGSEGV) once earlier tests had loaded native libraries with handlers
                handler = signal.getsignal(signal.SIGTERM)
                assert callable(handler), "launch() installed no SIGTERM handler"
                handler(signal.SIGTERM, None)
            return 1

    monkeypatch.setattr(distributed.subprocess, "Popen", FakeLauncher)
    before = signal.getsignal(signal.SIGTERM)
    argv = ["fit", "--out", "run", "--nproc", "2", "--epochs", "3"]
    assert distributed.launch(argv, 2) == 143  # EXIT_TERMINATED (SIGTERM): resume is offered
    assert signal.getsignal(signal.SIGTERM) is before
    (run,) = started
    assert run["signals"] == [signal.SIGTERM]
    assert run["cmd"][1:5] == ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    assert run["cmd"][5:] == ["-m", "trainer.cli", "fit", "--out", "run", "--epochs", "3"]
    assert run["env"][COMMAND_ENV] == "forensic-train " + " ".join(argv)


def test_the_node_options_pass_through_to_torchrun_and_are_checked(monkeypatch, capsys) -> None:
    import trainer.distributed as distributed

    started: list[list[str]] = []

    class Launcher:
        def __init__(self, cmd: list[str], env: dict[str, str]) -> None:
            started.append(cmd)

        def wait(self) -> int:
            return 0

    monkeypatch.setattr(distributed.subprocess, "Popen", Launcher)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    nodes = ["--nnodes", "2", "--node-rank=1", "--master-addr", "head", "--master-port", "2950"]
    argv = ["fit", "--arch", "crfd-net-compact", "--data", "d", "--out", "o", *nodes]
    assert main(argv) == 0
    (cmd,) = started
    assert cmd[3:8] == [
        "--nnodes=2", "--node-rank=1", "--master-addr=head", "--master-port=2950",
        "--nproc_per_node=1",
    ]  # fmt: skip
    assert cmd[8:] == ["-m", "trainer.cli", "fit", "--arch", "crfd-net-compact", "--data", "d",
                       "--out", "o"]  # fmt: skip
    for bad, says in [
        (["--nnodes", "2"], "--nnodes above 1 needs --master-addr"),
        (
            ["--nnodes", "2", "--node-rank", "2", "--master-addr", "h"],
            "--node-rank must be in [0, 1]",
        ),
        (["--nnodes", "0"], "--nnodes must be >= 1"),
        (["--nnodes", "2", "--master-addr", "h", "--master-port", "0"], "--master-port must be"),
    ]:
        assert main([*argv[:7], *bad]) == 2
        assert says in capsys.readouterr().err
    assert len(started) == 1  # nothing launched for a bad option


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_two_nodes_follow_one_process_only_global_rank_0_writes_and_one_process_resumes(
    tmp_path: Path, capsys, seeded_single_thread: None
) -> None:
    """Two "nodes" on this machine: two launches of torchrun (static rendezvous at
    127.0.0.1 and a free port, one process each), node 0 through the ``--nnodes`` shorthand,
    node 1 as a plain torchrun command under the write audit."""
    base = [*_tiny_fit(tmp_path), "--batch-size", "4"]
    one, two = tmp_path / "one", tmp_path / "two"
    assert main([*base, "--max-steps", "6", "--out", str(one)]) == 0
    reference = [e["loss"] for e in _steps(capsys.readouterr().out)]
    port = _free_port()
    run = [*base, "--max-steps", "4", "--checkpoint-steps", "2", "--out", str(two)]
    nodes = ["--nnodes", "2", "--master-addr", "127.0.0.1", "--master-port", str(port)]
    audit = tmp_path / "audit"
    audit.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    env.pop("WORLD_SIZE", None)
    node0 = subprocess.Popen(
        [sys.executable, "-m", "trainer.cli", *run, *nodes, "--node-rank", "0"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    node1 = subprocess.Popen(
        [sys.executable, "-m", "torch.distributed.run", "--nnodes=2", "--node-rank=1",
         "--nproc-per-node=1", "--master-addr=127.0.0.1", f"--master-port={port}",
         "-m", "tests.trainer.rank_audit", str(audit), *run],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        out0, err0 = node0.communicate(timeout=HANG_S)
        out1, err1 = node1.communicate(timeout=HANG_S)
    finally:
        for p in (node0, node1):
            if p.poll() is None:
                p.kill()
    assert node0.returncode == 0, err0[-2000:]
    assert node1.returncode == 0, err1[-2000:]
    ddp = _steps(out0)
    assert [e["step"] for e in ddp] == [1, 2, 3, 4] and _steps(out1) == []  # rank 0 alone logs
    assert [e["loss"] for e in ddp] == pytest.approx(reference[:4], rel=RTOL)
    assert (audit / "rank-1.txt").read_text() == ""  # the global rank 1 wrote nothing
    training = read_meta(two / "last.safetensors").training
    assert (training["step"], training["processes"], training["backend"]) == (4, 2, "gloo")
    typed = f"forensic-train {' '.join(run)} {' '.join(nodes)} --node-rank 0"
    assert training["command"] == typed  # the command as node 0's user typed it
    # resumed in one process from the two nodes' checkpoint: the one-process trajectory goes on
    assert main([*base, "--max-steps", "6", "--out", str(two), "--resume"]) == 0
    resumed = _steps(capsys.readouterr().out)
    assert [e["step"] for e in resumed] == [5, 6]
    assert [e["loss"] for e in resumed] == pytest.approx(reference[4:], rel=RTOL)
    training = read_meta(two / "last.safetensors").training
    assert (training["step"], training["processes"]) == (6, 1)
