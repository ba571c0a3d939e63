"""bench.evidence_forgeries: forgeries of one half of the photographs only, and its summary."""

from __future__ import annotations

import json
from pathlib import Path

from bench.evidence_forgeries import make_forgeries, summary
from tests.conftest import write_rgb
from trainer.verdict_features import photo_part


def test_forgeries_come_from_one_half_and_are_made_once(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(8):
        write_rgb(photos / f"cam{i}.png", 96, 128, seed=i)
    val = {p.stem for p in photos.iterdir() if photo_part(p.name) == "camera-val"}
    assert 2 <= len(val) < 8  # both halves hold some of these names
    data = make_forgeries(photos, "val", tmp_path / "out", 2, 101)
    sources = json.loads((data / "sources.json").read_text())
    used = {s for names in sources.values() for s in names}
    assert used == val  # hosts and donors from the validation half only
    assert len(list((data / "Tp").iterdir())) == 2 * len(val)
    assert len(list((data / "Au").iterdir())) == len(val)
    stamp = (data / "sources.json").stat().st_mtime_ns
    assert make_forgeries(photos, "val", tmp_path / "out", 2, 101) == data
    assert (data / "sources.json").stat().st_mtime_ns == stamp  # not made again


def test_summary_counts_what_each_model_flagged(tmp_path: Path) -> None:
    def row(label: int, kind: str, verdict: str, score: float) -> dict:
        m = {"score": score, "verdict": verdict, "logit": None}
        return {"path": f"{kind}{score}", "label": label, "kind": kind, "models": {"net": m}}

    rows = [
        row(1, "splice", "manipulated", 0.9),
        row(1, "splice", "authentic", 0.4),
        row(1, "copymove", "manipulated", 0.8),
        row(0, "authentic", "authentic", 0.1),
        row(0, "authentic", "manipulated", 0.7),
    ]
    (tmp_path / "rows-0.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    lines = summary(tmp_path)
    assert lines[0] == "5 images: 3 forgeries, 2 authentic"
    assert "forgeries 2/3 (copymove 1/1, splice 1/2), authentic 1/2" in lines[1]
    assert "AUC 0.833" in lines[1]  # 5 of the 6 forged/authentic pairs ranked right
