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
