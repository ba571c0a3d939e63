"""The machine-readable outputs say whose probability the default verdict's is: under the face
rule it may be a flagged face's, calibrated on face crops (forensic_viewer.probability_source).
The reports and the command line said so in words, while results.jsonl, results.csv and
report.json carried a bare ``probability`` that a reader takes for the image's."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

from forensic_viewer.probability_source import IMAGE, UNKNOWN, source_fields
from forensic_viewer.scan.records import FileRecord, parse_line, record_line
from forensic_viewer.scan.results import write_csv
from tests.viewer.test_report_court_reading import FROM_FACE, STACKED, _face_decided


def _csv(out: Path, records: list) -> dict[str, str]:
    write_csv(out, records, ["tiny"])
    with open(out / "results.csv", encoding="utf-8", newline="") as f:
        (row,) = csv.DictReader(f)
    return row


def test_results_jsonl_csv_and_report_json_name_the_faces_probability(tmp_path: Path) -> None:
    from forensic_viewer.report import item_from_analysis, write_report

    analysis = _face_decided()
    record = FileRecord.from_analysis("k.jpg", analysis, faces_checked=True, heatmaps=False)
    row = json.loads(record_line(record))  # as results.jsonl holds it
    assert row["probability_source"]["source"] == FROM_FACE
    assert row["probability_source"]["stacked_probability"] == pytest.approx(STACKED)
    assert parse_line(record_line(record)) == record  # read back as written

    cells = _csv(tmp_path / "scan", [record])
    assert cells["ensemble.probability_source"] == FROM_FACE
    assert cells["ensemble.stacked_probability"] == f"{STACKED:.6f}"
    assert float(cells["ensemble.probability"]) != pytest.approx(STACKED)  # the face's

    item = item_from_analysis(analysis, key="k.jpg", faces_checked=True)  # type: ignore[arg-type]
    paths = write_report([item], tmp_path / "r", ["json"])
    (entry,) = json.loads(paths["json"].read_text(encoding="utf-8"))["items"]
    assert entry["ensemble"]["probability_source"]["source"] == FROM_FACE
    assert entry["ensemble"]["probability_source"]["stacked_probability"] == pytest.approx(STACKED)
    assert entry["models"][0].get("probability_source") is None  # a member's is its own


def test_a_row_written_before_the_field_reads_and_gets_its_csv_cells(tmp_path: Path) -> None:
    """An older row has no ``probability_source``: it reads, is written back byte for byte,
    and its CSV cells are derived from its faces and terms as a new row's are."""
    record = FileRecord.from_analysis("k.jpg", _face_decided(), faces_checked=True, heatmaps=False)
    row = json.loads(record_line(record))
    del row["probability_source"]
    old = (json.dumps(row) + "\n").encode("utf-8")
    back = parse_line(old)
    assert back.probability_source is None and record_line(back) == old
    cells = _csv(tmp_path / "old", [back])
    assert cells["ensemble.probability_source"] == FROM_FACE
    assert cells["ensemble.stacked_probability"] == f"{STACKED:.6f}"


def test_the_source_is_the_image_unknown_or_none() -> None:
    face = {"f": {"verdict": "manipulated", "probability": 0.7}}
    rule = "x; on this file: face rule 'any': 1 face verdict(s) of f flag the image"
    bias = [{"contribution": 2.0}]  # σ(2) = 0.881, larger than the face's 0.7
    stacked = 1 / (1 + math.exp(-2.0))
    assert source_fields(stacked, rule, bias, [face]) == {
        "source": IMAGE,
        "stacked_probability": pytest.approx(stacked),
    }
    plain = source_fields(0.4, "no face rule here", None, [])
    assert plain == {"source": IMAGE, "stacked_probability": None}  # an ensemble not stacking
    lost = source_fields(0.95, rule, None, [face])  # moved by the face rule, no face's is it
    assert lost == {"source": UNKNOWN, "stacked_probability": None}
    assert source_fields(None, rule, bias, [face]) is None
