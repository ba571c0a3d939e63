"""What more than one module reads from the environment: the per-user folder, and the one
syntax of the limits set by environment variables.

:func:`user_data_dir` is the one definition of the per-user folder, so the user's own models
(:func:`engine.catalog.user_models_dir`), training runs (``trainer.plan``), the viewer's default
case and the reports that cannot go beside read-only evidence (``forensic_viewer.audit``) are
found in the same place on every system. It is here, in the engine, because the engine may
import neither of the packages that use it too.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

APP_FOLDER = "forensic-viewer"  # the program's folder inside the per-user base folder


def user_data_dir() -> Path:
    """The per-user folder: ``forensic-viewer`` in ``$XDG_DATA_HOME``, else in ``%APPDATA%``
    (Windows), else in ``~/.local/share``. An empty variable counts as unset."""
    base = os.environ.get("XDG_DATA_HOME") or os.environ.get("APPDATA")
    root = Path(base) if base else Path.home() / ".local" / "share"
    return root / APP_FOLDER


_LIMIT = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?", re.IGNORECASE)


def parse_limit(text: str, base: int, *, allow_zero: bool = False) -> int | None:
    """The whole number that ``text`` (an environment variable's value) states: digits,
    optionally with a fraction and a K/M/G/T suffix in powers of ``base`` (1000 for counts,
    1024 for bytes) and a trailing ``B`` or ``iB`` (``4G``, ``4GiB``, ``200M``, ``16_000``; any
    case, underscores ignored); None when it states none, or 0 without ``allow_zero``. The
    limits on evidence (``engine.io``) and on checkpoints (``engine.sizing``) read their
    variables with it, so a size written for one is understood by the other; each caller
    words its own error, naming its variable."""
    m = _LIMIT.fullmatch(text.strip().replace("_", ""))
    if m is None:
        return None
    value = int(float(m[1]) * base ** " KMGT".index(m[2].upper() or " "))
    return value if value > 0 or allow_zero else None
