"""What a trainer process tells its parent: JSON events, a progress bar and an exit status.

Every event is one JSON object on one line of stdout, flushed at once, so a parent process
(the viewer's training dialog) can plot it as it arrives. The stderr bar is redrawn in place on
a terminal and printed at most every ``interval`` seconds otherwise (a log file then gets a
readable line now and then instead of thousands of carriage returns).

Both sides of that conversation live here, so the writer and its readers cannot drift apart:
:class:`Reporter` writes it (``trainer.loops`` and the commands), and :class:`LineSplitter`,
:func:`parse_event`, :func:`is_bar_line` and :class:`TrainingProgress` read it (the training
dialog, which shows it as curves, a bar with ETA and a log), and :func:`describe_event` says
an event in words for that log (the raw lines stay in the run folder's ``progress.jsonl``).
The module imports no torch.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from engine.ending import EXIT_HUNG_UP, EXIT_INTERRUPTED, EXIT_TERMINATED, HungUp
from engine.files import read_regular_text
from engine.formatting import format_duration

# Exit statuses of ``forensic-train`` (besides 0): what a parent process tells apart.
EXIT_FAILED = 1  # the command failed (out of memory, a loss that became NaN)
EXIT_USAGE = 2  # the command refused its inputs (bad data, settings or checkpoint), said why
EXIT_BUSY = 3  # another trainer is writing into the run folder (trainer.run_folder), said which
# Stopped by a signal (engine.ending: 128 + its number, as a shell reports it); ``fit`` wrote a
# checkpoint and its resume file first: Ctrl-C (SIGINT, 130) or SIGTERM (143: ``kill``, the
# training dialog's Stop) or SIGHUP (129: the terminal the viewer or the trainer runs in closed).
EXIT_STOPPED = (EXIT_INTERRUPTED, EXIT_TERMINATED, EXIT_HUNG_UP)
# The fixed fields of a ``step`` event: ``loss`` is the total, any other number a loss term (an
# objective's term named like one of these is logged as ``term_<name>``, so it cannot hide it).
# ``total_steps`` is the number of steps the run will take (estimated from the first epoch,
# taken again as each epoch starts: never below the event's step; trainer.loops.run_goal).
STEP_FIELDS = frozenset(
    {"event", "step", "epoch", "loss", "lr", "grad_norm", "samples_per_s", "eta_s", "total_steps"}
)
# How a validation figure reads (trainer.metrics.CONVENTIONS says what each measures).
FIGURE_WORDS = {
    "pixel_f1": "pixel F1",
    "pixel_iou": "pixel IoU",
    "pixel_auc": "pixel AUC",
    "pixel_f1_best": "pixel F1 at the best threshold",
    "image_auc": "image AUC",
    "image_acc": "image accuracy",
    "image_bacc": "image balanced accuracy",
    "image_eer": "image EER",
}


# How ``fit``'s last line on stderr goes on when a SIGTERM came once its run had finished (exit
# 143, the run's last checkpoint written): ``trainer.cli`` writes it, the training dialog reads
# it (:func:`finished_despite_stop`) to record the stage as done, not stopped.
FINISHED_AT_STOP = "once the run had finished: its checkpoint is "


# How a trainer's warning line on stderr begins (``--warmup`` longer than the run, θ that cannot
# be chosen): the training dialog shows such lines beside its status, not only in its log.
WARNING = "warning: "


def is_warning(line: str) -> bool:
    """Whether ``line`` (of a trainer's stderr) is a warning the analyst should see."""
    return line.strip().startswith(WARNING)


def finished_at_stop(checkpoint: Path) -> str:
    """The end of ``fit``'s last line when a SIGTERM came once its run had finished."""
    return f"{FINISHED_AT_STOP}{checkpoint}"


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


class Reporter:
    """Writes events as JSON lines and keeps a progress bar; silent when ``enabled`` is False."""

    def __init__(
        self,
        enabled: bool = True,
        out: TextIO | None = None,
        err: TextIO | None = None,
        interval: float = 30.0,
    ) -> None:
        self.enabled = enabled
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.interval = interval
        self._last_bar = 0.0
        self._tty = bool(getattr(self.err, "isatty", lambda: False)())

    def event(self, kind: str, **fields: Any) -> None:
        if not self.enabled:
            return
        self.out.write(json.dumps({"event": kind, **_clean(fields)}) + "\n")
        self.out.flush()

    def bar(self, done: int, total: int, text: str, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not (self._tty or force or now - self._last_bar >= self.interval):
            return
        self._last_bar = now
        frac = min(1.0, done / total) if total else 0.0
        filled = round(24 * frac)
        line = f"[{'#' * filled}{'.' * (24 - filled)}] {100 * frac:5.1f}% {text}"
        if self._tty:
            self.err.write("\r" + line[:160].ljust(160) + ("\n" if force else ""))
        else:
            self.err.write(line + "\n")
        self.err.flush()

    def message(self, text: str) -> None:
        """A human line on stderr (not part of the JSON stream)."""
        if not self.enabled:
            return
        if self._tty:
            self.err.write("\r" + " " * 160 + "\r")
        self.err.write(text + "\n")
        self.err.flush()


class ReaderGone(HungUp):
    """The reader of the trainer's output is gone (a write to stdout or stderr failed on a
    broken pipe: the viewer that read it crashed or was killed, ``fit ... | head`` ended):
    a stop as SIGHUP's, which the docs promise for a viewer that dies (a checkpoint, run.json,
    exit status 129), never a failure. It had been an OSError: ``fit`` ended with "error:
    [Errno 32] Broken pipe", status 1, and put its run folder back as found (fine-tune
    walk-through, 2026-12-06: a run of 16 steps lost, ``runs/E`` deleted)."""

    words = "stopped: the reader of its output is gone (broken pipe)"


class GuardedStream:
    """``sys.stdout`` or ``sys.stderr`` of a trainer program (:func:`guard_output`): the first
    write or flush that finds its reader gone raises :class:`ReaderGone` (a stop); from then on
    that stream is written to the null device (its descriptor too), so that the stop's lines and
    Python's flush at exit never fail on the pipe, and the other stream's reader found gone
    later (the viewer read both) is silenced without a second stop."""

    gone = False  # one ReaderGone a process: the stop is under way after the first

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as e:
            self._broken(e)
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as e:
            self._broken(e)

    def _broken(self, e: OSError) -> None:
        if not isinstance(e, BrokenPipeError) and e.errno != errno.EPIPE:
            raise e
        null = os.open(os.devnull, os.O_WRONLY)
        try:  # the descriptor too: the stream's buffer is flushed again as Python exits
            os.dup2(null, self._stream.fileno())
        except (OSError, ValueError, AttributeError):  # no descriptor (a test's stream)
            pass
        finally:
            os.close(null)
        self._stream = open(os.devnull, "w", encoding="utf-8")  # lives as long as the stream
        if not GuardedStream.gone:
            GuardedStream.gone = True
            raise ReaderGone() from e


def guard_output() -> None:
    """Put :class:`GuardedStream` around ``sys.stdout`` and ``sys.stderr`` (the program's
    start: every event, bar, message and print goes through them)."""
    if not isinstance(sys.stdout, GuardedStream):
        sys.stdout = GuardedStream(sys.stdout)  # type: ignore[assignment]
    if not isinstance(sys.stderr, GuardedStream):
        sys.stderr = GuardedStream(sys.stderr)  # type: ignore[assignment]


# --- the reading side ------------------------------------------------------------------------


class LineSplitter:
    """Bytes arriving in arbitrary chunks -> complete text lines (the last one on flush)."""

    def __init__(self) -> None:
        self._rest = b""

    def feed(self, data: bytes) -> list[str]:
        *lines, self._rest = (self._rest + data).split(b"\n")
        return [ln.decode("utf-8", "replace").rstrip("\r") for ln in lines]

    def flush(self) -> list[str]:
        rest, self._rest = self._rest, b""
        return [rest.decode("utf-8", "replace").rstrip("\r")] if rest.strip() else []


def parse_event(line: str) -> dict[str, Any] | None:
    """The event a stdout line holds (as :meth:`Reporter.event` wrote it), or None for any
    other line."""
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) and isinstance(obj.get("event"), str) else None


def is_bar_line(line: str) -> bool:
    """A line of :meth:`Reporter.bar` (``[###...] 12.3% ...``), not a message."""
    return bool(re.match(r"^\[[#.]+\]\s+\d", line.strip()))


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def loss_terms(event: dict[str, Any]) -> dict[str, float]:
    """The losses a ``step`` event carries: ``loss`` (the total) first when it has one, then
    each term (any number that is not one of :data:`STEP_FIELDS`), in the event's order. The
    curves and the log show these and only these."""
    out = {"loss": _number(event.get("loss"))}
    out.update({k: _number(v) for k, v in event.items() if k not in STEP_FIELDS})
    return {k: v for k, v in out.items() if v is not None}


def validation_figures(figures: dict[str, Any]) -> dict[str, float]:
    """The figures of a validation (``image_*``, ``pixel_*``: those of ``trainer.metrics``)
    that are numbers and defined; counts (``*images``) and timings left out. What the curves,
    the log and the install review (``trainer.review``) show."""
    out = {}
    for key, value in figures.items():
        v = _number(value)
        if key.startswith(("image_", "pixel_")) and not key.endswith("images") and v is not None:
            if math.isfinite(v):
                out[key] = v
    return out


@dataclass
class Series:
    """Points of one curve, each with the training step it was taken at (its x for a curve by
    step; a validation's step for a curve by epoch)."""

    x: list[float] = field(default_factory=list)
    y: list[float] = field(default_factory=list)
    steps: list[float] = field(default_factory=list)

    def add(self, x: float, y: float, step: float | None = None) -> None:
        self.x.append(x)
        self.y.append(y)
        self.steps.append(x if step is None else step)

    def drop_after(self, step: float) -> None:
        """Forget the points taken after training step ``step`` (a resume redoes them)."""
        keep = [i for i, s in enumerate(self.steps) if s <= step]
        self.x = [self.x[i] for i in keep]
        self.y = [self.y[i] for i in keep]
        self.steps = [self.steps[i] for i in keep]


class TrainingProgress:
    """One stage's state, built from its events: curves, step, ETA, last checkpoint.

    ``batch_size`` and ``max_steps`` are the run's, so the fraction done and the ETA can be
    taken from the step events' ``eta_s`` (which counts to the end of all epochs) and
    ``samples_per_s``.
    """

    def __init__(self, batch_size: int, max_steps: int = 0) -> None:
        self.batch_size = max(1, batch_size)
        self.max_steps = max_steps
        self.losses: dict[str, Series] = {}  # "loss" and each term, by step
        self.lr = Series()  # by step
        self.val: dict[str, Series] = {}  # validation figures (image_*, pixel_*), by epoch
        self.step = 0
        self.epoch = 0
        self.samples_per_s: float | None = None
        self.eta_s: float | None = None
        self.steps_total: int | None = None  # the trainer's own count (None: not said)
        self.data: dict[str, Any] | None = None
        self.checkpoint: str | None = None
        self.done = False

    def apply(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        reported = _number(event.get("step"))
        if reported is not None and kind != "resume":
            # the latest step any event reports: step events come every --log-every steps,
            # so a validation or checkpoint after them is where the run is (a failure there
            # read "failed at step 1" after a validation at step 8)
            self.step = int(reported)
        if kind == "step":
            self._on_step(event)
        elif kind == "val":
            epoch = _number(event.get("epoch")) or 0.0
            step = _number(event.get("step")) or 0.0
            for key, v in validation_figures(event).items():
                self.val.setdefault(key, Series()).add(epoch, v, step)
        elif kind == "checkpoint":
            self.checkpoint = str(event.get("path") or "") or self.checkpoint
        elif kind == "data":
            self.data = event
        elif kind == "resume":
            self.done = False  # a "done" replayed from an earlier process is not this one's
            step, epoch = _number(event.get("step")) or 0.0, _number(event.get("epoch")) or 0.0
            for s in [*self.losses.values(), self.lr, *self.val.values()]:
                s.drop_after(step)
            self.step, self.epoch = int(step), int(epoch)
        elif kind == "done":
            self.done = True

    def _on_step(self, event: dict[str, Any]) -> None:
        step = _number(event.get("step"))
        if step is None:
            return
        self.step = int(step)
        self.epoch = int(_number(event.get("epoch")) or 0)
        for key, v in loss_terms(event).items():
            self.losses.setdefault(key, Series()).add(step, v)
        lr = _number(event.get("lr"))
        if lr is not None:
            self.lr.add(step, lr)
        self.samples_per_s = _number(event.get("samples_per_s"))
        self.eta_s = _number(event.get("eta_s"))
        total = _number(event.get("total_steps"))
        self.steps_total = int(total) if total else self.steps_total

    def step_text(self) -> str:
        """Where the run is, in words (:func:`step_words`): "step 120 of 3198"."""
        return step_words(self.step, self.steps_total)

    def total_steps(self) -> int | None:
        """Steps this stage will take: the trainer's count when its step events carry one,
        else estimated from the last step event."""
        total: int | None = None
        if self.steps_total:
            total = self.steps_total
        elif self.eta_s is not None and self.samples_per_s:
            total = self.step + round(self.eta_s * self.samples_per_s / self.batch_size)
        if self.max_steps > 0:
            total = self.max_steps if total is None else min(total, self.max_steps)
        return total

    def fraction(self) -> float:
        if self.done:
            return 1.0
        total = self.total_steps()
        return min(1.0, self.step / total) if total else 0.0

    def eta(self) -> float | None:
        """Seconds left, or None before the first step event."""
        if self.done:
            return 0.0
        total = self.total_steps()
        if total is None or not self.samples_per_s:
            return None
        return max(0, total - self.step) * self.batch_size / self.samples_per_s

    def last_val(self) -> tuple[float, dict[str, float]] | None:
        """The epoch and figures of the last validation received, or None before the first
        (the epoch is fractional for a validation inside one: where ``--max-steps`` stopped)."""
        if not any(series.x for series in self.val.values()):
            return None
        epoch = max(series.x[-1] for series in self.val.values() if series.x)
        figures = {
            k: series.y[-1] for k, series in self.val.items() if series.x and series.x[-1] == epoch
        }
        return epoch, figures

    def replay(self, path: Path) -> None:
        """Apply the events saved in ``path`` (a resumed stage gets its curves back)."""
        try:
            # a pipe put there: not waited on; the run's own log, a line an event: no limit
            lines = read_regular_text(path, limit=None).splitlines()
        except (OSError, ValueError):
            return
        for line in lines:
            event = parse_event(line)
            if event is not None:
                self.apply(event)
        self.done = False


# --- the events in words -----------------------------------------------------------------------


def finished_despite_stop(code: int, message: str, progress: TrainingProgress | None) -> bool:
    """Whether a ``fit`` or ``pretrain`` process that ended stopped (``code`` 130 or 143) had
    finished its run first: its loop had run to its end and written the run's last checkpoint,
    and the stop came while it was ending. Its ``done`` event arrived (``progress``: the
    stage's events), or, when the stop came before that event, its last line on stderr
    (``message``) says so (:data:`FINISHED_AT_STOP`). Such a stage is done, not stopped: a
    Resume would have nothing of it to continue."""
    if code not in EXIT_STOPPED:
        return False
    return (progress is not None and progress.done) or FINISHED_AT_STOP in message


def epoch_text(epoch: float) -> str:
    """A validation's epoch as it reads: ``3`` at an epoch's end, ``2.25`` inside one."""
    return f"{epoch:.4g}" if not float(epoch).is_integer() else str(int(epoch))


def figure_name(key: str) -> str:
    """How validation figure ``key`` (``pixel_f1``) reads: ``pixel F1``."""
    return FIGURE_WORDS.get(key, key.replace("_", " "))


def figure_words(figures: dict[str, Any]) -> str:
    """Validation figures as they read: ``pixel F1 0.412, image AUC 0.800`` (known figures in
    :data:`FIGURE_WORDS`' order, then any other, by name; counts and undefined ones left out)."""
    shown = validation_figures(figures)
    order = list(FIGURE_WORDS)
    keys = sorted(shown, key=lambda k: (order.index(k) if k in order else len(order), k))
    return ", ".join(f"{figure_name(k)} {shown[k]:.3f}" for k in keys)


def step_words(step: object, total: float | None) -> str:
    """How far a run is: "step 12 of 18"; "step 12" without a total; a step past its total,
    "step 19, past the 18 estimated": the total is an estimate until the run's last epoch
    starts (run_goal), and the dialog's step comes from any event, its total only from step
    events, so a validation at the end of an epoch without a step event of its own read
    "step 19 of 18"."""
    if not total:
        return f"step {step}"
    n = _number(step)
    if n is not None and n > total:
        return f"step {step}, past the {int(total)} estimated"
    return f"step {step} of {int(total)}"


def _step_words(event: dict[str, Any]) -> str:
    epoch = int(_number(event.get("epoch")) or 0) + 1
    head = step_words(event.get("step"), _number(event.get("total_steps")))
    words: list[str] = []
    terms = loss_terms(event)
    loss = terms.pop("loss", None)
    parts = ", ".join(f"{k} {v:.4f}" for k, v in terms.items())
    if loss is not None:
        words.append(f"loss {loss:.4f}" + (f" ({parts})" if parts else ""))
    elif parts:
        words.append(parts)
    lr = _number(event.get("lr"))
    if lr is not None:
        words.append(f"learning rate {lr:.2e}")
    rate = _number(event.get("samples_per_s"))
    if rate:
        words.append(f"{rate:.1f} samples/s")
    eta = _number(event.get("eta_s"))
    if eta is not None:
        words.append(f"{format_duration(eta)} left")
    return f"{head} (epoch {epoch}): " + ", ".join(words)


UNREADABLE_TRAIN = "unreadable_train_images"  # the data event's: not among train_images


def describe_event(event: dict[str, Any]) -> str:
    """One readable line for an event (the training dialog's log; its raw JSON line stays in the
    run folder's ``progress.jsonl``)."""
    kind = str(event.get("event"))
    if kind == "step":
        return _step_words(event)
    if kind == "val":
        figures = figure_words(event) or "no figure could be computed"
        images = _number(event.get("images"))
        on = f" on {int(images)} images" if images is not None else ""
        epoch = _number(event.get("epoch")) or 0.0
        where = "after" if epoch.is_integer() else "at"  # inside an epoch: --max-steps stopped
        return (
            f"validation {where} epoch {epoch_text(epoch)} (step {event.get('step')}){on}: "
            f"{figures}"
        )
    if kind == "checkpoint":
        return f"checkpoint at step {event.get('step')}: {event.get('path')}"
    if kind == "resume":
        return (
            f"resumed at step {event.get('step')} "
            f"(epoch {int(_number(event.get('epoch')) or 0) + 1}, batch {event.get('batch')})"
        )
    if kind == "done":
        best = _number(event.get("best"))
        return (
            f"done: {event.get('step')} steps, {event.get('epoch')} epochs in "
            f"{format_duration(_number(event.get('wall_seconds')))}"
            + (f"; best validation {best:.3f}" if best is not None else "")
        )
    if kind == "data":
        counts = ", ".join(
            f"{k.replace('_', ' ')} {v}"
            for k, v in event.items()
            if k
            not in ("event", "split", "sampling", "train_images", "val_images", UNREADABLE_TRAIN)
            and not isinstance(v, dict | list)
        )
        unreadable = _number(event.get(UNREADABLE_TRAIN)) or 0
        left_out = f" ({int(unreadable)} could not be decoded, left out)" if unreadable else ""
        return (
            f"data: {event.get('train_images')} training images{left_out}, "
            f"{event.get('val_images')} "
            f"validation images, sampled by {event.get('sampling')}"
            + (f" ({counts})" if counts else "")
        )
    fields = ", ".join(
        f"{k.replace('_', ' ')} {v}"
        for k, v in event.items()
        if k != "event" and not isinstance(v, dict | list)
    )
    return f"{kind}: {fields}" if fields else kind
