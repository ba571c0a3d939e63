"""The limitations section of every report: what the models learned from, what each one's
measured false-alarm rate is, what they were never trained or measured on, and what was measured
of the kinds of evidence they were not made for (HEIF, re-encoded copies). Shared by the HTML,
PDF and JSON writers, as the rows of :mod:`forensic_viewer.report.text` are.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.calibration import DETAILS, brief_reliability
from engine.resources import resources_dir
from forensic_viewer.report.model import FACE_MODEL

if TYPE_CHECKING:  # annotations only
    from forensic_viewer.report.build import ModelSummary, Overview

# Said on the report's first page beside the headline (report.text.caveat_text) and again
# under Limitations: it had first appeared on page 5 of 33.
LEAD_WORDS = (
    "Every verdict is a starting point for an examiner to check, never a finding on its own"
)

# Where a calibrated probability is printed, at the number: what it assumes. "At even odds"
# had not read as "half of the images are manipulated" to a reader with English as a second
# language (walk-through 2026-12-06, finding 2). Also in forensic_viewer.wording.
PROBABILITY_BASE_RATE = (
    "A calibrated probability assumes as many manipulated as authentic images, as in the "
    "validation data. Most seized collections hold far fewer manipulated images. There, the "
    "chance that a flagged file was manipulated is lower than its probability."
)

# After a reliability said in brief (page 1's caveat, each file's row, the limitations): the
# table of models alone gives it whole (walk-through 2026-12-06, finding 3: ten times a
# 208-word sentence in a 6-file report)
ALL_FIGURES = "The section Models gives all figures"


def brief_text(reliability: str) -> str:
    """A reliability sentence as the places that repeat it say it: its brief part
    (:func:`engine.calibration.brief_reliability`), then, when details were left out, that the
    section Models gives them (:data:`ALL_FIGURES`); no final period."""
    brief = brief_reliability(reliability)
    return f"{brief}. {ALL_FIGURES}" if DETAILS in reliability else brief


LIMITATIONS_FIXED = (
    "What the bundled networks learned from: CASIA v1.0 splices and copy-moves (hand-made, "
    "mostly 384 x 256 JPEG photographs) and the project's synthetic forgeries made from the "
    "same photographs; each model card says more.",
    "What they cannot see, because they were neither trained nor measured on it: face swaps and "
    "other face manipulations, and images generated or edited by diffusion or GAN models. A "
    "'not flagged' verdict says only that none of the checks found the kinds of edit they were "
    "trained on.",
    "HEIF/HEIC photographs (as iPhones save them) were not used for training or for setting "
    "the thresholds. The 23 camera photographs of the validation half were saved as HEIF. The "
    "networks' scores moved by less than 0.01. The bundled default verdict flagged 3 of the "
    "23, against 1 as JPEG (docs/VERDICTS.md section 10).",
    "Messengers and social networks reduce and re-compress photographs and drop their "
    "metadata. No such copies were used for training. The validation half's camera "
    "photographs were re-encoded twice: long side 2048 px at JPEG quality 80, and 1600 px at "
    "quality 75. The project's forgeries were found as often or more often (24 and 25 of 46, "
    "against 21). The bundled default verdict flagged 2 of the 23 authentic photographs in "
    "each set, against 1 in the originals (docs/VERDICTS.md section 11). An authentic face re-saved at "
    "quality 90, or reduced, crossed the face model's threshold (docs/FACES.md). So on such "
    "copies, false alarms are more frequent than the measured figures say. Saved as PNG at "
    "2048 px, the same photographs were flagged as the originals were (1 of 23).",
    PROBABILITY_BASE_RATE,
    f"{LEAD_WORDS}.",
)


# LIMITATIONS_FIXED[1] when a face model judged faces: it was trained and measured on face
# manipulations, those the project makes from real faces (docs/FACES.md), not on others
UNSEEN_WITH_FACE_MODELS = (
    "What they cannot see, because they were neither trained nor measured on it: images "
    "generated or edited by diffusion or GAN models. "
    "Faces: {names} judged each face found on its own. "
    "It was trained and measured on face manipulations that the project makes from real "
    "portraits (self-blends, swaps, eye, mouth and skin edits: docs/FACES.md). "
    "It was not measured on the output of face-swap or face-generation tools. "
    "The test half's 36 manipulated faces were placed in camera photographs that are not "
    "flagged without them. "
    "With the bundled face model, the default verdict flagged the photograph for only 9 of "
    "these 36 faces (docs/FACES.md). "
    "On tight face crops, where the face fills the frame, it flagged 6 of 16 authentic "
    "validation faces (2 of 16 with some margin around the face). "
    "So a face verdict on such a crop is weak evidence. "
    "Video frames: the same forgeries were reduced to 1280 px and coded as H.264 at CRF 23. "
    "It flagged 8 of 39 manipulated faces there, against 13 in the same frames uncompressed. "
    "Authentic validation faces coded as one H.264 frame (CRF 23 and 28) were flagged 5 and 6 "
    "times of 30. "
    "Its threshold was set to flag 3 % of authentic faces. "
    "So a face verdict on a video frame is weak evidence, both when it flags and when it "
    "does not. "
    "The other models' face verdicts use thresholds set on whole images, not on faces. "
    "A 'not flagged' verdict says only that none of the checks found the kinds of edit they "
    "were trained on."
)


def training_words(training: Mapping[str, Any]) -> str:
    """How a checkpoint was trained, from its header's ``training`` record: ``fine-tuned from
    crfd-net-compact.safetensors (SHA-256 b75a32410d5c…) for 8 steps on /data/mine`` ("" when
    the header records nothing of it). A model fine-tuned in the training dialog carries the
    figures of its own short run; the report must say so, not leave it to read as the model it
    started from."""
    data = [
        _folder_words(d.get("path", "") if isinstance(d, Mapping) else str(d))
        for d in training.get("data", [])
    ]
    init, sha, steps = training.get("init"), training.get("init_sha256"), training.get("step")
    if not (data or init or steps):
        return ""
    words = f"fine-tuned from {Path(str(init)).name}" if init else "trained"
    words += f" (SHA-256 {str(sha)[:12]}…)" if init and sha else ""
    words += f" for {steps} steps" if steps else ""
    return words + (f" on {', '.join(p for p in data if p)}" if any(data) else "")


def _folder_words(path: str) -> str:
    """A data path of a checkpoint's header in words: a relative one (as checkpoints written
    before 2026-12-05 stored ``--data data``) read "on data", a word, not a folder; it is
    quoted and said to be relative to where the model was trained, which is not recorded."""
    if not path or Path(path).is_absolute():
        return path
    return f"'{path}' (a folder relative to where it was trained, which is not recorded)"


# The metrics a checkpoint carries were measured by its training run on that run's validation
# split, which may also have chosen its epoch (the bundled CASIA models': the validation and
# test parts together, docs/VERDICTS.md); a report must not pass them off as held-out figures.
TRAINING_RUN_FIGURES = (
    "measured by its training run on that run's validation split, which may also have chosen "
    "the checkpoint; the model card's test-part figures, where it has them, are the ones to quote"
)


def training_run_figures(metrics: Mapping[str, Any], training: Mapping[str, Any]) -> str:
    """:data:`TRAINING_RUN_FIGURES`, then ``; that split: 5 images (3 tampered, 2 authentic)``:
    a user's split can hold a handful of images, and an image AUC of 1 on five is no rate. The
    counts are those ``fit`` recorded with its figures (``training.metrics``, as the install
    review reads them) when the header's ``metrics`` are still those figures, else the
    ``val_images`` that ``calibrate`` wrote with the figures it measured (the bundled models')."""
    fit = training.get("metrics")
    fit = fit if isinstance(fit, Mapping) else {}
    values = [fit.get(k) for k in ("images", "tampered", "authentic")]
    same = all(fit.get(k.removeprefix("val_")) == v for k, v in metrics.items())
    if same and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        n, tampered, authentic = values
        return f"{TRAINING_RUN_FIGURES}; that split: {n} images ({tampered} tampered, {authentic} authentic)"
    if isinstance(n := metrics.get("val_images"), int):
        return f"{TRAINING_RUN_FIGURES}; that split: {n} images"
    return TRAINING_RUN_FIGURES


def is_bundled(checkpoint: str) -> bool:
    """Whether ``checkpoint`` is one of the product's own models (``resources/models``)."""
    try:
        return Path(checkpoint).resolve().parent == (resources_dir() / "models").resolve()
    except (OSError, ValueError):
        return False


def bundled_training_words(checkpoint: str) -> str:
    """A bundled model's "Training" row: the recipe that made it, not its header's record,
    whose data paths and intermediate file names (``best.safetensors``, ``/work/...``) are the
    build machine's and mean nothing to the report's reader."""
    recipe = f"packaging/recipes/{Path(checkpoint).stem}.sh"
    return (
        f"bundled with the viewer, made by the project's recipe {recipe} from the data the "
        "limitations below name; its model card gives its figures"
    )


def not_bundled_text(m: ModelSummary) -> str | None:
    """For a model that is not bundled (trained or fine-tuned by its user), what it learned
    from, as its checkpoint records it: the paragraph on the bundled networks is not about it."""
    if is_bundled(m.checkpoint) or m.card is None:
        return None
    how = training_words(m.card.training)
    return f"{m.name} is not a bundled model" + (
        f": {how}; it learned from that data"
        + (" (and from what its starting model learned)" if m.card.training.get("init") else "")
        + ", and its figures are those of its own training run"
        if how
        else "; its checkpoint does not record what it learned from"
    )


def limitations_text(ov: Overview) -> list[str]:
    """The report's limitations section: the files read from outside the scanned folder
    (:func:`outside_text`), fixed paragraphs, what each model that is not bundled
    learned from and, per model that ran, its measured reliability at its threshold (from its
    calibration, when it has one)."""
    own = [f"{t}." for m in ov.models if (t := not_bundled_text(m))]
    measured = [  # the brief part: the models table gives the rest (walk-through finding 3)
        f"{m.name}: {brief_text(m.reliability)}."
        if m.reliability
        else f"{m.name}: no measured false-alarm rate (the model carries no calibration)."
        for m in ov.models
    ]
    face_models = [m.name for m in ov.models if m.role == FACE_MODEL]
    unseen = (
        UNSEEN_WITH_FACE_MODELS.format(names=", ".join(face_models))
        if face_models
        else LIMITATIONS_FIXED[1]
    )
    return [
        *outside_text(ov),
        LIMITATIONS_FIXED[0],
        *own,
        *measured,
        unseen,
        *LIMITATIONS_FIXED[2:],
    ]


OUTSIDE_SHOWN = 5  # files named in the limitations; each file's own section names every one


def outside_text(ov: Overview) -> list[str]:
    """The coverage the report cannot vouch for: files a folder scan read through symbolic
    links from outside the scanned folder (on a mounted seized image, an absolute link points
    into the examiner's own machine), each with where it was read; none when there are none."""
    if not ov.outside:
        return []
    shown = [f"{k} read from {t}, outside the scanned folder" for k, t in ov.outside.items()]
    more = len(shown) - OUTSIDE_SHOWN
    n = len(shown)
    return [
        f"{n} file{'s were' if n > 1 else ' was'} read through symbolic links from outside the "
        "scanned folder and taken as evidence; they may not be part of it (a link on a "
        "mounted image can point into the examining machine): "
        + "; ".join(shown[:OUTSIDE_SHOWN])
        + (f"; and {more} more, each named in its own section" if more > 0 else "")
        + "."
    ]
