"""The training loop: one function, :func:`fit`, for every architecture and stage.

Read top to bottom: set up (device, DDP, optimizer, resume) -> for each epoch: draw the epoch's
samples, for each batch: objective -> backward -> clip -> step -> log; at intervals write a
checkpoint; at the end of the epoch validate and write a checkpoint; at the end write the final
checkpoint. A run that ``max_steps`` ends inside an epoch is validated there as at an epoch's
end (its ``val`` event and ``history.jsonl`` line at a fractional epoch, ``best.safetensors``
when it is the best), so its last checkpoint carries figures too.

- **Objectives** (``trainer.objectives``) compute the loss from the model's own outputs; the
  loop never looks at outputs, so CRFD-Net (a tensor), Mask2Former and DiffForensics (dicts),
  and DiffForensics pre-training all run through it.
- **Devices.** Correct on the CPU (fp32). On CUDA, ``amp`` turns on fp16 autocast with a
  gradient scaler.
- **Several processes** (``torchrun --nproc_per_node=N -m trainer.cli fit ...`` or
  ``forensic-train fit --nproc N``; ``WORLD_SIZE`` > 1): DistributedDataParallel over gloo on
  the CPU, NCCL on CUDA (one GPU per local rank). ``batch_size`` stays the *global* batch: the
  epoch plan is cut into the same batches as in one process and rank r takes every N-th
  sample of each (a last batch is cut to a multiple of N; one smaller than N is dropped), so a
  step sees the same samples whatever N, the step count, the schedule and the resume position
  do not depend on N, and a run resumes with any N. DDP averages the gradients, which equals
  the one-process gradient of the batch mean loss, except for BatchNorm: on CUDA its layers
  become SyncBatchNorm (statistics of the global batch); gloo has no SyncBatchNorm, so on the
  CPU each process normalises by its own share of the batch (a small difference in the loss;
  ``tests/trainer/test_distributed.py`` states it). The logged loss is the mean over ranks.
  Only rank 0 validates, logs and writes files; the others wait for it at the next step.
- **Schedule.** Linear warm-up over ``warmup_steps``, then cosine or poly (power 0.9) decay to
  ``min_lr_ratio`` x lr, or constant. The learning rate is a pure function of the step, so
  nothing but the step needs saving for it.
- **Determinism and resume.** The epoch's plan and each sample's augmentation are functions of
  (seed, epoch, position) (see ``trainer.data.datasets``), a step's random draws (noise,
  drop-path) of (seed, step) (:func:`trainer.resume.step_random`). The resume file holds the weights,
  the optimizer, the scaler, the step and the position in the epoch, so ``--resume`` continues
  with exactly the batches an uninterrupted run would have used and loses at most the steps
  since the last interval. SIGTERM, SIGHUP and Ctrl-C write both files before stopping (a second or
  third signal while they are written is ignored: the run is already stopping); a stop during
  the validation at an epoch's end (or where ``max_steps`` ended the run) marks it in the
  resume file, and ``--resume`` runs that validation first (its figures and its claim to
  ``best``, against the best before it, are not lost; a stop once it has its figure writes its
  ``best``/``epoch-N`` files). ``--resume`` drops the ``history.jsonl`` rows of validations the
  resume file does not include. A checkpoint and its resume file are put in place together.
- **Files** in the output folder: ``last.safetensors`` (engine format, written every
  ``checkpoint_minutes``/``checkpoint_steps``, each epoch and at the end), ``best.safetensors``
  (best validation ``best_metric``), with ``keep_epochs`` ``epoch-N.safetensors`` (the weights
  at the end of epoch N, for ``forensic-train average``), ``last.resume.pt`` (optimizer, step;
  read by :func:`engine.torchload.load_torch_file`, so a file that is not one is a one-line
  refusal naming it), ``history.jsonl`` (the validation events).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from engine.checkpoints import CheckpointMeta, checkpoint_bytes
from engine.devices import resolve_device
from engine.ending import main_thread, stop_signal, terminated, termination_signals
from engine.files import atomic_write_together, temp_target
from engine.formatting import format_duration
from trainer.objectives import trainable_parameters
from trainer.plan import BEST_CHECKPOINT, LAST_CHECKPOINT, RESUME_NAME
from trainer.progress import STEP_FIELDS, Reporter
from trainer.resume import of_this_run, position, read_resume, step_random, validated_step
from trainer.run_folder import append_history, drop_history_after, ensure_run_folder

ValidateFn = Callable[[nn.Module], dict[str, Any]]
MetaFn = Callable[[dict[str, Any]], CheckpointMeta]


@dataclass
class FitConfig:
    epochs: int = 100  # passes over the epoch plan (paper: 100)
    batch_size: int = 4  # samples per optimizer step (paper: 4)
    lr: float = 1e-4  # peak learning rate (paper: Adam 1e-4)
    weight_decay: float = 0.0  # decoupled for adamw, L2 for adam/sgd
    optimizer: str = "adam"  # adam | adamw | sgd
    schedule: str = "cosine"  # cosine | poly | constant, after the warm-up
    warmup_steps: int = 100  # linear warm-up from lr/100: avoids early BatchNorm blow-ups
    min_lr_ratio: float = 0.01  # floor of the decay as a share of lr
    clip_grad: float = 1.0  # max global gradient norm (0 = off); guards rare huge batches
    seed: int = 0  # seeds the weights, epoch plans and augmentation
    amp: bool = False  # fp16 autocast + gradient scaler; CUDA only (ignored on the CPU)
    device: str = "auto"  # auto | cpu | cuda | mps
    threads: int = 0  # torch intra-op threads (0 = torch's default); 1 keeps a laptop usable
    num_workers: int = 0  # DataLoader workers (0: samples are cheap crops of decoded images)
    checkpoint_minutes: float = 5.0  # wall-clock interval of last.safetensors + resume file
    checkpoint_steps: int = 0  # also every this many steps (0 = off); tests use it
    max_steps: int = 0  # stop after this many steps in total (0 = epochs); the schedule stays
    # laid out over all epochs, so a run stopped here and resumed matches an unstopped one
    log_every: int = 0  # a JSON step event every this many steps (0: log_interval's choice)
    best_metric: str = "pixel_f1"  # validation figure (higher is better) that picks best
    keep_epochs: bool = False  # also keep each epoch's end as epoch-N.safetensors (for averaging)
    extra: dict[str, Any] = field(default_factory=dict)  # recorded in the checkpoint as given


# A run's loss curve gets at least this many points (the training dialog draws it), and a step
# event comes at least every LOG_EVERY_MAX steps (the dialog's status and ETA follow them).
LOG_POINTS = 50
LOG_EVERY_MAX = 10


def log_interval(log_every: int, goal: int) -> int:
    """Steps between step events: ``log_every`` when given (> 0), else chosen from the run's
    ``goal`` steps so that a short run shows :data:`LOG_POINTS` points or one a step (a fixed
    10 gave a 24-step fine-tune's loss curve 3 points), a long one an event every
    :data:`LOG_EVERY_MAX` steps."""
    if log_every > 0:
        return log_every
    return max(1, min(LOG_EVERY_MAX, goal // LOG_POINTS))


def lr_at(step: int, total: int, cfg: FitConfig) -> float:
    """Learning rate at optimizer step ``step`` (0-based) of ``total``."""
    if cfg.warmup_steps and step < cfg.warmup_steps:
        return cfg.lr * (0.01 + 0.99 * (step + 1) / cfg.warmup_steps)
    if cfg.schedule == "constant":
        return cfg.lr
    span = max(1, total - cfg.warmup_steps)
    t = min(1.0, max(0.0, (step - cfg.warmup_steps) / span))
    floor = cfg.lr * cfg.min_lr_ratio
    if cfg.schedule == "cosine":
        return floor + (cfg.lr - floor) * 0.5 * (1.0 + math.cos(math.pi * t))
    if cfg.schedule == "poly":
        return floor + (cfg.lr - floor) * (1.0 - t) ** 0.9
    raise ValueError(f"schedule must be cosine, poly or constant, got {cfg.schedule!r}")


def optimizer_groups(objective: object, model: nn.Module, cfg: FitConfig) -> list[dict[str, Any]]:
    """Parameter groups: the objective's own (``param_groups(model)``: per-group ``lr_mult`` and
    no weight decay where its group says 0, as Mask2Former trains Swin) or one group of
    :func:`trainable_parameters`. The run's lr schedule and weight decay apply to every group,
    scaled by ``lr_mult``; a group the objective exempts from weight decay stays exempt."""
    fn = getattr(objective, "param_groups", None)
    if not callable(fn):
        return [
            {
                "params": trainable_parameters(objective, model),
                "lr_mult": 1.0,
                "weight_decay": cfg.weight_decay,
            }
        ]
    groups = []
    for g in fn(model):
        params = [p for p in g["params"] if p.requires_grad]
        if params:
            decay = cfg.weight_decay if g.get("weight_decay", 1.0) != 0 else 0.0
            groups.append(
                {"params": params, "lr_mult": float(g.get("lr_mult", 1.0)), "weight_decay": decay}
            )
    return groups


def make_optimizer(groups: list[dict[str, Any]], cfg: FitConfig) -> torch.optim.Optimizer:
    if cfg.optimizer == "adam":
        return torch.optim.Adam(groups, lr=cfg.lr)
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=cfg.lr)
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=cfg.lr, momentum=0.9)
    raise ValueError(f"optimizer must be adam, adamw or sgd, got {cfg.optimizer!r}")


@dataclass
class FitResult:
    steps: int
    epochs_done: int
    wall_seconds: float
    interrupted: bool
    best: float | None
    last_metrics: dict[str, Any]
    out_dir: Path
    stopped_by: int = 0  # the signal that interrupted the run (SIGTERM, SIGHUP, SIGINT); 0: none


class StepGuard:
    """Holds a stop signal that arrives inside a training step until the step is whole.

    Raised where it arrived, a Stop (or Ctrl+C) could land between the optimiser's update and
    the step count, so the resumed run updated on that batch twice, or inside the forward pass,
    after batch-norm statistics had moved on a batch the checkpoint says was never trained on.
    From :meth:`step` to :meth:`raise_pending` (the step and its log event) the signal is noted
    and raised once that step is logged, at most one step later: raised as the step's block
    ended, the step the stop kept was saved but never logged (no loss in the log, the
    progress file or the dialog's curve). Elsewhere (validation, data loading, checkpoints) it
    is raised at once. Once the run is :attr:`stopping` (writing the files of a stop), further
    signals are ignored: an
    impatient second Ctrl+C or a repeated SIGTERM cut that writing short, losing the steps since
    the last checkpoint (before the first one, the whole run: ``--out`` was put back)."""

    def __init__(self) -> None:
        self.inside = False
        self.pending: BaseException | None = None
        self.stopping = False

    def stop(self, exception: BaseException) -> None:
        """Raise ``exception`` now, or at the end of the step being run; nothing once the run
        is stopping."""
        if self.stopping:
            return
        if not self.inside:
            raise exception
        if self.pending is None:
            self.pending = exception

    @contextlib.contextmanager
    def step(self) -> Iterator[None]:
        """The step's own work; signals stay held after it until :meth:`raise_pending`."""
        self.inside = True
        try:
            yield
        except BaseException:
            self.inside = False
            raise

    def raise_pending(self) -> None:
        """Raise the signal held since the last step began (called once that step is logged);
        from here a signal is raised at once by :meth:`stop`."""
        self.inside = False
        pending, self.pending = self.pending, None
        if pending is not None:
            raise pending


@contextlib.contextmanager
def sigterm_raises(guard: StepGuard) -> Iterator[None]:
    """Inside, SIGTERM raises :class:`~engine.ending.Terminated` (SIGHUP, the terminal closed:
    :class:`~engine.ending.HungUp`) and Ctrl+C KeyboardInterrupt (as everywhere else in the
    programs: :mod:`engine.ending`), each held by ``guard`` until a training step is whole; the
    handlers before are put back (main thread only)."""

    def on_term(signum: int, frame: object) -> None:
        guard.stop(terminated(signum))

    def on_int(signum: int, frame: object) -> None:
        guard.stop(KeyboardInterrupt())

    if not main_thread():  # only the main thread may set handlers: leave signals alone
        yield
        return
    previous = {signum: signal.signal(signum, on_term) for signum in termination_signals()}
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, on_int)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _dist_info() -> tuple[int, int, int]:
    """(rank, world size, local rank) from torchrun's environment; (0, 1, 0) otherwise."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    return int(os.environ.get("RANK", "0")), world, int(os.environ.get("LOCAL_RANK", "0"))


def _unwrap(model: nn.Module) -> nn.Module:
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def _batches(n: int, start: int, batch_size: int, rank: int, world: int) -> list[list[int]]:
    """This rank's share of the epoch's batches from batch ``start`` on (plan order, no
    shuffle here). batch_size: the global batch; the batches are those of one process.

    Every rank takes every ``world``-th sample of each batch. Under DDP every rank must take
    the same number of steps with the same number of samples (a rank with one batch more would
    wait forever in its all-reduce), so a last, short batch is cut to a multiple of ``world``.
    """
    chunks = []
    for i in range(0, n, batch_size):
        size = min(batch_size, n - i)
        size -= size % world
        if size:
            chunks.append(list(range(i, i + size))[rank::world])
    return chunks[start:]


def epoch_loader(
    train_set: Dataset, batches: list[list[int]], workers: int, device: torch.device
) -> DataLoader:
    """The loader of one epoch's ``batches``. On CUDA its batches are in pinned memory, from
    which the step's ``non_blocking`` copy to the GPU overlaps the host's work; from pageable
    memory (the loader's default) that copy waited for the GPU, whatever it was asked."""
    pin = device.type == "cuda"
    return DataLoader(train_set, batch_sampler=batches, num_workers=workers, pin_memory=pin)


def steps_per_epoch(n: int, batch_size: int, world: int = 1) -> int:
    """Optimizer steps in an epoch of ``n`` samples (``batch_size``: the global batch)."""
    return n // batch_size + int(n % batch_size >= world)


def run_goal(step: int, left: int, per_epoch: int, epochs_after: int, max_steps: int) -> int:
    """Where the run will end, in steps, as an epoch knows it once it starts: ``step`` done,
    ``left`` batches left in this epoch (its own plan, exact), ``per_epoch`` steps for each of
    the ``epochs_after`` epochs still to come (an estimate: their plans vary a little), at most
    ``max_steps`` (> 0). Never below a step this epoch reaches, so a log never reads "step 5
    of 4"; exact from the last epoch's start (the total estimated from the first epoch alone
    was passed when a later epoch planned a batch more)."""
    goal = step + left + per_epoch * max(0, epochs_after)
    return min(goal, max_steps) if max_steps > 0 else goal


def last_epoch_of(epoch: int, end: int, per_epoch: int, epochs: int, max_steps: int) -> int:
    """The number of the epoch the run ends in (1-based: the bar's "epoch 2/N"), as epoch
    ``epoch`` (0-based) knows it once it starts: it ends at step ``end`` (its own plan),
    ``per_epoch`` steps for each epoch after it (an estimate), ``epochs`` in all, and
    ``max_steps`` (> 0) may end the run sooner. Taken again as each epoch starts, as
    :func:`run_goal`: the first epoch's estimate alone read "epoch 2/3" in a run that ended in
    its second epoch, a longer one having reached ``max_steps``."""
    if max_steps <= 0:
        return epochs
    if end >= max_steps:
        return epoch + 1
    return min(epochs, epoch + 1 + -(-(max_steps - end) // max(1, per_epoch)))


def write_together(out_dir: Path, names: tuple[str, ...], checkpoint: bytes, state: bytes) -> None:
    """The checkpoint files ``names`` (one content) and the resume file ``state``, written
    together (:func:`~engine.files.atomic_write_together`): a full disk leaves all of them at
    the step they were at, where ``last.safetensors`` had been replaced before the resume file
    failed, so the run's last checkpoint and the state ``--resume`` continues from disagreed.
    Raises OSError naming the file, which says how to go on when the run can be resumed."""
    resume_path = out_dir / RESUME_NAME
    resumable = resume_path.is_file()  # an earlier checkpoint: the run continues from it
    try:
        atomic_write_together(  # the folder is not made: ensure_run_folder checked it just before
            [*((out_dir / n, checkpoint) for n in names), (resume_path, state)], make_parent=False
        )
    except OSError as e:  # a full disk: one line naming the file (trainer.cli)
        file = temp_target(Path(e.filename)) if e.filename else resume_path
        why = (e.strerror or str(e)) + ("; free space and run again with --resume" * resumable)
        raise OSError(e.errno, why, str(file)) from e


def _mean_over_ranks(value: torch.Tensor, world: int) -> torch.Tensor:
    """The mean of a scalar over the ranks (itself in one process). gloo has no AVG."""
    if world == 1:
        return value
    import torch.distributed as dist

    total = value.detach().clone()
    dist.all_reduce(total, op=dist.ReduceOp.SUM)
    return total / world


def fit(
    model: nn.Module,
    objective: Any,
    train_set: Dataset,
    cfg: FitConfig,
    out_dir: str | Path,
    meta_fn: MetaFn,
    *,
    validate: ValidateFn | None = None,
    resume: bool = False,
    resume_state: dict[str, Any] | None = None,
    reporter: Reporter | None = None,
    on_trained: Callable[[], None] | None = None,
) -> FitResult:
    """Train ``model`` with ``objective`` on ``train_set`` (see the module docstring).

    train_set: yields (image [3,H,W], mask [1,H,W], label []) and has ``set_epoch(epoch)``.
    meta_fn(summary) -> the CheckpointMeta to write (summary: step, epoch, wall time, metrics).
    validate(model) -> metrics dict, called on rank 0 after every epoch (and where
    ``cfg.max_steps`` ends the run inside one) with the unwrapped model.
    resume_state: the resume file as :func:`read_resume` read it (None: read here).
    on_trained() is called once the loop has run to its end (not when a signal stopped it), its
    last checkpoint written: from then on the loop's signal handlers are gone, and a SIGTERM
    meets the caller's while the run is finished (``trainer.cli`` says so).
    """
    out_dir = Path(out_dir)
    reporter = reporter or Reporter()
    rank, world, local_rank = _dist_info()
    main = rank == 0
    if cfg.threads > 0:
        torch.set_num_threads(cfg.threads)
    device = resolve_device(cfg.device)
    backend = "nccl" if device.type == "cuda" else "gloo"
    if world > 1:
        import datetime

        import torch.distributed as dist

        if cfg.batch_size < world:
            raise ValueError(
                f"--batch-size ({cfg.batch_size}) is the global batch and must be at least the "
                f"number of processes ({world})"
            )
        if not dist.is_initialized():
            # the other ranks wait at their next step while rank 0 validates: a long wait
            dist.init_process_group(backend, timeout=datetime.timedelta(hours=6))
        if device.type == "cuda":
            device = torch.device("cuda", local_rank)
            torch.cuda.set_device(device)
            model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    use_amp = cfg.amp and device.type == "cuda"
    model.to(device).train()
    groups = optimizer_groups(objective, model, cfg)
    params = [p for g in groups for p in g["params"]]
    optimizer = make_optimizer(groups, cfg)
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    net: nn.Module = model
    if world > 1:
        net = nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )

    step, epoch, start_batch, wall0 = 0, 0, 0, 0.0
    best: float | None = None
    last_metrics: dict[str, Any] = {}
    val_pending = False  # an epoch ended and its validation has not finished yet
    best_before: float | None = None  # best before the validation under way
    owed: tuple[str, ...] = ()  # what a validation's checkpoint adds (epoch-N, best) until written
    validated = -1  # the step of the last validation done (its history.jsonl row kept on resume)
    if resume:
        state = resume_state if resume_state is not None else read_resume(out_dir, model)
        with of_this_run(out_dir):
            model.load_state_dict(state["model"])  # again: --init came after fit's check
            optimizer.load_state_dict(state["optimizer"])
            if use_amp and state.get("scaler"):
                scaler.load_state_dict(state["scaler"])
            step, epoch, start_batch, wall0, best, last_metrics, val_pending = position(state)
            validated = validated_step(state)
        if main:  # the rows of validations the resume file does not include are done again
            drop_history_after(out_dir, validated)
        reporter.event("resume", step=step, epoch=epoch, batch=start_batch)

    # Epoch plans vary a little in length (jitter, weights), so the total is estimated from the
    # first epoch; it shapes the schedule, while epochs (or max_steps) end the run. What the
    # log, the bar and the ETA count to, the bar's last epoch and the steps between step events
    # are taken again as each epoch starts (run_goal, last_epoch_of, log_interval).
    train_set.set_epoch(0)  # type: ignore[attr-defined]
    per_epoch = steps_per_epoch(len(train_set), cfg.batch_size, world)  # type: ignore[arg-type]
    if per_epoch == 0:
        raise ValueError("the training set yields no samples (no windows or images to train on)")
    total = per_epoch * cfg.epochs  # max_steps stops early but does not reshape the schedule
    # where the run will end: the progress bar, its ETA and the events count to it (under
    # --max-steps 2 the bar read "epoch 1/100 step 1/1100" with an ETA of the whole schedule)
    goal = min(total, cfg.max_steps) if cfg.max_steps > 0 else total
    # the peak learning rate would never be reached: by where the run ends (--max-steps), not
    # by the whole schedule (a short --max-steps of a long schedule went without the warning)
    # the count said is the one planned (the review of the model later says the steps done,
    # which the epochs' lengths can make a few more: "the run (18 steps)", then "trained for 19")
    if cfg.warmup_steps > goal and step == 0:
        how = "" if goal < total else ", estimated from the first epoch"
        reporter.message(
            f"warning: --warmup {cfg.warmup_steps} is longer than the run ({goal} steps "
            f"planned{how}): the learning rate never reaches {cfg.lr:g}"
        )

    def more_steps() -> bool:
        return cfg.max_steps <= 0 or step < cfg.max_steps

    t_start = time.monotonic()
    last_ckpt_time, samples_seen, t_rate = t_start, 0, t_start

    def wall() -> float:
        return wall0 + time.monotonic() - t_start

    def summary() -> dict[str, Any]:
        return {
            "step": step,
            "epoch": epoch,
            "epochs": cfg.epochs,
            "wall_seconds": round(wall(), 1),
            "metrics": last_metrics,
            "best": best,
            "fit_config": {k: v for k, v in asdict(cfg).items() if k != "extra"},
            "processes": world,
            "backend": backend if world > 1 else None,
            **cfg.extra,
        }

    saved_at = [-1]

    def save(batch_in_epoch: int, names: tuple[str, ...] = (LAST_CHECKPOINT,)) -> None:
        if not main or (saved_at[0] == step and names == (LAST_CHECKPOINT,)):
            return
        ensure_run_folder(out_dir)  # not made anew when removed under the run
        meta = meta_fn(summary())
        state = io.BytesIO()  # written out below: torch's own writer words a full disk as
        torch.save(  # "[enforce fail at inline_container.cc:672] . unexpected pos ..."
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scaler": scaler.state_dict() if use_amp else {},
                "step": step,
                "epoch": epoch,
                "batch": batch_in_epoch,
                "wall_seconds": wall(),
                # a validation under way is done again on resume, against the best before it
                "best": best_before if val_pending else best,
                "last_metrics": json.dumps(last_metrics),
                "val_pending": val_pending,
                "validated_step": validated,
            },
            state,
        )
        write_together(
            out_dir, names, checkpoint_bytes(out_dir / names[0], model, meta), state.getvalue()
        )
        # Only now: a Stop (SIGTERM) raised while the files were being written leaves saved_at
        # behind, so the stop handler's save() writes both again instead of skipping them as
        # already saved (which left a checkpoint without its resume file).
        saved_at[0] = step
        reporter.event("checkpoint", step=step, epoch=epoch, path=str(out_dir / names[0]))

    def epoch_at(batch_in_epoch: int) -> float:
        """How far the run is, in epochs: ``epoch`` at an epoch's end (batch 0), with the share
        of the epoch's batches done when inside one."""
        if batch_in_epoch == 0:
            return epoch
        train_set.set_epoch(epoch)  # type: ignore[attr-defined]
        batches = steps_per_epoch(len(train_set), cfg.batch_size, world)  # type: ignore[arg-type]
        return round(epoch + batch_in_epoch / batches, 4)

    def validate_and_save(batch_in_epoch: int) -> None:
        """Validate the model as it stands (rank 0), then write its checkpoints: at an epoch's
        end (``batch_in_epoch`` 0), or inside an epoch where ``max_steps`` ends the run, so
        that its last checkpoint has figures too (its ``val`` event and ``history.jsonl`` line
        then carry a fractional epoch; no ``epoch-N`` snapshot: no epoch ended)."""
        nonlocal val_pending, last_metrics, best, best_before, owed, validated, t_rate, samples_seen
        # what a checkpoint holds changes from here on (the pending validation, its figures,
        # the position): a checkpoint already written at this step is not this one
        saved_at[0] = -1
        names: tuple[str, ...] = (LAST_CHECKPOINT,)
        if cfg.keep_epochs and batch_in_epoch == 0:
            names += (f"epoch-{epoch}.safetensors",)
        if validate is not None and main:
            best_before, val_pending = best, True
            t_val = time.monotonic()
            last_metrics = validate(model)
            model.train()
            score = last_metrics.get(cfg.best_metric)
            if score is not None and (best_before is None or score > best_before):
                names += (BEST_CHECKPOINT,)
            owed = names[1:]  # a stop from here writes them: best.safetensors stayed an older epoch
            best = float(score) if BEST_CHECKPOINT in names else best
            at = epoch_at(batch_in_epoch)
            reporter.event(
                "val", epoch=at, step=step, seconds=time.monotonic() - t_val, **last_metrics
            )
            ensure_run_folder(out_dir)  # a first validation before any checkpoint
            append_history(out_dir, {"epoch": at, "step": step, **last_metrics})
            validated, val_pending = step, False
            t_rate, samples_seen = time.monotonic(), 0
        owed = names[1:]
        save(batch_in_epoch, names)
        owed = ()

    interrupted = False
    stopped_by = 0
    batch_index = start_batch
    guard = StepGuard()
    with sigterm_raises(guard=guard):
        try:
            if val_pending:  # stopped while validating: that validation comes first
                validate_and_save(start_batch)
                last_ckpt_time = time.monotonic()
            while epoch < cfg.epochs and more_steps():
                train_set.set_epoch(epoch)  # type: ignore[attr-defined]
                n = len(train_set)  # type: ignore[arg-type]
                batches = _batches(n, start_batch, cfg.batch_size, rank, world)
                # the step events' total and the bar count to this epoch's own plan
                this_epoch = steps_per_epoch(n, cfg.batch_size, world)
                after = cfg.epochs - epoch - 1
                goal = run_goal(step, len(batches), this_epoch, after, cfg.max_steps)
                end = step + len(batches)
                last_epoch = last_epoch_of(epoch, end, this_epoch, cfg.epochs, cfg.max_steps)
                log_every = log_interval(cfg.log_every, goal)  # as the total it counts to
                loader = epoch_loader(train_set, batches, cfg.num_workers, device)
                batch_index = start_batch
                for images, masks, labels in loader:
                    with guard.step():  # a stop signal waits until the step is whole
                        lr = lr_at(step, total, cfg)
                        for group in optimizer.param_groups:
                            group["lr"] = lr * group["lr_mult"]
                        images, masks = images.to(device, non_blocking=True), masks.to(device)
                        labels = labels.to(device)
                        with (
                            step_random(cfg.seed, step, device),  # draws as if never stopped
                            torch.autocast(device.type, dtype=torch.float16, enabled=use_amp),
                        ):
                            loss, terms = objective(net, images, masks, labels)
                        # every rank stops together
                        mean_loss = _mean_over_ranks(loss.detach(), world)
                        if not torch.isfinite(mean_loss):
                            raise FloatingPointError(
                                f"loss became {float(mean_loss)} at step {step}; lower --lr or "
                                "check the data"
                            )
                        optimizer.zero_grad(set_to_none=True)
                        scaler.scale(loss).backward()
                        if cfg.clip_grad > 0:
                            scaler.unscale_(optimizer)
                            grad_norm = float(torch.nn.utils.clip_grad_norm_(params, cfg.clip_grad))
                        else:
                            grad_norm = float("nan")
                        scaler.step(optimizer)
                        scaler.update()
                        step += 1
                        batch_index += 1
                    loss_value = float(mean_loss)
                    samples_seen += images.shape[0] * world
                    # the step a stop ends the run at is logged (before the stop is raised)
                    stopping = guard.pending is not None
                    if main and (step % log_every == 0 or step == 1 or stopping):
                        now = time.monotonic()
                        rate = samples_seen / max(now - t_rate, 1e-9)
                        eta = max(0, goal - step) * cfg.batch_size / max(rate, 1e-9)
                        reporter.event(
                            "step",
                            step=step,
                            epoch=epoch,
                            loss=loss_value,
                            **{
                                (f"term_{k}" if k in STEP_FIELDS else k): v
                                for k, v in terms.items()
                            },
                            lr=lr,
                            grad_norm=grad_norm,
                            samples_per_s=rate,
                            eta_s=eta,
                            total_steps=goal,
                        )
                        reporter.bar(
                            step,
                            goal,
                            f"epoch {epoch + 1}/{last_epoch} step {step}/{goal} "
                            f"loss {loss_value:.4f} {rate:.1f}/s ETA {format_duration(eta)}",
                        )
                        samples_seen, t_rate = 0, now
                    guard.raise_pending()
                    due_steps = cfg.checkpoint_steps and step % cfg.checkpoint_steps == 0
                    due_time = time.monotonic() - last_ckpt_time >= 60.0 * cfg.checkpoint_minutes
                    if due_steps or (cfg.checkpoint_minutes > 0 and due_time):
                        save(batch_index)
                        last_ckpt_time = time.monotonic()
                    if not more_steps():
                        break
                if not more_steps() and batch_index < len(batches) + start_batch:
                    validate_and_save(batch_index)  # max_steps ends the run inside the epoch
                    break
                epoch += 1
                start_batch = 0
                batch_index = 0
                validate_and_save(0)
                last_ckpt_time = time.monotonic()
        except KeyboardInterrupt as e:  # Ctrl+C, or SIGTERM: Terminated
            guard.stopping = True  # the files below are what the stop keeps: never cut short
            interrupted = True
            stopped_by = stop_signal(e)
            save(batch_index, (LAST_CHECKPOINT, *owed))  # with a validation's epoch-N and best
            during = f" during the validation of epoch {epoch}" if val_pending else ""
            reporter.message(
                f"interrupted at step {step}{during}; continue with --resume"
                + (" (it validates that epoch first)" if val_pending else "")
            )
    if not interrupted:
        if on_trained is not None:
            on_trained()
        # a no-op but where --resume continued a finished run: the loop saved at its last step
        save(batch_index)
        reporter.event("done", step=step, epoch=epoch, wall_seconds=wall(), best=best)
    return FitResult(step, epoch, wall(), interrupted, best, last_metrics, out_dir, stopped_by)


def seed_everything(seed: int) -> None:
    """Seed torch and numpy's global generators (weights are initialised from torch's)."""
    torch.manual_seed(seed)
    np.random.seed(seed % (2**32))
