"""Compare mode at a 1600 x 1000 window's pane width: each title says the verdict's rule with θ
and each chooser shows its model's whole name (offscreen, fake results: no network runs).

A walk-through's screenshot read "AUTHENTIC · probability 0.52 (calibrated)" over a large
orange mask (an apparent contradiction: the verdict is the mask's share against θ), and cut the
titles and choosers to "— bu…" and "bundled-ensembl"."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6.QtWidgets import QStyle, QStyleOptionComboBox

from engine.types import Analysis
from forensic_viewer.gui.compare import CompareView, compare_sources
from forensic_viewer.layers import LayerList, build_layers
from forensic_viewer.wording import odds_words
from tests.conftest import memory_evidence
from tests.viewer.test_layers import _result, _two_blobs

pytestmark = pytest.mark.gui


def _analysis() -> Analysis:
    """The walk-through's file: a manipulated ensemble, an authentic model at probability
    0.52 whose forged fraction 29.33 % stays under its θ of 34.23 %, two more models."""
    rng = np.random.default_rng(0)
    evidence = memory_evidence(rng.integers(0, 256, (40, 60, 3), dtype=np.uint8), file_size=1)
    heat = _two_blobs()
    authentic = dataclasses.replace(
        _result("crfd-net-compact", heat), verdict="authentic", probability=0.52,
        forged_fraction=0.2933, threshold=0.3423,
    )  # fmt: skip
    ensemble = dataclasses.replace(
        _result("bundled-ensemble", heat), rule="ensemble", score=0.956, threshold=0.5986,
        probability=0.96, threshold_provenance="stacking: test",
    )  # fmt: skip
    results = {
        "crfd-net-compact": authentic,
        "diffforensics-effl0": dataclasses.replace(
            _result("diffforensics-effl0", heat), probability=0.79
        ),
        "diffforensics-faces": dataclasses.replace(
            _result("diffforensics-faces", heat), probability=0.91
        ),
    }
    return Analysis(evidence, results, ensemble=ensemble)


def test_a_panes_title_says_why_an_authentic_verdict_has_a_probability_above_a_half() -> None:
    analysis = _analysis()
    source = next(s for s in compare_sources(LayerList(), analysis) if s.name == "crfd-net-compact")
    assert source.title.startswith("AUTHENTIC · probability 0.52 (calibrated)")
    assert "forged fraction 29.33% ≤ θ 34.23%" in source.title  # the rule, θ in its unit
    assert source.title.endswith(" — crfd-net-compact")
    note = odds_words("authentic", 0.52)
    assert note is not None and source.tooltip == f"{source.title}\n{note}"  # the card's words
    ensemble = next(
        s for s in compare_sources(LayerList(), analysis) if s.name == "bundled-ensemble"
    )
    assert "score 0.956 > θ 0.5986" in ensemble.title and ensemble.tooltip == ensemble.title


def test_the_ensembles_pane_names_its_score_as_its_card_does() -> None:
    """The walk-through's ensemble pane said "score 0.956 > θ 0.5986" where its verdict card
    said "stacked score 0.956 > θ 0.5986"; without a calibration the score is said once."""
    from forensic_viewer.gui.verdict_panel import decision_text

    analysis = _analysis()
    assert analysis.ensemble is not None
    card = decision_text(analysis.ensemble)
    assert card == "stacked score 0.956 > θ 0.5986"
    (pane,) = (s for s in compare_sources(LayerList(), analysis) if s.name == "bundled-ensemble")
    assert f"· {card} —" in pane.title
    weighted = dataclasses.replace(analysis.ensemble, probability=None, threshold_provenance="")
    analysis = dataclasses.replace(analysis, ensemble=weighted)
    (pane,) = (s for s in compare_sources(LayerList(), analysis) if s.name == "bundled-ensemble")
    assert "weighted member score 0.956 > θ 0.5986 (not a probability" in pane.title
    assert pane.title.count("0.956") == 1


def _edit_width(chooser) -> int:
    """The width the chooser's style leaves for its text."""
    option = QStyleOptionComboBox()
    chooser.initStyleOption(option)
    style = chooser.style()
    field = style.subControlRect(
        QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxEditField, chooser
    )
    return field.width()


def test_titles_and_choosers_are_read_whole_at_a_third_of_a_wide_window(qtbot) -> None:
    """Five panes in three columns, each about 320 pixels wide, as in a 1600 x 1000 window with
    its docks: each chooser shows its whole name; each title shows the verdict and probability
    on its first line, the rule with θ on its second, and cuts nothing else without an
    ellipsis."""
    analysis = _analysis()
    view = CompareView()
    qtbot.addWidget(view)
    view.resize(960, 800)
    view.set_content(build_layers(analysis.evidence, analysis), analysis)
    view.show()
    qtbot.waitUntil(lambda: all(p.isVisible() for p in view.panes))
    assert len(view.panes) == 5
    for pane in view.panes:
        assert 250 < pane.width() < 360
        chooser = pane.chooser
        name = chooser.currentText()
        assert chooser.fontMetrics().horizontalAdvance(name) <= _edit_width(chooser), name
    for pane in view.panes:
        lines = pane.title.shown_lines()
        if pane.source.kind == "original":
            assert lines == ["original"]
            continue
        result = pane.source.name == "bundled-ensemble" and analysis.ensemble
        result = result or analysis.results[pane.source.name]
        lead = f"{result.verdict.upper()} · probability {result.probability:.2f} (calibrated)"
        assert lines[0] == lead  # whole, on its own line
        assert "θ" in lines[1], lines
        rest = pane.title.text().removeprefix(lead + " · ")
        assert lines[1] == rest or (lines[1].endswith("…") and rest.startswith(lines[1][:-1]))
    assert view.panes[1].title.shown_lines()[0] == "MANIPULATED · probability 0.96 (calibrated)"
