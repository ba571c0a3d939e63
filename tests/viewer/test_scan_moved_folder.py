"""A resume into a scan's output folder whose evidence folder is at another path is refused
naming both paths and what to do.

A hand-over walk-through (2026-12-06, finding 5): the evidence mounted at a new path, the same
models and settings: ``scan NEW --out A-out`` said "holds results made with other models or
settings (source differ: scan.json); choose another output folder", naming neither path.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import write_rgb
from tests.viewer.conftest import scan_cli


def test_a_scan_of_the_folder_at_a_new_path_is_refused_naming_both(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    ev, out = tmp_path / "ev", tmp_path / "out"
    ev.mkdir()
    write_rgb(ev / "a.png", 40, 48, seed=1)
    assert scan_cli(ev, out, tiny_checkpoint) in (0, 1)
    before = (out / "scan.json").read_bytes()
    moved = ev.rename(tmp_path / "mnt2")
    capsys.readouterr()
    assert scan_cli(moved, out, tiny_checkpoint) == 2
    err = capsys.readouterr().err
    (line,) = [x for x in err.splitlines() if "holds the results of a scan" in x]
    assert f"a scan of {ev.resolve()}, not of {moved.resolve()}" in line
    assert "only the folder's path differs" in line and "other models" not in line
    assert f"readable at {ev.resolve()} again" in line and "choose another output folder" in line
    # the report of what is there needs no run (it said no command wrote one: `report` does)
    assert line.endswith(f"needs no run: forensic-viewer report {out})")
    assert (out / "scan.json").read_bytes() == before  # refused before anything was written
    # another setting too: the general refusal, its settings named
    info = json.loads(before)
    info["exact"] = not info.get("exact")
    (out / "scan.json").write_text(json.dumps(info))
    assert scan_cli(moved, out, tiny_checkpoint) == 2
    assert "other models or settings (" in capsys.readouterr().err
