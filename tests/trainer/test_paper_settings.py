"""What ``fit`` takes from the papers' training settings and records of them: the slowed
pretrained backbone of Mask2Former kept through ``--init``, the objective's gradient clip,
and a training window other than the paper's."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine.checkpoints import read_meta, save_checkpoint
from tests.trainer.conftest import make_folder
from trainer import cli
from trainer.setup import base_meta, build_model

pytestmark = pytest.mark.usefixtures("seeded_single_thread")

M2F = "m2f-swin-nano"


def _fit_m2f(data: Path, out: Path, *extra: str) -> None:
    argv = ["fit", "--arch", M2F, "--data", str(data), "--out", str(out), "--window", "64"]
    argv += ["--batch-size", "2", "--max-steps", "1", "--no-val", "--threads", "1", "--quiet"]
    assert cli.main([*argv, *extra]) == 0


def _lr_mults(out: Path) -> list[float]:
    """The learning-rate multipliers of the optimizer's groups the run saved, sorted."""
    state = torch.load(out / "last.resume.pt", map_location="cpu", weights_only=True)
    return sorted(g["lr_mult"] for g in state["optimizer"]["param_groups"])


def _first_run(path: Path, backbone_weights: str | None) -> Path:
    """A checkpoint whose header says what a first run's says: the backbone's weights file
    (never opened: a fine-tune is built without it)."""
    model, config = build_model(M2F, {}, seed=0)
    config["backbone_weights"] = backbone_weights
    return save_checkpoint(path, model, base_meta(M2F, config, 64, 32, "first"))


def test_a_fine_tune_of_a_pretrained_backbone_keeps_its_slower_rate(tmp_path: Path) -> None:
    """fit --init of a checkpoint trained from an ImageNet backbone trained that backbone at the
    head's rate: init_config leaves the weights file out of the new network's config, and the
    objective took the backbone for a random one (0.1x only with backbone_weights set)."""
    data = make_folder(tmp_path / "d", 3, 1, seed=0)
    pretrained = _first_run(tmp_path / "imagenet.safetensors", "/nowhere/imagenet.pth")
    _fit_m2f(data, tmp_path / "fine", "--init", str(pretrained))
    assert _lr_mults(tmp_path / "fine") == [0.1, 0.1, 1.0, 1.0]  # backbone groups at 0.1x
    fine = read_meta(tmp_path / "fine" / "last.safetensors")
    assert fine.config["backbone_weights"] is None  # the file is not named, the fact is kept:
    assert fine.training["pretrained"] == ["backbone_weights"]
    _fit_m2f(data, tmp_path / "again", "--init", str(tmp_path / "fine" / "last.safetensors"))
    assert _lr_mults(tmp_path / "again") == [0.1, 0.1, 1.0, 1.0]
    # a random backbone stays at the head's rate
    scratch = _first_run(tmp_path / "scratch.safetensors", None)
    _fit_m2f(data, tmp_path / "other", "--init", str(scratch))
    assert _lr_mults(tmp_path / "other") == [1.0] * 4
    assert read_meta(tmp_path / "other" / "last.safetensors").training["pretrained"] == []


def test_pretraining_from_a_checkpoint_of_a_pretrained_encoder_freezes_it() -> None:
    """DiffForensics stage 1 freezes a pretrained encoder; pretrain --init of a checkpoint
    built from one (its header names the file) found no encoder_weights and trained it."""
    from engine.checkpoints import CheckpointMeta
    from trainer.fit_settings import stage_options

    base = ["pretrain", "--arch", "diffforensics-compact", "--data", "d", "--out", "o"]
    args = cli.build_parser().parse_args(base)
    init = CheckpointMeta("diffforensics-compact", {"encoder_weights": "/w/mit.pth"}, name="s1")
    assert stage_options(args, "pretrain", init) == {"freeze_encoder": True}
    init = CheckpointMeta("diffforensics-compact", {"encoder_weights": None}, name="s1")
    assert stage_options(args, "pretrain", init) == {"freeze_encoder": False}
    init.training = {"pretrained": ["encoder_weights"]}  # a fine-tune of a pretrained encoder
    assert stage_options(args, "pretrain", init) == {"freeze_encoder": True}


def test_mask2formers_own_gradient_clip_applies_unless_one_is_given(tmp_path: Path) -> None:
    """The objective declared Mask2Former's clip of 0.01 "for loops that support them", and
    no loop read it: --clip-grad's default of 1.0 applied to every architecture."""
    from trainer.objectives.mask2former import Mask2FormerObjective

    data = make_folder(tmp_path / "d", 3, 1, seed=0)
    _fit_m2f(data, tmp_path / "own")
    own = read_meta(tmp_path / "own" / "last.safetensors").training["fit_config"]
    assert own["clip_grad"] == Mask2FormerObjective().default_optim["clip_grad"] == 0.01
    _fit_m2f(data, tmp_path / "given", "--clip-grad", "2")
    assert (
        read_meta(tmp_path / "given" / "last.safetensors").training["fit_config"]["clip_grad"] == 2
    )


def test_a_window_other_than_the_papers_is_recorded_in_the_header(tmp_path: Path) -> None:
    """Mask2Former and DiffForensics train on 128-pixel crops by default while their papers
    train at 512: the header recorded train_window 128 and nothing said it was not the paper's."""
    data = make_folder(tmp_path / "d", 3, 1, seed=0)
    _fit_m2f(data, tmp_path / "small")
    small = read_meta(tmp_path / "small" / "last.safetensors").training
    assert (small["train_window"], small["paper_window"]) == (64, 512)
    assert small["window_note"] == (
        "trained on 64-pixel windows, not the paper's 512 (--window 512 for its setting)"
    )
    from trainer.fit_settings import window_note
    from trainer.objectives import objective_for

    assert window_note(objective_for(M2F), 512) is None
    assert window_note(objective_for("diffforensics-compact", "pretrain"), 128) is not None
    assert window_note(objective_for("crfd-net-compact"), 128) is None  # the paper names no P
