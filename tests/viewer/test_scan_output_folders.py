"""Output folders of this program inside a scanned folder are results, not evidence.

The defect: a recursive scan skipped only its own output folder, so a resume of one scan of a
folder took the heatmaps and thumbnails of another scan made into that folder since as new
evidence files (rows, triage, report: a heatmap analysed as a photograph).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from forensic_viewer.scan.walk import is_output_folder, output_holds_folder, scan_files
from tests.conftest import write_rgb
from tests.viewer.conftest import scan_cli


def _evidence(root: Path) -> Path:
    (root / "sub").mkdir(parents=True)
    write_rgb(root / "a.png", 40, 48, seed=1)
    write_rgb(root / "sub" / "b.jpg", 40, 48, seed=2, fmt="JPEG")
    return root


def test_a_listing_passes_over_other_output_folders_and_says_which(tmp_path: Path) -> None:
    ev = _evidence(tmp_path / "ev")
    scan = ev / "earlier-scan"
    (scan / "maps").mkdir(parents=True)
    (scan / "scan.json").write_text("{}", encoding="utf-8")
    (scan / "results.jsonl").write_text("", encoding="utf-8")
    write_rgb(scan / "maps" / "a.png.tiny.png", 40, 48, seed=3)
    probe = ev / "sub" / "probe-out"
    (probe / "probe-maps").mkdir(parents=True)
    (probe / "probe.json").write_text("{}", encoding="utf-8")
    write_rgb(probe / "probe-maps" / "jpeg-90.tiny.png", 40, 48, seed=4)
    alike = ev / "looks-like-one"  # only one of the two files: evidence as any folder
    alike.mkdir()
    (alike / "scan.json").write_text("{}", encoding="utf-8")
    write_rgb(alike / "c.png", 40, 48, seed=5)
    outputs: list[Path] = []
    files = scan_files(ev, True, exclude=ev / "this-scan", outputs=outputs)
    assert [k for _, k in files] == ["a.png", "looks-like-one/c.png", "sub/b.jpg"]
    assert outputs == [scan, probe]
    assert is_output_folder(scan) and not is_output_folder(alike)
    assert [k for _, k in scan_files(ev, False)] == ["a.png"]


def test_a_resume_does_not_scan_another_scans_maps_as_evidence(
    tmp_path: Path, tiny_checkpoint: Path, capsys: Any
) -> None:
    ev = _evidence(tmp_path / "ev")
    first, second = ev / "scan-1", ev / "scan-2"
    assert scan_cli(ev, first, tiny_checkpoint, "--recursive") == 0
    assert scan_cli(ev, second, tiny_checkpoint, "--recursive") == 0
    capsys.readouterr()
    assert scan_cli(ev, first, tiny_checkpoint, "--recursive") == 0  # the resume
    said = capsys.readouterr().err
    for out in (first, second):
        lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
        assert sorted({json.loads(x)["path"] for x in lines}) == ["a.png", "sub/b.jpg"]
    assert "1 output folder(s) of this program passed over" in said and "scan-2" in said


def test_an_output_folder_that_is_or_holds_the_scanned_one_is_refused_saying_so(
    tmp_path: Path, tiny_checkpoint: Path, capsys: Any
) -> None:
    """The listing passes over every file under the output folder: given the scanned folder
    itself, or a folder holding it, the scan said "no images to analyse" of a folder full of
    them."""
    ev = _evidence(tmp_path / "case" / "ev")
    for out in (ev, tmp_path / "case"):
        capsys.readouterr()
        assert scan_cli(ev, out, tiny_checkpoint, "--recursive") == 2
        said = capsys.readouterr().err
        assert f"the output folder {out}" in said and "choose an output folder" in said
        assert "no images" not in said
        assert not (out / "scan.json").exists() and not (out / "results.jsonl").exists()
    assert output_holds_folder(ev, ev / "out") is None
    assert output_holds_folder(ev, tmp_path / "elsewhere") is None
