"""packaging/mask_area_cards.py: the mask area on authentic test-half photographs, per card."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.packaging.conftest import packaging_script
from trainer.verdict_features import photo_part


def _names(part: str, n: int) -> list[str]:
    names = [f"Camera_{i}.jpg" for i in range(200)]
    return [x for x in names if photo_part(x) == part][:n]


def _row(name: str, shares: dict[str, float], shas: dict[str, str], status: str = "ok") -> dict:
    details = {
        m: {"forged_fraction": s, "pixel_threshold": 0.35, "checkpoint_sha256": shas[m]}
        for m, s in shares.items()
        if m != "ens"
    }
    ens = {"name": "ens", "forged_fraction": shares["ens"], "pixel_threshold": 0.45,
           "checkpoint_sha256": shas["ens"]}  # fmt: skip
    return {"path": name, "status": status, "details": details, "ensemble_details": ens}


def _scan(tmp_path: Path, rows: list[dict]) -> Path:
    scan = tmp_path / "scan"
    scan.mkdir()
    (scan / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return scan


def test_only_the_test_half_counts_and_the_figures_are_its_shares(tmp_path, bundled) -> None:
    models, shas = bundled
    test, val = _names("camera-test", 4), _names("camera-val", 2)
    rows = [
        _row(n, {"net": s, "ens": s / 2}, shas)
        for n, s in zip(test, (0.0, 0.02, 0.04, 0.3), strict=True)
    ]
    rows += [_row(n, {"net": 0.9, "ens": 0.9}, shas) for n in val]  # chose θ: never reported
    rows.append(_row(_names("camera-test", 5)[4], {"net": 0.9, "ens": 0.9}, shas, "error"))
    areas = packaging_script("mask_area_cards").mask_areas(_scan(tmp_path, rows), models)
    assert areas["net"].shares == (0.0, 0.02, 0.04, 0.3)
    text = areas["net"].sentence()
    assert "On the 4 authentic camera photographs" in text
    assert "median 3.0 %" in text and "largest 30.0 %" in text and "mean 9.0 %" in text
    assert "3 of 4 photographs have more than 1 % of their pixels marked, 1 more than 10 %" in text
    assert areas["ens"].pixel_threshold == 0.45 and max(areas["ens"].shares) == 0.15


def test_a_row_made_with_other_weights_is_refused(tmp_path, bundled) -> None:
    models, shas = bundled
    other = {**shas, "net": "0" * 64}
    rows = [_row(n, {"net": 0.1, "ens": 0.1}, other) for n in _names("camera-test", 2)]
    with pytest.raises(ValueError, match="net ran from a checkpoint other than"):
        packaging_script("mask_area_cards").mask_areas(_scan(tmp_path, rows), models)


def test_the_section_goes_before_the_floor_and_is_replaced_when_written_again(tmp_path) -> None:
    module = packaging_script("mask_area_cards")
    card = tmp_path / "net.md"
    card.write_text("# net\n\nintro\n\n## Regression floor\n\nregression-floor: x\n")
    first = module.MaskArea("net", 0.35, (0.5, 0.5), "a" * 64)
    module.write_section(card, first, "on 2026-12-04")
    module.write_section(card, module.MaskArea("net", 0.35, (0.0, 0.02), "b" * 64), "once")
    text = card.read_text()
    assert text.count(module.BEGIN) == 1 and "largest 2.0 %" in text and "50.0" not in text
    assert text.index(module.END) < text.index("## Regression floor")
    assert text.startswith("# net\n\nintro\n\n") and text.endswith("regression-floor: x\n")
