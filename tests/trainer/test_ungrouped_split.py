"""``--split-by auto`` on names that carry no source photograph is said, not only recorded.

Fine-tune walk-through (2026-12-06): ``check --data mydata/B`` (``case_000.jpg``,
``real_000.jpg``) fell back to a per-image shuffle, recorded only as ``"by": "seed"`` in fit's
data event; neither check nor the dialog said so, and a held-out ``real_038.jpg`` was a source
photograph of a training forgery. ``check``, ``fit`` and the training review now warn in one
line pointing to ``sources.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.trainer.conftest import make_folder
from tests.trainer.test_cli import _fit, _run
from trainer.check import check
from trainer.review import review_checkpoint

pytestmark = pytest.mark.usefixtures("seeded_single_thread")


def _ungrouped(lines: list[str]) -> list[str]:
    return [w for w in lines if "--split-by auto split it image by image" in w]


def test_check_warns_when_auto_cannot_group_by_source(tmp_path: Path) -> None:
    lab = make_folder(tmp_path / "B", 4, 4, seed=0, size=32)  # t000.png, a000.png
    (warning,) = _ungrouped(check([str(lab)])["warnings"])
    assert warning.startswith(f"{lab}: 8 of its 8 images have names that carry no source")
    assert "sources.json beside its Tp/" in warning and "\n" not in warning
    assert _ungrouped(check([str(lab)], split_by="seed")["warnings"]) == []  # asked for
    casia = make_folder(tmp_path / "C", 4, 4, seed=0, size=32, casia_names=True)
    assert _ungrouped(check([str(casia)])["warnings"]) == []
    table = {f"t{i:03d}.png": [f"photo{i}"] for i in range(4)}
    table |= {f"a{i:03d}.png": [f"photo{i}"] for i in range(4)}
    (lab / "sources.json").write_text(json.dumps(table), encoding="utf-8")
    assert _ungrouped(check([str(lab)])["warnings"]) == []


def test_fit_and_the_review_warn_when_auto_cannot_group_by_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lab = make_folder(tmp_path / "B", 4, 4, seed=0, size=32)
    run = tmp_path / "run"
    tiny = ["--model-config", "channels=8,16,32", "--window", "32", "--epochs", "1"]
    argv = _fit(lab, run, *tiny, "--max-steps", "1", "--threads", "1", "--val-fraction", "0.5")
    code, _, err = _run(capsys, argv)
    assert code == 0
    (line,) = _ungrouped(err.splitlines())
    assert line.startswith(f"warning: {lab}: 8 of its 8 images have names")
    review = review_checkpoint(run / "last.safetensors")
    (said,) = _ungrouped(review.warnings)
    assert f"warning: {said}" == line
    text = review.text()  # as the dialog shows it (a data path once took the file's place)
    assert text.startswith(f"{review.name}: trained for ") and "(last.safetensors)" in text
    assert line in text.splitlines()


def test_a_json_list_is_told_where_its_sources_json_goes(tmp_path: Path) -> None:
    """Fine-tune walk-through (2026-12-06): the hint said "beside its Tp/" for a JSON list,
    which has none; sources.json is read from the folder above each image's folder."""
    make_folder(tmp_path / "B", 4, 4, seed=0, size=32)
    pairs = [[f"B/Tp/t00{i}.png", f"B/Gt/t00{i}.png"] for i in range(4)]
    pairs += [[f"B/Au/a00{i}.png", "Negative"] for i in range(4)]
    listing = tmp_path / "lab.json"
    listing.write_text(json.dumps(pairs), encoding="utf-8")
    (warning,) = _ungrouped(check([str(listing)])["warnings"])
    assert "beside its Tp/" not in warning
    assert "a sources.json in the folder above each listed image's folder naming" in warning
    table = {f"t{i:03d}.png": [f"photo{i}"] for i in range(4)}
    table |= {f"a{i:03d}.png": [f"photo{i}"] for i in range(4)}
    (tmp_path / "B" / "sources.json").write_text(json.dumps(table), encoding="utf-8")
    assert _ungrouped(check([str(listing)])["warnings"]) == []  # where the hint says
