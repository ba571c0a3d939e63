"""Which of a classic analysis's several extra maps its layer's chooser starts on.

The JPEG ghost's layer holds one map per quality (50 to 95); the analysis reports the quality
of the earlier save it found (``extras["ghost_quality"]``, q*, the quality its finding names).
That quality's map is the one to look at first, not the first quality's (q50, where a ghost
at q70 does not show). Apart from the layers (``classic_layers.py``) so that it stays one
table and one function.
"""

from __future__ import annotations

from typing import NamedTuple

from engine.analyses import AnalysisResult


class FoundMap(NamedTuple):
    """Where an analysis's extras point among its extra maps."""

    extra: str  # the key in the result's extras naming what the analysis found
    map_name: str  # the name of the map of that finding, ``{}`` standing for the value
    words: str  # what the layer's row says beside that map's name


FOUND_MAPS: dict[str, FoundMap] = {
    "jpeg-ghost": FoundMap("ghost_quality", "ghost-q{}", "the earlier save's quality"),
}


def found_map(result: AnalysisResult) -> tuple[int, str] | None:
    """The index among ``result.layers`` of the map at what the analysis found, and the words
    its layer's row says beside it; None when the analysis names none (no ghost found) or no
    map holds it (the chooser then starts on the first)."""
    rule = FOUND_MAPS.get(result.analysis)
    value = None if rule is None else result.extras.get(rule.extra)
    if rule is None or value is None:
        return None
    names = [m.name for m in result.layers]
    name = rule.map_name.format(value)
    return (names.index(name), rule.words) if name in names else None
