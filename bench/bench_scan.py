"""Folder scans: throughput against the model alone, and memory over thousands of files.

Figures (issue: batch folder scans):
- Throughput: ``run_scan`` over 16 generated 512² JPEGs (random texture: the slowest to decode
  and hash) with a small CRFD-Net (random weights), against ``Analyzer.analyze`` on the same
  evidence decoded beforehand (model only). Target: scan / model-only >= 0.9. The window
  (128) and stride (128, no overlap) keep the network's share of the time small, which is the
  hard case for the target. The scan without prefetch (decoding in the scanning thread) is
  timed too, to show what the overlap buys. Files are in the page cache (they were just
  written), so this measures decoding and hashing, not the disk. The same on 200 PNGs of 32²
  (window 32), where per-file costs weigh most. Variants are interleaved over rounds and the
  best time of each is kept, as other work on a shared machine only ever adds time; CPU seconds
  of the process are given too (the extra work of a scan, which that work hardly changes).
- Memory: RSS of a child process scanning 2,000 tiny PNGs (32², the same network with window
  32: every file is cheap, so per-file bookkeeping dominates) sampled along the run; the
  growth after warm-up should stay near zero. Then the same folder is scanned again (every
  file already done): the resume reads its index, not every record.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from engine.checkpoints import CheckpointMeta, InputPolicy, save_checkpoint
from engine.io import load_evidence
from engine.models import create_model
from engine.models.registry import config_to_dict
from engine.pipeline import Analyzer
from forensic_viewer.scan.run import run_scan
from forensic_viewer.scan.walk import rel_key

N_FILES, SIZE, WINDOW, STRIDE = 16, 512, 128, 128
N_SMALL, SMALL = 2000, 32


def make_checkpoint(folder: Path, window: int, stride: int) -> Path:
    """A small CRFD-Net (channels 8/16/32) with random weights: for timing, never findings."""
    torch.manual_seed(0)
    model = create_model("crfd-net-compact", channels=(8, 16, 32))
    meta = CheckpointMeta(
        architecture="crfd-net-compact",
        config=config_to_dict(model.config),
        input_policy=InputPolicy(window=window, stride=stride),
        name="bench",
    )
    return save_checkpoint(folder / "bench.safetensors", model, meta)


def make_images(folder: Path, n: int, size: int, fmt: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    suffix = ".jpg" if fmt == "JPEG" else ".png"
    paths = []
    for i in range(n):
        arr = rng.integers(0, 256, size=(size, size, 3), dtype=np.uint8)
        p = folder / f"img{i:05d}{suffix}"
        Image.fromarray(arr).save(p, format=fmt, **({"quality": 90} if fmt == "JPEG" else {}))
        paths.append(p)
    return paths


def throughput(tmp: Path, n: int, size: int, window: int, stride: int, rounds: int) -> dict:
    """Model only, scan with prefetch and scan without, interleaved for ``rounds`` rounds; the
    best time of each counts (other work on the machine only ever adds time)."""
    folder = tmp / f"evidence-{size}"
    fmt = "JPEG" if size >= 256 else "PNG"
    paths = make_images(folder, n, size, fmt)
    analyzer = Analyzer([str(make_checkpoint(tmp / f"ckpt-{size}", window, stride))], device="cpu")
    files = [(p, rel_key(p, folder)) for p in paths]
    analyzer.analyze(load_evidence(paths[0]))  # warm-up: kernels chosen, caches filled
    best: dict[str, float] = {}
    cpu: dict[str, float] = {}

    def keep(name: str, t0: float, c0: float) -> None:
        best[name] = min(best.get(name, float("inf")), time.perf_counter() - t0)
        cpu[name] = min(cpu.get(name, float("inf")), time.process_time() - c0)

    for r in range(rounds):
        t0, c0 = time.perf_counter(), time.process_time()
        decoded = [load_evidence(p) for p in paths]
        keep("decode", t0, c0)
        t0, c0 = time.perf_counter(), time.process_time()
        for ev in decoded:
            analyzer.analyze(ev)
        keep("model", t0, c0)
        del decoded
        for name, depth in (("scan", 2), ("scan_no_prefetch", 0)):
            out = tmp / f"out-{size}-{name}-{r}"
            t0, c0 = time.perf_counter(), time.process_time()
            summary = run_scan(files, analyzer, out, source=str(folder), prefetch=depth)
            keep(name, t0, c0)
            assert summary.done == n, summary
            shutil.rmtree(out)
    row = {
        "files": n,
        "size": size,
        "format": fmt,
        "window": window,
        "stride": stride,
        "rounds": rounds,
        "threads": torch.get_num_threads(),
        "decode_hash_ms_per_file": round(1000 * best["decode"] / n, 2),
        "model_only_files_per_s": round(n / best["model"], 3),
        "scan_files_per_s": round(n / best["scan"], 3),
        "scan_no_prefetch_files_per_s": round(n / best["scan_no_prefetch"], 3),
        "ratio": round(best["model"] / best["scan"], 3),
        "ratio_no_prefetch": round(best["model"] / best["scan_no_prefetch"], 3),
        # CPU seconds of the whole process (all threads): other processes on a shared machine
        # barely change them, so this ratio shows the extra work a scan does, free of noise.
        "model_only_cpu_s_per_file": round(cpu["model"] / n, 4),
        "scan_cpu_s_per_file": round(cpu["scan"] / n, 4),
        "cpu_ratio": round(cpu["model"] / cpu["scan"], 3),
    }
    print(
        f"{n} {fmt}s {size}², window {window} stride {stride}, {row['threads']} threads, best "
        f"of {rounds}: model only {row['model_only_files_per_s']:.3f} files/s; scan "
        f"{row['scan_files_per_s']:.3f} files/s = {100 * row['ratio']:.1f} % (target >= 90 %); "
        f"without prefetch {100 * row['ratio_no_prefetch']:.1f} %; "
        f"decode+hash {row['decode_hash_ms_per_file']:.1f} ms/file; CPU s/file model only "
        f"{row['model_only_cpu_s_per_file']:.4f}, scan {row['scan_cpu_s_per_file']:.4f} "
        f"(ratio {100 * row['cpu_ratio']:.1f} %)",
        flush=True,
    )
    return row


_CHILD = r"""
import json, os, resource, sys, threading, time
from pathlib import Path
from engine.pipeline import Analyzer
from forensic_viewer.scan.walk import iter_images, rel_key
from forensic_viewer.scan.run import run_scan

folder, out, ckpt = map(Path, sys.argv[1:4])
marks = {100, 250, 500, 1000, 1500, 2000}

def rss_mb():
    try:
        pages = int(open("/proc/self/statm").read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

analyzer = Analyzer([str(ckpt)], device="cpu")
samples = {}
def on_file(i, total, rec):
    if i + 1 in marks:
        samples[i + 1] = round(rss_mb(), 1)
files = ((p, rel_key(p, folder)) for p in iter_images(folder, False))  # lazy listing
t0 = time.perf_counter()
s = run_scan(files, analyzer, out, source=str(folder), on_file=on_file)
t_scan = time.perf_counter() - t0
after = rss_mb()
t0 = time.perf_counter()
again = run_scan(
    ((p, rel_key(p, folder)) for p in iter_images(folder, False)), analyzer, out,
    source=str(folder),
)
t_resume = time.perf_counter() - t0
print(json.dumps({
    "files": s.done, "scan_s": round(t_scan, 1), "rss_mb": samples,
    "rss_after_mb": round(after, 1), "resume_skipped": again.skipped,
    "resume_s": round(t_resume, 2), "rss_after_resume_mb": round(rss_mb(), 1),
    "threads_left": [t.name for t in threading.enumerate() if t.name == "scan-prefetch"],
}))
"""


def memory(tmp: Path) -> dict:
    folder = tmp / "small"
    make_images(folder, N_SMALL, SMALL, "PNG")
    ckpt = make_checkpoint(tmp, SMALL, SMALL)
    res = subprocess.run(
        [sys.executable, "-c", _CHILD, str(folder), str(tmp / "out-small"), str(ckpt)],
        capture_output=True,
        text=True,
        check=True,
    )
    d = json.loads(res.stdout.strip().splitlines()[-1])
    rss = {int(k): v for k, v in d["rss_mb"].items()}
    first, last = min(rss), max(rss)
    growth = rss[last] - rss[first]
    d["growth_mb"] = round(growth, 1)
    d["growth_kb_per_file"] = round(1024 * growth / (last - first), 2)
    print(
        f"{d['files']} files of {SMALL}² in {d['scan_s']} s: RSS "
        + ", ".join(f"{k}: {v:.0f} MB" for k, v in sorted(rss.items()))
        + f"; growth {growth:+.1f} MB from file {first} to {last} "
        f"({d['growth_kb_per_file']:+.2f} KB/file); resume of {d['resume_skipped']} done files "
        f"{d['resume_s']} s; prefetch threads left: {len(d['threads_left'])}",
        flush=True,
    )
    return d


def run() -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-scan-"))
    try:
        return {
            "throughput": throughput(tmp, N_FILES, SIZE, WINDOW, STRIDE, rounds=3),
            "throughput_small_files": throughput(tmp, 200, SMALL, SMALL, SMALL, rounds=3),
            "memory": memory(tmp),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
