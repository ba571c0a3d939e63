"""The data a checkpoint was trained on is recorded by its absolute path, so that ``eval`` and
``calibrate`` run from another folder still say their figures include training images; an
older checkpoint's path as typed is matched by its name, saying it cannot be decided (the
2026-12-05 walk-through: ``fit --data data`` stored ``"data"``, and ``cd /tmp && eval ...
--data /abs/data --split all`` left out its note)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from engine.checkpoints import load_checkpoint, read_meta, save_checkpoint
from tests.trainer.conftest import make_folder
from trainer import cli

pytestmark = pytest.mark.usefixtures("seeded_single_thread")


def _notes(capsys: pytest.CaptureFixture[str], ckpt: Path, data: Path) -> list[str]:
    assert cli.main(["eval", "--model", str(ckpt), "--data", str(data), "--threads", "1"]) == 0
    return [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("note: ")]


def test_eval_elsewhere_knows_the_data_a_relative_data_path_trained_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    root = make_folder(work / "data", 6, 3, seed=0, size=48)
    elsewhere.mkdir()
    monkeypatch.chdir(work)
    argv = ["fit", "--arch", "crfd-net-compact", "--data", "data", "--out", "run",
            "--model-config", "channels=8,16,32", "--window", "32", "--epochs", "1",
            "--max-steps", "1", "--split-by", "seed", "--val-fraction", "0.3", "--threads", "1"]  # fmt: skip
    assert cli.main(argv) == 0
    ckpt = work / "run" / "last.safetensors"
    training = read_meta(ckpt).training
    assert [d["path"] for d in training["data"]] == [str(root)]
    assert list(training["split"]) == [str(root)]
    monkeypatch.chdir(elsewhere)
    capsys.readouterr()
    (line,) = _notes(capsys, ckpt, root)
    assert line.startswith(f"note: {root} is data this checkpoint was trained on")

    # as a checkpoint written before the fix records it: the path as typed
    loaded = load_checkpoint(ckpt)
    old = {**training, "data": [{"path": "data", "weight": 1.0}], "split": {"data": {"by": "seed", "seed": 0, "val_fraction": 0.3, "val_images": 2, "train_images": 7}}}  # fmt: skip
    older = save_checkpoint(tmp_path / "older.safetensors", loaded.model,
                            dataclasses.replace(loaded.meta, training=old))  # fmt: skip
    (line,) = _notes(capsys, older, root)
    assert line.startswith(f"note: {root} may be data this checkpoint was trained on")
    assert "'data', relative to a working folder it does not record (it cannot be decided)" in line
    other = make_folder(tmp_path / "other", 2, 1, seed=3, size=48)
    assert _notes(capsys, older, other) == []  # another folder's name: no note
