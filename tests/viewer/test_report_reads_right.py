"""What an analyst's walk-through of the reports (2026-12-05) found read wrong: the header's
count said twice with "file(s)", failed files' errors crushed into the summary's narrow Status
column, the zero-byte file's section giving a wrong reason and no file-system times, the
copy-move map drawn as the ensemble's heatmap under a probability's caption and scale, empty
parameters printed as blanks."""

from __future__ import annotations

from html import unescape
from pathlib import Path

import pytest

from forensic_viewer.report import CaseInfo, ReportOptions, scan_source, write_report
from forensic_viewer.report import text as T
from forensic_viewer.report.build import overview
from forensic_viewer.scan.run import run_scan
from forensic_viewer.wording import ENSEMBLE_HEATMAP_MEANING, HEATMAP_MEANING
from tests.conftest import write_rgb
from tests.viewer.test_scan_prefetch import StubAnalyzer, files_of


@pytest.fixture
def analysed(tmp_path: Path) -> Path:
    """An ``analyze`` run's folder over a photograph, a zero-byte file and a text file named
    like an image (the walk-through's ``zero.jpg`` and ``text.png``)."""
    folder = tmp_path / "ev"
    folder.mkdir()
    write_rgb(folder / "a.png", 24, 32)
    (folder / "text.png").write_text("plain text, not a picture\n", encoding="utf-8")
    (folder / "zero.jpg").write_bytes(b"")
    out = tmp_path / "out"
    run_scan(files_of(folder), StubAnalyzer(), out, source="analyze")
    return out


def test_the_header_says_how_many_files_once_with_its_plural(analysed: Path) -> None:
    """It said "Covers: Analysis of 1 evidence file(s): 1 evidence file(s)"."""
    whole = overview(scan_source(analysed), CaseInfo(), ReportOptions())
    assert dict(T.case_rows(whole))["Covers"] == "Analysis of 3 evidence files"
    one = overview(scan_source(analysed, ["a.png"]), CaseInfo(), ReportOptions())
    assert dict(T.case_rows(one))["Covers"] == "Analysis of 1 evidence file"
    assert T.covers_text("Scan of /cases/7", 1) == "Scan of /cases/7: 1 evidence file"
    paths = write_report(scan_source(analysed, ["a.png"]), analysed / "r", ["html"])
    html = unescape(paths["html"].read_text(encoding="utf-8"))
    assert "file(s)" not in html and "Analysis of 1 evidence file<" in html


def test_a_zero_byte_files_section_gives_its_times_and_no_earlier_versions_reason(
    analysed: Path,
) -> None:
    """``zero.jpg``'s section said "no header of it was read (a scan of an earlier version
    kept only the error and the SHA-256 ...)" under this version's own row, and gave no
    file-system times, while ``text.png`` (also undecodable) had them."""
    from forensic_viewer.report.evidence_text import evidence_rows

    items = {i.key: i for i in scan_source(analysed).items()}
    for key in ("zero.jpg", "text.png"):
        rows = dict(evidence_rows(items[key]))
        assert rows["Modified (file system)"] not in ("", "—"), (key, rows)
        assert "earlier version" not in " ".join(rows.values()), (key, rows)
    zero = dict(evidence_rows(items["zero.jpg"]))
    assert zero["File size"] == "0 bytes"
    assert zero["Format (by content)"] == "none: the file is empty"


def test_a_failed_row_without_a_header_says_which_case_it_is(tmp_path: Path) -> None:
    """The one sentence for every failed row without a header told of an earlier version's
    scan even for this version's rows: each case has its words now."""
    import dataclasses

    from forensic_viewer.report.cards import CardCache
    from forensic_viewer.report.evidence_text import (
        EARLIER_ROW_FACTS,
        NO_HEADER_FACTS,
        UNREAD_FACTS,
        evidence_rows,
    )
    from forensic_viewer.report.model import item_from_record
    from forensic_viewer.scan.records import error_record

    bad = tmp_path / "bad.jpg"
    now = error_record("bad.jpg", "ab" * 32, f"{bad}: worker process 7 ended", file=bad)
    earlier = dataclasses.replace(now, real_path=None)  # as rows were written before it
    unread = dataclasses.replace(now, sha256=None, error=f"{bad}: permission denied")

    def facts(rec: object) -> str:
        item = item_from_record(rec, tmp_path, ["m"], None, CardCache())  # type: ignore[arg-type]
        return dict(evidence_rows(item))["Format, dimensions, metadata"]

    assert facts(now) == NO_HEADER_FACTS and "earlier" not in NO_HEADER_FACTS
    assert facts(earlier) == EARLIER_ROW_FACTS
    assert facts(unread) == UNREAD_FACTS


def test_a_failed_files_error_has_a_row_of_its_own_under_a_short_status(analysed: Path) -> None:
    """The PDF summary crushed the whole error, its absolute path first, into the narrow
    Status column: "ERROR: / tmp/s35/ walkA/sc anin/text .png: not ...", 15 to 20 lines a
    file. The Status says where to read it; a row as wide as the table under the file's
    gives the problem (its path is the file's: in its section, with the whole error)."""
    from reportlab.platypus import Paragraph

    from forensic_viewer.report.pdf import PdfWriter

    ov = overview(scan_source(analysed), CaseInfo(), ReportOptions())
    keys = [r.key for r in ov.rows]
    z = keys.index("zero.jpg")
    assert T.summary_cells(ov, z)[2] == f"not analysed: see §{z + 1}"
    assert T.summary_error(ov, z) == "error: file is empty (0 bytes)"
    assert T.summary_error(ov, keys.index("a.png")) is None
    folder = str(analysed.parent / "ev")
    w = PdfWriter(analysed / "r.pdf")
    columns = list(range(len(T.summary_header(ov))))
    table = w._summary_chunk(
        ov, columns, w._column_widths(columns, *w._measure(ov)), range(len(keys))
    )
    w.abort()
    texts = [c.text if isinstance(c, Paragraph) else c for row in table._cellvalues for c in row]
    assert not [t for t in texts if folder in t], texts  # no path in the summary
    assert "error: file is empty (0 bytes)" in texts
    assert any(t.startswith("error: not an image of an allowed format") for t in texts)
    assert len(table._cellvalues) == 1 + len(keys) + 2  # the header, a row a file, 2 errors

    paths = write_report(scan_source(analysed), analysed / "r", ["html"])
    raw = paths["html"].read_text(encoding="utf-8")
    summary = raw[raw.index('<section id="summary">') :]
    summary = summary[: summary.index("</section>")]
    assert folder not in summary
    span = len(T.summary_header(ov))
    assert f'colspan="{span}">error: file is empty (0 bytes)</td>' in summary


def test_empty_parameters_are_said_not_left_blank() -> None:
    """jpeg-ghost's ``qualities`` (an empty list: the range q_min..q_max by q_step is used)
    and jpeg-tables' parameters (``{}``: it has none) printed as blanks ("—")."""
    import dataclasses

    from engine.analyses.jpeg import GhostParams
    from forensic_viewer.report.build import AnalysisSummary
    from forensic_viewer.wording import NO_PARAMETERS, parameters_words

    ghost = dataclasses.asdict(GhostParams())
    assert ghost["qualities"] == ()  # as every scan records it unless asked otherwise
    row = dict(T.analysis_summary_rows(AnalysisSummary("jpeg-ghost", "m", "s", "6", ghost)))
    words = "qualities none listed: q_min to q_max by q_step (50 to 95 in steps of 5)"
    assert words in row["Parameters"]
    assert list(range(50, 96, 5)) == GhostParams().quality_list()  # what those words say
    tables = dict(T.analysis_summary_rows(AnalysisSummary("jpeg-tables", "m", "s", "4", {})))
    assert tables["Parameters"] == NO_PARAMETERS == "none: this analysis has no settings"
    assert parameters_words({"sizes": []}) == "sizes none"
    assert parameters_words({"block": 16, "qualities": (60, 70)}) == "block 16, qualities (60, 70)"


COPIES = (
    "θ = 0.5986 on the stacked probability: logistic stacking; when the copy-move analysis "
    "finds a pair, its map replaces the heatmap; on this file: the heatmap is the copy-move "
    "analysis's map (it found a pair), the copies whose mean fused heatmap reaches 0.7 of the "
    "hottest copy's"
)


def test_heatmap_replaced_by_reads_the_provenance_of_this_and_earlier_rows() -> None:
    from engine.ensemble_provenance import heatmap_replaced_by

    assert heatmap_replaced_by(COPIES) == "clone"
    old = "θ = 0.6 on the mean; the heatmap is the clone analysis's map (it found a pair)"
    assert heatmap_replaced_by(old) == "clone"  # before "; on this file: ", and the old name
    general = "θ = 0.6; when the clone analysis finds a pair, its map replaces the heatmap"
    assert heatmap_replaced_by(general) is None and heatmap_replaced_by("") is None


def _copied_item() -> object:
    """A file whose ensemble heatmap is the copy-move analysis's regions (CASIA's
    ``Sp_S_CNN_A_pla0052``, the walk-through's page 8)."""
    import numpy as np

    from forensic_viewer.report.model import ModelEntry, ReportItem

    regions = np.zeros((40, 48), np.float32)
    regions[4:12, 4:12] = regions[20:28, 30:38] = 1.0
    figures = {"verdict": "manipulated", "pixel_threshold": 0.45, "rule": "ensemble"}
    ens = ModelEntry("ens", "ensemble", "ran", heatmap=regions,
                     figures={**figures, "threshold_provenance": COPIES})  # fmt: skip
    member = ModelEntry("m", "model", "ran", heatmap=regions * 0.8,
                        figures={**figures, "threshold_provenance": "θ set on validation"})  # fmt: skip
    return ReportItem(
        key="Sp_S_CNN_A_pla0052.jpg", file=None, status="ok", error=None, sha256=None,
        evidence={"width": 48, "height": 40}, models=[member], ensemble=ens,
        pixels=np.full((40, 48, 3), 128, np.uint8),
    )  # fmt: skip


def test_a_copy_move_map_in_the_ensembles_place_is_captioned_and_scaled_as_regions() -> None:
    """The figure said "Heatmap of the ensemble (value = round(255 x probability))" above a
    0-1 probability scale marked "mask > 0.45", while it drew the copy-move analysis's on/off
    regions (only the θ provenance row said so)."""
    import dataclasses

    import numpy as np

    from forensic_viewer.report.build import item_figures
    from forensic_viewer.report.figures import annotated_figure, legend_bar
    from forensic_viewer.report.model import HEATMAP_8BIT, REGIONS_8BIT

    item = _copied_item()
    figs = item_figures(item, item.triage(), ReportOptions())  # type: ignore[attr-defined]
    of = "Sp_S_CNN_A_pla0052.jpg (SHA-256 not recorded): "  # each caption names its evidence
    ens = figs.entries["ens"].caption.removeprefix(of)
    assert ens.startswith(
        "Copy-move regions found by the copy-move analysis (1 inside, 0 outside), in place of "
        "the ensemble's heatmap: it found a pair"
    ), ens
    assert "Heatmap of" not in ens and "probability" not in ens
    assert figs.entries["m"].caption.startswith(f"{of}Heatmap of model m")  # a member: a heatmap
    on_file = dataclasses.replace(item.ensemble, heatmap=None)  # type: ignore[attr-defined]
    assert on_file.heatmap_precision == REGIONS_8BIT  # a scan's: its row and caption say so
    member = dataclasses.replace(item.models[0], heatmap=None)  # type: ignore[attr-defined]
    assert member.heatmap_precision == HEATMAP_8BIT

    heat, rgb = item.ensemble.heatmap, item.pixels  # type: ignore[attr-defined]
    drawn = annotated_figure(rgb, heat, 0.45, regions=True)
    regions_legend = legend_bar(drawn.shape[1], regions=True)
    assert np.array_equal(drawn[-regions_legend.shape[0] :], regions_legend)
    assert not np.array_equal(regions_legend, legend_bar(drawn.shape[1], pixel_threshold=0.45))


def test_the_viewers_ensemble_layer_says_it_shows_the_copy_move_regions() -> None:
    """The viewer's ensemble heatmap layer had nothing to say it was the copy-move map."""
    import dataclasses

    import numpy as np

    from engine.types import Analysis
    from forensic_viewer.layers import build_layers
    from forensic_viewer.model_layers import HeatmapLayer
    from tests.conftest import memory_evidence
    from tests.viewer.test_layers import _result

    ev = memory_evidence(np.full((40, 60, 3), 128, np.uint8), file_size=1)
    regions = np.zeros((40, 60), np.float32)
    regions[5:15, 5:20] = 1.0
    member = _result("m", regions * 0.8)
    ens = dataclasses.replace(_result("ens", regions, 0.45), threshold_provenance=COPIES)
    layers = build_layers(ev, Analysis(evidence=ev, results={"m": member}, ensemble=ens))
    heat = {la.model: la for la in layers if isinstance(la, HeatmapLayer)}
    assert heat["ens"].about.startswith("copy-move regions found by the copy-move analysis")
    assert heat["ens"].regions_of == "clone"
    assert heat["m"].about == HEATMAP_MEANING and heat["m"].regions_of is None
    plain = dataclasses.replace(ens, threshold_provenance="θ set on validation")
    layers = build_layers(ev, Analysis(evidence=ev, results={"m": member}, ensemble=plain))
    heat = {la.model: la for la in layers if isinstance(la, HeatmapLayer)}
    assert heat["ens"].about == ENSEMBLE_HEATMAP_MEANING and heat["m"].about == HEATMAP_MEANING


def test_the_results_docs_say_what_the_ensembles_map_file_holds_when_regions_replaced_it() -> None:
    """docs/results.schema.json and docs/RESULTS.md described every heatmap file as
    round(255 x probability) while reports said the ensemble's could be the copy-move regions
    (``REGIONS_8BIT``); both documents now say what the reports say, and when."""
    import json
    import re
    from pathlib import Path

    from engine.ensemble_provenance import heatmap_replaced_by
    from forensic_viewer.report.model import REGIONS_8BIT

    found = re.search(r"\((value 255 inside, 0 outside)\)", REGIONS_8BIT)
    assert found is not None
    values = found.group(1)
    docs = Path(__file__).parents[2] / "docs"
    schema = json.loads((docs / "results.schema.json").read_text(encoding="utf-8"))
    said = schema["$defs"]["ensembleSummary"]["properties"]["heatmap"]["description"]
    assert values in said and "heatmap_replaced_by" in said
    quoted = re.search(r"'(the heatmap is the copy-move analysis's map)'", said)
    assert quoted is not None and heatmap_replaced_by(f"θ = 0.5; {quoted.group(1)}") == "clone"
    maps = (docs / "RESULTS.md").read_text(encoding="utf-8").split("## maps/ and thumbs/")[1]
    assert values in " ".join(maps.split("\n- ")[1].split())
