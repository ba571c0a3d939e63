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
