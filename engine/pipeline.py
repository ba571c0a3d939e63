"""The one analysis entry point: :class:`Analyzer`.

An Analyzer loads its checkpoints once, keeps them on one device, and turns an
:class:`~engine.types.Evidence` into an :class:`~engine.types.Analysis`: per model a heatmap at
the evidence's full resolution, the mask, the image-level decision with the threshold and its
provenance, timings, device and precision; the faces found and the ensemble when configured.
The GUI worker, the command line and the reports all call this, so they all show the same
figures.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray

from engine.checkpoints import LoadedModel, load_checkpoint
from engine.decision import decide
from engine.devices import autocast, precision_for, resolve_device
from engine.errors import ModelOutputError
from engine.models.registry import get_spec
from engine.preprocess import to_tensor
from engine.tiling import Cancelled, sliding_window_inference
from engine.types import Analysis, Evidence, ModelResult, Progress

ProgressFn = Callable[[Progress], None]
CancelFn = Callable[[], bool]

__all__ = ["Analyzer", "Cancelled"]


class Analyzer:
    """Runs a fixed set of models on evidence.

    models: loaded checkpoints, or paths to load.
    device: ``auto`` | ``cpu`` | ``cuda`` | ``mps``.
    window, stride: override every window-policy checkpoint's own window/stride.
    batch_size: windows per forward pass (the most, when ``max_batch_seconds`` is given).
    max_batch_seconds: adapt window batches to about this long, so that ``cancel`` is answered
        within about that time (see :func:`engine.tiling.sliding_window_inference`); the
        viewer sets it, batch scans leave it None for throughput.
    mixed_precision: fp16 autocast on CUDA only (recorded with every result).
    """

    def __init__(
        self,
        models: Sequence[LoadedModel | str],
        *,
        device: str = "auto",
        window: int | None = None,
        stride: int | None = None,
        batch_size: int = 8,
        max_batch_seconds: float | None = None,
        mixed_precision: bool = False,
        ensemble: object | None = None,
        faces: object | None = None,
    ) -> None:
        self.device = resolve_device(device)
        self.precision = precision_for(self.device, mixed_precision)
        self.window = window
        self.stride = stride
        self.batch_size = batch_size
        self.max_batch_seconds = max_batch_seconds
        self.models: list[LoadedModel] = []
        for m in models:
            loaded = m if isinstance(m, LoadedModel) else load_checkpoint(m)
            loaded.model.to(self.device).eval()
            self.models.append(loaded)
        names = [m.name for m in self.models]
        if len(set(names)) != len(names):
            raise ValueError(f"two models share a name: {names}")
        self.ensemble = ensemble
        self.faces = faces

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.models]

    def analyze(
        self,
        evidence: Evidence,
        *,
        progress: ProgressFn | None = None,
        cancel: CancelFn | None = None,
    ) -> Analysis:
        """All models on ``evidence``. Raises :class:`Cancelled` when ``cancel()`` turns True,
        :class:`~engine.errors.ModelOutputError` (naming the evidence and the model) when a
        model's heatmap or image logit holds NaN or infinity."""
        t0 = time.perf_counter()
        results: dict[str, ModelResult] = {}
        for loaded in self.models:
            results[loaded.name] = self._run_one(loaded, evidence, progress, cancel)
        analysis = Analysis(evidence=evidence, results=results)
        if self.ensemble is not None:
            analysis.ensemble = self.ensemble.combine(results)  # type: ignore[attr-defined]
        if self.faces is not None:
            analysis.faces = self.faces.find(evidence, results)  # type: ignore[attr-defined]
        analysis.seconds = time.perf_counter() - t0
        return analysis

    def heatmap(
        self,
        loaded: LoadedModel,
        rgb: NDArray[np.uint8],
        progress: Callable[[int, int], None] | None = None,
        cancel: CancelFn | None = None,
    ) -> tuple[NDArray[np.float32], float | None]:
        """One model's heatmap [H, W] float32 in [0, 1] and image logit (or None) for ``rgb``."""
        policy = loaded.meta.input_policy
        spec = get_spec(loaded.meta.architecture)
        model = loaded.model
        with_image = spec.outputs == "mask+image"
        image_logits: list[torch.Tensor] = []

        def predictor(batch: torch.Tensor) -> torch.Tensor:
            with autocast(self.device, self.precision):
                out = model(batch)
            if with_image:
                image_logits.append(out["image"].float().reshape(-1).cpu())
                out = out["mask"]
            return torch.sigmoid(out.float())

        if policy.mode == "resize":
            if cancel is not None and cancel():
                raise Cancelled("cancelled before the model ran")
            h, w = rgb.shape[:2]
            x = to_tensor(_resize_to_fit(rgb, policy.size)).to(self.device)
            with torch.inference_mode():
                prob = predictor(x)
            prob = F.interpolate(prob, size=(h, w), mode="bilinear", align_corners=False)
            heat = prob[0, 0].cpu().numpy()
            if progress is not None:
                progress(1, 1)
        else:
            window = self.window or policy.window
            stride = self.stride or policy.stride
            fused = sliding_window_inference(
                rgb,
                predictor,
                window,
                min(stride, window),
                batch_size=self.batch_size,
                weighting="gaussian" if policy.gaussian else "constant",
                device=self.device,
                progress=progress,
                cancel=cancel,
                max_batch_seconds=self.max_batch_seconds,
            )
            heat = fused[0].numpy()
        logit = None
        if with_image and image_logits:
            # Whole-image logit under sliding windows: the most suspicious window decides.
            logit = float(torch.cat(image_logits).max())
        return np.clip(heat, 0.0, 1.0).astype(np.float32), logit

    def _run_one(
        self,
        loaded: LoadedModel,
        evidence: Evidence,
        progress: ProgressFn | None,
        cancel: CancelFn | None,
    ) -> ModelResult:
        t0 = time.perf_counter()
        stage = loaded.name

        def on_windows(done: int, total: int) -> None:
            if progress is not None:
                progress(Progress(stage=stage, done=done, total=total))

        heat, logit = self.heatmap(loaded, evidence.pixels, on_windows, cancel)
        nonfinite = (
            "heatmap"
            if not np.isfinite(heat).all()
            else "image logit"
            if logit is not None and not math.isfinite(logit)
            else None
        )
        if nonfinite is not None:  # never a verdict computed from NaN ("authentic, score 0")
            raise ModelOutputError(
                evidence.path,
                f"model '{loaded.name}' produced NaN or infinite values in its {nonfinite} "
                f"({loaded.path or 'no file'}); no result is reported for it",
            )
        rule = loaded.meta.decision
        mask = heat > rule.pixel_threshold
        decision = decide(rule.rule, mask, rule.threshold, logit)
        policy = asdict(loaded.meta.input_policy)
        if policy["mode"] == "window":
            policy["window"] = self.window or policy["window"]
            policy["stride"] = min(self.stride or policy["stride"], policy["window"])
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        return ModelResult(
            name=loaded.name,
            architecture=loaded.meta.architecture,
            checkpoint=str(loaded.path) if loaded.path else "",
            checkpoint_sha256=loaded.sha256,
            rule=rule.rule,
            score=decision.score,
            verdict=decision.verdict,
            forged_fraction=decision.forged_fraction,
            threshold=rule.threshold,
            pixel_threshold=rule.pixel_threshold,
            threshold_provenance=rule.provenance,
            input_policy=policy,
            device=str(self.device),
            precision=self.precision,
            seconds=time.perf_counter() - t0,
            heatmap=heat,
            mask=mask,
            image_logit=logit,
        )


def _resize_to_fit(rgb: NDArray[np.uint8], size: tuple[int, int]) -> NDArray[np.uint8]:
    """Resize so the long side fits size[0] and the short side size[1], aspect kept."""
    import cv2

    h, w = rgb.shape[:2]
    long_side, short_side = max(size), min(size)
    scale = min(long_side / max(h, w), short_side / min(h, w))
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    if (nh, nw) == (h, w):
        return rgb
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(rgb, (nw, nh), interpolation=interp)
