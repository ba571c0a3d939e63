"""packaging/verdict_cards.py: the evidence-size verdict section of the bundled cards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.packaging.conftest import packaging_script

# What `forensic-train verdict` stores for an equation-6 ensemble (every member at chance): its
# test reliability goes into the ensemble file's calibration, not into the report's figures.
STORED = {
    "a": 1.96,
    "b": -0.985,
    "method": "platt",
    "fitted_on": "113 validation images",
    "reliability": {
        "flagged": {
            "authentic camera photographs": [2, 30],
            "authentic CASIA images": [1, 44],
            "tampered CASIA images": [5, 65],
        },
        "bins": [
            [0.2, 0.4, 0.338, 0.492, 61],
            [0.4, 0.6, 0.484, 0.419, 62],
            [0.6, 0.8, 0.652, 0.5625, 16],
        ],
        "split": "test part",
    },
}
FIGURES = {  # the report's figures of that ensemble (trainer.verdict.choose_ensemble)
    "voters": [],
    "dropped": [],
    "detection": {
        "threshold": 0.6886,
        "val_flagged": {"authentic CASIA validation images": [0, 37]},
        "test_image_auc": 0.545,
        "test_image_auc_interval": [0.45, 0.66],
        "test_balanced_accuracy": 0.527,
        "test_detection_by_kind": {"splice": 1 / 37, "copy-move": 4 / 28},
        "test_camera_false_alarms": [2, 30],
        "test_images": {"tampered": 65, "authentic": 44, "camera": 30},
    },
}


@pytest.fixture
def cards():
    return packaging_script("verdict_cards")


def _assert_stored_figures(section: str) -> None:
    assert "| authentic camera photographs flagged at θ | 2 of 30 (7 %) |" in section
    assert "| authentic CASIA images flagged at θ | 1 of 44 (2 %) |" in section
    assert "| tampered CASIA images flagged at θ | 5 of 65 (8 %) |" in section
    assert "| 0.2-0.4 | 0.34 | 0.49 | 61 |" in section
    assert "| 0.6-0.8 | 0.65 | 0.56 | 16 |" in section
    assert "no reliability diagram" not in section


def test_an_equation_6_ensemble_shows_the_reliability_its_file_stores(cards) -> None:
    section = cards.ensemble_section("m2f-ensemble", FIGURES, {}, STORED)
    _assert_stored_figures(section)
    # θ of equation 6 applies to the fused score (the card's head says so), not a probability
    assert "θ = 0.6886 on the fused score:" in section
    assert "on the probability" not in section
    assert "stacked verdict" not in section  # it stacks nothing


def test_a_stacked_ensemble_keeps_the_calibration_of_the_report(cards) -> None:
    stacked = {
        "voters": ["net"],
        "dropped": [],
        "detection": {
            **FIGURES["detection"],
            "bias": -0.7,
            "weights": {"net": 0.8},
            "calibration": {**STORED, "reliability": {**STORED["reliability"], "bins": []}},
        },
    }
    section = cards.ensemble_section("ens", stacked, {}, STORED)
    assert "on the probability:" in section
    assert "The figures below are the stacked verdict's" in section
    assert "| authentic CASIA images flagged at θ | 1 of 44 (2 %) |" in section
    assert "(no reliability diagram" in section  # the report's own (empty) bins, not the file's


def test_main_reads_the_ensemble_files_calibration(cards, tmp_path: Path, monkeypatch) -> None:
    models = tmp_path / "models"
    models.mkdir()
    (models / "m2f-ensemble.ensemble.json").write_text(json.dumps({"calibration": STORED}))
    card = models / "m2f-ensemble.md"
    card.write_text("# m2f-ensemble\n\nhead\n\n## How the weights were chosen\n\nold\n")
    monkeypatch.setattr(cards, "MODELS", models)
    # the regression floor runs the ensemble on a sample and the head rewrites the member
    # table: neither is what is tested here
    monkeypatch.setattr(cards, "refresh_ensemble_floor", lambda card, path: None)
    monkeypatch.setattr(cards, "refresh_ensemble_head", lambda card, path: None)
    report = tmp_path / "report.json"
    report.write_text(
        json.dumps({"models": {}, "ensembles": {"m2f-ensemble.ensemble.json": FIGURES}})
    )
    assert cards.main(str(report)) == 0
    _assert_stored_figures(card.read_text(encoding="utf-8"))


def _member_figures(a: float) -> dict:
    return {
        "aggregate": "mean",
        "at_chance": True,
        "provenance": "θ = 0.7134 on the mean of the window logits",
        "val_image_auc": 0.46,
        "val_image_auc_interval": [0.33, 0.59],
        "calibration": {**STORED, "a": a},
        "test_image_auc": 0.528,
        "test_image_auc_interval": [0.42, 0.64],
        "test_balanced_accuracy": 0.489,
        "test_detection_by_kind": {"splice": 0.0, "copy-move": 0.0},
        "test_images": {"tampered": 65, "authentic": 44, "camera": 30},
    }


def test_a_member_whose_curve_runs_backwards_is_said_uncalibrated_with_its_flags_kept(
    cards,
) -> None:
    """m2f-swin-nano's stored slope is negative: the analyses show no probability for it
    (engine.calibration), so its card must not promise one, nor draw its diagram."""
    backwards = cards.model_section("m2f-swin-nano", _member_figures(-0.457))
    assert "Its stored probability curve runs backwards (slope -0.457: " in backwards
    assert "show no probability for it" in backwards
    assert "show a calibrated" not in backwards
    assert "No reliability diagram" in backwards and "| 0.2-0.4 |" not in backwards
    assert "| authentic camera photographs flagged at θ | 2 of 30 (7 %) |" in backwards
    forwards = cards.model_section("m2f-swin-nano", _member_figures(1.96))
    assert "show a calibrated\nprobability: Platt scaling" in forwards
    _assert_stored_figures(forwards)


def test_a_member_verdict_fitted_no_curve_for_is_said_uncalibrated_with_its_flags_kept(
    cards,
) -> None:
    """Since 2026-12-05 `forensic-train verdict` stores no curve for a statistic that ranks
    backwards: the calibration holds no slope, only why and the counts at θ. Its card said
    "show a calibrated probability" (a missing slope read as 1.0) and drew no diagram's
    reason."""
    why = "on the 113 validation images the score does not rank tampered above authentic (AUC 0.46)"
    refused = {k: v for k, v in STORED.items() if k not in ("a", "b", "method")}
    refused["no_calibration"] = why
    refused["reliability"] = {**STORED["reliability"], "bins": []}
    section = cards.model_section("m2f-swin-nano", {**_member_figures(1.0), "calibration": refused})
    # the sentence and the diagram give one reason, as _no_probability words it
    assert f"No probability curve was fitted ({why}), so the viewer" in section
    assert "show no probability for it" in section and "show a calibrated" not in section
    assert f"No reliability diagram: no probability curve was fitted ({why})" in section
    assert "| authentic camera photographs flagged at θ | 2 of 30 (7 %) |" in section
    del refused["no_calibration"]  # a reason not stored: the same words in both places
    unsaid = cards.model_section("m2f-swin-nano", {**_member_figures(1.0), "calibration": refused})
    assert unsaid.lower().count("no probability curve was fitted (none was stored)") == 2
    ensemble = cards.ensemble_section("m2f-ensemble", FIGURES, {}, refused)
    assert "No reliability diagram: no probability curve was fitted" in ensemble
    assert "| authentic CASIA images flagged at θ | 1 of 44 (2 %) |" in ensemble


TWO_WAY = {"casia1-dev": {"by": "source", "seed": 0, "val_fraction": 0.15, "val_images": 199}}


def test_a_checkpoint_whose_epoch_the_test_part_chose_says_so(cards) -> None:
    """Every bundled network kept its best epoch on the two-way split's 199-image held-out
    part, of which the 109-image test part is a half; the cards said the test part was
    "touched once, to report" (found by the docs review of 2026-12-05)."""
    said = cards.checkpoint_choices({"split": TWO_WAY}, {}, 109)
    assert "best epoch of its training on the 199-image held-out part" in said
    assert "these 109 CASIA images among them" in said and "optimistic" in said
    assert "pixel threshold" not in said  # calibrate chose none on that part
    details = {"pixel_threshold_choice": "auto", "split": TWO_WAY}
    assert "so was its pixel threshold" in cards.checkpoint_choices(
        {"split": TWO_WAY}, details, 109
    )
    averaged = cards.checkpoint_choices({"split": TWO_WAY, "averaged_from": [{}]}, {}, 109)
    assert averaged.startswith("But its weights average the best epoch")
    half = {"casia1-dev": {**TWO_WAY["casia1-dev"], "val_images": 90}}
    half["casia1-dev"]["validation"] = "validation half of the held-out part"
    assert cards.checkpoint_choices({"split": half}, details, 109) == ""
    section = cards.model_section("m2f-swin-nano", _member_figures(1.96), said)
    assert "touched once" not in section and said in section


def test_an_equation_6_ensemble_says_its_weights_were_chosen_on_the_test_part(cards) -> None:
    """m2f-ensemble keeps the equation-6 weights and pixel threshold chosen on 2026-11-29 on
    the 199 images (its card's "How the weights were chosen"); its card called them
    "replaced" and its test part "touched once, to report"."""
    how = "weights and thresholds chosen on 199 images (val split of casia1-dev, split by auto)"
    assert cards.eq6_chosen_on(how) == 199
    assert cards.eq6_chosen_on(how.replace("(val split", "(choose split")) == 0
    section = cards.ensemble_section("m2f-ensemble", FIGURES, {}, STORED, 199)
    assert "equation-6 weights and pixel threshold were chosen before issue 17 on the " in section
    assert "measured on images that chose its weights" in section
    assert "touched once" not in section


def test_the_bundled_cards_say_what_their_test_part_chose() -> None:
    """The generated cards agree with the generator: each network card states what its
    checkpoint's header records the test part chose, and no card says it chose nothing."""
    cards = packaging_script("verdict_cards")
    from engine.checkpoints import read_meta

    generated, with_weights = [], []
    for card in sorted(cards.MODELS.glob("*.md")):
        text = card.read_text(encoding="utf-8")
        if cards.BEGIN not in text:
            continue
        generated.append(card.name)
        assert "touched once, to report" not in text, card.name
        assert cards.PREVIOUS_HEADING not in text, card.name
        assert cards.OLD_THETA_HEADING not in text, card.name  # a θ no longer in use
        weights = card.with_suffix(".safetensors")
        if weights.is_file():
            meta = read_meta(weights)
            said = cards.checkpoint_choices(meta.training, meta.decision.details, 109)
            assert said and said in " ".join(text.split()), card.name
            with_weights.append(card.name)
        elif "equation 6, still in use" in text:
            assert "measured on images that chose its weights" in text, card.name
    # the checks above ran on something: a moved or renamed models folder passed them on none
    assert generated, f"no generated card in {cards.MODELS}"
    assert with_weights, f"no generated card beside its checkpoint in {cards.MODELS}"


def test_the_theta_section_written_with_the_checkpoint_is_headed_as_replaced(tmp_path) -> None:
    """model_card.py's "Threshold θ" section states the θ of the day the card was written; once
    the verdict section states the θ in use, a reader must not take the old one for it."""
    cards = packaging_script("verdict_cards")
    card = tmp_path / "x.md"
    card.write_text("# x\n\nintro\n\n## How it was made\n\nrecipe\n\n## Threshold θ\n\nθ = 0.5\n")
    cards.write_section(card, "## Verdict at evidence size (issue 17)\n\nθ = 0.3\n")
    text = card.read_text(encoding="utf-8")
    assert "## Threshold θ\n" not in text
    assert text.index(cards.BEGIN) < text.index(cards.NEW_THETA_HEADING)
    cards.write_section(card, "## Verdict at evidence size (issue 17)\n\nθ = 0.3\n")
    assert card.read_text(encoding="utf-8").count("## Threshold θ") == 1  # rewritten, not stacked


def test_the_crfd_card_names_its_default_fusion_and_theta_as_deviations() -> None:
    """crfd-net-compact's "Deviation from the paper" named only the RGB input, while the
    product tiles by default instead of §3.3's fusion and chooses θ by the 5 % camera rule
    instead of §3.4's midpoint: the line names both, and the card carries the line."""
    cards = packaging_script("verdict_cards")
    said = cards.DEVIATIONS["crfd-net-compact"]
    for words in ("RGB image", "§3.3", "`--exact`", "§3.4's midpoint", "5 %", "VERDICTS.md"):
        assert words in said, words
    card = (cards.MODELS / "crfd-net-compact.md").read_text(encoding="utf-8")
    assert f"\n{said}\n" in card


def test_the_ensemble_card_names_the_copy_move_analysis_as_readers_see_it(
    cards, tmp_path: Path
) -> None:
    """ "analysis:clone +2.22" (the stacking key) stood in the card beside "the copy-move
    analysis's score": two names a second-language reader takes for two checks. The weights and
    the member table say "copy-move analysis"; the bundled card's table was written again from
    its ensemble file (no measurement)."""
    weights = {"net": 0.8, "analysis:clone": 2.22}
    stacked = {
        "voters": ["net"],
        "dropped": [],
        "detection": {**FIGURES["detection"], "bias": -0.7, "weights": weights},
    }
    section = cards.ensemble_section("ens", stacked, {}, STORED)
    assert "weights net +0.8, copy-move analysis +2.22." in section
    assert "analysis:clone" not in section
    ensemble = tmp_path / "ens.ensemble.json"
    members = [{"model": "net", "detection_weight": 1, "localization_weight": 1}]
    ensemble.write_text(
        json.dumps(
            {
                "members": members,
                "stacking": {"weights": weights},
                "threshold": 0.6,
                "pixel_threshold": 0.45,
                "localization_analyses": ["clone"],
            }
        )
    )
    card = tmp_path / "ens.md"
    card.write_text("# ens\n\nhead\n\n## How the weights were chosen\n\nold\n")
    cards.refresh_ensemble_head(card, ensemble)
    text = card.read_text(encoding="utf-8")
    assert "| copy-move analysis | +2.22 | replaces the heatmap when it finds a pair |" in text
    assert "analysis:clone" not in text
    bundled = (cards.MODELS / "bundled-ensemble.md").read_text(encoding="utf-8")
    assert "| copy-move analysis | +2.22 |" in bundled.split("## How the weights")[0]
