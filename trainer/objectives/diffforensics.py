"""DiffForensics objectives: stage 1 denoising pre-training and stage 2 multi-task fine-tuning.

Paper: ``papers/diffforensics.md`` §3.1 (Algorithm 1, eq. 1) and §3.2 (eq. 4-9), settings §4.1.
Both are callables ``objective(model, images, masks, labels) -> (loss, terms)`` with
``parameters(model)`` and ``default_optim`` for the shared loop (``trainer.objectives``).

Stage 1, :class:`DiffForensicsPretrainObjective` (masks and labels unused)::

    t ~ U{1..T},  ε ~ Simplex(ν = 2^-6, N = 6, γ = 0.8),  x_t = sqrt(ᾱ_t) x_0 + sqrt(1 - ᾱ_t) ε
    loss = mean (ε - ε_θ(x_t, t))²

Stage 2, :class:`DiffForensicsFinetuneObjective` (at the fixed time t_f = 5)::

    L_seg = λ0s · wBCE(λ1s, λ2s) + (1 - λ0s) · Dice                    (4)-(6)
    L_edg = Σ_k 2^-(k-1) · Dice(σ(f_k), y_e)                            (7)
    L_clf = -(λ0c · y log p + λ1c · (1 - y) log(1 - p))                 (8)
    L     = α (L_seg + L_edg) + β L_clf                                 (9)

with λ0s = 0.1, λ1s = 2, λ2s = 0.5, α = 0.8, β = 0.1, λ0c = 0.7, λ1c = 0.3 (§4.1).

Choices where the paper is vague, and why:

- **DDPM schedule.** The paper gives T = 1000 and nothing else, so DDPM's linear β from 1e-4 to
  0.02. t is 1-based (Algorithm 1: t ~ Uniform{1, ..., T}); ᾱ_t is the product of (1 - β_s)
  for s <= t, and the network's time embedding receives the same integer t, so t_f = 5 of
  stage 2 is the 5th step of this schedule.
- **Diffusion space.** x_0 is the normalised network input (ImageNet mean/std, roughly unit
  variance per channel, like DDPM's [-1, 1] data), so x_t stays in the space the encoder reads.
- **Simplex ε** is :func:`trainer.noise.simplex_noise`, normalised to unit variance (see its
  module docstring), one independent field per image and channel. ``noise="gaussian"`` gives
  the vanilla-DDPM rows of the paper's Table 4.
- **Frozen encoder.** ``freeze_encoder=True`` (the paper) sets ``requires_grad=False`` on the
  encoder and keeps it in eval mode during the step (no stochastic depth: a frozen feature
  extractor should give the features it was trained to give). Models whose encoder was never
  loaded from weights (``model.encoder_source is None``) have random encoder features; freezing
  them is allowed but warned about: pre-train them with ``freeze_encoder=False`` (the paper's
  "DDPM/DDPM" setting of Table 4), which is how models without ADE20K weights (all that can be
  trained offline here) should be pre-trained.
- **``parameters(model)`` also sets ``requires_grad``**: True on what it returns, False on the
  rest (stage 1: encoder when frozen, ECEM convs, mask and image heads; stage 2: the noise
  head). Autograd then skips the unused parts and DistributedDataParallel, built after this
  call, tracks only parameters that receive gradients.
- **Dice** (eq. 6) is computed per image (the paper's L(x) is per image) with a smoothing
  constant of 1 in numerator and denominator (V-Net practice; the paper cites V-Net) and
  averaged over the batch. For an authentic image (empty mask) eq. (6) is 1 - 0/Σp²: constant,
  no gradient. The smoothed form is Σp²/(Σp² + 1), which stays near 1 with a vanishing gradient
  until the false positives are almost gone, so authentic images leave a floor of about 1 per
  image in the Dice terms and their pixels are driven mainly by the wBCE term.
- **wBCE** (eq. 5) is the mean over all pixels of the batch (N = number of pixels), computed
  from logits with log-sigmoid for stability. L_clf (eq. 8) is averaged over the batch.
- **Edge labels** y_e: the morphological gradient of the mask (square dilation minus
  erosion with radius ``edge_radius``, default 2), i.e. a band of 2·r = 4 pixels centred on
  the boundary at input resolution, for all three scales (the paper uses one y_e). Pixels
  outside the image count as neither forged nor authentic, so a mask touching the border makes
  no edge there. Masks are binarised at 0.5 first.
- **Scale order.** ``edges[0]`` is f_1, the finest scale (weight 1), ``edges[2]`` the coarsest
  (weight 1/4): the paper gives the finer edge supervision the greater weight.
- **Class weights.** λ0c, λ1c default to the paper's 0.7, 0.3; :meth:`from_counts` applies the
  paper's rule λ0c = ⌊10·N_F/(N_F + N_R)⌋/10, λ1c = ⌊10·N_R/(N_F + N_R)⌋/10. As written, the
  rule gives the *more numerous* class the larger weight (the paper's forgery-heavy training
  set yields 0.7 for forged); we follow it. A class that is present but below 10 % would get
  weight 0 and be ignored, so such a weight is raised to 0.1 (the rule's smallest step).
- **Input size: 128-pixel crops by default, not 512 x 512.** §4.1 resizes every image to
  512 x 512 in both stages. ``fit`` and ``pretrain`` crop or pad each augmented image to
  ``--window``, whose default (:data:`trainer.plan.DEFAULT_WINDOW`, 128) is a CPU budget: 512
  has 16x the pixels a step. ``--window 512`` gives the paper's size, though as crops (or
  padding) of the image at its own scale, not the whole image resized: the data pipeline,
  :class:`trainer.data.datasets.ImageDataset`, is Mask2Former's (§4.1 of that paper crops).
  A run of another size records both in its checkpoint header (``train_window`` beside
  ``paper_window`` and ``window_note``, :func:`trainer.fit_settings.window_note`).
- **Optimiser.** AdamW at lr 1e-4 with batch 16 (stage 1) and 32 (stage 2); the paper names no
  weight decay or schedule, so AdamW's usual 0.01 and a constant rate. Epochs 100 and 50.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from trainer.noise import simplex_noise

PAPER_T = 1000  # diffusion steps (§4.1)


def _unwrap(model: nn.Module) -> nn.Module:
    """The DiffForensics module inside a (Distributed)DataParallel wrapper, or ``model``."""
    return getattr(model, "module", model)


def _groups(model: nn.Module) -> dict[str, list[nn.Parameter]]:
    inner = _unwrap(model)
    fn = getattr(inner, "parameter_groups", None)
    if not callable(fn):
        raise TypeError(f"expected a DiffForensics model, got {type(inner).__name__}")
    return fn()


def _select(model: nn.Module, names: tuple[str, ...]) -> list[nn.Parameter]:
    """Parameters of the named groups, with requires_grad True on them and False elsewhere."""
    chosen: list[nn.Parameter] = []
    for name, params in _groups(model).items():
        for p in params:
            p.requires_grad_(name in names)
        if name in names:
            chosen.extend(params)
    return chosen


# --------------------------------------------------------------------------- loss helpers


def linear_betas(
    num_timesteps: int = PAPER_T, start: float = 1e-4, end: float = 0.02
) -> torch.Tensor:
    """DDPM's linear β schedule: [T] float64, β_1 = start ... β_T = end."""
    return torch.linspace(start, end, num_timesteps, dtype=torch.float64)


def edge_labels(masks: torch.Tensor, radius: int = 2) -> torch.Tensor:
    """Morphological gradient of binarised masks: [B, 1, H, W] -> [B, 1, H, W] in {0, 1}.

    Dilation minus erosion with a (2r+1) x (2r+1) square: a band r pixels either side of each
    boundary. Max-pooling pads with -inf, so the image border is no boundary.
    """
    if radius < 1:
        raise ValueError(f"edge radius must be >= 1, got {radius}")
    m = (masks > 0.5).to(masks.dtype)
    k = 2 * radius + 1
    dilated = F.max_pool2d(m, k, stride=1, padding=radius)
    eroded = -F.max_pool2d(-m, k, stride=1, padding=radius)
    return dilated - eroded


def weighted_bce_with_logits(
    logits: torch.Tensor, target: torch.Tensor, w_pos: float, w_neg: float
) -> torch.Tensor:
    """Eq. (5)/(8): mean of -(w_pos · y log σ(z) + w_neg · (1 - y) log(1 - σ(z)))."""
    loss = -(w_pos * target * F.logsigmoid(logits) + w_neg * (1 - target) * F.logsigmoid(-logits))
    return loss.mean()


def dice_loss(probs: torch.Tensor, target: torch.Tensor, smooth: float = 1.0) -> torch.Tensor:
    """Eq. (6) per image, smoothed, averaged: probs, target [B, ...] -> scalar.

    1 - (2 Σ p y + s) / (Σ p² + Σ y² + s).
    """
    p = probs.flatten(1)
    y = target.flatten(1)
    inter = (p * y).sum(1)
    denom = (p * p).sum(1) + (y * y).sum(1)
    return (1.0 - (2.0 * inter + smooth) / (denom + smooth)).mean()


def class_weights_from_counts(n_forged: int, n_real: int) -> tuple[float, float]:
    """The paper's (λ0c, λ1c) = (⌊10·N_F/N⌋/10, ⌊10·N_R/N⌋/10), a present class at least 0.1."""
    if n_forged < 0 or n_real < 0 or n_forged + n_real == 0:
        raise ValueError(f"need non-negative counts with a positive sum, got {n_forged}, {n_real}")
    total = n_forged + n_real

    def weight(n: int) -> float:
        w = math.floor(10 * n / total) / 10
        return max(w, 0.1) if n > 0 else w

    return weight(n_forged), weight(n_real)


# --------------------------------------------------------------------------- stage 1


class DiffForensicsPretrainObjective:
    """Stage 1: self-supervised denoising with Simplex noise (Algorithm 1, eq. 1).

    num_timesteps, beta_start, beta_end: the DDPM schedule (T = 1000, linear 1e-4 .. 0.02).
    freeze_encoder: the paper's frozen encoder; False trains it too (from-scratch models).
    noise: ``"simplex"`` (the paper) or ``"gaussian"`` (vanilla DDPM, Table 4 ablation).
    frequency, octaves, decay: the Simplex parameters ν, N, γ.
    generator: source of t and ε (seed it for reproducible steps); None uses torch's global one.
    """

    uses_masks = False  # masks and labels are ignored: authentic-only data sets are fine
    sampling = "images"  # augmented crops of whole images at --window (§4.1 resizes to 512)
    paper_window = 512  # §4.1's input size; fit's default is smaller (module docstring)
    default_optim: dict[str, Any] = {  # noqa: RUF012 - read-only defaults for the loop
        "optimizer": "adamw",
        "lr": 1e-4,
        "weight_decay": 0.01,
        "schedule": "constant",
        "batch_size": 16,
    }

    def __init__(
        self,
        *,
        num_timesteps: int = PAPER_T,
        beta_start: float = 1e-4,
        beta_end: float = 0.02,
        freeze_encoder: bool = True,
        noise: str = "simplex",
        frequency: float = 2**-6,
        octaves: int = 6,
        decay: float = 0.8,
        generator: torch.Generator | None = None,
    ) -> None:
        if noise not in ("simplex", "gaussian"):
            raise ValueError(f"noise must be 'simplex' or 'gaussian', got {noise!r}")
        if num_timesteps < 1:
            raise ValueError(f"num_timesteps must be >= 1, got {num_timesteps}")
        self.num_timesteps = num_timesteps
        self.freeze_encoder = freeze_encoder
        self.noise = noise
        self.frequency, self.octaves, self.decay = frequency, octaves, decay
        self.generator = generator
        betas = linear_betas(num_timesteps, beta_start, beta_end)
        self.alphas_cumprod = torch.cumprod(1.0 - betas, dim=0)  # [T] float64: ᾱ_1 .. ᾱ_T
        self._warned = False

    def parameters(self, model: nn.Module) -> list[nn.Parameter]:
        """Time MLP, decoder blocks, noise head (+ encoder unless frozen); freezes the rest."""
        names = ("decoder", "noise_head") + (() if self.freeze_encoder else ("encoder",))
        return _select(model, names)

    def sample_noise(
        self, shape: torch.Size, device: torch.device, dtype: torch.dtype
    ) -> torch.Tensor:
        """ε of ``shape`` ([B, 3, H, W]) from this objective's noise and generator."""
        if self.noise == "gaussian":
            gen_device = self.generator.device if self.generator is not None else "cpu"
            eps = torch.randn(tuple(shape), generator=self.generator, device=gen_device)
            return eps.to(device=device, dtype=dtype)
        return simplex_noise(
            shape,
            frequency=self.frequency,
            octaves=self.octaves,
            decay=self.decay,
            generator=self.generator,
            device=device,
            dtype=dtype,
        )

    def sample_t(self, batch: int, device: torch.device) -> torch.Tensor:
        """t ~ Uniform{1, ..., T}: [B] long on ``device``."""
        gen_device = self.generator.device if self.generator is not None else "cpu"
        t = torch.randint(
            1, self.num_timesteps + 1, (batch,), generator=self.generator, device=gen_device
        )
        return t.to(device)

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        """x_t = sqrt(ᾱ_t) x_0 + sqrt(1 - ᾱ_t) ε. x0, eps: [B, C, H, W]; t: [B] in 1..T."""
        abar = self.alphas_cumprod.to(x0.device)[t - 1].to(x0.dtype).view(-1, 1, 1, 1)  # B,1,1,1
        return abar.sqrt() * x0 + (1.0 - abar).sqrt() * eps

    def __call__(
        self,
        model: nn.Module,
        images: torch.Tensor,
        masks: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, dict[str, float]]:
        inner = _unwrap(model)
        if self.freeze_encoder:
            inner.encoder.requires_grad_(False)
            inner.encoder.eval()
            if inner.encoder_source is None and not self._warned:
                warnings.warn(
                    "DiffForensics stage 1 with a frozen encoder that was never loaded from "
                    "weights: its features are random. Load MiT weights (encoder_weights) or "
                    "use freeze_encoder=False.",
                    stacklevel=2,
                )
                self._warned = True
        b = images.shape[0]
        t = self.sample_t(b, images.device)
        eps = self.sample_noise(images.shape, images.device, images.dtype)
        x_t = self.q_sample(images, t, eps)
        pred = model(x_t, t, task="noise")["noise"]
        loss = F.mse_loss(pred.float(), eps.float())
        return loss, {"mse": float(loss.detach()), "t_mean": float(t.float().mean())}


# --------------------------------------------------------------------------- stage 2


class DiffForensicsFinetuneObjective:
    """Stage 2: localization, edge and detection supervision at t_f (eq. 4-9).

    t_f: the fixed time; None uses the model's ``config.t_finetune`` (5, the paper's), so that
        training and inference agree.
    alpha, beta: eq. (9). seg_balance, seg_pos_weight, seg_neg_weight: λ0s, λ1s, λ2s of (4)-(5).
    clf_weights: (λ0c, λ1c) of (8); see :meth:`from_counts`.
    edge_radius: half-width in pixels of the edge-label band (:func:`edge_labels`).
    dice_smooth: smoothing constant of the Dice terms.
    """

    uses_masks = True
    sampling = "images"  # as stage 1
    paper_window = 512  # §4.1 (module docstring)
    default_optim: dict[str, Any] = {  # noqa: RUF012 - read-only defaults for the loop
        "optimizer": "adamw",
        "lr": 1e-4,
        "weight_decay": 0.01,
        "schedule": "constant",
        "batch_size": 32,
    }

    def __init__(
        self,
        *,
        t_f: int | None = None,
        alpha: float = 0.8,
        beta: float = 0.1,
        seg_balance: float = 0.1,
        seg_pos_weight: float = 2.0,
        seg_neg_weight: float = 0.5,
        clf_weights: tuple[float, float] = (0.7, 0.3),
        edge_radius: int = 2,
        dice_smooth: float = 1.0,
    ) -> None:
        if not 0.0 <= seg_balance <= 1.0:
            raise ValueError(f"seg_balance (λ0s) must be in [0, 1], got {seg_balance}")
        if edge_radius < 1:
            raise ValueError(f"edge_radius must be >= 1, got {edge_radius}")
        self.t_f = t_f
        self.alpha, self.beta = alpha, beta
        self.seg_balance = seg_balance
        self.seg_pos_weight, self.seg_neg_weight = seg_pos_weight, seg_neg_weight
        self.clf_weights = (float(clf_weights[0]), float(clf_weights[1]))
        self.edge_radius = edge_radius
        self.dice_smooth = dice_smooth

    @classmethod
    def from_counts(cls, n_forged: int, n_real: int, **kw: Any) -> DiffForensicsFinetuneObjective:
        """The objective with (λ0c, λ1c) from the training set's image counts (§3.2)."""
        return cls(clf_weights=class_weights_from_counts(n_forged, n_real), **kw)

    def parameters(self, model: nn.Module) -> list[nn.Parameter]:
        """Encoder, decoder and task heads (the whole network but the stage-1 noise head)."""
        return _select(model, ("encoder", "decoder", "task_heads"))

    def __call__(
        self, model: nn.Module, images: torch.Tensor, masks: torch.Tensor, labels: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, float]]:
        out = model(images, self.t_f)
        mask_logits = out["mask"].float()  # B, 1, H, W
        if masks.shape != mask_logits.shape:
            raise ValueError(
                f"masks must be [B, 1, H, W] like the images, got {tuple(masks.shape)} for "
                f"outputs {tuple(mask_logits.shape)}"
            )
        masks = masks.float()
        wbce = weighted_bce_with_logits(
            mask_logits, masks, self.seg_pos_weight, self.seg_neg_weight
        )
        dice = dice_loss(torch.sigmoid(mask_logits), masks, self.dice_smooth)
        l_seg = self.seg_balance * wbce + (1.0 - self.seg_balance) * dice

        y_edge = edge_labels(masks, self.edge_radius)
        edge_terms = [
            dice_loss(torch.sigmoid(f.float()), y_edge, self.dice_smooth) for f in out["edges"]
        ]
        l_edg = sum(2.0**-k * term for k, term in enumerate(edge_terms))

        w_forged, w_real = self.clf_weights
        l_clf = weighted_bce_with_logits(out["image"].float(), labels.float(), w_forged, w_real)

        loss = self.alpha * (l_seg + l_edg) + self.beta * l_clf
        terms = {
            "seg": float(l_seg.detach()),
            "seg_wbce": float(wbce.detach()),
            "seg_dice": float(dice.detach()),
            "edge": float(l_edg.detach()),
            **{f"edge_{k + 1}": float(term.detach()) for k, term in enumerate(edge_terms)},
            "clf": float(l_clf.detach()),
        }
        return loss, terms


# The name the shared loop's registry (trainer.families.FAMILIES) looks up for stage "fit".
DiffForensicsObjective = DiffForensicsFinetuneObjective
