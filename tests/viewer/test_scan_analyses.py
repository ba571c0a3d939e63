"""Scans with classic analyses (``--analyses``): rows, schema, maps, CSV, resume, replay, reports.

The images are made here: a textured scene with one region copied inside it (the clone
analysis must find the pair), a plain scene, and a JPEG whose EXIF holds hostile text. The
checkpoint has random weights: only the analyses' findings are checked for content.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from jsonschema import Draft202012Validator
from PIL import Image

from engine.analyses import get_analysis_spec
from engine.io import load_evidence
from forensic_viewer.cli import main
from forensic_viewer.report import scan_source, write_report
from forensic_viewer.scan.records import FileRecord, parse_line, record_line
from forensic_viewer.scan.replay import analysis_from_record
from forensic_viewer.scan.results import read_records
from forensic_viewer.scan.triage import NOT_RUN, triage_row, triage_rows
from tests.engine.analyses.conftest import jpeg_bytes, make_exif, natural
from tests.viewer.conftest import scan_cli

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "results.schema.json"
SOURCE = (20, 20, 70, 60)  # x, y, w, h of the copied region
TARGET = (150, 100, 70, 60)  # where the copy is pasted
HOSTILE = "Adobe Photoshop 25.0 \u202egpj.exe <script>alert(1)</script>"


def cloned_scene() -> np.ndarray:
    """A 192 x 256 textured scene with the SOURCE region pasted again at TARGET."""
    img = natural(192, 256, seed=3)
    sx, sy, w, h = SOURCE
    tx, ty, _, _ = TARGET
    img[ty : ty + h, tx : tx + w] = img[sy : sy + h, sx : sx + w]
    return img


def _iou(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    iw = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0, min(ay + ah, by + bh) - max(ay, by))
    return iw * ih / (aw * ah + bw * bh - iw * ih)


@pytest.fixture(scope="module")
def evidence(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("analyses") / "evidence"
    d.mkdir()
    (d / "cloned.jpg").write_bytes(jpeg_bytes(cloned_scene(), 92))
    Image.fromarray(natural(120, 160, seed=5)).save(d / "plain.png")
    exif = make_exif({0x0131: HOSTILE, 0x010F: "Cam", 0x0110: "X1"})  # Software, Make, Model
    (d / "hostile.jpg").write_bytes(jpeg_bytes(natural(96, 128, seed=7), 90, exif=exif))
    return d


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.viewer.test_records import _checkpoint

    return _checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny.safetensors", "tiny", 0)


@pytest.fixture(scope="module")
def scanned(evidence: Path, checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scan") / "out"
    assert scan_cli(evidence, out, checkpoint, "--analyses", "clone,ela,metadata") == 0
    return out


def _rows(out: Path) -> dict[str, dict[str, Any]]:
    lines = (out / "results.jsonl").read_text("utf-8").splitlines()
    return {r["path"]: r for r in map(json.loads, lines)}


def test_rows_hold_the_clone_pair_and_the_ela_map(scanned: Path) -> None:
    rows = _rows(scanned)
    cloned = rows["cloned.jpg"]["analyses"]
    assert list(cloned) == ["clone", "ela", "metadata"]  # in the order asked for
    clone = cloned["clone"]
    assert clone["score"] == 1.0 and clone["pairs"]
    boxes = {tuple(clone["pairs"][0]["source_box"]), tuple(clone["pairs"][0]["target_box"])}
    best = [max(_iou(b, truth) for b in boxes) for truth in (SOURCE, TARGET)]
    assert min(best) >= 0.6, best  # both copies found where they are
    assert clone["map"]["meaning"]["scale"] == "region"
    ela = cloned["ela"]
    assert ela["map"]["meaning"]["scale"] == "raw" and ela["score"] is None
    assert ela["params"]["quality"] == 90 and ela["provenance"]["source"]
    png = np.asarray(Image.open(scanned / ela["map"]["file"]))
    assert png.shape == (192, 256) and png.dtype == np.uint8
    region = np.asarray(Image.open(scanned / clone["map"]["file"])) > 127
    tx, ty, w, h = TARGET
    assert region[ty : ty + h, tx : tx + w].mean() > 0.6 and region.mean() < 0.4
    plain = rows["plain.png"]["analyses"]["clone"]
    assert plain["score"] == 0.0 and plain["pairs"] == [] and plain["map"]["max"] == 0.0


def test_every_row_matches_the_schema(scanned: Path) -> None:
    validator = Draft202012Validator(json.loads(SCHEMA.read_text("utf-8")))
    rows = _rows(scanned)
    for row in rows.values():
        assert [e.message for e in validator.iter_errors(row)] == [], row["path"]
    broken = json.loads(json.dumps(rows["cloned.jpg"]))
    broken["analyses"]["ela"]["map"]["meaning"]["scale"] = "probability of manipulation"
    assert not validator.is_valid(broken)
    broken = json.loads(json.dumps(rows["cloned.jpg"]))
    del broken["analyses"]["clone"]["pairs"][0]["affine"]
    assert not validator.is_valid(broken)


def test_rows_read_back_and_write_the_same_bytes(scanned: Path) -> None:
    for line in (scanned / "results.jsonl").read_bytes().splitlines(keepends=True):
        record = parse_line(line)
        assert record is not None and record_line(record) == line
    record = read_records(scanned)["cloned.jpg"]
    assert isinstance(record, FileRecord)
    clone = record.analysis("clone")
    assert clone is not None and clone.pairs[0].detector in ("keypoints", "blocks")


def test_csv_has_the_analysis_columns_filled(scanned: Path) -> None:
    with open(scanned / "results.csv", encoding="utf-8") as f:
        rows = {r["path"]: r for r in csv.DictReader(f)}
    cloned, plain = rows["cloned.jpg"], rows["plain.png"]
    assert cloned["analysis.clone.score"] == "1.000000"
    assert int(cloned["analysis.clone.pairs"]) >= 1 and plain["analysis.clone.pairs"] == "0"
    ela = get_analysis_spec("ela").provenance.version  # the map's name holds its version
    assert cloned["analysis.ela.map"] == f"maps/cloned.jpg.ela.v{ela}.analysis.png"
    assert 0.0 < float(cloned["analysis.ela.map_p99"]) <= 1.0
    assert cloned["analysis.ela.score"] == ""  # ELA has no score: never a made-up one
    assert cloned["analysis.ela.pairs"] == ""  # nor pairs: it looks for no copies
    assert int(rows["hostile.jpg"]["analysis.metadata.findings"]) >= 1
    assert cloned["tiny.score"]  # the model's columns are still there


def test_settings_record_the_analyses_and_a_resume_with_others_is_refused(
    evidence: Path, checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert scan_cli(evidence, out, checkpoint, "--analyses", "ela") == 0
    printed = capsys.readouterr().out.splitlines()  # one line per file and analysis
    assert sum(bool(re.fullmatch(r"\S+\tela\tp99 [01]\.\d\d raw", x)) for x in printed) == 3
    info = json.loads((out / "scan.json").read_text("utf-8"))
    assert list(info["analyses"]) == ["ela"] and info["analyses"]["ela"]["params"]["quality"] == 90
    assert scan_cli(evidence, out, checkpoint, "--analyses", "ela,clone") == 2
    assert "other models or settings" in capsys.readouterr().err
    assert scan_cli(evidence, out, checkpoint) == 2  # without the analyses: another scan too
    assert scan_cli(evidence, out, checkpoint, "--analyses", "ela") == 0
    assert "0 analysed, 3 already done" in capsys.readouterr().out


def test_a_folder_scanned_before_analyses_existed_still_resumes(
    evidence: Path, checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert scan_cli(evidence, out, checkpoint) == 0
    info = json.loads((out / "scan.json").read_text("utf-8"))
    assert info.pop("analyses") == {}
    (out / "scan.json").write_text(json.dumps(info), "utf-8")  # as an older version wrote it
    assert "analyses" not in _rows(out)["plain.png"]  # rows without analyses are unchanged
    capsys.readouterr()
    assert scan_cli(evidence, out, checkpoint) == 0
    assert "0 analysed, 3 already done" in capsys.readouterr().out


def test_unknown_analysis_is_a_usage_error_naming_the_choices(
    evidence: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["scan", str(evidence), "--out", str(tmp_path / "o"), "--analyses", "ela,elx"])
    assert code == 2
    err = capsys.readouterr().err
    assert "'elx'" in err and "clone" in err and "all" in err
    assert not (tmp_path / "o" / "results.jsonl").exists()


def test_triage_rows_carry_one_cell_per_analysis(scanned: Path) -> None:
    rows = {r.key: r for r in triage_rows(scanned)}
    cloned = rows["cloned.jpg"].analysis("clone")
    assert cloned is not None and cloned.text.endswith("pair") and cloned.sort >= 2.0
    assert rows["plain.png"].analysis("clone").text == "no pair"  # type: ignore[union-attr]
    ela = rows["plain.png"].analysis("ela")
    assert ela is not None and ela.text.startswith("p99 ") and ela.text.endswith(" raw")
    meta = rows["hostile.jpg"].analysis("metadata")
    assert meta is not None and meta.notices + meta.strong >= 1
    cloned_row = rows["cloned.jpg"]  # a pair is a lead, not a verdict: flagged as before
    assert cloned_row.flagged == (cloned_row.cells[0].verdict == "manipulated")
    assert [a.name for a in rows["plain.png"].analyses] == ["clone", "ela", "metadata"]
    asked = triage_row(read_records(scanned)["plain.png"], None, None, ["noise", "clone"])
    assert [a.name for a in asked.analyses] == ["noise", "clone", "ela", "metadata"]
    assert asked.analyses[0].text == NOT_RUN and asked.analyses[0].sort == -1.0


def test_the_scan_result_replays_with_its_analyses(scanned: Path, evidence: Path) -> None:
    record = read_records(scanned)["cloned.jpg"]
    analysis = analysis_from_record(record, scanned, load_evidence(evidence / "cloned.jpg"))
    clone = analysis.analyses["clone"]
    assert clone.pairs == record.analysis("clone").pairs  # type: ignore[union-attr]
    assert clone.map is not None and clone.map.shape == (192, 256) and clone.map.max() == 1.0
    assert analysis.analyses["ela"].meaning.scale == "raw"  # type: ignore[union-attr]
    assert analysis.analyses["metadata"].map is None  # no thumbnail: no map, none expected


def test_the_report_has_an_analysis_section_with_escaped_metadata(
    scanned: Path, tmp_path: Path
) -> None:
    paths = write_report(scan_source(scanned), tmp_path, ("html", "json"))
    html = paths["html"].read_text("utf-8")
    assert html.count('class="analysis"') >= 3 * 3  # three analyses on each of three files
    assert "Classic analyses" in html and "raw values, not a probability of manipulation" in html
    assert '<th scope="row">Pair 1</th><td>x ' in html  # the clone pair listed...
    assert "Boxes: clone pairs, source and target joined by a line." in html  # ...and drawn
    assert "\u202e" not in html and "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    report = json.loads(paths["json"].read_text("utf-8"))
    item = next(i for i in report["items"] if i["path"] == "cloned.jpg")
    assert item["analyses"]["clone"]["status"] == "ran"
    assert item["analyses"]["clone"]["record"]["score"] == 1.0
    summary = next(r for r in report["summary"] if r["path"] == "cloned.jpg")
    assert summary["analyses"]["clone"]["pairs"] >= 1


def test_the_pdf_summary_cuts_no_word_and_gives_the_analyses_a_table_of_their_own(
    scanned: Path, tmp_path: Path
) -> None:
    """One A4 row of every column, a column per analysis, cut words in the middle
    ('authe|ntic', 'Disagr|eement'): the analyses get a table of their own after the verdicts,
    and each column is at least as wide as its longest word."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import Paragraph, Table

    from forensic_viewer.report import CaseInfo, ReportOptions
    from forensic_viewer.report.build import overview
    from forensic_viewer.report.pdf import CELL_PAD, PdfWriter

    writer = PdfWriter(tmp_path / "report.pdf")
    writer.laid_out = []
    writer.begin(overview(scan_source(scanned), CaseInfo(), ReportOptions()), ())
    tables = [f for f in writer.laid_out + writer.story if isinstance(f, Table)]

    def para(cell: object) -> object:  # a laid-out table holds its cells in tuples
        return cell[0] if isinstance(cell, (list, tuple)) else cell

    def plain(cell: object) -> str:  # a cell that fits one line is its text (PdfWriter.cell)
        return cell if isinstance(cell, str) else getattr(cell, "getPlainText", str)()

    summaries = [t for t in tables if plain(para(t._cellvalues[0][0])) == "#"]
    headers = [[plain(para(c)) for c in t._cellvalues[0]] for t in summaries]
    cut = []
    font = writer.s.small
    for t in summaries:
        for row in t._cellvalues:
            for width, cell in zip(t._colWidths, map(para, row), strict=True):
                if isinstance(cell, str):  # drawn on one line: it fits, no word cut
                    size = stringWidth(cell, font.fontName, font.fontSize)
                    assert size <= width - 2 * CELL_PAD, (cell, width)
                    continue
                assert isinstance(cell, Paragraph)
                cell.wrap(width - 2 * CELL_PAD, 10_000)
                words = set(cell.getPlainText().split())
                cut += [w for _, line in cell.blPara.lines for w in line if w not in words]
    writer.abort()
    assert cut == []
    assert len(summaries) == 2 and "Probability spread" in headers[0]
    # the copy-move analysis by the one name readers see for it (its id clone in the files)
    assert headers[1] == [
        "#",
        "File",
        "copy-move analysis",
        "ela (analysis)",
        "metadata (analysis)",
    ]


def test_the_report_figure_draws_each_pair_linked() -> None:
    from engine.analyses import ClonePair
    from forensic_viewer.overlays import CASING_RGB, PAIR_LINK_RGB, PAIR_TARGET_RGB
    from forensic_viewer.report.figures import analysis_figure

    pair = ClonePair((10, 10, 20, 20), (100, 60, 20, 20), (1, 0, 90, 0, 1, 50), 0.0, 1.0,
                     "keypoints", 12, 400, 0.99)  # fmt: skip
    values = np.zeros((120, 160), np.float32)
    fig = analysis_figure(np.full((120, 160, 3), 128, np.uint8), values, "region", [pair])
    assert tuple(fig[70, 110]) != PAIR_TARGET_RGB  # inside the target box: not drawn over
    assert tuple(fig[60, 105]) == PAIR_TARGET_RGB  # its top edge is
    mid = fig[40:51, 55:76]  # around halfway between the centres (20, 20) and (110, 70)
    assert np.all(mid == PAIR_LINK_RGB, axis=-1).any()  # the link (dashed) runs through it
    assert np.all(mid == CASING_RGB, axis=-1).any()  # on its dark casing
    assert tuple(fig[59, 105]) == CASING_RGB  # the box's edge is cased too (walk-through cvd)
    with pytest.raises(ValueError, match="evidence is 160x10, the map 160x120"):
        analysis_figure(np.full((10, 160, 3), 128, np.uint8), values, "region")


def test_the_report_figure_draws_an_analysis_as_the_viewer_draws_its_layer() -> None:
    """A report's figure of a raw map is the picture the viewer's layer paints (its colormap,
    every value opaque, the layer's opacity): an ELA reading of 0.018 beside 0.054 was drawn
    as the bare photograph, faded like a network's 'nothing found' (found in a report of
    Sp_D_NNN_A_sec0037, whose ELA figure showed no map at all)."""
    from engine.analyses import MapMeaning, MapScale
    from forensic_viewer.classic_layers import AnalysisLayer
    from forensic_viewer.overlays import colormap_lut, over_rgb
    from forensic_viewer.report.figures import analysis_figure

    rgb = np.full((120, 160, 3), 128, np.uint8)
    values = np.full((120, 160), 0.018, np.float32)
    values[30:90, 40:120] = 0.054
    fig = analysis_figure(rgb, values, "raw")
    layer = AnalysisLayer("ela map", values, analysis="ela",
                          meaning=MapMeaning(MapScale.RAW, "error level", "u", "h"))  # fmt: skip
    seen = over_rgb(rgb, layer._render_fn()(), layer.opacity)  # what the canvas paints
    assert np.array_equal(fig[:120], seen)
    assert np.abs(fig[:120].astype(int) - 128).mean() > 20  # the low readings are seen
    assert not np.array_equal(fig[10, 10], fig[60, 80])  # and told apart
    legend = fig[120:]  # in the layer's colormap (viridis' yellow at 1), not inferno's
    assert (np.abs(legend.astype(int) - colormap_lut("viridis")[-1]).sum(axis=2) < 12).any()


def test_an_analysis_map_holding_nan_makes_the_file_an_error_row(tmp_path: Path) -> None:
    from engine.analyses import AnalysisResult, MapMeaning, MapScale, Output, Provenance
    from engine.types import Analysis
    from forensic_viewer.scan.encoded import result_record
    from forensic_viewer.scan.records import NonFiniteResult

    Image.fromarray(natural(64, 64, seed=1)).save(tmp_path / "e.png")
    ev = load_evidence(tmp_path / "e.png")
    bad = np.full((64, 64), np.nan, np.float32)
    meaning = MapMeaning(MapScale.RAW, "x", "y", "z")
    result = AnalysisResult("odd", Provenance("m", "s", "1"), {}, ev.sha256, 0.0,
                            Output(map=bad, meaning=meaning))  # fmt: skip
    with pytest.raises(NonFiniteResult, match="analysis 'odd'"):
        result_record("e.png", Analysis(ev, {}, analyses={"odd": result}), tmp_path / "out")
    assert not (tmp_path / "out").exists()  # nothing written


def test_an_analysis_the_ensemble_runs_itself_gets_its_csv_columns(
    evidence: Path, checkpoint: Path, tmp_path: Path
) -> None:
    """The default ensemble runs the copy-move analysis for its own verdict: its figures are in
    the rows, so the CSV has its columns too, though --analyses did not ask for it."""
    models = tmp_path / "models"
    models.mkdir()
    (models / "tiny.safetensors").write_bytes(checkpoint.read_bytes())
    ensemble = models / "own.ensemble.json"
    ensemble.write_text(
        json.dumps(
            {
                "members": [{"model": "tiny.safetensors"}],
                "localization_analyses": {"clone": "replace"},
            }
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert scan_cli(evidence, out, ensemble, "--analyses", "ela") == 0
    with (out / "results.csv").open(encoding="utf-8") as f:
        rows = {r["path"]: r for r in csv.DictReader(f)}
    assert "analysis.ela.map_p99" in rows["cloned.jpg"]
    assert rows["cloned.jpg"]["analysis.clone.pairs"] not in ("", "0")
    assert rows["plain.png"]["analysis.clone.pairs"] == "0"


def test_csv_gives_the_noise_share_in_a_last_column(tmp_path: Path) -> None:
    # The triage figure of the noise analysis was in results.jsonl only. It comes last, after
    # the faces columns, so that every column a CSV of before had keeps its place.
    from engine.analyses.base import Provenance
    from forensic_viewer.scan.records import AnalysisRecord
    from forensic_viewer.scan.results import ANALYSIS_COLUMNS, FS_TIMES_COLUMNS, write_csv
    from forensic_viewer.scan.triage import CELL_FIGURES

    prov = Provenance("m", "s", "4")
    share = AnalysisRecord("noise", prov, {}, 0.1, extras={"off_level_share": 0.2345})
    level = AnalysisRecord("noise", prov, {}, 0.1, extras={"off_level_share": None})
    recs = [
        FileRecord("a.jpg", "0" * 64, 8, 8, analyses=(share,)),
        FileRecord("b.jpg", "1" * 64, 8, 8, analyses=(level,)),
        FileRecord("c.jpg", "2" * 64, 8, 8),  # noise did not run on it
    ]
    write_csv(tmp_path, recs, [], analyses=["ela", "noise"])
    with open(tmp_path / "results.csv", encoding="utf-8") as f:
        header, *rows = csv.reader(f)
    before = ["path", "sha256", "duplicate_of", "read_from", "status", "error"]
    before += [f"analysis.{a}.{c}" for a in ("ela", "noise") for c in ANALYSIS_COLUMNS]
    times = [f"fs_times.{k}" for k in FS_TIMES_COLUMNS]  # added after it, last
    last = [*times, "warnings"]  # each added after the columns before it
    assert header == [*before, "faces", "analysis.noise.off_level_share", *last]
    assert [r[-6] for r in rows] == ["0.234500", "", ""]
    # every figure a triage cell shows has its column
    assert all(f"analysis.{n}.{c.key}" in header for n, c in CELL_FIGURES.items())
