"""The common contract of every registered analysis: registry, result type, cancel, progress."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from engine.analyses import (
    AnalysisResult,
    MapScale,
    create_analysis,
    list_analyses,
    run_analysis,
)
from engine.analyses.base import Output, json_safe
from engine.errors import EvidenceError
from engine.tiling import Cancelled
from engine.types import Progress
from tests.engine.analyses.conftest import jpeg_bytes, make_exif, natural

# The analyses this checkout registers, named so that one lost from the registry (a module
# that stopped importing, a renamed registration) fails here rather than leaving the program.
EXPECTED = {"clone", "ela", "jpeg-dq", "jpeg-ghost", "jpeg-tables", "metadata", "noise"}
NEW_ANALYSIS = (
    "a new analysis? add its name to EXPECTED in tests/engine/analyses/test_base.py and its row "
    "to docs/ANALYSES.md's table, 'The analyses'; a lost one: its module under engine/analyses/ "
    "no longer imports or registers that name"
)


@pytest.fixture(scope="module")
def photo_bytes() -> bytes:
    """A small rotated (EXIF orientation 6) JPEG with metadata and a thumbnail."""
    thumb = jpeg_bytes(natural(80, 60, 7), 80)
    exif = make_exif(
        {0x010F: "Maker", 0x0110: "Cam", 0x0131: "Firmware 1.0"},
        {0x9003: "2020:01:01 10:00:00"},
        thumbnail=thumb,
        orientation=6,
    )
    return jpeg_bytes(natural(120, 168, 3), 85, exif=exif)


def test_registry_lists_every_analysis() -> None:
    assert set(list_analyses()) == EXPECTED, NEW_ANALYSIS


def test_unknown_name_lists_the_valid_choices() -> None:
    with pytest.raises(KeyError) as err:
        create_analysis("ghost-busters")
    msg = str(err.value)
    assert "ghost-busters" in msg
    for name in EXPECTED:
        assert name in msg


def test_unknown_parameter_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match=r"valid parameters: .*quality"):
        create_analysis("ela", qualty=80)
    with pytest.raises(ValueError, match="quality must be in"):
        create_analysis("ela", quality=101)


@pytest.mark.parametrize("name", list_analyses())  # the registry's: a new one is checked too
def test_every_analysis_keeps_the_contract(name: str, photo_bytes: bytes, write_evidence) -> None:
    ev = write_evidence(photo_bytes)
    assert ev.orientation_applied and (ev.height, ev.width) == (168, 120)
    seen: list[Progress] = []
    r = run_analysis(name, ev, progress=seen.append)
    assert isinstance(r, AnalysisResult)
    assert r.analysis == name and r.evidence_sha256 == ev.sha256
    assert r.provenance.source and r.provenance.method and r.provenance.version
    assert seen and all(p.stage == name for p in seen)
    if r.map is not None:
        assert r.map.shape == (ev.height, ev.width) and r.map.dtype == np.float32
        assert np.isfinite(r.map).all() and r.map.min() >= 0.0 and r.map.max() <= 1.0
        assert r.meaning is not None and r.meaning.scale in set(MapScale)
        assert r.map_uint8().dtype == np.uint8
    if r.display is not None:
        assert r.display.shape == (ev.height, ev.width, 3) and r.display.dtype == np.uint8
    for layer in r.layers:
        full = layer.full(ev.height, ev.width)
        assert full.shape == (ev.height, ev.width)
    d = r.to_dict()
    text = json.dumps(d, allow_nan=False)
    assert json.loads(text)["analysis"] == name


@pytest.mark.parametrize("name", list_analyses())
def test_cancel_stops_every_analysis(name: str, photo_bytes: bytes, write_evidence) -> None:
    ev = write_evidence(photo_bytes)
    with pytest.raises(Cancelled):
        run_analysis(name, ev, cancel=lambda: True)
    calls = {"n": 0}

    def later() -> bool:  # cancel between steps, after the analysis started
        calls["n"] += 1
        return calls["n"] > 2

    with pytest.raises(Cancelled):
        run_analysis(name, ev, cancel=later)


def test_every_output_field_reads_through_the_result(photo_bytes: bytes, write_evidence) -> None:
    """docs/ANALYSES.md promises result.score_label beside result.score, and so on for every
    field of the Output: a caller never has to reach into result.output."""
    ev = write_evidence(photo_bytes)
    r = run_analysis("clone", ev)
    assert r.output.score_label  # clone labels its score: the read-through has a value to show
    for f in dataclasses.fields(Output):
        assert getattr(r, f.name) is getattr(r.output, f.name), f.name


def test_a_file_changed_since_loading_is_refused(photo_bytes: bytes, write_evidence) -> None:
    ev = write_evidence(photo_bytes)
    with pytest.raises(EvidenceError, match="SHA-256"):
        run_analysis("jpeg-tables", ev, data=photo_bytes + b"x")


def test_json_safe_removes_nan_and_numpy() -> None:
    d = json_safe({"a": float("nan"), "b": np.float32(1.5), "c": (np.int64(2), float("inf"))})
    assert d == {"a": None, "b": 1.5, "c": [2, None]}
    json.dumps(d, allow_nan=False)
