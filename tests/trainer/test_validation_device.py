"""fit validates the model on the device it trains on, not on the one --device names: under
several processes each rank's model is on its local GPU whatever --device says, and an
Analyzer on another device would move rank 0's model away from its batches (no GPU here: the
device handed to the validation is what is checked)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import trainer.commands
from tests.trainer.conftest import make_folder
from trainer import cli

pytestmark = pytest.mark.usefixtures("seeded_single_thread")


def test_validation_runs_on_the_models_device(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    evaluate = trainer.commands.evaluate

    def recording(*args: Any, device: str, **kw: Any) -> Any:
        seen.append(device)
        return evaluate(*args, device=device, **kw)

    monkeypatch.setattr(trainer.commands, "evaluate", recording)
    data = make_folder(tmp_path / "d", 4, 2, seed=0)
    argv = ["fit", "--arch", "crfd-net-compact", "--data", str(data), "--out", str(tmp_path / "r")]
    argv += ["--model-config", "channels=8,16,32", "--window", "32", "--threads", "1"]
    argv += ["--epochs", "1", "--max-steps", "1", "--quiet", "--device", "auto"]
    assert cli.main(argv) == 0
    assert seen == ["cpu"]  # where "auto" put the model on this machine
