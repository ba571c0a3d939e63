"""After a restart the batch dialog offers the scans it ran before, with how each ended
(restart walk-through, finding 6: the dialog came up empty, and nothing said a scan of the
folder had been cut short)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.environ import user_data_dir
from forensic_viewer.gui.batch_dialog import BatchDialog

pytestmark = pytest.mark.gui


def _scan(name: str, source: str, run: dict) -> Path:
    out = user_data_dir() / "scans" / name
    out.mkdir(parents=True)
    (out / "scan.json").write_text(json.dumps({"source": source, "run": run}), "utf-8")
    return out


def test_the_batch_dialog_offers_earlier_scans_and_takes_one_to_resume(qtbot) -> None:
    done = _scan("a-1", "/cases/a", {"state": "finished", "files": 4, "through": 4, "ended": "1"})
    cut = _scan(
        "b-2",
        "/cases/b",
        {
            "state": "running",  # no scan holds its lock: killed
            "started": "2",
            "command": {"argv": ["forensic-viewer", "scan", "/cases/b", "--recursive"]},
        },
    )
    (user_data_dir() / "scans" / "not-a-scan").mkdir()
    dialog = BatchDialog(device="cpu")
    qtbot.addWidget(dialog)
    items = [dialog.earlier.itemText(i) for i in range(dialog.earlier.count())]
    assert items[0] == "(a new scan)" and len(items) == 3
    assert items[1].startswith("/cases/b: ended without recording its end (killed?)")
    assert items[2] == "/cases/a: finished, 4 of 4 files (1)"
    dialog.earlier.setCurrentIndex(1)
    dialog.earlier.activated.emit(1)
    assert dialog.folder.text() == "/cases/b" and dialog.out.text() == str(cut)
    assert dialog.recursive.isChecked()
    dialog.earlier.activated.emit(2)
    assert dialog.out.text() == str(done) and not dialog.recursive.isChecked()


def test_a_damaged_scan_json_never_stops_the_batch_dialog_from_opening(qtbot, caplog) -> None:
    """rva finding 5: a ``run.command`` that is not an object raised AttributeError in the
    dialog's constructor, and a string argv matched "--recursive" as a substring."""
    _scan("a-1", "/cases/a", {"state": "finished", "ended": "1", "command": "forensic-viewer scan"})
    _scan(
        "b-2", "/cases/b", {"state": "finished", "ended": "2", "command": {"argv": "--recursive"}}
    )
    _scan("c-3", "/cases/c", {"state": "finished", "files": 1, "through": 1, "ended": "3"})
    with caplog.at_level("WARNING"):
        dialog = BatchDialog(device="cpu")
    qtbot.addWidget(dialog)
    items = [dialog.earlier.itemText(i) for i in range(dialog.earlier.count())]
    assert items == ["(a new scan)", "/cases/c: finished, 1 of 1 files (3)"]
    (said,) = [r.getMessage() for r in caplog.records if "not offered" in r.getMessage()]
    assert said.startswith("2 earlier scans not offered") and "a-1" in said and "b-2" in said
