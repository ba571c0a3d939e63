"""Training samples: CRFD-Net windows (§3.3) or augmented whole-image crops.

Images are decoded once (:func:`load_items`) and kept in memory as uint8; each epoch draws a
*plan* (which windows or images, in which order) from ``(seed, epoch)`` alone, and each sample's
augmentation from ``(seed, epoch, position)``. A resumed run therefore sees exactly the batches
an uninterrupted one would have seen, without saving any data-loader state.

Combined data sets carry a weight per item: an item of weight w appears floor(w) times per
epoch plus once more with probability w - floor(w) (a weight of 0.5 halves a data set's share,
2.0 doubles it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray
from torch.utils.data import Dataset

from engine.preprocess import normalize
from engine.tiling import window_starts
from trainer.data.augment import (
    AugmentConfig,
    augment_image,
    flips,
    photometric,
    random_scale,
    resize_pair,
    take,
)
from trainer.data.records import Sample, SkipLog, load_pair

SAMPLING_MODES = ("windows", "images")


@dataclass
class Item:
    """A decoded image with its mask in {0, 1} and its sampling weight."""

    sample: Sample
    image: NDArray[np.uint8]  # [H, W, 3] RGB
    mask: NDArray[np.uint8]  # [H, W] {0, 1}
    weight: float = 1.0


def load_items(
    samples: list[Sample], skipped: SkipLog, weights: list[float] | None = None
) -> list[Item]:
    """Decode every sample; unreadable images go to ``skipped`` and are left out."""
    items: list[Item] = []
    for i, s in enumerate(samples):
        pair = load_pair(s, skipped)
        if pair is not None:
            items.append(Item(s, pair[0], pair[1], 1.0 if weights is None else weights[i]))
    return items


def to_batch_tensors(
    image: NDArray[np.uint8], mask: NDArray[np.uint8]
) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 [P, P, 3] and {0,1} [P, P] -> normalised [3, P, P] and float [1, P, P]."""
    x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float().div_(255.0)
    x = normalize(x.unsqueeze(0))[0]
    m = torch.from_numpy(np.ascontiguousarray(mask)).float().unsqueeze(0)
    return x, m


def _repeats(weights: NDArray[np.float64], rng: np.random.Generator) -> NDArray[np.int64]:
    base = np.floor(weights)
    return (base + (rng.random(weights.shape) < weights - base)).astype(np.int64)


@dataclass(frozen=True)
class WindowConfig:
    window: int = 128  # P: window size and stride at training (§3.3: stride P)
    authentic_share: float = 0.5  # authentic windows per foreground window in each epoch
    min_foreground: int = 1  # pixels of foreground that make a window a forged one (paper: 1)
    jitter: bool = True  # shift the window grid each epoch by a multiple of 8 (see class doc)


class WindowDataset(Dataset):
    """CRFD-Net §3.3 training windows: P x P at stride P, kept when the mask has foreground.

    Plus, each epoch, ``authentic_share`` x (number of forged windows) windows without
    foreground, drawn from authentic images and from the clean parts of tampered images. The
    paper trains on forged windows only; a network that never sees clean texture has no
    reason to output 0 on a whole authentic window, and the forged-fraction decision (§3.4)
    depends on exactly that: every false pixel on an authentic image raises p_real_max and so
    θ. Authentic windows are what keeps the forged fraction of authentic images near zero.

    Jitter: the window grid is shifted each epoch by a random offset that is a multiple of 8,
    so the network sees different framings of the same forgery over the epochs while the 2x2
    phase of CEM and the 8x8 JPEG block grid stay aligned with the image, as they are at
    inference (window origins there are multiples of the stride).
    """

    def __init__(
        self,
        items: list[Item],
        cfg: WindowConfig,
        augment: AugmentConfig,
        seed: int = 0,
    ) -> None:
        self.items = items
        self.cfg = cfg
        self.augment = augment
        self.seed = seed
        self.plan: list[tuple[int, int, int]] = []
        self.epoch = 0
        self.set_epoch(0)

    def _grid(self, length: int, offset: int) -> list[int]:
        P = self.cfg.window
        if offset == 0 or length - offset < P:
            return window_starts(length, P, P)
        return list(range(offset, length - P + 1, P))

    def set_epoch(self, epoch: int) -> None:
        """Draw this epoch's windows (deterministic in seed and epoch)."""
        self.epoch = epoch
        rng = np.random.default_rng([self.seed, epoch, 1])
        P = self.cfg.window
        pos: list[tuple[int, int, int]] = []
        neg: list[tuple[int, int, int]] = []
        weights = np.array([it.weight for it in self.items], dtype=np.float64)
        reps = _repeats(weights, rng)
        for i, it in enumerate(self.items):
            H, W = it.mask.shape
            oy = oxx = 0
            if self.cfg.jitter:
                oy = 8 * int(rng.integers(0, max(1, P // 8)))
                oxx = 8 * int(rng.integers(0, max(1, P // 8)))
            for y in self._grid(H, oy):
                for x in self._grid(W, oxx):
                    fg = int(it.mask[y : y + P, x : x + P].sum())
                    target = pos if fg >= self.cfg.min_foreground else neg
                    target.extend([(i, y, x)] * int(reps[i]))
        if pos:
            n_neg = min(len(neg), round(self.cfg.authentic_share * len(pos)))
            chosen = rng.choice(len(neg), size=n_neg, replace=False) if n_neg else []
            plan = pos + [neg[j] for j in sorted(chosen)]
        else:
            plan = neg
        order = rng.permutation(len(plan))
        self.plan = [plan[j] for j in order]

    def __len__(self) -> int:
        return len(self.plan)

    def counts(self) -> dict[str, int]:
        P = self.cfg.window
        forged = sum(
            1
            for i, y, x in self.plan
            if self.items[i].mask[y : y + P, x : x + P].sum() >= self.cfg.min_foreground
        )
        return {
            "windows": len(self.plan),
            "forged_windows": forged,
            "clean_windows": len(self.plan) - forged,
        }

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        i, y, x = self.plan[index]
        it = self.items[i]
        rng = np.random.default_rng([self.seed, self.epoch, 2, index])
        P = self.cfg.window
        s = random_scale(self.augment, rng)
        if s == 1.0:
            img, msk = take(it.image, it.mask, y, x, P, P)
        else:
            c = max(8, round(P / s))  # a c x c region resized to P x P is a resize by s
            cy, cx = y + P // 2, x + P // 2
            img, msk = take(it.image, it.mask, cy - c // 2, cx - c // 2, c, c)
            img, msk = resize_pair(img, msk, (P, P))
        img, msk = flips(img, msk, self.augment, rng)
        img = photometric(img, self.augment, rng)
        xt, mt = to_batch_tensors(img, msk)
        return xt, mt, (mt.amax() > 0).float().reshape(())


class ImageDataset(Dataset):
    """Whole images augmented and cropped or padded to ``size`` (Mask2Former, DiffForensics).

    The label is the image's (1 manipulated, 0 authentic), not the crop's: an image-level head
    learns whether the image was manipulated, and the crop is biased towards the forgery
    (see :func:`trainer.data.augment.crop_or_pad`).
    """

    def __init__(self, items: list[Item], size: int, augment: AugmentConfig, seed: int = 0) -> None:
        self.items = items
        self.size = size
        self.augment = augment
        self.seed = seed
        self.plan: list[int] = []
        self.epoch = 0
        self.set_epoch(0)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        rng = np.random.default_rng([self.seed, epoch, 1])
        weights = np.array([it.weight for it in self.items], dtype=np.float64)
        reps = _repeats(weights, rng)
        plan = [i for i, r in enumerate(reps) for _ in range(int(r))]
        self.plan = [plan[j] for j in rng.permutation(len(plan))]

    def __len__(self) -> int:
        return len(self.plan)

    def counts(self) -> dict[str, int]:
        forged = sum(1 for i in self.plan if self.items[i].sample.label == 1)
        return {
            "images": len(self.plan),
            "forged_images": forged,
            "authentic_images": len(self.plan) - forged,
        }

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        it = self.items[self.plan[index]]
        rng = np.random.default_rng([self.seed, self.epoch, 2, index])
        img, msk = augment_image(it.image, it.mask, self.size, self.augment, rng)
        xt, mt = to_batch_tensors(img, msk)
        return xt, mt, torch.tensor(float(it.sample.label))
