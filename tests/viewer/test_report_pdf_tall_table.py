"""A model's table too tall to stand beside its figure on one page (the bundled ensemble's rows
with their margins to θ, 2026-12-06) failed the whole PDF with reportlab's LayoutError: the pair
is one table row, which cannot split across pages. It now goes under the figure."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from reportlab.lib.pagesizes import A4
from reportlab.platypus import Image, KeepTogether, SimpleDocTemplate, Table

from forensic_viewer.report.build import Figure
from forensic_viewer.report.pdf import PAGE_MARGIN, PdfWriter


def _figure() -> Figure:
    rgb = np.zeros((300, 200, 3), np.uint8)
    return Figure.jpeg("the evidence with its heatmap", rgb, 90)


def _lay_out(tmp_path: Path, writer: PdfWriter, rows: int) -> list:
    half = writer.width / 2 - 0.2 * 28.35
    table = writer.kv([(f"row {i}", f"value {i} " * 12) for i in range(rows)], width=half)
    flowables = writer._side_by_side(_figure(), table, half)
    doc = SimpleDocTemplate(
        str(tmp_path / f"t{rows}.pdf"),
        pagesize=A4,
        leftMargin=PAGE_MARGIN,
        rightMargin=PAGE_MARGIN,
        topMargin=PAGE_MARGIN,
        bottomMargin=PAGE_MARGIN,
    )
    doc.build([KeepTogether([writer.p("model"), *flowables])])  # raised LayoutError when tall
    return flowables


def test_a_table_taller_than_a_page_goes_under_its_figure_and_the_pdf_is_written(
    tmp_path: Path,
) -> None:
    writer = PdfWriter(tmp_path / "report.pdf")
    tall = _lay_out(tmp_path, writer, 90)
    image, _caption, _space, table = tall  # stacked: the figure, its caption, then the table
    assert isinstance(image, Image) and isinstance(table, Table) and len(table._cellvalues) == 90
    assert (tmp_path / "t90.pdf").stat().st_size > 0


def test_a_short_table_stays_beside_its_figure(tmp_path: Path) -> None:
    writer = PdfWriter(tmp_path / "report.pdf")
    (row,) = _lay_out(tmp_path, writer, 6)
    assert isinstance(row, Table) and len(row._cellvalues) == 1  # one row: figure | table
