"""Two checkpoints that carry one model name: the lookup refuses to guess, the listing and the
analyzer name the files (the 2026-12-05 walk-through: `analyze --model run2` silently used the
first of two files alphabetically; "two models share a name: ['x', 'x']" named no file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import catalog
from engine.assembly import available_models
from engine.checkpoints import load_checkpoint
from engine.errors import CheckpointError
from engine.pipeline import Analyzer
from tests.conftest import make_tiny_checkpoint


def test_a_name_two_headers_carry_is_refused_naming_both_files(
    folders: tuple[Path, Path],
) -> None:
    _bundled, user = folders
    a = make_tiny_checkpoint(user / "a.safetensors", name="run2")
    b = make_tiny_checkpoint(user / "b.safetensors", name="run2", seed=1)
    with pytest.raises(CheckpointError) as e:
        catalog.resolve("run2")
    assert f"{a} and {b}" in str(e.value) and "--model PATH" in str(e.value)
    assert catalog.resolve("b") == b  # a file name is unambiguous
    (line,) = available_models().clashes
    assert str(a) in line and str(b) in line and "`--model run2` is refused" in line


def test_forensic_viewer_models_warns_of_the_clash(
    folders: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from forensic_viewer.cli import main

    _bundled, user = folders
    a = make_tiny_checkpoint(user / "a.safetensors", name="run2")
    b = make_tiny_checkpoint(user / "b.safetensors", name="run2", seed=1)
    assert main(["models"]) == 0
    err = capsys.readouterr().err
    assert f"warning: 2 checkpoints are named run2: {a} (user), {b} (user)" in err


def test_a_user_model_named_like_a_bundled_one_is_listed_as_a_clash(
    folders: tuple[Path, Path],
) -> None:
    bundled, user = folders
    ours = make_tiny_checkpoint(bundled / "x.safetensors", name="x")
    mine = make_tiny_checkpoint(user / "mine.safetensors", name="x", seed=1)
    assert catalog.resolve("x") == ours and catalog.resolve("mine") == mine
    (line,) = available_models().clashes
    assert f"{ours} (bundled), {mine} (user)" in line and f"`--model x` uses {ours}" in line


def test_the_analyzer_names_the_files_of_two_models_of_one_name(tmp_path: Path) -> None:
    a = make_tiny_checkpoint(tmp_path / "mine.safetensors", name="x")
    b = make_tiny_checkpoint(tmp_path / "x.safetensors", name="x", seed=1)
    with pytest.raises(ValueError) as e:
        Analyzer([load_checkpoint(a), load_checkpoint(b)], device="cpu")
    assert f"two models share the name x: {a} and {b}" in str(e.value)
    assert "--name NEW" in str(e.value)


def test_the_advice_to_rename_is_a_calibrate_command_that_runs(folders: tuple[Path, Path]) -> None:
    """The three messages advised ``forensic-train calibrate --model FILE --name NEW --out
    NEW.safetensors``, which calibrate refuses (``--data`` is required) and which is no rename:
    it chooses θ anew. Each now gives one advice that parses and says that it calibrates again."""
    import re
    import shlex

    from trainer.cli import build_parser

    _bundled, user = folders
    a = make_tiny_checkpoint(user / "a.safetensors", name="run2")
    make_tiny_checkpoint(user / "b.safetensors", name="run2", seed=1)
    with pytest.raises(CheckpointError) as refused:
        catalog.resolve("run2")
    with pytest.raises(ValueError) as shared:
        Analyzer([load_checkpoint(a), load_checkpoint(a)], device="cpu")
    (clash,) = available_models().clashes
    for message in (str(refused.value), str(shared.value), clash):
        (command,) = re.findall(r"forensic-train (calibrate [^;:)]*)", message)
        args = build_parser().parse_args(shlex.split(command))
        assert args.command == "calibrate" and args.data and args.name == "NEW"
        assert "this calibrates it again" in message
    assert "pass the file itself with --model PATH" in str(refused.value)


def test_models_name_refuses_a_name_only_headers_carry_listing_the_files(
    folders: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The fine-tune walk-through (2026-12-06): ``models lab-crfd --extra runs/ft2`` described
    the first of a run's three checkpoints carrying that name (best.safetensors, not the
    calibrated one) while the listing warned that ``--model lab-crfd`` is refused as
    ambiguous. It is refused here too, in one line naming the files; a file name picks one."""
    from forensic_viewer.cli import main

    run = tmp_path / "runs" / "ft2"
    files = [
        make_tiny_checkpoint(run / f"{stem}.safetensors", name="lab-crfd", seed=i)
        for i, stem in enumerate(("best", "calibrated", "last"))
    ]
    assert main(["models", "lab-crfd", "--extra", str(run)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert "error: 3 checkpoints are named lab-crfd by their headers: " in err
    assert all(f"{f} (extra)" in err for f in files)
    assert "`models best`" in err
    assert main(["models", "calibrated", "--extra", str(run)]) == 0
    out, err = capsys.readouterr()
    assert "calibrated.safetensors" in out and err == ""


def test_models_name_says_which_of_several_it_describes_and_why(
    folders: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A name a bundled model and a user's model carry: ``models x`` describes the one
    ``--model x`` uses (the bundled one) and says so, naming the other."""
    from forensic_viewer.cli import main

    bundled, user = folders
    ours = make_tiny_checkpoint(bundled / "x.safetensors", name="x")
    mine = make_tiny_checkpoint(user / "mine.safetensors", name="x", seed=1)
    assert main(["models", "x"]) == 0
    out, err = capsys.readouterr()
    assert "beside x.safetensors" in out and "mine.safetensors" not in out
    (note,) = err.strip().splitlines()
    assert note.startswith("forensic-viewer: note: 2 checkpoints answer to x: ")
    assert f"described: {ours} (bundled), the one `--model x` uses" in note and str(mine) in note


def test_name_clash_reads_headers_and_ensemble_members_without_loading(tmp_path: Path) -> None:
    """The viewer asks before it lets go of its models: a file named like an ensemble's member
    (found by name among the chosen files) clashes as the Analyzer would refuse it."""
    import json

    from engine.assembly import name_clash

    a = make_tiny_checkpoint(tmp_path / "a" / "tiny.safetensors")
    b = make_tiny_checkpoint(tmp_path / "b" / "copy.safetensors", "tiny", seed=1)
    other = make_tiny_checkpoint(tmp_path / "b" / "other.safetensors", "other")
    pair = tmp_path / "a" / "pair.ensemble.json"
    pair.write_text(json.dumps({"name": "pair", "members": [{"model": "tiny.safetensors"}]}))
    assert name_clash([str(a), str(other)]) is None
    assert name_clash([str(pair), str(other)]) is None
    for chosen in ([str(a), str(b)], [str(pair), str(b)]):
        said = name_clash(chosen)
        assert said is not None and str(a) in said and str(b) in said
        assert said.startswith("two models share the name tiny")
