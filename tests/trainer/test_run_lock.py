"""One trainer at a time in a run folder (``trainer.run_folder.RunLock``): two trainers in one
``--out`` (two viewer windows resuming one run, the training dialog and a ``forensic-train fit
--resume`` in a shell) overwrote each other's checkpoints. A second one is refused at once, in
one line naming the folder and the holder's PID (exit status 3), and touches nothing there; a
lock left by a killed trainer is taken over by the next run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import HANG_S, make_tiny_checkpoint
from tests.trainer.conftest import make_folder, start_trainer
from tests.trainer.test_face_model import _crops
from trainer import cli
from trainer.plan import LAST_CHECKPOINT, RESUME_NAME
from trainer.progress import EXIT_BUSY
from trainer.run_folder import RUN_LOCK, RUN_RECORD

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}

pytestmark = pytest.mark.usefixtures("seeded_single_thread")

HOLDER = """
import sys
from pathlib import Path
from trainer.run_folder import RunLock
RunLock(Path(sys.argv[1]), command="forensic-train fit").acquire()
print("held", flush=True)
sys.stdin.read()
"""


def _fit(data: Path, out: Path, *extra: str) -> list[str]:
    argv = ["fit", "--arch", "crfd-net-compact", "--data", str(data), "--out", str(out)]
    argv += ["--model-config", "channels=8,16,32", "--window", "32", "--threads", "1"]
    return [*argv, "--no-val", "--warmup", "0", "--checkpoint-minutes", "0", *extra]


def _files(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def _refusal(err: str, out: Path, pid: int, command: str = "fit") -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith(f"forensic-train {command}: error: {out}: another training run"), err
    assert f"PID {pid}" in lines[0] and "forensic-train fit" in lines[0].split(f"PID {pid}")[1]


@pytest.mark.slow
def test_a_second_trainer_is_refused_while_the_first_trains(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = make_folder(tmp_path / "d", 4, 4, seed=0, size=48)
    out = tmp_path / "run"
    argv = _fit(data, out, "--epochs", "100000", "--log-every", "1", "--checkpoint-steps", "2")
    run = start_trainer(argv)
    first = run.proc
    try:
        run.wait_for_checkpoint()  # before the second comes
        # the dialog's Resume, or the same command with --resume in a shell
        code = cli.main([*argv, "--resume", "--max-steps", "1"])
        _, err = capsys.readouterr()
        assert code == EXIT_BUSY, err
        _refusal(err, out, first.pid)
        assert first.poll() is None  # the first trains on
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=HANG_S)
    assert first.returncode == 143, "".join(run.errs)[
        -3000:
    ]  # stopped with its checkpoint, as always
    assert (out / RESUME_NAME).is_file() and (out / LAST_CHECKPOINT).is_file()


def test_a_held_lock_refuses_a_resume_that_touches_nothing_and_a_killed_holders_is_taken_over(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = make_folder(tmp_path / "d", 4, 4, seed=0, size=48)
    out = tmp_path / "run"
    assert cli.main(_fit(data, out, "--epochs", "1", "--max-steps", "2")) == 0
    capsys.readouterr()
    resume = _fit(data, out, "--epochs", "2", "--max-steps", "4", "--resume")
    with held_run_folder(out) as pid:
        before = _files(out)
        assert cli.main(resume) == EXIT_BUSY
        _refusal(capsys.readouterr().err, out, pid)
        assert _files(out) == before  # not a byte, not a time stamp of the run changed
    assert str(pid) in (out / RUN_LOCK).read_text()  # killed: its lock file stays, its PID in it
    assert cli.main(resume) == 0, capsys.readouterr().err  # the dead holder blocks nothing
    assert '"step": 4' in capsys.readouterr().out
    assert (out / RUN_LOCK).read_text() == ""  # released at the run's end


def test_a_refused_fit_leaves_no_folder_and_no_lock_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The lock makes ``--out`` before anything is checked; a run refused (here: nothing to
    resume) puts it back, the lock file with it, as before there was a lock."""
    out = tmp_path / "new" / "run"
    code = cli.main(_fit(tmp_path / "d", out, "--resume"))
    assert code == 2 and "nothing to resume" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()
    kept = tmp_path / "kept"
    kept.mkdir()
    assert cli.main(_fit(tmp_path / "d", kept, "--resume")) == 2
    assert list(kept.iterdir()) == []


@contextmanager
def held_run_folder(out: Path) -> Iterator[int]:
    """``out``'s run lock held by another process (a trainer, as far as the lock says) inside;
    yields its PID. The process is killed at the end: its lock goes with it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(out)],
        cwd=ROOT,
        env=ENV,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield holder.pid
    finally:
        holder.kill()
        holder.wait()


def _run_folder(out: Path) -> Path:
    """A run folder as ``fit`` leaves it, as far as calibrate and face-model care: its
    ``run.json`` and a checkpoint (``last.safetensors``)."""
    out.mkdir(parents=True)
    (out / RUN_RECORD).write_text("{}", encoding="utf-8")
    return make_tiny_checkpoint(out / LAST_CHECKPOINT)


def test_calibrate_is_refused_while_a_trainer_holds_the_run_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The dialog's calibrate writes ``RUN/calibrated.safetensors`` from the run's checkpoint:
    with a ``fit --resume`` from a shell training there, it would describe weights that the
    trainer replaces. It is refused (exit 3, one line naming the holder) and writes nothing;
    once the trainer has ended it calibrates, and takes no lock of a folder that is no run's."""
    data = make_folder(tmp_path / "d", 12, 12, seed=5, size=48)  # θ needs 5 images a side
    out = tmp_path / "run"
    model = _run_folder(out)
    argv = ["calibrate", "--model", str(model), "--data", str(data), "--split-by", "seed",
            "--val-fraction", "0.5", "--pixel-threshold", "keep"]  # fmt: skip
    calibrated = out / "calibrated.safetensors"
    with held_run_folder(out) as pid:
        before = _files(out)
        assert cli.main([*argv, "--out", str(calibrated)]) == EXIT_BUSY
        _refusal(capsys.readouterr().err, out, pid, "calibrate")
        assert _files(out) == before
    assert cli.main([*argv, "--out", str(calibrated)]) == 0, capsys.readouterr().err
    assert calibrated.is_file() and (out / RUN_LOCK).read_text() == ""  # held, then released
    other = tmp_path / "models"  # no run.json: not a run folder, nothing of a lock there
    other.mkdir()
    assert cli.main([*argv, "--out", str(other / "c.safetensors")]) == 0
    assert sorted(p.name for p in other.iterdir()) == ["c.safetensors"]


def test_face_model_is_refused_while_a_trainer_holds_the_run_folder_it_writes_into(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """face-model, the dialog's step after fine-tuning a face model, locks the run folder of
    its ``--out`` as calibrate does (here ``--model`` is outside it)."""
    model = make_tiny_checkpoint(tmp_path / "tiny.safetensors")
    out = tmp_path / "run"
    _run_folder(out)
    argv = [
        "face-model", "--model", str(model), "--val", str(_crops(tmp_path / "val", 0)),
        "--test", str(_crops(tmp_path / "test", 1)), "--out", str(out / "calibrated.safetensors"),
        "--json", str(out / "face-model.json"), "--device", "cpu",
    ]  # fmt: skip
    with held_run_folder(out) as pid:
        before = _files(out)
        assert cli.main(argv) == EXIT_BUSY
        _refusal(capsys.readouterr().err, out, pid, "face-model")
        assert _files(out) == before
    assert cli.main(argv) == 0, capsys.readouterr().err
    assert (out / "calibrated.safetensors").is_file()


@pytest.mark.parametrize("command", ["average", "ensemble", "verdict", "features"])
def test_commands_writing_into_a_held_run_folder_are_refused(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The commands that write a model, an ensemble, a verdict report (and the checkpoints of
    ``--models``) or a features file lock the run folder they write into as calibrate does:
    refused (exit 3, one line naming the holder), nothing written there or beside it; with no
    trainer there, average writes into it."""
    out = tmp_path / "run"
    model = _run_folder(out)
    other = make_tiny_checkpoint(tmp_path / "other.safetensors")
    data = make_folder(tmp_path / "d", 2, 2, seed=1, size=48)
    features = tmp_path / "features.jsonl"
    features.write_text("", encoding="utf-8")
    argv = {
        "average": [str(model), str(other), "--out", str(out / "soup.safetensors")],
        "ensemble": [
            "--model",
            str(model),
            "--model",
            str(other),
            "--data",
            str(data),
            "--out",
            str(out / "run.ensemble.json"),
        ],
        "verdict": [
            "--features",
            str(features),
            "--models",
            str(out),
            "--json",
            str(tmp_path / "report.json"),
        ],
        "features": ["--photos", str(data), "--out", str(out / "features.jsonl")],
    }[command]
    with held_run_folder(out) as pid:
        before = _files(out), sorted(p.name for p in tmp_path.iterdir())
        assert cli.main([command, *argv]) == EXIT_BUSY
        _refusal(capsys.readouterr().err, out, pid, command)
        assert (_files(out), sorted(p.name for p in tmp_path.iterdir())) == before
    if command == "average":
        assert cli.main([command, *argv]) == 0, capsys.readouterr().err
        assert (out / "soup.safetensors").is_file() and (out / RUN_LOCK).read_text() == ""


@pytest.mark.parametrize("command", ["eval", "calibrate", "face-model"])
def test_a_json_written_into_a_held_run_folder_is_refused(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``eval``, ``calibrate`` and ``face-model`` wrote their JSON file (eval's beside the
    checkpoint by default: in the run folder when the checkpoint is one's) without the run
    folder's lock the commands writing a model or an ensemble there take. Refused while a
    trainer holds the folder (exit 3, one line naming the holder), nothing written there;
    once it has ended, written, the lock file the command made removed again."""
    run = tmp_path / "run"
    in_run = _run_folder(run)
    elsewhere = make_tiny_checkpoint(tmp_path / "tiny.safetensors")
    data = make_folder(tmp_path / "d", 12, 12, seed=5, size=48)  # calibrate: 5 a side
    written = run / f"{command}.json"
    argv = {  # each command's JSON in the run folder, the rest of what it writes outside
        "eval": ["--model", str(in_run), "--data", str(data), "--limit", "2"],  # default --json
        "calibrate": [
            "--model", str(elsewhere), "--data", str(data), "--split-by", "seed",
            "--val-fraction", "0.5", "--pixel-threshold", "keep",
            "--out", str(tmp_path / "calibrated.safetensors"), "--json", str(written),
        ],
        "face-model": [
            "--model", str(elsewhere), "--val", str(_crops(tmp_path / "val", 0)),
            "--json", str(written), "--device", "cpu",
        ],
    }[command]  # fmt: skip
    if command == "eval":
        written = run / f"{in_run.stem}.eval-d-all.json"
    with held_run_folder(run) as pid:
        before = _files(run), sorted(p.name for p in tmp_path.iterdir())
        assert cli.main([command, *argv]) == EXIT_BUSY
        _refusal(capsys.readouterr().err, run, pid, command)
        assert (_files(run), sorted(p.name for p in tmp_path.iterdir())) == before
    (run / RUN_LOCK).unlink()  # the holder's, left by its kill: so that this one makes its own
    assert cli.main([command, *argv]) == 0, capsys.readouterr().err
    assert written.is_file() and not (run / RUN_LOCK).exists()
