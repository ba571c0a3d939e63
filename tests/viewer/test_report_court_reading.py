"""What a court-reader's walk-through of the reports (2026-12-06) found: flagged verdicts never
highlighted, words broken mid-letter in the ground-truth summary, a probe report silent on its
first page, figures that do not name their evidence, a Faces table without its header on the
next page, a clone caption for a drawing not there, and a face's probability shown as the
image's without a word."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import numpy as np
from pypdf import PdfReader

from forensic_viewer.report import write_report
from forensic_viewer.report.model import ModelEntry, ReportItem

FLAG = {"score": 0.91, "verdict": "manipulated", "forged_fraction": 0.2, "threshold": 0.5}
CLEAR = {"score": 0.12, "verdict": "authentic", "forged_fraction": 0.0, "threshold": 0.5}


def _item(key: str = "ev.jpg", faces: list[dict] | None = None) -> ReportItem:
    """A file built by hand: the default verdict flagged (p 0.91), its member not flagged."""
    ens = ModelEntry("ens", "ensemble", "ran", figures={**FLAG, "probability": 0.91})
    member = ModelEntry("m", "model", "ran", figures={**CLEAR, "probability": 0.12})
    return ReportItem(
        key=key, file=None, status="ok", error=None, sha256="ab12cd34" + "0" * 56,
        evidence={"width": 48, "height": 40}, models=[member], ensemble=ens,
        pixels=np.full((40, 48, 3), 128, np.uint8), faces=faces or [],
        faces_checked=faces is not None,
    )  # fmt: skip


def test_a_flagged_verdict_cell_is_highlighted_and_a_clear_one_not(tmp_path: Path) -> None:
    """The cells read "flagged as manipulated, p 0.91" since the wording changed, while the
    PDF and HTML highlighted cells starting "manipulated": no flagged cell was ever pink."""
    paths = write_report([_item()], tmp_path / "r", ["html", "pdf"])
    html = unescape(paths["html"].read_text(encoding="utf-8"))
    marked = re.findall(r'<td class="manipulated">([^<]*)</td>', html)
    assert len(marked) == 1 and marked[0].startswith("flagged as manipulated"), marked
    first = PdfReader(paths["pdf"]).pages[0].get_contents().get_data().decode("latin-1")
    pink = re.findall(r"1 \.878431 \.878431 rg", first)  # #ffe0e0, the flagged cell's fill
    assert len(pink) == 1, first[:2000]
