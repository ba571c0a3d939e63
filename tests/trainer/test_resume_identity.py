"""A ``--resume`` continues the run it names, or is refused in one line (walk-through W5,
2026-12-06): a run folder removed under its trainer is not made anew; a resume file without
its ``run.json`` is refused; other data content, or another clip_grad, stride, masks rule or
amp, is refused; a resume of a finished run rewrites nothing; the header says how the run was
resumed."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from engine.checkpoints import read_meta
from tests.conftest import HANG_S
from tests.trainer.conftest import make_folder, save_mask, start_trainer
from trainer import cli
from trainer.plan import LAST_CHECKPOINT, RESUME_NAME
from trainer.run_folder import RUN_LOCK, RUN_RECORD, ensure_run_folder, holding_run_folder

pytestmark = pytest.mark.usefixtures("seeded_single_thread")


def _fit(data: Path, out: Path, *extra: str) -> list[str]:
    argv = ["fit", "--arch", "crfd-net-compact", "--data", str(data), "--out", str(out)]
    argv += ["--model-config", "channels=8,16,32", "--window", "32", "--threads", "1"]
    return [*argv, "--warmup", "0", "--checkpoint-minutes", "0", "--epochs", "5", *extra]


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _files(folder: Path) -> dict[str, tuple[bytes, int]]:
    """The run's files, but the lock (taken and released by each command) as they are."""
    return {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns)
        for p in folder.iterdir()
        if p.name != RUN_LOCK
    }


def _error_line(err: str) -> str:
    lines = [ln for ln in err.strip().splitlines() if ln]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.slow
def test_a_run_folder_removed_under_its_trainer_stops_it_and_is_not_made_again(
    tmp_path: Path,
) -> None:
    data = make_folder(tmp_path / "d", 4, 4, seed=0, size=48)
    out = tmp_path / "run"
    argv = _fit(data, out, "--no-val", "--log-every", "1", "--checkpoint-steps", "2")
    argv[argv.index("--epochs") + 1] = "100000"
    run = start_trainer(argv)
    trainer = run.proc
    try:
        deadline = time.monotonic() + HANG_S
        run.wait_for_checkpoint()
        os.kill(trainer.pid, signal.SIGSTOP)  # no file of it written while the folder goes
        try:
            shutil.rmtree(out)
        finally:
            os.kill(trainer.pid, signal.SIGCONT)
        while trainer.poll() is None:  # it stops at its next checkpoint
            assert not (out / LAST_CHECKPOINT).exists(), "the folder was made again"
            assert time.monotonic() < deadline, "the trainer went on"
            time.sleep(0.05)
        trainer.wait(timeout=HANG_S)  # its output read to the end
    finally:
        if trainer.poll() is None:
            trainer.kill()
            trainer.wait()
    err = "".join(run.errs)
    assert trainer.returncode == 1, err
    errors = [ln for ln in err.splitlines() if "error:" in ln]
    assert len(errors) == 1 and "Traceback" not in err, err
    line = errors[0]
    # said by the check before a write, or by the write it came in the middle of (a stop
    # between the check and the file's creation): either way naming the folder
    assert line.startswith(f"forensic-train fit: error: {out}"), line
    assert "the run folder was removed" in line or "No such file" in line, line
    assert not out.exists()  # no checkpoint without its lock and run.json


def test_a_folder_held_here_and_replaced_is_refused_and_one_held_nowhere_is_made(
    tmp_path: Path,
) -> None:
    out = tmp_path / "run"
    with pytest.raises(OSError, match="removed or replaced"), holding_run_folder(out, "test"):
        ensure_run_folder(out)  # held and there: fine
        shutil.rmtree(out)
        out.mkdir()  # another run's folder of that name: not the one held
        (out / RUN_RECORD).write_text("{}", encoding="utf-8")
        (out / RUN_LOCK).write_text("", encoding="utf-8")
        ensure_run_folder(out)
    # the failed run put nothing back there and removed nothing of the other's
    assert sorted(p.name for p in out.iterdir()) == sorted([RUN_LOCK, RUN_RECORD])
    free = tmp_path / "a" / "b"
    ensure_run_folder(free)  # the loop run by a program holding no lock
    assert free.is_dir()


def test_a_resume_file_without_its_run_record_is_refused_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = make_folder(tmp_path / "d", 4, 2, seed=0)
    out = tmp_path / "run"
    first = _fit(data, out, "--max-steps", "2")
    assert _run(capsys, first)[0] == 0
    (out / RUN_RECORD).unlink()
    code, _, err = _run(capsys, [*_fit(data, out, "--max-steps", "3"), "--resume"])
    assert code == 2
    line = _error_line(err)
    assert line.startswith(f"forensic-train fit: error: {out / RUN_RECORD}: missing beside"), line
    assert not (out / RUN_RECORD).exists()


def test_a_resume_with_other_data_content_is_refused_and_a_good_one_is_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = make_folder(tmp_path / "d", 4, 2, seed=0)
    out = tmp_path / "run"
    first = _fit(data, out, "--max-steps", "2")
    assert _run(capsys, first)[0] == 0
    record = json.loads((out / RUN_RECORD).read_text(encoding="utf-8"))
    before = record["settings"]["data_digest"][str(data.resolve())]
    assert before == read_meta(out / LAST_CHECKPOINT).training["data"][0]["sha256"]
    assert record["settings"]["versions"]["torch"]

    mask = data / "Gt" / "t000.png"
    kept = mask.read_bytes()
    save_mask(mask, np.zeros((64, 64), bool) | (np.arange(64) < 9)[:, None])  # redrawn
    code, _, err = _run(capsys, [*_fit(data, out, "--max-steps", "3"), "--resume"])
    assert code == 2
    line = _error_line(err)
    assert line.startswith(f"forensic-train fit: error: {data.resolve()}: --resume of {out}"), line
    assert before in line and "now)" in line and line.count(" ") < 80

    mask.write_bytes(kept)  # the data as they were: resumed, and recorded as resumed
    record["settings"]["versions"]["torch"] = "0.0-then"
    (out / RUN_RECORD).write_text(json.dumps(record), encoding="utf-8")
    code, said, err = _run(capsys, [*_fit(data, out, "--max-steps", "3"), "--resume"])
    assert code == 0, err
    assert "torch 0.0-then -> " in said + err  # warned, not refused
    training = read_meta(out / LAST_CHECKPOINT).training
    assert training["command"] == record["command"]  # the command the run started with
    (resume,) = training["resumed_with"]
    assert resume["step"] == 2 and "--resume" in resume["command"]
    assert resume["versions"]["torch"] != "0.0-then"
    kept_record = json.loads((out / RUN_RECORD).read_text(encoding="utf-8"))
    assert kept_record["settings"]["versions"]["torch"] == "0.0-then"  # as the run started


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (["--clip-grad", "0"], "clip_grad"),
        (["--stride", "24"], "stride"),
        (["--masks-as-given"], "masks_as_given"),
    ],
)
def test_a_resume_that_would_rewrite_the_runs_settings_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: list[str], named: str
) -> None:
    data = make_folder(tmp_path / "d", 4, 2, seed=0)
    out = tmp_path / "run"
    first = _fit(data, out, "--max-steps", "2", "--no-val")
    assert _run(capsys, first)[0] == 0
    code, _, err = _run(capsys, [*first, "--resume", *change])
    assert code == 2
    assert f"--resume with other {named} than the run was started with" in _error_line(err)


def test_a_resume_of_a_finished_run_rewrites_none_of_its_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = make_folder(tmp_path / "d", 4, 2, seed=0)
    out = tmp_path / "run"
    first = _fit(data, out, "--max-steps", "2")
    assert _run(capsys, first)[0] == 0
    files = _files(out)
    code, said, err = _run(capsys, [*first, "--resume"])
    assert code == 0, err
    assert "the run finished at step 2; nothing to resume" in said + err
    assert _files(out) == files
    assert (out / RESUME_NAME).is_file()


def test_a_checkpoint_write_after_the_folder_check_does_not_make_a_removed_folder_again(
    tmp_path: Path,
) -> None:
    """The race CI met (2026-12-06): the trainer stopped between ``ensure_run_folder``'s check
    and the checkpoint's temporary file, the folder went, and the write made it anew (the
    atomic writer made missing folders) with a checkpoint without lock or run.json."""
    from trainer.loops import write_together

    out = tmp_path / "run"  # checked a moment ago, removed since
    with pytest.raises(OSError) as caught:
        write_together(out, (LAST_CHECKPOINT,), b"weights", b"state")
    assert str(caught.value.filename).startswith(str(out)), caught.value
    assert caught.value.errno == errno.ENOENT
    assert not out.exists()
