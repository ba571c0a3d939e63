"""The output name the training dialog proposes for a new run (trainer.runs.proposed_name):
it named every run "my-model", the last run's folder again, which Start then refused."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest

import trainer.runs
from trainer.plan import NAME_PATTERN
from trainer.runs import proposed_name


@pytest.fixture(autouse=True)
def _fixed_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trainer.runs, "_today", lambda: datetime.date(2026, 12, 5))


def test_the_name_is_the_base_and_the_day_past_every_entry_and_taken_name(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    assert proposed_name(runs, "crfd-net-compact-ft") == "crfd-net-compact-ft-20261205"
    (runs / "crfd-net-compact-ft-20261205").mkdir(parents=True)  # a run, listed or not
    (runs / "crfd-net-compact-ft-20261205-2").write_text("")  # a file: no folder can go there
    os.symlink(tmp_path / "gone", runs / "crfd-net-compact-ft-20261205-3")  # dangling
    taken = {"crfd-net-compact-ft-20261205-4"}  # a bundled or installed model's name
    assert proposed_name(runs, "crfd-net-compact-ft", taken) == "crfd-net-compact-ft-20261205-5"


def test_a_base_of_other_characters_or_length_is_made_a_valid_name(tmp_path: Path) -> None:
    assert proposed_name(tmp_path, "my model (v2)-ft") == "my-model-v2-ft-20261205"
    assert proposed_name(tmp_path, "…") == "model-20261205"
    long = proposed_name(tmp_path, "x" * 90, {f"{'x' * 50}-20261205"} | {
        f"{'x' * 50}-20261205-{n}" for n in range(2, 1000)
    })  # fmt: skip
    assert NAME_PATTERN.match(long) and long.endswith("-1000"), long


def test_an_earlier_runs_label_says_its_time_with_its_zone() -> None:
    """The training dialog's list of earlier runs showed ``2026-12-05 14:02``, local time with
    no zone, where every other time the product shows or writes carries its UTC offset."""
    import time
    from types import SimpleNamespace

    from trainer.plan import Folder
    from trainer.runs import EarlierRun

    state = SimpleNamespace(config=SimpleNamespace(name="run1"))
    when = datetime.datetime(2026, 12, 5, 8, 32, tzinfo=datetime.UTC).timestamp()
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Kolkata"
    time.tzset()
    try:
        label = EarlierRun(state, Folder.STOPPED, when).label()  # type: ignore[arg-type]
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()
    assert label == "run1 — stopped, 2026-12-05T14:02+05:30"
