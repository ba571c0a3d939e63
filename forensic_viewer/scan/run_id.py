"""Which run of a scan made a row: a run's identity, one string that no other run shares.

Rows (``run``) and scan.json's runs named a run by its start to the second (``started``), so
two runs begun within one second (a quick resume after a refusal, scripted scans) stamped
alike, and an earlier run's rows were credited to the last run: the report's "Analysed by",
the case log's rows made and files replaced (a helper's finding, 2026-12-06). A run's identity
is now its start to the microsecond, ``~`` and 8 random hex digits
(``2026-12-06T09:00:00.250113+01:00~3f9a1c2e``): a row's ``run``, scan.json's ``run.id`` and
each ``earlier_runs`` entry's ``id``. The random part tells apart runs of one instant (a clock
set back, two machines writing one folder in turn). A folder written before holds second
stamps, in its rows and in ``started`` with no ``id``: such a run's identity is its
``started`` (:func:`run_identity`), which its rows hold, so they compare as before. What is
shown of a run is its start to the second (:func:`shown_start`), as ``started`` holds it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any

from engine.formatting import time_text

RUN_ID = "id"  # scan.json's run.id (and each earlier_runs entry's): the run's identity
SEPARATOR = "~"  # between the start and the random part
_FRACTION = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.\d+")


def new_run_id() -> str:
    """The identity of a run beginning now (its start, local time to the microsecond)."""
    return f"{time_text(timespec='microseconds')}{SEPARATOR}{secrets.token_hex(4)}"


def run_identity(run: Any) -> str | None:
    """The identity of scan.json's record of a run (its ``run`` or an ``earlier_runs`` entry),
    as the rows it made hold it: its ``id``, or, recorded before runs had one, its ``started``
    (None: no record, or neither recorded)."""
    if not isinstance(run, Mapping):
        return None
    for key in (RUN_ID, "started"):
        if isinstance(value := run.get(key), str) and value:
            return value
    return None


def shown_start(identity: str) -> str:
    """A run's start as reports and the viewer show it, to the second, from its identity (a
    row's ``run``): ``2026-12-06T09:00:00+01:00``, as scan.json's ``started`` holds it; a
    stamp of before (to the second already) as it is."""
    return _FRACTION.sub(r"\1", identity.split(SEPARATOR, 1)[0], count=1)
