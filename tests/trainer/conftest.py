"""Tiny data sets made in the test: textured images with exactly known forgeries.

The forgery is the artefact CRFD-Net targets: a rectangle re-synthesised by 2x down-sampling and
nearest up-sampling on the even pixel grid, so every 2x2 block inside it holds one value while
the texture around it has independent pixel noise. A small network can learn it in seconds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

TINY = {"channels": (8, 16, 32)}  # crfd-net-compact overrides for CPU tests
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class TrainerProcess:
    """A ``forensic-train`` command running in a child process (:func:`start_trainer`), its
    stdout and stderr lines collected as they come by threads of their own."""

    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    errs: list[str] = field(default_factory=list)

    def wait_for_checkpoint(self) -> None:
        """Until the run reports a checkpoint; fails when it ends first or none comes in
        ``HANG_S``."""
        from tests.conftest import HANG_S

        deadline = time.monotonic() + HANG_S
        while not any('"event": "checkpoint"' in line for line in self.lines):
            assert self.proc.poll() is None, "the run ended first: " + "".join(self.errs)
            assert time.monotonic() < deadline, "no checkpoint came"
            time.sleep(0.05)


def start_trainer(argv: list[str]) -> TrainerProcess:
    """``python -m trainer.cli argv`` from the checkout, its output read as it comes."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "trainer.cli", *argv],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    run = TrainerProcess(proc)
    threading.Thread(target=lambda: run.lines.extend(proc.stdout or ()), daemon=True).start()
    threading.Thread(target=lambda: run.errs.extend(proc.stderr or ()), daemon=True).start()
    return run


def texture(rng: np.random.Generator, size: int = 64) -> np.ndarray:
    """A smooth random colour field plus independent pixel noise, uint8 [size, size, 3]."""
    base = cv2.GaussianBlur(rng.normal(0, 1, (size, size, 3)).astype(np.float32), (0, 0), 3)
    base = 128 + 40 * base / (base.std() + 1e-6) + rng.normal(0, 10, (size, size, 3))
    return np.clip(base, 0, 255).astype(np.uint8)


def forged(rng: np.random.Generator, size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """A texture with a resampled rectangle on the even grid, and its {0, 1} mask."""
    img = texture(rng, size)
    up = np.repeat(np.repeat(img[::2, ::2], 2, 0), 2, 1)
    m = np.zeros((size, size), np.uint8)
    h, w = 2 * int(rng.integers(6, 14)), 2 * int(rng.integers(6, 14))
    y, x = 2 * int(rng.integers(0, (size - h) // 2)), 2 * int(rng.integers(0, (size - w) // 2))
    m[y : y + h, x : x + w] = 1
    img[m > 0] = up[m > 0]
    return img, m


def save_rgb(path: Path, rgb: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), np.ascontiguousarray(rgb[..., ::-1]))


def save_mask(path: Path, mask: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), (mask > 0).astype(np.uint8) * 255)


def make_folder(
    root: Path, n_tp: int, n_au: int, seed: int, size: int = 64, casia_names: bool = False
) -> Path:
    """A format-(a) folder. With ``casia_names`` files are named like CASIA v1 with source ids."""
    rng = np.random.default_rng(seed)
    for i in range(n_tp):
        img, m = forged(rng, size)
        if casia_names:
            a, b = 2 * i + 1, 2 * i + 2
            stem = f"Sp_D_NNN_A_ani{a:04d}_ani{b:04d}_{i:04d}"
        else:
            stem = f"t{i:03d}"
        save_rgb(root / "Tp" / f"{stem}.png", img)
        save_mask(root / "Gt" / f"{stem}.png", m)
    for i in range(n_au):
        stem = f"Au_ani_{2 * i + 1:04d}" if casia_names else f"a{i:03d}"
        save_rgb(root / "Au" / f"{stem}.png", texture(rng, size))
    return root


def fit_steps(
    objective: Callable[..., tuple[torch.Tensor, object]],
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    steps: int,
    *batch: torch.Tensor,
) -> list[float]:
    """``steps`` optimizer steps of ``model`` on one batch, each on the loss that
    ``objective(model, *batch)`` returns; the loss of each step (the objective tests watch it
    fall)."""
    losses = []
    for _ in range(steps):
        loss, _ = objective(model, *batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    return losses


def mask_f1(pred: torch.Tensor, truth: torch.Tensor) -> float:
    """Pixel F1 of a boolean predicted mask against a boolean true one; 0 when both are empty."""
    tp = int((pred & truth).sum())
    return 2 * tp / max(1, 2 * tp + int((pred ^ truth).sum()))


@pytest.fixture
def seeded_single_thread() -> Iterator[None]:
    """Seed, and run torch on one thread: on a small shared machine, several intra-op threads
    competing with other processes make these tiny networks ten times slower, not faster."""
    torch.manual_seed(0)
    np.random.seed(0)
    threads, cv_threads = torch.get_num_threads(), cv2.getNumThreads()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    yield
    torch.set_num_threads(threads)
    cv2.setNumThreads(cv_threads)
