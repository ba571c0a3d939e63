"""What the scan writes from hostile evidence: file names (and mask names) are attacker text.

- results.csv: a cell a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab,
  carriage return first) is written with a ``'`` before it, as docs/RESULTS.md says; the
  ground-truth pass, which rewrites the CSV, still finds such a file's row.
- groundtruth.json and probe.json: a file name that is not UTF-8 no longer fails the whole
  ground-truth pass or probe (UnicodeEncodeError); it is written ``\\udcXX``.
- the PDF: reportlab's Paragraph reads markup; a name such as ``<img src="/etc/...">`` is
  printed, never obeyed (a guard: it held before this audit).
"""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from forensic_viewer.scan.escaping import FORMULA_START, csv_cell, csv_value, json_text
from forensic_viewer.scan.groundtruth import evaluate_scan, read_truth
from forensic_viewer.scan.results import CSV_NAME
from forensic_viewer.scan.run import run_scan
from tests.conftest import write_rgb
from tests.viewer.test_scan_prefetch import StubAnalyzer, files_of

FORMULAS = [
    '=HYPERLINK("http:__evil.example","x").png',
    "=cmd|' -C calc'!A0.png",
    "+SUM(1).png",
    "-2+3.png",
    "@SUM(A1).png",
    "\tTAB.png",
    "\rCR.png",
    "'=already.png",  # a real leading quote is doubled, so reading back is exact
]
NOT_UTF8 = b"\xff\xfe.png"


def _csv_rows(out: Path) -> list[list[str]]:
    with open(out / CSV_NAME, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def _runs_as_formula(cell: str) -> bool:
    return cell[:1] in FORMULA_START and not _is_number(cell)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_csv_cell_quotes_formulas_reversibly_and_keeps_numbers() -> None:
    for value in [*FORMULAS, "plain.png", "", "'", "-0.125000", "+1e-5", "-", "-x"]:
        cell = csv_cell(value)
        assert csv_value(cell) == value
        assert not _runs_as_formula(cell)
    assert csv_cell("-0.125000") == "-0.125000" and csv_cell("a=b") == "a=b"
    assert csv_cell("=1+1") == "'=1+1" and csv_cell("'x") == "''x"


def test_json_text_writes_a_name_that_is_not_utf8_as_its_escape() -> None:
    name = os.fsdecode(b"caf\xe9 \xff.png")
    text = json_text({"path": name, "other": "café"})
    text.encode("utf-8")  # no UnicodeEncodeError
    assert "caf\\udce9 \\udcff.png" in text and "café" in text
    assert json.loads(text)["path"] == name


def test_no_csv_cell_of_a_hostile_file_name_runs_as_a_formula(tmp_path: Path) -> None:
    folder = tmp_path / "ev"
    folder.mkdir()
    for seed, name in enumerate(FORMULAS):
        write_rgb(folder / name, 24, 32, seed=seed)
    (folder / "=broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 30)
    out = tmp_path / "out"
    run_scan(files_of(folder), StubAnalyzer(), out, source="t")
    header, *rows = _csv_rows(out)
    assert [c for r in rows for c in r if _runs_as_formula(c)] == []
    paths = [csv_value(r[header.index("path")]) for r in rows]
    assert sorted(paths) == sorted([*FORMULAS, "=broken.png"])  # read back exactly
    by_path = {csv_value(r[0]): r for r in rows}
    assert by_path["=broken.png"][header.index("status")] == "error"


def _mask(path: Path, h: int = 24, w: int = 32) -> None:
    m = np.zeros((h, w), np.uint8)
    m[4:12, 4:12] = 255
    Image.fromarray(m).save(path)


@pytest.mark.skipif(sys.platform == "win32", reason="Windows names are UTF-16")
def test_ground_truth_of_hostile_names_is_written_and_finds_each_row(tmp_path: Path) -> None:
    """A BenCo folder whose image and mask names are ``=evil`` and bytes that are not UTF-8:
    groundtruth.json was never written (UnicodeEncodeError: the scan failed); the CSV's
    ``gt.*`` columns must find the row of ``=evil.png`` though its cell is quoted, and those of
    the names the CSV holds as ``\\xNN`` (a file without a mask: its ``gt.error``)."""
    benco = tmp_path / "set"
    (benco / "Tp").mkdir(parents=True)
    (benco / "Gt").mkdir()
    stems = [b"=evil", NOT_UTF8[:-4]]
    try:
        for seed, stem in enumerate(stems):
            write_rgb(Path(os.fsdecode(bytes(benco / "Tp") + b"/" + stem + b".png")), seed=seed)
            _mask(Path(os.fsdecode(bytes(benco / "Gt") + b"/" + stem + b"_gt.png")), 80, 96)
        write_rgb(Path(os.fsdecode(bytes(benco / "Tp") + b"/\xfe-no-mask.png")), seed=5)
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    out = tmp_path / "out"
    run_scan(files_of(benco / "Tp"), StubAnalyzer(), out, source="t")
    result = evaluate_scan(out, read_truth(benco))
    assert result.images == 2 and len(result.problems) == 1  # the file without a mask
    doc = json.loads((out / "groundtruth.json").read_text("utf-8"))
    assert os.fsdecode(NOT_UTF8) in json.dumps(doc, ensure_ascii=False)
    header, *rows = _csv_rows(out)
    by_path = {csv_value(r[0]): r for r in rows}
    assert set(by_path) == {"=evil.png", "\\xff\\xfe.png", "\\xfe-no-mask.png"}
    assert "no-mask.png" in by_path.pop("\\xfe-no-mask.png")[header.index("gt.error")]
    for row in by_path.values():
        assert row[header.index("gt.label")] == "1"
        assert not _runs_as_formula(row[header.index("gt.mask")])
    assert [c for r in rows for c in r if _runs_as_formula(c)] == []


@pytest.mark.skipif(sys.platform == "win32", reason="Windows names are UTF-16")
def test_probe_of_a_file_whose_name_is_not_utf8_writes_its_table(
    tmp_path: Path, tiny_checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``probe`` of such a file ended with "error: 'utf-8' codec can't encode characters"
    (naming no file) and left no probe.json: the table named the file by its surrogates."""
    from forensic_viewer.cli import main

    try:
        img = write_rgb(Path(os.fsdecode(bytes(tmp_path) + b"/" + NOT_UTF8)), 40, 48)
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    out = tmp_path / "out"
    args = ["probe", str(img), "--out", str(out), "--model", str(tiny_checkpoint)]
    assert main([*args, "--device", "cpu", "--no-faces", "--report", "json"]) == 0
    table = json.loads((out / "probe.json").read_text("utf-8"))
    assert os.fsdecode(NOT_UTF8) in json.dumps(table, ensure_ascii=False)
    assert "\x1b" not in capsys.readouterr().out


def _pdf_images(path: Path) -> int:
    from pypdf import PdfReader

    return sum(len(page.images) for page in PdfReader(str(path)).pages)


@pytest.mark.parametrize(
    "markup",
    [
        '<img src="{local}" width="300" height="300"/>',  # would read a local file into the PDF
        "<b>unclosed <font name='nope'>",  # would fail the whole report's layout
        '<a href="javascript:alert(1)">x</a>&bogus;<br/>',
    ],
)
def test_pdf_prints_markup_in_a_file_name_as_text(tmp_path: Path, markup: str) -> None:
    """reportlab's Paragraph reads its text as markup: every file name and metadata string
    reaches it escaped (report/fonts.py's para_text), so the name is printed, the local image
    it names is not embedded and the report builds."""
    from pypdf import PdfReader

    from forensic_viewer.report import write_report
    from tests.viewer.test_report_audit import heatmap_item

    local = write_rgb(tmp_path / "local.png", 64, 64, seed=9)
    name = markup.replace("{local}", str(local)) + ".png"
    item = heatmap_item(name, 24, 24)
    item.evidence["metadata"] = {"EXIF:ImageDescription": name}
    hostile = write_report([item], tmp_path / "hostile", ["pdf"])["pdf"]
    plain_ = write_report([heatmap_item("plain.png", 24, 24)], tmp_path / "plain", ["pdf"])["pdf"]
    assert _pdf_images(hostile) == _pdf_images(plain_)
    pages = PdfReader(str(hostile)).pages
    assert not any("/Annots" in page for page in pages)  # no link made from the name
    text = " ".join(p.extract_text() for p in pages)
    assert markup.split(">")[0].replace("{local}", str(local)) in text.replace("\n", "")


def test_models_prints_names_and_cards_with_escape_sequences_shown_not_obeyed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``forensic-viewer models`` printed the user's checkpoint names, the unreadable ones'
    lines and a model card as they are: a model folder handed on with ``x\\x1b[2J.md`` cleared
    the examiner's terminal. They are printed as the scan prints file names (``\\x1b``), a card
    keeping its lines."""
    from forensic_viewer.cli import main

    user = tmp_path / "user"
    user.mkdir()
    monkeypatch.setenv("FORENSIC_VIEWER_MODELS", str(user))
    esc = "\x1b[31m\u202e"
    from tests.conftest import make_tiny_checkpoint

    make_tiny_checkpoint(user / f"mine{esc}.safetensors", name="mine")
    (user / f"mine{esc}.md").write_text(f"# Card\n\n\x1b[2Jcleared {esc}\n", encoding="utf-8")
    (user / f"bad{esc}.safetensors").write_bytes(b"junk")
    assert main(["models"]) == 0
    listing = capsys.readouterr()
    assert main(["models", "mine"]) == 0
    card = capsys.readouterr().out
    for text in (listing.out, listing.err, card):
        assert "\x1b" not in text and "\u202e" not in text
    assert "mine\\x1b[31m\\u202e.safetensors" in listing.out
    assert "bad\\x1b[31m\\u202e.safetensors" in listing.err
    assert card.rstrip("\n").splitlines() == ["# Card", "", "\\x1b[2Jcleared \\x1b[31m\\u202e"]
