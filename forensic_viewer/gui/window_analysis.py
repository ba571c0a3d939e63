"""The main window's analyses: asking for them, and what the worker says of them.

:class:`WindowAnalysis` is a part of :class:`~forensic_viewer.gui.main_window.MainWindow` (a
mixin: its methods run on the window, whose ``entries``, ``current``, ``layers``, worker,
panels and status bar they use). It queues a file's analysis with the models in use (once per
file and models, :meth:`WindowAnalysis.analyse`), cancels, and handles the
:class:`~forensic_viewer.gui.workers.AnalysisWorker`'s signals: decoded, progress (with the ETA
in the bar), finished, failed, unreadable, cancelled, partial maps, what a Cancel kept. After a
Cancel or a finished analysis the status bar speaks of the shown file, the other files counted
beside it (each said in the evidence list). The classic analyses of the Analyses panel run on
the same worker and join the file's results here too.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.analyses import AnalysisResult
from engine.formatting import estimate_remaining, format_duration
from engine.types import Analysis, Evidence
from forensic_viewer.gui.panels import (
    BADGE_CANCELLED,
    BADGE_ERROR,
    BADGE_LOADING,
    BADGE_REFUSED,
    Badge,
    verdict_badge,
)
from forensic_viewer.gui.retention import held_bytes
from forensic_viewer.gui.unread import UnreadFile
from forensic_viewer.gui.window_entry import Entry, sharing_pixels, worth_keeping
from forensic_viewer.layers import (
    add_analysis_layers,
    add_classic_layers,
    build_layers,
    remove_partial_layers,
    show_partial,
)
from forensic_viewer.wording import partial_words, plain

if TYPE_CHECKING:
    from engine.types import PartialMap

BADGE_QUEUED = Badge("… analysis queued", BADGE_LOADING.color)
PROGRESS_STEPS = 1000
# the Verdict panel of a file whose analysis a Cancel stopped before any of it was kept
CANCELLED_WORDS = "analysis cancelled: Analysis ▸ Analyse again (Ctrl+R)"
# a new run of unchanged bytes ended without a result: the complete one it replaced stays
EARLIER_KEPT = "earlier result kept"


def kept_words(analysis: Analysis) -> str:
    """One line on what a cancelled analysis kept (status bar, evidence list tooltip)."""
    n = len(analysis.results)
    parts = [f"{n} finished model{'s' if n != 1 else ''}" if n else "no finished model"]
    parts += [f"{name} {partial_words(p.fraction)}" for name, p in analysis.partial.items()]
    return "analysis cancelled: kept " + "; ".join(parts) + "; no default verdict"


def percent_done(fraction: float) -> int:
    """``fraction`` as the progress bar's ``%p`` shows it (Qt truncates its value's per cent),
    for words beside the bar: the evidence list rounded, and said 2 % or 100 % where the bar
    said 1 % or 99 %."""
    return round(fraction * PROGRESS_STEPS) * 100 // PROGRESS_STEPS


def with_others(words: str, others: int, what: str) -> str:
    """The status bar's words on the shown file with the ``others`` files the same event ended
    only counted beside them (each says it in the evidence list): ``"a.png: ... — and 2 other
    files cancelled (see the evidence list)"``; either part alone when the other is empty."""
    if not others:
        return words
    counted = f"{others} other file{'s' if others != 1 else ''} {what} (see the evidence list)"
    return f"{words} — and {counted}" if words else counted


class WindowAnalysis:
    """The analyses of :class:`~forensic_viewer.gui.main_window.MainWindow`: queued, cancelled,
    followed and shown as the worker reports them."""

    def analyse(self, path: str | None = None) -> None:
        """(Re-)analyse ``path`` (the current file when None) with the models in use.

        A file asked for again while its analysis is queued or running (opened again, Analyse
        again, a folder dropped twice) runs once: with the same models, device and path the
        request it already has stands (it keeps its place in the queue, and what has run of it
        is not thrown away); with others, that request is cancelled and this one queued, since
        the analyst asks for the result of the models chosen last and the earlier result would
        be dropped on arrival anyway."""
        path = path or self.current
        if path is None:
            return
        entry = self.entries.get(path) or Entry(path)
        self.entries[path] = entry
        asked = {
            "models": list(self.model_paths),
            "device": self.device,
            "path_kind": "exact" if self.exact_action.isChecked() else "fast",
        }
        if entry.running and entry.job is not None and not self.worker.was_cancelled(entry.job):
            if self._job_models.get(entry.job) == asked:
                self.statusBar().showMessage(
                    f"{Path(path).name}: already queued or being analysed with these models"
                )
                return
            self.worker.cancel_job(entry.job)
        entry.job = self.worker.submit(path)
        entry.running = True
        entry.cancelled = False
        entry.error = ""
        self._job_paths[entry.job] = path
        self._job_models[entry.job] = asked
        self.evidence_list.set_badge(self.evidence_list.entry(path), BADGE_LOADING)
        self._update_busy()

    def cancel(self) -> None:
        """Stop the running analysis (within one window batch or analysis step) and drop the
        queued ones, classic analyses included."""
        if any(e.running for e in self.entries.values()) or self.analysis_panel.running:
            self.worker.cancel()
            self._cancel_words, self._cancelled_elsewhere = "", set()
            self.statusBar().showMessage("cancelling…")

    def job_models(self, job: int) -> dict[str, Any] | None:
        """The models, device and path (fast or exact) chosen when ``job`` was asked for: the
        ones it runs with (the worker keeps jobs and model changes in order). None when
        ``job`` was not asked to analyse: a file decoded only to be shown (``_decode_to_show``)."""
        asked = self._job_models.get(job)
        return None if asked is None else dict(asked)

    def _entry_for(self, job: int) -> Entry | None:
        path = self._job_paths.get(job)
        entry = None if path is None else self.entries.get(path)
        return entry if entry is not None and entry.job == job else None

    def _on_loaded(self, job: int, evidence: Evidence) -> None:
        entry = self._entry_for(job)
        show_only = job in self._show_jobs
        if show_only:  # decoded to be shown (_decode_to_show): its last signal
            self._forget_job(job)
        if entry is None:
            return
        if not show_only:
            self._job_read[job] = evidence.sha256
        kept = None if entry.released else worth_keeping(entry.analysis, evidence.sha256)
        if kept is not None:  # held until this run succeeds: a Cancel or failure puts it back
            entry.earlier = sharing_pixels(kept, evidence)  # one copy of the pixels, not two
        elif entry.earlier is not None and entry.earlier.evidence.sha256 != evidence.sha256:
            entry.earlier = None  # the file changed: its earlier result is of other bytes
        entry.evidence, entry.unread = evidence, None
        entry.analysis, entry.released = None, False
        entry.join_classic()  # results of the bytes as they were before are dropped
        self.evidence_list.set_sha256(entry.path, evidence.sha256)  # a copy of another row?
        if entry.path in self._recent_when_decoded:
            self._recent_when_decoded.discard(entry.path)
            self.recent.remember(entry.path)
        if entry.running and job not in self._job_started:  # decoded ahead, analysis waits
            self.evidence_list.set_badge(self.evidence_list.entry(entry.path), BADGE_QUEUED)
        if entry.path == self.current:
            self.show_entry(entry.path)
        elif show_only or entry.earlier is not None:  # held beside it: counts towards the limit
            self._retain(entry.path)

    def _on_progress(
        self, job: int, model: str, index: int, count: int, done: int, total: int
    ) -> None:
        entry = self._entry_for(job)
        if entry is None:
            return
        fraction = (index + (done / total if total else 1.0)) / max(1, count)
        name = Path(entry.path).name
        if job not in self._job_started and entry.path == self.current:
            self.verdict_panel.show_message("analysing…")  # it said: queued behind another
        started = self._job_started.setdefault(job, time.monotonic())
        self._show_progress(fraction, estimate_remaining(time.monotonic() - started, fraction))
        self.statusBar().show_progress(
            f"analysing {name}: {model} ({index + 1}/{count}), "
            f"{done}/{total} {'windows' if model in self.worker.model_names else 'steps'}"
        )
        self.evidence_list.set_badge(
            self.evidence_list.entry(entry.path),
            Badge(f"… analysing {percent_done(fraction)}%", BADGE_LOADING.color),
        )

    def _on_succeeded(self, job: int, analysis: Analysis) -> None:
        entry = self._entry_for(job)
        if entry is None:
            return
        entry.analysis, entry.earlier = analysis, None
        entry.evidence = analysis.evidence
        entry.running = entry.released = False
        entry.join_classic()
        badge = verdict_badge(analysis)
        self.evidence_list.set_badge(self.evidence_list.entry(entry.path), badge)
        if analysis.results:
            self._say_finished(entry.path)
        if entry.path == self.current:
            if (
                self.layers is not None
                and self.layers.image is not None
                and (self.layers.image.pixels is analysis.evidence.pixels)
            ):
                remove_partial_layers(self.layers)  # the whole maps replace them
                add_analysis_layers(self.layers, analysis)
                add_classic_layers(self.layers, analysis.analyses, show=False, replace=False)
                self._align_for_compare()
            else:
                self._show_layers(build_layers(analysis.evidence, analysis))
            self._show_panels()  # verdict, classic analyses, probe, ground truth, panes
        self._retain(entry.path)
        self._update_busy()

    def _on_failed(self, job: int, message: str) -> None:
        entry = self._entry_for(job)
        if entry is None:
            return
        entry.running = False
        entry.error = message
        earlier = entry.earlier
        if earlier is not None and earlier.evidence.sha256 != self._job_read.get(job):
            # this run did not read those bytes (the file went, or changed, before its
            # decode): the result held since a run it superseded is of another file state
            entry.earlier = None
        if self._put_back_earlier(entry):  # its verdict stays in the badge
            self.show_error(f"{plain(message)}; {EARLIER_KEPT}")
            self._retain(entry.path)
            self._update_busy()
            return
        if entry.released:  # analysed again and no longer decodes: its old verdict goes too
            entry.evidence, entry.analysis, entry.classic = None, None, {}
            entry.released = False
        refused = entry.unread is not None and entry.unread.refused  # said just before
        badge = BADGE_REFUSED if refused else BADGE_ERROR
        self.evidence_list.set_badge(self.evidence_list.entry(entry.path), badge, message)
        said = plain(message)  # one line: a line break in the file's name is not a second
        self.show_error(said)
        if entry.path == self.current and entry.evidence is None:
            self.verdict_panel.show_message(said)
        self._retain(entry.path)
        self._update_busy()

    def _on_unreadable(self, job: int, unread: UnreadFile) -> None:
        entry = self._entry_for(job)
        if entry is None:
            return
        if unread.sha256 is not None:
            self._job_read[job] = unread.sha256
        entry.unread = unread
        self.evidence_list.set_sha256(entry.path, unread.sha256)
        if entry.path == self.current and entry.shown()[0] is None:
            self.metadata_panel.set_unread(unread)

    def _on_cancelled(self, job: int) -> None:
        entry = self._entry_for(job)
        if entry is None:
            return
        entry.running = False
        if self.worker.keeping(job):  # what finished follows (_on_kept); the view stays
            self._say_cancelled(entry, "analysis cancelled; keeping what finished…")
            self._update_busy()
            return
        analysis = entry.analysis
        if entry.earlier is None and analysis is not None and not entry.released:
            # cancelled before its decode: the complete result it had was never dropped, and
            # was shown under a "cancelled" badge and Verdict panel while still exportable
            read = self._job_read.get(job, analysis.evidence.sha256)  # nothing read: its own
            entry.earlier = worth_keeping(analysis, read)
        if self._put_back_earlier(entry):
            self._say_cancelled(entry, f"analysis cancelled; {EARLIER_KEPT}")
            self._retain(entry.path)
            self._update_busy()
            return
        entry.cancelled = True
        self.evidence_list.set_badge(self.evidence_list.entry(entry.path), BADGE_CANCELLED)
        self._say_cancelled(entry, "analysis cancelled")
        if entry.path == self.current:
            if self.layers is not None:
                remove_partial_layers(self.layers)
            self.verdict_panel.show_message(CANCELLED_WORDS)
        self._retain(entry.path)  # its decoded pixels count towards the limit as any file's
        self._update_busy()

    def _on_partial(self, job: int, partial: PartialMap) -> None:
        """A running network's map so far: its partial layer, when its file is shown."""
        entry = self._entry_for(job)
        if entry is None or not entry.running or entry.path != self.current:
            return  # a late message of an ended job, or a file not shown
        if self.layers is None or entry.evidence is None:
            return
        image = self.layers.image
        if image is None or image.pixels is not entry.evidence.pixels:
            return
        layer = show_partial(self.layers, partial)
        self._align_for_compare()
        if self.stack.currentWidget() is self.compare and not self.compare.shows(layer.model):
            self._refresh_compare()  # its pane, filled in as the map grows

    def _on_kept(self, job: int, analysis: Analysis) -> None:
        """What a Cancel left (after its ``cancelled``): the finished models whole, the running
        one's partial map; shown and kept as the file's analysis (marked cancelled) until it is
        analysed again."""
        entry = self._entry_for(job)
        if entry is None:
            return
        if self._put_back_earlier(entry):  # complete, so it outranks the part this run kept
            self._say_cancelled(entry, f"analysis cancelled; {EARLIER_KEPT}")
            self._retain(entry.path)
            self._update_busy()
            return
        entry.analysis, entry.evidence = analysis, analysis.evidence
        entry.released = False
        entry.join_classic()
        self.evidence_list.set_badge(
            self.evidence_list.entry(entry.path),
            verdict_badge(analysis),
            kept_words(analysis),
        )
        self._say_cancelled(entry, kept_words(analysis))
        if entry.path == self.current:
            self.show_entry(entry.path)
        self._retain(entry.path)
        self._update_busy()

    def _put_back_earlier(self, entry: Entry) -> bool:
        """A new run of unchanged bytes was cancelled or failed: the complete analysis it was
        to replace (``entry.earlier``) is the file's again, shown, badged with its verdict and
        exportable. Before, the re-run's decode dropped it, and a Ctrl+R or a model added then
        cancelled lost a finished result (50 s of a 12 MP photograph). One the retention limit
        let go while the file was not shown (``_let_earlier_go``) comes back released: its
        verdict in the list, analysed again when shown; shown now, it is not put back (showing
        a released file analyses it again, which the Cancel stopped). False: none put back."""
        earlier, entry.earlier = entry.earlier, None
        if earlier is None:
            return False
        released = not held_bytes(earlier)  # its verdicts alone
        if released and entry.path == self.current:
            return False
        entry.analysis, entry.evidence = earlier, earlier.evidence
        entry.cancelled, entry.released = False, released
        if released:  # as _release leaves a file: nothing at full resolution to count
            entry.classic = earlier.analyses
            self.retention.forget(entry.path)
        else:
            entry.join_classic()
        self.evidence_list.set_badge(
            self.evidence_list.entry(entry.path),
            verdict_badge(earlier),
            f"analysis cancelled or failed; {EARLIER_KEPT} (Ctrl+R analyses again)",
        )
        if entry.path == self.current:
            self.show_entry(entry.path)
        return True

    def _say_cancelled(self, entry: Entry, words: str) -> None:
        """The status bar after a Cancel speaks of the shown file: its ``words`` stay, and
        every other file the Cancel stopped (queued ones arrive after the running one) is only
        counted beside them; each of those says what it kept in the evidence list (badge and
        tooltip). Before, the last queued file's "analysis cancelled" replaced the shown
        file's "kept what finished"."""
        if entry.path == self.current:
            self._cancel_words = f"{Path(entry.path).name}: {words}"
        else:
            self._cancelled_elsewhere.add(entry.path)
        said = with_others(self._cancel_words, len(self._cancelled_elsewhere), "cancelled")
        self.statusBar().showMessage(said)

    def _say_finished(self, path: str | None = None, *, again: bool = False) -> None:
        """The status bar after an analysis finished speaks of the shown file: its verdict
        and time, and every other file finished since (``path``, when it is not the shown
        one) only counted beside it; each says its verdict in the evidence list. Before, the
        last file to finish put its verdict there while another file was on screen.
        ``again``: the shown file changed, nothing finished: said without joining the
        message history, which keeps a result once, when it was made."""
        if path is not None and path == self.current:
            self._finished_elsewhere = set()
        elif path is not None:
            self._finished_elsewhere.add(path)
        self._finished_elsewhere.discard(self.current or "")
        shown = self.entries.get(self.current) if self.current else None
        analysis = None if shown is None or shown.running else shown.analysis
        words = ""
        if analysis is not None and analysis.results and not analysis.cancelled:
            badge = verdict_badge(analysis).text
            words = f"{Path(shown.path).name}: {badge} in {analysis.seconds:.1f} s"
        self._finished_words = with_others(words, len(self._finished_elsewhere), "analysed")
        if again:
            self.statusBar().show_again(self._finished_words)
        else:
            self.statusBar().showMessage(self._finished_words)

    def _forget_cancelled_job(self, job: int) -> None:
        if not self.worker.keeping(job):  # else kept (or failed) follows: the job ends there
            self._forget_job(job)

    def _forget_job(self, job: int, *_: object) -> None:
        """``job`` ended (its result, failure, bare cancel or kept part has reached every
        slot): its path, models and start time go. Job ids are never reused, so a message of
        it that comes later (a partial map) finds no file and is dropped."""
        self._job_paths.pop(job, None)
        self._show_jobs.discard(job)
        self._job_models.pop(job, None)
        self._job_started.pop(job, None)
        self._job_read.pop(job, None)

    def run_classic(self) -> int | None:
        """Analyses ▸ Run the checked classic analyses on the current image (worker thread)."""
        job = self.analysis_panel.run()
        self._update_busy()
        return job

    def _on_classic_progress(self, text: str, fraction: float) -> None:
        self._show_progress(fraction)
        self.statusBar().show_progress(text)

    def _show_progress(self, fraction: float, left: float | None = None) -> None:
        """The progress bar at ``fraction``, with the time ``left`` (seconds) when known. The
        ETA is in the bar, not at the end of the status message: the message gets the room the
        read-out, the bar and Cancel leave, and a file's name and the model's cut the ETA off
        at the window's first size."""
        eta = "" if left is None else f" · about {format_duration(left)} left"
        self.progress.setFormat(f"%p%{eta}")
        self.progress.setValue(round(fraction * PROGRESS_STEPS))
        self.progress.setVisible(True)

    def _on_classic_finished(self, message: str) -> None:
        self.statusBar().showMessage(message)
        self._update_busy()

    def _on_classic_results(self, path: str, results: dict[str, AnalysisResult]) -> None:
        entry = self.entries.get(path)
        if entry is None or entry.evidence is None or entry.released:
            return  # a released file's classic analyses are run again when it is shown
        entry.classic.update(results)
        entry.join_classic()  # drops results of bytes decoded since (the file changed)
        if path == self.current and self.layers is not None:
            shown = {k: r for k, r in results.items() if k in entry.classic}
            add_classic_layers(self.layers, shown)
            self._align_for_compare()
            self._show_panels()

    def _update_busy(self) -> None:
        self.export_action.setEnabled(self.current_analysis() is not None)
        busy = any(e.running for e in self.entries.values()) or self.analysis_panel.running
        self.cancel_button.setEnabled(busy)
        self.cancel_action.setEnabled(busy)
        self.progress.setVisible(busy)
        if not busy:
            self.progress.setValue(0)
            self.progress.setFormat("%p%")
