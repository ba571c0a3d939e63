"""packaging/ensemble_figures.py: the default verdict's card figures stored in its file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.packaging.conftest import packaging_script
from tests.packaging.test_mask_area_cards import _names


def _setup(tmp_path: Path, faces: bool = True) -> tuple[Path, dict, Path]:
    ens = {"name": "ens", "threshold": 0.6, "calibration": {"reliability": {"flagged": {}}}}
    path = tmp_path / "ens.ensemble.json"
    path.write_text(json.dumps(ens, indent=2) + "\n", encoding="utf-8")
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    rows = []
    flags = {"camera-test": (True, False, False), "camera-val": (True, True)}
    for part, flagged in flags.items():
        for name, f in zip(_names(part, len(flagged)), flagged, strict=True):
            d = {"name": "ens", "verdict": "manipulated" if f else "authentic",
                 "forged_fraction": 0.3 if f else 0.01, "checkpoint_sha256": sha}  # fmt: skip
            rows.append({"path": name, "status": "ok", "details": {}, "ensemble_details": d})
    scan = tmp_path / "scan"
    scan.mkdir()
    (scan / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    info = {"face_models": {"faces": "0" * 64} if faces else {}}
    (scan / "scan.json").write_text(json.dumps(info), encoding="utf-8")
    detection = {"threshold": 0.6, "weights": {}, "test_image_auc": 0.8,
                 "test_image_auc_interval": [0.7, 0.9], "test_detection_by_kind": {"splice": 0.3}}  # fmt: skip
    return path, {"ensembles": {path.name: {"detection": detection}}}, scan


def test_the_scans_counts_and_the_verdict_reports_figures_go_into_the_file(tmp_path) -> None:
    path, report, scan = _setup(tmp_path)
    figures = packaging_script("ensemble_figures")
    figures.store(path, report, scan)
    rel = json.loads(path.read_text(encoding="utf-8"))["calibration"]["reliability"]
    assert rel["with_face_rule"] == {figures.TEST_HALF: [1, 3], figures.BOTH_HALVES: [3, 5]}
    assert rel["mask_on_authentic"] == {"median": 0.01, "largest": 0.3}  # the test half only
    assert rel["image_auc"] == [0.8, 0.7, 0.9] and rel["by_kind"] == {"splice": 0.3}
    assert "best epochs" in rel["optimistic"] and rel["target"] == 0.05
    figures.store(path, report, scan)  # again: the rows ran with the file as it was written
    assert json.loads(path.read_text(encoding="utf-8"))["calibration"]["reliability"] == rel


def test_figures_of_another_file_or_without_the_face_rule_are_refused(tmp_path) -> None:
    figures = packaging_script("ensemble_figures")
    path, report, scan = _setup(tmp_path)
    detection = report["ensembles"][path.name]["detection"]
    with pytest.raises(ValueError, match="is not the report's"):
        figures.store(
            path, {"ensembles": {path.name: {"detection": {**detection, "threshold": 0.5}}}}, scan
        )
    ens = json.loads(path.read_text(encoding="utf-8"))  # another file than the rows ran with
    path.write_text(json.dumps({**ens, "note": "changed"}, indent=2) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="ran from another file"):
        figures.store(path, report, scan)
    (tmp_path / "no-faces").mkdir()
    path, report, scan = _setup(tmp_path / "no-faces", faces=False)
    with pytest.raises(ValueError, match="without a face model"):
        figures.store(path, report, scan)
