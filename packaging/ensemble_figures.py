"""Store in a bundled ensemble file what its card says of its default verdict, so that every
result says it beside the measured counts, and so every report, the viewer and the command line
(``engine.calibration.Reliability``: ``with_face_rule``, ``target``, ``image_auc``,
``by_kind``, ``mask_on_authentic``, ``optimistic``).

    python packaging/ensemble_figures.py runs/verdict/report.json runs/camscan

From the report of ``forensic-train verdict`` that made the file's θ and counts: the test
part's image AUC with its interval, the share of splices and copy-moves flagged, and what the
test part took part in choosing (the card's "Test part" caveat, :data:`STACKED_OPTIMISTIC`). From a
finished scan of the authentic camera photographs with the product (``forensic-viewer scan``,
faces on, so the face rule applied as it does for a user): how many photographs the default
verdict flags, on the test half and on both halves (docs/VERDICTS.md, "Targets", took its
"4 of 30" from such a scan), and how much of a test-half photograph its mask marks (as
``packaging/mask_area_cards.py`` writes into the card). A report once said "2 of 30" alone,
the count without the face rule, where the product flags 4 (defence walk-through 2026-12-06).

Figures of another file are refused: the report's θ must be the file's, and the scan's rows
must have run with this file (its SHA-256 as the verdict step wrote it, that is without the
figures stored here). Running the script again replaces them.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import sys
from pathlib import Path
from typing import Any

from trainer.verdict import FALSE_ALARM_TARGET
from trainer.verdict_features import photo_part

sys.path.insert(0, str(Path(__file__).resolve().parent))  # a script beside its siblings

from mask_area_cards import PART, finished_scan, row_models
from verdict_cards import STACKED_OPTIMISTIC

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "resources" / "models"
FIGURES = ("with_face_rule", "target", "image_auc", "by_kind", "mask_on_authentic", "optimistic")
TEST_HALF = "authentic camera photographs"  # the name the verdict step's counts use
BOTH_HALVES = "authentic camera photographs of the test and validation halves together"


def written_sha256(ensemble: dict[str, Any]) -> str:
    """The SHA-256 of ``ensemble`` as ``forensic-train verdict`` writes it (indent 2, a final
    newline), without the figures this script stores: the file the scan's rows ran with."""
    plain = json.loads(json.dumps(ensemble))
    rel = (plain.get("calibration") or {}).get("reliability") or {}
    for key in FIGURES:
        rel.pop(key, None)
    return hashlib.sha256((json.dumps(plain, indent=2) + "\n").encode()).hexdigest()


def scan_figures(scan: Path, sha: str) -> dict[str, Any]:
    """``with_face_rule`` and ``mask_on_authentic`` from the rows of ``scan``, which must have
    run the ensemble of SHA-256 ``sha`` with a face model (else ``ValueError`` naming it)."""
    info = json.loads((scan / "scan.json").read_text(encoding="utf-8"))
    if not info.get("face_models"):
        raise ValueError(f"{scan}: the scan ran without a face model: not as the product runs")
    results = scan / "results.jsonl"
    flagged = {TEST_HALF: [0, 0], BOTH_HALVES: [0, 0]}
    shares = []
    for row, _, d, key in row_models(results, lambda row, d: True):
        if key != "ensemble":
            continue
        if d["checkpoint_sha256"] != sha:
            raise ValueError(f"{results}: {row['path']}: the ensemble ran from another file")
        test = photo_part(Path(row["path"]).name) == PART
        for group in (TEST_HALF, BOTH_HALVES) if test else (BOTH_HALVES,):
            flagged[group][0] += d["verdict"] == "manipulated"
            flagged[group][1] += 1
        if test and d.get("forged_fraction") is not None:
            shares.append(float(d["forged_fraction"]))
    if not shares:
        raise ValueError(f"{results}: no test-half camera photograph has a default verdict")
    return {
        "with_face_rule": flagged,
        "mask_on_authentic": {"median": statistics.median(shares), "largest": max(shares)},
    }


def verdict_figures(report: dict[str, Any], name: str, ensemble: dict[str, Any]) -> dict[str, Any]:
    """``image_auc``, ``by_kind``, ``target`` and ``optimistic`` from the verdict step's
    ``report`` for the ensemble file ``name``; ``ValueError`` when its θ is not the file's."""
    d = report["ensembles"][name]["detection"]
    if d["threshold"] != ensemble["threshold"]:
        raise ValueError(f"{name}: θ {ensemble['threshold']} is not the report's {d['threshold']}")
    return {
        "target": FALSE_ALARM_TARGET,
        "image_auc": [d["test_image_auc"], *d["test_image_auc_interval"]],
        "by_kind": dict(d["test_detection_by_kind"]),
        "optimistic": STACKED_OPTIMISTIC if "weights" in d else "",
    }


def store(path: Path, report: dict[str, Any], scan: Path) -> dict[str, Any]:
    """Write the figures into the ensemble file ``path``; returns them."""
    ensemble = json.loads(path.read_text(encoding="utf-8"))
    figures = {
        **verdict_figures(report, path.name, ensemble),
        **scan_figures(scan, written_sha256(ensemble)),
    }
    ensemble["calibration"]["reliability"].update(figures)
    path.write_text(json.dumps(ensemble, indent=2) + "\n", encoding="utf-8")
    return figures


def main(argv: list[str]) -> int:
    report, scan = json.loads(Path(argv[0]).read_text(encoding="utf-8")), Path(argv[1])
    if finished_scan(scan) is None:
        return 1
    for name in report["ensembles"]:
        path = MODELS / name
        if path.is_file():
            print(f"{path}: {json.dumps(store(path, report, scan))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
