"""With one ``--data``, ``fit`` and ``calibrate`` choose on the validation half of the held-out
part only, so that ``eval --split test`` measures images that neither trained nor chose.

Found by an ML engineer's walk-through (2026-12-05): ``fit --data data`` validated on all six
held-out images and picked best.safetensors on them, ``calibrate --data data`` set θ on the
same six, and ``eval --split test`` (three of them) printed no note. A checkpoint chosen that
way before the fix says so when evaluated on its test half; the bundled models (``--val-data``,
θ chosen by ``forensic-train verdict``) are not described so.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.checkpoints import read_meta
from tests.trainer.conftest import make_folder
from trainer import cli
from trainer.calibrate import write_decision
from trainer.data.records import read_dataset
from trainer.data.splits import (
    CHOOSE_HALF,
    CHOSE_ON,
    WHOLE_HELD_OUT,
    three_way_split,
    validation_part,
)

pytestmark = pytest.mark.usefixtures("seeded_single_thread")

SPLIT = ["--split-by", "seed", "--val-fraction", "0.5", "--seed", "0"]
TINY_FIT = ["--model-config", "channels=8,16,32", "--window", "32", "--threads", "1"]


def _fit(data: Path, out: Path, *extra: str) -> list[str]:
    return ["fit", "--arch", "crfd-net-compact", "--data", str(data), "--out", str(out),
            *TINY_FIT, *SPLIT, "--epochs", "1", "--max-steps", "1", "--quiet", *extra]  # fmt: skip


def _notes(capsys: pytest.CaptureFixture[str], argv: list[str]) -> list[str]:
    assert cli.main(argv) == 0
    return [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("note: ")]


def _eval_test(model: Path, data: Path, tmp_path: Path) -> list[str]:
    return ["eval", "--model", str(model), "--data", str(data), "--split", "test", *SPLIT,
            "--json", str(tmp_path / "eval.json")]  # fmt: skip


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return make_folder(tmp_path / "d", 8, 8, seed=0, size=48)


def test_fit_and_calibrate_choose_on_the_validation_half_and_eval_test_is_held_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = make_folder(tmp_path / "d", 12, 12, seed=0, size=48)  # θ needs 5 images a side
    _, choose, test = three_way_split(read_dataset(data), 0.5, "seed", 0)
    assert choose and test and any(s.label == 1 for s in choose)
    run = tmp_path / "run"
    assert cli.main(_fit(data, run)) == 0
    meta = read_meta(run / "last.safetensors")
    record = meta.training["split"][str(data)]
    assert record[CHOSE_ON] == CHOOSE_HALF
    assert (record["val_images"], record["test_images"]) == (len(choose), len(test))
    assert meta.training["metrics"]["images"] == len(choose)  # what validation measured
    settings = json.loads((run / "run.json").read_text(encoding="utf-8"))["settings"]
    assert settings[CHOSE_ON] == CHOOSE_HALF

    cal = tmp_path / "cal.safetensors"
    argv = ["calibrate", "--model", str(run / "last.safetensors"), "--data", str(data)]
    assert cli.main([*argv, "--out", str(cal), *SPLIT, "--threads", "1"]) == 0
    details = read_meta(cal).decision.details
    counts = details["counts"]
    assert counts["val_tampered"] + counts["val_authentic"] == len(choose)
    assert details["split"][str(data)][CHOSE_ON] == CHOOSE_HALF
    capsys.readouterr()
    assert _notes(capsys, _eval_test(cal, data, tmp_path)) == []
    # the validation half chose the best epoch and θ: --split choose and val said nothing,
    # and their tables read as held-out results (--split all says it includes training images)
    choose = _eval_test(cal, data, tmp_path)
    choose[choose.index("test")] = "choose"
    (note,) = _notes(capsys, choose)
    assert note == (
        "note: these images are not held out: its training run chose its best epoch and "
        "calibrate chose its θ on them: the figures are optimistic; --split test with the "
        "run's split options measures images that chose nothing"
    )
    choose[choose.index("choose")] = "val"
    (note,) = _notes(capsys, choose)
    assert "chose its θ on its validation half, among them: the figures are optimistic" in note
    # rebuilt with another seed, the split is no longer the run's: the training note says so
    choose[choose.index("--seed") + 1] = "3"
    (note,) = _notes(capsys, choose)
    assert "another --seed or --val-fraction than the run's" in note


def test_eval_test_says_when_an_older_checkpoint_chose_on_the_whole_held_out_part(
    tmp_path: Path, data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    assert cli.main(_fit(data, run)) == 0
    src = run / "last.safetensors"
    meta = read_meta(src)
    held_out = meta.training["split"][str(data)]["held_out_images"]
    old_record = {
        k: v
        for k, v in meta.training["split"][str(data)].items()
        if k not in (CHOSE_ON, "test_images", "held_out_images")
    }
    old_record["val_images"] = held_out  # as a run before the fix recorded its split
    meta.training["split"] = {str(data): old_record}
    old = tmp_path / "old.safetensors"
    write_decision(src, old, meta)
    capsys.readouterr()
    (note,) = _notes(capsys, _eval_test(old, data, tmp_path))
    assert note.startswith("note: these test images are not held out: its training run chose")
    assert f"its best epoch on {data}'s whole held-out part" in note and "θ" not in note

    # θ of an older calibrate, chosen on the same whole part, is named too
    meta.decision.details = {"split": {str(data): old_record}, "data": [str(data)]}
    write_decision(src, old, meta)
    (note,) = _notes(capsys, _eval_test(old, data, tmp_path))
    assert "its best epoch on" in note and f"calibrate chose its θ on {data}'s whole" in note
    # --split choose is what chose: it says that it did, not that it holds the test half
    choose = _eval_test(old, data, tmp_path)
    choose[choose.index("test")] = "choose"
    (note,) = _notes(capsys, choose)
    assert note.startswith("note: these images are not held out: its training run chose")


def test_a_bundled_models_header_is_not_described_as_choosing_on_the_test_half(
    tmp_path: Path, data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The bundled models trained on the recipe's train.json with --val-data, and their θ was
    chosen by ``forensic-train verdict`` (``evidence_size`` in the details) on the validation
    part; their details still carry the ``split`` of an earlier ``calibrate``."""
    run = tmp_path / "run"
    assert cli.main(_fit(data, run)) == 0
    src = run / "last.safetensors"
    meta = read_meta(src)
    meta.training["split"] = {
        "runs/casia/split/train.json": {"by": "separate validation data", "train_images": 9},
        "val:runs/casia/split/choose.json": {"by": "separate validation data", "val_images": 3},
    }
    meta.training["data"] = [{"path": "runs/casia/split/train.json", "weight": 1.0}]
    old_record = {"by": "seed", "seed": 0, "val_fraction": 0.5, "val_images": 8}
    meta.decision.details = {"split": {str(data): old_record}, "evidence_size": {}}
    bundled = tmp_path / "bundled.safetensors"
    write_decision(src, bundled, meta)
    capsys.readouterr()
    assert _notes(capsys, _eval_test(bundled, data, tmp_path)) == []


def test_a_run_started_before_the_fix_resumes_validating_on_its_whole_held_out_part(
    tmp_path: Path, data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its best epoch so far was chosen on the whole part: a resume that validated on half of
    it would compare figures of two image sets."""
    run = tmp_path / "run"
    assert cli.main(_fit(data, run)) == 0
    run_json = run / "run.json"
    record = json.loads(run_json.read_text(encoding="utf-8"))
    del record["settings"][CHOSE_ON]  # as a run started before the fix recorded it
    run_json.write_text(json.dumps(record), encoding="utf-8")
    again = [*_fit(data, run, "--resume")]
    again[again.index("--epochs") + 1], again[again.index("--max-steps") + 1] = "2", "2"
    assert cli.main(again) == 0
    meta = read_meta(run / "last.safetensors")
    split = meta.training["split"][str(data)]
    assert CHOSE_ON not in split  # so eval --split test says that it chose
    assert meta.training["metrics"]["images"] == split["val_images"] == 8
    assert CHOSE_ON not in json.loads(run_json.read_text(encoding="utf-8"))["settings"]


def test_an_older_checkpoints_typed_split_keys_are_matched_from_another_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checkpoints written before 2026-12-05 key their split by the path as typed (``data``);
    resolved against another working folder it matched nothing and the note vanished. It is
    matched by its last parts, as :func:`trainer.evaluate.trained_on_note` matches it."""
    from trainer.evaluate import test_chose_note as chose_note  # not collected as a test

    data = tmp_path / "project" / "data"
    data.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    old_record = {"by": "seed", "seed": 0, "val_fraction": 0.5, "val_images": 8}
    note = chose_note({"split": {"data": old_record}}, {}, [data], 0, 0.5)
    assert note.startswith("note: these test images are not held out: its training run chose")
    assert chose_note({"split": {"other": old_record}}, {}, [data], 0, 0.5) == ""


def test_the_validation_part_comes_with_its_test_half(tmp_path: Path) -> None:
    """``check`` rebuilt the test half as the held-out images not in the validation half, a
    search of a list per image (quadratic in a CASIA-sized part, run on every data change in
    the dialog); ``validation_part`` returns the halves it made. They partition the held-out
    part; used whole (no tampered image in the validation half), the test half is empty."""
    samples = read_dataset(make_folder(tmp_path / "one", 1, 12, seed=0, size=32))
    seen = set()
    for seed in range(12):
        sp, choose, test, record = validation_part(samples, 0.5, "seed", seed)
        names = sorted(str(s.image) for s in choose + test)
        assert names == sorted(str(s.image) for s in sp.val) and len(set(names)) == len(names)
        assert (
            not test if record[CHOSE_ON] == WHOLE_HELD_OUT else len(test) == record["test_images"]
        )
        seen.add(record[CHOSE_ON])
    assert seen == {CHOOSE_HALF, WHOLE_HELD_OUT}


def test_a_validation_half_without_authentic_images_is_not_chosen_on(tmp_path: Path) -> None:
    """The held-out part was used whole only when its validation half lacked a tampered image;
    one without an authentic image chose θ on tampered images alone (no calibration, no
    authentic image's false alarm counted) while the test half held the authentic ones."""
    samples = read_dataset(make_folder(tmp_path / "one", 12, 1, seed=0, size=32))
    whole = 0
    for seed in range(12):
        sp, choose, _, record = validation_part(samples, 0.5, "seed", seed)
        if any(s.label == 0 for s in sp.val):
            assert any(s.label == 0 for s in choose)
            whole += record[CHOSE_ON] == WHOLE_HELD_OUT
    assert whole  # the case arose, and was used whole
