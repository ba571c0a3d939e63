"""Synthetic forgeries with exact masks, made from authentic photographs.

Nothing can be downloaded here, so training data beyond the few real data sets is made: each
forgery takes an authentic host photograph, manipulates one region, and records that region as
the mask. Kinds (``--kinds``):

- ``splice``: a region of another photograph pasted in, colours matched to the host (mean and
  standard deviation per Lab channel) and the edge feathered;
- ``copymove``: a region of the same photograph moved elsewhere, optionally scaled a little;
- ``resample``: a region re-synthesised by down- and up-sampling (factor 2-4, varied
  interpolation): the generator artefact CRFD-Net targets (crfd-net.md §3.1);
- ``inpaint``: a region filled by OpenCV inpainting (Telea or Navier-Stokes);
- ``local``: a region blurred, sharpened, or given extra noise.

The mask is the region the operation wrote: 255 where the blend weight is at least 0.5 (a
feathered edge changes pixels a little beyond it; those are below half strength). Every result
is re-compressed as JPEG with probability ``jpeg_prob`` (quality 60-95); authentic copies written
to ``Au/`` get the same treatment, so that compression never tells the classes apart. The output
is format (a) (``Tp/``, ``Gt/``, ``Au/``) plus ``sources.json``, which maps each file to the
source photographs it contains, so that ``trainer.data.splits`` keeps a host and its forgeries on
one side of the split.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from engine.errors import EvidenceError
from engine.io import IMAGE_SUFFIXES, load_evidence
from engine.masks import is_appledouble
from trainer.data.augment import jpeg
from trainer.data.records import SkipLog
from trainer.errors import DataError, UsageError

KINDS = ("splice", "copymove", "resample", "inpaint", "local")
U8 = NDArray[np.uint8]


@dataclass(frozen=True)
class SynthConfig:
    area: tuple[float, float] = (0.03, 0.2)  # region area as a share of the image
    feather: tuple[float, float] = (0.5, 3.0)  # Gaussian sigma of the splice edge, pixels
    jpeg_prob: float = 0.7  # probability of a final JPEG re-compression (forgeries and Au/)
    jpeg_quality: tuple[int, int] = (60, 95)  # its quality range
    min_side: int = 32  # smaller sources are skipped


def random_region(shape: tuple[int, int], cfg: SynthConfig, rng: np.random.Generator) -> U8:
    """A random blob mask {0, 1} [H, W]: a smoothed random polygon, an ellipse or a rectangle."""
    h, w = shape
    area = rng.uniform(*cfg.area) * h * w
    mask = np.zeros((h, w), np.uint8)
    shape_kind = rng.integers(3)
    aspect = rng.uniform(0.5, 2.0)
    rh = max(3, int(np.sqrt(area / aspect)))
    rw = max(3, int(area / rh))
    rh, rw = min(rh, h - 2), min(rw, w - 2)
    cy = int(rng.integers(rh // 2 + 1, max(rh // 2 + 2, h - rh // 2 - 1)))
    cx = int(rng.integers(rw // 2 + 1, max(rw // 2 + 2, w - rw // 2 - 1)))
    if shape_kind == 0:
        cv2.ellipse(
            mask,
            (cx, cy),
            (max(1, rw // 2), max(1, rh // 2)),
            float(rng.uniform(0, 180)),
            0,
            360,
            1,
            -1,
        )
    elif shape_kind == 1:
        mask[cy - rh // 2 : cy + rh // 2, cx - rw // 2 : cx + rw // 2] = 1
    else:
        n = int(rng.integers(5, 10))
        ang = np.sort(rng.uniform(0, 2 * np.pi, n))
        rad = rng.uniform(0.6, 1.0, n)
        pts = np.stack([cx + rad * np.cos(ang) * rw / 2, cy + rad * np.sin(ang) * rh / 2], 1)
        cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1)
    if not mask.any():
        mask[cy, cx] = 1
    return mask


def _feathered(mask: U8, sigma: float) -> NDArray[np.float32]:
    alpha = mask.astype(np.float32)
    if sigma > 0:
        alpha = cv2.GaussianBlur(alpha, (0, 0), sigma)
        alpha = np.where(mask > 0, np.maximum(alpha, 0.5), np.minimum(alpha, 0.499))
        alpha[alpha < 0.02] = 0.0  # cut the Gaussian's far tail: the rim stays a few pixels wide
    return alpha


def _blend(host: U8, content: U8, alpha: NDArray[np.float32]) -> U8:
    a = alpha[..., None]
    return np.clip(np.rint(host * (1 - a) + content * a), 0, 255).astype(np.uint8)


def _match_colour(src: U8, ref: U8, src_mask: U8, ref_mask: U8) -> U8:
    """Shift and scale ``src``'s Lab channels so its region matches ``ref``'s region statistics."""
    s = cv2.cvtColor(src, cv2.COLOR_RGB2LAB).astype(np.float32)
    r = cv2.cvtColor(ref, cv2.COLOR_RGB2LAB).astype(np.float32)
    sm, rm = src_mask.astype(bool), ref_mask.astype(bool)
    if sm.sum() < 4 or rm.sum() < 4:
        return src
    for c in range(3):
        ms, ss = s[..., c][sm].mean(), s[..., c][sm].std() + 1e-3
        mr, sr = r[..., c][rm].mean(), r[..., c][rm].std() + 1e-3
        s[..., c] = (s[..., c] - ms) * np.clip(sr / ss, 0.5, 2.0) + mr
    return cv2.cvtColor(np.clip(s, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)


def _shifted(mask: U8, rng: np.random.Generator) -> tuple[int, int]:
    """A translation (dy, dx) that moves the mask's box elsewhere inside the image."""
    h, w = mask.shape
    ys, xs = np.nonzero(mask)
    y0, y1, x0, x1 = ys.min(), ys.max(), xs.min(), xs.max()
    for _ in range(20):
        dy = int(rng.integers(-y0, h - y1))
        dx = int(rng.integers(-x0, w - x1))
        if abs(dy) > (y1 - y0) // 2 or abs(dx) > (x1 - x0) // 2:
            return dy, dx
    return int(rng.integers(-y0, h - y1)), int(rng.integers(-x0, w - x1))


def _translate(img: np.ndarray, dy: int, dx: int, *, is_mask: bool = False) -> np.ndarray:
    """Shift by (dy, dx). Pixel content is reflected in from the border; a mask is not (a
    reflected copy of the region would add manipulated blobs the generator never meant)."""
    m = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(
        img,
        m,
        (img.shape[1], img.shape[0]),
        flags=cv2.INTER_NEAREST,
        borderMode=cv2.BORDER_CONSTANT if is_mask else cv2.BORDER_REFLECT_101,
        borderValue=0,
    )


def splice(host: U8, donor: U8, cfg: SynthConfig, rng: np.random.Generator) -> tuple[U8, U8]:
    h, w = host.shape[:2]
    donor = (
        cv2.resize(donor, (w, h), interpolation=cv2.INTER_AREA)
        if donor.shape[:2] != (h, w)
        else donor
    )
    src_region = random_region((h, w), cfg, rng)
    dy, dx = _shifted(src_region, rng)
    content = _translate(donor, dy, dx)
    region = _translate(src_region, dy, dx, is_mask=True)
    content = _match_colour(content, host, region, cv2.dilate(region, np.ones((15, 15), np.uint8)))
    alpha = _feathered(region, rng.uniform(*cfg.feather))
    return _blend(host, content, alpha), (alpha >= 0.5).astype(np.uint8)


def copymove(host: U8, cfg: SynthConfig, rng: np.random.Generator) -> tuple[U8, U8]:
    h, w = host.shape[:2]
    region = random_region((h, w), cfg, rng)
    s = rng.uniform(0.85, 1.15) if rng.random() < 0.5 else 1.0
    if s != 1.0:
        m = cv2.getRotationMatrix2D((w / 2, h / 2), float(rng.uniform(-10, 10)), s)
        src = cv2.warpAffine(
            host, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101
        )
        region = cv2.warpAffine(region, m, (w, h), flags=cv2.INTER_NEAREST)
        if not region.any():
            region = random_region((h, w), cfg, rng)
            src = host
    else:
        src = host
    dy, dx = _shifted(region, rng)
    content = _translate(src, dy, dx)
    target = _translate(region, dy, dx, is_mask=True)
    alpha = _feathered(target, rng.uniform(0.0, 1.5))
    return _blend(host, content, alpha), (alpha >= 0.5).astype(np.uint8)


def resample(host: U8, cfg: SynthConfig, rng: np.random.Generator) -> tuple[U8, U8]:
    h, w = host.shape[:2]
    region = random_region((h, w), cfg, rng)
    f = float(rng.uniform(2.0, 4.0))
    small = cv2.resize(
        host, (max(1, round(w / f)), max(1, round(h / f))), interpolation=cv2.INTER_AREA
    )
    up_interp = [cv2.INTER_NEAREST, cv2.INTER_LINEAR, cv2.INTER_CUBIC][int(rng.integers(3))]
    content = cv2.resize(small, (w, h), interpolation=up_interp)
    alpha = _feathered(region, rng.uniform(0.0, 1.0))
    return _blend(host, content, alpha), (alpha >= 0.5).astype(np.uint8)


def inpaint(host: U8, cfg: SynthConfig, rng: np.random.Generator) -> tuple[U8, U8]:
    region = random_region(host.shape[:2], replace_area(cfg, 0.5), rng)
    method = cv2.INPAINT_TELEA if rng.random() < 0.5 else cv2.INPAINT_NS
    out = cv2.inpaint(host, region * 255, float(rng.uniform(3, 7)), method)
    return out, region


def replace_area(cfg: SynthConfig, factor: float) -> SynthConfig:
    """``cfg`` with the region area scaled (inpainting large regions is slow and implausible)."""
    return SynthConfig(
        area=(cfg.area[0] * factor, cfg.area[1] * factor),
        feather=cfg.feather,
        jpeg_prob=cfg.jpeg_prob,
        jpeg_quality=cfg.jpeg_quality,
        min_side=cfg.min_side,
    )


def local(host: U8, cfg: SynthConfig, rng: np.random.Generator) -> tuple[U8, U8]:
    region = random_region(host.shape[:2], cfg, rng)
    op = int(rng.integers(3))
    if op == 0:
        content = cv2.GaussianBlur(host, (0, 0), float(rng.uniform(1.0, 3.0)))
    elif op == 1:
        blur = cv2.GaussianBlur(host, (0, 0), float(rng.uniform(1.0, 2.0)))
        k = float(rng.uniform(0.8, 2.0))
        content = np.clip(
            host.astype(np.float32) * (1 + k) - blur.astype(np.float32) * k, 0, 255
        ).astype(np.uint8)
    else:
        noise = rng.normal(0.0, rng.uniform(4.0, 12.0), host.shape)
        content = np.clip(host.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    alpha = _feathered(region, rng.uniform(0.0, 1.5))
    return _blend(host, content, alpha), (alpha >= 0.5).astype(np.uint8)


def make_forgery(
    kind: str, host: U8, donor: U8 | None, cfg: SynthConfig, rng: np.random.Generator
) -> tuple[U8, U8]:
    """One forgery of ``kind`` of ``host``: (image RGB uint8, mask {0, 1}); no JPEG yet."""
    if kind == "splice":
        if donor is None:
            raise ValueError("a splice needs a donor photograph")
        return splice(host, donor, cfg, rng)
    if kind == "copymove":
        return copymove(host, cfg, rng)
    if kind == "resample":
        return resample(host, cfg, rng)
    if kind == "inpaint":
        return inpaint(host, cfg, rng)
    if kind == "local":
        return local(host, cfg, rng)
    raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")


def maybe_jpeg(image: U8, cfg: SynthConfig, rng: np.random.Generator) -> tuple[U8, bool]:
    """Re-compress with probability ``cfg.jpeg_prob``; returns the image and whether it happened."""
    if rng.random() < cfg.jpeg_prob:
        return jpeg(image, int(rng.integers(cfg.jpeg_quality[0], cfg.jpeg_quality[1] + 1))), True
    return image, False


def save_image(path: Path, image: U8) -> None:
    """An RGB or grey image as PNG (or JPEG at quality 100 for ``.jpg``), refusing silent failure."""
    params = [cv2.IMWRITE_JPEG_QUALITY, 100] if path.suffix == ".jpg" else []
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR) if image.ndim == 3 else image
    if not cv2.imwrite(str(path), bgr, params):
        raise OSError(f"cannot write {path}")


def generate(
    sources: list[Path],
    out: Path,
    *,
    count: int = 0,
    kinds: tuple[str, ...] = KINDS,
    seed: int = 0,
    authentic: bool = True,
    cfg: SynthConfig | None = None,
    skipped: SkipLog | None = None,
) -> dict[str, int]:
    """Write ``count`` forgeries (default: one per source) and the authentic copies to ``out``.

    JPEG-compressed results are stored as lossless PNG of the decoded pixels (the compression
    has happened; storing them as JPEG again would compress twice).
    """
    cfg = cfg or SynthConfig()
    skipped = skipped if skipped is not None else SkipLog()
    images: list[tuple[Path, U8]] = []
    for p in sources:
        try:
            px = load_evidence(p).pixels
        except EvidenceError as e:
            skipped.add(p, e.reason)
            continue
        if min(px.shape[:2]) < cfg.min_side:
            skipped.add(p, f"smaller than {cfg.min_side} pixels")
            continue
        images.append((p, np.ascontiguousarray(px)))
    if not images:
        raise DataError(sources[0].parent if sources else out, "no readable source photograph")
    if "splice" in kinds and len(images) < 2 and len(kinds) == 1:
        raise DataError(sources[0].parent, "splicing needs at least two source photographs")
    for sub in ("Tp", "Gt", "Au"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    table: dict[str, list[str]] = {}
    counts = dict.fromkeys(kinds, 0)
    n = count or len(images)
    for i in range(n):
        rng = np.random.default_rng([seed, i])
        hi = i % len(images)
        host_path, host = images[hi]
        kind = kinds[int(rng.integers(len(kinds)))]
        if kind == "splice" and len(images) < 2:
            kind = next((k for k in kinds if k != "splice"), "copymove")
        donor_path, donor = None, None
        if kind == "splice":
            di = (hi + 1 + int(rng.integers(len(images) - 1))) % len(images)
            donor_path, donor = images[di]
        image, mask = make_forgery(kind, host, donor, cfg, rng)
        if not mask.any():
            continue
        image, _ = maybe_jpeg(image, cfg, rng)
        stem = f"sy_{i:05d}_{kind}"
        save_image(out / "Tp" / f"{stem}.png", image)
        save_image(out / "Gt" / f"{stem}.png", mask * 255)
        table[f"{stem}.png"] = [host_path.stem] + ([donor_path.stem] if donor_path else [])
        counts[kind] += 1
    if authentic:
        for j, (p, px) in enumerate(images):
            rng = np.random.default_rng([seed, 1_000_003, j])
            img, _ = maybe_jpeg(px, cfg, rng)
            name = f"au_{p.stem}.png"
            save_image(out / "Au" / name, img)
            table[name] = [p.stem]
    (out / "sources.json").write_text(json.dumps(table, indent=1), encoding="utf-8")
    return {
        "forgeries": sum(counts.values()),
        **counts,
        "authentic": len(images) if authentic else 0,
    }


def camera_half(sources: list[Path], half: str) -> list[Path]:
    """The photographs of ``sources`` in the camera photographs' ``half`` (``val`` or
    ``test``, :func:`trainer.verdict_features.photo_part`, by file name)."""
    from trainer.verdict_features import photo_part

    return [p for p in sources if photo_part(p.name) == f"camera-{half}"]


def write_half(out: Path, half: str, sources: list[Path]) -> None:
    """``out/photos.json``: which half the forgeries in ``out`` were made from, and of which
    photographs (``forensic-train features --forgeries`` reads it to name their part)."""
    from trainer.verdict_features import HALF_FILE

    names = [p.name for p in sources]
    (out / HALF_FILE).write_text(json.dumps({"half": half, "photos": names}, indent=1) + "\n")


def source_images(folder: Path) -> list[Path]:
    """The images of ``folder``, or of ``folder/Au`` when it is a format-(a) folder, by name;
    macOS's AppleDouble companions (``._x.jpg``, :func:`engine.masks.is_appledouble`) are no
    images. The photographs forgeries are made from, of faces too (:mod:`trainer.data.faces`)."""
    sub = folder / "Au" if (folder / "Au").is_dir() else folder
    return sorted(
        p
        for p in sub.iterdir()
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not is_appledouble(p)
    )


def _list_sources(src: Path) -> list[Path]:
    """:func:`source_images` of ``src``, which must be a folder holding some."""
    if not src.is_dir():
        raise DataError(src, "no such folder of source photographs")
    files = source_images(src)
    if not files:
        raise DataError(
            src / "Au" if (src / "Au").is_dir() else src, "no images to make forgeries from"
        )
    return files


def run(args: argparse.Namespace) -> int:
    """``forensic-train synth SRC --out DIR``."""
    kinds = tuple(k.strip() for k in args.kinds.split(",") if k.strip())
    bad = [k for k in kinds if k not in KINDS]
    if bad or not kinds:
        raise UsageError(
            None,
            f"--kinds must be a comma-separated subset of {','.join(KINDS)}, got {args.kinds!r}",
        )
    if args.count < 0:
        raise UsageError(None, f"--count must be >= 0, got {args.count}")
    if any(k.startswith("video_") and v is not None for k, v in vars(args).items()):
        raise UsageError(None, "--video-* options go with --kind faces (photos: JPEG only)")
    sources = _list_sources(args.src)
    half = args.camera_half
    if half:
        sources = camera_half(sources, half)
        if len(sources) < 2:
            raise UsageError(args.src, f"fewer than two photographs in the camera {half} half")
    if (args.out / "Tp").is_dir() and any((args.out / "Tp").iterdir()):
        raise UsageError(args.out, "already holds forgeries in Tp/; choose an empty --out")
    per_photo = args.per_photo
    if per_photo < 0:
        raise UsageError(None, f"--per-photo must be >= 0, got {per_photo}")
    skipped = SkipLog()
    counts = generate(
        sources,
        args.out,
        count=per_photo * len(sources) if per_photo else args.count,
        kinds=kinds,
        seed=args.seed,
        authentic=not args.no_authentic,
        skipped=skipped,
    )
    if half:
        write_half(args.out, half, sources)
    print(json.dumps({"out": str(args.out), **counts}))
    skipped.print_summary()
    return 0
