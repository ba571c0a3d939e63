"""Sliding-window inference and fusion (CRFD-Net §3.3), for any network.

:func:`sliding_window_inference` cuts an image into P x P windows at stride S, runs them through
a predictor in batches, and fuses the overlapping predictions into one map exactly as the paper:
an accumulation map A (sum of predictions) and a count map C (how many windows saw the pixel),
M = A / C. Optionally each window's prediction is weighted by a Gaussian centred on it (then A
sums weighted predictions and C the weights), which lowers the influence of window borders.

Coverage: window origins run 0, S, 2S, ... and the last origin in each direction is shifted to
H - P (W - P) so that the last window ends on the border: every pixel is covered. An image
smaller than the window in a direction is padded (reflect, or replicate where reflect cannot
reach) up to P, analysed as one window in that direction, and the map is cropped back; each
window is padded on its own (:func:`_window`), never the whole image.

Memory stays bounded for very large images: the input stays uint8 (or as given), windows are
cut and normalised one batch at a time, and the count map is never stored: it is the outer
product of two 1-D counts (windows and the Gaussian both separate into rows and columns).

Two tiling modes (:class:`Tiling`):

- ``sliding``: the paper's procedure above; the exact (reference) path.
- ``overlap-crop``: :func:`overlap_crop_inference` cuts tiles of T x T pixels whose neighbours
  overlap by 2m, runs each once, and keeps of each tile only its centre: m pixels are cropped
  away on every side that faces another tile (none at the image border). Every pixel is
  computed once, from a tile in which it has at least m pixels of context on every side that
  has image, so a network whose output at a pixel depends only on pixels within m of it gives
  exactly what it gives on the whole image, at about (T / (T - 2m))² of the work of one pass
  instead of the (P / S)² of sliding windows (4x at S = P / 2). Which networks may be tiled
  this way, with which T and m, is decided per architecture (``engine.fastpath``).
  With ``weighting="gaussian"`` the tiles are not cut at the middle of their overlap but
  cross-faded over it: each tile's whole prediction is weighted by a Gaussian centred on the
  tile and fused as A / C, as sliding windows are. The cut leaves a visible step wherever two
  tiles disagree (the seams an analyst sees as 128-px blocks in an agreement map); the
  cross-fade replaces the step by a ramp as wide as the overlap, at no extra network cost.
  Pixels seen by one tile only get that tile's value either way.

Partial maps (issue 18, the viewer's progressive heatmap and the part kept on Cancel): both
functions take an optional :class:`PartialFusion`. They only share their accumulator with it
and count the windows or tiles fused, so nothing is computed or copied unless someone calls
:meth:`PartialFusion.snapshot`; a scan, which never asks, pays nothing. A snapshot is the map
of the windows or tiles finished so far (fused the same way, A / C over them) with NaN where
none has been computed yet: a pixel not computed never reads as 0, "authentic". Windows and
tiles run in row-major order, so the weight of the finished ones is two outer products of 1-D
weights (the full rows, then the current row's finished part), O(H x W) per snapshot.
"""

from __future__ import annotations

import itertools
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray

from engine.errors import Cancelled
from engine.preprocess import normalize

Predictor = Callable[[torch.Tensor], torch.Tensor]
COUNT_BAND_PIXELS = 1 << 18  # pixels of the count map made at once (:func:`_divide_by_count`)


class Weighting(StrEnum):
    """How overlapping windows or tiles are fused.

    Sliding windows: ``constant`` averages them, ``gaussian`` weights each by a Gaussian centred
    on it. Overlap-crop tiles: ``constant`` takes each pixel from one tile (cut at the middle of
    the overlap), ``gaussian`` cross-fades the tiles over their overlap (module docstring).
    """

    CONSTANT = "constant"
    GAUSSIAN = "gaussian"


class Tiling(StrEnum):
    """How a whole image is cut for a network (see the module docstring)."""

    SLIDING = "sliding"  # windows at a stride, fused as A / C (CRFD-Net §3.3): the exact path
    OVERLAP_CROP = "overlap-crop"  # tiles overlapping by 2 x margin, each kept without its margin


class PartialFusion:
    """Read access to a fusion in progress (module docstring, "Partial maps").

    Pass one to :func:`sliding_window_inference` or :func:`overlap_crop_inference`; from the
    thread that runs it (e.g. inside its ``progress`` callback or after it raised
    :class:`Cancelled`), :meth:`snapshot` returns a fresh ``[K, H, W]`` float32 copy of the
    map so far (NaN where not computed; optionally every ``step``-th pixel) and the share of
    pixels computed (of those sampled), or None before the first batch. The copy is the
    caller's to keep or send to another thread.

    The inference function shares its accumulator and the layout of its windows or tiles
    (:meth:`_begin`, at the first batch) and counts the ones fused (:meth:`_advance`); the
    snapshot divides the one by the weight of the other.
    """

    def __init__(self) -> None:
        self._acc: torch.Tensor | None = None  # the fusion's accumulator, [K, H', W'], shared
        self._grid: _WindowGrid | _KeptSpans | None = None  # how its windows or tiles lie
        self._size = (0, 0)  # H, W of the image, and of the accumulator
        self._done = 0  # windows or tiles fused so far, in row-major order

    def _begin(
        self, acc: torch.Tensor, grid: _WindowGrid | _KeptSpans, size: tuple[int, int]
    ) -> None:
        self._acc, self._grid, self._size, self._done = acc, grid, size, 0

    def _advance(self, done: int) -> None:
        self._done = done

    @property
    def started(self) -> bool:
        """Whether a first batch was fused (a snapshot then has something), at no cost."""
        return self._acc is not None

    def snapshot(self, step: int = 1) -> tuple[NDArray[np.float32], float] | None:
        """The map so far, every ``step``-th pixel in each direction (``[K, ceil(H / step),
        ceil(W / step)]``: a preview costs step² less to build, send and draw)."""
        if step < 1:
            raise ValueError(f"step must be >= 1, got {step}")
        if self._acc is None or self._grid is None:
            return None
        keep = (*self._size, step)
        return _partial_map(self._acc, self._grid.weight(self._done, keep), keep)


@dataclass(frozen=True)
class _WindowGrid:
    """Windows (or cross-faded tiles) starting at ``ys`` x ``xs``, each weighted by the outer
    product of ``gy`` and ``gx``, over a padded image of ``shape``: fused as A / C."""

    ys: list[int]
    xs: list[int]
    gy: NDArray[np.float64]
    gx: NDArray[np.float64]
    shape: tuple[int, int]

    def weight(self, done: int, keep: tuple[int, int, int]) -> NDArray[np.float32]:
        return _done_weight(self.ys, self.xs, self.gy, self.gx, done, self.shape, keep)


@dataclass(frozen=True)
class _KeptSpans:
    """Tiles each kept on its span ``keep_y[i]`` x ``keep_x[j]`` alone, weight 1."""

    keep_y: list[tuple[int, int]]
    keep_x: list[tuple[int, int]]

    def weight(self, done: int, keep: tuple[int, int, int]) -> NDArray[np.float32]:
        return _kept_weight(self.keep_y, self.keep_x, done, keep)


def _done_weight(
    ys: list[int],
    xs: list[int],
    gy: NDArray[np.float64],
    gx: NDArray[np.float64],
    done: int,
    shape: tuple[int, int],
    keep: tuple[int, int, int],
) -> NDArray[np.float32]:
    """The summed weight of the first ``done`` windows of the row-major grid ``ys`` x ``xs``
    (windows of ``len(gy)`` x ``len(gx)`` weighted by the outer product of ``gy`` and ``gx``)
    over an image of ``shape``, at rows [0, h) and columns [0, w) every ``step``-th pixel,
    ``keep = (h, w, step)``."""
    rows, cols = divmod(done, len(xs))
    h, w, step = keep

    def axis(
        length: int, starts: list[int], g: NDArray[np.float64], end: int
    ) -> NDArray[np.float32]:
        return _axis_count(length, starts, g)[:end:step].astype(np.float32)

    weight = np.outer(axis(shape[0], ys[:rows], gy, h), axis(shape[1], xs, gx, w))
    if cols:
        weight += np.outer(axis(shape[0], [ys[rows]], gy, h), axis(shape[1], xs[:cols], gx, w))
    return weight


def _partial_map(
    acc: torch.Tensor, weight: NDArray[np.float32], keep: tuple[int, int, int]
) -> tuple[NDArray[np.float32], float]:
    """A / weight where weight > 0, NaN elsewhere, at rows [0, h) and columns [0, w) every
    ``step``-th pixel (``keep = (h, w, step)``; ``weight`` already sampled so); and the share
    of those pixels computed."""
    h, w, step = keep
    seen = weight > 0
    out = np.full((acc.shape[0], *weight.shape), np.nan, dtype=np.float32)
    np.divide(acc[:, :h:step, :w:step].numpy(), weight, out=out, where=seen[None])
    return out, float(seen.mean())


def _predict(
    source: torch.Tensor,
    origins: list[tuple[int, int]],
    size: tuple[int, int],
    predictor: Predictor,
    device: torch.device,
    scale: bool,
) -> torch.Tensor:
    """The predictions ``[B, K, h, w]`` (float32, on the CPU) of the windows of ``size`` = (h, w)
    at ``origins`` of ``source`` padded to that size at least (:func:`_window`), scaled and
    normalised here when ``scale`` (uint8 input)."""
    th, tw = size
    batch = torch.stack([_window(source, y, x, th, tw) for y, x in origins])
    batch = batch.to(device, non_blocking=True)
    if scale:
        batch = normalize(batch.float().div_(255.0))
    with torch.inference_mode():
        pred = predictor(batch)
    if pred.ndim != 4 or pred.shape[0] != len(origins) or pred.shape[-2:] != (th, tw):
        raise ValueError(
            f"predictor must return [B, K, {th}, {tw}] for B={len(origins)}, "
            f"got {tuple(pred.shape)}"
        )
    return pred.float().cpu()  # waits for the device: the batch's time is complete


def window_starts(length: int, window: int, stride: int) -> list[int]:
    """Origins of the windows along one axis of ``length`` pixels; the last ends on the border."""
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    if not 1 <= stride <= window:
        raise ValueError(f"stride must be in [1, window={window}], got {stride}")
    if length <= window:
        return [0]
    starts = list(range(0, length - window + 1, stride))
    if starts[-1] != length - window:
        starts.append(length - window)
    return starts


def tile_spans(length: int, tile: int, margin: int) -> list[tuple[int, int, int]]:
    """Tiles along one axis of ``length`` pixels as (start, keep_from, keep_to).

    Tiles of ``tile`` pixels start every ``tile - 2 * margin`` pixels; the last one is shifted
    to end on the border. Tile i keeps [keep_from, keep_to): from the middle of its overlap with
    the previous tile to the middle of its overlap with the next one (the image border at the
    ends), so the kept spans partition [0, length) and every kept pixel has at least ``margin``
    pixels of the tile on each side that is not the image border.
    """
    if tile < 1:
        raise ValueError(f"tile must be >= 1, got {tile}")
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    if length <= tile:  # one tile: no side faces another, nothing is cropped
        return [(0, 0, length)]
    if 2 * margin >= tile:
        raise ValueError(f"margin must be in [0, tile / 2) = [0, {tile / 2:g}), got {margin}")
    starts = window_starts(length, tile, tile - 2 * margin)
    bounds = [0]
    for a, b in itertools.pairwise(starts):
        bounds.append((b + a + tile) // 2)  # middle of the overlap [b, a + tile)
    bounds.append(length)
    return [(s, bounds[i], bounds[i + 1]) for i, s in enumerate(starts)]


def gaussian_weights(window: int, sigma_scale: float = 0.125) -> NDArray[np.float64]:
    """1-D Gaussian over a window, peak 1, floored at 1e-3 so border pixels still count."""
    sigma = max(window * sigma_scale, 1e-6)
    x = np.arange(window, dtype=np.float64) - (window - 1) / 2.0
    return np.maximum(np.exp(-0.5 * (x / sigma) ** 2), 1e-3)


def _as_tensor_readonly(image: NDArray[np.uint8]) -> torch.Tensor:
    """A tensor view of ``image`` without a copy; evidence pixels are read-only and never written."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return torch.from_numpy(np.ascontiguousarray(image))


def _source(image: torch.Tensor | NDArray[np.uint8]) -> tuple[torch.Tensor, bool]:
    """The image as a [C, H, W] tensor (a view of a uint8 array) and whether to scale it."""
    if isinstance(image, np.ndarray):
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"expected an [H, W, 3] uint8 array, got {image.shape} {image.dtype}")
        return _as_tensor_readonly(image).permute(2, 0, 1), True  # 3, H, W uint8
    if image.ndim != 3:
        raise ValueError(f"expected a [C, H, W] tensor, got shape {tuple(image.shape)}")
    return image, False


def _window(source: torch.Tensor, y: int, x: int, th: int, tw: int) -> torch.Tensor:
    """The ``th`` x ``tw`` window at (``y``, ``x``) of ``source`` [C, H, W] padded as
    :func:`_pad_to` pads the whole image, without that padded copy (a 100 x 1,000,000 strip
    made gigabytes of it, in float). A window reaches beyond the image only in a direction in
    which the image is smaller than it, where its origin is 0; reflect and replicate padding
    of a row or column depends on it alone, and the mode chosen for the window is the image's,
    so the window is the padded image's, value for value."""
    return _pad_to(source[:, y : y + th, x : x + tw], th, tw)


def _pad_to_window(image: torch.Tensor, window: int) -> torch.Tensor:
    """image: [C, H, W] -> padded at the bottom/right to at least window x window."""
    return _pad_to(image, window, window)


def _pad_to(image: torch.Tensor, th: int, tw: int) -> torch.Tensor:
    """image: [C, H, W] -> padded at the bottom/right to at least th x tw."""
    h, w = image.shape[-2:]
    ph, pw = max(0, th - h), max(0, tw - w)
    if ph == 0 and pw == 0:
        return image
    mode = "reflect" if ph < h and pw < w else "replicate"
    x = image.unsqueeze(0)
    if not x.is_floating_point():
        return F.pad(x.float(), (0, pw, 0, ph), mode=mode).to(image.dtype)[0]
    return F.pad(x, (0, pw, 0, ph), mode=mode)[0]


def sliding_window_inference(
    image: torch.Tensor | NDArray[np.uint8],
    predictor: Predictor,
    window: int,
    stride: int,
    *,
    batch_size: int = 8,
    weighting: Weighting | str = Weighting.CONSTANT,
    device: torch.device | str | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    max_batch_seconds: float | None = None,
    partial: PartialFusion | None = None,
) -> torch.Tensor:
    """Fused prediction over the whole image.

    image: a ``[H, W, 3]`` uint8 RGB array (windows are scaled to [0, 1] and normalised one
        batch at a time, see ``engine.preprocess``) or a float tensor ``[C, H, W]`` passed to the
        predictor as it is.
    predictor: ``[B, C, P, P] -> [B, K, P, P]`` on ``device``; for a probability map, the
        caller applies the sigmoid inside it (the paper averages probabilities).
    Returns M = A / C as float32 ``[K, H, W]`` on the CPU.
    progress(done, total) is called after each batch; cancel() is checked before each batch and
    raises :class:`Cancelled` when it returns True.
    max_batch_seconds: when given, batches start at one window and adapt so that one batch
        takes about this long (halved or shrunk when slower, doubled up to ``batch_size`` when
        under half of it): cancel() is then answered within about that time, whatever the
        model and the machine's load, at a small cost in throughput. The result does not
        depend on the batch sizes (windows are independent in eval mode).
    partial: when given, :meth:`PartialFusion.snapshot` gives the map of the windows finished
        so far (module docstring, "Partial maps").
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if max_batch_seconds is not None and max_batch_seconds <= 0:
        raise ValueError(f"max_batch_seconds must be > 0, got {max_batch_seconds}")
    weighting = Weighting(weighting)
    source, scale = _source(image)
    device = torch.device(device) if device is not None else torch.device("cpu")
    h, w = source.shape[-2:]
    hp, wp = max(h, window), max(w, window)  # padded at the bottom/right per window
    ys, xs = window_starts(hp, window, stride), window_starts(wp, window, stride)
    origins = [(y, x) for y in ys for x in xs]
    total = len(origins)

    if weighting is Weighting.GAUSSIAN:
        g = gaussian_weights(window)
    else:
        g = np.ones(window, dtype=np.float64)
    w2d = torch.from_numpy(np.outer(g, g).astype(np.float32))  # P, P

    acc: torch.Tensor | None = None
    n = batch_size if max_batch_seconds is None else 1  # windows in the next batch
    i = 0
    while i < total:
        if cancel is not None and cancel():
            raise Cancelled(f"cancelled after {i} of {total} windows")
        chunk = origins[i : i + n]
        started = time.perf_counter()
        pred = _predict(source, chunk, (window, window), predictor, device, scale)
        if acc is None:  # the image's size: what falls on the padding is never kept
            acc = torch.zeros((pred.shape[1], h, w), dtype=torch.float32)
            if partial is not None:
                partial._begin(acc, _WindowGrid(ys, xs, g, g, (hp, wp)), (h, w))
        if weighting is Weighting.GAUSSIAN:
            pred = pred * w2d
        for (y, x), p in zip(chunk, pred, strict=True):
            acc[:, y : y + window, x : x + window] += p[:, : h - y, : w - x]
        i += len(chunk)
        if partial is not None:
            partial._advance(i)
        if progress is not None:
            progress(i, total)
        if max_batch_seconds is not None:
            n = _next_batch(n, time.perf_counter() - started, max_batch_seconds, batch_size)
    assert acc is not None
    _divide_by_count(acc, _axis_count(hp, ys, g)[:h], _axis_count(wp, xs, g)[:w])
    return acc


def overlap_crop_inference(
    image: torch.Tensor | NDArray[np.uint8],
    predictor: Predictor,
    tile: int | tuple[int, int],
    margin: int,
    *,
    batch_size: int = 1,
    weighting: Weighting | str = Weighting.CONSTANT,
    device: torch.device | str | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    partial: PartialFusion | None = None,
) -> torch.Tensor:
    """Prediction over the whole image from overlapping tiles, each cropped by ``margin``.

    image, predictor, device, progress, cancel: as :func:`sliding_window_inference` (a uint8
        image is scaled and normalised one batch of tiles at a time).
    tile: T or (T_h, T_w); an image smaller than the tile in a direction is padded up to it as
        sliding windows are, so the predictor always sees the same shape.
    margin: m, cropped from every tile side that faces another tile (see :func:`tile_spans`).
    batch_size: tiles per forward pass (1 suits a CPU; larger helps a GPU).
    weighting: ``constant``: every pixel comes from exactly one tile; ``gaussian``: tiles are
        cross-faded over their overlap (module docstring), the same tiles at the same cost.
    partial: as :func:`sliding_window_inference` (the tiles finished so far).
    Returns ``[K, H, W]`` float32 on the CPU.
    """
    th, tw = (tile, tile) if isinstance(tile, int) else tile
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    weighting = Weighting(weighting)
    source, scale = _source(image)
    device = torch.device(device) if device is not None else torch.device("cpu")
    h, w = source.shape[-2:]
    hp, wp = max(h, th), max(w, tw)  # padded at the bottom/right per tile
    ys, xs = tile_spans(h, th, margin), tile_spans(w, tw, margin)
    spans = [(y, x) for y in ys for x in xs]
    total = len(spans)
    blend = weighting is Weighting.GAUSSIAN
    gy, gx = gaussian_weights(th), gaussian_weights(tw)
    w2d = torch.from_numpy(np.outer(gy, gx).astype(np.float32))  # T_h, T_w
    out: torch.Tensor | None = None
    for i in range(0, total, batch_size):
        if cancel is not None and cancel():
            raise Cancelled(f"cancelled after {i} of {total} tiles")
        chunk = spans[i : i + batch_size]
        boxes = [(y, x) for (y, _, _), (x, _, _) in chunk]
        pred = _predict(source, boxes, (th, tw), predictor, device, scale)
        if out is None:  # the image's size: what falls on the padding is never kept
            shape = (pred.shape[1], h, w)
            out = torch.zeros(shape, dtype=torch.float32) if blend else torch.empty(shape)
            if partial is not None:
                grid: _WindowGrid | _KeptSpans = (
                    _WindowGrid(
                        [s for s, _, _ in ys],
                        [s for s, _, _ in xs],
                        gy,
                        gx,
                        (hp, wp),
                    )
                    if blend
                    else _KeptSpans([(a, b) for _, a, b in ys], [(a, b) for _, a, b in xs])
                )
                partial._begin(out, grid, (h, w))
        for ((y, y0, y1), (x, x0, x1)), p in zip(chunk, pred, strict=True):
            if blend:
                out[:, y : y + th, x : x + tw] += (p * w2d)[:, : h - y, : w - x]
            else:
                out[:, y0:y1, x0:x1] = p[:, y0 - y : y1 - y, x0 - x : x1 - x]
        if partial is not None:
            partial._advance(min(i + batch_size, total))
        if progress is not None:
            progress(min(i + batch_size, total), total)
    assert out is not None
    if blend:
        _divide_by_count(
            out,
            _axis_count(hp, [s for s, _, _ in ys], gy)[:h],
            _axis_count(wp, [s for s, _, _ in xs], gx)[:w],
        )
    return out


def _kept_weight(
    keep_y: list[tuple[int, int]],
    keep_x: list[tuple[int, int]],
    done: int,
    keep: tuple[int, int, int],
) -> NDArray[np.float32]:
    """1 on the kept spans of the first ``done`` tiles of the row-major grid, 0 elsewhere, at
    rows [0, h) and columns [0, w) every ``step``-th pixel (``keep = (h, w, step)``)."""
    h, w, step = keep
    rows, cols = divmod(done, len(keep_x))
    y, x = np.arange(0, h, step), np.arange(0, w, step)
    full_rows = y < (keep_y[rows - 1][1] if rows else 0)
    weight = np.zeros((len(y), len(x)), dtype=np.float32)
    weight[full_rows] = 1.0
    if cols:
        band = (y >= keep_y[rows][0]) & (y < keep_y[rows][1])
        weight[np.ix_(band, x < keep_x[cols - 1][1])] = 1.0
    return weight


def _next_batch(n: int, took: float, target: float, largest: int) -> int:
    """The next batch size: shrink in proportion when a batch took longer than ``target``,
    double (up to ``largest``) when it took under half of it."""
    if took > target:
        return max(1, min(n - 1, int(n * target / took))) if n > 1 else 1
    if took < target / 2:
        return min(largest, 2 * n)
    return n


def _divide_by_count(acc: torch.Tensor, cy: NDArray[np.float64], cx: NDArray[np.float64]) -> None:
    """M = A / C in place, ``acc``: [K, H, W], C the outer product of the 1-D counts ``cy`` [H]
    and ``cx`` [W], made one row band at a time: made whole it held 12 bytes a pixel (float64,
    then float32) at the analysis's peak, 720 MB at 60 MP; the same figures, bit for bit."""
    rows = max(1, COUNT_BAND_PIXELS // max(len(cx), 1))
    for y in range(0, len(cy), rows):
        band = np.outer(cy[y : y + rows], cx).astype(np.float32)
        acc[:, y : y + rows] /= torch.from_numpy(band)


def _axis_count(length: int, starts: list[int], g: NDArray[np.float64]) -> NDArray[np.float64]:
    c = np.zeros(length, dtype=np.float64)
    for s in starts:
        c[s : s + len(g)] += g
    return c


def naive_sliding_window(
    image: NDArray[np.uint8],
    predictor: Predictor,
    window: int,
    stride: int,
) -> torch.Tensor:
    """The paper's procedure taken literally: one window at a time, A and C as full maps.

    Kept as the reference that the batched :func:`sliding_window_inference` is measured and
    tested against (``make bench``).
    """
    source = _as_tensor_readonly(image).permute(2, 0, 1)
    h, w = source.shape[-2:]
    padded = _pad_to_window(source, window)
    hp, wp = padded.shape[-2:]
    a = torch.zeros((1, hp, wp))
    c = torch.zeros((1, hp, wp))
    for y in window_starts(hp, window, stride):
        for x in window_starts(wp, window, stride):
            patch = normalize(padded[:, y : y + window, x : x + window][None].float() / 255.0)
            with torch.inference_mode():
                p = predictor(patch)[0].float()
            a[:, y : y + window, x : x + window] += p
            c[:, y : y + window, x : x + window] += 1
    return (a / c)[:, :h, :w]
