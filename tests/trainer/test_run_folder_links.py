"""fit's plain writes into its run folder never write through a symbolic link: run.json was
written with ``write_text`` (a link there had the file it names truncated and overwritten with
the run's record) and the write probe ``.forensic-train-write-test`` with ``write_bytes`` (the
file a link there named was truncated to nothing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.trainer.conftest import make_folder
from trainer import cli
from trainer.run_folder import RUN_RECORD

pytestmark = pytest.mark.usefixtures("seeded_single_thread")


def _fit(data: Path, out: Path) -> list[str]:
    return ["fit", "--arch", "crfd-net-compact", "--model-config", "channels=8,16,32",
            "--data", str(data), "--out", str(out), "--window", "32", "--threads", "1",
            "--epochs", "1", "--max-steps", "1", "--no-val", "--quiet"]  # fmt: skip


@pytest.mark.parametrize("name", [RUN_RECORD, ".forensic-train-write-test"])
def test_a_link_in_the_run_folder_is_not_written_through(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    data = make_folder(tmp_path / "d", 3, 1, seed=0, size=48)
    evidence = tmp_path / "evidence.txt"
    evidence.write_bytes(b"evidence\n")
    out = tmp_path / "run"
    out.mkdir()
    (out / name).symlink_to(evidence)
    assert cli.main(_fit(data, out)) == 0, capsys.readouterr().err
    assert evidence.read_bytes() == b"evidence\n"
    record = out / RUN_RECORD
    assert not record.is_symlink() and json.loads(record.read_text())["arch"] == "crfd-net-compact"
