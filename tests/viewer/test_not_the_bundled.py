"""Walk-through C, finding 6: a modified copy of a bundled checkpoint was compared under the
bundled name (and with the bundled calibration its header copies), and neither its pane nor the
Models dock told it from the bundled model."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import pytest

from engine.assembly import not_the_bundled
from engine.catalog import BUNDLED_MODELS
from engine.types import Analysis
from forensic_viewer.gui.compare import compare_sources, pane_name
from forensic_viewer.gui.model_panel import NOT_BUNDLED, ModelPanel
from forensic_viewer.layers import build_layers
from tests.conftest import memory_evidence
from tests.viewer.test_layers import _result, _two_blobs

NAME = "crfd-net-compact"  # the smallest bundled checkpoint


@pytest.fixture
def copies(tmp_path: Path) -> tuple[Path, Path, Path]:
    """The bundled file, a byte-identical copy and a copy with tensor bytes inverted."""
    bundled = Path(BUNDLED_MODELS) / f"{NAME}.safetensors"
    data = bundled.read_bytes()
    same = tmp_path / "same-crfd.safetensors"
    same.write_bytes(data)
    flipped = tmp_path / "flipped-crfd.safetensors"
    flipped.write_bytes(data[:-4096] + bytes(255 - b for b in data[-4096:]))
    return bundled, same, flipped


def test_a_file_of_a_bundled_name_with_other_bytes_is_not_the_bundled(copies) -> None:
    bundled, same, flipped = copies
    assert not_the_bundled(NAME, path=flipped)
    assert not not_the_bundled(NAME, path=same)  # a copy is the bundled model
    assert not not_the_bundled(NAME, path=bundled)
    assert not not_the_bundled("a-name-nothing-bundled-carries", path=flipped)
    sha = hashlib.sha256(flipped.read_bytes()).hexdigest()
    assert not_the_bundled(NAME, sha256=sha)


@pytest.mark.gui
def test_the_dock_row_and_the_pane_title_say_so(qtbot, models_dir: Path, copies) -> None:
    _bundled, same, flipped = copies
    panel = ModelPanel()
    qtbot.addWidget(panel)
    for path in (same, flipped):
        assert panel.add_file(str(path))
    rows = {panel.path_of(i): panel.list.item(i) for i in range(panel.list.count())}
    assert rows[str(flipped.resolve())].text().endswith(NOT_BUNDLED)
    assert "not the bundled checkpoint" in rows[str(flipped.resolve())].toolTip()
    assert not rows[str(same.resolve())].text().endswith(NOT_BUNDLED)
    assert not any(rows[p].text().endswith(NOT_BUNDLED) for p in rows if "resources" in p)

    rng = np.random.default_rng(6)
    evidence = memory_evidence(rng.integers(0, 256, (40, 60, 3), dtype=np.uint8), file_size=1)
    for path, marked in ((flipped, True), (same, False)):
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        r = dataclasses.replace(
            _result(NAME, _two_blobs()), checkpoint=str(path), checkpoint_sha256=sha
        )
        analysis = Analysis(evidence, {NAME: r})
        (source,) = [
            s for s in compare_sources(build_layers(evidence, analysis), analysis) if s.name == NAME
        ]
        mark = f" — {NAME} (file {path.stem}, not the bundled checkpoint)"
        assert source.title.endswith(mark) is marked
        assert pane_name(NAME, str(path), sha) == (mark[3:] if marked else NAME)
