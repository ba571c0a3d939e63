"""Whose measured rates are worded beside a face model's faces (no Qt).

A face model has no whole-image result, so its measured rates at θ (its reliability sentence)
come from elsewhere: the face model loaded in the viewer now, or a scan's ``scan.json``
(``face_model_figures``). Each face score records the checkpoint that made it
(``FaceScore.checkpoint_sha256``); those rates are worded only when they are that
checkpoint's, else the faces are said to have been scored by a checkpoint whose rates are not
at hand. An analysis made before the analyst switched face models, or a scan's row read by a
viewer that has another face model loaded, had been given the loaded model's rates.

A face score of a row written before the checkpoint was recorded names none (unknown). Read
with its own scan folder's ``scan.json`` (``unrecorded_theirs``) it is taken as that folder's
face model: a resume with another face checkpoint is refused (``scan/settings.py``), so every
row of a folder was judged by the checkpoint its ``scan.json`` names.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from engine.files import read_regular_text
from forensic_viewer.scan.results import SCAN_INFO

NOT_AT_HAND = "the measured rates of the checkpoint that scored these faces are not at hand"
SHA_SHOWN = 12  # hex digits of a SHA-256 named in a sentence (the About dialog's start too)


def recorded_face_models(out: Path) -> dict[str, Any]:
    """scan.json's ``face_model_figures`` (the face models' checkpoint, θ and measured
    reliability: ``forensic_viewer.scan.results.face_model_figures``); {} when it cannot be
    read or holds none."""
    try:
        figures = json.loads(read_regular_text(out / SCAN_INFO)).get("face_model_figures")
    except (OSError, ValueError, AttributeError):
        return {}
    return figures if isinstance(figures, dict) else {}


def face_checkpoints(faces: Iterable[Mapping[str, Any]]) -> dict[str, set[str | None]]:
    """By model, the checkpoint SHA-256s its face scores on ``faces`` record (rows' ``faces``
    or ``FaceRegion.to_dict()``); None stands for a score that records none (an older row)."""
    out: dict[str, set[str | None]] = {}
    for face in faces:
        for name, fs in (face.get("face_scores") or {}).items():
            sha = fs.get("checkpoint_sha256") if isinstance(fs, Mapping) else None
            out.setdefault(str(name), set()).add(str(sha) if sha else None)
    return out


def not_at_hand(recorded: set[str | None], known: str | None) -> str:
    """Why a face model's rates are not worded: :data:`NOT_AT_HAND`, with the checkpoint
    that scored the faces when the rows name one, and the one whose rates are at hand."""
    scored = sorted(s for s in recorded if s)
    which = (
        f"scored by checkpoint {', '.join(s[:SHA_SHOWN] + '…' for s in scored)}"
        if scored
        else "the rows do not record which checkpoint scored them"
    )
    other = f"; those at hand are checkpoint {known[:SHA_SHOWN]}…'s" if known else ""
    return f"{NOT_AT_HAND} ({which}{other})"


def face_rates_for(
    figures: Mapping[str, Any],
    scored: Mapping[str, set[str | None]],
    *,
    unrecorded_theirs: bool = False,
) -> dict[str, str]:
    """By model of ``scored`` (:func:`face_checkpoints`), the reliability sentence of
    ``figures`` (``face_model_figures``: by name, its ``checkpoint_sha256`` and
    ``reliability``) when every face score of it was made by that checkpoint ("" when its
    rates were not measured), else :func:`not_at_hand`'s sentence. A score that records no
    checkpoint matches only when ``unrecorded_theirs`` (``figures`` are the scan folder's own,
    whose rows they are)."""
    out: dict[str, str] = {}
    for name, shas in scored.items():
        f = figures.get(name)
        known = str(f.get("checkpoint_sha256") or "") if isinstance(f, Mapping) else ""
        same = f and scored_by(known, shas, unrecorded_theirs=unrecorded_theirs)
        out[name] = str(f.get("reliability") or "") if same else not_at_hand(shas, known)
    return out


def scored_by(known: str, shas: set[str | None], *, unrecorded_theirs: bool = False) -> bool:
    """Whether every face score recording ``shas`` (:func:`face_checkpoints`' set of one model)
    was made by checkpoint ``known``; a score that records none only when
    ``unrecorded_theirs``; never when ``known`` is "" (not recorded either)."""
    recorded = {s for s in shas if s}
    return bool(known) and recorded <= {known} and (unrecorded_theirs or None not in shas)
