"""Face regions: detection with weights that ship inside an installed package, per-face scores.

Detector: OpenCV's Viola-Jones Haar cascade ``haarcascade_frontalface_default.xml``, which ships
inside ``opencv-python-headless`` 4.x (``cv2.data.haarcascades``); nothing is downloaded.

Detection confidence. ``detectMultiScale3(..., outputRejectLevels=True)`` reports, for each
grouped detection, the *level weight*: the sum of the weak-classifier votes of the last cascade
stage, a margin that grows with how face-like the window is. It is unbounded, so it is mapped to
[0, 1] by a logistic rule::

    confidence = 1 / (1 + exp(-(level_weight - WEIGHT_CENTER) / WEIGHT_SCALE))

with ``WEIGHT_CENTER = 6.0`` and ``WEIGHT_SCALE = 1.6``. Those two numbers are a logistic
regression of "is a face" on the level weight over the 148 detections this detector makes
(``min_neighbors=3``, histogram-equalised grey) in 590 authentic CASIA v1 photographs, labelled
by hand (28 faces): at confidence >= 0.5, 80 % of the detections kept were faces (43 % of the
faces kept); at >= 0.25, 50 % (68 % of the faces kept, 19 of 120 false detections left).
Haar cascades are weak (ROC AUC of the level weight 0.81 on that set); the confidence ranks
detections, it is not a calibrated probability for other kinds of photographs.

Per-face score. For each model, the score of a face is the **mean of that model's heatmap
inside the face box**: the expected heatmap value of a face pixel, in [0, 1], comparable across
models, and not thrown by a single hot pixel the way the maximum would be.

Large evidence is downscaled for detection so its long side is at most ``max_side`` pixels (a
cascade over 4096 x 4096 pixels takes seconds and finds nothing a 1024-pixel view misses at
face sizes an analyst cares about); boxes are mapped back to evidence pixels.
"""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from engine.types import Evidence, FaceRegion, ModelResult

WEIGHT_CENTER = 6.0  # level weight at confidence 0.5 (fitted, see module docstring)
WEIGHT_SCALE = 1.6  # level-weight units per e-fold of the odds (fitted, see module docstring)
CASCADE = "haarcascade_frontalface_default.xml"

__all__ = ["FaceDetector", "face_score", "level_weight_to_confidence"]


def level_weight_to_confidence(weight: float) -> float:
    """The documented logistic rule mapping a Haar level weight to a confidence in [0, 1]."""
    z = (float(weight) - WEIGHT_CENTER) / WEIGHT_SCALE
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def face_score(heatmap: NDArray[np.float32], box: tuple[int, int, int, int]) -> float:
    """Mean of ``heatmap`` [H, W] inside ``box`` (x, y, w, h), clipped to the image; 0 if empty."""
    x, y, w, h = box
    hh, ww = heatmap.shape[:2]
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(ww, x + w), min(hh, y + h)
    if x1 <= x0 or y1 <= y0:
        return 0.0
    return float(heatmap[y0:y1, x0:x1].mean(dtype=np.float64))


def _cascade_path() -> Path:
    data = getattr(cv2, "data", None)
    folder = getattr(data, "haarcascades", None)
    if not folder or not (Path(folder) / CASCADE).is_file():
        raise RuntimeError(
            f"the OpenCV Haar cascade {CASCADE} is not installed; install "
            "opencv-python-headless 4.x (5.x no longer ships the cascades)"
        )
    return Path(folder) / CASCADE


class FaceDetector:
    """Finds faces in evidence and scores each one with every model's heatmap.

    min_confidence: detections below this confidence are dropped (at 0.25, on CASIA v1: 68 % of
        the faces kept, 84 % of the false detections dropped).
    max_side: long side, in pixels, the evidence is downscaled to for detection.
    min_size: smallest face, in pixels of the (downscaled) detection image.
    min_neighbors: overlapping raw detections a face needs (OpenCV's grouping rule; the
        confidence rule above was fitted with 3).

    One instance is used from one thread at a time (OpenCV cascades are not shared safely).
    """

    def __init__(
        self,
        *,
        min_confidence: float = 0.25,
        max_side: int = 1024,
        min_size: int = 24,
        min_neighbors: int = 3,
        scale_factor: float = 1.1,
    ) -> None:
        if not 0.0 <= min_confidence <= 1.0:
            raise ValueError(f"min_confidence must be in [0, 1], got {min_confidence}")
        if max_side < 64:
            raise ValueError(f"max_side must be >= 64, got {max_side}")
        if scale_factor <= 1.0:
            raise ValueError(f"scale_factor must be > 1, got {scale_factor}")
        self.min_confidence = min_confidence
        self.max_side = max_side
        self.min_size = min_size
        self.min_neighbors = min_neighbors
        self.scale_factor = scale_factor
        path = _cascade_path()
        self._cascade = cv2.CascadeClassifier(str(path))
        if self._cascade.empty():
            raise RuntimeError(f"{path}: OpenCV could not load the Haar cascade")

    def detect(self, pixels: NDArray[np.uint8]) -> list[FaceRegion]:
        """Faces in ``pixels`` [H, W, 3] RGB uint8, most confident first, without model scores."""
        h, w = pixels.shape[:2]
        scale = min(1.0, self.max_side / max(h, w))
        gray = cv2.cvtColor(np.ascontiguousarray(pixels), cv2.COLOR_RGB2GRAY)
        if scale < 1.0:
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
        if min(gray.shape) < self.min_size:
            return []
        gray = cv2.equalizeHist(gray)
        boxes, _levels, weights = self._cascade.detectMultiScale3(
            gray,
            scaleFactor=self.scale_factor,
            minNeighbors=self.min_neighbors,
            minSize=(self.min_size, self.min_size),
            outputRejectLevels=True,
        )
        faces: list[FaceRegion] = []
        for box, weight in zip(
            np.asarray(boxes).reshape(-1, 4), np.asarray(weights).reshape(-1), strict=True
        ):
            confidence = level_weight_to_confidence(float(weight))
            if confidence < self.min_confidence:
                continue
            faces.append(FaceRegion(box=_to_evidence(box, scale, w, h), confidence=confidence))
        faces.sort(key=lambda f: f.confidence, reverse=True)
        return faces

    def find(self, evidence: Evidence, results: dict[str, ModelResult]) -> list[FaceRegion]:
        """Faces in ``evidence``, each scored by every model in ``results`` that has a heatmap.

        Called by :class:`engine.pipeline.Analyzer` after the models ran; with no results the
        faces carry no scores (detection alone).
        """
        faces = self.detect(evidence.pixels)
        for face in faces:
            for name, result in results.items():
                if result.heatmap is not None:
                    face.scores[name] = face_score(result.heatmap, face.box)
        return faces


def _to_evidence(box: NDArray[np.int32], scale: float, w: int, h: int) -> tuple[int, int, int, int]:
    """A box of the detection image as (x, y, w, h) in evidence pixels, inside the image."""
    x, y, bw, bh = (float(v) / scale for v in box)
    x0, y0 = max(0, round(x)), max(0, round(y))
    x1, y1 = min(w, round(x + bw)), min(h, round(y + bh))
    return (x0, y0, max(1, x1 - x0), max(1, y1 - y0))
