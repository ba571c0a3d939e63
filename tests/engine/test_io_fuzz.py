"""Fuzzing the evidence decoder: every mutant of every seed is an ``Evidence`` or a one-line
``EvidenceError`` naming the file (tests/engine/fuzz_images.py makes the seeds and mutants).

The mutants decode in a child process whose address space is capped: with the byte limit
lowered to 64 MiB (which keeps each case fast), a decode that allocated far beyond its
estimate would fail there as NotEnoughMemoryError, and the test with it. The pixel limit is
the production one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from engine.bomb_guards import MAX_DECODE_BYTES_ENV
from engine.errors import EvidenceError
from tests.conftest import HANG_S
from tests.engine import fuzz_images

REPO = Path(__file__).resolve().parents[2]


def _fuzz(cases: int, seed: int, timeout: float) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OPENBLAS_NUM_THREADS": "1"}
    env.pop(MAX_DECODE_BYTES_ENV, None)
    args = ["--cases", str(cases), "--seed", str(seed), "--max-bytes", str(64 << 20)]
    args += ["--address-space", str(512 << 20)]
    proc = subprocess.run(
        [sys.executable, "-m", "tests.engine.fuzz_images", *args],
        cwd=REPO,
        env=env,
        capture_output=True,  # libtiff and libjpeg print their complaints to stderr
        text=True,
        timeout=timeout,
    )
    assert proc.stdout.strip(), f"fuzz worker died (exit {proc.returncode}): {proc.stderr[-3000:]}"
    summary: dict[str, Any] = json.loads(proc.stdout)
    print(json.dumps({k: v for k, v in summary.items() if k != "problems"}))
    return summary


def _check(summary: dict[str, Any], cases: int) -> None:
    problems = summary["problems"]
    assert not problems, f"{len(problems)} problems: {json.dumps(problems[:15], indent=1)}"
    outcomes = summary["outcomes"]
    assert sum(outcomes.values()) == cases
    assert not any(k.startswith("UNCAUGHT") for k in outcomes)
    assert "NotEnoughMemoryError" not in outcomes  # no decode outgrew its estimate
    # The mutants reach the decoders: some still decode, most are refused as damaged.
    assert outcomes.get("Evidence", 0) > cases // 20
    assert outcomes.get("CorruptImageError", 0) > cases // 4


def test_fuzz_every_outcome_is_evidence_or_a_clear_error() -> None:
    _check(_fuzz(1000, seed=16, timeout=HANG_S), 1000)


@pytest.mark.slow
def test_fuzz_many_mutants() -> None:
    _check(_fuzz(20000, seed=1, timeout=6 * HANG_S), 20000)


# --- the harness itself can fail --------------------------------------------------------------


def test_harness_reports_uncaught_exceptions_and_bad_messages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = tmp_path / "x.png"
    p.write_bytes(b"")

    def crash(*args: object, **kw: object) -> None:
        raise TypeError("Missing dimensions")

    monkeypatch.setattr(fuzz_images, "load_evidence", crash)
    outcome, problem = fuzz_images.check_outcome(p, 100, 100)
    assert outcome == "UNCAUGHT TypeError" and problem and "Missing dimensions" in problem

    for reason in ("damaged PNG data (chunk b'IDAT' is truncated)", "two\x00lines"):

        def refuse(*args: object, _reason: str = reason, **kw: object) -> None:
            raise EvidenceError(p, _reason)

        monkeypatch.setattr(fuzz_images, "load_evidence", refuse)
        outcome, problem = fuzz_images.check_outcome(p, 100, 100)
        assert outcome == "EvidenceError" and problem is not None


def test_mutations_are_reproducible() -> None:
    import random

    seeds = fuzz_images.make_seeds()
    first = [fuzz_images.mutate(random.Random(9), n, seeds[n]) for n in sorted(seeds)]
    again = [fuzz_images.mutate(random.Random(9), n, seeds[n]) for n in sorted(seeds)]
    assert first == again and any(
        m != seeds[n] for (m, _), n in zip(first, sorted(seeds), strict=True)
    )
