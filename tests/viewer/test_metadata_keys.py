"""The Metadata panel's names are read at its width in a 1600 x 1000 window (offscreen).

A walk-through's screenshot cut the file-system rows to "Modifie…system)", "Status
…system)", "Last ac…system)" and "Create…system)": the names' column, 150 pixels, cut every
name in its middle (chosen so that XMP names ending alike stay apart)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from engine.fstimes import FileTimes
from forensic_viewer.gui.metadata_panel import KEY_SHARE, MetadataPanel
from tests.conftest import memory_evidence

pytestmark = pytest.mark.gui

FS_KEYS = (
    ("Modified (file system)", "Modified"),
    ("Status changed (file system)", "Status changed"),
    ("Last accessed (file system)", "Last accessed"),
    ("Created (file system)", "Created"),
)
XMP_KEYS = ("XMP xmp:CreateDate", "XMP xmp:CreatorTool", "XMP photoshop:DateCreated")


def _panel(qtbot, width: int) -> MetadataPanel:
    times = FileTimes(
        modified="2026-12-05T19:50:23.129360000Z",
        status_changed="2026-12-05T19:50:23.224930000Z",
        accessed="2026-12-05T19:52:41.624940000Z",
        created="2026-12-05T19:50:23.128510000Z",
    )
    metadata = {key: f"value of {key}" for key in XMP_KEYS}
    blank = memory_evidence(np.zeros((8, 8, 3), np.uint8), file_size=1)
    evidence = dataclasses.replace(blank, fs_times=times, metadata=metadata)
    panel = MetadataPanel()
    qtbot.addWidget(panel)
    panel.resize(width, 400)
    panel.show()
    panel.set_evidence(evidence)
    qtbot.waitUntil(panel.isVisible)
    return panel


@pytest.mark.parametrize("width", [345, 420])
def test_each_file_system_name_keeps_what_tells_it_apart(qtbot, width: int) -> None:
    """At the Metadata dock's width (345 pixels at 1600 x 1000) and about it."""
    panel = _panel(qtbot, width)
    assert panel.columnWidth(0) <= max(150, panel.viewport().width() * KEY_SHARE) + 1
    for key, lead in FS_KEYS:
        shown = panel.shown_key(key)
        assert shown is not None and shown.startswith(lead), (key, shown)
        assert shown == key or shown.endswith("…")
    xmp = [panel.shown_key(key) for key in XMP_KEYS]
    assert len(set(xmp)) == len(xmp), xmp  # fields ending alike still told apart
    for item in panel._items():
        assert item.toolTip(0) == item.text(0)  # every name whole in its tooltip


def test_the_names_column_fits_its_names_in_a_wide_panel_and_stays_where_dragged(qtbot) -> None:
    panel = _panel(qtbot, 700)
    for key, _lead in FS_KEYS:
        assert panel.shown_key(key) == key
    panel.header().resizeSection(0, 120)  # the analyst drags it narrower
    panel.resize(800, 400)
    qtbot.wait(10)
    assert panel.columnWidth(0) == 120


def test_names_are_cut_once_per_showing_not_once_per_row_pair(
    qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each row's style cut every name beside it: 5,700 cuts for a camera's 70 EXIF rows, the
    GUI thread held 0.3-0.7 s each time a photograph was shown (walk-through M, finding 4)."""
    from PySide6.QtGui import QFontMetrics

    cuts = [0]
    elide = QFontMetrics.elidedText

    def counted(self, *args):  # type: ignore[no-untyped-def]
        cuts[0] += 1
        return elide(self, *args)

    monkeypatch.setattr(QFontMetrics, "elidedText", counted)
    rows = 120
    metadata = {f"EXIF:SomeRatherLongTagName{i:03d}": str(i) for i in range(rows)}
    evidence = dataclasses.replace(
        memory_evidence(np.zeros((8, 8, 3), np.uint8), file_size=1), metadata=metadata
    )
    panel = MetadataPanel()
    qtbot.addWidget(panel)
    panel.resize(345, 400)
    panel.show()
    cuts[0] = 0
    panel.set_evidence(evidence)
    assert 0 < cuts[0] < 10 * rows  # a few per row; rows x rows before
    shown = {panel.shown_key(key) for key in metadata}
    assert len(shown) == rows  # every name still told from the others
