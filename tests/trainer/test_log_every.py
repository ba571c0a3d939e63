"""How often ``fit`` reports a step: the training dialog passes no ``--log-every``, and a step
event every 10 steps gave a 24-step fine-tune's loss curve 3 points. Without ``--log-every`` the
interval is chosen from the run's length (``trainer.loops.log_interval``): at least 50 points,
one a step at most, and an event at least every 10 steps in a long run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.trainer.conftest import make_folder
from trainer import cli
from trainer.loops import log_interval
from trainer.plan import TrainingConfig

pytestmark = pytest.mark.usefixtures("seeded_single_thread")


def _plan(tmp_path: Path, data: Path, **kw: object) -> list[str]:
    """The dialog's ``fit`` arguments for a tiny network on ``data``."""
    config = TrainingConfig(
        name="run1",
        arch="crfd-net-compact",
        data=[str(data)],
        runs_dir=str(tmp_path / "runs"),
        model_config=["channels=8,16,32"],
        window=32,
        device="cpu",
        validate=False,
        **kw,  # type: ignore[arg-type]
    )
    (stage,) = config.stages()
    return config.stage_argv(stage, resume=False)


def test_a_short_run_from_the_dialog_reports_every_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = make_folder(tmp_path / "d", 4, 4, seed=0, size=48)
    argv = _plan(tmp_path, data, max_steps=24)
    assert not any(a.startswith("--log-every") for a in argv), argv  # the trainer chooses
    assert cli.main([*argv, "--warmup", "0", "--checkpoint-minutes", "0"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    steps = [e["step"] for e in events if e["event"] == "step"]
    assert steps == list(range(1, 25)), steps  # was [1, 10, 20]: a curve of 3 points


def test_a_long_run_from_the_dialog_reports_at_least_every_ten_steps(tmp_path: Path) -> None:
    argv = _plan(tmp_path, tmp_path / "d", epochs=100)
    args = cli.build_parser().parse_args(argv)
    assert log_interval(args.log_every, 100 * 250) == 10  # 2,500 points, the status kept fresh
    assert log_interval(args.log_every, 200) == 4  # 50 points
    assert log_interval(args.log_every, 3) == 1  # never less than a step


def test_log_every_given_is_kept() -> None:
    args = cli.build_parser().parse_args(
        ["fit", "--arch", "a", "--data", "d", "--out", "o", "--log-every", "7"]
    )
    assert log_interval(args.log_every, 24) == 7 and log_interval(args.log_every, 10**6) == 7
