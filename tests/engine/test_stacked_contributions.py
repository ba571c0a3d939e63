"""A stacked verdict records what moved its score (``ModelResult.contributions``), and says when
whole-image statistics carried a "manipulated" verdict that its mask need not show
(``engine.ensemble_provenance.whole_image_decided``). The 2026-12-05 walk-through: an
authentic 12 MP photograph read "manipulated, p 0.75" over 1.45 % of scattered specks, carried by
diffforensics-effl0's whole-image statistic, and nothing said so."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from engine.calibration import logit
from engine.ensemble import Ensemble, Member, Stacking
from engine.ensemble_provenance import FACE_RULE_NOTE, ON_THIS_FILE, whole_image_decided
from engine.types import ModelResult

# the bundled ensemble's stacking (resources/models/bundled-ensemble.ensemble.json, 2026-12-03)
BIAS = -0.7187963072178297
WEIGHTS = {
    "crfd-net-compact": 0.1605207757841267,
    "diffforensics-effl0": 0.7605617771219101,
    "analysis:clone": 2.2230922479443294,
}
THETA = 0.5985638695345132


def bundled_like() -> Ensemble:
    return Ensemble(
        name="bundled-ensemble",
        members=[Member("crfd-net-compact"), Member("diffforensics-effl0")],
        threshold=THETA,
        pixel_threshold=0.45,
        stacking=Stacking(BIAS, dict(WEIGHTS)),
        localization_analyses={"clone": "replace"},
    )


def member(
    name: str,
    rule: str,
    forged: float,
    image_logit: float | None,
    policy: dict[str, Any] | None = None,
) -> ModelResult:
    heat = np.zeros((8, 8), np.float32)
    return ModelResult(
        name=name, architecture=name, checkpoint="", checkpoint_sha256="", rule=rule,
        score=0.5, verdict="authentic", forged_fraction=forged, threshold=0.5,
        pixel_threshold=0.5, threshold_provenance="", input_policy=dict(policy or {}), device="cpu",
        precision="fp32", seconds=0.1, heatmap=heat, mask=heat > 0.5, image_logit=image_logit,
    )  # fmt: skip


def clone(found: bool) -> SimpleNamespace:
    """What the ensemble reads of a copy-move AnalysisResult: output.score and output.map."""
    cmap = np.zeros((8, 8), np.float32)
    if found:
        cmap[:2, :2] = cmap[5:7, 5:7] = 1.0
    return SimpleNamespace(output=SimpleNamespace(score=1.0 if found else 0.0, map=cmap))


def combine(image_logit: float, forged: float = 0.0145, pair: bool = False) -> ModelResult:
    """The bundled-like ensemble over diffforensics-effl0 (image logit of a 512-px view) and
    crfd-net-compact (forged fraction ``forged``) and the copy-move analysis."""
    results = {
        "crfd-net-compact": member("crfd-net-compact", "forged_fraction", forged, None),
        "diffforensics-effl0": member(
            "diffforensics-effl0", "logit", 0.2, image_logit, {"detect_size": [341, 512]}
        ),
    }
    return bundled_like().combine(results, {"clone": clone(pair)})


def test_the_terms_and_the_bias_sum_to_the_logit_of_the_stacked_score() -> None:
    r = combine(3.2)
    assert r.contributions is not None
    by_input = {c["input"]: c for c in r.contributions}
    assert list(by_input) == [*WEIGHTS, "bias"]  # the stacking's order, the bias last
    assert sum(c["contribution"] for c in r.contributions) == pytest.approx(logit(r.score))
    diff = by_input["diffforensics-effl0"]
    assert (diff["value"], diff["weight"]) == (3.2, WEIGHTS["diffforensics-effl0"])
    assert diff["contribution"] == pytest.approx(3.2 * WEIGHTS["diffforensics-effl0"])
    assert diff["kind"] == "image_statistic"
    assert diff["label"] == "diffforensics-effl0 (whole-image statistic, photo reduced to 512 px)"
    crfd = by_input["crfd-net-compact"]
    assert crfd["value"] == pytest.approx(np.log(0.0145 / 0.9855))  # logit of the fraction
    assert (crfd["kind"], crfd["label"]) == (
        "forged_fraction",
        "crfd-net-compact (marked area)",
    )
    copy = by_input["analysis:clone"]
    assert (copy["label"], copy["contribution"]) == ("copy-move analysis (no pair)", 0.0)
    assert by_input["bias"] == {
        "input": "bias", "label": "bias", "kind": "bias", "value": 1.0, "weight": BIAS,
        "contribution": BIAS,
    }  # fmt: skip
    found = combine(3.2, pair=True)
    assert found.contributions is not None
    assert found.contributions[2]["label"] == "copy-move analysis (pair found)"
    assert found.contributions[2]["contribution"] == WEIGHTS["analysis:clone"]
    assert "contributions" in r.to_dict() and r.to_dict()["contributions"] == r.contributions


def test_the_theta_provenance_names_the_copy_move_analysis_as_readers_see_it() -> None:
    """ "analysis:clone +2.22" and "when the clone analysis finds a pair" beside "copy-move
    analysis (no pair)": three names for one check, read as three checks by a reader with
    English as a second language (walk-through 2026-12-06, finding 13). The machine names
    stay: the stacking's key and the terms' ``input``."""
    r = combine(3.2)
    said = r.threshold_provenance
    assert f"copy-move analysis {WEIGHTS['analysis:clone']:+.3g}" in said
    assert "when the copy-move analysis finds a pair, its map replaces the heatmap" in said
    assert "clone" not in said
    assert r.contributions is not None and r.contributions[2]["input"] == "analysis:clone"


def test_an_ensemble_result_keeps_its_masks_figure_on_authentic_photographs() -> None:
    """The figure its reliability sentence gives in words, as numbers beside it, which the
    displays repeat beside an unflagged marked area (never read back out of the words)."""
    import dataclasses

    from forensic_viewer.scan.record_parts import ModelFigures

    assert combine(3.2).mask_on_authentic is None  # no calibration stored: no figure
    reliability = {"flagged": {"authentic camera photographs": [2, 30]},
                   "mask_on_authentic": {"median": 0.0309, "largest": 0.1106}}  # fmt: skip
    ens = dataclasses.replace(bundled_like(), calibration={"a": 1.0, "b": 0.0,
                                                           "reliability": reliability})  # fmt: skip
    results = {
        "crfd-net-compact": member("crfd-net-compact", "forged_fraction", 0.01, None),
        "diffforensics-effl0": member("diffforensics-effl0", "logit", 0.2, 1.0),
    }
    r = ens.combine(results, {"clone": clone(False)})
    assert r.mask_on_authentic == {"median": 0.0309, "largest": 0.1106}
    row = ModelFigures.from_result(r).to_json()  # the row keeps it, and reads it back
    assert row["mask_on_authentic"] == r.mask_on_authentic
    assert ModelFigures.from_json(row, "e").mask_on_authentic == r.mask_on_authentic
    del row["mask_on_authentic"]  # a row written before: read without it
    assert ModelFigures.from_json(row, "e").mask_on_authentic is None


def test_a_logit_member_without_a_reduced_view_is_named_by_its_window_logits() -> None:
    results = {
        "crfd-net-compact": member("crfd-net-compact", "forged_fraction", 0.01, None),
        "diffforensics-effl0": member(
            "diffforensics-effl0", "logit", 0.0, 1.0, {"image_logit": "mean"}
        ),
    }
    r = bundled_like().combine(results, {"clone": clone(False)})
    assert r.contributions is not None
    assert r.contributions[1]["label"] == (
        "diffforensics-effl0 (whole-image statistic, mean of its window logits)"
    )


def test_an_equation_6_ensemble_records_no_terms() -> None:
    ens = Ensemble(name="mean", members=[Member("a")])
    r = ens.combine({"a": member("a", "logit", 0.0, 2.0)})
    assert r.contributions is None and r.to_dict()["contributions"] is None


def test_the_mask_is_said_not_to_show_the_reason_exactly_when_whole_image_statistics_carried_it() -> (
    None
):
    """Manipulated, and the other terms (bias, forged fraction, pair) at or under logit θ."""

    def said(r: ModelResult) -> bool:
        return whole_image_decided(r.contributions, r.verdict, r.threshold, r.threshold_provenance)

    walk_through = combine(3.2)  # the statistic alone passes θ: -0.72 - 0.68 + 2.43 > 0.40
    assert walk_through.verdict == "manipulated" and said(walk_through)
    # a found pair passes θ on its own (-0.72 + 2.22 - 0.68 > 0.40): its map is the mask
    paired = combine(3.2, pair=True)
    assert paired.verdict == "manipulated" and not said(paired)
    quiet = combine(0.5)  # authentic: nothing to say about a flag
    assert quiet.verdict == "authentic" and not said(quiet)
    # a face that decided has its own words (and its face map)
    by_face = f"{walk_through.threshold_provenance}{ON_THIS_FILE}{FACE_RULE_NOTE}1 face verdict"
    assert not whole_image_decided(walk_through.contributions, "manipulated", THETA, by_face)
    assert not whole_image_decided(None, "manipulated", THETA, "")  # not stacked
    # the boundary: the other terms exactly at logit θ still need the statistic to pass it
    terms = [
        {"kind": "bias", "contribution": float(logit(THETA))},
        {"kind": "image_statistic", "contribution": 0.1},
    ]
    assert whole_image_decided(terms, "manipulated", THETA, "")
    terms[0]["contribution"] = float(logit(THETA)) + 1e-6
    assert not whole_image_decided(terms, "manipulated", THETA, "")
