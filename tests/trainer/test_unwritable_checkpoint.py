"""A checkpoint that cannot be written (a full disk, a read-only one) ends ``fit`` or
``calibrate`` with one line naming the file, as the training dialog shows it; it was a traceback
ending in ``SafetensorError: Error while serializing: I/O error: No space left on device``."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import HANG_S
from tests.trainer.conftest import make_folder

ROOT = Path(__file__).resolve().parents[2]
TINY_FIT = ["--model-config", "channels=8,16,32", "--window", "32", "--threads", "1", "--quiet"]
FILE_LIMIT = 64 * 1024  # bytes a file may grow to: the run's small files fit, a checkpoint not


def _fit_with_file_limit(data: Path, out: Path, limit: int) -> subprocess.CompletedProcess:
    argv = ["fit", "--arch", "crfd-net-compact", "--data", str(data), "--out", str(out)]
    return _with_file_limit([*argv, *TINY_FIT, "--epochs", "1", "--no-val"], limit)


def _with_file_limit(argv: list[str], limit: int) -> subprocess.CompletedProcess:
    """``forensic-train ARGV`` in a child whose files stop at ``limit`` bytes: a write beyond
    fails with EFBIG, as one on a full disk fails with ENOSPC (the signal that would end the
    process ignored)."""

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "trainer.cli", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_S,
        preexec_fn=limited,
    )


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="no file size limit here")
@pytest.mark.slow
def test_a_checkpoint_that_cannot_be_written_is_one_line_naming_it(tmp_path: Path) -> None:
    data = make_folder(tmp_path / "d", 4, 2, seed=0)
    out = tmp_path / "run"
    done = _fit_with_file_limit(data, out, FILE_LIMIT)
    lines = [ln for ln in done.stderr.strip().splitlines() if ln]
    assert done.returncode == 1 and len(lines) == 1, done.stderr
    assert lines[0] == f"forensic-train fit: error: {out / 'last.safetensors'}: File too large"
    assert not out.exists()  # nothing was checkpointed: --out is left as it was


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="no file size limit here")
@pytest.mark.slow
def test_a_resume_file_that_cannot_be_written_is_one_line_naming_it(tmp_path: Path) -> None:
    """The checkpoints fit and the resume file (weights and optimiser state, about three times
    their size) does not: torch's writer said "[enforce fail at inline_container.cc:672] .
    unexpected pos ...", in a traceback."""
    data = make_folder(tmp_path / "d", 4, 2, seed=0)
    out = tmp_path / "run"
    done = _fit_with_file_limit(data, out, 400 * 1024)
    lines = [ln for ln in done.stderr.strip().splitlines() if ln]
    assert done.returncode == 1 and len(lines) == 1, done.stderr
    assert lines[0] == f"forensic-train fit: error: {out / 'last.resume.pt'}: File too large"
    # the checkpoint and its resume file are written together: neither was, --out is as it was
    assert not out.exists()


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="no file size limit here")
@pytest.mark.slow
def test_a_kill_during_a_checkpoint_write_leaves_a_temporary_file_the_next_fit_removes(
    tmp_path: Path,
) -> None:
    """A checkpoint write killed half-way (here by SIGXFSZ, the file size limit's signal left to
    end the process): safetensors' save_file wrote through a temporary file of its own
    (``.tmpXXXXXX``, mode 0600, the size of the checkpoint) that stayed in the run folder for
    good. The only file left is now the checkpoint's own temporary one, which the next ``fit``
    there removes when it takes the folder's lock, as it removes such a ``.tmpXXXXXX`` left
    by an earlier version; the folder's other files are not touched."""
    from engine.files import is_temp_name, temp_target
    from trainer.run_folder import holding_run_folder

    out = tmp_path / "run"
    out.mkdir()
    code = (
        "import resource, signal, sys\n"
        "from engine.checkpoints import save_checkpoint\n"
        "from trainer.setup import base_meta, build_model\n"
        "model, config = build_model('crfd-net-compact', {'channels': (8, 16, 32)}, seed=0)\n"
        "meta = base_meta('crfd-net-compact', config, 32, 16, 'killed')\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_DFL)\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({FILE_LIMIT}, {FILE_LIMIT}))\n"
        "save_checkpoint(sys.argv[1] + '/last.safetensors', model, meta)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", code, str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_S,
    )
    assert done.returncode == -signal.SIGXFSZ, done.stderr
    left = [p.name for p in out.iterdir()]
    assert len(left) == 1 and is_temp_name(left[0]), left
    assert temp_target(out / left[0]).name == "last.safetensors"
    keep = ["notes.txt", ".tmpabc", "report.pdf.~0123abcd.tmp"]  # none a run's temporary file
    for name in [*keep, ".tmpAb3xYz", "last.resume.pt.~0123abcd.tmp"]:
        (out / name).write_bytes(b"x")
    with holding_run_folder(out, "forensic-train fit"):
        assert sorted(p.name for p in out.iterdir()) == sorted([*keep, ".train.lock"])


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="no file size limit here")
@pytest.mark.slow
def test_a_calibrated_file_that_cannot_be_written_is_one_line_naming_it(tmp_path: Path) -> None:
    """calibrate's copy with θ, on a full disk: a traceback ending in safetensors' error, which
    the training dialog showed as why θ was not calibrated."""
    from tests.trainer.test_cli import tiny_checkpoint

    data = make_folder(tmp_path / "d", 12, 12, seed=0, size=48)  # θ needs 5 images a side
    model, out = tiny_checkpoint(tmp_path / "m.safetensors"), tmp_path / "calibrated.safetensors"
    argv = ["calibrate", "--model", str(model), "--data", str(data), "--out", str(out)]
    done = _with_file_limit([*argv, "--val-fraction", "0.5", "--split-by", "seed"], FILE_LIMIT)
    errors = [ln for ln in done.stderr.splitlines() if "error" in ln or "Traceback" in ln]
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert errors == [f"forensic-train calibrate: error: {out}: File too large"]
    assert not out.exists()


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="no file size limit here")
def test_an_install_that_cannot_be_written_leaves_nothing_in_the_models_folder(
    tmp_path: Path,
) -> None:
    """Install for the viewer on a full disk: the dialog says so in one line, and the half
    copy (``NAME.safetensors.part``) was left in the models folder, taking the space the next
    try needed."""
    src = tmp_path / "run" / "calibrated.safetensors"
    src.parent.mkdir()
    src.write_bytes(os.urandom(3 * FILE_LIMIT))
    models = tmp_path / "models"

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))

    code = (
        "import sys; from pathlib import Path; from trainer.plan import install_checkpoint\n"
        "try:\n    install_checkpoint(Path(sys.argv[1]), Path(sys.argv[2]))\n"
        "except OSError as e:\n    print(e.strerror); sys.exit(1)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(src), str(models / "mine.safetensors")],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=HANG_S,
        preexec_fn=limited,
    )
    assert done.returncode == 1 and done.stdout.strip() == "File too large", done.stderr
    assert list(models.iterdir()) == []
    assert src.stat().st_size == 3 * FILE_LIMIT  # the run's model is as it was
