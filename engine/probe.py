"""The robustness probe (issue 21): does a finding survive the copies an image goes through?

An image found on the web has usually been re-saved, scaled or filtered, and a detector whose
verdict flips after a JPEG re-save at quality 85 says more about the re-save than about the
image. The probe re-runs the same :class:`~engine.pipeline.Analyzer` on derived copies of the
evidence and compares each copy's result with the original's:

- **Derivations as data.** :data:`DERIVATIONS` lists the default copies (JPEG re-save at
  quality 95, 85 and 75; resize to 50 %; Gaussian blur σ = 1; the "shared on social media"
  chain: long side 2048, then JPEG quality 80). Each :class:`Derivation` is a name, a label
  and a tuple of :class:`Step` (kind and parameter), so a new one is a line, and the
  parameters travel with every result.
- **In memory only.** Copies are made from ``evidence.pixels`` (never from the file): JPEG is
  encoded with Pillow into bytes and decoded again from those bytes; the evidence file is not
  opened. Each copy is an :class:`~engine.types.Evidence` whose ``path`` names the original
  and the derivation (so every error names both) and whose ``sha256`` is of the copy's own
  bytes: the JPEG stream when the chain ends with a JPEG re-save, else the raw RGB array (C
  order, shape in the provenance). The original's SHA-256 is kept on every row.
- **Choices.** JPEG: Pillow/libjpeg, IJG tables at the given quality, 4:2:0 chroma
  subsampling (what most re-savers and sharing sites use), baseline, no EXIF. Resize: OpenCV
  ``INTER_AREA`` (pixel-area averaging, the usual choice for shrinking; no aliasing).
  Blur: OpenCV ``GaussianBlur`` with the kernel ±4σ wide, borders reflected. "Long side N"
  never enlarges: an image already that small is left as it is and the copy's ``notes`` say so.
- **Comparison.** Per model (and the ensemble): verdict, score, calibrated probability, and
  the IoU of the copy's mask with the original's mask. The copy's heatmap is first resized to
  the original's size (bilinear), then thresholded at the model's own pixel threshold, so a
  50 % copy is judged on the same pixel grid as the original. IoU convention: |A ∩ B| / |A ∪ B|;
  **both masks empty counts as 1.0** (the copies agree that nothing is marked), one empty and
  one not as 0.0.

The copies run on the analyzer's own device (CUDA when present, else the CPU; see
``engine.devices``) and path (fast or exact), so they differ from the original only in their
pixels. Nothing here imports Qt; the viewer's worker and ``forensic-viewer probe`` both call
:func:`run_probe`.
"""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from engine.errors import Cancelled
from engine.metrics import levels
from engine.types import Analysis, Evidence, ModelResult, Progress

if TYPE_CHECKING:
    from engine.pipeline import Analyzer

ProgressFn = Callable[[Progress], None]
CancelFn = Callable[[], bool]

__all__ = [
    "DERIVATIONS",
    "IDENTITY",
    "ORIGINAL",
    "Derivation",
    "DerivedCopy",
    "ProbeResult",
    "ProbeRow",
    "ProbedCopy",
    "Step",
    "StepKind",
    "derive",
    "find_derivation",
    "mask_iou",
    "run_probe",
]

JPEG_SUBSAMPLING = 2  # Pillow's code for 4:2:0
BLUR_TRUNCATE = 4.0  # Gaussian kernel half-width in σ (scipy's default)
ORIGINAL = "original"  # the name of the original's row in tables and folders


class StepKind(StrEnum):
    """One transformation of a derivation chain; ``Step.value`` is its parameter."""

    JPEG = "jpeg"  # re-save as JPEG; value: quality 1..100
    SCALE = "scale"  # resize by a factor; value: e.g. 0.5
    LONG_SIDE = "long-side"  # shrink so the long side is at most value pixels (never enlarge)
    BLUR = "blur"  # Gaussian blur; value: σ in pixels


@dataclass(frozen=True)
class Step:
    kind: StepKind
    value: float

    def describe(self) -> str:
        if self.kind is StepKind.JPEG:
            return f"JPEG re-save at quality {int(self.value)} (4:2:0)"
        if self.kind is StepKind.SCALE:
            return f"resize to {self.value * 100:g} % (area interpolation)"
        if self.kind is StepKind.LONG_SIDE:
            return f"long side at most {int(self.value)} px (area interpolation)"
        return f"Gaussian blur σ = {self.value:g} px"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": str(self.kind), "value": self.value}


@dataclass(frozen=True)
class Derivation:
    """A named chain of steps applied to the evidence's pixels, in order.

    name: short identifier (table rows, folder names: letters, digits and dashes).
    label: what it stands for, in words.
    """

    name: str
    label: str
    steps: tuple[Step, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "steps": [s.to_dict() for s in self.steps],
        }


def _jpeg(q: int) -> Derivation:
    return Derivation(f"jpeg-q{q}", f"JPEG re-save, quality {q}", (Step(StepKind.JPEG, q),))


DERIVATIONS: tuple[Derivation, ...] = (
    _jpeg(95),
    _jpeg(85),
    _jpeg(75),
    Derivation("resize-50", "resized to 50 %", (Step(StepKind.SCALE, 0.5),)),
    Derivation("blur-1", "Gaussian blur σ = 1", (Step(StepKind.BLUR, 1.0),)),
    Derivation(
        "social",
        "shared on social media: long side 2048, JPEG quality 80",
        (Step(StepKind.LONG_SIDE, 2048), Step(StepKind.JPEG, 80)),
    ),
)

IDENTITY = Derivation("identity", "the evidence's pixels unchanged (a control)", ())


def find_derivation(name: str) -> Derivation:
    """The derivation called ``name`` among :data:`DERIVATIONS` and :data:`IDENTITY`."""
    for d in (*DERIVATIONS, IDENTITY):
        if d.name == name:
            return d
    known = ", ".join(d.name for d in (*DERIVATIONS, IDENTITY))
    raise ValueError(f"unknown derivation {name!r}; choose from {known}")


# --- making the copies -------------------------------------------------------------------


@dataclass
class DerivedCopy:
    """A derived copy of the evidence, in memory.

    evidence: the copy as Evidence ([h, w, 3] uint8 pixels; ``sha256`` of ``data`` when the
        chain ended with a JPEG re-save, else of the raw RGB array).
    data: the JPEG stream of the last step when it was a JPEG re-save, else None.
    notes: what the steps did that one would not guess (a no-op resize).
    """

    derivation: Derivation
    evidence: Evidence
    data: bytes | None
    parent_sha256: str
    notes: list[str] = field(default_factory=list)

    def provenance(self) -> dict[str, Any]:
        return {
            **self.derivation.to_dict(),
            "parent_sha256": self.parent_sha256,
            "sha256": self.evidence.sha256,
            "sha256_of": "JPEG stream" if self.data is not None else "raw RGB array (C order)",
            "width": self.evidence.width,
            "height": self.evidence.height,
            "bytes": len(self.data) if self.data is not None else None,
            "notes": list(self.notes),
        }


def encode_jpeg(rgb: NDArray[np.uint8], quality: int) -> bytes:
    """``rgb`` [H, W, 3] as a baseline JPEG at IJG ``quality`` with 4:2:0 subsampling."""
    if not 1 <= quality <= 100:
        raise ValueError(f"JPEG quality must be in [1, 100], got {quality}")
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(
        buf, format="JPEG", quality=int(quality), subsampling=JPEG_SUBSAMPLING
    )
    return buf.getvalue()


def decode_jpeg(data: bytes) -> NDArray[np.uint8]:
    """JPEG bytes (ours, from :func:`encode_jpeg`) -> [H, W, 3] uint8 RGB."""
    with Image.open(io.BytesIO(data), formats=["JPEG"]) as im:
        return np.asarray(im.convert("RGB"))


def _resize(rgb: NDArray[np.uint8], scale: float) -> NDArray[np.uint8]:
    h, w = rgb.shape[:2]
    size = (max(1, round(w * scale)), max(1, round(h * scale)))  # cv2: (width, height)
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(np.ascontiguousarray(rgb), size, interpolation=interp)


def gaussian_blur(rgb: NDArray[np.uint8], sigma: float) -> NDArray[np.uint8]:
    """``rgb`` blurred by a Gaussian of ``sigma`` px (kernel ±4σ, borders reflected)."""
    if sigma <= 0:
        raise ValueError(f"blur sigma must be > 0, got {sigma}")
    k = 2 * int(np.ceil(BLUR_TRUNCATE * sigma)) + 1
    return cv2.GaussianBlur(
        np.ascontiguousarray(rgb), (k, k), sigmaX=sigma, sigmaY=sigma,
        borderType=cv2.BORDER_REFLECT_101,
    )  # fmt: skip


def derive(evidence: Evidence, derivation: Derivation) -> DerivedCopy:
    """The copy of ``evidence`` that ``derivation`` makes, from its pixels (never its file)."""
    rgb: NDArray[np.uint8] = evidence.pixels
    data: bytes | None = None
    notes: list[str] = []
    for step in derivation.steps:
        data = None
        if step.kind is StepKind.JPEG:
            data = encode_jpeg(rgb, int(step.value))
            rgb = decode_jpeg(data)
        elif step.kind is StepKind.SCALE:
            if step.value <= 0:
                raise ValueError(f"{derivation.name}: scale must be > 0, got {step.value}")
            rgb = _resize(rgb, step.value)
        elif step.kind is StepKind.LONG_SIDE:
            h, w = rgb.shape[:2]
            if max(h, w) <= step.value:
                notes.append(
                    f"no resize: the long side ({max(h, w)} px) is already at most "
                    f"{int(step.value)} px"
                )
            else:
                rgb = _resize(rgb, step.value / max(h, w))
        elif step.kind is StepKind.BLUR:
            rgb = gaussian_blur(rgb, step.value)
    if rgb is evidence.pixels:
        rgb = rgb.copy()
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    rgb.setflags(write=False)
    h, w = rgb.shape[:2]
    digest = hashlib.sha256(data if data is not None else rgb.tobytes()).hexdigest()
    copy = replace(
        evidence,
        path=f"{evidence.path} [probe: {derivation.name}]",
        sha256=digest,
        file_size=len(data) if data is not None else 0,
        format="JPEG" if data is not None else "RAW",
        width=w,
        height=h,
        mode="RGB",
        frames=1,
        orientation=1,
        orientation_applied=False,
        metadata={},
        warnings=[],
        pixels=rgb,
    )
    return DerivedCopy(derivation, copy, data, evidence.sha256, notes)


# --- comparing ---------------------------------------------------------------------------


def mask_iou(a: NDArray[np.bool_], b: NDArray[np.bool_]) -> float:
    """|a ∩ b| / |a ∪ b| of two masks of one shape; 1.0 when both are empty."""
    if a.shape != b.shape:
        raise ValueError(f"masks differ in shape: {a.shape} and {b.shape}")
    union = int(np.count_nonzero(a | b))
    if union == 0:
        return 1.0
    return int(np.count_nonzero(a & b)) / union


def heatmap_at(heatmap: NDArray[np.float32], shape: tuple[int, int]) -> NDArray[np.float32]:
    """``heatmap`` resized (bilinear) to ``shape`` = (height, width); itself when it fits."""
    if heatmap.shape == shape:
        return heatmap
    h, w = shape
    return cv2.resize(heatmap, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)


@dataclass(frozen=True)
class ProbeRow:
    """One model's (or the ensemble's) result on one copy, next to its result on the original.

    iou: of the copy's mask (its heatmap at the original's size, thresholded at
        ``pixel_threshold``) with the original's mask; None when either has no heatmap.
    out_of_range: the copy's verdict is outside the measured range (``ModelResult``'s: a
        copy smaller than the images the verdicts were measured on, such as the 50 % copy of
        a CASIA image; docs/VERDICTS.md section 7), else None.
    """

    derivation: str
    model: str
    role: str  # "model" | "ensemble"
    verdict: str
    score: float
    probability: float | None
    iou: float | None
    original_verdict: str
    original_score: float
    pixel_threshold: float
    out_of_range: dict[str, Any] | None = None

    @property
    def verdict_changed(self) -> bool:
        return self.verdict != self.original_verdict

    def to_dict(self) -> dict[str, Any]:
        return {
            "derivation": self.derivation,
            "model": self.model,
            "role": self.role,
            "verdict": self.verdict,
            "score": self.score,
            "probability": self.probability,
            "iou": self.iou,
            "verdict_changed": self.verdict_changed,
            "original_verdict": self.original_verdict,
            "original_score": self.original_score,
            "pixel_threshold": self.pixel_threshold,
            "out_of_range": self.out_of_range,
        }


def _results(analysis: Analysis) -> dict[str, tuple[str, ModelResult]]:
    out = {name: ("model", r) for name, r in analysis.results.items()}
    if analysis.ensemble is not None:
        out[analysis.ensemble.name] = ("ensemble", analysis.ensemble)
    return out


def compare(derivation: str, original: Analysis, copy: Analysis) -> list[ProbeRow]:
    """One :class:`ProbeRow` per model (and ensemble) the original and the copy both have."""
    shape = (original.evidence.height, original.evidence.width)
    theirs = _results(copy)
    rows: list[ProbeRow] = []
    for name, (role, orig) in _results(original).items():
        if name not in theirs:
            continue
        r = theirs[name][1]
        iou = None
        if orig.heatmap is not None and r.heatmap is not None:
            ours = orig.mask if orig.mask is not None else orig.heatmap > orig.pixel_threshold
            iou = mask_iou(ours, heatmap_at(r.heatmap, shape) > r.pixel_threshold)
        rows.append(
            ProbeRow(
                derivation=derivation,
                model=name,
                role=role,
                verdict=r.verdict,
                score=r.score,
                probability=r.probability,
                iou=iou,
                original_verdict=orig.verdict,
                original_score=orig.score,
                pixel_threshold=r.pixel_threshold,
                out_of_range=r.out_of_range,
            )
        )
    return rows


@dataclass
class ProbedCopy:
    """What a probe keeps of one copy once it is compared: its provenance and its maps.

    maps: per model (and ensemble), the copy's heatmap at the **original's** size, 8-bit
        (round(255 x value)); the copy's pixels, masks and full-precision maps are let go
        (a 12 MP image's copy analysed by three models holds about 300 MB).
    """

    derivation: Derivation
    provenance: dict[str, Any]
    maps: dict[str, NDArray[np.uint8]]
    seconds: float


@dataclass
class ProbeResult:
    """The probe of one evidence file: the original's analysis, each copy, and the table.

    copies: each copy's provenance and maps, in the order run.
    rows: the table, derivation by derivation, models in the original's order.
    """

    original: Analysis
    copies: list[ProbedCopy]
    rows: list[ProbeRow]
    seconds: float = 0.0

    @property
    def models(self) -> list[str]:
        return list(_results(self.original))

    def heatmap(self, derivation: str, model: str) -> NDArray[np.float32] | None:
        """``model``'s heatmap on the copy ``derivation`` (or ``"original"``, full precision)
        at the original's size, float32 in [0, 1]: the maps to show side by side. A copy's
        comes from its 8-bit map (:class:`ProbedCopy`)."""
        if derivation == ORIGINAL:
            found = _results(self.original).get(model)
            return None if found is None else found[1].heatmap
        for c in self.copies:
            if c.derivation.name == derivation and model in c.maps:
                return c.maps[model].astype(np.float32) / np.float32(255.0)
        return None

    def to_dict(self) -> dict[str, Any]:
        """The table as JSON: the original's figures, each copy's provenance, the rows."""
        ev = self.original.evidence
        return {
            "evidence": {
                "path": ev.path,
                "sha256": ev.sha256,
                "width": ev.width,
                "height": ev.height,
            },
            "iou_convention": (
                "|A∩B| / |A∪B| of the copy's mask (its heatmap resized bilinearly to the "
                "original's size, thresholded at the model's pixel threshold) and the "
                "original's mask; both masks empty counts as 1.0"
            ),
            "original": {
                name: {
                    "role": role,
                    "verdict": r.verdict,
                    "score": r.score,
                    "probability": r.probability,
                    "pixel_threshold": r.pixel_threshold,
                    "out_of_range": r.out_of_range,
                }
                for name, (role, r) in _results(self.original).items()
            },
            "derivations": [c.provenance for c in self.copies],
            "rows": [r.to_dict() for r in self.rows],
            "seconds": self.seconds,
        }


def _tiling(analyzer: Analyzer, loaded: Any) -> dict[str, Any]:
    """How ``analyzer`` feeds ``loaded`` a whole image, as its results' ``input_policy``
    records it (the path: exact sliding windows or the fast path's tiles, and their sizes);
    empty for a model that takes the image resized."""
    if str(loaded.meta.input_policy.mode) != "window":
        return {}
    plan = analyzer.plan(loaded)
    if plan.tiling == "sliding":  # engine.tiling.Tiling.SLIDING (that module imports torch)
        return {"tiling": str(plan.tiling), "window": plan.tile, "stride": plan.stride}
    return {"tiling": str(plan.tiling), "tile": plan.tile, "margin": plan.margin}


def _made_by(original: Analysis | None, analyzer: Analyzer, evidence: Evidence) -> bool:
    """Whether ``original`` is what ``analyzer`` would make of ``evidence``: same file bytes,
    same checkpoints fed the image the same way (an analysis on the exact path is not the
    fast path's, and the copies must differ from the original only in their pixels), the
    ensemble's result when it has one."""
    if original is None or original.evidence.sha256 != evidence.sha256:
        return False
    if getattr(analyzer, "ensemble", None) is not None and original.ensemble is None:
        return False
    got = original.results

    def same(m: Any) -> bool:
        if m.name not in got or got[m.name].checkpoint_sha256 != m.sha256:
            return False
        policy = got[m.name].input_policy
        return all(policy.get(k) == v for k, v in _tiling(analyzer, m).items())

    return all(same(m) for m in analyzer.models)


def run_probe(
    analyzer: Analyzer,
    evidence: Evidence,
    derivations: Sequence[Derivation] = DERIVATIONS,
    *,
    original: Analysis | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> ProbeResult:
    """Analyse ``evidence`` and each of its derived copies with ``analyzer`` and compare.

    original: the evidence's analysis when already made (the viewer's); it is used only when
        it is of these pixels' file and holds a result of every checkpoint the analyzer runs
        (same SHA-256, fed the image on the analyzer's path: exact or fast, same windows or
        tiles) and the ensemble when there is one; else the original is analysed again.
    progress: gets each analysis's :class:`Progress` with the stage prefixed by the copy
        (``"jpeg-q85 · crfd-net-compact"``), so a front end can show which copy runs.
    Raises :class:`Cancelled` when ``cancel()`` turns True (checked inside every forward pass,
    as the Analyzer does), and what the Analyzer raises for the original or a copy.
    """
    t0 = time.perf_counter()
    names = [d.name for d in derivations]
    if len(set(names)) != len(names) or ORIGINAL in names:
        raise ValueError(f"derivation names must be unique and not '{ORIGINAL}': {names}")

    def staged(prefix: str) -> ProgressFn | None:
        if progress is None:
            return None
        return lambda p: progress(Progress(f"{prefix} · {p.stage}", p.done, p.total))

    if not _made_by(original, analyzer, evidence):
        original = analyzer.analyze(evidence, progress=staged(ORIGINAL), cancel=cancel)
    copies: list[ProbedCopy] = []
    rows: list[ProbeRow] = []
    shape = (evidence.height, evidence.width)
    for d in derivations:
        if cancel is not None and cancel():
            raise Cancelled("probe cancelled")
        copy = derive(evidence, d)
        analysis = analyzer.analyze(copy.evidence, progress=staged(d.name), cancel=cancel)
        rows += compare(d.name, original, analysis)
        maps = {
            name: levels(heatmap_at(r.heatmap, shape))  # the 8-bit levels of scans' map PNGs
            for name, (_role, r) in _results(analysis).items()
            if r.heatmap is not None
        }
        copies.append(ProbedCopy(d, copy.provenance(), maps, analysis.seconds))
        del copy, analysis  # the copy's pixels and full maps go before the next one is made
    return ProbeResult(original, copies, rows, time.perf_counter() - t0)
