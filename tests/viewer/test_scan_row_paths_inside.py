"""The files a results row names are read (or removed) only inside the output folder.

Found by a security walk-through: a row edited so that its heatmap was
``maps/../../victim/...`` and its thumbnail an absolute path was taken by ``report
--accept-edited-results`` without a word about the paths, and the report read those files (the
row's recorded SHA-256, edited alike, let them through). A resume removing the files an old
row names could remove such a file too. Now a name that leaves the folder, links followed, is
taken as missing, with one line naming the row and the path.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from engine.errors import ForensicError
from forensic_viewer.report.model import scan_source
from forensic_viewer.scan.maps import row_file
from forensic_viewer.scan.records import ErrorRecord
from forensic_viewer.scan.replay import analysis_from_record
from forensic_viewer.scan.triage import load_thumbnail, triage_rows
from forensic_viewer.scan.upgrade import remove_left_behind
from tests.conftest import write_rgb
from tests.viewer.conftest import scan_cli


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def edited(tmp_path: Path, tiny_checkpoint: Path) -> tuple[Path, Path, Path]:
    """A scan of one file whose row is then edited to name files outside the output folder
    (with their SHA-256, as an editor would): the heatmap ``maps/../../victim/heat.png``, the
    thumbnail the absolute path of ``victim/thumb.jpg``. The output folder, the victim folder,
    the evidence file."""
    ev = tmp_path / "ev"
    ev.mkdir()
    write_rgb(ev / "a.png", 40, 48, seed=1)
    out = tmp_path / "out"
    assert scan_cli(ev, out, tiny_checkpoint) == 0
    victim = tmp_path / "victim"
    victim.mkdir()
    write_rgb(victim / "heat.png", 40, 48, seed=2)
    write_rgb(victim / "thumb.jpg", 16, 16, seed=3, fmt="JPEG")
    row = json.loads((out / "results.jsonl").read_text())
    heat, thumb = "maps/../../victim/heat.png", str(victim / "thumb.jpg")
    row["models"]["tiny"]["heatmap"] = heat
    row["thumbnail"] = thumb
    row["files_sha256"] = {heat: _sha(victim / "heat.png"), thumb: _sha(victim / "thumb.jpg")}
    (out / "results.jsonl").write_text(json.dumps(row) + "\n")
    return out, victim, ev / "a.png"


def test_a_report_takes_a_row_named_file_outside_the_folder_as_missing_saying_so(
    edited: tuple[Path, Path, Path], caplog: Any
) -> None:
    out, victim, _ = edited
    caplog.set_level(logging.WARNING)
    (item,) = list(scan_source(out).items())
    assert item.models[0].heatmap_file is None and item.models[0].load_heatmap() is None
    assert item.thumbnail_file is None
    said = [r.getMessage() for r in caplog.records]
    for name in ("maps/../../victim/heat.png", str(victim / "thumb.jpg")):
        (line,) = [m for m in said if name in m]
        assert line.startswith(f"{out}: the row of a.png ") and "outside this folder" in line


def test_the_triage_thumbnail_and_the_viewers_replay_do_not_read_outside(
    edited: tuple[Path, Path, Path],
) -> None:
    from engine.io import load_evidence

    out, _, evidence = edited
    (row,) = list(triage_rows(out))
    assert load_thumbnail(out, row, from_evidence=False) is None
    record = json.loads((out / "results.jsonl").read_text())
    with pytest.raises(ForensicError, match="outside the scan's output folder"):
        analysis_from_record(record, out, load_evidence(evidence))


def test_a_resume_never_removes_a_file_an_old_row_names_outside_the_folder(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    (out / "maps").mkdir(parents=True)
    (out / "maps" / "a.png.m.png").write_bytes(b"old map")
    victim = tmp_path / "evidence.jpg"
    victim.write_bytes(b"\xff\xd8 the evidence")
    before = {"maps/a.png.m.png", "maps/../../evidence.jpg", str(victim)}
    remove_left_behind(out, before, ErrorRecord(path="a.png", error="a.png: damaged"))
    assert victim.read_bytes() == b"\xff\xd8 the evidence"
    assert not (out / "maps" / "a.png.m.png").exists()  # its own: removed as before


def test_row_file_follows_links_and_keeps_names_inside(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "maps").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (out / "maps" / "sub").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    assert row_file(out, "maps/x.png", "x") == out / "maps" / "x.png"  # missing: still inside
    assert row_file(out, "maps/sub/x.png", "x") is None
    assert row_file(out, "thumbs/../maps/x.png", "x") == out / "thumbs/../maps/x.png"
    assert row_file(out, ".", "x") is None


def test_ground_truth_scoring_takes_a_map_named_outside_the_folder_as_missing(
    edited: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    """scan --gt (and the ground-truth panel) read a row's maps through ``out / name``: the
    edited row's heatmap outside the folder, made a valid map of the evidence's size, was
    scored as the model's map. It is now the file's problem line, its image unscored."""
    import numpy as np
    from PIL import Image

    from forensic_viewer.scan.groundtruth import evaluate_scan, read_truth

    out, victim, evidence = edited
    Image.fromarray(np.full((40, 48), 200, np.uint8)).save(victim / "heat.png")
    row = json.loads((out / "results.jsonl").read_text())
    row["files_sha256"]["maps/../../victim/heat.png"] = _sha(victim / "heat.png")
    (out / "results.jsonl").write_text(json.dumps(row) + "\n")
    mask = tmp_path / "mask.png"
    Image.fromarray(np.eye(40, 48, dtype=np.uint8) * 255).save(mask)
    (tmp_path / "list.json").write_text(json.dumps([[str(evidence), str(mask)]]))
    result = evaluate_scan(out, read_truth(tmp_path / "list.json"))
    assert result.files == []
    (line,) = [p for p in result.problems if "victim" in p]
    assert line == (
        f"{out / 'maps/../../victim/heat.png'}: is outside the scan's output folder: not read"
    )
