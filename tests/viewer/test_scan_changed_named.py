"""A file whose bytes changed since an earlier run analysed it is named, not only counted.

A hand-over walk-through (2026-12-06, finding 6): a replaced file was counted on the command
line ("2 analysed, 5 already done, 1 changed since analysed") and never named; the batch
dialog's closing message said "done — 2 analysed, 5 already done of 7" without it, and its
table row showed the new verdict with no mark. Only the report named it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from forensic_viewer.gui.batch_dialog import BatchDialog
from forensic_viewer.scan import pool
from forensic_viewer.scan.triage import CHANGED_MARK
from tests.conftest import HANG_MS, write_rgb
from tests.viewer.conftest import scan_cli


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _folder(tmp_path: Path) -> Path:
    ev = tmp_path / "ev"
    ev.mkdir()
    for i, name in enumerate(("a.png", "b.png", "c.png")):
        write_rgb(ev / name, 40, 48, seed=i)
    return ev


def test_the_command_line_names_a_file_changed_since_analysed(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    ev, out = _folder(tmp_path), tmp_path / "out"
    assert scan_cli(ev, out, tiny_checkpoint) in (0, 1)
    then = _sha(ev / "b.png")
    write_rgb(ev / "b.png", 40, 48, seed=9)
    capsys.readouterr()
    assert scan_cli(ev, out, tiny_checkpoint) in (0, 1)
    printed = capsys.readouterr().out.splitlines()
    assert any("1 analysed, 2 already done, 1 changed since analysed" in x for x in printed)
    at = printed.index("1 file's bytes changed since an earlier run analysed it:")
    assert printed[at + 1] == (
        f"  b.png: bytes changed since an earlier run analysed them (SHA-256 then {then}, "
        f"now {_sha(ev / 'b.png')}): analysed again"
    )


def test_a_resume_with_worker_processes_names_a_file_changed_since_analysed(
    tmp_path: Path, tiny_checkpoint: Path, capsys, monkeypatch
) -> None:
    """The worker processes' summary names it too (a helper's doubt of 2026-12-06: only the
    one-process scan seemed to fill ``changed``). A new file besides the changed one, since a
    resume that would load no model for a new file runs in one process whatever --jobs says."""
    pooled = []
    real = pool.run_pool_scan

    def counted(*args, **kw):
        pooled.append(kw["jobs"])
        return real(*args, **kw)

    monkeypatch.setattr(pool, "run_pool_scan", counted)
    ev, out = _folder(tmp_path), tmp_path / "out"
    assert scan_cli(ev, out, tiny_checkpoint, "--jobs", "1") in (0, 1)
    then = _sha(ev / "b.png")
    write_rgb(ev / "b.png", 40, 48, seed=9)
    write_rgb(ev / "d.png", 40, 48, seed=4)
    capsys.readouterr()
    assert scan_cli(ev, out, tiny_checkpoint, "--jobs", "2") in (0, 1)
    assert pooled == [2]
    printed = capsys.readouterr().out.splitlines()
    assert any("2 analysed, 2 already done, 1 changed since analysed" in x for x in printed)
    at = printed.index("1 file's bytes changed since an earlier run analysed it:")
    assert printed[at + 1].startswith(
        f"  b.png: bytes changed since an earlier run analysed them (SHA-256 then {then}, "
    )


@pytest.mark.gui
def test_the_batch_dialog_names_and_marks_a_file_changed_since_analysed(
    qtbot, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    ev, out = _folder(tmp_path), tmp_path / "out"
    dialog = BatchDialog(models=[str(tiny_checkpoint)], device="cpu")
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(ev))
    dialog.out.setText(str(out))
    dialog.show()

    def run() -> None:
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)
        assert dialog.summary is not None, dialog.message.text()

    run()
    then = _sha(ev / "c.png")
    write_rgb(ev / "c.png", 40, 48, seed=9)
    run()
    lines = dialog.message.text().splitlines()
    assert "1 analysed, 2 already done, 1 changed since analysed of 3" in lines[0]
    assert "1 file's bytes changed since an earlier run analysed it:" in lines
    assert f"SHA-256 then {then}" in next(x for x in lines if x.startswith("  c.png: "))
    model = dialog.table_model
    file_col = model.column_of("file")
    texts = {}
    for r in range(model.rowCount()):
        index = model.index(r, file_col)
        texts[model.data(index, Qt.ItemDataRole.DisplayRole).split(" ")[0]] = (
            model.data(index, Qt.ItemDataRole.DisplayRole),
            model.data(index, Qt.ItemDataRole.ToolTipRole),
        )
    assert texts["c.png"][0] == f"c.png {CHANGED_MARK}"
    assert f"SHA-256 then {then}" in texts["c.png"][1]
    assert texts["a.png"][0] == "a.png" and CHANGED_MARK not in texts["b.png"][0]
