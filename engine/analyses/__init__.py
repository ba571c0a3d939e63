"""Classic forensic analyses (no networks): ELA, noise, JPEG history, copy-move, metadata.

Importing this package registers every analysis module in it (every module not starting with
an underscore, except ``base``), as ``engine.models`` does for architectures. Use
:func:`run_analysis` or :func:`create_analysis`; :func:`list_analyses` names the choices.
"""

from __future__ import annotations

import importlib
import pkgutil

from engine.analyses.base import (
    ALL,
    AnalysisMap,
    AnalysisResult,
    AnalysisSpec,
    ClonePair,
    ConfiguredAnalysis,
    Finding,
    Level,
    MapMeaning,
    MapScale,
    Output,
    Overrides,
    Provenance,
    analysis_settings,
    create_analysis,
    get_analysis_spec,
    list_analyses,
    parse_analyses,
    parse_overrides,
    register_analysis,
    run_analyses,
    run_analysis,
)

for _info in pkgutil.iter_modules(__path__):
    if _info.name != "base" and not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")

__all__ = [
    "ALL",
    "AnalysisMap",
    "AnalysisResult",
    "AnalysisSpec",
    "ClonePair",
    "ConfiguredAnalysis",
    "Finding",
    "Level",
    "MapMeaning",
    "MapScale",
    "Output",
    "Overrides",
    "Provenance",
    "analysis_settings",
    "create_analysis",
    "get_analysis_spec",
    "list_analyses",
    "parse_analyses",
    "parse_overrides",
    "register_analysis",
    "run_analyses",
    "run_analysis",
]
