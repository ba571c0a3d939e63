"""The colours of text that says a verdict, a finding, an error or a warning, on a light and a
dark theme: the evidence list's badges, the classic analyses' findings, the verdict cards'
and the compare panes' titles, the training dialog's refusals, warnings, errors and problems.

The expected colours were recorded from the viewer as of commit 54c0bbc (the neutral "not
flagged" of walk-through L since), so that a change to how they are set or recoloured on a
change of theme keeps each of them as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QWidget

from engine.analyses.base import AnalysisResult, Finding, Output, Provenance
from engine.types import Analysis
from forensic_viewer.gui.panels import (
    BADGE_ERROR,
    BADGE_LOADING,
    GREY,
    NEUTRAL,
    RED,
    Badge,
    EvidenceList,
)
from tests.conftest import memory_evidence
from tests.viewer.test_accessibility import _palette, _result

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("models_dir")]

# place -> (light theme, dark theme), as the viewer drew them before the change
RECORDED = {
    "badge authentic": ("#464646", "#858585"),  # neutral, no longer green (walk-through L)
    "badge manipulated": ("#cf483f", "#e7544a"),
    "badge out of range": ("#767676", "#8c8c8c"),
    "badge loading": ("#757575", "#969696"),
    "badge error": ("#c83c3c", "#d36363"),
    "finding strong": ("#d83b31", "#e1574f"),
    "finding notice": ("#a06800", "#c88200"),
    "card manipulated": ("#bd4239", "#ed7e76"),
    "card authentic": ("#464646", "#9f9f9f"),
    "card out of range": ("#6a6a6a", "#9e9e9e"),
    "compare manipulated": ("#bd4239", "#ed7e76"),
    "compare authentic": ("#464646", "#9f9f9f"),
    "training refusal": ("#bf3b3b", "#e18585"),
    "training warning": ("#9a5f00", "#d68f1f"),
    "training error": ("#bf3b3b", "#e18585"),
    "training problem": ("#eb0000", "#ff2e2e"),
}


def _style_color(widget: QWidget) -> str:
    found = re.search(r"color: (#[0-9a-f]{6})", widget.styleSheet())
    assert found is not None, widget
    return found.group(1)


def _shown(qtbot, tmp_path: Path) -> Callable[[], dict[str, str]]:
    """Every place that colours its text, filled; what reads their colours now."""
    from forensic_viewer.gui.analysis_panel import LEVEL_COLORS, AnalysisPanel
    from forensic_viewer.gui.compare import ComparePane, Source
    from forensic_viewer.gui.training_dialog import TrainingDialog
    from forensic_viewer.gui.verdict_panel import VerdictPanel
    from forensic_viewer.gui.workers import AnalysisWorker
    from forensic_viewer.layers import LayerList

    evidence = EvidenceList()
    qtbot.addWidget(evidence)
    badges = {
        "authentic": Badge("○ not flagged (ensemble)", NEUTRAL),
        "manipulated": Badge("⚠ manipulated (ensemble)", RED),
        "out of range": Badge("? out of range", GREY),
        "loading": BADGE_LOADING,
        "error": BADGE_ERROR,
    }
    for name, badge in badges.items():
        evidence.set_badge(evidence.entry(f"/cases/{name}.jpg"), badge)

    analyses = AnalysisPanel(AnalysisWorker())
    qtbot.addWidget(analyses)
    findings = tuple(Finding("software", level, "x", level, "") for level in LEVEL_COLORS)
    output = Output(findings=findings)
    analyses.show_results({"metadata": AnalysisResult("metadata", Provenance("m", "s", "1"), {},
                                                      "0" * 64, 0.01, output)})  # fmt: skip
    top = analyses.tree.topLevelItem(0)
    children = [top.child(j) for j in range(top.childCount())]
    rows = {
        level: next(c for c in children if c.text(0).startswith(level)) for level in LEVEL_COLORS
    }

    verdicts = VerdictPanel()
    qtbot.addWidget(verdicts)
    out_of_range = _result("c", "authentic")
    out_of_range.out_of_range = {"short_side": 4, "min_side": 192}
    verdicts.set_analysis(
        Analysis(
            evidence=memory_evidence(np.zeros((4, 4, 3), np.uint8)),
            results={
                "a": _result("a", "manipulated"),
                "b": _result("b", "authentic"),
                "c": out_of_range,
            },
        )
    )

    panes = {"manipulated": ComparePane("a"), "authentic": ComparePane("b")}
    for name, pane in panes.items():
        qtbot.addWidget(pane)
        source = Source("model", name, name, RED if name == "manipulated" else NEUTRAL)
        pane.set_sources(LayerList(), [source], source)

    dialog = TrainingDialog(runs_dir=tmp_path / "runs")
    qtbot.addWidget(dialog)
    dialog.warnings_label.setText("a warning")
    dialog._set_status("the trainer failed", error=True)
    dialog._on_check_finished(1, "killed")  # a check that ended without an answer: a problem

    def colours() -> dict[str, str]:
        found = {f"badge {name}": evidence.item(i).foreground().color().name()
                 for i, name in enumerate(badges)}  # fmt: skip
        for level, row in rows.items():
            assert row.foreground(0).color() == row.foreground(1).color(), level
            found[f"finding {level}"] = row.foreground(0).color().name()
        for card, name in zip(verdicts.cards, ("manipulated", "authentic", "out of range"),
                              strict=True):  # fmt: skip
            found[f"card {name}"] = _style_color(card.title)
        found |= {f"compare {name}": _style_color(pane.title) for name, pane in panes.items()}
        found["training refusal"] = _style_color(dialog.start_note)
        found["training warning"] = _style_color(dialog.warnings_label)
        found["training error"] = _style_color(dialog.status)
        found["training problem"] = dialog.data_problems.item(0).foreground().color().name()
        return found

    return colours


@pytest.fixture
def theme(qapp) -> Iterator[Callable[[bool], None]]:
    """Sets the application's palette to a light or dark theme; the test's palette restored."""
    before = qapp.palette()
    yield lambda dark: qapp.setPalette(_palette(dark))
    qapp.setPalette(before)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_each_place_colours_its_text_as_before(qtbot, tmp_path, theme, dark: bool) -> None:
    theme(dark)
    colours = _shown(qtbot, tmp_path)
    assert colours() == {place: pair[dark] for place, pair in RECORDED.items()}


def test_a_theme_change_recolours_every_place_at_once(qtbot, qapp, tmp_path, theme) -> None:
    """One change of theme, no file opened again: every place takes the new theme's colour,
    the same as if it had been filled on that theme; and back. Only the palette's events are
    delivered, no timer runs: the classic analyses' findings waited for one."""
    theme(False)
    colours = _shown(qtbot, tmp_path)
    for dark in (True, False):
        theme(dark)
        qapp.sendPostedEvents(None, QEvent.Type.ApplicationPaletteChange)
        qapp.sendPostedEvents(None, QEvent.Type.PaletteChange)
        assert colours() == {place: pair[dark] for place, pair in RECORDED.items()}


def test_the_recorded_colours_read_at_aa_contrast() -> None:
    """The pins above are worth keeping: each reaches 4.5:1 on its theme's backgrounds."""
    from forensic_viewer.gui.panels import AA_CONTRAST, contrast_ratio

    for place, pair in RECORDED.items():
        for dark, name in enumerate(pair):
            base = _palette(bool(dark)).color(QPalette.ColorRole.Base)
            assert contrast_ratio(QColor(name), base) >= AA_CONTRAST, place


def test_a_row_tinted_back_to_none_keeps_the_themes_own_colour(qtbot, qapp, theme) -> None:
    """A row's colour taken back (None) is the theme's own text colour, also after a change
    of theme: not the colour it had, nor that colour made for the new theme."""
    from PySide6.QtWidgets import QListWidgetItem

    from forensic_viewer.gui.panels import tint

    theme(False)
    evidence = EvidenceList()
    qtbot.addWidget(evidence)
    item = evidence.entry("/cases/a.jpg")
    tint(item, RED)
    assert item.foreground().color().name() == RECORDED["badge manipulated"][False]
    tint(item, None)
    assert item.data(Qt.ItemDataRole.ForegroundRole) is None
    theme(True)
    qapp.sendPostedEvents(None, QEvent.Type.ApplicationPaletteChange)
    assert item.data(Qt.ItemDataRole.ForegroundRole) is None
    with pytest.raises(ValueError, match="once it is in its view"):
        tint(QListWidgetItem("not in a list"), RED)
