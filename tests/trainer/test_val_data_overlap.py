"""``--val-data`` that repeats ``--data`` is refused by ``check``, ``fit`` and ``calibrate``.

Fine-tune walk-through (2026-12-06): ``fit --data mydata/A --val-data mydata/A`` (or a JSON
list of the same files) trained on 80 images and validated on the same 80, choosing its best
epoch on training images; ``check`` said "ready to train" and the dialog's review showed the
figures as validation. The same files (by resolved path) or copies (by SHA-256) are refused
in one line naming how many and one of them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.trainer.conftest import make_folder
from tests.trainer.test_cli import _fit, _one_error_line, _run, tiny_checkpoint
from trainer.check import check

pytestmark = pytest.mark.usefixtures("seeded_single_thread")


def _as_list(root: Path, out: Path) -> Path:
    """A JSON list of ``root``'s files, as a user writes one for --val-data."""
    pairs = [[str(p), str(root / "Gt" / p.name)] for p in sorted((root / "Tp").iterdir())]
    pairs += [[str(p), "Negative"] for p in sorted((root / "Au").iterdir())]
    out.write_text(json.dumps(pairs), encoding="utf-8")
    return out


def test_check_refuses_validation_data_that_repeats_the_training_data(tmp_path: Path) -> None:
    a = make_folder(tmp_path / "A", 3, 3, seed=0, size=32)
    other = make_folder(tmp_path / "B", 3, 3, seed=1, size=32)
    assert check([str(a)], val_data=[str(other)])["ok"]
    listed = _as_list(a, tmp_path / "a.json")
    copy = shutil.copytree(a, tmp_path / "copy")
    for val, how in ((a, "the same file as"), (listed, "the same file as"), (copy, "a copy of")):
        result = check([str(a)], val_data=[str(val)])
        assert not result["ok"]
        (problem,) = result["problems"]
        assert problem.startswith(f"{val}: 6 of its 6 images are also training images of --data")
        assert f" is {how} {a}" in problem and "\n" not in problem


def test_fit_and_calibrate_refuse_validation_data_that_repeats_the_training_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = make_folder(tmp_path / "A", 3, 3, seed=0, size=32)
    listed = _as_list(a, tmp_path / "a.json")
    run = tmp_path / "run"
    code, _, err = _run(capsys, _fit(a, run, "--val-data", str(listed), "--window", "32"))
    assert code == 2
    assert _one_error_line(err).endswith(
        f"{listed}: 6 of its 6 images are also training images of --data (e.g. "
        f"{a / 'Tp' / 't000.png'} is the same file as {a / 'Tp' / 't000.png'}): validating on "
        "them would choose the best epoch and θ on images the model trained on; give "
        "validation images that are not in --data, or leave --val-data out to split --data"
    )
    assert not run.exists()
    src = tiny_checkpoint(tmp_path / "m.safetensors")
    out = tmp_path / "cal.safetensors"
    argv = ["calibrate", "--model", str(src), "--data", str(a), "--val-data", str(a),
            "--out", str(out)]  # fmt: skip
    code, _, err = _run(capsys, argv)
    assert code == 2 and "6 of its 6 images are also training images" in _one_error_line(err)
    assert not out.exists()
