"""Checkpoints: round trip, refusal of code-carrying pickles, damaged and mismatched files."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest
import torch

from engine.checkpoints import (
    CheckpointMeta,
    DecisionRule,
    InputPolicy,
    load_checkpoint,
    read_meta,
    save_checkpoint,
)
from engine.errors import CheckpointError
from engine.models import create_model
from engine.models.registry import config_to_dict


def _model():
    torch.manual_seed(0)
    return create_model("crfd-net-compact", channels=(8, 16, 32))


def _meta(model) -> CheckpointMeta:
    return CheckpointMeta(
        architecture="crfd-net-compact",
        config=config_to_dict(model.config),
        input_policy=InputPolicy(window=96, stride=48, gaussian=True, mirror=True),
        decision=DecisionRule(
            threshold=0.037, provenance="unit test", details={"p_real_max": 0.01}
        ),
        name="unit",
        training={"epochs": 3},
        metrics={"pixel_f1": 0.5},
    )


def test_round_trip_restores_weights_and_metadata(tmp_path: Path) -> None:
    m = _model()
    path = save_checkpoint(tmp_path / "m.safetensors", m, _meta(m))
    loaded = load_checkpoint(path)
    for (k, a), (_, b) in zip(
        m.state_dict().items(), loaded.model.state_dict().items(), strict=True
    ):
        assert torch.equal(a, b), k
    meta = loaded.meta
    assert meta.architecture == "crfd-net-compact" and meta.name == "unit"
    assert meta.input_policy.window == 96 and meta.input_policy.gaussian
    assert meta.input_policy.mirror
    assert meta.decision.threshold == 0.037 and meta.decision.details == {"p_real_max": 0.01}
    assert loaded.model.config.channels == (8, 16, 32)
    assert len(loaded.sha256) == 64
    assert read_meta(path).metrics == {"pixel_f1": 0.5}


def test_half_storage_restores_fp32(tmp_path: Path) -> None:
    m = _model()
    path = save_checkpoint(tmp_path / "h.safetensors", m, _meta(m), half=True)
    loaded = load_checkpoint(path)
    w = loaded.model.encoder.stem[0].weight
    assert w.dtype == torch.float32
    torch.testing.assert_close(w, m.encoder.stem[0].weight, atol=1e-3, rtol=1e-3)


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch " + str(_Evil.marker),))


def test_pickle_that_would_run_code_is_refused_and_nothing_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    _Evil.marker = marker
    path = tmp_path / "evil.pt"
    with open(path, "wb") as f:
        pickle.dump({"encoder.stem.0.weight": _Evil()}, f)
    torch.save({"x": _Evil()}, tmp_path / "evil2.pt")
    for p in (path, tmp_path / "evil2.pt"):
        with pytest.raises(CheckpointError) as e:
            load_checkpoint(p, architecture="crfd-net-compact")
        assert str(p) in str(e.value) and "\n" not in str(e.value)
    assert not marker.exists()


def test_plain_state_dict_loads_with_architecture(tmp_path: Path) -> None:
    m = create_model("crfd-net-compact")
    p = tmp_path / "plain.pth"
    torch.save(m.state_dict(), p)
    loaded = load_checkpoint(p, architecture="crfd-net-compact")
    assert loaded.meta.architecture == "crfd-net-compact"
    with pytest.raises(CheckpointError, match="does not say its architecture"):
        load_checkpoint(p)


def test_truncated_file_is_refused(tmp_path: Path) -> None:
    m = _model()
    path = save_checkpoint(tmp_path / "m.safetensors", m, _meta(m))
    data = path.read_bytes()
    for cut in (4, 100, len(data) // 2, len(data) - 1):
        bad = tmp_path / f"cut{cut}.safetensors"
        bad.write_bytes(data[:cut])
        with pytest.raises(CheckpointError) as e:
            load_checkpoint(bad)
        assert str(bad) in str(e.value)


def test_wrong_shapes_missing_and_unexpected_keys_are_refused(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    m = _model()
    meta = _meta(m)
    state = {k: v.clone() for k, v in m.state_dict().items()}
    k0 = "encoder.stem.0.weight"

    def write(name: str, tensors: dict) -> Path:
        p = tmp_path / name
        save_file(tensors, str(p), metadata={"forensic_viewer": meta.to_json()})
        return p

    wrong = dict(state)
    wrong[k0] = torch.zeros(1, 2, 3, 3)
    with pytest.raises(CheckpointError, match="has shape"):
        load_checkpoint(write("shape.safetensors", wrong))
    missing = {k: v for k, v in state.items() if k != k0}
    with pytest.raises(CheckpointError, match="missing"):
        load_checkpoint(write("missing.safetensors", missing))
    extra = dict(state, **{"bogus.weight": torch.zeros(1)})
    with pytest.raises(CheckpointError, match="unexpected"):
        load_checkpoint(write("extra.safetensors", extra))
    nan = dict(state)
    nan[k0] = torch.full_like(state[k0], float("nan"))
    with pytest.raises(CheckpointError, match="NaN"):
        load_checkpoint(write("nan.safetensors", nan))


def test_metadata_problems(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    m = _model()
    p = tmp_path / "nometa.safetensors"
    save_file({k: v.clone() for k, v in m.state_dict().items()}, str(p))
    with pytest.raises(CheckpointError, match="no forensic_viewer metadata"):
        load_checkpoint(p)
    meta = json.loads(_meta(m).to_json())
    meta["architecture"] = "no-such-net"
    p2 = tmp_path / "arch.safetensors"
    save_file(
        {k: v.clone() for k, v in m.state_dict().items()},
        str(p2),
        metadata={"forensic_viewer": json.dumps(meta)},
    )
    with pytest.raises(CheckpointError, match="architecture 'no-such-net' is not built into"):
        load_checkpoint(p2)
    meta = json.loads(_meta(m).to_json())
    meta["format_version"] = 99
    p3 = tmp_path / "future.safetensors"
    save_file(
        {k: v.clone() for k, v in m.state_dict().items()},
        str(p3),
        metadata={"forensic_viewer": json.dumps(meta)},
    )
    with pytest.raises(CheckpointError, match="newer"):
        load_checkpoint(p3)
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "absent.safetensors")


def test_initialisation_weight_files_are_not_needed_to_rebuild(tmp_path: Path) -> None:
    # A checkpoint trained from a backbone weight file that no longer exists still loads: its
    # own tensors replace the initialisation.
    from engine.checkpoints import build_model
    from engine.models.registry import get_spec

    spec = get_spec("m2f-swin-nano")
    meta = CheckpointMeta(
        architecture="m2f-swin-nano",
        config=config_to_dict(spec.make_config(backbone_weights=str(tmp_path / "gone.pth"))),
    )
    model = build_model(meta)
    assert model is not None
