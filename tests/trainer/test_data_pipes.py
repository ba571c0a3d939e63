"""A named pipe named like an image or a mask in a data set: reported like an unreadable file,
never waited on, never left out without a word.

The listings kept regular files only, so a pipe in ``Au/`` or ``Tp/`` vanished from the data
set unsaid and one in ``Gt/`` made its image "without a mask"; in a JSON list it "did not
exist"; and a reader that got one (``Image.open`` of a mask) waited for a writer forever.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import HANG_S
from tests.trainer.conftest import make_folder
from trainer import cli
from trainer.check import check
from trainer.data.records import SkipLog, load_pair, read_dataset, validate
from trainer.errors import DataError

pytestmark = [
    pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX"),
    pytest.mark.timeout(HANG_S),
    pytest.mark.usefixtures("seeded_single_thread"),
]

NOT_REGULAR = "not a regular file"
TINY_FIT = ["--model-config", "channels=8,16,32", "--window", "32", "--threads", "1", "--quiet"]


def test_fit_skips_and_lists_a_pipe_named_like_an_image(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = make_folder(tmp_path / "d", 3, 2, seed=0, size=48)
    pipe = data / "Au" / "zz_pipe.png"
    os.mkfifo(pipe)
    out = tmp_path / "run.safetensors"
    argv = ["fit", "--arch", "crfd-net-compact", "--data", str(data), "--out", str(out)]
    code = cli.main([*argv, *TINY_FIT, "--epochs", "1", "--no-val"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "1 unreadable image(s) skipped:" in err
    assert f"  {pipe}: " in err and NOT_REGULAR in err.split(f"  {pipe}: ", 1)[1], err


def test_a_pipe_in_tp_is_skipped_when_loaded(tmp_path: Path) -> None:
    data = make_folder(tmp_path / "d", 2, 0, seed=0, size=48)
    os.mkfifo(data / "Tp" / "t009.png")
    (data / "Gt" / "t001.png").replace(data / "Gt" / "t009.png")  # the pipe has a mask
    samples = read_dataset(data, problems := [])
    assert data / "Tp" / "t009.png" in [s.image for s in samples]
    validate(samples)  # its size is unknown: left to the loader, as an unreadable image
    skipped = SkipLog()
    pipe = next(s for s in samples if s.image.name == "t009.png")
    assert load_pair(pipe, skipped) is None
    assert NOT_REGULAR in skipped.entries[0][1]
    assert problems == [(data / "Tp" / "t001.png", problems[0][1])]  # its mask moved away


def test_a_pipe_named_like_a_mask_is_a_mask_that_cannot_be_read(tmp_path: Path) -> None:
    data = make_folder(tmp_path / "d", 2, 1, seed=0, size=48)
    mask = data / "Gt" / "t000.png"
    mask.unlink()
    os.mkfifo(mask)
    samples = read_dataset(data)  # it is t000's mask, not a missing one
    with pytest.raises(DataError) as e:
        validate(samples)
    assert str(e.value).startswith(f"{mask}: ") and NOT_REGULAR in str(e.value)
    report = check([str(data)])
    assert not report["ok"]
    assert any(str(mask) in p and NOT_REGULAR in p for p in report["problems"]), report


def test_a_json_list_naming_pipes_names_them(tmp_path: Path) -> None:
    make_folder(tmp_path / "d", 1, 0, seed=0, size=48)
    os.mkfifo(tmp_path / "pipe.png")
    listed = tmp_path / "list.json"
    listed.write_text(
        json.dumps([["d/Tp/t000.png", "pipe.png"], ["pipe.png", "Negative"]]), encoding="utf-8"
    )
    samples = read_dataset(listed)
    assert [s.image.name for s in samples] == ["t000.png", "pipe.png"]
    with pytest.raises(DataError) as e:
        validate(samples)
    assert str(e.value).startswith(f"{tmp_path / 'pipe.png'}: ") and NOT_REGULAR in str(e.value)
    skipped = SkipLog()
    assert load_pair(samples[1], skipped) is None and NOT_REGULAR in skipped.entries[0][1]
    json_pipe = tmp_path / "pipe.json"
    os.mkfifo(json_pipe)
    with pytest.raises(DataError) as e:
        read_dataset(json_pipe)
    assert str(e.value).startswith(f"{json_pipe}: ") and NOT_REGULAR in str(e.value)
