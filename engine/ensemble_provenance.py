"""What an ensemble result says of how its verdict was reached, and how that is read back.

:meth:`engine.ensemble.Ensemble.combine` and :meth:`~engine.ensemble.Ensemble.with_faces`
write it; the displays, reports and scans read it, often from a stored row with no ensemble at
hand:

- the θ provenance's fixed words: :data:`ON_THIS_FILE` (what follows holds on this file only),
  :data:`FACE_RULE_NOTE` and :data:`FACES_ALONE_NOTE` (the face rule decided, alone), the copy's
  map in the heatmap; read by :func:`decided_by_face`, :func:`decided_by_face_alone`,
  :func:`heatmap_replaced_by` and :func:`general_provenance`, which also read the rows written
  before :data:`ON_THIS_FILE`;
- the stacked logit's terms (``ModelResult.contributions``): their kinds
  (:data:`CONTRIBUTION_KINDS`), one term (:func:`contribution`) and its label
  (:func:`member_label`, :func:`analysis_label`); read by :func:`stacked_score` (the score
  before the face rule) and :func:`whole_image_decided` (whole-image statistics carried the
  verdict);
- the face rule's words beside the measured reliability (:data:`FACE_RULE_CAVEAT`,
  :data:`FACE_RULE_COUNTED`, :data:`FACE_RULE_PROMISE`), and with two faces or more what
  their number does to it (:func:`many_faces_words`, at :func:`per_face_rate`), read apart
  by :func:`general_reliability` and :func:`file_reliability`.

Apart from ``engine/ensemble.py`` so that it stays under the file-length limit, and so that a
reader of results does not import the fusion and the copy-move analysis it uses (OpenCV).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from engine.calibration import DETAILS, logit, sigmoid
from engine.decision import MANIPULATED
from engine.types import ModelResult

ON_THIS_FILE = "; on this file: "  # an ensemble result's provenance: the per-file part follows
FACE_RULE_NOTE = "face rule 'any': "  # in that part when a face model's verdict decided
# after it when the face rule alone decided (the ensemble's own verdict was "authentic")
FACES_ALONE_NOTE = "the heatmap is the flagged faces' face map alone"
# per-file notes of rows written before ON_THIS_FILE: a copy's map in the heatmap, a face flag
_OLD_PER_FILE = re.compile(
    r"; the heatmap is the \S+ analysis's map|; " + re.escape(FACE_RULE_NOTE)
)
# the kinds of a stacked logit's terms (ModelResult.contributions): a member's image logit, the
# logit of a member's forged fraction, a classic analysis's score, the bias
IMAGE_STATISTIC, FORGED_FRACTION, ANALYSIS, BIAS = (
    "image_statistic",
    "forged_fraction",
    "analysis",
    "bias",
)
CONTRIBUTION_KINDS = (IMAGE_STATISTIC, FORGED_FRACTION, ANALYSIS, BIAS)


# Beside the default verdict's measured reliability when the face rule is on: those counts were
# taken of the stacked rule alone (trainer/verdict.py), and the face rule can only add flags.
FACE_RULE_PROMISE = (
    "each face the face model calls manipulated flags its photograph (the face model's own "
    "rate on authentic faces is given with it)"
)
FACE_RULE_CAVEAT = (
    ". These counts were taken without the face rule. The face rule is on and can only add "
    f"flags: {FACE_RULE_PROMISE}"
)
# ... and when the counts were also taken with the face rule on (Reliability.with_face_rule)
FACE_RULE_COUNTED = f". Under the face rule, {FACE_RULE_PROMISE}"
# the face model's authentic group whose rate stands for a photograph's faces (its card's)
CAMERA_FACES = "camera-photograph faces"
# opens what a reliability sentence says of its file alone (many_faces_words): the rest is
# the same for every file (general_reliability)
FACES_ON_THIS_FILE = ". On this file, "
_OLD_FACES_ON_THIS_FILE = "; on this file, "  # the same in rows written before 2026-12-07


def _file_part(text: str) -> tuple[str, str, str]:
    """``text`` cut into what precedes its file's own part, that part (from
    :data:`FACES_ON_THIS_FILE` on) and what follows it (from
    :data:`engine.calibration.DETAILS` on, said for every file); "" where there is none."""
    head, sep, rest = text.partition(DETAILS)
    for opener in (FACES_ON_THIS_FILE, _OLD_FACES_ON_THIS_FILE):
        if opener in head:
            before, _, own = head.partition(opener)
            return before, opener + own, sep + rest
    return head, "", sep + rest


def general_reliability(text: str) -> str:
    """An ensemble result's reliability sentence without what holds on its file only (what
    :data:`FACES_ON_THIS_FILE` opens): what is said once for every file (the command line's
    closing line, a report's table of models)."""
    before, _, after = _file_part(text)
    return before + after


def file_reliability(text: str) -> str:
    """What an ensemble result's reliability sentence says of its file alone (from the first
    :data:`FACES_ON_THIS_FILE` on, without its separator), "" when nothing."""
    return _file_part(text)[1][2:]


def per_face_rate(calibration: Mapping[str, Any] | None) -> tuple[str, int, int] | None:
    """A face model's measured false alarms per authentic face, from its calibration's
    ``reliability.flagged`` (the counts its card gives): (group, flagged, total) of the
    authentic :data:`CAMERA_FACES` when counted, else of every authentic group together;
    None when none is stored."""
    try:
        groups = dict(((calibration or {}).get("reliability") or {}).get("flagged") or {})
        authentic = {str(g): (int(v[0]), int(v[1])) for g, v in groups.items() if "authentic" in g}
    except (AttributeError, TypeError, ValueError, IndexError):
        return None
    camera = [(g, k, n) for g, (k, n) in authentic.items() if CAMERA_FACES in g and n > 0]
    if camera:
        return camera[0]
    k, n = sum(k for k, _ in authentic.values()), sum(n for _, n in authentic.values())
    return ("authentic faces", k, n) if n > 0 else None


def many_faces_words(name: str, judged: int, rate: tuple[str, int, int] | None) -> str:
    """Beside the default verdict's reliability when the face rule is on and face model
    ``name`` judged ``judged`` >= 2 faces of the file: that number, and how often an authentic
    photograph with as many faces would be flagged at the model's measured per-face rate
    (``rate``: :func:`per_face_rate`), about 1 - (1 - r)^N. The photograph-level counts were
    taken on photographs of 0-2 faces: at 3 of 27 per face, a 17-face group photograph would
    be flagged about 86 % of the time, and nothing on its verdict said so (walk-through
    2026-12-06, finding 2). "" for fewer than 2 faces."""
    if judged < 2:
        return ""
    head = f"{FACES_ON_THIS_FILE}{judged} faces judged by {name}"
    if rate is None:
        return f"{head}: each can flag it, and its per-face rate is not measured"
    group, k, n = rate
    if k == 0:
        return (
            f"{head}: each can flag it; none of the {n} {group} it was measured on was "
            f"flagged, too few to say how often {judged} authentic faces are"
        )
    r = k / n
    return (
        f"{head}: at its per-face rate on {group}, {100 * r:.0f} % ({k} of {n}), an authentic "
        f"photograph with {judged} faces would be flagged about {100 * (1 - (1 - r) ** judged):.0f} % "
        f"of the time (1 - (1 - r)^{judged}, if its faces erred independently)"
    )


def contribution(key: str, label: str, kind: str, x: float, w: float) -> dict[str, Any]:
    """One term w · x of a stacked logit (``ModelResult.contributions``)."""
    return {
        "input": key,
        "label": label,
        "kind": kind,
        "value": float(x),
        "weight": float(w),
        "contribution": float(w * x),
    }


def member_label(r: ModelResult) -> tuple[str, str]:
    """How a member's stacking input is named to the analyst, and its kind. A logit rule's
    statistic is its image logit: the mean (or max, ``input_policy["image_logit"]``) of its
    window logits, of the photograph reduced to ``detect_size`` when it was larger
    (``engine.preprocess.reduced_shape``), so of the whole photograph and not of the mask. A
    forged-fraction rule's statistic is the logit of the share of its own mask's pixels (below
    0 for every mask under half the image: such a member pulls the score down, less so the
    more it marks)."""
    if r.rule == "logit":
        size = r.input_policy.get("detect_size")
        how = (
            f"photo reduced to {max(int(v) for v in size)} px"
            if isinstance(size, (list, tuple)) and size
            else f"{r.input_policy.get('image_logit', 'max')} of its window logits"
        )
        return f"{r.name} (whole-image statistic, {how})", IMAGE_STATISTIC
    return f"{r.name} (marked area)", FORGED_FRACTION


def term_label(term: Mapping[str, Any]) -> str:
    """A stacked term's ``label`` as readers see it: a member's marked area (the share of its
    mask's pixels, kind :data:`FORGED_FRACTION`) by that name, which rows written before
    2026-12-06 gave as "forged fraction" (read as "this much is forged")."""
    return str(term["label"]).replace(" (forged fraction)", " (marked area)")


# The one name a reader sees for the classic analysis ``clone`` (its id in JSON keys, CSV
# columns, stacking weights' ``analysis:clone``): "clone (analysis)", "analysis:clone" and
# "the clone analysis" beside "copy-move analysis" read as different checks to a reader with
# English as a second language (walk-through 2026-12-06, finding 13).
COPY_MOVE = "copy-move analysis"


def analysis_words(name: str) -> str:
    """A classic analysis as readers see it named: :data:`COPY_MOVE` for ``clone``, else
    ``NAME analysis``. Machine names (JSON keys, CSV columns, ids) stay ``name``."""
    return COPY_MOVE if name == "clone" else f"{name} analysis"


def stacking_input_words(key: str, prefix: str = "analysis:") -> str:
    """A stacking weight's key as readers see it: a classic analysis's (``analysis:clone``)
    by :func:`analysis_words`, a member's by its name."""
    return analysis_words(key.removeprefix(prefix)) if key.startswith(prefix) else key


def analysis_label(name: str, score: float) -> str:
    """A classic analysis's stacking input as the analyst reads it: the copy-move analysis's
    score is 1 when it found a cloned pair, 0 when not."""
    if name == "clone":
        return f"{COPY_MOVE} ({'pair found' if score > 0 else 'no pair'})"
    return f"{analysis_words(name)} (score {score:.3g})"


def whole_image_decided(
    contributions: Sequence[Mapping[str, Any]] | None,
    verdict: str,
    threshold: float,
    provenance: str,
) -> bool:
    """Whether a stacked "manipulated" verdict was carried over θ by whole-image statistics
    (:data:`IMAGE_STATISTIC` inputs), so that its mask need not show what decided it.

    True when the verdict is "manipulated", no face decided it (:func:`decided_by_face`: that
    case has its own words and map), and the other terms (bias, forged fractions, analyses)
    sum to at most logit(θ): without the whole-image statistics (at 0, no evidence either way)
    the stacked score would not have passed θ. Not "the largest positive term is a whole-image
    statistic": when the copy-move analysis found a pair its term alone can pass θ (bundled
    ensemble: -0.72 + 2.22 > logit 0.5986 = 0.40), and the mask is then that pair's map, which
    does show what decided, however large the whole-image term beside it. The other inputs
    are tied to the mask: a forged fraction counts the pixels of its member's mask, whose
    heatmap the fused one averages, and a found pair is drawn as the mask
    (:mod:`engine.ensemble`'s docstring, ``localization_analyses``)."""
    if not contributions or verdict != MANIPULATED or decided_by_face(provenance):
        return False
    rest = sum(float(c["contribution"]) for c in contributions if c["kind"] != IMAGE_STATISTIC)
    return rest <= float(logit(threshold))


def decided_by_face(provenance: str) -> bool:
    """Whether an ensemble result's θ provenance says a face model's verdict decided it (its
    score is then the flagged face's, moved onto the ensemble's scale)."""
    return FACE_RULE_NOTE in provenance


def decided_by_face_alone(provenance: str) -> bool:
    """Whether the face rule alone made an ensemble result "manipulated": a face model flagged
    a face and the ensemble's own verdict was "authentic" (:data:`FACES_ALONE_NOTE`, in rows
    written since 2026-12-05; an older row's own verdict is not said)."""
    return decided_by_face(provenance) and FACES_ALONE_NOTE in provenance


def stacked_score(contributions: Sequence[Mapping[str, Any]] | None) -> float | None:
    """A stacked ensemble's own score, before the face rule: σ of the sum of its terms
    (``ModelResult.contributions``, the bias among them); None without them (an ensemble
    that does not stack, a row written before they were recorded)."""
    if not contributions:
        return None
    return float(sigmoid(sum(float(c["contribution"]) for c in contributions)))


_REPLACED = re.compile(r"the heatmap is the (\S+) analysis's map")


def heatmap_replaced_by(provenance: str) -> str | None:
    """The analysis (its id: ``clone``) whose map replaced an ensemble result's heatmap on its
    file, as its θ provenance says (``localization_analyses``: the copy-move analysis found a
    pair; rows written before :data:`ON_THIS_FILE` say it in the same words; older rows name
    it "the clone analysis", newer ones :data:`COPY_MOVE`), else None. Such a heatmap is that
    analysis's region map (1 inside a region, 0 outside), not a probability."""
    found = _REPLACED.search(provenance)
    if found is None:
        return None
    return "clone" if f"{found.group(1)} analysis" == COPY_MOVE else found.group(1)


def general_provenance(text: str) -> str:
    """An ensemble result's θ provenance without what holds on its file only (what follows
    :data:`ON_THIS_FILE`, or in rows written before it the notes appended then): what a
    report's table of models says about every file."""
    cuts = [i for i in (text.find(ON_THIS_FILE),) if i >= 0]
    cuts += [m.start() for m in _OLD_PER_FILE.finditer(text)]
    return text[: min(cuts)] if cuts else text
