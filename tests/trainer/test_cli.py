"""The command line: every input error is one line with exit status 2, before any long work."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.checkpoints import save_checkpoint
from tests.trainer.conftest import TINY, make_folder, save_mask
from trainer import cli
from trainer.setup import base_meta, build_model

pytestmark = pytest.mark.usefixtures("seeded_single_thread")


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _fit(data: Path, out: Path, *extra: str) -> list[str]:
    return ["fit", "--arch", "crfd-net-compact", "--data", str(data), "--out", str(out), *extra]


def _one_error_line(err: str) -> str:
    lines = [ln for ln in err.strip().splitlines() if ln]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def tiny_checkpoint(path: Path) -> Path:
    model, config = build_model("crfd-net-compact", dict(TINY), seed=0)
    return save_checkpoint(path, model, base_meta("crfd-net-compact", config, 32, 16, "tiny"))


def test_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, _fit(tmp_path / "nope", tmp_path / "run"))
    assert code == 2
    assert _one_error_line(err).endswith("nope: no such data folder")


def test_empty_data_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for sub in ("Tp", "Gt", "Au"):
        (tmp_path / "d" / sub).mkdir(parents=True)
    code, _, err = _run(capsys, _fit(tmp_path / "d", tmp_path / "run"))
    assert code == 2
    assert "empty data set" in _one_error_line(err)


def test_tampered_image_without_mask(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_folder(tmp_path / "d", 3, 1, seed=0)
    (root / "Gt" / "t001.png").unlink()
    code, _, err = _run(capsys, _fit(root, tmp_path / "run"))
    assert code == 2
    line = _one_error_line(err)
    assert "t001.png: tampered image has no mask" in line


def test_mask_of_another_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_folder(tmp_path / "d", 3, 1, seed=0)
    save_mask(root / "Gt" / "t002.png", np.ones((20, 30), np.uint8))
    code, _, err = _run(capsys, _fit(root, tmp_path / "run"))
    assert code == 2
    assert "t002.png: mask is 30x20 but its image t002.png is 64x64" in _one_error_line(err)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--window", "8"], "--window must be >= 16"),
        (["--val-fraction", "1.5"], "--val-fraction must be in (0, 1)"),
        (["--resume"], "nothing to resume"),
        (["--checkpoint-minutes", "-1"], "--checkpoint-minutes must be >= 0"),
        (["--model-config", "widths=3"], "unknown config field(s) ['widths']"),
    ],
)
def test_bad_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    root = make_folder(tmp_path / "d", 2, 1, seed=0)
    code, _, err = _run(capsys, _fit(root, tmp_path / "run", *extra))
    assert code == 2
    assert message in _one_error_line(err)


def test_unknown_architecture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_folder(tmp_path / "d", 2, 1, seed=0)
    argv = ["fit", "--arch", "resnet-9000", "--data", str(root), "--out", str(tmp_path / "r")]
    code, _, err = _run(capsys, argv)
    assert code == 2
    assert "no training objective for architecture 'resnet-9000'" in _one_error_line(err)


def test_out_of_memory_suggests_smaller_batch_or_window(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import trainer.commands

    def boom(*args: object) -> int:
        raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(trainer.commands, "run_fit", boom)
    root = make_folder(tmp_path / "d", 2, 1, seed=0)
    code, _, err = _run(capsys, _fit(root, tmp_path / "run"))
    assert code == 1
    assert "try a smaller --batch-size or --window" in _one_error_line(err)


def test_unreadable_images_are_skipped_counted_and_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_folder(tmp_path / "d", 2, 2, seed=0)
    (root / "Au" / "zz_broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    ckpt = tiny_checkpoint(tmp_path / "m.safetensors")
    report = tmp_path / "ev.json"
    code, out, err = _run(
        capsys, ["eval", "--model", str(ckpt), "--data", str(root), "--json", str(report)]
    )
    assert code == 0
    assert "1 unreadable image(s) skipped:" in err
    assert "zz_broken.png" in err
    data = json.loads(report.read_text())
    assert data["metrics"]["images"] == 4 and len(data["skipped"]) == 1
    assert "pixel_f1" in out


def test_synth_rejects_unknown_kinds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_folder(tmp_path / "d", 0, 2, seed=0)
    argv = ["synth", str(root), "--out", str(tmp_path / "s"), "--kinds", "splice,teleport"]
    code, _, err = _run(capsys, argv)
    assert code == 2
    assert "--kinds must be a comma-separated subset" in _one_error_line(err)


def test_fit_offers_every_augmentation_preset_and_no_other() -> None:
    # The CLI lists the presets as a literal (importing trainer.data.augment would load OpenCV
    # for --help); this keeps that list and PRESETS from drifting apart.
    from trainer.cli import build_parser
    from trainer.data.augment import PRESETS

    fit = build_parser()._subparsers._group_actions[0].choices["fit"]  # type: ignore[union-attr]
    (aug,) = [a for a in fit._actions if "--aug" in a.option_strings]
    assert tuple(aug.choices) == tuple(PRESETS)


def test_pretrain_freezes_the_encoder_only_when_it_starts_from_weights() -> None:
    from trainer.cli import build_parser
    from trainer.fit_settings import stage_options
    from trainer.objectives import objective_for

    base = ["pretrain", "--arch", "diffforensics-compact", "--data", "d", "--out", "o"]
    p = build_parser()
    auto = stage_options(p.parse_args(base), "pretrain")
    assert auto == {"freeze_encoder": False}
    weights = p.parse_args([*base, "--model-config", "encoder_weights=/x/mit_b0.pth"])
    assert stage_options(weights, "pretrain") == {"freeze_encoder": True}
    forced = p.parse_args([*base, "--encoder", "frozen"])
    assert objective_for(
        "diffforensics-compact", "pretrain", **stage_options(forced, "pretrain")
    ).freeze_encoder
    assert stage_options(p.parse_args(["fit", *base[1:]]), "fit") == {}


def test_a_resume_with_other_settings_is_refused_and_the_first_command_is_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another seed makes another split (images trained on would be validated on), another
    batch size miscounts the saved place in the epoch, other data mixes two data sets: a
    resume must run with the settings the run started with (more epochs are allowed)."""
    data = make_folder(tmp_path / "d", 4, 2, seed=0)
    out = tmp_path / "run"
    config = ["--model-config", "channels=8,16,32", "--window", "32", "--threads", "1"]
    first = _fit(data, out, *config, "--epochs", "1", "--max-steps", "2", "--no-val")
    assert _run(capsys, first)[0] == 0
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["settings"]["seed"] == 0 and record["settings"]["data"][0]["path"] == str(
        data.resolve()
    )
    for change, named in (
        (["--seed", "5"], "seed"),
        (["--batch-size", "3"], "batch_size"),
        (["--lr", "1e-2"], "lr"),
    ):
        code, _, err = _run(capsys, [*first, "--resume", *change])
        assert code == 2, err
        line = _one_error_line(err)
        assert f"--resume with other {named} than the run was started with" in line
    other = make_folder(tmp_path / "d2", 4, 2, seed=1)
    code, _, err = _run(capsys, [*_fit(other, out, *config, "--epochs", "1", "--max-steps", "2",
                                        "--no-val"), "--resume"])  # fmt: skip
    line = _one_error_line(err)  # the data in words, not as a Python repr
    assert code == 2 and f"other data than the run was started with (data {data.resolve()})" in line
    # the same settings, more epochs: resumed; run.json keeps the first command
    again = [*first[: first.index("--epochs")], "--epochs", "2", "--max-steps", "3", "--no-val"]
    assert _run(capsys, [*again, "--resume"])[0] == 0
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert "--max-steps 2" in record["command"] and "--resume" not in record["command"]
    assert len(record["resumed_with"]) == 1 and "--resume" in record["resumed_with"][0]["command"]
    assert record["resumed_with"][0]["step"] == 2  # where the resume took the run up


def test_a_warm_up_longer_than_the_run_is_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the default 100 warm-up steps a short fine-tune never reaches its learning rate."""
    data = make_folder(tmp_path / "d", 4, 2, seed=0)
    config = ["--model-config", "channels=8,16,32", "--window", "32", "--threads", "1"]
    short = ["--epochs", "1", "--max-steps", "1", "--no-val", "--quiet"]
    code, _, err = _run(capsys, _fit(data, tmp_path / "a", *config, *short))
    assert code == 0 and "--warmup 100 is longer than the run" not in err  # --quiet: nothing
    code, _, err = _run(capsys, _fit(data, tmp_path / "b", *config, *short[:-1]))
    assert code == 0 and "warning: --warmup 100 is longer than the run (" in err
    # the count said is the planned one (the model's review says the steps done): estimated
    # from the first epoch when the epochs end the run
    code, _, err = _run(capsys, _fit(data, tmp_path / "f", *config, "--epochs", "1", "--no-val"))
    assert code == 0 and "steps planned, estimated from the first epoch):" in err
    code, _, err = _run(capsys, _fit(data, tmp_path / "c", *config, *short[:-1], "--warmup", "1"))
    assert code == 0 and "--warmup" not in err
    # a long schedule ended early by --max-steps: the run is its 1 step, not the schedule
    long = ["--epochs", "500", "--max-steps", "1", "--no-val"]
    code, _, err = _run(capsys, _fit(data, tmp_path / "e", *config, *long))
    assert code == 0 and "warning: --warmup 100 is longer than the run (1 steps planned)" in err


@pytest.mark.parametrize("name", ["missing.safetensors", "corrupt.safetensors", "weights.pth"])
def test_a_bad_init_is_refused_before_the_out_folder_is_made(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """A refused --init (no such file, not a checkpoint, not .safetensors) left an empty --out
    folder behind, which then looked like a run to the next command."""
    data = make_folder(tmp_path / "d", 3, 1, seed=0, size=48)
    init = tmp_path / name
    if name != "missing.safetensors":
        init.write_bytes(b"not a checkpoint at all")
    out = tmp_path / "run"
    code, _, err = _run(capsys, _fit(data, out, "--init", str(init), "--window", "32"))
    assert code == 2 and str(init) in _one_error_line(err)
    assert not out.exists()


def test_init_builds_the_checkpoints_network_and_keeps_its_decision_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """fit --init built the architecture's defaults and copied only the tensors that fit them
    (a tiny crfd-net-compact left most of the default network untrained, silently); the new
    checkpoint fell back to the trainer's 'max' over full-size windows (false alarms that grow
    with image size) and lost a face model's scope."""
    from engine.checkpoints import read_meta

    data = make_folder(tmp_path / "d", 3, 1, seed=0, size=48)
    init = tiny_checkpoint(tmp_path / "tiny.safetensors")
    meta = read_meta(init)
    assert meta.decision.rule == "forged_fraction"
    model, _ = build_model("crfd-net-compact", dict(TINY), seed=0)
    meta.decision.aggregate, meta.decision.detect_side, meta.scope = "mean", 512, "faces"
    meta.decision.threshold = 0.37  # θ belongs to the old weights: not kept
    meta.decision.pixel_threshold = 0.3  # the mask its weights were tuned for: kept (was 0.5)
    save_checkpoint(init, model, meta)
    out = tmp_path / "run"
    args = ["--init", str(init), "--window", "32", "--threads", "1", "--quiet"]
    code, _, err = _run(capsys, [*_fit(data, out, *args), "--max-steps", "1", "--no-val"])
    assert code == 0, err
    fine = read_meta(out / "last.safetensors")
    assert fine.config["channels"] == [8, 16, 32]  # without --model-config
    assert fine.training["init_tensors"]["left_initialised"] == 0
    assert (fine.decision.aggregate, fine.decision.detect_side) == ("mean", 512)
    assert fine.scope == "faces" and fine.decision.threshold != 0.37
    assert fine.decision.pixel_threshold == 0.3


def test_init_without_window_keeps_the_checkpoints_window_and_stride(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--window defaulted to 128 whatever --init was: the bundled diffforensics-effl0 (256-pixel
    windows) fine-tuned on the command line became a 128-pixel model without a word, and its
    stride became window/2 (the dialog proposes the checkpoint's window)."""
    from engine.checkpoints import read_meta
    from trainer.fit_settings import window_and_stride

    data = make_folder(tmp_path / "d", 3, 1, seed=0, size=48)
    init = tiny_checkpoint(tmp_path / "tiny.safetensors")
    meta = read_meta(init)
    meta.input_policy.window, meta.input_policy.stride = 40, 12
    model, _ = build_model("crfd-net-compact", dict(TINY), seed=0)
    save_checkpoint(init, model, meta)
    out = tmp_path / "run"
    args = ["--init", str(init), "--threads", "1", "--quiet", "--max-steps", "1", "--no-val"]
    code, _, err = _run(capsys, _fit(data, out, *args))
    assert code == 0, err
    policy = read_meta(out / "last.safetensors").input_policy
    assert (policy.window, policy.stride) == (40, 12)
    # a window of the user's own: the checkpoint's stride belongs to its window, not this one
    assert window_and_stride(32, None, meta) == (32, 16)
    assert window_and_stride(None, 20, meta) == (40, 20)
    assert window_and_stride(None, None, None) == (128, 64)


def test_a_face_model_fine_tuned_with_validation_stays_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Validation ran the network through the Analyzer as a whole-image model, which refuses
    one of scope "faces": fit --init of a face model crashed at its first validation."""
    from engine.checkpoints import read_meta

    data = make_folder(tmp_path / "d", 4, 4, seed=0, size=48)
    init = tiny_checkpoint(tmp_path / "tiny.safetensors")
    meta = read_meta(init)
    meta.scope = "faces"
    model, _ = build_model("crfd-net-compact", dict(TINY), seed=0)
    save_checkpoint(init, model, meta)
    out = tmp_path / "run"
    args = ["--init", str(init), "--window", "32", "--threads", "1", "--quiet"]
    code, _, err = _run(
        capsys, [*_fit(data, out, *args), "--max-steps", "1", "--val-fraction", "0.5"]
    )
    assert code == 0, err
    fine = read_meta(out / "last.safetensors")
    assert fine.scope == "faces" and "val_pixel_f1" in fine.metrics


def test_init_of_another_architecture_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An --init of another architecture was accepted when any tensor fitted, leaving the rest
    of the network as initialised."""
    data = make_folder(tmp_path / "d", 3, 1, seed=0, size=48)
    init = tiny_checkpoint(tmp_path / "tiny.safetensors")
    argv = ["fit", "--arch", "diffforensics-effl0", "--data", str(data), "--out"]
    code, _, err = _run(capsys, [*argv, str(tmp_path / "run"), "--init", str(init)])
    line = _one_error_line(err)
    assert code == 2 and "--init is a crfd-net-compact checkpoint" in line and str(init) in line
    assert not (tmp_path / "run").exists()


def _stopped_fit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stop: type[BaseException]
) -> tuple[int, Path]:
    """``fit`` stopped at its second step as a signal stops it (``stop`` raised where the
    SIGTERM handler or Ctrl-C raises it)."""
    from trainer import loops

    real = loops.lr_at

    def lr_at(step: int, total: int, cfg: loops.FitConfig) -> float:
        if step == 1:
            raise stop()
        return real(step, total, cfg)

    monkeypatch.setattr(loops, "lr_at", lr_at)
    data = make_folder(tmp_path / "d", 4, 2, seed=0, size=48)
    out = tmp_path / "run"
    argv = ["--model-config", "channels=8,16,32", "--window", "32", "--threads", "1", "--no-val"]
    return cli.main(_fit(data, out, *argv, "--epochs", "3", "--quiet")), out


def test_sigterm_exits_143_and_ctrl_c_130_both_with_a_resume_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.ending import Terminated
    from trainer.plan import RESUME_NAME

    code, out = _stopped_fit(tmp_path / "term", monkeypatch, Terminated)
    assert code == 143 and (out / RESUME_NAME).is_file()
    code, out = _stopped_fit(tmp_path / "int", monkeypatch, KeyboardInterrupt)
    assert code == 130 and (out / RESUME_NAME).is_file()


TINY_FIT = ["--model-config", "channels=8,16,32", "--window", "32", "--threads", "1", "--quiet"]


def _truncated(path: Path) -> None:
    """Cut ``path`` (a PNG) in half: its header reads, its pixels do not decode."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _fails_at_step(monkeypatch: pytest.MonkeyPatch, failing: int) -> None:
    """The loss becomes NaN at optimiser step ``failing`` (as FloatingPointError says it)."""
    from trainer import loops

    real = loops.lr_at

    def lr_at(step: int, total: int, cfg: loops.FitConfig) -> float:
        if step == failing:
            raise FloatingPointError(f"loss became nan at step {step}; lower --lr")
        return real(step, total, cfg)

    monkeypatch.setattr(loops, "lr_at", lr_at)


def test_data_that_fails_to_decode_leaves_no_out_folder_and_names_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every training image damaged (found only by decoding, after --out was made): the run
    left an empty --out behind (and the error named the data folder, not a file)."""
    data = make_folder(tmp_path / "d", 3, 0, seed=0, size=48)
    for image in (data / "Tp").iterdir():
        _truncated(image)
    out = tmp_path / "new" / "deeper" / "run"
    code, _, err = _run(capsys, _fit(data, out, *TINY_FIT))
    line = _one_error_line(err)
    assert code == 2 and "damaged PNG data" in line and "training images could be decoded" in line
    assert line.split("error: ", 1)[1].startswith(str(data / "Tp"))  # the file comes first
    assert not (tmp_path / "new").exists()  # every folder fit made is gone
    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / "notes.txt").write_text("mine")
    code, _, err = _run(capsys, _fit(data, kept, *TINY_FIT))
    assert code == 2 and "damaged PNG data" in _one_error_line(err)
    assert sorted(p.name for p in kept.iterdir()) == ["notes.txt"]  # as it was


def test_a_sigterm_while_decoding_leaves_no_out_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The training dialog's Stop (SIGTERM) while the images were being decoded ended the
    process by the default handler: no message, and the --out it had made stayed behind."""
    import trainer.commands as commands

    real = commands.load_items

    def terminated_while_decoding(*args: object, **kwargs: object) -> object:
        os.kill(os.getpid(), signal.SIGTERM)  # handled at the next bytecode, inside decoding
        return real(*args, **kwargs)

    monkeypatch.setattr(commands, "load_items", terminated_while_decoding)
    data = make_folder(tmp_path / "d", 3, 1, seed=0, size=48)
    out = tmp_path / "new" / "run"
    code, _, err = _run(capsys, _fit(data, out, *TINY_FIT))
    line = _one_error_line(err)
    assert code == 143 and "SIGTERM" in line and "nothing to resume" in line
    assert not (tmp_path / "new").exists()
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler put back


@pytest.mark.parametrize("where", ["done-event", "summary"])
def test_a_sigterm_once_the_run_has_finished_says_so_and_where_its_checkpoint_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """SIGTERM just after training returned (fit's "done" event, or the summary of skipped
    images after it): past the loop's handler it met the set-up's, which said "before the first
    checkpoint: nothing to resume" next to a finished run and its checkpoint."""
    from trainer.data.records import SkipLog
    from trainer.plan import LAST_CHECKPOINT
    from trainer.progress import Reporter

    if where == "done-event":
        event = Reporter.event

        def terminated_when_done(self: Reporter, name: str, **fields: object) -> None:
            if name == "done":
                os.kill(os.getpid(), signal.SIGTERM)  # handled at the next bytecode
            event(self, name, **fields)

        monkeypatch.setattr(Reporter, "event", terminated_when_done)
    else:
        finish = SkipLog.print_summary

        def terminated_in_the_summary(self: SkipLog) -> None:
            os.kill(os.getpid(), signal.SIGTERM)
            finish(self)

        monkeypatch.setattr(SkipLog, "print_summary", terminated_in_the_summary)
    line, out = _fit_terminated_once_finished(tmp_path, capsys)
    assert "nothing to resume" not in line, line
    assert (out / LAST_CHECKPOINT).is_file()


def _fit_terminated_once_finished(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[str, Path]:
    """A one-epoch fit that a SIGTERM (sent by the test's patch) stops once the run has
    finished: its one error line, which names the finished run's checkpoint, and its --out."""
    from trainer.plan import LAST_CHECKPOINT

    data = make_folder(tmp_path / "d", 3, 1, seed=0, size=48)
    out = tmp_path / "run"
    code, _, err = _run(capsys, _fit(data, out, *TINY_FIT, "--epochs", "1", "--no-val"))
    line = _one_error_line(err)
    assert code == 143 and "SIGTERM" in line, line
    assert f"once the run had finished: its checkpoint is {out / LAST_CHECKPOINT}" in line
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler put back
    return line, out


def test_a_sigterm_once_fit_has_returned_says_the_run_finished_not_resume(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM once ``run_fit`` had returned (the run finished, its checkpoint written, its
    handler gone): the set-up's handler past it said "holds the run's last checkpoint:
    continue with --resume" of a run that had nothing left to resume (its resume file stays,
    so a later --resume may extend it). The signal is sent at that very point."""
    import trainer.commands as commands

    real = commands.run_fit

    def terminated_once_returned(args: object, stage: str, command: str) -> int:
        status = real(args, stage, command)
        assert status == 0  # the run finished
        os.kill(os.getpid(), signal.SIGTERM)  # handled at the next bytecode, in _cmd_fit
        return status

    monkeypatch.setattr(commands, "run_fit", terminated_once_returned)
    line, _ = _fit_terminated_once_finished(tmp_path, capsys)
    assert "--resume" not in line, line


def test_a_sigterm_before_a_resumed_runs_loop_says_the_run_can_still_be_resumed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--resume`` stopped while its data were decoded: the line said "nothing to resume",
    yet the stopped run's checkpoint and resume file were in --out, untouched."""
    import trainer.commands as commands
    from engine.ending import Terminated
    from trainer.plan import RESUME_NAME

    code, out = _stopped_fit(tmp_path, monkeypatch, Terminated)
    assert code == 143 and (out / RESUME_NAME).is_file()
    monkeypatch.undo()
    capsys.readouterr()
    real = commands.load_items

    def terminated_while_decoding(*args: object, **kwargs: object) -> object:
        os.kill(os.getpid(), signal.SIGTERM)
        return real(*args, **kwargs)

    monkeypatch.setattr(commands, "load_items", terminated_while_decoding)
    argv = ["--model-config", "channels=8,16,32", "--window", "32", "--threads", "1", "--no-val"]
    code, _, err = _run(
        capsys, _fit(tmp_path / "d", out, *argv, "--epochs", "3", "--quiet", "--resume")
    )
    line = _one_error_line(err)
    assert code == 143 and "nothing to resume" not in line, line
    assert f"{out} holds the run's last checkpoint: continue with --resume" in line
    assert (out / RESUME_NAME).is_file()


def test_a_sigterm_while_the_trainer_is_imported_exits_143_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Importing torch and the trainer takes seconds before fit has a SIGTERM handler: the
    dialog's Stop or ``kill`` then ended the process by the default, silently (status -15)."""
    import types

    def past_the_cli(_signum: int, _frame: object) -> None:
        raise AssertionError("SIGTERM reached the handler forensic-train found")

    def importing(name: str) -> object:
        if name != "run_fit":  # e.g. __file__, asked for by a traceback
            raise AttributeError(name)
        os.kill(os.getpid(), signal.SIGTERM)  # handled at the next bytecode, mid-import
        raise AssertionError("trainer.commands imported after SIGTERM")

    loading = types.ModuleType("trainer.commands")
    loading.__getattr__ = importing  # type: ignore[method-assign]
    monkeypatch.setitem(sys.modules, "trainer.commands", loading)
    before = signal.signal(signal.SIGTERM, past_the_cli)
    try:
        code, _, err = _run(capsys, _fit(tmp_path / "d", tmp_path / "run", *TINY_FIT))
        assert signal.getsignal(signal.SIGTERM) is past_the_cli  # the handler put back
    finally:
        signal.signal(signal.SIGTERM, before)
    line = _one_error_line(err)
    assert code == 143 and "SIGTERM" in line and "nothing to resume" in line
    assert not (tmp_path / "run").exists()


def test_a_failure_before_the_first_checkpoint_leaves_out_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A loss that becomes NaN at once left --out with a run.json and nothing to resume; a
    resume failing before its first checkpoint added itself to run.json. After a checkpoint,
    everything stays (the run can be resumed)."""
    data = make_folder(tmp_path / "d", 4, 2, seed=0)
    short = [*TINY_FIT, "--epochs", "1", "--no-val"]
    out = tmp_path / "run"
    _fails_at_step(monkeypatch, 0)
    code, _, err = _run(capsys, _fit(data, out, *short))
    assert code == 1 and "loss became nan" in _one_error_line(err)
    assert not out.exists()
    monkeypatch.undo()
    assert _run(capsys, _fit(data, out, *short, "--max-steps", "1"))[0] == 0
    record, resume = (out / "run.json").read_bytes(), (out / "last.resume.pt").read_bytes()
    files = sorted(p.name for p in out.iterdir())
    _fails_at_step(monkeypatch, 1)
    code, _, err = _run(capsys, [*_fit(data, out, *short, "--max-steps", "3"), "--resume"])
    assert code == 1 and "loss became nan" in _one_error_line(err)
    assert (out / "run.json").read_bytes() == record  # the failed resume is not listed
    assert (out / "last.resume.pt").read_bytes() == resume
    assert sorted(p.name for p in out.iterdir()) == files
    later = tmp_path / "later"
    monkeypatch.undo()
    _fails_at_step(monkeypatch, 2)
    code, _, _ = _run(
        capsys, _fit(data, later, *short, "--checkpoint-steps", "1", "--batch-size", "1")
    )
    assert code == 1 and (later / "last.resume.pt").is_file() and (later / "run.json").is_file()


def test_a_run_that_max_steps_ends_inside_an_epoch_is_reviewed_with_its_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``fit --max-steps`` inside an epoch: its checkpoint had no validation figures, so the
    install review warned "no validation figures" about a validated run."""
    from trainer.review import review_checkpoint

    data = make_folder(tmp_path / "d", 6, 2, seed=0)
    out = tmp_path / "run"
    argv = _fit(data, out, *TINY_FIT, "--epochs", "2", "--batch-size", "1", "--max-steps", "2")
    assert _run(capsys, argv)[0] == 0
    history = [json.loads(line) for line in (out / "history.jsonl").read_text().splitlines()]
    assert len(history) == 1 and history[0]["step"] == 2 and 0 < history[0]["epoch"] < 1
    review = review_checkpoint(out / "last.safetensors")
    assert "val_pixel_f1" in review.figures
    assert not any("no validation figures" in w for w in review.warnings)


def test_the_bar_and_events_count_to_max_steps_not_to_the_schedule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Under --max-steps 2 of a 5-epoch schedule the bar read "epoch 1/5 step 1/N" (N the
    whole schedule) with the schedule's ETA, while the step events said total_steps 2."""
    data = make_folder(tmp_path / "d", 4, 2, seed=0)
    loud = [a for a in TINY_FIT if a != "--quiet"]
    argv = _fit(data, tmp_path / "run", *loud, "--epochs", "5", "--max-steps", "2")
    code, out, err = _run(capsys, [*argv, "--no-val", "--log-every", "1", "--warmup", "0"])
    assert code == 0, err
    steps = [e for e in map(json.loads, out.splitlines()) if e.get("event") == "step"]
    assert [e["step"] for e in steps] == [1, 2] and {e["total_steps"] for e in steps} == {2}
    assert steps[-1]["eta_s"] == 0
    assert "epoch 1/1 step 1/2 " in err, err


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_inside_a_step_finishes_that_step_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signum: int
) -> None:
    """A Stop (SIGTERM) or Ctrl+C arriving after the forward pass of a step was raised there:
    batch-norm statistics had moved on a batch the checkpoint said was never trained on, and
    the resumed run trained on it again. Held until the step is whole, the stopped run's
    weights and count are those of a run of exactly that many steps."""
    import torch

    from trainer import loops
    from trainer.plan import RESUME_NAME

    data = make_folder(tmp_path / "d", 4, 2, seed=0, size=48)
    short = [*TINY_FIT, "--epochs", "3", "--no-val", "--batch-size", "2", "--seed", "5"]
    assert cli.main(_fit(data, tmp_path / "two", *short, "--max-steps", "2")) == 0
    real, calls = loops._mean_over_ranks, {"n": 0}

    def signalled_after_the_forward_pass(loss: torch.Tensor, world: int) -> torch.Tensor:
        calls["n"] += 1
        if calls["n"] == 2:  # the second step, its forward pass done
            os.kill(os.getpid(), signum)
        return real(loss, world)

    monkeypatch.setattr(loops, "_mean_over_ranks", signalled_after_the_forward_pass)
    code = cli.main(_fit(data, tmp_path / "stopped", *short))
    assert code == (143 if signum == signal.SIGTERM else 130)
    stopped = torch.load(tmp_path / "stopped" / RESUME_NAME, weights_only=False)
    two = torch.load(tmp_path / "two" / RESUME_NAME, weights_only=False)
    assert (stopped["step"], stopped["batch"]) == (2, 2)
    for name, tensor in two["model"].items():
        assert torch.equal(stopped["model"][name], tensor), name
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back


def test_eval_on_the_runs_own_training_images_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """eval's default split is all: on the data a run trained on, its table read as a held-out
    result. A line now says the figures include training images, and only when they may."""
    root = make_folder(tmp_path / "d", 6, 3, seed=0, size=48)
    run = tmp_path / "run"
    split = ["--split-by", "seed", "--val-fraction", "0.3", "--seed", "1"]
    tiny = ["--model-config", "channels=8,16,32", "--window", "32", "--epochs", "1"]
    argv = _fit(root, run, *split, *tiny, "--max-steps", "1", "--no-val", "--keep-split")
    assert cli.main([*argv, "--threads", "1"]) == 0
    capsys.readouterr()
    ckpt = str(run / "last.safetensors")
    other = make_folder(tmp_path / "other", 2, 1, seed=3, size=48)

    def note(*extra: str, data: Path = root) -> list[str]:
        code, out, _ = _run(capsys, ["eval", "--model", ckpt, "--data", str(data), *extra])
        assert code == 0
        return [ln for ln in out.splitlines() if ln.startswith("note: ")]

    (line,) = note()
    assert line.startswith(f"note: {root} is data this checkpoint was trained on and --split all")
    assert "these figures include training images (optimistic)" in line
    assert note("--split", "val", *split) == []  # the part the run held out
    (line,) = note("--split", "val", "--split-by", "seed", "--val-fraction", "0.3")
    assert "--split val of another --seed or --val-fraction than the run's" in line
    assert note(data=other) == []


@pytest.mark.parametrize("named", [True, False])
def test_fit_refuses_a_bundled_models_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], named: bool
) -> None:
    """The training dialog refused a bundled name; fit --name crfd-net-compact was accepted,
    and the model, installed, reported its rows under the bundled model's name. Refused in one
    line before any data is read: by --name, or by --out's folder name it would default to."""
    root = make_folder(tmp_path / "d", 3, 1, seed=0)
    out = tmp_path / ("run" if named else "crfd-net-compact")
    extra = ["--name", "crfd-net-compact"] if named else []
    code, _, err = _run(capsys, _fit(root, out, *extra))
    assert code == 2
    line = _one_error_line(err)
    assert "crfd-net-compact is a bundled model's name" in line and "--name" in line
    assert not out.exists()
