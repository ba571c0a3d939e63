"""``python -m forensic_viewer.gui.screenshot OUT.png``: open the real window and save a picture of it.

``make screenshot`` runs this under Xvfb (``xvfb-run -a``) to refresh ``docs/screenshot.png``.
With a display (Xvfb) the window is shown on it and the picture is taken from the X server;
without one it falls back to rendering the window offscreen. It opens what ``make run`` opens (the bundled sample images with the default models, unless
images or ``--model`` are given), waits until every file is analysed and every layer drawn, puts
the cursor read-out and the magnifier on the middle of the image, and grabs the window. With
``--analyses``, those classic analyses are run on the file shown first (the Analyses panel
raised, the first analysis's map (ELA's picture) shown, the networks' layers hidden). The user's recent-files list is left alone (a
temporary settings file is used).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from engine.catalog import SAMPLES
from forensic_viewer.gui.app import collect_garbage_in_gui_thread

# Turns of the event loop before the picture is taken: with one, the window was grabbed in
# the middle of its layout passes (a wrapped label one pass behind its row: the Layers dock's
# "shows" drawn over the opacity slider, or cut at top and bottom), which a user never sees.
SETTLE_TURNS = 10


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m forensic_viewer.gui.screenshot", description=__doc__
    )
    p.add_argument("out", type=Path, help="PNG file to write")
    p.add_argument("images", nargs="*", help=f"evidence files or folders (default: {SAMPLES})")
    p.add_argument("--model", action="append", help="checkpoint name or file (repeat)")
    p.add_argument("--device", default="auto")
    p.add_argument(
        "--size", default="1600x1000", help="window size, WIDTHxHEIGHT (at most the screen's)"
    )
    p.add_argument("--show", type=int, default=0, help="which opened file to show (index)")
    p.add_argument("--compare", action="store_true", help="side-by-side panes")
    p.add_argument("--analyses", default="", help="classic analyses to run on the file shown")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for analyses")
    return p.parse_args(argv)


def _new_app(width: int, height: int) -> QApplication:
    """The application; under plain offscreen Qt its screen is given the window's size (Qt's
    offscreen screen is 800 x 800, which cut a 1400 x 900 window to 796 x 796 without a word),
    through the offscreen platform's screen configuration file, read once at start-up."""
    if os.environ.get("QT_QPA_PLATFORM") != "offscreen":
        return QApplication(sys.argv[:1])
    screen = {"name": "screenshot", "x": 0, "y": 0, "width": width, "height": height}
    screen |= {"logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "offscreen.json"
        config.write_text(json.dumps({"screens": [screen]}), encoding="utf-8")
        os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"
        try:
            return QApplication(sys.argv[:1])
        finally:
            os.environ["QT_QPA_PLATFORM"] = "offscreen"


def main(argv: list[str] | None = None) -> int:
    from engine.assembly import resolve_models
    from forensic_viewer.gui.main_window import MainWindow
    from forensic_viewer.gui.opening import expand_paths

    args = _parse(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    if os.environ.get("DISPLAY") and os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        # make exports offscreen when it starts without a display; under xvfb-run there is one.
        os.environ["QT_QPA_PLATFORM"] = "xcb"
    app = QApplication.instance() or _new_app(width, height)
    collect_garbage_in_gui_thread()
    models, problems = resolve_models(args.model)
    with tempfile.TemporaryDirectory() as tmp:
        settings = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(models=models, device=args.device, settings=settings)
        screen = app.primaryScreen().availableGeometry()  # xvfb-run's screen is 1280 x 1024
        if width > screen.width() or height > screen.height():
            print(
                f"--size {width}x{height} is larger than the screen "
                f"({screen.width()}x{screen.height()}): the window is cut to it",
                file=sys.stderr,
            )
        window.resize(min(width, screen.width()), min(height, screen.height()))
        window.move(screen.topLeft())
        window.show()
        files = expand_paths(args.images or [SAMPLES])
        if files:
            window.open_paths(files)
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            app.processEvents()
            busy = any(e.running for e in window.entries.values())
            if window._models_known and not busy and window.renderer.idle and window.lister.idle:
                break
            time.sleep(0.02)
        else:
            print(f"gave up waiting after {args.timeout:.0f} s", file=sys.stderr)
        if files:
            window.show_entry(files[min(args.show, len(files) - 1)])
        if args.analyses and window.analysis_panel.run(args.analyses.split(",")) is not None:
            window.docks["Analyses"].raise_()
            while time.monotonic() < deadline and window.analysis_panel.running:
                app.processEvents()
                time.sleep(0.02)
            for layer in window.layers or []:  # the analyses' layers alone on the image
                if layer.kind in ("heatmap", "mask", "agreement"):
                    layer.visible = False
        window.set_compare(args.compare)
        for _ in range(200):  # let the new layers render and paint
            app.processEvents()
            if window.renderer.idle:
                break
            time.sleep(0.02)
        layers = window.layers
        if layers is not None and layers.image is not None:
            h, w = layers.image.shape
            window._on_hover(w * 0.5, h * 0.5)
        for problem in problems:
            window.show_error(problem)
        for _ in range(SETTLE_TURNS):  # the layouts' passes done and painted, as a user sees it
            app.processEvents()
            time.sleep(0.02)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        if app.platformName() == "xcb":  # what the X server shows: the window really mapped
            picture = window.screen().grabWindow(window.winId())
        else:
            picture = window.grab()
        ok = picture.save(str(args.out))
        window.close()
    if not ok:
        print(f"{args.out}: could not write the PNG", file=sys.stderr)
        return 1
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
