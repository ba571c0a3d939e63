"""One evidence file the main window has opened, and what it knows of it.

:class:`Entry` is the main window's record of a file (``MainWindow.entries``, by path): its
analysis job, the evidence and analysis once they arrive, its error, whether it is running,
cancelled or released (its pixels and maps let go, ``gui/retention.py``), the complete analysis
it had while it is analysed again (``earlier``), and the classic analyses run on it. :func:`complete_analysis` tells a whole analysis from what a Cancel cut short.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from engine.analyses import AnalysisResult
from engine.types import Analysis, Evidence
from forensic_viewer.gui.unread import UnreadFile


@dataclass
class Entry:
    """One opened evidence file and what is known about it. ``classic``: the classic analyses
    run on it (the same dict as ``analysis.analyses`` once there is an analysis)."""

    path: str
    job: int | None = None
    evidence: Evidence | None = None
    analysis: Analysis | None = None
    error: str = ""
    running: bool = False
    cancelled: bool = False  # a Cancel stopped its analysis and kept nothing of it
    classic: dict[str, AnalysisResult] = field(default_factory=dict)
    unread: UnreadFile | None = None  # size, SHA-256, times of a file that did not decode
    # its pixels and maps were let go to keep memory bounded (gui/retention.py): ``evidence``
    # and ``analysis`` hold their small parts only; shown again, it is analysed again
    released: bool = False
    # a complete analysis of the same bytes, held while they are analysed again (Ctrl+R, other
    # models): put back when that run is cancelled or fails, so a Cancel never loses it;
    # counted by the retention limit, over which only its verdicts stay (_let_earlier_go)
    earlier: Analysis | None = None

    def shown(self) -> tuple[Evidence | None, Analysis | None]:
        """Its evidence and analysis whole, to show, probe or score; none while released."""
        return (None, None) if self.released else (self.evidence, self.analysis)

    def join_classic(self) -> None:
        """Keep only classic results of the evidence as decoded now, shared with the analysis."""
        sha = None if self.evidence is None else self.evidence.sha256
        kept = {k: r for k, r in self.classic.items() if r.evidence_sha256 == sha}
        if self.analysis is not None:
            self.analysis.analyses.update(kept)
            kept = self.analysis.analyses
        self.classic = kept


def worth_keeping(analysis: Analysis | None, sha256: str) -> Analysis | None:
    """``analysis`` when it is a complete analysis (not cut short by a Cancel, with a model's
    result) of the bytes whose SHA-256 is ``sha256``: what a new run of them must not lose."""
    if analysis is None or analysis.cancelled or not analysis.results:
        return None
    return analysis if analysis.evidence.sha256 == sha256 else None


def sharing_pixels(analysis: Analysis, evidence: Evidence) -> Analysis:
    """``analysis`` (of the bytes ``evidence`` was decoded from: the same SHA-256) holding
    ``evidence``'s pixels instead of its own: the same bytes decode to the same pixels, and
    the complete analysis held while they are analysed again kept a second copy of them (305
    MB at 102 MP; walk-through M). Its own facts (times found, warnings) stay."""
    pixels = evidence.pixels
    if analysis.evidence.pixels is pixels or analysis.evidence.pixels.shape != pixels.shape:
        return analysis
    shared = dataclasses.replace(analysis.evidence, pixels=pixels)
    return dataclasses.replace(analysis, evidence=shared)


def complete_analysis(analysis: Analysis | None) -> Analysis | None:
    """``analysis`` unless a Cancel cut it short (the probe then analyses the original anew)."""
    return None if analysis is None or analysis.cancelled else analysis
