"""Where ``eval`` writes its figures by default: beside a run's checkpoint, never into the
bundled or the user models folder (fine-tune walk-through, 2026-12-06: ``eval --model
<bundled path>`` wrote ``…/models/crfd-net-compact.eval-A-test.json`` into the product's
models folder)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.trainer.conftest import make_folder
from tests.trainer.test_cli import tiny_checkpoint
from trainer import cli

pytestmark = pytest.mark.usefixtures("seeded_single_thread")


@pytest.mark.parametrize("folder", ["bundled", "installed", "run"])
def test_evals_default_json_goes_to_the_working_folder_for_a_bundled_or_installed_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder: str
) -> None:
    import engine.catalog

    models = tmp_path / "models"
    models.mkdir()
    if folder == "bundled":
        monkeypatch.setattr(engine.catalog, "BUNDLED_MODELS", models)
    elif folder == "installed":
        monkeypatch.setenv("FORENSIC_VIEWER_MODELS", str(models))
    model = tiny_checkpoint(models / "m.safetensors")
    data = make_folder(tmp_path / "A", 2, 2, seed=0, size=48)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    argv = ["eval", "--model", str(model), "--data", str(data), "--threads", "1"]
    assert cli.main(argv) == 0
    name = "m.eval-A-all.json"
    if folder == "run":  # a checkpoint of a run folder: its figures beside it, as before
        assert (models / name).is_file() and not (work / name).exists()
    else:
        assert (work / name).is_file()
        assert sorted(p.name for p in models.iterdir()) == ["m.safetensors"]


def test_evals_json_writes_an_undefined_figure_as_null(tmp_path: Path) -> None:
    """eval of tampered images only: image AUC and balanced accuracy are undefined (NaN), and
    the --json file held them as bare NaN tokens, which are not JSON (jq and JSON.parse refuse
    the file)."""
    import json

    model = tiny_checkpoint(tmp_path / "m.safetensors")
    data = make_folder(tmp_path / "A", 2, 0, seed=0, size=48)
    out = tmp_path / "figures.json"
    argv = ["eval", "--model", str(model), "--data", str(data), "--threads", "1"]
    assert cli.main([*argv, "--json", str(out)]) == 0

    def refuse(token: str) -> None:
        raise ValueError(f"{token} is not JSON")

    figures = json.loads(out.read_text(encoding="utf-8"), parse_constant=refuse)
    assert figures["metrics"]["image_auc"] is None
    assert figures["metrics"]["image_bacc"] is None
    assert figures["metrics"]["tampered"] == 2
