"""The batch dialog's progress line: files done of the total, and the speed and ETA of the
files this run analyses.

Only the files analysed to the end in this run count toward the speed (the same files the
summary calls analysed); the time counts from the models' loading to the end, pauses excluded.
A resume skips the files finished earlier (each costs a hash, not an analysis) and a damaged
file fails in milliseconds: both count toward "done" only. Counting them made a resume that
analysed nothing show hundreds of files a second. The ETA is for the files still to analyse.
Once the scan has ended (finished, cancelled or failed) the line keeps the count and the speed
and drops the ETA: nothing is left to wait for.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from engine.formatting import format_duration


class RateMeter:
    """Files per second over the time the scan actually ran (pauses excluded), and the ETA.

    Only analysed files count toward the rate: files skipped on resume take no time and would
    make the estimate optimistic.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._elapsed = 0.0
        self._since: float | None = None
        self.analysed = 0

    def start(self) -> None:
        if self._since is None:
            self._since = self._clock()

    def pause(self) -> None:
        if self._since is not None:
            self._elapsed += self._clock() - self._since
            self._since = None

    def file_done(self, analysed: bool) -> None:
        self.analysed += int(analysed)

    @property
    def seconds(self) -> float:
        running = 0.0 if self._since is None else self._clock() - self._since
        return self._elapsed + running

    @property
    def rate(self) -> float:
        """Analysed files per second (0 until one is done)."""
        s = self.seconds
        return self.analysed / s if s > 0 and self.analysed else 0.0

    def eta(self, remaining: int) -> float | None:
        """Seconds left for ``remaining`` files; None while the rate is unknown."""
        r = self.rate
        return remaining / r if r > 0 else None


class ScanProgress:
    """What the batch dialog knows of one run, and its progress line (:meth:`text`).

    The scan thread's ``file`` message says whether the file was analysed to the end in this
    run and how many files are still to analyse (``left``: not finished by an earlier run, as far as
    known before they are hashed); pauses stop the clock (:class:`RateMeter`).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.meter = RateMeter(clock)
        self.total = 0
        self.done = 0  # files reported: analysed, skipped (finished earlier) or failed
        self.left: int | None = None  # files still to analyse; None until the first file
        self.current = ""  # the analysis in progress, e.g. "tiny 3/9 windows"
        self.ended = False

    def file_done(self, index: int, total: int, analysed: bool, left: int) -> None:
        self.meter.file_done(analysed)
        self.done = index + 1
        self.total = total
        self.left = left

    def end(self) -> None:
        """The scan is over (finished, cancelled or failed): no ETA from now on."""
        self.meter.pause()
        self.ended = True
        self.current = ""

    def text(self) -> str:
        parts = [f"{self.done} / {self.total} files"]
        analysed, rate = self.meter.analysed, self.meter.rate
        if self.ended:
            parts.append(
                f"{analysed} analysed at {rate:.2f} files/s"
                if analysed
                else "none analysed in this run"
            )
            return " · ".join(parts)
        if analysed:
            parts.append(f"{rate:.2f} files/s")
        left = self.total - self.done if self.left is None else self.left
        parts.append(f"ETA {format_duration(self.meter.eta(left) if left else 0.0)}")
        if self.current:
            parts.append(self.current)
        return " · ".join(parts)
