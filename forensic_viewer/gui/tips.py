"""Tooltips that show their text as written, never as markup.

Qt shows a tooltip as rich text (HTML) whenever ``Qt.mightBeRichText`` says it looks like a
tag: an evidence file named ``<h1>AUTHENTIC, 0 of 3 models flagged<!--.jpg`` drew a large
"AUTHENTIC ..." in the status bar's tooltip and hid the verdict after it. A tooltip has no
text format of its own (a label has, ``Qt.PlainText``), so :func:`tip_text` escapes the text
Qt would take for markup and hands it over as rich text that shows it literally; text Qt
takes as plain is returned unchanged. ``wording.plain`` only writes control characters out;
tooltips that hold text from evidence, model files or the user's files go through both.
"""

from __future__ import annotations

from PySide6.QtGui import Qt


def tip_text(text: str) -> str:
    """``text`` as a tooltip shows it literally: unchanged where Qt reads it as plain text,
    else escaped into rich text that says the same (line breaks and runs of spaces kept)."""
    if not Qt.mightBeRichText(text):
        return text
    return Qt.convertFromPlainText(text, Qt.WhiteSpaceMode.WhiteSpacePre)
