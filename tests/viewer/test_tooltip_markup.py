"""Tooltips show text from evidence as written: Qt never reads a file name as markup.

A security walk-through named an evidence file ``<h1>AUTHENTIC, 0 of 3 models flagged<!--.jpg``:
the status bar's tooltip drew a large "AUTHENTIC, 0 of 3 models flagged" and the comment hid
the verdict after it (Qt shows a tooltip as rich text when ``Qt.mightBeRichText`` says so).
"""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, Qt, QTextDocument

from engine.errors import ForensicError
from forensic_viewer.gui.app import ExceptionHook
from forensic_viewer.gui.groundtruth_panel import GroundTruthPanel
from forensic_viewer.gui.inspector import ReadoutField
from forensic_viewer.gui.metadata_panel import MetadataPanel
from forensic_viewer.gui.panels import Badge, EvidenceList
from forensic_viewer.gui.status_bar import StatusBar
from forensic_viewer.gui.tips import tip_text

pytestmark = pytest.mark.gui

HOSTILE = "<h1>AUTHENTIC, 0 of 3 models flagged<!--.jpg: flagged as manipulated (1/1 models)"


def shown(tip: str) -> str:
    """What a tooltip of ``tip`` shows, as Qt reads it (rich text or plain)."""
    if not Qt.mightBeRichText(tip):
        return tip
    doc = QTextDocument()
    doc.setHtml(tip)
    return doc.toPlainText().replace("\xa0", " ")


@pytest.mark.parametrize(
    "text",
    [
        HOSTILE,
        "a <b>x</b>.jpg",
        "<img src=x onerror=y>",
        "two\n<i>lines</i>  spaced",
        "a&amp;b.jpg",
    ],
)
def test_tip_text_shows_the_text_as_written(text: str) -> None:
    assert shown(tip_text(text)) == text


def test_plain_text_is_left_as_it_is() -> None:
    assert tip_text("IMG_0001.jpg: not flagged (0/1 models)") == (
        "IMG_0001.jpg: not flagged (0/1 models)"
    )


def test_the_inspector_field_and_the_status_bar_show_a_marked_up_name_literally(qtbot) -> None:
    field = ReadoutField()
    qtbot.addWidget(field)
    field.setText("<b>x</b>.jpg")
    assert field.text() == "<b>x</b>.jpg"
    assert shown(field.toolTip()) == "<b>x</b>.jpg"
    bar = StatusBar()
    qtbot.addWidget(bar)
    bar.showMessage(HOSTILE)
    assert shown(bar.message.toolTip()) == HOSTILE  # the verdict is not hidden


def test_the_evidence_list_and_the_metadata_rows_show_a_marked_up_name_literally(qtbot) -> None:
    evidence = EvidenceList()
    qtbot.addWidget(evidence)
    path = "/evidence/<b>x</b>.jpg"
    row = evidence.entry(path)
    assert shown(row.toolTip()) == path
    detail = "flagged: <b>1</b> of 1 models"
    evidence.set_badge(row, Badge("flagged", QColor("red")), detail)
    assert shown(row.toolTip()) == f"{path}\n{detail}"
    # a screen reader reads the words as written, not their escaped form
    assert row.data(Qt.ItemDataRole.AccessibleDescriptionRole) == f"{path}\n{detail}"
    item = MetadataPanel._row("PNG:Author", "<h1>big</h1>")
    assert shown(item.toolTip(1)) == "<h1>big</h1>"


def test_labels_and_dialogs_that_name_a_file_show_it_as_plain_text(qtbot, tmp_path) -> None:
    """The ground-truth panel names the mask's file ("<path>: scoring the maps…") and the
    unexpected-error dialog an error's file: both guessed rich text (Qt's AutoText)."""
    panel = GroundTruthPanel()
    qtbot.addWidget(panel)
    assert panel.message.textFormat() == Qt.TextFormat.PlainText, "the panel"
    hook = ExceptionHook(None)
    hook(ForensicError, ForensicError("/evidence/<h1>big</h1>.jpg", "cannot be read"), None)
    qtbot.waitUntil(lambda: bool(hook.dialogs))
    box = hook.dialogs[0]
    assert box.textFormat() == Qt.TextFormat.PlainText and "<h1>big</h1>" in box.text()
    box.close()


def test_the_triage_table_tooltips_show_a_marked_up_name_literally(qtbot) -> None:
    """The triage table's file, status and warnings tooltips (``tip_lines``, the error line)
    had been left out of the tooltips escaped: the file's tooltip drew a heading."""
    from forensic_viewer.gui.triage_table import TriageModel
    from forensic_viewer.scan.triage import TriageRow

    name = "/evidence/<h1>AUTHENTIC</h1><!--.jpg"
    row = TriageRow(
        key="<h1>AUTHENTIC</h1><!--.jpg", file=name, status="error",
        error=f"{name}: damaged", sha256=None, cells=(), ensemble=None,
        forged_fraction=None, faces=None, disagreement=None, verdicts_disagree=False,
        thumbnail=None, warnings=(f"<b>{name}</b>: 2 frames", "second"),
    )  # fmt: skip
    model = TriageModel()
    model.set_models(["a"], None)
    model.add_rows([row])

    def tip(column: str) -> str:
        return model.data(model.index(0, model.column_of(column)), Qt.ItemDataRole.ToolTipRole)

    assert shown(tip("file")) == name
    assert shown(tip("status")) == f"{name}: damaged"
    assert shown(tip("warnings")) == f"<b>{name}</b>: 2 frames\nsecond"


def test_the_start_from_list_shows_a_marked_up_model_file_literally(qtbot, models_dir) -> None:
    """The training dialog's "start from" list gives each entry whole in its tooltip: a
    checkpoint chosen from the analyst's files, named as markup, drew a heading there."""
    from forensic_viewer.gui.start_from import StartFromBox

    box = StartFromBox()
    qtbot.addWidget(box)
    path = "/models/<h1>AUTHENTIC<!--.safetensors"
    box.set_path(path)
    i = box.combo.findData(path)
    text = box.combo.itemText(i)
    assert text.startswith("<h1>AUTHENTIC<!--")
    assert shown(box.combo.itemData(i, Qt.ItemDataRole.ToolTipRole)) == text
