"""Choose and calibrate the image-level verdicts on the validation part; report on the test part.

    forensic-train verdict --features F.jsonl [F2.jsonl ...] --models resources/models \\
        --ensemble resources/models/bundled-ensemble.ensemble.json --json runs/verdict/report.json

Reads the rows of :mod:`trainer.verdict_features` (every default network and the classic
analyses on the CASIA validation and test parts and on both halves of the camera photographs)
and, for each network and the ensemble:

1. **The image statistic.** Logit-rule networks take the mean of their window logits
   (``DecisionRule.aggregate = "mean"``): unlike the maximum it does not grow with the number of
   windows (docs/VERDICTS.md has the measurements); forged-fraction networks keep the fraction.
2. **θ at evidence size.** The best balanced accuracy on the CASIA validation part among the θ
   that flag at most 5 % (:data:`FALSE_ALARM_TARGET`) of the validation half of the camera
   photographs (1-16 MP): the false-alarm bound where evidence is, CASIA for the rest.
3. **Calibrated probability.** Platt scaling of the statistic on the validation part
   (:mod:`engine.calibration`), the reliability measured on the test part. None is stored when
   the statistic does not rank tampered above authentic there (AUC <= 0.5), a class has fewer
   than 5 images, or the fitted slope is <= 0 (:func:`engine.calibration.platt_or_refusal`:
   m2f-swin-nano's curve ran backwards, slope -0.457): the calibration then keeps the test
   part's counts at θ and says why (``no_calibration``), with no curve and no diagram.
4. **Members that know nothing get no vote.** A network whose validation image AUC has a
   bootstrap 95 % interval containing 0.5 gets no stacking weight; the others and the copy-move
   analysis's score are stacked by an L2 logistic regression fitted on the validation part,
   whose output is the ensemble's calibrated probability. When the rows hold project-made
   forgeries of the camera photographs (``forensic-train features --forgeries``), the
   validation half's (``forgeries-val``) join the stacking's fit and its θ's balanced accuracy
   (:data:`STACK_PARTS`, :data:`STACK_OBJECTIVE`), and the test half's are reported: without
   them the stacking never sees a tampered photograph at evidence size (docs/VERDICTS.md
   section 6).
5. **Localization.** Member weights and the pixel threshold of the fused heatmap, whether
   the copy-move map replaces it when a pair is found, and whether both copies do or only those
   the fused heatmap points at (``copy_keep_ratio``), chosen by mean pixel F1 on the validation
   part's tampered images whose mask agrees with the image (:mod:`trainer.data.mask_audit`).

The test part is read only to report: every figure it gives is written with "test" in its name.
The checkpoints' headers are rewritten (tensors copied byte for byte) and the ensemble file
replaced; ``--dry-run`` only prints and writes the report. ``--validation-only`` (a dry run
that drops the test rows before anything is computed) compares a candidate without reading the
test part, so that part is read once, for the file that is bundled (issue 17, item 3).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from engine.calibration import (
    Calibration,
    Reliability,
    centred_in_gap,
    fit_logistic,
    flagged_counts,
    logit,
    platt_or_refusal,
    refused_calibration,
    reliability_bins,
    sigmoid,
    threshold_for_false_alarms,
)
from engine.decision import FRACTION_FLOOR, fraction_score
from engine.metrics import auc_interval as metrics_auc_interval
from trainer.errors import UsageError
from trainer.jsonio import write_json
from trainer.metrics import balanced_accuracy, roc_auc
from trainer.verdict_features import pixel_f1
from trainer.verdict_inputs import check_maps, refuse_few_rows
from trainer.verdict_summary import FORGERIES_VAL, summary_lines

ANALYSIS_PREFIX = "analysis:"  # engine.ensemble.ANALYSIS_PREFIX (not imported: that module loads OpenCV through the copy-move analysis)

FALSE_ALARM_TARGET = 0.05
AUTHENTIC_GROUPS = {
    "casia-val": "authentic CASIA validation images",
    "camera-val": "authentic camera photographs (validation half)",
}
TEST_GROUPS = (
    ("camera-test", 0, "authentic camera photographs"),
    ("casia-test", 0, "authentic CASIA images"),
    ("casia-test", 1, "tampered CASIA images"),
    ("forgeries-test", 1, "project-made forgeries of full-size camera photographs"),
)
# The stacking is fitted on these parts: CASIA's validation part, the camera photographs'
# validation half and, when the features hold them, the project-made forgeries of that half's
# full-size photographs (``forensic-train features --forgeries``), so that it has seen a
# tampered photograph at evidence size; its θ is chosen on CASIA's and the forgeries' images.
STACK_PARTS = ("casia-val", "camera-val", "forgeries-val")
STACK_OBJECTIVE = ("casia-val", "forgeries-val")
STACKED_ANALYSES = ("clone",)
LOCAL_WEIGHTS = (0.0, 1.0, 2.0)
PIXEL_THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5)
# With the copy-move map replacing the heatmap: keep the copies whose mean fused heatmap is at
# least this share of the hottest copy's (engine.analyses.clone.suspect_copies; 0: both copies)
COPY_KEEP_RATIOS = (0.0, 0.5, 0.7, 0.9, 1.0)


def read_rows(paths: Iterable[Path]) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for p in paths:
        for line in p.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                rows[r["path"]] = r
    return list(rows.values())


def model_statistic(row: dict[str, Any], model: str, aggregate: str = "mean") -> float | None:
    """The θ-free statistic of ``model`` on ``row`` under ``aggregate`` (see module docstring)."""
    f = row["models"].get(model)
    if f is None:
        return None
    if f["rule"] == "logit":
        return float(f["windows"][aggregate]) if "windows" in f else f["image_logit"]
    p = min(max(float(f["heat"]["ff"]), FRACTION_FLOOR), 1.0 - FRACTION_FLOOR)
    return float(np.log(p / (1 - p)))


def auc_interval(
    labels: np.ndarray, scores: np.ndarray, seed: int = 0
) -> tuple[float, float, float]:
    """:func:`engine.metrics.auc_interval` (the image AUC and its bootstrap 95 % interval),
    images of one class refused as a :class:`UsageError` saying so."""
    try:
        return metrics_auc_interval(labels, scores, seed)
    except ValueError as e:
        raise UsageError(None, str(e)) from e


def threshold_at_evidence_size(
    rows: list[dict[str, Any]],
    score: Callable[[dict[str, Any]], float],
    objective: tuple[str, ...] = ("casia-val",),
) -> tuple[float, dict[str, list[int]]]:
    """θ: the best balanced accuracy on the ``objective`` parts (CASIA's validation part; for
    the stacking also the forgeries of the camera validation half) among the thresholds that
    flag at most 5 % of the camera photographs' validation half; and what it flags there.

    The false-alarm bound is set where the issue sets it, on authentic photographs at evidence
    size; CASIA's authentic validation images (384 x 256) weigh in through the balanced
    accuracy (:func:`engine.metrics.balanced_accuracy`, as every other figure of it). Ties go to
    the higher θ (fewer false alarms).
    """
    camera = [score(r) for r in rows if r["part"] == "camera-val" and r["label"] == 0]
    chosen = [(score(r), r["label"]) for r in rows if r["part"] in objective]
    floor = threshold_for_false_alarms(camera, FALSE_ALARM_TARGET) if camera else 0.0
    # the lowest θ allowed, off the photograph it is: no validation image sits on a θ
    floor = centred_in_gap(floor, camera + [v for v, _ in chosen]) if camera else floor
    s = np.array([v for v, _ in chosen])
    y = np.array([label for _, label in chosen])
    values = np.unique(s[s > floor])
    candidates = [floor, *((values[:-1] + values[1:]) / 2.0)] if values.size else [floor]
    best, best_bacc = floor, -1.0
    for t in candidates:
        bacc = balanced_accuracy(y, s > t)  # NaN without objective images: θ stays the floor
        if bacc >= best_bacc - 1e-12:
            best, best_bacc = float(t), bacc
    flagged = {
        AUTHENTIC_GROUPS[part]: flagged_counts(
            [score(r) for r in rows if r["part"] == part and r["label"] == 0], best
        )
        for part in AUTHENTIC_GROUPS
    }
    return best, flagged


def test_reliability(
    rows: list[dict[str, Any]],
    score: Callable[[dict[str, Any]], float],
    probability: Callable[[dict[str, Any]], float] | None,
    theta: float,
) -> Reliability:
    """What θ flags per test group and, with a ``probability`` (None: no curve), the test
    part's reliability diagram."""
    flagged = {
        name: flagged_counts(
            [score(r) for r in rows if r["part"] == part and r["label"] == label], theta
        )
        for part, label, name in TEST_GROUPS
    }
    test = [r for r in rows if r["part"] in ("casia-test", "camera-test")]
    if not test:  # --validation-only: nothing measured, and the calibration says so
        return Reliability()
    bins = (
        reliability_bins([probability(r) for r in test], [r["label"] for r in test])
        if probability is not None
        else []
    )
    return Reliability(flagged=flagged, bins=bins, split="test part")


def test_figures(
    rows: list[dict[str, Any]], score: Callable[[dict[str, Any]], float], theta: float
) -> dict[str, Any]:
    """Image AUC (with interval), balanced accuracy at θ and detection per kind on CASIA test."""
    test = [r for r in rows if r["part"] == "casia-test"]
    if not test:  # --validation-only
        return {}
    y = np.array([r["label"] for r in test])
    s = np.array([score(r) for r in test])
    auc, lo, hi = auc_interval(y, s)
    by_kind = {
        kind: float(np.mean([score(r) > theta for r in test if r["kind"] == kind]))
        for kind in ("splice", "copy-move")
        if any(r["kind"] == kind for r in test)
    }
    cam = [score(r) for r in rows if r["part"] == "camera-test"]
    forged = [r for r in rows if r["part"] == "forgeries-test"]
    extra: dict[str, Any] = {}
    if forged and 0 < sum(r["label"] for r in forged) < len(forged):
        fy = np.array([r["label"] for r in forged])
        fs = np.array([score(r) for r in forged])
        kinds = np.array([r["kind"] for r in forged])
        extra["test_forgeries"] = {
            "image_auc": float(roc_auc(fy, fs)),
            "flagged": flagged_counts(fs[fy == 1], theta),
            "authentic_flagged": flagged_counts(fs[fy == 0], theta),
            "by_kind": {
                str(kind): flagged_counts(fs[kinds == kind], theta)
                for kind in sorted(set(kinds[fy == 1]))
            },
        }
    return {
        **extra,
        "test_image_auc": auc,
        "test_image_auc_interval": [lo, hi],
        "test_balanced_accuracy": balanced_accuracy(y, s > theta),
        "test_detection_by_kind": by_kind,
        "test_camera_false_alarms": flagged_counts(cam, theta),
        "test_images": {
            "tampered": int(y.sum()),
            "authentic": int((y == 0).sum()),
            "camera": len(cam),
        },
    }


def choose_model(rows: list[dict[str, Any]], model: str, rule: str) -> dict[str, Any]:
    """Statistic, θ, Platt calibration and figures of one network (module docstring)."""
    val = [r for r in rows if r["part"] in ("casia-val", "camera-val") and model in r["models"]]
    casia_val = [r for r in val if r["part"] == "casia-val"]
    aggregate = "mean" if rule == "logit" else "max"

    def stat(r: dict[str, Any]) -> float:
        return model_statistic(r, model, aggregate)  # type: ignore[return-value]

    def score(r: dict[str, Any]) -> float:  # what θ applies to: σ(logit), or the (clipped)
        return float(sigmoid(stat(r)))  # forged fraction, which σ(logit(p)) gives back

    sides = {int(r["models"][model].get("detect_side", 0)) for r in rows if model in r["models"]}
    if len(sides) > 1:
        raise UsageError(
            None,
            f"{model}: the features rows were made with different detect sides {sorted(sides)}; "
            "make them again with one --detect-side",
        )
    y = np.array([r["label"] for r in casia_val])
    auc, lo, hi = auc_interval(y, np.array([stat(r) for r in casia_val]))
    theta, val_flagged = threshold_at_evidence_size(rows, score)
    on = (
        f"{len(val)} validation images (CASIA validation part and the camera photographs' "
        "validation half)"
    )
    cal, why = platt_or_refusal([stat(r) for r in val], [r["label"] for r in val], on)
    curve = None if cal is None else (lambda r: cal.probability(stat(r)))
    reliability = test_reliability(rows, score, curve, theta)
    return {
        "model": model,
        "rule": rule,
        "aggregate": aggregate,
        "detect_side": sides.pop() if sides else 0,
        "threshold": theta,
        "val_image_auc": auc,
        "val_image_auc_interval": [lo, hi],
        "at_chance": lo <= 0.5,
        "val_flagged": val_flagged,
        "calibration": stored_calibration(cal, why, on, reliability),
        **test_figures(rows, score, theta),
    }


def stored_calibration(
    cal: Calibration | None, why: str, fitted_on: str, reliability: Reliability
) -> dict[str, Any]:
    """The curve with its test reliability; or, refused (:func:`platt_or_refusal`), no curve
    and the reliability counted at θ (:func:`engine.calibration.refused_calibration`)."""
    if cal is None:
        return refused_calibration(why, fitted_on, reliability)
    return replace(cal, reliability=reliability).to_dict()


def _stack_features(
    rows: list[dict[str, Any]], members: list[str], analyses: tuple[str, ...]
) -> np.ndarray:
    cols = [[model_statistic(r, m) for m in members] for r in rows]
    extra = [[float(r["classic"][a].get("score") or 0.0) for a in analyses] for r in rows]
    return np.hstack([np.array(cols, dtype=np.float64), np.array(extra, dtype=np.float64)])


def choose_stacking(
    rows: list[dict[str, Any]], voters: list[str], analyses: tuple[str, ...] = STACKED_ANALYSES
) -> dict[str, Any]:
    """Logistic stacking of the voters' statistics and the analyses' scores (module doc)."""
    val = [r for r in rows if r["part"] in STACK_PARTS]
    x = _stack_features(val, voters, analyses)
    w, b = fit_logistic(x, [r["label"] for r in val], l2=0.01)
    keys = [*voters, *(ANALYSIS_PREFIX + a for a in analyses)]
    weights = dict(zip(keys, (float(v) for v in w), strict=True))

    def score(r: dict[str, Any]) -> float:
        return float(sigmoid(b + _stack_features([r], voters, analyses)[0] @ w))

    theta, val_flagged = threshold_at_evidence_size(rows, score, STACK_OBJECTIVE)
    casia_val = [r for r in val if r["part"] == "casia-val"]
    auc, lo, hi = auc_interval(
        np.array([r["label"] for r in casia_val]), np.array([score(r) for r in casia_val])
    )
    forged = [r for r in val if r["part"] == "forgeries-val"]
    if forged:  # what θ does at evidence size on validation
        val_flagged[FORGERIES_VAL] = flagged_counts(
            [score(r) for r in forged if r["label"] == 1], theta
        )
        val_flagged["their authentic copies"] = flagged_counts(
            [score(r) for r in forged if r["label"] == 0], theta
        )
    calibration = Calibration(
        a=1.0,
        b=0.0,
        fitted_on=f"the stacking itself, fitted on {len(val)} validation images",
    )
    calibration.reliability = test_reliability(rows, score, score, theta)
    return {
        "bias": b,
        "weights": weights,
        "threshold": theta,
        "val_image_auc": auc,
        "val_image_auc_interval": [lo, hi],
        "val_flagged": val_flagged,
        "calibration": calibration.to_dict(),
        **test_figures(rows, score, theta),
    }


def choose_localization(
    rows: list[dict[str, Any]],
    members: list[str],
    maps: list[Path],
    trusted: set[str],
    current: tuple[tuple[float, ...], float, bool, float] | None = None,
) -> dict[str, Any]:
    """Member localization weights, pixel threshold and the copy-move rule (whether its map
    replaces the heatmap, and which copies: :data:`COPY_KEEP_RATIOS`), by mean pixel F1 on the
    validation part's tampered images with a trusted mask; figures on the test part.

    ``current`` (weights, pixel threshold, clone rule, keep ratio of the ensemble file as it
    is): a configuration whose validation splice F1 falls below the current one's is not
    chosen, so a better copy-move rule cannot be bought with worse splices (issue 19)."""
    from engine.analyses.clone import suspect_copies

    cache: dict[str, dict[str, np.ndarray]] = {}
    for r in rows:
        if r["label"] == 1 and r["part"].startswith("casia") and r["path"] in trusted:
            for folder in maps:
                f = folder / f"{r['sha256'][:16]}.npz"
                if f.is_file():
                    with np.load(f) as z:
                        cache[r["path"]] = {k: z[k] for k in z.files}
                    break

    def figures(
        part: str, weights: tuple[float, ...], pt: float, clone: bool, keep: float = 0.0
    ) -> dict[str, Any]:
        by_kind: dict[str, list[float]] = {"splice": [], "copy-move": []}
        for r in rows:
            m = cache.get(r["path"])
            if r["part"] != part or m is None or "truth" not in m:
                continue
            heat = sum(
                w * m[n].astype(np.float32) / 255
                for w, n in zip(weights, members, strict=True)
                if w
            )
            heat = heat / sum(weights)
            pred = heat > pt
            if clone and "clone" in m and (m["clone"] > 127).any():
                pred = suspect_copies(m["clone"] > 127, heat, keep)
            by_kind.setdefault(r["kind"], []).append(pixel_f1(pred, m["truth"] > 127))
        every = [v for vs in by_kind.values() for v in vs]
        return {
            "pixel_f1": float(np.mean(every)) if every else float("nan"),
            **{f"pixel_f1_{k}": float(np.mean(v)) for k, v in by_kind.items() if v},
            "images": {k: len(v) for k, v in by_kind.items()},
        }

    floor = -1.0
    if current is not None and sum(current[0]) > 0:
        floor = figures("casia-val", *current).get("pixel_f1_splice", -1.0)
    best: tuple[float, tuple[float, ...], float, bool, float] | None = None
    rules = [(False, 0.0), *((True, k) for k in COPY_KEEP_RATIOS)]
    for weights in itertools.product(LOCAL_WEIGHTS, repeat=len(members)):
        if sum(weights) == 0:
            continue
        for pt in PIXEL_THRESHOLDS:
            for clone, keep in rules:
                fig = figures("casia-val", weights, pt, clone, keep)
                f1 = fig["pixel_f1"]
                if fig.get("pixel_f1_splice", 0.0) < floor - 1e-9:
                    continue
                if best is None or f1 > best[0] + 1e-9:
                    best = (f1, weights, pt, clone, keep)
    if best is None and current is not None:  # nothing in the grid keeps the splices: as is
        best = (0.0, *current)
    assert best is not None
    _, weights, pt, clone, keep = best
    return {
        "weights": dict(zip(members, weights, strict=True)),
        "pixel_threshold": pt,
        "clone_replaces": clone,
        "copy_keep_ratio": keep,
        "val": figures("casia-val", weights, pt, clone, keep),
        "val_both_copies": figures("casia-val", weights, pt, clone, 0.0),
        **(
            {
                "test": figures("casia-test", weights, pt, clone, keep),
                "test_without_clone": figures("casia-test", weights, pt, False),
            }
            if any(r["part"] == "casia-test" for r in rows)
            else {}
        ),
        "trusted_masks": len(cache),
        "val_splice_floor": floor,
    }


def provenance_sentence(choice: dict[str, Any], date: str) -> str:
    flagged = "; ".join(f"{k} {v[0]} of {v[1]}" for k, v in choice["val_flagged"].items())
    what = (  # a logit rule's θ is on the score, σ(image logit): decide() compares those
        "score, the sigmoid of the mean of the window logits"
        if choice.get("aggregate") == "mean"
        else "forged fraction"
    )
    if choice.get("aggregate") == "mean" and choice.get("detect_side"):
        what += f" of the image reduced to at most {choice['detect_side']} pixels on its long side"
    return (
        f"θ = {choice['threshold']:.4g} on the {what}: the best balanced accuracy on the CASIA "
        f"validation part among thresholds that flag at most {FALSE_ALARM_TARGET:.0%} of the "
        f"validation half of the camera photographs ({flagged} flagged), {date}"
    )


def write_checkpoint(path: Path, choice: dict[str, Any], date: str) -> None:
    from engine.checkpoints import read_meta
    from trainer.calibrate import write_decision

    meta = read_meta(path)
    rule = replace(
        meta.decision,
        threshold=float(choice["threshold"]),
        aggregate=choice["aggregate"],
        detect_side=int(choice.get("detect_side", 0)),
        calibration=choice["calibration"],
        provenance=choice.get("provenance") or provenance_sentence(choice, date),
        details={
            **{k: v for k, v in meta.decision.details.items() if k != "evidence_size"},
            "evidence_size": {
                k: choice[k]
                for k in ("val_image_auc", "val_image_auc_interval", "val_flagged", "at_chance")
            },
        },
    )
    write_decision(path, path, replace(meta, decision=rule))


def member_score(row: dict[str, Any], model: str, choice: dict[str, Any] | None) -> float:
    """The score the engine gives ``model`` on ``row`` (:func:`engine.decision.decide`) once its
    header carries ``choice``'s θ and aggregate: σ(image logit) for the logit rule, p / (p + θ)
    for the forged fraction (not p: equation 6 averages these scores, and θ is set on the
    average). A member without a choice (no checkpoint in ``--models``) keeps its header, so
    the score its features row recorded is the engine's (a row without one: σ(statistic))."""
    f = row["models"][model]
    if choice is None:
        return float(f["score"]) if "score" in f else float(sigmoid(model_statistic(row, model)))
    if f["rule"] == "logit":
        return float(sigmoid(model_statistic(row, model, choice["aggregate"])))
    return fraction_score(float(f["heat"]["ff"]), float(choice["threshold"]))


def ensemble_score_eq6(
    row: dict[str, Any], members: dict[str, float], choices: dict[str, dict[str, Any]]
) -> float:
    """Equation 6 over the member scores (:func:`member_score`): what an ensemble without
    stacking scores (:meth:`engine.ensemble.Ensemble.combine`)."""
    total = sum(members.values())
    return sum(w * member_score(row, m, choices.get(m)) for m, w in members.items()) / total


def choose_ensemble(
    rows: list[dict[str, Any]],
    data: dict[str, Any],
    choices: dict[str, dict[str, Any]],
    maps: list[Path] | None,
    trusted: set[str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The new ensemble file's content and the figures behind it."""
    members = [m["model"] for m in data["members"]]
    voters = [m for m in members if m in choices and not choices[m]["at_chance"]]
    figures: dict[str, Any] = {"voters": voters}
    out = {k: v for k, v in data.items() if k not in ("stacking", "calibration")}
    if voters:
        stack = choose_stacking(rows, voters)
        figures["detection"] = stack
        out["stacking"] = {
            "bias": stack["bias"],
            "weights": stack["weights"],
            "fitted_on": stack["calibration"]["fitted_on"],
        }
        out["threshold"] = stack["threshold"]
        out["calibration"] = stack["calibration"]
    else:  # every member at chance: keep equation 6, but set θ at evidence size and say so
        weights = {m["model"]: m["detection_weight"] for m in data["members"]}

        def score(r: dict[str, Any]) -> float:
            return ensemble_score_eq6(r, weights, choices)

        def stat(r: dict[str, Any]) -> float:  # the engine's: logit(score), clipped
            return float(logit(score(r)))

        theta, val_flagged = threshold_at_evidence_size(rows, score)
        val = [r for r in rows if r["part"] in ("casia-val", "camera-val")]
        on = f"{len(val)} validation images"
        cal, why = platt_or_refusal([stat(r) for r in val], [r["label"] for r in val], on)
        curve = None if cal is None else (lambda r: cal.probability(stat(r)))
        reliability = test_reliability(rows, score, curve, theta)
        figures["detection"] = {
            "threshold": theta,
            "val_flagged": val_flagged,
            **test_figures(rows, score, theta),
        }
        out["threshold"] = theta
        out["calibration"] = stored_calibration(cal, why, on, reliability)
    if maps:
        # a member at chance on detection is out of the default set (issue 17, item 4)
        members = [m for m in members if m not in choices or not choices[m]["at_chance"]]
        was = {m["model"]: m["localization_weight"] for m in data["members"]}
        current = (
            tuple(float(was.get(m, 0.0)) for m in members),
            float(data.get("pixel_threshold", 0.5)),
            "clone" in (data.get("localization_analyses") or {}),
            float(data.get("copy_keep_ratio", 0.0)),
        )
        local = choose_localization(rows, members, maps, trusted, current)
        figures["localization"] = local
        out["pixel_threshold"] = local["pixel_threshold"]
        for m in out["members"]:
            m["localization_weight"] = local["weights"].get(m["model"], 0.0)
        out["localization_analyses"] = {"clone": "replace"} if local["clone_replaces"] else {}
        out.pop("copy_keep_ratio", None)
        if local["clone_replaces"] and local["copy_keep_ratio"] > 0:
            out["copy_keep_ratio"] = local["copy_keep_ratio"]
    if voters:  # stacking decides; equation 6's detection weights only mark who votes
        for m in out["members"]:
            m["detection_weight"] = 1.0 if m["model"] in voters else 0.0
    # without voters equation 6 stays as it was: its weights are the ones θ was set for
    kept = [m for m in out["members"] if m["localization_weight"] > 0 or m["detection_weight"] > 0]
    figures["dropped"] = [m["model"] for m in out["members"] if m not in kept]
    out["members"] = kept
    return out, figures


def run(args: Any) -> int:
    """``forensic-train verdict`` (module docstring)."""
    from engine.checkpoints import read_meta
    from trainer.data.mask_audit import is_trusted, trusted_masks
    from trainer.data.records import read_dataset
    from trainer.setup import today

    for folder in args.maps or ():
        check_maps(folder)
    rows = read_rows(args.features)
    if args.validation_only:
        rows = [r for r in rows if not r["part"].endswith("-test")]  # forgeries-test too
    refuse_few_rows(rows, args.features)
    date = today()
    trusted: set[str] = set()
    if args.casia is not None:
        trusted = {
            p for p, iou in trusted_masks(read_dataset(args.casia)).items() if is_trusted(iou)
        }
    names = sorted({m for r in rows for m in r["models"]})
    choices: dict[str, dict[str, Any]] = {}
    paths: dict[str, Path] = {}
    for name in names:
        path = args.models / f"{name}.safetensors"
        if not path.is_file():
            continue
        paths[name] = path
        choices[name] = choose_model(rows, name, read_meta(path).decision.rule)
    report: dict[str, Any] = {"date": date, "models": choices, "ensembles": {}}
    new_files: dict[Path, dict[str, Any]] = {}
    for ens in args.ensemble:
        data = json.loads(ens.read_text(encoding="utf-8"))
        missing = sorted({m["model"] for m in data.get("members", [])} - set(names))
        if missing:  # a KeyError deep in the fit said none of this
            raise UsageError(
                ens,
                f"members {', '.join(missing)} have no figures in the features rows (features "
                "runs the default set: leave this ensemble out, or make the default set hold them)",
            )
        maps = args.maps if ens == args.ensemble[0] else None
        content, figures = choose_ensemble(rows, data, choices, maps, trusted)
        report["ensembles"][ens.name] = figures
        new_files[ens] = content
    write_json(args.json, report, indent=1)
    for line in summary_lines(report):
        print(line)
    for c in choices.values():
        c["provenance"] = provenance_sentence(c, date)
    write_json(args.json, report, indent=1)
    if args.dry_run or args.validation_only:
        return 0
    for name, path in paths.items():
        write_checkpoint(path, choices[name], date)
    for ens, content in new_files.items():
        how = "detection stacked" if "stacking" in content else "equation 6 kept (no member votes)"
        content["description"] = (
            f"{how}, θ set on the validation part ({date}); see docs/VERDICTS.md and "
            "trainer/verdict.py"
        )
        ens.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
    return 0


def add_parser(sub: Any) -> None:
    p = sub.add_parser("verdict", help="choose and calibrate image-level verdicts (issue 17)")
    p.add_argument(
        "--features", type=Path, nargs="+", required=True, help="`features --out` files (rows)"
    )
    p.add_argument("--casia", type=Path, help="the CASIA data set (mask audit)")
    p.add_argument(
        "--models",
        type=Path,
        default=Path("resources/models"),
        help="the folder of the rows' networks, NAME.safetensors each, whose headers get θ and "
        "calibration (default: %(default)s)",
    )
    p.add_argument(
        "--ensemble",
        type=Path,
        nargs="*",
        default=[],
        help="*.ensemble.json files to choose the stacking and θ of (rewritten; the first also "
        "its localization, with --maps)",
    )
    p.add_argument(
        "--maps",
        type=Path,
        nargs="*",
        help="the features runs' .maps folders (`features --out F.jsonl` writes F.maps)",
    )
    p.add_argument(
        "--json", type=Path, required=True, help="the report: every choice and its figures"
    )
    p.add_argument("--dry-run", action="store_true", help="print and write the report only")
    p.add_argument(
        "--validation-only",
        action="store_true",
        help="a dry run on the validation rows alone: compare a candidate without reading the "
        "test part",
    )
