"""Reading ``torch.save`` files a user names (issue 16, item 6): one line naming the file, never
PyTorch's advice to retry with ``weights_only=False``, and never any code run."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import torch

from engine.errors import CheckpointError
from engine.models.backbones import read_state_dict
from engine.torchload import load_torch_file


class Hostile:
    """Unpickling this would run ``touch MARKER``."""

    marker: Path

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {Hostile.marker}",))


def hostile_files(folder: Path) -> list[Path]:
    """The same code-running object as a bare pickle and inside a ``torch.save`` zip."""
    Hostile.marker = folder / "code-ran"
    bare, zipped = folder / "bare.pt", folder / "zipped.pth"
    bare.write_bytes(pickle.dumps({"model": {"w": Hostile()}}))
    torch.save({"state_dict": {"w": Hostile()}}, zipped)
    return [bare, zipped]


def assert_refused(error: BaseException, path: Path) -> None:
    message = str(error)
    assert message.startswith(f"{path}: ") and "\n" not in message, message
    assert "weights_only" not in message and "Weights only" not in message, message
    assert "refused, as unpickling it could run code" in message, message


def test_hostile_pickles_are_refused_in_one_line_and_nothing_runs(tmp_path: Path) -> None:
    for path in hostile_files(tmp_path):
        with pytest.raises(CheckpointError) as e:
            load_torch_file(path, "resume file")
        assert_refused(e.value, path)
        assert str(e.value).startswith(f"{path}: cannot read resume file: ")
        with pytest.raises(CheckpointError) as e:
            read_state_dict(path, "backbone weights")
        assert_refused(e.value, path)
    assert not Hostile.marker.exists()


def test_damaged_and_missing_files_are_named_without_the_advice(tmp_path: Path) -> None:
    good = tmp_path / "good.pt"
    torch.save({"w": torch.ones(3)}, good)
    assert torch.equal(load_torch_file(good)["w"], torch.ones(3))
    cut = tmp_path / "cut.pt"
    cut.write_bytes(good.read_bytes()[:100])
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"garbage" * 10)  # PyTorch gives bytes that are no pickle the same advice
    for path, says in (
        (cut, "damaged state dict file: not a readable PyTorch file"),
        (empty, "empty or truncated"),
        (junk, "not a file of plain tensors"),
        (tmp_path / "absent.pt", "no such state dict file"),
    ):
        with pytest.raises(CheckpointError) as e:
            load_torch_file(path, "state dict file")
        message = str(e.value)
        assert message.startswith(f"{path}: ") and says in message and "\n" not in message
        assert "weights_only" not in message
