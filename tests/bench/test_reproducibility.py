"""bench.reproducibility: two output folders of the same evidence compared, timings and the
evidence's place left out."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
from PIL import Image

from bench.reproducibility import compare, main, report

ROW = {
    "path": "a.jpg",
    "file": "/evidence/a.jpg",
    "seconds": 1.5,
    "models": {"m": {"score": 0.25, "verdict": "authentic", "heatmap": "maps/a.jpg.m.png"}},
    "faces": [{"box": [1, 2, 3, 4], "face_scores": {"m": {"score": 0.5}}}],
    "details": {"m": {"seconds": 0.7, "input_policy": {"runtime": "openvino"}}},
}


def _folder(root: Path, row: dict, pixels: np.ndarray, csv: str = "path\na.jpg\n") -> Path:
    """An output folder of ``row`` with its heatmap of ``pixels`` where the row names it."""
    heatmap = root / row["models"]["m"]["heatmap"]
    heatmap.parent.mkdir(parents=True)
    (root / "results.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    (root / "results.csv").write_text(csv, encoding="utf-8")
    Image.fromarray(pixels).save(heatmap)
    return root


def test_a_rerun_that_differs_in_timings_and_place_only_is_identical(tmp_path: Path) -> None:
    """A copy of the evidence elsewhere has its own file-system times (rows' fs_times,
    results.csv's last columns): they differ by design, as its path does."""
    pixels = np.arange(64, dtype=np.uint8).reshape(8, 8)
    times = {"modified": "2021-05-03T00:00:00Z", "accessed": "2021-05-04T00:00:00Z"}
    first = ROW | {"evidence": {"fs_times": times}, "run": "2026-12-06T10:00:00+00:00"}
    again = copy.deepcopy(ROW) | {"file": "/elsewhere/a.jpg", "seconds": 9.0}
    again["run"] = "2026-12-06T11:00:00+00:00"  # each row names the run that wrote it
    again["details"]["m"]["seconds"] = 3.0
    again["evidence"] = {"fs_times": {"modified": "2026-12-05T00:00:00Z", "accessed": None}}
    head = "path,sha256,fs_times.modified,fs_times.accessed\n"
    a = _folder(tmp_path / "a", first, pixels, f"{head}a.jpg,00,2021-05-03T00:00:00Z,x\n")
    b = _folder(tmp_path / "b", again, pixels, f"{head}a.jpg,00,2026-12-05T00:00:00Z,\n")
    c = compare(a, b)
    assert c.identical and c.csv_same
    assert report(c)[-1] == "identical"
    assert main([str(a), str(b)]) == 0


def test_figures_verdicts_maps_and_the_csv_that_differ_are_each_reported(
    tmp_path: Path,
) -> None:
    pixels = np.zeros((8, 8), np.uint8)
    moved = pixels.copy()
    moved[0, :2] = 3  # two pixels of 64, three levels apart
    other = copy.deepcopy(ROW)
    other["models"]["m"] |= {"score": 0.2500004, "verdict": "manipulated"}
    other["faces"][0]["face_scores"]["m"]["score"] = 0.4
    other["details"]["m"]["input_policy"]["runtime"] = "torch"
    a = _folder(tmp_path / "a", ROW, pixels)
    b = _folder(tmp_path / "b", other, moved, csv="path\nb.jpg\n")
    c = compare(a, b)
    assert not c.identical and c.csv_same is False
    assert c.figures["models.m.score"] == abs(0.2500004 - 0.25)
    assert c.figures["faces[].face_scores.m.score"] == abs(0.4 - 0.5)
    assert c.maps == {"a.jpg model m": (3, 2 / 64)}
    lines = report(c)
    assert "VERDICT differs: a.jpg models.m.verdict: 'authentic' vs 'manipulated'" in lines
    assert "differs: a.jpg details.m.input_policy.runtime: 'openvino' vs 'torch'" in lines
    assert lines[-2:] == [
        "results.csv differs byte for byte (its file-system times aside)",
        "NOT identical",
    ]
    assert main([str(a), str(b)]) == 1


def test_maps_are_compared_wherever_their_rows_name_them(tmp_path: Path) -> None:
    """A file analysed again whole has its maps in maps.2/ (and maps mirror the evidence's
    sub-folders): only maps/*.png was compared, so a differing map there went unseen."""
    pixels = np.zeros((8, 8), np.uint8)
    moved = pixels.copy()
    moved[3, 3] = 9
    again = copy.deepcopy(ROW)
    again["models"]["m"]["heatmap"] = "maps.2/a.jpg.m.png"
    a = _folder(tmp_path / "a", ROW, pixels)
    b = _folder(tmp_path / "b", again, moved)
    c = compare(a, b)
    assert c.maps == {"a.jpg model m": (9, 1 / 64)} and not c.identical
    assert main([str(a), str(b)]) == 1
    deep = copy.deepcopy(ROW)
    deep["models"]["m"]["heatmap"] = "maps/sub/a.jpg.m.png"
    same = compare(a, _folder(tmp_path / "c", deep, pixels))  # the same bytes elsewhere
    assert same.identical, report(same)
    differs = compare(a, _folder(tmp_path / "d", deep, moved))
    assert differs.maps == {"a.jpg model m": (9, 1 / 64)}


def test_a_folder_without_results_is_one_line_not_a_traceback(tmp_path: Path, capsys) -> None:
    a = _folder(tmp_path / "a", ROW, np.zeros((4, 4), np.uint8))
    (tmp_path / "empty").mkdir()
    assert main([str(a), str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "empty holds no results.jsonl" in err
    (tmp_path / "empty" / "results.jsonl").write_text('{"path": "a.jpg", "sta\n')
    assert main([str(a), str(tmp_path / "empty")]) == 2
    assert "results.jsonl: line 1 is not a JSON row" in capsys.readouterr().err
