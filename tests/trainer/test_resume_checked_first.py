"""``fit --resume`` refuses a resume file that is none, a damaged one or another
architecture's before it decodes the training images: it was refused only after all of them
had been decoded (1,111 CASIA images: tens of seconds), in the same words."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tests.trainer.conftest import make_folder
from trainer import cli
from trainer.plan import RESUME_NAME
from trainer.setup import build_model

pytestmark = pytest.mark.usefixtures("seeded_single_thread")

TINY = ["--model-config", "channels=8,16,32", "--window", "32", "--threads", "1"]
ADVICE = "start the run again with another --out, or train on from its weights with --init"


def _fit(data: Path, out: Path, *extra: str) -> list[str]:
    return ["fit", "--arch", "crfd-net-compact", "--data", str(data), "--out", str(out), *TINY,
            "--epochs", "1", "--max-steps", "1", "--no-val", *extra]  # fmt: skip


def _no_resume_file(resume: Path) -> None:
    resume.write_bytes(b"these bytes are no resume file of any run" * 10)


def _no_position(resume: Path) -> None:
    state = torch.load(resume, weights_only=True)
    del state["step"]
    torch.save(state, resume)


def _another_architecture(resume: Path) -> None:
    state = torch.load(resume, weights_only=True)
    other, _ = build_model("crfd-net-compact", {"channels": (4, 8, 8)}, seed=0)
    state["model"] = other.state_dict()
    torch.save(state, resume)


@pytest.mark.parametrize(
    ("spoil", "why"),
    [
        (_no_resume_file, "damaged resume file: not a readable PyTorch file"),
        (_no_position, "not a resume file of this run (KeyError: 'step')"),
        (_another_architecture, "not a resume file of this run (RuntimeError: Error(s) in"),
    ],
)
def test_a_bad_resume_file_is_refused_before_the_data_are_decoded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], spoil: object, why: str
) -> None:
    data = make_folder(tmp_path / "d", 3, 2, seed=0, size=48)
    out = tmp_path / "run"
    assert cli.main(_fit(data, out, "--quiet")) == 0
    resume = out / RESUME_NAME
    spoil(resume)  # type: ignore[operator]
    kept = resume.read_bytes()
    code = cli.main([*_fit(data, out), "--resume"])
    stdout, err = capsys.readouterr()
    errors = [ln for ln in err.splitlines() if ": error: " in ln]
    assert code == 2 and len(errors) == 1 and "Traceback" not in err, err
    assert errors[0].startswith(f"forensic-train fit: error: {resume}: {why}"), errors[0]
    assert ADVICE in errors[0]
    assert "decoding" not in stdout + err  # refused before the training images are decoded
    assert resume.read_bytes() == kept


def test_a_good_resume_file_still_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The file read before the data is the one the loop continues from: the same step."""
    data = make_folder(tmp_path / "d", 3, 2, seed=0, size=48)
    out = tmp_path / "run"
    assert cli.main(_fit(data, out, "--quiet")) == 0
    capsys.readouterr()
    more = [*_fit(data, out, "--quiet"), "--max-steps", "2", "--resume"]
    assert cli.main(more) == 0, capsys.readouterr().err
    assert torch.load(out / RESUME_NAME, weights_only=True)["step"] == 2
