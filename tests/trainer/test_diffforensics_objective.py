"""DiffForensics objectives: stage-1 denoising, frozen encoder, stage-2 losses, overfitting."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from engine.models.diffforensics import DiffForensics
from engine.models.registry import create_model
from tests.engine.test_diffforensics import TINY
from tests.trainer.conftest import fit_steps, mask_f1
from trainer.objectives import objective_for
from trainer.objectives.diffforensics import (
    DiffForensicsFinetuneObjective,
    DiffForensicsObjective,
    DiffForensicsPretrainObjective,
    class_weights_from_counts,
    dice_loss,
    edge_labels,
    linear_betas,
    weighted_bce_with_logits,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _synthetic(
    n: int = 4, size: int = 64, seed: int = 0, authentic: int = 1
) -> tuple[torch.Tensor, ...]:
    """Smooth random textures; all but the last ``authentic`` get a pasted square of fine noise."""
    g = _gen(seed)
    coarse = torch.randn(n, 3, size // 8, size // 8, generator=g)
    background = F.interpolate(coarse, size=(size, size), mode="bilinear", align_corners=False)
    pasted = torch.randn(n, 3, size, size, generator=g) * 0.9
    masks = torch.zeros(n, 1, size, size)
    labels = torch.zeros(n)
    for i in range(n - authentic):
        side = int(torch.randint(size // 4, size // 2, (1,), generator=g))
        y, x = (int(v) for v in torch.randint(0, size - side, (2,), generator=g))
        masks[i, :, y : y + side, x : x + side] = 1.0
        labels[i] = 1.0
    images = 0.6 * background * (1 - masks) + pasted * masks
    return images, masks, labels


def _tiny_model(seed: int = 0) -> DiffForensics:
    torch.manual_seed(seed)
    return DiffForensics(TINY).train()


# --------------------------------------------------------------------------- stage 1


def test_stage1_frozen_encoder_is_unchanged_while_the_decoder_learns() -> None:
    model = _tiny_model()
    model.encoder_source = "test: pretend ADE20K weights were loaded"
    objective = DiffForensicsPretrainObjective(generator=_gen(0))
    params = objective.parameters(model)
    ids = {id(p) for p in params}
    assert not any(id(p) in ids for p in model.encoder.parameters())
    assert all(id(p) in ids for p in model.noise_head.parameters())
    assert not any(id(p) in ids for p in model.mask_head.parameters())
    before = {k: v.clone() for k, v in model.state_dict().items()}
    optimizer = torch.optim.AdamW(params, lr=1e-3, foreach=True)
    images, _, _ = _synthetic(2, 64)
    loss, terms = objective(model, images, None, None)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    assert set(terms) == {"mse", "t_mean"} and math.isfinite(terms["mse"])
    after = model.state_dict()
    for k in before:
        if k.startswith("encoder."):
            assert torch.equal(before[k], after[k]), f"frozen encoder tensor {k} changed"
    for prefix in ("decoder.", "time_embed.", "noise_head."):
        changed = [not torch.equal(before[k], after[k]) for k in before if k.startswith(prefix)]
        assert changed and all(changed), f"some {prefix} tensors did not move"
    assert all(p.grad is None for p in model.encoder.parameters())
    assert not model.encoder.training  # frozen: no stochastic depth


def test_stage1_warns_when_freezing_a_random_encoder_and_can_train_it() -> None:
    model = _tiny_model()
    with pytest.warns(UserWarning, match="random"):
        DiffForensicsPretrainObjective(generator=_gen(0))(model, _synthetic(1)[0])
    objective = DiffForensicsPretrainObjective(freeze_encoder=False, generator=_gen(0))
    params = objective.parameters(model)
    assert all(p.requires_grad for p in model.encoder.parameters())
    loss, _ = objective(model, _synthetic(2)[0])
    loss.backward()
    for name, p in model.named_parameters():
        if name.startswith(("encoder.", "decoder.", "time_embed.", "noise_head.")):
            assert p.grad is not None and p.grad.abs().sum() > 0, f"no gradient in {name}"
    assert len(params) == sum(
        1
        for n, _ in model.named_parameters()
        if not n.startswith(("ecem.", "mask_head.", "image_head."))
    )


@pytest.mark.parametrize("freeze", [True, False])
def test_stage1_loss_falls(freeze: bool) -> None:
    model = _tiny_model(1)
    model.encoder_source = "test"  # frozen or not, no warning about a random encoder
    images, _, _ = _synthetic(3, 48, seed=1)
    train = DiffForensicsPretrainObjective(freeze_encoder=freeze, generator=_gen(1))
    optimizer = torch.optim.AdamW(train.parameters(model), lr=2e-3, foreach=True)

    def held_out_loss() -> float:
        fixed = DiffForensicsPretrainObjective(freeze_encoder=freeze, generator=_gen(99))
        with torch.no_grad():
            return float(fixed(model, images)[0])

    start = held_out_loss()
    fit_steps(train, model, optimizer, 10, images)
    assert held_out_loss() < 0.7 * start


def test_diffusion_schedule_and_forward_process() -> None:
    objective = DiffForensicsPretrainObjective(noise="gaussian", generator=_gen(0))
    betas = linear_betas()
    assert betas.shape == (1000,) and betas[0] == 1e-4 and abs(float(betas[-1]) - 0.02) < 1e-12
    abar = objective.alphas_cumprod
    assert abs(float(abar[0]) - (1 - 1e-4)) < 1e-12  # t = 1
    assert float(abar[-1]) < 1e-4  # t = T: almost pure noise
    x0, eps = torch.randn(3, 3, 8, 8), torch.randn(3, 3, 8, 8)
    t = torch.tensor([1, 5, 1000])
    x_t = objective.q_sample(x0, t, eps)
    for i, step in enumerate(t.tolist()):
        a = float(abar[step - 1])
        assert torch.allclose(x_t[i], math.sqrt(a) * x0[i] + math.sqrt(1 - a) * eps[i], atol=1e-6)
    steps = objective.sample_t(4000, torch.device("cpu"))
    assert int(steps.min()) >= 1 and int(steps.max()) == 1000


# --------------------------------------------------------------------------- stage 2 terms


def test_edge_labels_are_a_band_around_the_boundary() -> None:
    mask = torch.zeros(1, 1, 20, 20)
    mask[..., 5:11, 5:11] = 1.0  # 6 x 6 square
    band = edge_labels(mask, radius=1)
    expected = torch.zeros(20, 20)
    for i in range(20):
        for j in range(20):
            near = mask[0, 0, max(i - 1, 0) : i + 2, max(j - 1, 0) : j + 2]
            expected[i, j] = float(near.max() != near.min())
    assert torch.equal(band[0, 0], expected)
    assert int(band.sum()) == (8 * 8 - 6 * 6) + (6 * 6 - 4 * 4)  # one ring outside, one inside
    # A forged region touching the image border makes no edge along the border.
    mask = torch.zeros(1, 1, 12, 12)
    mask[..., :, :4] = 1.0
    band = edge_labels(mask, radius=2)
    assert band[0, 0, :, 0].sum() == 0 and band[0, 0, :, 2:6].min() == 1


def test_loss_terms_follow_the_equations() -> None:
    z = torch.tensor([[2.0, -1.0], [0.5, -3.0]])
    y = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    p = torch.sigmoid(z)
    by_hand = -(2.0 * y * p.log() + 0.5 * (1 - y) * (1 - p).log()).mean()
    assert torch.allclose(weighted_bce_with_logits(z, y, 2.0, 0.5), by_hand)
    dice_by_hand = 1 - (2 * (p * y).sum() + 1) / ((p**2).sum() + (y**2).sum() + 1)
    assert torch.allclose(dice_loss(p[None], y[None]), dice_by_hand)
    assert class_weights_from_counts(7000, 3000) == (0.7, 0.3)
    assert class_weights_from_counts(7300, 2700) == (0.7, 0.2)  # floors, as the paper
    assert class_weights_from_counts(95, 5) == (0.9, 0.1)  # 0.0 raised: the class is present
    assert class_weights_from_counts(10, 0) == (1.0, 0.0)
    assert DiffForensicsFinetuneObjective.from_counts(3, 7).clf_weights == (0.3, 0.7)


def test_total_loss_combines_the_terms_with_the_paper_weights() -> None:
    model = _tiny_model()
    objective = DiffForensicsFinetuneObjective()
    images, masks, labels = _synthetic(3, 64)
    with torch.no_grad():
        loss, terms = objective(model, images, masks, labels)
    seg = 0.1 * terms["seg_wbce"] + 0.9 * terms["seg_dice"]
    edge = terms["edge_1"] + terms["edge_2"] / 2 + terms["edge_3"] / 4  # finest weighs most
    assert math.isclose(terms["seg"], seg, rel_tol=1e-5)
    assert math.isclose(terms["edge"], edge, rel_tol=1e-5)
    assert math.isclose(float(loss), 0.8 * (seg + edge) + 0.1 * terms["clf"], rel_tol=1e-5)
    with pytest.raises(ValueError, match="masks"):
        objective(model, images, masks[..., :32], labels)


def test_stage2_trains_everything_but_the_noise_head() -> None:
    model = _tiny_model()
    DiffForensicsPretrainObjective(generator=_gen(0)).parameters(model)  # stage 1 froze things
    objective = DiffForensicsFinetuneObjective()
    params = objective.parameters(model)
    assert all(p.requires_grad for p in model.encoder.parameters())
    assert not any(p.requires_grad for p in model.noise_head.parameters())
    loss, _ = objective(model, *_synthetic(2, 64))
    loss.backward()
    for p in params:
        assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0
    assert len(params) == sum(
        1 for n, _ in model.named_parameters() if not n.startswith("noise_head.")
    )


def test_the_shared_loop_finds_both_stages() -> None:
    fit = objective_for("diffforensics-b0", "fit")
    pretrain = objective_for("diffforensics-compact", "pretrain")
    assert isinstance(fit, DiffForensicsFinetuneObjective) and DiffForensicsObjective is type(fit)
    assert isinstance(pretrain, DiffForensicsPretrainObjective) and not pretrain.uses_masks
    for objective in (fit, pretrain):
        assert objective.default_optim["optimizer"] == "adamw"
        assert objective.default_optim["lr"] == 1e-4


@pytest.mark.slow
def test_stage2_overfits_synthetic_forgeries() -> None:
    """Six textures, four with a pasted square: the loss falls to under 40 %, pixel F1 passes
    0.9 (from about 0.1-0.2 untrained) and the image logits separate forged from authentic."""
    torch.manual_seed(0)
    model = create_model("diffforensics-compact", drop_path_rate=0.0).train()
    images, masks, labels = _synthetic(6, 64, authentic=2)
    objective = DiffForensicsFinetuneObjective()
    optimizer = torch.optim.AdamW(objective.parameters(model), lr=3e-3, foreach=True)

    def evaluate() -> tuple[float, torch.Tensor]:
        model.eval()
        with torch.no_grad():
            out = model(images)
        model.train()
        f1 = mask_f1(torch.sigmoid(out["mask"]) > 0.5, masks > 0.5)
        return f1, torch.sigmoid(out["image"])

    f1_start, _ = evaluate()
    losses = fit_steps(objective, model, optimizer, 60, images, masks, labels)
    f1, scores = evaluate()
    assert sum(losses[-3:]) / 3 < 0.4 * losses[0]
    assert f1 > max(0.9, f1_start + 0.5)
    forged, authentic = scores[labels == 1], scores[labels == 0]
    assert float(forged.min()) > 0.5 > float(authentic.max())
