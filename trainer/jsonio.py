"""Writing a command's ``--json`` figures: one place, so every command makes the folder first
and writes UTF-8 the same way (a report asked for in a new folder is written, not lost to a
traceback after the work was done)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_json(path: Path, payload: Any, indent: int = 2) -> None:
    """``payload`` as JSON at ``path`` (its folder made when missing), ending in a newline."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=indent) + "\n", encoding="utf-8")
