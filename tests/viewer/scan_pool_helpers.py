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
from forensic_viewer.scan.pool_worker import AnalyzerRecipe
from forensic_viewer.scan.settings import now_text

DIED = 3  # the exit code of a worker that "crashed" on die_on
NODE_WAIT = 300.0  # seconds an analysis waits for the other nodes to log a file


@dataclass(frozen=True)
class FaultyRecipe(AnalyzerRecipe):
    """The real Analyzer of :class:`AnalyzerRecipe`, with planted faults by file name.

    raise_on: the analysis of this file raises RuntimeError (a model bug on one input).
    die_on: the process analysing this file ends at once (a crash in native code, the
        out-of-memory killer).
    delay: seconds each analysis waits first, polling cancel() (cancel tests).
    node_log: a file to which each analysis appends "<file name>\t<Ray node id>" (multi-node
        tests: which node analysed which file; the product's rows do not say).
    affinity_log: a file to which each worker appends "(build)\t<pid>\t<cores>" when it builds
        its models and each analysis "<file name>\t<pid>\t<cores>" (the cores the worker
        process may run on, comma-separated: pinning tests; the build line makes a worker that
        got no file seen too, so a test does not depend on how a loaded machine shares files).
    min_nodes: each analysis then waits (polling cancel(), at most :data:`NODE_WAIT` s) until
        ``node_log`` names this many nodes, so that an actor that came up first cannot take
        every file before the others are ready.
    hold_on: the analysis of this file waits until cancel() says stop, then raises Cancelled
        (a file in flight when the scan is stopped); it first creates the file ``held``, so
        a test knows when the file is in flight without waiting for a time.
    build_log: a file to which each worker appends the time it began building its models,
        as scan.json writes times (``now_text``).
    build_delay: seconds each worker then waits before building (models slow to load).
    """

    raise_on: str = ""
    die_on: str = ""
    delay: float = 0.0
    node_log: str = ""
    affinity_log: str = ""
    min_nodes: int = 0
    hold_on: str = ""
    held: str = ""
    build_log: str = ""
    build_delay: float = 0.0

    def build(self) -> Any:
        if self.affinity_log:  # every worker, whether or not it gets a file: after pinning
            _log_affinity(self.affinity_log, "(build)")
        if self.build_log:
            with open(self.build_log, "a", encoding="utf-8") as log:
                log.write(now_text() + "\n")
        time.sleep(self.build_delay)
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
        if self._recipe.affinity_log:
            _log_affinity(self._recipe.affinity_log, name)
        if self._recipe.node_log:
            import ray

            with open(self._recipe.node_log, "a", encoding="utf-8") as log:
                log.write(f"{name}\t{ray.get_runtime_context().get_node_id()}\n")
            _wait_for_nodes(Path(self._recipe.node_log), self._recipe.min_nodes, cancel)
        if name == self._recipe.hold_on:
            Path(self._recipe.held).touch()
            while cancel is None or not cancel():
                time.sleep(0.01)
            raise Cancelled(f"{name} held until cancelled")
        end = time.monotonic() + self._recipe.delay
        while time.monotonic() < end:
            if cancel is not None and cancel():
                raise Cancelled("cancelled while waiting")
            time.sleep(0.01)
        return self._inner.analyze(evidence, progress=progress, cancel=cancel)


def _log_affinity(path: str, name: str) -> None:
    """Append "<name>\t<pid>\t<cores>" to ``path``: the cores this process may run on."""
    cores = ",".join(str(c) for c in sorted(os.sched_getaffinity(0)))
    with open(path, "a", encoding="utf-8") as log:
        log.write(f"{name}\t{os.getpid()}\t{cores}\n")


def _wait_for_nodes(log: Path, count: int, cancel: Any) -> None:
    """Until ``log`` (lines "<file>\t<node>") names ``count`` nodes, or :data:`NODE_WAIT` s."""
    end = time.monotonic() + NODE_WAIT
    while time.monotonic() < end:
        nodes = {line.split("\t")[1] for line in log.read_text(encoding="utf-8").splitlines()}
        if len(nodes) >= count:
            return
        if cancel is not None and cancel():
            raise Cancelled("cancelled while waiting for the other nodes")
        time.sleep(0.05)
