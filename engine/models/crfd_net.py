"""CRFD-Net: Contrastive Residual Forgery Detection Network (``papers/crfd-net.md``).

Top-down: the Contrastive Enhancement Module, the residual encoder, the symmetric U-Net
decoder (equations 2-9), the network, and the registered variants.

Choices where the paper is vague, and why:

- **CEM down-sampling factor 2, nearest both ways.** The paper's premise is the correlation a
  generator's 2x up-sampling leaves between neighbouring pixels; a factor of 2 measures exactly
  that neighbourhood. With nearest interpolation the residual is zero on one pixel of every
  2x2 block and holds the three neighbour differences elsewhere.
- **Residual scale 4.0 (``cem_scale``).** The paper scales the residual "to enhance the influence
  of subtle differences" without a value. Neighbour differences of normalised natural images
  have a standard deviation of roughly 0.1-0.3; x4 brings them near unit scale, where the first
  BatchNorm-free convolution sees them at the same magnitude as a normalised image.
- **Input of the encoder.** Faithfully CEM(x) alone (``input_mode="cem"``). ``"cem+rgb"``
  concatenates the normalised image to the residual (6 channels); it is a documented deviation
  for training data whose forgeries are not generator up-sampling (hand-made splices keep
  colour and lighting cues that the residual removes).
- **Encoder layout.** A stride-1 stem (3x3 conv, BN, ReLU) keeps full resolution so that the
  pixel-level residual pattern is not aliased away; its output is x1. The paper's two residual
  groups BasicBlock1 and BasicBlock2 each start here with stride 2 and double the channels
  (the paper says only that the channels "increase progressively"); their outputs are x2
  (H/2) and x3 (H/4). Three scales are what the decoder of §3.2 consumes. ``blocks`` sets the
  residual units per group. The paper gives neither widths nor unit counts: the defaults
  64/128/256 and 2 + 2 are the project's choice, ResNet-18's first three stages, the smallest
  standard layout of "the standard ResNet framework" §3.1 adopts.
- **Global pooling branch.** §3.1 pools the last feature map to a 1x1 vector but does not say
  where it goes. Here it passes a 1x1 conv + ReLU and is added back to every position of x3,
  giving the decoder image-wide context (a window-wide one under sliding windows). It feeds no
  classifier: detection is the forged-fraction rule of §3.4, done in ``engine.decision``.
- **Decoder.** ConvT is a 2x2 transposed convolution with stride 2; "Conv" in (4) and (7) is a
  3x3 convolution; interpolation is bilinear (align_corners=False), as §3.2 says it combines
  transposed convolutions with bilinear interpolation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from engine.models.registry import Limits, register_model


@dataclass(frozen=True)
class CRFDNetConfig:
    channels: tuple[int, int, int] = (64, 128, 256)  # x1, x2, x3 widths: ResNet-18's (module doc)
    blocks: tuple[int, int] = (2, 2)  # residual units in BasicBlock1, BasicBlock2 (ResNet-18's)
    cem_factor: int = 2  # CEM down-sampling factor: the 2x up-sampling neighbourhood
    cem_scale: float = 4.0  # residual gain: brings neighbour differences near unit scale
    input_mode: str = "cem"  # "cem" (paper) or "cem+rgb" (documented deviation, see module doc)

    # What a checkpoint may ask for (engine.models.registry.check_config): 16x the default
    # widths, 32x their depth.
    LIMITS: ClassVar[Limits] = {
        "channels": (1, 4096),
        "blocks": (1, 64),
        "cem_factor": (2, 64),
        "cem_scale": (0.0, 1000.0),
    }


def contrastive_enhancement(x: torch.Tensor, factor: int = 2, scale: float = 4.0) -> torch.Tensor:
    """CEM, equation (1): ``scale * (x - Upsample(Downsample(x)))``, nearest both ways.

    x: [B, C, H, W] -> [B, C, H, W]. Nearest down-sampling by ``factor`` keeps the top-left pixel
    of every factor x factor block and nearest up-sampling copies it back over the block, so the
    residual is each pixel minus its block's top-left pixel. Sizes that are not multiples of
    ``factor`` are padded (replicate) at the bottom/right first and cropped after, so the blocks
    stay aligned to the image origin whatever the size (a window cut anywhere at an even offset
    sees the same residual as the whole image).
    """
    h, w = x.shape[-2:]
    ph, pw = (-h) % factor, (-w) % factor
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), mode="replicate")
    down = F.interpolate(x, scale_factor=1.0 / factor, mode="nearest")  # B, C, H/f, W/f
    up = F.interpolate(down, size=x.shape[-2:], mode="nearest")  # B, C, H, W
    return (scale * (x - up))[..., :h, :w]


class CEM(nn.Module):
    """Contrastive Enhancement Module (no parameters)."""

    def __init__(self, factor: int, scale: float) -> None:
        super().__init__()
        if factor < 2:
            raise ValueError(f"cem_factor must be >= 2, got {factor}")
        self.factor = factor
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return contrastive_enhancement(x, self.factor, self.scale)


class BasicBlock(nn.Module):
    """ResNet basic residual unit: two 3x3 convs with BN and an identity (or 1x1) shortcut."""

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x), inplace=True)


def _group(cin: int, cout: int, n: int) -> nn.Sequential:
    """A residual group: first unit halves the resolution, the rest keep it."""
    return nn.Sequential(BasicBlock(cin, cout, 2), *[BasicBlock(cout, cout) for _ in range(n - 1)])


def _conv_bn_relu(cin: int, cout: int, k: int = 3) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, 1, k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


def _convt_bn_relu(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.ConvTranspose2d(cin, cout, 2, 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


class ContrastiveResidualEncoder(nn.Module):
    """CEM -> stem (x1, H) -> BasicBlock1 (x2, H/2) -> BasicBlock2 (x3, H/4) + global context."""

    def __init__(self, cfg: CRFDNetConfig) -> None:
        super().__init__()
        c1, c2, c3 = cfg.channels
        self.input_mode = cfg.input_mode
        self.cem = CEM(cfg.cem_factor, cfg.cem_scale)
        cin = 6 if cfg.input_mode == "cem+rgb" else 3
        self.stem = _conv_bn_relu(cin, c1)
        self.group1 = _group(c1, c2, cfg.blocks[0])
        self.group2 = _group(c2, c3, cfg.blocks[1])
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.context = nn.Sequential(nn.Conv2d(c3, c3, 1), nn.ReLU(inplace=True))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        r = self.cem(x)
        if self.input_mode == "cem+rgb":
            r = torch.cat([r, x], dim=1)  # B, 6, H, W
        x1 = self.stem(r)  # B, c1, H, W
        x2 = self.group1(x1)  # B, c2, H/2, W/2
        x3 = self.group2(x2)  # B, c3, H/4, W/4
        x3 = x3 + self.context(self.pool(x3))  # global vector broadcast to every position
        return x1, x2, x3


class SymmetricUNetDecoder(nn.Module):
    """Equations (2)-(9): two up-and-fuse steps, a 1x1 projection, resize to the input."""

    def __init__(self, channels: tuple[int, int, int]) -> None:
        super().__init__()
        c1, c2, c3 = channels
        self.up3 = _convt_bn_relu(c3, c2)  # (2)
        self.fuse1 = _conv_bn_relu(2 * c2, c2)  # (4)
        self.up2 = _convt_bn_relu(c2, c1)  # (5)
        self.fuse2 = _conv_bn_relu(2 * c1, c1)  # (7)
        self.head = nn.Conv2d(c1, 1, 1)  # (8)

    def forward(
        self, x1: torch.Tensor, x2: torch.Tensor, x3: torch.Tensor, size: tuple[int, int]
    ) -> torch.Tensor:
        y = self.up3(x3)
        y = F.interpolate(y, size=x2.shape[-2:], mode="bilinear", align_corners=False)  # (3)
        y = self.fuse1(torch.cat([y, x2], dim=1))
        y = self.up2(y)
        y = F.interpolate(y, size=x1.shape[-2:], mode="bilinear", align_corners=False)  # (6)
        y = self.fuse2(torch.cat([y, x1], dim=1))
        y = self.head(y)
        return F.interpolate(y, size=size, mode="bilinear", align_corners=False)  # (9)


class CRFDNet(nn.Module):
    """CRFD-Net. ``forward(x: [B, 3, H, W]) -> mask logits [B, 1, H, W]``.

    Any H, W >= 1 works (the decoder interpolates to exact sizes); the pipeline feeds
    sliding windows of the size the checkpoint was trained at.
    """

    def __init__(self, cfg: CRFDNetConfig) -> None:
        super().__init__()
        if cfg.input_mode not in ("cem", "cem+rgb"):
            raise ValueError(f"input_mode must be 'cem' or 'cem+rgb', got {cfg.input_mode!r}")
        if len(cfg.channels) != 3 or len(cfg.blocks) != 2 or min(cfg.blocks) < 1:
            raise ValueError(
                f"channels needs 3 widths and blocks 2 counts >= 1, got {cfg.channels}, {cfg.blocks}"
            )
        self.config = cfg
        self.encoder = ContrastiveResidualEncoder(cfg)
        self.decoder = SymmetricUNetDecoder(cfg.channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1, x2, x3 = self.encoder(x)
        return self.decoder(x1, x2, x3, x.shape[-2:])


@register_model(
    "crfd-net",
    CRFDNetConfig(),
    description="CRFD-Net at full size (channels 64/128/256, 2+2 units: ResNet-18's; the "
    "paper gives no widths)",
    family="crfd-net",
    tiling="convolutional",
)
def crfd_net(cfg: CRFDNetConfig) -> CRFDNet:
    return CRFDNet(cfg)


@register_model(
    "crfd-net-compact",
    CRFDNetConfig(channels=(24, 48, 96), blocks=(1, 2), input_mode="cem+rgb"),
    description="CRFD-Net sized for CPU training (24/48/96, 1+2 units, residual + RGB input)",
    family="crfd-net",
    tiling="convolutional",
)
def crfd_net_compact(cfg: CRFDNetConfig) -> CRFDNet:
    return CRFDNet(cfg)
