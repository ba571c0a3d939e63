"""What more than one package reads from the environment: the per-user folder.

:func:`user_data_dir` is the one definition of the per-user folder, so the user's own models
(:func:`engine.catalog.user_models_dir`), training runs (``trainer.plan``), the viewer's default
case and the reports that cannot go beside read-only evidence (``forensic_viewer.audit``) are
found in the same place on every system. It is here, in the engine, because the engine may
import neither of the packages that use it too.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_FOLDER = "forensic-viewer"  # the program's folder inside the per-user base folder


def user_data_dir() -> Path:
    """The per-user folder: ``forensic-viewer`` in ``$XDG_DATA_HOME``, else in ``%APPDATA%``
    (Windows), else in ``~/.local/share``. An empty variable counts as unset."""
    base = os.environ.get("XDG_DATA_HOME") or os.environ.get("APPDATA")
    root = Path(base) if base else Path.home() / ".local" / "share"
    return root / APP_FOLDER
