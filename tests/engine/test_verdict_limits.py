"""The default verdict's reliability says what its card says (defence walk-through,
2026-12-06): the false-alarm count with the face rule on, as the product runs it, before the
stacked rule's own; the splices against copy-moves flagged; the image AUC with its interval;
how much of an authentic photograph the mask marks; and that the test figures are optimistic.
A report had said "2 of 30" alone, where the product flags 4 of the 30 photographs."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from engine.calibration import reliability_sentence
from engine.decision import AUTHENTIC
from engine.ensemble import Ensemble, Member
from engine.ensemble_provenance import FACE_RULE_COUNTED, FACE_RULE_PROMISE
from engine.resources import resources_dir
from engine.types import FaceRegion, FaceScore
from tests.engine.test_face_models import _face_model, _result

MODELS = resources_dir() / "models"


def _stored() -> dict:
    return {
        "flagged": {"authentic camera photographs": [2, 30], "tampered CASIA images": [35, 65]},
        "split": "test part",
        "with_face_rule": {"authentic camera photographs": [4, 30], "both halves": [5, 53]},
        "target": 0.05,
        "image_auc": [0.856, 0.7790, 0.9222],
        "by_kind": {"splice": 0.3514, "copy-move": 0.7857},
        "mask_on_authentic": {"median": 0.0309, "largest": 0.1106},
        "optimistic": "its members' checkpoints were chosen on these images too",
    }


def test_the_count_with_the_face_rule_comes_first_and_the_cards_figures_follow() -> None:
    text = reliability_sentence({"reliability": _stored()})
    face = text.index("with the face rule, as the product runs it: 13 % of authentic camera "
                      "photographs (4 of 30), 9 % of both halves (5 of 53) are flagged")  # fmt: skip
    alone = text.index("without the face rule: 7 % of authentic camera photographs (2 of 30)")
    assert face < alone
    assert "at most 5 %" in text and "missed with 4 of 30 and 5 of 53" in text
    assert "it flags 35 % of splices, 79 % of copy-moves" in text
    assert "image AUC 0.856 (95 % interval 0.78-0.92)" in text
    assert "its mask marks a median 3.1 % of the pixels, up to 11.1 %" in text
    assert text.endswith("optimistic: its members' checkpoints were chosen on these images too")
    # a checkpoint's record, without them, reads as before
    plain = {k: v for k, v in _stored().items() if k in ("flagged", "split")}
    assert reliability_sentence({"reliability": plain}) == (
        "at this threshold (test part): 7 % of authentic camera photographs (2 of 30), 54 % of "
        "tampered CASIA images (35 of 65) are flagged"
    )


def test_counts_taken_with_the_face_rule_are_not_said_to_be_without_it(tmp_path: Path) -> None:
    face = _face_model(tmp_path / "face.safetensors")
    cal = {"a": 1.0, "b": 0.0, "reliability": _stored()}
    ens = Ensemble(name="ens", members=[Member("whole")], face_rule="any", calibration=cal)
    measured = reliability_sentence(cal)
    real = FaceRegion((10, 10, 20, 20), 0.99)
    real.face_scores["face"] = FaceScore(score=0.05, verdict=AUTHENTIC)
    before = dataclasses.replace(_result(), reliability=measured)
    out = ens.with_faces(before, [real], {"face": face}, {})
    assert out.reliability == measured + FACE_RULE_COUNTED
    assert "counted without the face rule" not in out.reliability
    assert FACE_RULE_PROMISE in out.reliability  # the command line then gives the face rates


def _card_figure(card: str, pattern: str) -> list[float]:
    found = re.search(pattern, card)
    assert found, pattern
    return [float(x) for x in found.groups()]


def test_the_bundled_ensemble_file_says_what_its_card_says() -> None:
    """The figures packaging/ensemble_figures.py stored are the card's (rounded as it shows
    them), and the camera count with the face rule is docs/VERDICTS.md's ("Targets")."""
    ens = json.loads((MODELS / "bundled-ensemble.ensemble.json").read_text(encoding="utf-8"))
    rel = ens["calibration"]["reliability"]
    card = (MODELS / "bundled-ensemble.md").read_text(encoding="utf-8")
    auc = _card_figure(
        card, r"image AUC \(95 % bootstrap interval\) \| ([0-9.]+) \(([0-9.]+)-([0-9.]+)\)"
    )
    assert [round(rel["image_auc"][0], 3), *(round(x, 2) for x in rel["image_auc"][1:])] == auc
    kinds = _card_figure(card, r"by kind \| splice ([0-9]+)%, copy-move ([0-9]+)%")
    assert [round(100 * rel["by_kind"][k]) for k in ("splice", "copy-move")] == kinds
    mask = _card_figure(card, r"marks a median ([0-9.]+) % .*largest ([0-9.]+) %\)")
    m = rel["mask_on_authentic"]
    assert [round(100 * m["median"], 1), round(100 * m["largest"], 1)] == mask
    assert "members' checkpoints are the best epochs" in rel["optimistic"] and "optimistic" in card
    verdicts = (Path(__file__).resolve().parents[2] / "docs" / "VERDICTS.md").read_text("utf-8")
    k, n = rel["with_face_rule"]["authentic camera photographs"]
    assert f"**{k} of {n}** test-half" in verdicts
    text = reliability_sentence(ens["calibration"])
    assert text.index(f"({k} of {n})") < text.index("without the face rule")
