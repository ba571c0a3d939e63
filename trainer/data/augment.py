"""Augmentation applied to an image and its mask alike.

Geometric steps (random resize, crop or pad, flips) move image and mask together; photometric
steps (brightness/contrast, shrinking, camera processing, JPEG re-compression, video coding)
touch only the image. Every random choice comes from the ``numpy.random.Generator`` passed in, so a sample's
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

Video coding (``video_prob``, off in every preset; ``--video-prob`` and its options): the image
coded as a frame of an H.264 (libx264) or HEVC (libx265) video at a CRF drawn from
``video_crf`` and decoded back (``video_code``), after the JPEG at the same size. H.264 at
ordinary rates hides half of the face edits the face model finds uncompressed (docs/FACES.md,
"Faces in video frames"). It needs PyAV (the ``video`` extra); a configuration asking for it
without PyAV fails when it is made, in one line, not in a worker mid-training.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

import cv2
import numpy as np
from numpy.typing import NDArray

from trainer.errors import UsageError

U8 = NDArray[np.uint8]

# name on the command line -> (PyAV encoder, decoder)
VIDEO_CODECS: dict[str, tuple[str, str]] = {
    "h264": ("libx264", "h264"),
    "hevc": ("libx265", "hevc"),
}
VIDEO_PRESETS = (
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow",
)  # fmt: skip
VIDEO_MOTION = 2.0  # max camera motion between two coded frames, pixels per axis
_MIN_SIDE = 16  # libx265 refuses frames smaller than 16 pixels a side
# One thread each: the same bytes for a seed (and one core per DataLoader worker).
_THREADS = {
    "h264": {"threads": "1"},
    "hevc": {"x265-params": "log-level=none:pools=none:frame-threads=1"},
}


def require_av() -> None:
    """Raise a one-line :class:`UsageError` when PyAV, the video coding's encoder, is missing."""
    try:
        import av  # noqa: F401
    except ImportError as e:
        raise UsageError(
            None,
            f"video coding augmentation needs PyAV, which is not installed ({e}); install the "
            "`video` extra: pip install 'forensic-viewer[video]'",
        ) from None


def check_video(
    prob: float, crf: tuple[int, int], codecs: tuple[str, ...], preset: str, frames: int
) -> None:
    """Refuse video coding options that cannot work, each in one line (``UsageError``), and,
    when ``prob`` > 0, a machine without PyAV: a configuration fails when it is made."""
    if not 0.0 <= prob <= 1.0:
        raise UsageError(None, f"video coding probability must be in [0, 1], got {prob}")
    lo, hi = crf
    if not 0 <= lo <= hi <= 51:
        raise UsageError(None, f"video CRF range must be LO-HI with 0 <= LO <= HI <= 51, got {crf}")
    bad = [c for c in codecs if c not in VIDEO_CODECS]
    if bad or not codecs:
        raise UsageError(
            None, f"video codecs must be some of {','.join(VIDEO_CODECS)}, got {codecs}"
        )
    if preset not in VIDEO_PRESETS:
        raise UsageError(
            None, f"video preset must be one of {', '.join(VIDEO_PRESETS)}, got {preset!r}"
        )
    if not 1 <= frames <= 3:
        raise UsageError(None, f"video frames must be 1, 2 or 3, got {frames}")
    if prob > 0:
        require_av()


@dataclass(frozen=True)
class VideoCoding:
    """The video coding step's options (:func:`video_code`), checked when a configuration is
    made (:func:`check_video`); the training augmentations and the face forgeries have them."""

    video_prob: float = 0.0  # probability of coding the image as a video frame (needs PyAV)
    video_crf: tuple[int, int] = (18, 32)  # its CRF range (23 and 28: x264's and x265's default)
    video_codecs: tuple[str, ...] = ("h264",)  # codecs drawn from, equally (VIDEO_CODECS)
    video_preset: str = "medium"  # the encoders' speed preset (their default)
    video_frames: int = 2  # frames coded, the image the last: 2 makes it a P-frame (video_code)

    def __post_init__(self) -> None:
        check_video(
            self.video_prob, self.video_crf, self.video_codecs, self.video_preset, self.video_frames
        )

    def video_coded(self, image: U8, rng: np.random.Generator) -> U8:
        """``image`` coded with probability ``video_prob``, codec and CRF drawn; with
        ``video_prob`` 0 nothing is drawn from ``rng`` (data sets and runs made before this
        step stay the same)."""
        if not self.video_prob or rng.random() >= self.video_prob:
            return image
        codec = self.video_codecs[int(rng.integers(len(self.video_codecs)))]
        q = int(rng.integers(self.video_crf[0], self.video_crf[1] + 1))
        return video_code(
            image, q, rng, codec=codec, preset=self.video_preset, frames=self.video_frames
        )


@dataclass(frozen=True)
class AugmentConfig(VideoCoding):
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
    # and the video coding of the result (VideoCoding's fields), after the JPEG


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


def video_code(
    image: U8,
    crf: int,
    rng: np.random.Generator,
    *,
    codec: str = "h264",
    preset: str = "medium",
    frames: int = 2,
) -> U8:
    """``image`` (RGB uint8 [H, W, 3]) coded as the last of ``frames`` frames of a ``codec``
    video (yuv420p, ``crf``, ``preset``) and decoded back, in memory; same shape and dtype.

    With ``frames`` = 1 the image is an intra frame, coded much as a JPEG is (a DCT of
    residuals, here of intra prediction). A video's faces are nearly all in P- and B-frames
    (x264's keyframe interval is 250): predicted from an earlier decoded frame moved by motion
    vectors through sub-pixel interpolation filters, a residual quantised about 3 QP coarser
    than an I-frame's, blocks copied as they are (skip). ``frames`` = 2 or 3 codes the image
    after copies of it moved by a random camera motion (up to ``VIDEO_MOTION`` pixels per
    frame and axis, sub-pixel), so it comes back as such a frame (3 frames: x264 at preset
    medium codes the middle one as a B-frame). Odd or small sides are padded (edge pixels repeated: yuv420p
    needs even sides, libx265 16 pixels) and cropped back after decoding.

    PyAV's codec contexts have no ``close()``; each is freed when its last reference goes, so
    the references are dropped in ``finally``: an exception's traceback (kept by a caller that
    logs it) held the frame, and with it both coders, until it was let go. A decode that gives
    no frame raises ``RuntimeError`` naming the codecs and the size.
    """
    import av

    encoder, decoder = VIDEO_CODECS[codec]
    h, w = image.shape[:2]
    ph, pw = max(_MIN_SIDE, h + h % 2), max(_MIN_SIDE, w + w % 2)
    padded = cv2.copyMakeBorder(image, 0, ph - h, 0, pw - w, cv2.BORDER_REPLICATE)
    step = rng.uniform(-VIDEO_MOTION, VIDEO_MOTION, 2)
    moves = [
        np.float32([[1, 0, k * step[0]], [0, 1, k * step[1]]]) for k in range(frames - 1, 0, -1)
    ]
    run = [_moved(padded, m) for m in moves] + [padded]
    enc = av.CodecContext.create(encoder, "w")
    try:
        enc.width, enc.height, enc.pix_fmt = pw, ph, "yuv420p"
        enc.time_base, enc.framerate = Fraction(1, 25), Fraction(25)
        enc.thread_count = 1
        enc.options = {"crf": str(int(crf)), "preset": preset, **_THREADS[codec]}
        packets = []
        for pts, rgb in enumerate(run):
            # BT.601, limited range, bicubic chroma: what the ffmpeg command does with RGB input
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            frame = frame.reformat(format="yuv420p", interpolation="BICUBIC", threads=1)
            frame.pts = pts
            packets += enc.encode(frame)
        packets += enc.encode(None)
    finally:
        del enc  # the encoder freed here (the packets hold no reference to it)
    dec = av.CodecContext.create(decoder, "r")
    try:
        dec.thread_count = 1
        decoded = [f for p in [*packets, None] for f in dec.decode(p)]
    finally:
        del dec
    if not decoded:
        raise RuntimeError(
            f"{codec} video coding of a {w} x {h} image: {decoder} decoded no frame of what "
            f"{encoder} coded ({pw} x {ph}, {len(run)} frames, {len(packets)} packets, crf "
            f"{crf}, preset {preset})"
        )
    last = max(decoded, key=lambda f: f.pts)  # the image's frame: display order, not coding
    rgb = last.to_ndarray(format="rgb24", interpolation="BICUBIC", threads=1)
    return np.ascontiguousarray(rgb[:h, :w])


def _moved(image: U8, m: NDArray[np.float32]) -> U8:
    h, w = image.shape[:2]
    return cv2.warpAffine(
        image, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT_101
    )


def video_fields(args: object) -> dict[str, object]:
    """The video coding fields a command's ``--video-*`` options set (empty when none is
    given), checked now: a run refused for them is refused before any data is read."""
    prob = getattr(args, "video_prob", None)
    given = {
        k: getattr(args, k, None)
        for k in ("video_crf", "video_codecs", "video_preset", "video_frames")
        if getattr(args, k, None) is not None
    }
    if prob is None:
        if given:
            flags = ", ".join("--" + k.replace("_", "-") for k in given)
            raise UsageError(None, f"{flags} need --video-prob, the share of images coded")
        return {}
    fields: dict[str, object] = {"video_prob": float(prob)}
    if "video_crf" in given:
        lo, sep, hi = str(given["video_crf"]).partition("-")
        try:
            fields["video_crf"] = (int(lo), int(hi if sep else lo))
        except ValueError:
            raise UsageError(
                None, f"--video-crf must be LO-HI or N, got {given['video_crf']!r}"
            ) from None
    if "video_codecs" in given:
        fields["video_codecs"] = tuple(
            c.strip() for c in str(given["video_codecs"]).split(",") if c.strip()
        )
    if "video_preset" in given:
        fields["video_preset"] = given["video_preset"]
    if "video_frames" in given:
        fields["video_frames"] = int(given["video_frames"])  # type: ignore[call-overload]
    VideoCoding(**fields)  # type: ignore[arg-type]  # checks them, and that PyAV is there
    return fields


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
    """Brightness/contrast, then JPEG re-compression, then video coding, each with the
    configured probability; with ``cfg.shrink_prob`` the re-compression and coding happen at a
    shrunk size and the image is stretched back (a small face of a camera JPEG or a video frame
    brought to the window); with ``cfg.camera_prob`` a ``camera_step`` at that size, before the
    JPEG, as in a camera."""
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
    image = cfg.video_coded(image, rng)
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
