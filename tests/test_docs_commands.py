"""Commands and files as README.md and docs/*.md describe them (a docs-as-written walk-through,
2026-12-06, copied commands and got usage errors, and read a field that was not what it said).

- ``--report`` takes its formats (``--report html,pdf,json``): a quoted command that ends at
  ``--report`` (README's `scan --report`) reads like a flag and stops with "argument --report:
  expected one argument". The option named alone (`--report`) is a name, not a command.
- probe.json's ``maps_size`` is words, not a size: PROBE.md quotes them as the program writes
  them (it said "the grid the maps are on", and a reader looked for a width and height).
"""

from __future__ import annotations

import re
from pathlib import Path

from forensic_viewer.scan.probe import MAPS_SIZE

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SPAN = re.compile(r"`([^`\n]*\S\s+--report\b[^`\n]*)`")  # a command with --report in it


def test_every_quoted_command_gives_report_its_formats() -> None:
    bare = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for m in SPAN.finditer(text):
            after = m.group(1).split("--report", 1)[1]
            if not re.match(r"[ =][^\s-]", after):
                bare.append(f"{doc.name}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}")
    assert bare == []


def test_probe_md_quotes_what_maps_size_holds() -> None:
    probe = " ".join((ROOT / "docs" / "PROBE.md").read_text(encoding="utf-8").split())
    assert (
        f'`maps_size`, the grid the maps are on in words, not a size: the string "{MAPS_SIZE}"'
        in probe
    )
