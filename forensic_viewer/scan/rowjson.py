"""A results row's JSON values, read with the field named in every error (no Qt).

The readers of :mod:`forensic_viewer.scan.records` and of its entries
(:mod:`forensic_viewer.scan.record_parts`, :mod:`forensic_viewer.scan.analysis_record`) read
every field through :class:`RowObject`, so a row that is not a record is refused with one
:class:`RecordError` that names the field at fault.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class RecordError(ValueError):
    """A JSON value that is not a results row of this format; the message says which field."""


_MISSING: Any = object()


def kind_of(value: object) -> str:
    """What an error says arrived: the JSON name of ``value``'s type as Python reads it."""
    return "null" if value is None else type(value).__name__


def is_number(v: object) -> bool:
    """A JSON number (true and false are not numbers, though Python counts them as ints)."""
    return isinstance(v, int | float) and not isinstance(v, bool)


def is_integer(v: object) -> bool:
    """A JSON integer (not true or false)."""
    return isinstance(v, int) and not isinstance(v, bool)


class RowObject:
    """A JSON object being read. Getters check the type of a field and name it when it is
    missing or of another type; ``default`` makes a field optional, ``nullable`` accepts null."""

    def __init__(self, value: object, where: str) -> None:
        if not isinstance(value, dict):
            raise RecordError(f"{where}: expected an object, got {kind_of(value)}")
        self.raw: dict[str, Any] = value
        self.where = where

    def _get(
        self, key: str, ok: Callable[[Any], bool], what: str, default: Any, nullable: bool
    ) -> Any:
        v = self.raw.get(key, _MISSING)
        if v is _MISSING:
            if default is _MISSING:
                raise RecordError(f"{self.where}.{key}: missing")
            return default
        if v is None and nullable:
            return None
        if not ok(v):
            raise RecordError(f"{self.where}.{key}: expected {what}, got {kind_of(v)}")
        return v

    def text(self, key: str, default: Any = _MISSING, nullable: bool = False) -> Any:
        return self._get(key, lambda v: isinstance(v, str), "a string", default, nullable)

    def number(self, key: str, default: Any = _MISSING, nullable: bool = False) -> Any:
        return self._get(key, is_number, "a number", default, nullable)

    def integer(self, key: str, default: Any = _MISSING, nullable: bool = False) -> Any:
        return self._get(key, is_integer, "an integer", default, nullable)

    def flag(self, key: str, default: Any = _MISSING, nullable: bool = False) -> Any:
        return self._get(key, lambda v: isinstance(v, bool), "true or false", default, nullable)

    def mapping(self, key: str, default: Any = _MISSING, nullable: bool = False) -> Any:
        return self._get(key, lambda v: isinstance(v, dict), "an object", default, nullable)

    def array(self, key: str, default: Any = _MISSING) -> Any:
        return self._get(key, lambda v: isinstance(v, list), "a list", default, False)

    def strings(self, key: str, default: Any = _MISSING) -> tuple[str, ...]:
        items = self.array(key, default)
        if items is default:
            return items
        for i, v in enumerate(items):
            if not isinstance(v, str):
                raise RecordError(f"{self.where}.{key}[{i}]: expected a string, got {kind_of(v)}")
        return tuple(items)
