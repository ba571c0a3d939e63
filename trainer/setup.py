"""Building what a command needs from its arguments: data, model, checkpoint metadata.

Kept apart from ``cli.py`` so that tests and other programs can assemble a training run
without argparse, and so that the CLI stays a thin layer of validation and printing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from engine.checkpoints import (
    CheckpointMeta,
    DecisionRule,
    InputPolicy,
    file_sha256,
    read_meta,
    read_safetensors,
)
from engine.errors import CheckpointError
from engine.files import suffix_is
from engine.models.registry import config_to_dict, create_model, get_spec
from trainer.data.records import Sample, read_dataset, validate
from trainer.data.splits import (
    CHOSE_ON,
    WHOLE_HELD_OUT,
    shared_images,
    shared_images_reason,
    split_samples,
    validation_part,
)
from trainer.errors import DataError, UsageError


def set_threads(n: int) -> None:
    """``--threads N`` of a command (N > 0): PyTorch's and OpenCV's pools both at N (OpenCV's
    runs the augmentations and the classic analyses' SIFT), so that commands run one per core
    (the recipes' shards) keep to their core; 0 leaves both as they are."""
    if n > 0:
        import cv2

        torch.set_num_threads(n)
        cv2.setNumThreads(n)


@dataclass(frozen=True)
class DataSpec:
    """One data set of a (possibly combined) training set."""

    path: Path  # folder (format a) or .json list (format b)
    weight: float = 1.0  # sampling weight relative to the other data sets


def parse_data_spec(text: str) -> DataSpec:
    """``PATH`` or ``PATH:WEIGHT`` (the weight is taken only when it parses as a number)."""
    head, sep, tail = text.rpartition(":")
    if sep and head:
        try:
            w = float(tail)
        except ValueError:
            return DataSpec(Path(text))
        if not np.isfinite(w) or w <= 0:
            raise UsageError(
                None, f"data set weight must be a positive number, got {tail!r} in {text!r}"
            )
        return DataSpec(Path(head), w)
    return DataSpec(Path(text))


# How a --no-val run's data sets were "split" (run.json, the checkpoint's training.split)
NO_VAL_SPLIT = "none (--no-val): every image trains"


@dataclass
class DataBundle:
    """Train and validation samples with per-sample weights and how they were split."""

    train: list[Sample]
    train_weights: list[float]
    val: list[Sample]
    split: dict[str, Any]  # describe() of each data set's split, by data set path


def read_and_split(
    specs: list[DataSpec],
    *,
    val_specs: list[DataSpec] | None = None,
    split_by: str = "auto",
    val_fraction: float = 0.15,
    seed: int = 0,
    need_masks: bool = True,
    every_image: bool = False,
    whole_held_out: bool = False,
) -> DataBundle:
    """Read and validate every data set, then split each one (unless validation is given, or
    ``every_image``: fit's ``--no-val``, every image trains and none validates).

    The validation samples are the held-out part's validation half
    (:func:`trainer.data.splits.validation_part`: what ``fit`` and ``calibrate`` choose on; the
    test half is left out of both), or with ``whole_held_out`` the whole held-out part (eval's
    ``--split val``).

    Each data set is split on its own, so that a weight or another data set added to the mix
    never moves an image across the split.
    """
    train: list[Sample] = []
    weights: list[float] = []
    val: list[Sample] = []
    split_info: dict[str, Any] = {}
    for spec in specs:
        samples = read_dataset(spec.path)
        validate(samples)
        if need_masks and not any(s.label == 1 for s in samples):
            raise DataError(
                spec.path,
                "no tampered images (Tp/ is empty or missing): nothing to learn masks from",
            )
        if val_specs or every_image:  # no split: every image of it trains
            train += samples
            weights += [spec.weight] * len(samples)
            by = "separate validation data" if val_specs else NO_VAL_SPLIT
            split_info[_key(spec.path)] = {"by": by, "train_images": len(samples)}
            continue
        if whole_held_out:  # eval's --split val and train: the split itself
            sp = split_samples(samples, val_fraction, split_by, seed)
            held_out, record = sp.val, sp.describe()
        else:
            sp, held_out, _, record = validation_part(samples, val_fraction, split_by, seed)
        train += sp.train
        weights += [spec.weight] * len(sp.train)
        val += held_out
        split_info[_key(spec.path)] = record
    for spec in val_specs or []:
        samples = read_dataset(spec.path)
        validate(samples)
        if shared := shared_images(train, samples):
            raise DataError(spec.path, shared_images_reason(shared, len(samples)))
        val += samples
        split_info[f"val:{_key(spec.path)}"] = {
            "by": "separate validation data",
            "val_images": len(samples),
        }
    return DataBundle(train, weights, val, split_info)


def _key(path: str | Path) -> str:
    """A data set's key in the split record (run.json, the checkpoint's ``training.split``):
    its absolute path, as ``training.data`` holds it, so that ``eval`` and ``calibrate`` run
    from another folder still know the data (``trainer.evaluate.trained_on_note``)."""
    return str(Path(path).resolve())


def whole_held_out_notes(split: dict[str, Any]) -> list[str]:
    """A line for each data set whose validation is its whole held-out part
    (:func:`trainer.data.splits.validation_part`): its ``eval --split test`` chose too."""
    return [
        f"note: {path}: the validation half of its held-out part ({record.get('held_out_images')} "
        "images) would hold no tampered or no authentic image, so the whole held-out part "
        "validates; eval --split test of it is then no held-out measure (a larger "
        "--val-fraction or more images keeps a test half apart)"
        for path, record in split.items()
        if isinstance(record, dict) and record.get(CHOSE_ON) == WHOLE_HELD_OUT
    ]


def subset_for_validation(samples: list[Sample], limit: int, seed: int) -> list[Sample]:
    """At most ``limit`` samples, tampered and authentic in their proportions, seeded."""
    if limit <= 0 or len(samples) <= limit:
        return list(samples)
    rng = np.random.default_rng([seed, 7])
    out: list[Sample] = []
    for label in (1, 0):
        group = [s for s in samples if s.label == label]
        k = round(limit * len(group) / len(samples))
        idx = sorted(rng.choice(len(group), size=min(k, len(group)), replace=False))
        out += [group[i] for i in idx]
    return out


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``key=value`` model config overrides; values are JSON-ish (``8,16,32`` is a tuple)."""
    import json

    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(None, f"model config override must be key=value, got {item!r}")
        if "," in value and not value.startswith("["):
            out[key] = tuple(json.loads(v) if v.strip() else v for v in value.split(","))
            continue
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def build_model(
    arch: str, overrides: dict[str, Any], seed: int
) -> tuple[nn.Module, dict[str, Any]]:
    """A freshly initialised ``arch`` (seeded) and its full config as a JSON-safe dict."""
    try:
        spec = get_spec(arch)
    except KeyError as e:
        raise UsageError(None, str(e.args[0])) from None
    try:
        config = spec.make_config(**overrides)
    except (ValueError, TypeError) as e:
        raise UsageError(None, str(e)) from None
    torch.manual_seed(seed)
    model = create_model(arch, **dataclasses.asdict(config))
    return model, config_to_dict(config)


def init_from(model: nn.Module, path: Path) -> dict[str, int]:
    """Copy every tensor of checkpoint ``path`` whose name and shape fit ``model``.

    For DiffForensics stage 2 (the stage-1 file holds part of the network) and for
    fine-tuning. Refuses a file that fits nothing. Returns counts for the log.
    """
    if not suffix_is(path, ".safetensors"):
        raise UsageError(path, "--init needs a .safetensors checkpoint")
    read_meta(path)  # one-line CheckpointError when it is not one of ours
    state = read_safetensors(path)
    own = model.state_dict()
    fit = {k: v.to(own[k].dtype) for k, v in state.items() if k in own and own[k].shape == v.shape}
    if not fit:
        raise CheckpointError(
            path, "no tensor of this checkpoint fits the architecture being trained"
        )
    for k, v in fit.items():
        if v.is_floating_point() and not torch.isfinite(v).all():
            raise CheckpointError(path, f"tensor '{k}' holds NaN or infinite values")
    model.load_state_dict(fit, strict=False)
    return {
        "loaded": len(fit),
        "skipped": len(state) - len(fit),
        "left_initialised": len(own) - len(fit),
    }


def base_meta(
    arch: str, config: dict[str, Any], window: int, stride: int, name: str
) -> CheckpointMeta:
    """Metadata of a freshly trained checkpoint, before calibration, with the version of the
    architecture's code that trains it."""
    spec = get_spec(arch)
    if spec.input_policy == "window":
        policy = InputPolicy(mode="window", window=window, stride=stride)
    else:
        policy = InputPolicy(mode="resize")
    if spec.outputs == "mask+image":
        rule = DecisionRule(
            rule="logit",
            threshold=0.5,
            provenance="default: image probability > 0.5, not calibrated",
        )
    else:
        rule = DecisionRule(
            rule="forged_fraction",
            threshold=0.01,
            provenance="default θ = 0.01 (1% of the image), not calibrated; run forensic-train calibrate",
        )
    return CheckpointMeta(
        architecture=arch,
        config=config,
        input_policy=policy,
        decision=rule,
        name=name,
        architecture_version=spec.version,
    )


def today() -> str:
    return time.strftime("%Y-%m-%d")


def refuse_bundled_name(name: str, given: bool) -> None:
    """A :class:`UsageError` when ``name``, the model name a checkpoint is to carry, is a
    bundled model's: ``--model NAME`` finds the bundled one first, and the outputs (report
    rows, a scan's columns) could not tell the two apart (the training dialog refuses it
    too: ``trainer.plan``). ``given``: by ``--name``, else taken from ``--out``."""
    from engine.catalog import bundled_names

    if name in bundled_names():
        where = "--name" if given else f"the model name (from --out: {name})"
        raise UsageError(
            None,
            f"{where}: {name} is a bundled model's name, which `--model {name}` finds first "
            "and the outputs cannot tell apart; choose another with --name",
        )


# what a data set's ``sha256`` in a checkpoint's training summary is the digest of
DATA_DIGEST = (
    "SHA-256 of the sorted lines 'image path relative to the data set (a folder, or a JSON "
    "list's folder) TAB its SHA-256 TAB its mask's SHA-256 or -' of every image it lists: the "
    "images and masks by content and the pairing, not the list's own bytes"
)


def data_digest(path: str | Path) -> dict[str, Any]:
    """A data set's content digest (:data:`DATA_DIGEST`) and how many images it covers, for the
    checkpoint's provenance: a path alone named the data, not what it held when the model was
    trained (fine-tune walk-through, 2026-12-06). Content, not the list file's bytes, so that a
    folder and a JSON list of the same files, or a list rewritten in another order, give one
    digest, and an image replaced under its name gives another. Each file is read once more
    (seconds for thousands of photographs, against the hours of training); a file that cannot
    be read counts as "unreadable" (the loader skips it)."""
    root = Path(path)
    base = root.parent if root.suffix.lower() == ".json" else root
    lines = []
    for s in read_dataset(root):
        rel = s.image.relative_to(base) if s.image.is_relative_to(base) else s.image
        lines.append(f"{rel.as_posix()}\t{_sha_or_unreadable(s.image)}\t"
                     f"{_sha_or_unreadable(s.mask) if s.mask is not None else '-'}")  # fmt: skip
    digest = hashlib.sha256("\n".join(sorted(lines)).encode("utf-8")).hexdigest()
    return {"sha256": digest, "images": len(lines)}


def _sha_or_unreadable(path: Path) -> str:
    try:
        return file_sha256(path)
    except OSError:
        return "unreadable"
