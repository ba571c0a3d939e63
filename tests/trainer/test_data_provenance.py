"""A checkpoint records what its training data held, not only where it was, and the model it
started from by its absolute path (fine-tune walk-through, 2026-12-06: ``training.data`` was a
path only, and ``training.init`` as typed, ``resources/models/crfd-net-compact.safetensors``)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from engine.checkpoints import load_checkpoint, read_meta, save_checkpoint
from forensic_viewer.cli import main
from tests.trainer.conftest import make_folder, save_mask
from tests.trainer.test_cli import tiny_checkpoint
from trainer import cli
from trainer.setup import DATA_DIGEST, data_digest

pytestmark = pytest.mark.usefixtures("seeded_single_thread")


def test_the_digest_is_of_the_content_whatever_lists_it(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "d", 3, 2, seed=0, size=32)
    digest = data_digest(root)
    assert digest["images"] == 5 and len(digest["sha256"]) == 64
    pairs = [[f"d/Au/a00{i}.png", "Negative"] for i in range(2)]
    pairs += [[f"d/Tp/t00{i}.png", f"d/Gt/t00{i}.png"] for i in reversed(range(3))]
    listing = tmp_path / "list.json"
    listing.write_text(json.dumps(pairs))
    # a list's paths are relative to its folder, a folder's to itself: the same files,
    # named one level apart, give digests that differ only by those names
    assert data_digest(listing)["images"] == 5
    save_mask(root / "Gt" / "t001.png", np.zeros((32, 32), np.uint8))  # one mask redrawn
    assert data_digest(root)["sha256"] != digest["sha256"]


def test_fit_records_the_data_digest_and_an_absolute_init(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_folder(tmp_path / "data", 6, 3, seed=0, size=48)
    tiny_checkpoint(tmp_path / "start.safetensors")
    monkeypatch.chdir(tmp_path)
    argv = ["fit", "--arch", "crfd-net-compact", "--data", "data", "--out", "run",
            "--init", "start.safetensors", "--window", "32", "--epochs", "1",
            "--max-steps", "1", "--split-by", "seed", "--val-fraction", "0.3", "--threads", "1"]  # fmt: skip
    assert cli.main(argv) == 0
    training = read_meta(tmp_path / "run" / "last.safetensors").training
    (data,) = training["data"]
    assert data["path"] == str(root) and data["sha256"] == data_digest(root)["sha256"]
    assert data["images"] == 9 and training["data_sha256_of"] == DATA_DIGEST
    assert training["init"] == str(tmp_path / "start.safetensors")


def test_models_name_says_the_datas_digest(tmp_path: Path, capsys) -> None:
    """``models NAME`` of a checkpoint without a card (one the user trained) says the data it
    was trained on with the digest of its content."""
    path = tiny_checkpoint(tmp_path / "m" / "lab.safetensors")
    loaded = load_checkpoint(path)
    data = {"path": "/lab/data", "weight": 1.0, "sha256": "ab" * 32, "images": 9}
    meta = dataclasses.replace(loaded.meta, name="lab", training={"step": 3, "data": [data]})
    save_checkpoint(path, loaded.model, meta)
    assert main(["models", "lab", "--extra", str(path.parent)]) == 0
    out = capsys.readouterr().out
    assert f"trained on: /lab/data (content SHA-256 {'ab' * 32}, 9 images)" in out
