"""Model cards, the samples' list and the samples' masks are read only when they are regular
files.

``forensic-viewer models NAME`` read the card beside a checkpoint with ``exists()`` then
``read_text``: a named pipe called ``NAME.md`` beside a checkpoint in the user's models folder
made it wait for a writer forever, a link to ``/dev/zero`` made it read without end. The
self-test read the cards, ``samples.json`` and the masks (``cv2.imread``) of a resources folder
that ``$FORENSIC_VIEWER_RESOURCES`` can point anywhere, the same way. Each now reads through
:func:`engine.files.open_regular` and says in one line which file it could not read.

A reader that waits blocks in a system call, so each case runs in a child process with a time
limit (``tests.conftest.run_bounded``).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from engine.catalog import BUNDLED_MODELS, SAMPLES
from tests.conftest import make_tiny_checkpoint, run_bounded

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")

NOT_REGULAR = "not a regular file"
ODD = ["fifo", "/dev/zero"]


def _odd(path: Path, odd: str) -> Path:
    """``path`` made a named pipe or a link to the device ``odd``."""
    path.unlink(missing_ok=True)
    os.mkfifo(path) if odd == "fifo" else os.symlink(odd, path)
    return path


# sys.argv[1:]: the models command's arguments; prints [exit status, stdout, stderr]
MODELS = """
import contextlib, io, json, sys
from forensic_viewer.cli import main

out, err = io.StringIO(), io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
    code = main(["models", *sys.argv[1:]])
print(json.dumps([code, out.getvalue(), err.getvalue()]))
"""


def _models(*args: str | Path) -> tuple[int, str, str]:
    code, out, err = json.loads(run_bounded(MODELS, *args).strip().splitlines()[-1])
    return code, out, err


@pytest.mark.parametrize("odd", ODD)
def test_models_name_with_a_pipe_as_its_card_notes_it_and_shows_the_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, odd: str
) -> None:
    user = tmp_path / "user"
    user.mkdir()
    monkeypatch.setenv("FORENSIC_VIEWER_MODELS", str(user))  # the child inherits it
    make_tiny_checkpoint(user / "mine.safetensors", name="mine")
    card = _odd(user / "mine.md", odd)
    code, out, err = _models("mine")
    assert code == 0, err
    header = out.partition("Its header (JSON; alone with --json):")[2]
    assert json.loads(header)["architecture"] == "crfd-net-compact"  # the header instead
    lines = [ln for ln in err.strip().splitlines() if ln]
    assert len(lines) == 1, err
    assert f"{card}: cannot be read: {NOT_REGULAR}" in lines[0], err
    assert "its header follows" in lines[0]


@pytest.mark.slow
def test_models_name_of_an_ensemble_with_a_pipe_as_its_card_shows_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = tmp_path / "user"
    user.mkdir()
    monkeypatch.setenv("FORENSIC_VIEWER_MODELS", str(user))
    make_tiny_checkpoint(user / "mine.safetensors", name="mine")
    ensemble = {"name": "pair", "members": [{"model": "mine"}]}
    (user / "pair.ensemble.json").write_text(json.dumps(ensemble), encoding="utf-8")
    card = _odd(user / "pair.md", "fifo")
    code, out, err = _models("pair")
    assert code == 0, err
    assert json.loads(out)["name"] == "pair"
    lines = [ln for ln in err.strip().splitlines() if ln]
    assert len(lines) == 1 and f"{card}: cannot be read: {NOT_REGULAR}" in lines[0], err


# sys.argv[1], [2]: the models and samples folders; prints the self-test's lines and its answer
SELFTEST = """
import json, sys
from pathlib import Path
from forensic_viewer.selftest import run_selftest

lines = []
ok = run_selftest(Path(sys.argv[1]), Path(sys.argv[2]), say=lines.append)
print(json.dumps([ok, lines]))
"""


@pytest.fixture
def resources(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the bundled resources with one model (the quickest) and the samples."""
    models = tmp_path / "models"
    models.mkdir()
    for suffix in (".safetensors", ".md"):
        shutil.copy(BUNDLED_MODELS / f"crfd-net-compact{suffix}", models)
    samples = tmp_path / "samples"
    shutil.copytree(SAMPLES, samples)
    return models, samples


def _selftest(models: Path, samples: Path) -> tuple[bool, list[str]]:
    ok, lines = json.loads(run_bounded(SELFTEST, models, samples).strip().splitlines()[-1])
    return ok, lines


def _fails_naming(lines: list[str], path: Path) -> None:
    failed = [ln for ln in lines if ln.startswith("FAIL") and str(path) in ln]
    assert len(failed) == 1, lines
    assert failed[0] == f"FAIL {path}: cannot be read: {NOT_REGULAR} (a device, pipe or socket)"
    assert lines[-1] == "self-test FAILED"


@pytest.mark.parametrize("odd", ODD)
def test_selftest_with_a_pipe_as_a_card_fails_that_check_naming_it(
    resources: tuple[Path, Path], odd: str
) -> None:
    models, samples = resources
    card = _odd(models / "crfd-net-compact.md", odd)
    ok, lines = _selftest(models, samples)
    assert not ok
    _fails_naming(lines, card)


@pytest.mark.parametrize("odd", ODD)
def test_selftest_with_a_pipe_as_samples_json_fails_naming_it(
    resources: tuple[Path, Path], odd: str
) -> None:
    models, samples = resources
    listing = _odd(samples / "samples.json", odd)
    ok, lines = _selftest(models, samples)
    assert not ok
    _fails_naming(lines, listing)
    assert "ok   crfd-net-compact.safetensors: SHA-256 matches its card" in lines


@pytest.mark.parametrize("odd", ODD)
def test_selftest_with_a_pipe_as_a_mask_fails_naming_it(
    resources: tuple[Path, Path], odd: str
) -> None:
    models, samples = resources
    mask = _odd(samples / "masks" / "coffee-copymove.png", odd)  # the compact model's floor
    ok, lines = _selftest(models, samples)
    assert not ok
    failed = [ln for ln in lines if ln.startswith("FAIL") and str(mask) in ln]
    assert failed == [  # read by engine.masks.read_mask, as scan --gt reads it
        f"FAIL {mask}: ground-truth mask cannot be read: is {NOT_REGULAR} "
        "(a device, pipe or socket)"
    ], lines
    assert lines[-1] == "self-test FAILED"


@pytest.mark.parametrize("odd", ODD)
def test_selftest_with_a_pipe_as_an_ensembles_card_fails_that_check_naming_it(
    resources: tuple[Path, Path], odd: str
) -> None:
    models, samples = resources
    ensemble = {"name": "pair", "members": [{"model": "crfd-net-compact"}]}
    (models / "pair.ensemble.json").write_text(json.dumps(ensemble), encoding="utf-8")
    card = _odd(models / "pair.md", odd)
    ok, lines = _selftest(models, samples)
    assert not ok
    _fails_naming(lines, card)
    assert "ok   pair.ensemble.json: members crfd-net-compact" in lines
