"""Face forgeries with exact masks, made from real faces and their five landmarks.

The bundled networks were trained on CASIA splices and copy-moves; they tell faces from
backgrounds, not swapped faces from real ones (issue 20). This module makes the face
manipulations they have not seen, from real face crops, each with the mask of the pixels it
changed. Kinds (``FACE_KINDS``):

- ``selfblend``: a self-blended image (Shiohara & Yamasaki, "Detecting Deepfakes with
  Self-Blended Images", CVPR 2022): the face blended onto itself after colour, frequency,
  scale and small shift jitter of the *source* copy, through a soft face-shaped mask (the face
  outline from the landmarks, randomly deformed, eroded or dilated, blurred, times a blend
  ratio). It leaves the blending boundary and the statistics mismatch every swap leaves.
- ``swap``: another person's face aligned to this one by the similarity transform between the
  two sets of landmarks, colours moved to the target's (Reinhard et al. 2001: mean and standard
  deviation per Lab channel inside the face), and blended by Poisson seamless cloning
  (``cv2.seamlessClone``, normal or mixed gradients) or a feathered alpha.
- ``eyes``, ``mouth``: a local attribute edit through a part mask (an ellipse from the
  landmarks): eyes enlarged or shrunk, or recoloured; the mouth widened or narrowed, or its
  lips recoloured.
- ``skin``: skin smoothing (bilateral filter or Gaussian blur, the "beauty filter") through the
  face mask less the eyes, brows and mouth.

Landmarks are MTCNN's five points, in its order (``engine.faces``): the eye on the image's
left, the other eye, the nose tip, the mouth corner on the image's left, the other one. The
face outline is a fixed polygon in the frame of the ArcFace five-point template, mapped onto
the face by the similarity transform from the template's points to the face's, turned with
the head (:mod:`trainer.data.face_geometry`).

**The mask rule.** Every kind writes ``out = round(host * (1 - a) + content * a)`` where the
blend weight ``a`` is > 0 and leaves the host pixel as it is where ``a == 0`` (weights below
``SynthFaceConfig.weight_floor`` are set to 0, so the feathered ramp ends a few pixels out).
The mask is the support of the weight: **Gt is 255 exactly where a > 0**, the pixels the
generator wrote. So every pixel outside the mask is the source's, bit for bit; pixels inside it
hold at least ``weight_floor`` of the new content, and where ``a > 0.5`` more of the new
content than of the old (a pixel can still come out unchanged where the new content happens
to equal the old: the tests check that almost none do). The JPEG re-compression applied with
probability ``jpeg_prob`` afterwards, and the video coding with ``video_prob`` after it (the
same to the untouched crops in ``Au/``, so that compression never tells the classes apart),
change every pixel a little; the rule above is that of the manipulation.

``generate_faces`` writes format (a) (``Tp/``, ``Gt/``, ``Au/``) plus ``sources.json`` like
:mod:`trainer.data.synth`, so that :mod:`trainer.data.splits` keeps a person and every forgery
of them on one side of a split (a swap names both people).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from engine.errors import EvidenceError
from engine.io import load_evidence
from trainer.data.augment import VideoCoding, jpeg, video_fields
from trainer.data.face_geometry import (
    F32,
    U8,
    about,
    blend,
    clear_border,
    colour_jitter,
    deform,
    eye_distance,
    face_region,
    frequency_jitter,
    morph,
    part_regions,
    reinhard,
    roll,
    similarity,
    soft_weight,
    transform_points,
    warp,
    zoom,
)
from trainer.data.records import SkipLog
from trainer.data.synth import save_image, source_images
from trainer.errors import DataError, UsageError

if TYPE_CHECKING:
    from engine.faces import FaceDetector

FACE_KINDS = ("selfblend", "swap", "eyes", "mouth", "skin")


@dataclass(frozen=True)
class Face:
    """A real face: a crop of a photograph with the face's five landmarks in crop pixels.

    image: RGB uint8 [H, W, 3]. landmarks: float [5, 2] (x, y) in MTCNN's order.
    source: the id of the person or photograph (``sources.json``, leak-free splits).
    name: a file-name-safe label unique among the faces of one run.
    """

    image: U8
    landmarks: F32
    source: str = "face"
    name: str = "face"

    def __post_init__(self) -> None:
        lm = np.asarray(self.landmarks, np.float32)
        if lm.shape != (5, 2) or not np.isfinite(lm).all():
            raise ValueError(f"landmarks must be 5 finite (x, y) points, got shape {lm.shape}")
        if self.image.ndim != 3 or self.image.shape[2] != 3 or self.image.dtype != np.uint8:
            raise ValueError(f"image must be RGB uint8 [H, W, 3], got {self.image.shape}")
        object.__setattr__(self, "landmarks", lm)


@dataclass(frozen=True)
class FaceForgery:
    """One manipulated face: image RGB uint8 [H, W, 3], mask {0, 1} [H, W] (= weight > 0), the
    blend weight [H, W] in [0, 1], the kind, and the ids of the people whose pixels it holds."""

    image: U8
    mask: U8
    weight: F32
    kind: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class SynthFaceConfig(VideoCoding):
    weight_floor: float = 0.02  # blend weights below this are 0 (the ramp ends; see the rule)
    colour_shift: tuple[float, float] = (6.0, 20.0)  # SBI source jitter: RGB shift range
    scale_jitter: float = 0.05  # SBI source scale jitter, +-share per axis
    shift_jitter: float = 0.03  # SBI source shift, +-share of the face width
    blend_ratios: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0, 1.0, 1.0)  # SBI's ratios
    jpeg_prob: float = 0.7  # probability of a final JPEG re-compression (forgeries and Au/)
    jpeg_quality: tuple[int, int] = (60, 95)  # its quality range
    margin: float = 0.6  # face crop: box grown by this share of its size on every side
    max_crop: int = 512  # crops larger than this are downscaled (long side)
    min_face: int = 48  # smaller faces (box short side, pixels) are not used: too few pixels
    square: bool = False  # True: every crop resized to max_crop x max_crop (the face path's view)
    swap_candidates: int = 8  # donors tried per swap; the most similar face layout is used
    # and H.264/HEVC coding after the JPEG (VideoCoding's fields, forgeries and Au/ alike;
    # needs PyAV): off, so that the data sets made before it stay the same; docs/FACES.md,
    # "Video coding augmentation"


# ---------------------------------------------------------------------------- the kinds ---


def self_blend(face: Face, cfg: SynthFaceConfig, rng: np.random.Generator) -> FaceForgery:
    """SBI: the face blended onto the untouched crop from a jittered copy of itself."""
    host = face.image
    h, w = host.shape[:2]
    d = eye_distance(face.landmarks)
    src = frequency_jitter(colour_jitter(host, cfg.colour_shift, rng), rng)
    sx, sy = 1 + rng.uniform(-1, 1, 2) * cfg.scale_jitter
    centre = face.landmarks.mean(0)
    m = about(centre, float(sx), float(sy))
    m[:, 2] += rng.uniform(-1, 1, 2) * cfg.shift_jitter * 2.2 * d  # face width ~ 2.2 eye dist.
    src = warp(src, m, (h, w))
    region = face_region((h, w), face.landmarks)
    region = deform(region, 0.08 * d, rng)
    region = morph(region, rng, max(1, round(0.12 * d)))
    ratio = float(rng.choice(cfg.blend_ratios))
    weight = soft_weight(
        clear_border(region), float(rng.uniform(0.02, 0.12) * d), cfg.weight_floor, ratio
    )
    return _result(host, src, weight, "selfblend", (face.source,))


def swap(target: Face, donor: Face, cfg: SynthFaceConfig, rng: np.random.Generator) -> FaceForgery:
    """``donor``'s face on ``target``: aligned by landmarks, colour-transferred, blended."""
    host = target.image
    h, w = host.shape[:2]
    d = eye_distance(target.landmarks)
    m = similarity(donor.landmarks, target.landmarks)
    content = warp(donor.image, m, (h, w))
    valid = cv2.warpAffine(
        np.ones(donor.image.shape[:2], np.uint8), m, (w, h), flags=cv2.INTER_NEAREST
    )
    valid = cv2.erode(valid, np.ones((5, 5), np.uint8))
    # the donor's own face, moved: the swap carries no hair or background of the donor's
    donor_face = cv2.warpAffine(
        face_region(donor.image.shape[:2], donor.landmarks), m, (w, h), flags=cv2.INTER_NEAREST
    )
    region = face_region((h, w), target.landmarks) & valid & donor_face
    region = morph(region, rng, max(1, round(0.06 * d)))
    region = clear_border(region & valid)
    if region.sum() < 64:
        return _result(host, host, np.zeros((h, w), np.float32), "swap", (target.source,))
    content = reinhard(content, host, region, region)
    if rng.random() < 0.6:
        x, y, bw, bh = cv2.boundingRect(region)
        centre = (x + bw // 2, y + bh // 2)  # cv2 centres the mask's box here: no shift
        flag = cv2.NORMAL_CLONE if rng.random() < 0.7 else cv2.MIXED_CLONE
        cloned = cv2.seamlessClone(
            cv2.cvtColor(content, cv2.COLOR_RGB2BGR),
            cv2.cvtColor(host, cv2.COLOR_RGB2BGR),
            region * 255,
            centre,
            flag,
        )
        content = cv2.cvtColor(cloned, cv2.COLOR_BGR2RGB)
        sigma = float(rng.uniform(0.0, 0.03) * d)
        weight = soft_weight(cv2.erode(region, np.ones((3, 3), np.uint8)), sigma, cfg.weight_floor)
        weight *= region  # Poisson cloning wrote inside ``region`` only
    else:
        weight = soft_weight(
            cv2.erode(region, np.ones((5, 5), np.uint8)), float(rng.uniform(0.03, 0.1) * d),
            cfg.weight_floor,
        )  # fmt: skip
    return _result(host, content, weight, "swap", (target.source, donor.source))


def edit_eyes(face: Face, cfg: SynthFaceConfig, rng: np.random.Generator) -> FaceForgery:
    """One or both eyes enlarged or shrunk (8-25 %), or recoloured."""
    host = face.image
    h, w = host.shape[:2]
    d, angle = eye_distance(face.landmarks), roll(face.landmarks)
    parts = part_regions((h, w), face.landmarks)
    which = [0, 1] if rng.random() < 0.7 else [int(rng.integers(2))]
    content = host.copy()
    region = np.zeros((h, w), np.uint8)
    resize = rng.random() < 0.6
    s = float(rng.uniform(1.08, 1.25) if rng.random() < 0.7 else rng.uniform(0.8, 0.92))
    for i in which:
        part = parts["left_eye" if i == 0 else "right_eye"]
        if resize:
            # the zoomed eye needs a larger window than the eye itself
            part = cv2.dilate(part, np.ones((3, 3), np.uint8), iterations=max(1, round(0.05 * d)))
            zoomed = zoom(host, face.landmarks[i], s, s * rng.uniform(0.95, 1.05), angle)
            content = np.where(part[..., None] > 0, zoomed, content)
        region |= part
    if not resize:
        content = _recolour(host, rng, strength=1.0)
    weight = soft_weight(region, float(rng.uniform(0.04, 0.1) * d), cfg.weight_floor)
    return _result(host, content, weight, "eyes", (face.source,))


def edit_mouth(face: Face, cfg: SynthFaceConfig, rng: np.random.Generator) -> FaceForgery:
    """The mouth widened or narrowed (8-20 %), or its lips recoloured."""
    host = face.image
    h, w = host.shape[:2]
    d, angle = eye_distance(face.landmarks), roll(face.landmarks)
    region = part_regions((h, w), face.landmarks)["mouth"]
    if rng.random() < 0.5:
        centre = (face.landmarks[3] + face.landmarks[4]) / 2
        s = float(rng.uniform(1.08, 1.2) if rng.random() < 0.6 else rng.uniform(0.82, 0.92))
        content = zoom(host, centre, s, float(rng.uniform(0.95, 1.1)), angle)
        region = cv2.dilate(region, np.ones((3, 3), np.uint8), iterations=max(1, round(0.06 * d)))
    else:
        content = _recolour(host, rng, strength=1.5)
    weight = soft_weight(clear_border(region), float(rng.uniform(0.04, 0.1) * d), cfg.weight_floor)
    return _result(host, content, weight, "mouth", (face.source,))


def smooth_skin(face: Face, cfg: SynthFaceConfig, rng: np.random.Generator) -> FaceForgery:
    """Skin smoothed (bilateral filter or Gaussian blur) in the face less eyes, brows, mouth."""
    host = face.image
    h, w = host.shape[:2]
    d = eye_distance(face.landmarks)
    parts = part_regions((h, w), face.landmarks)
    keep_out = parts["left_eye"] | parts["right_eye"] | parts["brows"] | parts["mouth"]
    keep_out = cv2.dilate(keep_out, np.ones((3, 3), np.uint8), iterations=max(1, round(0.05 * d)))
    region = face_region((h, w), face.landmarks) & (1 - keep_out)
    region = cv2.erode(region, np.ones((3, 3), np.uint8), iterations=max(1, round(0.04 * d)))
    if rng.random() < 0.6:
        content = cv2.bilateralFilter(
            host, max(5, round(0.15 * d)) | 1, float(rng.uniform(30, 80)), float(rng.uniform(5, 12))
        )
    else:
        content = cv2.GaussianBlur(host, (0, 0), float(rng.uniform(0.02, 0.05) * d + 0.8))
    weight = soft_weight(region, float(rng.uniform(0.05, 0.12) * d), cfg.weight_floor)
    weight *= float(rng.uniform(0.7, 1.0))
    weight[weight < cfg.weight_floor] = 0.0
    return _result(host, content, weight, "skin", (face.source,))


def _recolour(img: U8, rng: np.random.Generator, strength: float) -> U8:
    """Hue turned a little, saturation and value scaled: a retouched eye or lip (strong
    enough to change every pixel, mild enough to look like make-up rather than paint)."""
    hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV).astype(np.float32)
    hsv[..., 0] = (hsv[..., 0] + rng.choice([-1, 1]) * rng.uniform(2, 6) * strength) % 180
    hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(1.1, 1.1 + 0.2 * strength) + 8, 0, 255)
    gain = rng.uniform(0.82, 0.92) if rng.random() < 0.5 else rng.uniform(1.08, 1.18)
    hsv[..., 2] = np.clip(hsv[..., 2] * gain + (4 if gain > 1 else -4), 0, 255)
    return cv2.cvtColor(np.rint(hsv).astype(np.uint8), cv2.COLOR_HSV2RGB)


def _result(host: U8, content: U8, weight: F32, kind: str, sources: tuple[str, ...]) -> FaceForgery:
    weight = np.where(weight > 0, np.clip(weight, 0.0, 1.0), 0.0).astype(np.float32)
    return FaceForgery(
        blend(host, content, weight), (weight > 0).astype(np.uint8), weight, kind, sources
    )


def make_face_forgery(
    kind: str,
    face: Face,
    donor: Face | None,
    cfg: SynthFaceConfig,
    rng: np.random.Generator,
) -> FaceForgery:
    """One forgery of ``kind`` of ``face`` (no JPEG or video coding yet). A swap needs ``donor``."""
    if kind == "selfblend":
        return self_blend(face, cfg, rng)
    if kind == "swap":
        if donor is None:
            raise ValueError("a swap needs a donor face")
        return swap(face, donor, cfg, rng)
    if kind == "eyes":
        return edit_eyes(face, cfg, rng)
    if kind == "mouth":
        return edit_mouth(face, cfg, rng)
    if kind == "skin":
        return smooth_skin(face, cfg, rng)
    raise ValueError(f"kind must be one of {FACE_KINDS}, got {kind!r}")


# ------------------------------------------------------------------------ real faces in ---

# Pointing'04 names (``pose0_personne08146p0+0``) carry the person: one person's ten poses are
# one source, so a split never sees the same person on both sides.
_PERSON = re.compile(r"(personne\d+?)[12]\d\d")


def identity_of(stem: str) -> str:
    """The source id of a photograph: the person where the name says it, else the stem."""
    m = _PERSON.search(stem)
    return m.group(1) if m else stem


def crop_face(
    image: U8,
    box: tuple[int, int, int, int],
    landmarks: Sequence[Sequence[float]],
    cfg: SynthFaceConfig,
    *,
    source: str,
    name: str,
) -> Face | None:
    """The face in ``box`` (x, y, w, h) with ``cfg.margin`` around it, at most ``cfg.max_crop``
    pixels long, landmarks moved into it; None when the face is smaller than ``cfg.min_face``."""
    x, y, w, h = box
    if min(w, h) < cfg.min_face:
        return None
    side = max(w, h) * (1 + 2 * cfg.margin)
    cx, cy = x + w / 2, y + h / 2
    ih, iw = image.shape[:2]
    x0, y0 = max(0, round(cx - side / 2)), max(0, round(cy - side / 2))
    x1, y1 = min(iw, round(cx + side / 2)), min(ih, round(cy + side / 2))
    crop = np.ascontiguousarray(image[y0:y1, x0:x1])
    lm = np.asarray(landmarks, np.float32) - np.float32([x0, y0])
    if cfg.square:  # the face path's view: the crop stretched to a P x P square (facepath)
        sy, sx = cfg.max_crop / crop.shape[0], cfg.max_crop / crop.shape[1]
        shrink = sx * sy < 1.0
        crop = cv2.resize(
            crop,
            (cfg.max_crop, cfg.max_crop),
            interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR,
        )
        lm = (lm + 0.5) * np.float32([sx, sy]) - 0.5
        return Face(crop, lm, source=source, name=name)
    s = min(1.0, cfg.max_crop / max(crop.shape[:2]))
    if s < 1.0:
        size = (max(1, round(crop.shape[1] * s)), max(1, round(crop.shape[0] * s)))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        lm = (lm + 0.5) * s - 0.5
    return Face(crop, lm, source=source, name=name)


def faces_from_images(
    paths: Sequence[Path],
    detector: FaceDetector,
    cfg: SynthFaceConfig | None = None,
    skipped: SkipLog | None = None,
) -> list[Face]:
    """Every face ``detector`` finds in ``paths`` (with landmarks, at least ``cfg.min_face``
    pixels), cropped; unreadable files go to ``skipped``."""
    cfg = cfg or SynthFaceConfig()
    skipped = skipped if skipped is not None else SkipLog()
    faces: list[Face] = []
    for p in paths:
        try:
            pixels = load_evidence(p).pixels
        except EvidenceError as e:
            skipped.add(p, e.reason)
            continue
        for k, region in enumerate(detector.detect(pixels)):
            if region.landmarks is None:
                continue
            face = crop_face(
                pixels, region.box, region.landmarks, cfg,
                source=identity_of(p.stem), name=f"{_safe(p.parent.name)}_{_safe(p.stem)}_f{k}",
            )  # fmt: skip
            if face is not None:
                faces.append(face)
    return faces


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "x"


# ----------------------------------------------------------------------------- data set ---


def _shape_distance(a: Face, b: Face) -> float:
    """How far apart two faces' landmark layouts are once aligned (pose, not size)."""
    pa = a.landmarks / eye_distance(a.landmarks)
    pb = b.landmarks / eye_distance(b.landmarks)
    moved = transform_points(similarity(pb, pa), pb)
    return float(np.abs(moved - pa).sum())


def _pick_donor(
    faces: Sequence[Face], target: int, cfg: SynthFaceConfig, rng: np.random.Generator
) -> int | None:
    """A face of another person, the closest in pose of ``cfg.swap_candidates`` random ones."""
    others = [j for j, f in enumerate(faces) if f.source != faces[target].source]
    if not others:
        return None
    picks = rng.choice(others, size=min(cfg.swap_candidates, len(others)), replace=False)
    return int(min(picks, key=lambda j: _shape_distance(faces[target], faces[int(j)])))


def _coded(image: U8, cfg: SynthFaceConfig, rng: np.random.Generator) -> U8:
    """The JPEG re-compression, then the video coding, each with its probability."""
    if rng.random() < cfg.jpeg_prob:
        image = jpeg(image, int(rng.integers(cfg.jpeg_quality[0], cfg.jpeg_quality[1] + 1)))
    return cfg.video_coded(image, rng)


def generate_faces(
    faces: Sequence[Face],
    out: Path,
    *,
    count: int = 0,
    kinds: tuple[str, ...] = FACE_KINDS,
    seed: int = 0,
    authentic: bool = True,
    cfg: SynthFaceConfig | None = None,
) -> dict[str, int]:
    """Write ``count`` face forgeries (default: one per face) and the untouched crops to ``out``.

    Forgery ``i`` uses face ``i % len(faces)`` and a generator seeded with (seed, i), so a run
    is reproducible and a larger ``count`` only adds files. A swap needs a face of another
    person; with one person only, another kind is made. Everything is written as lossless PNG
    (after the optional JPEG re-compression and video coding; see the module docstring).
    """
    cfg = cfg or SynthFaceConfig()
    if not faces:
        raise DataError(out, "no face to make forgeries from")
    bad = [k for k in kinds if k not in FACE_KINDS]
    if bad or not kinds:
        raise ValueError(f"kinds must be a non-empty subset of {FACE_KINDS}, got {kinds}")
    for sub in ("Tp", "Gt", "Au"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    table: dict[str, list[str]] = {}
    counts = dict.fromkeys(kinds, 0)
    for i in range(count or len(faces)):
        rng = np.random.default_rng([seed, i])
        fi = i % len(faces)
        kind = kinds[int(rng.integers(len(kinds)))]
        donor = _pick_donor(faces, fi, cfg, rng) if kind == "swap" else None
        if kind == "swap" and donor is None:
            kind = next((k for k in kinds if k != "swap"), "selfblend")
        forgery = make_face_forgery(
            kind, faces[fi], None if donor is None else faces[donor], cfg, rng
        )
        if not forgery.mask.any():
            continue
        stem = f"ff_{i:05d}_{kind}_{faces[fi].name}"
        save_image(out / "Tp" / f"{stem}.png", _coded(forgery.image, cfg, rng))
        save_image(out / "Gt" / f"{stem}.png", forgery.mask * 255)
        table[f"{stem}.png"] = list(dict.fromkeys(forgery.sources))
        counts[kind] = counts.get(kind, 0) + 1
    if authentic:
        for j, face in enumerate(faces):
            rng = np.random.default_rng([seed, 1_000_003, j])
            name = f"au_{face.name}.png"
            save_image(out / "Au" / name, _coded(face.image, cfg, rng))
            table[name] = [face.source]
    (out / "sources.json").write_text(json.dumps(table, indent=1), encoding="utf-8")
    return {
        "forgeries": sum(counts.values()),
        **counts,
        "authentic": len(faces) if authentic else 0,
    }


def run(args: argparse.Namespace) -> int:
    """``forensic-train synth --kind faces --faces DIR... --out DIR [--count N] [--seed S]``."""
    kinds = tuple(k.strip() for k in (args.kinds or ",".join(FACE_KINDS)).split(",") if k.strip())
    bad = [k for k in kinds if k not in FACE_KINDS]
    if bad or not kinds:
        raise UsageError(
            None,
            f"--kinds with --kind faces must be a comma-separated subset of "
            f"{','.join(FACE_KINDS)}, got {args.kinds!r}",
        )
    if not args.faces:
        raise UsageError(None, "--kind faces needs --faces DIR [DIR ...]: folders of face photos")
    if args.count < 0:
        raise UsageError(None, f"--count must be >= 0, got {args.count}")
    if (args.out / "Tp").is_dir() and any((args.out / "Tp").iterdir()):
        raise UsageError(args.out, "already holds forgeries in Tp/; choose an empty --out")
    video = video_fields(args)  # checked (and PyAV) before any photograph is searched
    paths: list[Path] = []
    for folder in args.faces:
        if not folder.is_dir():
            raise DataError(folder, "no such folder of face photographs")
        paths += source_images(folder)
    try:
        from engine.faces import FaceDetector

        detector = FaceDetector("mtcnn")
    except ImportError as e:
        raise UsageError(
            None,
            f"--kind faces needs face landmarks from the MTCNN detector, which is not "
            f"installed ({e}); `make setup` installs facenet-pytorch",
        ) from e
    cfg = SynthFaceConfig(**video)  # type: ignore[arg-type]
    if getattr(args, "margin", None) is not None:
        if not 0 <= args.margin <= 2:
            raise UsageError(None, f"--margin must be in [0, 2], got {args.margin}")
        cfg = dataclasses.replace(cfg, margin=args.margin)
    if getattr(args, "max_crop", None) is not None:
        if args.max_crop < cfg.min_face:
            raise UsageError(None, f"--max-crop must be >= {cfg.min_face}, got {args.max_crop}")
        cfg = dataclasses.replace(cfg, max_crop=args.max_crop)
    if getattr(args, "crop_size", None) is not None:
        if args.crop_size < cfg.min_face:
            raise UsageError(None, f"--crop-size must be >= {cfg.min_face}, got {args.crop_size}")
        cfg = dataclasses.replace(cfg, max_crop=args.crop_size, square=True)
    skipped = SkipLog()
    faces = faces_from_images(paths, detector, cfg, skipped=skipped)
    if not faces:
        raise DataError(
            args.faces[0], f"no face of at least {SynthFaceConfig.min_face} pixels found"
        )
    counts = generate_faces(
        faces,
        args.out,
        count=args.count,
        kinds=kinds,
        seed=args.seed,
        authentic=not args.no_authentic,
        cfg=cfg,
    )
    print(json.dumps({"out": str(args.out), "photos": len(paths), "faces": len(faces), **counts}))
    skipped.print_summary()
    return 0
