"""A resume with nothing new to analyse loads no model (walk-through 2026-12-05: a re-run of a
finished scan loaded every model, 7.9 s, then skipped every file), and writes its outputs as
before; a file that turns out to need the models (changed since) still gets them."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

import engine.checkpoints
from forensic_viewer.cli import main
from tests.conftest import write_rgb
from tests.viewer.conftest import scan_args


def _folder(tmp_path: Path) -> Path:
    d = tmp_path / "evidence"
    d.mkdir()
    write_rgb(d / "a.png", 70, 90, seed=1)
    write_rgb(d / "b.png", 40, 50, seed=2)
    (d / "notes.png").write_text("hello")  # fails on every run, before any model is needed
    return d


def test_a_resume_with_nothing_new_loads_no_model(
    tmp_path: Path, tiny_checkpoint: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    folder, out = _folder(tmp_path), tmp_path / "out"
    args = scan_args(folder, out, tiny_checkpoint, "--report", "json")
    assert main(args) == 1  # notes.png failed
    (out / "results.csv").unlink()
    (out / "report.json").unlink()
    capsys.readouterr()
    loads: list[Path] = []
    real = engine.checkpoints.load_checkpoint

    def counted(path, *a, **k):  # type: ignore[no-untyped-def]
        loads.append(Path(path))
        return real(path, *a, **k)

    monkeypatch.setattr(engine.checkpoints, "load_checkpoint", counted)
    assert main(args) == 1
    text = capsys.readouterr().out
    assert loads == []
    assert "nothing new to analyse: no model was loaded" in text
    assert "0 analysed, 2 already done" in text and "models loaded" not in text
    with (out / "results.csv").open(encoding="utf-8") as f:  # the outputs, written as before
        rows = {r["path"]: r for r in csv.DictReader(f)}
    assert set(rows) == {"a.png", "b.png", "notes.png"} and rows["a.png"]["tiny.verdict"]
    assert (out / "report.json").is_file()

    write_rgb(folder / "a.png", 70, 90, seed=5)  # changed since: it needs the models
    assert main(args) == 1
    text = capsys.readouterr().out
    assert len(loads) == 1 and "nothing new to analyse" not in text
    assert "1 analysed, 1 already done" in text
    assert re.search(r"models loaded in \d+\.\d s when a file needed them", text)
