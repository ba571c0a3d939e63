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
from forensic_viewer.wording import PRIOR_CAVEAT, odds_short, odds_words, verdict_words
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
    # no file's SHA-256: the fixture's "f" * 64 under a bundled name reads as another file
    # than the bundled one, which its pane's title would say (test_not_the_bundled.py)
    results = {k: dataclasses.replace(r, checkpoint_sha256=None) for k, r in results.items()}
    return Analysis(evidence, results, ensemble=ensemble)


def test_a_panes_title_says_why_an_authentic_verdict_has_a_probability_above_a_half() -> None:
    analysis = _analysis()
    source = next(s for s in compare_sources(LayerList(), analysis) if s.name == "crfd-net-compact")
    assert source.title.startswith("not flagged · probability 0.52 (calibrated)")
    assert "marked area 29.33% ≤ θ 34.23%" in source.title  # the rule, θ in its unit
    assert source.title.endswith(" — crfd-net-compact")
    # the explanation stands in the pane, not only in its tooltip (walk-through 2026-12-05:
    # "AUTHENTIC · probability 0.57" stood bare), short, the card's sentence in the tooltip
    short = odds_short("authentic", 0.52)
    assert short is not None and f" · {short} · mask > 0.5 — " in source.title
    note = odds_words("authentic", 0.52)
    assert note is not None and source.tooltip.startswith(f"{source.title}\n")  # the card's words
    # and what the probability assumes, which the title has no room for (walk-through
    # 2026-12-06, finding 2)
    assert source.tooltip.endswith(f"probability {PRIOR_CAVEAT}. {note[0].upper()}{note[1:]}")
    ensemble = next(
        s for s in compare_sources(LayerList(), analysis) if s.name == "bundled-ensemble"
    )
    assert "score 0.956 > θ 0.5986" in ensemble.title
    assert ensemble.tooltip == f"{ensemble.title}\nprobability {PRIOR_CAVEAT}"


def test_the_ensembles_pane_names_its_score_as_its_card_does() -> None:
    """The walk-through's ensemble pane said "score 0.956 > θ 0.5986" where its verdict card
    said "stacked score 0.956 > θ 0.5986"; without a calibration the score is said once."""
    from forensic_viewer.gui.verdict_panel import decision_text

    analysis = _analysis()
    assert analysis.ensemble is not None
    card = decision_text(analysis.ensemble)
    assert card == "stacked score 0.956 > θ 0.5986"
    (pane,) = (s for s in compare_sources(LayerList(), analysis) if s.name == "bundled-ensemble")
    assert f"· {card} · mask > 0.5 —" in pane.title
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


@pytest.mark.parametrize("width", [960, 660])
def test_titles_and_choosers_are_read_whole_at_a_third_of_a_wide_window(qtbot, width) -> None:
    """Five panes in three columns, each about 320 pixels wide, as in a 1600 x 1000 window with
    its docks, or about 220 with the Analyses dock open too (screenshots 38 and 40 of the
    walk-through, whose titles were cut at "θ 0…"): each chooser shows its whole name at 320
    pixels; each title shows the verdict and probability on its first line and then the rest
    of its text, whole, on as many lines as it takes."""
    analysis = _analysis()
    view = CompareView()
    qtbot.addWidget(view)
    view.resize(width, 800)
    view.set_content(build_layers(analysis.evidence, analysis), analysis)
    view.show()
    qtbot.waitUntil(lambda: all(p.isVisible() for p in view.panes))
    # every title as high as its lines, once the layout has taken the heights they asked for
    qtbot.waitUntil(
        lambda: all(
            p.title.height() >= len(p.title.shown_lines()) * p.title.fontMetrics().lineSpacing()
            for p in view.panes
        )
    )
    assert len(view.panes) == 5
    for pane in view.panes:
        assert (250 < pane.width() < 360) if width == 960 else (180 < pane.width() < 250)
        chooser = pane.chooser
        name = chooser.currentText()
        if width == 960:
            assert chooser.fontMetrics().horizontalAdvance(name) <= _edit_width(chooser), name
    for pane in view.panes:
        lines = pane.title.shown_lines()
        if pane.source.kind == "original":
            assert lines == ["original"]
            continue
        result = pane.source.name == "bundled-ensemble" and analysis.ensemble
        result = result or analysis.results[pane.source.name]
        assert lines[0].startswith(verdict_words(result.verdict))  # the verdict first
        assert f"probability {result.probability:.2f} (calibrated)" in " ".join(lines)
        assert not any(line.endswith("…") for line in lines), lines  # nothing cut

        def bare(text: str) -> str:  # the "·" a line breaks at is not drawn
            return text.replace(" ", "").replace("·", "")

        assert bare("".join(lines)) == bare(pane.title.text())  # the whole text, drawn
        # every line drawn fits in the title's height, which grew to hold them
        assert pane.title.height() >= len(lines) * pane.title.fontMetrics().lineSpacing()
    assert view.panes[1].title.shown_lines()[0].startswith("flagged as manipulated")
