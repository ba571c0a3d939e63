"""``fit`` whose reader goes away (the viewer that read its events crashed; ``fit | head``)
stops as a Stop stops it: a checkpoint, run.json, a stop's exit status, the run folder kept.

Found by an ML engineer's fine-tuning walk-through (2026-12-06): with its stdout a pipe whose
reader was killed, ``fit`` ended on the next event with "error: [Errno 32] Broken pipe",
status 1, and put its run folder back as found: before its first checkpoint the folder was
deleted, after one the steps since were lost.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.ending import EXIT_HUNG_UP
from tests.conftest import HANG_S
from tests.trainer.conftest import make_folder
from trainer.plan import LAST_CHECKPOINT, RESUME_NAME
from trainer.progress import GuardedStream, ReaderGone
from trainer.run_folder import RUN_RECORD

ROOT = Path(__file__).resolve().parents[2]


class _Closed(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_broken_pipe_is_one_stop_then_silence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(GuardedStream, "gone", False)
    out, err = GuardedStream(_Closed()), GuardedStream(_Closed())
    with pytest.raises(ReaderGone):
        out.write('{"event": "step"}\n')
    assert out.write("more\n") == 5  # the null device from now on
    assert err.write("the stop's line\n") == 16  # the other reader gone too: no second stop


@pytest.mark.slow
def test_fit_stops_with_a_checkpoint_when_its_reader_closes(tmp_path: Path) -> None:
    data = make_folder(tmp_path / "d", 4, 4, seed=0, size=48)
    out, log = tmp_path / "run", tmp_path / "fit.err"
    argv = ["fit", "--arch", "crfd-net-compact", "--data", str(data), "--out", str(out)]
    argv += ["--model-config", "channels=8,16,32", "--window", "32", "--threads", "1"]
    argv += ["--epochs", "100000", "--no-val", "--log-every", "1", "--checkpoint-minutes", "0"]
    with log.open("w") as err:
        fit = subprocess.Popen(
            [sys.executable, "-m", "trainer.cli", *argv],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
        assert fit.stdout is not None
        try:
            for line in fit.stdout:  # the first training step, then the reader goes
                if line.startswith("{") and json.loads(line).get("event") == "step":
                    break
            fit.stdout.close()
            code = fit.wait(timeout=HANG_S)
        finally:
            if fit.poll() is None:
                fit.kill()
                fit.wait()
    text = log.read_text(encoding="utf-8")
    assert code == EXIT_HUNG_UP, text[-2000:]
    assert "Broken pipe" not in text and "error" not in text, text[-2000:]
    assert "interrupted at step" in text and "continue with --resume" in text
    assert (out / LAST_CHECKPOINT).is_file() and (out / RESUME_NAME).is_file()
    assert (out / RUN_RECORD).is_file()
