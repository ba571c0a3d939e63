"""`forensic-train verdict`'s arguments refused in one line before anything is chosen: a
``--maps`` folder that is none or holds no map (docs walk-through, 2026-12-06: a wrong folder was
taken without a word, and the localization's message then blamed ``--casia``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

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
