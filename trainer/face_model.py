"""The face model (issue 20, item 4): its face rule chosen on face crops, reported on a test part.

``forensic-train face-model --model CKPT --val DIR --test DIR --out OUT.safetensors
--json REPORT [--photos DIR ...] [--val-photos DIR ...] [--false-alarms 0.03] [--name NAME]``

Without ``--test`` and ``--out`` it stops after step 2 and writes only ``--json``: the choices
and the figures at θ on the validation part (``val_figures``), so candidates are compared on
the part that chooses and the test part is read once, for the file that is bundled.

``--data DIR ... [--val-fraction F] [--split-by S] [--seed N]`` instead of ``--val``: the
validation crops are the validation split of a training run's data, the one ``fit`` made with
the same options (``trainer.setup.read_and_split``, as ``calibrate`` reads it), and ``--out``
may be written without ``--test``: then the figures stored with it (``metrics.face_val``, the
calibration's reliability) are that split's, the faces that chose θ, and the provenance says
so. The training dialog runs this after fine-tuning a face model (``trainer.plan``).

A network trained or fine-tuned on face forgeries (``forensic-train synth --kind faces --crop-size P``:
self-blended, swapped and edited faces and the untouched crops, each a face crop of the face
path's geometry) becomes a *face model*: a checkpoint of scope ``"faces"`` that the viewer runs
on the face path only (``engine.facepath``), never on whole images. This command

1. analyses every crop of ``--val`` and ``--test`` (``Tp/`` forgeries with ``Gt/`` masks, ``Au/``
   untouched faces) exactly as the face path does: the crop resized to the model's window P
   (:func:`engine.facepath.resize_crop` over the whole crop), one window, the heatmap and the
   image logit;
2. chooses on the validation part only: the pixel threshold (best mean pixel F1 over the
   forgeries, grid 0.05..0.95), θ on the rule's score (the smallest θ that flags at most
   ``--false-alarms`` of the validation part's authentic faces: a face model looks at the
   faces of every photograph that has one, so its false-alarm rate is what an analyst meets
   most), and a Platt calibration of the rule's statistic, moved to even prior odds (the
   validation part's eight forgeries per real face would otherwise lift every probability);
   with ``--val-photos``, the faces the face path finds in the validation photographs join
   the authentic crops, scored as the product scores them (:func:`score_photo_faces`);
3. reports on the test part, which chose nothing: face-level AUC (with a bootstrap interval),
   balanced accuracy at θ, detection per kind of forgery, authentic faces flagged per source
   (FASSEG, camera photographs, CASIA), mean pixel F1 inside the crops at the chosen pixel
   threshold; and, with ``--photos``, the whole face path on those photographs (faces found
   by the detector, flagged at θ, seconds per face);
4. writes ``--out``: the weights unchanged, the header's scope ``"faces"``, the decision rule
   with θ, pixel threshold, provenance and calibration (its reliability: test-part figures).

``--model`` may be a face model already (scope ``"faces"``): its decision is chosen again, e.g.
with other ``--val-photos`` or ``--false-alarms``; the weights stay as they are.

The rule stays the checkpoint's (``logit`` for DiffForensics): one window per face, so the
image logit is that window's.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from engine.calibration import (
    Reliability,
    centred_in_gap,
    platt_or_refusal,
    reliability_bins,
    threshold_for_false_alarms,
)
from engine.decision import PIXEL_GRID, sigmoid
from engine.formatting import plain
from trainer.check import add_as_given_arg
from trainer.data.records import refuse_implausible_masks
from trainer.data.splits import SPLIT_MODES
from trainer.errors import DataError, UsageError
from trainer.face_crops import (
    GROUPS,
    crop_files,
    face_path_on_photos,
    refuse_crop_masks,
    score_crops,
    score_files,
    score_photo_faces,
)
from trainer.jsonio import write_json


def statistic_of(row: dict[str, Any], rule: str, k: int) -> float:
    """The rule's θ-free statistic of a crop: its logit, or logit(forged fraction at grid k)."""
    from engine.decision import statistic

    return statistic(rule, row["fractions"][k], row["logit"])


def best_pixel_index(tampered: list[dict[str, Any]]) -> int:
    """Index in :data:`PIXEL_GRID` of the pixel threshold with the best mean F1 over the forged
    crops; ties (at 6 decimals) go to the threshold nearest 0.5."""
    f1 = np.mean([r["f1"] for r in tampered], axis=0)
    return max(
        range(len(PIXEL_GRID)), key=lambda i: (round(float(f1[i]), 6), -abs(PIXEL_GRID[i] - 0.5))
    )


THETA_FROM = ("max", "normal")


def theta_from_normal(statistics: list[float], false_alarms: float) -> float:
    """θ (on the score, σ of the statistic) where a normal distribution fitted to the authentic
    faces' statistics (mean, sample deviation) leaves ``false_alarms`` above it.

    Why: with 30 authentic validation faces a 3 % bound is "none above θ", so θ is the single
    highest face's score and one unusual face moves it far (docs/FACES.md: σ 0.9989 against
    0.9924 for the next). The fitted tail uses every face; it assumes the statistics of real
    faces are roughly normal, which is checked nowhere else and said in the report."""
    from statistics import NormalDist

    x = np.asarray(statistics, dtype=np.float64)
    if x.size < 2 or not 0.0 < false_alarms < 1.0:
        raise DataError(None, "a fitted θ needs two or more authentic faces and a rate in (0, 1)")
    z = NormalDist().inv_cdf(1.0 - false_alarms)
    return float(sigmoid(float(x.mean() + z * x.std(ddof=1))))


def choose(
    val: list[dict[str, Any]], rule: str, false_alarms: float, theta_from: str = "max"
) -> tuple[int, float, dict[str, Any]]:
    """Grid index of the pixel threshold, θ, and the Platt calibration, all from ``val``; in
    the calibration's place, when :func:`engine.calibration.platt_or_refusal` refuses a curve
    (fewer than 5 faces of a class, a statistic that does not rank forged above authentic, a
    slope <= 0), ``fitted_on`` and why (``no_calibration``): no probability, θ kept.

    theta_from: ``max``: at most ``false_alarms`` of the authentic faces above θ (counted), θ
    in the middle of the gap between the highest face that must stay unflagged and the next
    validation face above it (:func:`engine.calibration.centred_in_gap`); ``normal``:
    :func:`theta_from_normal`."""
    tampered = [r for r in val if r["label"] == 1]
    authentic = [r for r in val if r["label"] == 0]
    if not tampered or not authentic:
        raise DataError(None, "the validation part needs forged and authentic face crops")
    if theta_from not in THETA_FROM:
        raise ValueError(f"theta_from must be one of {THETA_FROM}, got {theta_from!r}")
    k = best_pixel_index(tampered)
    if theta_from == "normal":
        theta = theta_from_normal([statistic_of(r, rule, k) for r in authentic], false_alarms)
    else:
        scores = [score_of(r, rule, k) for r in val]
        unflagged = [s for s, r in zip(scores, val, strict=True) if r["label"] == 0]
        theta = centred_in_gap(threshold_for_false_alarms(unflagged, false_alarms), scores)
    stats = [statistic_of(r, rule, k) for r in val]
    on = f"face crops of the validation part ({len(tampered)} forged, {len(authentic)} authentic)"
    cal, why = platt_or_refusal(stats, [r["label"] for r in val], f"{on}, moved to even odds")
    if cal is None:  # a handful of user faces, or a backwards ranking: no curve (θ stands)
        return k, theta, {"fitted_on": on, "no_calibration": why}
    # The validation part holds eight forgeries per real face; a probability fitted there says
    # "forged" to most faces before looking. Moved to even prior odds (the intercept less the
    # log of the part's odds), it answers: how likely forged, were forged and real equally common.
    cal.b -= float(np.log(len(tampered) / len(authentic)))
    return k, theta, dataclasses.asdict(cal)


def theta_gap(val: list[dict[str, Any]], rule: str, k: int, theta: float) -> dict[str, Any]:
    """The validation faces nearest θ from below (unflagged) and above (flagged): file, label,
    score, so the margin θ keeps is on record (:func:`engine.calibration.centred_in_gap`)."""
    faces = [{"file": r["file"], "label": r["label"], "score": score_of(r, rule, k)} for r in val]

    def score(face: dict[str, Any]) -> float:
        return face["score"]

    return {
        "below": max((f for f in faces if f["score"] <= theta), key=score, default=None),
        "above": min((f for f in faces if f["score"] > theta), key=score, default=None),
    }


def better_rule(val: list[dict[str, Any]]) -> str:
    """``logit`` or ``forged_fraction``, whichever ranks the validation crops better (AUC; the
    forged fraction at the pixel threshold of the best mean F1). Ties: ``logit``."""
    aucs = {"forged_fraction": rule_auc(val, "forged_fraction")}
    if all(r["logit"] is not None for r in val):
        aucs["logit"] = rule_auc(val, "logit")
    print(f"validation AUC by rule: {aucs}", file=sys.stderr)
    return max(sorted(aucs, reverse=True), key=lambda r: aucs[r])


def rule_auc(val: list[dict[str, Any]], rule: str) -> float:
    """Validation AUC of ``rule``: crops ranked by their image logit, or by their forged
    fraction at the pixel threshold of the best mean F1."""
    from trainer.metrics import roc_auc

    if rule == "logit":
        values = [r["logit"] for r in val]
    else:
        k = best_pixel_index([r for r in val if r["label"] == 1])
        values = [r["fractions"][k] for r in val]
    return float(roc_auc([r["label"] for r in val], values))


def score_of(row: dict[str, Any], rule: str, k: int) -> float:
    """The rule's score in [0, 1] (sigmoid of the logit, or the forged fraction)."""
    if rule == "logit":
        return sigmoid(row["logit"])
    return float(row["fractions"][k])


def report(
    test: list[dict[str, Any]], rule: str, k: int, theta: float, calibration: dict[str, Any]
) -> dict[str, Any]:
    from engine.calibration import Calibration
    from trainer.metrics import balanced_accuracy
    from trainer.verdict import auc_interval

    y = np.array([r["label"] for r in test])
    s = np.array([score_of(r, rule, k) for r in test])
    auc, lo, hi = auc_interval(y, s)
    flagged = s > theta
    per_kind = {}
    for kind in sorted({r["kind"] for r in test}):
        sel = np.array([r["kind"] == kind for r in test])
        per_kind[kind] = [int(flagged[sel].sum()), int(sel.sum())]
    per_group = {}
    for tag, words in GROUPS.items():
        sel = np.array([r["label"] == 0 and r["group"] == tag for r in test])
        if sel.any():
            per_group[f"authentic {words}"] = [int(flagged[sel].sum()), int(sel.sum())]
    authentic = y == 0
    cal = Calibration.from_dict(calibration)
    probs = [cal.probability(statistic_of(r, rule, k)) for r in test] if cal else []
    f1 = [r["f1"][k] for r in test if r["label"] == 1]
    return {
        "faces": int(y.size),
        "forged": int(y.sum()),
        "detected_forged": int(flagged[~authentic].sum()),
        "authentic": int(authentic.sum()),
        "auc": auc,
        "auc_interval": [lo, hi],
        "balanced_accuracy": float(balanced_accuracy(y, flagged.astype(int))),
        "authentic_flagged": [int(flagged[authentic].sum()), int(authentic.sum())],
        "detected_per_kind": per_kind,
        "authentic_flagged_per_source": per_group,
        "pixel_f1": float(np.mean(f1)) if f1 else None,
        "reliability_bins": reliability_bins(probs, y) if probs else [],
    }


def add_parser(sub: Any) -> None:
    p = sub.add_parser("face-model", help="choose a face model's rule on face crops, report, write")
    p.add_argument("--model", type=Path, required=True, help="the checkpoint trained on face crops")
    p.add_argument(
        "--val",
        type=Path,
        default=None,
        help="validation face crops (Tp/Gt/Au); or choose on the validation split of --data",
    )
    p.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="DIR_OR_JSON[:WEIGHT]",
        help="instead of --val: the data of a training run, whose validation split (the one fit "
        "made with the same --val-fraction, --split-by and --seed) chooses; then --out needs "
        "no --test, and the figures written are that split's",
    )
    p.add_argument("--split-by", default="auto", choices=SPLIT_MODES, help="of --data")
    p.add_argument("--val-fraction", type=float, default=0.15, help="of --data")
    p.add_argument("--seed", type=int, default=0, help="of --data's split")
    p.add_argument(
        "--test",
        type=Path,
        default=None,
        help="test face crops (Tp/Gt/Au); without it the validation part alone is measured "
        "and nothing is written but --json (comparing candidates without reading the test part)",
    )
    p.add_argument(
        "--out", type=Path, default=None, help="the face model to write (with --val: needs --test)"
    )
    p.add_argument("--json", type=Path, required=True, help="the figures")
    p.add_argument("--name", default=None, help="the face model's name (default: --out's stem)")
    p.add_argument(
        "--photos", type=Path, nargs="*", default=[], help="test photographs for the face path"
    )
    p.add_argument(
        "--val-photos",
        type=Path,
        nargs="*",
        default=[],
        help="validation photographs: their faces, found and cut by the face path, join the "
        "authentic validation faces θ and the calibration are chosen on",
    )
    p.add_argument(
        "--false-alarms",
        type=float,
        default=0.03,
        help="θ flags at most this share of the validation part's authentic faces",
    )
    p.add_argument(
        "--rule",
        choices=("auto", "logit", "forged_fraction"),
        default="auto",
        help="the face verdict's rule (auto: the one with the higher validation AUC)",
    )
    p.add_argument(
        "--theta-from",
        choices=THETA_FROM,
        default="max",
        help="θ from the authentic validation faces counted (max) or from a normal "
        "distribution fitted to their statistics (normal: steadier with few faces)",
    )
    p.add_argument(
        "--mirror",
        choices=("auto", "on", "off"),
        default="auto",
        help="average each crop with its mirror image (auto: when that ranks the validation "
        "crops better)",
    )
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    add_as_given_arg(p)


def run(args: argparse.Namespace) -> int:
    from engine.checkpoints import load_checkpoint
    from trainer.calibrate import calibration_words, write_decision

    if not 0.0 <= args.false_alarms < 1.0:
        raise UsageError(None, f"--false-alarms must be in [0, 1), got {args.false_alarms}")
    if (args.val is None) == (not args.data):
        raise UsageError(
            None, "give the validation faces as --val DIR or as a run's split (--data), one of them"
        )
    with_val_folder = args.val is not None and (args.out is None) != (args.test is None)
    if with_val_folder or (args.test is not None and args.out is None):
        raise UsageError(
            None,
            "--out and --test go together: a face model is written with its test figures, and "
            "without either the validation part alone is measured",
        )
    if args.photos and args.test is None:
        raise UsageError(None, "--photos measures the test part's photographs: it needs --test")
    files, words, source, given = _validation_part(args)
    if args.test is not None:  # the test part's pixel F1 is measured against its masks too
        given += refuse_crop_masks(crop_files(args.test), args.test.name, args.masks_as_given)
    for line in given:  # said before any model loads, as features says it
        print(plain(f"warning: {line}"), file=sys.stderr, flush=True)
    source["masks_as_given"] = given if args.masks_as_given else None  # in the decision too
    from trainer.setup import set_threads

    set_threads(args.threads)
    loaded = load_checkpoint(args.model)
    if loaded.meta.scope == "faces":  # a face model decided again: its crops are whole images
        loaded = dataclasses.replace(loaded, meta=dataclasses.replace(loaded.meta, scope="image"))
    rule = loaded.meta.decision.rule
    val = score_files(loaded, files, args.device)
    if args.rule == "auto":
        rule = better_rule(val)
    elif args.rule != rule:
        rule = args.rule
    # Mirror test-time augmentation: kept when it ranks the validation crops better (twice the
    # face path's cost); the test part is read only with the setting chosen.
    mirror = args.mirror == "on"
    val_auc = {"plain": rule_auc(val, rule)}
    if args.mirror != "off":
        mirrored = score_files(loaded, files, args.device, mirror=True)
        val_auc["mirror"] = rule_auc(mirrored, rule)
        if args.mirror == "on" or val_auc["mirror"] > val_auc["plain"]:
            mirror, val = True, mirrored
    print(f"validation AUC {rule}: {val_auc}; mirror: {mirror}", file=sys.stderr)
    live = (
        score_photo_faces(loaded, args.val_photos, args.device, mirror) if args.val_photos else []
    )
    val = val + live  # authentic faces as the product cuts them, for θ and the calibration
    k, theta, calibration = choose(val, rule, args.false_alarms, args.theta_from)
    if "no_calibration" in calibration:  # one line, as calibrate says it
        print(plain(calibration_words({}, calibration["no_calibration"])), file=sys.stderr)
    chosen: dict[str, Any] = {
        "model": str(args.model),
        "rule": rule,
        "rule_choice": args.rule,
        "mirror": mirror,
        "theta_from": args.theta_from,
        "val_auc": val_auc,
        "masks_as_given": source["masks_as_given"],
        "theta": theta,
        "pixel_threshold": PIXEL_GRID[k],
        "val": {
            "faces": len(val),
            "photo_faces": len(live),
            # which photographs' faces the rule lets through: each flags its photograph
            "photo_faces_flagged": [r["file"] for r in live if score_of(r, rule, k) > theta],
        },
        # the two validation faces θ lies between: how much room it has on either side
        "theta_gap": theta_gap(val, rule, k, theta),
        # at θ on the part that chose it: for comparing candidates, never a held-out figure
        "val_figures": report(val, rule, k, theta, calibration),
    }
    if args.out is None:
        write_json(args.json, chosen, indent=1)
        v = chosen["val_figures"]
        print(
            json.dumps(
                {kk: vv for kk, vv in chosen.items() if kk != "val_figures"}
                | {kk: v[kk] for kk in ("auc", "balanced_accuracy", "authentic_flagged")}
                | {"forged_found": [v["detected_forged"], v["forged"]]}
            )
        )
        return 0
    if args.test is not None:
        test = score_crops(loaded, args.test, args.device, mirror=mirror)
        figures, measured = report(test, rule, k, theta, calibration), "face_test"
        split = "test part of the project's face crops"
    else:  # a run's split: the figures are those of the faces that chose θ
        figures, measured = chosen["val_figures"], "face_val"
        split = f"{words}, the faces θ was chosen on"
    calibration["reliability"] = dataclasses.asdict(
        Reliability(
            flagged={
                **figures["authentic_flagged_per_source"],
                "face forgeries": [
                    sum(
                        v[0] for kk, v in figures["detected_per_kind"].items() if kk != "authentic"
                    ),
                    figures["forged"],
                ],
            },
            bins=figures["reliability_bins"],
            split=split,
        )
    )
    name = args.name or args.out.stem
    date = time.strftime("%Y-%m-%d")
    decision = dataclasses.replace(
        loaded.meta.decision,
        rule=rule,
        aggregate="mean",  # one window per face: the same; and never the size-growing max
        threshold=float(theta),
        pixel_threshold=PIXEL_GRID[k],
        provenance=(
            f"θ = {theta:.4g}: flags at most {args.false_alarms:.0%} of the authentic faces of "
            f"{words}"
            + (
                f" and {len(live)} faces of its photographs as the face path cuts them"
                if live
                else ""
            )
            + (
                " under a normal distribution fitted to their statistics"
                if args.theta_from == "normal"
                else ", midway (logit scale) between the highest face that must stay unflagged "
                "and the next validation face above it"
            )
            + f", {date}"
        ),
        details={"false_alarm_target": args.false_alarms, **source, "theta_from": args.theta_from},
        calibration=calibration,
    )
    meta = dataclasses.replace(
        loaded.meta,
        name=name,
        scope="faces",
        input_policy=dataclasses.replace(loaded.meta.input_policy, mirror=mirror),
        decision=decision,
        metrics={**loaded.meta.metrics, measured: dict(figures)},
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_decision(args.model, args.out, meta)
    out: dict[str, Any] = {**chosen, "model": str(args.out)}
    if args.test is not None:
        out["test"] = figures
    if args.photos:
        out["photos"] = face_path_on_photos(args.out, args.photos, args.device)
    write_json(args.json, out, indent=1)
    shown = {k2: v for k2, v in out.items() if k2 not in ("test", "val_figures")}
    print(json.dumps(shown | {measured.replace("face_", "") + "_auc": figures["auc"]}))
    return 0


def _validation_part(
    args: argparse.Namespace,
) -> tuple[list[tuple[Path, int, Path | None]], str, dict[str, Any], list[str]]:
    """The crops that choose (:func:`score_files`'s list), how the provenance names them, the
    decision's record of where they came from (``--val``'s folder, or ``--data``'s validation
    split as ``fit`` makes it: ``trainer.setup.read_and_split``), and the lines of their masks
    used as given (:func:`refuse_crop_masks`: refused by the rule, or ``--masks-as-given``)."""
    if args.val is not None:
        words = f"the validation part of the project's face crops ({args.val.name})"
        files = crop_files(args.val)
        given = refuse_crop_masks(files, args.val.name, args.masks_as_given)
        return files, words, {"val": str(args.val.resolve())}, given
    from trainer.setup import parse_data_spec, read_and_split

    specs = [parse_data_spec(d) for d in args.data]
    bundle = read_and_split(
        specs, split_by=args.split_by, val_fraction=args.val_fraction, seed=args.seed
    )
    names = "+".join(s.path.name for s in specs)
    split_by = ",".join(sorted({str(v.get("by")) for v in bundle.split.values()}))
    words = f"the {names} validation split ({split_by}) of the run's data"
    files = [(s.image, s.label, s.mask) for s in bundle.val]
    given = refuse_implausible_masks(bundle.val, as_given=args.masks_as_given)  # per data set
    data = [str(s.path.resolve()) for s in specs]  # as fit records it (trainer.setup._key)
    return files, words, {"data": data, "split": bundle.split}, given
