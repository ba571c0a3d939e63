"""Compare mode: a network's partial map has a pane of its own, marked partial with no verdict,
as the main view shows it (after a Cancel, and while the network runs); a loaded ground-truth
mask has a pane too."""

from __future__ import annotations

import numpy as np
import pytest

from engine.types import Analysis, PartialMap
from forensic_viewer.gui.compare import CompareView, partial_title
from forensic_viewer.gui.panels import GREY, text_color
from forensic_viewer.layers import build_layers, show_partial
from forensic_viewer.model_layers import GroundTruthLayer, PartialHeatmapLayer
from forensic_viewer.wording import PRIOR_CAVEAT, partial_words, verdict_words
from tests.conftest import memory_evidence
from tests.viewer.test_layers import _result, _two_blobs

pytestmark = pytest.mark.gui


def test_a_partial_map_a_cancel_kept_has_its_pane_marked_partial_without_verdict(qtbot) -> None:
    """The main view showed m2's partial map, but compare mode had panes only for the finished
    models: the map the analyst was watching when they cancelled was not in any pane."""
    rng = np.random.default_rng(0)
    evidence = memory_evidence(rng.integers(0, 256, (40, 60, 3), dtype=np.uint8), file_size=1)
    half = np.full((40, 60), np.nan, np.float32)
    half[:20] = 0.7
    partial = PartialMap("m2", half, 0.5)
    kept = Analysis(
        evidence, {"m1": _result("m1", _two_blobs())}, partial={"m2": partial}, cancelled=True
    )
    layers = build_layers(evidence, kept)
    view = CompareView()
    qtbot.addWidget(view)
    view.set_content(layers, kept)

    titles = [pane.title.text() for pane in view.panes]
    assert titles[0] == "original" and titles[1].startswith("flagged as manipulated · score")
    (pane,) = [p for p in view.panes if p.source is not None and p.source.name == "m2"]
    assert pane.title.text() == partial_title("m2", 0.5)
    assert pane.title.text().startswith(partial_words(0.5))  # "partial (50 % …) — no verdict"
    assert "flagged" not in pane.title.text()  # "not flagged" neither: no verdict
    # neither red nor green: no verdict (grey, made legible on the theme)
    assert text_color(pane, GREY).name() in pane.title.styleSheet()
    drawn = [v.layer for v in pane.canvas.visuals if v.layer.kind != "image"]
    assert [type(la) for la in drawn] == [PartialHeatmapLayer]  # m2's partial map, nothing else


def test_a_panes_title_says_how_sure_the_model_is_as_its_verdict_card_does(
    qtbot, tmp_path, tiny_checkpoint
) -> None:
    """The pane of a calibrated ensemble said "score 0.430" while its card in the Verdict
    panel said "probability 0.50 (calibrated)": two numbers for one model, read as a
    disagreement. The title now says the card's words; the score only without calibration."""
    from tests.conftest import write_calibrated_pair
    from tests.viewer.conftest import write_image
    from tests.viewer.test_main_window import _window, open_and_wait

    pair = write_calibrated_pair(tiny_checkpoint)
    window = _window(qtbot, tmp_path, [str(tiny_checkpoint), str(pair)])
    open_and_wait(qtbot, window, write_image(tmp_path / "photo.png", h=240, w=320))
    ensemble = window.current_analysis().ensemble
    assert ensemble is not None and ensemble.probability is not None
    tiny = window.current_analysis().results["tiny"]
    assert tiny.probability is None  # no calibration of its own
    window.set_compare(True)
    titles = {p.source.name: p.title.text() for p in window.compare.panes}
    card = window.verdict_panel.text()
    sure = f"probability {ensemble.probability:.2f} (calibrated"
    verdict = verdict_words(ensemble.verdict)
    # then the rule (or why p and the verdict point opposite ways); what p assumes is in the
    # title's tooltip (a third of a window is short), and at the number on the card
    assert titles["pair"].startswith(f"{verdict} · {sure}) · ")
    sure += f"; {PRIOR_CAVEAT})"
    assert f"{verdict} · {sure}" in card or f") · {sure}" in card
    # the raw score only as the rule compares it with θ, never as how sure the model is
    op = ">" if ensemble.verdict == "manipulated" else "≤"
    assert titles["pair"].count(f"{ensemble.score:.3f}") == 1
    assert f"score {ensemble.score:.3f} {op} θ" in titles["pair"]
    raw = f"score {tiny.score:.3f} (not a probability: no calibration)"
    assert raw in card
    assert tiny.rule == "forged_fraction"  # its θ is on the mask's share: both figures said
    assert titles["tiny"].startswith(f"{verdict_words(tiny.verdict)} · {raw} · marked area ")


def _drawn(pane) -> list:
    return [v.layer for v in pane.canvas.visuals if v.layer.kind != "image"]


def _pane(view: CompareView, name: str):
    (pane,) = [p for p in view.panes if p.source is not None and p.source.name == name]
    return pane


def test_a_loaded_ground_truth_has_a_pane_beside_the_models(qtbot) -> None:
    """The loaded true mask was in no pane and no pane's chooser: the analyst could not set
    it beside a model's map in compare mode."""
    rng = np.random.default_rng(1)
    evidence = memory_evidence(rng.integers(0, 256, (40, 60, 3), dtype=np.uint8), file_size=1)
    analysis = Analysis(evidence, {"m1": _result("m1", _two_blobs())})
    layers = build_layers(evidence, analysis)
    view = CompareView()
    qtbot.addWidget(view)
    view.set_content(layers, analysis)
    assert "ground truth" not in view.panes[0].offered  # none loaded: none offered
    truth = GroundTruthLayer(_two_blobs() > 0.5)
    layers.append(truth)
    view.set_content(layers, analysis)
    pane = _pane(view, "ground truth")
    assert pane.title.text().startswith("ground truth")
    assert _drawn(pane) == [truth]  # the true mask alone, no model's layer
    assert all("ground truth" in p.offered for p in view.panes)  # any pane can show it
    model_pane = _pane(view, "m1")
    assert truth in _drawn(model_pane)  # and outlined over the model's mask (walk-through C, 5)
    model_pane.choose("ground truth")
    assert _drawn(model_pane) == [truth]


def test_a_running_networks_partial_map_has_a_pane_that_follows_it(qtbot) -> None:
    """While a network ran, the main view filled its heatmap in, but no pane drew it until
    the run ended. Its pane shows the partial map, hatched where not computed, and its title
    follows the share computed."""
    rng = np.random.default_rng(2)
    evidence = memory_evidence(rng.integers(0, 256, (40, 60, 3), dtype=np.uint8), file_size=1)
    layers = build_layers(evidence, None)  # running: no analysis yet
    quarter = np.full((40, 60), np.nan, np.float32)
    quarter[:10] = 0.6
    layer = show_partial(layers, PartialMap("m2", quarter, 0.25))
    view = CompareView()
    qtbot.addWidget(view)
    view.set_content(layers, None)
    pane = _pane(view, "m2")
    assert pane.title.text() == partial_title("m2", 0.25)
    assert text_color(pane, GREY).name() in pane.title.styleSheet()
    assert _drawn(pane) == [layer]  # the main view's layer: drawn hatched where NaN
    half = quarter.copy()
    half[:20] = 0.6
    show_partial(layers, PartialMap("m2", half, 0.5))  # more tiles finished
    assert pane.title.text() == partial_title("m2", 0.5)
    assert _pane(view, "m2") is pane  # the same pane, its title only changed
