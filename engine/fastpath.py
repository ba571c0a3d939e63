"""How each architecture is tiled on the fast path, and why (issue 18: speed at evidence size).

The exact path is CRFD-Net §3.3's fusion: overlapping windows averaged as A / C, here windows of
P pixels at stride S = P / 2, so every pixel is computed about four times. P and S are the
project's choice (the paper gives neither): P is the checkpoint's training window (its
``InputPolicy.window``; 128 unless ``fit --window`` says otherwise, trainer/plan.py), so the
network sees windows of the size it learned and was calibrated on, and S = P / 2 is the
largest stride that still gives each interior pixel several windows to average, the overlap
the fusion needs. The fast path computes every
pixel about once, with :func:`engine.tiling.overlap_crop_inference`: tiles of T pixels
overlapping by 2m, each kept without its m-pixel border. What T may be depends on what the
network computes over its whole input, so each variant declares its rule when it is registered
(``register_model(..., tiling=...)``, :data:`engine.models.registry.TILINGS`; never read from
its name), and the reasons below are the bundled architectures':

``"convolutional"`` (``crfd-net*``)  T = 512, m = 16 (a smaller image is one tile of its own size).
    Convolutions, transposed convolutions and bilinear resizes only, apart from one global op:
    the encoder's context vector, a 1x1 conv of the average of x3 over the input, added to every
    position (``engine.models.crfd_net``). The convolutional receptive field reaches about 22
    pixels from a pixel, so 16 pixels of margin hold nearly all of it (m = 16 and m = 32 gave the
    same heatmaps to 1e-4); the context vector then averages over a 512 tile instead of a 128
    window. Cost: (512 / 480)² = 1.14 passes instead of 4.
``"window"`` (``diffforensics-*``, ``m2f-*``)  T = P (the checkpoint's window), m = P / 16.
    Not tileable beyond the window: DiffForensics normalises its decoder with GroupNorm over
    the whole input and pools its decoder maps for the image logit; Mask2Former's masked
    attention lets every query see every position of the input, its heatmap is the max over
    queries and its detection head averages the whole input. A tile therefore has to be the
    window the network was trained and calibrated on; what the fast path drops is the 50 %
    overlap: tiles step by P - 2m = 7P / 8 and each pixel is taken from one window, at least
    P / 16 from that window's border. Cost: (8 / 7)² = 1.31 passes instead of 4. (m = P / 8,
    1.78 passes, gave the same CASIA val figures and heatmaps about 10 % closer to the exact
    path's on camera photographs; docs/BENCHMARKS.md.)
    The image logit keeps the exact path's rule (the checkpoint's ``DecisionRule.aggregate``
    of the window logits: the mean for the bundled models since issue 17), over the tiles,
    which are windows of the same size on a sparser grid.

A new architecture chooses ``"convolutional"`` only if it is fully convolutional apart from
global ops it can document as CRFD-Net's context vector is above, with a receptive field that 16
pixels of margin hold; ``"window"`` if a tile must stay the window it was trained on. Anything
else (no tiling declared, a resize policy, an explicit window/stride override) runs the exact
path. ``Analyzer(exact=True)`` runs the exact path for every model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.calibration import with_caveat
from engine.checkpoints import InputPolicy
from engine.models.registry import get_spec
from engine.tiling import Tiling, Weighting
from engine.types import ModelResult

CRFD_TILE = 512  # px; larger tiles cost more per pixel on a CPU (cache), smaller ones more margin
CRFD_MARGIN = 16  # px; the convolutional receptive field's reach is about 22 px (module doc)
WINDOW_MARGIN_SHARE = 16  # m = P / 16 for networks whose tile must stay the window
# How fast-path tiles meet: cut at the middle of their overlap (constant) or cross-faded over
# it (gaussian, no visible seam); chosen on CASIA val pixel F1 (docs/BENCHMARKS.md, seams).
TILE_WEIGHTING = Weighting.GAUSSIAN
# Beside the reliability sentence of a result made on the exact path of a network that the fast
# path tiles: what θ does (and the calibration) was counted on the fast path's statistics
# (docs/VERDICTS.md), and the exact path's differ (a crop's diffforensics-effl0 score 0.664
# exact, 0.722 fast), so the sentence describes the fast path's verdicts, not this one.
EXACT_PATH_CAVEAT = (
    ". These figures were measured on the fast path. This result was made on the exact path"
)


@dataclass(frozen=True)
class TilePlan:
    """How one network is fed a whole image.

    tiling: ``sliding`` (exact, windows ``tile`` at ``stride``) or ``overlap-crop``.
    tile: window or tile size in pixels (T; for overlap-crop a smaller image is one tile of
        its own size when ``shrink`` is set, padded to ``window`` at least).
    stride: sliding-window step (sliding only).
    margin: pixels cropped from tile sides that face another tile (overlap-crop only).
    shrink: the tile may shrink to a small image (the network is fully convolutional apart
        from documented global ops), so its input shape varies.
    reason: one line for the record.
    """

    tiling: Tiling
    tile: int
    stride: int = 0
    margin: int = 0
    shrink: bool = False
    reason: str = ""

    def tile_for(self, h: int, w: int, window: int) -> tuple[int, int]:
        """The tile shape used on an ``h`` x ``w`` image."""
        if not self.shrink:
            return self.tile, self.tile
        return min(self.tile, max(h, window)), min(self.tile, max(w, window))


def exact_plan(policy: InputPolicy) -> TilePlan:
    return TilePlan(Tiling.SLIDING, policy.window, stride=min(policy.stride, policy.window))


def plan_for(architecture: str, policy: InputPolicy, *, exact: bool = False) -> TilePlan:
    """The tiling of a window-policy network on the fast path (or the exact one): the rule its
    registration declares (``tiling``), the exact path's windows when it declares none (or
    is no registered variant)."""
    if exact or policy.mode != "window":
        return exact_plan(policy)
    tiling = _declared_tiling(architecture)
    if tiling == "convolutional":
        return TilePlan(
            Tiling.OVERLAP_CROP,
            max(CRFD_TILE, policy.window),
            margin=CRFD_MARGIN,
            shrink=True,
            reason="fully convolutional but for a tile-wide context vector",
        )
    if tiling == "window":
        return TilePlan(
            Tiling.OVERLAP_CROP,
            policy.window,
            margin=policy.window // WINDOW_MARGIN_SHARE,
            reason="window-wide GroupNorm/attention/pooling: tiles are windows, less overlap",
        )
    return exact_plan(policy)


def ran_exact(architecture: str, input_policy: Mapping[str, Any]) -> bool:
    """Whether a result with this ``input_policy`` (as :class:`engine.types.ModelResult`
    records it) ran the exact path's sliding windows where the fast path tiles its network
    otherwise; False for a network the fast path does not tile (both paths are its windows)."""
    return (
        input_policy.get("mode") == "window"
        and input_policy.get("tiling") == str(Tiling.SLIDING)
        and _declared_tiling(architecture) is not None
    )


def _declared_tiling(architecture: str) -> str | None:
    """The tiling ``architecture`` declared at registration; None for a name that is no
    registered variant (an ensemble's combined result is ``"ensemble"``)."""
    try:
        return get_spec(architecture).tiling
    except KeyError:
        return None


def exact_noted(result: ModelResult, ran: Iterable[ModelResult] = ()) -> ModelResult:
    """``result`` with :data:`EXACT_PATH_CAVEAT` after its reliability sentence when it, or a
    result in ``ran`` (those an ensemble's result was combined from), ran the exact path where
    the fast path tiles otherwise (:func:`ran_exact`); as it is when it has no sentence."""
    made = [result, *ran]
    if not result.reliability or not any(ran_exact(r.architecture, r.input_policy) for r in made):
        return result
    return dataclasses.replace(
        result, reliability=with_caveat(result.reliability, EXACT_PATH_CAVEAT)
    )
