"""Writing a command's ``--json`` figures: one place, so every command makes the folder first
and writes UTF-8 the same way (a report asked for in a new folder is written, not lost to a
traceback after the work was done), and writes JSON: an undefined figure (NaN, an image AUC of
one class) is ``null``, where Python's default wrote a bare ``NaN`` token that strict readers
(``jq``, JavaScript's ``JSON.parse``) refuse."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.formatting import finite_or_null


def write_json(path: Path, payload: Any, indent: int = 2) -> None:
    """``payload`` as JSON at ``path`` (its folder made when missing), ending in a newline;
    NaN and infinite figures as ``null``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(finite_or_null(payload), indent=indent, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
