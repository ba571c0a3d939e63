"""The product as it was when issue 18 was filed, run beside today's in one benchmark run.

Issue 18 asks for the default analysis "at least 10x faster than today in the same run". Its
"today" is the commit before the restructure wave began (:data:`BASELINE_REV`, ``a024bac`` of
2026-11-29; ``$BENCH_BASELINE_REV`` names another), not today's exact path, which has itself
become several times faster since. So that commit's tree is materialised from git into a
temporary folder (``git archive``: its code and its bundled models under ``resources/``, no
worktree left behind, every file made read-only and no bytecode written into it) and its own
default analysis runs there in a child process with this interpreter and ``PYTHONPATH`` set to
the tree: what its ``forensic-viewer analyze IMAGE --out DIR`` (no ``--model``) assembled
through its own ``forensic_viewer.assembly.assemble_analyzer(None, device="auto",
batch_size=8, faces=True)``: every bundled checkpoint (four networks on the sliding-window
path), the first bundled ensemble and face detection; then ``Analyzer.analyze``, the call its
scan made for every file. Its user model folder points at an empty folder, so that only the
commit's own bundled models count.

The child reports the figures of ``bench_evidence``'s other children (wall and CPU seconds of
the analysis with model loading apart, peak RSS, per-model seconds and verdicts), so the
ratios are read off rows of one shape. Pure helpers (:func:`materialise`, :func:`speedups`,
:func:`plan_12mp`) are tested in ``tests/bench/test_baseline.py``.
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Literal

BASELINE_REV = os.environ.get("BENCH_BASELINE_REV", "a024bac")
# A whole 12 MP baseline run is kept to about this long (the brief: under ~25 minutes idle);
# longer, and the baseline runs on the exact path's band, scaled by area as the exact runs are.
WHOLE_BUDGET_S = 25 * 60

# The measuring half of an analysis child, the same in the baseline's child and in
# bench_evidence's, so that their rows are measured by one code: the band through the middle,
# the first analysis and the warm ones after it timed, and the figures every row has. Only
# numpy, torch, resource and time: it runs in the baseline commit's tree as in today's.
CHILD_MEASURE = r"""
import json, resource, sys, time
import numpy as np
import torch


def cut_band(ev, band):
    if band:  # that many full-width rows through the middle
        y = (ev.pixels.shape[0] - band) // 2
        ev.pixels = np.ascontiguousarray(ev.pixels[y : y + band])
        ev.height = band


def timed_analyses(an, ev, repeat):
    t1, c1 = time.perf_counter(), time.process_time()
    a = an.analyze(ev)
    wall, cpu = time.perf_counter() - t1, time.process_time() - c1
    warm = []
    for _ in range(repeat - 1):  # the same analysis again: what every later file of a scan pays
        t2, c2 = time.perf_counter(), time.process_time()
        an.analyze(ev)
        warm.append((time.perf_counter() - t2, time.process_time() - c2))
    return a, wall, cpu, warm


def figures(ev, decode, load, wall, cpu, warm):
    return {
        "size": [ev.pixels.shape[1], ev.pixels.shape[0]],
        "megapixels": round(ev.pixels.shape[0] * ev.pixels.shape[1] / 1e6, 2),
        "decode_s": round(decode, 2),
        "setup_s": round(load - decode, 2),
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "warm_wall_s": round(min(w for w, _ in warm), 2) if warm else None,
        "warm_cpu_s": round(min(c for _, c in warm), 2) if warm else None,
        "threads": torch.get_num_threads(),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
"""

# Written against the baseline commit's API (engine.io.load_evidence,
# forensic_viewer.assembly.assemble_analyzer, Analyzer.analyze), not today's.
_ANALYSE = r"""
from engine.io import load_evidence
from forensic_viewer.assembly import assemble_analyzer

path, band = sys.argv[1], int(sys.argv[2])
repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 1
t0 = time.perf_counter()
ev = load_evidence(path)
cut_band(ev, band)
decode = time.perf_counter() - t0
an = assemble_analyzer(None, device="auto", batch_size=8, faces=True)  # its `analyze`, no --model
load = time.perf_counter() - t0
a, wall, cpu, warm = timed_analyses(an, ev, repeat)
print(json.dumps({
    **figures(ev, decode, load, wall, cpu, warm),
    "device": str(an.device),
    "models": {k: {"seconds": round(r.seconds, 2), "verdict": r.verdict, "score": round(r.score, 4),
                   "window": r.input_policy.get("window"), "stride": r.input_policy.get("stride")}
               for k, r in a.results.items()},
    "ensemble": None if a.ensemble is None else {"name": a.ensemble.name,
                                                 "verdict": a.ensemble.verdict,
                                                 "score": round(a.ensemble.score, 4)},
    "faces": len(a.faces),
    "faces_checked": an.faces is not None,
    "checkpoints": [str(m.path) for m in an.models],
}))
"""
_CHILD = CHILD_MEASURE + _ANALYSE


def materialise(root: Path, rev: str, dest: Path) -> Path:
    """The tree of commit ``rev`` of the repository at ``root``, extracted into ``dest`` with
    every file read-only; returns ``dest``. Raises RuntimeError naming ``rev`` when git cannot
    produce it (unknown commit, not a repository)."""
    res = subprocess.run(
        ["git", "-C", str(root), "archive", "--format=tar", rev],
        capture_output=True,
    )
    if res.returncode != 0:
        err = res.stderr.decode(errors="replace").strip().splitlines()
        raise RuntimeError(
            f"git archive {rev} in {root} failed: {err[-1] if err else res.returncode}"
        )
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(res.stdout)) as tar:
        tar.extractall(dest, filter="data")
    for path in dest.rglob("*"):
        if path.is_file() and not path.is_symlink():
            path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return dest


def child_env(tree: Path, empty_models: Path) -> dict[str, str]:
    """The environment of a baseline child: the tree first on the path, its own bundled
    resources, an empty user model folder, no bytecode written into the tree."""
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1")
    env["FORENSIC_VIEWER_MODELS"] = str(empty_models)
    for name in ("FORENSIC_VIEWER_RESOURCES", "FORENSIC_VIEWER_RUNTIME"):
        env.pop(name, None)
    return env


def run_baseline(tree: Path, image: Path, band: int, empty_models: Path, repeat: int = 1) -> dict:
    """The baseline commit's default analysis of ``image`` (``band`` > 0: that many
    full-width rows through the middle) in a child process; its figures. ``repeat`` > 1: the
    analysis runs that many times in the child, and ``warm_wall_s`` / ``warm_cpu_s`` give the
    fastest of the later ones (the first pays first-call costs, as today's does)."""
    res = subprocess.run(
        [sys.executable, "-B", "-c", _CHILD, str(image), str(band), str(repeat)],
        capture_output=True,
        text=True,
        env=child_env(tree, empty_models),
        cwd=tree,
    )
    if res.returncode != 0:
        raise RuntimeError(f"baseline child ({tree}) failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def speedups(fast: dict, baseline: dict, scale: float = 1.0) -> dict[str, float]:
    """How many times ``fast`` is faster than ``baseline`` in wall and CPU seconds, the
    baseline's seconds multiplied by ``scale`` first (a band's run scaled to the image's
    area). Raises ValueError on a time that is not positive (a ratio would be meaningless)."""
    out = {}
    for key in ("wall_s", "cpu_s"):
        f, b = float(fast[key]), float(baseline[key]) * scale
        if not (f > 0 and b > 0):
            raise ValueError(f"{key} must be positive to form a ratio, got fast {f}, base {b}")
        out[key.removesuffix("_s")] = round(b / f, 1)
    return out


def plan_12mp(
    one_mp: dict,
    twelve_mp: float,
    choice: str = "auto",
    budget_s: float = WHOLE_BUDGET_S,
) -> Literal["whole", "band"]:
    """Whether the baseline runs on the whole 12 MP photograph or on the band.

    choice: ``whole`` or ``band`` forces it (``$BENCH_BASELINE_12MP``); ``auto`` runs it whole
    when the 1 MP run's wall time scaled by area (the sliding-window path is linear in the
    area) stays within ``budget_s``.
    """
    if choice in ("whole", "band"):
        return choice  # type: ignore[return-value]
    if choice != "auto":
        raise ValueError(f"BENCH_BASELINE_12MP must be auto, whole or band, got {choice!r}")
    estimate = float(one_mp["wall_s"]) * twelve_mp / float(one_mp["megapixels"])
    return "whole" if estimate <= budget_s else "band"
