"""The orientation row of reports and of the metadata panel says what the file holds: a file
without an EXIF orientation tag, or with one that is no orientation, is not reported as
'EXIF orientation 1' (it was, the evidence's orientation being 1 in all three cases)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from engine.io import load_evidence
from forensic_viewer.report.evidence_text import evidence_rows
from forensic_viewer.report.model import ReportItem


def _orientation_row(path: Path) -> str:
    e = load_evidence(path)
    ev = {
        "format": e.format,
        "orientation": e.orientation,
        "orientation_applied": e.orientation_applied,
        "metadata": e.metadata,
    }
    item = ReportItem(path.name, None, "ok", None, None, ev, models=[])
    return dict(evidence_rows(item))["Orientation"]


def _jpeg(path: Path, tag: int | None) -> Path:
    exif = Image.Exif()
    if tag is not None:
        exif[0x0112] = tag
    pixels = np.random.default_rng(3).integers(0, 256, (40, 60, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, exif=exif.tobytes())
    return path


def test_the_orientation_row_tells_a_missing_or_invalid_tag_from_orientation_1(
    tmp_path: Path,
) -> None:
    png = tmp_path / "plain.png"
    Image.new("RGB", (30, 20)).save(png)
    assert _orientation_row(png) == "no EXIF orientation tag read: pixels as stored"
    assert _orientation_row(_jpeg(tmp_path / "none.jpg", None)).startswith("no EXIF orientation")
    invalid = _orientation_row(_jpeg(tmp_path / "nine.jpg", 9))
    assert invalid == "EXIF orientation tag 9: not an orientation (1-8), pixels as stored"
    assert (
        _orientation_row(_jpeg(tmp_path / "one.jpg", 1)) == "EXIF orientation 1: nothing to apply"
    )
    assert _orientation_row(_jpeg(tmp_path / "six.jpg", 6)).startswith(
        "EXIF orientation 6: applied"
    )


def test_the_metadata_panel_says_the_same(qtbot, tmp_path: Path) -> None:
    from forensic_viewer.gui.metadata_panel import MetadataPanel

    panel = MetadataPanel()
    qtbot.addWidget(panel)
    path = _jpeg(tmp_path / "none.jpg", None)
    panel.set_evidence(load_evidence(path))
    top = panel.topLevelItem(0)
    rows = {top.child(i).text(0): top.child(i).text(1) for i in range(top.childCount())}
    assert rows["orientation"] == _orientation_row(path)
