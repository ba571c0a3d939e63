"""Review R, finding 7: groundtruth.json said every map was quantised with no pixel moved across
its own threshold or 0.5, also of the maps a resumed scan kept from runs before that rule, whose
plain rounding can put such pixels on the other side. Each row now records its maps' encoding
(``map_levels``), and the precision sentence says which files' maps do not."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from forensic_viewer.cli import main
from forensic_viewer.scan import encoded, maps, records
from forensic_viewer.scan.groundtruth import GT_NAME
from forensic_viewer.scan.records import MAP_LEVELS
from forensic_viewer.scan.truth_lines import KEPT_PRECISION
from tests.conftest import write_rgb


def _plain_png(heatmap: np.ndarray, keep: object = None) -> bytes:
    """A map file as scans wrote it before 2026-12-06: round(255 p), no threshold kept."""
    return maps.heatmap_png(heatmap, keep=())


def _scan(root: Path, out: Path, checkpoint: Path, *gt: str) -> int:
    return main(
        ["scan", str(root / "Tp"), "--out", str(out), "--model", str(checkpoint), "--no-faces",
         *gt]
    )  # fmt: skip


def _rows(out: Path) -> dict[str, dict]:
    lines = (out / "results.jsonl").read_text().splitlines()
    return {r["path"]: r for r in map(json.loads, lines)}


def test_a_scan_resumed_over_plain_rounded_maps_says_which_files_hold_them(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    root, out = tmp_path / "data", tmp_path / "out"
    (root / "Tp").mkdir(parents=True)
    (root / "Gt").mkdir()
    for i, name in enumerate(("a", "b")):
        write_rgb(root / "Tp" / f"{name}.png", 24, 32, seed=i)
        mask = np.zeros((24, 32), np.uint8)
        mask[4:16, 6:20] = 255
        Image.fromarray(mask).save(root / "Gt" / f"{name}.png")
    (root / "Tp" / "b.png").rename(tmp_path / "b.png")  # not there yet in the first run
    with monkeypatch.context() as old:  # the first run, by a version before map_levels
        old.setattr(encoded, "heatmap_png", _plain_png)
        old.setattr(records, "MAP_LEVELS", None)
        assert _scan(root, out, tiny_checkpoint) == 0
    assert "map_levels" not in _rows(out)["a.png"]  # as such a version wrote it
    (tmp_path / "b.png").rename(root / "Tp" / "b.png")
    capsys.readouterr()
    assert _scan(root, out, tiny_checkpoint, "--gt", str(root)) == 0  # resumed: a.png kept
    said = capsys.readouterr().out
    rows = _rows(out)
    assert rows["b.png"]["map_levels"] == MAP_LEVELS and "map_levels" not in rows["a.png"]
    gt = json.loads((out / GT_NAME).read_text())
    assert {f["path"] for f in gt["files"]} == {"a.png", "b.png"}
    assert gt["precision"] != KEPT_PRECISION
    assert gt["levels_unrecorded"] == ["a.png"]
    assert (
        "1 of the 2 files' maps were written before their encoding was recorded"
        in (gt["precision"])
    )
    assert "maps of 1 of 2 files written before their encoding was recorded (first: a.png)" in said
    # a scan whose every row records it says the kept thresholds, and no such line
    again = tmp_path / "again"
    assert _scan(root, again, tiny_checkpoint, "--gt", str(root)) == 0
    gt = json.loads((again / GT_NAME).read_text())
    assert (gt["precision"], gt["levels_unrecorded"]) == (KEPT_PRECISION, [])
    assert "written before their encoding" not in capsys.readouterr().out
