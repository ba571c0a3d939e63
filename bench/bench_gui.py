"""GUI responsiveness while a 4096 x 4096 evidence file is analysed, and cancel latency.

The real main window (offscreen) opens a 4096² JPEG with a tiny CRFD-Net checkpoint (random
weights, window 128 at stride 128: 1,024 windows). A QTimer on the GUI thread ticks every 5 ms
and records the gaps between ticks; the longest gap is the longest GUI-thread stall. It is
reported for the analysis (open → result) and for the display of the result that follows
(layers built, rasters rendered off-thread, painted). Cancel latency is the time from the
cancel request (the Cancel button's slot) to the worker's ``cancelled`` signal, with the
analysis about a fifth done; measured three times. The engine checks for cancel inside every
forward pass (before each network block, ``engine.runtime.cancel_hooks``; OpenVINO: polled
while a request runs), so the latency is about one block plus a signal hop, with the scan's
full batches (the viewer's time-sized batches are gone: bench_viewer_scan.py). The seconds per
window are reported alongside.

Targets: stall <= 50 ms, cancel latency <= 0.3 s.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

SIZE = 4096
TICK_MS = 5
STALL_TARGET_MS = 50.0
CANCEL_TARGET_S = 0.3


def _evidence(path: Path) -> Path:
    """A 4096² JPEG with smooth structure and texture (decodes in a fraction of a second)."""
    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    img = cv2.resize(small, (SIZE, SIZE), interpolation=cv2.INTER_CUBIC)
    img = cv2.add(img, rng.integers(0, 24, (SIZE, SIZE, 3), dtype=np.uint8))
    cv2.imwrite(str(path), img, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return path


def _checkpoint(path: Path) -> Path:
    import torch

    from engine.checkpoints import CheckpointMeta, DecisionRule, InputPolicy, save_checkpoint
    from engine.models import create_model
    from engine.models.registry import config_to_dict

    torch.manual_seed(0)
    model = create_model("crfd-net-compact", channels=(8, 16, 32))
    meta = CheckpointMeta(
        architecture="crfd-net-compact",
        config=config_to_dict(model.config),
        input_policy=InputPolicy(window=128, stride=128),
        decision=DecisionRule(threshold=0.1, provenance="benchmark, random weights"),
        name="bench-tiny",
    )
    return save_checkpoint(path, model, meta)


def run() -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QSettings, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from forensic_viewer.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        image = _evidence(tmp / "evidence-4096.jpg")
        ckpt = _checkpoint(tmp / "bench-tiny.safetensors")
        settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(models=[str(ckpt)], device="cpu", settings=settings)
        window.resize(1280, 800)
        window.show()

        clock = QElapsedTimer()
        clock.start()
        ticks: list[float] = []
        meter = QTimer()
        meter.setTimerType(Qt.TimerType.PreciseTimer)
        meter.setInterval(TICK_MS)
        meter.timeout.connect(lambda: ticks.append(clock.nsecsElapsed() / 1e6))

        def run_until(done, timeout_s: float = 600.0) -> None:
            loop = QEventLoop()
            check = QTimer()
            check.setInterval(10)
            deadline = time.monotonic() + timeout_s
            check.timeout.connect(
                lambda: loop.quit() if done() or time.monotonic() > deadline else None
            )
            check.start()
            loop.exec()
            check.stop()

        run_until(lambda: window._models_known, 120)
        marks: dict[str, float] = {}
        windows_total = [0]

        def on_progress(_job, _model, _i, _n, _done, total) -> None:
            windows_total[0] = total

        window.worker.progress.connect(on_progress)
        window.worker.succeeded.connect(
            lambda *_: marks.setdefault("result", clock.nsecsElapsed() / 1e6)
        )

        meter.start()
        marks["open"] = clock.nsecsElapsed() / 1e6
        window.open_paths([image])
        run_until(lambda: str(image) in window.entries)  # listed off the GUI thread
        entry = window.entries[str(image)]
        run_until(lambda: not entry.running and window.renderer.idle)
        run_until(lambda: False, 0.5)  # let the last paints happen under the meter
        marks["end"] = clock.nsecsElapsed() / 1e6
        meter.stop()
        if entry.analysis is None:
            raise RuntimeError(f"the analysis did not finish: {entry.error or 'no result'}")

        def gaps(start: float, stop: float) -> list[float]:
            t = [x for x in ticks if start <= x <= stop]
            return [b - a for a, b in itertools.pairwise(t)]

        during = gaps(marks["open"], marks["result"])
        display = gaps(marks["result"], marks["end"])
        analysis_s = (marks["result"] - marks["open"]) / 1000
        batch_size = window.worker._analyzer.batch_size  # type: ignore[union-attr]

        latencies: list[float] = []
        for _ in range(3):
            progressed = [0, 0]

            def on_windows(_job, _model, _i, _n, done, total, p=progressed) -> None:
                p[0], p[1] = done, total

            window.worker.progress.connect(on_windows)
            cancelled_at: list[float] = []
            window.worker.cancelled.connect(
                lambda _job, c=cancelled_at: c.append(time.perf_counter())
            )
            window.analyse(str(image))
            run_until(lambda p=progressed: p[1] > 0 and p[0] >= p[1] // 5, 300)
            t0 = time.perf_counter()
            window.cancel()
            run_until(lambda c=cancelled_at: bool(c), 60)
            latencies.append(cancelled_at[0] - t0 if cancelled_at else float("nan"))
            window.worker.progress.disconnect(on_windows)
            run_until(lambda: not any(e.running for e in window.entries.values()), 60)
        window.close()
        app.processEvents()

    result = {
        "image": f"{SIZE}x{SIZE}",
        "model": "crfd-net-compact (8/16/32), window 128, stride 128",
        "windows": windows_total[0],
        "analysis_s": round(analysis_s, 2),
        "seconds_per_window": round(analysis_s / max(1, windows_total[0]), 4),
        "gui_stall_max_ms_during_analysis": round(max(during, default=0.0), 1),
        "gui_stall_p99_ms_during_analysis": round(_p99(during), 1),
        "gui_stall_max_ms_showing_result": round(max(display, default=0.0), 1),
        "cancel_latency_s": [round(x, 3) for x in latencies],
        "cancel_latency_max_s": round(max(latencies), 3),
        "targets": {"gui_stall_max_ms": STALL_TARGET_MS, "cancel_latency_s": CANCEL_TARGET_S},
    }
    print(f"  evidence {result['image']}, {result['windows']} windows, {result['model']}")
    print(
        f"  analysis                        {analysis_s:8.2f} s"
        f"   ({result['seconds_per_window'] * 1000:.1f} ms per window; batches of up to "
        f"{batch_size})"
    )
    print(
        f"  longest GUI stall, analysing    {result['gui_stall_max_ms_during_analysis']:8.1f} ms"
        f"   (p99 {result['gui_stall_p99_ms_during_analysis']:.1f} ms, target <= {STALL_TARGET_MS:.0f})"
    )
    print(f"  longest GUI stall, showing      {result['gui_stall_max_ms_showing_result']:8.1f} ms")
    print(
        f"  cancel latency                  {result['cancel_latency_max_s']:8.3f} s"
        f"   (runs {', '.join(f'{x:.3f}' for x in latencies)}; target <= {CANCEL_TARGET_S})"
    )
    return result


def _p99(values: list[float]) -> float:
    if not values:
        return 0.0
    return float(np.percentile(values, 99)) if len(values) > 1 else values[0]


if __name__ == "__main__":
    run()
