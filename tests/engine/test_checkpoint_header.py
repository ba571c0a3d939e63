"""The checkpoint header as a format (the ML engineer's walk-through, findings 5, 6, 10, 11):
a newer file says "update the viewer", a field this program does not know or a required one
missing is named in words, fields added since version 1 keep their defaults in older files,
and the architecture's implementation version is written and compared."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from engine.catalog import bundled_checkpoint_files
from engine.checkpoint_meta import FORMAT_VERSION, META_KEY, REQUIRED
from engine.checkpoints import CheckpointMeta, load_checkpoint, read_meta, safetensors_bytes
from engine.errors import CheckpointError
from engine.models import registry
from tests.conftest import make_tiny_checkpoint

# what forensic-train wrote before any field of version 2 existed (07d4ed3b)
VERSION_1_ONLY = {
    "": ("scope", "architecture_version"),
    "input_policy": ("mirror",),
    "decision": ("aggregate", "calibration", "detect_side"),
}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_checkpoint(tmp_path_factory.mktemp("header") / "tiny.safetensors")


def _header(path: Path) -> dict[str, Any]:
    with safe_open(str(path), "pt") as f:
        return json.loads(f.metadata()[META_KEY])


def _variant(source: Path, out: Path, edit: Any) -> Path:
    """``source`` with its header edited by ``edit(header)``, the tensors unchanged."""
    header = _header(source)
    edit(header)
    save_file(load_file(str(source)), str(out), metadata={META_KEY: json.dumps(header)})
    return out


def _drop(part: str, key: str) -> Any:
    return lambda h: (h[part] if part else h).pop(key)


def test_the_writer_writes_the_current_version_which_has_the_fields_added_since_1(
    source: Path, tmp_path: Path
) -> None:
    assert FORMAT_VERSION == 2
    header = _header(source)
    assert header["format_version"] == FORMAT_VERSION
    for part, keys in VERSION_1_ONLY.items():
        assert set(keys) <= set(header[part] if part else header), part
    # a version 1 header written again (calibrate, average) is written as the current version
    old = read_meta(_variant(source, tmp_path / "v1.safetensors", _set("", "format_version", 1)))
    assert old.format_version == 1
    again = tmp_path / "again.safetensors"
    again.write_bytes(safetensors_bytes(load_file(str(source)), old))
    assert read_meta(again).format_version == FORMAT_VERSION


def _set(part: str, key: str, value: Any) -> Any:
    return lambda h: (h[part] if part else h).__setitem__(key, value)


def test_a_newer_format_version_asks_for_an_update_not_a_repair(
    source: Path, tmp_path: Path
) -> None:
    newer = _variant(source, tmp_path / "n.safetensors", _set("", "format_version", 3))
    with pytest.raises(CheckpointError) as e:
        read_meta(newer)
    said = str(e.value)
    assert said.startswith(f"{newer}: ") and "format version 3 is newer" in said
    assert "update the viewer" in said and "malformed" not in said


@pytest.mark.parametrize(
    ("part", "key"), [("decision", "temperature"), ("input_policy", "jitter"), ("", "lineage")]
)
def test_a_field_this_program_does_not_know_is_named_as_written_by_a_newer_version(
    source: Path, tmp_path: Path, part: str, key: str
) -> None:
    path = _variant(source, tmp_path / "x.safetensors", _set(part, key, 1.0))
    with pytest.raises(CheckpointError) as e:
        read_meta(path)
    named = f"{part}.{key}" if part else key
    assert str(e.value) == (
        f"{path}: its header has fields this program does not know ({named}): written by a "
        "newer version of forensic-train; update the viewer"
    )


REQUIRED_KEYS = [(part, key) for part, keys in REQUIRED.items() for key in keys]


@pytest.mark.parametrize(("part", "key"), REQUIRED_KEYS)
def test_a_missing_required_field_is_named_in_words(
    source: Path, tmp_path: Path, part: str, key: str
) -> None:
    path = _variant(source, tmp_path / "m.safetensors", _drop(part, key))
    with pytest.raises(CheckpointError) as e:
        read_meta(path)
    named = f"{part}.{key}" if part else key
    assert str(e.value) == (
        f"{path}: its header has no '{named}' (every checkpoint forensic-train writes has it)"
    )


def test_the_required_fields_are_those_the_window_and_theta_come_from() -> None:
    assert {"window", "stride"} <= set(REQUIRED["input_policy"])
    assert {"rule", "threshold"} <= set(REQUIRED["decision"])
    assert "format_version" in REQUIRED[""]


def test_a_resize_policy_needs_its_size(source: Path, tmp_path: Path) -> None:
    def edit(h: dict[str, Any]) -> None:
        h["input_policy"]["mode"] = "resize"
        h["input_policy"].pop("size")

    with pytest.raises(CheckpointError, match=r"has no 'input_policy\.size'"):
        read_meta(_variant(source, tmp_path / "r.safetensors", edit))


def test_a_version_1_header_without_the_later_fields_reads_with_their_defaults(
    source: Path, tmp_path: Path
) -> None:
    def edit(h: dict[str, Any]) -> None:
        h["format_version"] = 1
        for part, keys in VERSION_1_ONLY.items():
            for key in keys:
                (h[part] if part else h).pop(key)

    meta = read_meta(_variant(source, tmp_path / "old.safetensors", edit))
    default = CheckpointMeta(architecture="x", config={})
    assert (meta.scope, meta.architecture_version) == (default.scope, "")
    assert meta.input_policy.mirror is False
    assert (meta.decision.aggregate, meta.decision.detect_side) == ("max", 0)
    assert meta.decision.calibration == {}


def test_every_bundled_checkpoint_still_reads() -> None:
    files = bundled_checkpoint_files()
    assert files, "no bundled checkpoint found"
    for path in files:
        meta = read_meta(path)
        assert meta.format_version == 1 and meta.architecture_version == "", path


def test_a_format_version_that_is_no_whole_number_is_refused_in_words(
    source: Path, tmp_path: Path
) -> None:
    path = _variant(source, tmp_path / "s.safetensors", _set("", "format_version", "2"))
    with pytest.raises(CheckpointError, match="format_version must be a whole number"):
        read_meta(path)


# --------------------------------------------------------------------------- architecture version


def test_register_model_records_the_implementation_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    @dataclasses.dataclass
    class Config:
        kind: str = "plain"

    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    registry.register_model("versioned-net", Config(), family=None, version="3")(lambda c: None)
    registry.register_model("unversioned-net", Config(), family=None)(lambda c: None)
    assert registry.get_spec("versioned-net").version == "3"
    assert registry.get_spec("unversioned-net").version == "1"


def _code_version(monkeypatch: pytest.MonkeyPatch, version: str) -> None:
    spec = registry.get_spec("crfd-net-compact")
    monkeypatch.setitem(registry._REGISTRY, spec.name, dataclasses.replace(spec, version=version))


def test_a_new_checkpoint_records_the_code_version(monkeypatch: pytest.MonkeyPatch) -> None:
    from trainer.setup import base_meta

    _code_version(monkeypatch, "4")
    meta = base_meta("crfd-net-compact", {}, 64, 32, "run")
    assert meta.architecture_version == "4"
    assert json.loads(meta.to_json())["architecture_version"] == "4"


@pytest.mark.parametrize(("recorded", "warned"), [("2", True), ("7", False), ("", False)])
def test_loading_warns_once_when_the_recorded_code_version_differs(
    source: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    recorded: str,
    warned: bool,
) -> None:
    path = _variant(source, tmp_path / "v.safetensors", _set("", "architecture_version", recorded))
    _code_version(monkeypatch, "7")
    with caplog.at_level(logging.WARNING, logger="engine.checkpoints"):
        load_checkpoint(path)
    lines = [r.getMessage() for r in caplog.records if r.name == "engine.checkpoints"]
    if warned:
        (line,) = lines
        assert line.startswith(f"{path}: trained with version 2 of the 'crfd-net-compact' code")
        assert "this program has version 7" in line and "\n" not in line
    else:
        assert lines == []


def test_a_result_records_the_other_code_version_and_its_reliability_says_it(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mismatch was a log line only: a report made with other code said nothing."""
    from engine.checkpoints import version_noted
    from engine.io import load_evidence
    from engine.pipeline import Analyzer
    from tests.conftest import write_rgb

    path = _variant(source, tmp_path / "v.safetensors", _set("", "architecture_version", "2"))
    _code_version(monkeypatch, "7")
    evidence = load_evidence(write_rgb(tmp_path / "e.png", 64, 64))
    (result,) = Analyzer([str(path)], device="cpu").analyze(evidence).results.values()
    assert result.code_versions == {"checkpoint": "2", "program": "7"}
    assert result.to_dict()["code_versions"] == result.code_versions
    (same,) = Analyzer([str(source)], device="cpu").analyze(evidence).results.values()
    assert same.code_versions is None
    sentence = "at this threshold: 4 % of authentic camera photographs are flagged"
    noted = version_noted(sentence, result.code_versions)
    assert noted.startswith(sentence) and "measured with version 2 of the network's code" in noted
    assert "made with version 7" in noted
    assert version_noted(sentence, None) == sentence and version_noted("", {"a": "b"}) == ""
