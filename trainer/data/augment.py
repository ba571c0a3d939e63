"""Augmentation applied to an image and its mask alike.

Geometric steps (random resize, crop or pad, flips) move image and mask together; photometric
steps (brightness/contrast, shrinking, camera processing, JPEG re-compression) touch only the
image. Every random choice comes from the ``numpy.random.Generator`` passed in, so a sample's
augmentation is a pure function of (seed, epoch, index) and an interrupted run resumes with
exactly the same batches.

Five presets (``--aug``):

- ``none``: nothing.
- ``light`` (default for CRFD-Net): flips, brightness/contrast, occasional JPEG re-compression;
  **no resize**. CRFD-Net looks for the neighbour correlation that up-sampling leaves (CEM,
  crfd-net.md §3.1). Resampling a whole training window would put that very trace on authentic
  pixels labelled 0 and erase the difference between a resampled splice and its background.
- ``full`` (default for whole-image families): everything the issue lists: resize 0.5-2.0,
  crop or pad to the training size, flips, brightness/contrast, JPEG quality 60-100.

Two for face crops (``faces`` made the bundled face model): flips, brightness/contrast, half
the crops shrunk to 20-100 % and stretched back (a small face of a camera photograph brought to
the window), half re-compressed at JPEG quality 60-95. ``faces-camera`` adds, to 60 % of the
crops at their shrunk size and before the JPEG, one step of a camera's own processing over the
whole crop: sensor noise, a denoising blur or unsharp-mask sharpening (``camera_step``). The authentic faces the
face model flags are mostly camera faces, and its authentic training faces mostly studio
photographs: the step is meant to teach that processing spread over the whole crop is not a
manipulation (no label changes; a forgery's region still differs from its surroundings).
Measured once (docs/FACES.md, candidate N): it did not help the face model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np
from numpy.typing import NDArray

U8 = NDArray[np.uint8]


@dataclass(frozen=True)
class AugmentConfig:
    scale: tuple[float, float] = (1.0, 1.0)  # random resize factor range (log-uniform); 1 = off
    hflip: float = 0.5  # probability of a horizontal flip (forgeries have no handedness)
    vflip: float = 0.0  # probability of a vertical flip (off for light: photos have an up)
    brightness: float = 0.08  # max brightness shift as a share of 255
    contrast: float = 0.1  # max relative contrast change (0.1 = x0.9 .. x1.1)
    jpeg_prob: float = 0.3  # probability of a JPEG re-compression of the result
    jpeg_quality: tuple[int, int] = (70, 100)  # quality range of that re-compression
    shrink_prob: float = 0.0  # probability of shrinking the image and stretching it back
    shrink: tuple[float, float] = (1.0, 1.0)  # side factor range of that shrink (log-uniform)
    camera_prob: float = 0.0  # probability of one camera processing step (``camera_step``)


_FACES = AugmentConfig(jpeg_prob=0.5, jpeg_quality=(60, 95), shrink_prob=0.5, shrink=(0.2, 1.0))

PRESETS: dict[str, AugmentConfig] = {
    "none": AugmentConfig(hflip=0.0, brightness=0.0, contrast=0.0, jpeg_prob=0.0),
    "light": AugmentConfig(),
    "full": AugmentConfig(scale=(0.5, 2.0), vflip=0.1, jpeg_prob=0.5, jpeg_quality=(60, 100)),
    "faces": _FACES,
    "faces-camera": replace(_FACES, camera_prob=0.6),
}


def preset(name: str, **overrides: object) -> AugmentConfig:
    """The named preset, optionally with fields replaced."""
    if name not in PRESETS:
        raise ValueError(f"augmentation must be one of {sorted(PRESETS)}, got {name!r}")
    return replace(PRESETS[name], **overrides)  # type: ignore[arg-type]


def random_scale(cfg: AugmentConfig, rng: np.random.Generator) -> float:
    """A resize factor, log-uniform in ``cfg.scale`` (so 0.5 and 2.0 are equally likely)."""
    lo, hi = cfg.scale
    if lo == hi == 1.0:
        return 1.0
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def resize_pair(image: U8, mask: U8, size: tuple[int, int]) -> tuple[U8, U8]:
    """Resize to ``size`` = (h, w): area/linear for the image, nearest for the mask."""
    h, w = size
    if image.shape[:2] == (h, w):
        return image, mask
    shrink = h * w < image.shape[0] * image.shape[1]
    interp = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    return (
        cv2.resize(image, (w, h), interpolation=interp),
        cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST),
    )


def take(image: U8, mask: U8, y: int, x: int, h: int, w: int) -> tuple[U8, U8]:
    """The region [y, y+h) x [x, x+w), mirrored at the borders where it leaves the image."""
    H, W = image.shape[:2]
    top, left = max(0, -y), max(0, -x)
    bottom, right = max(0, y + h - H), max(0, x + w - W)
    y0, x0 = max(0, y), max(0, x)
    img = image[y0 : min(H, y + h), x0 : min(W, x + w)]
    msk = mask[y0 : min(H, y + h), x0 : min(W, x + w)]
    if top or left or bottom or right:
        # Reflect needs the pad to be smaller than the image; beyond that, replicate.
        ih, iw = img.shape[:2]
        border = (
            cv2.BORDER_REFLECT_101
            if max(top, bottom) < ih and max(left, right) < iw
            else cv2.BORDER_REPLICATE
        )
        img = cv2.copyMakeBorder(img, top, bottom, left, right, border)
        msk = cv2.copyMakeBorder(msk, top, bottom, left, right, border)
    return np.ascontiguousarray(img), np.ascontiguousarray(msk)


def crop_or_pad(image: U8, mask: U8, size: int, rng: np.random.Generator) -> tuple[U8, U8]:
    """A random ``size`` x ``size`` crop; sides shorter than ``size`` are mirror-padded.

    When the mask has foreground, the crop is drawn around a random foreground pixel half of
    the time, so that small forgeries are not cropped away in most samples.
    """
    H, W = image.shape[:2]
    ys, xs = np.nonzero(mask)
    if ys.size and rng.random() < 0.5:
        k = int(rng.integers(ys.size))
        cy, cx = int(ys[k]), int(xs[k])
        y = int(np.clip(cy - rng.integers(size), 0, max(0, H - size)))
        x = int(np.clip(cx - rng.integers(size), 0, max(0, W - size)))
    else:
        y = int(rng.integers(0, max(0, H - size) + 1))
        x = int(rng.integers(0, max(0, W - size) + 1))
    return take(image, mask, y, x, size, size)


def flips(image: U8, mask: U8, cfg: AugmentConfig, rng: np.random.Generator) -> tuple[U8, U8]:
    if cfg.hflip and rng.random() < cfg.hflip:
        image, mask = image[:, ::-1], mask[:, ::-1]
    if cfg.vflip and rng.random() < cfg.vflip:
        image, mask = image[::-1], mask[::-1]
    return np.ascontiguousarray(image), np.ascontiguousarray(mask)


def jpeg(image: U8, quality: int) -> U8:
    """JPEG-compress and decode ``image`` (RGB) at ``quality``."""
    ok, buf = cv2.imencode(
        ".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
    )
    if not ok:
        return image
    return cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def camera_step(image: U8, rng: np.random.Generator) -> U8:
    """One step of a camera's processing over the whole image, chosen at random: sensor noise
    (Gaussian, sd 1-5 grey levels, brighter pixels noisier as shot noise is), a denoising blur
    (Gaussian, sigma 0.4-1.0 pixels) or unsharp-mask sharpening (sigma 0.7-1.5, amount 0.3-1.2)."""
    x = image.astype(np.float32)
    kind = int(rng.integers(3))
    if kind == 0:
        sd = rng.uniform(1.0, 5.0) * np.sqrt(0.25 + 0.75 * x / 255.0)
        x = x + rng.standard_normal(x.shape).astype(np.float32) * sd
    elif kind == 1:
        x = cv2.GaussianBlur(x, (0, 0), float(rng.uniform(0.4, 1.0)))
    else:
        blur = cv2.GaussianBlur(x, (0, 0), float(rng.uniform(0.7, 1.5)))
        x = x + float(rng.uniform(0.3, 1.2)) * (x - blur)
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def photometric(image: U8, cfg: AugmentConfig, rng: np.random.Generator) -> U8:
    """Brightness/contrast, then JPEG re-compression, each with the configured probability;
    with ``cfg.shrink_prob`` the re-compression happens at a shrunk size and the image is
    stretched back (a small face of a camera JPEG brought to the window); with
    ``cfg.camera_prob`` a ``camera_step`` at that size, before the JPEG, as in a camera."""
    if cfg.brightness or cfg.contrast:
        b = rng.uniform(-cfg.brightness, cfg.brightness) * 255.0
        c = 1.0 + rng.uniform(-cfg.contrast, cfg.contrast)
        if abs(b) > 0.5 or abs(c - 1.0) > 1e-3:
            mean = float(image.mean())
            out = (image.astype(np.float32) - mean) * c + mean + b
            image = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    shape = image.shape[:2]
    if cfg.shrink_prob and rng.random() < cfg.shrink_prob:
        f = float(np.exp(rng.uniform(np.log(cfg.shrink[0]), np.log(cfg.shrink[1]))))
        small = (max(8, round(shape[1] * f)), max(8, round(shape[0] * f)))
        image = cv2.resize(image, small, interpolation=cv2.INTER_AREA)
    if cfg.camera_prob and rng.random() < cfg.camera_prob:
        image = camera_step(image, rng)
    if cfg.jpeg_prob and rng.random() < cfg.jpeg_prob:
        image = jpeg(image, int(rng.integers(cfg.jpeg_quality[0], cfg.jpeg_quality[1] + 1)))
    if image.shape[:2] != shape:
        image = cv2.resize(image, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)
    return image


def augment_image(
    image: U8, mask: U8, size: int, cfg: AugmentConfig, rng: np.random.Generator
) -> tuple[U8, U8]:
    """Whole-image pipeline: resize, crop or pad to ``size``, flips, photometric."""
    s = random_scale(cfg, rng)
    if s != 1.0:
        h, w = image.shape[:2]
        image, mask = resize_pair(image, mask, (max(1, round(h * s)), max(1, round(w * s))))
    image, mask = crop_or_pad(image, mask, size, rng)
    image, mask = flips(image, mask, cfg, rng)
    return photometric(image, cfg, rng), mask
