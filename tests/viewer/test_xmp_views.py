"""The XMP packet as the metadata panel and the reports' metadata table show it: the packet's
size and SHA-256 (never "binary data (not decoded)"), then the fields the metadata analysis
reads as rows of their own, the panel grouping them under "XMP (untrusted)"."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.io import load_evidence
from forensic_viewer.report.metadata import metadata_values
from tests.engine.test_xmp_rows import PACKET, jpeg_with_xmp


def _evidence(tmp_path: Path):
    path = tmp_path / "edited.jpg"
    path.write_bytes(jpeg_with_xmp(PACKET.encode()))
    return load_evidence(path)


def test_the_report_table_shows_the_xmp_fields(tmp_path: Path) -> None:
    shown = dict(metadata_values(_evidence(tmp_path).metadata))
    assert "binary data" not in shown["info:xmp"]
    assert shown["XMP xmp:CreatorTool"] == "Adobe Photoshop CS2 Windows"
    assert shown["XMP stEvt:softwareAgent [2]"] == "GIMP & friends\\u001b[31m"


@pytest.mark.gui
def test_the_panel_groups_the_xmp_fields(qtbot, tmp_path: Path) -> None:
    from forensic_viewer.gui.metadata_panel import MetadataPanel

    panel = MetadataPanel()
    qtbot.addWidget(panel)
    panel.set_evidence(_evidence(tmp_path))
    groups = {panel.topLevelItem(i).text(0): panel.topLevelItem(i) for i in range(3)}
    xmp = groups["XMP (untrusted)"]
    keys = [xmp.child(j).text(0) for j in range(xmp.childCount())]
    assert keys[1:4] == [  # after the packet's row
        "XMP xmpMM:DocumentID",
        "XMP xmpMM:DerivedFrom/stRef:instanceID",
        "XMP stEvt:action [1]",
    ]
    assert panel.value("XMP xmp:CreateDate") == "2008-11-16T22:19:13+08:00"
    exif = groups["EXIF (untrusted)"]
    assert not [
        exif.child(j).text(0) for j in range(exif.childCount()) if "XMP " in exif.child(j).text(0)
    ]
    assert panel.topLevelItemCount() == 3  # file, EXIF, XMP: no warnings


@pytest.mark.gui
def test_the_packet_row_heads_the_xmp_group(qtbot, tmp_path: Path) -> None:
    """The packet's own row (size, SHA-256, "its fields ... follow as XMP rows") opens the XMP
    group its fields are in; it sat among the EXIF rows, its fields in another group below."""
    from forensic_viewer.gui.metadata_panel import MetadataPanel

    panel = MetadataPanel()
    qtbot.addWidget(panel)
    panel.set_evidence(_evidence(tmp_path))
    groups = {panel.topLevelItem(i).text(0): panel.topLevelItem(i) for i in range(3)}
    xmp = groups["XMP (untrusted)"]
    assert xmp.child(0).text(0) == "info:xmp"
    assert xmp.child(0).text(1).startswith(f"{len(PACKET.encode()):,} bytes of XMP, SHA-256 ")
    assert xmp.child(1).text(0) == "XMP xmpMM:DocumentID"
    exif = groups["EXIF (untrusted)"]
    assert "info:xmp" not in [exif.child(j).text(0) for j in range(exif.childCount())]


@pytest.mark.gui
def test_a_packet_without_the_fields_read_is_in_the_xmp_group(qtbot, tmp_path: Path) -> None:
    """A packet holding none of the fields the analysis reads (an empty one, as Panasonic's
    cameras write) still shows its row, in the XMP group."""
    from forensic_viewer.gui.metadata_panel import MetadataPanel

    empty = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    path = tmp_path / "empty.jpg"
    path.write_bytes(jpeg_with_xmp(empty.encode()))
    panel = MetadataPanel()
    qtbot.addWidget(panel)
    panel.set_evidence(load_evidence(path))
    tops = [panel.topLevelItem(i) for i in range(panel.topLevelItemCount())]
    xmp = {top.text(0): top for top in tops}["XMP (untrusted)"]
    assert xmp.childCount() == 1
    assert xmp.child(0).text(1).endswith("none of the fields the metadata analysis reads")


def _shown(panel, item, width: int, column: int = 0) -> str:
    """``item``'s text in ``column`` as the view paints it in ``width`` pixels: the view's
    options, then its delegate's for that cell, elided as they say."""
    from PySide6.QtWidgets import QStyleOptionViewItem

    index = panel.indexFromItem(item, column)
    option = QStyleOptionViewItem()
    panel.initViewItemOption(option)
    panel.itemDelegateForIndex(index).initStyleOption(option, index)
    return option.fontMetrics.elidedText(option.text, option.textElideMode, width)


@pytest.mark.gui
def test_names_cut_by_their_column_keep_the_end_that_tells_them_apart(
    qtbot, tmp_path: Path
) -> None:
    """Names cut to the column's width stay told apart: 'XMP xmp:CreateDate' and 'XMP
    xmp:CreatorTool' both read 'XMP xmp:Crea…' when their end was cut, the numbered steps of a
    history alike, as did EXIF's DateTimeOriginal and DateTimeDigitized ('EXIF:DateTime…')."""
    from forensic_viewer.gui.metadata_panel import MetadataPanel

    panel = MetadataPanel()
    qtbot.addWidget(panel)
    panel.set_evidence(_evidence(tmp_path))
    width = panel.fontMetrics().horizontalAdvance("XMP xmp:Crea…")
    rows = {}
    for i in range(panel.topLevelItemCount()):
        top = panel.topLevelItem(i)
        rows |= {top.child(j).text(0): top.child(j) for j in range(top.childCount())}
    names = ("XMP xmp:CreateDate", "XMP xmp:CreatorTool")
    names += ("XMP stEvt:softwareAgent [1]", "XMP stEvt:softwareAgent [2]")
    shown = {_shown(panel, rows[name], width) for name in names}
    assert len(shown) == 4, shown
    # a value keeps its start (a date's day and time), cut at its end as before
    assert _shown(panel, rows["XMP xmp:CreateDate"], width, 1).startswith("2008-")
