"""The viewer's analysis against the scan's, on the same photograph (issue 18).

The issue measured 7-20 s in the viewer against 1-2 s per network in a scan for one image and
suspected the viewer's time-sized window batches (``max_batch_seconds``, once set for a
prompt Cancel). Both are built here as their front ends build them: the viewer's as
``forensic_viewer.gui.workers.AnalysisWorker`` assembles it (``VIEWER_ASSEMBLY``) and called
with its throttled progress, its partial heatmaps (built and handed on as the worker does)
and a cancel check, the scan's as ``forensic-viewer scan``
assembles it, called with a progress callback and a cancel check, as ``scan/run.py`` calls it.
They alternate in one process, ``ROUNDS`` times each, on:

- the default analysis (every default model, ensemble, faces) on the fast path, on the 1 MP
  camera photograph ``PHOTO`` (the figure the issue's target is about);
- crfd-net-compact alone on the exact sliding-window path on a 384 x 256 crop of it (the size
  the issue measured; the time-sized batches act on this path only).

Prints and returns the median seconds of each and their ratio (viewer / scan).
"""

from __future__ import annotations

import statistics
import time

PHOTO = "FujiFilm_FinePix2650.jpg"  # in bench_evidence.photos_dir() (1280 x 960)
ROUNDS = 3


def _time(analyzer, evidence, progress) -> float:
    t0 = time.perf_counter()
    analyzer.analyze(evidence, progress=progress, cancel=lambda: False)
    return time.perf_counter() - t0


def run() -> dict:
    from bench.bench_evidence import photos_dir
    from engine.assembly import assemble_analyzer, assemble_lenient
    from engine.io import load_evidence
    from forensic_viewer.gui.workers import (
        VIEWER_ASSEMBLY,
        throttled_partial,
        throttled_progress,
    )

    folder = photos_dir()
    photo = None if folder is None else folder / PHOTO
    if photo is None or not photo.exists():
        print(f"{PHOTO}: not found (set FORENSIC_VIEWER_PHOTOS); skipped")
        return {"skipped": f"{PHOTO} not found"}
    evidence = load_evidence(photo)
    crop = load_evidence(photo)
    crop.pixels = crop.pixels[:256, :384].copy()
    crop.pixels.setflags(write=False)
    crop.height, crop.width = crop.pixels.shape[:2]
    crfd = ["crfd-net-compact"]
    out: dict = {"photo": photo.name, "size": [evidence.width, evidence.height]}
    for label, specs, exact, ev in (
        ("default-fast-1mp", None, False, evidence),
        ("crfd-exact-384x256", crfd, True, crop),
    ):
        viewer = assemble_lenient(specs, device="cpu", exact=exact, **VIEWER_ASSEMBLY).analyzer
        scan = assemble_analyzer(specs, device="cpu", exact=exact)
        assert viewer is not None
        viewer.prepare()
        scan.prepare()
        names = viewer.names

        def gui_progress(*_a: object) -> None:
            return None

        def viewer_progress(names: list[str] = names):
            """As the worker listens: progress throttled, partial maps built and handed on."""
            on_progress = throttled_progress(names, gui_progress)
            on_partial = throttled_partial(gui_progress)

            def both(p) -> None:
                on_progress(p)
                on_partial(p)

            return both

        times: dict[str, list[float]] = {"viewer": [], "scan": []}
        _time(scan, ev, None)  # warm-up (first-use allocations)
        for _ in range(ROUNDS):
            times["viewer"].append(_time(viewer, ev, viewer_progress()))
            times["scan"].append(_time(scan, ev, lambda _p: None))
        v, s = statistics.median(times["viewer"]), statistics.median(times["scan"])
        out[label] = {"viewer_s": round(v, 2), "scan_s": round(s, 2), "ratio": round(v / s, 2)}
        out[label]["runs"] = {k: [round(t, 2) for t in ts] for k, ts in times.items()}
        print(f"{label:22s} viewer {v:6.2f} s   scan {s:6.2f} s   viewer/scan {v / s:4.2f}")
    return out


if __name__ == "__main__":
    run()
