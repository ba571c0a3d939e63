"""Every registered architecture, read from the registry (STYLE: registry-driven model tests), so
a new file under engine/models/ is checked without being named here: it declares a training
family the trainer has an objective for, or declares none and cannot be trained; and it runs a
forward and a backward pass on a tiny input, through its family's objective when it has one.

And the family is the declared one, never the name's prefix (the 2026-12-06 walk-through: a
network registered as ``m2f-tiny-fcn`` was trained with Mask2Former's objective and ended in a
traceback)."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest
import torch

from engine.models import registry
from engine.models.registry import create_model, get_spec, list_models, register_model
from trainer.cli import main
from trainer.families import FAMILIES, family_batch_size, family_of, trainable, two_stages
from trainer.objectives import objective_for, trainable_parameters
from trainer.objectives.crfd import CRFDObjective
from trainer.plan import TrainingConfig, trainable_architectures

pytestmark = pytest.mark.usefixtures("one_torch_thread")

ARCHITECTURES = list_models()
# Paper-size variants, 2 to 14 s each on one CPU thread (built, one forward and backward;
# 2026-12-06): run by `make test-all` only. Each architecture file keeps its small variants in
# `make test` (checked below), and a new variant runs unless it is added here.
SLOW = frozenset(
    {
        "diffforensics-b2",
        "diffforensics-b3",
        "diffforensics-b4",
        "diffforensics-b5",
        "m2f-swin-s",
        "m2f-swin-t",
        "m2f-swin-t-compact",
    }
)
SIZE = 64  # px: the smallest input every bundled architecture takes (Swin's four /2 stages, /32)


def _marked(arch: str) -> object:
    return pytest.param(arch, marks=pytest.mark.slow) if arch in SLOW else arch


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_every_architecture_has_an_objective_or_is_declared_untrainable(arch: str) -> None:
    spec = get_spec(arch)
    if spec.family is None:  # declared so at registration: fit refuses it, naming the file
        with pytest.raises(ValueError, match=f"{spec.source} declares family=None"):
            objective_for(arch)
        return
    assert spec.family in FAMILIES, (
        f"{arch} declares family {spec.family!r} in {spec.source}: add the family's row "
        "(objective module and classes) to FAMILIES in trainer/families.py, or declare "
        "family=None there if it is not to be trained"
    )
    objective_for(arch)  # the family's module imports and defines its objective
    if two_stages(arch):
        objective_for(arch, "pretrain")


def test_every_architecture_file_keeps_a_variant_out_of_the_slow_list() -> None:
    files = {get_spec(a).source for a in ARCHITECTURES}
    quick = {get_spec(a).source for a in ARCHITECTURES if a not in SLOW}
    assert files == quick, f"every variant of {sorted(files - quick)} is in SLOW"


@pytest.mark.parametrize("arch", [_marked(a) for a in ARCHITECTURES])
def test_every_architecture_runs_forward_and_backward_on_a_tiny_input(arch: str) -> None:
    torch.manual_seed(0)
    spec = get_spec(arch)
    model = create_model(arch).eval()
    images = torch.randn(2, 3, SIZE, SIZE)
    with torch.no_grad():
        out = model(images)
    mask = out["mask"] if spec.outputs == "mask+image" else out
    assert mask.shape == (2, 1, SIZE, SIZE) and torch.isfinite(mask).all()
    if spec.outputs == "mask+image":
        assert out["image"].shape == (2,) and torch.isfinite(out["image"]).all()

    model.train()
    if trainable(arch):  # the loss training uses, through the outputs only it reads
        objective = objective_for(arch)
        masks = torch.zeros(2, 1, SIZE, SIZE)
        masks[0, :, 16:40, 8:48] = 1.0
        loss, _terms = objective(model, images, masks, torch.tensor([1.0, 0.0]))
        params = trainable_parameters(objective, model)
    else:
        out = model(images)
        parts = out.values() if isinstance(out, dict) else [out]
        loss = sum(t.square().mean() for t in parts if isinstance(t, torch.Tensor))
        params = [p for p in model.parameters() if p.requires_grad]
    assert torch.isfinite(loss)
    loss.backward()
    grads = [p.grad for p in params if p.grad is not None]
    if trainable(arch):
        assert len(grads) == len(params), "a parameter the objective trains gets no gradient"
    assert grads and all(torch.isfinite(g).all() for g in grads)
    assert sum(float(g.abs().sum()) for g in grads) > 0


def _declare(monkeypatch: pytest.MonkeyPatch, name: str, family: str | None) -> None:
    """Register CRFD-Net-compact's network under ``name`` declaring ``family``."""
    spec = dataclasses.replace(get_spec("crfd-net-compact"), name=name, family=family)
    monkeypatch.setitem(registry._REGISTRY, name, spec)


def test_a_name_that_starts_like_a_family_is_not_trained_as_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _declare(monkeypatch, "m2f-tiny-fcn", None)
    _declare(monkeypatch, "diffforensics-tiny", "crfd-net")
    _declare(monkeypatch, "crfd-net-odd", "no-such-family")

    with pytest.raises(ValueError) as e:
        family_of("m2f-tiny-fcn")
    assert "engine/models/crfd_net.py declares family=None" in str(e.value)
    assert "FAMILIES in trainer/families.py" in str(e.value)
    assert not trainable("m2f-tiny-fcn") and family_batch_size("m2f-tiny-fcn") == 4

    assert isinstance(objective_for("diffforensics-tiny"), CRFDObjective)
    assert not two_stages("diffforensics-tiny") and family_batch_size("diffforensics-tiny") == 4
    with pytest.raises(ValueError, match="has no 'pretrain' stage"):
        objective_for("diffforensics-tiny", "pretrain")

    with pytest.raises(ValueError, match=r"'no-such-family' .* has no row in FAMILIES"):
        objective_for("crfd-net-odd")

    offered = trainable_architectures()
    assert "diffforensics-tiny" in offered
    assert "m2f-tiny-fcn" not in offered and "crfd-net-odd" not in offered
    config = TrainingConfig(name="t", arch="m2f-tiny-fcn", data=["d"], runs_dir="runs")
    assert any("declares family=None" in p for p in config.problems())


def test_fit_of_an_architecture_without_a_family_says_which_registration_to_edit(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _declare(monkeypatch, "m2f-tiny-fcn", None)
    (tmp_path / "data").mkdir()
    code = main(
        [
            "fit",
            "--arch",
            "m2f-tiny-fcn",
            "--data",
            str(tmp_path / "data"),
            "--out",
            str(tmp_path / "o"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2, err
    (line,) = err.strip().splitlines()
    assert "'m2f-tiny-fcn'" in line and "engine/models/crfd_net.py" in line
    assert "register_model(..., family=...)" in line and "trainer/families.py" in line


def test_a_registration_without_family_reads_as_none_with_one_warning_naming_its_file(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An architecture file written to the registration of before 2026-12-06 (no family=)
    registers, untrainable, and says so once per file, not a traceback in every program."""
    registry.list_models()  # the project's architectures registered before the copy
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    monkeypatch.setattr(registry, "_WARNED_SOURCES", set())
    config = get_spec("crfd-net-compact").defaults

    def build(c: object) -> None:
        return None

    with caplog.at_level(logging.WARNING, logger="engine.models.registry"):
        register_model("old-net", config, description="yesterday's call")(build)
        register_model("old-net-large", config)(build)  # the same file: no second warning
    assert get_spec("old-net").family is None and get_spec("old-net-large").family is None
    (line,) = [r.getMessage() for r in caplog.records if r.name == "engine.models.registry"]
    assert line.startswith(f"{__name__.replace('.', '/')}.py: register_model('old-net', ...)")
    assert "declares no family=" in line and "\n" not in line
    with pytest.raises(
        ValueError, match=r"tests/trainer/test_every_architecture\.py declares family=None"
    ):
        family_of("old-net")  # fit refuses it in its one line naming the file
