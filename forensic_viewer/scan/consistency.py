"""Whether a results row's verdicts follow from its own figures (no Qt).

Every verdict a scan writes is made from figures written beside it: a model's from its forged
fraction or score and θ under its rule (:func:`engine.decision.threshold_applies_to`), the
ensemble's from its score and θ, a stacked ensemble's score from its contributions, a face's
from its own figures and θ. A row in which one does not follow from the others was changed
after the scan: a walk-through of 2026-12-06 turned a row's default verdict to "authentic"
beside its score 0.867 > θ 0.599, put results.jsonl's new SHA-256 into scan.json (two edits an
editor and ``sha256sum`` make), and the report took it without a word. The check cannot see an
edit that changes every figure together; it sees what a hand edit of a verdict leaves.

Not contradictions: a verdict "manipulated" made by the face rule (a face model flagged a face:
the ensemble's score is then no verdict of its own, ``engine.ensemble_provenance.
decided_by_face``), a verdict outside the measured range (still the rule's verdict: it is
marked, not changed), and what a row of an earlier version does not hold (no ``details``, no
rule, no contributions, no margin: nothing is checked that the row does not say).

:func:`entry_contradictions` judges one result's figures (a row's ``details`` entry, a
report's entry); :func:`row_contradictions` a whole row; :func:`file_contradictions` every row
of a results.jsonl, each named by its line, path and field
(:func:`~forensic_viewer.scan.integrity.edited_results` refuses such a file as it refuses
one edited after its run).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from engine.decision import (
    AUTHENTIC,
    MANIPULATED,
    decision_margin,
    fraction_score,
    sigmoid,
    statistic,
    threshold_applies_to,
)
from engine.ensemble_provenance import FORGED_FRACTION, IMAGE_STATISTIC, decided_by_face
from engine.files import open_regular

# a recomputed figure agrees with the recorded one within this (relative, and absolute near 0):
# the same formula on the same stored floats gives the same bits; the slack is for rows of
# versions that summed in another order
REL_TOLERANCE = 1e-6
# a stacked score agrees with σ(Σ contributions) when the sum is within this of its logit, or
# (σ saturated, where the logit says little) σ(Σ) within REL_TOLERANCE of it
LOGIT_TOLERANCE = 0.01


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL_TOLERANCE, abs_tol=1e-12)


def _num(v: object) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _said(figure: str, value: float) -> str:
    return f"{figure} {value:.6g}"


def entry_contradictions(where: str, f: Mapping[str, Any], ensemble: bool = False) -> list[str]:
    """What in one result's figures ``f`` (a ``details`` entry, or the ensemble's) does not
    follow from the rest, each ``"<where>.<field> ..."`` in words; [] when all agree or the
    figures do not say enough to judge. ``ensemble``: the ensemble's (its rule is "ensemble")."""
    verdict, threshold = f.get("verdict"), _num(f.get("threshold"))
    score, fraction = _num(f.get("score")), _num(f.get("forged_fraction"))
    rule = "ensemble" if ensemble else f.get("rule")
    if verdict not in (MANIPULATED, AUTHENTIC):
        return [f'{where}.verdict is {json.dumps(verdict)}, neither "manipulated" nor "authentic"']
    if threshold is None or score is None or fraction is None or rule is None:
        return []  # a row of an earlier version, or a summary without its rule
    out: list[str] = []
    value = threshold_applies_to(str(rule), score, fraction)
    figure = "forged fraction" if rule == "forged_fraction" else "score"
    by_face = decided_by_face(str(f.get("threshold_provenance", "")))
    if rule in ("forged_fraction", "logit", "ensemble"):
        follows = MANIPULATED if value > threshold else AUTHENTIC
        # an ensemble row without its provenance (before ensemble_details) may be the face
        # rule's "manipulated": only "authentic" above θ, which no rule makes, is judged then
        unsaid = ensemble and "threshold_provenance" not in f and verdict == MANIPULATED
        if verdict != follows and not (by_face and verdict == MANIPULATED) and not unsaid:
            side = "above" if value > threshold else "at or below"
            out.append(
                f'{where}.verdict is "{verdict}" but its {_said(figure, value)} is {side} '
                f"θ {threshold:.6g} (rule {rule})"
            )
    if by_face and verdict != MANIPULATED:
        out.append(f'{where}.verdict is "{verdict}" but its provenance says a face decided it')
    if rule == "forged_fraction" and not _close(score, fraction_score(fraction, threshold)):
        out.append(
            f"{where}.score {score:.6g} is not p / (p + θ) of its forged fraction "
            f"{fraction:.6g} and θ {threshold:.6g} ({fraction_score(fraction, threshold):.6g})"
        )
    logit = _num(f.get("image_logit"))
    if rule == "logit" and logit is not None and not _close(score, sigmoid(logit)):
        out.append(f"{where}.score {score:.6g} is not σ of its image logit {logit:.6g}")
    out += _stacking(where, f, score, by_face)
    out += _margin(where, f, str(rule), score, fraction, threshold)
    return out


def _stacking(where: str, f: Mapping[str, Any], score: float, by_face: bool) -> list[str]:
    """A stacked ensemble's terms against each other and its score (none: no terms)."""
    terms = f.get("contributions")
    if not isinstance(terms, list) or not terms:
        return []
    out: list[str] = []
    total = 0.0
    for i, t in enumerate(terms):
        x, w, c = (
            _num(t.get(k)) if isinstance(t, dict) else None
            for k in ("value", "weight", "contribution")
        )
        if x is None or w is None or c is None:
            return [f"{where}.contributions[{i}] cannot be read"]
        if not _close(c, w * x):
            out.append(
                f"{where}.contributions[{i}].contribution {c:.6g} is not weight × value ({w * x:.6g})"
            )
        total += c
    stacked = sigmoid(total)
    p = min(max(score, 1e-12), 1 - 1e-12)
    agrees = abs(total - math.log(p / (1 - p))) <= LOGIT_TOLERANCE or _close(stacked, score)
    if by_face:  # the face rule can only raise the score above the stacked one
        agrees = score >= stacked - LOGIT_TOLERANCE * stacked * (1 - stacked) - 1e-12
    if not agrees:
        out.append(
            f"{where}.score {score:.6g} is not σ of its contributions' sum {total:+.4f} "
            f"({stacked:.6g})"
        )
    return out


def _margin(
    where: str, f: Mapping[str, Any], rule: str, score: float, fraction: float, threshold: float
) -> list[str]:
    """A recorded margin to θ against the one its figures make (none recorded: nothing)."""
    margin = _num(f.get("margin"))
    if margin is None:
        return []
    made = decision_margin(rule, score, fraction, threshold, str(f.get("precision", "")))
    out = []
    if not math.isclose(margin, made["margin"], abs_tol=1e-9):
        out.append(f"{where}.margin {margin:.6g} is not its figure minus θ ({made['margin']:.6g})")
    if f.get("near_threshold") != made["near_threshold"]:
        out.append(
            f"{where}.near_threshold is {json.dumps(f.get('near_threshold'))} but its margin "
            f"{made['margin']:.6g} against the bound {made['margin_bound']} makes it "
            f"{json.dumps(made['near_threshold'])}"
        )
    return out


def _face_contradictions(row: Mapping[str, Any], members: set[str]) -> list[str]:
    """Each face's verdicts against its own figures, and a face-rule verdict with no face
    flagged by a face model."""
    out: list[str] = []
    flagged = False
    for i, face in enumerate(row.get("faces") or []):
        scores = face.get("face_scores") if isinstance(face, dict) else None
        for name, fs in (scores or {}).items():
            if not isinstance(fs, dict):
                continue
            where = f"faces[{i}].face_scores.{name}"
            rule, t = fs.get("rule"), _num(fs.get("threshold"))
            score, fraction = _num(fs.get("score")), _num(fs.get("forged_fraction"))
            flagged |= fs.get("verdict") == MANIPULATED and name not in members
            if t is None or score is None or rule not in ("logit", "forged_fraction"):
                continue  # a face of an earlier version: no θ or rule recorded
            value = fraction if rule == "forged_fraction" else score
            if value is None:
                continue
            follows = MANIPULATED if value > t else AUTHENTIC
            if fs.get("verdict") != follows:
                out.append(
                    f"{where}.verdict is {json.dumps(fs.get('verdict'))} but its "
                    f"{_said('forged fraction' if rule == 'forged_fraction' else 'score', value)} "
                    f"is {'above' if value > t else 'at or below'} θ {t:.6g} (rule {rule})"
                )
    ens = row.get("ensemble_details")
    provenance = str(ens.get("threshold_provenance", "")) if isinstance(ens, dict) else ""
    scored = any(isinstance(f, dict) and f.get("face_scores") for f in row.get("faces") or [])
    if decided_by_face(provenance) and scored and not flagged:
        out.append(
            "ensemble_details.threshold_provenance says a face decided the verdict but no "
            "face model's face_scores flags a face"
        )
    return out


def _summary(where: str, summary: object, full: Mapping[str, Any] | None) -> list[str]:
    """A ``models`` (``ensemble``) entry against its ``details`` (``ensemble_details``)."""
    if not isinstance(summary, dict) or full is None:
        return []
    return [
        f"{where}.{k} {json.dumps(summary.get(k))} differs from its details' "
        f"{json.dumps(full.get(k))}"
        for k in ("score", "verdict", "forged_fraction", "threshold")
        if k in summary and k in full and summary.get(k) != full.get(k)
    ]


def row_contradictions(row: Mapping[str, Any]) -> list[str]:
    """What in an ``ok`` row does not follow from its own figures ([] for other rows)."""
    if not isinstance(row, Mapping) or row.get("status") != "ok":
        return []
    details = row.get("details") if isinstance(row.get("details"), dict) else {}
    out: list[str] = []
    for name, summary in (row.get("models") or {}).items():
        full = details.get(name) if isinstance(details.get(name), dict) else None
        out += _summary(f"models.{name}", summary, full)
        if full is not None:
            out += entry_contradictions(f"details.{name}", full)
        elif isinstance(summary, dict):  # no rule known: only the verdict's word
            out += entry_contradictions(f"models.{name}", {**summary, "rule": None})
    ens_full = (
        row.get("ensemble_details") if isinstance(row.get("ensemble_details"), dict) else None
    )
    if isinstance(summary := row.get("ensemble"), dict):
        out += _summary("ensemble", summary, ens_full)
        out += entry_contradictions("ensemble", {**summary, **(ens_full or {})}, ensemble=True)
        out += _member_terms(ens_full or {}, details)
    return out + _face_contradictions(row, set(row.get("models") or {}))


def _member_terms(ens: Mapping[str, Any], details: Mapping[str, Any]) -> list[str]:
    """Each stacked term of a member against that member's own statistic in ``details``."""
    out = []
    for i, t in enumerate(ens.get("contributions") or []):
        m = details.get(t.get("input")) if isinstance(t, dict) else None
        if not isinstance(m, dict) or t.get("kind") not in (IMAGE_STATISTIC, FORGED_FRACTION):
            continue
        try:
            x = statistic(
                str(m.get("rule")), float(m["forged_fraction"]), _num(m.get("image_logit"))
            )
        except (KeyError, TypeError, ValueError):
            continue
        value = _num(t.get("value"))
        if value is not None and not _close(value, x):
            out.append(
                f"ensemble_details.contributions[{i}].value {value:.6g} is not the statistic of "
                f"details.{t.get('input')} ({x:.6g})"
            )
    return out


class Contradiction(NamedTuple):
    """A row of results.jsonl whose figures contradict each other: its line (from 1), path
    and what does not follow, in words."""

    line: int
    path: str
    what: list[str]


def file_contradictions(results: Path) -> Iterator[Contradiction]:
    """Every ``ok`` row of ``results`` (a results.jsonl) with a contradiction, in file order;
    lines that are not rows are skipped (:func:`~forensic_viewer.scan.integrity.row_fault`
    judges those). Nothing when the file cannot be read, or is not a regular file (a named
    pipe put in its place is never waited on: its own reader refuses it in one line)."""
    try:
        f = open_regular(results)
    except OSError:
        return
    with f:
        for n, raw in enumerate(f, start=1):
            try:
                row = json.loads(raw)
            except ValueError:
                continue
            if isinstance(row, dict) and (what := row_contradictions(row)):
                yield Contradiction(n, str(row.get("path", "?")), what)


@dataclass(frozen=True)
class Contradicted:
    """results.jsonl holds rows whose figures contradict each other (:func:`file_contradictions`),
    whatever hash was recorded of it: taken as a file edited after its run is
    (:class:`~forensic_viewer.scan.integrity.Edited`'s ``line``, ``to_json``, ``record``)."""

    file: str  # results.jsonl, absolute
    found: tuple[Contradiction, ...]  # every row that contradicts itself
    rows: int  # how many rows contradict themselves in all

    @property
    def line(self) -> str:
        first = self.found[0]
        more = f" (and {self.rows - 1} more row(s))" if self.rows > 1 else ""
        return (
            f"{self.file} line {first.line} ({first.path}): {first.what[0]}{more}: its figures "
            "contradict its verdict, which no run writes: rows may have been edited"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "contradictions": [
                {"line": c.line, "path": c.path, "fields": list(c.what)} for c in self.found
            ],
            "rows": self.rows,
            "note": self.line,
        }

    def record(self, accepted: bool) -> dict[str, Any]:
        """What scan.json's run (``results_edited``) and the case log keep of it, as of an
        edited file: whether the analyst took the rows as they now read."""
        return {**self.to_json(), "accepted": accepted}


def accepted_contradictions(runs: Iterable[object]) -> set[tuple[str, tuple[str, ...]]]:
    """(path, what) of every contradiction an analyst accepted (scan.json's runs'
    ``results_edited`` with ``accepted``: a resume went on over them), so that a resume after
    it is not refused again over the same rows; a row contradicting itself otherwise (edited
    since) still is, and every report keeps the accepted record's alert."""
    out: set[tuple[str, tuple[str, ...]]] = set()
    for run in runs:
        edited = run.get("results_edited") if isinstance(run, dict) else None
        if isinstance(edited, dict) and edited.get("accepted") is True:
            for c in edited.get("contradictions") or []:
                if isinstance(c, dict):
                    out.add((str(c.get("path")), tuple(map(str, c.get("fields") or []))))
    return out


def contradicted(
    results: Path, accepted: set[tuple[str, tuple[str, ...]]] | None = None
) -> Contradicted | None:
    """:class:`Contradicted` of ``results`` (a results.jsonl), every row named; None when every
    row agrees, or contradicts itself only as an analyst accepted (``accepted``:
    :func:`accepted_contradictions`)."""
    accepted = accepted or set()
    found = [c for c in file_contradictions(results) if (c.path, tuple(c.what)) not in accepted]
    return Contradicted(str(results.resolve()), tuple(found), len(found)) if found else None
