"""The loader's warnings of a colour profile not applied and of an orientation tag outside
1-8 reach a scan's row, results.csv and the report, as every decode warning does.

The checkpoint has random weights: these tests check plumbing, never that a finding is right.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

import numpy as np
from PIL import Image

from forensic_viewer.cli import main
from tests.engine.test_io_profile_orientation import icc_profile


def test_analyze_carries_the_profile_and_orientation_warnings(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    pixels = np.random.default_rng(3).integers(0, 256, (64, 72, 3), np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 9
    image = tmp_path / "wide.jpg"
    Image.fromarray(pixels).save(image, icc_profile=icc_profile("Display P3"), exif=exif.tobytes())
    out = tmp_path / "out"
    args = ["analyze", str(image), "--out", str(out), "--model", str(tiny_checkpoint)]
    assert main([*args, "--no-faces", "--report", "html"]) == 0
    (row,) = [json.loads(r) for r in (out / "results.jsonl").read_text().splitlines()]
    profile = (
        "embedded colour profile 'Display P3' not applied: colours shown and analysed as stored"
    )
    orientation = "EXIF orientation 9 is not a valid value (1-8): pixels as stored"
    warnings = row["evidence"]["warnings"]
    assert [w for w in warnings if w.startswith(profile)] and orientation in warnings
    csv = (out / "results.csv").read_text(encoding="utf-8")
    assert profile in csv and orientation in csv
    (html,) = out.glob("*.html")
    assert escape(profile) in html.read_text(encoding="utf-8")
    capsys.readouterr()
