"""What a stopped, killed or disk-full run leaves in its folder resumes to the run it continues:
``best.safetensors`` and the ``epoch-N`` snapshots of the epoch being validated, one
``history.jsonl`` row per validation, a checkpoint and resume file of one step."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from engine.checkpoints import read_meta, read_safetensors
from engine.ending import Terminated
from engine.torchload import load_torch_file
from tests.trainer.conftest import make_folder
from tests.trainer.test_training import _tiny_fit, _windows
from trainer.loops import FitConfig, steps_per_epoch

pytestmark = pytest.mark.usefixtures("seeded_single_thread")


class Killed(BaseException):
    """kill -9: the loop's stop handler never runs."""


def _scored() -> Callable[[torch.nn.Module], dict[str, Any]]:
    """A validation whose figure is a function of the weights alone: the n-th distinct model it
    sees scores 0.1 n (later epochs are better), and the same weights again score the same (a
    resumed run that reproduces the weights reproduces the figures). Shared by the runs that
    are compared."""
    seen: dict[bytes, float] = {}

    def validate(model: torch.nn.Module) -> dict[str, Any]:
        key = b"".join(v.detach().cpu().numpy().tobytes() for v in model.state_dict().values())
        return {"pixel_f1": seen.setdefault(key, 0.1 * (len(seen) + 1)), "images": 3}

    return validate


def _cfg(checkpoint_steps: int = 0) -> FitConfig:
    return FitConfig(
        epochs=2, batch_size=4, lr=1e-3, warmup_steps=2, checkpoint_minutes=0,
        checkpoint_steps=checkpoint_steps, keep_epochs=True, seed=0,
    )  # fmt: skip


def _history(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]


def _same_files(whole: Path, resumed: Path) -> None:
    """The resumed run's checkpoints and history are the uninterrupted run's."""
    for name in ("last.safetensors", "best.safetensors", "epoch-1.safetensors", "epoch-2.safetensors"):  # fmt: skip
        a, b = read_safetensors(whole / name), read_safetensors(resumed / name)
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a), name
        assert (
            read_meta(resumed / name).training["step"] == read_meta(whole / name).training["step"]
        )
    assert _history(resumed) == _history(whole)
    assert sorted(p.name for p in resumed.iterdir()) == sorted(p.name for p in whole.iterdir())


def _stop_at(
    target: str, monkeypatch: pytest.MonkeyPatch, error: BaseException, epoch: int = 2
) -> None:
    """Raise ``error`` once, where the end of ``epoch`` (2: the better one) is being recorded:
    ``history`` just after its row is appended, or as the file ``target`` (of epoch 2) starts
    being written."""
    from engine import files
    from trainer import loops

    if target == "history":
        real = loops.append_history
        rows = [0]

        def appended(out: Path, row: dict) -> None:
            real(out, row)
            rows[0] += 1
            if rows[0] == epoch:
                raise error

        monkeypatch.setattr(loops, "append_history", appended)
        return
    real_init = files.AtomicFile.__init__
    seen = [0]

    def opened(self: files.AtomicFile, path: str | Path, *args: Any, **kw: Any) -> None:
        if Path(path).name == target:
            seen[0] += 1
            if seen[0] == (2 if target == "best.safetensors" else 1):
                raise error
        real_init(self, path, *args, **kw)

    monkeypatch.setattr(files.AtomicFile, "__init__", opened)


@pytest.mark.parametrize("target", ["history", "best.safetensors", "epoch-2.safetensors"])
def test_a_stop_while_the_best_epoch_is_recorded_leaves_it_best_on_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    """Stop (SIGTERM) after epoch 2's validation found it the best, before its best.safetensors
    and epoch-2 snapshot were written: the stop wrote last.safetensors alone and a resume file
    whose best was already epoch 2's figure, so the resumed run either did not validate again
    or found the figure no better than itself, and best.safetensors stayed epoch 1's while the
    run's record said epoch 2 was the best. A stop after the row was appended also left that
    validation twice in history.jsonl."""
    root = make_folder(tmp_path / "d", 5, 2, seed=3)
    validate = _scored()
    whole = tmp_path / "whole"
    _tiny_fit(root, whole, _cfg(), "b", False, validate)
    assert read_meta(whole / "best.safetensors").training["metrics"]["pixel_f1"] == 0.2
    out = tmp_path / "parts"
    with monkeypatch.context() as m:
        _stop_at(target, m, Terminated())
        _, stopped, _ = _tiny_fit(root, out, _cfg(), "b", False, validate)
    assert stopped.interrupted  # type: ignore[attr-defined]
    _, result, _ = _tiny_fit(root, out, _cfg(), "b", True, validate)
    assert result.best == pytest.approx(0.2)  # type: ignore[attr-defined]
    _same_files(whole, out)


@pytest.mark.parametrize("epoch", [1, 2])
def test_a_kill_after_a_validation_row_leaves_it_once_in_the_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, epoch: int
) -> None:
    """kill -9 after an epoch's validation row was appended, before the checkpoint recording
    it: --resume validates that epoch again, and its row was appended a second time. Epoch 2:
    the resume file is of an earlier step (a checkpoint every 2 steps, epoch 2 ends at step
    5); epoch 1: a periodic checkpoint fell on the epoch's last step, so the resume file is of
    the very step the row is of (written before the validation)."""
    root = make_folder(tmp_path / "d", 5, 2, seed=3)
    per_epoch = steps_per_epoch(len(_windows(root, share=1.0)), 4)
    cfg = _cfg(2 if epoch == 2 else per_epoch)
    validate = _scored()
    whole = tmp_path / "whole"
    _tiny_fit(root, whole, cfg, "k", False, validate)
    out = tmp_path / "parts"
    with monkeypatch.context() as m, pytest.raises(Killed):
        _stop_at("history", m, Killed(), epoch)
        _tiny_fit(root, out, cfg, "k", False, validate)
    assert len(_history(out)) == epoch  # the epoch's row was appended before the kill
    _, result, _ = _tiny_fit(root, out, cfg, "k", True, validate)
    assert not result.interrupted  # type: ignore[attr-defined]
    _same_files(whole, out)


class _FullDisk:
    """A file whose writes find the disk full (as ``open`` returns it, the rest delegated)."""

    def __init__(self, f: Any) -> None:
        self._f = f

    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._f, name)


def test_a_full_disk_at_a_checkpoint_leaves_checkpoint_and_resume_file_of_one_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk full as the second checkpoint's resume file is written: the
    checkpoint had been replaced first, so last.safetensors was a step ahead of the resume
    file (w5: step 6 and step 3), and the one line ("last.resume.pt: No space left on device") did not say that the
    run can be resumed."""
    from engine import files

    real_open = open
    resume_writes = [0]

    def full_at_second(file: Any, mode: str = "r", *args: Any, **kw: Any) -> Any:
        f = real_open(file, mode, *args, **kw)
        if Path(file).name.startswith("last.resume.pt") and "w" in mode:
            resume_writes[0] += 1
            if resume_writes[0] == 2:
                return _FullDisk(f)
        return f

    monkeypatch.setattr(files, "open", full_at_second, raising=False)
    root = make_folder(tmp_path / "d", 5, 2, seed=3)
    out = tmp_path / "run"
    cfg = FitConfig(epochs=3, batch_size=4, warmup_steps=0, checkpoint_minutes=0,
                    checkpoint_steps=3, max_steps=8)  # fmt: skip
    with pytest.raises(OSError) as caught:
        _tiny_fit(root, out, cfg, "f", False)
    assert caught.value.filename == str(out / "last.resume.pt")
    assert caught.value.strerror == (
        "No space left on device; free space and run again with --resume"
    )
    state = load_torch_file(out / "last.resume.pt", "resume file")
    step = read_meta(out / "last.safetensors").training["step"]
    assert step == state["step"] < 8  # the first checkpoint's (epoch 1 ended at step 2)
    assert sorted(p.name for p in out.iterdir()) == ["last.resume.pt", "last.safetensors"]
