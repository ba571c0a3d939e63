"""Reading ``fit``'s resume file (``RUN/last.resume.pt``, written by :mod:`trainer.loops`):
read whole (:func:`engine.torchload.load_torch_file`: tensors and plain values only), its
weights tried on the model and its position checked, so that ``fit --resume`` refuses a file
that is no resume file, a damaged one or another architecture's before it decodes the training
images, in the words :func:`trainer.loops.fit` uses when it applies the file."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from engine.errors import CheckpointError
from engine.torchload import load_torch_file
from trainer.plan import RESUME_NAME
from trainer.run_folder import resume_advice


@contextlib.contextmanager
def of_this_run(out_dir: Path) -> Iterator[None]:
    """What reading the resume file's contents raises, said as one line naming it: a file of
    another run or architecture (a key missing, tensors of other shapes)."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError, RuntimeError) as e:
        brief = " ".join(str(e).split())[:200]
        raise CheckpointError(
            out_dir / RESUME_NAME,
            f"not a resume file of this run ({type(e).__name__}: {brief}); "
            + resume_advice(out_dir),
        ) from e


def position(state: dict[str, Any]) -> tuple[int, int, int, float, Any, dict[str, Any], bool]:
    """Where the resume file's run stopped: step, epoch, batch in the epoch, wall seconds, best
    score, the last validation's figures and whether a validation was under way."""
    return (
        int(state["step"]),
        int(state["epoch"]),
        int(state["batch"]),
        float(state["wall_seconds"]),
        state.get("best"),
        json.loads(state.get("last_metrics", "{}")),
        bool(state.get("val_pending", False)),
    )


def read_resume(out_dir: str | Path, model: nn.Module) -> dict[str, Any]:
    """``out_dir``'s resume file, read, its weights loaded into ``model`` and its position
    checked. ``fit --resume`` calls it before the data are decoded and hands the state to
    :func:`fit`: a file that is no resume file, a damaged one or another architecture's was
    refused only after every training image had been decoded (tens of seconds on CASIA).
    Raises :class:`~engine.errors.CheckpointError` (one line, with what to do)."""
    out_dir = Path(out_dir)
    path = out_dir / RESUME_NAME
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no resume file to continue from")
    try:
        state = load_torch_file(path, "resume file")
    except CheckpointError as e:  # what to do, as fit's check before the data says it
        raise CheckpointError(path, f"{e.reason}; {resume_advice(out_dir)}") from e
    with of_this_run(out_dir):
        model.load_state_dict(state["model"])
        position(state)
        if not isinstance(state.get("optimizer"), dict):  # its shapes: fit's optimizer checks
            raise KeyError("optimizer")
    return state


def validated_step(state: dict[str, Any]) -> int:
    """The step of the last validation whose ``history.jsonl`` row the resume file's state
    includes (rows after it are dropped on resume: :func:`trainer.run_folder.drop_history_after`).
    A file written before it was recorded: its step, or the step before when a validation was
    under way (a stop after its row was appended but before it was done)."""
    if "validated_step" in state:
        return int(state["validated_step"])
    step = int(state["step"])
    return step - 1 if state.get("val_pending") else step


def step_seed(seed: int, step: int) -> int:
    """The seed of torch's generators for optimizer step ``step`` of a run seeded ``seed``."""
    mixed = np.random.SeedSequence([seed % 2**64, step]).generate_state(2, np.uint32)
    return int(mixed[0]) << 32 | int(mixed[1])


@contextlib.contextmanager
def step_random(seed: int, step: int, device: torch.device) -> Iterator[None]:
    """Inside, torch's global generators (the CPU's and ``device``'s) draw from a state that is
    a function of (seed, step) alone, so the random draws of a training step (DiffForensics' t
    and noise, drop-path, dropout) are the same whether the run was stopped and resumed or not;
    outside, the generators go on as if the block had not run.

    Saving the generators' state in the resume file would not do: a step's draws then depended
    on every draw made since the run began, and the epoch's DataLoader draws its base seed from
    the same generator when its iterator starts, at the epoch's start in a run that was not
    stopped but at the resume in one that was. A resumed DiffForensics run replayed the noise,
    timesteps and drop-path of the run's first steps."""
    devices = []
    if device.type == "cuda":
        devices = [device.index if device.index is not None else torch.cuda.current_device()]
    with torch.random.fork_rng(devices=devices, device_type=device.type):
        torch.manual_seed(step_seed(seed, step))
        yield
