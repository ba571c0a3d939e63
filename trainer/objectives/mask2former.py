"""Mask2Former-style objective: set prediction with Hungarian matching (mask2former-ddl.md §3).

``L = λ_det · L_det + λ_loc · L_loc`` (eq. 5) with λ_det = 0.1, λ_loc = 1, where
``L_det`` is BCE on the image logit (eq. 4) and ``L_loc = L_mask + L_cls`` (eq. 3), summed over
every prediction of the decoder (the bare queries and each of the L layers: deep supervision).

Choices where the paper is vague, and why:

- **Targets are connected forged regions** (8-connectivity, ``scipy.ndimage.label`` on the
  full-resolution mask), one target per region. Mask2Former is a set predictor: one query per
  object, and masked attention confines each query to the area its previous mask covered. A
  single "whole forged area" target would make one query cover regions far apart (two
  swapped faces, a copied object and its source), which is what masked attention is meant to
  avoid; the paper's motivation is exactly such multiple small, sparse regions. Noisy masks
  can hold many specks: components smaller than ``min_region_area`` pixels and those beyond
  the ``max_regions`` largest are merged into one extra "rest" target, so every forged pixel
  still belongs to exactly one target and the count stays below the number of queries.
- **Images without targets.** An authentic image (empty mask) has no target: every query
  learns "no object". A manipulated image (label 1) whose mask is empty has an unknown forged
  area, so it takes part in L_det only (its localization terms are skipped).
- **Masks at the prediction's resolution, no point sampling.** Predictions are stride-4
  logits; targets are area-averaged down to that grid (soft values on region borders).
  Mask2Former samples 12544 points with importance sampling to save memory on 100s of
  targets at 1024²; here a 512 crop gives 128² = 16k logits per mask and a few targets, so
  the full mask costs about the same, is exact and is deterministic.
- **Weights and normalisation as Mask2Former:** matching cost and loss use
  ``2·cls + 5·BCE + 5·Dice``; BCE and Dice are summed over matched pairs and divided by the
  number of targets in the batch (at least 1); the score BCE weighs unmatched ("no-object")
  queries by ``eos_coef`` = 0.1 and is a weighted mean over the queries. The class cost of a
  pair is ``-sigmoid(score)`` (Mask2Former's ``-prob``). Every prediction is matched on its
  own, as Mask2Former re-matches each auxiliary output.
- **Training crops of 128 pixels by default, not 512.** §4.1 trains on 512 x 512 crops
  (after random resizing by 0.5-2). ``fit`` crops or pads each augmented image to ``--window``,
  whose default (:data:`trainer.plan.DEFAULT_WINDOW`, 128) is a CPU budget: a 512 crop has 16x
  the pixels, and a step costs about that much more. ``--window 512`` gives the paper's size;
  a run of another size records both in its checkpoint header (``train_window`` beside
  ``paper_window`` and ``window_note``, :func:`trainer.fit_settings.window_note`).
- **Optimizer.** The paper: AdamW, lr 1e-4, weight decay 0.05, poly decay, 30k iterations,
  batch 64 on two A100s. :func:`param_groups` adds Mask2Former's (and mmsegmentation's
  config's) backbone lr multiplier 0.1 and no weight decay on norms, embeddings and Swin's
  relative position tables. ``default_optim`` holds what ``fit`` reads: the loop's keys, the
  multiplier, and Mask2Former's gradient clip, a global norm of 0.01 (``fit``'s default for
  these models; ``--clip-grad`` overrides, and the run header's ``fit_config`` records it).
  The batch size is 8 instead of 64 so that a CPU run fits in memory (``--batch-size``
  overrides). The 30k iterations are not kept: the length of a run is the CPU budget
  (``--epochs``, ``--max-steps``), and the poly decay (the loop's exponent 0.9, down to 1 % of
  the lr) is laid over the steps the run plans. The paper names no warm-up; the loop's
  ``--warmup`` (100 steps) applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage
from scipy.optimize import linear_sum_assignment
from torch import nn

_EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


# --------------------------------------------------------------------------------------------
# Targets and matching


def region_targets(mask: torch.Tensor, max_regions: int = 8, min_area: int = 64) -> torch.Tensor:
    """Connected forged regions of one mask as separate binary targets.

    mask: [H, W] (or [1, H, W]) in {0, 1}. Returns [T, H, W] float on the mask's device,
    largest region first: each 8-connected component of at least ``min_area`` pixels, up to
    ``max_regions`` of them, plus one "rest" target holding every other forged pixel when
    there are any. T = 0 for an empty mask.
    """
    if mask.ndim == 3:
        mask = mask[0]
    labels, n = ndimage.label(mask.detach().cpu().numpy() > 0.5, structure=_EIGHT_CONNECTED)
    if n == 0:
        return mask.new_zeros((0, *mask.shape), dtype=torch.float32)
    areas = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    order = np.argsort(-areas, kind="stable") + 1  # component ids, largest first
    keep = [int(i) for i in order[: max(max_regions, 0)] if areas[i - 1] >= min_area]
    lab = torch.from_numpy(labels).to(mask.device)
    targets = [lab == i for i in keep]
    rest = (lab > 0) & ~torch.isin(lab, torch.tensor(keep, device=mask.device, dtype=lab.dtype))
    if bool(rest.any()):
        targets.append(rest)
    return torch.stack(targets).float()


def match_queries(cost: torch.Tensor | np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Minimum-cost one-to-one assignment of queries (rows) to targets (columns).

    cost: [N, T]. Returns (query indices, target indices), each [min(N, T)] int64 on the cost's
    device, sorted by query: the assignment whose summed cost is smallest (Hungarian
    algorithm, ``scipy.optimize.linear_sum_assignment``).
    """
    device = cost.device if isinstance(cost, torch.Tensor) else torch.device("cpu")
    c = cost.detach().float().cpu().numpy() if isinstance(cost, torch.Tensor) else cost
    if c.ndim != 2:
        raise ValueError(f"cost must be [N, T], got shape {c.shape}")
    if not np.isfinite(c).all():
        raise ValueError("cost matrix holds NaN or inf")
    rows, cols = linear_sum_assignment(c)
    return (
        torch.as_tensor(rows, dtype=torch.int64, device=device),
        torch.as_tensor(cols, dtype=torch.int64, device=device),
    )


def mask_bce_cost(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean pixel BCE of every (prediction, target) pair: logits [N, P], targets [T, P] -> [N, T]."""
    pos = F.softplus(-logits)  # -log sigmoid(x): the loss where the target is 1
    neg = F.softplus(logits)  # -log (1 - sigmoid(x)): the loss where the target is 0
    return (pos @ targets.T + neg @ (1.0 - targets).T) / logits.shape[1]


def dice_cost(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Dice loss of every pair: logits [N, P], targets [T, P] -> [N, T] (Mask2Former's +1 smoothing)."""
    p = logits.sigmoid()
    inter = p @ targets.T
    return 1.0 - (2.0 * inter + 1.0) / (p.sum(1)[:, None] + targets.sum(1)[None, :] + 1.0)


def dice_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Dice loss of matched pairs: logits, targets [M, P] -> [M]."""
    p = logits.sigmoid()
    return 1.0 - (2.0 * (p * targets).sum(1) + 1.0) / (p.sum(1) + targets.sum(1) + 1.0)


# --------------------------------------------------------------------------------------------
# Optimizer settings


def param_groups(
    model: nn.Module,
    lr: float = 1e-4,
    weight_decay: float = 0.05,
    backbone_lr_mult: float = 0.1,
) -> list[dict[str, Any]]:
    """AdamW parameter groups as Mask2Former trains Swin models.

    Parameters under ``backbone.`` get ``lr * backbone_lr_mult``; norm layers, embeddings
    (queries, level embeddings) and Swin's relative position tables get no weight decay.
    Each group carries ``lr``, ``weight_decay``, ``lr_mult`` (for a loop that rescales groups
    by a scheduled base lr) and ``name``.
    """
    no_decay_types = (nn.LayerNorm, nn.GroupNorm, nn.modules.batchnorm._BatchNorm, nn.Embedding)
    no_decay: set[int] = set()
    for module in model.modules():
        if isinstance(module, no_decay_types):
            no_decay.update(id(p) for p in module.parameters(recurse=False))
    groups: dict[tuple[bool, bool], list[nn.Parameter]] = {}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        name = name.removeprefix("module.")
        decays = id(p) not in no_decay and not name.endswith(
            ("level_embed", "relative_position_bias_table", "absolute_pos_embed")
        )
        groups.setdefault((name.startswith("backbone."), decays), []).append(p)
    out = []
    for (in_backbone, decays), params in sorted(groups.items()):
        mult = backbone_lr_mult if in_backbone else 1.0
        out.append(
            {
                "params": params,
                "lr": lr * mult,
                "weight_decay": weight_decay if decays else 0.0,
                "lr_mult": mult,
                "name": f"{'backbone' if in_backbone else 'head'}{'' if decays else '_no_decay'}",
            }
        )
    return out


# --------------------------------------------------------------------------------------------
# The objective


@dataclass
class Mask2FormerObjective:
    """``objective(model, images, masks, labels) -> (loss, terms)`` for the ``m2f-*`` models.

    Calls ``model(images, return_aux=True)`` (see ``engine.models.mask2former``; going through
    ``model(...)`` keeps a DistributedDataParallel wrapper in the loop). ``terms`` holds
    the total, its two parts, and the final layer's score BCE, mask BCE and Dice, plus the
    mean number of targets per image.
    """

    lambda_det: float = 0.1  # eq. (5) weight of L_det (paper: 0.1)
    lambda_loc: float = 1.0  # eq. (5) weight of L_loc (paper: 1)
    weight_cls: float = 2.0  # score BCE weight in cost and loss (Mask2Former: 2)
    weight_bce: float = 5.0  # mask BCE weight in cost and loss (Mask2Former: 5)
    weight_dice: float = 5.0  # Dice weight in cost and loss (Mask2Former: 5)
    eos_coef: float = 0.1  # weight of an unmatched query's "no-object" BCE (Mask2Former: 0.1)
    max_regions: int = 8  # most connected regions kept as separate targets (+ one "rest")
    min_region_area: int = 64  # regions smaller than this (full-resolution pixels) go to "rest"
    deep_supervision: bool = True  # also supervise the bare queries and layers 1..L-1
    # the backbone descends from pretrained weights through fit --init (its network is built
    # without the weights file, so config.backbone_weights is empty): keep its 0.1x
    backbone_pretrained: bool = False
    sampling: str = "images"  # augmented crops of whole images at --window (§4.1: 512)
    paper_window: int = 512  # §4.1's training crop; fit's default is smaller (module docstring)
    uses_masks: bool = True  # supervised by masks and labels
    default_optim: dict[str, Any] = field(
        default_factory=lambda: {
            "optimizer": "adamw",
            "lr": 1e-4,
            "weight_decay": 0.05,
            "schedule": "poly",
            "batch_size": 8,
            "backbone_lr_mult": 0.1,  # read by param_groups (Mask2Former's)
            "clip_grad": 0.01,  # fit's --clip-grad default (Mask2Former's)
        }
    )

    def param_groups(self, model: nn.Module) -> list[dict[str, Any]]:
        """:func:`param_groups` with ``default_optim``'s lr, weight decay and multiplier.

        The 0.1x backbone multiplier is Mask2Former's rule for an ImageNet-initialised Swin; a
        backbone built without ``backbone_weights`` (random init, as the bundled models must
        start here) learns at the full rate, since slowing a random backbone only starves it.
        A fine-tune of a pretrained backbone (``backbone_pretrained``) keeps the 0.1x.
        """
        o = self.default_optim
        config = getattr(model, "config", None)
        pretrained = self.backbone_pretrained or getattr(config, "backbone_weights", None)
        mult = o["backbone_lr_mult"] if pretrained else 1.0
        return param_groups(model, o["lr"], o["weight_decay"], mult)

    def targets(self, masks: torch.Tensor, size: tuple[int, int]) -> list[torch.Tensor]:
        """masks [B, 1, H, W] -> per image [T_b, h, w] soft region targets at ``size``."""
        out = []
        for mask in masks:
            regions = region_targets(mask, self.max_regions, self.min_region_area)
            if regions.shape[0] > 0:
                regions = F.adaptive_avg_pool2d(regions[None], size)[0]
            else:
                regions = regions.new_zeros((0, *size))
            out.append(regions)
        return out

    @torch.no_grad()
    def _match(
        self, logits: torch.Tensor, masks: torch.Tensor, targets: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One image: logits [N], masks [N, h, w], targets [T, h, w] -> matched (queries, targets).

        The costs are fp32 even inside the loop's fp16 autocast (``--amp`` on CUDA): there the
        matrix products, sums over every pixel of a mask, ran in fp16 and passed its 65504 once
        a query's mask logits were confident (|logit| 20 over 5000 pixels), so the matching met
        an infinite cost and training stopped."""
        m = masks.flatten(1).float()
        t = targets.flatten(1).float()
        with torch.autocast(m.device.type, enabled=False):
            cost = (
                self.weight_cls * -logits.float().sigmoid()[:, None]
                + self.weight_bce * mask_bce_cost(m, t)
                + self.weight_dice * dice_cost(m, t)
            )
        return match_queries(cost)

    def layer_loss(
        self,
        pred_logits: torch.Tensor,
        pred_masks: torch.Tensor,
        targets: list[torch.Tensor],
        valid: torch.Tensor,
        num_masks: float,
    ) -> dict[str, torch.Tensor]:
        """Matched set loss of one prediction.

        pred_logits [B, N]; pred_masks [B, N, h, w]; targets per image [T_b, h, w]; valid [B]
        bool (images that take part); -> {"cls", "mask_bce", "dice"} scalar tensors.
        """
        logits = pred_logits.float()
        cls_target = torch.zeros_like(logits)
        weight = torch.full_like(logits, self.eos_coef)
        matched_pred, matched_tgt = [], []
        for b, tgt in enumerate(targets):
            if not bool(valid[b]) or tgt.shape[0] == 0:
                continue
            qi, ti = self._match(logits[b], pred_masks[b], tgt)
            cls_target[b, qi] = 1.0
            weight[b, qi] = 1.0
            matched_pred.append(pred_masks[b, qi].flatten(1).float())
            matched_tgt.append(tgt[ti].flatten(1))
        zero = pred_masks.sum() * 0.0 + logits.sum() * 0.0  # keeps the graph when nothing counts
        if bool(valid.any()):
            bce = F.binary_cross_entropy_with_logits(logits, cls_target, reduction="none")
            w = weight[valid]
            cls = (bce[valid] * w).sum() / w.sum()
        else:
            cls = zero
        if matched_pred:
            m, t = torch.cat(matched_pred), torch.cat(matched_tgt)
            mask_bce = F.binary_cross_entropy_with_logits(m, t, reduction="none").mean(1).sum()
            mask_bce = mask_bce / num_masks
            dice = dice_loss(m, t).sum() / num_masks
        else:
            mask_bce = dice = zero
        return {"cls": cls, "mask_bce": mask_bce, "dice": dice}

    def __call__(
        self, model: nn.Module, images: torch.Tensor, masks: torch.Tensor, labels: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, float]]:
        out = model(images, return_aux=True)
        pred_masks = out["pred_masks"]
        targets = self.targets(masks, tuple(pred_masks.shape[-2:]))
        labels = labels.float().to(pred_masks.device)
        has_region = torch.tensor([t.shape[0] > 0 for t in targets], device=labels.device)
        valid = has_region | (labels < 0.5)  # a forged image without a mask: L_det only
        num_masks = max(
            float(sum(t.shape[0] for t, v in zip(targets, valid, strict=True) if v)), 1.0
        )

        predictions = [out]
        if self.deep_supervision:
            predictions += list(out["aux_outputs"])
        loc = pred_masks.new_zeros(())
        final: dict[str, torch.Tensor] = {}
        for i, pred in enumerate(predictions):
            parts = self.layer_loss(
                pred["pred_logits"], pred["pred_masks"], targets, valid, num_masks
            )
            loc = loc + (
                self.weight_cls * parts["cls"]
                + self.weight_bce * parts["mask_bce"]
                + self.weight_dice * parts["dice"]
            )
            if i == 0:
                final = parts
        det = F.binary_cross_entropy_with_logits(out["image"].float(), labels)
        loss = self.lambda_det * det + self.lambda_loc * loc
        terms = {
            "loss": float(loss.detach()),
            "det": float(det.detach()),
            "loc": float(loc.detach()),
            "cls": float(final["cls"].detach()),
            "mask_bce": float(final["mask_bce"].detach()),
            "dice": float(final["dice"].detach()),
            "regions": sum(t.shape[0] for t in targets) / max(len(targets), 1),
        }
        return loss, terms
