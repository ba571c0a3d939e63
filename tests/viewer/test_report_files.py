"""A report reads a scan's map files and its fonts once, through :mod:`engine.files`: a named
pipe named like a heatmap or a classic analysis's map is a note naming the file (it was called
"missing" by a check by name before the read), and a font file swapped for a pipe after the
font folders were looked through is passed over, never waited on.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from forensic_viewer.cli import main
from forensic_viewer.report import scan_source, write_report
from tests.conftest import HANG_S, run_bounded

pytestmark = [
    pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX"),
    pytest.mark.timeout(HANG_S),
]

NOT_REGULAR = "not a regular file (a device, pipe or socket)"


def test_a_pipe_named_like_a_map_is_a_note_naming_it_and_the_report_is_written(
    tmp_path: Path,
) -> None:
    from tests.viewer.test_records import _checkpoint

    folder = tmp_path / "evidence"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in ("a.png", "b.png"):
        Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(folder / name)
    ckpt = _checkpoint(tmp_path / "tiny.safetensors", "tiny", 0)
    out = tmp_path / "out"
    args = ["scan", str(folder), "--out", str(out), "--model", str(ckpt), "--no-faces"]
    assert main([*args, "--analyses", "ela"]) == 0
    maps = sorted((out / "maps").iterdir())
    heat_a = next(p for p in maps if p.name.startswith("a.png") and "tiny" in p.name)
    ela_a = next(p for p in maps if p.name.startswith("a.png") and "ela" in p.name)
    heat_b = next(p for p in maps if p.name.startswith("b.png") and "tiny" in p.name)
    for p in (heat_a, ela_a):
        p.unlink()
        os.mkfifo(p)
    heat_b.unlink()  # a map really missing is still said to be missing

    paths = write_report(scan_source(out), tmp_path / "report", ("json", "pdf"))
    items = {i["path"]: i for i in json.loads(paths["json"].read_text("utf-8"))["items"]}
    notes_a = items["a.png"]["figure_notes"]
    assert f"tiny: {heat_a}: map cannot be read: {NOT_REGULAR}; no figure" in notes_a, notes_a
    assert f"analysis ela: {ela_a}: map cannot be read: {NOT_REGULAR}; no figure" in notes_a
    assert items["b.png"]["figure_notes"] == ["tiny: the heatmap file is missing; no figure"]
    assert paths["pdf"].stat().st_size > 0


def test_a_font_swapped_for_a_pipe_after_the_look_is_passed_over(tmp_path: Path) -> None:
    # The font folders used to be looked through with is_file() and the font then opened by
    # name; the child makes is_file() say yes to the pipe, as a swap after the look would.
    out = run_bounded(
        """
        import os, sys
        from pathlib import Path
        from forensic_viewer.report import fonts

        first = Path(sys.argv[1])
        os.mkfifo(first / "DejaVuSans.ttf")
        fonts.FONT_DIRS = (first, *fonts.FONT_DIRS)
        Path.is_file = lambda self: True
        f = fonts.fonts()
        print("FONTS", f.regular, f.coverage is not None)
        """,
        tmp_path,
    )
    assert "FONTS ReportSans True" in out, out
