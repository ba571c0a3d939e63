"""What the main window keeps across restarts in the user's settings, besides Open Recent.

Kept: the window's geometry and its docks' and toolbar's layout (``saveGeometry`` and
``saveState``), the Analysis menu's Exact sliding-window path, the models chosen in the Models
panel (each as its path's bytes, as Open Recent keeps paths; kept only once the analyst chose
models there: the bundled set is never pinned), and the case id typed in a report dialog, per
case folder. Each comes back at the next start, read through ``gui/settings_values.py`` (a
value of the wrong type or size is ignored and said). A remembered model file that no longer
exists is dropped and said in one line; with none left, the bundled models are used. A case
log's examiner is each report dialog's examiner until one is typed.

Before, the window came back at its default size with the default docks, Exact unticked and
the bundled models (a batch resume then was refused as a model mismatch until the same models
were picked again), and a report written without retyping had no examiner and no case id
while the case log beside it named an examiner.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from forensic_viewer.gui.settings_values import blob, flag, path_bytes, text_value
from forensic_viewer.wording import plain

GEOMETRY_KEY = "window/geometry"
STATE_KEY = "window/state"
EXACT_KEY = "analysis/exact"
MODELS_KEY = "analysis/models"  # the checkpoint files chosen in the Models panel, as bytes
MAX_MODELS = 64  # more is no choice an analyst made
CASE_ID_GROUP = "case_ids"  # the case id last typed for each case folder


def remembered_models(settings: QSettings) -> tuple[list[str], list[str]]:
    """The model files kept from the last session's choice that still exist, and the lines
    to say (a file dropped, a value ignored). ``[]``: none kept (the bundled models then)."""
    if not settings.contains(MODELS_KEY):
        return [], []
    kept, said = path_bytes(settings, MODELS_KEY, MAX_MODELS)
    paths = [os.fsdecode(p) for p in kept]
    there = [p for p in paths if Path(p).is_file()]
    lines = [said] if said else []
    gone = [p for p in paths if p not in there]
    if gone:
        names = ", ".join(plain(p) for p in gone)
        lines.append(f"{names}: no longer there; dropped from the models last chosen")
    if paths and not there:
        lines.append("none of the models last chosen is there: using the bundled models")
    return there, lines


def case_id_key(case_dir: str | Path) -> str:
    """The settings key of a case folder's case id (its absolute path's SHA-256: a path holds
    characters a settings key cannot)."""
    folder = os.fsencode(os.path.abspath(case_dir))
    return f"{CASE_ID_GROUP}/{hashlib.sha256(folder).hexdigest()[:32]}"


def analyst_fields(window: Any, log: Any) -> dict[str, str]:
    """The report dialog's first examiner and case id: the case log's examiner, and the case
    id last typed for its case folder ("" without a log)."""
    if log is None:
        return {"examiner": "", "case_id": ""}
    case_id, said = text_value(window.settings, case_id_key(log.case_dir))
    if said:
        window.show_error(said)
    return {"examiner": log.examiner, "case_id": case_id}


def keep_case_id(window: Any, case_id: str) -> None:
    """The case id typed, kept for the case folder of ``window``'s log (none: not kept)."""
    log = window.case.log
    if log is not None:
        window.settings.setValue(case_id_key(log.case_dir), case_id)


def restore_exact(window: Any) -> None:
    """Tick Analysis ▸ Exact as it was left (before the models are configured with it)."""
    exact, said = flag(window.settings, EXACT_KEY)
    if said:
        window.show_error(said)
    if exact is not None:
        window.exact_action.setChecked(exact)


def restore_layout(window: Any) -> None:
    """The window's geometry and its docks' layout as they were left (the caller then fits it
    to the screen it is on now)."""
    for key, restore in ((GEOMETRY_KEY, window.restoreGeometry), (STATE_KEY, window.restoreState)):
        value, said = blob(window.settings, key)
        if said:
            window.show_error(said)
        if value is not None and not restore(value):
            window.show_error(f"{plain(window.settings.fileName())}: {key} could not be used")


def save_window(window: Any) -> None:
    """Keep the layout, Exact and (once chosen in the Models panel) the models for the next
    start; written at once, so that a settings file that cannot be written is known here."""
    settings: QSettings = window.settings
    settings.setValue(GEOMETRY_KEY, window.saveGeometry())
    settings.setValue(STATE_KEY, window.saveState())
    settings.setValue(EXACT_KEY, window.exact_action.isChecked())
    if window.models_chosen:
        settings.setValue(MODELS_KEY, [QByteArray(os.fsencode(p)) for p in window.model_paths])
    settings.sync()
