"""Every dotted name of the project's packages quoted in README.md and docs/*.md exists.

A doc that names a function or constant sends the reader there; a name left behind by a move
(``forensic_viewer.report.text.LIMITATIONS_FIXED`` after the limitations moved to
``report/limitations.py``) sends them nowhere. Names that describe another tree on purpose
are listed in HISTORICAL with the reason.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NAME = re.compile(r"`((?:engine|trainer|forensic_viewer)(?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
HISTORICAL = {
    # the baseline commit's own tree, which bench/baseline.py runs (docs/BENCHMARKS.md says so)
    ("BENCHMARKS.md", "forensic_viewer.assembly.assemble_analyzer"),
}


def _resolves(dotted: str) -> bool:
    """Whether ``dotted`` is a module, or an attribute path inside the longest importable one."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def test_every_dotted_name_in_the_docs_exists() -> None:
    quoted = {
        (doc.name, m.group(1))
        for doc in DOCS
        for m in NAME.finditer(doc.read_text(encoding="utf-8"))
    }
    assert len(quoted) > 50  # the pattern still finds the docs' names
    missing = sorted(q for q in quoted - HISTORICAL if not _resolves(q[1]))
    assert not missing, f"names the docs quote that do not exist: {missing}"
