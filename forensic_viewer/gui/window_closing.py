"""What a close of the main window does with work in progress: one question, or the note kept.

A clean close (File ▸ Quit, Ctrl+Q, the window's close button) with work in progress asks
one question (:func:`ask_to_quit`): an open case note with text, a report dialog whose typed
fields were not written (an image's, or a scan's opened from the batch dialog or Open scan
results…), a running folder scan, a running training run, finished analyses
still being written into the case folder, which the close then waits for (up to 60 s;
:mod:`~forensic_viewer.gui.case_results`) (:func:`work_in_progress`). "Quit anyway" closes (a note is added to the case log when its box
stays ticked, marked ``"on_close": true``), Cancel keeps the window open and everything
running. Before, ``close()`` returned at once and the typed note and report fields were gone
with no question asked, and the scan was cancelled and the training stopped silently.

A close that no one can answer (a stop signal: Ctrl+C, SIGTERM, SIGHUP;
:class:`~forensic_viewer.gui.app.SignalClose`) asks nothing; an open note with text is then
written to the case log marked ``"unconfirmed": true`` (:func:`keep_open_note`) instead of
being dropped: the examiner wrote it, but never pressed OK.
"""

from __future__ import annotations

from typing import Any, Literal

from PySide6.QtWidgets import QCheckBox, QMessageBox, QWidget

from forensic_viewer.gui.questions import ask
from forensic_viewer.report import CaseInfo

QUIT_TITLE = "Quit with work in progress?"
KEEP_NOTE = "Add the open note to the case log"


def note_text(case: Any) -> str:
    """The text of the case recorder's open note dialog ("" when none is open or it is empty)."""
    dialog = case.note_dialog
    text = "" if dialog is None else dialog.text.toPlainText()
    return text if text.strip() else ""


def report_typed(dialog: Any) -> bool:
    """Whether the report dialog ``dialog`` is open with case fields typed since the window
    offered it (its ``case_offered``) or since its last write: what a close would lose."""
    if dialog is None or not dialog.isVisible():
        return False
    typed = dialog.case()
    if dialog.written_case is not None:
        written = dialog.written_case
        return (typed.examiner, typed.case_id, typed.notes) != (
            written.examiner,
            written.case_id,
            written.notes,
        )
    return typed != (dialog.case_offered or CaseInfo())


def report_dialogs(window: Any) -> list[Any]:
    """The report dialogs over ``window``: its image's, the batch dialog's scan's, and each
    Open scan results… dialog's (None where there is none)."""
    owners = [o for o in (window.batch, *window.results_dialogs) if o is not None]
    return [window.report_dialog, *(o._report for o in owners)]


def work_in_progress(window: Any) -> list[str]:
    """What closing ``window`` (the main window) now would lose or stop, one phrase each."""
    pending = []
    if note_text(window.case):
        pending.append("a case note not yet added to the case log")
    if typed := sum(report_typed(d) for d in report_dialogs(window)):
        pending.append(
            "a report whose typed fields were not written"
            if typed == 1
            else f"{typed} reports whose typed fields were not written"
        )
    if window.batch is not None and window.batch.running:
        pending.append("a folder scan, which is cancelled (it can be resumed)")
    if window.training is not None and window.training.busy:
        pending.append("a training run, which is stopped with a checkpoint")
    if n := window.case.results.waiting:
        what = "analysis" if n == 1 else "analyses"
        pending.append(
            f"{n} finished {what} still being written to the case folder: the close waits for "
            "them (at most a minute); those not written then are recorded as not kept"
        )
    return pending


def ask_to_quit(
    parent: QWidget, pending: list[str], *, note: bool
) -> tuple[bool | Literal["unanswered"], bool]:
    """Ask once whether to quit with ``pending`` work: (the answer, as
    :func:`~forensic_viewer.gui.questions.ask` gives it, and whether the open note is to be
    added to the log; ``note``: one is open)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(QUIT_TITLE)
    box.setText("Quitting now loses or stops:\n" + "\n".join(f"• {p}" for p in pending))
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
    box.button(QMessageBox.StandardButton.Yes).setText("&Quit anyway")
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setEscapeButton(QMessageBox.StandardButton.Cancel)
    if note:
        keep = QCheckBox(KEEP_NOTE)
        keep.setChecked(True)  # the examiner wrote it: kept unless they say otherwise
        box.setCheckBox(keep)
    answer = ask(box, QMessageBox.StandardButton.Yes)
    kept = note and answer is True and box.checkBox().isChecked()
    return answer, kept


def end_open_note(case: Any, *, keep: bool) -> None:
    """The analyst answered Quit anyway: the open note is added to the log (``keep``, marked
    ``on_close``) or discarded, and its dialog closed either way (its OK never pressed)."""
    dialog = case.note_dialog
    if dialog is None:
        return
    if keep:
        case.add_note(dialog.text.toPlainText(), dialog.subject, on_close=True)
    dialog.reject()  # not accept(): that would add it (again)


def keep_open_note(case: Any) -> None:
    """A close no one answered (a stop signal): the open note's text goes to the log marked
    ``unconfirmed`` (the examiner never pressed OK), rather than being dropped."""
    dialog = case.note_dialog
    if dialog is None:
        return
    if note_text(case):
        case.add_note(dialog.text.toPlainText(), dialog.subject, unconfirmed=True)
    dialog.reject()


def closing_allowed(window: Any) -> bool:
    """Whether ``window`` may close now: a stop signal's close, a close already confirmed (a
    scan's wait re-closes), no work in progress, or the analyst's Quit anyway. An answer a
    stop signal cut short is no answer: the signal's own close follows."""
    if window.stop_signal or window.quit_confirmed:
        return True
    pending = work_in_progress(window)
    if not pending:
        return True
    answer, keep = ask_to_quit(window, pending, note=bool(note_text(window.case)))
    if answer is not True:  # Cancel, or a stop signal's close that follows
        return False
    window.quit_confirmed = True
    end_open_note(window.case, keep=keep)
    return True
