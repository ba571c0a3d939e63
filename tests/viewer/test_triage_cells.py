"""What two triage columns say: the noise analysis's figure, and "verdicts differ"."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from engine.analyses import ClonePair, Provenance, run_analysis
from engine.ensemble_provenance import FACE_RULE_NOTE, ON_THIS_FILE
from engine.io import load_evidence
from forensic_viewer.scan.records import (
    AnalysisRecord,
    FileRecord,
    ModelFigures,
    ModelRecord,
    record_from_json,
    record_to_json,
)
from forensic_viewer.scan.triage import analysis_cell, triage_row
from forensic_viewer.wording import verdict_words
from tests.engine.analyses.conftest import png_bytes


def _noise(tmp_path: Path, img: np.ndarray, name: str) -> AnalysisRecord:
    path = tmp_path / name
    path.write_bytes(png_bytes(np.clip(img, 0, 255).astype(np.uint8)))
    return AnalysisRecord.from_result(run_analysis("noise", load_evidence(path)), None)


def test_noise_cells_tell_a_uniform_image_from_one_with_a_noisier_region(tmp_path: Path) -> None:
    """Both maps' 99th percentiles, the cell's figure before, read about the same; the share of
    the image off its typical noise level does not, and sorts the patched image first."""
    rng = np.random.default_rng(0)
    uniform = 128 + rng.normal(0, 4, (256, 320, 1)).repeat(3, axis=2)
    patched = uniform.copy()
    patched[64:192, 96:256] = 128 + rng.normal(0, 8, (128, 160, 1))  # σ doubled, 1/4 of it
    cells = [
        analysis_cell("noise", _noise(tmp_path, img, f"{i}.png"))
        for i, img in enumerate((uniform, patched))
    ]
    assert abs(cells[0].p99 - cells[1].p99) < 0.5
    assert cells[0].text == "0 % off-level noise"
    # exactly doubled, the region's blocks sit on the factor: about a third of them pass it
    assert cells[1].text == f"{100 * cells[1].value:.0f} % off-level noise"
    assert 0.05 < cells[1].value <= 0.25
    assert cells[1].sort > cells[0].sort
    assert cells[1].to_dict()["off_level_share"] == cells[1].value


def test_a_noise_cell_of_an_older_row_or_without_a_typical_level(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    rec = _noise(tmp_path, 128 + rng.normal(0, 4, (64, 96, 3)), "a.png")
    extras = {k: v for k, v in rec.extras.items() if k != "off_level_share"}
    old = analysis_cell("noise", replace(rec, extras=extras))  # a row written before
    assert old.figure is None and old.text == f"p99 {rec.map.p99:.2f} raw"
    assert old.sort == rec.map.p99 and "off_level_share" not in old.to_dict()
    flat = _noise(tmp_path, np.full((64, 64, 3), 128.0), "flat.png")
    cell = analysis_cell("noise", flat)
    assert cell.text == "no typical noise level" and cell.sort == -0.5


def _figures(verdict: str, provenance: str, analyses: tuple[str, ...]) -> ModelFigures:
    return ModelFigures(
        "ens", "ensemble", "", "", "ensemble", 0.7, verdict, 0.1, 0.6, 0.45, provenance,
        {"members": ["a", "b"], "analyses": list(analyses)}, "cpu", "fp32", 0.1,
    )  # fmt: skip


PAIR = ClonePair((0, 0, 2, 2), (2, 2, 2, 2), (1, 0, 2, 0, 1, 2), 0.0, 1.0, "sift", 9, 4, 0.9)


def _record(members: str, default: str, provenance: str = "", pairs: int | None = None):
    """A file both models called ``members`` and the ensemble ``default``; with ``pairs``, a
    clone analysis the ensemble uses found that many pairs."""
    models = tuple(ModelRecord(n, 0.2, members, 0.0, 0.5) for n in ("a", "b"))
    used = () if pairs is None else ("clone",)
    ens = ModelRecord("ens", 0.7, default, 0.1, 0.6, figures=_figures(default, provenance, used))
    clone = AnalysisRecord(
        "clone", Provenance("m", "s", "1"), {}, 0.1, pairs=(PAIR,) * (pairs or 0),
        extras={"pairs": pairs or 0},
    )  # fmt: skip
    return FileRecord(
        path="x.jpg", sha256="0" * 64, width=4, height=4, models=models, ensemble=ens,
        analyses=() if pairs is None else (clone,),
    )  # fmt: skip


def test_verdicts_differ_compares_the_default_verdict_and_a_copy_pair_with_the_models() -> None:
    """It compared the models only: a default verdict that differs from every model (its face
    rule, a copy pair or its stacking decided it) was not flagged."""
    face = f"θ = 0.6{ON_THIS_FILE}{FACE_RULE_NOTE}1 face verdict(s) of f flag the image"
    by_face = triage_row(_record("authentic", "manipulated", face))
    assert by_face.verdicts_disagree
    assert ("default verdict (ens, decided by its face rule)", "manipulated") in by_face.verdicts
    assert by_face.disagreement_text == "0.00; verdicts differ"
    assert "b: not flagged" in by_face.verdicts_text.splitlines()
    same = triage_row(_record("authentic", "authentic"))
    assert not same.verdicts_disagree and same.disagreement_text == "0.00; verdicts agree"
    no_pair = triage_row(_record("manipulated", "manipulated", pairs=0))  # no pair: no vote
    assert not no_pair.verdicts_disagree and len(no_pair.verdicts) == 3
    pair = triage_row(_record("authentic", "authentic", pairs=1))  # it did not carry the verdict
    assert pair.verdicts_disagree
    assert ("clone analysis (1 copy pair, used by ens)", "manipulated") in pair.verdicts
    assert pair.to_dict()["verdicts"]["default verdict (ens)"] == "authentic"


def test_a_row_without_the_ensembles_figures_still_compares_its_verdict() -> None:
    """Rows of early versions have no ``ensemble_details``: the verdicts still compare; the
    copy pair of an analysis the ensemble used cannot be told and is left out."""
    row = record_to_json(_record("authentic", "authentic", pairs=1))
    del row["ensemble_details"]
    old = triage_row(record_from_json(row))
    assert not old.verdicts_disagree
    assert [c for c, _ in old.verdicts] == ["a", "b", "default verdict (ens)"]
    row["ensemble"]["verdict"] = "manipulated"
    assert triage_row(record_from_json(row)).verdicts_disagree


@pytest.mark.usefixtures("qapp")
def test_the_table_says_what_the_columns_compare_and_who_said_what() -> None:
    from PySide6.QtCore import Qt

    from forensic_viewer.gui.triage_table import TriageModel

    model = TriageModel()
    model.set_models(["a", "b"], "ens", ["noise"])
    row = triage_row(_record("authentic", "manipulated"))
    model.upsert(row)
    tip = Qt.ItemDataRole.ToolTipRole
    col = model.column_of("disagreement")
    header = model.headerData(col, Qt.Orientation.Horizontal, tip)
    assert "default verdict" in header and "copy pair" in header
    cell = model.index(0, col)
    assert cell.data() == "0.00; verdicts differ"
    assert "default verdict (ens): flagged as manipulated" in cell.data(tip)
    noise = model.headerData(model.column_of("analysis", "noise"), Qt.Orientation.Horizontal, tip)
    assert "twice or under half the image's median" in noise


def test_the_report_summary_says_what_the_analysis_and_disagreement_cells_give() -> None:
    from types import SimpleNamespace

    from forensic_viewer.report.build import Overview
    from forensic_viewer.report.text import summary_note

    row = triage_row(_record("authentic", "manipulated", pairs=1))
    ov = SimpleNamespace(rows=[row], models=[])
    ov.analysis_columns = Overview.analysis_columns.func(ov)  # the Overview's, worked out once
    note = summary_note(ov)
    assert "the default verdict" in note and "copy-move analysis the ensemble uses" in note
    assert "else clone: p99: the 99th percentile of the map" in note


def test_the_report_summary_says_the_percentile_once_for_the_analyses_it_is_given_for() -> None:
    """With metadata, ela and clone columns the note read 'else metadata: p99: the 99th
    percentile ...; ela: p99: the 99th percentile ...; clone: p99: the 99th percentile ...',
    one sentence three times (seen in this session's QA of a scan's report.html)."""
    from types import SimpleNamespace

    from forensic_viewer.report.text import summary_note

    ov = SimpleNamespace(analysis_columns=["metadata", "ela", "noise", "clone"], models=[])
    note = summary_note(ov)
    assert note.count("the 99th percentile") == 1
    assert "else ela and clone: p99: the 99th percentile of the map" in note
    assert "metadata: its strong findings and notices" in note  # no percentile (below)
    assert "noise: the share of the image whose local noise level" in note


def _metadata(tmp_path: Path, name: str, thumbnail: bool, software: str) -> AnalysisRecord:
    import cv2

    from tests.engine.analyses.conftest import jpeg_bytes, make_exif, natural

    scene = natural(240, 320, 1)
    thumb = jpeg_bytes(cv2.resize(scene, (160, 120), interpolation=cv2.INTER_AREA), 75)
    exif = make_exif({0x010F: "Canon", 0x0131: software}, thumbnail=thumb if thumbnail else None)
    path = tmp_path / name
    path.write_bytes(jpeg_bytes(scene, 92, exif=exif))
    return AnalysisRecord.from_result(run_analysis("metadata", load_evidence(path)), None)


def test_a_metadata_cell_gives_its_findings_whatever_its_map(tmp_path: Path) -> None:
    """A file with a matching EXIF thumbnail and no notices read 'p99 0.04 raw' (the map of
    its difference from the thumbnail), one without a thumbnail 'nothing found': the same
    finding, a figure that meant nothing at triage, and sorted above the other by it."""
    with_thumb = _metadata(tmp_path, "a.jpg", True, "Ver.1.0")
    assert with_thumb.map is not None and with_thumb.map.p99 > 0  # the figure it showed
    cells = [
        analysis_cell("metadata", with_thumb),
        analysis_cell("metadata", _metadata(tmp_path, "b.jpg", False, "Ver.1.0")),
    ]
    assert [c.text for c in cells] == ["nothing found", "nothing found"]
    assert cells[0].sort == cells[1].sort
    assert cells[0].to_dict()["map_p99"] == with_thumb.map.p99  # still recorded
    edited = analysis_cell("metadata", _metadata(tmp_path, "c.jpg", True, "GIMP 2.10"))
    assert edited.text == "1 notice" and edited.sort > cells[0].sort


@pytest.mark.usefixtures("qapp")
def test_the_tables_tooltips_of_several_lines_keep_their_line_breaks() -> None:
    """plain() escapes a line break: the tooltips made of several lines (who said what, an
    analysis's note and warnings, where a file was read) read 'a: authentic\\x0ab: ...' on
    one line."""
    from PySide6.QtCore import Qt

    from forensic_viewer.gui.triage_table import TriageModel
    from forensic_viewer.scan.triage import AnalysisCell, analysis_note

    model = TriageModel()
    model.set_models(["a", "b"], "ens", ["noise"])
    row = triage_row(_record("authentic", "manipulated"))
    noise = AnalysisCell("noise", "ran", warnings=("the map is coarse", "second warning"))
    model.upsert(replace(row, analyses=(noise,), file="/ev/x.jpg", read_from="/elsewhere/x.jpg"))
    tip = Qt.ItemDataRole.ToolTipRole
    lines = model.index(0, model.column_of("disagreement")).data(tip).splitlines()
    assert lines == [f"{check}: {verdict_words(verdict)}" for check, verdict in row.verdicts]
    lines = model.index(0, model.column_of("analysis", "noise")).data(tip).splitlines()
    assert lines == [analysis_note("noise"), "the map is coarse", "second warning"]
    lines = model.index(0, model.column_of("file")).data(tip).splitlines()
    assert lines[0] == "/ev/x.jpg" and lines[1].startswith("read from ")
