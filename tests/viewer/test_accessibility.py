"""Accessibility of the viewer: text contrast, names for screen readers, keys (pytest-qt,
offscreen). What is supported and how it was checked: docs/ARCHITECTURE.md, "Accessibility".

Contrast: WCAG 2 level AA, 4.5:1 for text of normal size, on a light and a dark theme. The
verdict colours as chosen read 2.9:1 (green) and 3.8:1 (red) on a light theme's white.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette

from engine.types import Analysis, ModelResult
from forensic_viewer.gui.panels import (
    AA_CONTRAST,
    BADGE_ERROR,
    BADGE_LOADING,
    GREY,
    NEUTRAL,
    RED,
    Badge,
    EvidenceList,
    contrast_ratio,
    legible,
)
from forensic_viewer.gui.training_live import ERROR_COLOR, WARNING_COLOR
from tests.conftest import memory_evidence

pytestmark = pytest.mark.gui

WHITE, LIGHT_WINDOW = QColor(255, 255, 255), QColor(239, 239, 239)  # Fusion's light theme
DARK_BASE, DARK_WINDOW = QColor(30, 30, 30), QColor(53, 53, 53)  # a common dark theme
VERDICT_COLORS = {"red": RED, "neutral": NEUTRAL, "grey": GREY, "error": BADGE_ERROR.color}
VERDICT_COLORS |= {"training error": ERROR_COLOR, "training warning": WARNING_COLOR}


def _palette(dark: bool) -> QPalette:
    palette = QPalette()
    base, window = (DARK_BASE, DARK_WINDOW) if dark else (WHITE, LIGHT_WINDOW)
    palette.setColor(QPalette.ColorRole.Base, base)
    palette.setColor(QPalette.ColorRole.Window, window)
    text = QColor(230, 230, 230) if dark else QColor(0, 0, 0)
    palette.setColor(QPalette.ColorRole.Text, text)
    palette.setColor(QPalette.ColorRole.WindowText, text)
    return palette


def test_contrast_ratio_is_wcags() -> None:
    assert contrast_ratio(QColor(0, 0, 0), WHITE) == pytest.approx(21.0)
    assert contrast_ratio(WHITE, WHITE) == pytest.approx(1.0)
    # WCAG's own example: #767676 on white is the lightest grey that passes AA
    assert contrast_ratio(QColor(0x76, 0x76, 0x76), WHITE) == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("name", VERDICT_COLORS)
@pytest.mark.parametrize(
    "backgrounds",
    [(WHITE,), (WHITE, LIGHT_WINDOW), (DARK_BASE,), (DARK_BASE, DARK_WINDOW)],
    ids=["white", "light-theme", "dark-base", "dark-theme"],
)
def test_legible_reaches_aa_and_keeps_the_hue(name: str, backgrounds: tuple[QColor, ...]) -> None:
    color = VERDICT_COLORS[name]
    made = QColor(legible(color, *backgrounds).name())  # as a style sheet gives it: #rrggbb
    assert all(contrast_ratio(made, b) >= AA_CONTRAST for b in backgrounds)
    if color.hsvHue() >= 0:  # a colour (not grey) stays that colour: red stays red
        assert abs(made.hsvHue() - color.hsvHue()) <= 10 or made.hsvSaturation() == 0


def test_legible_leaves_a_colour_that_already_reads_alone() -> None:
    dark_red = QColor(150, 20, 20)
    assert legible(dark_red, WHITE) == dark_red


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize(
    "badge",
    [
        Badge("○ not flagged (ensemble)", NEUTRAL),
        Badge("⚠ manipulated (ensemble)", RED),
        BADGE_LOADING,
    ],
    ids=["authentic", "manipulated", "loading"],
)
def test_the_evidence_list_badges_read_at_aa_contrast(qapp, dark: bool, badge: Badge) -> None:
    evidence = EvidenceList()
    evidence.setPalette(_palette(dark))
    item = evidence.entry("/cases/a.jpg")
    evidence.set_badge(item, badge)
    base = evidence.palette().color(QPalette.ColorRole.Base)
    assert contrast_ratio(item.foreground().color(), base) >= AA_CONTRAST
    assert badge.text in item.text()  # the verdict in words beside the colour


def _result(name: str, verdict: str) -> ModelResult:
    heat = np.zeros((4, 4), np.float32)
    return ModelResult(
        name=name, architecture="crfd-net-compact", checkpoint="", checkpoint_sha256="0" * 64,
        rule="forged_fraction", score=0.7 if verdict == "manipulated" else 0.2, verdict=verdict,
        forged_fraction=0.3, threshold=0.1, pixel_threshold=0.5,
        threshold_provenance="θ = 0.1: test", input_policy={}, device="cpu", precision="fp32",
        seconds=0.1, heatmap=heat, mask=heat > 0.5,
    )  # fmt: skip


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_the_verdict_cards_read_at_aa_contrast_and_say_the_verdict(qapp, dark: bool) -> None:
    from forensic_viewer.gui.verdict_panel import VerdictPanel

    analysis = Analysis(
        evidence=memory_evidence(np.zeros((4, 4, 3), np.uint8)),
        results={"a": _result("a", "manipulated"), "b": _result("b", "authentic")},
    )
    panel = VerdictPanel()
    panel.setPalette(_palette(dark))
    panel.set_analysis(analysis)
    palette = panel.palette()
    for card, verdict in zip(panel.cards, ("flagged as manipulated", "not flagged"), strict=True):
        found = re.search(r"color: (#[0-9a-f]{6})", card.title.styleSheet())
        assert found is not None
        color = QColor(found.group(1))
        for role in (QPalette.ColorRole.Window, QPalette.ColorRole.Base):
            assert contrast_ratio(color, palette.color(role)) >= AA_CONTRAST
        assert verdict in card.title.text()  # not by colour alone


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_the_triage_tables_verdict_colours_read_at_aa_contrast(qapp, dark: bool) -> None:
    """Its red (5.5:1 on white) read 2.6:1 on a dark theme's table."""
    from forensic_viewer.gui.triage_table import TriageModel
    from forensic_viewer.scan.triage import triage_row
    from tests.viewer.test_triage_cells import _record

    model = TriageModel()
    model.set_models(["a", "b"], "ens", [])
    model.upsert(triage_row(_record("manipulated", "manipulated")))
    before = qapp.palette()
    qapp.setPalette(_palette(dark))
    try:
        base = qapp.palette().color(QPalette.ColorRole.Base)
        cell = model.index(0, model.column_of("model", "a"))
        brush = cell.data(Qt.ItemDataRole.ForegroundRole)
    finally:
        qapp.setPalette(before)
    assert brush is not None and "manipulated" in cell.data()
    assert contrast_ratio(brush.color(), base) >= AA_CONTRAST


@pytest.mark.usefixtures("large_font")
@pytest.mark.parametrize("details_open", [False, True], ids=["folded", "open"])
def test_the_verdict_panel_at_a_large_font_cuts_nothing(qtbot, details_open: bool) -> None:
    """At 16 pt the fold's one-line text asked 400 pixels: a panel narrower than that cut
    every line of the cards at its edge, behind a horizontal scroll bar."""
    from PySide6.QtWidgets import QLabel

    from forensic_viewer.gui.verdict_panel import VerdictPanel

    analysis = Analysis(
        evidence=memory_evidence(np.zeros((4, 4, 3), np.uint8)),
        results={"a": _result("a", "manipulated"), "b": _result("b", "authentic")},
    )
    panel = VerdictPanel()
    qtbot.addWidget(panel)
    panel.resize(320, 900)
    panel.set_analysis(analysis)
    panel.set_details_open(details_open)
    panel.show()
    qtbot.waitUntil(lambda: panel.widget().width() > 0)
    qtbot.wait(50)  # the layout's pass after show
    viewport = panel.viewport().width()
    assert panel.widget().minimumSizeHint().width() <= viewport
    assert not panel.horizontalScrollBar().isVisible()
    for label in panel.widget().findChildren(QLabel):
        if label.isVisible() and label.text():
            assert label.geometry().right() < viewport, label.text()
            assert label.height() >= label.heightForWidth(label.width()), label.text()
    card = panel.cards[0]
    folded = card.details.isVisible()
    qtbot.mouseClick(card.fold.findChild(QLabel), Qt.MouseButton.LeftButton)  # its words fold too
    assert card.details.isVisible() != folded


@pytest.mark.usefixtures("large_font")
def test_the_dialogs_lists_show_whole_rows_at_a_large_font(qapp) -> None:
    """Held to 90 pixels, the batch dialog's models and classic analyses showed three rows at
    16 pt, the fourth cut, with empty room below; now their height is counted in rows."""
    from forensic_viewer.gui.batch_dialog import BatchDialog
    from forensic_viewer.gui.training_dialog import TrainingDialog

    batch = BatchDialog(None, models=[], device="cpu")
    training = TrainingDialog()
    for view, rows in (
        (batch.model_list, 4),
        (batch.analyses, 4),
        (training.data_problems, 4),
        (training.data_list, 5),
    ):
        row = max(view.sizeHintForRow(0), view.fontMetrics().lineSpacing())
        assert view.maximumHeight() - 2 * view.frameWidth() >= rows * row
    batch.deleteLater()
    training.deleteLater()


@pytest.mark.usefixtures("large_font")
def test_the_training_form_keeps_its_width_at_a_large_font(qtbot) -> None:
    """At 16 pt the form wanted more than the three fifths of the dialog it may take: its
    wrapped lines, the seed and the Remove button were cut at its right edge."""
    from forensic_viewer.gui.training_dialog import TrainingDialog

    dialog = TrainingDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(dialog.isVisible)
    pane = dialog.settings_pane
    assert pane.viewport().width() >= pane.widget().minimumSizeHint().width()


@pytest.mark.usefixtures("large_font")
def test_the_training_dialog_fits_a_small_screen_at_a_large_font(qtbot) -> None:
    """At 16 pt the dialog opened 1500 pixels wide, wider than a laptop's screen: the form
    asked 884 (the start-from list as wide as its longest model's name), which could not
    shrink. Its rows now put a label above its field when short of room, the list shows
    the start of its entries, each whole in its tooltip, and the dialog keeps to its screen."""
    from PySide6.QtWidgets import QLabel

    from forensic_viewer.gui.training_dialog import TrainingDialog

    dialog = TrainingDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(dialog.isVisible)
    screen = dialog.screen().availableGeometry().width()
    assert dialog.minimumSizeHint().width() <= min(1024, screen)
    assert dialog.frameGeometry().width() <= screen
    pane = dialog.settings_pane
    form = pane.widget()
    assert pane.viewport().width() >= form.minimumSizeHint().width()
    assert not pane.horizontalScrollBar().isVisible()
    for label in form.findChildren(QLabel):
        if label.isVisibleTo(form) and label.text():
            assert label.geometry().right() < form.width(), label.text()
    combo = dialog.start_from.combo
    for i in range(combo.count()):
        assert combo.itemData(i, Qt.ItemDataRole.ToolTipRole) == combo.itemText(i)


def _style_color(widget) -> QColor:
    found = re.search(r"color: (#[0-9a-f]{6})", widget.styleSheet())
    assert found is not None, widget.text()
    return QColor(found.group(1))


def test_a_theme_change_recolours_the_training_dialogs_errors_and_warnings(
    qtbot, qapp, tmp_path, models_dir
) -> None:
    """The training dialog chose its error and warning colours for the theme it opened
    with: after a change to a dark theme, the start-from refusal, the trainer's warnings, a
    review's warnings, an error in the status line and a data check's problems kept red and
    amber darkened for white, under 4.5:1 on the dark background, until set again."""
    from forensic_viewer.gui.training_dialog import TrainingDialog
    from tests.viewer.test_training_review import _checkpoint, _running, _step

    dialog = TrainingDialog(runs_dir=tmp_path / "runs")
    qtbot.addWidget(dialog)
    dialog.name.setText("short-run")
    dialog.show()
    dialog._on_check_finished(1, "killed")  # a check that ended without an answer: a problem
    _running(dialog)
    _step(dialog, 9)
    dialog._install(_checkpoint(tmp_path / "run" / "final.safetensors", 9, {}), "θ not set")
    dialog._set_status("the trainer failed", error=True)
    labels = [dialog.start_note, dialog.warnings_label, dialog.review_label, dialog.status]
    problem = dialog.data_problems.item(0)
    assert problem.text().startswith("✗")

    def legible_on(palette: QPalette) -> bool:
        window, base = (
            palette.color(r) for r in (QPalette.ColorRole.Window, QPalette.ColorRole.Base)
        )
        return (
            all(
                contrast_ratio(_style_color(label), b) >= AA_CONTRAST
                for label in labels
                for b in (window, base)
            )
            and contrast_ratio(problem.foreground().color(), base) >= AA_CONTRAST
        )

    before = qapp.palette()
    assert legible_on(before)
    light = [_style_color(label).name() for label in labels]
    dark = _palette(dark=True)
    qapp.setPalette(dark)
    try:
        qtbot.waitUntil(lambda: legible_on(dark))
    finally:
        qapp.setPalette(before)
    qtbot.waitUntil(lambda: [_style_color(label).name() for label in labels] == light)


def test_a_badge_not_flagged_wears_a_neutral_mark_not_a_check(qapp) -> None:
    """A badge "✓ not flagged" read as "authentic, verified", which the tool cannot say: the
    mark is neutral; the colour still tells the two verdicts apart, and the words say it."""
    from forensic_viewer.gui.panels import verdict_badge

    evidence = memory_evidence(np.zeros((4, 4, 3), np.uint8))
    models = {"a": _result("a", "authentic"), "b": _result("b", "authentic")}
    by_models = verdict_badge(Analysis(evidence=evidence, results=models))
    by_ensemble = verdict_badge(
        Analysis(evidence=evidence, results=models, ensemble=_result("ens", "authentic"))
    )
    assert by_models.text == "○ not flagged (2/2 models)" and by_models.color == NEUTRAL
    assert by_ensemble.text == "○ not flagged (ensemble)" and by_ensemble.color == NEUTRAL
    flagged = {"a": _result("a", "manipulated"), "b": _result("b", "authentic")}
    assert verdict_badge(Analysis(evidence=evidence, results=flagged)).color == RED
