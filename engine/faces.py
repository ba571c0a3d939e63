"""Face regions: detection with weights that ship inside an installed package, per-face scores.

Two detectors (backends), both offline: nothing is downloaded at run time.

- ``mtcnn`` (the default): the three-stage MTCNN of Zhang et al. 2016 (P-Net, R-Net, O-Net)
  as implemented in ``facenet-pytorch`` 2.6.0, whose wheel ships the weights
  (``facenet_pytorch/data/{p,r,o}net.pt``). It gives five landmarks per face and a face
  probability (O-Net's softmax) as its confidence. facenet-pytorch pins torch<2.3, so the
  Makefile installs it with ``--no-deps`` (see docs/FACES.md).
- ``haar``: OpenCV's Viola-Jones cascade ``haarcascade_frontalface_default.xml`` shipped inside
  ``opencv-python-headless`` 4.x. No landmarks. The fallback when facenet-pytorch is missing
  (a wheel install: pip cannot install it with the wheel, see below); :attr:`FaceDetector.note`
  then says so, with the pip command (:data:`PIP_FACENET`) that adds it.

The face models' θ and measured rates come from MTCNN's faces (docs/FACES.md), and the Haar
cascade finds other faces (0.28 false faces per camera photograph against MTCNN's none). So
with the Haar fallback the face rule still applies, as it does (the verdicts are not changed:
a face it flags may be a real face, and hiding it would hide evidence), but wherever a face
model's rates are worded they carry :data:`UNMEASURED_DETECTOR` ("calibration not measured
with this detector"): the rates describe a detector that did not run.

docs/FACES.md has the measurements behind the choice (recall on 150 real faces, false faces per
image on camera photographs and CASIA authentic images, seconds per image).

Haar confidence. ``detectMultiScale3(..., outputRejectLevels=True)`` reports, for each grouped
detection, the *level weight*: the sum of the weak-classifier votes of the last cascade stage,
a margin that grows with how face-like the window is. It is unbounded, so it is mapped to
[0, 1] by a logistic rule::

    confidence = 1 / (1 + exp(-(level_weight - WEIGHT_CENTER) / WEIGHT_SCALE))

with ``WEIGHT_CENTER = 6.0`` and ``WEIGHT_SCALE = 1.6``: a logistic regression of "is a face" on
the level weight over the 148 detections this cascade makes (``min_neighbors=3``,
histogram-equalised grey) in 590 authentic CASIA v1 photographs, labelled by hand (28 faces).

Per-face score. For each model, the score of a face is the **mean of that model's heatmap
inside the face box**: the expected heatmap value of a face pixel, in [0, 1], comparable across
models, and not thrown by a single hot pixel the way the maximum would be.

Large evidence is downscaled for detection so its long side is at most ``max_side`` pixels (a
detector over 4096 x 4096 pixels takes seconds and finds nothing a 1024-pixel view misses at
face sizes an analyst cares about); boxes and landmarks are mapped back to evidence pixels.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from engine.threads import torch_threads
from engine.types import Evidence, FaceRegion, ModelResult

WEIGHT_CENTER = 6.0  # Haar level weight at confidence 0.5 (fitted, see module docstring)
WEIGHT_SCALE = 1.6  # level-weight units per e-fold of the odds (fitted, see module docstring)
CASCADE = "haarcascade_frontalface_default.xml"
FACENET_PYTORCH = "facenet-pytorch==2.6.0"  # the release whose MTCNN code and weights we use
# its pins (torch<2.3, numpy<2) would replace our torch: installed without its dependencies
PIP_FACENET = f"pip install --no-deps {FACENET_PYTORCH}"
MEASURED_DETECTOR = "mtcnn"  # the detector whose faces the face models were measured on
# beside a face model's rates when another detector found the faces (module docstring)
UNMEASURED_DETECTOR = "calibration not measured with this detector"
HAAR_MIN_CONFIDENCE = 0.25  # see HaarCascade
MTCNN_MIN_CONFIDENCE = 0.9  # see Mtcnn and docs/FACES.md
MTCNN_MIN_SIZE = 20  # see Mtcnn and docs/FACES.md

Backend = Literal["auto", "mtcnn", "haar"]

__all__ = [
    "MEASURED_DETECTOR",
    "PIP_FACENET",
    "UNMEASURED_DETECTOR",
    "FaceDetector",
    "HaarCascade",
    "Mtcnn",
    "RawFace",
    "face_score",
    "fallback_note",
    "level_weight_to_confidence",
    "make_backend",
    "mtcnn_missing",
]


@dataclass(frozen=True)
class RawFace:
    """One detection in pixels of the image given to a backend.

    box: (x0, y0, x1, y1) floats; confidence in [0, 1]; landmarks: [5, 2] (x, y) or None.
    """

    box: tuple[float, float, float, float]
    confidence: float
    landmarks: NDArray[np.float32] | None = None


class FaceBackend(Protocol):
    """A detector: RGB uint8 [H, W, 3] in, detections in the same pixels out."""

    name: str

    def __call__(self, rgb: NDArray[np.uint8]) -> list[RawFace]: ...


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


# ---------------------------------------------------------------------------------- Haar ---


def _cascade_path() -> Path:
    data = getattr(cv2, "data", None)
    folder = getattr(data, "haarcascades", None)
    if not folder or not (Path(folder) / CASCADE).is_file():
        raise RuntimeError(
            f"the OpenCV Haar cascade {CASCADE} is not installed; install "
            "opencv-python-headless 4.x (5.x no longer ships the cascades)"
        )
    return Path(folder) / CASCADE


class HaarCascade:
    """OpenCV's frontal-face Haar cascade on histogram-equalised grey.

    min_confidence: detections below this confidence are dropped (at 0.25, on CASIA v1: 68 % of
        the faces kept, 84 % of the false detections dropped).
    min_size: smallest face, in pixels of the image given.
    min_neighbors: overlapping raw detections a face needs (OpenCV's grouping rule; the
        confidence rule was fitted with 3).

    One instance is used from one thread at a time (OpenCV cascades are not shared safely).
    """

    name = "haar"

    def __init__(
        self,
        *,
        min_confidence: float = HAAR_MIN_CONFIDENCE,
        min_size: int = 24,
        min_neighbors: int = 3,
        scale_factor: float = 1.1,
    ) -> None:
        if not 0.0 <= min_confidence <= 1.0:
            raise ValueError(f"min_confidence must be in [0, 1], got {min_confidence}")
        if scale_factor <= 1.0:
            raise ValueError(f"scale_factor must be > 1, got {scale_factor}")
        self.min_confidence = min_confidence
        self.min_size = min_size
        self.min_neighbors = min_neighbors
        self.scale_factor = scale_factor
        path = _cascade_path()
        self._cascade = cv2.CascadeClassifier(str(path))
        if self._cascade.empty():
            raise RuntimeError(f"{path}: OpenCV could not load the Haar cascade")

    def __call__(self, rgb: NDArray[np.uint8]) -> list[RawFace]:
        if min(rgb.shape[:2]) < self.min_size:
            return []
        gray = cv2.equalizeHist(cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY))
        boxes, _levels, weights = self._cascade.detectMultiScale3(
            gray,
            scaleFactor=self.scale_factor,
            minNeighbors=self.min_neighbors,
            minSize=(self.min_size, self.min_size),
            outputRejectLevels=True,
        )
        faces = []
        for (x, y, w, h), weight in zip(
            np.asarray(boxes).reshape(-1, 4), np.asarray(weights).reshape(-1), strict=True
        ):
            confidence = level_weight_to_confidence(float(weight))
            if confidence >= self.min_confidence:
                faces.append(RawFace((float(x), float(y), float(x + w), float(y + h)), confidence))
        return faces


# --------------------------------------------------------------------------------- MTCNN ---


class Mtcnn:
    """MTCNN from facenet-pytorch on the CPU, weights from inside its wheel.

    min_confidence: O-Net face probability a detection needs (see docs/FACES.md for the
        figures behind the default).
    min_size: smallest face, in pixels of the image given: the first level of the image
        pyramid is scaled by 12 / min_size, so a smaller value costs time quadratically.
    thresholds: P-Net and R-Net probabilities a candidate needs to reach the next stage
        (facenet-pytorch's defaults).
    factor: scale step of the image pyramid (the paper's 0.709: area halves per level).

    Raises ImportError when facenet-pytorch (or its ``requests`` import) is missing.
    """

    name = "mtcnn"

    def __init__(
        self,
        *,
        min_confidence: float = MTCNN_MIN_CONFIDENCE,
        min_size: int = MTCNN_MIN_SIZE,
        thresholds: tuple[float, float] = (0.6, 0.7),
        factor: float = 0.709,
    ) -> None:
        if not 0.0 <= min_confidence <= 1.0:
            raise ValueError(f"min_confidence must be in [0, 1], got {min_confidence}")
        if min_size < 12:
            raise ValueError(f"min_size must be >= 12 (P-Net's window), got {min_size}")
        if not 0.0 < factor < 1.0:
            raise ValueError(f"factor must be in (0, 1), got {factor}")
        nets, self._detect_face = _mtcnn_parts()
        # the constructors read the weights from facenet_pytorch/data/*.pt: no download
        self._nets = tuple(net().eval() for net in nets)
        self.min_confidence = min_confidence
        self.min_size = min_size
        self.thresholds = (thresholds[0], thresholds[1], min(0.7, min_confidence))
        self.factor = factor

    def __call__(self, rgb: NDArray[np.uint8]) -> list[RawFace]:
        import torch

        if min(rgb.shape[:2]) < self.min_size:  # no level of the pyramid: nothing to find
            return []
        # One PyTorch thread for the pyramid's resampling and P-Net on each of its levels:
        # many small operations, between which PyTorch's OpenMP workers spun
        # (docs/BENCHMARKS.md, "Fewer CPU seconds at 1 MP"); their results did not move on any
        # image measured. R-Net and O-Net run at the caller's count: at one thread the
        # landmarks moved by about 1e-4 px (O-Net on 8 of 53 camera photographs, R-Net on one
        # portrait of 150).
        pnet, rnet, onet = self._nets
        threads = torch.get_num_threads()
        rnet, onet = _AtThreads(rnet, threads), _AtThreads(onet, threads)
        with torch.inference_mode(), torch_threads(1):
            boxes, points = self._detect_face(
                np.ascontiguousarray(rgb),
                self.min_size,
                pnet,
                rnet,
                onet,
                list(self.thresholds),
                self.factor,
                torch.device("cpu"),
            )
        boxes = np.asarray(boxes[0], np.float64).reshape(-1, 5)  # x0, y0, x1, y1, probability
        points = np.asarray(points[0], np.float32).reshape(-1, 5, 2)
        return [
            RawFace(tuple(float(v) for v in b[:4]), float(b[4]), p)  # type: ignore[arg-type]
            for b, p in zip(boxes, points, strict=True)
            if b[4] >= self.min_confidence and b[2] > b[0] and b[3] > b[1]
        ]


class _AtThreads:
    """A network of facenet-pytorch's ``detect_face`` called at ``threads`` PyTorch threads
    (:func:`engine.threads.torch_threads`); ``parameters()`` is the network's (``detect_face``
    reads the first one's dtype)."""

    def __init__(self, net: Any, threads: int) -> None:
        self.net = net
        self.threads = threads

    def parameters(self) -> Any:
        return self.net.parameters()

    def __call__(self, x: Any) -> Any:
        with torch_threads(self.threads):
            return self.net(x)


# ------------------------------------------------------------------------------ detector ---


def make_backend(
    backend: Backend = "auto", *, min_confidence: float | None = None, min_size: int | None = None
) -> tuple[FaceBackend, str | None]:
    """The backend named, and a note when ``auto`` had to fall back to the Haar cascade.

    min_confidence, min_size: the backend's settings of those names; None keeps its default
    (they differ: a Haar confidence and an O-Net probability are not on one scale).
    ``mtcnn`` raises ImportError when facenet-pytorch is not installed; ``auto`` then uses
    ``haar`` and says why in the note.
    """
    settings: dict[str, float] = {}
    if min_confidence is not None:
        settings["min_confidence"] = min_confidence
    if min_size is not None:
        settings["min_size"] = min_size
    if backend == "haar":
        return HaarCascade(**settings), None  # type: ignore[arg-type]
    if backend == "mtcnn":
        return Mtcnn(**settings), None  # type: ignore[arg-type]
    if backend != "auto":
        raise ValueError(f"backend must be one of auto, mtcnn, haar, got {backend!r}")
    try:
        return Mtcnn(**settings), None  # type: ignore[arg-type]
    except ImportError as e:
        return HaarCascade(**settings), fallback_note(e)  # type: ignore[arg-type]


def fallback_note(error: ImportError) -> str:
    """Why ``auto`` uses the Haar cascade (``error``: why facenet-pytorch did not import),
    what that means for the face models' rates, and the command that adds MTCNN: one line, the
    viewer's note and the command line's warning alike."""
    return (
        f"face detection uses the weaker Haar cascade, whose faces the face models' rates "
        f"were not measured on ({UNMEASURED_DETECTOR}): the MTCNN detector needs "
        f"{FACENET_PYTORCH} ({error}); install it with `{PIP_FACENET}` (a checkout's "
        "`make setup` does)"
    )


def _mtcnn_parts() -> tuple[tuple[Any, Any, Any], Any]:
    """facenet-pytorch's P-, R- and O-Net classes and its ``detect_face``: what :class:`Mtcnn`
    builds on and :func:`mtcnn_missing` checks, one import so the two cannot drift apart.
    Raises ImportError when facenet-pytorch is missing."""
    from facenet_pytorch.models.mtcnn import ONet, PNet, RNet
    from facenet_pytorch.models.utils.detect_face import detect_face

    return (PNet, RNet, ONet), detect_face


def mtcnn_missing() -> str | None:
    """:func:`fallback_note` when facenet-pytorch's MTCNN cannot be imported (``auto`` would
    use the Haar cascade), else None; imports only, no network built: for a process that
    builds no detector itself (a scan whose workers do)."""
    try:
        _mtcnn_parts()
    except ImportError as e:
        return fallback_note(e)
    return None


class FaceDetector:
    """Finds faces in evidence and scores each one with every model's heatmap.

    backend: ``auto`` (MTCNN, or the Haar cascade when facenet-pytorch is missing), ``mtcnn``,
        ``haar``, or a built backend (a callable with a ``name``, see :class:`FaceBackend`;
        e.g. ``HaarCascade(min_neighbors=5)`` for the settings only one backend has).
    max_side: long side, in pixels, the evidence is downscaled to for detection (an image
        longer than 8:3 keeps a short side of :data:`DETECT_MIN_SHORT`: :func:`detection_scale`).
    min_confidence, min_size: passed to a backend built by name (None: its default).

    After construction, ``name`` is the backend used and ``note`` is None or the sentence that
    says why the default was not available. :meth:`detect` runs on one thread at a time (a
    lock: the backends are not shared safely, and an analysis given up on may still be
    detecting on its thread beside the networks, ``engine.beside``, when the next one starts).
    """

    def __init__(
        self,
        backend: Backend | FaceBackend = "auto",
        *,
        max_side: int = 1024,
        min_confidence: float | None = None,
        min_size: int | None = None,
    ) -> None:
        if max_side < 64:
            raise ValueError(f"max_side must be >= 64, got {max_side}")
        self.max_side = max_side
        self.note: str | None = None
        self._lock = threading.Lock()
        if isinstance(backend, str):
            self.backend, self.note = make_backend(
                backend,  # type: ignore[arg-type]
                min_confidence=min_confidence,
                min_size=min_size,
            )
        elif min_confidence is not None or min_size is not None:
            raise ValueError("min_confidence and min_size are settings of a backend given built")
        else:
            self.backend = backend

    @property
    def name(self) -> str:
        return self.backend.name

    def detect(self, pixels: NDArray[np.uint8]) -> list[FaceRegion]:
        """Faces in ``pixels`` [H, W, 3] RGB uint8, most confident first, without model scores."""
        h, w = pixels.shape[:2]
        scale = detection_scale(h, w, self.max_side)
        small = np.ascontiguousarray(pixels)
        if scale < 1.0:
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            small = cv2.resize(small, size, interpolation=cv2.INTER_AREA)
        sx, sy = small.shape[1] / w, small.shape[0] / h  # each side rounded apart
        with self._lock:
            raw = self.backend(small)
        faces = [_to_evidence(r, sx, sy, w, h) for r in raw]
        faces.sort(key=lambda f: f.confidence, reverse=True)
        return faces

    def find(self, evidence: Evidence, results: dict[str, ModelResult]) -> list[FaceRegion]:
        """Faces in ``evidence``, each scored by every model in ``results`` that has a heatmap
        (:meth:`detect`, then :meth:`score`); with no results the faces carry no scores.

        Called by :class:`engine.pipeline.Analyzer` after the models ran, unless it detected
        the faces beside them (``engine.beside``) and only scores them here."""
        return self.score(self.detect(evidence.pixels), results)

    @staticmethod
    def score(faces: list[FaceRegion], results: dict[str, ModelResult]) -> list[FaceRegion]:
        """``faces`` (from :meth:`detect`), each given the score of every model in ``results``
        that has a heatmap (:func:`face_score`); the same list."""
        for face in faces:
            for name, result in results.items():
                if result.heatmap is not None:
                    face.scores[name] = face_score(result.heatmap, face.box)
        return faces


DETECT_MIN_SHORT = 384  # px: the detection copy's short side is not brought below this
DETECT_MAX_PIXELS = 4_000_000  # ... unless the copy would hold more pixels than this


def detection_scale(h: int, w: int, max_side: int) -> float:
    """The scale of the copy faces are detected on: its long side ``max_side``, but its short
    side kept at :data:`DETECT_MIN_SHORT` (or the image's own): a 10000 x 1500 panorama at a
    long side of 1024 was 154 px high, and a face 150 px high in it became 15 px, below the
    detectors' smallest face (20-24 px), where it is now 2560 x 384. Photographs up to 8:3
    keep their 1024-pixel copy; the copy holds at most :data:`DETECT_MAX_PIXELS` (the detector's
    time and memory grow with them)."""
    scale = min(1.0, max_side / max(h, w))
    floor = min(1.0, DETECT_MIN_SHORT / max(1, min(h, w)), math.sqrt(DETECT_MAX_PIXELS / (h * w)))
    return max(scale, floor)


def _to_evidence(raw: RawFace, sx: float, sy: float, w: int, h: int) -> FaceRegion:
    """A detection in the downscaled image (``sx``, ``sy``: its width and height over the
    evidence's, each axis its own: one factor put a box on a 1:200 strip pixels off) as a
    FaceRegion in evidence pixels, box inside it."""
    x0, x1 = raw.box[0] / sx, raw.box[2] / sx
    y0, y1 = raw.box[1] / sy, raw.box[3] / sy
    bx0, by0 = min(w - 1, max(0, round(x0))), min(h - 1, max(0, round(y0)))
    bx1, by1 = min(w, round(x1)), min(h, round(y1))
    landmarks = None
    if raw.landmarks is not None:
        landmarks = tuple((float(x) / sx, float(y) / sy) for x, y in raw.landmarks)
    return FaceRegion(
        box=(bx0, by0, max(1, bx1 - bx0), max(1, by1 - by0)),
        confidence=min(1.0, max(0.0, raw.confidence)),
        landmarks=landmarks,  # type: ignore[arg-type]
    )
