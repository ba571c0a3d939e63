"""What ``forensic-train calibrate`` records beside θ that an earlier header said (review
2026-12-06, findings 2 and 4): the version of the architecture's code whose maps chose θ, so
that the load warning's advice ("calibrate it again") clears it; and a pixel threshold an
earlier ``--pixel-threshold auto`` chose, kept by the default ``keep``, still read as
calibrated."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from engine.calibration import pixel_threshold_calibrated
from engine.checkpoints import read_meta, version_warning
from engine.models import registry
from tests.trainer.conftest import make_folder
from tests.trainer.test_cli import tiny_checkpoint
from trainer import cli
from trainer.calibrate import write_decision

pytestmark = pytest.mark.usefixtures("seeded_single_thread")


def _code_version(monkeypatch: pytest.MonkeyPatch, version: str) -> None:
    spec = registry.get_spec("crfd-net-compact")
    monkeypatch.setitem(registry._REGISTRY, spec.name, dataclasses.replace(spec, version=version))


def _calibrate(tmp_path: Path, src: Path, out: str, *extra: str) -> Path:
    root = tmp_path / "d"
    if not root.exists():
        make_folder(root, 12, 12, seed=5)
    dst = tmp_path / out
    argv = ["calibrate", "--model", str(src), "--data", str(root), "--out", str(dst),
            "--split-by", "seed", "--val-fraction", "0.5", *extra]  # fmt: skip
    assert cli.main(argv) == 0
    return dst


def _recorded(tmp_path: Path, version: str) -> Path:
    """A tiny checkpoint whose header records ``version`` as the code that trained it."""
    src = tiny_checkpoint(tmp_path / "m.safetensors")
    meta = read_meta(src)
    meta.architecture_version = version
    write_decision(src, src, meta)
    return src


@pytest.mark.parametrize(("recorded", "trained"), [("0", "0"), ("", "not recorded")])
def test_calibrate_records_the_code_version_it_chose_theta_on_and_the_warning_clears(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], recorded: str, trained: str
) -> None:
    """A file trained with version 0 of the code warned "calibrate it again", and calibrate
    kept version 0, so it warned again for ever; a version-1 header (no version) became a
    version-2 one recording none, never warned of a later code change."""
    src = _recorded(tmp_path, recorded)
    assert (version_warning(read_meta(src), src) is not None) == bool(recorded)
    dst = _calibrate(tmp_path, src, "cal.safetensors")
    meta = read_meta(dst)
    ours = registry.get_spec("crfd-net-compact").version
    assert meta.architecture_version == ours
    assert meta.training["trained_with_architecture_version"] == trained
    assert version_warning(meta, dst) is None
    out = capsys.readouterr().out
    assert f"θ chosen on the maps of version {ours} of the 'crfd-net-compact' code" in out
    assert f"trained with version {trained}" in out
    again = _calibrate(tmp_path, dst, "again.safetensors")  # the trainer's first record stays
    assert read_meta(again).training["trained_with_architecture_version"] == trained


def test_a_null_architecture_version_reads_as_none_recorded(tmp_path: Path) -> None:
    src = tiny_checkpoint(tmp_path / "m.safetensors")
    meta = read_meta(src)
    meta.architecture_version = None  # type: ignore[assignment]  # written as null
    write_decision(src, src, meta)
    assert read_meta(src).architecture_version == ""
    assert version_warning(read_meta(src), src) is None  # not "trained with version None"


def test_keep_after_auto_keeps_the_threshold_calibrated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """calibrate's default keep rewrote the details with choice "keep": a pixel threshold an
    earlier auto had chosen on validation data was then reported as not calibrated. Carried
    only while the code is the version whose maps chose it."""
    src = tiny_checkpoint(tmp_path / "m.safetensors")
    auto = _calibrate(tmp_path, src, "auto.safetensors", "--pixel-threshold", "auto")
    first = read_meta(auto).decision
    assert first.details["pixel_threshold_choice"] == "auto"
    kept = read_meta(_calibrate(tmp_path, auto, "kept.safetensors")).decision
    assert kept.pixel_threshold == first.pixel_threshold
    date = first.details["date"]
    assert kept.details["pixel_threshold_choice"] == f"keep (calibrated {date})"
    assert pixel_threshold_calibrated(kept.details)
    assert kept.details["pixel_f1_by_threshold"] == first.details["pixel_f1_by_threshold"]
    assert f"kept: chosen on validation data by the calibration of {date}" in kept.provenance
    twice = read_meta(_calibrate(tmp_path, tmp_path / "kept.safetensors", "twice.safetensors"))
    assert twice.decision.details["pixel_threshold_choice"] == f"keep (calibrated {date})"
    # the code changed since: the threshold was chosen on another version's maps
    _code_version(monkeypatch, "2")
    moved = read_meta(_calibrate(tmp_path, auto, "moved.safetensors")).decision
    assert moved.details["pixel_threshold_choice"] == "keep"
    assert not pixel_threshold_calibrated(moved.details)
    # a threshold no calibration chose stays "not calibrated" under keep
    plain = read_meta(_calibrate(tmp_path, src, "plain.safetensors")).decision
    assert plain.details["pixel_threshold_choice"] == "keep"
    assert not pixel_threshold_calibrated(plain.details)
