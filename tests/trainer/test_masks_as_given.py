"""``--masks-as-given``: a set whose forgeries mostly cover more than half of their image (large
removals, inpainting) is refused as "inverted" by default, in a line naming the override; with
it, ``check``, ``fit``, ``eval``, ``calibrate``, ``ensemble`` and ``features`` use the masks as
they are and record that the check was overridden."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.checkpoints import read_meta, save_checkpoint
from tests.trainer.conftest import TINY, make_folder, save_mask
from trainer import cli
from trainer.check import check
from trainer.setup import base_meta, build_model

pytestmark = pytest.mark.usefixtures("seeded_single_thread")

GIVEN = "used as given (--masks-as-given), not refused as inverted"


def _large_forgeries(root: Path, n_tp: int, n_au: int) -> Path:
    """A data set whose every forgery covers three quarters of its 48 x 48 image: the masks
    are right, and look inverted to the rule (most mark more than half)."""
    make_folder(root, n_tp, n_au, seed=0, size=48)
    large = np.zeros((48, 48), np.uint8)
    large[12:, :] = 1
    for mask in sorted((root / "Gt").iterdir()):
        save_mask(mask, large)
    return root


def _checkpoint(path: Path, name: str) -> Path:
    model, config = build_model("crfd-net-compact", dict(TINY), seed=0)
    return save_checkpoint(path, model, base_meta("crfd-net-compact", config, 32, 16, name))


def test_check_refuses_them_naming_the_override_and_passes_with_it(tmp_path: Path) -> None:
    root = _large_forgeries(tmp_path / "d", 4, 2)
    r = check([str(root)], val_fraction=0.3, split_by="seed")
    (problem,) = r["problems"]
    assert "the masks look inverted: 4 of 4" in problem and "--masks-as-given" in problem
    assert not r["ok"] and r["masks_as_given"] is False
    r = check([str(root)], val_fraction=0.3, split_by="seed", as_given=True)
    assert r["ok"] and r["problems"] == [] and r["masks_as_given"] is True
    (warning,) = [w for w in r["warnings"] if GIVEN in w]
    assert warning.startswith(f"{root / 'Gt'}/t00") and "4 of 4 mark more than half" in warning
    # masks none of which marks a pixel teach nothing: the override does not let them through
    for mask in sorted((root / "Gt").iterdir()):
        save_mask(mask, np.zeros((48, 48), np.uint8))
    r = check([str(root)], val_fraction=0.3, split_by="seed", as_given=True)
    assert not r["ok"] and "no tampered image's mask marks a pixel" in r["problems"][0]


def test_fit_trains_on_them_with_the_override_and_records_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _large_forgeries(tmp_path / "d", 4, 2)
    argv = ["fit", "--arch", "crfd-net-compact", "--model-config", "channels=8,16,32"]
    argv += ["--data", str(root), "--window", "32", "--epochs", "1", "--max-steps", "1"]
    argv += ["--no-val", "--threads", "1", "--val-fraction", "0.3", "--split-by", "seed"]
    refused = tmp_path / "refused"
    assert cli.main([*argv, "--out", str(refused)]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]  # after "decoding ..."
    assert err.startswith("forensic-train fit: error: ") and "the masks look inverted" in err
    assert "give --masks-as-given" in err and not refused.exists()

    run = tmp_path / "run"
    assert cli.main([*argv, "--out", str(run), "--masks-as-given", "--quiet"]) == 0
    err = capsys.readouterr().err
    (line,) = [ln for ln in err.splitlines() if GIVEN in ln]  # the command's log
    assert line.startswith(f"warning: {root / 'Gt'}/t00")
    recorded = read_meta(run / "last.safetensors").training["masks_as_given"]
    assert recorded == [line.removeprefix("warning: ")]  # in the checkpoint
    assert json.loads((run / "run.json").read_text())["masks_as_given"] == recorded
    from trainer.review import review_checkpoint  # what the dialog shows before Install

    warnings = review_checkpoint(run / "last.safetensors").warnings
    assert f"trained on masks that look inverted: {recorded[0]}" in warnings


@pytest.mark.parametrize("command", ["eval", "calibrate", "ensemble"])
def test_eval_calibrate_and_ensemble_measure_against_them_with_the_override(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    root = _large_forgeries(tmp_path / "d", 12, 12)  # calibrate: θ needs 5 images a side
    models = [_checkpoint(tmp_path / "m.safetensors", "tiny")]
    if command == "ensemble":
        models.append(_checkpoint(tmp_path / "m2.safetensors", "tiny2"))
    written = tmp_path / {"eval": "ev.json", "calibrate": "c.safetensors"}.get(
        command, "e.ensemble.json"
    )
    argv = [command, *(a for m in models for a in ("--model", str(m))), "--data", str(root)]
    argv += ["--split-by", "seed", "--val-fraction", "0.5", "--threads", "1"]
    argv += {
        "eval": ["--split", "val", "--json", str(written)],
        "calibrate": ["--pixel-threshold", "auto", "--out", str(written)],
        "ensemble": ["--split", "all", "--out", str(written), "--json", str(tmp_path / "e.json")],
    }[command]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "the masks look inverted" in err and "give --masks-as-given" in err
    assert not written.exists()

    assert cli.main([*argv, "--masks-as-given"]) == 0
    (line,) = [ln for ln in capsys.readouterr().err.splitlines() if GIVEN in ln]
    given = line.removeprefix("warning: ")
    assert given.startswith(f"{root / 'Gt'}/t00")
    if command == "eval":
        assert json.loads(written.read_text())["masks_as_given"] == [given]
    elif command == "calibrate":
        assert read_meta(written).decision.details["masks_as_given"] == [given]
    else:
        assert json.loads((tmp_path / "e.json").read_text())["masks_as_given"] == [given]
        assert given in json.loads(written.read_text())["description"]  # its provenance


def test_features_refuses_them_as_the_others_and_takes_them_with_the_override(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``features`` measured each heatmap's pixel F1 against masks that every other command
    refuses as inverted, without a word. It refuses them before any model loads; with the
    override it says in a line that they are used as given, then loads the models."""
    import engine.assembly

    class Loaded(Exception):
        pass

    def loaded(*_a: object, **_kw: object) -> None:
        raise Loaded  # past the check: the models would load now (not needed here)

    monkeypatch.setattr(engine.assembly, "assemble_analyzer", loaded)
    root = _large_forgeries(tmp_path / "casia", 8, 4)
    out = tmp_path / "f.jsonl"
    argv = ["features", "--casia", str(root), "--parts", "train,val,test", "--out", str(out)]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"forensic-train features: error: {root / 'Gt'}/t0")
    assert "the masks look inverted" in err and "give --masks-as-given" in err
    assert not out.with_suffix(".maps").exists()
    with pytest.raises(Loaded):
        cli.main([*argv, "--masks-as-given"])
    (line,) = [ln for ln in capsys.readouterr().err.splitlines() if GIVEN in ln]
    assert line.startswith(f"warning: {root / 'Gt'}/t0")
