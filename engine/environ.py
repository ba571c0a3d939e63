"""What more than one module reads from the environment: the per-user folders (data and
cache), and the one syntax of the limits set by environment variables.

:func:`user_data_dir` is the one definition of the per-user folder, so the user's own models
(:func:`engine.catalog.user_models_dir`), training runs (``trainer.plan``), the viewer's default
case (``forensic_viewer.audit``) and the output and report folders the viewer proposes for
evidence, off the evidence medium (``forensic_viewer.scan.proposed_out``) are found in the same place on every system; each of
them imports it from here. :func:`user_cache_dir` is its cache counterpart (the OpenVINO
conversions, :func:`engine.runtime.cache_dir`), beside it so the two rules are read together.
They are here, in the engine, because the engine may import neither of the packages that use
the data folder too.

The program's own folder variables (:data:`PATH_VARIABLES`) must hold absolute paths:
:func:`relative_path_setting` says which does not, and both programs refuse to start then.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

APP_FOLDER = "forensic-viewer"  # the program's folder inside the per-user base folder
# The program's own variables that name a folder (the OpenVINO cache, the case, the user's
# models, the resources folder of the bundled models and samples); each must be an absolute
# path (relative_path_setting)
PATH_VARIABLES = (
    "FORENSIC_VIEWER_CACHE",
    "FORENSIC_VIEWER_CASE",
    "FORENSIC_VIEWER_MODELS",
    "FORENSIC_VIEWER_RESOURCES",
)


# The program's own variables that change what a run computes or which files it computes it
# with, so that the same command under another value gives other figures or rows: the runtime
# (int8 OpenVINO, OpenVINO fp32, PyTorch), the limits that refuse an evidence file or a
# checkpoint (a refused file gets an error row; a refused checkpoint stops the run), and the
# folders a model named by name, or the default ensemble, is found in. A scan records those set
# (:func:`result_variables`) and reports show them before its command, so that the command
# reproduces the run (docs/RESULTS.md, "Reproducing a result"). Not among them: the OpenVINO
# cache (its conversions are checked and the same), the case folder and the examiner's name.
RESULT_VARIABLES = (
    "FORENSIC_VIEWER_RUNTIME",
    "FORENSIC_VIEWER_MAX_PIXELS",
    "FORENSIC_VIEWER_MAX_DECODE_BYTES",
    "FORENSIC_VIEWER_MAX_MODEL_PARAMETERS",
    "FORENSIC_VIEWER_MAX_ACTIVATION_BYTES",
    "FORENSIC_VIEWER_MODELS",
    "FORENSIC_VIEWER_RESOURCES",
)


def result_variables() -> dict[str, str]:
    """Those of :data:`RESULT_VARIABLES` set to a value (an empty one counts as unset, as
    their readers take it), by name, in that order."""
    return {n: v for n in RESULT_VARIABLES if (v := os.environ.get(n, "")).strip()}


def path_setting(name: str) -> Path | None:
    """The folder one of :data:`PATH_VARIABLES` names (``~`` expanded), None when it is unset
    or empty: read as its readers (the cache, the user's models, the resources folder) take
    it; a relative value never reaches them, the programs refuse it at start
    (:func:`relative_path_setting`)."""
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else None


def _base(*names: str) -> Path | None:
    """The first of the environment variables ``names`` that holds an absolute path.

    Empty and relative values count as unset, as the XDG base directory specification says
    of its variables ("a relative path ... should be considered invalid and ignored"): read
    as given, ``XDG_DATA_HOME=data`` put the default case, the user's models and training
    runs in a folder of whichever folder the program was started from, so the viewer started
    elsewhere found another case log and none of the models."""
    for name in names:
        value = os.environ.get(name)
        if value and Path(value).is_absolute():
            return Path(value)
    return None


def relative_path_setting() -> str | None:
    """The one-line refusal of the first of :data:`PATH_VARIABLES` set to a relative path
    (``~`` counts as absolute, as the readers expand it), or None. ``forensic-viewer`` and
    ``forensic-train`` refuse to start with it (exit 2), before reading any of them.

    Refused, not resolved against the working directory: a relative value names another
    folder in each process started from elsewhere (a resumed scan, the batch dialog of a
    viewer started from its desktop entry, a run resumed from another shell), so the case log,
    the models found or the cache would change without a word; resolving it once at start
    would still make the next run's folder depend on where it is started. Not ignored, as
    the XDG variables' relative values are (:func:`_base`): these are this program's own,
    set for it, and dropping one would log a case into the default case unseen."""
    for name in PATH_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value and not Path(value).expanduser().is_absolute():
            return (
                f"{name}={value} is not an absolute path: a relative one would name another "
                "folder in each process started elsewhere (a resumed scan, the viewer started "
                "from its desktop entry); set it to an absolute path"
            )
    return None


def user_data_dir() -> Path:
    """The per-user folder: ``forensic-viewer`` in ``$XDG_DATA_HOME``, else in ``%APPDATA%``
    (Windows), else in ``~/.local/share``. An empty or relative variable counts as unset."""
    root = _base("XDG_DATA_HOME", "APPDATA") or Path.home() / ".local" / "share"
    return root / APP_FOLDER


def user_cache_dir() -> Path:
    """The per-user cache folder: ``forensic-viewer`` in ``$XDG_CACHE_HOME``, else in
    ``%LOCALAPPDATA%`` (Windows), else in ``~/.cache``. An empty or relative variable counts as
    unset.

    The precedence is :func:`user_data_dir`'s, so both folders are chosen by one rule: a set
    XDG variable wins (Windows sets none, so whoever set one meant it, e.g. under MSYS2), then
    the Windows variable, then the XDG default. On Windows it is ``%LOCALAPPDATA%``, not
    ``%APPDATA%`` as for the data, because a roaming profile copies ``%APPDATA%`` between
    machines at every logon, and a cache (models converted for this machine's OpenVINO, made
    again on demand) belongs to the machine."""
    root = _base("XDG_CACHE_HOME", "LOCALAPPDATA") or Path.home() / ".cache"
    return root / APP_FOLDER


_LIMIT = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGT]?)(i?B)?", re.IGNORECASE)


def parse_limit(text: str, base: int, *, allow_zero: bool = False) -> int | None:
    """The whole number that ``text`` (an environment variable's value) states: digits,
    optionally with a fraction and a K/M/G/T suffix in powers of ``base`` (1000 for counts,
    1024 for bytes), for bytes also a trailing ``B`` or ``iB`` (``4G``, ``4GiB``, ``200M``,
    ``16_000``; any case, underscores ignored); None when it states none, or 0 without
    ``allow_zero``. A byte unit on a count (``200MB`` pixels) is None too: it is a size
    written where a count belongs, which read as 200 million would pass unnoticed. The
    limits on evidence (``engine.io``) and on checkpoints (``engine.sizing``) read their
    variables with it, so a size written for one is understood by the other; each caller
    words its own error, naming its variable."""
    m = _LIMIT.fullmatch(text.strip().replace("_", ""))
    if m is None or (m[3] and base != 1024):  # a byte unit on a count
        return None
    value = int(float(m[1]) * base ** " KMGT".index(m[2].upper() or " "))
    return value if value > 0 or allow_zero else None
