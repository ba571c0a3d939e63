"""A checkpoint named ``X.SAFETENSORS`` (a file copied from Windows or a FAT medium keeps its
upper-case name) is a checkpoint: it was called "a '.SAFETENSORS' file, not a checkpoint"
(the suffix test was case-sensitive), and a models folder holding it listed no model."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine import catalog
from engine.checkpoints import load_checkpoint, read_meta, save_checkpoint
from engine.files import suffix_is
from engine.models.backbones import read_state_dict
from tests.trainer.conftest import TINY
from trainer.setup import base_meta, build_model


def _upper(path: Path, name: str = "tiny") -> Path:
    """A checkpoint written as ``x.safetensors``, then renamed to ``path`` (upper case), as a
    copy from Windows would name it."""
    model, config = build_model("crfd-net-compact", dict(TINY), seed=0)
    lower = path.with_name("lower-case-original.safetensors")
    save_checkpoint(lower, model, base_meta("crfd-net-compact", config, 32, 16, name))
    return lower.rename(path)


def test_suffix_is_ignores_case_only() -> None:
    assert suffix_is("a/X.SAFETENSORS", ".safetensors")
    assert suffix_is(Path("x.SafeTensors"), ".safetensors")
    assert not suffix_is("x.safetensors.bak", ".safetensors")
    assert not suffix_is(".safetensors", ".safetensors")  # a hidden file, no suffix


def test_an_upper_case_checkpoint_is_written_read_and_loaded(tmp_path: Path) -> None:
    model, config = build_model("crfd-net-compact", dict(TINY), seed=0)
    meta = base_meta("crfd-net-compact", config, 32, 16, "written")
    assert save_checkpoint(tmp_path / "W.SAFETENSORS", model, meta).is_file()
    path = _upper(tmp_path / "X.SAFETENSORS")
    assert read_meta(path).architecture == "crfd-net-compact"
    loaded = load_checkpoint(path)
    assert loaded.meta.architecture == "crfd-net-compact" and loaded.path == path


def test_upper_case_weights_are_read_as_safetensors(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    save_file({"w": torch.ones(2)}, str(path := tmp_path / "W.SAFETENSORS"))
    assert torch.equal(read_state_dict(path)["w"], torch.ones(2))


def test_a_models_folder_lists_and_resolves_an_upper_case_checkpoint(tmp_path: Path) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    path = _upper(folder / "Copied.SAFETENSORS", name="copied-model")
    entries, problems = catalog.discover([folder])
    assert problems == []
    assert [e.path for e in entries if e.origin == "extra"] == [path]
    assert catalog.found_by_file_name("Copied", [folder])
    assert catalog.resolve("copied-model", [folder]) == path
    assert catalog.resolve("Copied", [folder]) == path


def test_the_trainer_takes_upper_case_checkpoints(tmp_path: Path) -> None:
    from trainer.average import run_average
    from trainer.fit_settings import read_init_meta
    from trainer.setup import init_from

    init = _upper(tmp_path / "INIT.SAFETENSORS")
    assert read_init_meta(init, "crfd-net-compact").architecture == "crfd-net-compact"
    model, _ = build_model("crfd-net-compact", dict(TINY), seed=1)
    assert init_from(model, init)["left_initialised"] == 0
    out = run_average([init, init], tmp_path / "SOUP.SAFETENSORS", "forensic-train average")
    assert read_meta(out).architecture == "crfd-net-compact"


def test_calibrate_takes_upper_case_checkpoints_and_goes_on_to_the_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Refused as "calibration writes into .safetensors checkpoints only" (--model) and
    "--out must end in .safetensors"; now the next check, the data folder, is reached."""
    from trainer import cli

    model = _upper(tmp_path / "M.SAFETENSORS")
    out = tmp_path / "CALIBRATED.SAFETENSORS"
    argv = ["calibrate", "--model", str(model), "--data", str(tmp_path / "nope")]
    assert cli.main([*argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.strip().endswith("nope: no such data folder"), err
