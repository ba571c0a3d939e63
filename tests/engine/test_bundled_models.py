"""Every bundled checkpoint loads, matches its model card, and stays above the card's floor.

A regression test on real trained weights: it fails if a bundled file, the decoding, the
sliding-window fusion or the decision rule change what the model finds on a bundled sample.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import cv2
import pytest
from sklearn.metrics import roc_auc_score

from engine.catalog import BUNDLED_MODELS, SAMPLES
from engine.checkpoints import file_sha256, load_checkpoint
from engine.ensemble import ENSEMBLE_SUFFIX
from engine.io import load_evidence
from engine.pipeline import Analyzer

BUNDLED = sorted(BUNDLED_MODELS.glob("*.safetensors"))


def test_there_is_a_bundled_model() -> None:
    assert BUNDLED, f"no checkpoint in {BUNDLED_MODELS}: make run would have nothing to show"


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_model_matches_its_card_and_floor(path: Path) -> None:
    card = path.with_suffix(".md").read_text(encoding="utf-8")
    loaded = load_checkpoint(path)
    meta = loaded.meta
    assert f"`{meta.architecture}`" in card
    assert json.dumps(meta.config) in card
    assert file_sha256(path) in card
    assert meta.decision.provenance and meta.decision.provenance in card
    m = re.search(r"regression-floor: (\S+) pixel-f1 ([0-9.]+) pixel-auc ([0-9.]+)", card)
    assert m, "the card states no regression floor"
    sample, floor, auc_floor = m.group(1), float(m.group(2)), float(m.group(3))
    manifest = json.loads((SAMPLES / "samples.json").read_text())
    gt = cv2.imread(str(SAMPLES / manifest[sample]["mask"]), cv2.IMREAD_GRAYSCALE) > 127
    result = Analyzer([loaded], device="cpu").analyze(load_evidence(SAMPLES / sample))
    r = result.results[loaded.name]
    f1 = 2 * float((r.mask & gt).sum()) / float(r.mask.sum() + gt.sum())
    assert f1 >= floor, f"{path.name}: pixel F1 {f1:.3f} on {sample} is below the card's {floor}"
    auc = roc_auc_score(gt.ravel(), r.heatmap.ravel())
    assert auc >= auc_floor, f"{path.name}: pixel AUC {auc:.3f} on {sample} < {auc_floor}"


ENSEMBLES = sorted(BUNDLED_MODELS.glob(f"*{ENSEMBLE_SUFFIX}"))


@pytest.mark.parametrize("path", ENSEMBLES, ids=lambda p: p.name)
def test_bundled_ensemble_uses_bundled_members_and_stays_above_its_floor(path: Path) -> None:
    from engine.catalog import resolve
    from engine.ensemble import Ensemble

    ens = Ensemble.load(path)
    members = [resolve(m) for m in ens.member_paths()]
    assert all(p.parent == BUNDLED_MODELS for p in members), members
    card = path.with_name(path.name.removesuffix(ENSEMBLE_SUFFIX) + ".md").read_text()
    m = re.search(r"regression-floor: (\S+) pixel-f1 ([0-9.]+) pixel-auc ([0-9.]+)", card)
    assert m, "the ensemble's card states no regression floor"
    sample, floor, auc_floor = m.group(1), float(m.group(2)), float(m.group(3))
    manifest = json.loads((SAMPLES / "samples.json").read_text())
    gt = cv2.imread(str(SAMPLES / manifest[sample]["mask"]), cv2.IMREAD_GRAYSCALE) > 127
    analysis = Analyzer([str(p) for p in members], device="cpu", ensemble=ens).analyze(
        load_evidence(SAMPLES / sample)
    )
    r = analysis.ensemble
    f1 = 2 * float((r.mask & gt).sum()) / float(r.mask.sum() + gt.sum())
    assert f1 >= floor, f"{path.name}: pixel F1 {f1:.3f} on {sample} is below the card's {floor}"
    assert roc_auc_score(gt.ravel(), r.heatmap.ravel()) >= auc_floor
