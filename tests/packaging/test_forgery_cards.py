"""packaging/forgery_cards.py: each card's localization on the test half's full-size forgeries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.packaging.conftest import packaging_script


def _map(f1: float | None, flagged: float, auc: float | None, threshold: float) -> dict:
    return {"own_threshold": threshold, "own": {"f1": f1, "flagged": flagged}, "pixel_auc": auc}


def _made(tmp_path: Path, half: str, files: list[tuple[str, float, float]], shas: dict) -> tuple:
    """Forgeries folder and a scan of it: ``files`` as (path, net's F1 or share, ens's)."""
    forgeries, scan = tmp_path / "forge", tmp_path / "scan"
    forgeries.mkdir()
    scan.mkdir()
    (forgeries / "photos.json").write_text(json.dumps({"half": half, "photos": []}))
    rows, truth = [], []
    for path, net, ens in files:
        tampered = path.startswith("Tp/")
        rows.append({
            "path": path, "status": "ok",
            "details": {"net": {"checkpoint_sha256": shas["net"]}},
            "ensemble_details": {"name": "ens", "checkpoint_sha256": shas["ens"]},
        })  # fmt: skip
        maps = {
            "net": _map(net if tampered else None, 0.0 if tampered else net, 0.8, 0.35),
            "ensemble": _map(ens if tampered else None, 0.0 if tampered else ens, None, 0.45),
            "analysis.clone": _map(None, 0.0, None, 0.5),
        }
        truth.append({"path": path, "label": int(tampered), "maps": maps})
    (scan / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (scan / "groundtruth.json").write_text(json.dumps({"partial_scan": None, "files": truth}))
    return forgeries, scan


FILES = [
    ("Tp/sy_00000_copymove.png", 0.9, 0.8),
    ("Tp/sy_00001_copymove.png", 0.7, 0.6),
    ("Tp/sy_00002_splice.png", 0.1, 0.2),
    ("Au/au_Camera_1.png", 0.02, 0.01),
    ("Au/au_Camera_2.png", 0.06, 0.03),
    ("Au/au_Camera_3.png", 0.10, 0.05),
]


def test_figures_are_the_forgeries_per_kind_and_the_authentic_copies_marked_share(
    tmp_path, bundled
) -> None:
    models, shas = bundled
    locs = packaging_script("forgery_cards").localizations(
        *_made(tmp_path, "test", FILES, shas), models
    )
    net = locs["net"]
    assert net.f1 == {"copymove": (0.9, 0.7), "splice": (0.1,)}
    assert net.authentic_marked == (0.02, 0.06, 0.10) and net.pixel_threshold == 0.35
    text = net.sentence()
    assert "On 3 forgeries" in text and "mean pixel F1 of 0.57" in text
    assert "by kind: copy-moves 0.80, splices 0.10" in text  # best kind first
    assert "mean pixel AUC 0.80" in text
    assert "on the 3 authentic copies, treated alike, it marks a median 6.0 %" in text
    ens = locs["ens"]  # groundtruth.json's "ensemble" map, under the ensemble file's name
    assert ens.f1["copymove"] == (0.8, 0.6) and ens.pixel_threshold == 0.45
    assert "pixel AUC" not in ens.sentence()  # not defined on any forgery: not quoted


def test_forgeries_of_the_validation_half_are_refused(tmp_path, bundled) -> None:
    models, shas = bundled
    with pytest.raises(ValueError, match="'val' half, not the test half"):
        packaging_script("forgery_cards").localizations(
            *_made(tmp_path, "val", FILES, shas), models
        )


def test_a_stopped_scan_or_other_weights_are_refused(tmp_path, bundled) -> None:
    models, shas = bundled
    forgeries, scan = _made(tmp_path, "test", FILES, {**shas, "net": "0" * 64})
    with pytest.raises(ValueError, match="net ran from a checkpoint other than"):
        packaging_script("forgery_cards").localizations(forgeries, scan, models)
    truth = json.loads((scan / "groundtruth.json").read_text())
    (scan / "groundtruth.json").write_text(json.dumps({**truth, "partial_scan": {"of": 9}}))
    with pytest.raises(ValueError, match="stopped before its end"):
        packaging_script("forgery_cards").localizations(forgeries, scan, models)


def test_the_section_is_written_once_and_replaced(tmp_path) -> None:
    module = packaging_script("forgery_cards")
    card = tmp_path / "net.md"
    card.write_text("# net\n\n## Regression floor\n\nF1 >= 0.3\n")
    for text in ("first", "second"):
        module.put_section(card, module.BEGIN, module.END, f"## Localization\n\n{text}")
    written = card.read_text()
    assert written.count(module.BEGIN) == 1 and "second" in written and "first" not in written
    assert written.index("second") < written.index("## Regression floor")
