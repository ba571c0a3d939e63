"""The training dialog's "more arguments" as the run's steps take them, and what ``calibrate``
says that the model's review must show (for :mod:`trainer.plan`; plain Python, no torch).

"More arguments" were added to the training stages' command only. An option that changes which
images a step reads or how it splits them reached ``fit`` but not ``check`` before it nor
``calibrate`` after it: with ``--seed 1`` there, ``fit`` held out one validation part while the
check counted another and ``calibrate`` set θ on a third, which held images ``fit`` had trained
on; the review showed figures of one split and θ of another and offered Install all the same
(the fine-tune walk-through, 2026-12-06). So each such option either reaches every step that
takes it or is refused:

- :data:`FIELD_OPTIONS`, the options a field of the form sets for every step (the seed, the
  validation share, ...): typed here as well they reached ``fit`` alone, where argparse's last
  value won. Refused in one line naming the field (:func:`more_args_problems`).
- :data:`STAGE_FIELD_OPTIONS`, the options a field sets for the training stages (epochs, max
  steps, batch size, window, processes; the configuration unless the run fine-tunes, when
  that field is locked and ``--model-config`` here adds to the checkpoint's own): typed here
  as well they overrode the field for ``fit`` alone, so the dialog's step total and ETA,
  counted from the fields (``trainer.progress.TrainingProgress``), were wrong. Refused in one
  line naming the field, too.
- ``--val-data`` (separate validation data), which the form has no field for: given to
  ``check``, the stages and ``calibrate`` alike (:func:`shared_args`, :func:`stage_args`);
  refused when a face model's θ is set by ``face-model``, which takes no ``--val-data``.

How ``calibrate`` chooses θ among Table 3's thresholds (``--choose``) is a field of the form,
:data:`THETA_CHOICES` with the command line's default first; :func:`choose_words` says it.
Typed in "more arguments" it went to ``fit``, which takes no ``--choose``: refused there too,
naming the field (:data:`CALIBRATE_FIELD_OPTIONS`).

``calibrate`` prints a note when the validation images that set θ include images the model was
trained on (``trainer.evaluate.trained_on_note``); :func:`calibrate_caveat` picks it out of the
step's output, so the review shows it and Install asks for a confirmation.

A fine-tune's checkpoint configuration becomes ``--model-config`` arguments through
:func:`config_argument`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

VAL_DATA = "--val-data"  # every step takes it: check, fit/pretrain, calibrate
# option -> the form's field that sets it for check, the stages and calibrate alike
FIELD_OPTIONS = {
    "--data": "data (Add folder… / Add JSON…)",
    "--seed": "seed (beside validation share)",
    "--val-fraction": "validation share",
    "--split-by": "by (beside validation share)",
    "--no-val": "validate after every epoch",
    "--keep-split": "validate after every epoch",
    "--masks-as-given": "masks as given",
    "--device": "device",
    "--threads": "CPU threads",
    "--name": "output name",
}
# option -> the form's field that sets it for the training stages alone (fit and pretrain)
STAGE_FIELD_OPTIONS = {
    "--epochs": "epochs",
    "--max-steps": "max steps",
    "--batch-size": "batch size",
    "--window": "window",
    "--nproc": "processes",
    "--model-config": "configuration",  # not when fine-tuning: that field is locked then
}
# calibrate --choose: which of Table 3's thresholds θ stores, the command line's default first
THETA_CHOICES = ("best", "midpoint", "real-max", "fake-min")
# option -> the form's field that sets it for calibrate alone
CALIBRATE_FIELD_OPTIONS = {"--choose": "θ chosen by"}
# the words of calibrate's note (trainer.calibrate: trained_on_note's `what`)
CAVEAT_WORDS = "the validation images that set θ include"


def config_argument(key: str, value: Any) -> str:
    """``KEY=VALUE`` of ``--model-config`` that the trainer reads back as ``value``
    (``trainer.setup.parse_overrides``): a sequence of two or more as a comma list (a tuple),
    a string as it is unless JSON would read it as something else, anything else as JSON."""
    if isinstance(value, list | tuple) and len(value) >= 2:
        return f"{key}=" + ",".join(json.dumps(v) for v in value)
    if isinstance(value, str) and "," not in value and not value.startswith("["):
        try:
            json.loads(value)
        except ValueError:
            return f"{key}={value}"
    return f"{key}={json.dumps(value)}"


def choose_words(choose: str) -> str:
    """How ``calibrate --choose`` ``choose`` picks θ, as the dialog's plan and summary say it."""
    return {
        "best": "the best validation balanced accuracy of Table 3's three",
        "midpoint": "the paper's midpoint of max authentic training / min tampered validation",
        "real-max": "the max of the authentic training images",
        "fake-min": "the min of the tampered validation images",
    }.get(choose, choose)


def _option(arg: str) -> str:
    """The option ``arg`` names (``--seed=1``: ``--seed``), "" for a value."""
    return arg.split("=", 1)[0] if arg.startswith("--") else ""


def _field_option(arg: str, options: Iterable[str]) -> str | None:
    """The option of ``options`` ``arg`` is, in full or abbreviated as argparse accepts it
    (``--see 1`` is ``--seed 1``), else None."""
    opt, options = _option(arg), list(options)
    if len(opt) < 3:
        return None
    return next((o for o in options if o == opt), None) or next(
        (o for o in options if o.startswith(opt)), None
    )


def _is_val_data(arg: str) -> bool:
    opt = _option(arg)
    return len(opt) > len("--val-") and VAL_DATA.startswith(opt)  # --val-d, ... --val-data


def more_args_problems(extra: list[str], face_model: bool, fine_tune: bool = False) -> list[str]:
    """One line per option of ``extra`` that the run cannot take there (empty: fine): one a
    field sets, naming the field (``--model-config`` not when ``fine_tune``); ``--val-data``
    when ``face-model`` sets θ (``face_model``)."""
    stage_fields = {
        o: f for o, f in STAGE_FIELD_OPTIONS.items() if not (fine_tune and o == "--model-config")
    } | CALIBRATE_FIELD_OPTIONS
    out = []
    for arg in extra:
        if (opt := _field_option(arg, [*FIELD_OPTIONS, *stage_fields])) in FIELD_OPTIONS:
            out.append(
                f"more arguments: {_option(arg)} is set by the field '{FIELD_OPTIONS[opt]}', "
                "which check, training and calibration all take; set it there"
            )
        elif opt is not None:
            out.append(
                f"more arguments: {_option(arg)} is set by the field '{stage_fields[opt]}': "
                "set it there"
            )
        elif face_model and _is_val_data(arg):
            out.append(
                f"more arguments: {_option(arg)}: face-model sets a face model's θ on the "
                "validation split of the data and takes no --val-data; remove it"
            )
    return out


def _val_data_positions(extra: list[str]) -> set[int]:
    """The indexes of ``extra`` that belong to a ``--val-data`` (the option and its value)."""
    out: set[int] = set()
    for i, arg in enumerate(extra):
        if _is_val_data(arg):
            out.add(i)
            if "=" not in arg and i + 1 < len(extra):
                out.add(i + 1)
    return out


def shared_args(extra: list[str]) -> list[str]:
    """The arguments of ``extra`` that every step takes (``--val-data`` and its value)."""
    keep = _val_data_positions(extra)
    return [a for i, a in enumerate(extra) if i in keep]


def stage_args(extra: list[str]) -> list[str]:
    """The arguments of ``extra`` the training stages alone take (the rest: :func:`shared_args`
    reach them with the data arguments, once)."""
    keep = _val_data_positions(extra)
    return [a for i, a in enumerate(extra) if i not in keep]


def calibrate_caveat(line: str) -> str | None:
    """``line`` of ``calibrate``'s output when it says that the validation images that set θ
    include training images (the review shows it), else None."""
    line = line.strip()
    return line if line.startswith("note: ") and CAVEAT_WORDS in line else None
