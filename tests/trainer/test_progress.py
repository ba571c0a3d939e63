"""The trainer's progress protocol (``trainer.progress``): what :class:`Reporter` writes is what
the readers (line splitting, event parsing, the bar test, :class:`TrainingProgress`) take."""

from __future__ import annotations

import io
import json

import pytest

from trainer.progress import (
    EXIT_FAILED,
    EXIT_TERMINATED,
    LineSplitter,
    Reporter,
    TrainingProgress,
    describe_event,
    figure_words,
    finished_at_stop,
    finished_despite_stop,
    is_bar_line,
    loss_terms,
    parse_event,
)


def test_line_splitter_joins_chunks_into_lines() -> None:
    s = LineSplitter()
    assert s.feed(b'{"event": "st') == []
    assert s.feed(b'ep"}\nhalf') == ['{"event": "step"}']
    assert s.feed(b" line\r\n") == ["half line"]
    assert s.feed(b"tail") == []
    assert s.flush() == ["tail"]


def test_parse_event_takes_only_json_objects_with_an_event() -> None:
    assert parse_event('{"event": "step", "step": 1}') == {"event": "step", "step": 1}
    assert parse_event('{"ok": true}') is None
    assert parse_event("decoding 5 training images ...") is None
    assert parse_event("{broken") is None
    assert is_bar_line("[####....]  16.7% epoch 1/2 step 1/6 loss 0.7186")
    assert not is_bar_line("forensic-train fit: error: out of memory")


def test_what_the_reporter_writes_the_readers_take() -> None:
    out, err = io.StringIO(), io.StringIO()
    r = Reporter(out=out, err=err)
    r.event("step", step=1, epoch=0, loss=0.5, bce=0.5, lr=1e-4, samples_per_s=4.0, eta_s=9.0)
    r.event("val", epoch=1, step=1, pixel_f1=float("nan"), image_auc=0.75)
    r.bar(1, 3, "epoch 1/1 step 1/3", force=True)
    r.message("decoding 5 training images")
    split = LineSplitter()
    stdout = split.feed(out.getvalue().encode()) + split.flush()
    events = [parse_event(line) for line in stdout]
    assert all(e is not None for e in events) and len(events) == 2
    bar, message = err.getvalue().splitlines()
    assert is_bar_line(bar) and not is_bar_line(message)
    p = TrainingProgress(batch_size=2)
    for e in events:
        p.apply(e)  # type: ignore[arg-type]
    assert set(p.losses) == {"loss", "bce"} and p.lr.y == [1e-4]
    assert set(p.val) == {"image_auc"}  # NaN is written as null: not a point
    assert p.total_steps() == 1 + round(9.0 * 4.0 / 2)


def _step(step: int, loss: float, eta: float = 10.0, rate: float = 8.0) -> dict:
    return {
        "event": "step",
        "step": step,
        "epoch": 0,
        "loss": loss,
        "bce": loss,
        "forged_share": 0.5,
        "lr": 1e-4 * step,
        "grad_norm": 0.3,
        "samples_per_s": rate,
        "eta_s": eta,
    }


def test_progress_curves_fraction_and_eta() -> None:
    p = TrainingProgress(batch_size=4)
    p.apply({"event": "data", "train_images": 5})
    p.apply(_step(1, 0.9, eta=45.0, rate=8.0))  # 45 s * 8/s / 4 = 90 steps left
    p.apply(_step(10, 0.7, eta=40.0, rate=8.0))  # 80 steps left of 90
    assert set(p.losses) == {"loss", "bce", "forged_share"}
    assert p.losses["loss"].x == [1, 10] and p.losses["loss"].y == [0.9, 0.7]
    assert p.lr.x == [1, 10]
    assert p.fraction() == pytest.approx(10 / 90)
    assert p.eta() == pytest.approx(40.0)
    p.apply(
        {
            "event": "val",
            "epoch": 1,
            "step": 10,
            "seconds": 0.1,
            "images": 3,
            "pixel_f1": 0.2,
            "pixel_images": 3,
            "image_auc": None,
        }
    )
    assert set(p.val) == {"pixel_f1"}  # counts, timings and undefined figures are not curves
    p.apply({"event": "done", "step": 12})
    assert p.fraction() == 1.0 and p.eta() == 0.0


def test_progress_with_max_steps_and_resume_drops_the_redone_steps() -> None:
    p = TrainingProgress(batch_size=2, max_steps=20)
    for step in (1, 10, 20):
        p.apply(_step(step, 1.0 / step, eta=1000.0, rate=2.0))
    assert p.total_steps() == 20  # max_steps comes before the end of the schedule
    p.apply({"event": "val", "epoch": 1, "step": 10, "pixel_f1": 0.1})
    p.apply({"event": "val", "epoch": 2, "step": 20, "pixel_f1": 0.2})
    p.apply({"event": "resume", "step": 10, "epoch": 1, "batch": 0})
    assert p.losses["loss"].x == [1, 10]
    assert p.val["pixel_f1"].x == [1]
    assert p.step == 10


def test_a_resumed_stage_gets_its_curves_back_from_the_saved_events(tmp_path) -> None:
    log = tmp_path / "progress.jsonl"
    lines = [json.dumps(_step(s, 1.0 / s)) for s in (1, 10)] + ["not an event", ""]
    log.write_text("\n".join([*lines, json.dumps({"event": "done", "step": 10})]) + "\n")
    p = TrainingProgress(batch_size=4)
    p.replay(log)
    assert p.losses["loss"].x == [1, 10] and p.step == 10
    assert not p.done  # the stage goes on: its fraction comes from the next step events
    p.replay(tmp_path / "missing.jsonl")  # a stage with no saved events starts empty
    assert p.step == 10


def test_the_trainers_step_total_is_taken_and_is_not_a_loss_term() -> None:
    p = TrainingProgress(batch_size=4)
    p.apply(_step(1, 0.9, eta=45.0, rate=8.0))
    assert p.steps_total is None and p.total_steps() == 1 + 90  # estimated from the ETA
    p.apply({**_step(10, 0.7, eta=40.0, rate=8.0), "total_steps": 3198})
    assert p.steps_total == 3198 and p.total_steps() == 3198
    assert "total_steps" not in p.losses
    assert p.fraction() == pytest.approx(10 / 3198)
    capped = TrainingProgress(batch_size=4, max_steps=50)
    capped.apply({**_step(10, 0.7), "total_steps": 3198})
    assert capped.total_steps() == 50


def test_the_last_validation_is_kept_with_its_epoch() -> None:
    p = TrainingProgress(batch_size=4)
    assert p.last_val() is None
    p.apply({"event": "val", "epoch": 1, "step": 10, "pixel_f1": 0.2, "image_auc": 0.7})
    p.apply({"event": "val", "epoch": 2, "step": 20, "pixel_f1": 0.41, "image_auc": None})
    assert p.last_val() == (2, {"pixel_f1": 0.41})


def test_events_read_as_words_not_json() -> None:
    step = {**_step(120, 0.4321), "total_steps": 3198}
    text = describe_event(step)
    assert text.startswith("step 120 of 3198 (epoch 1): loss 0.4321 (bce 0.4321, forged_share")
    assert "learning rate 1.20e-02" in text and "8.0 samples/s" in text
    assert describe_event(_step(7, 0.5)).startswith("step 7 (epoch 1): ")  # no total said
    val = {"event": "val", "epoch": 3, "step": 120, "seconds": 2.5, "images": 12,
           "pixel_f1": 0.4123, "pixel_images": 9, "image_auc": 0.8, "image_eer": None}  # fmt: skip
    assert describe_event(val) == (
        "validation after epoch 3 (step 120) on 12 images: pixel F1 0.412, image AUC 0.800"
    )
    assert figure_words({"pixel_f1": None}) == ""
    data = {"event": "data", "train_images": 24, "val_images": 6, "sampling": "windows",
            "split": {"mode": "seed"}, "forged_windows": 40}  # fmt: skip
    assert describe_event(data) == (
        "data: 24 training images, 6 validation images, sampled by windows (forged windows 40)"
    )
    others = [
        {"event": "checkpoint", "step": 120, "epoch": 2, "path": "/r/last.safetensors"},
        {"event": "resume", "step": 120, "epoch": 2, "batch": 5},
        {"event": "done", "step": 3198, "epoch": 10, "wall_seconds": 3725.0, "best": 0.41},
        {"event": "surprise", "answer": 42},
    ]
    texts = [describe_event(e) for e in others]
    assert texts == [
        "checkpoint at step 120: /r/last.safetensors",
        "resumed at step 120 (epoch 3, batch 5)",
        "done: 3198 steps, 10 epochs in 1:02:05; best validation 0.410",
        "surprise: answer 42",
    ]
    assert not any("{" in t for t in [text, *texts])


def test_the_log_and_the_curves_show_the_same_losses() -> None:
    """The log (``describe_event``) and the curves (``TrainingProgress``) each chose the loss
    terms of a step event by their own rule; the log dropped every term of an event without a
    total. One function, :func:`loss_terms`, decides for both."""
    event = {**_step(5, 0.5), "term_lr": 0.25, "note": "text", "flag": True, "total_steps": 40}
    assert list(loss_terms(event)) == ["loss", "bce", "forged_share", "term_lr"]
    p = TrainingProgress(batch_size=4)
    p.apply(event)
    assert list(p.losses) == list(loss_terms(event))
    assert "loss 0.5000 (bce 0.5000, forged_share 0.5000, term_lr 0.2500)" in describe_event(event)
    no_total = {k: v for k, v in event.items() if k != "loss"}
    q = TrainingProgress(batch_size=4)
    q.apply(no_total)
    assert list(q.losses) == ["bce", "forged_share", "term_lr"]
    assert "(epoch 1): bce 0.5000, forged_share 0.5000, term_lr 0.2500," in describe_event(no_total)


def test_a_validation_inside_an_epoch_reads_and_resumes_by_its_step() -> None:
    """--max-steps stopping inside epoch 2 validates there (epoch 1.5): the log says "at", not
    "after", and a resume at that very step keeps the point (it dropped it: 1.5 > epoch 1)."""
    p = TrainingProgress(batch_size=4)
    p.apply({"event": "val", "epoch": 1, "step": 10, "pixel_f1": 0.2})
    p.apply({"event": "val", "epoch": 1.5, "step": 15, "pixel_f1": 0.3})
    assert p.last_val() == (1.5, {"pixel_f1": 0.3})
    p.apply({"event": "resume", "step": 15, "epoch": 1, "batch": 5})
    assert p.val["pixel_f1"].x == [1, 1.5]
    p.apply({"event": "resume", "step": 12, "epoch": 1, "batch": 2})
    assert p.val["pixel_f1"].x == [1]
    words = describe_event({"event": "val", "epoch": 1.5, "step": 15, "pixel_f1": 0.3})
    assert words == "validation at epoch 1.5 (step 15): pixel F1 0.300"


def test_a_stop_once_the_run_had_finished_is_told_from_a_stop_inside_it(tmp_path) -> None:
    """143 after fit's loop ran to its end: by its done event, or by the trainer's last line
    when the stop came before that event; a stop inside the loop, or a failure, is neither."""
    line = f"forensic-train fit: terminated (SIGTERM) after 3 s, {finished_at_stop(tmp_path)}"
    assert line.endswith(f"once the run had finished: its checkpoint is {tmp_path}")
    progress = TrainingProgress(4)
    assert finished_despite_stop(EXIT_TERMINATED, line, progress)
    assert not finished_despite_stop(EXIT_TERMINATED, "interrupted at step 2", progress)
    assert not finished_despite_stop(EXIT_FAILED, line, progress)
    progress.apply({"event": "done", "step": 3})
    assert finished_despite_stop(EXIT_TERMINATED, "", progress)
    progress.apply({"event": "resume", "step": 3, "epoch": 1})  # a later process of the stage
    assert not progress.done and not finished_despite_stop(EXIT_TERMINATED, "", progress)


def test_the_step_is_the_latest_any_event_reports() -> None:
    """Step events come every --log-every steps: a validation (or checkpoint) after them is
    where the run is. A failure after the validation at step 8 read "failed at step 1"."""
    p = TrainingProgress(batch_size=4)
    p.apply({"event": "step", "step": 1, "epoch": 0, "loss": 0.5})
    p.apply({"event": "val", "epoch": 1, "step": 8, "pixel_f1": 0.2})
    assert p.step == 8
    p.apply({"event": "checkpoint", "step": 9, "epoch": 1, "path": "last.safetensors"})
    assert p.step == 9
    p.apply({"event": "resume", "step": 4, "epoch": 0, "batch": 4})  # a resume goes back
    assert p.step == 4


def test_a_step_past_its_estimated_total_is_said_as_past_the_estimate() -> None:
    """The dialog's step comes from any event, its total only from step events: a validation
    at the end of an epoch that logged no step event of its own (its one more batch than the
    estimate) read "step 19 of 18". The log's own step lines of an older trainer, which
    passed its first epoch's estimate ("step 5 of 4"), read the same way."""
    p = TrainingProgress(batch_size=4)
    p.apply({"event": "step", "step": 10, "epoch": 0, "loss": 0.5, "total_steps": 18})
    assert p.step_text() == "step 10 of 18"
    p.apply({"event": "val", "epoch": 2, "step": 19, "pixel_f1": 0.2})
    assert p.step_text() == "step 19, past the 18 estimated"
    assert "5 of 4" not in describe_event(
        {"event": "step", "step": 5, "epoch": 1, "loss": 0.5, "total_steps": 4}
    )
    assert TrainingProgress(batch_size=4).step_text() == "step 0"
