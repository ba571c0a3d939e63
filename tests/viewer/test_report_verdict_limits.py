"""A report's limitations and caveat say what the default verdict's file records of it: the
camera false alarms with the face rule on first, then the stacked rule's own, splices against
copy-moves, the image AUC, the mask on authentic photographs and that the test figures are
optimistic (defence walk-through, 2026-12-06: a report said "2 of 30" alone, where the product,
face rule on, flags 4 of the 30; docs/VERDICTS.md, "Targets")."""

from __future__ import annotations

import json
from pathlib import Path

from forensic_viewer.report.limitations import ALL_FIGURES
from tests.conftest import write_calibrated_pair, write_rgb
from tests.engine.test_verdict_limits import _stored
from tests.viewer.conftest import scan_cli


def test_the_reports_limitations_give_the_face_rule_count_first(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    ensemble = write_calibrated_pair(tiny_checkpoint)
    data = json.loads(ensemble.read_text(encoding="utf-8"))
    data["calibration"]["reliability"] = _stored()
    ensemble.write_text(json.dumps(data), encoding="utf-8")
    folder = tmp_path / "evidence"
    folder.mkdir()
    write_rgb(folder / "a.png", 48, 40, seed=1)
    out = tmp_path / "out"
    assert scan_cli(folder, out, ensemble, "--report", "html,json") == 0
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    (line,) = [t for t in doc["limitations"] if t.startswith("pair:")]
    # in brief, the face rule's count first; the details are the models table's alone
    assert (
        line.index("4 of 30 authentic camera photographs (13 %)")
        < line.index("5 of 53 both halves (9 %)")
        < (line.index("Manipulated images flagged (without the face rule): 35 of 65"))
    )
    for said in ("target was not met here: 4 of 30 flagged", "optimistic", ALL_FIGURES):
        assert said in line and said in doc["caveat"]
    details = ("2 of 30 authentic camera photographs (7 %)", "35 % of splices and 79 % of "
               "copy-moves", "Image AUC 0.856 (95 % interval 0.78-0.92)",
               "median 3.1 % of the pixels, up to 11.1 %", "optimistic: its members'")  # fmt: skip
    (pair,) = [m for m in doc["models"] if m["name"] == "pair"]
    for said in details:
        assert said not in line and said not in doc["caveat"] and said in pair["reliability"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "13 % of authentic camera photographs (4 of 30)" not in html  # the old words
    assert "4 of 30 authentic camera photographs (13 %)" in html
    assert html.count("Image AUC 0.856") == 1  # the whole text once: the table of models
