"""Memory of the fast path's dynamic OpenVINO model over many input shapes.

crfd-net-compact's fast path runs one OpenVINO model of dynamic height and width, and a small
image is one tile of its own size (``engine/fastpath.py``), so a folder of small images of
many sizes feeds it a new shape at nearly every file. OpenVINO's CPU plugin kept what it
prepared for each shape (5,000 cache entries per stream): a scan worker grew from 1.0 to
3.4 GB over 500 images of random sizes. ``engine.runtime.RUNTIME_CACHE`` disables that cache.

Each case is a child process (its own RSS) running the bundled crfd-net-compact through
``make_runner`` as the analyser makes it (the int8 model when it matches), on ``N_SHAPES``
random tensors: all 240 x 200, or each of a random size from 128 to 320 px; then the distinct
sizes again with OpenVINO's own cache capacity, the figure before the bound. Printed: RSS after
the model's first run, half way and at the end (growth per shape over the second half), and
CPU seconds per tile.
"""

from __future__ import annotations

import json
import subprocess
import sys

N_SHAPES = 200
OPENVINO_DEFAULT = 5000  # the CPU plugin's own CPU_RUNTIME_CACHE_CAPACITY

_CHILD = r"""
import json, os, sys, time
import numpy as np, torch
import engine.runtime as runtime
from engine.checkpoints import load_checkpoint
from engine.resources import resources_dir

mode, n, capacity = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if capacity != "product":
    runtime.RUNTIME_CACHE = {"CPU_RUNTIME_CACHE_CAPACITY": int(capacity)}

def rss_mb():
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

path = resources_dir() / "models" / "crfd-net-compact.safetensors"
loaded = load_checkpoint(path)
runner = runtime.make_runner(
    loaded.model, device=torch.device("cpu"), precision="fp32", sha256=loaded.sha256,
    shape=None, choice="openvino", int8=runtime.bundled_int8(path, loaded.sha256, None),
)
rng = np.random.default_rng(0)
shapes = [(200, 240) if mode == "same" else tuple(int(v) for v in rng.integers(128, 321, 2))
          for _ in range(n)]
torch.manual_seed(0)
runner(torch.rand(1, 3, *shapes[0]))
first = rss_mb()
c0 = time.process_time()
half = None
for i, (h, w) in enumerate(shapes[1:], 1):
    runner(torch.rand(1, 3, h, w))
    if i == n // 2:
        half = rss_mb()
print(json.dumps({
    "runner": f"{runner.name} {runner.precision}", "distinct_shapes": len(set(shapes)),
    "rss_first_mb": round(first), "rss_half_mb": round(half), "rss_end_mb": round(rss_mb()),
    "cpu_s_per_tile": round((time.process_time() - c0) / (n - 1), 4),
}))
"""


def case(mode: str, capacity: str) -> dict:
    res = subprocess.run(
        [sys.executable, "-c", _CHILD, mode, str(N_SHAPES), capacity],
        capture_output=True,
        text=True,
        check=True,
    )
    d = json.loads(res.stdout.strip().splitlines()[-1])
    # the second half's growth: the first shapes also grow the allocator's and oneDNN's pools
    d["growth_mb_per_shape"] = round(
        (d["rss_end_mb"] - d["rss_half_mb"]) / max(1, (d["distinct_shapes"] - 1) // 2), 2
    )
    print(
        f"{mode:>8} shapes, cache {capacity:>7}: {d['distinct_shapes']} distinct, RSS "
        f"{d['rss_first_mb']} -> {d['rss_half_mb']} -> {d['rss_end_mb']} MB (second half "
        f"{d['growth_mb_per_shape']:+.2f} MB a shape), {d['cpu_s_per_tile'] * 1000:.0f} ms CPU a tile ({d['runner']})",
        flush=True,
    )
    return d


def run() -> dict:
    return {
        "same": case("same", "product"),
        "distinct": case("distinct", "product"),
        "distinct_openvino_default": case("distinct", str(OPENVINO_DEFAULT)),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
