"""CRFD-Net: shapes, finite values, gradients to every parameter, CEM equals its formula."""

from __future__ import annotations

import pytest
import torch

from engine.models import create_model, get_spec, list_models
from engine.models.crfd_net import contrastive_enhancement


def test_cem_equals_its_formula_elementwise() -> None:
    torch.manual_seed(0)
    x = torch.randn(2, 3, 6, 7)
    out = contrastive_enhancement(x, factor=2, scale=4.0)
    ref = torch.empty_like(x)
    for i in range(6):
        for j in range(7):
            # each pixel minus the top-left pixel of its 2x2 block (blocks aligned to the origin,
            # including the half block of the odd last column)
            si, sj = 2 * (i // 2), 2 * (j // 2)
            ref[..., i, j] = 4.0 * (x[..., i, j] - x[..., si, sj])
    torch.testing.assert_close(out, ref)
    # the top-left pixel of each 2x2 block is its own source: residual exactly 0 there
    assert (
        torch.all(out[..., 0, 0] == 0)
        and torch.all(out[..., 2, 2] == 0)
        and torch.all(out[..., 4, 6] == 0)
    )


def test_cem_removes_nearest_upsampled_content() -> None:
    # An image that is itself a nearest x2 up-sampling has zero CEM residual: the signal the
    # paper relies on (generator up-sampling correlates neighbours).
    small = torch.randn(1, 3, 8, 8)
    up = torch.nn.functional.interpolate(small, scale_factor=2, mode="nearest")
    assert contrastive_enhancement(up).abs().max() == 0
    assert contrastive_enhancement(torch.randn(1, 3, 16, 16)).abs().max() > 0


CRFD = [n for n in list_models() if n.startswith("crfd-net")]


@pytest.mark.parametrize("name", CRFD)
@pytest.mark.parametrize("size", [(32, 32), (45, 61), (17, 8)])
def test_shapes_and_finite(name: str, size: tuple[int, int]) -> None:
    torch.manual_seed(0)
    net = create_model(name).eval()
    with torch.no_grad():
        y = net(torch.randn(2, 3, *size))
    assert y.shape == (2, 1, *size)
    assert torch.isfinite(y).all()


@pytest.mark.parametrize("name", CRFD)
def test_gradients_reach_every_parameter(name: str) -> None:
    torch.manual_seed(0)
    net = create_model(name).train()
    y = net(torch.randn(2, 3, 32, 32))
    y.square().mean().backward()
    for pname, p in net.named_parameters():
        assert p.grad is not None, pname
        assert torch.isfinite(p.grad).all(), pname
        assert p.grad.abs().sum() > 0, pname


def test_registry_names_the_choices_and_rejects_unknown_fields() -> None:
    with pytest.raises(KeyError, match="crfd-net-compact"):
        create_model("no-such-net")
    with pytest.raises(ValueError, match="valid fields"):
        create_model("crfd-net", nonsense=1)
    assert get_spec("crfd-net").outputs == "mask"


def test_input_mode_changes_first_layer() -> None:
    assert create_model("crfd-net", input_mode="cem").encoder.stem[0].in_channels == 3
    assert create_model("crfd-net", input_mode="cem+rgb").encoder.stem[0].in_channels == 6
    with pytest.raises(ValueError, match="input_mode"):
        create_model("crfd-net", input_mode="rgb")
