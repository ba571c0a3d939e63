"""θ calibration of the forged-fraction rule (crfd-net.md §3.4 and Table 3).

θ = (p_real_max + p_fake_min) / 2, where p_real_max is the largest forged fraction on the
*training* split's authentic images and p_fake_min the smallest on the *validation* split's
tampered images, as the paper defines them. The two alternatives of Table 3 (θ = p_real_max,
θ = p_fake_min) are computed too, and all three are scored on the validation split (accuracy,
balanced accuracy, precision, recall, F1 of "manipulated"), because extremes are fragile: one
noisy authentic image sets p_real_max, one nearly invisible forgery sets p_fake_min, and with a
model that is not yet good the two ranges overlap (p_real_max > p_fake_min) and the midpoint
can be far from useful. The figures are printed and stored so a human can judge. On fewer
than ``MIN_IMAGES_PER_CLASS`` (5) authentic training or tampered validation images one image
sets θ: it is refused then (:func:`refuse_few`), nothing written.

Which of the three is stored is ``--choose``'s: by default (``best``, since 2026-12-06) the
one of the highest validation balanced accuracy (ties to the midpoint, then real-max), the
midpoint when no authentic validation image gives a balanced accuracy (:func:`best_strategy`;
the provenance says which, :func:`best_words`); ``midpoint``, ``real-max`` or ``fake-min`` by
name. The midpoint alone had stored a θ that flagged no tampered validation image.

The chosen θ is written into the checkpoint's :class:`~engine.checkpoints.DecisionRule` with a
provenance sentence the viewer shows next to every verdict, and the figures in ``details``. The
tensors are copied byte for byte (dtype kept); only the metadata header changes.

For a checkpoint with the ``logit`` rule the same arithmetic runs on the image score instead of
the forged fraction.

The score calibration (:mod:`engine.calibration`, the probability the viewer shows beside a
verdict) is fitted anew on the same validation images, as ``forensic-train verdict`` fits it
(Platt scaling of the rule's statistic): a calibration already in the header belongs to weights
or a θ this run did not measure (a fine-tune's starting checkpoint, an earlier calibration), so
it is never kept. Its ``fitted_on`` and reliability sentence say that these are the validation
images that chose θ, not a held-out part. Without authentic validation images no curve can be
fitted, and none is stored either on fewer than ``MIN_IMAGES_PER_CLASS`` (5) validation images of
a class or when the statistic does not rank tampered above authentic on them (image AUC <= 0.5:
the curve would run backwards, :func:`engine.calibration.platt_refusal`); the checkpoint is then
left without one (its score reads "not calibrated"), the reason printed and kept with the
counts at θ in the calibration's place (``calibration["no_calibration"]``,
:func:`engine.calibration.refused_calibration`, as ``verdict`` and ``face-model`` keep it).

The validation images are the validation half of the held-out part
(:func:`trainer.data.splits.validation_part`), as ``fit`` validates on them: the test half
chooses nothing, so ``eval --split test`` measures images that neither trained nor chose.

``--pixel-threshold keep`` keeps the header's pixel threshold. After ``fit --init`` that is the
starting checkpoint's (``trainer.fit_settings.carry_over``), the threshold fit validated and chose
the fine-tuned weights' best epoch with; it is kept rather than measured anew because a user's
split holds few tampered images, and the best of 19 thresholds on a handful of masks is noise
(``auto`` measures it on the validation split all the same).

The header's ``metrics`` (the training run's validation figures) are kept: the figures of θ on
the images that chose it live in ``decision.details``. Only a checkpoint without training
figures (an ``average``, a run with ``--no-val``), or one whose pixel threshold was changed
here, gets the validation split's θ-free figures (pixel F1, IoU, AUC, image AUC) written.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from engine.calibration import (
    KEPT_CALIBRATED,
    MIN_IMAGES_PER_CLASS,
    Reliability,
    flagged_counts,
    pixel_threshold_calibrated,
    platt_or_refusal,
    refused_calibration,
    reliability_bins,
)
from engine.checkpoints import (
    CheckpointMeta,
    load_checkpoint,
    read_meta,
    read_safetensors,
    safetensors_bytes,
)
from engine.decision import PIXEL_GRID, midpoint_threshold
from engine.files import atomic_write, suffix_is
from engine.formatting import plain
from engine.models.registry import get_spec
from trainer.data.records import SkipLog, refuse_implausible_masks
from trainer.errors import DataError, UsageError
from trainer.evaluate import analysed, evaluate, trained_on_note
from trainer.jsonio import write_json
from trainer.metrics import auc_interval_words, roc_auc, two_class_balanced_accuracy
from trainer.plan_args import CAVEAT_WORDS
from trainer.progress import Reporter
from trainer.review import theta_warning
from trainer.setup import (
    parse_data_spec,
    read_and_split,
    refuse_bundled_name,
    set_threads,
    subset_for_validation,
    today,
    whole_held_out_notes,
)

# where a calibrate-fitted calibration was measured, as its reliability sentence says it
CHOSEN_ON = "the validation images that chose it, not held out"
ONE_CLASS = (
    "the validation split has one class only (a Platt curve needs tampered and authentic images)"
)
# the θ-free validation figures written when the header holds none (module docstring)
THETA_FREE = ("pixel_f1", "pixel_iou", "pixel_auc", "pixel_f1_best")

STRATEGIES = {
    "real-max": ("p_real_max", "max forged fraction of authentic training images"),
    "fake-min": ("p_fake_min", "min forged fraction of tampered validation images"),
    # the max real is of the *training* split (the paper's definition): the sentence says so
    "midpoint": (
        "theta",
        "midpoint of max real (authentic training images) / min fake (tampered validation "
        "images) forged fraction",
    ),
}


def score_threshold(theta: float, real: ArrayLike, fake: ArrayLike) -> dict[str, float]:
    """Image-level figures of "manipulated when p > θ" on authentic ``real`` and tampered ``fake``.

    The balanced accuracy is :func:`engine.metrics.two_class_balanced_accuracy`'s, the one
    ``eval`` and ``fit`` report: the mean of the two classes' recalls. With no authentic (or
    no tampered) validation image it is undefined (NaN, printed "undef."), as ``scan --gt``
    says: the other class's recall alone was printed as "bal.acc 1.000" beside "image AUC
    nan", and half of it, as an absent class counted as recall 0 would make it, means
    nothing either; ``counts`` in the table says which classes there were.
    """
    r, f = np.asarray(real, dtype=np.float64), np.asarray(fake, dtype=np.float64)
    tp = float((f > theta).sum())
    fn = float(f.size - tp)
    fp = float((r > theta).sum())
    tn = float(r.size - fp)
    n = tp + fn + fp + tn
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {
        "threshold": float(theta),
        "accuracy": (tp + tn) / n if n else float("nan"),
        "balanced_accuracy": two_class_balanced_accuracy(
            np.r_[np.zeros(r.size, bool), np.ones(f.size, bool)], np.r_[r > theta, f > theta]
        ),
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        # the rates at θ with their counts: "flags 2 of 20 authentic, 9 of 30 tampered"
        "false_alarm_rate": fp / r.size if r.size else float("nan"),
        "flagged_tampered": int(tp),
        "flagged_authentic": int(fp),
    }


def best_strategy(table: dict[str, Any]) -> str:
    """``--choose best``: the Table-3 threshold with the highest balanced accuracy on the
    validation split, ties (and a balanced accuracy undefined for all: no authentic validation
    image) to the paper's midpoint, then real-max. The midpoint alone had stored a θ that
    flagged none of the tampered validation images while fake-min flagged 5 of 6 (fine-tune
    walk-through, 2026-12-06): the three are computed on the same images anyway."""
    order = ("midpoint", "real-max", "fake-min")
    baccs = {name: table["strategies"][name]["balanced_accuracy"] for name in order}
    defined = {k: v for k, v in baccs.items() if v == v}
    if not defined:
        return "midpoint"
    top = max(defined.values())
    return next(k for k in order if defined.get(k, -1.0) >= top - 1e-12)


def best_words(table: dict[str, Any]) -> str:
    """What the provenance says of a θ ``--choose best`` chose: the best validation balanced
    accuracy of the three, or, with no authentic validation image (every balanced accuracy
    undefined), the midpoint :func:`best_strategy` falls back to, chosen by no figure."""
    if all(s["balanced_accuracy"] != s["balanced_accuracy"] for s in table["strategies"].values()):
        return (
            " (the paper's midpoint: with no authentic validation image no balanced accuracy "
            "could choose among Table 3's three)"
        )
    return " (the best validation balanced accuracy of Table 3's three)"


def at_theta_words(table: dict[str, Any], strategy: str) -> str:
    """What the stored θ flags among the validation images, rates with their counts."""
    s, c = table["strategies"][strategy], table["counts"]
    fa = s.get("false_alarm_rate", float("nan"))
    return (
        f"at the stored θ = {s['threshold']:.4g} ({strategy}): flags "
        f"{s.get('flagged_tampered', '?')} of {c['val_tampered']} tampered validation images "
        f"(detection rate {s['recall']:.3f}) and {s.get('flagged_authentic', '?')} of "
        f"{c['val_authentic']} authentic (false-alarm rate {_figure(fa, 3)})"
    )


def calibration_table(
    p_real_train: ArrayLike, p_fake_val: ArrayLike, p_real_val: ArrayLike
) -> dict[str, Any]:
    """θ candidates of Table 3 and their figures on the validation split.

    p_real_train: forged fractions of authentic training images; p_fake_val, p_real_val: of the
    tampered and authentic validation images.
    """
    cand = midpoint_threshold(np.asarray(p_real_train), np.asarray(p_fake_val))
    real_val = np.asarray(p_real_val, dtype=np.float64)
    fake_val = np.asarray(p_fake_val, dtype=np.float64)
    table = {
        name: score_threshold(cand[key], real_val, fake_val)
        for name, (key, _) in STRATEGIES.items()
    }
    labels = np.r_[np.zeros(real_val.size), np.ones(fake_val.size)]
    interval, interval_words = auc_interval_words(labels, np.r_[real_val, fake_val])
    return {
        **cand,
        "overlap": cand["p_real_max"] > cand["p_fake_min"],
        "validation_auc": roc_auc(labels, np.r_[real_val, fake_val])
        if real_val.size
        else float("nan"),
        # its 95 % bootstrap interval ([lo, hi], None on too few images) and in words
        "validation_auc_interval": interval,
        "validation_auc_interval_words": interval_words,
        "strategies": table,
        "counts": {
            "train_authentic": int(np.asarray(p_real_train).size),
            "val_tampered": int(fake_val.size),
            "val_authentic": int(real_val.size),
        },
    }


def provenance(
    theta: float,
    choose: str,
    datasets: str,
    split_by: str,
    date: str,
    quantity: str = "forged fraction",
) -> str:
    """The sentence the viewer shows next to a verdict (``quantity``: what θ thresholds)."""
    what = STRATEGIES[choose][1].replace("forged fraction", quantity)
    return f"θ = {theta:.4g}: {what}, {datasets} validation split ({split_by}), {date}"


def write_decision(src: Path, dst: Path, meta: CheckpointMeta) -> None:
    """Copy the tensors of ``src`` unchanged into ``dst`` with ``meta`` as the header (atomic)."""
    tensors = read_safetensors(src)
    atomic_write(dst, safetensors_bytes(tensors, meta))  # a full disk: OSError naming dst


def choose_pixel_threshold(
    loaded: Any,
    samples: list,
    *,
    device: str,
    batch_size: int,
    skipped: SkipLog,
    progress: Any = None,
) -> tuple[float | None, dict[str, float]]:
    """The heatmap threshold (grid 0.05..0.95) with the best mean per-image pixel F1 on the
    tampered ``samples``; also the whole curve. Ties go to the threshold nearest 0.5. None
    (and no curve) when no tampered sample has a mask that marks a pixel."""
    from engine.pipeline import Analyzer
    from trainer.data.records import load_mask
    from trainer.metrics import f1_iou

    analyzer = Analyzer([loaded], device=device, batch_size=batch_size)
    grid = np.asarray(PIXEL_GRID)
    sums = np.zeros(grid.size)
    n = 0
    tampered = [s for s in samples if s.label == 1]
    for i, s, analysis in analysed(analyzer, tampered, skipped):
        heat = analysis.results[loaded.name].heatmap
        gt = load_mask(s, heat.shape, skipped).astype(bool)
        if gt.any():
            sums += [f1_iou(heat > t, gt)[0] for t in grid]
            n += 1
        if progress is not None:
            progress(i + 1, len(tampered))
    if n == 0:  # every tampered mask marks nothing: no F1 exists at any threshold
        return None, {}
    means = sums / n
    best = max(range(grid.size), key=lambda i: (round(means[i], 6), -abs(grid[i] - 0.5)))
    return float(grid[best]), {f"{t:.2f}": float(m) for t, m in zip(grid, means, strict=True)}


def _quantity(records: list, label: int, rule: str) -> np.ndarray:
    key = "forged_fraction" if rule == "forged_fraction" else "score"
    return np.array([getattr(r, key) for r in records if r.label == label], dtype=np.float64)


def validation_calibration(records: list, rule: str, theta: float) -> tuple[dict[str, Any], str]:
    """Platt scaling of the rule's statistic on the validation ``records`` (those θ was set on),
    with what θ flags among them, and ""; or, refused, no curve but the same counts at θ and
    why (:func:`engine.calibration.refused_calibration`, as ``verdict`` and ``face-model`` store
    it), and why: one class only, too few images of a class, or a statistic that does not rank
    tampered above authentic (:func:`engine.calibration.platt_refusal`: a curve fitted on such
    images runs backwards, and the viewer showed "authentic, p 0.99 (calibrated)" for a
    tampered image)."""
    labels = np.array([r.label for r in records], dtype=np.int64)
    stats = np.array([r.statistic for r in records], dtype=np.float64)
    tampered, authentic = int(labels.sum()), int((labels == 0).sum())
    fitted_on = (
        f"{labels.size} validation images of the run's split ({tampered} tampered, "
        f"{authentic} authentic): the images that chose θ, not held out"
    )
    flagged = {
        "authentic validation images": flagged_counts(_quantity(records, 0, rule), theta),
        "tampered validation images": flagged_counts(_quantity(records, 1, rule), theta),
    }
    if tampered and authentic:
        cal, why = platt_or_refusal(stats, labels, fitted_on=fitted_on)
    else:
        cal, why = None, ONE_CLASS
    if cal is None:
        refused = refused_calibration(why, fitted_on, Reliability(flagged=flagged, split=CHOSEN_ON))
        return refused, why
    cal.reliability = Reliability(
        flagged=flagged,
        bins=reliability_bins([cal.probability(x) for x in stats], labels),
        split=CHOSEN_ON,
    )
    return cal.to_dict(), ""


def kept_metrics(
    metrics: dict[str, Any], measured: dict[str, Any], image_auc: float, pixel_changed: bool
) -> dict[str, Any]:
    """The header's metrics after calibration (module docstring): the training run's as they
    were, or, with none or a changed pixel threshold, the validation split's θ-free ones."""
    if any(k.startswith("val_") for k in metrics) and not pixel_changed:
        return metrics
    return {
        **metrics,
        **{f"val_{k}": measured[k] for k in THETA_FREE if k in measured},
        "val_image_auc": image_auc,
        "val_images": measured["images"],
    }


def refuse_few(
    path: Path, authentic: int, tampered: int, rule: str, readable: bool = False
) -> None:
    """A :class:`DataError` when θ would be set by fewer than ``MIN_IMAGES_PER_CLASS`` (5,
    :mod:`engine.calibration`'s minimum for a probability curve) ``authentic`` training
    images (their largest statistic) or ``tampered`` validation images (their smallest): one
    image then sets θ, which was stored from 1 + 1 images and read as a calibrated threshold
    (fine-tune walk-through, 2026-12-06). ``readable``: counted after decoding."""
    if min(authentic, tampered) >= MIN_IMAGES_PER_CLASS:
        return
    what = "forged fraction" if rule == "forged_fraction" else "image score"
    which = "readable " if readable else ""
    raise DataError(
        path,
        f"θ is set by the largest {what} of the authentic training images and the smallest "
        f"of the tampered validation images, and there are {authentic} and {tampered} "
        f"{which}images, fewer than {MIN_IMAGES_PER_CLASS} of one: one image would set it, so "
        "none is stored; give more images, a larger --val-fraction or --val-data",
    )


def refuse_in_place(src: Path, out: Path | None) -> None:
    """A :class:`UsageError` when ``calibrate`` without ``--out`` would write into ``src``, a
    bundled or installed model (a file of the bundled models folder or the user models folder,
    :func:`engine.catalog.origin_of`): its θ and calibration, chosen on the bundled model's
    validation part, were replaced by ones chosen on a few images, its SHA-256 no longer the
    card's (the self-test failed) and its int8 model no longer matched it. An explicit
    ``--out`` is written as given (the recipes' ``MODELS_OUT`` replaces bundled files so)."""
    if out is not None:
        return
    from engine.catalog import origin_of

    where = {"bundled": "a bundled model", "user": "an installed model"}.get(origin_of(src))
    if where:
        raise UsageError(
            src,
            f"is {where}; calibrate without --out would overwrite it: give --out NEW.safetensors",
        )


def run(args: argparse.Namespace) -> int:
    """``forensic-train calibrate``: measure, print the Table-3 comparison, write θ."""
    src: Path = args.model
    if not src.exists():  # a pipe or folder: the header reader says which
        raise UsageError(src, "no such checkpoint file")
    if not suffix_is(src, ".safetensors"):
        raise UsageError(src, "calibration writes into .safetensors checkpoints only")
    refuse_in_place(src, args.out)
    dst: Path = args.out or src
    if not suffix_is(dst, ".safetensors"):
        raise UsageError(dst, "--out must end in .safetensors")
    if args.pixel_threshold not in ("keep", "auto"):
        try:
            ok = 0.0 < float(args.pixel_threshold) < 1.0
        except ValueError:
            ok = False
        if not ok:
            raise UsageError(
                args.pixel_threshold, "--pixel-threshold must be keep, auto or a number in (0, 1)"
            )
    meta = read_meta(src)
    if args.name:  # checked before any image is analysed
        refuse_bundled_name(args.name, given=True)
        meta.name = args.name
    rule = meta.decision.rule
    specs = [parse_data_spec(d) for d in args.data]
    val_specs = [parse_data_spec(d) for d in args.val_data or []]
    bundle = read_and_split(
        specs,
        val_specs=val_specs or None,
        split_by=args.split_by,
        val_fraction=args.val_fraction,
        seed=args.seed,
        need_masks=True,
    )
    train_real = [s for s in bundle.train if s.label == 0]
    val = bundle.val
    for note in whole_held_out_notes(bundle.split):
        print(plain(note))
    if not val_specs:  # its validation part rebuilt from --data, as eval's --split val is
        data = [sp.path for sp in specs]
        what = CAVEAT_WORDS  # the training dialog picks the note out by these words
        if note := trained_on_note(meta.training, data, "val", args.seed, args.val_fraction, what):
            print(plain(note))
    if not train_real:
        raise DataError(
            specs[0].path, "no authentic images in the training split (Au/ is empty or missing)"
        )
    if not any(s.label == 1 for s in val):
        raise DataError(specs[0].path, "no tampered images in the validation split")
    if args.limit > 0:
        train_real = subset_for_validation(train_real, args.limit, args.seed)
        val = subset_for_validation(val, 2 * args.limit, args.seed)
    given: list[str] | None = None  # with --masks-as-given, the inverted masks let through
    if args.pixel_threshold == "auto":  # the one choice made against the masks; all empty:
        # kept, with a warning below
        given = refuse_implausible_masks(val, empty_ok=True, as_given=args.masks_as_given)
        given = given if args.masks_as_given else None
    refuse_few(specs[0].path, len(train_real), sum(s.label == 1 for s in val), rule)
    set_threads(args.threads)
    loaded = load_checkpoint(src, device="cpu")
    skipped = SkipLog()
    skipped.warn(given or [])  # listed at the end; recorded in the decision's details
    reporter = Reporter(interval=10.0)
    pixel_curve: dict[str, float] = {}
    choice = args.pixel_threshold  # recorded: what chose the pixel threshold
    if args.pixel_threshold == "auto":
        pixel_t, pixel_curve = choose_pixel_threshold(
            loaded,
            val,
            device=args.device,
            batch_size=args.batch_size,
            skipped=skipped,
            progress=lambda d, t: reporter.bar(d, t, f"pixel threshold: {d}/{t} images"),
        )
        if pixel_t is None:  # the training dialog asks auto of a fresh run: keep, say why
            pixel_t, choice = meta.decision.pixel_threshold, "keep (auto: no mask marks a pixel)"
            print(
                f"warning: no tampered validation image has a mask that marks a pixel, so no "
                f"pixel threshold can be chosen on them: {pixel_t:.2f} of the checkpoint is kept"
            )
        else:
            f1 = pixel_curve[f"{pixel_t:.2f}"]
            print(f"pixel threshold {pixel_t:.2f}: mean pixel F1 {f1:.4f}")
    elif args.pixel_threshold != "keep":
        pixel_t = float(args.pixel_threshold)
    else:
        pixel_t = meta.decision.pixel_threshold
    earlier = meta.decision.details  # the calibration this one replaces
    kept = _kept_calibrated(meta) if args.pixel_threshold == "keep" else ""
    choice = kept or choice
    code_changed = stamp_code_version(meta)
    pixel_changed = pixel_t != meta.decision.pixel_threshold
    pixel_from = meta.decision.details.get("pixel_threshold_from")  # fit --init's, if kept
    meta.decision.pixel_threshold = loaded.meta.decision.pixel_threshold = pixel_t
    done = [0]
    total = len(train_real) + len(val)

    def tick(_d: int, _t: int) -> None:
        done[0] += 1
        reporter.bar(done[0], total, f"{done[0]}/{total} images")

    train_res = evaluate(
        loaded,
        train_real,
        device=args.device,
        batch_size=args.batch_size,
        skipped=skipped,
        progress=tick,
    )
    val_res = evaluate(
        loaded, val, device=args.device, batch_size=args.batch_size, skipped=skipped, progress=tick
    )
    p_real = _quantity(train_res.records, 0, rule)
    p_fake = _quantity(val_res.records, 1, rule)
    p_real_val = _quantity(val_res.records, 0, rule)
    if p_real.size == 0 or p_fake.size == 0:
        raise DataError(specs[0].path, "no readable images left on one side of the calibration")
    refuse_few(specs[0].path, p_real.size, p_fake.size, rule, readable=True)
    table = calibration_table(p_real, p_fake, p_real_val)
    chosen = best_strategy(table) if args.choose == "best" else args.choose
    key = STRATEGIES[chosen][0]
    theta = float(table[key])
    names = "+".join(s.path.name for s in specs + val_specs)
    split_by = ",".join(sorted({str(v.get("by")) for v in bundle.split.values()}))
    date = today()
    meta.decision.threshold = theta
    quantity = "forged fraction" if rule == "forged_fraction" else "image score"
    meta.decision.provenance = provenance(theta, chosen, names, split_by, date, quantity)
    if args.choose == "best":
        meta.decision.provenance += best_words(table)
    if pixel_curve:
        meta.decision.provenance += (
            f"; pixel threshold {pixel_t:.2f}: best mean pixel F1 of the same validation split"
        )
    elif kept:
        meta.decision.provenance += (
            f"; pixel threshold {pixel_t:.2f} kept: chosen on validation data by the "
            f"calibration of {kept.removeprefix(KEPT_CALIBRATED).rstrip(')').strip() or 'before'}"
        )
    elif pixel_from and not pixel_changed:
        meta.decision.provenance += (
            f"; pixel threshold {pixel_t:.2f} of {Path(pixel_from).name}, which it was "
            "fine-tuned from and validated with"
        )
    meta.decision.calibration, no_calibration = validation_calibration(val_res.records, rule, theta)
    meta.decision.details = {
        "strategy": chosen,
        "strategy_choice": args.choose,  # best: the strategy of the best balanced accuracy
        "quantity": "forged_fraction" if rule == "forged_fraction" else "image score",
        "data": [str(s.path.resolve()) for s in specs],
        "split": bundle.split,
        "date": date,
        "pixel_threshold": meta.decision.pixel_threshold,
        "pixel_threshold_choice": choice,
        "pixel_f1_by_threshold": pixel_curve
        or (earlier.get("pixel_f1_by_threshold", {}) if kept else {}),
        "pixel_figures": {k: val_res.metrics[k] for k in THETA_FREE if k in val_res.metrics},
        "masks_as_given": given,
        **({"pixel_threshold_from": pixel_from} if pixel_from and not pixel_changed else {}),
        **table,
    }
    meta.metrics = kept_metrics(
        meta.metrics, val_res.metrics, table["validation_auc"], pixel_changed
    )
    write_decision(src, dst, meta)
    print(format_calibration(table, chosen, plain(meta.decision.provenance), quantity))
    print(at_theta_words(table, chosen))
    if warning := theta_warning(meta.decision.details):  # the training dialog shows it
        print(f"warning: {warning}")
    print(calibration_words(meta.decision.calibration, no_calibration))
    if table["overlap"]:
        print(
            "note: authentic and tampered ranges overlap (p_real_max > p_fake_min); compare the "
            "strategies' balanced accuracy before trusting the stored θ",
        )
    if code_changed:
        print(
            f"note: θ chosen on the maps of version {meta.architecture_version} of the "
            f"'{meta.architecture}' code, which the header now records; the weights were "
            f"trained with version {meta.training['trained_with_architecture_version']}"
        )
    print(f"wrote θ = {theta:.4g} into {plain(dst)}")
    if args.json:
        write_json(args.json, meta.decision.details)
    skipped.print_summary()
    return 0


def stamp_code_version(meta: CheckpointMeta) -> bool:
    """Record in ``meta`` this program's version of its architecture's code
    (``ModelSpec.version``): calibrate chooses θ on the maps that code makes, which is what
    the load warning (``engine.checkpoints.version_warning``) says a θ should be chosen on, so
    a recalibrated checkpoint no longer warns, and warns again at the code's next version. The
    version that trained its weights, when another, stays in
    ``training["trained_with_architecture_version"]`` ("not recorded" for a header of format
    version 1, written before versions were recorded); the first such record is kept. True
    when the recorded version changed."""
    ours = get_spec(meta.architecture).version
    if meta.architecture_version == ours:
        return False
    trained = meta.architecture_version or "not recorded"
    meta.training.setdefault("trained_with_architecture_version", trained)
    meta.architecture_version = ours
    return True


def _kept_calibrated(meta: CheckpointMeta) -> str:
    """The ``pixel_threshold_choice`` for ``--pixel-threshold keep`` of a threshold that the
    calibration being replaced (``meta.decision.details``) chose on validation data, on the
    maps of the code this program runs: ``"keep (calibrated DATE)"``, which
    :func:`engine.calibration.pixel_threshold_calibrated` reads as calibrated (review
    2026-12-06: a validated threshold had become "not calibrated" by the default keep). ""
    otherwise, a plain keep; a threshold chosen on another version's maps is not carried."""
    details = meta.decision.details
    if not pixel_threshold_calibrated(details):
        return ""
    if meta.architecture_version != get_spec(meta.architecture).version:
        return ""
    choice = str(details.get("pixel_threshold_choice") or "")
    if choice.startswith(KEPT_CALIBRATED):
        return choice  # kept twice: still the date it was chosen on
    return f"{KEPT_CALIBRATED} {details.get('date') or 'earlier'})"


def calibration_words(calibration: dict[str, Any], why_none: str = "") -> str:
    """One line on the probability the checkpoint now gives, or why it gives none."""
    if not calibration or "no_calibration" in calibration:
        why = why_none or calibration.get("no_calibration")
        return (
            f"no probability calibration: {why or 'none fitted'}; the viewer shows the "
            "score, not a probability (not calibrated)"
        )
    return f"score calibration (Platt) fitted on {calibration['fitted_on']}"


def format_calibration(
    table: dict[str, Any], choose: str, prov: str, quantity: str = "forged fraction"
) -> str:
    """The Table-3 comparison as printed; ``quantity``: what θ thresholds, by the model's own
    rule ("image score" for the logit rule: "forged fraction" had been printed for it)."""
    c = table["counts"]
    lines = [
        f"p_real_max = {table['p_real_max']:.4g} ({c['train_authentic']} authentic training images), "
        f"p_fake_min = {table['p_fake_min']:.4g} ({c['val_tampered']} tampered validation images)",
        f"image AUC of the {quantity} on validation: {_figure(table['validation_auc'], 4)}"
        + (f" ({words})" if (words := table.get("validation_auc_interval_words")) else ""),
        "",
        f"{'strategy':<10} {'θ':>9} {'acc':>7} {'bal.acc':>7} {'prec':>7} {'recall':>7} {'F1':>7}",
    ]
    for name, s in table["strategies"].items():
        mark = " <- stored" if name == choose else ""
        lines.append(
            f"{name:<10} {s['threshold']:>9.4g} {s['accuracy']:>7.3f} "
            f"{_figure(s['balanced_accuracy'], 3):>7} "
            f"{s['precision']:>7.3f} {s['recall']:>7.3f} {s['f1']:>7.3f}{mark}"
        )
    lines += ["", prov]
    return "\n".join(lines)


def _figure(value: float, digits: int) -> str:
    """A figure of the table, "undef." when it is undefined (NaN: one class only)."""
    return "undef." if value != value else f"{value:.{digits}f}"
