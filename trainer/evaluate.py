"""Evaluation through the product's own path.

Every heatmap and decision here comes from :class:`engine.pipeline.Analyzer` on pixels decoded
by :func:`engine.io.load_evidence`: the exact calls ``forensic-viewer scan`` makes. So the
figures ``forensic-train eval`` prints are the figures an analyst gets from the same checkpoint
on the same folder, and validation during training measures the network as it will be used
(sliding windows at the checkpoint's stride, fusion, the checkpoint's pixel threshold).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.checkpoints import LoadedModel
from engine.decision import MANIPULATED, statistic
from engine.errors import EvidenceError
from engine.io import load_evidence
from engine.pipeline import Analyzer
from engine.types import Analysis
from trainer.data.records import Sample, SkipLog, load_mask
from trainer.data.splits import CHOOSE_HALF, CHOSE_ON
from trainer.metrics import MetricAccumulator, auc_interval_words, flagged_words


@dataclass
class ImageRecord:
    """One image's result, as written to the eval JSON."""

    image: str
    label: int
    score: float
    verdict: str
    forged_fraction: float
    pixel: dict[str, float] | None = None
    # the rule's θ-free statistic (engine.decision.statistic), what a calibration is fitted on
    statistic: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "image": self.image,
            "label": self.label,
            "score": self.score,
            "verdict": self.verdict,
            "forged_fraction": self.forged_fraction,
            "pixel": self.pixel,
        }


def image_figures_at_theta(records: list[ImageRecord]) -> tuple[dict[str, Any], list[str]]:
    """The image AUC's 95 % bootstrap interval and what θ flags of each class, as recorded
    (``image_auc_interval``: ``[lo, hi]`` or None; ``flagged_authentic``, ``flagged_tampered``)
    and as ``eval`` prints them under its table: an image AUC of 0.7857 on 7 tampered and 2
    authentic images had stood without an interval or a word on how few they were, and the
    accuracy alone at θ (fine-tune walk-through, 2026-12-06)."""
    labels = np.array([r.label for r in records], dtype=bool)
    scores = np.array([r.score for r in records], dtype=np.float64)
    flagged = np.array([r.verdict == MANIPULATED for r in records], dtype=bool)
    interval, words = auc_interval_words(labels, scores)
    figures = {
        "image_auc_interval": interval,
        "flagged_authentic": int((flagged & ~labels).sum()),
        "flagged_tampered": int((flagged & labels).sum()),
    }
    return figures, [f"image AUC: {words}", f"at θ: {flagged_words(labels, flagged)}"]


@dataclass
class EvalResult:
    metrics: dict[str, Any]
    records: list[ImageRecord] = field(default_factory=list)
    # what ran the model, as a scan row's details say it (its input_policy: runtime, model
    # files, threads, tiles; precision, device), each distinct one with how many images
    input_policies: list[dict[str, Any]] = field(default_factory=list)

    def fractions(self, label: int) -> np.ndarray:
        """Forged fractions of the images with ``label`` (for calibration)."""
        return np.array([r.forged_fraction for r in self.records if r.label == label])


def analysed(
    analyzer: Analyzer, samples: list[Sample], skipped: SkipLog
) -> Iterator[tuple[int, Sample, Analysis]]:
    """(index, sample, analysis) for each readable sample; unreadable ones go to ``skipped``."""
    for i, s in enumerate(samples):
        try:
            evidence = load_evidence(s.image)
        except EvidenceError as e:
            skipped.add(s.image, e.reason)
            continue
        yield i, s, analyzer.analyze(evidence)


def model_device(model: Any) -> str:
    """The device ``model``'s weights are on, for validating a model being trained where it
    trains: under several processes ``fit`` moves each rank's model to its local GPU whatever
    ``--device`` names, and an Analyzer on another device (``cuda:1``) would move rank 0's
    model away from its batches and its DDP wrapper."""
    return str(next(model.parameters()).device)


def evaluate(
    loaded: LoadedModel,
    samples: list[Sample],
    *,
    device: str = "cpu",
    batch_size: int = 8,
    inverted: bool = False,
    skipped: SkipLog | None = None,
    progress: Callable[[int, int], None] | None = None,
    untrusted_masks: set[str] | None = None,
) -> EvalResult:
    """Analyse every sample with ``loaded`` and collect image and pixel metrics.

    Unreadable images are recorded in ``skipped`` and left out of every figure. Tampered images
    in ``untrusted_masks`` (paths; see :mod:`trainer.data.mask_audit`) count in the image
    figures but not in the pixel figures: their mask does not mark what was changed.
    """
    untrusted_masks = untrusted_masks or set()
    skipped = skipped if skipped is not None else SkipLog()
    analyzer = Analyzer([loaded], device=device, batch_size=batch_size)
    acc = MetricAccumulator(inverted=inverted)
    records: list[ImageRecord] = []
    policies: dict[str, dict[str, Any]] = {}
    for i, s, analysis in analysed(analyzer, samples, skipped):
        result = analysis.results[loaded.name]
        ran = {**result.input_policy, "precision": result.precision, "device": result.device}
        key = json.dumps(ran, sort_keys=True, default=str)
        policies.setdefault(key, {**ran, "images": 0})["images"] += 1
        gt = (
            load_mask(s, result.heatmap.shape, skipped).astype(bool)
            if s.label == 1 and str(s.image) not in untrusted_masks
            else None
        )
        ps = acc.add(
            s.label,
            result.score,
            result.verdict == MANIPULATED,
            result.forged_fraction,
            result.heatmap,
            gt,
            result.pixel_threshold,
        )
        records.append(
            ImageRecord(
                str(s.image),
                s.label,
                result.score,
                result.verdict,
                result.forged_fraction,
                None
                if ps is None or gt is None
                else {
                    "f1": ps.f1,
                    "iou": ps.iou,
                    "auc": ps.auc,
                    "f1_best": ps.f1_best,
                    "mask_share": float(gt.mean()),  # of the image: the forged region's size
                },
                statistic(result.rule, result.forged_fraction, result.image_logit),
            )
        )
        if progress is not None:
            progress(i + 1, len(samples))
    return EvalResult(acc.summary(), records, list(policies.values()))


def trained_on_note(
    training: dict[str, Any],
    data: list[Path],
    split: str,
    seed: int,
    val_fraction: float,
    what: str = "these figures include",
) -> str:
    """A line when ``eval``'s images may include ones the checkpoint was trained on: one of
    ``data`` is a training data set of the checkpoint (its header's ``training.data``) and the
    split is ``all`` or ``train``, or is rebuilt with another seed or share than the run's (its
    "val" is then not the part the run held out), or the run held none of it out (``--no-val``,
    ``--val-data``: every image trained). The table alone read as a held-out result.
    ``what`` names what includes them (``calibrate``: the validation images that set θ).
    Empty otherwise.

    A checkpoint written before 2026-12-05 records its data paths as typed (``--data data``:
    ``"data"``), relative to a working folder it does not record: resolved against this
    command's, they matched nothing when it ran elsewhere, and the note was left out. Such a
    path is matched by its last parts (``data`` or ``../data``: any folder named ``data``),
    and the note says that it cannot be decided."""
    recorded = [d["path"] for d in training.get("data") or [] if isinstance(d, dict)]
    runs = training.get("split") or {}
    for path in data:
        sure = [p for p in recorded if _same_folder(p, path) == "same"]
        maybe = [p for p in recorded if _same_folder(p, path) == "maybe"]
        if not (sure or maybe):
            continue
        run = _split_record(runs, path, "same" if sure else "maybe")
        hint = (
            "--split test with the run's split options measures images it neither trained "
            "nor chose on"
            if run.get(CHOSE_ON) == CHOOSE_HALF
            else "--split val or test with the run's split options leaves its training images "
            "out (it chose its best checkpoint on both)"
        )
        if run and "val_images" not in run:  # --no-val or --val-data: nothing held out of it
            why = f"the run trained on every image of it (split: {run.get('by', '?')})"
            hint = "data the run did not train on measures held-out images"
        elif split in ("all", "train"):
            why = f"--split {split} takes its training part"
        elif run.get("seed") != seed or run.get("val_fraction") != val_fraction:
            why = f"--split {split} of another --seed or --val-fraction than the run's"
        else:
            continue
        if sure:
            return (
                f"note: {path} is data this checkpoint was trained on and {why}: {what} "
                f"training images (optimistic); {hint}"
            )
        return (
            f"note: {path} may be data this checkpoint was trained on, which it records as "
            f"typed, '{maybe[0]}', relative to a working folder it does not record (it cannot "
            f"be decided), and {why}: {what} training images if so (optimistic); {hint}"
        )
    return ""


def _same_folder(recorded: str, path: Path) -> str:
    """``"same"`` when ``recorded`` (a data path in a checkpoint's header) is absolute and names
    ``path``; ``"maybe"`` when it is relative (as older checkpoints stored it) and ``path``'s
    last parts are its own, less any leading ``..``; else ``""``."""
    stored = Path(recorded)
    if stored.is_absolute():
        return "same" if stored.resolve() == path.resolve() else ""
    tail = [part for part in stored.parts if part not in (".", "..")]
    parts = path.resolve().parts
    return "maybe" if tail and list(parts[-len(tail) :]) == tail else ""


def _split_record(runs: dict[str, Any], path: Path, match: str) -> dict[str, Any]:
    """The record in ``runs`` (a header's split, keyed by data path as stored) whose key
    :func:`_same_folder` finds ``match`` (``"same"``, ``"maybe"``) for ``path``; ``{}`` if none."""
    keys = [k for k, v in runs.items() if isinstance(v, dict) and _same_folder(k, path) == match]
    return runs[keys[0]] if keys else {}


def _same_splits(
    runs: dict[str, Any] | None, data: list[Path], seed: int, val_fraction: float
) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Each of ``data`` (in order) with its record in ``runs`` (a header's split, by data path)
    when that split held images out with this ``seed`` and ``val_fraction``: the split an eval
    of the same options takes. Typed relative keys (before 2026-12-05) are matched by their
    last parts when no absolute one names the path (:func:`_same_folder`)."""
    for path in data:
        run = _split_record(runs or {}, path, "same") or _split_record(runs or {}, path, "maybe")
        if (
            "val_images" in run
            and run.get("seed") == seed
            and run.get("val_fraction") == val_fraction
        ):
            yield path, run


def test_chose_note(
    training: dict[str, Any],
    details: dict[str, Any],
    data: list[Path],
    seed: int,
    val_fraction: float,
) -> str:
    """A line when ``eval --split test``'s images chose something of the checkpoint: its run
    (the header's ``training.split``) or its ``calibrate`` (``decision.details.split``) split
    one of ``data`` with the same seed and share and chose on the whole held-out part, test
    half included (every run and calibration before 2026-12-05, whose record has no
    :data:`~trainer.data.splits.CHOSE_ON`; :func:`trainer.data.splits.validation_part`).
    A θ that ``forensic-train verdict`` chose later (``details`` with ``evidence_size``, the
    bundled models') was chosen on the validation half: not counted. Empty otherwise."""
    chose: list[str] = []
    theta_by_verdict = "evidence_size" in details
    for what, split in (
        ("its training run chose its best epoch", training.get("split")),
        ("calibrate chose its θ", None if theta_by_verdict else details.get("split")),
    ):
        held = _same_splits(split, data, seed, val_fraction)
        path = next((p for p, run in held if run.get(CHOSE_ON) != CHOOSE_HALF), None)
        if path is not None:
            chose.append(f"{what} on {path}'s whole held-out part")
    if not chose:
        return ""
    return (
        f"note: these test images are not held out: {' and '.join(chose)}, these images "
        "among it (as every run and calibration before 2026-12-05 did): the figures are "
        "optimistic"
    )


def chose_note(
    training: dict[str, Any],
    details: dict[str, Any],
    data: list[Path],
    split: str,
    seed: int,
    val_fraction: float,
) -> str:
    """A line when ``eval --split val`` or ``--split choose`` measures images that chose
    something of the checkpoint: its training run validated on them (they chose its best
    epoch; the header's ``training.split`` of one of ``data`` with the same seed and share, and
    validation figures in ``training.metrics``) or its ``calibrate`` chose θ on them
    (``decision.details.split``; a θ of ``forensic-train verdict``, ``details`` with
    ``evidence_size``, records no such split). ``--split all`` says that its figures include
    training images (:func:`trained_on_note`); these splits said nothing, and their table read
    as a held-out result. Empty otherwise."""
    chose: list[str] = []
    part = ""
    validated = bool(training.get("metrics"))
    theta_by_verdict = "evidence_size" in details
    for what, record in (
        ("chose its best epoch", training.get("split") if validated else None),
        ("chose its θ", None if theta_by_verdict else details.get("split")),
    ):
        if (found := next(_same_splits(record, data, seed, val_fraction), None)) is None:
            continue
        who = "its training run" if what.endswith("epoch") else "calibrate"
        chose.append(f"{who} {what}")
        part = part or (
            "its validation half"
            if found[1].get(CHOSE_ON) == CHOOSE_HALF and split == "val"
            else "these images"
        )
    if not chose:
        return ""
    on = "on them" if part == "these images" else f"on {part}, among them"
    return (
        f"note: these images are not held out: {' and '.join(chose)} {on}: the figures are "
        "optimistic; --split test with the run's split options measures images that chose "
        "nothing"
    )


def eval_note(
    training: dict[str, Any], details: dict[str, Any], data: list[Path], args: Any
) -> str:
    """The line ``eval`` prints under its table when its images are not held out for the
    checkpoint of ``training`` and ``details`` (its header's): training images
    (:func:`trained_on_note`), or images that chose its best epoch or θ (``--split test``:
    :func:`test_chose_note`; ``val`` and ``choose``: :func:`chose_note`); "" when none."""
    split, seed, fraction = args.split, args.seed, args.val_fraction
    if note := trained_on_note(training, data, split, seed, fraction):
        return note
    if split == "test":
        return test_chose_note(training, details, data, seed, fraction)
    if split in ("val", "choose"):
        return chose_note(training, details, data, split, seed, fraction)
    return ""
