"""`forensic-train verdict`'s arguments refused in one line before anything is chosen
(trainer.verdict_inputs): a ``--maps`` folder that is none or holds no map, and too few
validation rows of a class (docs walk-through, 2026-12-06: a wrong folder was taken without a
word, and the localization's message then blamed ``--casia``; 2 rows printed "AUC 0.000")."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import make_tiny_checkpoint
from tests.trainer.test_verdict import _row


def _verdict_argv(tmp_path: Path) -> list[str]:
    """A features file the verdict step can choose on, an ensemble of its 'good' model, and
    the arguments of a dry run over them."""
    rng = np.random.default_rng(0)
    rows = [_row("casia-val", label, rng) for label in (0, 1) for _ in range(20)]
    rows += [_row("camera-val", 0, rng) for _ in range(20)]
    features = tmp_path / "feat.jsonl"
    features.write_text("".join(json.dumps(r) + "\n" for r in rows))
    ensemble = tmp_path / "e.ensemble.json"
    member = {"model": "good", "detection_weight": 1.0, "localization_weight": 1.0}
    ensemble.write_text(json.dumps({"members": [member], "threshold": 0.5}))
    return ["verdict", "--features", str(features), "--models", str(tmp_path),
            "--ensemble", str(ensemble), "--json", str(tmp_path / "r.json"), "--dry-run"]  # fmt: skip


@pytest.mark.parametrize("kind", ["missing", "empty", "file", "jsonl.maps"])
def test_a_maps_folder_that_is_none_or_holds_no_map_is_refused_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    from trainer.cli import main

    argv = _verdict_argv(tmp_path)
    maps = tmp_path / ("feat.jsonl.maps" if kind == "jsonl.maps" else kind)
    if kind == "empty":
        maps.mkdir()
    elif kind == "file":
        maps.write_text("not a folder")
    assert main([*argv, "--maps", str(maps)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"error: {maps}: " in err[0] and "F.maps" in err[0]
    assert not (tmp_path / "r.json").exists()  # refused before anything was chosen


def test_a_maps_folder_with_a_map_is_taken(tmp_path: Path, capsys) -> None:
    from trainer.cli import main

    argv = _verdict_argv(tmp_path)
    maps = tmp_path / "feat.maps"
    maps.mkdir()
    np.savez_compressed(maps / "0123456789abcdef.npz", truth=np.zeros((4, 4), np.uint8))
    assert main([*argv, "--maps", str(maps)]) == 0
    assert (tmp_path / "r.json").is_file()


@pytest.mark.parametrize(("tampered", "authentic"), [(1, 1), (4, 20), (20, 0)])
def test_too_few_validation_rows_of_a_class_are_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tampered: int, authentic: int
) -> None:
    """2 features rows printed "val AUC 0.000 [0.00, 0.00]  θ 0.0000" and exited 0; calibrate
    refuses fewer than 5 images of a class, and so does verdict now, naming the file."""
    from trainer.cli import main

    rng = np.random.default_rng(1)
    rows = [_row("casia-val", 1, rng) for _ in range(tampered)]
    rows += [_row("casia-val", 0, rng) for _ in range(authentic)]
    rows += [_row("camera-val", 0, rng) for _ in range(20)]
    make_tiny_checkpoint(tmp_path / "good.safetensors", name="good")  # its verdict is chosen
    features = tmp_path / "few.jsonl"
    features.write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = tmp_path / "r.json"
    argv = ["verdict", "--features", str(features), "--models", str(tmp_path)]
    assert main([*argv, "--json", str(report), "--validation-only"]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and f"error: {features}: " in err[0]
    assert f"{tampered} tampered and {authentic} authentic, fewer than 5" in err[0]
    assert "AUC 0.000" not in captured.out and not report.exists()


def test_five_validation_rows_of_each_class_are_enough(tmp_path: Path) -> None:
    from trainer.cli import main

    rng = np.random.default_rng(2)
    rows = [_row("casia-val", label, rng) for label in (0, 1) for _ in range(5)]
    make_tiny_checkpoint(tmp_path / "good.safetensors", name="good")
    features = tmp_path / "five.jsonl"
    features.write_text("".join(json.dumps(r) + "\n" for r in rows))
    argv = ["verdict", "--features", str(features), "--models", str(tmp_path)]
    assert main([*argv, "--json", str(tmp_path / "r.json"), "--validation-only"]) == 0
    assert json.loads((tmp_path / "r.json").read_text())["models"]["good"]["val_image_auc"] > 0.5


def test_every_verdict_option_has_help() -> None:
    """`verdict --help` showed --models, --ensemble and --json with no word on what they take."""
    from trainer.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.choices and "verdict" in a.choices)
    verdict = sub.choices["verdict"]
    bare = [a.option_strings[0] for a in verdict._actions if a.option_strings and not a.help]
    assert bare == []
