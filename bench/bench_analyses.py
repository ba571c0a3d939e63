"""Classic analyses: seconds per analysis on a 12 MP camera photograph, one thread.

Figures (issue 19): each registered analysis on the largest ~12 MP photograph of the shared
camera-photos folder (Nikon D90, 4288 x 2848) or, without it, on a synthetic 4000 x 3000
JPEG; OpenCV limited to one thread (``cv2.setNumThreads(1)``), torch to one thread. Decoding
the evidence is timed apart. Target: <= 10 s per analysis on this CPU. Each analysis runs twice
and the faster run counts (the machine is shared: the slower run is mostly other people's load);
the process's CPU time is printed beside the wall time, which on a loaded machine is the
fairer figure of the work done (one thread: CPU time <= wall time; numpy's BLAS, which the
copy-move analysis's descriptor matching uses, keeps its own threads). The copy-move analysis
is also timed on a 1.2 MP photograph of the same folder (FujiFilm FinePix 2650).
"""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image

from engine.analyses import list_analyses, run_analysis
from engine.io import load_evidence

_REPO = Path(__file__).resolve().parents[1]
PHOTO = Path(
    os.environ.get(
        "CAMERA_PHOTO",
        next(
            (
                p
                for p in (
                    _REPO.parent / "shared/data/camera-photos/Nikon_D90.jpg",
                    _REPO.parent.parent / "shared/data/camera-photos/Nikon_D90.jpg",
                )
                if p.is_file()
            ),
            "",
        ),
    )
)
TARGET_S = 10.0
# The copy-move analysis also on a 1.2 MP photograph (issue 18: the default analysis of a 1 MP
# image in <= 5 s, of which the networks take about 3 s, so clone about <= 1.5 s there).
SMALL_PHOTO = PHOTO.with_name("FujiFilm_FinePix2650.jpg")
SMALL_TARGET_S = 1.5


def _evidence_path(tmp: Path) -> Path:
    if PHOTO.is_file():
        return PHOTO
    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)
    img = cv2.resize(
        cv2.GaussianBlur(small, (0, 0), 2), (4000, 3000), interpolation=cv2.INTER_CUBIC
    )
    img = np.clip(img.astype(np.int16) + rng.integers(-6, 7, img.shape), 0, 255).astype(np.uint8)
    path = tmp / "synthetic-12mp.jpg"
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "JPEG", quality=90)
    path.write_bytes(buf.getvalue())
    return path


def run() -> dict:
    cv2.setNumThreads(1)
    torch.set_num_threads(1)
    tmp = Path(os.environ.get("TMPDIR", "/tmp"))
    path = _evidence_path(tmp)
    t0 = time.perf_counter()
    ev = load_evidence(path)
    load_s = time.perf_counter() - t0
    data = path.read_bytes()
    mp = ev.width * ev.height / 1e6
    print(
        f"{path.name}: {ev.width} x {ev.height} ({mp:.1f} MP), decoded in {load_s:.2f} s; "
        "OpenCV and torch at 1 thread"
    )
    rows = {}
    for name in list_analyses():
        times, cpu = [], []
        for _ in range(2):
            t0, c0 = time.perf_counter(), time.process_time()
            r = run_analysis(name, ev, data=data)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        best = min(times)
        ok = best <= TARGET_S
        rows[name] = {
            "seconds": round(best, 2),
            "cpu_seconds": round(min(cpu), 2),
            "runs": [round(t, 2) for t in times],
            "within_target": ok,
        }
        extra = ""
        if name == "clone":
            extra = f"  pairs {len(r.pairs)}"
        print(
            f"  {name:<12} {best:6.2f} s  cpu {min(cpu):6.2f} s  (runs {', '.join(f'{t:.2f}' for t in times)})"
            f"  {'ok' if ok else 'OVER ' + str(TARGET_S) + ' s'}{extra}",
            flush=True,
        )
    small = {}
    if SMALL_PHOTO.is_file():
        ev1 = load_evidence(SMALL_PHOTO)
        times, cpu = [], []
        for _ in range(2):
            t0, c0 = time.perf_counter(), time.process_time()
            run_analysis("clone", ev1)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        small = {
            "image": SMALL_PHOTO.name,
            "megapixels": round(ev1.width * ev1.height / 1e6, 2),
            "seconds": round(min(times), 2),
            "cpu_seconds": round(min(cpu), 2),
            "target_s": SMALL_TARGET_S,
            "within_target": min(times) <= SMALL_TARGET_S,
        }
        print(
            f"  clone on {SMALL_PHOTO.name} ({small['megapixels']} MP): {min(times):.2f} s  "
            f"cpu {min(cpu):.2f} s  (target {SMALL_TARGET_S} s)",
            flush=True,
        )
    return {
        "clone_1mp": small,
        "image": path.name,
        "width": ev.width,
        "height": ev.height,
        "megapixels": round(mp, 2),
        "decode_s": round(load_s, 2),
        "threads": 1,
        "target_s": TARGET_S,
        "analyses": rows,
    }
