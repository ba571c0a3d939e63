"""How a HEIF photograph's orientation reads on screen and in reports (engine/heif.py): its
decoder turned it by the file's own boxes, so nothing is left to apply while its EXIF tag may
say 6."""

from __future__ import annotations

from pathlib import Path

from engine.io import load_evidence


def test_the_panel_and_the_report_say_how_a_heif_was_turned(qtbot) -> None:
    """Its orientation is 1 (nothing left to apply) while its EXIF tag says 6: the orientation
    row says who turned it and keeps the tag, on screen and on paper alike."""
    from forensic_viewer.gui.metadata_panel import MetadataPanel
    from forensic_viewer.report.evidence_text import evidence_rows
    from forensic_viewer.report.model import ReportItem

    e = load_evidence(Path(__file__).resolve().parents[1] / "data" / "heif" / "rotated.heic")
    words = "turned by the HEIF decoder from the file's own rotation boxes; EXIF tag 6 kept"
    panel = MetadataPanel()
    qtbot.addWidget(panel)
    panel.set_evidence(e)
    shown = [panel.topLevelItem(0).child(i) for i in range(panel.topLevelItem(0).childCount())]
    assert any(c.text(0) == "orientation" and c.text(1).startswith(words) for c in shown)
    ev = {"format": "HEIF", "orientation": 1, "orientation_applied": False, "metadata": e.metadata}
    item = ReportItem("r.heic", None, "ok", None, None, ev, models=[])
    assert dict(evidence_rows(item))["Orientation"].startswith(words)
