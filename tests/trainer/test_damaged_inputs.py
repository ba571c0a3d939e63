"""A damaged ``--init`` or resume file, and an undecodable image, said the same way everywhere
and before the long work (the 2026-12-05 walk-through: fit said "damaged safetensors file
(Error while deserializing: incomplete metadata...)" of a truncated --init where eval said
"its header describes N bytes"; a truncated resume file was named after every training image
had been decoded, with no next step; the data event counted 33 training images beside a split
of 34, unexplained)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.trainer.conftest import make_folder
from tests.trainer.test_cli import tiny_checkpoint
from trainer import cli
from trainer.plan import RESUME_NAME
from trainer.progress import describe_event

pytestmark = pytest.mark.usefixtures("seeded_single_thread")

TINY = ["--model-config", "channels=8,16,32", "--window", "32", "--threads", "1"]


def _fit(data: Path, out: Path, *extra: str) -> list[str]:
    return ["fit", "--arch", "crfd-net-compact", "--data", str(data), "--out", str(out), *TINY,
            "--epochs", "1", "--max-steps", "1", "--no-val", *extra]  # fmt: skip


def _error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[str, str]:
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    (line,) = [ln for ln in err.splitlines() if ": error: " in ln]
    return line, out + err


def test_a_truncated_init_is_named_by_fit_as_by_eval(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ckpt = tiny_checkpoint(tmp_path / "m.safetensors")
    whole = ckpt.stat().st_size
    ckpt.write_bytes(ckpt.read_bytes()[: whole // 2])
    why = f"damaged safetensors file (its header describes {whole:,} bytes, the file holds "
    root = make_folder(tmp_path / "d", 3, 1, seed=0, size=48)
    line, _ = _error(capsys, _fit(root, tmp_path / "run", "--init", str(ckpt)))
    assert f"{ckpt}: {why}{whole // 2:,})" in line
    line, _ = _error(capsys, ["eval", "--model", str(ckpt), "--data", str(root)])
    assert f"{ckpt}: {why}{whole // 2:,})" in line


def test_a_truncated_resume_file_is_refused_first_saying_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_folder(tmp_path / "d", 3, 2, seed=0, size=48)
    (root / "Au" / "zz_broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    out = tmp_path / "run"
    assert cli.main(_fit(root, out)) == 0
    stdout = capsys.readouterr().out
    (data,) = [e for e in map(json.loads, stdout.splitlines()) if e["event"] == "data"]
    (split,) = data["split"].values()
    # the split counts the undecodable image, train_images does not: the event says so
    assert data["train_images"] == split["train_images"] - 1 == 5
    assert data["unreadable_train_images"] == 1
    assert "5 training images (1 could not be decoded, left out)" in describe_event(data)

    resume = out / RESUME_NAME
    resume.write_bytes(resume.read_bytes()[:1000])
    line, said = _error(capsys, [*_fit(root, out), "--resume"])
    assert (
        f"{resume}: damaged resume file (cut short or damaged: its archive directory is missing); start the run again with "
        in line
    )
    assert f"--init {out / 'last.safetensors'} and another --out" in line
    assert "decoding" not in said  # refused before the training images are decoded
