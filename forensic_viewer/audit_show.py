"""One readable line per case log entry, for ``audit show`` and Case ▸ Show (no Qt).

:func:`describe` cuts an entry's details to a line, so what is said first is what the reader
sees: the keys that matter come first, at every level of the details (:data:`FIRST`: a
threshold moved, the verdict, what shaped an export, the head a report printed), the bulky
ones last (:data:`LAST`), the others in name order. In name order alone, a walk-through of
2026-12-06 found ``layer-exported`` cut before its ``threshold`` (only the calibrated one was
seen, for a mask drawn at 0.2), ``analysis-finished`` before its verdict and ``report-exported``
before ``head_in_report``. ``verify`` and the file itself keep every key and digit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from forensic_viewer.audit import AuditEntry
from forensic_viewer.wording import plain

_HEX64_IN = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")

# said first, in this order, wherever they are in the details: a note's text, the verdict and
# its figures, a threshold's move and why, an export's look, a report's head, what it is about
FIRST = (
    "text",
    "verdict",
    "score",
    "probability",
    "threshold",
    "pixel_threshold",
    "from",
    "to",
    "calibrated",
    "calibrated_threshold",
    "reason",
    "opacity",
    "colormap",
    "fade",
    "head_in_report",
    "entries_in_report",
    "error",
    "layer",
    "model",
    "mask",
    "path",
)
# said last: long, and rarely what the line is read for
LAST = ("input_policy", "model_files", "fs_times", "code", "command_line", "settings")


def _rank(key: str) -> tuple[int, int, str]:
    if key in FIRST:
        return (0, FIRST.index(key), "")
    if key in LAST:
        return (2, LAST.index(key), "")
    return (1, 0, key)


def ordered(value: Any) -> Any:
    """``value`` with every mapping's keys in the order :func:`describe` says them."""
    if isinstance(value, Mapping):
        return {k: ordered(value[k]) for k in sorted(value, key=lambda k: _rank(str(k)))}
    if isinstance(value, list):
        return [ordered(v) for v in value]
    return value


def describe(entry: AuditEntry, limit: int = 240) -> str:
    """One readable line of an entry (``audit show``): seq, time, action, who, details.

    For reading, not checking: the keys that matter first (module docstring), SHA-256 values
    inside the details cut to their first 12 digits, and the details to ``limit``
    characters."""
    parts = []
    for k, v in ordered(entry.details).items():
        text = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
        parts.append(f"{k}={_HEX64_IN.sub(lambda m: m.group(0)[:12] + '…', text)}")
    details = "; ".join(parts)
    if len(details) > limit:
        details = details[: limit - 1] + "…"
    who = f"{entry.examiner}@{entry.host}"
    return plain(f"{entry.seq:>5}  {entry.time}  {entry.action:<20} {who}  {details}", 2 * limit)
