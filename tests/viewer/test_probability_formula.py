"""A model's probability can be recomputed from what the other side receives: the report's
model section and ``forensic-viewer models NAME`` give the formula and the Platt coefficients
of the very checkpoint analysed (a defence expert's walk-through, 2026-12-06, found a and b in
the checkpoint's header alone, and "Platt scaling" in the cards).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from engine.calibration import Calibration
from engine.checkpoints import read_meta
from engine.decision import statistic
from forensic_viewer.cli import main
from forensic_viewer.report.cards import card_from_checkpoint
from forensic_viewer.report.model_summary import ModelSummary
from forensic_viewer.report.text import model_rows
from forensic_viewer.scan.walk import sha256_of_file

MODELS = Path(__file__).resolve().parents[2] / "resources" / "models"
NUMBER = r"(-?[0-9.]+(?:e-?[0-9]+)?)"


def _coefficients(text: str) -> tuple[float, float]:
    m = re.search(
        rf"p = σ\(a·x \+ b\), σ\(t\) = 1 / \(1 \+ e\^−t\), with a = {NUMBER}, b = {NUMBER};", text
    )
    assert m is not None, text
    return float(m[1]), float(m[2])


def _summary(path: Path) -> ModelSummary:
    meta = read_meta(path)
    return ModelSummary(
        name=meta.name,
        role="model",
        architecture=meta.architecture,
        checkpoint=str(path),
        checkpoint_sha256=sha256_of_file(path),
        rule=meta.decision.rule,
        threshold=meta.decision.threshold,
        pixel_threshold=meta.decision.pixel_threshold,
        provenance="",
        input_policy={},
        devices={"cpu"},
        precisions={"fp32"},
        card=card_from_checkpoint(path, sha256_of_file(path)),
    )


@pytest.mark.parametrize(
    ("name", "forged", "image_logit"),
    [("crfd-net-compact", 0.053599039713541664, None), ("diffforensics-effl0", 0.16, 0.8179)],
)
def test_the_report_gives_a_and_b_and_they_give_the_probability_the_analysis_gives(
    name: str, forged: float, image_logit: float | None, capsys
) -> None:
    path = MODELS / f"{name}.safetensors"
    meta = read_meta(path)
    rows = dict(model_rows(_summary(path)))
    a, b = _coefficients(rows["Probability"])
    if meta.decision.rule == "forged_fraction":
        assert "x = logit(f) = ln(f / (1 − f)), f the marked area" in rows["Probability"]
        x = math.log(forged / (1 - forged))
    else:
        assert "x = the image logit of its results" in rows["Probability"]
        x = image_logit
    assert x is not None
    by_hand = 1 / (1 + math.exp(-(a * x + b)))
    calibration = Calibration.from_dict(meta.decision.calibration)
    assert calibration is not None
    analysis = calibration.probability(statistic(meta.decision.rule, forged, image_logit))
    assert by_hand == pytest.approx(analysis, abs=1e-12)

    assert main(["models", name]) == 0
    out = capsys.readouterr().out
    assert _coefficients(out) == (a, b)
