"""Events for the viewer's plain-Python model, as napari's: ``obj.events.<name>.connect(fn)``.

A model object (a layer, the layer list) owns an :class:`EmitterGroup`; each change emits an
:class:`Event` naming its source and type; Qt widgets connect their slots and keep the
:class:`Subscriptions` they made, so closing a widget disconnects it. No Qt here.

An emitter holds its source weakly and :meth:`EmitterGroup.disconnect_all` lets every callback
go: an object and its own events would otherwise form a reference cycle, and so would a layer
and the callbacks others connected on it. The viewer runs with Python's cycle collector off
(``gui/app.py``), so a layer list the window had let go stayed in memory with its rasters,
about 50 bytes an evidence pixel on each Analyse again or file shown (walk-through mem).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from weakref import ref


@dataclass(frozen=True)
class Event:
    """What a callback receives: the event's name, the object that emitted it and a value."""

    type: str
    source: object
    value: Any = None
    index: int | None = None


Callback = Callable[[Event], None]


class EventEmitter:
    """One named event; callbacks run in connection order, on the thread that emits.

    ``source`` (weakly referenceable) is held weakly: the emitter never keeps it alive."""

    def __init__(self, source: object, type_: str) -> None:
        self._source = ref(source)
        self.type = type_
        self._callbacks: list[Callback] = []

    @property
    def source(self) -> object:
        """The object whose event this is (None once it is gone)."""
        return self._source()

    def connect(self, callback: Callback) -> Callback:
        if callback not in self._callbacks:
            self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callback) -> None:
        """Remove ``callback``; removing one that is not connected is not an error."""
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def disconnect_all(self) -> None:
        self._callbacks.clear()

    @property
    def callbacks(self) -> tuple[Callback, ...]:
        return tuple(self._callbacks)

    def __call__(self, value: Any = None, index: int | None = None) -> None:
        event = Event(self.type, self.source, value, index)
        for callback in list(self._callbacks):
            callback(event)


class Subscriptions:
    """Callbacks a subscriber connected, disconnected together when it goes away (a widget
    or a visual must not be called after it is deleted)."""

    def __init__(self) -> None:
        self._items: list[tuple[EventEmitter, Callback]] = []

    def on(self, emitter: EventEmitter, callback: Callback) -> None:
        emitter.connect(callback)
        self._items.append((emitter, callback))

    def clear(self) -> None:
        for emitter, callback in self._items:
            emitter.disconnect(callback)
        self._items.clear()


class EmitterGroup:
    """The events of one object, as attributes: ``obj.events.opacity.connect(cb)``."""

    def __init__(self, source: object, names: Iterable[str]) -> None:
        self._emitters: dict[str, EventEmitter] = {}
        for name in names:
            emitter = EventEmitter(source, name)
            self._emitters[name] = emitter
            setattr(self, name, emitter)

    def __getitem__(self, name: str) -> EventEmitter:
        return self._emitters[name]

    def __contains__(self, name: str) -> bool:
        return name in self._emitters

    def disconnect_all(self) -> None:
        """Let every callback on every event go (the object is done with)."""
        for emitter in self._emitters.values():
            emitter.disconnect_all()
