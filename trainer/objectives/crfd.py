"""CRFD-Net objective: class-balanced BCE on the mask logits (crfd-net.md §3.4, §4.1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from trainer.losses import balanced_bce


@dataclass
class CRFDObjective:
    """``objective(model, images, masks, labels)``: BCE with class-balancing weights.

    The paper trains with Adam at lr 1e-4 and batch 4 on windows that contain forgery (§3.3);
    the window sampling lives in :class:`trainer.data.datasets.WindowDataset`. Labels are not
    used: CRFD-Net has no image head, its detection is the forged-fraction rule.

    Schedule (§4.1 gives only "Adam ... initial learning rate of 1e-4 ... batch size of 4 ...
    100 epochs"; "initial" says the rate changes, not how). The loop's choices, not the
    paper's: a cosine decay from 1e-4 to 1 % of it over the run's planned steps, after a linear
    warm-up of 100 steps from 1 % (``--warmup``: from-scratch BatchNorm statistics are unsettled
    in the first steps, and full-rate Adam steps on them can blow up), and a global
    gradient-norm clip of 1.0 (``--clip-grad``: a guard against a rare huge gradient, as from a
    batch whose few forged pixels the class-balancing weights make up to 20x heavier).
    100 epochs is ``fit``'s default.
    ``--schedule constant --warmup 0 --clip-grad 0`` is the plainest reading of the paper.
    """

    max_weight: float = 20.0  # cap on a class weight (see trainer.losses.balanced_bce)
    sampling: str = "windows"  # CRFD-Net trains on §3.3 windows
    uses_masks: bool = True  # supervised by masks
    default_optim: dict[str, Any] = field(
        default_factory=lambda: {
            "optimizer": "adam",
            "lr": 1e-4,
            "weight_decay": 0.0,
            "schedule": "cosine",
            "batch_size": 4,
        }
    )

    def __call__(
        self, model: nn.Module, images: torch.Tensor, masks: torch.Tensor, labels: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, float]]:
        logits = model(images)
        loss, q = balanced_bce(logits.float(), masks, self.max_weight)
        return loss, {"bce": float(loss.detach()), "forged_share": q}
