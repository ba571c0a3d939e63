"""The commands behind ``forensic-train``: argument checks first, then the work.

Imported lazily by ``trainer.cli`` so that ``--help`` and argument errors answer without
loading torch. Every check that can fail on user input runs before any image is decoded or any
weight is trained, and fails with a :class:`~trainer.errors.UsageError` or
:class:`~trainer.errors.DataError` (one line, exit status 2).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import torch

from engine.checkpoints import (
    MAX_WINDOW,
    MIN_STRIDE_DIVISOR,
    MIN_WINDOW,
    CheckpointMeta,
    LoadedModel,
    file_sha256,
    load_checkpoint,
)
from engine.ending import exit_status, sigterm_as_interrupt
from engine.ensemble import ENSEMBLE_SUFFIX
from engine.files import atomic_write
from engine.formatting import plain
from trainer.data.augment import preset, video_fields
from trainer.data.datasets import ImageDataset, WindowConfig, WindowDataset, load_items
from trainer.data.records import SkipLog, decoded_masks_findings, empty_mask_warning
from trainer.data.splits import CHOOSE_HALF, CHOSE_ON, ungrouped_warning
from trainer.distributed import rank
from trainer.errors import DataError, UsageError
from trainer.evaluate import eval_note, evaluate, image_figures_at_theta, model_device
from trainer.fit_settings import (
    PRETRAINED,
    VERSIONS,
    carry_over,
    check_resume_settings,
    init_config,
    pretrained_fields,
    read_init_meta,
    run_settings,
    stage_options,
    version_changes,
    window_and_stride,
    window_note,
)
from trainer.jsonio import write_json
from trainer.loops import FitConfig, fit
from trainer.objectives import objective_for
from trainer.plan import LAST_CHECKPOINT, RESUME_NAME
from trainer.progress import WARNING, Reporter
from trainer.resume import position, read_resume
from trainer.run_folder import (
    RUN_RECORD,
    check_history,
    check_resume_file,
    holding_run_folder,
    resume_advice,
)
from trainer.setup import (
    DATA_DIGEST,
    base_meta,
    build_model,
    data_digest,
    init_from,
    parse_data_spec,
    parse_overrides,
    read_and_split,
    refuse_bundled_name,
    set_threads,
    subset_for_validation,
    whole_held_out_notes,
)


def _check(cond: bool, message: str) -> None:
    if not cond:
        raise UsageError(None, message)


def run_fit(args: argparse.Namespace, stage: str, command: str) -> int:
    """``fit`` and ``pretrain``: validate, load the data, build the model, run the loop. A
    failure before the first checkpoint, a SIGTERM included, leaves ``--out`` as it was, and a
    second trainer in ``--out`` is refused at once (:func:`trainer.run_folder.holding_run_folder`). Once the loop has run to its end, ``args.finished`` is the run's last
    checkpoint: a stop signal from then on finds a finished run, not one to resume
    (``trainer.cli`` says so, wherever the signal meets it)."""
    # SIGTERM's default would end the process at once, with no chance to put --out back (the
    # dialog's Stop can come while the data are decoded); fit's loop puts its own handler over
    # this one (a checkpoint first). The run folder's lock first: a second trainer there is
    # refused before it reads anything of the run (trainer.run_folder)
    with (
        sigterm_as_interrupt(),
        holding_run_folder(args.out, f"forensic-train {stage}", main_rank=rank() == 0),
    ):
        return _run_fit(args, stage, command)


def _run_fit(args: argparse.Namespace, stage: str, command: str) -> int:
    init_meta = read_init_meta(args.init, args.arch) if args.init is not None else None
    args.window, stride = window_and_stride(args.window, args.stride, init_meta)
    # The bounds every checkpoint's input policy is held to when it is loaded (so a run never
    # ends with a checkpoint the viewer refuses).
    _check(args.window >= MIN_WINDOW, f"--window must be >= {MIN_WINDOW}, got {args.window}")
    _check(args.window <= MAX_WINDOW, f"--window must be <= {MAX_WINDOW}, got {args.window}")
    low = -(-args.window // MIN_STRIDE_DIVISOR)
    _check(
        low <= stride <= args.window,
        f"--stride must be in [{low}, window={args.window}] (at least window/"
        f"{MIN_STRIDE_DIVISOR}), got {stride}",
    )
    _check(args.epochs >= 1, f"--epochs must be >= 1, got {args.epochs}")
    _check(args.no_val or not args.keep_split, "--keep-split goes with --no-val")
    _check(
        0.0 < args.val_fraction < 1.0, f"--val-fraction must be in (0, 1), got {args.val_fraction}"
    )
    _check(
        args.authentic_share >= 0.0, f"--authentic-share must be >= 0, got {args.authentic_share}"
    )
    _check(args.batch_size is None or args.batch_size >= 1, "--batch-size must be >= 1")
    _check(args.lr is None or args.lr > 0, "--lr must be positive")
    _check(args.threads >= 0, "--threads must be >= 0")
    _check(args.log_every >= 0, f"--log-every must be >= 0 (0: chosen), got {args.log_every}")
    video = video_fields(args)  # checked (and PyAV) before any data is read
    _check(
        args.checkpoint_minutes >= 0,
        f"--checkpoint-minutes must be >= 0 (0: no timed checkpoints), got {args.checkpoint_minutes}",
    )
    try:
        objective = objective_for(args.arch, stage, **stage_options(args, stage, init_meta))
    except ValueError as e:
        raise UsageError(None, str(e)) from None
    out: Path = args.out
    refuse_bundled_name(args.name or out.name, bool(args.name))  # before any data is read
    resume_file = out / RESUME_NAME
    if args.resume:
        _check(
            resume_file.is_file(),
            f"{out}: nothing to resume (no {RESUME_NAME}); start without --resume",
        )
        check_resume_file(out)  # before the data are decoded
    else:
        _check(
            not resume_file.exists(),
            f"{out} already holds a run; add --resume to continue it or choose another --out",
        )
    overrides = parse_overrides(args.model_config)
    if init_meta is not None:  # built as the checkpoint was, --model-config on top
        overrides = {**init_config(init_meta), **overrides}
    model, config = build_model(args.arch, overrides, args.seed)
    record = json.loads(
        json.dumps({"stage": stage, "arch": args.arch, "config": config, "window": args.window})
    )
    before: dict[str, Any] = {}
    if args.resume and (out / RUN_RECORD).is_file():
        before = json.loads((out / RUN_RECORD).read_text(encoding="utf-8"))
        for key in ("stage", "arch", "config", "window"):
            _check(
                before.get(key) == record[key],
                f"{out}: --resume with another {key} than the run was started with "
                f"({before.get(key)!r}); use the original command",
            )
    # read whole and tried on the model before the data are decoded: a file of no run, a
    # damaged one or another architecture's is refused now, in fit's words
    resume_state = read_resume(out, model) if args.resume else None
    if args.resume:  # every run records it as it starts (since the trainer's first version)
        _check_record(out)
    main_rank = rank() == 0  # the other ranks of a torchrun run write nothing
    if main_rank:  # a link at history.jsonl: refused now, not at the first validation
        check_history(out)
    uses_masks = bool(getattr(objective, "uses_masks", True))
    specs = [parse_data_spec(d) for d in args.data]
    val_specs = [parse_data_spec(d) for d in args.val_data] if args.val_data else None
    # each data set's content, once: recorded in run.json (a resume with other content is
    # refused) and in the checkpoints' header
    digests = {str(Path(s.path).resolve()): data_digest(s.path) for s in specs + (val_specs or [])}
    # a run started before --no-val meant every image (its settings lack every_image) keeps
    # its split on --resume
    recorded = before.get("settings")
    legacy = args.resume and not (isinstance(recorded, dict) and "every_image" in recorded)
    every_image = args.no_val and not args.keep_split and not val_specs and not legacy
    # one started before it validated on the held-out part's validation half (its settings lack
    # CHOSE_ON) keeps validating on the whole part: its best epoch so far was chosen there
    whole = args.resume and not (isinstance(recorded, dict) and CHOSE_ON in recorded)
    bundle = read_and_split(
        specs,
        val_specs=val_specs,
        split_by=args.split_by,
        val_fraction=args.val_fraction,
        seed=args.seed,
        need_masks=uses_masks,
        every_image=every_image,
        whole_held_out=whole,
    )
    set_threads(args.threads)
    init_info = init_from(model, args.init) if args.init is not None else None
    if main_rank:  # only now: a refused --init or data list leaves no empty --out behind
        _writable_dir(out)
    optim = {
        "optimizer": "adam",
        "lr": 1e-4,
        "weight_decay": 0.0,
        "schedule": "cosine",
        "batch_size": 4,
        "clip_grad": 1.0,
    }
    optim.update(getattr(objective, "default_optim", {}) or {})
    for key in ("optimizer", "lr", "weight_decay", "schedule", "batch_size", "clip_grad"):
        if getattr(args, key) is not None:
            optim[key] = getattr(args, key)
    sampling = getattr(objective, "sampling", "images")
    record["settings"] = json.loads(
        json.dumps(
            run_settings(args, specs, val_specs, optim, sampling, stride, digests), default=str
        )
    )
    if not legacy:  # a pre-fix run stays unrecorded: each of its resumes keeps the split
        record["settings"]["every_image"] = every_image
    if not whole:
        record["settings"][CHOSE_ON] = CHOOSE_HALF
    changed = None  # the versions that differ from the run's start, in words
    now_versions = record["settings"][VERSIONS]
    if before:
        check_resume_settings(out, before.get("settings"), record["settings"])
        changed = version_changes(before.get("settings"), record["settings"])
        # the run's record keeps the versions it started with; each resume lists its own
        started_with = recorded.get(VERSIONS) if isinstance(recorded, dict) else None
        record["settings"][VERSIONS] = started_with or now_versions

    reporter = Reporter(enabled=not args.quiet and main_rank)
    if changed:
        reporter.message(WARNING + changed)
    if resume_state is not None and _finished(resume_state, args):
        # nothing to train: its checkpoints and run.json stay as the run left them (rewritten,
        # their header said the settings of this command were the whole run's)
        step, epoch, _, wall0, best, _, _ = position(resume_state)
        reporter.message(
            f"{out}: the run finished at step {step}; nothing to resume, its files are left as "
            "they are (more --epochs or --max-steps continue it)"
        )
        args.finished = out / LAST_CHECKPOINT
        reporter.event("done", step=step, epoch=epoch, wall_seconds=wall0, best=best)
        return 0
    skipped = SkipLog()
    reporter.message(f"decoding {len(bundle.train)} training images ...")
    items = load_items(bundle.train, skipped, bundle.train_weights)
    if not items:
        if not skipped.entries:
            raise DataError(specs[0].path, "empty data set: no training image")
        path, why = skipped.entries[0]  # the first: every one failed
        n = len(bundle.train)
        raise DataError(path, f"{why}; none of the {n} training images could be decoded")
    decoded = [(it.sample, it.mask) for it in items]
    empty, given = decoded_masks_findings(decoded, skipped, uses_masks, args.masks_as_given)
    skipped.warn(given)  # listed at the end; recorded in run.json and the checkpoints
    record["masks_as_given"] = given if args.masks_as_given else None
    if empty and main_rank:  # said: such an image teaches nothing about where tampering is
        print(empty_mask_warning(empty), file=sys.stderr)
    if sampling == "windows":
        aug = preset(args.aug or "light", **video)
        wcfg = WindowConfig(window=args.window, authentic_share=args.authentic_share)
        train_set: WindowDataset | ImageDataset = WindowDataset(items, wcfg, aug, seed=args.seed)
    else:
        aug = preset(args.aug or "full", **video)
        train_set = ImageDataset(items, args.window, aug, seed=args.seed)
    counts = train_set.counts()
    if uses_masks and sampling == "windows" and counts.get("forged_windows", 0) == 0:
        raise DataError(
            specs[0].path, f"no {args.window}x{args.window} window contains a tampered pixel"
        )
    val_samples = subset_for_validation(bundle.val, args.val_max_images, args.seed)
    reporter.event(
        "data",
        train_images=len(items),
        # beside the split's count of them: the images that could not be decoded (at the end)
        unreadable_train_images=len(skipped),
        val_images=len(val_samples),
        split=bundle.split,
        sampling=sampling,
        **counts,
    )
    if windows := window_note(objective, args.window):  # the log's line and the header's field
        reporter.message(f"note: {windows}")
    for note in whole_held_out_notes(bundle.split):
        reporter.message(note)
    for path, split_record in bundle.split.items():
        if ungrouped := ungrouped_warning(path, split_record):
            reporter.message(WARNING + ungrouped)

    # a resume keeps the command the run was started with and lists its own after it
    started = {"command": before.get("command", command)} if before else {"command": command}
    resumed: list[Any] = []
    if resume_state is not None:
        this = {"command": command, "step": position(resume_state)[0]}
        resumed = [
            *before.get("resumed_with", []),
            {**this, VERSIONS: now_versions},
        ]
    cfg = FitConfig(
        epochs=args.epochs,
        batch_size=int(optim["batch_size"]),
        lr=float(optim["lr"]),
        weight_decay=float(optim["weight_decay"]),
        optimizer=str(optim["optimizer"]),
        schedule=str(optim["schedule"]),
        warmup_steps=args.warmup,
        clip_grad=float(optim["clip_grad"]),
        seed=args.seed,
        amp=args.amp,
        device=args.device,
        threads=args.threads,
        num_workers=args.workers,
        checkpoint_minutes=args.checkpoint_minutes,
        checkpoint_steps=args.checkpoint_steps,
        keep_epochs=args.keep_epochs,
        max_steps=args.max_steps,
        log_every=args.log_every,
        extra={
            "stage": stage,
            # absolute, as run.json's: typed ("data") they named no folder once read elsewhere;
            # with their content's digest (data_sha256_of says of what)
            "data": [
                {"path": path, "weight": s.weight, **digests[path]}
                for s in specs
                for path in [str(Path(s.path).resolve())]
            ],
            "data_sha256_of": DATA_DIGEST,
            "val_data": [str(Path(s.path).resolve()) for s in val_specs or []],
            "split": bundle.split,
            "sampling": sampling,
            "sample_counts": counts,
            "augmentation": aug.__dict__,
            "authentic_share": args.authentic_share if sampling == "windows" else None,
            "train_window": args.window,
            "paper_window": getattr(objective, "paper_window", None),
            "window_note": windows,
            # absolute: typed (resources/models/x.safetensors) it named no file elsewhere
            "init": str(Path(args.init).resolve()) if args.init else None,
            "init_sha256": file_sha256(args.init) if args.init else None,
            "init_tensors": init_info,
            PRETRAINED: pretrained_fields(args.model_config, init_meta),
            "versions": record["settings"][VERSIONS],
            # the command the run started with, and each resume's (its step and versions)
            "command": started["command"],
            "resumed_with": resumed,
            "skipped_images": len(skipped),
            "masks_as_given": record["masks_as_given"],  # the inverted-mask rule overridden
        },
    )
    name = args.name or out.name
    template = base_meta(args.arch, config, args.window, stride, name)
    if init_meta is not None:
        carry_over(init_meta, template, args.init)

    def meta_fn(summary: dict[str, Any]) -> CheckpointMeta:
        meta = CheckpointMeta.from_json(template.to_json())
        meta.training = summary
        meta.metrics = {
            f"val_{k}": v
            for k, v in (summary.get("metrics") or {}).items()
            if isinstance(v, int | float) and k.startswith(("image_", "pixel_"))
        }
        return meta

    validate = None
    if val_samples and not args.no_val and uses_masks:

        def validate(m: torch.nn.Module) -> dict[str, Any]:
            meta = meta_fn({})
            meta.scope = "image"  # a face model's crops are whole images to it (as face-model)
            loaded = LoadedModel(model=m, meta=meta, path=None, sha256="")
            return evaluate(
                loaded, val_samples, device=model_device(m), batch_size=16, skipped=skipped
            ).metrics

    if main_rank:
        out.mkdir(parents=True, exist_ok=True)
        # replaced, never written through: a link at run.json (a copied or planted run
        # folder) had the file it names truncated and overwritten with the record
        atomic_write(
            out / RUN_RECORD,
            json.dumps(
                {**record, **started, **({"resumed_with": resumed} if resumed else {})},
                indent=2,
            ),
        )
    result = fit(
        model,
        objective,
        train_set,
        cfg,
        out,
        meta_fn,
        validate=validate,
        resume=args.resume,
        resume_state=resume_state,
        reporter=reporter,
        on_trained=lambda: setattr(args, "finished", out / LAST_CHECKPOINT),
    )
    if main_rank:
        skipped.print_summary()
    if result.interrupted:
        return exit_status(result.stopped_by)
    reporter.message(
        f"done: {result.steps} steps in {result.wall_seconds / 60:.1f} min; checkpoints in {out}"
    )
    return 0


def _check_record(out: Path) -> None:
    """Refuse a ``--resume`` of a folder whose resume file has no :data:`RUN_RECORD` beside
    it, naming the file: nothing of this program's leaves one so (every run wrote it before
    its first checkpoint), and resumed there the run went unchecked, as one of the days before
    the validation half (the whole held-out part, test half included, chose its best)."""
    record = out / RUN_RECORD
    if not record.is_file():
        raise UsageError(
            record,
            f"missing beside {RESUME_NAME}: the run's settings cannot be checked nor its "
            "validation part told (checkpoints copied without it, or a folder removed under "
            f"its run); copy the run's {RUN_RECORD} back, or {resume_advice(out)}",
        )


def _finished(state: dict[str, Any], args: argparse.Namespace) -> bool:
    """Whether the resume file is of a run that has nothing left to do under ``args``: all
    ``--epochs`` trained (or ``--max-steps`` reached) and no validation pending."""
    step, epoch, *_, val_pending = position(state)
    reached = args.max_steps > 0 and step >= args.max_steps
    return not val_pending and (epoch >= args.epochs or reached)


def _eval_samples(args: argparse.Namespace, which: str) -> tuple[list, list[str] | None]:
    """The samples of ``--split`` ``which``; a data set among them whose masks look inverted
    (unless ``--masks-as-given``: then also its line, recorded; else None), or none of which
    marks a pixel, is refused as ``fit`` refuses it (figures against them are wrong unsaid)."""
    from trainer.data.records import read_dataset, refuse_implausible_masks, validate
    from trainer.data.splits import three_way_split

    specs = [parse_data_spec(d) for d in args.data]
    samples: list = []
    if which in ("test", "choose"):  # the halves of the held-out part (docs/VERDICTS.md)
        for s in specs:
            part = read_dataset(s.path)
            validate(part)
            _, val, test = three_way_split(part, args.val_fraction, args.split_by, args.seed)
            samples += test if which == "test" else val
    elif which == "all":
        for s in specs:
            part = read_dataset(s.path)
            validate(part)
            samples += part
    else:
        bundle = read_and_split(
            specs,
            split_by=args.split_by,
            val_fraction=args.val_fraction,
            seed=args.seed,
            need_masks=False,
            whole_held_out=True,
        )
        samples = bundle.val if which == "val" else bundle.train
    overridden = refuse_implausible_masks(samples, as_given=args.masks_as_given)
    return samples, overridden if args.masks_as_given else None


def _load_model(path: Path, device: str) -> LoadedModel:
    if not path.exists():  # a pipe or folder: load_checkpoint says which
        raise UsageError(path, "no such checkpoint file")
    return load_checkpoint(path, device="cpu")


def _writable_dir(folder: Path) -> None:
    """Fail now, in one line, when results could not be written at the end. The probe is a
    new file of its own name (``O_EXCL``): a fixed name written with ``write_bytes`` truncated
    the file a symbolic link put there named."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".forensic-train-write-test.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise UsageError(folder, f"cannot write here ({e.strerror or e})") from None


def eval_json(args: argparse.Namespace) -> Path:
    """The file ``eval`` writes: ``--json``, by default beside the checkpoint
    (``CKPT.eval-DATA-SPLIT.json``, in a run folder when the checkpoint is one's), but in the
    working folder for a bundled or installed model: the models folders hold models, not
    the figures of whoever evaluated one (a bundled one's folder is the product's)."""
    from engine.catalog import origin_of

    if args.json is not None:
        return Path(args.json)
    data_name = "+".join(parse_data_spec(d).path.stem for d in args.data)
    name = f"{args.model.stem}.eval-{data_name}-{args.split}.json"
    return (
        Path(name) if origin_of(args.model) in ("bundled", "user") else args.model.with_name(name)
    )


def run_eval(args: argparse.Namespace) -> int:
    from trainer.metrics import summarize

    args.json = eval_json(args)
    model = _load_model(args.model, args.device)
    samples, overridden = _eval_samples(args, args.split)
    _writable_dir(args.json.parent)
    untrusted: set[str] = set()
    if getattr(args, "trusted_masks", False):  # before --limit: sources may be left out by it
        from trainer.data.mask_audit import is_trusted, trusted_masks

        untrusted = {p for p, iou in trusted_masks(samples).items() if not is_trusted(iou)}
        print(
            f"{len(untrusted)} tampered images with a mask that does not mark what changed: "
            "left out of the pixel figures (trainer/data/mask_audit.py)"
        )
    if args.limit > 0:
        samples = subset_for_validation(samples, args.limit, args.seed)
    set_threads(args.threads)
    skipped = SkipLog()
    skipped.warn(overridden or [])  # listed at the end, and in the --json file
    reporter = Reporter(interval=10.0)
    result = evaluate(
        model,
        samples,
        device=args.device,
        batch_size=args.batch_size,
        inverted=args.inverted,
        skipped=skipped,
        untrusted_masks=untrusted,
        progress=lambda d, t: reporter.bar(d, t, f"{d}/{t} images"),
    )
    m = result.metrics
    print(format_table(m, model, args.split))
    at_theta, lines = image_figures_at_theta(result.records)
    m.update(at_theta)  # in the --json file's metrics
    for line in lines:
        print(line)
    data = [parse_data_spec(d).path for d in args.data]
    meta = model.meta
    if note := eval_note(meta.training, meta.decision.details, data, args):
        print(plain(note))
    if args.json:
        from engine.provenance import environment

        payload = {
            "checkpoint": str(args.model),
            "checkpoint_sha256": model.sha256,
            "data": args.data,
            # what reproduces the figures, as every scan.json records it: the data's absolute
            # path and content, the program, libraries and processor, and what ran the model
            "data_sets": [
                {"path": str(Path(s.path).resolve()), "weight": s.weight, **data_digest(s.path)}
                for s in map(parse_data_spec, args.data)
            ],
            "environment": environment(),
            "device": args.device,
            "threads": torch.get_num_threads(),
            "input_policies": result.input_policies,
            "data_sha256_of": DATA_DIGEST,
            "split": args.split,
            "split_by": args.split_by,
            "seed": args.seed,
            "masks_left_out": sorted(untrusted),
            "decision": model.meta.decision.__dict__,
            "metrics": m,
            "conventions": summarize(m, args.inverted),
            "images": [r.to_dict() for r in result.records],
            "skipped": skipped.entries,
            "masks_as_given": overridden,
        }
        write_json(args.json, payload)
        print(f"wrote {plain(args.json)}")
    skipped.print_summary()
    return 0


def run_ensemble(args: argparse.Namespace) -> int:
    from trainer import ensemble

    if len(args.model) < 2:
        raise UsageError(args.model[0], "an ensemble needs at least two --model checkpoints")
    if not args.out.name.endswith(ENSEMBLE_SUFFIX):
        raise UsageError(args.out, f"the ensemble file's name must end in {ENSEMBLE_SUFFIX}")
    models = [_load_model(p, args.device) for p in args.model]
    _distinct_member_names(models)
    samples, overridden = _eval_samples(args, args.split)
    _writable_dir(args.out.parent)
    if args.json:
        _writable_dir(args.json.parent)
    if args.limit > 0:
        samples = subset_for_validation(samples, args.limit, args.seed)
    set_threads(args.threads)
    return ensemble.run(args, samples, models, overridden)


def _distinct_member_names(models: list[LoadedModel]) -> None:
    """An ensemble file names its members by their checkpoints' names (``fit --name``): two
    of one name are refused before any image is read (it was a traceback once all loaded)."""
    for i, m in enumerate(models):
        if twin := next((o.path for o in models[:i] if o.name == m.name), None):
            raise UsageError(
                m.path,
                f"named {m.name!r} as {twin} is: an ensemble names its members, so "
                "each --model must be a checkpoint of another name (fit --name)",
            )


def format_table(m: dict[str, Any], model: LoadedModel, split: str) -> str:
    """A plain-text table of the figures with their conventions."""
    from trainer.metrics import CONVENTIONS

    rule = model.meta.decision  # names and words from the checkpoint's header: printed plain
    lines = [
        f"{plain(model.name)} ({plain(model.meta.architecture)}) on {m['images']} images "
        f"({m['tampered']} tampered, {m['authentic']} authentic), split: {plain(split)}",
        f"decision: {plain(rule.rule)}, θ = {rule.threshold:.4g}, "
        f"pixel threshold {rule.pixel_threshold:.3g} ({plain(rule.provenance)})",
        "",
        f"{'metric':<15} {'value':>8}  convention",
    ]
    for key, conv in CONVENTIONS.items():
        if key in m:
            v = m[key]
            text = "undefined" if v != v else f"{v:.4f}"  # NaN: one class only (scan --gt)
            lines.append(f"{key:<15} {text:>8}  {conv}")
    if m.get("empty_masks"):
        lines.append(
            f"({m['empty_masks']} tampered image(s) with an empty mask left out of pixel figures)"
        )
    return "\n".join(lines)


def run_synth(args: argparse.Namespace) -> int:
    if args.kind == "faces":
        if args.src is not None:
            raise UsageError(args.src, "--kind faces takes its photographs from --faces, not SRC")
        from trainer.data.faces import run as faces_run

        return faces_run(args)
    if args.faces:
        raise UsageError(None, "--faces goes with --kind faces")
    if args.src is None:
        raise UsageError(None, "synth needs SRC_DIR, a folder of authentic photographs")
    from trainer.data.synth import KINDS
    from trainer.data.synth import run as synth_run

    if args.kinds is None:
        args.kinds = ",".join(KINDS)
    return synth_run(args)
