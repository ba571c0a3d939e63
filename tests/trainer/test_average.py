"""Epoch snapshots and weight averaging (``fit --keep-epochs``, ``forensic-train average``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine.checkpoints import load_checkpoint, read_meta
from tests.trainer.conftest import make_folder
from trainer.cli import main
from trainer.data.augment import preset
from trainer.data.datasets import WindowConfig, WindowDataset, load_items
from trainer.data.records import SkipLog, read_folder
from trainer.errors import UsageError
from trainer.loops import FitConfig, fit
from trainer.objectives import objective_for
from trainer.progress import Reporter
from trainer.setup import base_meta, build_model

pytestmark = pytest.mark.usefixtures("seeded_single_thread")

ARCH = "crfd-net-compact"


def _fit(root: Path, out: Path, epochs: int) -> None:
    model, config = build_model(ARCH, {"channels": (4, 8, 8)}, seed=0)
    meta = base_meta(ARCH, config, 32, 16, "r")
    items = load_items(read_folder(root), SkipLog())
    data = WindowDataset(items, WindowConfig(window=32, authentic_share=1.0), preset("none"))
    cfg = FitConfig(
        epochs=epochs, batch_size=4, lr=1e-3, warmup_steps=1, checkpoint_minutes=0,
        keep_epochs=True, seed=0,
    )  # fmt: skip
    fit(model, objective_for(ARCH), data, cfg, out, lambda s: meta, reporter=Reporter(False))


def test_keep_epochs_leaves_each_epochs_weights_and_they_differ(tmp_path: Path) -> None:
    _fit(make_folder(tmp_path / "d", 5, 2, seed=3), tmp_path / "run", epochs=2)
    one = load_checkpoint(tmp_path / "run" / "epoch-1.safetensors").model.state_dict()
    two = load_checkpoint(tmp_path / "run" / "epoch-2.safetensors").model.state_dict()
    last = load_checkpoint(tmp_path / "run" / "last.safetensors").model.state_dict()
    key = "decoder.head.weight"
    assert torch.equal(two[key], last[key])  # the run ended with epoch 2
    assert not torch.equal(one[key], two[key])  # epoch 1 is kept as it was then


def test_average_is_the_mean_of_the_weights_and_asks_for_calibration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fit(make_folder(tmp_path / "d", 5, 2, seed=3), tmp_path / "run", epochs=3)
    paths = [tmp_path / "run" / f"epoch-{i}.safetensors" for i in (1, 2, 3)]
    out = tmp_path / "avg.safetensors"
    assert main(["average", *map(str, paths), "--out", str(out)]) == 0
    states = [load_checkpoint(p).model.state_dict() for p in paths]
    avg = load_checkpoint(out)
    for key, value in avg.model.state_dict().items():
        if value.is_floating_point():
            expected = sum(s[key] for s in states) / 3
            torch.testing.assert_close(value, expected, rtol=1e-6, atol=1e-7)
        else:
            assert torch.equal(value, states[-1][key])  # counters: the last checkpoint's
    meta = read_meta(out)
    assert [s["path"] for s in meta.training["averaged_from"]] == [str(p) for p in paths]
    assert all(len(s["sha256"]) == 64 for s in meta.training["averaged_from"])
    assert meta.training["command"].startswith("forensic-train average")
    assert "not calibrated" in meta.decision.provenance and meta.metrics == {}


def test_average_refuses_checkpoints_of_another_configuration_naming_the_file(
    tmp_path: Path, tiny_checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fit(make_folder(tmp_path / "d", 5, 2, seed=3), tmp_path / "run", epochs=1)
    ours = tmp_path / "run" / "epoch-1.safetensors"
    out = tmp_path / "avg.safetensors"
    assert main(["average", str(ours), str(tiny_checkpoint), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "tiny.safetensors" in err and "configuration" in err and "\n" not in err
    assert not out.exists()
    assert main(["average", str(ours), "--out", str(out)]) == 2  # one is not an average


def test_average_ignores_what_initialised_a_part_but_not_the_network_shape(tmp_path: Path) -> None:
    """An ImageNet-initialised run and a fine-tune of it (--init: no weights file in its config)
    are one network: they average. A different width is refused."""
    from engine.checkpoints import CheckpointMeta, save_checkpoint
    from engine.models import create_model
    from engine.models.registry import config_to_dict
    from trainer.average import average_checkpoints

    torch.manual_seed(0)
    paths = []
    for i, weights in enumerate(["imagenet", None]):
        model = create_model("m2f-effl0")
        config = {**config_to_dict(model.config), "backbone_weights": weights}
        meta = CheckpointMeta(architecture="m2f-effl0", config=config, name="m")
        paths.append(save_checkpoint(tmp_path / f"m{i}.safetensors", model, meta))
    averaged = average_checkpoints(paths)
    assert [s["path"] for s in averaged.meta.training["averaged_from"]] == list(map(str, paths))
    wide = create_model("m2f-effl0", hidden_dim=96)
    meta = CheckpointMeta("m2f-effl0", config_to_dict(wide.config), name="wide")
    other = save_checkpoint(tmp_path / "wide.safetensors", wide, meta)
    with pytest.raises(UsageError, match=r"wide\.safetensors.*configuration"):
        average_checkpoints([paths[0], other])
