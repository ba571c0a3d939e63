"""Evidence-size analysis (issue 18): the default analysis, exact path against fast path.

The default analysis is what ``forensic-viewer analyze`` runs with no ``--model``: every bundled
checkpoint, the bundled ensemble and face detection. It runs on a 1 MP and a 12 MP camera
photograph (``$FORENSIC_VIEWER_PHOTOS``, else ``../shared/data/camera-photos``), each run in a
child process so that its peak RSS is its own. Figures per run: wall and CPU seconds (all
threads) of the analysis, the seconds to load the models and prepare their runtimes (once per
process: the viewer and a scan pay it once), per-model seconds, peak RSS, and against the
exact run on the same pixels: mean and largest absolute heatmap difference, mask pixels that
differ, verdicts that differ.

Runs, in this order (fast and exact alternate, so load from other jobs hits both):
- 1 MP: fast with an empty runtime cache (OpenVINO conversion included: the first analysis on
  a machine; left out when ``$FORENSIC_VIEWER_CACHE`` names a filled cache), exact, exact with
  the issue's default set (:data:`ISSUE_SET`), fast on PyTorch (the tiling lever alone), fast
  (warm cache).
- 12 MP: fast; exact on a band of ``BAND_ROWS`` full-width rows through the middle (the exact
  path's time is linear in the area, so the full image's is scaled from the band: a full exact
  run takes over an hour on this machine), the same band with the issue's set, and fast on the
  same band for the heatmap check.
- The baseline (:mod:`bench.baseline`): the default analysis of the commit issue 18 was filed
  against (``a024bac``, ``$BENCH_BASELINE_REV``), its own code and bundled models run from a
  temporary copy of its tree, on the 1 MP photograph whole and on the 12 MP one whole when the
  1 MP run scaled by area stays under ``baseline.WHOLE_BUDGET_S`` (else on the band, scaled by
  area as the exact runs are; ``$BENCH_BASELINE_12MP`` = whole | band forces either; the
  output says which). Its ratio to today's fast run answers the issue's "10x faster than
  today in the same run"; the accuracy checks stay against today's exact path.
- Then :data:`ROUNDS_1MP` rounds on the 1 MP photograph, the baseline and today alternating,
  each child analysing it twice (first analysis after loading, and warm: what each later file
  of a scan pays); the medians of the per-round ratios (:func:`one_mp_rounds`).
Targets: 12 MP <= 60 s, 1 MP <= 5 s wall (2-core CPU), >= 10x "today" (the issue's default
set on today's exact path, and the baseline commit's own default analysis), <= 4 GB RSS.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from bench import baseline

ROOT = Path(__file__).resolve().parents[1]
ONE_MP = "FujiFilm_FinePix2650.jpg"  # 1280 x 960
TWELVE_MP = "Nikon_D90.jpg"  # 4288 x 2848
BAND_ROWS = 512
# Alternating rounds of the baseline and today on the 1 MP photograph (one_mp_rounds).
ROUNDS_1MP = int(os.environ.get("BENCH_ROUNDS_1MP", "3"))
# The default set when issue 18 was filed ("at least 10x faster than today in the same run"):
# every bundled network on the exact path (the default has since dropped the two Mask2Former
# models, at chance on validation; issue 17). Run beside the current default's exact path.
ISSUE_SET = ("crfd-net-compact", "diffforensics-effl0", "m2f-effl0", "m2f-swin-nano")

_ANALYSE = r"""
from engine.io import load_evidence
from engine.assembly import assemble_analyzer

path, exact, runtime, band, out = sys.argv[1], sys.argv[2] == "1", sys.argv[3], int(sys.argv[4]), sys.argv[5]
specs = [s for s in sys.argv[6].split(",") if s] if len(sys.argv) > 6 else None
specs = specs or None
repeat = int(sys.argv[7]) if len(sys.argv) > 7 else 1
t0, c0 = time.perf_counter(), time.process_time()
ev = load_evidence(path)
cut_band(ev, band)
decode = time.perf_counter() - t0
an = assemble_analyzer(specs, device="cpu")
an.exact, an.runtime = exact, runtime
an.prepare()  # runtimes read from the cache and compiled: once per process, as in the viewer
load = time.perf_counter() - t0
a, wall, cpu, warm = timed_analyses(an, ev, repeat)
maps = {k: r.heatmap for k, r in a.results.items()}
if a.ensemble is not None:
    maps["ensemble"] = a.ensemble.heatmap
np.savez_compressed(out, **maps)
print(json.dumps({
    **figures(ev, decode, load, wall, cpu, warm),
    "models": {k: {"seconds": round(r.seconds, 2), "verdict": r.verdict, "score": round(r.score, 4),
                   "tiling": r.input_policy.get("tiling"), "runtime": r.input_policy.get("runtime"),
                   "precision": r.precision}
               for k, r in a.results.items()},
    "ensemble": None if a.ensemble is None else {"verdict": a.ensemble.verdict,
                                                 "score": round(a.ensemble.score, 4)},
    "faces": len(a.faces),
}))
"""
_CHILD = baseline.CHILD_MEASURE + _ANALYSE


def photos_dir() -> Path | None:
    env = os.environ.get("FORENSIC_VIEWER_PHOTOS")
    for p in (
        [env]
        if env
        else [
            ROOT.parent / "shared/data/camera-photos",
            ROOT.parents[1] / "shared/data/camera-photos",
        ]
    ):
        if p and Path(p).is_dir():
            return Path(p)
    return None


def run_child(
    path: Path,
    *,
    exact: bool,
    runtime: str,
    band: int,
    cache: str,
    tmp: Path,
    specs: tuple[str, ...] = (),
    repeat: int = 1,
) -> dict:
    tag = "-issue" if specs else ""
    out = tmp / f"{path.stem}-{'exact' if exact else 'fast'}-{runtime}-{band}{tag}.npz"
    env = dict(os.environ, FORENSIC_VIEWER_CACHE=cache, PYTHONPATH=str(ROOT))
    env.pop("FORENSIC_VIEWER_RUNTIME", None)
    res = subprocess.run(
        [
            sys.executable,
            "-c",
            _CHILD,
            str(path),
            "1" if exact else "0",
            runtime,
            str(band),
            str(out),
            ",".join(specs),
            str(repeat),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    if res.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{res.stderr[-3000:]}")
    row = json.loads(res.stdout.strip().splitlines()[-1])
    row["maps"] = str(out)
    label = f"{'exact' if exact else 'fast/' + runtime}{' band ' + str(band) if band else ''}"
    label += " (issue's set)" if specs else ""
    print(
        f"{path.name:<26} {label:<22} {row['megapixels']:5.2f} MP  wall {row['wall_s']:7.1f} s  "
        f"cpu {row['cpu_s']:7.1f} s  rss {row['peak_rss_mb']:6.0f} MB  "
        + " ".join(f"{k}={v['seconds']:.1f}" for k, v in row["models"].items()),
        flush=True,
    )
    return row


def compare(fast: dict, exact: dict) -> dict:
    """Heatmap and verdict differences of a fast run against the exact run on the same pixels."""
    a, b = np.load(fast["maps"]), np.load(exact["maps"])
    out = {}
    for k in b.files:
        d = np.abs(a[k].astype(np.float64) - b[k])
        thr = 0.35 if k == "ensemble" else None
        verdict_same = (
            fast["ensemble"]["verdict"] == exact["ensemble"]["verdict"]
            if k == "ensemble"
            else fast["models"][k]["verdict"] == exact["models"][k]["verdict"]
        )
        row = {
            "mad": round(float(d.mean()), 4),
            "max_abs": round(float(d.max()), 3),
            "same_verdict": verdict_same,
        }
        if thr is not None:
            row["mask_differs"] = round(float(((a[k] > thr) != (b[k] > thr)).mean()), 4)
        out[k] = row
    return out


def run() -> dict:
    photos = photos_dir()
    if photos is None:
        print("camera photographs not found (set FORENSIC_VIEWER_PHOTOS); skipped")
        return {"skipped": "no camera-photos folder"}
    one, twelve = photos / ONE_MP, photos / TWELVE_MP
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        # $FORENSIC_VIEWER_CACHE: a runtime cache that is already filled (no first-run figure).
        given = os.environ.get("FORENSIC_VIEWER_CACHE")
        cold = warm = given or str(tmp / "cache")
        r = {}
        if not given:
            r["1mp_fast_cold"] = run_child(
                one, exact=False, runtime="auto", band=0, cache=cold, tmp=tmp
            )
        r["1mp_exact"] = run_child(one, exact=True, runtime="torch", band=0, cache=warm, tmp=tmp)
        r["1mp_issue_exact"] = run_child(
            one, exact=True, runtime="torch", band=0, cache=warm, tmp=tmp, specs=ISSUE_SET
        )
        r["1mp_fast_torch"] = run_child(
            one, exact=False, runtime="torch", band=0, cache=warm, tmp=tmp
        )
        r["1mp_fast"] = run_child(one, exact=False, runtime="auto", band=0, cache=warm, tmp=tmp)
        r["12mp_fast"] = run_child(twelve, exact=False, runtime="auto", band=0, cache=warm, tmp=tmp)
        r["12mp_band_exact"] = run_child(
            twelve, exact=True, runtime="torch", band=BAND_ROWS, cache=warm, tmp=tmp
        )
        r["12mp_band_issue_exact"] = run_child(
            twelve,
            exact=True,
            runtime="torch",
            band=BAND_ROWS,
            cache=warm,
            tmp=tmp,
            specs=ISSUE_SET,
        )
        r["12mp_band_fast"] = run_child(
            twelve, exact=False, runtime="auto", band=BAND_ROWS, cache=warm, tmp=tmp
        )
        base = run_baselines(one, twelve, r["1mp_fast"], r["12mp_fast"], tmp)
        rounds = one_mp_rounds(one, tmp, cache=warm)
        checks = {
            "1mp_fast_vs_exact": compare(r["1mp_fast"], r["1mp_exact"]),
            "1mp_fast_torch_vs_exact": compare(r["1mp_fast_torch"], r["1mp_exact"]),
            "12mp_band_fast_vs_exact": compare(r["12mp_band_fast"], r["12mp_band_exact"]),
        }
        for v in r.values():
            v.pop("maps")
    scale = r["12mp_fast"]["megapixels"] / r["12mp_band_exact"]["megapixels"]
    est_exact = {k: round(r["12mp_band_exact"][k] * scale, 1) for k in ("wall_s", "cpu_s")}
    est_issue = {k: round(r["12mp_band_issue_exact"][k] * scale, 1) for k in ("wall_s", "cpu_s")}
    summary = {
        "1mp": {
            "fast_wall_s": r["1mp_fast"]["wall_s"],
            "fast_cpu_s": r["1mp_fast"]["cpu_s"],
            "exact_wall_s": r["1mp_exact"]["wall_s"],
            "exact_cpu_s": r["1mp_exact"]["cpu_s"],
            "speedup_cpu": round(r["1mp_exact"]["cpu_s"] / r["1mp_fast"]["cpu_s"], 1),
            "speedup_wall": round(r["1mp_exact"]["wall_s"] / r["1mp_fast"]["wall_s"], 1),
            "speedup_cpu_tiling_only": round(
                r["1mp_exact"]["cpu_s"] / r["1mp_fast_torch"]["cpu_s"], 1
            ),
            "issue_set_exact_wall_s": r["1mp_issue_exact"]["wall_s"],
            "speedup_wall_vs_issue_set": round(
                r["1mp_issue_exact"]["wall_s"] / r["1mp_fast"]["wall_s"], 1
            ),
            "first_run_extra_s": None
            if "1mp_fast_cold" not in r
            else round(
                r["1mp_fast_cold"]["setup_s"]
                + r["1mp_fast_cold"]["wall_s"]
                - r["1mp_fast"]["setup_s"]
                - r["1mp_fast"]["wall_s"],
                1,
            ),
        },
        "12mp": {
            "fast_wall_s": r["12mp_fast"]["wall_s"],
            "fast_cpu_s": r["12mp_fast"]["cpu_s"],
            "fast_peak_rss_mb": r["12mp_fast"]["peak_rss_mb"],
            "exact_estimated_wall_s": est_exact["wall_s"],
            "exact_estimated_cpu_s": est_exact["cpu_s"],
            "speedup_cpu": round(est_exact["cpu_s"] / r["12mp_fast"]["cpu_s"], 1),
            "issue_set_exact_estimated_wall_s": est_issue["wall_s"],
            "speedup_wall_vs_issue_set": round(est_issue["wall_s"] / r["12mp_fast"]["wall_s"], 1),
            "band_speedup_cpu": round(
                r["12mp_band_exact"]["cpu_s"] / r["12mp_band_fast"]["cpu_s"], 1
            ),
        },
    }
    for size in ("1mp", "12mp"):
        summary[size]["baseline"] = base[size]
    summary["1mp"]["rounds"] = rounds["medians"]
    print(json.dumps(summary, indent=1))
    print(json.dumps(checks, indent=1))
    return {
        "runs": r,
        "summary": summary,
        "checks": checks,
        "baseline_runs": base["runs"],
        "1mp_rounds": rounds["rounds"],
    }


def one_mp_rounds(one: Path, tmp: Path, *, cache: str, rounds: int = ROUNDS_1MP) -> dict:
    """The 1 MP photograph, the baseline commit and today alternating ``rounds`` times, each
    child analysing it twice: the first analysis after loading (what one photograph costs)
    and the second (what every later file of a scan costs). The baseline's 1 MP time swings
    by 2x between minutes on this machine (docs/BENCHMARKS.md), so the ratios are formed
    within a round and their medians reported."""
    rev = baseline.BASELINE_REV
    tree = tmp / f"baseline-{rev}"
    if not tree.exists():
        baseline.materialise(ROOT, rev, tree)
    empty = tmp / "baseline-user-models"
    empty.mkdir(exist_ok=True)
    rows = []
    for i in range(rounds):
        b = baseline.run_baseline(tree, one, 0, empty, repeat=2)
        f = run_child(one, exact=False, runtime="auto", band=0, cache=cache, tmp=tmp, repeat=2)
        row = {
            "baseline": {k: b[k] for k in ("wall_s", "cpu_s", "warm_wall_s", "warm_cpu_s")},
            "today": {k: f[k] for k in ("wall_s", "cpu_s", "warm_wall_s", "warm_cpu_s")},
            "first": baseline.speedups(f, b),
            "warm": baseline.speedups(_warm(f), _warm(b)),
            "load_average": round(os.getloadavg()[0], 2),
        }
        rows.append(row)
        print(
            f"1mp round {i + 1}: {rev} {b['wall_s']} s first, {b['warm_wall_s']} s warm; today "
            f"{f['wall_s']} s, {f['warm_wall_s']} s: x{row['first']['wall']} first, "
            f"x{row['warm']['wall']} warm (wall), load {row['load_average']}",
            flush=True,
        )
    medians = {
        f"{when}_{key}": round(statistics.median(r[when][key] for r in rows), 1)
        for when in ("first", "warm")
        for key in ("wall", "cpu")
    }
    return {"rounds": rows, "medians": medians}


def _warm(row: dict) -> dict:
    return {"wall_s": row["warm_wall_s"], "cpu_s": row["warm_cpu_s"]}


def run_baselines(one: Path, twelve: Path, fast_1mp: dict, fast_12mp: dict, tmp: Path) -> dict:
    """The baseline commit's default analysis on both photographs, and today's fast run's
    speed-up over it (wall and CPU); see :mod:`bench.baseline`."""
    rev = baseline.BASELINE_REV
    tree = baseline.materialise(ROOT, rev, tmp / f"baseline-{rev}")
    empty = tmp / "baseline-user-models"
    empty.mkdir()
    runs = {"1mp": baseline.run_baseline(tree, one, 0, empty)}
    plan = baseline.plan_12mp(
        runs["1mp"], fast_12mp["megapixels"], os.environ.get("BENCH_BASELINE_12MP", "auto")
    )
    runs["12mp"] = baseline.run_baseline(tree, twelve, 0 if plan == "whole" else BAND_ROWS, empty)
    out: dict = {"rev": rev, "runs": runs}
    for size, fast in (("1mp", fast_1mp), ("12mp", fast_12mp)):
        row = runs[size]
        scale = fast["megapixels"] / row["megapixels"]
        how = "whole" if size == "1mp" or plan == "whole" else f"band of {BAND_ROWS} rows, scaled"
        out[size] = {
            "rev": rev,
            "run": how,
            "wall_s": round(row["wall_s"] * scale, 1),
            "cpu_s": round(row["cpu_s"] * scale, 1),
            "peak_rss_mb": row["peak_rss_mb"],
            "speedup_vs_baseline": baseline.speedups(fast, row, scale),
        }
        print(
            f"{size} baseline {rev} ({how}): wall {out[size]['wall_s']} s, cpu "
            f"{out[size]['cpu_s']} s, rss {row['peak_rss_mb']:.0f} MB, "
            + " ".join(f"{k}={v['seconds']:.1f}" for k, v in row["models"].items())
            + f"; today's fast path x{out[size]['speedup_vs_baseline']['wall']} wall, "
            f"x{out[size]['speedup_vs_baseline']['cpu']} CPU (target x10)",
            flush=True,
        )
    return out
