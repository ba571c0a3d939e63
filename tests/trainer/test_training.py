"""The loop learns, resumes exactly, and writes checkpoints the engine opens."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.checkpoints import CheckpointMeta, LoadedModel, load_checkpoint, read_meta
from engine.ending import Terminated
from tests.trainer.conftest import TINY, make_folder
from trainer.data.augment import preset
from trainer.data.datasets import WindowConfig, WindowDataset, load_items
from trainer.data.records import SkipLog, read_folder
from trainer.evaluate import evaluate
from trainer.loops import FitConfig, fit, lr_at
from trainer.objectives import objective_for
from trainer.progress import Reporter
from trainer.setup import base_meta, build_model

pytestmark = pytest.mark.usefixtures("seeded_single_thread")

ARCH = "crfd-net-compact"
TINY_CRFD = {"channels": (4, 8, 8)}
# diffforensics-compact at a few thousand weights: its steps draw t, noise and drop-path
TINY_DIFF = {
    "embed_dims": (8, 8, 16, 16), "num_heads": (1, 1, 1, 1), "depths": (1, 1, 1, 1),
    "decoder_channels": (8, 8, 8), "time_embed_dim": 8, "noise_channels": 4,
}  # fmt: skip


class _Collect(Reporter):
    """A reporter that keeps the events instead of printing them."""

    def __init__(self) -> None:
        super().__init__(enabled=False)
        self.events: list[dict] = []

    def event(self, kind: str, **fields: object) -> None:
        self.events.append({"event": kind, **fields})


def _windows(root: Path, window: int = 32, share: float = 0.5) -> WindowDataset:
    items = load_items(read_folder(root), SkipLog())
    return WindowDataset(items, WindowConfig(window=window, authentic_share=share), preset("none"))


def test_compact_crfd_net_learns_the_resampling_artefact(tmp_path: Path) -> None:
    """Held-out pixel F1 must rise from ~0 to above 0.4 in five short epochs (its speed is not
    asserted here: a timed assertion fails on a loaded machine, not on a slow trainer)."""
    train = make_folder(tmp_path / "train", 24, 6, seed=0)
    held_out = read_folder(make_folder(tmp_path / "val", 8, 4, seed=1))
    model, config = build_model(ARCH, dict(TINY), seed=0)
    meta = base_meta(ARCH, config, 32, 16, "learner")
    before = evaluate(LoadedModel(model, meta, None, ""), held_out).metrics

    rep = _Collect()
    cfg = FitConfig(
        epochs=5, batch_size=8, lr=3e-3, warmup_steps=5, checkpoint_minutes=0, log_every=1, seed=0
    )
    fit(
        model,
        objective_for(ARCH),
        _windows(train),
        cfg,
        tmp_path / "run",
        lambda s: meta,
        reporter=rep,
    )
    after = evaluate(LoadedModel(model, meta, None, ""), held_out).metrics

    losses = [e["loss"] for e in rep.events if e["event"] == "step"]
    assert sum(losses[-5:]) / 5 < 0.75 * sum(losses[:5]) / 5, losses
    assert before["pixel_f1"] < 0.3
    assert after["pixel_f1"] > 0.4, after
    assert after["pixel_f1"] > before["pixel_f1"] + 0.2


def _tiny_fit(
    root: Path,
    out: Path,
    cfg: FitConfig,
    name: str,
    resume: bool,
    validate: object = None,
    arch: str = ARCH,
    stage: str = "fit",
) -> tuple[torch.nn.Module, object, list[dict]]:
    """A tiny ``arch`` (crfd-net-compact) fitted on ``root``'s windows: the model, FitResult and
    events. Its checkpoints carry the loop's summary (``training``: step, epoch, metrics)."""
    model, config = build_model(arch, dict(TINY_CRFD if arch == ARCH else TINY_DIFF), seed=0)
    meta = base_meta(arch, config, 32, 16, name)

    def meta_fn(summary: dict) -> CheckpointMeta:
        written = CheckpointMeta.from_json(meta.to_json())
        written.training = summary
        return written

    rep = _Collect()
    result = fit(
        model,
        objective_for(arch, stage),
        _windows(root, share=1.0),
        cfg,
        out,
        meta_fn,
        validate=validate,  # type: ignore[arg-type]
        resume=resume,
        reporter=rep,
    )
    return model, result, rep.events


def _run(
    root: Path, out: Path, max_steps: int, resume: bool, arch: str = ARCH, stage: str = "fit"
) -> torch.nn.Module:
    cfg = FitConfig(
        epochs=3, batch_size=4, lr=1e-3, warmup_steps=2, checkpoint_minutes=0, checkpoint_steps=3,
        max_steps=max_steps, seed=0,
    )  # fmt: skip
    return _tiny_fit(root, out, cfg, "r", resume, arch=arch, stage=stage)[0]


@pytest.mark.parametrize(
    ("arch", "stage"),
    [(ARCH, "fit"), ("diffforensics-compact", "pretrain"), ("diffforensics-compact", "fit")],
)
@pytest.mark.filterwarnings("ignore:DiffForensics stage 1 with a frozen encoder")
def test_resume_gives_the_same_weights_as_an_uninterrupted_run(
    tmp_path: Path, arch: str, stage: str
) -> None:
    """DiffForensics draws t, its noise and drop-path from torch's generators: the resumed
    part replayed the draws of the run's first steps (from the seed), and ended elsewhere."""
    root = make_folder(tmp_path / "d", 5, 2, seed=3)
    whole = _run(root, tmp_path / "whole", 8, False, arch, stage)
    _run(root, tmp_path / "parts", 4, False, arch, stage)  # "interrupted" after step 4
    resumed = _run(root, tmp_path / "parts", 8, True, arch, stage)
    a, b = whole.state_dict(), resumed.state_dict()
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    fresh, _ = build_model(arch, dict(TINY_CRFD if arch == ARCH else TINY_DIFF), seed=0)
    assert any(not torch.equal(v, a[k]) for k, v in fresh.state_dict().items())


def test_checkpoints_open_in_the_engine_with_their_training_summary(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "d", 4, 2, seed=4)
    _run(root, tmp_path / "run", max_steps=3, resume=False)
    loaded = load_checkpoint(tmp_path / "run" / "last.safetensors")
    assert loaded.meta.architecture == ARCH
    assert loaded.meta.input_policy.window == 32 and loaded.meta.input_policy.stride == 16
    assert (tmp_path / "run" / "last.resume.pt").is_file()
    assert read_meta(tmp_path / "run" / "last.safetensors").decision.rule == "forged_fraction"


@pytest.mark.parametrize("schedule", ["cosine", "poly", "constant"])
def test_schedule_warms_up_then_decays(schedule: str) -> None:
    cfg = FitConfig(lr=1.0, warmup_steps=10, schedule=schedule, min_lr_ratio=0.01)
    lrs = [lr_at(s, 100, cfg) for s in range(100)]
    assert lrs[0] < 0.2 and lrs[9] == pytest.approx(1.0)
    assert all(b >= a for a, b in itertools.pairwise(lrs[:10]))
    if schedule == "constant":
        assert lrs[-1] == 1.0
    else:
        assert lrs[-1] < 0.1 and all(b <= a + 1e-12 for a, b in itertools.pairwise(lrs[10:]))


@pytest.mark.parametrize(
    ("arch", "stage"),
    [
        ("m2f-swin-nano", "fit"),
        ("diffforensics-compact", "pretrain"),
        ("diffforensics-compact", "fit"),
    ],
)
@pytest.mark.filterwarnings("ignore:DiffForensics stage 1 with a frozen encoder")
def test_the_loop_drives_every_family(tmp_path: Path, arch: str, stage: str) -> None:
    """Dict-returning networks and the pre-training stage run through the same loop."""
    from trainer.data.datasets import ImageDataset

    items = load_items(read_folder(make_folder(tmp_path / "d", 3, 1, seed=6)), SkipLog())
    model, config = build_model(arch, {}, seed=0)
    meta = base_meta(arch, config, 64, 32, "family")
    objective = objective_for(arch, stage)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    cfg = FitConfig(
        epochs=1, batch_size=2, lr=1e-3, warmup_steps=0, checkpoint_minutes=0, max_steps=2
    )
    rep = _Collect()
    result = fit(
        model,
        objective,
        ImageDataset(items, 64, preset("none")),
        cfg,
        tmp_path / "run",
        lambda s: meta,
        reporter=rep,
    )
    assert result.steps == 2
    assert all(np.isfinite(e["loss"]) for e in rep.events if e["event"] == "step")
    assert any(not torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert load_checkpoint(tmp_path / "run" / "last.safetensors").meta.architecture == arch


def test_a_stop_during_a_checkpoint_still_leaves_checkpoint_and_resume_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM (the dialog's Stop) raised while a periodic checkpoint is being written: the
    stop handler must write the checkpoint and the resume file again, not skip them as saved."""
    from trainer import loops

    real = loops.atomic_write_together
    calls = [0]

    def stopped_midway(*args: object, **kw: object) -> None:
        real(*args, **kw)  # type: ignore[arg-type]
        calls[0] += 1
        if calls[0] == 1:  # the first periodic checkpoint: the files are written, then Stop
            raise Terminated()

    monkeypatch.setattr(loops, "atomic_write_together", stopped_midway)
    root = make_folder(tmp_path / "d", 4, 2, seed=5)
    _run(root, tmp_path / "run", max_steps=8, resume=False)
    assert calls[0] == 2  # written again by the stop handler
    assert (tmp_path / "run" / "last.safetensors").is_file()
    assert (tmp_path / "run" / "last.resume.pt").is_file()


def _validated_run(
    root: Path, out: Path, validate: object, resume: bool, epochs: int = 2
) -> tuple[object, list[dict]]:
    cfg = FitConfig(
        epochs=epochs, batch_size=4, lr=1e-3, warmup_steps=2, checkpoint_minutes=0, seed=0
    )
    _, result, events = _tiny_fit(root, out, cfg, "v", resume, validate)
    return result, events


def test_a_stop_during_validation_is_validated_first_on_resume(tmp_path: Path) -> None:
    """Stop (SIGTERM) while the end of epoch 1 is being validated: the resume used to go on with
    epoch 2, so epoch 1's figures were never measured (nor shown, nor a candidate for best)."""
    import json
    import signal

    calls = [0]

    def validate(model: torch.nn.Module) -> dict[str, float]:
        calls[0] += 1
        if calls[0] == 1:
            raise Terminated()  # what the SIGTERM handler raises
        return {"pixel_f1": 0.1 * calls[0], "images": 3}

    root = make_folder(tmp_path / "d", 5, 2, seed=3)
    out = tmp_path / "run"
    stopped, _ = _validated_run(root, out, validate, resume=False)
    assert stopped.interrupted and stopped.epochs_done == 1
    result, events = _validated_run(root, out, validate, resume=True)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "resume" and kinds[1] == "val"  # before any step of epoch 2
    assert [e["epoch"] for e in events if e["event"] == "val"] == [1, 2]
    history = [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]
    assert [h["epoch"] for h in history] == [1, 2]
    assert not result.interrupted and result.best == pytest.approx(0.3)
    assert stopped.stopped_by == signal.SIGTERM  # the command exits 143 (tests/trainer/test_cli.py)


def test_step_events_carry_the_number_of_steps_the_run_takes(tmp_path: Path) -> None:
    """``total_steps`` (the dialog's "step 120 of 3198"): all epochs' steps, or max_steps.

    It is estimated from the first epoch's plan, and jitter and weights vary the others a
    little: here the second epoch takes a step more, and the log read "step 5 of 4". Each
    epoch counts to its own plan once it starts, so no step is past its total and the last
    epoch's events name the step the run ends at."""
    from trainer.loops import steps_per_epoch

    root = make_folder(tmp_path / "d", 5, 2, seed=3)
    result, events = _validated_run(root, tmp_path / "all", None, resume=False, epochs=2)
    steps = [e for e in events if e["event"] == "step"]
    per_epoch = steps_per_epoch(len(_windows(root, share=1.0)), 4)
    assert result.steps > 2 * per_epoch  # the run went past the first epoch's estimate
    assert {e["total_steps"] for e in steps if e["epoch"] == 0} == {2 * per_epoch}
    assert all(e["step"] <= e["total_steps"] for e in steps), steps
    assert {e["total_steps"] for e in steps if e["epoch"] == 1} == {result.steps}
    model, config = build_model(ARCH, {"channels": (4, 8, 8)}, seed=0)
    rep = _Collect()
    cfg = FitConfig(epochs=5, batch_size=4, warmup_steps=0, checkpoint_minutes=0, max_steps=3)
    meta = base_meta(ARCH, config, 32, 16, "m")
    fit(model, objective_for(ARCH), _windows(root, share=1.0), cfg, tmp_path / "max",
        lambda s: meta, reporter=rep)  # fmt: skip
    assert {e["total_steps"] for e in rep.events if e["event"] == "step"} == {3}
    assert not any("total_steps" in e for e in rep.events if e["event"] != "step")


class _Bars(_Collect):
    """A reporter that keeps the events and the text of every bar drawn."""

    def __init__(self) -> None:
        super().__init__()
        self.bars: list[str] = []

    def bar(self, done: int, total: int, text: str, force: bool = False) -> None:
        self.bars.append(text)


def _fit_with(root: Path, out: Path, cfg: FitConfig, rep: _Collect) -> object:
    model, config = build_model(ARCH, {"channels": (4, 8, 8)}, seed=0)
    meta = base_meta(ARCH, config, 32, 16, "m")
    return fit(model, objective_for(ARCH), _windows(root, share=1.0), cfg, out,
               lambda s: meta, reporter=rep)  # fmt: skip


def test_the_bar_names_the_epoch_the_run_ends_in_as_each_epoch_plans_it(tmp_path: Path) -> None:
    """The bar's "epoch i/N" is taken again as each epoch starts, as its step total is. Here
    the first epoch plans 2 steps and the second 3, and --max-steps 5 ends the run at the
    second's end: the first epoch's estimate alone (5 steps at 2 an epoch: 3 epochs) read
    "epoch 2/3" in the run's last epoch (the first epoch's bars still read its estimate)."""
    from trainer.loops import steps_per_epoch

    root = make_folder(tmp_path / "d", 5, 2, seed=3)
    windows = _windows(root, share=1.0)
    first = steps_per_epoch(len(windows), 4)
    windows.set_epoch(1)
    second = steps_per_epoch(len(windows), 4)
    assert second > first and 2 * first < first + second  # the data this test is about
    rep = _Bars()
    cfg = FitConfig(
        epochs=3, batch_size=4, warmup_steps=0, checkpoint_minutes=0, max_steps=first + second
    )
    result = _fit_with(root, tmp_path / "run", cfg, rep)
    assert result.steps == first + second  # type: ignore[attr-defined]
    last = [text for text in rep.bars if text.startswith("epoch 2/")]
    assert last and all(text.startswith("epoch 2/2 ") for text in last), last
    assert rep.bars[-1].startswith(f"epoch 2/2 step {first + second}/{first + second} ")


def test_the_steps_between_step_events_follow_each_epochs_total(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The interval chosen from the run's length (log_interval) is taken again with the total
    as each epoch starts. With one point a run (as a long run's 50 points are of its steps), the
    event of this two-epoch run is its last step: the first epoch's estimate alone (4 steps,
    where the second epoch plans a step more) put it at step 4 of 5."""
    import trainer.loops

    monkeypatch.setattr(trainer.loops, "LOG_POINTS", 1)
    root = make_folder(tmp_path / "d", 5, 2, seed=3)
    rep = _Collect()
    cfg = FitConfig(epochs=2, batch_size=4, warmup_steps=0, checkpoint_minutes=0)
    result = _fit_with(root, tmp_path / "run", cfg, rep)
    steps = [e["step"] for e in rep.events if e["event"] == "step"]
    assert steps == [1, result.steps] and result.steps == 5  # type: ignore[attr-defined]


def _max_steps_in_epoch_2(root: Path) -> tuple[FitConfig, int]:
    """A config whose ``max_steps`` ends the run after the first batch of epoch 2 (a periodic
    checkpoint falls on that step too), and epoch 2's number of batches."""
    from trainer.loops import steps_per_epoch

    windows = _windows(root, share=1.0)
    first = steps_per_epoch(len(windows), 4)
    windows.set_epoch(1)
    second = steps_per_epoch(len(windows), 4)
    assert second >= 2  # so that step first + 1 is inside epoch 2
    cfg = FitConfig(
        epochs=3, batch_size=4, lr=1e-3, warmup_steps=2, checkpoint_minutes=0,
        checkpoint_steps=first + 1, max_steps=first + 1, seed=0,
    )  # fmt: skip
    return cfg, second


def test_max_steps_inside_an_epoch_validates_the_model_it_leaves(tmp_path: Path) -> None:
    """--max-steps ending a run inside an epoch left a checkpoint nobody had measured: no
    figures in its header (the install review warned "no validation figures"), no val event,
    no history line, no claim to best. It is validated there, as at an epoch's end."""
    import json

    from engine.torchload import load_torch_file

    scores = iter([0.1, 0.2])

    def validate(model: torch.nn.Module) -> dict[str, float]:
        return {"pixel_f1": next(scores), "images": 3}

    root = make_folder(tmp_path / "d", 5, 2, seed=3)
    cfg, batches = _max_steps_in_epoch_2(root)
    out = tmp_path / "run"
    _, result, events = _tiny_fit(root, out, cfg, "m", False, validate)
    vals = [e for e in events if e["event"] == "val"]
    assert [(v["epoch"], v["step"]) for v in vals] == [
        (1, cfg.max_steps - 1),
        (round(1 + 1 / batches, 4), cfg.max_steps),
    ]
    history = [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]
    assert [(h["epoch"], h["step"]) for h in history] == [(v["epoch"], v["step"]) for v in vals]
    last = read_meta(out / "last.safetensors").training
    assert last["step"] == cfg.max_steps and last["metrics"] == {"pixel_f1": 0.2, "images": 3}
    assert read_meta(out / "best.safetensors").training["step"] == cfg.max_steps
    assert result.best == pytest.approx(0.2) and not result.interrupted
    kinds = [e["event"] for e in events]
    assert kinds[-3:] == ["val", "checkpoint", "done"]  # validated, then written, then done
    state = load_torch_file(out / "last.resume.pt", "resume file")
    assert (state["epoch"], state["batch"], state["val_pending"]) == (1, 1, False)
    assert not list(out.glob("epoch-*.safetensors"))  # no epoch ended there


def test_a_stop_during_the_max_steps_validation_is_validated_first_on_resume(
    tmp_path: Path,
) -> None:
    """Stop while the model --max-steps left is being validated (a periodic checkpoint was
    written at that very step): the stop writes the resume file again, marked, and --resume
    validates that model at the same place in the epoch before anything else."""

    calls = [0]

    def validate(model: torch.nn.Module) -> dict[str, float]:
        calls[0] += 1
        if calls[0] == 2:
            raise Terminated()
        return {"pixel_f1": 0.1 * calls[0], "images": 3}

    root = make_folder(tmp_path / "d", 5, 2, seed=3)
    cfg, batches = _max_steps_in_epoch_2(root)
    out = tmp_path / "run"
    _, stopped, _ = _tiny_fit(root, out, cfg, "s", False, validate)
    assert stopped.interrupted
    _, result, events = _tiny_fit(root, out, cfg, "s", True, validate)
    assert [e["event"] for e in events] == ["resume", "val", "checkpoint", "done"]
    assert events[1]["epoch"] == round(1 + 1 / batches, 4) and events[1]["step"] == cfg.max_steps
    assert result.best == pytest.approx(0.3) and not result.interrupted
    assert read_meta(out / "best.safetensors").training["step"] == cfg.max_steps


@pytest.mark.parametrize("log_every", [1, 100])
def test_the_step_a_stop_keeps_is_logged(tmp_path: Path, log_every: int) -> None:
    """SIGTERM (the dialog's Stop) during step 3: the step is finished and saved, and it used
    to be raised as the step's block ended, before its step event: the log read "step 2",
    "interrupted at step 3", with step 3's loss in neither the log nor the dialog's curve."""
    import os
    import signal

    real = objective_for(ARCH)
    calls = [0]

    def signalled(*args: object) -> object:
        calls[0] += 1
        if calls[0] == 3:
            os.kill(os.getpid(), signal.SIGTERM)  # held by the loop until the step is whole
        return real(*args)

    root = make_folder(tmp_path / "d", 5, 2, seed=3)
    model, config = build_model(ARCH, {"channels": (4, 8, 8)}, seed=0)
    meta = base_meta(ARCH, config, 32, 16, "m")
    rep = _Collect()
    cfg = FitConfig(epochs=5, batch_size=4, warmup_steps=0, checkpoint_minutes=0,
                    log_every=log_every)  # fmt: skip
    result = fit(model, signalled, _windows(root, share=1.0), cfg, tmp_path / "run",
                 lambda s: meta, reporter=rep)  # fmt: skip
    assert result.interrupted and result.steps == 3 and result.stopped_by == signal.SIGTERM
    steps = [e for e in rep.events if e["event"] == "step"]
    assert steps[-1]["step"] == 3 and np.isfinite(steps[-1]["loss"])
    assert [e["step"] for e in steps] == ([1, 2, 3] if log_every == 1 else [1, 3])
