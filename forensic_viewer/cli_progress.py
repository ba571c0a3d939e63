"""The command line's status line: one line on stderr, redrawn as files finish.

The rate and the time left count only the files this run analyses: a resume hands every
file finished before to ``on_file`` too, in an instant, and counting those made a resume of
8,000 files left at 10 files/s say "91 files/s ETA 91s". The rate is measured from the
first file this run finished, so the start-up (listing, reading the rows, the workers loading
their models: some 20 s) is not in it either; until :data:`ETA_AFTER` files are analysed no
time left is said (a walk-through, 2026-12-06, saw "0.05 files/s ETA 183686s"), and it
reads h:mm:ss (:func:`~engine.formatting.format_duration`), not raw seconds.

When stderr is not a terminal (a scan redirected to a log, ``nohup``) there is no status line
to redraw; each file this run analyses gets one plain line as it finishes instead, flushed
(:meth:`ProgressBar.file_line`): a walk-through's overnight scan of 100 MP files wrote nothing
to its log for 14.5 minutes, with 4 of 7 rows already written, and could not be told from a
hang.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from engine.formatting import format_duration
from engine.types import Progress

ETA_AFTER = 5  # files analysed in this run before a rate and a time left are said


class ProgressBar:
    """One status line on stderr: files done, rate, ETA, and the window progress of the
    current file. ``to_analyse``: how many of the ``total`` files this run has to analyse
    (None: all of them; a resume's files finished before are not); ``clock``: seconds, as
    :func:`time.perf_counter` gives them."""

    def __init__(
        self,
        total: int,
        enabled: bool,
        to_analyse: int | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.total = total
        self.enabled = enabled
        self.to_analyse = total if to_analyse is None else to_analyse
        self.clock = clock
        self.files = 0
        self.analysed = 0  # files this run analysed (finished or failed), not skipped
        self.first: float | None = None  # when this run's first analysed file finished
        self.at = 0.0  # when the last analysed file finished
        self.last = 0.0

    def file_done(self, index: int, analysed: bool) -> None:
        """File ``index`` is through: ``analysed`` in this run (its outcome either way), or
        not (finished before: a resume's skip)."""
        self.files = index + 1
        if analysed:
            self.at = self.clock()
            if self.first is None:
                self.first = self.at
            self.analysed += 1
        self._draw("", force=True)

    def file_line(self, index: int, text: str) -> None:
        """Say ``text`` (the file and its outcome) on a line of its own after ``[index+1/total]``
        when the status line is off (stderr not a terminal), flushed at once; nothing when it is
        on, which shows the count already."""
        if self.enabled:
            return
        sys.stderr.write(f"[{index + 1}/{self.total}] {text}\n")
        sys.stderr.flush()

    def rate(self) -> float | None:
        """Files analysed a second since this run's first one finished (None: too few yet)."""
        if self.first is None or self.analysed < ETA_AFTER or self.at <= self.first:
            return None
        return (self.analysed - 1) / (self.at - self.first)

    def status(self) -> str:
        """The line as drawn, without the window progress."""
        text = f"[{self.files}/{self.total}]"
        if self.to_analyse < self.total:
            text += f" {self.analysed} of {self.to_analyse} to analyse"
        rate = self.rate()
        if rate is None:
            return text
        left = max(0, self.to_analyse - self.analysed)
        return f"{text} {rate:.2f} files/s ETA {format_duration(left / rate)}"

    def windows(self, p: Progress) -> None:
        self._draw(f" | {p.stage} {p.done}/{p.total}")

    def _draw(self, extra: str, force: bool = False) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if not force and now - self.last < 0.2:
            return
        self.last = now
        sys.stderr.write(f"\r{self.status()}{extra}".ljust(78)[:120])
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
