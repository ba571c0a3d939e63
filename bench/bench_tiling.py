"""Sliding-window inference: batched fusion against the paper's one-window-at-a-time loop.

Figures (issue: foundation, §4):
- CRFD-Net (compact and full size, `crfd-net`) on 1024² and 2048² images on the CPU: seconds for the
  batched, fused analysis and for the naive loop, the speed-up, and the identity of the outputs
  (max abs difference, differing mask pixels at 0.5). Target: >= 3x at 2048².
- Share of time spent outside the network (cutting, normalising, merging windows) at 4096²,
  measured as the run time with a free predictor over the run time with the network.
  Target: <= 5 %.
- Peak memory added by an 8192² image (RSS high-water mark of a child process, above the same
  process before the image exists). Target: <= 1.5 GB.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import torch

from engine.models import create_model
from engine.tiling import naive_sliding_window, sliding_window_inference

WINDOW, STRIDE, BATCH = 128, 64, 16


def _image(n: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(n, n, 3), dtype=np.uint8)


def _predictor(net: torch.nn.Module):
    def pred(b: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(net(b))

    return pred


def compare(name: str, n: int, naive_limit_s: float = 240.0) -> dict:
    torch.manual_seed(0)
    net = create_model(name).eval()
    img = _image(n)
    pred = _predictor(net)
    sliding_window_inference(img[:256, :256], pred, WINDOW, STRIDE, batch_size=BATCH)  # warm-up
    t0 = time.perf_counter()
    fused = sliding_window_inference(img, pred, WINDOW, STRIDE, batch_size=BATCH)
    t_batched = time.perf_counter() - t0
    n_windows = len(range(0, n - WINDOW + 1, STRIDE)) ** 2
    row = {"model": name, "size": n, "windows": n_windows, "batched_s": round(t_batched, 2)}
    # The naive loop is timed on a band of rows when a full run would take too long, then
    # scaled by the share of windows it covered; its output is compared on that band.
    per_window = t_batched / n_windows
    rows = n if per_window * n_windows * 2.5 < naive_limit_s else max(WINDOW, 4 * STRIDE + WINDOW)
    t0 = time.perf_counter()
    naive = naive_sliding_window(img[:rows], pred, WINDOW, STRIDE)
    t_naive = time.perf_counter() - t0
    band_windows = len(range(0, rows - WINDOW + 1, STRIDE)) * len(range(0, n - WINDOW + 1, STRIDE))
    t_naive_full = t_naive * n_windows / band_windows
    ref = sliding_window_inference(img[:rows], pred, WINDOW, STRIDE, batch_size=BATCH)
    diff = float((ref - naive).abs().max())
    mask_diff = int(((ref > 0.5) != (naive > 0.5)).sum())
    row.update(
        naive_s=round(t_naive_full, 2),
        naive_measured_rows=rows,
        speedup=round(t_naive_full / t_batched, 2),
        max_abs_diff=diff,
        differing_mask_pixels=mask_diff,
        fused_shape=list(fused.shape),
    )
    print(
        f"{name:<18} {n}²  batched {t_batched:7.2f} s  naive {t_naive_full:7.2f} s"
        f"{' (scaled from ' + str(rows) + ' rows)' if rows < n else ''}  "
        f"x{t_naive_full / t_batched:.2f}  max|Δ| {diff:.2e}  mask px Δ {mask_diff}",
        flush=True,
    )
    return row


def merge_share(n: int = 4096) -> dict:
    torch.manual_seed(0)
    net = create_model("crfd-net-compact").eval()
    img = _image(n)
    t0 = time.perf_counter()
    sliding_window_inference(img, _predictor(net), WINDOW, STRIDE, batch_size=BATCH)
    total = time.perf_counter() - t0
    t0 = time.perf_counter()
    sliding_window_inference(img, lambda b: b[:, :1], WINDOW, STRIDE, batch_size=BATCH)
    overhead = time.perf_counter() - t0
    share = overhead / total
    print(
        f"4096² merge/cut share: {100 * share:.1f} % ({overhead:.1f} s of {total:.1f} s)",
        flush=True,
    )
    return {
        "size": n,
        "total_s": round(total, 2),
        "outside_network_s": round(overhead, 2),
        "share": round(share, 4),
    }


_CHILD = r"""
import json, resource, sys
import numpy as np, torch
from engine.tiling import sliding_window_inference
n = int(sys.argv[1])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
img = np.zeros((n, n, 3), np.uint8)
img[::7, ::5] = 200
out = sliding_window_inference(img, lambda b: b[:, :1], 128, 128, batch_size=16)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"base_mb": base / 1024, "peak_mb": peak / 1024, "shape": list(out.shape)}))
"""


def peak_memory(n: int = 8192) -> dict:
    res = subprocess.run(
        [sys.executable, "-c", _CHILD, str(n)], capture_output=True, text=True, check=True
    )
    d = json.loads(res.stdout.strip().splitlines()[-1])
    added = d["peak_mb"] - d["base_mb"]
    print(
        f"8192² peak memory added: {added:.0f} MB (image {n * n * 3 / 2**20:.0f} MB, "
        f"fused map {n * n * 4 / 2**20:.0f} MB)",
        flush=True,
    )
    return {"size": n, "added_mb": round(added, 1), **d}


def run() -> dict:
    print(
        f"torch threads: {torch.get_num_threads()}; window {WINDOW}, stride {STRIDE}, batch {BATCH}"
    )
    rows = [compare(name, n) for name in ("crfd-net-compact", "crfd-net") for n in (1024, 2048)]
    return {"compare": rows, "merge_share": merge_share(), "peak_memory": peak_memory()}
