"""The message history keeps a result once, when it was made, and the dialogs' outcomes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import HANG_MS
from tests.viewer.conftest import write_image
from tests.viewer.test_main_window import open_and_wait, shown_window

pytestmark = pytest.mark.gui


def _said(window, words: str) -> list[str]:
    return [m.text for m in window.statusBar().history.messages() if m.text.startswith(words)]


def test_a_verdict_shown_again_is_not_kept_again_and_a_report_written_is(
    qtbot, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """Selecting a file again put "a.png: … in 0.1 s" in the history again at the new time,
    read as a second analysis (walk-through 75.png); a report written was in no history."""
    a = write_image(tmp_path / "a.png")
    window = shown_window(qtbot, tmp_path, tiny_checkpoint, a)
    verdict = window.statusBar().currentMessage()
    assert verdict.startswith("a.png: ") and len(_said(window, "a.png: ")) == 1
    b = write_image(tmp_path / "b.png", seed=5)
    open_and_wait(qtbot, window, b)
    window.evidence_list.setCurrentRow(0)  # a again: its verdict is shown...
    assert window.current == str(a) and window.statusBar().currentMessage() == verdict
    assert len(_said(window, "a.png: ")) == 1  # ...and kept once, when it was made
    window.evidence_list.setCurrentRow(1)
    window.evidence_list.setCurrentRow(0)
    assert len(_said(window, "a.png: ")) == 1

    dialog = window.export_report()
    dialog.dest.setText(str(tmp_path / "out"))
    dialog.write()
    qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)
    (line,) = _said(window, "report: written: ")
    assert str(tmp_path / "out") in line
    batch = window.open_batch()  # a scan's end, as its dialog says it, joins the history too
    batch.show_message("done — 2 analysed, 0 already done of 2 in 1.0 s; results in out")
    batch.scanEnded.emit("the scan's one-line outcome")
    (line,) = _said(window, "scan: done — 2 analysed")
    assert line.endswith("results in out")


def test_a_report_that_fails_to_write_joins_the_history(
    qtbot, tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report written joined the history, one that failed (disk full) did not: its error was
    said once in the report dialog and then lost. A folder refused before writing is kept too."""
    import errno

    import forensic_viewer.gui.report_dialog as report_dialog

    def disk_full(*_args: object, **_kwargs: object) -> dict[str, Path]:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out"))

    monkeypatch.setattr(report_dialog, "write_report", disk_full)
    window = shown_window(qtbot, tmp_path, tiny_checkpoint, write_image(tmp_path / "a.png"))
    dialog = window.export_report()
    dialog.dest.setText(str(tmp_path / "out"))
    dialog.write()
    qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)
    (line,) = _said(window, "report: cannot write the report: ")
    assert "no space left on device" in line and line.endswith(dialog.message.text())
    (tmp_path / "taken").write_bytes(b"a file where the folder would go")
    dialog.dest.setText(str(tmp_path / "taken"))
    dialog.write()
    assert len(_said(window, "report: cannot write the report: ")) == 2
