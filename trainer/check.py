"""``forensic-train check``: count and validate data sets before a training run starts.

    forensic-train check --data DIR_OR_JSON[:WEIGHT] [--data ...] [--val-data DIR] [--json]

For each data set: how many tampered images, masks and authentic images it holds, which images
cannot be read (they would be skipped), and every problem that would stop ``fit`` (missing
folder, tampered image without a mask, mask of another size, masks that look inverted (unless
``--masks-as-given``: a warning then) or of which none marks a pixel, nothing to learn from, a
split that cannot be made, ``--val-data`` images that are ``--data``'s). Then the train/validation split ``fit`` would make with the same
``--split-by``, ``--val-fraction`` and ``--seed`` (validation: the held-out part's validation
half, what ``fit`` and ``calibrate`` choose on; test: the other half, counted apart), and
whether θ can be calibrated on it: at least ``MIN_IMAGES_PER_CLASS`` (5) authentic training and
5 tampered validation images, below which ``calibrate`` refuses to set θ.

It reads file headers only and never imports torch, so it answers in about a second: the
viewer's training dialog runs it (as a child process) on every change of its data list and
keeps Start disabled until it passes. Exit status 0 when training can start, 2 when it cannot;
``--json`` prints one JSON object instead of the human summary, which says the problems before
the warnings; :func:`check_answer` reads it back (the training dialog, from the lines printed).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from engine.calibration import MIN_IMAGES_PER_CLASS
from engine.errors import ForensicError
from engine.files import is_listed, read_regular
from engine.formatting import plain_lines
from engine.masks import mask_key
from trainer.data.records import (
    MASK_SUFFIXES,
    MASKS_AS_GIVEN,
    Sample,
    data_folders,
    empty_mask_warning,
    empty_masks,
    implausible_refusal,
    listed_files,
    marked_shares,
    open_image,
    read_dataset,
    taken_as_given,
    validate,
)
from trainer.data.splits import (
    SPLIT_MODES,
    shared_images,
    shared_images_reason,
    ungrouped_warning,
    validation_part,
)

EXIT_OK = 0
EXIT_UNUSABLE = 2
STAGES = ("fit", "pretrain")  # pretrain ignores masks: authentic-only data sets are fine


@dataclass
class DatasetReport:
    """What one data set holds and what is wrong with it."""

    path: str
    weight: float = 1.0  # sampling weight given as DIR:WEIGHT
    role: str = "train"  # "train" (split into train and validation) or "validation"
    tampered: int = 0  # tampered images (Tp/ files, or JSON entries with a mask)
    masks: int = 0  # mask files (Gt/ files, or JSON masks that exist)
    authentic: int = 0  # authentic images (Au/ files, or JSON "Negative" entries)
    unreadable: list[str] = field(default_factory=list)  # images whose header cannot be read
    problems: list[str] = field(default_factory=list)  # each stops training
    warnings: list[str] = field(default_factory=list)  # worth knowing, training can start
    samples: list[Sample] = field(default_factory=list, repr=False)  # empty on a problem


def split_weight(text: str) -> tuple[Path, float]:
    """``PATH`` or ``PATH:WEIGHT``, exactly as ``trainer.setup.parse_data_spec`` reads it.

    Repeated here because ``trainer.setup`` imports torch, which costs this command seconds.
    """
    head, sep, tail = text.rpartition(":")
    if sep and head:
        try:
            w = float(tail)
        except ValueError:
            return Path(text), 1.0
        if not math.isfinite(w) or w <= 0:
            raise ValueError(f"data set weight must be a positive number, got {tail!r} in {text!r}")
        return Path(head), w
    return Path(text), 1.0


def _readable(path: Path) -> bool:
    """Whether the image header can be read (what the loader needs first)."""
    try:
        with open_image(path) as im:  # a pipe: unreadable at once, not waited on
            w, h = im.size
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        return False
    return w > 0 and h > 0


def _count(path: Path, report: DatasetReport) -> None:
    """Counts taken from the files themselves, so they are shown even when reading fails."""
    if path.suffix.lower() == ".json":
        try:
            pairs = json.loads(read_regular(path).decode("utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return
        if not isinstance(pairs, list):
            return
        for pair in pairs:
            if isinstance(pair, list | tuple) and len(pair) == 2 and isinstance(pair[1], str):
                if pair[1] == "Negative":
                    report.authentic += 1
                    continue
                report.tampered += 1
                mask = Path(pair[1]) if Path(pair[1]).is_absolute() else path.parent / pair[1]
                report.masks += is_listed(mask)
        return
    tp, gt, au = data_folders(path)
    tampered = listed_files(tp)
    masks = listed_files(gt, MASK_SUFFIXES)
    report.tampered = len(tampered)
    report.masks = len(masks)
    report.authentic = len(listed_files(au))
    stems = {p.stem for p in tampered}
    orphans = [m for m in masks if mask_key(m.stem) not in stems]
    if orphans:
        report.warnings.append(
            f"{orphans[0]}: mask without a tampered image (ignored)"
            + (f", and {len(orphans) - 1} more" if len(orphans) > 1 else "")
        )


# From this many tampered images without a mask, check's list of them opens with one line on
# the likely cause: authentic images put with the tampered ones (images/ + masks/ read as Tp/ +
# Gt/), each listed as "tampered image has no mask", 20 lines and not a word about Au/
MANY_WITHOUT_MASKS = 3
_NO_MASK = "tampered image has no mask"


def _named(path: Path, found: list[tuple[Path, str]]) -> list[str]:
    """``found`` as problem lines, each naming its file; led, when many tampered images of a
    folder have no mask, by one line saying where authentic images go."""
    lines = [f"{file}: {why}" for file, why in found]
    missing = sum(why.startswith(_NO_MASK) for _, why in found)
    if missing < MANY_WITHOUT_MASKS or path.suffix.lower() == ".json":
        return lines
    tp, gt, _ = data_folders(path)
    n = len(listed_files(tp))
    return [
        f"{path}: {missing} of the {n} images in {tp.name}/ have no mask in {gt.name}/: every "
        f"image in {tp.name}/ is read as tampered and needs its mask; authentic images go in "
        "Au/ (docs/TRAINING.md, Data)",
        *lines,
    ]


def check_dataset(
    text: str, *, role: str = "train", stage: str = "fit", as_given: bool = False
) -> DatasetReport:
    """Read, count and validate one data set given as ``PATH[:WEIGHT]``; ``as_given``
    (``--masks-as-given``): masks that look inverted are a warning, not a problem."""
    try:
        path, weight = split_weight(text)
    except ValueError as e:
        return DatasetReport(path=text, role=role, problems=[str(e)])
    report = DatasetReport(path=str(path), weight=weight, role=role)
    _count(path, report)
    found: list[tuple[Path, str]] = []  # every problem, each named (not the first and a count)
    try:
        samples = read_dataset(path, found)
        validate(samples, found)
    except ForensicError as e:
        report.problems += [*_named(path, found), str(e)]
        return report
    # the images' own findings come with the problems too: fixing a mask and checking again
    # showed an unreadable image only then
    report.unreadable = [str(s.image) for s in samples if not _readable(s.image)]
    if report.unreadable:
        n = len(report.unreadable)
        report.warnings.append(
            f"{report.unreadable[0]}: cannot be read and will be skipped"
            + (f", and {n - 1} more image(s)" if n > 1 else "")
        )
    # the masks' own findings too, of the masks that are there and fit their images: masks
    # saved faint (then 0 and 1) were said only once a missing mask and a misfit one had been fixed
    # (fine-tune walk-through, 2026-12-06)
    named = {file for file, _ in found}
    faint: list[tuple[Path, str]] = []
    shares, mask_warnings = marked_shares([s for s in samples if s.mask not in named], faint)
    implausible = implausible_refusal(shares, mask_warnings, as_given) if stage == "fit" else None
    report.problems += _named(path, found)
    if implausible is not None:
        report.problems.append(f"{implausible[0]}: {implausible[1]}")
        return report
    # refused by fit and eval (load_mask): a problem, not one of the empty masks' warning
    report.problems += [f"{file}: {why}" for file, why in faint]
    if found:
        return report
    empty = empty_masks(samples, [m for m in shares if m[0] not in {f for f, _ in faint}])
    # an image that cannot be read is skipped, never trained as untouched texture: said once,
    # by its own warning (a truncated image had both: fine-tune walk-through, 2026-12-06)
    unreadable = set(report.unreadable)
    empty = [image for image in empty if str(image) not in unreadable]
    if stage == "fit":
        report.warnings += taken_as_given(shares, as_given)
    if empty:
        report.warnings.append(empty_mask_warning(empty).removeprefix("warning: "))
    usable = [s for s in samples if str(s.image) not in unreadable]
    if stage == "fit" and role == "train" and not any(s.label == 1 for s in usable):
        report.problems.append(
            f"{path}: no readable tampered images (Tp/ is empty or missing): "
            "nothing to learn masks from"
        )
    elif not usable:
        report.problems.append(f"{path}: no readable image")
    report.samples = samples
    return report


def check(
    data: list[str],
    *,
    val_data: list[str] | None = None,
    split_by: str = "auto",
    val_fraction: float = 0.15,
    seed: int = 0,
    stage: str = "fit",
    as_given: bool = False,
) -> dict[str, Any]:
    """The whole answer of ``check`` as a JSON-safe dict (see the module docstring).

    Keys: ok, stage, masks_as_given (``as_given``: masks that look inverted are used as given,
    each such data set a warning), tampered, masks, authentic, unreadable (totals), split (image counts of
    each side, or None when it cannot be made), calibration (whether θ can be calibrated: the
    training side has at least calibration_minimum authentic images and the validation side as
    many tampered ones, as ``calibrate`` refuses fewer), calibration_minimum
    (``MIN_IMAGES_PER_CLASS``), datasets (one report each), problems, warnings.
    """
    problems: list[str] = []
    if stage not in STAGES:
        problems.append(f"--stage must be one of {', '.join(STAGES)}, got {stage!r}")
    if split_by not in SPLIT_MODES:
        problems.append(f"--split-by must be one of {', '.join(SPLIT_MODES)}, got {split_by!r}")
    if not 0.0 < val_fraction < 1.0:
        problems.append(f"--val-fraction must be in (0, 1), got {val_fraction}")
    if not data:
        problems.append("no data set given")
    reports = [check_dataset(d, stage=stage, as_given=as_given) for d in data]
    reports += [
        check_dataset(d, role="validation", stage=stage, as_given=as_given) for d in val_data or []
    ]
    for r in reports:
        problems += r.problems
    training = [s for r in reports if r.role == "train" for s in r.samples]
    for r in reports:  # --val-data that repeats --data: refused as fit refuses it
        if r.role == "validation" and (shared := shared_images(training, r.samples)):
            problems.append(f"{r.path}: {shared_images_reason(shared, len(r.samples))}")
    warnings = [w for r in reports for w in r.warnings]

    split: dict[str, int] | None = None
    if not problems:
        train: list[Sample] = []
        val: list[Sample] = []
        test: list[Sample] = []  # the held-out part's test half: it chooses nothing
        for r in reports:
            if r.role == "validation":
                val += r.samples
            elif val_data:
                train += r.samples
            else:
                try:
                    # the validation half, as fit and calibrate take it (trainer.setup)
                    sp, held_out, test_half, record = validation_part(
                        r.samples, val_fraction, split_by, seed
                    )
                except ForensicError as e:
                    problems.append(f"{r.path}: {e.reason}")
                    continue
                if ungrouped := ungrouped_warning(r.path, record):
                    warnings.append(ungrouped)
                train += sp.train
                val += held_out
                test += test_half
        unreadable = {p for r in reports for p in r.unreadable}
        train = [s for s in train if str(s.image) not in unreadable]
        val = [s for s in val if str(s.image) not in unreadable]
        test = [s for s in test if str(s.image) not in unreadable]
        split = {
            "train_tampered": sum(s.label == 1 for s in train),
            "train_authentic": sum(s.label == 0 for s in train),
            "val_tampered": sum(s.label == 1 for s in val),
            "val_authentic": sum(s.label == 0 for s in val),
            "test_tampered": sum(s.label == 1 for s in test),
            "test_authentic": sum(s.label == 0 for s in test),
        }
    totals = {
        key: sum(getattr(r, key) for r in reports) for key in ("tampered", "masks", "authentic")
    }
    if not problems and split is not None:
        if totals["authentic"] == 0:
            warnings.append("no authentic images: θ cannot be calibrated (the default θ is kept)")
        elif split["train_authentic"] == 0:
            warnings.append("no authentic image in the training split: θ cannot be calibrated")
        if stage == "fit" and split["val_tampered"] == 0:
            warnings.append(
                "no tampered image in the validation split: no validation figures, no calibration"
            )
        few = min(split["train_authentic"], split["val_tampered"])
        if stage == "fit" and 0 < few < MIN_IMAGES_PER_CLASS:  # as calibrate refuses it
            warnings.append(
                f"θ is set by the authentic training images and the tampered validation "
                f"images, and the split has {split['train_authentic']} and "
                f"{split['val_tampered']}, fewer than {MIN_IMAGES_PER_CLASS} of one: calibrate "
                "will refuse to set θ (more images, a larger --val-fraction or --val-data)"
            )
    return {
        "ok": not problems,
        "stage": stage,
        "masks_as_given": as_given,
        **totals,
        "unreadable": sum(len(r.unreadable) for r in reports),
        "split": split,
        # what calibrate will run on, not merely one image of each side: the training dialog
        # planned calibrate on 1 + 1 images and ran it into calibrate's refusal
        "calibration": bool(
            split and min(split["train_authentic"], split["val_tampered"]) >= MIN_IMAGES_PER_CLASS
        ),
        "calibration_minimum": MIN_IMAGES_PER_CLASS,
        "datasets": [{k: v for k, v in asdict(r).items() if k != "samples"} for r in reports],
        "problems": problems,
        "warnings": warnings,
    }


def format_report(result: dict[str, Any]) -> str:
    """The human summary printed without ``--json``."""
    lines = []
    for d in result["datasets"]:
        role = " (validation)" if d["role"] == "validation" else ""
        lines.append(
            f"{d['path']}{role}: {d['tampered']} tampered, {d['masks']} masks, "
            f"{d['authentic']} authentic, {len(d['unreadable'])} unreadable"
        )
    split = result["split"]
    if split is not None:
        lines.append(
            f"split: train {split['train_tampered']} tampered + {split['train_authentic']} "
            f"authentic, validation {split['val_tampered']} tampered + "
            f"{split['val_authentic']} authentic, test {split['test_tampered']} tampered + "
            f"{split['test_authentic']} authentic (chooses nothing)"
        )
        lines.append(
            f"θ: set on {split['train_authentic']} authentic training and "
            f"{split['val_tampered']} tampered validation images, "
            f"{result['calibration_minimum']} of each needed: "
            + ("can be calibrated" if result["calibration"] else "cannot be calibrated")
        )
    # the problems first: what stops training is read before what is worth knowing (a
    # folder of another layout was said after "mask without a tampered image (ignored)")
    lines += [f"problem: {p}" for p in result["problems"]]
    lines += [f"warning: {w}" for w in result["warnings"]]
    lines.append("ready to train" if result["ok"] else "cannot train on this data")
    return "\n".join(lines)


def add_check_parser(sub: argparse._SubParsersAction) -> None:
    """The ``check`` sub-command's arguments (data arguments as ``fit`` reads them)."""
    c = sub.add_parser("check", help="count and validate data sets before training")
    c.add_argument(
        "--data",
        action="append",
        required=True,
        metavar="DIR_OR_JSON[:WEIGHT]",
        help="a Tp/+Gt/(+Au/) folder or a JSON list of [image, mask] pairs; repeat to combine",
    )
    c.add_argument("--val-data", action="append", help="separate validation data (no split then)")
    c.add_argument("--split-by", default="auto", choices=SPLIT_MODES, help="as fit")
    c.add_argument("--val-fraction", type=float, default=0.15, help="as fit")
    c.add_argument("--seed", type=int, default=0, help="as fit")
    c.add_argument(
        "--stage",
        default="fit",
        help="fit (masks needed) or pretrain (DiffForensics stage 1: masks ignored)",
    )
    add_as_given_arg(c)
    c.add_argument("--json", action="store_true", help="print one JSON object")


def add_as_given_arg(p: argparse.ArgumentParser) -> None:
    """``--masks-as-given``, for every command that refuses masks that look inverted."""
    p.add_argument(
        MASKS_AS_GIVEN,
        dest="masks_as_given",
        action="store_true",
        help="use masks that look inverted (most marking more than half of their image) as "
        "they are, for sets whose forgeries do cover most of their image (large removals, "
        "inpainting); recorded in the outputs. Masks none of which marks a pixel are still "
        "refused",
    )


def run(args: argparse.Namespace) -> int:
    """``forensic-train check``: print the report; exit 0 when training can start, else 2."""
    result = check(
        args.data,
        val_data=args.val_data,
        split_by=args.split_by,
        val_fraction=args.val_fraction,
        seed=args.seed,
        stage=args.stage,
        as_given=args.masks_as_given,
    )
    if args.json:
        sys.stdout.write(json.dumps(result) + "\n")
    else:
        print(plain_lines(format_report(result)))  # a data set's names are untrusted
    sys.stdout.flush()
    return EXIT_OK if result["ok"] else EXIT_UNUSABLE


def check_answer(code: int, lines: list[str], message: str = "") -> dict[str, Any]:
    """The answer of ``forensic-train check --json`` from the lines it printed and its exit
    status; a check that ended without one (it crashed, or was killed) becomes an answer that
    is not ok and names why (``message``: its last words, else the exit status)."""
    answer = None
    for line in reversed(lines):
        try:
            answer = json.loads(line)
            break
        except ValueError:
            continue
    if not isinstance(answer, dict) or code not in (EXIT_OK, EXIT_UNUSABLE):
        why = message or f"exit status {code}"
        return {"ok": False, "problems": [f"the data check failed: {why}"], "warnings": []}
    return answer
