"""Progress reporting: JSON lines on stdout (for the GUI and logs), a human bar on stderr.

Every event is one JSON object on one line of stdout, flushed at once, so a parent process
(the viewer's training dialog) can plot it as it arrives. The stderr bar is redrawn in place on
a terminal and printed at most every ``interval`` seconds otherwise (a log file then gets a
readable line now and then instead of thousands of carriage returns).
"""

from __future__ import annotations

import json
import math
import sys
import time
from typing import Any, TextIO


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


class Reporter:
    """Writes events as JSON lines and keeps a progress bar; silent when ``enabled`` is False."""

    def __init__(
        self,
        enabled: bool = True,
        out: TextIO | None = None,
        err: TextIO | None = None,
        interval: float = 30.0,
    ) -> None:
        self.enabled = enabled
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.interval = interval
        self._last_bar = 0.0
        self._tty = bool(getattr(self.err, "isatty", lambda: False)())

    def event(self, kind: str, **fields: Any) -> None:
        if not self.enabled:
            return
        self.out.write(json.dumps({"event": kind, **_clean(fields)}) + "\n")
        self.out.flush()

    def bar(self, done: int, total: int, text: str, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not (self._tty or force or now - self._last_bar >= self.interval):
            return
        self._last_bar = now
        frac = min(1.0, done / total) if total else 0.0
        filled = round(24 * frac)
        line = f"[{'#' * filled}{'.' * (24 - filled)}] {100 * frac:5.1f}% {text}"
        if self._tty:
            self.err.write("\r" + line[:160].ljust(160) + ("\n" if force else ""))
        else:
            self.err.write(line + "\n")
        self.err.flush()

    def message(self, text: str) -> None:
        """A human line on stderr (not part of the JSON stream)."""
        if not self.enabled:
            return
        if self._tty:
            self.err.write("\r" + " " * 160 + "\r")
        self.err.write(text + "\n")
        self.err.flush()
