"""Messages from worker threads to the GUI thread without calling ``Signal.emit`` from Python.

Why: with PySide6 6.12.0 on Python 3.11, every ``Signal.emit(...)`` made from Python drops one
reference to the ``bool`` it returns (and ``processEvents()`` one to ``None``). Python 3.11's
``True`` is not immortal, so after some tens of thousands of emits (about 39,000 in a viewer
process with torch loaded) the interpreter aborts with "bool_dealloc: deallocating True or
False". A scan of 10,000 files emits several signals per file. Signals emitted by Qt itself
(``QTimer.timeout``, ``QThread.finished``) are not affected, so a worker posts its messages into
a queue and a timer on the GUI thread delivers them. It also bounds the GUI's work: at most one
delivery round per ``interval_ms``, however fast the worker goes.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer


class Mailbox(QObject):
    """``post(kind, *args)`` from any thread; ``on(kind, handler)`` runs on the GUI thread.

    Messages are delivered in the order posted, every ``interval_ms`` while started, and all
    at once by :meth:`drain` (call it when the worker's thread has finished, so that nothing
    posted is lost). ``after``: called once after a round that delivered anything (e.g. to tell
    views about every row changed in the round with one ``dataChanged``).
    """

    def __init__(
        self,
        parent: QObject | None = None,
        interval_ms: int = 50,
        after: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.after = after
        self._queue: queue.SimpleQueue[tuple[str, tuple[Any, ...]]] = queue.SimpleQueue()
        self._handlers: dict[str, Callable[..., None]] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.drain)

    def on(self, kind: str, handler: Callable[..., None]) -> None:
        self._handlers[kind] = handler

    def post(self, kind: str, *args: Any) -> None:
        """Queue a message (thread-safe); delivered on the GUI thread."""
        self._queue.put((kind, args))

    def start(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def rest(self) -> None:
        """Stop the timer; messages wait for the next :meth:`start` or :meth:`drain`."""
        self._timer.stop()

    def stop(self) -> None:
        """Deliver what waits and stop the timer."""
        self._timer.stop()
        self.drain()

    def drain(self) -> None:
        """Deliver every waiting message now (GUI thread)."""
        delivered = False
        while True:
            try:
                kind, args = self._queue.get_nowait()
            except queue.Empty:
                break
            delivered = True
            handler = self._handlers.get(kind)
            if handler is not None:
                handler(*args)
        if delivered and self.after is not None:
            self.after()
