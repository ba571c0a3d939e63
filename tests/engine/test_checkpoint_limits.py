"""Checkpoints that load but lie (issue 16, item 5).

Every hostile file here is made from the project's own tiny checkpoint by editing its header:
a config asking for 200,000 channels, F32 bytes relabelled I32, a NaN θ, window 1 / stride 1.
Each is refused with one line naming the file, before anything big is built or any tensor
byte is read; a bad file in a models folder is left out and the others still load.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from engine import catalog, checkpoint_network, checkpoints, sizing
from engine.assembly import assemble_analyzer, assemble_lenient, available_models, default_choice
from engine.checkpoints import (
    CheckpointMeta,
    check_activation,
    check_size,
    load_checkpoint,
    read_meta,
    save_checkpoint,
)
from engine.ensemble import ENSEMBLE_SUFFIX, Ensemble
from engine.errors import CheckpointError, ForensicError, ModelOutputError
from engine.models.registry import get_spec, list_models
from engine.types import Evidence

Header = dict[str, Any]


# --- making hostile files from a project-made checkpoint -------------------------------------


def _split(path: Path) -> tuple[Header, bytes]:
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    return json.loads(raw[8 : 8 + n]), raw[8 + n :]


def _write(path: Path, header: Header, data: bytes) -> Path:
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)  # safetensors aligns the data to 8 bytes
    path.write_bytes(len(text).to_bytes(8, "little") + text + data)
    return path


def _variant(
    source: Path,
    out: Path,
    meta: Callable[[dict[str, Any]], None] | None = None,
    header: Callable[[Header], None] | None = None,
) -> Path:
    """A copy of checkpoint ``source`` whose header JSON (``header``) and whose metadata
    (``meta``, the decoded ``forensic_viewer`` object) were edited in place; tensor bytes kept."""
    head, data = _split(source)
    if meta is not None:
        m = json.loads(head["__metadata__"]["forensic_viewer"])
        meta(m)
        head["__metadata__"]["forensic_viewer"] = json.dumps(m)  # NaN stays a bare NaN
    if header is not None:
        header(head)
    return _write(out, head, data)


def _refused(path: Path, *fragments: str) -> str:
    """The one-line CheckpointError of loading ``path``, which names it and says ``fragments``."""
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(path)
    message = str(e.value)
    assert message.startswith(f"{path}: ") and "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, message
    return message


def _never_built(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make building any network (on any device) fail the test."""

    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("a network was built")

    monkeypatch.setattr(checkpoint_network, "create_model", refuse)


# --- configuration bounds, before building ---------------------------------------------------


def test_a_header_asking_for_200000_channels_is_refused_before_anything_is_built(
    tiny_checkpoint: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def huge(m: dict[str, Any]) -> None:
        m["config"]["channels"] = [200000, 200000, 200000]

    def header_only(h: Header) -> None:
        for name in [k for k in h if k != "__metadata__"]:
            del h[name]

    bad = _variant(tiny_checkpoint, tmp_path / "huge.safetensors", meta=huge, header=header_only)
    bad.write_bytes(bad.read_bytes()[: 8 + int.from_bytes(bad.read_bytes()[:8], "little")])
    assert bad.stat().st_size < 8_000  # a few kilobytes asking for terabytes
    _never_built(monkeypatch)
    _refused(bad, "config field 'channels'", "[1, 4096]", "200000")
    with pytest.raises(CheckpointError, match="channels"):
        read_meta(bad)  # so listing a folder already refuses it


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("cem_scale", math.nan, "must be finite"),
        ("cem_scale", -4.0, "must lie in [0, 1000]"),
        ("blocks", [1, 10**9], "must lie in [1, 64]"),
        ("blocks", [1.5, 2], "must be an integer"),
        ("channels", [8, 16], "must hold 3 values"),
        ("input_mode", 7, "must be a str"),
    ],
)
def test_every_numeric_config_field_is_bounded(
    tiny_checkpoint: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    field: str,
    value: object,
    says: str,
) -> None:
    bad = _variant(
        tiny_checkpoint,
        tmp_path / "cfg.safetensors",
        meta=lambda m: m["config"].update({field: value}),
    )
    _never_built(monkeypatch)
    _refused(bad, f"config field '{field}'", says)


def test_every_registered_config_declares_bounds_that_its_defaults_meet() -> None:
    from engine.models.registry import _field_kinds

    for name in list_models():
        spec = get_spec(name)
        for field, kind in _field_kinds(spec.config_cls).items():
            assert not kind.numeric or kind.limits is not None, (name, field)
        spec.make_config()  # the defaults pass their own bounds (registration checks it too)


def test_a_config_within_field_bounds_but_too_big_is_refused_by_its_parameter_count(
    tiny_checkpoint: Path, tmp_path: Path
) -> None:
    def wide(m: dict[str, Any]) -> None:  # each bound met; together 39 G parameters
        m["config"].update(channels=[4096, 4096, 4096], blocks=[64, 64])

    bad = _variant(tiny_checkpoint, tmp_path / "wide.safetensors", meta=wide)
    _refused(bad, "parameters, more than the limit of 500,000,000", sizing.PARAMETERS_ENV)


def test_the_limits_can_be_lowered_and_raised_and_a_bad_value_is_named(
    tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    meta = read_meta(tiny_checkpoint)
    params = check_size(meta).parameters
    need = check_activation(meta)
    assert 0 < params < 1_000_000 and 0 < need < 64 << 20

    monkeypatch.setenv(sizing.PARAMETERS_ENV, str(params - 1))
    _refused(tiny_checkpoint, f"{params:,} parameters", sizing.PARAMETERS_ENV)
    monkeypatch.setenv(sizing.PARAMETERS_ENV, "1M")
    monkeypatch.setenv(sizing.ACTIVATION_ENV, "64K")
    _refused(tiny_checkpoint, "64x64 input would need about", "64.0 KiB", sizing.ACTIVATION_ENV)
    monkeypatch.setenv(sizing.ACTIVATION_ENV, "1G")
    assert load_checkpoint(tiny_checkpoint).name == "tiny"
    monkeypatch.setenv(sizing.ACTIVATION_ENV, "lots")
    _refused(tiny_checkpoint, f"{sizing.ACTIVATION_ENV}='lots' is not a size in bytes")


def test_the_checkpoint_limits_read_sizes_as_the_evidence_limits_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A size written for the decode limit (``16GiB``, ``16 gb``) means the same for the
    activation limit, a count for the pixel limit the same for the parameter limit; each
    variable keeps its own rule on 0 and its own error."""
    from engine.bomb_guards import (
        MAX_DECODE_BYTES_ENV,
        MAX_PIXELS_ENV,
        decode_byte_limit,
        pixel_limit,
    )

    for text, want in [
        ("16GiB", 16 << 30),
        ("16 gb", 16 << 30),
        ("64K", 64 << 10),
        ("1_024", 1024),
    ]:
        monkeypatch.setenv(sizing.ACTIVATION_ENV, text)
        monkeypatch.setenv(MAX_DECODE_BYTES_ENV, text)
        assert sizing.max_activation_bytes() == decode_byte_limit() == want, text
    for text, want in [("2G", 2_000_000_000), ("1.5m", 1_500_000)]:
        monkeypatch.setenv(sizing.PARAMETERS_ENV, text)
        monkeypatch.setenv(MAX_PIXELS_ENV, text)
        assert sizing.max_parameters() == pixel_limit() == want, text
    monkeypatch.setenv(sizing.PARAMETERS_ENV, "0")  # a checkpoint limit of 0: every one refused
    assert sizing.max_parameters() == 0
    monkeypatch.setenv(MAX_PIXELS_ENV, "0")  # an evidence limit of 0: refused itself
    with pytest.raises(ForensicError, match="is not a positive number of pixels"):
        pixel_limit()
    monkeypatch.setenv(sizing.ACTIVATION_ENV, "16 GiB of it")
    with pytest.raises(ValueError, match=r"is not a size in bytes \(e\.g\. 2000000000 or 2G\)"):
        sizing.max_activation_bytes()


def test_a_byte_unit_on_a_count_is_an_error_naming_its_variable(
    tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``200MB`` for the pixel or the parameter limit is a size in bytes where a count belongs:
    a one-line error naming the variable (it was read as 200 million), and a checkpoint load
    says it naming the file. The byte limits still take the unit."""
    from engine.bomb_guards import (
        MAX_DECODE_BYTES_ENV,
        MAX_PIXELS_ENV,
        decode_byte_limit,
        pixel_limit,
    )

    for text in ("200MB", "200 MiB", "200b"):
        monkeypatch.setenv(MAX_PIXELS_ENV, text)
        with pytest.raises(ForensicError) as pixels:
            pixel_limit()
        assert str(pixels.value) == (
            f"{MAX_PIXELS_ENV}={text} is not a positive number of pixels "
            "(examples: 200000000, 200M)"
        )
        monkeypatch.setenv(sizing.PARAMETERS_ENV, text)
        with pytest.raises(ValueError) as parameters:
            sizing.max_parameters()
        assert str(parameters.value) == (
            f"{sizing.PARAMETERS_ENV}={text!r} is not a number of parameters "
            "(e.g. 2000000000 or 2G)"
        )
    _refused(tiny_checkpoint, f"{sizing.PARAMETERS_ENV}='200b' is not a number of parameters")
    monkeypatch.setenv(MAX_PIXELS_ENV, "200M")  # the count without the unit
    monkeypatch.setenv(sizing.PARAMETERS_ENV, "200M")
    assert pixel_limit() == sizing.max_parameters() == 200_000_000
    monkeypatch.setenv(MAX_DECODE_BYTES_ENV, "16GiB")
    monkeypatch.setenv(sizing.ACTIVATION_ENV, "16GiB")
    assert decode_byte_limit() == sizing.max_activation_bytes() == 16 << 30


def test_activation_memory_grows_with_the_window(tiny_checkpoint: Path) -> None:
    meta = read_meta(tiny_checkpoint)
    small = check_activation(meta)
    meta.input_policy.window, meta.input_policy.stride = 256, 128
    big = check_activation(meta)
    # Convolutions keep their maps in proportion to the area: 16 times the pixels.
    assert 8 * small < big < 32 * small


# --- input policy and decision rule ----------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "says"),
    [
        ({"window": 1, "stride": 1}, "window must be an integer in [16, 4096]"),
        ({"window": 8192, "stride": 4096}, "window must be an integer in [16, 4096]"),
        ({"window": 64, "stride": 4}, "stride must be an integer in [8, 64]"),
        ({"window": 64, "stride": 128}, "stride must be an integer in [8, 64]"),
        ({"window": 64.5, "stride": 32}, "window must be an integer"),
        ({"gaussian": "yes"}, "'gaussian' must be true or false"),
        ({"mirror": 1}, "'mirror' must be true or false"),
        ({"mode": "tiles"}, "mode must be 'window' or 'resize'"),
        ({"size": [100000, 512]}, "resize size must be two integers in [16, 8192]"),
    ],
)
def test_input_policies_out_of_bounds_are_refused(
    tiny_checkpoint: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    policy: dict[str, Any],
    says: str,
) -> None:
    bad = _variant(
        tiny_checkpoint,
        tmp_path / "policy.safetensors",
        meta=lambda m: m["input_policy"].update(policy),
    )
    _never_built(monkeypatch)
    _refused(bad, says)


@pytest.mark.parametrize(
    ("decision", "says"),
    [
        ({"threshold": math.nan}, "threshold θ must be a finite number in [0, 1], got nan"),
        ({"threshold": math.inf}, "threshold θ must be a finite number"),
        ({"threshold": 1.5}, "threshold θ must be a finite number in [0, 1]"),
        ({"threshold": "0.5"}, "threshold θ must be a finite number"),
        ({"pixel_threshold": math.nan}, "pixel threshold must be a finite number"),
        ({"rule": "coin"}, "decision rule must be one of"),
    ],
)
def test_thresholds_that_decide_nothing_honestly_are_refused(
    tiny_checkpoint: Path, tmp_path: Path, decision: dict[str, Any], says: str
) -> None:
    bad = _variant(
        tiny_checkpoint,
        tmp_path / "theta.safetensors",
        meta=lambda m: m["decision"].update(decision),
    )
    _refused(bad, says)


def test_a_nan_threshold_is_never_written(tiny_checkpoint: Path, tmp_path: Path) -> None:
    loaded = load_checkpoint(tiny_checkpoint)
    loaded.meta.decision.threshold = math.nan
    target = tmp_path / "nan-theta.safetensors"
    with pytest.raises(CheckpointError, match="threshold θ"):
        save_checkpoint(target, loaded.model, loaded.meta)
    assert not target.exists()


def test_unmeasured_figures_are_read_and_written_as_null(
    tiny_checkpoint: Path, tmp_path: Path
) -> None:
    def nan_metrics(m: dict[str, Any]) -> None:
        m["metrics"] = {"val_image_auc": math.nan, "val_pixel_f1": 0.5}
        m["decision"]["details"] = {"p_real_max": math.inf}

    path = _variant(tiny_checkpoint, tmp_path / "metrics.safetensors", meta=nan_metrics)
    loaded = load_checkpoint(path)
    assert loaded.meta.metrics == {"val_image_auc": None, "val_pixel_f1": 0.5}
    assert loaded.meta.decision.details == {"p_real_max": None}

    def strict(text: str) -> object:
        raise AssertionError(f"{text} in JSON")

    loaded.meta.metrics["val_image_auc"] = math.nan  # e.g. AUC of a one-class validation set
    json.loads(loaded.meta.to_json(), parse_constant=strict)


# --- tensors: dtypes, shapes, values ---------------------------------------------------------


def test_float_bytes_relabelled_as_integers_are_refused_before_reading_them(
    tiny_checkpoint: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = "encoder.stem.0.weight"

    def relabel(h: Header) -> None:
        assert h[name]["dtype"] == "F32"
        h[name]["dtype"] = "I32"  # same size, so safetensors itself accepts it

    bad = _variant(tiny_checkpoint, tmp_path / "i32.safetensors", header=relabel)

    def no_read(*_a: object, **_k: object) -> None:
        raise AssertionError("tensor bytes were read")

    monkeypatch.setattr(checkpoints, "_file_bytes", no_read)
    _refused(bad, f"tensor '{name}' is stored as I32", "floating-point", "F32, F16, BF16")


def test_an_integer_buffer_stored_as_float_and_a_wrong_shape_are_refused(
    tiny_checkpoint: Path, tmp_path: Path
) -> None:
    head, _ = _split(tiny_checkpoint)
    counter = next(k for k, v in head.items() if k != "__metadata__" and v["dtype"] == "I64")

    def as_float(h: Header) -> None:
        h[counter]["dtype"] = "F64"  # 8 bytes as I64

    _refused(
        _variant(tiny_checkpoint, tmp_path / "f64.safetensors", header=as_float),
        f"tensor '{counter}' is stored as F64",
        "integer",
    )

    def reshape(h: Header) -> None:
        shape = h["encoder.stem.0.weight"]["shape"]
        h["encoder.stem.0.weight"]["shape"] = [shape[1], shape[0], *shape[2:]]

    _refused(
        _variant(tiny_checkpoint, tmp_path / "shape.safetensors", header=reshape),
        "weights do not fit the architecture",
        "wrong shape",
    )

    def astronomic(h: Header) -> None:  # declared only: nothing of that size is ever made
        h["encoder.stem.0.weight"]["shape"] = [2**40, 2**40, 3, 3]

    _refused(
        _variant(tiny_checkpoint, tmp_path / "astro.safetensors", header=astronomic),
        f"has shape ({2**40}, {2**40}, 3, 3)",
    )


def test_half_precision_checkpoints_still_load(tiny_checkpoint: Path, tmp_path: Path) -> None:
    loaded = load_checkpoint(tiny_checkpoint)
    half = save_checkpoint(tmp_path / "half.safetensors", loaded.model, loaded.meta, half=True)
    assert load_checkpoint(half).model.encoder.stem[0].weight.dtype == torch.float32


def test_infinite_weights_are_refused(tiny_checkpoint: Path, tmp_path: Path) -> None:
    loaded = load_checkpoint(tiny_checkpoint)
    with torch.no_grad():
        loaded.model.encoder.stem[0].weight[0, 0, 0, 0] = math.inf
    path = save_checkpoint(tmp_path / "inf.safetensors", loaded.model, loaded.meta)
    _refused(path, "tensor 'encoder.stem.0.weight' holds NaN or infinite values")


def test_every_bundled_checkpoint_passes_every_check() -> None:
    bundled = sorted(catalog.BUNDLED_MODELS.glob("*.safetensors"))
    assert bundled
    for path in bundled:
        meta = read_meta(path)
        assert check_size(meta, path).parameters <= sizing.MAX_PARAMETERS
        assert check_activation(meta, path) <= sizing.MAX_ACTIVATION_BYTES


def test_every_registered_default_config_is_within_the_parameter_limit() -> None:
    for name in list_models():
        from engine.models.registry import config_to_dict

        meta = CheckpointMeta(architecture=name, config=config_to_dict(get_spec(name).defaults))
        assert 0 < check_size(meta).parameters <= sizing.MAX_PARAMETERS, name


# --- analysis: a non-finite output is an error, never "authentic, score 0.0" -----------------


def _evidence(tmp_path: Path) -> Evidence:
    from engine.io import load_evidence
    from tests.conftest import write_rgb

    return load_evidence(write_rgb(tmp_path / "photo.png", 70, 90))


def test_a_model_producing_nan_is_an_error_naming_evidence_and_model(
    tiny_checkpoint: Path, tmp_path: Path
) -> None:
    from engine.pipeline import Analyzer

    loaded = load_checkpoint(tiny_checkpoint)
    with torch.no_grad():
        loaded.model.encoder.stem[0].weight.fill_(math.nan)  # what relabelled bytes once gave
    evidence = _evidence(tmp_path)
    with pytest.raises(ModelOutputError) as e:
        Analyzer([loaded], device="cpu").analyze(evidence)
    assert isinstance(e.value, ForensicError)
    message = str(e.value)
    assert message.startswith(f"{evidence.path}: model 'tiny' produced NaN or infinite values")
    assert "heatmap" in message and str(tiny_checkpoint) in message


def test_a_nan_image_logit_is_an_error_too(
    tiny_checkpoint: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.pipeline import Analyzer

    analyzer = Analyzer([str(tiny_checkpoint)], device="cpu")

    def nan_logit(*_a: object, **_k: object) -> tuple[np.ndarray, float]:
        return np.zeros((70, 90), np.float32), math.nan

    monkeypatch.setattr(analyzer, "heatmap", nan_logit)
    with pytest.raises(ModelOutputError, match="in its image logit"):
        analyzer.analyze(_evidence(tmp_path))


# --- models folders: one bad file is left out, the others load -------------------------------


def _renamed(source: Path, out: Path, name: str) -> Path:
    return _variant(source, out, meta=lambda m: m.update(name=name))


def test_a_hostile_header_in_the_models_folder_is_listed_as_a_problem_and_not_chosen(
    folders: tuple[Path, Path], tiny_checkpoint: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bundled, _user = folders
    good = _renamed(tiny_checkpoint, bundled / "good.safetensors", "good")
    huge = _variant(
        good,
        bundled / "huge.safetensors",
        meta=lambda m: m.update(name="huge", config={**m["config"], "channels": [200000] * 3}),
    )
    listing = available_models()
    assert [e.name for e in listing.checkpoints] == ["good"]
    assert len(listing.problems) == 1 and listing.problems[0].startswith(f"{huge}: ")
    assert default_choice() == [good]
    with caplog.at_level(logging.WARNING, logger="engine.assembly"):
        assert assemble_analyzer(None, device="cpu", faces=False).names == ["good"]
    assert [r.getMessage() for r in caplog.records] == [f"{listing.problems[0]} (not used)"]


def test_a_default_checkpoint_that_fails_to_load_is_left_out_with_a_warning(
    folders: tuple[Path, Path],
    tiny_checkpoint: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bundled, _user = folders
    good = _renamed(tiny_checkpoint, bundled / "good.safetensors", "good")

    def relabel(h: Header) -> None:
        h["encoder.stem.0.weight"]["dtype"] = "I32"
        m = json.loads(h["__metadata__"]["forensic_viewer"])
        h["__metadata__"]["forensic_viewer"] = json.dumps({**m, "name": "liar"})

    liar = _variant(good, bundled / "liar.safetensors", header=relabel)
    pair = bundled / f"pair{ENSEMBLE_SUFFIX}"
    pair.write_text(json.dumps({"members": [{"model": "good"}, {"model": "liar"}]}))
    assert default_choice() == [good, liar, pair]  # the header alone looks fine

    with caplog.at_level(logging.WARNING, logger="engine.assembly"):
        analyzer = assemble_analyzer(None, device="cpu", faces=False)
    assert analyzer.names == ["good"] and analyzer.ensemble is None
    warnings = [r.getMessage() for r in caplog.records]
    assert any(
        w.startswith(f"{liar}: tensor 'encoder.stem.0.weight' is stored as I32") for w in warnings
    )
    assert any(w.startswith(f"{pair}: member 'liar' is not loaded") for w in warnings)
    assert all("\n" not in w for w in warnings)

    # Named explicitly, it is refused with its own message (a batch run analyses what it was
    # asked to, or nothing).
    with pytest.raises(CheckpointError, match="stored as I32") as e:
        assemble_analyzer(["liar"], device="cpu", faces=False)
    assert str(e.value).startswith(f"{liar}: ")
    lenient = assemble_lenient(None, device="cpu", faces=False)
    assert lenient.names == ["good"] and lenient.problems[0].startswith(f"{liar}: ")


def test_when_no_default_loads_the_error_says_why(
    folders: tuple[Path, Path], tiny_checkpoint: Path
) -> None:
    from engine.assembly import NoModelError

    bundled, _user = folders

    def relabel(h: Header) -> None:
        h["encoder.stem.0.weight"]["dtype"] = "I32"

    liar = _variant(tiny_checkpoint, bundled / "liar.safetensors", header=relabel)
    with pytest.raises(NoModelError, match=f"no default model could be loaded: {liar}: "):
        assemble_analyzer(None, device="cpu", faces=False)


# --- ensembles -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"threshold": math.nan}, "threshold must be a finite number in [0, 1]"),
        ({"pixel_threshold": math.inf}, "pixel_threshold must be a finite number in [0, 1]"),
        ({"members": [{"model": "a", "detection_weight": math.nan}]}, "weights must be finite"),
        ({"members": [{"model": "a", "localization_weight": 1e300}]}, "<= 1e+06"),
    ],
)
def test_ensembles_with_non_finite_numbers_are_refused(
    tmp_path: Path, change: dict[str, Any], says: str
) -> None:
    path = tmp_path / f"e{ENSEMBLE_SUFFIX}"
    path.write_text(json.dumps({"members": [{"model": "a"}], **change}))  # bare NaN, Infinity
    with pytest.raises(CheckpointError) as e:
        Ensemble.load(path)
    assert str(e.value).startswith(f"{path}: ") and says in str(e.value)
