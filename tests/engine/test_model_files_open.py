"""Files a user names that are not evidence (checkpoints, ensemble files, weight files) refuse a
named pipe at once, with one line naming the file.

A pipe called ``m.safetensors`` in a models folder made every command that lists the models
(``models``, ``analyze`` and ``scan`` without ``--model``) wait for a writer forever; named with
``--model`` it was "no such checkpoint file". They are opened as evidence is
(:func:`engine.files.open_regular`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.catalog import discover, resolve
from engine.checkpoints import load_checkpoint, read_meta
from engine.ensemble import Ensemble
from engine.errors import CheckpointError
from engine.models.backbones import read_state_dict
from engine.torchload import load_torch_file
from tests.conftest import HANG_S, write_rgb

pytestmark = [
    pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX"),
    pytest.mark.timeout(HANG_S),  # each of these waited for a writer forever
]

NOT_REGULAR = "not a regular file"


def _fifo(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    return path


def _one_line_naming(message: str, path: Path) -> None:
    assert message.startswith(f"{path}: ") and "\n" not in message, message
    assert NOT_REGULAR in message, message


@pytest.mark.parametrize(
    ("name", "read"),
    [
        ("m.safetensors", load_checkpoint),
        ("m.safetensors", read_meta),
        ("m.ensemble.json", Ensemble.load),
        ("w.pt", load_torch_file),
        ("w.safetensors", read_state_dict),
    ],
)
def test_a_pipe_named_like_a_model_file_is_refused_at_once(
    tmp_path: Path, name: str, read: object
) -> None:
    path = _fifo(tmp_path / name)
    with pytest.raises(CheckpointError) as e:
        read(path)  # type: ignore[operator]
    _one_line_naming(str(e.value), path)


def test_a_pipe_in_a_models_folder_is_listed_among_the_problems(tmp_path: Path) -> None:
    path = _fifo(tmp_path / "models" / "z.safetensors")
    entries, problems = discover([tmp_path / "models"])
    assert path not in [e.path for e in entries]
    assert len([p for p in problems if str(path) in p]) == 1
    _one_line_naming(next(p for p in problems if str(path) in p), path)


def test_a_pipe_named_with_model_is_that_file_not_a_missing_name(tmp_path: Path) -> None:
    path = _fifo(tmp_path / "m.safetensors")
    assert resolve(str(path)) == path  # its loader then says what it is


@pytest.mark.parametrize("name", ["m.safetensors", "m.ensemble.json"])
def test_analyze_with_a_pipe_as_model_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    from forensic_viewer.cli import main

    path = _fifo(tmp_path / name)
    image = write_rgb(tmp_path / "x.png", 32, 32)
    code = main(["analyze", "--out", str(tmp_path / "out"), "--model", str(path), str(image)])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = [ln for ln in err.strip().splitlines() if ln]
    assert len(lines) == 1 and str(path) in lines[0] and NOT_REGULAR in lines[0], err


def test_models_lists_a_pipe_in_the_user_folder_as_a_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from forensic_viewer.cli import main

    monkeypatch.setenv("FORENSIC_VIEWER_MODELS", str(tmp_path / "user"))
    path = _fifo(tmp_path / "user" / "z.safetensors")
    assert main(["models"]) == 0
    out = capsys.readouterr()
    assert str(path) in out.out + out.err and NOT_REGULAR in out.out + out.err


def test_eval_with_a_pipe_as_model_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.trainer.conftest import make_folder
    from trainer.cli import main

    path = _fifo(tmp_path / "m.safetensors")
    data = make_folder(tmp_path / "d", 1, 1, seed=0, size=32)
    code = main(["eval", "--model", str(path), "--data", str(data)])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = [ln for ln in err.strip().splitlines() if ln]
    assert len(lines) == 1 and str(path) in lines[0] and NOT_REGULAR in lines[0], err


def test_a_models_folder_that_cannot_be_listed_is_a_problem_line_not_silence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user models folder the account may not list (a lab's shared folder with the wrong
    permissions): glob says nothing, and the user's models were simply missing from every
    list. Root lists any folder, so the refusal is made as the operating system makes it
    (PermissionError from listing that folder)."""
    import errno

    from engine import catalog
    from tests.conftest import make_tiny_checkpoint

    folder = tmp_path / "models"
    make_tiny_checkpoint(folder / "mine.safetensors", "mine")
    listdir = os.listdir

    def refused(path: object) -> list[str]:
        if Path(str(path)) == folder:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return listdir(path)  # type: ignore[arg-type]

    assert [e.name for e in discover([folder])[0] if e.origin == "extra"] == ["mine"]
    monkeypatch.setattr(catalog.os, "listdir", refused)
    glob = Path.glob  # which lists nothing of a folder it may not read, without a word
    monkeypatch.setattr(Path, "glob", lambda p, pat: iter(()) if p == folder else glob(p, pat))
    entries, problems = discover([folder])
    assert [e.name for e in entries if e.origin == "extra"] == []
    assert problems == [f"{folder}: cannot list the models folder (Permission denied)"]
