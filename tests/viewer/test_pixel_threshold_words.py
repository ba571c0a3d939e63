"""A mask's pixel threshold is called calibrated only when the checkpoint records that it was
chosen on validation data (``calibrate --pixel-threshold auto``, ``face-model``); otherwise the
reports and the viewer call it the pixel threshold stored in the checkpoint. A walk-through
(2026-12-06) found a freshly trained model's untuned 0.5 called "the model's calibrated pixel
threshold" one row above "not calibrated; run forensic-train calibrate"."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QPushButton

from engine.calibration import pixel_threshold_calibrated
from engine.checkpoints import load_checkpoint, read_meta, save_checkpoint
from engine.io import load_evidence
from engine.pipeline import Analyzer
from engine.resources import resources_dir
from forensic_viewer.layers import LayerList, add_analysis_layers
from forensic_viewer.model_layers import MaskLayer
from forensic_viewer.report import ModelCard, cards_from_analyzer, item_from_analysis, write_report
from forensic_viewer.report.model import RAN, ModelEntry
from tests.conftest import make_tiny_checkpoint, write_rgb
from tests.viewer.test_report import check_html, flat

CALIBRATED = "the model's calibrated pixel threshold, from its checkpoint"  # as before
STORED = "the pixel threshold stored in its checkpoint (not calibrated)"


def _calibrated(tiny: Path, out: Path) -> Path:
    """``tiny`` as ``calibrate --pixel-threshold auto`` leaves it: 0.35 chosen, and so
    recorded in its decision's details."""
    loaded = load_checkpoint(tiny)
    details = {"pixel_threshold": 0.35, "pixel_threshold_choice": "auto"}
    decision = replace(loaded.meta.decision, pixel_threshold=0.35, details=details)
    meta = replace(loaded.meta, name="chosen", decision=decision)
    return save_checkpoint(out, loaded.model, meta)


def test_what_counts_as_calibrated_is_what_the_header_records() -> None:
    """calibrate's "auto" and face-model's choice count; keep, a number given, auto with no
    mask to choose on, a fine-tune's kept threshold and fit's untuned default do not. Of the
    bundled networks, crfd-net-compact's 0.5 was never chosen (it was bundled before
    ``--pixel-threshold auto`` existed): its reports say so now."""
    assert pixel_threshold_calibrated({"pixel_threshold_choice": "auto"})
    assert pixel_threshold_calibrated({"pixel_threshold_choice": "keep (calibrated 2026-12-01)"})
    for choice in ("keep", "0.3", "keep (auto: no mask marks a pixel)"):
        assert not pixel_threshold_calibrated({"pixel_threshold_choice": choice}), choice
    assert not pixel_threshold_calibrated({"pixel_threshold_from": "/runs/a/best.safetensors"})
    assert not pixel_threshold_calibrated({})
    assert pixel_threshold_calibrated({"false_alarm_target": 0.03, "theta_from": "max"})
    models = resources_dir() / "models"
    chosen = {
        p.stem: pixel_threshold_calibrated(read_meta(p).decision.details)
        for p in sorted(models.glob("*.safetensors"))
    }
    assert chosen == {
        "crfd-net-compact": False,
        "diffforensics-effl0": True,
        "diffforensics-faces": True,
        "m2f-effl0": True,
        "m2f-swin-nano": True,
    }


def test_the_report_calls_only_a_chosen_pixel_threshold_calibrated(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    chosen = _calibrated(tiny_checkpoint, tmp_path / "chosen.safetensors")
    analyzer = Analyzer([load_checkpoint(tiny_checkpoint), load_checkpoint(chosen)], device="cpu")
    analysis = analyzer.analyze(load_evidence(write_rgb(tmp_path / "a.png", 80, 96)))
    assert analysis.results["tiny"].pixel_threshold_calibrated is False
    assert analysis.results["chosen"].pixel_threshold_calibrated is True
    item = item_from_analysis(analysis, cards=cards_from_analyzer(analyzer))
    paths = write_report([item], tmp_path / "report", ["html", "json"])

    (doc_item,) = json.loads(paths["json"].read_text(encoding="utf-8"))["items"]
    sources = {m["name"]: m["mask_threshold"]["source"] for m in doc_item["models"]}
    assert sources == {"tiny": STORED, "chosen": CALIBRATED}
    text = flat(" ".join(check_html(paths["html"]).text))
    assert f"Pixel threshold (mask) 0.5: {STORED}" in text
    assert f"Pixel threshold (mask) 0.35: {CALIBRATED}" in text
    assert f"outline: mask (heatmap > 0.5), at {STORED}" in text
    assert f"outline: mask (heatmap > 0.35), at {CALIBRATED}" in text
    assert text.count("calibrated pixel threshold") == 2  # the chosen model's row and caption


def test_a_row_from_before_reads_its_checkpoints_header(tmp_path: Path) -> None:
    """A row written before results recorded it says calibrated only as the header it was
    made with does (the card, read when the checkpoint's SHA-256 still matches), and without
    a header neither claims it nor denies it."""
    figures = {"pixel_threshold": 0.35}
    header = ModelCard(source="checkpoint header", pixel_threshold_calibrated=True)
    entry = ModelEntry("m", "model", RAN, figures=figures, card=header)
    assert entry.mask_threshold == {"value": 0.35, "source": CALIBRATED, "viewer_slider": None}
    unread = ModelEntry("m", "model", RAN, figures=figures, card=ModelCard(source="changed"))
    assert unread.mask_threshold is not None
    assert unread.mask_threshold["source"] == "the pixel threshold stored in its checkpoint"
    said = ModelEntry("m", "model", RAN, figures={**figures, "pixel_threshold_calibrated": False})
    assert said.mask_threshold is not None and said.mask_threshold["source"] == STORED


def test_the_mask_controls_reset_to_the_stored_or_the_calibrated_threshold(
    qtbot, tmp_path: Path
) -> None:
    """The viewer's reset button read "calibrated 0.5" for any model."""
    from forensic_viewer.gui.layer_panel import LayerControls

    tiny = make_tiny_checkpoint(tmp_path / "tiny.safetensors")
    chosen = _calibrated(tiny, tmp_path / "chosen.safetensors")
    analyzer = Analyzer([load_checkpoint(tiny), load_checkpoint(chosen)], device="cpu")
    layers = LayerList([])
    add_analysis_layers(layers, analyzer.analyze(load_evidence(write_rgb(tmp_path / "a.png"))))
    said = {}
    for mask in layers.of_kind("mask"):
        assert isinstance(mask, MaskLayer)
        controls = LayerControls(mask)
        qtbot.addWidget(controls)
        (reset,) = [b for b in controls.findChildren(QPushButton) if b.text()[-1].isdigit()]
        said[mask.model] = (reset.text(), reset.toolTip())
    assert said == {
        "tiny": ("stored 0.5", f"back to {STORED}"),
        "chosen": ("calibrated 0.35", "back to the model's calibrated pixel threshold"),
    }
    assert np.isclose(layers["chosen mask"].calibrated_threshold, 0.35)


def test_a_scan_from_before_the_figure_reads_the_face_model_header_by_its_sha256(
    tmp_path: Path,
) -> None:
    """scan.json's face_model_figures had no pixel_threshold_calibrated before 2026-12-06: the
    bundled face model's threshold then read "stored in its checkpoint" while the networks fell
    back to their headers. Its header is read when the file is still the one that ran."""
    from engine.checkpoints import file_sha256
    from forensic_viewer.report.model_summary import face_model_summaries

    path = resources_dir() / "models" / "diffforensics-faces.safetensors"
    sha = file_sha256(path)
    figures = {"checkpoint": str(path), "checkpoint_sha256": sha, "pixel_threshold": 0.45}

    def summary(figures: dict[str, object], sha: str) -> bool | None:
        settings = {"face_model_figures": {"f": figures}, "face_models": {"f": sha}}
        (m,) = face_model_summaries(settings, {"f": 1}, {"f": {sha}})
        return m.pixel_threshold_calibrated

    assert summary(figures, sha) is True
    assert summary({**figures, "pixel_threshold_calibrated": False}, sha) is False  # as said
    other = "0" * 64  # another file at that path since: its header is not this model's
    assert summary({**figures, "checkpoint_sha256": other}, other) is None
