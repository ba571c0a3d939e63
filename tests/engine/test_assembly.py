"""Model assembly (engine.assembly): names and files to an Analyzer, strict and lenient.

The search folders are replaced by empty folders of the test (the bundled folder through
``engine.catalog.BUNDLED_MODELS``, the user folder through ``FORENSIC_VIEWER_MODELS``), so the
models that ship with the repository never take part.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.assembly import (
    NoModelError,
    assemble_analyzer,
    assemble_lenient,
    available_models,
    default_choice,
    describe_model,
    resolve_models,
)
from engine.checkpoints import load_checkpoint, save_checkpoint
from engine.ensemble import ENSEMBLE_SUFFIX
from engine.errors import CheckpointError, ModelNotTrainedError


def _copy(checkpoint: Path, folder: Path, name: str) -> Path:
    """``checkpoint`` saved again as ``folder/NAME.safetensors`` under the model name ``name``."""
    loaded = load_checkpoint(checkpoint)
    loaded.meta.name = name
    folder.mkdir(parents=True, exist_ok=True)
    return save_checkpoint(folder / f"{name}.safetensors", loaded.model, loaded.meta)


def _ensemble(folder: Path, name: str, members: list[str]) -> Path:
    path = folder / f"{name}{ENSEMBLE_SUFFIX}"
    path.write_text(json.dumps({"name": name, "members": [{"model": m} for m in members]}))
    return path


def _corrupt(folder: Path, name: str = "bad") -> Path:
    path = folder / f"{name}.safetensors"
    path.write_bytes(b"not a checkpoint at all")
    return path


# --- strict ----------------------------------------------------------------------------------


def test_an_explicit_file_with_every_setting_passed_through(
    folders: tuple[Path, Path], tiny_checkpoint: Path
) -> None:
    analyzer = assemble_analyzer(
        [str(tiny_checkpoint)],
        device="cpu",
        window=48,
        stride=24,
        batch_size=3,
        max_batch_seconds=0.2,
        faces=False,
    )
    assert analyzer.names == ["tiny"]
    assert str(analyzer.device) == "cpu"
    assert (analyzer.window, analyzer.stride, analyzer.batch_size) == (48, 24, 3)
    assert analyzer.max_batch_seconds == 0.2
    assert analyzer.ensemble is None and analyzer.faces is None
    assert analyzer.models[0].path == tiny_checkpoint


def test_names_are_found_in_the_user_folder(
    folders: tuple[Path, Path], tiny_checkpoint: Path
) -> None:
    _bundled, user = folders
    _copy(tiny_checkpoint, user, "mine")
    assert assemble_analyzer(["mine"], device="cpu", faces=False).names == ["mine"]


def test_the_default_is_every_bundled_checkpoint_and_the_first_ensemble(
    folders: tuple[Path, Path], tiny_checkpoint: Path
) -> None:
    bundled, user = folders
    first = _copy(tiny_checkpoint, bundled, "alpha")
    second = _copy(tiny_checkpoint, bundled, "beta")
    _copy(tiny_checkpoint, user, "own")  # installed by the user, not bundled: not a default
    pair = _ensemble(bundled, "a-pair", ["alpha", "beta"])
    _ensemble(bundled, "b-solo", ["beta"])
    assert default_choice() == [first, second, pair]
    assert resolve_models(None) == ([str(first), str(second), str(pair)], [])
    for specs in (None, []):
        analyzer = assemble_analyzer(specs, device="cpu", faces=False)
        assert analyzer.names == ["alpha", "beta"]
        assert analyzer.ensemble is not None and analyzer.ensemble.name == "a-pair"
        assert analyzer.ensemble.resolved == {"alpha": "alpha", "beta": "beta"}


def test_nothing_installed_is_no_model_error_strictly_and_no_analyzer_leniently(
    folders: tuple[Path, Path],
) -> None:
    with pytest.raises(NoModelError, match="no trained model is installed"):
        assemble_analyzer(None, device="cpu")
    with pytest.raises(NoModelError):
        assemble_analyzer([], device="cpu")
    assert resolve_models(None) == ([], [])
    nothing = assemble_lenient(None, device="cpu")
    assert nothing.analyzer is None and nothing.problems == () and nothing.names == []


def test_a_corrupt_checkpoint_raises_strictly_and_is_skipped_leniently(
    folders: tuple[Path, Path], tiny_checkpoint: Path, tmp_path: Path
) -> None:
    bad = _corrupt(tmp_path)
    with pytest.raises(CheckpointError) as e:
        assemble_analyzer([str(tiny_checkpoint), str(bad)], device="cpu", faces=False)
    assert str(e.value).startswith(f"{bad}: ")
    result = assemble_lenient([str(bad), str(tiny_checkpoint)], device="cpu", faces=False)
    assert result.names == ["tiny"]
    assert len(result.problems) == 1 and result.problems[0].startswith(f"{bad}: ")
    assert "\n" not in result.problems[0]


def test_unknown_names_are_errors_that_name_them(folders: tuple[Path, Path]) -> None:
    with pytest.raises(ModelNotTrainedError, match="no trained checkpoint"):
        assemble_analyzer(["crfd-net"], device="cpu")
    result = assemble_lenient(["no-such-model", "crfd-net"], device="cpu")
    assert result.analyzer is None
    assert result.problems[0].startswith("no-such-model: ")
    assert "no trained checkpoint" in result.problems[1]


def test_resolve_models_reports_each_unusable_model(tiny_checkpoint: Path) -> None:
    paths, problems = resolve_models([str(tiny_checkpoint), "no-such-model", "crfd-net"])
    assert paths == [str(tiny_checkpoint)]
    assert len(problems) == 2
    assert problems[0].startswith("no-such-model: ")
    assert "no trained checkpoint" in problems[1]


# --- ensembles -------------------------------------------------------------------------------


def test_an_ensemble_brings_its_members_and_a_member_chosen_too_loads_once(
    folders: tuple[Path, Path], tiny_checkpoint: Path
) -> None:
    folder = tiny_checkpoint.parent
    second = _copy(tiny_checkpoint, folder, "tiny2")
    duo = _ensemble(folder, "duo", [tiny_checkpoint.name, second.name])
    (folder / "sub").mkdir()
    detour = str(folder / "sub" / ".." / tiny_checkpoint.name)  # the same file, spelled otherwise
    for specs in ([str(duo)], [str(tiny_checkpoint), str(duo)], [detour, str(duo)]):
        analyzer = assemble_analyzer(specs, device="cpu", faces=False)
        assert analyzer.names == ["tiny", "tiny2"]
        assert analyzer.ensemble.resolved == {
            "tiny.safetensors": "tiny",
            "tiny2.safetensors": "tiny2",
        }
    lenient = assemble_lenient([detour, str(duo)], device="cpu", faces=False)
    assert lenient.problems == () and lenient.names == ["tiny", "tiny2"]
    assert lenient.analyzer.ensemble.name == "duo"


def test_a_missing_ensemble_member_raises_strictly_and_drops_the_ensemble_leniently(
    folders: tuple[Path, Path], tiny_checkpoint: Path
) -> None:
    folder = tiny_checkpoint.parent
    gone = _ensemble(folder, "gone", [tiny_checkpoint.name, "nowhere"])
    with pytest.raises(CheckpointError, match="nowhere"):
        assemble_analyzer([str(gone)], device="cpu", faces=False)
    result = assemble_lenient([str(tiny_checkpoint), str(gone)], device="cpu", faces=False)
    assert result.names == ["tiny"] and result.analyzer.ensemble is None
    assert len(result.problems) == 1
    assert result.problems[0].startswith(f"{gone}: member 'nowhere' is not found")

    broken = _corrupt(folder, "broken")  # found, but does not load
    half = _ensemble(folder, "half", [tiny_checkpoint.name, broken.name])
    with pytest.raises(CheckpointError, match="broken"):
        assemble_analyzer([str(half)], device="cpu", faces=False)
    result = assemble_lenient([str(half)], device="cpu", faces=False)
    assert result.names == ["tiny"] and result.analyzer.ensemble is None
    assert result.problems[0].startswith(f"{broken}: ")
    assert result.problems[1] == f"{half}: member 'broken.safetensors' is not loaded; no ensemble"


def test_a_member_named_by_its_model_name_is_found_among_the_given_files_and_beside_it(
    folders: tuple[Path, Path], tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """`forensic-train ensemble` records its members' model names, and a user's checkpoints
    are in no search folder: a member is looked up among the --model files given with the
    ensemble and in the ensemble file's folder (found in a docs walk-through: scoring one's
    own ensemble as docs/TRAINING.md says failed with "no such checkpoint")."""
    run = tmp_path / "run1"
    mine = _copy(tiny_checkpoint, run, "mine")
    own = run / "cal.safetensors"  # its file name says nothing of its model name
    mine.rename(own)
    elsewhere = tmp_path / "ensembles"
    elsewhere.mkdir()
    ens = _ensemble(elsewhere, "mine", ["mine"])
    analyzer = assemble_analyzer([str(own), str(ens)], device="cpu", faces=False)
    assert analyzer.names == ["mine"] and analyzer.ensemble.resolved == {"mine": "mine"}
    lenient = assemble_lenient([str(own), str(ens)], device="cpu", faces=False)
    assert lenient.problems == () and lenient.analyzer.ensemble.name == "mine"

    beside = _ensemble(run, "beside", ["mine"])  # beside the checkpoint: found alone
    analyzer = assemble_analyzer([str(beside)], device="cpu", faces=False)
    assert analyzer.names == ["mine"] and analyzer.ensemble.resolved == {"mine": "mine"}

    with pytest.raises(CheckpointError) as e:  # alone, and not beside it: where it looked
        assemble_analyzer([str(ens)], device="cpu", faces=False)
    bundled, user = folders
    message = str(e.value)
    assert message.startswith(f"{ens}: member 'mine' is not found")
    for place in (str(elsewhere), str(bundled), str(user), "--model", "FORENSIC_VIEWER_MODELS"):
        assert place in message
    assert "\n" not in message


def test_one_ensemble_at_a_time(folders: tuple[Path, Path], tiny_checkpoint: Path) -> None:
    folder = tiny_checkpoint.parent
    second = _copy(tiny_checkpoint, folder, "tiny2")
    first = _ensemble(folder, "first", [tiny_checkpoint.name])
    other = _ensemble(folder, "other", [second.name])
    strict = assemble_analyzer([str(first), str(other)], device="cpu", faces=False)
    assert strict.ensemble.name == "first" and strict.names == ["tiny"]
    lenient = assemble_lenient([str(other), str(first)], device="cpu", faces=False)
    assert lenient.analyzer.ensemble.name == "other" and lenient.names == ["tiny2"]
    assert lenient.problems == (f"one ensemble at a time: using {other}",)


# --- devices and faces -----------------------------------------------------------------------


def test_a_bad_device_raises_strictly_and_gives_no_analyzer_leniently(
    tiny_checkpoint: Path,
) -> None:
    with pytest.raises(ValueError, match="tpu"):
        assemble_analyzer([str(tiny_checkpoint)], device="tpu", faces=False)
    result = assemble_lenient([str(tiny_checkpoint)], device="tpu", faces=False)
    assert result.analyzer is None and len(result.problems) == 1 and "tpu" in result.problems[0]


def test_faces_true_builds_a_detector_and_a_given_one_is_used(tiny_checkpoint: Path) -> None:
    from engine.faces import FaceDetector

    analyzer = assemble_analyzer([str(tiny_checkpoint)], device="cpu", faces=True)
    assert isinstance(analyzer.faces, FaceDetector)
    mine = FaceDetector(min_confidence=0.9)
    assert assemble_analyzer([str(tiny_checkpoint)], device="cpu", faces=mine).faces is mine


def test_a_detector_that_cannot_be_made_is_left_out(
    tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import engine.faces

    def unavailable() -> None:
        raise RuntimeError("the OpenCV Haar cascade is not installed")

    monkeypatch.setattr(engine.faces, "FaceDetector", unavailable)
    assert assemble_analyzer([str(tiny_checkpoint)], device="cpu").faces is None
    result = assemble_lenient([str(tiny_checkpoint)], device="cpu")
    assert result.names == ["tiny"] and result.analyzer.faces is None
    assert result.problems == ("face detection is off: the OpenCV Haar cascade is not installed",)


# --- listing ---------------------------------------------------------------------------------


def test_available_models_lists_checkpoints_with_origin_and_ensembles(
    folders: tuple[Path, Path], tiny_checkpoint: Path
) -> None:
    bundled, user = folders
    _copy(tiny_checkpoint, bundled, "alpha")
    _copy(tiny_checkpoint, user, "own")
    bad = _corrupt(user)
    _ensemble(user, "mix", ["alpha", "own"])
    listing = available_models([tiny_checkpoint.parent])
    assert [(e.name, e.origin) for e in listing.checkpoints] == [
        ("alpha", "bundled"),
        ("own", "user"),
        ("tiny", "extra"),
    ]
    assert all(e.meta.architecture == "crfd-net-compact" for e in listing.checkpoints)
    assert not any(e.is_ensemble for e in listing.checkpoints)
    assert [(e.name, e.origin, e.is_ensemble) for e in listing.ensembles] == [("mix", "user", True)]
    assert len(listing.problems) == 1 and listing.problems[0].startswith(f"{bad}: ")


def test_describe_model_reads_a_checkpoint_header_and_names_a_bad_file(
    tiny_checkpoint: Path, tmp_path: Path
) -> None:
    entry = describe_model(tiny_checkpoint)
    assert (entry.name, entry.origin, entry.is_ensemble) == ("tiny", "file", False)
    assert entry.meta.decision.provenance == "test fixture, random weights"
    duo = describe_model(tmp_path / f"duo{ENSEMBLE_SUFFIX}")  # read when assembled, not here
    assert (duo.name, duo.is_ensemble, duo.meta) == ("duo", True, None)
    bad = _corrupt(tmp_path)
    with pytest.raises(CheckpointError, match=r"bad\.safetensors"):
        describe_model(bad)


def test_importing_assembly_leaves_the_pipeline_unloaded() -> None:
    code = "import sys, engine.assembly; print('engine.pipeline' in sys.modules)"
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
