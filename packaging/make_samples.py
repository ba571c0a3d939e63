"""Make the bundled sample images: the project's own synthetic forgeries, each with its mask.

The photographs come from scikit-image's bundled data (public-domain or CC0 images that ship
inside the installed package), so nothing is downloaded. Each forgery is made by
``trainer.data.synth`` (the same generator ``forensic-train synth`` uses) and written as
``resources/samples/<name>.jpg`` (quality 92: evidence as an analyst would receive it) with its
exact mask in ``resources/samples/masks/<name>.png`` (255 = manipulated). One photograph is left
authentic. Re-run with ``python packaging/make_samples.py``; the output is deterministic.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "resources" / "samples"

# (name, kind, host photograph, donor photograph, seed)
SAMPLES = (
    ("astronaut-splice", "splice", "astronaut", "rocket", 3),
    ("coffee-copymove", "copymove", "coffee", None, 1),
    ("chelsea-resample", "resample", "chelsea", None, 2),
    ("rocket-inpaint", "inpaint", "rocket", None, 4),
)
AUTHENTIC = ("hubble-authentic", "hubble_deep_field")
# A face manipulation (issue 20): the astronaut's face self-blended (trainer.data.faces:
# blended onto itself after colour, scale and shift jitter through a soft face-shaped mask),
# the kind of forgery the face model diffforensics-faces was trained on; its regression floor.
FACE_SAMPLE = ("astronaut-faceblend", "astronaut", 7)


def photo(name: str) -> np.ndarray:
    import skimage.data

    img = getattr(skimage.data, name)()
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return np.ascontiguousarray(img[..., :3].astype(np.uint8))


def write_jpeg(path: Path, rgb: np.ndarray, quality: int = 92) -> None:
    ok = cv2.imwrite(
        str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    if not ok:
        raise OSError(f"cannot write {path}")


def face_forgery(rgb: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The largest face MTCNN finds in ``rgb``, self-blended (a visible blend: ratio 1)."""
    import dataclasses

    from engine.faces import FaceDetector
    from trainer.data.faces import Face, SynthFaceConfig, self_blend

    faces = [f for f in FaceDetector("mtcnn").detect(rgb) if f.landmarks is not None]
    if not faces:
        raise RuntimeError("no face with landmarks found for the face sample")
    face = max(faces, key=lambda f: f.box[2] * f.box[3])
    cfg = dataclasses.replace(SynthFaceConfig(), blend_ratios=(1.0,), colour_shift=(14.0, 20.0))
    forged = self_blend(Face(rgb, np.asarray(face.landmarks)), cfg, np.random.default_rng(seed))
    return forged.image, forged.mask


def main() -> int:
    from trainer.data.synth import SynthConfig, make_forgery

    (OUT / "masks").mkdir(parents=True, exist_ok=True)
    cfg = SynthConfig(area=(0.04, 0.12))
    manifest = {}
    for name, kind, host, donor, seed in SAMPLES:
        rng = np.random.default_rng(seed)
        image, mask = make_forgery(kind, photo(host), photo(donor) if donor else None, cfg, rng)
        write_jpeg(OUT / f"{name}.jpg", image)
        cv2.imwrite(str(OUT / "masks" / f"{name}.png"), (mask > 0).astype(np.uint8) * 255)
        manifest[f"{name}.jpg"] = {
            "kind": kind,
            "photographs": [host] + ([donor] if donor else []),
            "mask": f"masks/{name}.png",
            "manipulated_fraction": round(float((mask > 0).mean()), 4),
        }
    name, host, seed = FACE_SAMPLE
    image, mask = face_forgery(photo(host), seed)
    write_jpeg(OUT / f"{name}.jpg", image)
    cv2.imwrite(str(OUT / "masks" / f"{name}.png"), (mask > 0).astype(np.uint8) * 255)
    manifest[f"{name}.jpg"] = {
        "kind": "face-selfblend",
        "photographs": [host],
        "mask": f"masks/{name}.png",
        "manipulated_fraction": round(float((mask > 0).mean()), 4),
    }
    name, host = AUTHENTIC
    write_jpeg(OUT / f"{name}.jpg", photo(host))
    manifest[f"{name}.jpg"] = {"kind": "authentic", "photographs": [host], "mask": None}
    (OUT / "samples.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(manifest)} samples to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
