"""How much of the files an analyst has opened the main window keeps at full resolution.

A file's decoded pixels and its maps (each model's heatmap and mask, the ensemble's, the face
maps, a partial map, the classic analyses' maps and pictures) take about 8 bytes a pixel for
one model: 16 MB for a 2 MP photograph, 200 MB for a 24 MP one. The window kept them for every
file it had analysed, so opening a folder of a few hundred photographs and walking through it
grew without bound (measured: 379 MB held after 200 files of 0.25 MP, 14 MB a 2 MP file;
tracemalloc). :class:`Retention`
keeps the files' full-resolution data within :data:`KEEP_BYTES`, most recently shown or
finished first; a file beyond it is *released* (:func:`compact_analysis`): what is small stays
(verdicts, scores, thresholds, faces, SHA-256 and metadata), so its badge, its SHA-256 and the
case log's entries are unchanged; its pixels and maps go. Shown again, it is decoded and
analysed again from its file (the window's ``show_entry``): the evidence is never copied to a
temporary file, and what is shown is what the file holds now; a file opened from a scan's results
is read again from the scan's folder with its recorded result, not analysed again. A file whose analysis a Cancel
stopped before anything of it finished is decoded only, and shown still cancelled.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import numpy as np

from engine.types import Analysis, Evidence, ModelResult

# Full-resolution data the window keeps for files other than the one shown and those being
# analysed (the decoder bounds those: workers.DECODE_AHEAD_PIXELS): about 30 photographs of
# 2 MP analysed by two models, two of 24 MP.
KEEP_BYTES = 768 * 2**20


def held_bytes(*objects: object) -> int:
    """The bytes of the numpy arrays reachable from ``objects`` through dataclass fields,
    dicts, lists and tuples, each array counted once."""
    seen: set[int] = set()
    total = 0
    stack: list[Any] = list(objects)
    while stack:
        obj = stack.pop()
        if obj is None or isinstance(obj, (str, bytes, int, float, bool)) or id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):
            total += obj.nbytes
        elif isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple)):
            stack.extend(obj)
        elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            stack.extend(getattr(obj, f.name, None) for f in dataclasses.fields(obj))
    return total


def compact_evidence(evidence: Evidence) -> Evidence:
    """``evidence`` without its pixels (an empty [0, 0, 3] array): its facts, SHA-256 and
    metadata stay."""
    return dataclasses.replace(evidence, pixels=np.zeros((0, 0, 3), np.uint8))


def _compact_result(result: ModelResult | None) -> ModelResult | None:
    return None if result is None else dataclasses.replace(result, heatmap=None, mask=None)


def compact_analysis(analysis: Analysis) -> Analysis:
    """``analysis`` without anything at full resolution: each model's and the ensemble's
    verdict, score and thresholds, the faces and the timing stay; heatmaps, masks, face maps,
    partial maps and the classic analyses (maps and pictures) go. Of its own class (a scan's
    result stays one)."""
    return dataclasses.replace(
        analysis,
        evidence=compact_evidence(analysis.evidence),
        results={k: _compact_result(r) for k, r in analysis.results.items()},  # type: ignore[misc]
        ensemble=_compact_result(analysis.ensemble),
        analyses={},
        face_maps={},
        partial={},
    )


class Retention:
    """The files (by path) whose full-resolution data the window holds, least recently
    touched first, with the bytes each holds; :meth:`over` names those to release."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = KEEP_BYTES if limit is None else limit
        self._held: OrderedDict[str, int] = OrderedDict()

    def touch(self, path: str, nbytes: int) -> None:
        """``path`` was shown or finished, holding ``nbytes``: it is the last to go."""
        self._held.pop(path, None)
        if nbytes:
            self._held[path] = nbytes

    def forget(self, path: str) -> None:
        self._held.pop(path, None)

    @property
    def held(self) -> int:
        return sum(self._held.values())

    def over(self, keep: Iterable[str]) -> list[str]:
        """The paths to release, oldest first, so that what stays is within the limit; the
        ``keep`` paths (the file shown, those being analysed) are never among them and count
        towards it."""
        keep = set(keep)
        total = self.held
        out: list[str] = []
        for path, nbytes in self._held.items():
            if total <= self.limit:
                break
            if path not in keep:
                out.append(path)
                total -= nbytes
        for path in out:
            del self._held[path]
        return out
