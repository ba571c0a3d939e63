"""The viewer's Yes/No questions in a modal box, and how a stop signal's close ends them.

A question (resume over an edited ``results.jsonl``, report one, move an earlier report aside)
runs its box's own event loop. A stop signal that came while one was open
(:class:`~forensic_viewer.gui.app.SignalClose`) closed the main window from inside that loop:
the window's close ran, its case log closed, and only then did the box return, answered No
by the application's quit, so the asker went on with an answer the analyst never gave after
the window had gone: the batch dialog logged ``results-edited`` ``accepted: false`` into the
closed log ("not logged: ... the audit log is closed", a status-bar error and the viewer's
log's ERROR line) and said "nothing was analysed" to a closed window.

:func:`ask` runs a question and says whether it is still open; :func:`close_questions`, on a
stop signal, closes every open one with no answer (:data:`UNANSWERED`): the asker does
nothing and logs nothing (the case log records an analyst's answer only), and the signal's
close of the window waits until the askers have returned (:func:`questions_open`).
"""

from __future__ import annotations

import logging
from typing import Literal

from PySide6.QtWidgets import QMessageBox

log = logging.getLogger(__name__)

UNANSWERED = "unanswered"  # a question a stop signal closed: no answer was given
_open: list[tuple[QMessageBox, list[str]]] = []  # the questions being asked, innermost last


def ask(box: QMessageBox, yes: QMessageBox.StandardButton) -> bool | Literal["unanswered"]:
    """Show ``box`` (modal) and wait: True when the analyst answered ``yes``, False for any
    other answer, :data:`UNANSWERED` when a stop signal closed it (:func:`close_questions`)."""
    closed: list[str] = []
    _open.append((box, closed))
    try:
        answer = box.exec()
    finally:
        _open.remove((box, closed))
    if closed:
        log.info("%r left unanswered: %s", box.windowTitle(), closed[0])
        return UNANSWERED
    return answer == yes


def close_questions(why: str) -> bool:
    """Close every open question with no answer (``why``: the viewer's log says it); True
    when one was open. Their :func:`ask` returns once control is back in their loops."""
    for box, closed in reversed(_open):
        closed.append(why)
        box.reject()
    return bool(_open)


def questions_open() -> bool:
    """Whether a question's :func:`ask` is still on the stack (its box closed or not)."""
    return bool(_open)
