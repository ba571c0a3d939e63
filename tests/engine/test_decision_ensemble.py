"""Decision rules and the weighted ensemble (paper 2, equation 6)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from engine.decision import decide, fraction_score, midpoint_threshold
from engine.ensemble import ENSEMBLE_SUFFIX, Ensemble, Member, fuse_heatmaps, weighted_mean
from engine.ensemble_provenance import heatmap_replaced_by
from engine.errors import CheckpointError
from engine.types import ModelResult


def test_forged_fraction_rule() -> None:
    mask = np.zeros((10, 10), bool)
    mask[:2, :3] = True  # p = 0.06
    d = decide("forged_fraction", mask, threshold=0.05)
    assert d.verdict == "manipulated" and d.forged_fraction == pytest.approx(0.06)
    assert d.score == pytest.approx(0.06 / 0.11)
    assert decide("forged_fraction", mask, threshold=0.06).verdict == "authentic"  # p > θ strictly
    assert fraction_score(0.05, 0.05) == 0.5


def test_logit_rule() -> None:
    mask = np.zeros((4, 4), bool)
    assert decide("logit", mask, 0.5, image_logit=0.1).verdict == "manipulated"
    assert decide("logit", mask, 0.5, image_logit=-0.1).verdict == "authentic"
    assert decide("logit", mask, 0.5, image_logit=0.0).verdict == "authentic"  # σ(0) = θ: strictly
    with pytest.raises(ValueError, match="image logit"):
        decide("logit", mask, 0.5)
    with pytest.raises(ValueError, match="rule must be"):
        decide("vote", mask, 0.5)


def test_midpoint_threshold() -> None:
    t = midpoint_threshold(np.array([0.0, 0.02, 0.01]), np.array([0.3, 0.08, 0.5]))
    assert t == {"p_real_max": 0.02, "p_fake_min": 0.08, "theta": pytest.approx(0.05)}
    with pytest.raises(ValueError, match="needs authentic and forged"):
        midpoint_threshold(np.array([]), np.array([0.1]))


def test_equation_6() -> None:
    assert weighted_mean([0.2, 0.8], [1.0, 2.5]) == pytest.approx((0.2 + 2.5 * 0.8) / 3.5)
    a = np.full((2, 2), 0.2, np.float32)
    b = np.full((2, 2), 0.9, np.float32)
    np.testing.assert_allclose(fuse_heatmaps([a, b], [1.0, 0.0]), a)
    np.testing.assert_allclose(fuse_heatmaps([a, None], [3.0, 0.0]), a)
    np.testing.assert_allclose(fuse_heatmaps([a, b], [1.0, 1.0]), 0.55, rtol=1e-6)
    with pytest.raises(ValueError):
        fuse_heatmaps([a, b], [0.0, 0.0])


def _result(name: str, score: float, heat: float) -> ModelResult:
    h = np.full((3, 3), heat, np.float32)
    return ModelResult(
        name,
        "x",
        "",
        "",
        "logit",
        score,
        "",
        0.0,
        0.5,
        0.5,
        "",
        {},
        "cpu",
        "fp32",
        0.1,
        heatmap=h,
        mask=h > 0.5,
    )


def test_paper_final_configuration(tmp_path: Path) -> None:
    p = tmp_path / f"paper{ENSEMBLE_SUFFIX}"
    p.write_text(
        json.dumps(
            {
                "members": [
                    {"model": "t", "detection_weight": 1.0, "localization_weight": 1.0},
                    {"model": "s", "detection_weight": 2.5, "localization_weight": 0.0},
                ]
            }
        )
    )
    ens = Ensemble.load(p)
    assert ens.name == "paper"
    out = ens.combine({"t": _result("t", 0.2, 0.7), "s": _result("s", 0.7, 0.1)})
    assert out.score == pytest.approx((0.2 + 2.5 * 0.7) / 3.5)
    assert out.verdict == "manipulated"
    np.testing.assert_allclose(out.heatmap, 0.7)  # localization from Swin-T alone
    assert out.forged_fraction == 1.0
    with pytest.raises(KeyError, match="needs a result"):
        ens.combine({"t": _result("t", 0.2, 0.7)})


def test_an_ensemble_score_exactly_at_theta_is_not_flagged() -> None:
    """The ensemble flags a score above θ, as every single model's rule does: at θ, not."""
    ens = Ensemble(name="e", members=[Member("t"), Member("s")], threshold=0.5)
    at = ens.combine({"t": _result("t", 0.25, 0.7), "s": _result("s", 0.75, 0.1)})
    assert at.score == 0.5 and at.verdict == "authentic"
    above = ens.combine({"t": _result("t", 0.25, 0.7), "s": _result("s", 0.875, 0.1)})
    assert above.score > 0.5 and above.verdict == "manipulated"


def test_the_ensemble_result_names_the_sha256_of_its_file(tmp_path: Path) -> None:
    """The ensemble file holds the default verdict's θ and weights: its result names the file's
    SHA-256 as a checkpoint's does, so a report can say which file decided."""
    p = tmp_path / f"pair{ENSEMBLE_SUFFIX}"
    p.write_text(json.dumps({"members": [{"model": "t"}, {"model": "s"}]}), encoding="utf-8")
    out = Ensemble.load(p).combine({"t": _result("t", 0.2, 0.7), "s": _result("s", 0.7, 0.1)})
    assert out.checkpoint == str(p)
    assert out.checkpoint_sha256 == hashlib.sha256(p.read_bytes()).hexdigest()


def test_bad_ensembles(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no members"):
        Ensemble("e", [])
    with pytest.raises(ValueError, match=">= 0"):
        Ensemble("e", [Member("a", -1.0)])
    p = tmp_path / f"bad{ENSEMBLE_SUFFIX}"
    p.write_text("{nope")
    with pytest.raises(Exception, match="malformed ensemble"):
        Ensemble.load(p)


def test_shipped_paper_ensemble_is_the_papers_final_configuration() -> None:
    path = (
        Path(__file__).resolve().parents[2] / "packaging" / "ensembles" / "m2f-paper.ensemble.json"
    )
    ens = Ensemble.load(path)
    weights = {m.model: (m.detection_weight, m.localization_weight) for m in ens.members}
    assert weights == {"m2f-swin-t": (1.0, 1.0), "m2f-swin-s": (2.5, 0.0)}


def _logit_result(name: str, logit: float, heat: float) -> ModelResult:
    r = _result(name, 0.0, heat)
    r.rule, r.image_logit = "logit", logit
    return r


def _clone(found: bool, shape: tuple[int, int] = (4, 4)) -> SimpleNamespace:
    """What the ensemble reads of a copy-move AnalysisResult: output.score and output.map."""
    cmap = np.zeros(shape, np.float32)
    if found:
        cmap[:2, :2] = 1.0
    return SimpleNamespace(output=SimpleNamespace(score=1.0 if found else 0.0, map=cmap))


def _stacked(tmp_path: Path) -> Ensemble:
    path = tmp_path / f"st{ENSEMBLE_SUFFIX}"
    path.write_text(
        json.dumps(
            {
                "members": [
                    {"model": "a", "detection_weight": 1, "localization_weight": 1},
                    {"model": "b", "detection_weight": 0, "localization_weight": 1},
                ],
                "threshold": 0.6,
                "pixel_threshold": 0.5,
                "stacking": {"bias": -1.0, "weights": {"a": 2.0, "analysis:clone": 3.0}},
                "localization_analyses": {"clone": "replace"},
                "calibration": {"a": 1.0, "b": 0.0, "reliability": {"flagged": {"x": [1, 4]}}},
            }
        ),
        encoding="utf-8",
    )
    return Ensemble.load(path)


def test_stacking_scores_by_logistic_regression_and_clone_replaces_the_heatmap(
    tmp_path: Path,
) -> None:
    ens = _stacked(tmp_path)
    assert ens.analyses == ["clone"]
    results = {"a": _logit_result("a", 0.25, 0.2), "b": _logit_result("b", 5.0, 0.4)}
    quiet = ens.combine(results, {"clone": _clone(False)})
    # σ(-1 + 2 x 0.25) = σ(-0.5); member b (no stacking weight) changes nothing
    assert quiet.score == pytest.approx(1 / (1 + np.exp(0.5)))
    assert quiet.verdict == "authentic" and quiet.probability == pytest.approx(quiet.score)
    assert np.allclose(quiet.heatmap, 0.3) and "stacking" in quiet.threshold_provenance
    assert quiet.reliability.startswith(
        "Measured at this threshold. Manipulated images flagged: 1 of 4 x (25 %)"
    )
    found = ens.combine(results, {"clone": _clone(True)})
    assert found.score == pytest.approx(1 / (1 + np.exp(-2.5))) and found.verdict == "manipulated"
    assert found.mask is not None and found.mask.sum() == 4  # both copies, nothing else
    # the name readers see ("the clone analysis" read as another check), its id read back
    assert "the heatmap is the copy-move analysis's map" in found.threshold_provenance
    assert heatmap_replaced_by(found.threshold_provenance) == "clone"
    with pytest.raises(KeyError, match="clone"):
        ens.combine(results, {})


def test_stacking_weight_on_a_stranger_is_refused(tmp_path: Path) -> None:
    path = tmp_path / f"bad{ENSEMBLE_SUFFIX}"
    path.write_text(
        json.dumps(
            {
                "members": [{"model": "a"}],
                "stacking": {"bias": 0.0, "weights": {"zzz": 1.0}},
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(CheckpointError, match="not a member"):
        Ensemble.load(path)


def test_trainer_spells_the_analysis_prefix_as_the_engine_does() -> None:
    from engine.ensemble import ANALYSIS_PREFIX
    from trainer import verdict

    assert verdict.ANALYSIS_PREFIX == ANALYSIS_PREFIX


def test_copy_keep_ratio_keeps_the_copy_the_networks_point_at(tmp_path: Path) -> None:
    """Two copies in the clone map; the members' heat is high on one only. With
    copy_keep_ratio 0.5 that copy alone becomes the heatmap; at 0 both do."""
    ens = _stacked(tmp_path)
    cmap = np.zeros((8, 8), np.float32)
    cmap[:2, :2] = cmap[5:7, 5:7] = 1.0  # two copies
    clone = SimpleNamespace(output=SimpleNamespace(score=1.0, map=cmap))
    a, b = _logit_result("a", 0.25, 0.1), _logit_result("b", 5.0, 0.1)
    a.heatmap = np.full((8, 8), 0.1, np.float32)
    a.heatmap[5:7, 5:7] = 0.9  # the pasted copy
    b.heatmap = np.full((8, 8), 0.1, np.float32)
    both = ens.combine({"a": a, "b": b}, {"clone": clone})
    assert both.mask is not None and both.mask.sum() == 8
    ens = dataclasses.replace(ens, copy_keep_ratio=0.5)
    one = ens.combine({"a": a, "b": b}, {"clone": clone})
    assert one.mask is not None and one.mask.sum() == 4 and one.mask[5:7, 5:7].all()
    assert "hottest copy" in one.threshold_provenance
    with pytest.raises(ValueError, match="copy_keep_ratio"):
        dataclasses.replace(ens, copy_keep_ratio=1.5)


def test_the_ensemble_provenance_is_a_sentence_whose_per_file_part_comes_last(
    tmp_path: Path,
) -> None:
    """An ensemble's θ provenance opens like a checkpoint's ("θ = ... on ..."), says in words
    how the score is made, and puts what holds on this file only (a copy found, a face
    flagged) after :data:`ON_THIS_FILE`: a report's model table shows the general part."""
    from engine.ensemble_provenance import ON_THIS_FILE, general_provenance

    ens = dataclasses.replace(_stacked(tmp_path), description="θ set on the validation part")
    results = {"a": _logit_result("a", 0.25, 0.2), "b": _logit_result("b", 5.0, 0.4)}
    quiet = ens.combine(results, {"clone": _clone(False)}).threshold_provenance
    found = ens.combine(results, {"clone": _clone(True)}).threshold_provenance
    assert quiet.startswith("θ = 0.6 on the stacked probability (θ set on the validation part)")
    assert "=" not in quiet.removeprefix("θ =")  # no name=value lists
    assert ON_THIS_FILE not in quiet and general_provenance(quiet) == quiet
    assert found.startswith(quiet) and ON_THIS_FILE in found
    assert "copy-move analysis's map" in found.split(ON_THIS_FILE)[1]
    assert general_provenance(found) == quiet
    # rows written before the marker: the per-file notes they appended are cut as well
    old = "logistic stacking (bias -1); heatmap: weighted mean; face rule 'any': 1 face verdict(s)"
    assert general_provenance(old) == "logistic stacking (bias -1); heatmap: weighted mean"


def test_the_ensemble_precision_names_each_of_its_members_precisions(tmp_path: Path) -> None:
    """A member run as the bundled int8 model beside one at fp32: the ensemble's result (the
    default verdict, as reports print it) says both, not the first member's alone."""
    p = tmp_path / f"pair{ENSEMBLE_SUFFIX}"
    p.write_text(json.dumps({"members": [{"model": "t"}, {"model": "s"}]}), encoding="utf-8")
    ens = Ensemble.load(p)
    int8 = dataclasses.replace(_result("t", 0.2, 0.7), precision="int8")
    out = ens.combine({"t": int8, "s": _result("s", 0.7, 0.1)})
    assert out.precision == "int8 + fp32"
    same = ens.combine({"t": _result("t", 0.2, 0.7), "s": _result("s", 0.7, 0.1)})
    assert same.precision == "fp32"
