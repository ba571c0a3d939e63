"""Losses shared by the objectives."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def balanced_bce(
    logits: torch.Tensor, target: torch.Tensor, max_weight: float = 20.0
) -> tuple[torch.Tensor, float]:
    """Binary cross-entropy (crfd-net.md eq. 12) with class-balancing weights.

    logits, target: [B, 1, H, W]; target in {0, 1}. Each class gets half of the total weight:
    pixels of a class with share q weigh 1 / (2 q), so forged and authentic pixels count
    equally whatever their proportion in the batch (forged pixels are a minority in most
    windows, and an unweighted BCE then learns to say "authentic" everywhere). The weight is
    capped at ``max_weight`` so that a batch with a handful of forged pixels does not let
    those few pixels dominate. A batch of a single class falls back to the plain mean.
    Returns the loss and the batch's forged-pixel share (for the progress log).
    Under DistributedDataParallel the share is that of the global batch (summed over the
    ranks), so each rank weighs its pixels as one process would weigh the whole batch.
    """
    target = target.to(logits.dtype)
    q = _global_share(target)
    if 0.0 < q < 1.0:
        w_pos = min(1.0 / (2.0 * q), max_weight)
        w_neg = min(1.0 / (2.0 * (1.0 - q)), max_weight)
        weight = target * w_pos + (1.0 - target) * w_neg
    else:
        weight = None
    loss = F.binary_cross_entropy_with_logits(logits, target, weight=weight, reduction="mean")
    return loss, q


def _global_share(target: torch.Tensor) -> float:
    """The share of ones in ``target``, over every rank's batch when several train together."""
    counts = torch.stack([target.sum(), torch.tensor(float(target.numel()), device=target.device)])
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        counts = counts.double()
        dist.all_reduce(counts, op=dist.ReduceOp.SUM)
    return float(counts[0]) / float(counts[1])
