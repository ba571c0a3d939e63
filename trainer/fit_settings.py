"""What ``fit`` and ``pretrain`` (:func:`trainer.commands.run_fit`) make of their arguments
besides the data, and what a run records of them.

- the objective's options (:func:`stage_options`: DiffForensics' frozen or trained encoder,
  Mask2Former's slowed pretrained backbone), from the parts that start from pretrained
  weights (:func:`pretrained_fields`, recorded as :data:`PRETRAINED`);
- the starting checkpoint of ``--init``: its header checked against ``--arch``
  (:func:`read_init_meta`), its configuration as ``--model-config`` overrides
  (:func:`init_config`), what of its decision rule and scope the new checkpoints keep
  (:func:`carry_over`), its window and stride unless given (:func:`window_and_stride`), and
  what the header says when the window is not the paper's (:func:`window_note`);
- the settings a run records in run.json and a ``--resume`` must share
  (:data:`RESUME_SETTINGS`, :func:`run_settings`, :func:`check_resume_settings`), and the
  libraries' versions it records (:func:`library_versions`).

Apart from ``commands.py`` (which had grown to the 700-line limit with them) so that it keeps
the commands' steps; like it, imported only when a command runs (it imports torch).
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

import torch

from engine.checkpoints import INIT_WEIGHT_SUFFIX, CheckpointMeta, read_meta
from engine.errors import CheckpointError
from engine.files import suffix_is
from engine.models.registry import config_from_dict
from trainer.data.augment import video_fields
from trainer.errors import UsageError
from trainer.families import family_of
from trainer.plan import DEFAULT_WINDOW

# The training header's record of the ``*_weights`` fields whose part of the network descends
# from pretrained weights. A fine-tune's config leaves those fields empty (:func:`init_config`:
# the weights are its own tensors), so without this record a fine-tune of a fine-tune could
# no longer tell an ImageNet backbone from a random one.
PRETRAINED = "pretrained"


def pretrained_fields(model_config: list[str], init: CheckpointMeta | None) -> list[str]:
    """The ``*_weights`` fields (``backbone_weights``, ``encoder_weights``) whose part starts
    from pretrained weights: set by ``--model-config`` (to anything but ``null``), or, for
    ``--init``, set in the checkpoint's config (a first run's) or listed in its
    :data:`PRETRAINED` record (a fine-tune's)."""
    fields = set()
    for kv in model_config:
        key, _, value = kv.partition("=")
        if key.strip().endswith(INIT_WEIGHT_SUFFIX) and value.strip() not in ("", "null"):
            fields.add(key.strip())
    if init is not None:
        fields |= {k for k, v in init.config.items() if k.endswith(INIT_WEIGHT_SUFFIX) and v}
        recorded = (init.training or {}).get(PRETRAINED)
        if isinstance(recorded, list):
            fields |= {k for k in recorded if isinstance(k, str) and k.endswith(INIT_WEIGHT_SUFFIX)}
    return sorted(fields)


def stage_options(
    args: argparse.Namespace, stage: str, init: CheckpointMeta | None = None
) -> dict[str, Any]:
    """Objective options from the command line and the ``--init`` checkpoint's header.

    DiffForensics stage 1 freezes the encoder as the paper does only when it starts from
    pretrained weights (:func:`pretrained_fields` names ``encoder_weights``); a randomly
    initialised encoder is trained too (the paper's DDPM/DDPM row), since frozen random features
    teach nothing. ``--encoder frozen|trained`` overrides that choice.

    Mask2Former slows a pretrained backbone to 0.1x the head's rate
    (:class:`~trainer.objectives.mask2former.Mask2FormerObjective`); a fine-tune of a
    checkpoint whose backbone was pretrained keeps that (``backbone_pretrained``), though its
    network is built without the weights file: it trained the backbone at 1x before.
    """
    pretrained = pretrained_fields(args.model_config, init)
    if stage != "pretrain":
        if family_of(args.arch) == "m2f" and "backbone_weights" in pretrained:
            return {"backbone_pretrained": True}
        return {}
    choice = getattr(args, "encoder", "auto")
    if choice == "auto":
        return {"freeze_encoder": "encoder_weights" in pretrained}
    return {"freeze_encoder": choice == "frozen"}


def read_init_meta(path: Path, arch: str) -> CheckpointMeta:
    """The header of ``--init``: one of ours, of the architecture being trained (``init_from``
    copies every tensor whose name and shape fit, so another architecture's file would leave
    most of the network untrained without a word)."""
    if not path.exists():  # a pipe or folder: the header reader says which
        raise UsageError(path, "no such checkpoint file for --init")
    if not suffix_is(path, ".safetensors"):
        raise UsageError(path, "--init needs a .safetensors checkpoint")
    meta = read_meta(path)  # one-line CheckpointError when it is not one of ours
    if meta.architecture != arch:
        raise UsageError(
            path,
            f"--init is a {meta.architecture} checkpoint; train it with --arch "
            f"{meta.architecture} (not {arch})",
        )
    return meta


def init_config(meta: CheckpointMeta) -> dict[str, Any]:
    """The configuration ``meta``'s network was built with, as ``--model-config`` overrides:
    without it ``fit`` built the architecture's defaults and ``--init`` filled only the tensors
    that fit them. Fields naming weight files that initialise a part (``*_weights``) are left
    out: the checkpoint's own tensors replace them, and the file may not exist here."""
    try:
        config = config_from_dict(meta.architecture, meta.config)
    except (ValueError, TypeError) as e:
        raise CheckpointError(None, f"--init: its configuration does not fit ({e})") from None
    return {
        f.name: getattr(config, f.name)
        for f in dataclasses.fields(config)
        if not f.name.endswith(INIT_WEIGHT_SUFFIX)
    }


def carry_over(init: CheckpointMeta, template: CheckpointMeta, init_path: Path) -> None:
    """What a fine-tune keeps of its starting checkpoint: its rule's window aggregate and
    reduced detection view (diffforensics-effl0: the mean over a 512-pixel view, docs/VERDICTS.md;
    the default ``max`` over full-size windows makes false alarms grow with image size), its
    scope (a face model stays one) and its pixel threshold (effl0's 0.35, not the default 0.5:
    fit validates the new weights and picks the best epoch at it, ``calibrate`` keeps it;
    ``details`` names its file). θ and the calibration belong to the old weights: not kept."""
    if init.decision.rule == template.decision.rule:
        template.decision.aggregate = init.decision.aggregate
        template.decision.detect_side = init.decision.detect_side
    template.decision.pixel_threshold = init.decision.pixel_threshold
    template.decision.details = {"pixel_threshold_from": str(init_path)}
    template.scope = init.scope


def window_and_stride(
    window: int | None, stride: int | None, init: CheckpointMeta | None
) -> tuple[int, int]:
    """``--window`` and ``--stride`` as given, else the ``--init`` checkpoint's (a fine-tuned
    model keeps the scale it was trained and calibrated at, as the dialog proposes; the
    bundled diffforensics-effl0 works on 256-pixel windows, and fine-tuned on the command line
    at the default 128 it was silently made a 128-pixel model), else :data:`DEFAULT_WINDOW`
    and half the window. The checkpoint's stride is kept only at its own window."""
    policy = init.input_policy if init is not None and init.input_policy.mode == "window" else None
    if window is None:
        window = policy.window if policy is not None else DEFAULT_WINDOW
    if stride is None:
        stride = policy.stride if policy is not None and window == policy.window else window // 2
    return window, stride


def window_note(objective: object, window: int) -> str | None:
    """A sentence for the run's log and checkpoint header when ``window`` is not the paper's
    (the objective's ``paper_window``): the 128-pixel default trains Mask2Former and
    DiffForensics on 1/16 of the pixels their papers do, a CPU budget that the header should
    not leave to be inferred; None at the paper's size or when the paper gives none."""
    paper = getattr(objective, "paper_window", None)
    if paper is None or window == paper:
        return None
    return (
        f"trained on {window}-pixel windows, not the paper's {paper} "
        f"(--window {paper} for its setting)"
    )


def library_versions() -> dict[str, str]:
    """The program's and the numerical libraries' versions: a run is reproduced with them."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"torch": torch.__version__}
    for dist in ("forensic-viewer", "timm", "numpy"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "not installed"
    return out


# What a resumed run must share with the run it continues: each decides which samples it
# sees, in which order, or how far each step moves the weights, or is recorded in the header as
# what the whole run used (clip_grad, stride, masks_as_given, min_lr_ratio, amp: changed on a
# resume, the header said the run's every step had them). --epochs is not among them: a resume
# may extend a run. A run.json written before one was recorded is not compared on it.
RESUME_SETTINGS = (
    "data", "val_data", "seed", "split_by", "val_fraction", "val_max_images", "optimizer", "video",
    "lr", "weight_decay", "schedule", "batch_size", "warmup", "aug", "authentic_share", "init",
    "every_image",  # --no-val: no split, every image trains (recorded by commands._run_fit)
    "clip_grad", "stride", "masks_as_given", "min_lr_ratio", "amp",
)  # fmt: skip
DATA_DIGESTS = "data_digest"  # run.json's settings: each --data and --val-data's content digest
VERSIONS = "versions"  # run.json's settings: library_versions() as the run started


def run_settings(
    args: argparse.Namespace,
    specs: list,
    val_specs: list | None,
    optim: dict,
    sampling: str,
    stride: int,
    digests: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """The :data:`RESUME_SETTINGS` of this command, data paths absolute (a resume may run
    from another working folder), the augmentation preset by name as the run will use it; with
    the data sets' content digests (``digests``: :func:`trainer.setup.data_digest` by absolute
    path) and the versions of the program and libraries, which a resume is checked against
    (:func:`check_resume_settings`, :func:`version_changes`)."""
    from trainer.loops import FitConfig

    default_aug = "light" if sampling == "windows" else "full"
    return {
        "data": [{"path": str(Path(sp.path).resolve()), "weight": sp.weight} for sp in specs],
        "val_data": [str(Path(sp.path).resolve()) for sp in val_specs or []],
        "seed": args.seed,
        "split_by": args.split_by,
        "val_fraction": args.val_fraction,
        "val_max_images": args.val_max_images,
        **{k: optim[k] for k in ("optimizer", "lr", "weight_decay", "schedule", "batch_size")},
        "clip_grad": float(optim["clip_grad"]),
        "stride": stride,
        "masks_as_given": bool(args.masks_as_given),
        "min_lr_ratio": FitConfig.min_lr_ratio,  # not an option: a program's default may change
        "amp": bool(args.amp),
        "warmup": args.warmup,
        "aug": args.aug or default_aug,
        "video": video_fields(args),  # the --video-* options given ({}: no video coding)
        "authentic_share": args.authentic_share if sampling == "windows" else None,
        "init": None if args.init is None else str(Path(args.init).resolve()),
        DATA_DIGESTS: {path: d["sha256"] for path, d in digests.items()},
        VERSIONS: library_versions(),
    }


def check_resume_settings(out: Path, before: object, now: dict[str, Any]) -> None:
    """Refuse a --resume whose settings differ from the run's (a run started before they were
    recorded is not compared): another seed makes another split, so images the run trained on
    would be validated on; another batch size miscounts the saved position in the epoch."""
    if not isinstance(before, dict):
        return
    differ = [k for k in RESUME_SETTINGS if k in before and before[k] != now.get(k)]
    if differ:
        raise UsageError(
            None,
            f"{out}: --resume with other {', '.join(differ)} than the run was started with "
            f"({', '.join(f'{k} {_setting_words(before[k])}' for k in differ)}); use the original "
            "command",
        )
    then, now_digests = before.get(DATA_DIGESTS), now.get(DATA_DIGESTS) or {}
    for path, digest in (then if isinstance(then, dict) else {}).items():
        if path in now_digests and now_digests[path] != digest:
            raise UsageError(
                path,
                f"--resume of {out} with other content in this data set than the run trained "
                f"on (data digest {digest} then, {now_digests[path]} now); put the data back "
                "as they were, or train on from the run's weights with --init and another --out",
            )


def version_changes(before: object, now: dict[str, Any]) -> str | None:
    """A warning when the program or a library has another version than when the run
    started (its steps before and after the resume may then differ a little), None when
    none has or the run recorded none."""
    then = before.get(VERSIONS) if isinstance(before, dict) else None
    if not isinstance(then, dict):
        return None
    changed = [f"{k} {then[k]} -> {v}" for k, v in now[VERSIONS].items() if then.get(k, v) != v]
    if not changed:
        return None
    return (
        f"--resume with other versions than the run was started with ({', '.join(changed)}): "
        "its steps from here on may differ from an uninterrupted run's"
    )


def _setting_words(value: object) -> str:
    """A recorded setting in words: data sets as their paths (and weights other than 1), not
    as the Python repr of the record (``[{'path': ..., 'weight': 1.0}]``)."""
    if not (isinstance(value, list) and all(isinstance(v, dict | str) for v in value)):
        return repr(value)
    words = []
    for v in value:
        weight = 1.0 if isinstance(v, str) else v.get("weight", 1.0)
        words.append(str(v if isinstance(v, str) else v.get("path")))
        words[-1] += "" if weight == 1.0 else f" (weight {weight})"
    return " + ".join(words) or "none"
