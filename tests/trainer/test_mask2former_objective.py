"""Mask2Former objective: Hungarian matching, region targets, the set loss, optimizer groups,
and a compact model that overfits a few synthetic forgeries."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from engine.models import create_model
from tests.trainer.conftest import fit_steps, mask_f1
from trainer.objectives import objective_for
from trainer.objectives.mask2former import (
    Mask2FormerObjective,
    match_queries,
    param_groups,
    region_targets,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


# --------------------------------------------------------------------------------------------
# Matching


def _brute_force(cost: np.ndarray) -> float:
    n, t = cost.shape
    return min(
        sum(cost[q, j] for j, q in enumerate(rows)) for rows in itertools.permutations(range(n), t)
    )


def test_matching_beats_greedy_on_a_hand_built_cost() -> None:
    # Greedy (each target takes its cheapest free query) pays 1 + 10 = 11; the optimum is 2 + 0.
    cost = torch.tensor([[1.0, 2.0], [0.5, 10.0], [3.0, 9.0]])
    q, t = match_queries(cost)
    assert sorted(zip(q.tolist(), t.tolist(), strict=True)) == [(0, 1), (1, 0)]
    assert float(cost[q, t].sum()) == pytest.approx(_brute_force(cost.numpy()))


@pytest.mark.parametrize("seed", range(5))
def test_matching_finds_the_brute_force_optimum(seed: int) -> None:
    rng = np.random.default_rng(seed)
    cost = rng.normal(size=(6, 4))
    q, t = match_queries(torch.from_numpy(cost))
    assert len(set(q.tolist())) == 4 and sorted(t.tolist()) == [0, 1, 2, 3]
    assert cost[q.numpy(), t.numpy()].sum() == pytest.approx(_brute_force(cost))


def test_matching_refuses_non_finite_costs() -> None:
    with pytest.raises(ValueError, match="NaN"):
        match_queries(torch.tensor([[0.0, float("nan")]]))


# --------------------------------------------------------------------------------------------
# Targets


def test_region_targets_split_connected_regions_and_keep_every_pixel() -> None:
    mask = torch.zeros(1, 40, 40)
    mask[0, 2:12, 2:12] = 1  # 100 px
    mask[0, 12:18, 12:18] = 1  # 36 px, touches the first only diagonally: same region
    mask[0, 25:35, 20:38] = 1  # 180 px
    mask[0, 38, 0] = 1  # a speck
    targets = region_targets(mask, max_regions=8, min_area=20)
    assert targets.shape == (3, 40, 40)
    assert targets.sum((1, 2)).tolist() == [180.0, 136.0, 1.0]  # largest first, speck in "rest"
    torch.testing.assert_close(targets.sum(0), mask[0])  # each forged pixel in exactly one
    capped = region_targets(mask, max_regions=1, min_area=20)
    assert capped.sum((1, 2)).tolist() == [180.0, 137.0]
    assert region_targets(torch.zeros(1, 8, 8)).shape == (0, 8, 8)


# --------------------------------------------------------------------------------------------
# The set loss on hand-built predictions


class _Fixed(nn.Module):
    """Returns given query outputs, whatever the input (for testing the loss alone)."""

    def __init__(self, logits: torch.Tensor, masks: torch.Tensor, image: torch.Tensor) -> None:
        super().__init__()
        self.logits = nn.Parameter(logits)
        self.masks = nn.Parameter(masks)
        self.image = nn.Parameter(image)

    def forward(self, x: torch.Tensor, return_aux: bool = False) -> dict[str, Any]:
        assert return_aux
        return {
            "pred_logits": self.logits,
            "pred_masks": self.masks,
            "aux_outputs": [],
            "image": self.image,
        }


def _one_region_batch() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    masks = torch.zeros(1, 1, 32, 32)
    masks[..., 8:24, 4:20] = 1
    return torch.zeros(1, 3, 32, 32), masks, torch.ones(1)


@pytest.mark.parametrize("slot", [0, 3])
def test_a_perfect_query_anywhere_in_the_set_gives_a_small_loss(slot: int) -> None:
    images, masks, labels = _one_region_batch()
    small = F.adaptive_avg_pool2d(masks, (8, 8))[0]  # 1, 8, 8 (stride 4)
    pred_masks = torch.full((1, 4, 8, 8), -8.0)
    pred_masks[0, slot] = small[0] * 16 - 8  # +8 inside, -8 outside
    logits = torch.full((1, 4), -8.0)
    logits[0, slot] = 8.0
    objective = Mask2FormerObjective()
    loss, terms = objective(_Fixed(logits, pred_masks, torch.tensor([8.0])), images, masks, labels)
    assert float(loss.detach()) < 0.05 and terms["regions"] == 1.0

    wrong = logits.clone()
    wrong[0, slot], wrong[0, (slot + 1) % 4] = -8.0, 8.0  # the confident query has no mask
    bad, _ = objective(_Fixed(wrong, pred_masks, torch.tensor([8.0])), images, masks, labels)
    assert float(bad.detach()) > 10 * float(loss.detach()) + 1.0


def test_authentic_and_unannotated_images() -> None:
    torch.manual_seed(0)
    logits, pred_masks = torch.randn(2, 4), torch.randn(2, 4, 8, 8)
    images, masks = torch.zeros(2, 3, 32, 32), torch.zeros(2, 1, 32, 32)
    objective = Mask2FormerObjective()
    # authentic: no target, every query is pushed to "no object"; no mask terms
    loss, terms = objective(
        _Fixed(logits, pred_masks, torch.zeros(2)), images, masks, torch.zeros(2)
    )
    assert terms["mask_bce"] == 0.0 and terms["dice"] == 0.0 and terms["cls"] > 0.0
    # forged without a mask: where it is is unknown, so only the detection term counts
    model = _Fixed(logits, pred_masks, torch.zeros(2))
    loss, terms = objective(model, images, masks, torch.ones(2))
    assert terms["loc"] == 0.0 and terms["det"] > 0.0
    loss.backward()
    assert model.image.grad is not None and float(model.logits.grad.abs().sum()) == 0.0


def test_deep_supervision_matches_every_layer() -> None:
    torch.manual_seed(0)
    model = create_model("m2f-swin-nano")
    images, masks, labels = _one_region_batch()
    deep, _ = Mask2FormerObjective()(model, images, masks, labels)
    shallow, _ = Mask2FormerObjective(deep_supervision=False)(model, images, masks, labels)
    assert torch.isfinite(deep) and float(deep.detach()) > float(shallow.detach()) > 0.0
    deep.backward()
    assert all(p.grad is not None for p in model.transformer_decoder.parameters())


def test_objective_is_found_for_the_family_and_exposes_paper_optimizer() -> None:
    objective = objective_for("m2f-swin-t")
    assert isinstance(objective, Mask2FormerObjective)
    assert (objective.lambda_det, objective.lambda_loc) == (0.1, 1.0)
    optim = objective.default_optim
    assert (optim["optimizer"], optim["lr"], optim["weight_decay"], optim["schedule"]) == (
        "adamw",
        1e-4,
        0.05,
        "poly",
    )


def test_param_groups_cover_each_parameter_once() -> None:
    model = create_model("m2f-swin-nano")
    groups = param_groups(model, lr=1e-4, weight_decay=0.05, backbone_lr_mult=0.1)
    seen = [id(p) for g in groups for p in g["params"]]
    assert sorted(seen) == sorted(id(p) for p in model.parameters())
    by_name = {g["name"]: g for g in groups}
    assert by_name["backbone"]["lr"] == pytest.approx(1e-5)
    assert by_name["head"]["lr"] == pytest.approx(1e-4) and by_name["head"]["weight_decay"] == 0.05
    no_decay = {id(p) for g in groups if g["weight_decay"] == 0.0 for p in g["params"]}
    assert id(model.transformer_decoder.query_feat.weight) in no_decay
    assert id(model.pixel_decoder.level_embed) in no_decay
    assert id(model.backbone.norms[0].weight) in no_decay
    assert id(model.transformer_decoder.score_head.weight) not in no_decay


# --------------------------------------------------------------------------------------------
# Overfitting


def _synthetic_forgeries(n: int, size: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Smooth random textures with a square of sharp noise pasted in (the last one authentic)."""
    g = torch.Generator().manual_seed(seed)
    images, masks = [], []
    for i in range(n):
        base = F.avg_pool2d(torch.rand(1, 3, size, size, generator=g), 5, 1, 2)
        mask = torch.zeros(1, 1, size, size)
        if i < n - 1:
            side = size // 3
            y, x = torch.randint(0, size - side, (2,), generator=g).tolist()
            mask[..., y : y + side, x : x + side] = 1
        image = base * (1 - mask) + torch.rand(1, 3, size, size, generator=g) * mask
        images.append((image - 0.45) / 0.225)
        masks.append(mask)
    return torch.cat(images), torch.cat(masks)


def _pixel_f1(model: nn.Module, images: torch.Tensor, masks: torch.Tensor) -> float:
    model.eval()
    with torch.no_grad():
        pred = model(images)["mask"] > 0  # heatmap > 0.5
    model.train()
    return mask_f1(pred, masks > 0.5)


@pytest.mark.slow
def test_compact_model_overfits_a_few_synthetic_forgeries() -> None:
    """50 AdamW steps on 2 forged + 1 authentic 64x64 images: the loss falls below a quarter
    of its start, pixel F1 (heatmap > 0.5) rises from ~0 to >= 0.8 (~0.9 is typical), and the
    image logits put the authentic image below both forged ones."""
    torch.manual_seed(0)
    images, masks = _synthetic_forgeries(3, 64, seed=0)
    labels = torch.tensor([1.0, 1.0, 0.0])
    model = create_model("m2f-swin-nano")
    objective = Mask2FormerObjective()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
    f1_before = _pixel_f1(model, images, masks)
    losses = fit_steps(objective, model, optimizer, 50, images, masks, labels)
    f1_after = _pixel_f1(model, images, masks)
    model.eval()
    with torch.no_grad():
        image_logits = model(images)["image"]
    assert f1_before < 0.2
    assert losses[-1] < 0.25 * losses[0]
    assert f1_after >= 0.8, f"pixel F1 {f1_after:.3f} after training"
    assert float(image_logits[2]) < float(image_logits[:2].min())


@pytest.mark.parametrize("pretrained", [False, True])
def test_loop_uses_the_objectives_groups_backbone_slowed_only_when_pretrained(
    pretrained: bool,
) -> None:
    import dataclasses

    from engine.models import create_model
    from trainer.loops import FitConfig, make_optimizer, optimizer_groups
    from trainer.objectives.mask2former import Mask2FormerObjective

    model = create_model("m2f-swin-nano")
    if pretrained:  # as if built with an ImageNet Swin file (the file itself is not needed here)
        model.config = dataclasses.replace(model.config, backbone_weights="swin.safetensors")
    cfg = FitConfig(optimizer="adamw", lr=1e-4, weight_decay=0.05)
    groups = optimizer_groups(Mask2FormerObjective(), model, cfg)
    opt = make_optimizer(groups, cfg)
    backbone = {id(p) for n, p in model.named_parameters() if n.startswith("backbone.")}
    slow = 0.1 if pretrained else 1.0
    for g in opt.param_groups:
        in_backbone = {id(p) in backbone for p in g["params"]}
        assert len(in_backbone) == 1  # a group is all backbone or all head
        assert g["lr_mult"] == (slow if in_backbone.pop() else 1.0)
        assert g["weight_decay"] in (0.0, 0.05)
    assert any(g["weight_decay"] == 0.0 for g in opt.param_groups)  # norms, embeddings
    n_params = sum(p.numel() for g in opt.param_groups for p in g["params"])
    assert n_params == sum(p.numel() for p in model.parameters() if p.requires_grad)


def test_matching_costs_stay_finite_under_fp16_autocast() -> None:
    # fit's --amp runs the objective inside fp16 autocast (CUDA; the CPU's autocast casts the
    # same matrix products): a confident mask (logit -20 on the 128 x 128 grid of a 512 crop)
    # summed over a 64-row region is 20 x 8192 in the BCE cost, past fp16's 65504
    images = torch.zeros(1, 3, 128, 128)
    masks = torch.zeros(1, 1, 128, 128)
    masks[..., :64, :] = 1
    pred_masks = torch.full((1, 4, 128, 128), -20.0)
    pred_masks[0, 2, :64] = 20.0
    logits = torch.tensor([[-8.0, -8.0, 8.0, -8.0]])
    objective = Mask2FormerObjective()
    model = _Fixed(logits, pred_masks, torch.tensor([8.0]))
    want, _ = objective(model, images, masks, torch.ones(1))
    with torch.autocast("cpu", dtype=torch.float16):
        got, terms = objective(model, images, masks, torch.ones(1))
    assert torch.isfinite(got) and terms["regions"] == 1.0
    assert float(got.detach()) == pytest.approx(float(want.detach()), rel=1e-3)
