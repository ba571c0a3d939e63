"""A scan the batch dialog starts records the command line a user could type for the same rows
(offscreen). The checkpoint has random weights: only the record is checked."""

from __future__ import annotations

import json
import shlex
from html import escape
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from engine.environ import result_variables
from forensic_viewer.cli import build_parser
from forensic_viewer.gui.batch_dialog import BatchDialog
from forensic_viewer.scan.command import command_summary, variables_prefix
from tests.conftest import HANG_MS
from tests.viewer.conftest import open_listed, write_image

pytestmark = pytest.mark.gui


def test_a_scan_started_in_the_dialog_records_the_equivalent_command(
    qtbot, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """The command parses with the command line's parser to the dialog's options, is marked
    as started from the viewer, and says what it cannot give (the dialog's file types)."""
    folder = tmp_path / "evidence one"
    (folder / "sub").mkdir(parents=True)
    write_image(folder / "a.png", 64, 80, seed=1)
    write_image(folder / "sub" / "b.png", 72, 80, seed=2)
    out = tmp_path / "out"
    dialog = BatchDialog(models=[str(tiny_checkpoint)], device="cpu")
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(folder))
    dialog.out.setText(str(out))
    dialog.recursive.setChecked(True)
    dialog.types.setText("png")
    dialog.analyses.set_checked(["metadata"])
    dialog.jobs.setValue(1)
    dialog.show()
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.summary is not None and not dialog.running, timeout=HANG_MS)
    assert dialog.summary.done == 2

    info = json.loads((out / "scan.json").read_text(encoding="utf-8"))
    command = info["run"]["command"]
    assert command["origin"] == "viewer"
    assert command["variables"] == result_variables()  # the tests run under a runtime's
    prefix = variables_prefix(command["variables"])
    assert shlex.split(command["line"].removeprefix(prefix)) == command["argv"]
    assert command["argv"][:2] == ["forensic-viewer", "scan"]
    args = build_parser().parse_args(command["argv"][1:])
    assert args.folder == folder and args.out == out
    assert args.model == [str(tiny_checkpoint)] and args.device == "cpu"
    assert args.recursive and not args.no_faces and not args.exact
    assert args.analyses == "metadata" and args.jobs == 1
    assert args.gt is None and args.ray is None
    assert args.window is None and args.stride is None and args.batch_size == 8
    assert command["differs"] == [
        "the viewer scanned only the file types png; the command line has no such option and "
        "scans every image type (the rows of these files are the same)"
    ]
    # what the reports say of it
    said = command_summary(info)
    assert said["text"] == f"started from the viewer; equivalent command: {command['line']}"


def test_the_report_of_an_image_analysed_in_the_viewer_gives_the_equivalent_analyze(
    qtbot, tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """The one-image report says the image was analysed in the viewer and gives the
    ``forensic-viewer analyze`` of the same models, device and faces."""
    from PySide6.QtCore import QSettings

    from forensic_viewer.gui.main_window import MainWindow

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(models=[str(tiny_checkpoint)], device="cpu", settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window._models_known, timeout=HANG_MS)
    path = write_image(tmp_path / "photo 1.png")
    open_listed(qtbot, window, [path])
    qtbot.waitUntil(lambda: window.current_analysis() is not None, timeout=HANG_MS)
    dialog = window.export_report()
    assert dialog is not None
    dialog.dest.setText(str(tmp_path / "reports"))
    qtbot.mouseClick(dialog.write_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dialog.paths) and not dialog.running, timeout=HANG_MS)

    said = json.loads(Path(dialog.paths["json"]).read_text(encoding="utf-8"))["command"]
    head = "analysed in the viewer; equivalent command: " + variables_prefix(result_variables())
    assert said["text"].startswith(head)
    argv = shlex.split(said["text"].removeprefix(head))
    args = build_parser().parse_args(argv[1:])
    assert args.command == "analyze" and args.images == [
        Path(window.current_analysis().evidence.path)
    ]
    assert args.model == window.model_paths and args.device == "cpu"
    assert not args.no_faces and not args.exact and args.analyses == ""
    page = Path(dialog.paths["html"]).read_text(encoding="utf-8")
    assert f"Command</th><td>{escape(head)}forensic-viewer" in page
