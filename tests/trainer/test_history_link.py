"""``RUN/history.jsonl`` is appended to without following a symbolic link: a link there (a
run folder copied from a case, or planted) had every validation row appended to the file it
names, an evidence file in these tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.trainer.conftest import make_folder
from trainer import cli
from trainer.loops import FitConfig
from trainer.run_folder import HISTORY, append_history

pytestmark = pytest.mark.usefixtures("seeded_single_thread")

LINK_REFUSED = "cannot write the run folder: a symbolic link, not a regular file"


def _evidence(tmp_path: Path) -> Path:
    evidence = tmp_path / "evidence.txt"
    evidence.write_bytes(b"evidence\n")
    return evidence


def test_fit_refuses_a_link_at_history_jsonl_in_one_line_and_appends_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = make_folder(tmp_path / "d", 4, 2, seed=0, size=48)
    out = tmp_path / "run"
    out.mkdir()
    evidence = _evidence(tmp_path)
    (out / HISTORY).symlink_to(evidence)
    argv = ["fit", "--arch", "crfd-net-compact", "--model-config", "channels=8,16,32"]
    argv += ["--data", str(data), "--out", str(out), "--window", "32", "--threads", "1"]
    code = cli.main([*argv, "--epochs", "1", "--max-steps", "1", "--quiet"])
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln]
    assert code == 1 and "Traceback" not in err, err
    assert lines == [f"forensic-train fit: error: {out / HISTORY}: {LINK_REFUSED}"], err
    assert evidence.read_bytes() == b"evidence\n"
    assert (out / HISTORY).is_symlink()  # the run folder as found: the link is not ours
    assert not (out / "last.safetensors").exists()


def test_the_loops_append_refuses_a_link_made_after_the_check(tmp_path: Path) -> None:
    """The loop's own append, not only the check before the data: a link put there while the
    run trained is refused too, naming the file."""
    from tests.trainer.test_training import _tiny_fit

    class LinkThenValidate:
        def __call__(self, model: object) -> dict[str, float]:
            (out / HISTORY).symlink_to(evidence)
            return {"pixel_f1": 0.5}

    root = make_folder(tmp_path / "d", 4, 2, seed=0, size=48)
    (out := tmp_path / "run").mkdir()
    evidence = _evidence(tmp_path)
    cfg = FitConfig(epochs=1, batch_size=4, checkpoint_minutes=0, max_steps=1, seed=0)
    with pytest.raises(OSError) as caught:
        _tiny_fit(root, out, cfg, "r", False, validate=LinkThenValidate())
    assert caught.value.filename == str(out / HISTORY), repr(caught.value)
    assert caught.value.strerror == LINK_REFUSED
    assert evidence.read_bytes() == b"evidence\n"


def test_append_history_appends_lines_to_a_regular_file(tmp_path: Path) -> None:
    append_history(tmp_path, {"epoch": 1, "step": 3})
    append_history(tmp_path, {"epoch": 2, "step": 6})
    text = (tmp_path / HISTORY).read_text(encoding="utf-8")
    assert text == '{"epoch": 1, "step": 3}\n{"epoch": 2, "step": 6}\n'
    assert not os.path.islink(tmp_path / HISTORY)
