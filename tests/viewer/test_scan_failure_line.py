"""A failed scan says one line, the same on the command line, in the batch dialog and in the
case log's ``scan-finished`` (:func:`forensic_viewer.scan.failure.failure_line`).

The three worked it out apart and disagreed: a damaged ``results.jsonl`` (its rows overwritten
while a resume read them: a :class:`RecordError` naming the file) read "the scan failed:
unexpected RecordError: ..." on the command line and in the case log, and the error's own line
in the dialog; a bug named the scanned folder in the dialog only.

The checkpoint has random weights: these tests check plumbing, never that a finding is right.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from forensic_viewer.audit import LOG_NAME, verify_log
from forensic_viewer.scan.results import ResultLog
from tests.conftest import HANG_MS
from tests.viewer.conftest import scan_cli, without_sessions, write_image

PREFIX = "forensic-viewer: error: "


def evidence(tmp_path: Path) -> Path:
    folder = tmp_path / "evidence"
    folder.mkdir()
    for i in range(3):
        write_image(folder / f"f{i}.png", 40, 48, seed=i)
    return folder


def damage_rows_once_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    """Once a run has opened ``results.jsonl``, its rows are overwritten in place with blanks
    (its size kept), as a second program or a failing disk would leave it: a resume then reads
    a skipped file's row where it was indexed, finds none, and none on indexing again."""
    opened = ResultLog.__init__

    def then_damaged(self: ResultLog, out: Path, index: Any = None, **kw: Any) -> None:
        opened(self, out, index, **kw)
        size = self.file.stat().st_size
        with open(self.file, "r+b") as f:
            f.write(b" " * (size - 1) + b"\n")

    monkeypatch.setattr(ResultLog, "__init__", then_damaged)


def disk_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """The results log's writes fail with ENOSPC (an OSError naming no file)."""

    def full(self: ResultLog, record: Any) -> dict[str, Any]:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ResultLog, "append", full)


def a_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    """An exception nobody planned for, raised by the run itself (not one file's)."""

    def broken(self: ResultLog, out: Path, index: Any = None, **kw: Any) -> None:
        raise RuntimeError("the results\n  index broke")

    monkeypatch.setattr(ResultLog, "__init__", broken)


def cli_and_case_log(folder: Path, out: Path, case: Path, checkpoint: Path, capsys) -> tuple:
    """The command line's error line (its prefix removed) and the case log's error."""
    capsys.readouterr()
    assert scan_cli(folder, out, checkpoint, "--jobs", "1", "--case", str(case)) == 3
    err = capsys.readouterr().err.splitlines()
    (line,) = [ln.removeprefix(PREFIX) for ln in err if ln.startswith(PREFIX)]
    finished = without_sessions(verify_log(case / LOG_NAME).entries)[-1]
    assert finished.action == "scan-finished"
    return line, finished.details["error"]


def dialog_line(qtbot, folder: Path, out: Path, checkpoint: Path) -> tuple[str, object]:
    """The batch dialog's message and what it hands the case log (``scanEnded``)."""
    from forensic_viewer.gui.batch_dialog import BatchDialog

    dialog = BatchDialog(models=[str(checkpoint)], device="cpu")
    qtbot.addWidget(dialog)
    ended: list[object] = []
    dialog.scanEnded.connect(ended.append)
    dialog.folder.setText(str(folder))
    dialog.out.setText(str(out))
    dialog.jobs.setValue(1)  # in this process, where the damage is made
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.running, timeout=HANG_MS)
    (outcome,) = ended
    return dialog.message.text(), outcome


@pytest.mark.gui
@pytest.mark.parametrize("failure", ["damaged results", "disk full", "bug"])
def test_a_failed_scan_is_one_line_on_the_command_line_in_the_dialog_and_in_the_case_log(
    qtbot, tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys, failure
) -> None:
    import sys

    folder, case = evidence(tmp_path), tmp_path / "case"
    cli_out, dialog_out = tmp_path / "cli-out", tmp_path / "dialog-out"
    if failure == "damaged results":  # finished first: the resume reads the skipped rows
        from forensic_viewer.cli import main

        assert scan_cli(folder, cli_out, tiny_checkpoint, "--jobs", "1") == 0
        faces = ["scan", str(folder), "--out", str(dialog_out), "--model", str(tiny_checkpoint)]
        assert main([*faces, "--jobs", "1"]) == 0  # the dialog's settings: faces checked
    make: Callable[[pytest.MonkeyPatch], None] = {
        "damaged results": damage_rows_once_opened,
        "disk full": disk_full,
        "bug": a_bug,
    }[failure]
    make(monkeypatch)
    hooked: list[object] = []
    monkeypatch.setattr(sys, "excepthook", lambda *a: hooked.append(a))  # the viewer's one hook

    cli, logged = cli_and_case_log(folder, cli_out, case, tiny_checkpoint, capsys)
    shown, handed = dialog_line(qtbot, folder, dialog_out, tiny_checkpoint)
    # the same line in all three, the output folder (the one place they differ) aside
    assert cli == logged == str(handed).replace(str(dialog_out), str(cli_out))
    assert shown == str(handed)

    if failure == "damaged results":  # the error's own line, naming the file
        assert cli == f"f0.png: its row changed while {cli_out / 'results.jsonl'} was read"
        assert not hooked
    elif failure == "disk full":
        assert cli == (
            f"the scan failed: {cli_out}: no space left on device; finished results are "
            "kept, run again to resume"
        )
        assert not hooked
    else:  # a bug alone is "unexpected", naming the folder, its traceback kept
        assert cli == f"{folder}: the scan failed: unexpected RuntimeError: the results index broke"
        assert len(hooked) == 1
        assert "RuntimeError" in (cli_out / "scan.log").read_text(encoding="utf-8")
