"""A verdict on an image smaller than any it was measured on is marked wherever it is shown:
results.jsonl, the CSV, the command line's table, the triage cell and every report format;
a row written before the mark existed still reads (docs/VERDICTS.md, "Images too small for a
verdict"). The tiny test model's verdicts, like every CASIA-scale network's, are in range from 192 px."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from forensic_viewer.cli import main
from forensic_viewer.cli_table import print_table, table_checks
from forensic_viewer.report import scan_source, write_report
from forensic_viewer.scan.records import parse_line
from forensic_viewer.scan.results import write_csv
from forensic_viewer.scan.triage import triage_row
from forensic_viewer.wording import OUT_OF_RANGE, range_words
from tests.conftest import write_calibrated_pair, write_rgb

SCHEMA = json.loads(
    (Path(__file__).parents[2] / "docs" / "results.schema.json").read_text(encoding="utf-8")
)


@pytest.fixture
def scanned(tmp_path: Path, tiny_checkpoint: Path, capsys) -> tuple[Path, str]:
    d = tmp_path / "evidence"
    d.mkdir()
    write_rgb(d / "small.png", 30, 40, seed=1)  # short side 30 < 192
    write_rgb(d / "normal.png", 200, 240, seed=2)
    out = tmp_path / "out"
    ensemble = write_calibrated_pair(tiny_checkpoint)
    assert main(["scan", str(d), "--out", str(out), "--model", str(ensemble), "--no-faces"]) == 0
    return out, capsys.readouterr().out


def _rows(out: Path) -> dict[str, dict]:
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return {r["path"]: r for r in map(json.loads, lines)}


def test_results_rows_mark_the_small_image_only(scanned: tuple[Path, str]) -> None:
    out, _ = scanned
    rows = _rows(out)
    small, normal = rows["small.png"], rows["normal.png"]
    assert small["details"]["tiny"]["out_of_range"] == {"short_side": 30, "min_side": 192}
    assert small["ensemble_details"]["out_of_range"] == {
        "short_side": 30,
        "min_side": 192,
        "members": ["tiny"],
    }
    assert "out_of_range" not in normal["details"]["tiny"]
    assert "out_of_range" not in normal["ensemble_details"]
    validator = Draft202012Validator(SCHEMA)
    for row in rows.values():
        assert not list(validator.iter_errors(row))


def test_the_csv_and_the_table_say_it_beside_the_verdict(scanned: tuple[Path, str]) -> None:
    out, printed = scanned
    with (out / "results.csv").open(encoding="utf-8") as f:
        rows = {r["path"]: r for r in csv.DictReader(f)}
    words = range_words({"short_side": 30, "min_side": 192})
    assert words is not None and words.startswith(OUT_OF_RANGE)
    assert rows["small.png"]["tiny.out_of_range"] == words
    assert rows["small.png"]["ensemble.out_of_range"].startswith(f"{OUT_OF_RANGE}: ")
    assert "(tiny)" in rows["small.png"]["ensemble.out_of_range"]
    assert rows["normal.png"]["tiny.out_of_range"] == ""
    assert rows["normal.png"]["ensemble.out_of_range"] == ""
    small_lines = [line for line in printed.splitlines() if line.startswith("small.png\t")]
    normal_lines = [line for line in printed.splitlines() if line.startswith("normal.png\t")]
    assert small_lines and all(f"({OUT_OF_RANGE})" in line for line in small_lines)
    assert normal_lines and not any(OUT_OF_RANGE in line for line in normal_lines)


def test_the_triage_cell_and_every_report_format_show_the_mark(
    scanned: tuple[Path, str], tmp_path: Path
) -> None:
    out, _ = scanned
    row = triage_row(_rows(out)["small.png"])
    assert row.ensemble is not None and OUT_OF_RANGE in row.ensemble.text
    assert OUT_OF_RANGE not in triage_row(_rows(out)["normal.png"]).ensemble.text  # type: ignore[union-attr]
    paths = write_report(scan_source(out), tmp_path / "report", ["html", "json", "pdf"])
    html = paths["html"].read_text(encoding="utf-8")
    assert (
        html.count(f"({OUT_OF_RANGE}: the image&#x27;s short side is 30 px")
        + html.count(f"({OUT_OF_RANGE}: the image's short side is 30 px")
        == 2
    )  # the ensemble's and the member's, on the small file only
    report = json.loads(paths["json"].read_text(encoding="utf-8"))
    item = next(i for i in report["items"] if i["path"] == "small.png")
    assert item["ensemble"]["figures"]["out_of_range"]["short_side"] == 30
    assert paths["pdf"].stat().st_size > 0


def test_a_row_written_before_the_mark_still_reads(scanned: tuple[Path, str], capsys) -> None:
    out, _ = scanned
    row = _rows(out)["small.png"]
    del row["details"]["tiny"]["out_of_range"], row["ensemble_details"]["out_of_range"]
    rec = parse_line(json.dumps(row))
    assert rec is not None and rec.ensemble is not None and rec.ensemble.figures is not None
    assert rec.ensemble.figures.out_of_range is None
    assert OUT_OF_RANGE not in triage_row(rec).ensemble.text  # type: ignore[union-attr]
    write_csv(out, [rec], ["tiny"], ensemble=True)
    with (out / "results.csv").open(encoding="utf-8") as f:
        (csv_row,) = csv.DictReader(f)
    assert csv_row["tiny.out_of_range"] == "" and csv_row["ensemble.out_of_range"] == ""
    print_table([{"path": "small.png", "status": "ok", "checks": table_checks(row)}])
    assert OUT_OF_RANGE not in capsys.readouterr().out


@pytest.mark.gui
def test_the_viewers_cards_and_badge_show_it_in_grey(qapp, scanned: tuple[Path, str]) -> None:
    from engine.io import load_evidence
    from forensic_viewer.gui.panels import GREY, text_color, verdict_badge
    from forensic_viewer.gui.verdict_panel import VerdictPanel
    from forensic_viewer.scan.replay import analysis_from_record

    out, _ = scanned
    rec = parse_line(json.dumps(_rows(out)["small.png"]))
    assert rec is not None
    analysis = analysis_from_record(rec, out, load_evidence(out.parent / "evidence" / "small.png"))
    assert analysis.results["tiny"].out_of_range == {"short_side": 30, "min_side": 192}
    panel = VerdictPanel()
    panel.set_analysis(analysis)
    text = panel.text()
    assert text.count(f"({OUT_OF_RANGE})") == 2  # the default verdict's card and the member's
    assert range_words(analysis.results["tiny"].out_of_range) in text
    assert all(text_color(panel, GREY).name() in card.title.styleSheet() for card in panel.cards)
    badge = verdict_badge(analysis)
    assert OUT_OF_RANGE in badge.text and badge.color == GREY


@pytest.mark.gui
def test_the_compare_panes_mark_it_in_grey_as_the_cards_do(qapp, scanned: tuple[Path, str]) -> None:
    """The compare panes coloured an out-of-range verdict red or green with no mark while its
    card was grey and marked: side by side, the pane read as a measured verdict."""
    from engine.io import load_evidence
    from forensic_viewer.gui.compare import compare_sources
    from forensic_viewer.gui.panels import GREY, NEUTRAL, RED
    from forensic_viewer.layers import LayerList
    from forensic_viewer.scan.replay import analysis_from_record

    out, _ = scanned
    panes = {}
    for name in ("small.png", "normal.png"):
        rec = parse_line(json.dumps(_rows(out)[name]))
        assert rec is not None
        evidence = load_evidence(out.parent / "evidence" / name)
        analysis = analysis_from_record(rec, out, evidence)
        panes[name] = [s for s in compare_sources(LayerList(), analysis) if s.kind == "model"]
    small, normal = panes["small.png"], panes["normal.png"]
    assert len(small) == 2  # the default verdict's pane and the member's
    for source in small:
        assert f"({OUT_OF_RANGE})" in source.title and source.color == GREY, source
    for source in normal:  # in range: red or neutral, unmarked
        assert OUT_OF_RANGE not in source.title and source.color in (RED, NEUTRAL), source
