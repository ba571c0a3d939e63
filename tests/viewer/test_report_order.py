"""A scan's report numbers its files in the order of the folder's listing, not the order the
rows were written in (walk-through 2026-12-06: with ``--jobs 2`` two runs of one folder
numbered the files differently, ...02502, 03711, 02967...)."""

from __future__ import annotations

import json
from pathlib import Path

from forensic_viewer.cli import main
from forensic_viewer.report import scan_source, write_report
from forensic_viewer.scan.walk import iter_images, listing_order, rel_key
from tests.conftest import write_rgb
from tests.viewer.conftest import scan_args


def test_listing_order_is_the_walk_s_order() -> None:
    keys = ["b.png", "sub/z/c.png", "a.png", "sub/b.png", "sub-x.png", "sub/a/x.png", "a/y.png"]
    assert sorted(keys, key=listing_order) == [
        "a.png", "b.png", "sub-x.png", "a/y.png", "sub/b.png", "sub/a/x.png", "sub/z/c.png",
    ]  # fmt: skip


def test_rows_written_out_of_order_are_reported_in_listing_order(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    folder, out = tmp_path / "evidence", tmp_path / "out"
    for i, name in enumerate(["b.png", "a.png", "sub/d.png", "sub/c.png", "z.png"]):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        write_rgb(folder / name, 40, 50, seed=i)
    assert main(scan_args(folder, out, tiny_checkpoint, "--recursive")) == 0
    listed = [rel_key(p, folder) for p in iter_images(folder, recursive=True)]
    assert listed == ["a.png", "b.png", "z.png", "sub/c.png", "sub/d.png"]
    results = out / "results.jsonl"
    lines = results.read_text("utf-8").splitlines(keepends=True)
    assert len(lines) == 5
    results.write_text("".join([lines[i] for i in (3, 0, 4, 2, 1)]), "utf-8")  # as finished

    assert [i.key for i in scan_source(out).items()] == listed
    given = list(reversed(listed))  # as a run's on_file calls gave them
    assert [i.key for i in scan_source(out, given).items()] == listed
    paths = write_report(scan_source(out, given), tmp_path / "r", ["json", "html"])
    report = json.loads(paths["json"].read_text("utf-8"))
    assert [(i["index"], i["path"]) for i in report["items"]] == list(enumerate(listed, 1))
    assert [r["path"] for r in report["summary"]] == listed
