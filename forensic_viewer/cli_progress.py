"""The command line's status line: one line on stderr, redrawn as files finish."""

from __future__ import annotations

import sys
import time

from engine.types import Progress


class ProgressBar:
    """One status line on stderr: files done, rate, ETA, and the window progress of the current file."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled
        self.t0 = time.perf_counter()
        self.files = 0
        self.analysed = 0
        self.last = 0.0

    def file_done(self, index: int, analysed: bool) -> None:
        self.files = index + 1
        self.analysed += int(analysed)
        self._draw("", force=True)

    def windows(self, p: Progress) -> None:
        self._draw(f" | {p.stage} {p.done}/{p.total}")

    def _draw(self, extra: str, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not force and now - self.last < 0.2:
            return
        self.last = now
        elapsed = now - self.t0
        rate = self.analysed / elapsed if elapsed > 0 and self.analysed else 0.0
        left = self.total - self.files
        eta = f"{left / rate:.0f}s" if rate > 0 else "?"
        sys.stderr.write(
            f"\r[{self.files}/{self.total}] {rate:.2f} files/s ETA {eta}{extra}".ljust(78)[:120]
        )
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
