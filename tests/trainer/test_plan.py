"""The plan of a training run (``trainer.plan``), without Qt: the command of every step, the
stage folders, resume, the run state in the run folder, readiness, the data check's answer and
the pretrained-weights setting, fine-tuning from a checkpoint (its stage, its configuration, what
stops it)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import HANG_S
from trainer.check import check_answer
from trainer.plan import (
    BEST_CHECKPOINT,
    RESUME_NAME,
    Folder,
    RunState,
    TrainingConfig,
    assess,
    config_argument,
    default_pretrained,
    default_runs_dir,
    imagenet_available,
    install_checkpoint,
    known_architectures,
    readiness,
    resume_note,
    run_folder,
)
from trainer.starting import read_starting_point, starting_points

ROOT = Path(__file__).resolve().parents[2]


def test_the_plan_and_the_progress_protocol_import_without_torch() -> None:
    # The viewer's training dialog and `forensic-train --help` read these; torch would cost
    # seconds and is not needed to describe a run or read its events.
    code = (
        "import sys, trainer.plan, trainer.progress, trainer.cli; "
        "loaded = sorted(m for m in ('torch', 'PySide6') if m in sys.modules); "
        "assert not loaded, loaded"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=HANG_S,
    )
    assert done.returncode == 0, done.stderr


def test_run_folders_stay_in_the_per_user_folder_wherever_the_models_folder_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """$FORENSIC_VIEWER_MODELS may name a shared, read-only models folder (or one in ``/``):
    the runs go to ``runs`` in the per-user folder, not beside it into its parent."""
    from engine.catalog import user_models_dir

    data, shared = tmp_path / "data", tmp_path / "shared" / "models"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.setenv("FORENSIC_VIEWER_MODELS", str(shared))
    assert user_models_dir() == shared
    assert default_runs_dir() == data / "forensic-viewer" / "runs"
    monkeypatch.delenv("FORENSIC_VIEWER_MODELS")
    assert default_runs_dir() == data / "forensic-viewer" / "runs"


def _config(tmp_path: Path, arch: str = "crfd-net-compact", **kw: object) -> TrainingConfig:
    return TrainingConfig(
        name="run1", arch=arch, data=["/d/a", "/d/b:0.5"], runs_dir=str(tmp_path), **kw
    )


def test_one_stage_command_lines(tmp_path: Path) -> None:
    c = _config(tmp_path, model_config=["channels=8,16,32"], max_steps=5, validate=False)
    (stage,) = c.stages()
    assert stage.out == tmp_path / "run1"
    argv = c.stage_argv(stage, resume=False)
    assert argv[:5] == ["fit", "--arch", "crfd-net-compact", "--out", str(tmp_path / "run1")]
    for pair in (
        ["--data", "/d/a"],
        ["--data", "/d/b:0.5"],
        ["--model-config", "channels=8,16,32"],
        ["--max-steps", "5"],
        ["--threads", "1"],
        ["--name", "run1"],
    ):
        assert any(argv[i : i + 2] == pair for i in range(len(argv))), (pair, argv)
    assert "--no-val" in argv and "--resume" not in argv and "--init" not in argv
    assert "--keep-split" in argv  # calibrate measures θ on the split's held-out part
    assert c.stage_argv(stage, resume=True)[-1] == "--resume"
    assert c.check_argv()[0] == "check" and c.check_argv()[-1] == "--json"
    cal = c.calibrate_argv(tmp_path / "run1" / "best.safetensors")
    assert cal[:3] == ["calibrate", "--model", str(tmp_path / "run1" / "best.safetensors")]
    assert cal[cal.index("--val-fraction") + 1] == "0.15"  # the split fit used
    assert cal[cal.index("--out") + 1] == str(c.calibrated_path())


def test_the_extra_arguments_come_last(tmp_path: Path) -> None:
    # options no field sets; one a field sets (--epochs) is refused (tests/trainer/test_plan_args)
    c = _config(tmp_path, extra=["--lr", "2e-4", "--warmup", "3"])
    assert c.problems() == []
    argv = c.stage_argv(c.stages()[0], resume=True)
    assert argv[-5:] == ["--resume", "--lr", "2e-4", "--warmup", "3"]


def test_diffforensics_runs_two_stages_the_second_from_the_first(tmp_path: Path) -> None:
    c = _config(tmp_path, arch="diffforensics-compact")
    one, two = c.stages()
    assert one.command == "pretrain" and one.out == tmp_path / "run1" / "stage1"
    assert two.command == "fit" and two.init == one.out / "last.safetensors"
    argv = c.stage_argv(two, resume=False)
    assert argv[0] == "fit" and argv[argv.index("--init") + 1] == str(one.out / "last.safetensors")
    assert c.stage_argv(one, resume=False)[0] == "pretrain"


def test_the_final_checkpoint_is_the_last_stages_best_else_its_last(tmp_path: Path) -> None:
    c = _config(tmp_path, arch="diffforensics-compact")
    out = c.stages()[-1].out
    assert c.final_checkpoint() == out / "last.safetensors"
    out.mkdir(parents=True)
    (out / "best.safetensors").write_bytes(b"")
    assert c.final_checkpoint() == out / "best.safetensors"


def test_pretrained_weights_reach_the_first_stage_only(tmp_path: Path) -> None:
    c = _config(tmp_path, arch="diffforensics-effl0", pretrained="imagenet")
    assert c.problems() == []
    one, two = c.stages()
    argv = c.stage_argv(one, resume=False)
    assert argv[argv.index("--model-config") + 1] == "encoder_weights=imagenet"
    assert "encoder_weights=imagenet" not in c.stage_argv(two, resume=False)  # --init has them
    swin = tmp_path / "swin.safetensors"
    swin.write_bytes(b"")
    m2f = _config(tmp_path, arch="m2f-swin-nano", pretrained=str(swin))
    (stage,) = m2f.stages()
    assert f"backbone_weights={swin}" in m2f.stage_argv(stage, resume=False)
    cnn = _config(tmp_path, arch="m2f-effl0", pretrained="imagenet")  # Mask2Former, CNN backbone
    assert cnn.problems() == []
    (stage,) = cnn.stages()
    assert "backbone_weights=imagenet" in cnn.stage_argv(stage, resume=False)


@pytest.mark.parametrize(
    ("arch", "pretrained", "model_config", "expected"),
    [
        ("crfd-net-compact", "imagenet", [], "crfd-net-compact takes none"),
        ("diffforensics-compact", "imagenet", [], "only known for EfficientNet-Lite"),
        ("m2f-swin-nano", "/nowhere/swin.pth", [], "/nowhere/swin.pth: no such file"),
        ("diffforensics-effl0", "imagenet", ["encoder_weights=x"], "not both"),
    ],
)
def test_pretrained_weights_problems(
    tmp_path: Path, arch: str, pretrained: str, model_config: list[str], expected: str
) -> None:
    c = _config(tmp_path, arch=arch, pretrained=pretrained, model_config=model_config)
    assert any(expected in p for p in c.problems()), c.problems()


def test_the_pretrained_setting_follows_the_architecture() -> None:
    if imagenet_available():
        assert default_pretrained("diffforensics-effl0", "") == "imagenet"
        assert default_pretrained("m2f-effl0", "") == "imagenet"
    if imagenet_available("diffforensics-effl2"):
        assert default_pretrained("diffforensics-effl2", "") == "imagenet"
    assert default_pretrained("diffforensics-effl0", "/w/enc.pth") == "/w/enc.pth"
    assert default_pretrained("m2f-swin-nano", "imagenet") == ""  # no Swin shorthand
    assert default_pretrained("m2f-swin-nano", "/w/swin.pth") == "/w/swin.pth"
    assert default_pretrained("m2f-swin-nano", "") == ""
    assert default_pretrained("crfd-net-compact", "imagenet") == "imagenet"  # ignored, not lost


def test_run_state_next_stage_and_readiness(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORENSIC_VIEWER_MODELS", str(tmp_path / "models"))
    c = _config(tmp_path, arch="diffforensics-compact")
    ok = {"ok": True}
    assert readiness(c, ok, None)[:2] == (True, False)
    assert readiness(c, {"ok": False}, None)[:2] == (False, False)
    assert readiness(c, None, None)[:2] == (False, False)
    state = RunState(c)
    state.save()
    assert RunState.load(c.run_dir).config == c
    assert not state.has_progress() and readiness(c, ok, state)[:2] == (True, False)
    one, two = c.stages()
    one.out.mkdir(parents=True)
    (one.out / RESUME_NAME).write_bytes(b"")
    assert state.next_stage() == (one, True)
    assert readiness(c, ok, state)[:2] == (False, True)
    state.done.append(str(one.out))
    assert state.next_stage() == (two, False)
    state.done.append(str(two.out))
    assert state.next_stage() is None
    c.installed_path().parent.mkdir(parents=True)
    c.installed_path().write_bytes(b"")
    assert c.installed_path() == tmp_path / "models" / "run1.safetensors"
    can_start, can_resume, reason = readiness(c, ok, state)
    assert not can_start and not can_resume and "installed already" in reason
    bad = _config(tmp_path, arch="crfd-net-compact")
    bad.name = "../escape"
    assert "output name" in readiness(bad, ok, None)[2]


def test_run_state_survives_a_round_trip_and_refuses_a_broken_file(tmp_path: Path) -> None:
    c = _config(tmp_path, pretrained="", extra=["--lr", "1e-3"])
    RunState(c, ["x"], calibrate=True).save()
    loaded = RunState.load(c.run_dir)
    assert loaded == RunState(c, ["x"], calibrate=True)
    (c.run_dir / "training-dialog.json").write_text("{not json")
    assert RunState.load(c.run_dir) is None
    assert RunState.load(tmp_path / "nowhere") is None


def test_a_run_folder_made_outside_the_dialog_is_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORENSIC_VIEWER_MODELS", str(tmp_path / "models"))
    c = _config(tmp_path)
    c.run_dir.mkdir()
    (c.run_dir / RESUME_NAME).write_bytes(b"")
    can_start, can_resume, reason = readiness(c, {"ok": True}, RunState.load(c.run_dir))
    assert not can_start and not can_resume and "outside this dialog" in reason


def test_check_answer_takes_the_last_json_line_and_reports_a_failed_check() -> None:
    lines = ["decoding ...", '{"ok": false, "problems": ["t1.png: no mask"], "warnings": []}']
    assert check_answer(2, lines)["problems"] == ["t1.png: no mask"]  # refused: still an answer
    assert check_answer(0, ['{"ok": true}'])["ok"] is True
    crashed = check_answer(-1, lines[:1], "MemoryError")
    assert crashed["ok"] is False and crashed["problems"] == ["the data check failed: MemoryError"]
    silent = check_answer(1, [])
    assert silent["problems"] == ["the data check failed: exit status 1"]


def test_install_copies_whole_and_leaves_no_partial_file(tmp_path: Path) -> None:
    src = tmp_path / "run" / "best.safetensors"
    src.parent.mkdir()
    src.write_bytes(b"weights")
    dst = install_checkpoint(src, tmp_path / "models" / "mine.safetensors")
    assert dst.read_bytes() == b"weights"
    assert [p.name for p in dst.parent.iterdir()] == ["mine.safetensors"]


def test_processes_launch_the_stages_with_nproc_and_share_the_batch(tmp_path: Path) -> None:
    one = _config(tmp_path)
    assert "--nproc" not in one.stage_argv(one.stages()[0], resume=False)
    c = _config(tmp_path, processes=2, batch_size=4)
    argv = c.stage_argv(c.stages()[0], resume=True)
    assert argv[argv.index("--nproc") + 1] == "2" and argv[-1] == "--resume"
    assert not any("processes" in p for p in c.problems())
    small = _config(tmp_path, processes=4, batch_size=2)
    assert any("at least the number of processes" in p for p in small.problems())
    # at the edge: one image short of one a process is refused, one a process is not
    assert any(
        "batch size (3)" in p for p in _config(tmp_path, processes=4, batch_size=3).problems()
    )
    assert not any(
        "processes" in p for p in _config(tmp_path, processes=4, batch_size=4).problems()
    )
    assert TrainingConfig.from_json(c.to_json()).processes == 2


def test_resume_is_offered_only_for_a_run_stopped_before_it_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A finished run keeps its stages' resume files (fit writes one with every checkpoint),
    so they alone do not make it resumable: Resume was offered and only re-ran calibration."""
    monkeypatch.setenv("FORENSIC_VIEWER_MODELS", str(tmp_path / "models"))
    c = _config(tmp_path)
    (stage,) = c.stages()
    state = RunState(c, [], calibrate=True)
    state.save()
    assert resume_note(c, None) == f"nothing to resume: {c.run_dir} holds no stopped run"
    assert resume_note(c, state).endswith("stopped before its first checkpoint")
    stage.out.mkdir(parents=True, exist_ok=True)
    (stage.out / RESUME_NAME).write_bytes(b"")  # stopped during training
    assert readiness(c, {"ok": True}, state)[:2] == (False, True)
    assert resume_note(c, state).startswith("continue the stopped run")
    assert resume_note(dataclasses.replace(c, data=[]), state) == (
        "cannot resume yet: add at least one data folder or JSON list"
    )
    state.done.append(str(stage.out))  # training ended; calibration still to run
    assert readiness(c, {"ok": True}, state)[:2] == (False, True)
    c.calibrated_path().write_bytes(b"")  # calibrated: the run is over
    can_start, can_resume, reason = readiness(c, {"ok": True}, state)
    assert (can_start, can_resume) == (False, False)
    assert "finished run" in reason and "nothing to resume" in reason
    # its model is the calibrated file the review showed, not the best checkpoint it came from
    (stage.out / BEST_CHECKPOINT).write_bytes(b"")
    reason = readiness(c, {"ok": True}, state)[2]
    assert f"(its model: {c.calibrated_path()})" in reason
    assert resume_note(c, state) == f"nothing to resume: the run in {c.run_dir} finished"
    uncalibrated = RunState(c, [str(stage.out)], calibrate=False)  # θ could not be calibrated
    assert readiness(c, {"ok": True}, uncalibrated)[:2] == (False, False)
    c.calibrated_path().unlink()
    reason = readiness(c, {"ok": True}, uncalibrated)[2]
    assert f"(its model: {stage.out / BEST_CHECKPOINT})" in reason


def _folder(tmp_path: Path, folder: Folder) -> tuple[TrainingConfig, RunState | None]:
    """A configuration whose run folder holds ``folder`` (a run of one stage, θ calibrated)."""
    c = _config(tmp_path / folder.value)
    (stage,) = c.stages()
    stage.out.mkdir(parents=True)
    if folder in (Folder.OUTSIDE, Folder.STOPPED, Folder.FINISHED):
        (stage.out / RESUME_NAME).write_bytes(b"")
    if folder in (Folder.EMPTY, Folder.OUTSIDE):
        return c, None
    state = RunState(c, [str(stage.out)] if folder is Folder.FINISHED else [], calibrate=True)
    if folder is Folder.FINISHED:
        c.calibrated_path().write_bytes(b"")
    state.save()
    return c, RunState.load(c.run_dir)


@pytest.mark.parametrize("folder", list(Folder))
@pytest.mark.parametrize("blocker", ["none", "problem", "installed"])
@pytest.mark.parametrize("check", [None, {"ok": False}, {"ok": True}])
def test_start_resume_and_the_resume_note_come_from_one_decision(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    folder: Folder,
    blocker: str,
    check: dict | None,
) -> None:
    """``resume_note`` repeated ``readiness``' decision tree (and could drift from it): both are
    now read from :func:`assess`. In every state of the run folder, with and without what stops
    the configuration, Resume is enabled exactly when its note offers to continue the run."""
    monkeypatch.setenv("FORENSIC_VIEWER_MODELS", str(tmp_path / "models"))
    c, state = _folder(tmp_path, folder)
    assert run_folder(c, state) is folder
    if blocker == "problem":
        c = dataclasses.replace(c, data=[])
    elif blocker == "installed":
        c.installed_path().parent.mkdir(parents=True, exist_ok=True)
        c.installed_path().write_bytes(b"")
    r = assess(c, check, state)
    assert readiness(c, check, state) == (r.can_start, r.can_resume, r.reason)
    assert resume_note(c, state) == r.resume_note
    assert r.can_resume == r.resume_note.startswith("continue the stopped run")
    assert r.can_resume == (folder is Folder.STOPPED and blocker == "none")
    fresh = folder in (Folder.EMPTY, Folder.UNSTARTED)
    assert r.can_start == (fresh and blocker == "none" and check == {"ok": True})
    assert (r.reason == "ready") == r.can_start
    if folder is Folder.STOPPED and blocker == "problem":
        assert r.resume_note == "cannot resume yet: add at least one data folder or JSON list"


# --- fine-tuning: starting from a checkpoint ---------------------------------------------------


def write_checkpoint(
    path: Path, arch: str, scope: str = "image", header: dict | None = None, **config: object
) -> Path:
    """A checkpoint of ``arch`` with random weights (only its header matters to the plan);
    ``header``: config fields its header records beside the network's."""
    from engine.checkpoints import CheckpointMeta, InputPolicy, save_checkpoint
    from engine.models import create_model
    from engine.models.registry import config_to_dict

    model = create_model(arch, **config)
    meta = CheckpointMeta(
        architecture=arch,
        config={**config_to_dict(model.config), **(header or {})},
        input_policy=InputPolicy(window=64, stride=32),
        name=path.stem,
        scope=scope,
    )
    return save_checkpoint(path, model, meta)


def _argv_config(argv: list[str]) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv) if a == "--model-config"]


def test_fine_tuning_is_one_fit_init_stage_built_as_the_checkpoint(tmp_path: Path) -> None:
    from engine.checkpoints import read_meta
    from engine.models.registry import config_from_dict, get_spec
    from trainer.setup import parse_overrides

    tiny = write_checkpoint(tmp_path / "tiny.safetensors", "crfd-net-compact", channels=(8, 16, 32))
    c = _config(tmp_path, init=str(tiny), window=64)
    assert c.problems() == []
    (stage,) = c.stages()
    assert (stage.command, stage.out, stage.init) == ("fit", c.run_dir, tiny)
    assert "fit --init" in stage.title
    argv = c.stage_argv(stage, resume=False)
    assert argv[0] == "fit" and argv[argv.index("--init") + 1] == str(tiny)
    # fit builds --arch from its defaults unless told: the checkpoint's own channels are passed
    assert _argv_config(argv) == ["channels=8,16,32"]
    built = get_spec("crfd-net-compact").make_config(**parse_overrides(_argv_config(argv)))
    assert built == config_from_dict("crfd-net-compact", read_meta(tiny).config)
    assert c.final_checkpoint() == c.run_dir / "last.safetensors"


def test_fine_tuning_a_two_stage_architecture_skips_its_pretraining(tmp_path: Path) -> None:
    ckpt = write_checkpoint(tmp_path / "df.safetensors", "diffforensics-compact")
    c = _config(tmp_path, arch="diffforensics-compact", init=str(ckpt))
    assert c.problems() == []
    (stage,) = c.stages()  # not pretrain ▶ fit: the checkpoint holds stage 1's work
    assert stage.command == "fit" and stage.out == c.run_dir and stage.init == ckpt
    assert "no pretrain stage" in stage.title
    argv = c.stage_argv(stage, resume=False)
    assert argv[argv.index("--init") + 1] == str(ckpt)
    assert _argv_config(argv) == []  # the defaults: nothing to override


def test_the_pretrained_field_of_a_checkpoints_config_is_not_passed(tmp_path: Path) -> None:
    # a model trained from pretrained weights records them (a file of the machine it was
    # trained on, or imagenet); its own weights replace them, and the file may be missing here
    ckpt = write_checkpoint(
        tmp_path / "df.safetensors",
        "diffforensics-compact",
        header={"encoder_weights": "/elsewhere/mit.pth", "decoder_channels": [8, 16, 32]},
    )
    c = _config(tmp_path, arch="diffforensics-compact", init=str(ckpt))
    assert c.init_config() == ["decoder_channels=8,16,32"]


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing", "no such checkpoint file"),
        ("unreadable", "not a safetensors file"),
        ("other architecture", "a checkpoint of crfd-net-compact, not of diffforensics-compact"),
        ("pretrained", "pretrained weights: leave the field empty when starting from a model"),
        ("configuration", "keeps its checkpoint's configuration"),
        ("init in more arguments", "--init is set by 'start from'"),
    ],
)
def test_what_stops_fine_tuning(tmp_path: Path, case: str, expected: str) -> None:
    tiny = write_checkpoint(tmp_path / "tiny.safetensors", "crfd-net-compact", channels=(8, 16, 32))
    c = _config(tmp_path, init=str(tiny))
    assert c.problems() == []
    if case == "missing":
        c.init = str(tmp_path / "gone.safetensors")
    elif case == "unreadable":
        (tmp_path / "junk.safetensors").write_bytes(b"\x10" * 64)
        c.init = str(tmp_path / "junk.safetensors")
    elif case == "other architecture":
        c.arch = "diffforensics-compact"
    elif case == "pretrained":
        c.arch, c.pretrained = "diffforensics-effl0", "imagenet"
        c.init = str(write_checkpoint(tmp_path / "e.safetensors", "diffforensics-effl0"))
    elif case == "configuration":
        c.model_config = ["channels=4,8,16"]
    else:
        c.extra = ["--init", str(tiny)]
    problems = c.problems()
    assert len(problems) == 1 and expected in problems[0], problems
    assert c.start_problems() == problems
    assert "\n" not in problems[0]
    if case in ("missing", "unreadable"):
        assert c.init in problems[0]  # the line names the file


def test_a_run_state_without_init_loads_and_a_resumed_fine_tune_keeps_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORENSIC_VIEWER_MODELS", str(tmp_path / "models"))
    old = _config(tmp_path)
    payload = {"config": old.to_json(), "done": [], "calibrate": True}
    del payload["config"]["init"]  # written before the field existed
    old.run_dir.mkdir(parents=True)
    (old.run_dir / "training-dialog.json").write_text(json.dumps(payload))
    loaded = RunState.load(old.run_dir)
    assert loaded is not None and loaded.config.init == "" and loaded.config == old

    tiny = write_checkpoint(tmp_path / "tiny.safetensors", "crfd-net-compact", channels=(8, 16, 32))
    c = _config(tmp_path / "tuned", init=str(tiny))
    RunState(c, [], calibrate=True).save()
    assert json.loads((c.run_dir / "training-dialog.json").read_text())["config"]["init"] == str(
        tiny
    )
    state = RunState.load(c.run_dir)
    assert state is not None and state.config.init == str(tiny)
    c.run_dir.joinpath(RESUME_NAME).write_bytes(b"")  # stopped during training
    assert readiness(c, None, state)[:2] == (False, True)
    stage, resume = state.next_stage()
    argv = state.config.stage_argv(stage, resume)
    assert resume and argv[-1] == "--resume" and argv[argv.index("--init") + 1] == str(tiny)
    assert _argv_config(argv) == ["channels=8,16,32"]


def test_starting_points_are_the_catalogs_whole_image_and_face_models(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    models = tmp_path / "models"
    monkeypatch.setenv("FORENSIC_VIEWER_MODELS", str(models))
    mine = write_checkpoint(models / "mine.safetensors", "crfd-net-compact", channels=(8, 16, 32))
    faces = write_checkpoint(models / "my-faces.safetensors", "crfd-net-compact", scope="faces")
    starts = starting_points()
    own, face = sorted((s for s in starts if s.origin == "user"), key=lambda s: s.name)
    assert (own.path, own.name, own.arch, own.window) == (mine, "mine", "crfd-net-compact", 64)
    assert read_starting_point(mine) == own and not own.face_model
    assert face.path == faces and face.face_model and read_starting_point(faces) == face


def test_a_face_model_is_fine_tuned_then_decided_by_face_model_on_the_runs_split(
    tmp_path: Path,
) -> None:
    face = write_checkpoint(
        tmp_path / "f.safetensors", "crfd-net-compact", scope="faces", channels=(8, 16, 32)
    )
    c = _config(tmp_path, init=str(face), window=64, seed=5, device="cpu", threads=2)
    assert c.problems() == [] and c.face_start()
    (stage,) = c.stages()
    argv = c.stage_argv(stage, resume=False)
    assert argv[0] == "fit" and argv[argv.index("--init") + 1] == str(face)
    model = c.final_checkpoint()
    step = c.calibrate_argv(model)
    assert step[:5] == ["face-model", "--model", str(model), "--out", str(c.calibrated_path())]
    assert c.calibrated_path() == c.run_dir / "calibrated.safetensors"  # what Install takes
    # the split fit made: the same data options as fit's and calibrate's
    data_args = argv[argv.index("--data") : argv.index("--seed") + 2]
    assert data_args == step[step.index("--data") : step.index("--seed") + 2]
    assert step[step.index("--seed") + 1] == "5"
    for pair in (["--name", "run1"], ["--device", "cpu"], ["--threads", "2"]):
        assert any(step[i : i + 2] == pair for i in range(len(step))), (pair, step)
    assert step[step.index("--json") + 1] == str(c.run_dir / "face-model.json")
    assert "--val" not in step and "--test" not in step
    assert "face-model" in c.calibrate_words()[0] and "face-model" in c.calibrate_words()[1]
    whole = _config(
        tmp_path, init=str(write_checkpoint(tmp_path / "w.safetensors", "crfd-net-compact"))
    )
    assert not whole.face_start() and whole.calibrate_argv(model)[0] == "calibrate"
    assert "--pixel-threshold" not in step  # face-model chooses its own
    assert "face-model" not in " ".join(whole.calibrate_words())
    gone = _config(tmp_path, init=str(tmp_path / "gone.safetensors"))
    assert not gone.face_start() and gone.problems()  # refused, as any missing file


@pytest.mark.parametrize("arch", known_architectures())
def test_a_configuration_passed_as_arguments_reads_back_unchanged(arch: str) -> None:
    from engine.models.registry import get_spec
    from trainer.setup import parse_overrides

    spec = get_spec(arch)
    header = json.loads(json.dumps(dataclasses.asdict(spec.defaults)))  # as a header holds it
    items = [config_argument(k, v) for k, v in header.items()]
    assert spec.make_config(**parse_overrides(items)) == spec.defaults


def test_a_face_model_is_decided_only_with_authentic_validation_faces(tmp_path: Path) -> None:
    """face-model sets θ on the validation split's authentic faces: a split with none (the
    check's own 'calibration' only asks for authentic *training* images) would start a run
    whose last step fails; whole-image runs keep the check's answer."""
    tiny = {"channels": (8, 16, 32)}
    face = write_checkpoint(tmp_path / "face.safetensors", "crfd-net-compact", "faces", **tiny)
    whole = write_checkpoint(tmp_path / "whole.safetensors", "crfd-net-compact", **tiny)
    split = {"train_tampered": 5, "train_authentic": 3, "val_tampered": 2, "val_authentic": 0}
    check = {"calibration": True, "split": split}
    face_run = _config(tmp_path, init=str(face))
    assert not face_run.can_calibrate(check)
    assert face_run.can_calibrate({**check, "split": {**split, "val_authentic": 1}})
    assert _config(tmp_path, init=str(whole)).can_calibrate(check)
    assert not _config(tmp_path, init=str(whole)).can_calibrate({**check, "calibration": False})
    assert not face_run.can_calibrate(None)


def test_a_fresh_run_chooses_its_pixel_threshold_and_a_fine_tune_keeps_its_starts(
    tmp_path: Path,
) -> None:
    """A fresh run's header holds fit's pixel threshold 0.5, which nothing measured: calibrate
    chooses it on the run's validation split (``auto``, as the recipes do). A fine-tune keeps
    the starting checkpoint's, which fit validated the new weights at."""
    model = tmp_path / "run1" / "best.safetensors"
    for arch in ("crfd-net-compact", "diffforensics-compact"):  # one stage, two stages
        fresh = _config(tmp_path, arch=arch)
        cal = fresh.calibrate_argv(model)
        assert cal[cal.index("--pixel-threshold") + 1] == "auto"
        assert "pixel threshold" in fresh.calibrate_plan()
        assert "pixel threshold" in fresh.calibrate_words()[0]
    start = write_checkpoint(tmp_path / "w.safetensors", "crfd-net-compact")
    tune = _config(tmp_path, init=str(start))
    cal = tune.calibrate_argv(model)
    assert cal[cal.index("--pixel-threshold") + 1] == "keep"
    assert "keeping the starting model's pixel threshold" in tune.calibrate_plan()


def test_an_output_name_of_a_bundled_model_is_refused(tmp_path: Path) -> None:
    """A run named like a bundled model was installed as NAME.safetensors beside it, and the
    catalog finds the bundled one first: `--model NAME` and `models NAME` (its card) gave the
    bundled model, the fine-tuned one could be chosen by its path only."""
    from engine.catalog import BUNDLED_MODELS, resolve

    bundled = sorted(BUNDLED_MODELS.glob("*.safetensors"))[0]
    c = _config(tmp_path)
    c.name = bundled.stem
    assert resolve(c.name) == bundled  # what an installed model of that name would lose to
    can_start, _, reason = readiness(c, {"ok": True}, None)
    assert not can_start
    assert reason.startswith(f"output name: {bundled.stem} is a bundled model's name")
    c.name = bundled.stem + "-lab"
    assert readiness(c, {"ok": True}, None)[0]


def test_the_dialogs_masks_as_given_reaches_face_model_too(tmp_path: Path) -> None:
    """face-model chooses its pixel threshold on the run's masks by the inverted-mask rule as
    fit does: the dialog's "masks as given", which let fit train on them, reaches it too, or
    the run that trained would stop at its decision."""
    from trainer.cli import build_parser

    face = write_checkpoint(
        tmp_path / "f.safetensors", "crfd-net-compact", scope="faces", channels=(8, 16, 32)
    )
    for as_given in (False, True):
        c = _config(tmp_path, init=str(face), masks_as_given=as_given)
        step = c.calibrate_argv(c.final_checkpoint())
        assert step[0] == "face-model" and ("--masks-as-given" in step) == as_given
        assert build_parser().parse_args(step).masks_as_given == as_given


def test_a_run_another_trainer_holds_is_listed_and_assessed_as_running(tmp_path: Path) -> None:
    """A second viewer's dialog listed a run training right now as "stopped" and enabled
    Resume, whose trainer was then refused: the list and Resume now ask the run's lock."""
    from trainer.run_folder import RunLock
    from trainer.runs import earlier_runs

    c, state = _folder(tmp_path, Folder.STOPPED)
    assert assess(c, {"ok": True}, state).can_resume
    (run,) = earlier_runs(c.runs_dir)
    assert " — stopped, " in run.label()
    holder = RunLock(c.stages()[0].out, command="forensic-train fit").acquire()
    try:
        r = assess(c, {"ok": True}, state)
        assert (r.can_start, r.can_resume) == (False, False)
        assert f"running (PID {os.getpid()}) by another trainer" in r.resume_note
        (run,) = earlier_runs(c.runs_dir)
        assert f"run1 — running (PID {os.getpid()}), " in run.label()
    finally:
        holder.release(remove=True)
    assert assess(c, {"ok": True}, state).can_resume  # its trainer ended: Resume again
