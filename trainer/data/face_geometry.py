"""Face geometry and blending tools for :mod:`trainer.data.faces`: the face outline and part
masks from five landmarks, the similarity transform, soft blend weights, colour transfer and
the jitters of self-blending.

Landmarks are MTCNN's five points, in its order (``engine.faces``): the eye on the image's
left, the other eye, the nose tip, the mouth corner on the image's left, the other one. The
face outline is a fixed polygon in the frame of the ArcFace five-point template, mapped onto
the face by the similarity transform from the template's points to the face's.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

U8 = NDArray[np.uint8]
F32 = NDArray[np.float32]

# The ArcFace five-point template (112 x 112 crop): eyes, nose tip, mouth corners.
TEMPLATE = np.array(
    [[38.29, 51.70], [73.53, 51.50], [56.03, 71.74], [41.55, 92.37], [70.73, 92.20]], np.float32
)
# The face outline in the template's frame, brows to chin (where SBI's landmark hull reaches),
# clockwise from the left temple.
OUTLINE = np.array(
    [[17, 42], [27, 32], [44, 28], [56, 29], [68, 28], [85, 32], [95, 42], [97, 60],
     [93, 80], [85, 97], [72, 109], [56, 114], [40, 109], [27, 97], [19, 80], [15, 60]],
    np.float32,
)  # fmt: skip
# A cylinder model of the head in template units (eye distance 35): the cheeks' radius (the
# outline's widest points sit at +-70 degrees) and the nose tip's distance from the axis.
CHEEK_RADIUS = 44.0
NOSE_RADIUS = 55.0
MAX_TAN_YAW = 1.7  # yaw estimates are capped at 60 degrees


# ------------------------------------------------------------------------------ geometry ---


def similarity(src: F32, dst: F32) -> NDArray[np.float64]:
    """The least-squares similarity transform (Umeyama 1991) taking points ``src`` [N, 2] to
    ``dst`` [N, 2], as a 2 x 3 matrix for ``cv2.warpAffine``."""
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    ms, md = src.mean(0), dst.mean(0)
    s, d = src - ms, dst - md
    cov = d.T @ s / len(src)
    u, sig, vt = np.linalg.svd(cov)
    e = np.diag([1.0, np.sign(np.linalg.det(u @ vt)) or 1.0])
    rot = u @ e @ vt
    scale = np.trace(np.diag(sig) @ e) / max(1e-12, (s**2).sum() / len(src))
    t = md - scale * rot @ ms
    return np.hstack([scale * rot, t[:, None]])


def transform_points(m: NDArray[np.float64], pts: F32) -> F32:
    """Points [N, 2] moved by the 2 x 3 affine ``m``."""
    return (np.asarray(pts, np.float64) @ m[:, :2].T + m[:, 2]).astype(np.float32)


def face_outline(landmarks: F32) -> F32:
    """The face polygon [16, 2] (brows to chin) for these landmarks, in their pixels.

    The template outline is turned with the head first, on a cylinder model of it (radius
    ``CHEEK_RADIUS``, nose tip at ``NOSE_RADIUS`` from the axis, template units): the nose's
    sideways offset from the middle of the eyes and mouth corners, over the eye distance, is
    ``tan(yaw) * (NOSE_RADIUS - CHEEK_RADIUS cos e) / (2 CHEEK_RADIUS sin e)`` (e: the eyes'
    angle on the cylinder). Each outline point then moves along the cylinder (hidden ones stop
    at its edge), in the frame of the similarity fit. (The fit's scale follows the eye distance
    seen, which shrinks with cos(yaw); undoing that widened the far cheek past the faces of the
    +-30 degree FASSEG poses, a cylinder being deeper than a face, so it is not undone.) So the
    near cheek ends at the profile and the far one widens a little: the mask does not spill
    into the background of a turned head.
    """
    m = similarity(TEMPLATE, landmarks)
    own = transform_points(
        cv2.invertAffineTransform(m), landmarks
    )  # the face's points, template frame
    eye = np.arcsin((TEMPLATE[1, 0] - TEMPLATE[0, 0]) / 2 / CHEEK_RADIUS)
    gain = (NOSE_RADIUS - CHEEK_RADIUS * np.cos(eye)) / (2 * CHEEK_RADIUS * np.sin(eye))
    offset = own[2, 0] - own[[0, 1, 3, 4], 0].mean()
    ratio = offset / max(1e-3, float(own[1, 0] - own[0, 0]))
    yaw = float(np.arctan(np.clip(ratio / gain, -MAX_TAN_YAW, MAX_TAN_YAW)))
    cx = float(TEMPLATE[[0, 1, 3, 4], 0].mean())
    phi = np.arcsin(np.clip((OUTLINE[:, 0] - cx) / CHEEK_RADIUS, -1.0, 1.0))
    seen = CHEEK_RADIUS * np.sin(np.clip(phi + yaw, -np.pi / 2, np.pi / 2))
    middle = CHEEK_RADIUS * np.sin(yaw) * np.cos(eye)  # where the eyes' middle went
    outline = OUTLINE.copy()
    outline[:, 0] = cx + seen - middle
    return transform_points(m, outline)


def face_region(shape: tuple[int, int], landmarks: F32) -> U8:
    """{0, 1} [H, W]: the convex hull of the face outline, 2 pixels clear of the border."""
    mask = np.zeros(shape, np.uint8)
    hull = cv2.convexHull(np.round(face_outline(landmarks)).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 1)
    return clear_border(mask)


def eye_distance(landmarks: F32) -> float:
    return float(max(4.0, np.linalg.norm(landmarks[1] - landmarks[0])))


def roll(landmarks: F32) -> float:
    """In-plane angle of the eye line, degrees."""
    dx, dy = landmarks[1] - landmarks[0]
    return float(np.degrees(np.arctan2(dy, dx)))


def part_regions(shape: tuple[int, int], landmarks: F32) -> dict[str, U8]:
    """{0, 1} masks [H, W] of ``left_eye``, ``right_eye``, ``brows`` and ``mouth`` (ellipses
    sized by the distance between the eyes, turned with the eye line)."""
    d, angle = eye_distance(landmarks), roll(landmarks)
    out: dict[str, U8] = {}
    up = np.array([np.sin(np.radians(angle)), -np.cos(np.radians(angle))])  # towards the brows
    for name, (cx, cy), axes in (
        ("left_eye", landmarks[0], (0.32 * d, 0.19 * d)),
        ("right_eye", landmarks[1], (0.32 * d, 0.19 * d)),
    ):
        m = np.zeros(shape, np.uint8)
        cv2.ellipse(m, (round(cx), round(cy)), _axes(axes), angle, 0, 360, 1, -1)
        out[name] = clear_border(m)
    brows = np.zeros(shape, np.uint8)
    for eye in landmarks[:2]:
        c = eye + up * 0.33 * d
        cv2.ellipse(brows, _pt(c), _axes((0.40 * d, 0.14 * d)), angle, 0, 360, 1, -1)
    out["brows"] = clear_border(brows)
    mouth = np.zeros(shape, np.uint8)
    mw = float(np.linalg.norm(landmarks[4] - landmarks[3]))
    c = (landmarks[3] + landmarks[4]) / 2
    cv2.ellipse(mouth, _pt(c), _axes((0.5 * mw + 0.12 * d, 0.22 * d)), angle, 0, 360, 1, -1)
    out["mouth"] = clear_border(mouth)
    return out


def _pt(p: F32) -> tuple[int, int]:
    return round(float(p[0])), round(float(p[1]))


def _axes(a: tuple[float, float]) -> tuple[int, int]:
    return max(1, round(a[0])), max(1, round(a[1]))


def clear_border(mask: U8, px: int = 2) -> U8:
    mask[:px], mask[-px:], mask[:, :px], mask[:, -px:] = 0, 0, 0, 0
    return mask


# ------------------------------------------------------------------------ blending tools ---


def soft_weight(region: U8, sigma: float, floor: float, ratio: float = 1.0) -> F32:
    """A feathered blend weight [H, W] in [0, ratio] from a {0, 1} region: Gaussian-blurred
    (sigma in pixels; 0 keeps the hard edge), scaled by ``ratio``, 0 below ``floor``."""
    w = region.astype(np.float32)
    if sigma > 0:
        w = cv2.GaussianBlur(w, (0, 0), sigma)
    w *= ratio
    w[w < floor] = 0.0
    return w


def blend(host: U8, content: U8, weight: F32) -> U8:
    """``round(host * (1 - w) + content * w)`` where w > 0; the host's own pixels elsewhere."""
    a = weight[..., None]
    mixed = np.clip(np.rint(host * (1.0 - a) + content.astype(np.float32) * a), 0, 255)
    return np.where(a > 0, mixed.astype(np.uint8), host)


def reinhard(src: U8, ref: U8, src_mask: U8, ref_mask: U8) -> U8:
    """``src`` with its Lab channels shifted and scaled so that the statistics inside
    ``src_mask`` match those of ``ref`` inside ``ref_mask`` (Reinhard et al. 2001)."""
    s = cv2.cvtColor(src, cv2.COLOR_RGB2LAB).astype(np.float32)
    r = cv2.cvtColor(ref, cv2.COLOR_RGB2LAB).astype(np.float32)
    sm, rm = src_mask.astype(bool), ref_mask.astype(bool)
    if sm.sum() < 16 or rm.sum() < 16:
        return src
    for c in range(3):
        ms, ss = s[..., c][sm].mean(), s[..., c][sm].std() + 1e-3
        mr, sr = r[..., c][rm].mean(), r[..., c][rm].std() + 1e-3
        s[..., c] = (s[..., c] - ms) * np.clip(sr / ss, 0.5, 2.0) + mr
    return cv2.cvtColor(np.clip(np.rint(s), 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)


def deform(mask: U8, amount: float, rng: np.random.Generator) -> U8:
    """``mask`` pushed about by a smooth random displacement of up to ``amount`` pixels."""
    h, w = mask.shape
    grid = rng.uniform(-amount, amount, (2, 4, 4)).astype(np.float32)
    dx = cv2.resize(grid[0], (w, h), interpolation=cv2.INTER_CUBIC)
    dy = cv2.resize(grid[1], (w, h), interpolation=cv2.INTER_CUBIC)
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(mask, xs + dx, ys + dy, cv2.INTER_NEAREST, borderValue=0)


def morph(mask: U8, rng: np.random.Generator, size: int) -> U8:
    """Erode or dilate (even odds) with an elliptic kernel of 1..``size`` pixels."""
    k = int(rng.integers(1, max(2, size + 1)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1))
    return cv2.erode(mask, kernel) if rng.random() < 0.5 else cv2.dilate(mask, kernel)


def colour_jitter(img: U8, shift_range: tuple[float, float], rng: np.random.Generator) -> U8:
    """RGB shift, hue/saturation/value shift and brightness/contrast (SBI's colour jitter);
    at least ``shift_range[0]`` grey levels in every channel, so the source differs."""
    x = img.astype(np.float32)
    shift = rng.uniform(*shift_range, 3) * rng.choice([-1.0, 1.0], 3)
    x += shift
    hsv = cv2.cvtColor(np.clip(x, 0, 255).astype(np.uint8), cv2.COLOR_RGB2HSV).astype(np.float32)
    hsv[..., 0] = (hsv[..., 0] + rng.uniform(-5, 5)) % 180
    hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(0.8, 1.2), 0, 255)
    x = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB).astype(np.float32)
    x = (x - 128.0) * rng.uniform(0.85, 1.15) + 128.0 + rng.uniform(-10, 10)
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def frequency_jitter(img: U8, rng: np.random.Generator) -> U8:
    """Downsample-upsample (blur) or unsharp masking, or nothing (one in three each)."""
    op = int(rng.integers(3))
    h, w = img.shape[:2]
    if op == 0:
        f = float(rng.uniform(1.5, 3.0))
        small = cv2.resize(img, (max(1, round(w / f)), max(1, round(h / f))), cv2.INTER_AREA)
        return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    if op == 1:
        blur = cv2.GaussianBlur(img, (0, 0), float(rng.uniform(0.8, 1.5))).astype(np.float32)
        k = float(rng.uniform(0.5, 1.5))
        return np.clip(np.rint(img * (1 + k) - blur * k), 0, 255).astype(np.uint8)
    return img


def warp(img: U8, m: NDArray[np.float64], shape: tuple[int, int]) -> U8:
    return cv2.warpAffine(
        img, m, (shape[1], shape[0]), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101
    )


def about(centre: F32, sx: float, sy: float, angle: float = 0.0) -> NDArray[np.float64]:
    """The affine map scaling by (sx, sy) along the axes turned by ``angle`` degrees about
    ``centre``: a local zoom of a part."""
    t = np.radians(angle)
    r = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    a = r @ np.diag([sx, sy]) @ r.T
    c = np.asarray(centre, np.float64)
    return np.hstack([a, (c - a @ c)[:, None]])


def zoom(img: U8, centre: F32, sx: float, sy: float, angle: float) -> U8:
    """The image zoomed by (sx, sy) about ``centre``: output pixel p shows input pixel
    centre + (p - centre) / s, so a part grows for s > 1."""
    m = about(centre, sx, sy, angle)
    return cv2.warpAffine(
        img,
        m,
        (img.shape[1], img.shape[0]),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REFLECT_101,
    )
