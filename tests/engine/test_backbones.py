"""Shared encoder pieces (engine.models.backbones): the one weight-file reader, and the
package's helper modules registering nothing."""

from __future__ import annotations

import pickle
import pkgutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

import engine.models
from engine.errors import CheckpointError
from engine.models import get_spec, list_models
from engine.models.backbones import read_state_dict


def test_wrappers_and_a_dataparallel_prefix_are_taken_off(tmp_path: Path) -> None:
    plain = {"conv.weight": torch.ones(2, 2)}
    ema = {"module.conv.weight": torch.full((2, 2), 3.0)}
    path = tmp_path / "run.pth"
    torch.save({"epoch": 7, "state_dict": {"model": plain}}, path)
    assert torch.equal(read_state_dict(path)["conv.weight"], plain["conv.weight"])
    torch.save({"state_dict": plain, "state_dict_ema": ema}, path)  # timm: EMA weights win
    assert torch.equal(read_state_dict(path)["conv.weight"], ema["module.conv.weight"])
    flat = tmp_path / "flat.safetensors"
    save_file(plain, str(flat))
    assert set(read_state_dict(flat)) == {"conv.weight"}


def test_every_unusable_file_is_one_checkpoint_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"gone\.pth: no such encoder weights file"):
        read_state_dict(tmp_path / "gone.pth", "encoder weights")
    numbers = tmp_path / "numbers.pth"
    torch.save({"model": {"conv.weight": 1.0}}, numbers)
    with pytest.raises(CheckpointError, match=r"numbers\.pth: weights must be a state dict"):
        read_state_dict(numbers)
    unsafe = tmp_path / "unsafe.pth"
    unsafe.write_bytes(pickle.dumps({"model": _Unsafe()}, protocol=2))
    with pytest.raises(CheckpointError) as e:
        read_state_dict(unsafe, "backbone weights")
    assert str(e.value).startswith(f"{unsafe}: cannot read backbone weights")
    assert "\n" not in str(e.value)


class _Unsafe:
    """A pickled object that weights_only loading must refuse."""


def test_helper_modules_register_nothing_and_every_other_module_registers_something() -> None:
    by_module: dict[str, int] = {}
    for name in list_models():
        module = get_spec(name).builder.__module__.rsplit(".", 1)[-1]
        by_module[module] = by_module.get(module, 0) + 1
    modules = {m.name for m in pkgutil.iter_modules(engine.models.__path__)}
    helpers = engine.models._NOT_ARCHITECTURES
    assert "backbones" in helpers and helpers <= modules
    assert not helpers & set(by_module)
    assert set(by_module) == modules - helpers
