"""A report naming a model fine-tuned in the training dialog says what it is: fine-tuned from
which checkpoint, for how many steps, on which data; and its limitations do not say that it
learned only from the bundled networks' data (CASIA and the project's forgeries)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from engine.checkpoints import load_checkpoint, read_meta, save_checkpoint
from engine.io import load_evidence
from engine.pipeline import Analyzer
from engine.resources import resources_dir
from forensic_viewer.report import cards_from_analyzer, item_from_analysis, write_report
from tests.conftest import write_rgb
from tests.viewer.test_report import check_html, flat

INIT_SHA = "b75a32410d5c7cc62a7d2001d3076a62644ae972a7962b4ab1ed4c93b34c1a10"


def _fine_tuned(tiny: Path, out: Path) -> Path:
    """``tiny`` saved as a fine-tune of the bundled crfd-net-compact, as ``fit --init`` records
    one: its starting checkpoint and that file's SHA-256, its steps and its data."""
    loaded = load_checkpoint(tiny)
    training = {
        "init": str(resources_dir() / "models" / "crfd-net-compact.safetensors"),
        "init_sha256": INIT_SHA,
        "step": 8,
        "data": [{"path": "/cases/lab-photos", "weight": 1.0}],
        "metrics": {"images": 5, "tampered": 3, "authentic": 2, "image_auc": 1.0},
    }
    meta = replace(loaded.meta, name="mine-ft", training=training, metrics={"val_image_auc": 1.0})
    return save_checkpoint(out, loaded.model, meta)


def test_the_report_says_a_fine_tuned_model_was_fine_tuned_on_its_data(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    model = _fine_tuned(tiny_checkpoint, tmp_path / "mine-ft.safetensors")
    analyzer = Analyzer([load_checkpoint(model)], device="cpu")
    analysis = analyzer.analyze(load_evidence(write_rgb(tmp_path / "a.png", 80, 96)))
    item = item_from_analysis(analysis, cards=cards_from_analyzer(analyzer))
    paths = write_report([item], tmp_path / "report", ["html", "json"])

    text = flat(" ".join(check_html(paths["html"]).text))
    said = (
        f"fine-tuned from crfd-net-compact.safetensors (SHA-256 {INIT_SHA[:12]}…) for 8 steps "
        "on /cases/lab-photos"
    )
    models = text[text.index("Models") : text.index("Limitations")]
    assert f"Training {said}" in models  # the model card's row
    # its figures with the number of images they were measured on: an AUC of 1 on five
    assert "that split: 5 images (3 tampered, 2 authentic)" in models
    limits = text[text.index("Limitations") : text.index("Environment and parameters")]
    assert f"mine-ft is not a bundled model: {said}" in limits
    assert "What the bundled networks learned from: CASIA" in limits
    assert "What the networks learned from" not in limits  # said of every model that ran
    # one model, no ensemble: the HEIF and messenger figures are the bundled default verdict's
    # (they read "the default verdict flagged 3 of them", as if this report's)
    assert "The bundled default verdict flagged 3 of the 23, against 1 as JPEG" in limits
    assert "The bundled default verdict flagged 2 of the 23 authentic" in limits
    assert "The default verdict flagged" not in limits
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert any("mine-ft is not a bundled model" in line for line in doc["limitations"])


def test_a_bundled_models_report_says_nothing_of_a_model_not_bundled(tmp_path: Path) -> None:
    bundled = resources_dir() / "models" / "crfd-net-compact.safetensors"
    analyzer = Analyzer([load_checkpoint(bundled)], device="cpu")
    analysis = analyzer.analyze(load_evidence(write_rgb(tmp_path / "a.png", 80, 96)))
    item = item_from_analysis(analysis, cards=cards_from_analyzer(analyzer))
    paths = write_report([item], tmp_path / "report", ["html"])
    text = flat(" ".join(check_html(paths["html"]).text))
    assert "not a bundled model" not in text
    assert "What the bundled networks learned from: CASIA" in text
    # its figures are calibrate's, on the whole validation part: that count, not fit's own
    n = read_meta(bundled).metrics["val_images"]
    assert n != read_meta(bundled).training["metrics"]["images"]
    assert f"are the ones to quote; that split: {n} images " in text
    # its Training row names the recipe, not the build machine's folders and file names
    assert "Training bundled with the viewer, made by the project's recipe " in text
    assert "packaging/recipes/crfd-net-compact.sh" in text
    assert (Path(__file__).parents[2] / "packaging/recipes/crfd-net-compact.sh").is_file()
    assert "best.safetensors" not in text and "casia1-dev" not in text


def test_a_fine_tunes_probability_against_its_verdict_is_not_explained_by_false_alarms(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    """A fine-tune's θ is calibrate's midpoint and its probability a curve fitted on a handful
    of validation images: read "authentic" beside p 0.96, the report explained it by "θ is set
    to flag few authentic ones (the measured rates say how few)", the bundled models' rule,
    which this θ never followed."""
    model = _fine_tuned(tiny_checkpoint, tmp_path / "mine-ft.safetensors")
    loaded = load_checkpoint(model)
    rule = replace(
        loaded.meta.decision,
        threshold=1.0,  # no forged fraction exceeds it: authentic
        provenance="θ = 1: midpoint of max real / min fake forged fraction (fixture)",
        # a slope > 0 (a flat or backwards curve is read as none); p > 0.94 at any fraction
        calibration={"a": 0.01, "b": 3.0, "fitted_on": "5 validation images (fixture)"},
    )
    model = save_checkpoint(model, loaded.model, replace(loaded.meta, decision=rule))
    analyzer = Analyzer([load_checkpoint(model)], device="cpu")
    analysis = analyzer.analyze(load_evidence(write_rgb(tmp_path / "a.png", 80, 96)))
    (result,) = analysis.results.values()
    assert result.verdict == "authentic" and result.probability > 0.9
    item = item_from_analysis(analysis, cards=cards_from_analyzer(analyzer))
    paths = write_report([item], tmp_path / "report", ["html"])
    text = flat(" ".join(check_html(paths["html"]).text))
    assert "a probability above 0.5, not flagged" in text
    assert "θ is set to flag few authentic" not in text
    assert "θ was chosen by its own rule (its provenance says which" in text


def test_a_data_path_recorded_as_typed_is_not_read_as_a_word() -> None:
    """Checkpoints written before 2026-12-05 recorded ``fit --data data`` as ``"data"``: the
    report read "fine-tuned from ... for 8 steps on data"."""
    from forensic_viewer.report.limitations import training_words

    said = training_words({"step": 8, "data": [{"path": "data"}, {"path": "/cases/x"}]})
    assert said == (
        "trained for 8 steps on 'data' (a folder relative to where it was trained, which is not "
        "recorded), /cases/x"
    )
