"""The PDF report, laid out with reportlab.

Same content and words as the HTML report (from :mod:`forensic_viewer.report.text`). Every
string is XML-escaped before it reaches a reportlab ``Paragraph`` (whose text is markup), so a
file name such as ``<script>&.jpg`` prints as it is. The fonts, and the characters they
cannot draw, are :mod:`forensic_viewer.report.fonts`'s; the report says once, under the case's
notes, which names are shown with code points for want of a font (code points first met in a
file's section, laid out after the notes, in a second note at the end).
The document is laid out as it is written (:meth:`PdfWriter._flush`: reportlab's build loop
driven one file at a time), not kept whole until the end: the flowables waiting for layout are
at most one file's section or one chunk of the summary table (:data:`SUMMARY_CHUNK` rows, its
header again at the top of each chunk), whatever the number of files, and a figure's JPEG
bytes live only until its page is laid out. Every page carries the case ID and "page N of M":
M is a form drawn on every page and defined once the last page is known, so no page is held
back for it. Each page is written to the file when it ends (:mod:`.pdfstream`: reportlab kept
every finished page, its content stream uncompressed, until the end: 19 kB a file); what
still grows is the cross-reference table's entries, a few hundred bytes an object
(docs/BENCHMARKS.md).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Frame,
    Image,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from engine.files import AtomicFile
from forensic_viewer.report import face_text as F
from forensic_viewer.report import text as T
from forensic_viewer.report.build import STOPPED_HEADING, Figure, ItemFigures, Overview
from forensic_viewer.report.evidence_text import evidence_rows
from forensic_viewer.report.fonts import Fonts, drawable, fonts, missing_glyphs_note, para_text
from forensic_viewer.report.glossary import HEADING as WORDS_HEADING
from forensic_viewer.report.glossary import report_words
from forensic_viewer.report.limitations import limitations_text
from forensic_viewer.report.model import ReportItem
from forensic_viewer.report.pdfstream import StreamingCanvas, StreamingDocument
from forensic_viewer.report.summary_marks import summary_flagged
from forensic_viewer.scan import probe as P
from forensic_viewer.scan.groundtruth import report_section

RED = colors.HexColor("#b00000")
PAGE_MARGIN = 1.5 * cm
CELL_PAD = 2.5  # points left and right of a summary cell's text
# the tallest table set beside a figure (points): most of a page's frame, the rest left to the
# heading and the colour legend above it in the same block
SIDE_BY_SIDE_MAX_H = A4[1] - 2 * PAGE_MARGIN - 4 * cm
KV_PAD = 6  # points left and right of a label's or a value's text (reportlab's default)
FILE_COLUMN = 3.2 * cm  # the summary's file-name column at most
LONG_WORD = 2.6 * cm  # a longer word in a summary cell is broken, not given its width
# rows of the summary table laid out as one reportlab Table (each chunk repeats the header): a
# Table of 10,000 rows held 80,000 Paragraphs until the last was laid out
SUMMARY_CHUNK = 40
TOTAL_FORM = "pages-total"  # the form that prints M of "page N of M", defined at the end


def fit_widths(need: list[float], want: list[float], total: float) -> list[float]:
    """Column widths summing to ``total``: each column at least what it ``need``s (its longest
    word, so none is cut in the middle), the room left shared by how much more each ``want``s
    (its longest text on one line); all shrink alike, and long words break, only when the
    needs alone are wider than ``total``."""
    room = total - sum(need)
    if room <= 0:
        return [n * total / sum(need) for n in need]
    more = [max(w - n, 0.0) for w, n in zip(want, need, strict=True)]
    extra = sum(more)
    if extra <= room:  # every text fits on one line: the rest goes evenly
        return [max(w, n) + (room - extra) / len(need) for w, n in zip(want, need, strict=True)]
    return [n + room * m / extra for n, m in zip(need, more, strict=True)]


@contextlib.contextmanager
def binary_streams() -> Iterator[None]:
    """reportlab's streams without ASCII85: its encoder is pure Python here (no rl_accel) and
    took a tenth of a report's time, for a file a quarter larger. A PDF is binary anyway."""
    was = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = was


class _Styles:
    def __init__(self, f: Fonts) -> None:
        base = ParagraphStyle("base", fontName=f.regular, fontSize=8.5, leading=10.5)
        self.body = base
        self.small = ParagraphStyle("small", parent=base, fontSize=7, leading=8.5)
        self.small_red = ParagraphStyle("small_red", parent=self.small, textColor=RED)
        self.mono = ParagraphStyle("mono", parent=base, fontName=f.mono, fontSize=6.8, leading=8.2)
        self.label = ParagraphStyle(
            "label", parent=self.small, textColor=colors.HexColor("#444444")
        )
        self.h1 = ParagraphStyle("h1", parent=base, fontName=f.bold, fontSize=17, leading=21)
        self.h2 = ParagraphStyle(
            "h2",
            parent=base,
            fontName=f.bold,
            fontSize=12.5,
            leading=15,
            spaceBefore=10,
            spaceAfter=4,
            keepWithNext=1,  # never a heading alone at the foot of a page
        )
        self.h3 = ParagraphStyle(
            "h3",
            parent=base,
            fontName=f.bold,
            fontSize=10,
            leading=12.5,
            spaceBefore=7,
            spaceAfter=3,
            keepWithNext=1,
        )
        self.alert = ParagraphStyle(
            "alert",
            parent=base,
            fontName=f.bold,
            textColor=RED,
            fontSize=9.5,
            leading=12,
            alignment=TA_LEFT,
        )
        self.alert_h = ParagraphStyle(
            "alert_h", parent=self.alert, fontSize=13, leading=16, spaceAfter=4
        )
        self.bad = ParagraphStyle("bad", parent=base, fontName=f.bold, textColor=RED)


class PdfWriter:
    """Builds ``path`` from an :class:`Overview` and then one item at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._out = AtomicFile(path, mode=None)  # reportlab writes its tmp by file name
        self.tmp = self._out.tmp
        self.f = fonts()
        self.s = _Styles(self.f)
        self.story: list[Flowable] = []  # added and not laid out yet (_flush)
        self.doc: SimpleDocTemplate | None = None  # the layout under way, from begin
        self.laid_out: list[Flowable] | None = None  # a list: every flowable laid out (tests)
        self.ov: Overview | None = None
        self.width = A4[0] - 2 * PAGE_MARGIN
        self.legend = True  # the colour legend is still to be placed: with the first heatmap
        self.missing: set[int] = set()  # code points shown for want of a font (missing_glyphs_note)
        self._noted: set[int] = set()  # those the note under the case's notes named

    # -- helpers --------------------------------------------------------------------------
    def p(self, value: object, style: ParagraphStyle | None = None) -> Paragraph:
        return Paragraph(para_text(value, self.f, self.missing), style or self.s.body)

    def cell(
        self, value: object, style: ParagraphStyle, width: float, pad: float = KV_PAD
    ) -> Paragraph | str:
        """A table cell of ``value``: the text itself when it fits on one line of ``width``
        in the report font (the table draws it in ``style``'s font: see :meth:`kv`), else a
        Paragraph; ``pad``: the cell's padding left and right. reportlab wraps a Paragraph in a table three or four times (measured for
        KeepTogether, laid out, drawn): the largest share of a report's time."""
        text = str(value)
        if "\n" in text or drawable(text, self.f) != text:  # a fallback font or code points
            return self.p(value, style)
        room = width - 2 * pad
        if pdfmetrics.stringWidth(text, style.fontName, style.fontSize) > room:
            return self.p(value, style)
        return text

    def kv(self, rows: T.Rows, label_width: float = 4.2 * cm, width: float | None = None) -> Table:
        width = width or self.width
        value_width = width - label_width
        s = self.s
        data = []
        style: list[tuple[Any, ...]] = [
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#bbbbbb")),
            ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f4f4f4")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 1.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ("LEFTPADDING", (0, 0), (-1, -1), KV_PAD),
            ("RIGHTPADDING", (0, 0), (-1, -1), KV_PAD),
            # the font of the cells given as text (cell): the Paragraph styles' own
            ("FONT", (0, 0), (0, -1), s.label.fontName, s.label.fontSize, s.label.leading),
            ("TEXTCOLOR", (0, 0), (0, -1), s.label.textColor),
            ("FONT", (1, 0), (1, -1), s.small.fontName, s.small.fontSize, s.small.leading),
        ]
        for r, (k, v) in enumerate(rows):
            value = s.mono if T.is_digest(v) else s.small
            if value is s.mono:
                style.append(
                    ("FONT", (1, r), (1, r), value.fontName, value.fontSize, value.leading)
                )
            data.append([self.cell(k, s.label, label_width), self.cell(v, value, value_width)])
        t = Table(data, colWidths=[label_width, value_width], hAlign="LEFT")
        t.setStyle(TableStyle(style))
        return t

    def image(self, fig: Figure, max_w: float, max_h: float = 16 * cm) -> Image:
        scale = min(max_w / fig.width, max_h / fig.height)
        data = io.BytesIO(fig.data)  # held until its page is laid out, a file later (_flush)
        return Image(data, width=fig.width * scale, height=fig.height * scale)

    def alert_box(self, title: str, lines: list[str]) -> Table:
        cell = [self.p(title, self.s.alert_h), *[self.p(x, self.s.alert) for x in lines]]
        t = Table([[cell]], colWidths=[self.width])
        t.setStyle(
            TableStyle(
                [
                    ("BOX", (0, 0), (-1, -1), 3, RED),
                    ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#ffe5e5")),
                    ("LEFTPADDING", (0, 0), (-1, -1), 8),
                    ("TOPPADDING", (0, 0), (-1, -1), 6),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ]
            )
        )
        return t

    # -- writer interface -----------------------------------------------------------------
    def _start(self) -> None:
        """Start the layout (reportlab's ``SimpleDocTemplate.build`` up to its loop)."""
        assert self.ov is not None
        case = self.ov.case
        doc = SimpleDocTemplate(
            str(self.tmp),
            pagesize=A4,
            leftMargin=PAGE_MARGIN,
            rightMargin=PAGE_MARGIN,
            topMargin=PAGE_MARGIN,
            bottomMargin=PAGE_MARGIN,
            title=drawable(f"Forensic examination report: {self.ov.source.title}", self.f),
            author=drawable(case.examiner, self.f),
            subject=drawable(f"Case {case.case_id}" if case.case_id else "", self.f),
            creator="forensic-viewer",
        )
        doc._calc()
        frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="normal")
        doc.addPageTemplates(
            [PageTemplate(id=i, frames=frame, onPage=self._on_page) for i in ("First", "Later")]
        )
        doc._doSave = 0  # saved by finish, once the form with the number of pages is drawn
        doc._startBuild(str(self.tmp), canvasmaker=StreamingCanvas)
        doc.canv._doc.reserve_form(TOTAL_FORM)
        doc.canv._doctemplate = doc
        self.doc = doc

    def _flush(self) -> None:
        """Lay out every flowable added so far (reportlab's build loop), then drop them."""
        doc = self.doc
        assert doc is not None
        if self.laid_out is not None:
            self.laid_out += self.story
        with binary_streams():
            while self.story:
                doc.clean_hanging()
                doc.handle_flowable(self.story)

    def begin(self, ov: Overview, thumbnails: Iterable[bytes | None]) -> None:
        self.ov = ov
        self._start()
        s, add = self.s, self.story.append
        add(self.p("Forensic examination report", s.h1))
        add(self.p(ov.source.title, s.body))
        add(Spacer(1, 6))
        if ov.stopped:
            add(self.alert_box(STOPPED_HEADING, [ov.stopped]))
            add(Spacer(1, 6))
        for heading, meaning, alerts in ov.alert_sections:
            add(self.alert_box(heading, [meaning, *alerts]))
            add(Spacer(1, 6))
        if ov.probes:  # a probe report says so before anything else (its table is last)
            add(self.p(P.PROBE_HEADING, s.h2))
            for line in ov.probes:
                add(self.p(line, s.body))
        add(self.p("Case", s.h2))
        # Notes go below the table, one paragraph per line: a table row cannot break across
        # pages, and notes can be long.
        add(self.kv([(k, v) for k, v in T.case_rows(ov) if k != "Notes"]))
        add(self.p("Notes", s.h3))
        for line in (ov.case.notes or "(none)").splitlines() or [""]:
            add(self.p(line, s.body))
        # The classic analyses get a table of their own: one A4 row of every column cut
        # words in the middle ("authe|ntic") and stood a letter or two per line.
        # So does a table of more columns than the page holds (a ground-truth scan's 12): it
        # goes on in tables of its own, each after the number and the file name.
        apart = T.summary_analysis_columns(ov)
        n = len(T.summary_header(ov))
        need, want = self._measure(ov)  # and self.missing
        main = self._split([j for j in range(n) if j not in apart], need)
        tables = main + (self._split([0, 1, *apart], need) if apart else [])
        widths = [self._column_widths(cols, need, want) for cols in tables]
        if self.missing:  # the names' code points: said once, under the notes
            add(self.p(missing_glyphs_note(self.missing), s.small))
            self._noted = set(self.missing)
        add(self.p("Summary", s.h2))
        add(self.p(T.counts_text(ov), s.body))
        add(self.p(T.caveat_text(ov), s.body))
        add(Spacer(1, 3))
        self._summary_table(ov, tables[0], widths[0])
        for cols, w in zip(tables[1 : len(main)], widths[1 : len(main)], strict=True):
            add(self.p("Summary, continued", s.h3))
            self._summary_table(ov, cols, w)
        add(self.p(T.summary_note(ov), s.small))
        for k, (cols, w) in enumerate(zip(tables[len(main) :], widths[len(main) :], strict=True)):
            add(self.p("Classic analyses, file by file" + (", continued" if k else ""), s.h3))
            self._summary_table(ov, cols, w)
        add(self.p(WORDS_HEADING, s.h2))
        add(self.kv(report_words(ov)))
        # the heading goes in one block with the first model (keepWithNext does not hold before
        # a KeepTogether: "Models" stood alone at the foot of the first page)
        heading = [self.p("Models", s.h2)]
        if not ov.models:
            add(
                KeepTogether([*heading, self.p("No model ran on any file of this report.", s.body)])
            )
        for m in ov.models:
            add(KeepTogether([*heading, self.p(m.name, s.h3), self.kv(T.model_rows(m))]))
            heading = []
        if ov.analyses:
            add(self.p("Classic analyses", s.h2))
            add(self.p(T.ANALYSES_TEXT, s.body))
            for a in ov.analyses:
                add(KeepTogether([self.p(a.name, s.h3), self.kv(T.analysis_summary_rows(a))]))
        if ov.source.ground_truth:
            intro, header, rows = report_section(ov.source.ground_truth)
            add(self.p("Ground truth", s.h2))
            add(self.p(intro, s.body))
            add(self._text_table([header, *rows], s.small))
        add(self.p("Limitations", s.h2))
        for line in limitations_text(ov):
            add(self.p(line, s.body))
        add(self.p("Environment and parameters", s.h2))
        add(self.kv(T.environment_rows(ov)))

    def _summary_table(self, ov: Overview, columns: list[int], widths: list[float]) -> None:
        """The summary's ``columns`` (indices into :func:`~T.summary_header`), one row a file,
        laid out :data:`SUMMARY_CHUNK` rows at a time."""
        for start in range(0, len(ov.rows), SUMMARY_CHUNK):
            rows = range(start, min(start + SUMMARY_CHUNK, len(ov.rows)))
            self.story.append(self._summary_chunk(ov, columns, widths, rows))
            self._flush()
        if not ov.rows:
            self.story.append(self._summary_chunk(ov, columns, widths, range(0)))

    def _summary_chunk(
        self, ov: Overview, columns: list[int], widths: list[float], files: range
    ) -> Table:
        """The summary table's header and the rows of ``files``."""
        header = T.summary_header(ov)
        sha = len(header) - 1  # the integrity column comes last
        rows = [[header[j] for j in columns]]
        s = self.s
        style: list[tuple[Any, ...]] = [
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#bbbbbb")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 1.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD),
            ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD),
            # the font of the cells given as text (cell): the Paragraph styles' own
            ("FONT", (0, 0), (-1, 0), s.label.fontName, s.label.fontSize, s.label.leading),
            ("TEXTCOLOR", (0, 0), (-1, 0), s.label.textColor),
            ("FONT", (0, 1), (-1, -1), s.small.fontName, s.small.fontSize, s.small.leading),
        ]
        red: set[tuple[int, int]] = set()  # TEXTCOLOR colours a text cell, not a Paragraph
        errors: dict[int, str] = {}  # table row -> a failed file's error, the row's whole width
        for i in files:
            cells = T.summary_cells(ov, i)
            flagged = summary_flagged(ov, i)
            r = len(rows)
            rows.append([cells[j] for j in columns])
            for k, j in enumerate(columns):
                c = cells[j]
                if j in flagged:
                    style.append(("BACKGROUND", (k, r), (k, r), colors.HexColor("#ffe0e0")))
                elif (
                    c == "not run"
                    or c.startswith(T.NOT_ANALYSED)
                    or (j == sha and not ov.integrity[i].ok)
                ):
                    style.append(("TEXTCOLOR", (k, r), (k, r), RED))
                    red.add((k, r))
            error = T.summary_error(ov, i)
            if error is not None and 2 in columns:  # the table with the Status column
                errors[r + 1] = error
                style += [("SPAN", (1, r + 1), (-1, r + 1)), ("NOSPLIT", (0, r), (-1, r + 1))]
                rows.append([""] * len(columns))

        def cell_style(k: int, r: int) -> ParagraphStyle:
            return s.label if r == 0 else s.small_red if (k, r) in red else s.small

        data: list[list[Paragraph | str]] = [
            [self.cell(c, cell_style(k, r), widths[k], CELL_PAD) for k, c in enumerate(row)]
            for r, row in enumerate(rows)
        ]
        for r, error in errors.items():  # from the File column on, under the file's row
            data[r][1] = self.p(error, s.small_red)
        t = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
        t.setStyle(TableStyle(style))
        return t

    def _measure(self, ov: Overview) -> tuple[list[float], list[float]]:
        """What each summary column needs and wants across the page: its longest word (so no
        word is cut in the middle) and its longest text on one line. A word longer than
        :data:`LONG_WORD` and a file name longer than :data:`FILE_COLUMN` break where they
        must (a failed file's error has a row of its own, as wide as the table). The
        characters no font draws are added to ``self.missing`` on the way (every row is read
        here, before any is laid out)."""
        header = T.summary_header(ov)
        need = [0.0] * len(header)
        want = [0.0] * len(header)
        for i in range(-1, len(ov.rows)):
            cells = header if i < 0 else T.summary_cells(ov, i)
            for j, c in enumerate(cells):
                para_text(c, self.f, self.missing)
                cap = FILE_COLUMN if j == 1 else LONG_WORD
                need[j] = max(need[j], *(min(self._width(w), cap) for w in c.split()), 0.0)
                want[j] = max(want[j], self._width(c))
            if i >= 0 and (error := T.summary_error(ov, i)):
                para_text(error, self.f, self.missing)  # its own row's, under the file's
        want[1] = min(want[1], FILE_COLUMN)
        return need, want

    def _width(self, text: str) -> float:
        """``text`` on one line of a summary cell, its padding included."""
        size = self.s.small.fontSize
        return pdfmetrics.stringWidth(drawable(text, self.f), self.f.regular, size) + 2 * CELL_PAD

    def _split(self, columns: list[int], need: list[float]) -> list[list[int]]:
        """``columns`` as one table, or as several that each fit the page's width, each
        starting with the number and the file name (the first two of ``columns``)."""
        if sum(need[j] for j in columns) <= self.width:
            return [columns]
        head, rest = columns[:2], columns[2:]
        tables: list[list[int]] = [[*head]]
        for j in rest:
            if len(tables[-1]) > 2 and sum(need[c] for c in [*tables[-1], j]) > self.width:
                tables.append([*head])
            tables[-1].append(j)
        return tables

    def _column_widths(
        self, columns: list[int], need: list[float], want: list[float]
    ) -> list[float]:
        """Widths for the summary table of ``columns`` across the page: each column at least
        what it needs (:meth:`_measure`), and the room left shared by how much longer each
        column's texts are."""
        return fit_widths([need[j] for j in columns], [want[j] for j in columns], self.width)

    def _text_table(self, rows: list[list[str]], header: ParagraphStyle) -> Table:
        """A table of small text ``rows``, the first its header (in ``header``'s style),
        repeated on each page it runs onto; its columns as wide as their longest words
        (:meth:`_table_widths`), each cell's text at its top."""
        texts = [[str(c) for c in r] for r in rows]
        data = [[self.p(c, header if r == 0 else self.s.small) for c in row]
                for r, row in enumerate(texts)]  # fmt: skip
        table = Table(data, self._table_widths(texts), repeatRows=1, hAlign="LEFT")
        grid = colors.HexColor("#bbbbbb")
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, grid),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD),  # as _table_widths counts
                    ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD),
                ]
            )
        )
        return table

    def _table_widths(self, rows: list[list[str]]) -> list[float]:
        """Widths for a table of small text ``rows`` (its header first) across the page: each
        column as wide as its longest word (up to :data:`LONG_WORD`), the rest shared by how
        much longer its texts are (the Ground truth table's "threshold-f|ree" was cut)."""
        columns = range(len(rows[0]))
        need = [max(min(self._width(w), LONG_WORD) for r in rows for w in r[k].split() or [""])
                for k in columns]  # fmt: skip
        want = [max(self._width(r[k]) for r in rows) for k in columns]
        return fit_widths(need, want, self.width)

    def item(self, index: int, item: ReportItem, ov: Overview, figs: ItemFigures) -> None:
        s, add = self.s, self.story.append
        n = index + 1
        integ = ov.integrity[index]
        self._flush()  # the front matter, or the file before: this one starts a page
        add(PageBreak())
        add(self.p(f"{n}. {item.key}", s.h2))
        if item.status != "ok":
            add(self.alert_box(f"NOT ANALYSED: {item.error}", ["No check ran on this file."]))
            add(Spacer(1, 4))
        analysed = item.status == "ok"
        if integ.status in ("match", "not recorded"):
            add(self.kv(T.integrity_rows(integ, analysed)))
        else:
            words = T.integrity_words(integ, analysed)
            add(self.alert_box("EVIDENCE INTEGRITY: " + words, [integ.message]))
        add(self.p("Evidence", s.h3))
        add(self.kv(evidence_rows(item, self.ov.source.settings if self.ov else None)))
        meta = T.metadata_rows(item)
        if meta:
            add(self.p(f"Metadata ({len(meta)} fields, untrusted text from the file)", s.h3))
            add(self.kv(meta))
        for note in [*item.notes, *figs.notes]:
            add(self.p(note, s.bad))
        if figs.evidence is not None:
            add(CondPageBreak(8 * cm))
            add(self.image(figs.evidence, self.width, 11 * cm))
            add(self.p(figs.evidence.caption, s.small))
        half = self.width / 2 - 0.2 * cm
        for e in item.entries():
            label = T.entry_label(e)
            if not e.ran:
                add(KeepTogether([self.p(f"{label}: NOT RUN", s.bad), self.kv(T.entry_rows(e))]))
                continue
            fig = figs.entries.get(e.name)
            table = self.kv(
                T.entry_rows(e, item.probability_source(e)), label_width=3.2 * cm, width=half
            )
            if fig is None:
                add(KeepTogether([self.p(label, s.h3), table]))
                continue
            block = [self.p(label, s.h3), *self._side_by_side(fig, table, half)]
            add(KeepTogether([*self._legend(), *block]))
        for name, fig in figs.face_maps.items():
            add(CondPageBreak(6 * cm))
            block = [self.p(f"Face map: {name}", s.h3), self.image(fig, self.width, 9 * cm)]
            add(KeepTogether([*self._legend(), *block]))
            add(self.p(fig.caption, s.small))
        if item.analyses:
            self._analyses(item, figs)
        if item.probe is not None:
            self._probe(item.probe)
        detector = F.detector_of(self.ov.source.settings if self.ov else None)
        add(KeepTogether([self.p("Faces", s.h3), self.p(F.faces_text(item, detector), s.body)]))
        faces = F.face_rows(item)
        if faces:  # across pages, its header repeated: a face alone on the next page read bare
            add(self._text_table([list(F.FACE_COLUMNS), *faces], s.label))

    def _legend(self) -> list[Flowable]:
        """The colour legend, once, above the report's first heatmap figure (it stood under
        the Environment table, pages before any heatmap it explains); later, nothing."""
        if not self.legend:
            return []
        self.legend = False
        return [self.p(T.LEGEND_TEXT, self.s.small), Spacer(1, 3)]

    def _side_by_side(self, fig: Figure, table: Table, half: float) -> list[Flowable]:
        """A figure with its caption on the left, ``table`` on the right; the table under the
        figure when it is too tall for that: the pair is one table row, which reportlab cannot
        split across pages (an ensemble's rows with their margins to θ grew past a page and
        the whole PDF failed with a LayoutError)."""
        left = [self.image(fig, half, 12 * cm), self.p(fig.caption, self.s.small)]
        if table.wrap(half, SIDE_BY_SIDE_MAX_H)[1] > SIDE_BY_SIDE_MAX_H:
            return [*left, Spacer(1, 4), table]  # the table's rows split across pages
        row = Table([[left, table]], colWidths=[half + 0.4 * cm, half], hAlign="LEFT")
        row.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (0, 0), 0.4 * cm),
                ]
            )
        )
        return [row]

    def _analyses(self, item: ReportItem, figs: ItemFigures) -> None:
        """Each classic analysis: its figure (map, clone pairs linked), figures and findings."""
        s, add = self.s, self.story.append
        # the section's heading goes in one block with its first analysis: alone, it could
        # stand at the foot of a page (keepWithNext does not hold across a KeepTogether)
        heading = [self.p("Classic analyses", s.h3)]
        half = self.width / 2 - 0.2 * cm
        for a in item.analyses:
            if not a.ran:
                block = [self.p(f"{a.name}: NOT RUN", s.bad), self.kv(T.analysis_rows(a))]
                add(KeepTogether([*heading, *block]))
                heading = []
                continue
            fig = figs.analyses.get(a.name)
            if fig is None:
                block = [self.p(a.name, s.h3), self.kv(T.analysis_rows(a))]
            else:
                table = self.kv(T.analysis_rows(a), label_width=3.2 * cm, width=half)
                block = [self.p(a.name, s.h3), *self._side_by_side(fig, table, half)]
            picture = figs.pictures.get(a.name)
            if picture is not None:
                block += [self.image(picture, half, 9 * cm), self.p(picture.caption, s.small)]
            add(KeepTogether([*heading, *block]))
            heading = []
            findings = T.finding_rows(a)
            if findings:
                data = [[self.p(h, s.label) for h in T.FINDINGS_HEADER]]
                data += [[self.p(c, s.small) for c in r] for r in findings]
                widths = [1.4 * cm, 1.8 * cm, 3.4 * cm, 6 * cm, self.width - 12.6 * cm]
                t = Table(data, colWidths=widths, hAlign="LEFT", repeatRows=1)
                style = [("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#bbbbbb"))]
                style += [
                    ("TEXTCOLOR", (0, i), (0, i), RED)
                    for i, r in enumerate(findings, start=1)
                    if r[0] == "strong"
                ]
                t.setStyle(TableStyle(style))
                add(t)

    def _probe(self, table: dict[str, Any]) -> None:
        """The robustness probe's table (docs/PROBE.md) and how to read it."""
        s, add = self.s, self.story.append
        data = [[self.p(h, s.label) for h in P.TABLE_COLUMNS]]
        data += [[self.p(c, s.small) for c in r] for r in P.table_rows(table)]
        t = Table(data, hAlign="LEFT", repeatRows=1)
        t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#bbbbbb"))]))
        add(self.p(P.PROBE_HEADING, s.h3))
        add(t)
        for note in P.table_notes(table):
            add(self.p(note, s.small))

    def _on_page(self, canvas: Any, doc: Any) -> None:
        assert self.ov is not None
        canvas.saveState()
        canvas.setFont(self.f.regular, 7)
        # "page N of M", M the form defined at the end (finish): room left for 6 digits
        right = A4[0] - PAGE_MARGIN - pdfmetrics.stringWidth("000000", self.f.regular, 7)
        canvas.drawRightString(right, 0.8 * cm, f"page {canvas.getPageNumber()} of ")
        canvas.saveState()
        canvas.translate(right, 0.8 * cm)
        canvas.doForm(TOTAL_FORM)
        canvas.restoreState()
        case = self.ov.case.case_id or "no case ID"
        canvas.drawString(
            PAGE_MARGIN, 0.8 * cm, drawable(f"Case {case} · {self.ov.generated}", self.f)
        )
        if self.ov.alerts:
            canvas.setFillColor(RED)
            canvas.drawCentredString(A4[0] / 2, 0.8 * cm, f"{self.ov.alert_banner}: see page 1")
        canvas.restoreState()

    def finish(self) -> Path:
        assert self.ov is not None and self.doc is not None
        out, doc = self._out, self.doc
        later = self.missing - self._noted
        if later:  # first met in a file's section, after the front matter was laid out
            self.story.append(self.p(missing_glyphs_note(later), self.s.small))
        try:
            self._flush()
            with binary_streams():
                del doc.canv._doctemplate
                doc._endBuild()  # the last page; not saved (_doSave)
                canv = doc.canv
                pages = canv.getPageNumber() - 1
                canv.beginForm(TOTAL_FORM)
                canv.setFont(self.f.regular, 7)
                canv.drawString(0, 0, str(pages))
                canv.endForm()
                canv.save()
            out.commit()
        except BaseException:
            out.abort()
            raise
        finally:
            self._cleanup()
        return self.path

    def _cleanup(self) -> None:
        canv = getattr(self.doc, "canv", None)
        if isinstance(canv, StreamingCanvas):  # the file it writes, open since begin
            streaming: StreamingDocument = canv._doc
            streaming.close()
        self.story = []
        self.doc = None

    def abort(self) -> None:
        self._cleanup()
        self.tmp.unlink(missing_ok=True)
