"""What the analyst is shown before a freshly trained model joins the viewer's models.

A training run ends with a checkpoint; installing it puts it among the models the viewer
offers. A model trained for a handful of steps, or one nobody validated, produces heatmaps that
look like findings, so installation waits for the analyst's confirmation after seeing
:func:`review_checkpoint`: the steps trained, the validation figures the run recorded in the
checkpoint (``meta.metrics``: ``val_pixel_f1``, ``val_image_auc``, ... from the last validation,
or from calibration; said as the training log says them, :func:`trainer.progress.figure_words`),
where θ came from, and warnings:

- fewer than :data:`FEW_STEPS` training steps (or no step count recorded): a network trained
  from its initial weights is then close to an untrained one; one fine-tuned from a model
  (``fit --init``, the dialog's "start from") is close to that model, and the review says
  so: it starts from a trained network (:func:`started_from`);
- no validation figures (no validation images, or validation switched off);
- masks that look inverted, trained on as given (``fit --masks-as-given``, recorded in the
  checkpoint's training summary as ``masks_as_given``);
- a validation image AUC below 0.5 (the score ranks authentic above tampered), and the reason
  ``calibrate``, ``verdict`` or ``face-model`` stored no probability calibration
  (``decision.calibration["no_calibration"]``; ``details`` in files written before);
- a θ from ``calibrate`` that flags no tampered validation image or whose validation balanced
  accuracy is at most 0.5 (:func:`theta_warning`).

θ is said once (its provenance starts with it), with the images ``calibrate`` chose it on.

Qt-free, so the training dialog only shows the result and ``forensic-train`` could print it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine.checkpoints import CheckpointMeta, read_meta
from engine.errors import CheckpointError
from trainer.data.splits import ungrouped_warning
from trainer.progress import figure_words, validation_figures

# Below this many optimiser steps a network has seen too few windows (1000 steps of batch 16:
# 16k windows, a few passes over a small folder) for its maps to mean much; the bundled models
# trained for tens of thousands. A trial run is still installable, with the warning.
FEW_STEPS = 1000
VAL_PREFIX = "val_"  # a checkpoint's validation figures: ``val_`` + the figure's name


@dataclass
class InstallReview:
    """The facts about a checkpoint shown before installing it."""

    path: Path
    name: str
    steps: int | None  # optimiser steps of the run that wrote it (None: not recorded)
    figures: dict[str, float] = field(default_factory=dict)  # val_* figures, defined only
    threshold: str = ""  # θ and where it came from
    warnings: list[str] = field(default_factory=list)
    started_from: str = ""  # the model it was fine-tuned from ("": its initial weights)
    # the validation's images: (all, tampered, authentic), None when the header has no counts
    val_images: tuple[int, int, int] | None = None
    # the steps the run trained in all (the training dialog's count), when known: more than
    # ``steps`` when the checkpoint is that of its best validation, from earlier in the run
    run_steps: int | None = None

    def text(self) -> str:
        """Several lines: what was trained, its validation figures, θ, then the warnings."""
        steps = "an unrecorded number of" if self.steps is None else str(self.steps)
        how = f"fine-tuned from {self.started_from}" if self.started_from else "trained"
        earlier = ""
        if self.steps is not None and self.run_steps is not None and self.run_steps > self.steps:
            earlier = (
                f": the checkpoint of its best validation; the run went on to step {self.run_steps}"
            )
        lines = [f"{self.name}: {how} for {steps} steps ({self.path.name}{earlier})"]
        if self.figures:
            named = {k.removeprefix(VAL_PREFIX): v for k, v in self.figures.items()}
            on = ""
            if self.val_images is not None:
                n, tampered, authentic = self.val_images
                on = f" (on {n} images: {tampered} tampered, {authentic} authentic)"
            lines.append(f"validation: {figure_words(named)}{on}")
        else:
            lines.append("validation: none recorded")
        if self.threshold:
            lines.append(self.threshold)
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def review_checkpoint(path: str | Path) -> InstallReview:
    """The review of the checkpoint at ``path``. Raises :class:`CheckpointError` (one line
    naming the file) when its header cannot be read."""
    path = Path(path)
    meta = read_meta(path)
    raw_step = meta.training.get("step")
    try:
        steps = None if raw_step is None else int(raw_step)
    except (TypeError, ValueError) as e:
        raise CheckpointError(path, f"training step {raw_step!r} is not a number") from e
    recorded = {
        k.removeprefix(VAL_PREFIX): v for k, v in meta.metrics.items() if k.startswith(VAL_PREFIX)
    }
    figures = {VAL_PREFIX + k: v for k, v in validation_figures(recorded).items()}
    warnings: list[str] = []
    start = started_from(meta)
    if steps is None:
        warnings.append("the checkpoint does not say how long it was trained")
    elif steps < FEW_STEPS and start:
        warnings.append(
            f"fine-tuned for only {steps} steps (fewer than {FEW_STEPS}): its heatmaps are "
            f"close to those of {start}, the model it started from, not yet adapted to this "
            "data"
        )
    elif steps < FEW_STEPS:
        warnings.append(
            f"trained for only {steps} steps (fewer than {FEW_STEPS}): its heatmaps are close "
            "to an untrained network's; use it for trials, not for findings"
        )
    if not figures:
        warnings.append(
            "no validation figures: nothing measured how well it finds manipulations "
            "(no validation images, or validation was off)"
        )
    for data, record in (meta.training.get("split") or {}).items():  # no source groups
        if ungrouped := ungrouped_warning(data, record):
            warnings.append(ungrouped)
    overridden = meta.training.get("masks_as_given")
    if isinstance(overridden, list) and overridden:  # fit --masks-as-given let them through
        warnings.append(f"trained on masks that look inverted: {overridden[0]}")
    rule = meta.decision
    # the provenance of a calibrated θ starts with θ itself ("θ = 0.4139: ..."): said once
    threshold = (
        rule.provenance if "θ" in rule.provenance else f"θ = {rule.threshold:g} ({rule.provenance})"
    )
    warnings += _calibration_warnings(meta)
    if counts := _theta_counts(rule.details):
        threshold += f"\nθ chosen on {counts}"
    review = InstallReview(path, meta.name or path.stem, steps, figures, threshold, warnings, start)
    review.val_images = _validation_counts(meta) if figures else None
    return review


def _theta_counts(details: dict) -> str:
    """The images ``calibrate`` chose θ on, in words ("4 tampered / 2 authentic validation
    images ..."), "" when it did not record them: a θ from a handful reads like any other."""
    counts = details.get("counts")
    if not isinstance(counts, dict) or "evidence_size" in details:  # verdict's θ: its own words
        return ""
    try:
        tampered, authentic = int(counts["val_tampered"]), int(counts["val_authentic"])
        train = int(counts["train_authentic"])
    except (KeyError, TypeError, ValueError):
        return ""
    return (
        f"{tampered} tampered / {authentic} authentic validation images (the authentic "
        f"maximum of {train} training images)"
    )


def _calibration_warnings(meta: CheckpointMeta) -> list[str]:
    """A score that ranks authentic above tampered on validation (image AUC < 0.5: its
    verdicts run backwards), the AUC ``calibrate`` measured or else the run's; and why no
    probability calibration was stored, when ``calibrate``, ``verdict`` or ``face-model``
    refused one."""
    out: list[str] = []
    auc = meta.decision.details.get("validation_auc", meta.metrics.get("val_image_auc"))
    if isinstance(auc, int | float) and auc < 0.5:
        out.append(
            f"validation image AUC {auc:.2f} (below 0.5): its score ranks authentic images "
            "above tampered ones, so its verdicts are worse than chance on this data"
        )
    # in the calibration's place (refused_calibration); in details in the files calibrate
    # wrote on 2026-12-05, before it kept it there
    why = meta.decision.calibration.get("no_calibration") or meta.decision.details.get(
        "no_calibration"
    )
    if isinstance(why, str) and why:
        out.append(f"no probability calibration: {why}")
    if warning := theta_warning(meta.decision.details):
        out.append(warning)
    return out


def theta_warning(details: dict) -> str:
    """One line when the θ ``calibrate`` stored (``details["strategy"]`` of its Table-3
    figures, ``details["strategies"]``) flags none of the tampered validation images or has a
    balanced accuracy of at most 0.5 there, naming the strategy that did best; "" otherwise
    (and for a θ of another command, whose details hold no strategies, or of ``verdict``,
    which keeps calibrate's details beside its ``evidence_size`` but stores a θ of its own).
    calibrate prints it and the review shows it before Install: the midpoint had stored a θ
    of recall 0, said only by a note in the log, and the installed model called tampered
    images authentic."""
    strategies, chosen = details.get("strategies"), details.get("strategy")
    if not isinstance(strategies, dict) or not isinstance(strategies.get(chosen), dict):
        return ""
    if "evidence_size" in details:  # verdict's θ: calibrate's figures judge one not stored
        return ""
    figures = strategies[chosen]
    recall, bacc = figures.get("recall"), figures.get("balanced_accuracy")
    counts = details.get("counts") if isinstance(details.get("counts"), dict) else {}
    tampered = f"{counts['val_tampered']} " if "val_tampered" in counts else ""
    if isinstance(recall, int | float) and recall == 0:
        what = (
            f"flags none of the {tampered}tampered validation images (recall 0): its "
            "verdicts would call forgeries authentic"
        )
    elif isinstance(bacc, int | float) and bacc <= 0.5:  # NaN (one class) is not <= 0.5
        what = (
            f"has a validation balanced accuracy of {bacc:.3f}: its verdicts are no better "
            "than chance on this data"
        )
    else:
        return ""
    others = {
        name: f["balanced_accuracy"]
        for name, f in strategies.items()
        if name != chosen
        and isinstance(f, dict)
        and isinstance(f.get("balanced_accuracy"), int | float)
        and f["balanced_accuracy"] > (bacc if isinstance(bacc, int | float) else 0.0)
    }
    better = ""
    if others:
        name = max(others, key=lambda k: others[k])
        better = (
            f"; {name} reached balanced accuracy {others[name]:.3f} (calibrate --choose {name})"
        )
    return f"the stored θ ({chosen}) {what}{better}"


def _validation_counts(meta: CheckpointMeta) -> tuple[int, int, int] | None:
    """How many images the run's validation had (all, tampered, authentic), from the figures
    ``fit`` recorded with its ``val_*`` figures; None when not recorded. Said with the figures:
    a user's split can hold a handful of images, and an accuracy of 0.667 on six is no rate."""
    counts = meta.training.get("metrics")
    if not isinstance(counts, dict):
        return None
    values = [counts.get(k) for k in ("images", "tampered", "authentic")]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return None
    return values[0], values[1], values[2]


def started_from(meta: CheckpointMeta) -> str:
    """The model the checkpoint of ``meta`` was fine-tuned from (its header's ``training.init``,
    named as its own header names it), "" when it was trained from initial weights or from a
    pretraining stage (DiffForensics' stage 1 learns no masks: its stage 2 starts as untrained
    at finding them). A starting file that is gone or unreadable is named by its file name."""
    init = meta.training.get("init")
    if not isinstance(init, str) or not init:
        return ""
    try:
        start = read_meta(init)
    except (CheckpointError, OSError):
        return Path(init).name
    if start.training.get("stage") == "pretrain":
        return ""
    return start.name or Path(init).stem
