"""The queue of the analysis worker's threads: first in, first out, except the one analysis the
analyst is looking at, which goes first.

A folder of a few hundred photographs is analysed in the order opened; the analyst who selects
the 150th while the 3rd runs waited for the 147 before it, and so did a file shown again after
its pixels and maps were let go (``gui/retention.py``). :meth:`JobQueue.prefer` names the job
to take next: :meth:`JobQueue.get` returns its item before the others, never before a
``barrier`` queued ahead of it (a model change: a file runs with the models chosen when it was
opened, so it never passes the change that came after it). Qt-free: the items are the
worker's own (``gui/workers.py``).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable


class JobQueue:
    """Items of a worker thread. ``barrier(item)``: whether an item may not be passed."""

    def __init__(self, barrier: Callable[[object], bool]) -> None:
        self._items: deque[object] = deque()
        self._cond = threading.Condition()
        self._barrier = barrier
        self._preferred: int | None = None  # the job to take next

    def put(self, item: object) -> None:
        with self._cond:
            self._items.append(item)
            self._cond.notify_all()

    def put_front(self, item: object) -> None:
        """Put back an item taken and not handled yet: it is the next one again."""
        with self._cond:
            self._items.appendleft(item)
            self._cond.notify_all()

    def prefer(self, job: int) -> None:
        """Take the item of ``job`` (its ``job`` attribute) next, when it is queued and no
        barrier is before it; until it has been taken or another job is preferred."""
        with self._cond:
            self._preferred = job
            self._cond.notify_all()

    def _preferred_index(self) -> int | None:
        for i, item in enumerate(self._items):
            if self._barrier(item):
                return None
            if getattr(item, "job", None) == self._preferred:
                return i
        return None

    def claim(self, job: int) -> bool:
        """Whether ``job``, taken from the queue already, is the preferred one (it is then no
        longer preferred: it is being handled first)."""
        with self._cond:
            if self._preferred != job:
                return False
            self._preferred = None
            return True

    def preferred_waiting(self, other_than: int) -> bool:
        """Whether the preferred job, not ``other_than``, is queued where :meth:`get` takes it."""
        with self._cond:
            return self._preferred != other_than and self._preferred_index() is not None

    def get(self) -> tuple[object, bool]:
        """The next item (waiting for one), and whether it is the preferred job's."""
        with self._cond:
            while not self._items:
                self._cond.wait()
            i = None if self._preferred is None else self._preferred_index()
            if i is None:
                return self._items.popleft(), False
            item = self._items[i]
            del self._items[i]
            self._preferred = None
            return item, True
