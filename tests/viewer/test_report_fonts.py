"""The PDF report's characters its font lacks (forensic_viewer.report.fonts): a Chinese file
name printed as [U+8BC1][U+636E]... with no word why. A CJK font of the system now draws them;
without one, the code points stay and the report says once that no font was found."""

from __future__ import annotations

import ast
import fnmatch
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from forensic_viewer.report import fonts, write_report
from tests.conftest import HANG_S, run_bounded
from tests.viewer.test_report_audit import heatmap_item

NAME = "证据照片.png"  # U+8BC1 U+636E U+7167 U+7247
NOTE = "no font with their glyphs was found"


def _report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dirs: tuple[Path, ...]):
    """The PDF of two files named in Chinese, the fallback font looked for in ``dirs``:
    (its text, whitespace as single spaces; the names of the fonts it embeds)."""
    monkeypatch.setattr(fonts, "FALLBACK_DIRS", dirs)
    monkeypatch.setattr(fonts, "_FALLBACK", fonts._UNSEARCHED)  # looked for again
    items = [heatmap_item(NAME, 32, 32), heatmap_item("b-" + NAME, 32, 32)]
    pdf = write_report(items, tmp_path / "r", ["pdf"])["pdf"]
    reader = PdfReader(pdf)
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    used = {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    return text, used


def test_without_a_font_for_them_the_code_points_stay_and_the_report_says_why_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "no-fonts"
    empty.mkdir()
    text, _ = _report(tmp_path, monkeypatch, (empty,))
    assert "[U+8BC1][U+636E][U+7167][U+7247].png" in text
    assert text.count(NOTE) == 1, text
    assert "code points ([U+636E], [U+7167], [U+7247] and 1 more)" in text


def _embeddable_cjk_font() -> str | None:
    """A CJK font fontconfig lists that the report's search would take (a file named as one
    of FALLBACK_FILES below FALLBACK_DIRS) and reportlab can embed (TrueType outlines)."""
    from reportlab.pdfbase.ttfonts import TTFont

    if shutil.which("fc-list") is None:
        return None
    listed = subprocess.run(
        ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=HANG_S
    ).stdout
    for line in listed.splitlines():
        path = Path(line.strip().rstrip(":"))
        named = any(fnmatch.fnmatch(path.name, p) for p in fonts.FALLBACK_FILES)
        if named and any(path.is_relative_to(d) for d in fonts.FALLBACK_DIRS):
            try:
                TTFont("probe", str(path))
            except Exception:
                continue
            return str(path)
    return None


def test_a_cjk_font_of_the_system_draws_the_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = _embeddable_cjk_font()
    if found is None:
        pytest.skip("no CJK font reportlab can embed here (fc-list :lang=zh, TrueType outlines)")
    text, used = _report(tmp_path, monkeypatch, fonts.FALLBACK_DIRS)
    assert "[U+" not in text and NOTE not in text, text
    assert NAME in text
    fallback = fonts.fallback_font()
    assert fallback is not None
    face = fonts.TTFont("check", fallback.path).face.name.decode()
    assert any(face in name for name in used), (face, used)


def test_code_points_first_met_in_a_files_section_are_noted_once_at_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The PDF is laid out as it is written, so a character no font draws that only a file's
    metadata holds is met after the notes were laid out: it is said once, at the end."""
    empty = tmp_path / "no-fonts"
    empty.mkdir()
    monkeypatch.setattr(fonts, "FALLBACK_DIRS", (empty,))
    monkeypatch.setattr(fonts, "_FALLBACK", fonts._UNSEARCHED)
    item = heatmap_item("plain.png", 32, 32)
    item.evidence["metadata"] = {"exif:Artist": "证据"}
    pdf = write_report([item], tmp_path / "r", ["pdf"])["pdf"]
    pages = [" ".join(p.extract_text().split()) for p in PdfReader(pdf).pages]
    assert "[U+8BC1][U+636E]" in " ".join(pages)
    assert sum(p.count(NOTE) for p in pages) == 1
    assert NOTE in pages[-1] and NOTE not in pages[0]


def _report_characters() -> set[str]:
    """Every character beyond ASCII in the text the report's code writes (its string
    constants, docstrings left out): θ, σ, ↔, —, ≤, ..."""
    root = Path(fonts.__file__).parents[2]
    sources = [*(root / "forensic_viewer" / "report").glob("*.py")]
    sources += [root / "forensic_viewer" / f for f in ("wording.py", "environment.py")]
    sources.append(root / "engine" / "formatting.py")
    found: set[str] = set()
    for source in sources:
        tree = ast.parse(source.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and ast.get_docstring(node, clean=False) is not None
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if id(node) not in docstrings:
                    found.update(ch for ch in node.value if ord(ch) > 0x7E)
    return found


def _missing_with(bundled: Path, characters: set[str]) -> str:
    """Which of ``characters`` the report font lacks on a machine without system fonts, with
    ``bundled`` as the frozen build's font folder (in a child: reportlab keeps the first font
    registered under a name for the life of the process); "mono" added when the mono font is
    not the bundled one."""
    return run_bounded(
        """
        import sys
        from pathlib import Path
        from forensic_viewer.report import fonts

        fonts.BUNDLED_FONT_DIR, fonts.FONT_DIRS = Path(sys.argv[1]), ()
        f = fonts.fonts()
        print("".join(sorted(ch for ch in sys.argv[2] if ord(ch) not in f.coverage)), end="")
        print("" if f.mono == "ReportMono" else " mono", end="")
        """,
        bundled,
        "".join(sorted(characters)),
    )


def test_the_frozen_builds_fonts_draw_every_character_the_report_writes(tmp_path: Path) -> None:
    """On a machine without DejaVu the frozen build's PDF fell back to reportlab's Vera and
    printed θ as [U+03B8] 223 times (walk-through pkg, finding 4). The spec ships the system's
    DejaVu Sans, Bold and Mono into BUNDLED_FONT_DIR, looked in first."""
    system = next((d for d in fonts.FONT_DIRS if (d / "DejaVuSans.ttf").is_file()), None)
    if system is None:
        pytest.skip("no DejaVu on this machine (the frozen build needs it: fonts-dejavu-core)")
    used = _report_characters()
    assert {"θ", "σ", "↔", "—"} <= used, used
    empty = tmp_path / "none"
    empty.mkdir()
    assert "θ" in _missing_with(empty, used)  # what the frozen build had: reportlab's Vera
    bundled = tmp_path / "bundled_fonts"
    bundled.mkdir()
    for name in fonts.FONT_CANDIDATES[0]:  # as the spec copies them
        shutil.copy(system / name, bundled / name)
    assert _missing_with(bundled, used) == ""
