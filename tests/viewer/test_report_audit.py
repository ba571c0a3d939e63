"""What an analyst's audit of a case scan's reports found (2026-12-04): a failed file's size,
the name its error gives the file, a face flag beside an unchanged verdict, copy-move pairs of
analyses that look for none, raw EXIF numbers, the PDF's colour legend far from its figures.

Items are built by hand (no model runs): these tests check what the reports say.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from forensic_viewer.report import CaseInfo, ReportItem, write_report
from forensic_viewer.report.evidence_text import evidence_rows
from forensic_viewer.report.model import ModelEntry, verify_integrity
from forensic_viewer.scan.triage import NOT_RUN
from tests.conftest import HANG_S
from tests.viewer.conftest import face_item


def failed_item(file: Path, error: str) -> ReportItem:
    """A file that did not decode, as a scan's error row makes it: its SHA-256 recorded."""
    from forensic_viewer.scan.walk import sha256_of_file

    return ReportItem(
        key=file.name,
        file=str(file),
        status="error",
        error=error,
        sha256=sha256_of_file(file),
        evidence={},
        models=[ModelEntry("m", "model", NOT_RUN, note="the file could not be analysed")],
    )


def test_a_failed_files_size_is_given_when_its_bytes_are_the_ones_analysed(tmp_path: Path) -> None:
    """The evidence table of a file that did not decode said File size "—", though the bytes
    are read at export to check the SHA-256: when they hash to the recorded one, they are the
    bytes the scan read, and their count is the file's size."""
    bad = tmp_path / "truncated.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0" + b"x" * 1996)
    item = failed_item(bad, f"{bad}: damaged JPEG data")
    item.integrity = verify_integrity(item.file, item.sha256)
    size = dict(evidence_rows(item))["File size"]
    assert size.startswith("2000 bytes"), size
    assert "SHA-256" in size  # how the size is known
    paths = write_report([item], tmp_path / "r", ["html", "json"])
    assert "2000 bytes" in paths["html"].read_text(encoding="utf-8")
    (entry,) = json.loads(paths["json"].read_text(encoding="utf-8"))["items"]
    assert entry["integrity"]["size_at_export"] == 2000
    # bytes that changed since the scan are not the ones analysed: no size is claimed
    bad.write_bytes(b"other")
    item.integrity = verify_integrity(item.file, item.sha256)
    assert dict(evidence_rows(item))["File size"] == "—"


def test_a_failed_files_error_names_it_as_the_rest_of_the_report_does(tmp_path: Path) -> None:
    """A scan of ``case`` run from its parent wrote ``case/sub/bad.jpg: damaged ...``: a path
    relative to a directory the report never names. The report names the file by its absolute
    path (its Path row, every other message); results.csv as well."""
    from forensic_viewer.report.cards import CardCache
    from forensic_viewer.report.model import item_from_record
    from forensic_viewer.report.text import summary_cells, summary_error
    from forensic_viewer.scan.links import error_naming_file
    from forensic_viewer.scan.records import ErrorRecord
    from forensic_viewer.scan.results import write_csv

    bad = tmp_path / "case" / "sub" / "bad.jpg"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"\xff\xd8\xff" + b"x" * 100)
    rec = ErrorRecord("sub/bad.jpg", "case/sub/bad.jpg: damaged JPEG data", file=str(bad))
    want = f"{bad}: damaged JPEG data"
    assert error_naming_file(rec.error, rec.file) == want
    up = f"../{tmp_path.name}/case/sub/bad.jpg: gone"  # from a sibling folder
    assert error_naming_file(up, str(bad)) == f"{bad}: gone"
    assert error_naming_file("../x/case/sub/bad.jpg: gone", str(bad)).startswith("../x/")
    # another file's name, a message without one, no file recorded: left as they are
    assert error_naming_file("other.jpg: damaged", str(bad)) == "other.jpg: damaged"
    assert error_naming_file("out of memory", str(bad)) == "out of memory"
    assert error_naming_file(rec.error, None) == rec.error
    item = item_from_record(rec, tmp_path, ["m"], None, CardCache())
    assert item.error == want
    paths = write_report([item], tmp_path / "r", ["html", "pdf", "json"])
    report = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert report["items"][0]["error"] == want and report["summary"][0]["error"] == want
    html = paths["html"].read_text(encoding="utf-8")
    assert "case/sub/bad.jpg: damaged" not in html.replace(str(bad), "")
    from forensic_viewer.report.build import ReportOptions, overview
    from forensic_viewer.report.model import ReportSource

    ov = overview(ReportSource.from_items([item]), CaseInfo(), ReportOptions())
    # the summary's Status says where to read it; the row under the file's gives the problem
    assert summary_cells(ov, 0)[2] == "not analysed: see §1"
    assert summary_error(ov, 0) == "error: damaged JPEG data"
    write_csv(tmp_path, [rec], ["m"])
    assert want in (tmp_path / "results.csv").read_text(encoding="utf-8")


def test_pairs_are_counted_only_where_copy_move_detection_ran(tmp_path: Path) -> None:
    """The summary (report JSON, triage) and results.csv gave ``pairs: 0`` for an analysis that
    looks for no copies (ELA) and for one that did not run, as if copy-move detection had run
    and found none. Now: the count where it ran (0 included), null / empty elsewhere."""
    import csv

    from engine.analyses.base import Provenance
    from forensic_viewer.scan.records import AnalysisRecord, FileRecord
    from forensic_viewer.scan.results import write_csv
    from forensic_viewer.scan.triage import analysis_cell, triage_row

    prov = Provenance("m", "s", "1")
    clone = AnalysisRecord("clone", prov, {}, 0.1, score=0.0, extras={"pairs": 0})
    ela = AnalysisRecord("ela", prov, {}, 0.1)
    assert clone.pairs_found == 0 and ela.pairs_found is None
    assert analysis_cell("clone", clone).to_dict()["pairs"] == 0
    assert analysis_cell("ela", ela).to_dict()["pairs"] is None
    assert analysis_cell("noise", None).to_dict()["pairs"] is None
    assert analysis_cell("ela", ela).sort == -0.5 and analysis_cell("clone", clone).sort == 0.0
    rec = FileRecord("a.jpg", "0" * 64, 8, 8, analyses=(clone, ela))
    row = triage_row(rec, [], None, ["clone", "ela", "noise"]).to_dict()
    assert [row["analyses"][n]["pairs"] for n in ("clone", "ela", "noise")] == [0, None, None]
    write_csv(tmp_path, [rec], [], analyses=["clone", "ela", "noise"])
    with open(tmp_path / "results.csv", encoding="utf-8") as f:
        (line,) = csv.DictReader(f)
    assert line["analysis.clone.pairs"] == "0"
    assert line["analysis.ela.pairs"] == "" and line["analysis.noise.pairs"] == ""


def heatmap_item(key: str, height: int, width: int) -> ReportItem:
    """A grey image of ``height`` x ``width`` whose one model "m" flags a square of it."""
    import numpy as np

    heat = np.zeros((height, width), np.float32)
    heat[8:16, 8:16] = 0.9
    return ReportItem(
        key=key,
        file=None,
        status="ok",
        error=None,
        sha256=None,
        evidence={"width": width, "height": height},
        models=[ModelEntry("m", "model", "ran", figures={"verdict": "manipulated"}, heatmap=heat)],
        pixels=np.full((height, width, 3), 128, np.uint8),
    )


def flagged_face_item() -> ReportItem:
    """A file whose default verdict stays authentic while a member model flags its face (its
    face model does not: only a face model's flag changes the verdict, docs/FACES.md)."""
    face = {"box": [1, 2, 30, 30], "confidence": 0.99, "scores": {"crfd": 0.4}}
    face["face_scores"] = {
        "crfd": {"score": 0.54, "verdict": "manipulated", "threshold": 0.34, "rule": "logit"},
        "faces-model": {"score": 0.5, "verdict": "authentic", "threshold": 0.98, "rule": "logit"},
    }
    ens = {"verdict": "authentic", "score": 0.3, "threshold": 0.6, "rule": "ensemble"}
    return face_item(
        face,
        [ModelEntry("crfd", "model", "ran", figures={"verdict": "authentic"})],
        ModelEntry("ens", "ensemble", "ran", figures=ens),
    )


def test_a_member_models_face_flag_says_it_leaves_the_files_verdict_alone() -> None:
    """ "crfd flagged as manipulated" on a face beside an authentic file read as a contradiction: a
    whole-image model's verdict on a face never changes the file's verdict (the face rule
    counts face models only). Said where the face is listed, in the viewer's words too."""
    from forensic_viewer.model_layers import FACES_LEGEND
    from forensic_viewer.report.face_text import WHOLE_ON_FACES, face_rows, faces_text
    from forensic_viewer.wording import MEMBER_FACE_WORDS, NOT_USED, face_effect_words

    item = flagged_face_item()
    text = faces_text(item)
    # the face model's verdict first (as the viewer and the command line give it); a
    # whole-image model's result on the face is figures, never "flagged as manipulated"
    _, crfd = text.split("Face 1: faces-model")[1].split(f"crfd ({NOT_USED})")
    assert "crfd flagged" not in text and "flagged" not in crfd
    assert WHOLE_ON_FACES in text and "((" not in text and "))" not in text
    assert f"crfd ({NOT_USED})" in face_rows(item)[0][4]
    assert face_effect_words(face_model=False, verdict="manipulated") == MEMBER_FACE_WORDS
    assert face_effect_words(face_model=True, verdict="manipulated") is None
    assert face_effect_words(face_model=False, verdict="authentic") is None
    assert MEMBER_FACE_WORDS in FACES_LEGEND  # the viewer's faces panel says it too


def test_the_pdf_colour_legend_stands_with_the_first_heatmap(tmp_path: Path) -> None:
    """The legend explaining the heatmap colours stood under the Environment table, pages
    before any heatmap. It now goes in one block with the first heatmap figure (here the
    second file's: the first failed), and once."""
    from reportlab.platypus import Image, KeepTogether, Paragraph, Table

    from forensic_viewer.report.build import ReportOptions, item_figures, overview
    from forensic_viewer.report.model import ReportSource
    from forensic_viewer.report.pdf import PdfWriter
    from forensic_viewer.report.text import LEGEND_TEXT

    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"xx")
    good = heatmap_item("good.png", 32, 32)
    source = ReportSource.from_items([failed_item(bad, f"{bad}: not an image"), good])
    ov = overview(source, CaseInfo(), ReportOptions())
    w = PdfWriter(tmp_path / "r.pdf")
    w.laid_out = []
    w.begin(ov, ())
    front = len(w.laid_out) + len(w.story)
    for i, it in enumerate(source.items()):
        it.integrity = ov.integrity[i]
        w.item(i, it, ov, item_figures(it, ov.rows[i], ov.options, {}))
    story = w.laid_out + w.story

    def flat(flowables: list) -> list:
        out = []
        for f in flowables:
            if isinstance(f, KeepTogether):
                out.append(("block", flat(f._content)))
            elif isinstance(f, Table):
                out += flat(
                    [
                        c
                        for row in f._cellvalues
                        for cell in row
                        for c in (cell if isinstance(cell, (list, tuple)) else [cell])
                    ]
                )
            else:
                out.append(f)
        return out

    def is_legend(f: object) -> bool:
        return isinstance(f, Paragraph) and "Key: heatmap" in f.getPlainText()

    assert not any(is_legend(f) for f in flat(story[:front]))
    blocks = [f[1] for f in flat(story[front:]) if isinstance(f, tuple)]
    with_images = [b for b in blocks if any(isinstance(x, Image) for x in b)]
    first = with_images[0]
    assert is_legend(first[0]), first[:2]
    assert sum(is_legend(x) for b in blocks for x in b) == 1
    assert LEGEND_TEXT.startswith("Key: heatmap")
    w.abort()


def test_the_command_lines_table_says_it_too(capsys) -> None:
    from forensic_viewer.cli_table import print_table
    from forensic_viewer.wording import MEMBER_FACE_WORDS, NOT_USED

    face = flagged_face_item().faces[0]
    check = {"name": "crfd", "verdict": "authentic", "score": 0.3, "forged_fraction": 0.1}
    print_table([{"path": "f.jpg", "status": "ok", "checks": [("crfd", check)], "faces": [face]}])
    out = capsys.readouterr().out.splitlines()
    line = next(x for x in out if "face 1" in x)
    faces_model, crfd = line.split("\tfaces-model")[1].split("; crfd")  # the face model first
    # the reports' words: a whole-image model's figures, no verdict word; why, once below
    assert crfd.startswith(f" ({NOT_USED}): ") and "flagged" not in crfd
    assert NOT_USED not in faces_model and faces_model.startswith(" not flagged (score ")
    assert out[-1] == f"faces: a whole-image model's result on a face is {MEMBER_FACE_WORDS}"


def test_exif_numbers_are_recorded_exactly_and_reported_as_a_camera_reads_them(
    tmp_path: Path,
) -> None:
    """Reports printed an exposure of 1/60 s as 0.016666666666666666 and a tuple as
    ``(1, 2, 3)``. Rationals are recorded as the fraction the file holds (exact, in the JSON);
    reports write exposure, aperture, focal length and GPS as a camera's display does."""
    from PIL import Image
    from PIL.TiffImagePlugin import IFDRational

    from engine.io import load_evidence
    from forensic_viewer.report.metadata import metadata_values, readable_value

    exif = Image.Exif()
    sub = exif.get_ifd(0x8769)
    sub[0x829A] = IFDRational(1, 60)  # ExposureTime
    sub[0x829D] = IFDRational(28, 10)  # FNumber
    sub[0x920A] = IFDRational(50, 1)  # FocalLength
    sub[0x9204] = IFDRational(-1, 3)  # ExposureBiasValue
    sub[0xA432] = (IFDRational(24, 1), IFDRational(70, 1), IFDRational(28, 10), IFDRational(4, 1))
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (IFDRational(52, 1), IFDRational(31, 1), IFDRational(1234, 100))  # GPSLatitude
    gps[3] = "W"
    gps[4] = (IFDRational(1, 1), IFDRational(54, 1), IFDRational(0, 1))  # GPSLongitude
    gps[7] = (IFDRational(14, 1), IFDRational(5, 1), IFDRational(9, 1))  # GPSTimeStamp
    gps[5] = b"\x01"  # GPSAltitudeRef: below sea level
    gps[6] = IFDRational(125, 10)  # GPSAltitude, metres
    p = tmp_path / "camera.jpg"
    Image.new("RGB", (8, 8)).save(p, exif=exif.tobytes())
    meta = load_evidence(p).metadata
    # recorded exactly: the fractions the file holds (Pillow wrote 28/10 reduced, as 14/5)
    assert meta["EXIF:ExposureTime"] == "1/60" and meta["EXIF:FNumber"] == "14/5"
    assert meta["EXIF:GPSLatitude"] == "(52/1, 31/1, 617/50)"
    shown = dict(metadata_values(meta))
    assert shown["EXIF:ExposureTime"] == "1/60 s"
    assert shown["EXIF:FNumber"] == "f/2.8"
    assert shown["EXIF:FocalLength"] == "50 mm"
    assert shown["EXIF:ExposureBiasValue"] == "-1/3 (≈ -0.3333)"
    assert shown["EXIF:LensSpecification"] == "24, 70, 2.8, 4"
    assert shown["EXIF:GPSLatitude"] == "52° 31′ 12.34″ N (52.520094°)"
    assert shown["EXIF:GPSLongitude"] == "1° 54′ 0″ W (-1.900000°)"
    assert shown["EXIF:GPSTimeStamp"] == "14:05:09 UTC"
    assert shown["EXIF:GPSAltitude"] == "12.5 m below sea level"  # it read "12.5"
    assert readable_value("EXIF:GPSAltitude", "13595/3412", {"EXIF:GPSAltitudeRef": "0x00"}) == (
        "13595/3412 (≈ 3.984) m above sea level"
    )
    # rows written before: the float a rational read as, a Python tuple
    assert readable_value("EXIF:ExposureTime", "0.016666666666666666", {}) == "1/60 s"
    assert readable_value("EXIF:XResolution", "72/1", {}) == "72"
    assert readable_value("EXIF:ApertureValue", "4.970853654340484", {}) == "4.97085"
    assert readable_value("EXIF:BitsPerSample", "(8, 8, 8)", {}) == "8, 8, 8"
    zero = "0/0 (no number: a zero denominator)"
    assert readable_value("EXIF:DigitalZoomRatio", zero, {}) == zero
    assert readable_value("EXIF:Make", "Canon (EOS)", {}) == "Canon (EOS)"  # text as it is
    assert readable_value("EXIF:Software", "1.0", {}) == "1.0"  # a version: text


def test_exif_text_that_looks_like_a_number_keeps_its_digits(tmp_path: Path) -> None:
    """ExifVersion 0221, SubSecTimeOriginal 050 (0.050 s), a serial number 0012345 and a
    version 1.10 are text in the file: a report printed them as the numbers 221, 50, 12345
    and 1.1."""
    from PIL import Image

    from engine.io import load_evidence
    from forensic_viewer.report.metadata import metadata_values

    exif = Image.Exif()
    exif[0x0131] = "1.10"  # Software
    sub = exif.get_ifd(0x8769)
    sub[0x9000] = b"0221"  # ExifVersion (UNDEFINED, four ASCII digits)
    sub[0x9291] = "050"  # SubSecTimeOriginal
    sub[0xA431] = "0012345"  # BodySerialNumber
    sub[0xA002] = 640  # PixelXDimension: a number, printed as one
    p = tmp_path / "camera.jpg"
    Image.new("RGB", (8, 8)).save(p, exif=exif.tobytes())
    meta = load_evidence(p).metadata
    shown = dict(metadata_values(meta))
    for key, text in [
        ("EXIF:Software", "1.10"),
        ("EXIF:ExifVersion", "0221"),
        ("EXIF:SubsecTimeOriginal", "050"),
        ("EXIF:BodySerialNumber", "0012345"),
        ("EXIF:ExifImageWidth", "640"),
    ]:
        assert meta[key] == text and shown[key] == text


@pytest.mark.gui
def test_the_viewers_metadata_panel_reads_exif_numbers_as_the_report_does(qtbot) -> None:
    import dataclasses

    import numpy as np

    from forensic_viewer.gui.metadata_panel import MetadataPanel
    from tests.conftest import memory_evidence

    meta = {"EXIF:ExposureTime": "1/60", "EXIF:BitsPerSample": "(8, 8, 8)"}
    ev = dataclasses.replace(memory_evidence(np.zeros((4, 4, 3), np.uint8)), metadata=meta)
    panel = MetadataPanel()
    qtbot.addWidget(panel)
    panel.set_evidence(ev)
    assert panel.value("EXIF:ExposureTime") == "1/60 s"
    assert panel.value("EXIF:BitsPerSample") == "8, 8, 8"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
@pytest.mark.timeout(HANG_S)
def test_an_evidence_file_become_a_pipe_is_worded_without_nested_brackets(tmp_path: Path) -> None:
    """The integrity alert of an evidence file replaced by a named pipe read "cannot be read
    (not a regular file (a device, pipe or socket))": the reason is said once, after a colon."""
    from forensic_viewer.scan.walk import sha256_of_file

    path = tmp_path / "a.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + b"x" * 100)
    recorded = sha256_of_file(path)
    path.unlink()
    os.mkfifo(path)
    integrity = verify_integrity(path, recorded)
    assert integrity.status == "unreadable"
    assert integrity.message == (
        f"{path}: cannot be read: not a regular file (a device, pipe or socket)"
    )


@pytest.mark.gui
def test_a_metadata_name_cut_by_its_column_is_whole_in_its_tooltip(qtbot) -> None:
    """The names' column is 150 pixels: "EXIF:ResolutionUnit", "EXIF:ImageDescription" and
    most maker fields were cut ("EXIF:Resolution…"), and only the values had a tooltip."""
    import dataclasses

    import numpy as np

    from forensic_viewer.gui.metadata_panel import MetadataPanel
    from tests.conftest import memory_evidence

    meta = {"EXIF:FocalPlaneResolutionUnit": "3", "EXIF:ImageDescription": "x"}
    ev = dataclasses.replace(memory_evidence(np.zeros((4, 4, 3), np.uint8)), metadata=meta)
    panel = MetadataPanel()
    qtbot.addWidget(panel)
    panel.resize(360, 300)
    panel.show()
    panel.set_evidence(ev)
    for top in range(panel.topLevelItemCount()):
        group = panel.topLevelItem(top)
        for i in range(group.childCount()):
            row = group.child(i)
            if row.text(0):
                assert row.toolTip(0) == row.text(0)
    names = [panel.topLevelItem(1).child(i).text(0) for i in range(2)]
    assert "EXIF:FocalPlaneResolutionUnit" in names  # the whole name, cut only on screen


def test_each_figure_is_a_jpeg_of_the_size_it_states() -> None:
    import io

    from PIL import Image

    from forensic_viewer.report.build import ReportOptions, item_figures, overview
    from forensic_viewer.report.model import ReportSource

    source = ReportSource.from_items([heatmap_item("wide.png", 24, 40)])
    ov = overview(source, CaseInfo(), ReportOptions())
    figs = item_figures(next(iter(source.items())), ov.rows[0], ov.options, {})
    assert figs.evidence is not None and set(figs.entries) == {"m"}
    for fig in (figs.evidence, figs.entries["m"]):
        with Image.open(io.BytesIO(fig.data)) as img:
            assert (img.format, img.size) == ("JPEG", (fig.width, fig.height))
        assert fig.mime == "image/jpeg" and fig.width > fig.height  # the evidence is wide


def test_a_report_states_the_mask_threshold_exactly_as_it_drew_the_mask(tmp_path: Path) -> None:
    """A calibrated pixel threshold of 0.4567 is printed as 0.4567 in the figure's caption, as
    in the model's rows, not rounded to 0.46 there: a report that stands as evidence names
    the threshold the mask was drawn at."""
    import html

    from forensic_viewer.report.text import entry_rows

    item = heatmap_item("a.png", 24, 24)
    item.models[0].figures["pixel_threshold"] = 0.4567
    item.models[0].figures["pixel_threshold_calibrated"] = True  # chosen by calibrate
    assert dict(entry_rows(item.models[0]))["Pixel threshold (mask)"].startswith("0.4567: ")
    paths = write_report([item], tmp_path / "r", ["html", "json"])
    page = html.unescape(paths["html"].read_text(encoding="utf-8"))
    assert "outline: mask (heatmap > 0.4567), at the model's calibrated" in page
    assert "0.46)" not in page


def test_the_pdf_is_laid_out_as_it_is_written_with_page_n_of_m_on_every_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The PDF writer kept every flowable of the report (the summary table of all files in
    one Table, every file's section) and held every page back until the end to print "of M":
    memory grew with the files (2.5 GB projected at 10,000). The flowables reportlab is handed
    at once now stay the same for 4 files and for 50 (counted, not timed), no page is held
    back, and every page still says "page N of M"."""
    from pypdf import PdfReader
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus.doctemplate import BaseDocTemplate

    handed: list[int] = []
    held: list[int] = []
    handle = BaseDocTemplate.handle_flowable
    show = Canvas.showPage

    def counting(self, flowables):  # type: ignore[no-untyped-def]
        handed.append(len(flowables))
        return handle(self, flowables)

    def showing(self):  # type: ignore[no-untyped-def]
        held.append(len(getattr(self, "_held", ())))  # a page-holding canvas's pages
        return show(self)

    monkeypatch.setattr(BaseDocTemplate, "handle_flowable", counting)
    monkeypatch.setattr(Canvas, "showPage", showing)
    peaks = {}
    for n in (4, 50):
        handed.clear()
        items = [heatmap_item(f"f{i:03d}.png", 24, 24) for i in range(n)]
        pdf = write_report(items, tmp_path / f"r{n}", ["pdf"])["pdf"]
        peaks[n] = max(handed)
        reader = PdfReader(pdf)
        total = len(reader.pages)
        assert total > n  # the front matter, then a page or more per file
        for k, page in enumerate(reader.pages, start=1):
            assert f"page {k} of {total}" in " ".join(page.extract_text().split())
    assert peaks[50] == peaks[4], peaks
    assert max(held) == 0
