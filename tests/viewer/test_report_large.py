"""Reports of large scans (docs/BENCHMARKS.md, "A folder of 10,000 files"): the HTML of more
than ``EMBED_LIMIT`` files keeps its images in ``NAME_files/`` (one 174 MB file embedded them
all at 10,000 files), each named with its SHA-256 in the report; a small report stays one
self-contained file."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path

import pytest

from forensic_viewer.report import html as H
from forensic_viewer.report import write_report
from tests.viewer.test_report_audit import heatmap_item


def _items(n: int) -> list:
    return [heatmap_item(f"f{i}.png", 24, 24) for i in range(n)]


def test_above_the_limit_the_html_names_image_files_that_exist_and_embeds_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above EMBED_LIMIT the images are files in report_files/, and the files' sections are
    pages there of PAGE_FILES each (10,000 files made one page of 48 MB with 30,000 images):
    the report's file holds the summary, linking each file to its page, and each page's
    SHA-256; each page each of its images'; SHA256SUMS all of them."""
    monkeypatch.setattr(H, "EMBED_LIMIT", 2)
    monkeypatch.setattr(H, "PAGE_FILES", 2)
    page = write_report(_items(5), tmp_path / "r", ["html"])["html"]
    text = page.read_text("utf-8")
    folder = tmp_path / "r" / "report_files"
    assert "data:image" not in text and 'id="item-' not in text  # sections are on pages
    sha = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    thumbs = re.findall(r'<img src="report_files/([^"]+)" data-sha256="([0-9a-f]{64})"', text)
    assert len(thumbs) == 5 == text.count("<img ")
    pages = re.findall(r'<a href="report_files/(page-\d{4}\.html)" data-sha256="(\w{64})"', text)
    assert [p for p, _ in pages] == ["page-0001.html", "page-0002.html", "page-0003.html"]
    assert '<a href="report_files/page-0002.html#item-3">f2.png</a>' in text
    figures = []
    for k, (name, _) in enumerate(pages, start=1):
        html = (folder / name).read_text("utf-8")
        assert sorted(re.findall(r'id="item-(\d+)"', html)) == [
            str(n) for n in range(2 * k - 1, min(2 * k, 5) + 1)
        ]
        assert ("previous page" in html) == (k > 1) and ("next page" in html) == (k < 3)
        assert '<a href="../report.html">' in html
        found = re.findall(r'<img src="([^"/]+)" data-sha256="([0-9a-f]{64})"', html)
        assert len(found) == html.count("<img ") >= 2 * (2 if k < 3 else 1)
        figures += found
    for name, digest in [*thumbs, *pages, *figures]:
        assert sha[name] == digest
    sums = (folder / "SHA256SUMS").read_text().splitlines()
    assert sorted(sums) == sorted(f"{d}  {n}" for n, d in sha.items() if n != "SHA256SUMS")
    assert len(sums) == len(thumbs) + len(pages) + len(figures)
    assert [p.name for p in page.parent.iterdir() if ".tmp" in p.name] == []


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_an_earlier_reports_folder_is_never_deleted_the_new_one_goes_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The HTML writer deleted a same-named ``report_files/`` holding a SHA256SUMS (an earlier
    report's hashed images and pages, perhaps already handed over) when a report of that name
    was written again, large or small. It is left as it was now: a large report writes its
    folder beside it (``report_files.2/``) and names that one; a small one embeds its images
    and leaves it too."""
    monkeypatch.setattr(H, "EMBED_LIMIT", 2)
    monkeypatch.setattr(H, "PAGE_FILES", 2)
    write_report(_items(3), tmp_path / "r", ["html"])
    folder = tmp_path / "r" / "report_files"
    assert (folder / "SHA256SUMS").is_file()
    before = _tree(folder)

    page = write_report(_items(4), tmp_path / "r", ["html"])["html"]
    assert _tree(folder) == before
    text = page.read_text("utf-8")
    beside = tmp_path / "r" / "report_files.2"
    assert (beside / "SHA256SUMS").is_file() and "in the folder report_files.2/" in text
    assert re.findall(r'<img src="(report_files[^/]*)/', text) == ["report_files.2"] * 4
    assert '<a href="report_files.2/page-0002.html' in text and 'href="report_files/' not in text

    monkeypatch.setattr(H, "EMBED_LIMIT", 200)  # a small report: one file, both folders kept
    page = write_report(_items(3), tmp_path / "r", ["html"])["html"]
    assert "data:image/jpeg;base64," in page.read_text("utf-8")
    assert _tree(folder) == before and (beside / "SHA256SUMS").is_file()


def test_a_paged_html_report_links_its_folder_whatever_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The links and image sources of a paged report name ``NAME_files/``: a report named
    ``case #7 50%`` (the dialog keeps # and %) linked ``case #7 50%_files/page-0001.html``,
    which a browser reads as the file ``case `` and a fragment. Every link and source must
    name, percent-decoded, a file that is there."""
    from html.parser import HTMLParser
    from urllib.parse import unquote, urlsplit

    class Refs(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.refs: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.refs += [v or "" for k, v in attrs if k in ("href", "src")]

    monkeypatch.setattr(H, "EMBED_LIMIT", 2)
    monkeypatch.setattr(H, "PAGE_FILES", 2)
    page = write_report(_items(3), tmp_path / "r", ["html"], basename="case #7 50%")["html"]
    assert page.name == "case #7 50%.html"
    checked = 0
    for doc in [page, *sorted((tmp_path / "r" / "case #7 50%_files").glob("page-*.html"))]:
        parser = Refs()
        parser.feed(doc.read_text("utf-8"))
        for ref in parser.refs:
            parts = urlsplit(ref)
            assert not parts.scheme and not parts.query, ref  # a file of the report's
            if parts.path:
                assert (doc.parent / unquote(parts.path)).is_file(), ref
                checked += 1
    assert checked >= 3 + 2 + 2  # thumbnails, pages listed, the pages' links back


def test_a_cancelled_large_html_report_leaves_no_image_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forensic_viewer.report import ReportCancelled

    monkeypatch.setattr(H, "EMBED_LIMIT", 2)
    polls = iter(range(100))
    with pytest.raises(ReportCancelled):
        write_report(_items(4), tmp_path / "r", ["html"], cancel=lambda: next(polls) > 6)
    assert list((tmp_path / "r").iterdir()) == []


def test_a_scan_above_the_table_limit_prints_the_verdicts_counted_not_a_line_a_file(
    tmp_path: Path,
    tiny_checkpoint: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 10,000-file scan printed 10,000 lines and kept every file's fields for them; above
    TABLE_LIMIT files it prints the default verdicts counted, which match the rows."""
    import json

    from forensic_viewer import cli_scan
    from forensic_viewer.wording import verdict_words
    from tests.conftest import write_rgb
    from tests.viewer.conftest import scan_cli

    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        write_rgb(folder / f"p{i}.png", 40, 40, seed=i)
    (folder / "bad.png").write_bytes(b"not a png")
    monkeypatch.setattr(cli_scan, "TABLE_LIMIT", 3)
    scan_cli(folder, tmp_path / "out", tiny_checkpoint, "--jobs", "1")
    out = capsys.readouterr().out
    assert not any(line.startswith(("p0.png", "bad.png")) for line in out.splitlines()), out
    rows = [json.loads(x) for x in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    verdicts = [r["models"]["tiny"]["verdict"] for r in rows if r["status"] == "ok"]
    assert "4 files (over 3: no line per file here)" in out
    for v in set(verdicts):
        assert f"{verdicts.count(v):,} {verdict_words(v)}" in out  # the stored value, said
    assert "1 not analysed" in out
    monkeypatch.setattr(cli_scan, "TABLE_LIMIT", 4)  # at the limit: the table, a line per check
    scan_cli(folder, tmp_path / "out2", tiny_checkpoint, "--jobs", "1")
    out = capsys.readouterr().out
    assert any(line.startswith("p0.png\t") for line in out.splitlines())
    assert "no line per file" not in out


def test_a_command_line_scan_parses_each_row_of_results_jsonl_once(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command line's listing and the run's log each parsed every row of results.jsonl
    (about 2 s of a 10,000-file resume): the run now takes the listing's index while the file
    is unchanged. A resume of 3 finished files parses 3 rows (and the CSV's read-back none)."""
    from forensic_viewer.scan import results
    from tests.conftest import write_rgb
    from tests.viewer.conftest import scan_cli

    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        write_rgb(folder / f"p{i}.png", 40, 40, seed=i)
    assert scan_cli(folder, tmp_path / "out", tiny_checkpoint, "--jobs", "1") == 0
    parsed: list[bytes] = []
    parse = results._row_of  # each line read as a row (or set aside, with why)

    def counting(line: bytes):  # type: ignore[no-untyped-def]
        parsed.append(line)
        return parse(line)

    monkeypatch.setattr(results, "_row_of", counting)
    assert scan_cli(folder, tmp_path / "out", tiny_checkpoint, "--jobs", "1") == 0
    assert len(parsed) == 3, len(parsed)
    # a file changed between the listing and the run is indexed again, not taken as it was
    index = results.ResultIndex(tmp_path / "out")
    with (tmp_path / "out" / "results.jsonl").open("ab") as f:
        f.write(b"\n")
    parsed.clear()
    log = results.ResultLog(tmp_path / "out", index)
    log.close()
    assert len(parsed) == 4  # its three rows and the line added: read again


def test_a_pdf_table_cell_that_fits_one_line_is_drawn_as_text_the_rest_as_paragraphs(
    tmp_path: Path,
) -> None:
    """reportlab wrapped each Paragraph of a table three or four times (the largest share of
    the PDF's 75 ms a file): a label or value that fits one line is now the cell's text, in
    the same font; a long one still wraps, a character no font draws is still its code point."""
    from reportlab.platypus import Paragraph

    from forensic_viewer.report.pdf import PdfWriter

    w = PdfWriter(tmp_path / "r.pdf")
    long = "word " * 60
    t = w.kv(
        [("Format", "JPEG"), ("Notes", long), ("Name", "a\u202eb.png"), ("SHA-256", "ab" * 32)]
    )
    cells = t._cellvalues
    assert cells[0] == ["Format", "JPEG"]
    assert isinstance(cells[1][1], Paragraph) and cells[1][0] == "Notes"
    assert isinstance(cells[2][1], Paragraph)
    assert "[U+202E]" in cells[2][1].getPlainText()
    assert cells[3][1] == "ab" * 32  # a digest fits in the mono font
    w.abort()


def test_the_pdf_writes_each_finished_page_to_its_file_and_keeps_none_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """reportlab kept every finished page (its content stream uncompressed, its resources,
    its images) until the file was saved: about 19 kB of memory a file at 10,000 files. Each
    page is now in the file when it ends, and the document keeps no page, content stream or
    image of it; the file still reads whole, "page N of M" on every page."""
    from pypdf import PdfReader
    from reportlab.pdfbase.pdfdoc import PDFImageXObject, PDFPage, PDFStream

    from forensic_viewer.report.pdf import PdfWriter

    seen: list[tuple[int, int, int, int]] = []  # per file: pages ended, in the file, kept
    item = PdfWriter.item

    def checking(self, index, *args):  # type: ignore[no-untyped-def]
        item(self, index, *args)
        canv = self.doc.canv
        ended = canv.getPageNumber() - 1
        tmp = self.tmp.read_bytes() if self.tmp.exists() else b""
        kept = [type(o) for o in canv._doc.idToObject.values()]
        pages = len(re.findall(rb"/Type /Page\b(?!s)", tmp))
        images = kept.count(PDFImageXObject)  # those drawn on the page under way
        seen.append((ended, pages, kept.count(PDFPage) + kept.count(PDFStream), images))

    monkeypatch.setattr(PdfWriter, "item", checking)
    pdf = write_report(_items(6), tmp_path / "r", ["pdf"])["pdf"]
    assert [s[0] for s in seen] == sorted({s[0] for s in seen})  # pages end as files come
    assert all(ended > 0 and on_disk == ended for ended, on_disk, _, _ in seen), seen
    assert all(kept == 0 and images <= 2 for _, _, kept, images in seen), seen
    reader = PdfReader(pdf, strict=True)
    # its header written first: the version of anything reportlab may add later (alpha, 1.4)
    assert reader.pdf_header == "%PDF-1.4"
    total = len(reader.pages)
    assert total > 6
    for k, page in enumerate(reader.pages, start=1):
        assert f"page {k} of {total}" in " ".join(page.extract_text().split())
    assert sum(len(p.images) for p in reader.pages) >= 12  # each file's evidence and heatmap


def test_the_summary_reads_its_columns_from_the_rows_once_not_once_a_row(
    tmp_path: Path,
) -> None:
    """Each summary row's cells worked out the table's columns (models, analyses, ensemble)
    again from every row: quadratic in the files, most of the 138 s a 10,000-file PDF took
    before its first file's section. Counted, not timed: the rows are walked a fixed number
    of times whatever their number."""
    from forensic_viewer.report import CaseInfo, ReportOptions, ReportSource
    from forensic_viewer.report import text as T
    from forensic_viewer.report.build import overview

    class Walked(list):  # type: ignore[type-arg]
        walks = 0

        def __iter__(self):  # type: ignore[no-untyped-def]
            Walked.walks += 1
            return super().__iter__()

    walks = {}
    for n in (5, 40):
        ov = overview(ReportSource.from_items(_items(n)), CaseInfo(), ReportOptions())
        ov.rows = Walked(ov.rows)
        Walked.walks = 0
        header = T.summary_header(ov)
        cells = [T.summary_cells(ov, i) for i in range(n)]
        assert all(len(c) == len(header) for c in cells) and "m" in header
        walks[n] = Walked.walks
    assert walks[40] == walks[5] <= 3, walks


def test_the_pdf_summary_draws_a_cell_that_fits_one_line_as_text_and_its_red_cells_red(
    tmp_path: Path,
) -> None:
    """The summary's cells were all Paragraphs, wrapped three or four times each by reportlab
    (most of the front matter's time: 250 pages at 10,000 files); one that fits its column
    on one line is now text in the same font. Red (an error, not run, evidence not verified)
    was a TEXTCOLOR, which a Paragraph ignores: text cells take it, a Paragraph gets a red
    style."""
    import dataclasses

    from reportlab.platypus import Paragraph

    from forensic_viewer.report import CaseInfo, ReportOptions, ReportSource
    from forensic_viewer.report import text as T
    from forensic_viewer.report.build import overview
    from forensic_viewer.report.pdf import RED, PdfWriter

    bad = dataclasses.replace(
        _items(1)[0], key="bad.png", status="error", error="bad.png: " + "damaged data " * 12
    )
    ov = overview(ReportSource.from_items([*_items(2), bad]), CaseInfo(), ReportOptions())
    w = PdfWriter(tmp_path / "r.pdf")
    columns = list(range(len(T.summary_header(ov))))
    widths = w._column_widths(columns, *w._measure(ov))
    table = w._summary_chunk(ov, columns, widths, range(3))
    cells = table._cellvalues
    assert cells[1][:3] == ["1", "f0.png", "analysed"]  # text, not Paragraphs
    assert cells[0][0] == "#"
    status = cells[3][2]  # short, the error in the row under it (a Paragraph: it may wrap)
    assert status == "not analysed: see §3" and table._cellStyles[3][2].color == RED
    error = cells[4][1]
    assert isinstance(error, Paragraph) and error.style.textColor == RED
    red_text = [c for c, st in zip(cells[3], table._cellStyles[3], strict=True) if st.color == RED]
    assert any(isinstance(c, str) for c in red_text), cells[3]  # e.g. a model's "not run"
    w.abort()


def test_the_pdf_labels_are_grey_not_navy() -> None:
    """reportlab reads a three-digit ``#444`` as the number 0x444, a dark navy: the labels and
    the summary's header were drawn in it since the PDF report began."""
    from forensic_viewer.report.fonts import fonts
    from forensic_viewer.report.pdf import _Styles

    colour = _Styles(fonts()).label.textColor
    assert colour.red == colour.green == colour.blue == 0x44 / 255


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_the_image_folder_is_made_as_mkdir_makes_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, umask: int
) -> None:
    """``report_files/`` was made 0700 (``tempfile.mkdtemp``) while its files were 0644:
    anyone else opening a shared report saw none of its images (walk-through 2026-12-06).
    It is now 0777 less the umask, as ``mkdir`` makes a folder."""
    monkeypatch.setattr(H, "EMBED_LIMIT", 2)
    old = os.umask(umask)
    try:
        write_report(_items(3), tmp_path / "r", ["html"])
    finally:
        os.umask(old)
    folder = tmp_path / "r" / "report_files"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o777 & ~umask
    assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o666 & ~umask}
