"""``make bench``: run every ``bench/bench_*.py`` module, print its figures, write results.json.

Each module exposes ``run() -> dict`` returning JSON-safe figures (it prints its own table as
it goes). Benchmarks hold the speed and memory targets; tests never time anything.
Run one with ``python -m bench NAME`` (e.g. ``python -m bench tiling``).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import platform
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    names = sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("bench_"))
    if argv:
        wanted = {a if a.startswith("bench_") else f"bench_{a}" for a in argv}
        unknown = wanted - set(names)
        if unknown:
            print(f"unknown benchmark(s) {sorted(unknown)}; choose from {names}", file=sys.stderr)
            return 2
        names = [n for n in names if n in wanted]
    out_path = HERE / "results.json"
    results: dict = json.loads(out_path.read_text()) if out_path.exists() and argv else {}
    results["machine"] = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "cuda": torch.cuda.is_available(),
        "processor": platform.processor() or platform.machine(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    for name in names:
        print(f"\n== {name} ==", flush=True)
        module = importlib.import_module(f"bench.{name}")
        t0 = time.perf_counter()
        results[name.removeprefix("bench_")] = module.run()
        print(f"({name} took {time.perf_counter() - t0:.1f} s)", flush=True)
    out_path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
