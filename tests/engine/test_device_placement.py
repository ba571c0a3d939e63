"""Every tensor a bundled network uses is on its device: the networks run on the ``meta``
device, where a tensor left on the CPU (made in ``forward`` without ``device=``, or kept as a
plain attribute instead of a registered buffer, so ``model.to("cuda")`` would not move it)
raises when it meets one of the network's. The CPU tests cannot see such a tensor; a GPU would
fail every analysis on it."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine.catalog import BUNDLED_MODELS
from engine.checkpoints import load_checkpoint
from engine.models import create_model
from engine.models.registry import get_spec

BUNDLED = sorted(BUNDLED_MODELS.glob("*.safetensors"))


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_a_bundled_network_keeps_every_tensor_on_its_device(path: Path) -> None:
    loaded = load_checkpoint(path)
    window = loaded.meta.input_policy.window
    model = loaded.model.to("meta")
    with torch.inference_mode():  # as the Analyzer runs it
        out = model(torch.empty(2, 3, window, window, device="meta"))
    mask = out["mask"] if isinstance(out, dict) else out
    assert mask.is_meta and mask.shape == (2, 1, window, window)
    spec = get_spec(loaded.meta.architecture)
    if spec.outputs == "mask+image":
        assert out["image"].is_meta


@pytest.mark.parametrize(
    "name", ["crfd-net-compact", "diffforensics-compact", "m2f-swin-nano", "m2f-effl0"]
)
def test_training_forward_passes_keep_every_tensor_on_the_device(name: str) -> None:
    # the trainer's calls: Mask2Former's auxiliary outputs, DiffForensics' noise task at t
    model = create_model(name).to("meta").train()
    x = torch.empty(2, 3, 128, 128, device="meta")
    if name.startswith("m2f"):
        out = model(x, return_aux=True)
        assert out["pred_masks"].is_meta and all(
            a["pred_masks"].is_meta for a in out["aux_outputs"]
        )
    elif name.startswith("diffforensics"):
        t = torch.empty(2, dtype=torch.long, device="meta")
        assert model(x, t, task="noise")["noise"].is_meta
        assert all(e.is_meta for e in model(x, 5)["edges"])
    else:
        assert model(x).is_meta
