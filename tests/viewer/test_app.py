"""Start-up pieces: the one exception hook and folder expansion (model resolution for run_gui
is engine.assembly.resolve_models, tested in tests/engine/test_assembly.py)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from engine.errors import CorruptImageError
from forensic_viewer.gui.app import APP_ID, ExceptionHook, configure_application
from forensic_viewer.gui.opening import expand_paths
from tests.conftest import HANG_S
from tests.viewer.conftest import write_image


@pytest.mark.gui
def test_hook_logs_the_traceback_and_shows_a_dialog_from_any_thread(
    qtbot, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    hook = ExceptionHook(tmp_path / "viewer.log")

    def fail() -> None:
        try:
            raise ValueError("boom\nsecond line")
        except ValueError as e:
            hook(type(e), e, e.__traceback__)

    with caplog.at_level(logging.ERROR):
        thread = threading.Thread(target=fail)
        thread.start()
        thread.join()
        qtbot.waitUntil(lambda: len(hook.dialogs) == 1, timeout=5_000)
    box = hook.dialogs[0]
    assert "ValueError: boom second line" in box.text()
    assert str(tmp_path / "viewer.log") in box.text()
    assert not box.isModal()
    record = next(r for r in caplog.records if r.message == "unexpected error")
    assert record.exc_info is not None and record.exc_info[0] is ValueError
    box.close()
    qtbot.waitUntil(lambda: not hook.dialogs, timeout=5_000)


@pytest.mark.gui
def test_hook_shows_a_user_error_as_its_one_line(qtbot, tmp_path: Path) -> None:
    hook = ExceptionHook(tmp_path / "viewer.log")
    err = CorruptImageError(tmp_path / "x.jpg", "damaged JPEG data")
    hook(type(err), err, None)
    qtbot.waitUntil(lambda: bool(hook.dialogs), timeout=5_000)
    assert f"{tmp_path / 'x.jpg'}: damaged JPEG data" in hook.dialogs[0].text()
    hook.dialogs[0].close()


def test_folders_expand_to_their_images(tmp_path: Path) -> None:
    write_image(tmp_path / "b.png")
    write_image(tmp_path / "a.png")
    (tmp_path / "notes.txt").write_text("not evidence")
    write_image(tmp_path / "c-renamed.dat")  # an image by content, as a scan takes it
    (tmp_path / "sub").mkdir()
    single = tmp_path / "elsewhere.jpg"
    assert expand_paths([tmp_path, single]) == [
        str(tmp_path / "a.png"),
        str(tmp_path / "b.png"),
        str(tmp_path / "c-renamed.dat"),
        str(single),
    ]


def test_the_application_carries_the_bundled_icon_and_the_desktop_entry_name(
    qapp, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from PySide6.QtGui import QIcon

    monkeypatch.delenv("FORENSIC_VIEWER_RESOURCES", raising=False)
    qapp.setWindowIcon(QIcon())
    configure_application(qapp)
    assert qapp.desktopFileName() == APP_ID  # the installed entry is forensic-viewer.desktop
    assert qapp.windowIcon().availableSizes() or not qapp.windowIcon().pixmap(32, 32).isNull()
    # Resources kept elsewhere without an icon: no icon, no error.
    monkeypatch.setenv("FORENSIC_VIEWER_RESOURCES", str(tmp_path))
    qapp.setWindowIcon(QIcon())
    configure_application(qapp)
    assert qapp.windowIcon().isNull()


_GC_PROBE = """
import gc, os, sys, threading, weakref
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication
from forensic_viewer.gui.app import collect_garbage_in_gui_thread

app = QApplication([])

class Cycle:
    pass

class Allocate(QThread):  # an analysis thread: allocates container objects by the thousand
    def run(self):
        threading.current_thread().name = "worker"
        self.junk = [[i] for i in range(200_000)]  # kept: the counts stay above threshold

def collected_in():
    gc.collect()
    where = []
    c = Cycle()
    c.me = c
    weakref.finalize(c, lambda: where.append(threading.current_thread().name))
    del c
    t = Allocate()
    t.start()
    t.wait()
    while not where:
        app.processEvents()
    return where[0]

print("plain", collected_in())  # first: the application's collector is not taken back
collect_garbage_in_gui_thread(interval_s=0.05)
print("guarded", collected_in())
"""


@pytest.fixture(scope="module")
def collected_in(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The thread that collected the cycle, by mode, from one child: without the application's
    collector, then with it (each child imports the viewer, torch with it: seconds)."""
    import subprocess
    import sys

    script = tmp_path_factory.mktemp("gc") / "probe.py"
    script.write_text(_GC_PROBE)
    out = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=HANG_S,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.returncode == 0, out.stderr
    lines = [line.split() for line in out.stdout.splitlines()]
    return {line[0]: line[1] for line in lines if len(line) == 2}


@pytest.mark.parametrize(("mode", "thread"), [("guarded", "MainThread"), ("plain", "worker")])
def test_cycles_are_collected_in_the_gui_thread_not_where_an_analysis_allocates(
    collected_in: dict[str, str], mode: str, thread: str
) -> None:
    """Collected in a worker thread, garbage holding Qt objects can crash the viewer (CI met
    it): with the application's collector the worker's allocations collect nothing, the GUI
    thread's timer does; without it (the control) the worker collects."""
    assert collected_in[mode] == thread, collected_in


@pytest.mark.gui
def test_a_log_file_that_cannot_be_written_is_said_and_the_error_dialog_points_to_stderr(
    qtbot, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A read-only home (here: a file where the log's folder would be, which fails as root
    too): the viewer logged to stderr without a word, and its error dialog still said "The
    details are in ~/.local/state/forensic-viewer/viewer.log", a file that was never made."""
    from forensic_viewer.gui.app import setup_logging

    (tmp_path / "state").write_text("a file")
    path = tmp_path / "state" / "forensic-viewer" / "viewer.log"
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        with caplog.at_level(logging.WARNING):
            got = setup_logging(path)
        added = [h for h in root.handlers if h not in before]
    finally:
        for h in [h for h in root.handlers if h not in before]:
            root.removeHandler(h)
    assert got is None
    assert [type(h) for h in added] == [logging.StreamHandler]  # each line once, on stderr
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(said) == 1 and said[0].startswith(f"{path}: the viewer's log cannot"), said
    hook = ExceptionHook(got)
    hook(ValueError, ValueError("boom"), None)
    qtbot.waitUntil(lambda: bool(hook.dialogs), timeout=5_000)
    text = hook.dialogs[0].text()
    assert "standard error" in text and "None" not in text, text
    hook.dialogs[0].close()
