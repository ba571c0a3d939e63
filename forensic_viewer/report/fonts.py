"""The PDF report's fonts: which are used, and each string as the characters they draw.

Text uses a Unicode TrueType font (DejaVu Sans: the frozen build's own copy in
``BUNDLED_FONT_DIR``, else the system's; else reportlab's bundled Vera, which lacks θ, σ and ↔)
embedded in the file (:func:`fonts`). A character it cannot draw (a Chinese or Japanese
file name) is drawn in a fallback font found on the system (:func:`fallback_font`: Droid Sans
Fallback, WenQuanYi, Noto CJK, ... among ``FALLBACK_DIRS``; none is bundled or required), else
printed as its code point (``[U+8BC1]``), and the report says so once
(:func:`missing_glyphs_note`). A control or bidi-control character
(:func:`~forensic_viewer.wording.hidden`) is always printed as its code point (``[U+202E]``),
never obeyed; a byte of a file name that is not UTF-8 as that byte (``\\xff``). Every font file is read through :func:`engine.files.read_regular`.
"""

from __future__ import annotations

import fnmatch
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from engine.files import read_regular
from engine.formatting import byte_text
from forensic_viewer.wording import hidden

FONT_CANDIDATES = (
    # (regular, bold, mono) file names, searched in the folders below
    ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf"),
    ("Vera.ttf", "VeraBd.ttf", "VeraMono.ttf"),
)
# The frozen build ships DejaVu here (packaging/dist/forensic-viewer.spec), looked in before
# FONT_DIRS so that its PDFs look the same on every machine; a checkout or wheel has none
BUNDLED_FONT_DIR = Path(__file__).with_name("bundled_fonts")
FONT_DIRS = (  # the system's font folders
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
    Path("/usr/local/share/fonts"),
    Path("/Library/Fonts"),
    Path.home() / ".fonts",
)
# Where a font for the characters the report font lacks (CJK above all) is looked for, every
# folder below them included, and the file names tried, best first. reportlab reads TrueType
# outlines only: a CFF font (most Noto CJK .otf/.ttc files) fails to register and is passed over.
FALLBACK_DIRS = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".local" / "share" / "fonts",
    Path.home() / ".fonts",
    Path("/Library/Fonts"),
    Path("/System/Library/Fonts"),
    Path("C:/Windows/Fonts"),
)
FALLBACK_FILES = (
    "DroidSansFallbackFull.ttf",
    "DroidSansFallback.ttf",
    "wqy-microhei.ttc",
    "wqy-zenhei.ttc",
    "NotoSans*CJK*.tt[fc]",
    "NotoSans*CJK*.otf",
    "msyh.ttc",
    "simsun.ttc",
    "PingFang.ttc",
)
FALLBACK_FONT = "ReportFallback"  # its registered name


@dataclass(frozen=True)
class Fonts:
    regular: str
    bold: str
    mono: str
    coverage: frozenset[int] | None  # code points the regular font draws (None: cp1252)


_FONTS: Fonts | None = None


@dataclass(frozen=True)
class Fallback:
    """The font drawing what the report font cannot: its file and the code points it draws."""

    path: str
    coverage: frozenset[int]


_UNSEARCHED: Any = object()
_FALLBACK: Fallback | None = _UNSEARCHED


def _find(name: str) -> io.BytesIO | None:
    """The first font file ``name`` in the font folders (the bundled one first), read whole: the bytes through
    :func:`engine.files.read_regular` (a pipe or device named like the font is passed over, never
    waited on, and the file read is the one checked), given to reportlab from memory."""
    import reportlab

    for d in (BUNDLED_FONT_DIR, *FONT_DIRS, Path(reportlab.__file__).parent / "fonts"):
        try:
            data = read_regular(d / name)
        except OSError:  # none there, or not a regular file
            continue
        font = io.BytesIO(data)
        font.name = str(d / name)  # type: ignore[attr-defined]
        return font
    return None


def fonts() -> Fonts:
    """Register the report fonts once: a Unicode TTF family when one exists, else Helvetica."""
    global _FONTS
    if _FONTS is not None:
        return _FONTS
    for regular, bold, mono in FONT_CANDIDATES:
        r, b = _find(regular), _find(bold)
        if r is None:
            continue
        try:
            pdfmetrics.registerFont(TTFont("ReportSans", r))
            pdfmetrics.registerFont(TTFont("ReportSans-Bold", b or io.BytesIO(r.getvalue())))
            m = _find(mono)
            mono_name = "Courier"
            if m is not None:
                pdfmetrics.registerFont(TTFont("ReportMono", m))
                mono_name = "ReportMono"
        except Exception:  # a damaged font file: try the next family
            continue
        face = pdfmetrics.getFont("ReportSans").face
        coverage = frozenset(face.charToGlyph)
        _FONTS = Fonts("ReportSans", "ReportSans-Bold", mono_name, coverage)
        return _FONTS
    _FONTS = Fonts("Helvetica", "Helvetica-Bold", "Courier", None)
    return _FONTS


def fallback_font() -> Fallback | None:
    """The fallback font, looked for once, when a character the report font lacks is first
    met (a report without one reads no font folder): the first of ``FALLBACK_FILES`` below
    ``FALLBACK_DIRS`` that reportlab can register, read as the report fonts are (``_find``);
    None when there is none."""
    global _FALLBACK
    if _FALLBACK is not _UNSEARCHED:
        return _FALLBACK
    _FALLBACK = None
    for path in _fallback_files():
        try:
            data = read_regular(path)
        except OSError:
            continue
        try:
            font = TTFont(FALLBACK_FONT, io.BytesIO(data))
            pdfmetrics.registerFont(font)
        except Exception:  # CFF outlines, a damaged file: the next one
            continue
        _FALLBACK = Fallback(str(path), frozenset(font.face.charToGlyph))
        break
    return _FALLBACK


def _fallback_files() -> list[Path]:
    """The files of ``FALLBACK_DIRS`` (and their sub-folders) named as one of
    ``FALLBACK_FILES``, best first."""
    found: list[tuple[int, str]] = []
    for d in FALLBACK_DIRS:
        for root, _dirs, files in os.walk(d):  # a folder that is not there: nothing
            for name in files:
                rank = next(
                    (i for i, pat in enumerate(FALLBACK_FILES) if fnmatch.fnmatch(name, pat)), None
                )
                if rank is not None:
                    found.append((rank, os.path.join(root, name)))
    return [Path(p) for _, p in sorted(found)]


def _runs(
    s: str, f: Fonts, fallback: bool = False, missing: set[int] | None = None
) -> list[tuple[str, bool]]:
    """``s`` as (text, in the fallback font) runs: a character the report font lacks is drawn
    in the fallback font (``fallback``, when one draws it), else is its code point, added to
    ``missing``; a control or bidi control is always its code point (shown, never obeyed)."""
    out: list[tuple[str, bool]] = []
    for ch in s:
        cp = ord(ch)
        alt = False
        if ch in "\n\t":
            text = ch
        elif hidden(ch):  # a byte of a name that is not UTF-8 as that byte, as marked() does
            text = byte_text(ch) or f"[U+{cp:04X}]"
        elif cp in f.coverage if f.coverage is not None else _cp1252(ch):
            text = ch
        elif fallback and (fb := fallback_font()) is not None and cp in fb.coverage:
            text, alt = ch, True
        else:
            text = f"[U+{cp:04X}]"
            if missing is not None:
                missing.add(cp)
        if out and out[-1][1] == alt:
            out[-1] = (out[-1][0] + text, alt)
        else:
            out.append((text, alt))
    return out


def _cp1252(ch: str) -> bool:
    try:
        ch.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def drawable(s: str, f: Fonts) -> str:
    """``s`` in the report font alone (a page footer, the document's title): what it lacks
    as code points."""
    return "".join(text for text, _ in _runs(s, f))


def para_text(value: object, f: Fonts, missing: set[int] | None = None) -> str:
    """Plain text -> Paragraph markup: drawable characters, what the report font lacks in the
    fallback font, XML-escaped, line breaks kept; code points shown for want of a font are
    added to ``missing``."""
    out = []
    for text, alt in _runs(str(value), f, True, missing):
        markup = escape(text).replace("\n", "<br/>")
        out.append(f'<font name="{FALLBACK_FONT}">{markup}</font>' if alt else markup)
    return "".join(out)


def missing_glyphs_note(missing: set[int]) -> str:
    """The report's one note on the characters shown as code points for want of a font."""
    shown = ", ".join(f"[U+{cp:04X}]" for cp in sorted(missing)[:3])
    more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
    return (
        f"Some characters are shown as their code points ({shown}{more}): no font with their "
        "glyphs was found on this computer (such as Droid Sans Fallback, WenQuanYi Micro Hei "
        "or a TrueType Noto Sans CJK); an HTML or JSON report holds the text as it is."
    )
