"""Reports: self-contained strict HTML, a PDF that opens, a JSON sidecar, escaping, the
SHA-256 re-check at export, failed files and checks that did not run, triage rows, figures.

The checkpoint has random weights: these tests check what the report says about the analysis,
never that a finding is right.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader

from engine.checkpoints import load_checkpoint, save_checkpoint
from engine.io import load_evidence
from forensic_viewer.cli import main
from forensic_viewer.report import (
    CaseInfo,
    ReportCancelled,
    ReportOptions,
    cards_from_analyzer,
    item_from_analysis,
    parse_formats,
    scan_source,
    write_report,
)
from forensic_viewer.report.figures import (
    FACE_TILE,
    FACE_TILES,
    FigureStyle,
    annotated_figure,
    face_maps_figure,
    legend_bar,
)
from forensic_viewer.scan.records import ErrorRecord, FaceRecord, FileRecord, ModelRecord
from forensic_viewer.scan.triage import NOT_RUN, triage_row, triage_rows
from tests.conftest import write_calibrated_pair, write_rgb
from tests.viewer.conftest import face_item, scan_cli

EVIL_NAME = "<script>&\"q'.jpg"
EVIL_EXIF = "desc <script>alert(\"x\")</script> & 'q'"
EXAMINER = 'Eve <b>Smith</b> & "co"'
VOID = {"meta", "img", "br", "hr", "input", "link", "col", "area", "base", "wbr", "source"}


class StrictHtml(HTMLParser):
    """Fails on any tag closed out of order or left open; collects references and text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.refs: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.ids: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for k, v in attrs:
            if k in (
                "src",
                "href",
                "action",
                "srcset",
                "poster",
                "data",
                "formaction",
                "xlink:href",
            ):
                self.refs.append((tag, k, v or ""))
            if k == "id":
                self.ids.add(v or "")
            if k.startswith("on"):
                raise AssertionError(f"event handler attribute {k} on <{tag}>")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check_html(path: Path) -> StrictHtml:
    raw = path.read_text(encoding="utf-8")
    assert raw.startswith("<!DOCTYPE html>")
    p = StrictHtml()
    p.feed(raw)
    p.close()
    assert p.stack == [], f"unclosed tags {p.stack}"
    assert not re.search(r"https?://", raw, re.IGNORECASE), "an external address in the report"
    assert not {"script", "link", "iframe", "object", "embed", "base", "form"} & set(p.tags)
    assert "url(" not in raw
    for tag, attr, value in p.refs:
        if attr == "href":
            assert value.startswith("#") and value[1:] in p.ids, (tag, value)
        else:
            assert value.startswith("data:image/"), (tag, attr, value[:40])
    return p


def pdf_text(path: Path) -> tuple[int, str]:
    reader = PdfReader(str(path))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), text


def flat(text: str) -> str:
    return " ".join(text.split())


def make_evidence(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_rgb(folder / "a.png", 48, 40, seed=1)
    write_rgb(folder / "b.jpg", 40, 56, seed=2, fmt="JPEG")
    rng = np.random.default_rng(3)
    exif = Image.Exif()
    exif[0x010E] = EVIL_EXIF  # ImageDescription
    Image.fromarray(rng.integers(0, 256, (44, 36, 3), dtype=np.uint8)).save(
        folder / EVIL_NAME, format="JPEG", exif=exif
    )
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 40)
    return folder


@pytest.fixture
def scanned(tmp_path: Path, tiny_checkpoint: Path, capsys) -> Path:
    folder = make_evidence(tmp_path / "evidence")
    out = tmp_path / "out"
    code = scan_cli(
        folder,
        out,
        tiny_checkpoint,
        "--report",
        "html,pdf",
        "--examiner",
        EXAMINER,
        "--case-id",
        "C-42/7",
        "--notes",
        "first line\nsecond line",
    )
    assert code == 1  # broken.jpg failed; the report is written all the same
    printed = capsys.readouterr().out
    assert f"report (pdf): {out / 'report.pdf'}" in printed
    return out


def test_scan_report_html_is_strict_self_contained_and_opens_with_the_summary(
    scanned: Path,
) -> None:
    html = scanned / "report.html"
    p = check_html(html)
    raw = html.read_text(encoding="utf-8")
    # every file is in the summary table, which comes before the first file's section
    summary_at = raw.index('<section id="summary">')
    assert summary_at < raw.index('<section class="item')
    for n in range(1, 5):
        assert f'href="#item-{n}"' in raw and f"item-{n}" in p.ids
    assert sum(1 for _tag, attr, _v in p.refs if attr == "src") >= 3 * 2  # thumbs + figures
    text = flat(" ".join(p.text))
    assert "C-42/7" in text and "first line" in text
    assert "Scan of" in text and "fast path: tiles 512 cropped by 16 (trained window 64" in text
    assert "test fixture, random weights" in text  # θ provenance
    assert "Marked area: the share of the image's pixels whose heatmap is above" in text
    assert not (scanned / "report.html.tmp").exists()


def test_failed_file_is_in_the_table_and_the_report_and_no_check_reads_as_a_pass(
    scanned: Path,
) -> None:
    raw = (scanned / "report.html").read_text(encoding="utf-8")
    n = re.search(r'href="#item-(\d+)">broken\.jpg</a>', raw).group(1)
    row = raw[raw.index(f'href="#item-{n}"') :]
    row, error = row[: row.index("</tr>")], row[row.index("</tr>") :]
    assert f"not analysed: see §{n}" in row and "not run" in row
    error = error[: error.index("</tr>", 5)]  # the row under it, as wide as the table
    assert "colspan" in error and "error: " in error and "cannot be decoded" in error
    section = raw[raw.index(f'id="item-{n}"') :]
    section = section[: section.index("</section>")]
    assert "NOT ANALYSED" in section and "cannot be decoded" in section
    assert "NOT RUN" in section and "could not be analysed" in section
    assert section.count("cannot be decoded") == 1  # once, not again under every check
    # its format is what its bytes are; its size and metadata are not "—" as if the file had
    # none: the section says why not (its JPEG header cannot be decoded)
    assert "Format (by content)</th><td>JPEG" in section, section
    assert "its header could not be read" in section
    assert "not recorded: the file could not be analysed" in section
    assert "authentic" not in section and "manipulated" not in section and "<img" not in section
    doc = json.loads((scanned / "report.json").read_text(encoding="utf-8"))
    broken = next(i for i in doc["items"] if i["path"] == "broken.jpg")
    assert broken["status"] == "error" and "cannot be decoded" in broken["error"]
    assert [m["status"] for m in broken["models"]] == [NOT_RUN] and broken["models"][0][
        "figures"
    ] == {}
    assert broken["face_detection"] == NOT_RUN or broken["status"] == "error"
    summary = {r["path"]: r for r in doc["summary"]}
    assert summary["broken.jpg"]["models"]["tiny"]["status"] == NOT_RUN
    assert summary["broken.jpg"]["flagged"] is False
    assert doc["counts"]["failed"] == 1 and doc["counts"]["analysed"] == 3
    _, text = pdf_text(scanned / "report.pdf")
    assert "NOT ANALYSED" in text and "broken.jpg" in text


def test_file_names_exif_and_case_fields_are_escaped(scanned: Path) -> None:
    raw = (scanned / "report.html").read_text(encoding="utf-8")
    assert "<script" not in raw.lower()
    assert "&lt;script&gt;&amp;&quot;q&#x27;.jpg" in raw
    assert "desc &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;q&#x27;" in raw
    assert "Eve &lt;b&gt;Smith&lt;/b&gt; &amp; &quot;co&quot;" in raw and "<b>" not in raw
    p = check_html(scanned / "report.html")
    text = "".join(p.text)
    assert EVIL_NAME in text and EVIL_EXIF in text and EXAMINER in text  # shown as written
    doc = json.loads((scanned / "report.json").read_text(encoding="utf-8"))
    evil = next(i for i in doc["items"] if i["path"] == EVIL_NAME)
    assert evil["evidence"]["metadata"]["EXIF:ImageDescription"] == EVIL_EXIF
    assert doc["case"]["examiner"] == EXAMINER
    pages, ptext = pdf_text(scanned / "report.pdf")
    assert pages >= 5  # first pages, then one section per file
    assert EVIL_NAME in ptext and EVIL_EXIF in flat(ptext) and EXAMINER in ptext


def test_pdf_opens_with_case_summary_models_and_environment(scanned: Path) -> None:
    reader = PdfReader(str(scanned / "report.pdf"))
    first = flat(reader.pages[0].extract_text())
    assert "Forensic examination report" in first and "C-42/7" in first
    assert "Summary" in first and "a.png" in first and "broken.jpg" in first
    sha = hashlib.sha256((scanned.parent / "evidence" / "a.png").read_bytes()).hexdigest()
    assert f"{sha[:8]}…" in first  # the summary names the bytes, unbroken (searchable)
    assert "WARNING" not in first  # nothing changed since the scan
    _, text = pdf_text(scanned / "report.pdf")
    text = flat(text)
    sha = json.loads((scanned / "scan.json").read_text())["models"]["tiny"]
    assert sha in text.replace(" ", "")
    for word in ("θ provenance", "Library: torch", "Device, precision", "cpu, fp32", "Model card"):
        assert word in text
    assert reader.metadata.author == EXAMINER
    assert "Probability spread: the largest minus the smallest of the models' calibrated" in flat(
        " ".join(p.extract_text() for p in reader.pages[:2])
    )  # the summary's computed columns are defined beside it
    # every page says its number and the total: a missing page shows
    total = len(reader.pages)
    for n, page in enumerate(reader.pages, start=1):
        assert f"page {n} of {total}" in flat(page.extract_text())


def test_evidence_changed_after_the_scan_is_flagged_on_the_first_page(
    scanned: Path, tmp_path: Path
) -> None:
    evidence = tmp_path / "evidence" / "b.jpg"
    evidence.write_bytes(evidence.read_bytes() + b"tampered")  # decodes the same, hashes not
    paths = write_report(scan_source(scanned), tmp_path / "again", case=CaseInfo(case_id="C"))
    raw = paths["html"].read_text(encoding="utf-8")
    alert = raw.index('id="integrity-alert"')
    assert alert < raw.index('<section id="summary">')
    alert_text = raw[alert : raw.index("</section>", alert)]
    assert "b.jpg" in alert_text and "HAS CHANGED" in alert_text and "a.png" not in alert_text
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))
    states = {i["path"]: i["integrity"]["status"] for i in doc["items"]}
    assert states == {
        "a.png": "match",
        "b.jpg": "mismatch",
        EVIL_NAME: "match",
        "broken.jpg": "match",  # not decoded, but its bytes were hashed: checked all the same
    }
    b = next(i for i in doc["items"] if i["path"] == "b.jpg")
    assert b["integrity"]["sha256_at_export"] != b["sha256_at_load"]
    assert "evidence" not in b["figures_drawn"]  # never draw layers over other pixels
    first = flat(PdfReader(str(paths["pdf"])).pages[0].extract_text())
    assert "WARNING: evidence integrity check failed at export" in first and "b.jpg" in first
    evidence.unlink()
    doc = json.loads(
        write_report(scan_source(scanned), tmp_path / "gone", ["json"])["json"].read_text(
            encoding="utf-8"
        )
    )
    assert {i["path"]: i["integrity"]["status"] for i in doc["items"]}["b.jpg"] == "unreadable"


def test_single_image_report_from_an_in_memory_analysis(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    from engine.pipeline import Analyzer

    loaded = load_checkpoint(tiny_checkpoint)
    loaded.meta.metrics = {"auc": 0.8765, "f1": 0.5}
    card_ckpt = save_checkpoint(tmp_path / "carded.safetensors", loaded.model, loaded.meta)
    analyzer = Analyzer([str(card_ckpt)], device="cpu")
    # EXIF orientation 6: the pixels are turned upright, and the report must say so
    rng = np.random.default_rng(5)
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "rotated.jpg"
    Image.fromarray(rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)).save(path, exif=exif)
    analysis = analyzer.analyze(load_evidence(path))
    item = item_from_analysis(
        analysis,
        cards=cards_from_analyzer(analyzer),
        faces_checked=False,
        not_run={"m2f-swin-t": "not selected by the analyst"},
    )
    paths = write_report([item], tmp_path / "report", case=CaseInfo("E. X.", "C-1", ""))
    assert set(paths) == {"html", "pdf", "json"}
    p = check_html(paths["html"])
    text = flat(" ".join(p.text))
    assert "EXIF orientation 6: applied" in text and "60 x 40" not in text and "40 x 60" in text
    assert "m2f-swin-t: NOT RUN" in text and "not selected by the analyst" in text
    assert "Training-run validation: auc 0.8765" in text and "float32 at full" in text
    # the checkpoint's own figures are not passed off as held-out ones
    assert "measured by its training run on that run's validation split" in text
    assert "Face detection: NOT RUN" in text
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))
    (one,) = doc["items"]
    ran = one["models"][0]
    r = analysis.results["tiny"]
    assert ran["figures"]["score"] == r.score and ran["figures"]["threshold"] == r.threshold
    assert ran["model_card"]["metrics"] == {"auc": 0.8765, "f1": 0.5}
    assert one["models"][1] == {**one["models"][1], "status": NOT_RUN, "figures": {}}
    assert one["integrity"]["status"] == "match" and one["evidence"]["orientation_applied"]
    pages, ptext = pdf_text(paths["pdf"])
    assert pages >= 2 and "NOT RUN" in ptext and "0.8765" in ptext
    # the evidence changes after the analysis: the viewer's report flags it too
    path.write_bytes(path.read_bytes()[:-2] + b"\x00\x00")
    again = write_report([item], tmp_path / "again", ["html"])
    assert 'id="integrity-alert"' in again["html"].read_text(encoding="utf-8")


def test_resume_with_a_report_does_not_redo_finished_files(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    folder = make_evidence(tmp_path / "evidence")
    out = tmp_path / "out"
    assert scan_cli(folder, out, tiny_checkpoint) == 1
    stamp = (out / "maps" / "a.png.tiny.png").stat().st_mtime_ns
    capsys.readouterr()
    (folder / "broken.jpg").unlink()
    assert scan_cli(folder, out, tiny_checkpoint, "--report", "json") == 0
    assert "0 analysed, 3 already done" in capsys.readouterr().out
    assert (out / "maps" / "a.png.tiny.png").stat().st_mtime_ns == stamp
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert sorted(i["path"] for i in doc["items"]) == sorted(["a.png", "b.jpg", EVIL_NAME])
    assert not (out / "report.html").exists()


def test_bad_report_format_is_a_usage_error_before_any_analysis(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    img = write_rgb(tmp_path / "a.png", 32, 32)
    out = tmp_path / "o"
    args = ["analyze", str(img), "--out", str(out), "--model", str(tiny_checkpoint)]
    assert main([*args, "--report", "html,docx"]) == 2
    assert "docx" in capsys.readouterr().err and not (out / "results.jsonl").exists()
    assert parse_formats("pdf") == ("pdf", "json")
    with pytest.raises(ValueError):
        parse_formats("")


def test_cancelled_report_leaves_no_file(scanned: Path, tmp_path: Path) -> None:
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 6

    dest = tmp_path / "cancelled"
    with pytest.raises(ReportCancelled):
        write_report(scan_source(scanned), dest, cancel=cancel)
    assert not dest.exists() or list(dest.iterdir()) == []


def test_report_without_figures_keeps_tables_and_thumbnails(scanned: Path, tmp_path: Path) -> None:
    opts = ReportOptions(figures="none")
    paths = write_report(scan_source(scanned), tmp_path / "r", ["html"], options=opts)
    raw = paths["html"].read_text(encoding="utf-8")
    assert 'class="figure"' not in raw and 'class="thumb"><img' in raw


def test_triage_rows_define_disagreement_and_never_pass_a_missing_check() -> None:
    a = ModelRecord("a", 0.9, "manipulated", 0.2, 0.1)
    b = ModelRecord("b", 0.2, "authentic", 0.01, 0.1)
    rec = FileRecord(
        path="x.png",
        sha256="0" * 64,
        width=4,
        height=4,
        models=(a, b),
        ensemble=ModelRecord("ens", 0.6, "manipulated", 0.05, 0.5),
        faces=(FaceRecord((0, 0, 4, 4), 0.9),),
        faces_checked=True,
    )
    row = triage_row(rec, ["a", "b", "c"])
    assert row.disagreement == pytest.approx(0.7) and row.verdicts_disagree
    assert row.cell("c").status == NOT_RUN and row.cell("c").text == "not run"
    assert row.forged_fraction == 0.05 and row.faces == 1 and row.flagged
    one = triage_row(replace(rec, models=(replace(b, name="a"),), faces_checked=False), ["a"])
    assert one.disagreement is None and one.faces is None
    assert one.verdicts_disagree  # the one model says authentic, the default verdict not
    assert one.disagreement_text == "—; verdicts differ"
    alone = triage_row(replace(rec, models=(b,), ensemble=None))
    assert not alone.verdicts_disagree and alone.disagreement_text == "—"
    err = triage_row(ErrorRecord("e", "bad"), ["a"], "ens")
    assert err.cell("a").status == NOT_RUN and err.ensemble.status == NOT_RUN
    assert not err.flagged and err.forged_fraction is None


def test_disagreement_compares_calibrated_probabilities_not_scores_on_other_scales() -> None:
    """Scores flip at each model's own θ (0.5 for a forged-fraction score, θ for an image
    probability): two scores 0.02 apart can be two different verdicts, and 0.44 apart the same
    one. When every model that ran is calibrated, the spread is of the probabilities."""
    from forensic_viewer.scan.records import ModelFigures

    def calibrated(name: str, score: float, verdict: str, p: float) -> ModelRecord:
        figures = ModelFigures(
            name, "x", "", "", "logit", score, verdict, 0.1, 0.86, 0.5, "", {}, "cpu", "fp32",
            0.1, probability=p,
        )  # fmt: skip
        return ModelRecord(name, score, verdict, 0.1, 0.86, figures=figures)

    a = calibrated("a", 0.518, "manipulated", 0.54)  # astronaut-faceblend.jpg's figures
    b = calibrated("b", 0.542, "authentic", 0.38)
    rec = FileRecord(path="x.png", sha256="0" * 64, width=4, height=4, models=(a, b))
    row = triage_row(rec)
    assert row.disagreement == pytest.approx(0.16) and row.verdicts_disagree
    half = replace(rec, models=(a, ModelRecord("b", 0.542, "authentic", 0.1, 0.86)))
    assert triage_row(half).disagreement == pytest.approx(0.024)  # scores, as before


def test_triage_rows_of_a_scan_folder(scanned: Path) -> None:
    rows = {r.key: r for r in triage_rows(scanned)}
    assert set(rows) == {"a.png", "b.jpg", EVIL_NAME, "broken.jpg"}
    assert rows["broken.jpg"].status == "error" and rows["broken.jpg"].thumbnail is None
    assert rows["a.png"].thumbnail and (scanned / rows["a.png"].thumbnail).is_file()
    assert rows["a.png"].faces is None  # --no-faces: not "0 faces"


def test_annotated_figure_draws_overlay_outline_faces_and_legend() -> None:
    style = FigureStyle(max_side=200)
    rgb = np.full((200, 300, 3), 128, np.uint8)
    heat = np.zeros((200, 300), np.float32)
    heat[50:150, 100:200] = 1.0
    fig = annotated_figure(rgb, heat, 0.5, [{"box": [10, 10, 40, 40]}], style)
    legend = legend_bar(200, style.colormap, 0.5)
    assert fig.shape == (133 + legend.shape[0], 200, 3)  # long side 200, legend below
    img = fig[:133]
    cyan = np.all(img == style.contour_rgb, axis=-1)
    ys, xs = np.nonzero(cyan)  # the mask's outline: rows 50..150, columns 100..200 scaled 2/3
    assert 31 <= ys.min() <= 35 and 98 <= ys.max() <= 102 and 64 <= xs.min() <= 68
    assert np.all(img[2, 150] == 128)  # heatmap 0 leaves the evidence as it is
    assert not np.all(img[66, 100] == 128)  # heatmap 1 colours it
    green = np.all(img == style.face_rgb, axis=-1)
    assert green[3:37, 3:37].any() and not green[60:, 60:].any()
    with pytest.raises(ValueError):
        annotated_figure(rgb[:10], heat, 0.5)
    on_black = annotated_figure(None, heat, 0.5, style=style)
    assert np.all(on_black[2, 2] == 0)


def test_face_maps_figure_shows_each_face_on_its_own_crop() -> None:
    """A face map (0 outside the face crops) is drawn on each face's crop, enlarged to a tile,
    with its outline where the map passes the pixel threshold; no faces, no figure."""
    style = FigureStyle(max_side=600)
    rgb = np.full((400, 600, 3), 128, np.uint8)
    face_map = np.zeros((400, 600), np.float32)
    face_map[100:200, 300:400] = 0.3  # the first face's box: its crop is 160 px square
    face_map[120:180, 320:380] = 0.9  # inside it, away from the box (drawn over its outline)
    faces = [{"box": [300, 100, 100, 100]}, {"box": [10, 10, 30, 30]}]
    fig = face_maps_figure(rgb, face_map, 0.5, faces, style)
    assert fig is not None
    tile = FACE_TILE
    assert fig.shape[0] == tile + legend_bar(fig.shape[1]).shape[0]
    assert fig.shape[1] == 2 * tile + 4  # two tiles side by side, 4 px apart
    first, second = fig[:tile, :tile], fig[:tile, tile + 4 :]
    centre = first[tile // 2, tile // 2]
    assert not np.all(centre == 128)  # the map colours the face in the middle of its crop
    assert np.all(first[tile // 2, 5] == 128)  # the crop's margin (map 0) is the evidence
    cyan = np.all(first == style.contour_rgb, axis=-1)
    ys, xs = np.nonzero(cyan)  # outline inside the box: 30 % margin, 20..80 of 160 -> 80..176
    assert 76 <= ys.min() <= 84 and 172 <= ys.max() <= 180
    assert 76 <= xs.min() <= 84 and 172 <= xs.max() <= 180
    assert not np.all(second == style.contour_rgb, axis=-1).any()  # map 0 there: no outline
    crowd = face_maps_figure(None, face_map, None, faces * 20, style)  # 40 faces: a crowd
    assert crowd is not None
    rows = -(-FACE_TILES // (600 // (tile + 4)))  # only the first FACE_TILES, 2 to a row
    assert crowd.shape[0] == rows * (tile + 4) - 4 + legend_bar(crowd.shape[1]).shape[0]
    assert face_maps_figure(None, face_map, None, [], style) is None
    with pytest.raises(ValueError):
        face_maps_figure(rgb[:10], face_map, 0.5, faces, style)


def test_reports_and_scans_import_no_qt() -> None:
    """Headless scans and reports must work without a display: no Qt behind these imports."""
    import subprocess
    import sys

    code = (
        "import sys, forensic_viewer.report, forensic_viewer.report.html, "
        "forensic_viewer.report.pdf, forensic_viewer.report.jsonout, forensic_viewer.scan.triage, "
        "forensic_viewer.scan.run; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')))"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "[]"


def test_long_notes_and_a_hand_built_item_fit_the_pdf(tmp_path: Path) -> None:
    """Notes longer than a page must flow across pages (a table row could not)."""
    from forensic_viewer.report import ReportItem
    from forensic_viewer.report.model import ModelEntry

    evidence = write_rgb(tmp_path / "e.png", 16, 16)
    item = ReportItem(
        key="e.png",
        file=str(evidence),
        status="error",
        error=f"{evidence}: cannot be decoded",
        sha256=None,
        evidence={},
        models=[ModelEntry("m", "model", NOT_RUN, note="the file could not be analysed")],
    )
    notes = "\n".join(f"note line {i} " + "x" * 80 for i in range(400))
    paths = write_report([item], tmp_path / "r", ["pdf"], case=CaseInfo(notes=notes))
    pages, text = pdf_text(paths["pdf"])
    assert pages >= 6 and "note line 399" in text and "NOT RUN" in text


def test_the_report_shows_each_faces_own_verdict(tmp_path: Path, tiny_checkpoint: Path) -> None:
    """The face path's per-face verdicts reach the faces text and table of HTML, PDF, JSON."""
    from engine.decision import MANIPULATED
    from engine.pipeline import Analyzer
    from forensic_viewer.wording import NOT_USED
    from tests.engine.test_facepath import FakeDetector

    rule = {"threshold": 0.0, "pixel_threshold": -1.0}  # every face window is judged forged
    loaded = load_checkpoint(tiny_checkpoint)
    loaded = replace(
        loaded, meta=replace(loaded.meta, decision=replace(loaded.meta.decision, **rule))
    )
    analyzer = Analyzer([loaded], device="cpu", faces=FakeDetector((20, 10, 30, 30)))
    path = write_rgb(tmp_path / "face.png", 80, 96, seed=4)
    analysis = analyzer.analyze(load_evidence(path))
    fs = analysis.faces[0].face_scores["tiny"]
    assert fs.verdict == MANIPULATED
    item = item_from_analysis(analysis, cards=cards_from_analyzer(analyzer), faces_checked=True)
    paths = write_report([item], tmp_path / "report")
    text = flat(" ".join(check_html(paths["html"]).text))
    assert fs.threshold == 0.0
    # tiny is a whole-image model: its result on the face is figures, not a verdict
    said = f"Face 1: tiny ({NOT_USED}): marked area {fs.forged_fraction:.2%}, θ 0.00%"
    assert "found 1 face(s). Each face was also analysed on its own" in text
    assert said in text and "Verdict of the face alone" in text
    _, ptext = pdf_text(paths["pdf"])
    assert f"tiny ({NOT_USED})" in flat(ptext)
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert doc["items"][0]["faces"][0]["face_scores"]["tiny"]["verdict"] == MANIPULATED
    # the face map, drawn on the face's crop (every face window judged forged: outlined)
    assert "face map tiny" in doc["items"][0]["figures_drawn"]
    assert "Face map: tiny" in text and "outline: mask (face map > " in text
    assert "Face map: tiny" in flat(ptext)


def test_the_default_verdict_leads_each_file_with_its_probability_and_reliability(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    """The ensemble's verdict is the default verdict: it comes before the members in the JSON
    rows and items and in each file's section, and every verdict there carries the calibrated
    probability the summary table quotes and what its θ was measured to do."""
    folder = tmp_path / "evidence"
    folder.mkdir()
    write_rgb(folder / "a.png", 48, 40, seed=1)
    out = tmp_path / "out"
    assert (
        scan_cli(folder, out, write_calibrated_pair(tiny_checkpoint), "--report", "html,json") == 0
    )
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    (row,) = doc["summary"]
    assert list(row).index("ensemble") < list(row).index("models")
    (item,) = doc["items"]
    assert list(item).index("ensemble") < list(item).index("models")
    text = flat(" ".join(check_html(out / "report.html").text))
    section = text[text.index("1. a.png") :]
    assert section.index("Default verdict: ensemble pair") < section.index("Model tiny")
    p = item["ensemble"]["figures"]["probability"]
    assert f"Probability (calibrated) {p:.2f}" in section
    assert "Reliability at θ Measured at this threshold (test part). False alarms: 1 of 20 " in (
        section
    )


def test_a_face_model_that_judged_a_face_is_in_the_models_and_the_limitations(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """A face model (scope "faces") decides face verdicts, and through an ensemble's face rule
    the default verdict: the report lists it with its θ, provenance and reliability, does not
    say that no check sees face manipulations, and does not say its θ was set on whole
    images."""
    from engine.pipeline import Analyzer
    from forensic_viewer.scan.run import run_scan
    from tests.engine.test_face_models import _face_model
    from tests.engine.test_facepath import FakeDetector

    face = _face_model(tmp_path / "face.safetensors", name="facer")
    calibration = {
        "a": 1.0,
        "b": 0.0,
        "reliability": {"flagged": {"authentic test faces": [1, 10]}, "split": "test faces"},
    }
    decision = replace(
        face.meta.decision,
        provenance="θ = 0.1 set on face crops (fixture)",
        calibration=calibration,
    )
    face = replace(face, meta=replace(face.meta, decision=decision))
    analyzer = Analyzer(
        [load_checkpoint(tiny_checkpoint)],
        device="cpu",
        faces=FakeDetector((20, 10, 30, 30)),
        face_models=[face],
    )
    folder = tmp_path / "evidence"
    folder.mkdir()
    write_rgb(folder / "a.png", 80, 96, seed=4)
    out = tmp_path / "out"
    run_scan([(folder / "a.png", "a.png")], analyzer, out, source=str(folder))
    paths = write_report(scan_source(out), out, ["html", "json"])
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))
    (facer,) = [m for m in doc["models"] if m["name"] == "facer"]
    assert facer["role"] == "face model" and facer["threshold"] == face.meta.decision.threshold
    assert facer["threshold_provenance"] == "θ = 0.1 set on face crops (fixture)"
    assert facer["reliability"].startswith("Measured at this threshold (test faces). False")
    assert facer["checkpoint_sha256"] == face.sha256
    text = flat(" ".join(check_html(paths["html"]).text))
    limits = text[text.index("Limitations") : text.index("Environment and parameters")]
    assert "facer: Measured at this threshold (test faces)" in limits
    assert "face swaps and other face manipulations" not in limits
    assert "facer" in limits.split("What they cannot see")[1]
    assert "the photograph for only 9 of these 36 faces" in limits  # measured, said
    faces = text[text.index("Face detection ran") :]
    assert "facer" in faces[: faces.index("#")]
    assert "the models' thresholds were set on whole images, not faces" not in text
    # the scan's face maps (maps/<path>.<model>.faces.png) are drawn, the face model's with
    # the pixel threshold scan.json recorded for it
    drawn = doc["items"][0]["figures_drawn"]
    assert "face map facer" in drawn and "face map tiny" in drawn
    pt = face.meta.decision.pixel_threshold
    assert "Face map of model facer" in text
    assert f"outline: mask (face map > {pt:.4g})" in text  # as used, four figures


def test_each_verdict_says_what_was_compared_with_theta(scanned: Path) -> None:
    """θ is on the forged fraction for one rule and on the score (the sigmoid of the image
    logit, not the logit) for the other: a file's section says which, with both numbers."""
    rows = {r["path"]: r for r in map(json.loads, (scanned / "results.jsonl").open())}
    tiny = rows["a.png"]["details"]["tiny"]
    op = ">" if tiny["verdict"] == "manipulated" else "≤"
    text = flat(" ".join(check_html(scanned / "report.html").text))
    start = re.search(r"\d+\. a\.png", text)
    assert start is not None
    section = text[start.start() :]
    assert f"Decision marked area {tiny['forged_fraction']:.2%} {op} θ 10.00%" in section


def test_a_card_does_not_show_the_training_runs_theta_beside_the_verdict_steps() -> None:
    """The bundled networks' headers keep their training run's calibration (its strategies and
    θ) beside the θ set at evidence size; the report files the former under a name that says
    it was replaced, so two θs never read as both in force."""
    from engine.catalog import BUNDLED_MODELS
    from engine.checkpoints import read_meta
    from forensic_viewer.report.cards import SUPERSEDED, ModelCard

    meta = read_meta(BUNDLED_MODELS / "diffforensics-effl0.safetensors")
    details = meta.decision.details
    assert "evidence_size" in details and "strategies" in details  # what the file holds
    shown = ModelCard.from_meta(meta, "test").threshold_details
    assert set(shown) == {"evidence_size", "training_run_calibration"}
    assert shown["evidence_size"] == details["evidence_size"]
    old = shown["training_run_calibration"]
    assert old["superseded"] == SUPERSEDED and old["strategies"] == details["strategies"]
    plain = {"strategies": {"midpoint": {"threshold": 0.5}}}  # no verdict step: as it is
    assert (
        ModelCard.from_meta(
            dataclasses.replace(meta, decision=dataclasses.replace(meta.decision, details=plain)),
            "test",
        ).threshold_details
        == plain
    )


def test_a_face_models_probability_is_explained_beside_its_verdict() -> None:
    """A face model's calibrated probability (even odds) can exceed 0.5 on a face its θ (few
    authentic faces flagged) leaves unflagged; the faces text says so, and only then."""
    from forensic_viewer.report import ReportItem
    from forensic_viewer.report.face_text import faces_text
    from forensic_viewer.report.model import ModelEntry
    from forensic_viewer.wording import FACE_PROBABILITY_NOTE

    def item(name: str) -> ReportItem:
        face = {"box": [1, 2, 30, 30], "confidence": 0.99, "scores": {}}
        face["face_scores"] = {name: {"score": 0.98, "verdict": "authentic", "probability": 0.65}}
        return face_item(face, [ModelEntry("whole", "model", "ran")])

    text = faces_text(item("diffforensics-faces"))  # a face model: not among the whole-image
    assert "not flagged" in text and "probability 0.65" in text
    assert FACE_PROBABILITY_NOTE in text
    assert FACE_PROBABILITY_NOTE not in faces_text(item("whole"))  # a whole-image model's face


def test_the_models_section_counts_reduced_views_instead_of_quoting_one_files_size() -> None:
    """The size of the reduced view an image score came from is each file's own; the section
    on a model across files says on how many files, never one file's size as if for all."""
    from forensic_viewer.report.build import ModelSummary
    from forensic_viewer.report.text import model_rows

    def summary(files: int, reduced: int) -> ModelSummary:
        return ModelSummary(
            name="m", role="model", architecture="a", checkpoint="c", checkpoint_sha256="0",
            rule="logit", threshold=0.5, pixel_threshold=0.5, provenance="p",
            input_policy={"mode": "resize", "size": [256, 256]}, devices=set(),
            precisions=set(), card=None, files=files, reduced=reduced, detect_side=512,
        )  # fmt: skip

    def input_row(m: ModelSummary) -> str:
        return dict(model_rows(m))["Input"]

    mixed = input_row(summary(3, 2))
    assert "reduced to a long side of 512 pixels on 2 of 3 file(s)" in mixed
    assert "from the image as it is on the others" in mixed and " x " not in mixed.split(";")[-1]
    assert "as it is on the others" not in input_row(summary(2, 2))
    assert "reduced" not in input_row(summary(2, 0))
    # a panorama's view is longer than a photograph's (its short side kept at 192): both named
    both = summary(3, 2)
    both.detect_side, both.detect_side_min = 1280, 512
    assert "reduced to a long side of 512 to 1280 pixels on 2 of 3 file(s)" in input_row(both)
    assert both.to_dict()["image_score_reduced"]["long_side_min"] == 512


def test_figure_text_grows_with_the_figure_so_it_prints_alike() -> None:
    """A 1280-pixel figure is shrunk about 2.7 times more than a 480-pixel one to fit the page:
    its legend's labels and its face numbers are drawn that much larger, not at 2-3 pt."""
    from forensic_viewer.report.figures import TEXT_WIDTH, draw_face_boxes

    small, large = legend_bar(TEXT_WIDTH), legend_bar(1280)
    assert large.shape[0] / small.shape[0] == pytest.approx(1280 / TEXT_WIDTH, rel=0.05)

    def text_rows(a: np.ndarray) -> int:  # rows of the tick labels under the ramp holding ink
        below = a[round(a.shape[0] * 0.65) :]
        return int(((below.max(axis=2) < 128).any(axis=1)).sum())

    assert text_rows(large) >= 2 * text_rows(small) > 0  # taller labels, not the same 2-3 pt

    def number_pixels(width: int) -> int:
        canvas = np.zeros((width * 3 // 4, width, 3), np.uint8)
        face = [{"box": [width // 4, width // 4, width // 4, width // 4]}]
        drawn = draw_face_boxes(canvas, face, 1.0, (255, 0, 0))
        return int((drawn[: width // 4 - 2, :, 0] > 0).sum())  # above the box: the number

    assert number_pixels(1280) > 2.5 * number_pixels(TEXT_WIDTH)  # a taller, thicker "1"


def test_a_probability_against_its_verdict_is_explained_in_the_reports_row() -> None:
    """A file's section read "Verdict authentic" over "Probability (calibrated) 0.54" with no
    word on why (the probability answers at even odds; θ is set for the false-alarm rate)."""
    from forensic_viewer.report.text import probability_cell
    from forensic_viewer.wording import PRIOR_CAVEAT, UNCALIBRATED_HERE

    cell = probability_cell({"verdict": "authentic", "probability": 0.54})
    assert cell.startswith(f"0.54 ({PRIOR_CAVEAT}; a probability above 0.5, not flagged")
    # what every probability assumes, at the number, as the command line and the cards say
    assert (
        probability_cell({"verdict": "authentic", "probability": 0.3}) == f"0.30 ({PRIOR_CAVEAT})"
    )
    assert probability_cell({"verdict": "manipulated", "probability": None}) == "not calibrated"
    small = {"verdict": "authentic", "probability": 0.3, "out_of_range": {"short_side": 8}}
    assert probability_cell(small) == f"0.30 ({UNCALIBRATED_HERE})"  # not calibrated there


PDF_HEADINGS = ("Case", "Notes", "Summary", "Models", "Classic analyses", "Limitations")


def test_no_pdf_heading_stands_alone_at_the_foot_of_a_page(scanned: Path, tmp_path: Path) -> None:
    """'Models' stood alone at the foot of the first page, its first model on the next:
    keepWithNext does not hold before a block kept together. The notes' length moves every
    heading down the page; none may end one."""
    from forensic_viewer.report import scan_source

    for n in range(0, 36, 3):
        notes = "\n".join(f"note line {i}" for i in range(n))
        pdf = write_report(
            scan_source(scanned), tmp_path / f"r{n}", ["pdf"], case=CaseInfo(notes=notes)
        )["pdf"]
        for k, page in enumerate(PdfReader(str(pdf)).pages, start=1):
            lines = [line.strip() for line in page.extract_text().splitlines() if line.strip()]
            body = [x for x in lines if not x.startswith(("Case C-42/7", "page "))]
            assert body[-1] not in PDF_HEADINGS, (n, k, body[-3:])
