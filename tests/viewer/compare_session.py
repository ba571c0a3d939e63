"""A viewer session as an analyst has it, run in a process of its own by
``test_compare_session.py`` (a crash there fails the test instead of killing pytest).

``python -m tests.viewer.compare_session FOLDER COUNT [TABS]``: a main window with a tiny
checkpoint opens COUNT images one after another; after each, compare mode is turned on and off
(Ctrl+K twice) with the focus in the view, or with TABS, Tab is pressed that many times from
the view instead; Qt's deferred deletions run as ``app.exec()`` runs them.
The waits turn a real ``QEventLoop``. It prints ``session ended`` when every file was opened,
analysed and shown; a crash of the process ends it before.
"""

from __future__ import annotations

import faulthandler
import gc
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

WAIT_S = 120  # for one file's analysis, at most, on a loaded machine


def main(folder: Path, count: int, tabs: int = 0) -> None:
    faulthandler.enable()
    from PySide6.QtCore import QEvent, QEventLoop, QSettings, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from forensic_viewer.gui.main_window import MainWindow
    from tests.conftest import make_tiny_checkpoint
    from tests.viewer.conftest import write_image

    app = QApplication(sys.argv[:1])

    def turn(ms: int = 5) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()
        app.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # as app.exec() runs them

    def wait(done: Callable[[], bool]) -> None:
        start = time.monotonic()
        while not done():
            turn()
            if time.monotonic() - start > WAIT_S:
                raise TimeoutError("the viewer did not finish in time")

    checkpoint = make_tiny_checkpoint(folder / "tiny.safetensors")
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(models=[str(checkpoint)], device="cpu", settings=settings)
    window.show()
    window.activateWindow()
    wait(lambda: window._models_known)

    def settled() -> bool:
        layers = window.layers or []
        return window.renderer.idle and all(
            la.is_current for la in layers if la.render_job() is not None
        )

    for i in range(count):
        path = str(write_image(folder / f"e{i}.png", seed=i))
        window.open_paths([path])
        wait(lambda p=path: window.lister.idle and p in window.entries)
        wait(lambda p=path: not window.entries[p].running)
        wait(settled)
        window.canvas.setFocus()  # where a click on the image leaves it
        if tabs:
            for _ in range(tabs):
                QTest.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Tab)
            turn(50)
            gc.collect()  # as it runs, some time, in a session of any length
            continue
        for on in (True, False):
            window.set_compare(on)
            wait(settled)
            turn(50)
    window.close()
    turn(50)
    print("session ended", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 0)
