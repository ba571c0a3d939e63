"""The one analysis entry point: :class:`Analyzer`.

An Analyzer loads its checkpoints once, keeps them on one device, and turns an
:class:`~engine.types.Evidence` into an :class:`~engine.types.Analysis`: per model a heatmap at
the evidence's full resolution, the mask, the image-level decision with the threshold and its
provenance, timings, device and precision; the faces found and the ensemble when configured.
The GUI worker, the command line and the reports all call this, so they all show the same
figures.

Two paths (issue 18). The **fast path** (the default) tiles each window-policy network as
``engine.fastpath`` says (overlap-crop tiles, each pixel computed about once instead of four
times) and runs it through ``engine.runtime`` (OpenVINO on the CPU when installed, PyTorch
otherwise); the image is decoded, normalised and searched for faces once for all models. The
**exact path** (``exact=True``) is the paper's sliding-window fusion on PyTorch, the reference
the fast path is tested and measured against. Each result records which one made it
(``input_policy["tiling"]``, ``["runtime"]``).
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray

from engine.beside import FACES, Beside, analysis_job, detection
from engine.calibration import Calibration, pixel_threshold_calibrated, reliability_sentence
from engine.catalog import distinct_names
from engine.checkpoints import LoadedModel, code_versions, load_checkpoint, version_noted
from engine.decision import aggregate_logits, decide, min_verdict_side, statistic, verdict_range
from engine.devices import autocast, device_text, precision_for, resolve_device
from engine.errors import DeviceMemoryError, ModelOutputError
from engine.facepath import analyse_crop, crop_box, face_decision, face_window, paste, resize_crop
from engine.fastpath import TILE_WEIGHTING, TilePlan, exact_noted, plan_for
from engine.models.registry import get_spec
from engine.preprocess import normalized, reduced_shape, resize_to_fit, to_tensor
from engine.runtime import Runner, RuntimeChoice, bundled_int8, cancel_hooks, make_runner
from engine.threads import available_cores, torch_threads
from engine.tiling import (
    Cancelled,
    PartialFusion,
    Tiling,
    Weighting,
    overlap_crop_inference,
    sliding_window_inference,
)
from engine.types import Analysis, Evidence, FaceRegion, ModelResult, PartialMap, Progress

log = logging.getLogger(__name__)

ProgressFn = Callable[[Progress], None]
CancelFn = Callable[[], bool]

__all__ = ["Analyzer", "Cancelled"]


class Analyzer:
    """Runs a fixed set of models on evidence.

    models: loaded checkpoints, or paths to load.
    device: ``auto`` | ``cpu`` | ``cuda`` | ``mps``.
    window, stride: override every window-policy checkpoint's own window/stride (the models
        then run the exact sliding-window path at those settings).
    batch_size: windows per forward pass on the exact path (the most, when
        ``max_batch_seconds`` is given); tiles per pass on the fast path on CUDA (1 on a CPU).
    max_batch_seconds: exact path only: adapt window batches to about this long (see
        :func:`engine.tiling.sliding_window_inference`). Cancel no longer depends on it: it is
        checked inside every forward pass (``engine.runtime``), on both paths.
    mixed_precision: fp16 autocast on CUDA only (recorded with every result).
    exact: run the paper's sliding-window fusion on PyTorch for every model (the reference);
        False runs the fast path (``engine.fastpath``).
    runtime: fast path only: ``auto`` (OpenVINO on the CPU when installed), ``torch`` or
        ``openvino`` (see ``engine.runtime``).
    faces: a face detector (``engine.faces.FaceDetector``) or None.
    face_path: with a detector, also analyse each face found at every model's own scale
        (``engine.facepath``: per-face scores and verdicts on ``FaceRegion.face_scores``, maps
        in ``Analysis.face_maps``); costs one window per face and model. The whole-image
        results do not change.
    face_models: face models (checkpoints of scope ``"faces"``, loaded or paths): run on the
        face path only, after the whole-image models; they have no whole-image result, are not
        in :attr:`names`, and run only when a detector is given. An ensemble with a face rule
        (``engine.ensemble``) lets their face verdicts into its own.
    detect_side: override every checkpoint's ``DecisionRule.detect_side`` (the long side of
        the reduced view a logit rule's image logit comes from; 0: the full-resolution pass);
        None keeps each checkpoint's own. For ``forensic-train features`` studying the rule.
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
        exact: bool = False,
        runtime: str = "auto",
        face_path: bool = True,
        face_models: Sequence[LoadedModel | str] = (),
        weighting: Weighting | str | None = None,
        detect_side: int | None = None,
    ) -> None:
        self.device = resolve_device(device)
        self.exact = exact
        self.detect_side = detect_side
        # How overlapping windows/tiles are fused; None: the checkpoint's policy on the exact
        # path, engine.fastpath.TILE_WEIGHTING on the fast path (docs/BENCHMARKS.md, seams).
        self.weighting = None if weighting is None else Weighting(weighting)
        self.runtime = RuntimeChoice(runtime)
        self._runners: dict[tuple[str, tuple[int, int] | None], Runner] = {}
        # Each window's (or tile's) image logit from the last heatmap() of each model, for
        # studying image-level rules (trainer/verdict.py); not part of a result.
        self.window_logits: dict[str, NDArray[np.float32]] = {}
        self.precision = precision_for(self.device, mixed_precision)
        self.window = window
        self.stride = stride
        self.batch_size = batch_size
        self.max_batch_seconds = max_batch_seconds
        # per model, the batch that fitted after the device ran out of memory (_in_batches)
        self.fitted_batch: dict[str, int] = {}
        self.models: list[LoadedModel] = []
        for m in models:
            loaded = m if isinstance(m, LoadedModel) else load_checkpoint(m)
            loaded.model.to(self.device).eval()
            self.models.append(loaded)
        for m in self.models:
            if m.meta.scope != "image":
                raise ValueError(
                    f"model '{m.name}' is a face model (scope '{m.meta.scope}'): it runs on "
                    "detected faces only; pass it as a face model with a whole-image model"
                )
        self.face_models: list[LoadedModel] = []
        for m in face_models:
            loaded = m if isinstance(m, LoadedModel) else load_checkpoint(m)
            if loaded.meta.scope != "faces":
                raise ValueError(f"model '{loaded.name}' is not a face model (scope 'faces')")
            loaded.model.to(self.device).eval()
            self.face_models.append(loaded)
        distinct_names([*self.models, *self.face_models])
        self.ensemble = ensemble
        self.faces = faces
        self.face_path = face_path
        # parameters an examiner chose per classic analysis: engine.assembly.choose_analysis_params
        self.analysis_params: dict[str, dict[str, Any]] = {}
        # the ensemble's classic analyses and face detection on a thread beside the networks on
        # the CPU fast path (engine.beside: the same results, less wall time); False: after them
        self.beside_networks = True

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
        model's heatmap or image logit holds NaN or infinity.

        A network's progress carries ``Progress.partial`` (its map so far, built only when
        called). The :class:`Cancelled` raised carries ``kept()`` when anything was done: the
        finished models' results and the running model's partial map as an ``Analysis`` with
        ``cancelled`` set, built only when called (no ensemble: it is never built from partial
        members); ``kept`` is None when nothing was."""
        t0 = time.perf_counter()
        results: dict[str, ModelResult] = {}
        running: list[tuple[str, PartialFusion]] = []  # each model as it starts
        try:
            return self._analyze(evidence, results, progress, cancel, t0, running)
        except torch.OutOfMemoryError as e:  # at one window (see _in_batches)
            which = f"model '{e.model}'" if isinstance(e, _WindowOutOfMemory) else "a network"
            raise DeviceMemoryError(
                evidence.path,
                f"{self.device} ran out of memory running {which} on a single window"
                + ("" if self.device.type == "cpu" else "; analyse with --device cpu"),
            ) from None
        except Cancelled as e:
            last = running[-1] if running else None
            partly = last is not None and last[0] not in results and last[1].started
            if results or partly:  # something to keep: say so now, build it when asked
                e.kept = lambda: self._kept(evidence, dict(results), last, t0)
            raise

    def _kept(
        self,
        evidence: Evidence,
        results: dict[str, ModelResult],
        running: tuple[str, PartialFusion] | None,
        t0: float,
    ) -> Analysis:
        """What a cancelled analysis leaves: the finished models and the running one's map."""
        analysis = Analysis(evidence=evidence, results=results, cancelled=True)
        if running is not None and running[0] not in results:
            snap = running[1].snapshot()
            if snap is not None:
                name = running[0]
                analysis.partial[name] = PartialMap(name, snap[0][0], snap[1])
        analysis.seconds = time.perf_counter() - t0
        return analysis

    def _analyze(
        self,
        evidence: Evidence,
        results: dict[str, ModelResult],
        progress: ProgressFn | None,
        cancel: CancelFn | None,
        t0: float,
        running: list[tuple[str, PartialFusion]],
    ) -> Analysis:
        beside = self._beside(evidence, cancel)
        analysis = Analysis(evidence=evidence, results=results)
        try:
            self._run_models(evidence, results, progress, cancel, running)
            for name in getattr(self.ensemble, "analyses", None) or ():
                analysis.analyses[name] = (
                    beside.result(name, progress)
                    if beside is not None
                    else self._run_analysis(name, evidence, progress, cancel)
                )
            if self.ensemble is not None:
                combined = self.ensemble.combine(results, analysis.analyses)  # type: ignore[attr-defined]
                analysis.ensemble = exact_noted(combined, results.values())
            if self.faces is not None and beside is not None and FACES in beside.names:
                found = beside.result(FACES, None, cancellable=False)  # as its own detection was
                analysis.faces = self.faces.score(found, results)  # type: ignore[attr-defined]
            elif self.faces is not None:
                analysis.faces = self.faces.find(evidence, results)  # type: ignore[attr-defined]
        except BaseException:
            if beside is not None:  # its results are not wanted: it stops at its next step
                beside.abandon()
            raise
        if self.faces is not None:
            if self.face_path and analysis.faces:
                analysis.face_maps = self.analyze_faces(evidence, analysis.faces, progress, cancel)
            if analysis.ensemble is not None and self.face_models:
                analysis.ensemble = self.ensemble.with_faces(  # type: ignore[attr-defined]
                    analysis.ensemble,
                    analysis.faces,
                    {m.name: m for m in self.face_models},
                    analysis.face_maps,
                    image_size=(evidence.pixels.shape[1], evidence.pixels.shape[0]),
                    detector=getattr(self.faces, "name", None),  # the Haar fallback: unmeasured
                )
        analysis.seconds = time.perf_counter() - t0
        return analysis

    def _run_models(
        self,
        evidence: Evidence,
        results: dict[str, ModelResult],
        progress: ProgressFn | None,
        cancel: CancelFn | None,
        running: list[tuple[str, PartialFusion]],
    ) -> None:
        """Every network into ``results``; their shared normalised image (12 B/px) freed on return."""
        shared = None
        if any(self.plan(m).tiling is Tiling.OVERLAP_CROP for m in self.models):
            shared = normalized(evidence.pixels)  # once for every fast-path model
        for loaded in self.models:
            fusion = PartialFusion()
            running.append((loaded.name, fusion))
            results[loaded.name] = self._run_one(loaded, evidence, progress, cancel, shared, fusion)

    def analyze_faces(
        self,
        evidence: Evidence,
        faces: Sequence[FaceRegion],
        progress: ProgressFn | None = None,
        cancel: CancelFn | None = None,
    ) -> dict[str, NDArray[np.float32]]:
        """Every model on every face at its own scale (``engine.facepath``): sets each face's
        ``face_scores`` and returns each model's face map [H, W] (0 outside the face crops).

        The window logits of the whole-image analysis (``window_logits``) are kept."""
        h, w = evidence.pixels.shape[:2]
        crops = [crop_box(f.box, w, h) for f in faces]
        maps: dict[str, NDArray[np.float32]] = {}
        for loaded in [*self.models, *self.face_models]:
            side = face_window(loaded)
            target = np.zeros((h, w), np.float32)
            kept = self.window_logits.get(loaded.name)
            for i, (face, crop) in enumerate(zip(faces, crops, strict=True)):
                if progress is not None:
                    progress(Progress(stage=f"{loaded.name} faces", done=i, total=len(faces)))
                heat, logit = analyse_crop(
                    lambda x, m=loaded: self.heatmap(m, x, None, cancel),
                    loaded,
                    resize_crop(evidence.pixels, crop, side),
                )
                if not np.isfinite(heat).all() or (logit is not None and not math.isfinite(logit)):
                    raise ModelOutputError(
                        evidence.path,
                        f"model '{loaded.name}' produced NaN or infinite values on face "
                        f"{i + 1} ({loaded.path or 'no file'}); no result is reported for it",
                    )
                face.face_scores[loaded.name] = face_decision(loaded, heat, logit)
                paste(target, heat, crop)
            if kept is not None:
                self.window_logits[loaded.name] = kept
            else:
                self.window_logits.pop(loaded.name, None)
            maps[loaded.name] = target
        return maps

    def _beside(self, evidence: Evidence, cancel: CancelFn | None) -> Beside | None:
        """The ensemble's classic analyses, then face detection (a detector with ``detect`` and
        ``score``, as ``engine.faces.FaceDetector``), started beside the networks
        (``engine.beside``) on the CPU fast path with two cores or more; None elsewhere (they
        run after the networks: a GPU's, the exact path's, a scan worker's pinned to one core)."""
        names = list(getattr(self.ensemble, "analyses", None) or ())
        fast = not (self.exact or self.window is not None or self.stride is not None)
        cpu = self.device.type == "cpu" and len(available_cores()) > 1
        if not (fast and cpu and self.beside_networks):
            return None
        jobs = [
            (n, analysis_job(lambda c, p, n=n: self._run_analysis(n, evidence, p, c)))
            for n in names
        ]
        if hasattr(self.faces, "detect") and hasattr(self.faces, "score"):
            jobs.append((FACES, detection(self.faces, evidence.pixels)))  # BENCHMARKS.md
        return Beside(jobs, cancel) if jobs else None

    @staticmethod
    def _run_analysis(
        name: str, evidence: Evidence, progress: ProgressFn | None, cancel: CancelFn | None
    ) -> Any:
        """One classic analysis the ensemble needs (e.g. ``clone``), with progress and Cancel."""
        from engine.analyses import run_analysis

        return run_analysis(name, evidence, cancel=cancel, progress=progress)

    def plan(self, loaded: LoadedModel) -> TilePlan:
        """How ``loaded`` is tiled: the fast path's rule, or the exact path (``exact=True``,
        an explicit window/stride override, or an architecture with no fast rule)."""
        policy = loaded.meta.input_policy
        if self.exact or self.window is not None or self.stride is not None:
            window = self.window or policy.window
            return TilePlan(
                Tiling.SLIDING, window, stride=min(self.stride or policy.stride, window)
            )
        return plan_for(loaded.meta.architecture, policy)

    def weighting_for(self, loaded: LoadedModel) -> Weighting:
        """The fusion of ``loaded``'s windows or tiles (see :class:`engine.tiling.Weighting`)."""
        if self.weighting is not None:
            return self.weighting
        if self.plan(loaded).tiling is Tiling.OVERLAP_CROP:
            return TILE_WEIGHTING
        return Weighting.GAUSSIAN if loaded.meta.input_policy.gaussian else Weighting.CONSTANT

    def heatmap(
        self,
        loaded: LoadedModel,
        rgb: NDArray[np.uint8],
        progress: Callable[[int, int], None] | None = None,
        cancel: CancelFn | None = None,
        shared: torch.Tensor | None = None,
        fusion: PartialFusion | None = None,
    ) -> tuple[NDArray[np.float32], float | None]:
        """One model's heatmap [H, W] float32 in [0, 1] and image logit (or None) for ``rgb``.

        shared: ``rgb`` already normalised as ``[3, H, W]`` float32 (see :func:`normalized`),
        reused by every fast-path model of one analysis.
        fusion: gives the map so far while the windows or tiles run (``engine.tiling``);
        the resize policy, one pass, never has one.
        """
        policy = loaded.meta.input_policy
        spec = get_spec(loaded.meta.architecture)
        model = loaded.model
        with_image = spec.outputs == "mask+image"
        image_logits: list[torch.Tensor] = []

        def predictor(batch: torch.Tensor) -> torch.Tensor:
            with autocast(self.device, self.precision), cancel_hooks(model, cancel):
                out = model(batch)
            if with_image:
                image_logits.append(out["image"].float().reshape(-1).cpu())
                out = out["mask"]
            return torch.sigmoid(out.float())

        plan = self.plan(loaded)
        if policy.mode == "resize":
            if cancel is not None and cancel():
                raise Cancelled("cancelled before the model ran")
            h, w = rgb.shape[:2]
            x = to_tensor(resize_to_fit(rgb, policy.size)).to(self.device)
            with torch.inference_mode():
                prob = predictor(x)
            prob = F.interpolate(prob, size=(h, w), mode="bilinear", align_corners=False)
            heat = prob[0, 0].cpu().numpy()
            if progress is not None:
                progress(1, 1)
        elif plan.tiling is Tiling.OVERLAP_CROP:
            h, w = rgb.shape[:2]
            tile = plan.tile_for(h, w, policy.window)
            runner = self._runner(loaded, None if plan.shrink else tile)

            def fast(batch: torch.Tensor) -> torch.Tensor:
                mask, image = runner(batch, cancel)
                if with_image and image is not None:
                    image_logits.append(image.float().reshape(-1).cpu())
                return torch.sigmoid(mask.float())

            # OpenVINO's streams fill the cores: the fusion's PyTorch operations at one thread
            # (engine.threads.torch_threads: the same values, fewer CPU seconds)
            glue = (
                torch_threads(1)
                if runner.name == "openvino" and self.device.type == "cpu"
                else contextlib.nullcontext()
            )
            with glue:
                fused = self._in_batches(
                    loaded,
                    self.batch_size if self.device.type == "cuda" else runner.parallel,
                    lambda batch: overlap_crop_inference(
                        shared if shared is not None else rgb,
                        fast,
                        tile,
                        plan.margin,
                        batch_size=batch,
                        weighting=self.weighting_for(loaded),
                        device=self.device,
                        progress=progress,
                        cancel=cancel,
                        partial=fusion,
                    ),
                    image_logits,
                )
            heat = fused[0].numpy()
        else:
            fused = self._in_batches(
                loaded,
                self.batch_size,
                lambda batch: sliding_window_inference(
                    rgb,
                    predictor,
                    plan.tile,
                    plan.stride,
                    batch_size=batch,
                    weighting=self.weighting_for(loaded),
                    device=self.device,
                    progress=progress,
                    cancel=cancel,
                    max_batch_seconds=self.max_batch_seconds,
                    partial=fusion,
                ),
                image_logits,
            )
            heat = fused[0].numpy()
        logit = None
        if with_image and image_logits:
            windows = torch.cat(image_logits).numpy().astype(np.float32)
            self.window_logits[loaded.name] = windows
            logit = aggregate_logits(windows, loaded.meta.decision.aggregate)
        # in place: copies for the clip and the type were two more maps at the peak (60 MP: 480 MB)
        heat = np.asarray(heat, dtype=np.float32)
        return np.clip(heat, 0.0, 1.0, out=heat), logit

    def _in_batches(
        self,
        loaded: LoadedModel,
        batch: int,
        run: Callable[[int], torch.Tensor],
        image_logits: list[torch.Tensor],
    ) -> torch.Tensor:
        """``run(batch)``, run again from the start with half the batch each time the device
        runs out of memory (a GPU's memory holds ``batch`` windows' activations at once; the
        fused maps stay on the CPU): windows are independent, so the map is the same (to float
        rounding: cuDNN may pick other kernels for another batch size). The batch that fitted is
        kept for ``loaded``'s later runs; at one window the error propagates. Progress starts
        again from 0 with the new batch."""
        batch = min(batch, self.fitted_batch.get(loaded.name, batch))
        while True:
            try:
                return run(batch)
            except torch.OutOfMemoryError as e:
                if batch <= 1:
                    raise _WindowOutOfMemory(loaded.name, str(e)) from None
            # here, out of the except clause, the failed pass's tensors are released
            image_logits.clear()
            if self.device.type == "cuda":
                torch.cuda.empty_cache()
            batch = self.fitted_batch[loaded.name] = batch // 2
            log.warning(
                "%s ran out of memory running model '%s'; again with %d windows a batch",
                self.device,
                loaded.name,
                batch,
            )

    def detect_side_of(self, loaded: LoadedModel) -> int:
        """The long side of the view ``loaded``'s image logit comes from (0: full resolution):
        the analyzer's override, else the checkpoint's ``DecisionRule.detect_side``."""
        side = (
            self.detect_side if self.detect_side is not None else loaded.meta.decision.detect_side
        )
        return int(side) if loaded.meta.decision.rule == "logit" else 0

    def detection_logit(
        self,
        loaded: LoadedModel,
        rgb: NDArray[np.uint8],
        view: tuple[int, int],
        cancel: CancelFn | None = None,
    ) -> float:
        """The image logit of ``rgb`` reduced to ``view`` ([height, width], area interpolation),
        in a pass of its own; its windows replace the full-resolution pass's in
        :attr:`window_logits` (they are what the statistic is made of)."""
        import cv2

        small = cv2.resize(rgb, (view[1], view[0]), interpolation=cv2.INTER_AREA)
        _, logit = self.heatmap(loaded, small, None, cancel)
        if logit is None:
            raise ValueError(f"model '{loaded.name}' gave no image logit on its reduced view")
        return logit

    def prepare(self, cancel: CancelFn | None = None) -> None:
        """Make every fast-path runner now (OpenVINO: read from the cache, or convert and
        verify at first use, seconds to a minute per network) rather than in the first
        analysis; a viewer calls it while it shows that models are loading. The face models
        too when the face path is on: otherwise the first face of a session paid their
        conversion (about 14 s on an empty cache, 0.5 s on a filled one, 2026-12-02).
        ``cancel``: asked before each network; True stops here (the viewer quitting), the
        rest made at first use."""
        faces = self.face_models if self.face_path and self.faces is not None else []
        for loaded in [*self.models, *faces]:
            if cancel is not None and cancel():
                return
            plan = self.plan(loaded)
            if plan.tiling is Tiling.OVERLAP_CROP and loaded.meta.input_policy.mode == "window":
                self._runner(loaded, None if plan.shrink else (plan.tile, plan.tile))

    def runtime_name(self, loaded: LoadedModel) -> str:
        """``torch`` or ``openvino``: what ran ``loaded`` last (``torch`` on the exact path)."""
        names = {r.name for (n, _), r in self._runners.items() if n == loaded.name}
        return "openvino" if names == {"openvino"} else "torch"

    def precision_of(self, loaded: LoadedModel) -> str:
        """The precision ``loaded`` ran at on the fast path: ``int8`` when every runner made for
        it ran a bundled int8 model, else the analyzer's (``fp32``, or fp16 autocast on CUDA)."""
        got = {r.precision for (n, _), r in self._runners.items() if n == loaded.name}
        return "int8" if got == {"int8"} else self.precision

    def files_of(self, loaded: LoadedModel) -> dict[str, str]:
        """The int8 files' SHA-256 or fp32 conversion OpenVINO ran for ``loaded``; {}: PyTorch."""
        runners = [r for (n, _), r in self._runners.items() if n == loaded.name]
        return {k: v for r in runners for k, v in (getattr(r, "files", None) or {}).items()}

    def _runner(self, loaded: LoadedModel, shape: tuple[int, int] | None) -> Runner:
        key = (loaded.name, shape)
        if key not in self._runners:
            self._runners[key] = make_runner(
                loaded.model,
                device=self.device,
                precision=self.precision,
                sha256=loaded.sha256,
                shape=shape,
                choice=self.runtime,
                int8=bundled_int8(loaded.path, loaded.sha256, shape),
            )
        return self._runners[key]

    def _run_one(
        self,
        loaded: LoadedModel,
        evidence: Evidence,
        progress: ProgressFn | None,
        cancel: CancelFn | None,
        shared: torch.Tensor | None = None,
        fusion: PartialFusion | None = None,
    ) -> ModelResult:
        t0 = time.perf_counter()
        stage = loaded.name

        def partial(max_pixels: int | None = None) -> PartialMap | None:
            h, w = evidence.pixels.shape[:2]
            step = 1 if max_pixels is None else max(1, math.ceil(math.sqrt(h * w / max_pixels)))
            snap = None if fusion is None else fusion.snapshot(step)
            return None if snap is None else PartialMap(stage, snap[0][0], snap[1], cell=step)

        def on_windows(done: int, total: int) -> None:
            if progress is not None:
                progress(Progress(stage=stage, done=done, total=total, partial=partial))

        heat, logit = self.heatmap(loaded, evidence.pixels, on_windows, cancel, shared, fusion)
        hw = evidence.pixels.shape[:2]
        view = reduced_shape(hw, self.detect_side_of(loaded), self.min_side_of(loaded))
        if logit is not None and view is not None:  # the image logit of the reduced view
            logit = self.detection_logit(loaded, evidence.pixels, view, cancel)
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
        calibration = Calibration.from_dict(rule.calibration)
        probability = (
            None
            if calibration is None
            else calibration.probability(statistic(rule.rule, decision.forged_fraction, logit))
        )
        policy = asdict(loaded.meta.input_policy)
        if logit is not None:
            policy["image_logit"] = rule.aggregate  # how window logits became the image's
            if view is not None:  # ... and of which view: [height, width] of the reduced image
                policy["detect_size"] = list(view)
        if policy["mode"] == "window":
            plan = self.plan(loaded)
            if plan.tiling is Tiling.SLIDING:
                policy["window"], policy["stride"] = plan.tile, plan.stride
                policy["tiling"], policy["runtime"] = str(plan.tiling), "torch"
            else:
                policy["tiling"], policy["runtime"] = str(plan.tiling), self.runtime_name(loaded)
                policy["tile"], policy["margin"] = plan.tile, plan.margin
                policy |= {"model_files": files} if (files := self.files_of(loaded)) else {}
            # the fusion actually used (the checkpoint's flag, the fast path's default or an override)
            policy["gaussian"] = self.weighting_for(loaded) is Weighting.GAUSSIAN
        if self.device.type == "cpu" and policy.get("runtime", "torch") == "torch":
            # PyTorch's CPU sums depend on the thread count (not so OpenVINO's one-thread streams)
            policy["threads"] = torch.get_num_threads()
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        versions = code_versions(loaded.meta)  # another version of its code: said with it
        result = ModelResult(
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
            device=device_text(self.device),
            precision=self.precision_of(loaded),  # "int8" only where a fast-path int8 model ran
            seconds=time.perf_counter() - t0,
            heatmap=heat,
            mask=mask,
            image_logit=logit,
            probability=probability,
            reliability=version_noted(reliability_sentence(rule.calibration), versions),
            code_versions=versions,
            out_of_range=verdict_range(evidence.pixels.shape[:2], self.min_side_of(loaded)),
            pixel_threshold_calibrated=pixel_threshold_calibrated(rule.details),
        )
        return exact_noted(result)  # its reliability was counted on the fast path

    def min_side_of(self, loaded: LoadedModel) -> int:
        """The smallest short side of an image whose verdict by ``loaded`` is within the
        measured range (:func:`engine.decision.min_verdict_side` of its trained window; a
        whole-image model's, of the short side it is resized to): 192 px for every bundled
        network."""
        policy = loaded.meta.input_policy
        if policy.mode == "resize" and policy.size:
            return min_verdict_side(min(policy.size))
        return min_verdict_side(policy.window)


class _WindowOutOfMemory(torch.OutOfMemoryError):
    """Out of memory at a batch of one window of ``model`` (:meth:`Analyzer._in_batches`)."""

    def __init__(self, model: str, message: str) -> None:
        super().__init__(message)
        self.model = model
