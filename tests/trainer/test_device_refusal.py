"""A ``--device`` the machine cannot run on is refused in one line, exit 2, before any work.

``fit --device cuda`` on a machine without a GPU decoded the whole data set, then ended in a
traceback from the training loop (exit 1); ``eval`` likewise from the pipeline. Every
subcommand that takes ``--device`` now checks it first, as ``forensic-viewer analyze`` does.
This machine's truth is used: the cases that need CUDA absent are skipped where it is present.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine.checkpoints import save_checkpoint
from tests.trainer.conftest import TINY, make_folder
from trainer import cli
from trainer.setup import base_meta, build_model

pytestmark = pytest.mark.usefixtures("seeded_single_thread")


def _checkpoint(path: Path, name: str) -> str:
    model, config = build_model("crfd-net-compact", dict(TINY), seed=0)
    return str(save_checkpoint(path, model, base_meta("crfd-net-compact", config, 32, 16, name)))


def _argv(command: str, tmp_path: Path) -> list[str]:
    """A ``command`` line whose inputs are all there: only its device can be wrong."""
    data = str(make_folder(tmp_path / "d", 3, 6, seed=0))
    if command in ("fit", "pretrain"):
        arch = "crfd-net-compact" if command == "fit" else "diffforensics-effl0"
        return [command, "--arch", arch, "--data", data, "--out", str(tmp_path / "run")]
    ckpt, other = (_checkpoint(tmp_path / f"{name}.safetensors", name) for name in "ab")
    if command == "ensemble":
        out = str(tmp_path / "e.ensemble.json")
        return [command, "--model", ckpt, "--model", other, "--data", data, "--out", out]
    if command == "face-model":
        return [command, "--model", ckpt, "--val", data, "--json", str(tmp_path / "f.json")]
    extra = []
    if command == "calibrate":  # enough of each kind for a θ
        extra = ["--val-data", str(make_folder(tmp_path / "v", 6, 6, seed=1, size=32))]
    return [command, "--model", ckpt, "--data", data, "--json", str(tmp_path / "x.json"), *extra]


COMMANDS = ("fit", "pretrain", "eval", "calibrate", "ensemble", "face-model")


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("device", ["cuda", "cuda:0", "gpu"])
def test_a_device_the_machine_cannot_use_is_one_line_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, device: str
) -> None:
    if device != "gpu" and torch.cuda.is_available():
        pytest.skip("this machine has a GPU: --device cuda can run here")
    argv = [*_argv(command, tmp_path), "--device", device]
    before = sorted(tmp_path.rglob("*"))
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln]
    assert len(lines) == 1, err
    (line,) = lines
    assert line.startswith(f"forensic-train {command}: error: ")
    assert repr(device) in line  # the device asked for is named
    assert "Traceback" not in err and "decoding" not in out + err
    assert sorted(tmp_path.rglob("*")) == before  # nothing written: no run folder, no JSON


def test_every_subcommand_with_a_device_is_checked_above() -> None:
    """A new subcommand that takes ``--device`` joins COMMANDS, and so the refusal above."""
    parser = cli.build_parser()
    (sub,) = (a for a in parser._actions if a.dest == "command")
    with_device = {
        name
        for name, p in sub.choices.items()  # type: ignore[union-attr]
        if any("--device" in a.option_strings for a in p._actions)
    }
    assert with_device == set(COMMANDS)
