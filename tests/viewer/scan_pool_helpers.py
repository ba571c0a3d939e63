"""Analyzer recipes for the worker-process scan tests.

The workers are spawned interpreters: what they build their Analyzer from must be importable
and picklable, so the planted faults live here as fields of a recipe rather than in a
monkeypatch of the test process.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.tiling import Cancelled
from forensic_viewer.scan.pool import AnalyzerRecipe

DIED = 3  # the exit code of a worker that "crashed" on die_on


@dataclass(frozen=True)
class FaultyRecipe(AnalyzerRecipe):
    """The real Analyzer of :class:`AnalyzerRecipe`, with planted faults by file name.

    raise_on: the analysis of this file raises RuntimeError (a model bug on one input).
    die_on: the process analysing this file ends at once (a crash in native code, the
        out-of-memory killer).
    delay: seconds each analysis waits first, polling cancel() (cancel tests).
    """

    raise_on: str = ""
    die_on: str = ""
    delay: float = 0.0

    def build(self) -> Any:
        return FaultyAnalyzer(super().build(), self)


class FaultyAnalyzer:
    """Wraps an Analyzer; everything but ``analyze`` is the wrapped one's."""

    def __init__(self, inner: Any, recipe: FaultyRecipe) -> None:
        self._inner = inner
        self._recipe = recipe

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def analyze(self, evidence: Any, *, progress: Any = None, cancel: Any = None) -> Any:
        name = Path(evidence.path).name
        if name == self._recipe.raise_on:
            raise RuntimeError(f"planted failure on {name}")
        if name == self._recipe.die_on:
            os._exit(DIED)
        end = time.monotonic() + self._recipe.delay
        while time.monotonic() < end:
            if cancel is not None and cancel():
                raise Cancelled("cancelled while waiting")
            time.sleep(0.01)
        return self._inner.analyze(evidence, progress=progress, cancel=cancel)
