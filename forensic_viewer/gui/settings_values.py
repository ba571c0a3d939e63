"""Values read back from the viewer's settings file, each checked for its type and size.

The settings file (``~/.config/forensic-viewer/forensic-viewer.conf``) is the user's: a hand
edit, a sync tool, another program or an older build can leave any value under any key
(``recent_files=@Variant(...)``, an int; ``last_open_folder=@Rect(1 2 3 4)``; twenty thousand
recent paths). Read unchecked, one such value stopped the viewer from starting on every start
(``TypeError`` building File ▸ Open Recent) until the user found the file, which nothing
named; a rectangle became the pickers' start folder; 20,000 entries froze the first opening.

A value of the wrong type or size is therefore ignored, as if absent, and said once per key
and settings file in the viewer's log (and, through the caller, the status bar), naming both:
:func:`ignored`.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QByteArray, QSettings

from forensic_viewer.wording import plain

log = logging.getLogger(__name__)

MAX_PATH_BYTES = 4096  # a path kept in the settings longer than this is no path (PATH_MAX)
MAX_BLOB_BYTES = 1 << 20  # window geometry and dock state are a few hundred bytes
_said: set[tuple[str, str]] = set()  # (settings file, key) already said in this process


def ignored(settings: QSettings, key: str, why: str) -> str:
    """The one line that says the value under ``key`` in ``settings``' file was ignored
    (``why``: what it was); logged the first time only (the line is returned every time)."""
    where = plain(settings.fileName()) or "the viewer's settings"
    line = f"{where}: the value of {key} was ignored ({why})"
    if (settings.fileName(), key) not in _said:
        _said.add((settings.fileName(), key))
        log.warning(line)
    return line


def kind(value: object) -> str:
    """What a settings value is, in a few words, for :func:`ignored`."""
    if isinstance(value, list | tuple):
        return f"a list of {len(value):,} values"
    return f"a value of type {type(value).__name__}"


def text_value(settings: QSettings, key: str) -> tuple[str, str]:
    """The non-empty one-line text under ``key`` (a path: no NUL, at most
    :data:`MAX_PATH_BYTES`), else ""; and the line saying it was ignored ("" when it was not
    there or was kept)."""
    value = settings.value(key, "")
    if isinstance(value, str) and "\0" not in value and len(value) <= MAX_PATH_BYTES:
        return value, ""
    if isinstance(value, list) and not value:  # an empty value read back as no list
        return "", ""
    why = "text with a NUL or too long" if isinstance(value, str) else f"{kind(value)}, not text"
    return "", ignored(settings, key, why)


def path_bytes(settings: QSettings, key: str, limit: int) -> tuple[list[bytes], str]:
    """The paths kept under ``key`` as their bytes, at most ``limit`` of them, those longer
    than :data:`MAX_PATH_BYTES` or empty left out; and the line saying what was ignored ("")."""
    value = settings.value(key, [])
    if isinstance(value, QByteArray | bytes):
        value = [value]  # a list of one is read back as its one value
    if not isinstance(value, list | tuple):
        return [], ignored(settings, key, f"{kind(value)}, not a list of paths")
    kept = [bytes(v) for v in value[:limit] if isinstance(v, QByteArray | bytes)]
    paths = [p for p in kept if 0 < len(p) <= MAX_PATH_BYTES and b"\0" not in p]
    return paths, _said_of(settings, key, value, limit, len(paths))


def path_texts(settings: QSettings, key: str, limit: int) -> tuple[list[str], str]:
    """:func:`path_bytes` of a list kept as text (as versions before 2026-12-06 kept it)."""
    value = settings.value(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return [], ignored(settings, key, f"{kind(value)}, not a list of paths")
    kept = [v for v in value[:limit] if isinstance(v, str)]
    paths = [p for p in kept if p and "\0" not in p and len(p) <= MAX_PATH_BYTES]
    return paths, _said_of(settings, key, value, limit, len(paths))


def _said_of(settings: QSettings, key: str, value: list | tuple, limit: int, kept: int) -> str:
    """The line for a list of paths read with some of it left out ("" when none was)."""
    if len(value) > limit:
        return ignored(settings, key, f"{kind(value)}: only the first {limit} are read")
    if kept < len(value):
        return ignored(settings, key, f"{len(value) - kept} of its values are not paths")
    return ""


def blob(settings: QSettings, key: str) -> tuple[QByteArray | None, str]:
    """The bytes under ``key`` (window geometry, dock state), None when absent or not bytes
    of a sane size; and the line saying it was ignored."""
    if not settings.contains(key):
        return None, ""
    value = settings.value(key)
    if isinstance(value, QByteArray | bytes) and 0 < len(value) <= MAX_BLOB_BYTES:
        return QByteArray(value), ""
    return None, ignored(settings, key, f"{kind(value)}, not a window state")


def flag(settings: QSettings, key: str) -> tuple[bool | None, str]:
    """A yes/no kept under ``key`` (read back as "true"/"false"), None when absent or not
    one; and the line saying it was ignored."""
    if not settings.contains(key):
        return None, ""
    value = settings.value(key)
    if isinstance(value, bool):
        return value, ""
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true", ""
    return None, ignored(settings, key, f"{kind(value)}, not true or false")
