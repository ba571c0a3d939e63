"""Words the viewer's panels and the reports share, so the screen and the paper say the same.

No Qt: the reports use it headless, the panels on screen.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from engine.decision import AUTHENTIC, MANIPULATED
from engine.ensemble_provenance import analysis_words, term_label

# a terminal's words for untrusted text are engine.formatting's (the trainer prints them too)
from engine.formatting import BIDI_CONTROLS as BIDI_CONTROLS
from engine.formatting import byte_text
from engine.formatting import hidden as hidden
from engine.formatting import plain as plain
from engine.formatting import plain_lines as plain_lines


def marked(text: object, keep: str = "\n\t") -> str:
    """``text`` with every :func:`hidden` character but those in ``keep`` shown as
    ``[U+XXXX]``, and a byte of a name that is not UTF-8 as that byte, ``\\xff``
    (:func:`engine.formatting.byte_text`): how the reports (HTML and PDF alike) print file
    names, metadata and notes."""
    return "".join(
        (byte_text(ch) or f"[U+{ord(ch):04X}]") if hidden(ch) and ch not in keep else ch
        for ch in str(text)
    )


def evidence_files_words(n: int) -> str:
    """How many evidence files a report covers: "1 evidence file", "23 evidence files"."""
    return f"{n} evidence file" + ("" if n == 1 else "s")


def copy_map_words(analysis: str) -> str:
    """What an ensemble's heatmap shows when the copy-move ``analysis``'s map replaced it on
    the file (``engine.ensemble_provenance.heatmap_replaced_by``): regions, not a probability. The
    report's figure caption and the viewer's layer say it; they had called it the ensemble's
    heatmap on a probability scale, only the θ provenance row saying otherwise."""
    return (
        f"copy-move regions found by the {analysis_words(analysis)} (1 inside, 0 outside), in "
        "place of the ensemble's heatmap: it found a pair"
    )


def tile_grid_words(policy: Mapping[str, Any], shape: tuple[int, int]) -> str:
    """A network heatmap computed tile by tile over an image larger than one tile, in words
    ("" otherwise): the spacing of its tiles, and that a change of level on that grid is the
    tiling's. diffforensics-effl0 normalises its decoder over each tile, so at evidence size
    its map differs tile by tile (a 224-pixel grid on a 16 MP photograph, docs/BENCHMARKS.md,
    "tile seams"); an analyst saw square blobs on a book cover and nothing said why.
    ``policy``: the result's ``input_policy`` (the fast path's ``tile`` and ``margin``, the
    exact path's ``window`` and ``stride``); a model that resizes the whole image (mode
    "resize", whose policy still carries the default window and stride) ran on no tiles."""
    if policy.get("mode") != "window":
        return ""
    if "tile" in policy:
        size, step = int(policy["tile"]), int(policy["tile"]) - 2 * int(policy.get("margin", 0))
    elif "window" in policy and "stride" in policy:
        size, step = int(policy["window"]), int(policy["stride"])
    else:
        return ""
    h, w = shape
    if step <= 0 or (h <= size and w <= size):
        return ""
    return (
        f"computed tile by tile ({size}-pixel tiles, one every {step} pixels): where the map "
        f"changes level on a {step}-pixel grid, the tiling made the change, not the photograph"
    )


NO_PARAMETERS = "none: this analysis has no settings"


def parameters_words(params: Mapping[str, Any], value: Callable[[Any], str] = str) -> str:
    """A classic analysis's parameters as the reports' "Parameters" row and the analysis
    panel give them (``value`` writes each value), an empty one said, never left blank:
    the analysis's without settings (jpeg-tables' ``{}``) is :data:`NO_PARAMETERS`, an empty
    list "none", jpeg-ghost's ``qualities`` what its emptiness stands for (the range
    ``GhostParams.quality_list`` takes then). Both had printed as nothing, or "—"."""
    if not params:
        return NO_PARAMETERS

    def words(key: str, v: Any) -> str:
        if not isinstance(v, (list, tuple)) or v:
            return value(v)
        if key == "qualities" and {"q_min", "q_max", "q_step"} <= params.keys():
            lo, hi, step = (params[k] for k in ("q_min", "q_max", "q_step"))
            return f"none listed: q_min to q_max by q_step ({lo} to {hi} in steps of {step})"
        return "none"

    return ", ".join(f"{k} {words(k, v)}" for k, v in params.items())


def policy_text(policy: Mapping[str, Any]) -> str:
    """How a model saw the evidence, in the words of both the viewer's panel and reports (an
    ensemble's policy names its members); where its image score came from a reduced view of
    the evidence (``detect_size``, engine.checkpoints.DecisionRule.detect_side), that too."""
    text = _tiling_text(policy)
    size = policy.get("detect_size")
    if isinstance(size, (list, tuple)) and len(size) == 2:
        text += f"; image score from the image reduced to {size[1]} x {size[0]}"
    if policy.get("threads"):  # PyTorch on the CPU: its figures depend on the thread count
        text += (
            f"; PyTorch on {policy['threads']} CPU thread{'s' if policy['threads'] != 1 else ''}"
        )
    return text


def model_files_words(files: Any) -> list[str]:
    """A result's ``input_policy.model_files`` (what OpenVINO ran on the fast path:
    :meth:`engine.pipeline.Analyzer.files_of`) as ``"NAME SHA-256 HEX"`` for each int8 file and
    ``"fp32 conversion KEY"``; none for rows that ran on PyTorch or were written before
    2026-12-05 (they did not record it)."""
    if not isinstance(files, Mapping):
        return []
    return [
        f"{plain(str(k))} {v}" if k == "fp32 conversion" else f"{plain(str(k))} SHA-256 {v}"
        for k, v in files.items()
    ]


def _tiling_text(policy: Mapping[str, Any]) -> str:
    if "members" in policy:
        return "members " + ", ".join(str(m) for m in policy["members"])
    mode = policy.get("mode")
    if mode == "window" and policy.get("tiling") == "overlap-crop":
        runtime = f", {policy['runtime']}" if policy.get("runtime") else ""
        return (
            f"fast path: tiles {policy.get('tile')} cropped by {policy.get('margin')} "
            f"(trained window {policy.get('window')}{runtime})"
        )
    if mode == "window":
        g = ", Gaussian weighting" if policy.get("gaussian") else ""
        # rows from before the fast path do not say; those from after name the reference
        exact = "exact path: " if policy.get("tiling") == "sliding" else ""
        return f"{exact}sliding window {policy.get('window')}, stride {policy.get('stride')}{g}"
    if mode == "resize":
        size = policy.get("size") or ()
        return f"whole image resized to fit {' x '.join(map(str, size))}"
    return "—"


# What a network's (or an ensemble's) heatmap holds, in the words of the viewer's layer controls
# and of every report's colour legend: the report had said "probability of manipulation from 0
# to 1" while the viewer's layer said nothing (walk-through 2026-12-05). A network's pixel
# output is trained towards the probability that a pixel is manipulated but never calibrated,
# unlike the image's probability (docs/GLOSSARY.md, "heatmap").
HEATMAP_MEANING = (
    "per pixel, how strongly the model marks the pixel as manipulated, from 0 to 1 (its "
    "per-pixel output, not calibrated: not the image's probability)"
)
ENSEMBLE_HEATMAP_MEANING = (
    "per pixel, its members' heatmaps combined as its θ provenance says, from 0 to 1 (not "
    "calibrated: not the image's probability)"
)
AGREEMENT_MEANING = (
    "per pixel, the share of the models whose mask is on there, each at its mask's threshold "
    "as set now: not a probability"
)


def scale_words(scale: object) -> str:
    """How to read a classic analysis's map of this scale (``engine.analyses.MapScale``), in
    the words of the viewer's panels and every report format: raw values and regions are
    never a probability of manipulation."""
    return {
        "raw": "raw values, not a probability of manipulation",
        "probability": "probability of the event named, not of manipulation",
        "region": "1 inside the regions found, 0 elsewhere",
    }.get(str(scale), str(scale))


def picture_layer_name(analysis: str) -> str:
    """The viewer's layer of a classic analysis's picture for the eye (ELA's error levels
    stretched to white, the noise residual), as the layer list and a report's caption say."""
    return f"{analysis} picture (for the eye)"


def map_layer_name(analysis: str, picture: bool) -> str:
    """The viewer's layer of a classic analysis's map; beside a picture (``picture``), named
    apart from it as the map a scan keeps (and its figures and the report's are made from):
    "ela map" and "ela picture" did not say which to read."""
    return f"{analysis} map (what scans keep)" if picture else f"{analysis} map"


# A running network's map once every tile is computed, before its mask and verdict are made
# (they come with the model's result, when the analysis ends; a Cancel keeps the map alone).
WHOLE_MAP_WORDS = "whole image computed — no mask or verdict yet"


def partial_words(fraction: float) -> str:
    """How a partial map is labelled everywhere (layer names, the Verdict panel, exports):
    ``partial (40 % of the image) — no verdict``; a map that covers part of the image never
    gets a verdict (issue 18). A map computed over the whole image is not partial: it is
    :data:`WHOLE_MAP_WORDS` (a finished model's layer had read "partial (100 % of the
    image)" while the next model ran, walk-through 2026-12-05)."""
    if fraction >= 1.0:
        return WHOLE_MAP_WORDS
    percent = int(fraction * 100)  # rounded down: never "100 %" for a map with a gap
    return f"partial ({percent} % of the image) — no verdict"


# How a verdict reads wherever a person reads one (the Verdict panel, the compare panes, the
# evidence list, the triage table, the command line's tables, every report's text); the stored
# values stay engine.decision's "manipulated" and "authentic" (results.jsonl, the CSV and the
# JSON report's "verdict" fields; docs/RESULTS.md). A score on the authentic side of θ says only
# that this model did not flag the image: crfd-net-compact leaves 68 % of tampered CASIA images
# unflagged, and "authentic p=0.43" on a real splice overstated what is measured (expert-witness
# review, 2026-12-05). docs/GLOSSARY.md defines both words.
FLAGGED = "flagged as manipulated"
NOT_FLAGGED = "not flagged"


def verdict_words(
    verdict: object,
    probability: float | None = None,
    score: float | None = None,
    *,
    out_of_range: bool = False,
    threshold: float | None = None,
) -> str:
    """A verdict as a person reads it: ``flagged as manipulated, p 0.94``, ``not flagged, p
    0.43``; with no calibration the score, said as such (``not flagged, score 0.12``); the word
    alone without figures; ``out_of_range``: marked :data:`OUT_OF_RANGE` after the word.
    ``verdict``: ``engine.decision``'s stored value (anything else, e.g. a row of a later
    version, is printed as it is). ``threshold``: θ, given when ``probability`` is on its scale
    (the stacked default verdict's p is its score): p then gets the decimals that tell it
    from θ (:func:`separating_decimals`, as :func:`decision_words` does), else "not flagged,
    p 0.60" and "flagged as manipulated, p 0.60" both stood beside θ 0.5986."""
    word = {MANIPULATED: FLAGGED, AUTHENTIC: NOT_FLAGGED}.get(str(verdict), str(verdict))
    if out_of_range:
        word += f" ({OUT_OF_RANGE})"
    if probability is not None:
        n = 2 if threshold is None else separating_decimals(probability, float(threshold), 2)
        return f"{word}, p {probability:.{n}f}"
    if score is not None:
        return f"{word}, score {score:.2f}"
    return word


# In place of "calibrated" beside the probability of a verdict outside the measured range: an
# image below the measured size (engine.decision.min_verdict_side), or a verdict the face rule
# decided on faces outside the face verdicts' range or found by a detector they were not
# measured with (the Haar fallback; engine.ensemble.faces_out_of_range). The
# curves were fitted on images of 256 px and more (and on measured faces); below 192 px the
# default verdict ranks at chance (docs/VERDICTS.md section 7), so "calibrated" would be untrue.
UNCALIBRATED_HERE = "calibration not measured here"


def calibration_word(out_of_range: Mapping[str, Any] | None) -> str:
    """What the command line, the Verdict panel's cards, the compare panes and the reports
    say beside a verdict's probability: "calibrated", or :data:`UNCALIBRATED_HERE` for a
    verdict outside the measured range (any ``out_of_range``: a small image's short side, or
    the face rule's faces, or their detector)."""
    return UNCALIBRATED_HERE if out_of_range else "calibrated"


PRIOR_CAVEAT = (  # at every calibrated probability: what it assumes ("at even odds" misread)
    "assuming as many manipulated as authentic images; where fewer are, the chance is lower"
)


def confidence_words(
    probability: float | None,
    score: float,
    out_of_range: object = None,
    source: str | None = None,
    caveat: bool = True,
) -> str:
    """How sure a model is, as the Verdict panel's cards and the compare panes' titles say it:
    ``probability 0.81 (calibrated; assuming ...)`` (:data:`PRIOR_CAVEAT`; :func:`calibration_word`: not "calibrated" outside the
    measured range; ``source``, a face's probability in the image's place, in its stead:
    :mod:`forensic_viewer.probability_source`), or with no calibration the raw score said as
    such (beside a card's probability, a pane's "score 0.430" read as a second, disagreeing
    figure for the same model)."""
    if probability is not None:
        said = calibration_word(out_of_range)
        said = said if not source else source if said == "calibrated" else f"{said}; {source}"
        caveat = caveat and not out_of_range  # outside the measured range: not calibrated
        return f"probability {probability:.2f} ({said}" + (f"; {PRIOR_CAVEAT})" if caveat else ")")
    return f"score {score:.3f} (not a probability: no calibration)"


def decision_words(d: Mapping[str, Any]) -> str:
    """The image-level rule as applied, in θ's unit: ``marked area 7.88 % ≤ θ 32.70 %`` (θ on
    a share of pixels: :mod:`forensic_viewer.marked_area`), ``score 0.637 ≤ θ 0.8602`` (θ on
    the sigmoid of the image logit, or on an ensemble's score). ``d``: a results.jsonl
    ``details`` entry; ``face_rule_applied``/``face_rule_alone``: the face rule flagged an
    ensemble's file (alone), ``engine.ensemble_provenance.decided_by_face(_alone)``, as the
    probability's words test it ("Face 1 flagged it too" beside "decided by the face rule")."""
    op = ">" if d.get("verdict") == "manipulated" else "≤"
    theta = d.get("threshold")
    if theta is None:
        return "θ not recorded"
    if d.get("rule") == "forged_fraction":
        return "marked area " + _compared_percent(d.get("forged_fraction", 0.0), op, theta)
    score, theta = float(d.get("score", 0.0)), float(theta)
    # when the score's usual three decimals equal θ's at three ("score 0.599 > θ 0.5986" read
    # as the threshold's edge, or worse), both to the decimals that tell them apart
    if f"{score:.3f}" == f"{theta:.3f}":
        n = separating_decimals(score, theta, 4)
        words = f"score {score:.{n}f} {op} θ {theta:.{n}f}"
    else:
        words = f"score {score:.3f} {op} θ {theta:.4g}"
    if d.get("face_rule_alone"):  # the score is a flagged face's, moved onto this scale
        words += " (decided by the face rule: this is a flagged face's score, not the image's)"
    elif d.get("face_rule_applied"):  # the image's own verdict flagged it too
        words += " (a face flagged it too: the larger of the image's and the face's score)"
    return words


def face_decision_words(fs: Mapping[str, Any]) -> str:
    """A face verdict's rule as applied, in θ's unit (a ``face_scores`` entry: ``score``,
    ``verdict``, ``threshold``, ``rule``, ``forged_fraction``): ``score 0.9839 > θ 0.9829``
    (four decimals: a face model's θ sits near 1, where three print both alike), ``marked
    area 54.52 % > θ 34.23 %``; ``score 0.951`` for a row written before θ was recorded."""
    theta = fs.get("threshold")
    if theta is None:
        return f"score {fs.get('score', 0.0):.3f}"
    op = ">" if fs.get("verdict") == "manipulated" else "≤"
    if fs.get("rule") == "forged_fraction" and fs.get("forged_fraction") is not None:
        return "marked area " + _compared_percent(fs["forged_fraction"], op, theta)
    score, theta = float(fs.get("score", 0.0)), float(theta)
    n = separating_decimals(score, theta, 4)
    return f"score {score:.{n}f} {op} θ {theta:.{n}f}"


def separating_decimals(a: float, b: float, usual: int, most: int = 8) -> int:
    """The decimals to print ``a`` beside ``b`` with (a score beside its θ): the fewest, from
    ``usual`` up to ``most``, at which the two print differently, so that a verdict at the
    threshold's edge does not read as a contradiction ("score 0.9829 > θ 0.9829": 0.982907
    against 0.982867); ``usual`` when they are equal."""
    n = usual
    while a != b and n < most and f"{a:.{n}f}" == f"{b:.{n}f}":
        n += 1
    return n


def _compared_percent(value: float, op: str, theta: float) -> str:
    """``7.88 % ≤ θ 32.70 %``: a marked area beside its θ, two decimals of a percent,
    more when two would print them alike (:func:`separating_decimals`)."""
    n = separating_decimals(100 * float(value), 100 * float(theta), 2)
    return f"{float(value):.{n}%} {op} θ {float(theta):.{n}%}"


# Beside a whole-image model's verdict on a face analysed alone (the face path): it never changes
# the file's verdict. The default verdict counts a face only through its face rule, which reads
# the face models' verdicts alone (engine.ensemble.Ensemble.with_faces; docs/FACES.md), so "face
# MANIPULATED" can stand beside an authentic file, by design.
NOT_USED = "not used for the verdict"
MEMBER_FACE_WORDS = f"{NOT_USED}: its threshold was set on whole images, not on faces"


def face_effect_words(*, face_model: bool, verdict: str) -> str | None:
    """What a face verdict does to the file's verdict, where it could be misread:
    :data:`MEMBER_FACE_WORDS` for a whole-image model's "manipulated" face (``face_model``
    False); None otherwise (a face model's flag that decided the file is said beside the
    default verdict, :func:`decision_words`)."""
    return MEMBER_FACE_WORDS if not face_model and verdict == "manipulated" else None


def face_verdict_words(name: str, fs: Mapping[str, Any], *, face_model: bool) -> str:
    """One model's result on one face analysed alone (reports' faces text and table, Verdict
    panel): a face model's verdict, ``diffforensics-faces flagged as manipulated (score 0.9839
    > θ 0.9829, probability 0.8)``; a whole-image model's figures, no verdict word (its θ was
    set on whole images; walk-through 2026-12-06, finding 11), ``crfd-net-compact (not used
    for the verdict): marked area 40.94 %, θ 34.23 %``. ``fs``: a ``face_scores`` entry."""
    figures = face_decision_words(fs)
    if not face_model:
        figures = figures.replace(" > θ ", ", θ ").replace(" ≤ θ ", ", θ ")
    if fs.get("probability") is not None:
        figures += f", probability {float(fs['probability']):.3g}"
    if not face_model:
        return f"{name} ({NOT_USED}): {figures}"
    return f"{name} {verdict_words(fs.get('verdict', ''))} ({figures})"


# Beside the verdicts on a face the image's border cuts (engine.facepath.cut_by_border)
BORDER_CUT = (
    "cut by the image border: the face reaches the image's edge, so its crop holds part of a "
    "face stretched to the square, weak evidence"
)


def face_models_first(
    face_scores: Mapping[str, Any], whole: Collection[str]
) -> list[tuple[str, Any]]:
    """One face's (model, verdict) pairs in the order every face line gives them: the face
    models' first (those not in ``whole``, the whole-image models: their verdict is the one the
    face rule reads), then the whole-image models', each group in its stored order."""
    return sorted(face_scores.items(), key=lambda item: item[0] in whole)


def image_size(facts: Mapping[str, Any]) -> tuple[int, int] | None:
    """(width, height) of an image from a row's or its ``evidence`` facts' ``width`` and
    ``height``, None when not recorded: a face's border cut is judged against them
    (``engine.facepath.face_out_of_range``)."""
    w, h = facts.get("width"), facts.get("height")
    return (w, h) if isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0 else None


def face_range_words(out: Mapping[str, Any] | None) -> str:
    """Beside the verdicts on a face outside the range the face verdicts were measured on
    (``engine.facepath.face_out_of_range``), what that means: smaller than any measured face,
    cut by the image border (:data:`BORDER_CUT`), or both; "" for a face in range."""
    if not out:
        return ""
    why = []
    if out.get("short_side") is not None:
        why.append(
            f"a face of {int(out['short_side'])} px, the face verdicts were measured on faces "
            f"of {int(out['min_side'])} px and more"
        )
    if out.get("cut_by_border"):
        why.append(BORDER_CUT)
    return f"{OUT_OF_RANGE}: " + "; ".join(why) if why else ""


# Beside a face model's verdict: its probability and its θ (set to flag few authentic faces)
# can point opposite ways on one face (p 0.65, "authentic"), by design (trainer/face_model.py).
FACE_PROBABILITY_NOTE = (
    "a face model's probability assumes as many manipulated as authentic faces. Its threshold "
    "is set to flag few authentic faces (its θ provenance says how few). So a face can have a "
    "probability above 0.5 and stay unflagged"
)


def odds_words(verdict: str, probability: float | None) -> str | None:
    """Why an image verdict's calibrated probability and the verdict point opposite ways, when
    they do (compared as printed, to two decimals): the probability assumes as many
    manipulated as authentic images, θ is set by its own rule (the bundled models': the
    false-alarm rate; ``forensic-train calibrate``'s by default the Table-3 threshold of the
    best validation balanced accuracy), so an image can be not flagged at p 0.54."""
    side = _odds_against(verdict, probability)
    if side == "above":
        return (
            f"a probability above 0.5, {NOT_FLAGGED}: the probability assumes as many "
            "manipulated as authentic images. θ was chosen by its own rule (its provenance "
            "says which). The bundled models' θ flags few authentic images, as the measured "
            "rates say"
        )
    if side == "below":
        return (
            f"a probability below 0.5, {FLAGGED}: on this model's scale, θ is below the "
            "score where the probability is 0.5 (the measured rates say what that costs)"
        )
    return None


def odds_short(verdict: str, probability: float | None) -> str | None:
    """:func:`odds_words` in a few words, where space is short (a compare pane's title, whose
    tooltip holds the whole sentence): a pane had read "AUTHENTIC · probability 0.57" without
    the explanation its card gives (walk-through 2026-12-05)."""
    side = _odds_against(verdict, probability)
    if side == "above":
        return "p above 0.5 yet not flagged: θ has its own rule"
    if side == "below":
        return "p below 0.5 yet flagged: θ is below the score where p is 0.5"
    return None


def _odds_against(verdict: str, probability: float | None) -> str | None:
    """ "above" (p above 0.5, not flagged), "below" (p below 0.5, flagged), else None; compared
    as printed, to two decimals."""
    if probability is None:
        return None
    p = round(probability, 2)
    if verdict == AUTHENTIC and p > 0.5:
        return "above"
    if verdict == MANIPULATED and p < 0.5:
        return "below"
    return None


# Once under a table where some verdict's probability points the other way (odds_words).
IMAGE_PROBABILITY_NOTE = (
    "an image's probability assumes as many manipulated as authentic images. Each θ is chosen "
    "by its own rule (its provenance says which). The bundled models' θ flags few authentic "
    f"photographs, as the measured rates say. So an image can be {NOT_FLAGGED} with a "
    "probability above 0.5"
)


# Beside every verdict taken on an image smaller than the verdict was measured on (a result's
# ``out_of_range``, engine.decision.verdict_range): the short form after the verdict word
# where space is short (a table's verdict cell), :func:`range_words` where it is explained.
OUT_OF_RANGE = "outside the measured range"


def range_words(out_of_range: Mapping[str, Any] | None) -> str | None:
    """What a verdict's ``out_of_range`` means, in one sentence shared by the viewer's cards,
    the command line's table, the CSV and every report; None when the verdict is in range:
    ``outside the measured range: the image's short side is 5 px, below the 192 px its verdicts
    were measured down to, so the reliability sentence does not describe this verdict``."""
    if not out_of_range:
        return None
    why = []
    if out_of_range.get("short_side") is not None:
        members = out_of_range.get("members") or []
        whose = (
            "its members' (" + ", ".join(str(m) for m in members) + ") verdicts were"
            if members
            else "its verdicts were"
        )
        why.append(
            f"the image's short side is {out_of_range.get('short_side')} px, below "
            f"the {out_of_range.get('min_side')} px {whose} measured down to"
        )
    faces = out_of_range.get("faces") or []
    if faces:
        why.append(
            "the face rule decided it on "
            + ", ".join(_face_limit(f) for f in faces)
            + ", outside the range the face verdicts were measured on"
        )
    if out_of_range.get("detector"):  # engine.ensemble.faces_out_of_range: the Haar fallback
        why.append(
            f"the face rule decided it on faces the {out_of_range['detector']} detector found, "
            "not the MTCNN detector whose faces the face verdicts were measured on"
        )
    return (
        f"{OUT_OF_RANGE}: "
        + "; ".join(why)
        + ", so the reliability sentence does not describe this verdict"
    )


def _face_limit(f: Mapping[str, Any]) -> str:
    """One flagged face of an ensemble's ``out_of_range`` (``engine.ensemble.faces_out_of_range``),
    why it is outside the measured range: ``face 1 (22 px, below the 48 px measured)``."""
    why = []
    if f.get("short_side") is not None:
        why.append(f"{int(f['short_side'])} px, below the {int(f['min_side'])} px measured")
    if f.get("cut_by_border"):
        why.append("cut by the image border")
    return f"face {f.get('face')} ({'; '.join(why)})"


def threshold_figure(v: float | None) -> str:
    """A mask's pixel threshold as every line of a report prints it (figure captions and
    legends, the model and result tables, the viewer's slider) and the viewer shows it (the
    verdict card's mask rule, the mask layer's "calibrated" button and its "at" note): four
    significant figures, so a calibrated 0.4567 reads 0.4567 wherever it is named, the value
    the mask was drawn at; "—" for none."""
    return "—" if v is None else f"{float(v):.4g}"


def orientation_words(
    fmt: str | None, orientation: int, applied: bool, metadata: Mapping[str, Any] | None
) -> str:
    """The orientation row of the metadata panel and of every report. The evidence's
    orientation is 1 (``engine.io``) when the EXIF tag says 1, but also when the file has no
    such tag, its EXIF could not be read, or the tag holds no orientation (0, 9): the tag as
    read (the metadata's ``EXIF:Orientation``) tells these apart, so a row never claims a tag
    the file does not hold."""
    if fmt == "HEIF":
        return heif_orientation_words(metadata)
    if applied:
        return f"EXIF orientation {orientation}: applied to the pixels (and every layer)"
    tag = (metadata or {}).get("EXIF:Orientation")
    if tag is None:
        return "no EXIF orientation tag read: pixels as stored"
    if str(tag).strip() != "1":
        shown = plain(str(tag), 16)
        return f"EXIF orientation tag {shown}: not an orientation (1-8), pixels as stored"
    return "EXIF orientation 1: nothing to apply"


def heif_orientation_words(metadata: Mapping[str, Any] | None) -> str:
    """How a HEIF picture was turned, for the orientation row of the metadata panel and of
    every report: by its decoder, from the file's own rotation boxes (``engine.heif``), so the
    evidence's orientation is 1 while the file's EXIF tag (kept in the metadata) may say 6."""
    tag = str((metadata or {}).get("EXIF:Orientation") or "1")
    kept = (
        f"; EXIF tag {plain(tag, 8)} kept in the metadata, not applied again" if tag != "1" else ""
    )
    return f"turned by the HEIF decoder from the file's own rotation boxes{kept}"


FS_TIMES_NOTE = (
    "what the file system said when this program opened the file, before reading it, in UTC; "
    "copying, downloading or unpacking a file sets them, and any program can change them: "
    "they are not evidence of when the photograph was made"
)
FS_TIMES_NOT_RECORDED = "not recorded (an analysis by a version before 2026-12-05)"


def fs_time_rows(times: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """An evidence file's file-system times (``evidence.fs_times``, ``engine.fstimes``) as the
    metadata panel and every report show them, each labelled as the file system's and the note
    on what they are; one row saying they were not recorded for a row of an earlier version."""
    if not times:
        return [("File-system times", FS_TIMES_NOT_RECORDED)]

    def time(key: str, absent: str) -> str:
        value = times.get(key)
        return plain(str(value), 80) if value else absent

    return [
        ("Modified (file system)", time("modified", "—")),
        ("Status changed (file system)", time("status_changed", "not given by this system")),
        ("Last accessed (file system)", time("accessed", "—")),
        ("Created (file system)", time("created", "not given by this file system")),
        ("File-system times", FS_TIMES_NOTE),
    ]


# Beside a stacked "manipulated" verdict that whole-image statistics carried over θ
# (engine.ensemble_provenance.whole_image_decided): its mask cannot show what decided.
MASK_NOT_THE_REASON = (
    "the mask marks where the networks' heatmaps are high; this verdict came from a statistic "
    "of the whole photograph, so the mask need not point at a manipulated region"
)
MASK_NOT_THE_REASON_LINE = f"{MASK_NOT_THE_REASON[0].upper()}{MASK_NOT_THE_REASON[1:]}."  # alone
MOVED_WORDS = "what moved the stacked score"
FACE_DECIDED_AFTER = " (then the face rule decided the verdict)"


def signed(v: float) -> str:
    """A term of a stacked logit: ``+1.92``, ``−0.72`` (a minus sign, not a hyphen), ``0``."""
    text = f"{float(v):+.2f}"
    return "0" if text in ("+0.00", "-0.00") else text.replace("-", "−")


def _figure(v: Any) -> str:
    return f"{float(v):.3g}".replace("-", "−")


def _terms(contributions: list[Mapping[str, Any]]) -> tuple[list[Mapping[str, Any]], float]:
    """The inputs, largest |contribution| first, and the bias."""
    inputs = [c for c in contributions if c.get("kind") != "bias"]
    inputs.sort(key=lambda c: -abs(float(c["contribution"])))
    return inputs, sum(float(c["contribution"]) for c in contributions if c.get("kind") == "bias")


def contribution_words(
    contributions: list[Mapping[str, Any]] | None, *, by_face: bool = False
) -> str | None:
    """What moved a stacked score, in one line for the Verdict panel's default-verdict card and
    the command line: ``what moved the stacked score: diffforensics-effl0 (whole-image
    statistic, photo reduced to 512 px) +1.92, crfd-net-compact (marked area) −0.74,
    copy-move analysis (no pair) 0; bias −0.72``, the largest |contribution| first
    (``ModelResult.contributions``); with ``by_face``, that the face rule then decided. None
    for a result that was not stacked (and rows written before the terms were recorded)."""
    if not contributions:
        return None
    inputs, bias = _terms(contributions)
    terms = ", ".join(f"{term_label(c)} {signed(c['contribution'])}" for c in inputs)
    return f"{MOVED_WORDS}: {terms}; bias {signed(bias)}" + (FACE_DECIDED_AFTER if by_face else "")


def contribution_details(
    contributions: list[Mapping[str, Any]] | None, *, by_face: bool = False
) -> str | None:
    """:func:`contribution_words` with each term's statistic and weight and their sum, the
    logit of the stacked score: ``diffforensics-effl0 (...) +2.43 (statistic 3.2 × weight
    0.761), crfd-net-compact (marked area) −0.68 (statistic −4.22, the logit of its marked
    area, × weight 0.161), ...; bias −0.72; sum +1.04 (the stacked score is its
    sigmoid)``; for the reports' default-verdict section and the card's fold. None as
    :func:`contribution_words`."""
    if not contributions:
        return None
    inputs, bias = _terms(contributions)
    terms = ", ".join(
        f"{term_label(c)} {signed(c['contribution'])} (statistic {_figure(c['value'])}"
        + (", the logit of its marked area," if c.get("kind") == "forged_fraction" else "")
        + f" × weight {_figure(c['weight'])})"
        for c in inputs
    )
    total = sum(float(c["contribution"]) for c in contributions)
    return (
        f"{terms}; bias {signed(bias)}; sum {signed(total)} (the stacked score is its sigmoid)"
        + (FACE_DECIDED_AFTER if by_face else "")
    )
