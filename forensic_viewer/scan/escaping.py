"""How hostile text (evidence file names, metadata, mask names) is written into the scan's
plain-text formats, one helper per format (no Qt):

- CSV (``results.csv``): :func:`csv_cell` / :func:`csv_value`. A spreadsheet (Excel,
  LibreOffice Calc) reads a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
  carriage return as a formula: a file named ``=HYPERLINK("http://…","x").jpg`` became a
  live link in the analyst's sheet, and ``=cmd|' -C calc'!A0.jpg`` a DDE command. Such a
  cell, and one that already starts with ``'``, is written with one ``'`` before it (the
  text otherwise as it is), so the sheet shows it as text and :func:`csv_value` gives the
  value back exactly; a plain number (``-0.5``) is no formula and stays as it is.
  A name's byte that is not UTF-8 is written as that byte's escape, ``\\xff`` (as the
  reports and the terminal show it; it was ``\\udcff``, the code point Python stands it
  for); :func:`csv_file` writes any other lone surrogate ``\\udcXX``.
- JSON (``groundtruth.json``, ``probe.json``): :func:`json_text`. A file name that is not
  UTF-8 reaches Python as lone surrogates (``os.fsdecode``); ``json.dumps(...,
  ensure_ascii=False)`` kept them and encoding the text as UTF-8 raised, so ``scan --gt`` and
  ``probe`` of such a file failed whole. Each is written as its JSON escape ``\\udcXX``, the
  form ``results.jsonl`` uses (``json.loads`` gives the name back).

HTML escaping is :func:`forensic_viewer.report.html.esc` (and ``href`` for links), the PDF's
:func:`forensic_viewer.report.fonts.para_text`, a terminal's :func:`forensic_viewer.wording.plain`.
"""

from __future__ import annotations

import contextlib
import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from engine.files import AtomicFile
from engine.formatting import bytes_as_text

FORMULA_START = frozenset("=+-@\t\r")  # what makes a spreadsheet read a cell as a formula
QUOTE = "'"
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def csv_text(value: object) -> str:
    """``value`` as a CSV cell holds its text: a byte of a name that is not UTF-8 as that
    byte's escape ``\\xff`` (:func:`engine.formatting.bytes_as_text`), any other lone
    surrogate ``\\udcXX`` as :func:`csv_file` writes it."""
    return as_written(bytes_as_text(str(value)))


def csv_cell(value: object) -> str:
    """``value`` as a CSV cell no spreadsheet runs: ``'`` before text that starts with a
    formula character or with ``'`` itself (reversible: :func:`csv_value`); numbers as they
    are; a name's bytes that are not UTF-8 as :func:`csv_text` writes them."""
    text = csv_text(value)
    first = text[:1]
    if first == QUOTE or (first in FORMULA_START and not _NUMBER.fullmatch(text)):
        return QUOTE + text
    return text


def csv_value(cell: str) -> str:
    """The value a cell written by :func:`csv_cell` holds."""
    return cell[1:] if cell.startswith(QUOTE) else cell


@contextlib.contextmanager
def csv_file(path: Path) -> Iterator[Callable[[Iterable[object]], None]]:
    """``path`` written atomically as CSV; yields the function that writes one row, every
    cell through :func:`csv_cell`. A lone surrogate (a file name that is not UTF-8) is
    written as the six characters ``\\udcXX``, never a UnicodeEncodeError."""
    with AtomicFile(path, "w", newline="", encoding="utf-8", errors="backslashreplace") as dst:
        w = csv.writer(dst.file)
        yield lambda row: w.writerow([csv_cell(c) for c in row])


def as_written(text: str) -> str:
    """``text`` as a UTF-8 file written with ``errors="backslashreplace"`` holds it: a lone
    surrogate (a byte of a name that is not UTF-8) as the six characters ``\\udcXX``."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def json_text(value: Any, **kw: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, **kw)`` that can be encoded as UTF-8: a lone
    surrogate (only ever inside a JSON string) becomes its JSON escape ``\\udcXX``."""
    return as_written(json.dumps(value, ensure_ascii=False, **kw))
