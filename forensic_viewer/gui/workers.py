"""Threads that keep the GUI thread free: the analysis worker and the layer renderer.

:class:`AnalysisWorker` is one long-lived ``QThread`` that owns the :class:`Analyzer`: models
are loaded once (on the worker, since loading takes seconds) and kept until other models or
another device are asked for. Evidence files are decoded on a second thread as soon as they
are submitted (``loaded``: the decoded evidence, so a file queued behind a running analysis is
shown at once; at most ``DECODE_AHEAD_PIXELS`` wait decoded). Analyses run one at a time in
the order submitted, except the file the analyst looks at (:meth:`AnalysisWorker.prefer`:
decoded and analysed before the others waiting, ``gui/job_queue.py``), each with the models
chosen when it was submitted: a model change
(:meth:`AnalysisWorker.configure`) and a probe queue behind the files submitted before them,
through the decoder's queue, so a file still waiting to be decoded when the analyst changes
models is not analysed with the new ones while the file before it got the old ones. Each
reports through typed signals: ``progress`` (per model, a few times
a second), then exactly one of ``succeeded``, ``failed`` (a one-line message naming the file;
for a file that did not decode, ``unreadable`` before it: its size, SHA-256 and file-system
times (``gui/unread.py``: from the loader's error, no second read), from the decoder thread as
soon as it is refused, ahead of the models loading and the analyses
queued before it) or ``cancelled``, emitted as soon as the work stops; a Cancel that leaves something (models that
finished, the running one's partial map) then emits ``kept`` with it (an ``Analysis`` with
``cancelled`` set: no ensemble, no verdict for the partial model), and :meth:`keeping` says
so in the ``cancelled`` slot.

While a network runs, its partial heatmap (``engine.types.PartialMap``: NaN where not
computed) is posted to :attr:`mail` as ``partial(job, PartialMap)``, throttled by
:func:`throttled_partial`; the map is a copy made on the worker thread, so the GUI may keep it.
Messages of a job that has ended may still arrive after its result: drop them.

Classic analyses (``engine.analyses``) of an evidence file already decoded run as jobs of the
same thread (:meth:`AnalysisWorker.submit_analyses`), one after the other with the networks'
jobs, so they never compete with a network for the CPU. They report through :attr:`mail`, a
:class:`~forensic_viewer.gui.mailbox.Mailbox` (no ``Signal.emit`` from Python, see there):
``classic-progress(job, name, index, count, done, total)``, then exactly one of
``classic-done(job, {name: AnalysisResult})``, ``classic-failed(job, message)`` or
``classic-cancelled(job)``.

The robustness probe (``engine.probe``) of an evidence file already decoded runs the same way
(:meth:`AnalysisWorker.submit_probe`) and posts ``probe-progress(job, stage, done, total)``,
then exactly one of ``probe-done(job, ProbeResult)``, ``probe-failed(job, message)`` or
``probe-cancelled(job)``.

Cancelling: :meth:`AnalysisWorker.cancel` marks every job submitted so far as cancelled; the
running one stops inside its running forward pass or at its next analysis step (the engine
checks in every forward pass, ``engine.runtime``, and between steps), the queued ones are dropped. :meth:`AnalysisWorker.cancel_job` does the same to one analysis
(the viewer's, when a file queued or running is asked for again with other models), except
that it keeps nothing: what it finished would not be shown.
``requestInterruption()`` (from :meth:`AnalysisWorker.stop`) ends the thread the same way.

:class:`LayerRenderer` computes layer drawings (colormaps, masks with their statistics and
outlines, agreement) on its own thread; requests for the same layer coalesce, so a threshold
slider dragged across many values renders the latest value next rather than every value. A
hidden layer of a large image is not drawn until it is shown (``Layer.wants_drawing``).

Long file: the one analysis thread and everything its jobs post (progress, partial maps, kept
parts, classic analyses, probes) in one protocol, read in one place.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from engine.errors import ForensicError, ImageTooLargeError
from engine.types import Analysis, Evidence, PartialMap, Progress
from forensic_viewer.events import Event
from forensic_viewer.gui.job_queue import JobQueue
from forensic_viewer.gui.mailbox import Mailbox
from forensic_viewer.gui.thread_stop import stop_within
from forensic_viewer.gui.unread import UnreadFile, unread_file
from forensic_viewer.layer_base import Layer, RenderJob
from forensic_viewer.layers import LayerList

if TYPE_CHECKING:
    from engine.faces import FaceDetector
    from engine.pipeline import Analyzer

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.05  # seconds between progress signals (the last one always goes out)
# How the viewer assembles its Analyzer besides models, device, faces and path: as the scan
# does. Time-sized window batches (max_batch_seconds=0.15, once here for a prompt Cancel) made
# the exact path 4x slower than in a scan (bench/bench_viewer_scan.py, docs/BENCHMARKS.md);
# Cancel no longer needs them: it is checked inside every forward pass (engine.runtime).
VIEWER_ASSEMBLY: dict[str, object] = {}
# Partial heatmaps go to the GUI at most this often, and never more often than every
# PARTIAL_COST_FACTOR times what the last one took to build, so the snapshots (an O(H x W)
# copy each) take at most about 1/PARTIAL_COST_FACTOR of the analysis on a large image.
PARTIAL_INTERVAL = 0.4
PARTIAL_COST_FACTOR = 20.0
# A partial heatmap sent while a network runs is a preview of at most about this many pixels
# (every n-th pixel of a larger image, drawn per cell): on a 16 MP image it is 16x cheaper to
# build, send and draw than the full map, which a Cancel still keeps at full resolution.
PREVIEW_PIXELS = 1_000_000
# Files waiting for their analysis are decoded ahead (to be shown at once) up to this many
# pixels in all; the decoder waits beyond it, so a dropped folder of thousands of photographs
# does not hold them all in memory at once.
DECODE_AHEAD_PIXELS = 400_000_000


@dataclass(frozen=True)
class _Decode:
    job: int
    path: str
    analyse: bool = True  # False: decoded to be shown, not analysed (AnalysisWorker.submit)


@dataclass(frozen=True)
class _Analyze:
    job: int
    path: str
    evidence: Evidence | None = None  # decoded by the decoder thread (None: failed/cancelled)
    error: str = ""  # the decoder's one-line message when it could not decode


@dataclass(frozen=True)
class _Classic:
    job: int
    evidence: Evidence
    names: tuple[str, ...]
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # chosen, per analysis


@dataclass(frozen=True)
class _Probe:
    job: int
    evidence: Evidence
    original: Analysis | None


@dataclass(frozen=True)
class _Configure:
    models: tuple[str, ...]
    device: str
    exact: bool = False


_STOP = object()


def _model_change(item: object) -> bool:
    """A file queued after a model change runs with the new models: none passes it."""
    return isinstance(item, _Configure)


def throttled_progress(
    names: list[str], send: Callable[[str, int, int, int, int], None], extra: Sequence[str] = ()
) -> Callable[[Progress], None]:
    """A progress callback that forwards ``(stage, stage index, stages, done, total)`` to
    ``send`` at most every PROGRESS_INTERVAL seconds (and always when a stage completes).

    The stages are ``names`` (the networks) then ``extra``, the stages known to follow them
    (e.g. the copy-move analysis an ensemble runs, then the face path), so the count is the
    same from the first call to the last and the bar it drives never goes back. A stage in
    neither (a face model's ``"<model> faces"``) counts as the last one."""
    stages = [*names, *extra]

    def forward(p: Progress) -> None:
        index = stages.index(p.stage) if p.stage in stages else max(len(stages), 1) - 1
        send(p.stage, index, max(len(stages), 1), p.done, p.total)

    return throttled(forward)


def throttled(
    send: Callable[[Progress], None], interval: float = PROGRESS_INTERVAL
) -> Callable[[Progress], None]:
    """A progress callback that passes a report to ``send`` at most every ``interval``
    seconds, and always the one that completes a stage."""
    last = [0.0]

    def on_progress(p: Progress) -> None:
        now = time.perf_counter()
        if p.done < p.total and now - last[0] < interval:
            return
        last[0] = now
        send(p)

    return on_progress


def later_stages(analyzer: Any) -> list[str]:
    """The stages an analysis by ``analyzer`` runs after its networks, in order: the classic
    analyses its ensemble needs, then the face path (one stage for every face model)."""
    ensemble = getattr(analyzer, "ensemble", None)
    out = list(getattr(ensemble, "analyses", None) or [])
    if getattr(analyzer, "faces", None) is not None and getattr(analyzer, "face_path", False):
        out.append("faces")
    return out


def face_model_names(analyzer: Any) -> list[str]:
    """The face models an analysis by ``analyzer`` runs (on the face path, with a detector)."""
    if getattr(analyzer, "faces", None) is None or not getattr(analyzer, "face_path", False):
        return []
    return [m.name for m in getattr(analyzer, "face_models", [])]


def running_face_model_figures(analyzer: Any) -> dict[str, dict[str, Any]]:
    """By face model an analysis by ``analyzer`` runs, what the report says of it
    (:func:`forensic_viewer.scan.results.face_model_figures`: its checkpoint's SHA-256 and its
    measured reliability at θ in the report's words, "" when not measured). A face model has
    no card in the Verdict panel (cards are built from whole-image results), so the faces
    section gives its rates, when the faces shown were scored by this checkpoint
    (:func:`forensic_viewer.scan.face_rates.face_rates_for`)."""
    from forensic_viewer.scan.results import face_model_figures

    figures = face_model_figures(analyzer)  # with the Haar fallback: not measured with it
    return {n: figures[n] for n in face_model_names(analyzer) if n in figures}  # those that run


def throttled_partial(send: Callable[[PartialMap], None]) -> Callable[[Progress], None]:
    """A progress callback that builds a network's partial map (``Progress.partial``) and
    passes it to ``send`` at most every PARTIAL_INTERVAL seconds, or PARTIAL_COST_FACTOR times
    the last build's duration when that is longer, and always when a network finishes (its
    map is then whole while the next one runs). The map is a fresh copy: safe to hand to
    another thread."""
    last = [-float("inf"), 0.0]  # when the last map was sent, how long it took to build

    def on_progress(p: Progress) -> None:
        if p.partial is None:
            return
        now = time.perf_counter()
        if p.done < p.total and now - last[0] < max(
            PARTIAL_INTERVAL, PARTIAL_COST_FACTOR * last[1]
        ):
            return
        partial = p.partial(PREVIEW_PIXELS)
        last[0], last[1] = time.perf_counter(), time.perf_counter() - now
        if partial is not None:
            send(partial)

    return on_progress


class _DecodeThread(QThread):
    """Decodes submitted evidence files in order as soon as they are submitted (``loaded``
    then goes out, so a queued file can be shown while another is analysed) and hands each to
    the analysis queue; waits while DECODE_AHEAD_PIXELS are decoded and not yet analysed.
    Other work that must keep its place among the files (a model change, a probe) is passed
    on in turn, undecoded."""

    def __init__(self, worker: AnalysisWorker) -> None:
        super().__init__(worker)
        self._worker = worker
        self._queue = JobQueue(_model_change)
        self._room = threading.Condition()
        self._ahead = 0  # pixels decoded, waiting for their analysis

    def put(self, item: object) -> None:
        """Queue a :class:`_Decode`, or anything else to be passed on to the analysis queue
        after the files queued before it."""
        self._queue.put(item)

    def taken(self, evidence: Evidence) -> None:
        """The analysis thread took ``evidence``: its pixels no longer count as ahead."""
        with self._room:
            self._ahead -= evidence.pixels.shape[0] * evidence.pixels.shape[1]
            self._room.notify_all()

    def stop(self, timeout_ms: int) -> None:
        self.requestInterruption()
        self._queue.put(_STOP)
        with self._room:
            self._room.notify_all()
        stop_within(self, timeout_ms, "the evidence decoder")

    def _wait_for_room(self, job: int) -> bool:
        """Wait while DECODE_AHEAD_PIXELS are decoded ahead, unless ``job`` is the one the
        analyst is looking at; False (at once) when that one waits behind ``job``: it is
        decoded first."""
        w = self._worker
        with self._room:
            while (
                self._ahead > DECODE_AHEAD_PIXELS
                and not self.isInterruptionRequested()
                and not w._is_cancelled(job)
            ):
                if self._queue.claim(job):
                    return True
                if self._queue.preferred_waiting(job):
                    return False
                self._room.wait(0.5)
        return True

    def prefer(self, job: int) -> None:
        """Decode ``job`` next, beyond DECODE_AHEAD_PIXELS if need be (one file more)."""
        self._queue.prefer(job)
        with self._room:
            self._room.notify_all()

    def run(self) -> None:
        w = self._worker
        while not self.isInterruptionRequested():
            item, preferred = self._queue.get()
            if item is _STOP:
                break
            if not isinstance(item, _Decode):
                w._queue.put(item)
                continue
            job, path = item.job, item.path
            if not item.analyse:
                self._show_only(job, path)
                continue
            if not preferred and not self._wait_for_room(job):
                self._queue.put_front(item)  # after the file the analyst is looking at
                continue
            if w._is_cancelled(job) or self.isInterruptionRequested():
                w._queue.put(_Analyze(job, path))
                continue
            evidence, error, unread = _decode(path)
            if evidence is None:  # the file's facts first, then its failure (in this order)
                w.unreadable.emit(job, unread)
                if not w._fail_now(job, error):  # cancelled: said in turn by the analysis
                    w._queue.put(_Analyze(job, path, error=error))
                continue
            with self._room:
                self._ahead += evidence.pixels.shape[0] * evidence.pixels.shape[1]
            w.loaded.emit(job, evidence)
            w._queue.put(_Analyze(job, path, evidence))

    def _show_only(self, job: int, path: str) -> None:
        """A file to show, not to analyse: decoded at once (the analyst is looking at it)
        whatever a Cancel said, since Cancel stops analyses; ``loaded`` is its last signal,
        or ``unreadable`` then ``failed``. Never counted ahead: no analysis takes it."""
        w = self._worker
        evidence, error, unread = _decode(path)
        if evidence is None:
            w.unreadable.emit(job, unread)
            w.failed.emit(job, error)
        else:
            w.loaded.emit(job, evidence)


def _decode(path: str) -> tuple[Evidence | None, str, UnreadFile | None]:
    """The evidence of ``path``; or None, the one line that says why it did not decode and
    what is known of the file (:func:`unread_file`: what the loader had read of it, and
    whether it refused it over a size limit rather than failing to read it)."""
    from engine.io import load_evidence

    try:
        return load_evidence(path), "", None
    except ForensicError as e:
        header = getattr(e, "header", None)
        refused = isinstance(e, ImageTooLargeError)
        return None, str(e), unread_file(path, header, refused=refused)
    except MemoryError:
        return None, f"{path}: out of memory while decoding", None
    except Exception as e:  # a bug must not kill the decoder; the hook logs it
        sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
        return None, f"{path}: unexpected error ({type(e).__name__}: {e})", None


class AnalysisWorker(QThread):
    """Decodes evidence and runs the models on it, one job at a time, off the GUI thread."""

    loaded = Signal(int, object)  # job, engine.types.Evidence
    progress = Signal(int, str, int, int, int, int)  # job, model, model index, models, done, total
    succeeded = Signal(int, object)  # job, engine.types.Analysis (no results without models)
    # job, one-line message naming the file: a Python str (object), whose name's bytes that are
    # not UTF-8 Qt's text would drop
    failed = Signal(int, object)
    unreadable = Signal(int, object)  # job, UnreadFile: before ``failed``, when it did not decode
    cancelled = Signal(int)  # job
    kept = Signal(int, object)  # job, the Analysis a Cancel left (after cancelled; see keeping)
    modelsReady = Signal(list, str)  # model names, device the models run on
    modelsFailed = Signal(str)  # one line per checkpoint that could not be used

    def __init__(self, parent: QObject | None = None, *, faces: bool = True) -> None:
        super().__init__(parent)
        self._queue = JobQueue(_model_change)
        self._lock = threading.Lock()
        self._next_job = 1
        self._cancel_before = 0  # every job with an id below this is cancelled
        self._live: set[int] = set()  # analyses and probes submitted that have not ended
        self._dropped: set[int] = set()  # of those, the ones cancelled alone (cancel_job)
        # cancelled jobs whose kept part follows: added on this thread before ``cancelled``
        # goes out, removed on the GUI thread once ``kept`` (or ``failed``, when building the
        # kept part failed) has been delivered, after every ``cancelled`` slot has asked
        self._keeping: set[int] = set()
        self._want_faces = faces
        self._analyzer: Analyzer | None = None  # owned by this thread
        self._detector: FaceDetector | None = None  # owned by this thread
        self.model_names: list[str] = []
        # the face models that run on the faces found (Analyzer.names lists the whole-image
        # models only): set with model_names, before modelsReady
        self.face_model_names: list[str] = []
        # by face model, its checkpoint's SHA-256 and measured reliability at θ (the report's
        # figures), with the names
        self.face_model_figures: dict[str, dict[str, Any]] = {}
        self.device = "cpu"
        self.mail = Mailbox(self)  # the classic analyses' messages (see the module doc)
        self._decoder = _DecodeThread(self)
        # this object lives on the GUI thread: both run there, queued behind the job's
        # ``cancelled`` (emitted before them from the worker thread)
        self.kept.connect(self._kept_delivered)
        self.failed.connect(self._kept_delivered)

    # --- called from the GUI thread ---

    def configure(self, models: list[str], device: str = "auto", *, exact: bool = False) -> None:
        """Load these checkpoints (files or names) on ``device`` for the jobs submitted from
        now on (those submitted before keep the models in use; models are kept), as :func:`engine.assembly.assemble_lenient` does: an ``.ensemble.json``
        among them adds its members and fuses their results, and what cannot be used is
        reported through ``modelsFailed``. exact: the paper's sliding-window path (the slow
        reference) instead of the fast path."""
        self._decoder.put(_Configure(tuple(models), device, exact))

    def start(self) -> None:  # type: ignore[override]
        """Start the analysis thread and its decoder."""
        super().start()
        self._decoder.start()

    def submit(self, path: str | Path, *, analyse: bool = True) -> int:
        """Queue the evidence file ``path``: decoded at once on the decoder thread (``loaded``),
        analysed in turn; returns the job id its signals carry. ``analyse=False``: decoded
        only, to be shown (a file whose analysis was cancelled, shown again after its pixels
        were let go): ``loaded`` is its last signal (or ``unreadable`` and ``failed``), and a
        Cancel does not stop it."""
        with self._lock:
            job = self._next_job
            self._next_job += 1
            if analyse:
                self._live.add(job)
        self.mail.start()  # partial heatmaps
        self._decoder.put(_Decode(job, str(path), analyse))
        return job

    def submit_analyses(
        self,
        evidence: Evidence,
        names: list[str] | tuple[str, ...],
        params: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> int:
        """Queue the classic analyses ``names`` of ``evidence`` (``params``: parameters chosen
        per analysis, the rest default); returns the job id of the messages posted to
        :attr:`mail`."""
        with self._lock:
            job = self._next_job
            self._next_job += 1
        self.mail.start()
        self._queue.put(_Classic(job, evidence, tuple(names), dict(params or {})))
        return job

    def submit_probe(self, evidence: Evidence, original: Analysis | None = None) -> int:
        """Queue the robustness probe of ``evidence`` (``original``: its analysis by the models
        in use, reused when it holds them all); returns the job id of the ``probe-*``
        messages posted to :attr:`mail`."""
        with self._lock:
            job = self._next_job
            self._next_job += 1
            self._live.add(job)  # cancel_job reaches it (its dialog closed)
        self.mail.start()
        self._decoder.put(_Probe(job, evidence, original))  # after the model change before it
        return job

    def prefer(self, job: int) -> None:
        """Decode and analyse the file of ``job`` before the other files queued (the one the
        analyst is looking at), never before a model change queued ahead of it; the running
        analysis goes on."""
        self._decoder.prefer(job)
        self._queue.prefer(job)

    def cancel(self) -> None:
        """Cancel the running job (at its next window batch) and every queued one."""
        with self._lock:
            self._cancel_before = self._next_job

    def cancel_job(self, job: int) -> None:
        """Cancel the analysis or probe ``job`` alone (running: at its next window batch;
        queued: dropped when its turn comes); the others go on. Nothing happens once it has ended.
        It keeps nothing (no ``kept``): a job cancelled alone was superseded, and what it
        finished would not be shown."""
        with self._lock:
            if job in self._live:
                self._dropped.add(job)

    def was_cancelled(self, job: int) -> bool:
        """Whether ``job`` was cancelled by :meth:`cancel`, or by :meth:`cancel_job` and has
        not ended yet; its ``cancelled`` may not have arrived yet."""
        with self._lock:
            return job < self._cancel_before or job in self._dropped

    def keeping(self, job: int) -> bool:
        """Whether ``kept`` follows the ``cancelled`` of ``job`` (ask in the cancelled slot)."""
        with self._lock:
            return job in self._keeping

    @Slot(int, object)
    @Slot(int, str)
    def _kept_delivered(self, job: int, _what: object) -> None:
        """``job``'s kept part (or its failure) reached the GUI thread: ``keeping`` is no
        longer asked about it. Runs there, so it cannot race the ``cancelled`` slots."""
        with self._lock:
            self._keeping.discard(job)

    def stop(self, timeout_ms: int = 10_000) -> None:
        """End the thread: cancel what runs, drop what waits, and wait for it to finish. What
        the running job finished is not built into a kept part: the window is going away."""
        self.requestInterruption()  # first: the cancelled job must already see it
        self.cancel()
        self._decoder.stop(timeout_ms)
        self._queue.put(_STOP)
        # preparing its models, it stops after the model being converted (_configure)
        stop_within(self, timeout_ms, "the analysis worker")
        self.mail.rest()  # what is left is not delivered: the window is going away

    def _fail_now(self, job: int, error: str) -> bool:
        """From the decoder thread: ``failed`` for a file that did not decode (refused over the
        pixel limit, damaged, missing) at once, not after the model change queued before it
        (loading takes about 10 s) or the analyses before it; False, with nothing said, when
        ``job`` is cancelled (its ``cancelled`` goes out in turn from the analysis thread)."""
        with self._lock:
            if self._is_cancelled(job):
                return False
            self._live.discard(job)  # its last signal goes out: cancel_job has no say
        self.failed.emit(job, error)
        return True

    # --- the worker thread ---

    def _is_cancelled(self, job: int) -> bool:
        return job < self._cancel_before or job in self._dropped or self.isInterruptionRequested()

    def run(self) -> None:
        while not self.isInterruptionRequested():
            item, _ = self._queue.get()
            if item is _STOP:
                break
            try:
                if isinstance(item, _Configure):
                    self._configure(item)
                elif isinstance(item, _Analyze):
                    self._analyze(item)
                elif isinstance(item, _Classic):
                    self._classic(item)
                elif isinstance(item, _Probe):
                    self._probe(item)
            except Exception:  # a bug must not kill the worker; the hook logs it
                sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
                err = sys.exc_info()[1]
                if isinstance(item, _Analyze):
                    self.failed.emit(
                        item.job, f"{item.path}: unexpected error ({type(err).__name__}: {err})"
                    )
                elif isinstance(item, _Classic):
                    self.mail.post(
                        "classic-failed",
                        item.job,
                        f"{item.evidence.path}: unexpected error ({type(err).__name__}: {err})",
                    )
                elif isinstance(item, _Probe):
                    self.mail.post(
                        "probe-failed",
                        item.job,
                        f"{item.evidence.path}: unexpected error ({type(err).__name__}: {err})",
                    )
            finally:  # its last signal or message is out: cancel_job has no say
                if isinstance(item, _Analyze | _Probe):
                    with self._lock:
                        self._live.discard(item.job)
                        self._dropped.discard(item.job)

    def _configure(self, item: _Configure) -> None:
        from engine.assembly import assemble_lenient

        self._analyzer = None
        self.model_names, self.face_model_names = [], []
        self.face_model_figures = {}
        detector = self._face_detector()
        assembly = assemble_lenient(
            item.models,
            device=item.device,
            faces=detector if detector is not None else False,
            exact=item.exact,
            **VIEWER_ASSEMBLY,  # type: ignore[arg-type]
        )
        self._analyzer = assembly.analyzer
        if self._analyzer is not None:
            # fast-path runtimes now, not in the first analysis; a quit stops it between
            # models (a conversion takes up to a minute: stop() waits 10 s)
            self._analyzer.prepare(cancel=self.isInterruptionRequested)
        if self.isInterruptionRequested():
            return  # the window is going away: nothing to tell it
        self.model_names = assembly.names
        self.face_model_names = face_model_names(assembly.analyzer)
        self.face_model_figures = running_face_model_figures(assembly.analyzer)
        self.device = str(assembly.analyzer.device) if assembly.analyzer is not None else "cpu"
        if assembly.problems:
            self.modelsFailed.emit("\n".join(assembly.problems))
        self.modelsReady.emit(list(self.model_names), self.device)

    def _face_detector(self) -> FaceDetector | None:
        if self._detector is None and self._want_faces:
            from engine.faces import FaceDetector

            try:
                self._detector = FaceDetector()
            except RuntimeError as e:
                self._want_faces = False
                self.modelsFailed.emit(f"face detection is off: {e}")
        return self._detector

    def _analyze(self, item: _Analyze) -> None:
        from engine.tiling import Cancelled

        job = item.job
        if item.evidence is not None:
            self._decoder.taken(item.evidence)
        if self._is_cancelled(job):
            self.cancelled.emit(job)
            return
        if item.evidence is None:
            self.failed.emit(job, item.error or f"{item.path}: not decoded")
            return
        evidence = item.evidence
        analyzer = self._analyzer
        names = list(self.model_names)
        on_progress = throttled_progress(
            names, lambda *a: self.progress.emit(job, *a), later_stages(analyzer)
        )
        on_partial = throttled_partial(lambda pm: self.mail.post("partial", job, pm))

        def progress(p: Progress) -> None:
            on_progress(p)
            on_partial(p)

        try:
            if analyzer is None:
                detector = self._face_detector()
                faces = detector.find(evidence, {}) if detector is not None else []
                analysis = Analysis(
                    evidence=evidence, results={}, faces=faces, faces_checked=detector is not None
                )
            else:
                analysis = analyzer.analyze(
                    evidence, progress=progress, cancel=lambda: self._is_cancelled(job)
                )
                # the Verdict panel tells "no face found" from "not looked for"
                analysis.faces_checked = getattr(analyzer, "faces", None) is not None
        except Cancelled as e:
            # a job cancelled alone was superseded, and a stopping worker's window is closing:
            # nobody would see what they kept
            with self._lock:
                keeping = (
                    e.kept is not None
                    and job not in self._dropped
                    and not self.isInterruptionRequested()
                )
                if keeping:
                    self._keeping.add(job)
            self.cancelled.emit(job)  # at once: building what is kept takes a moment (16 MP)
            if keeping:
                self.kept.emit(job, e.kept())
            return
        except ForensicError as e:
            self.failed.emit(job, str(e))
            return
        if self._is_cancelled(job):
            self.cancelled.emit(job)
            return
        self.succeeded.emit(job, analysis)

    def _mailed(self, kind: str, job: int, evidence: Evidence, run: Callable[[], object]) -> None:
        """One job that reports through the mailbox: ``<kind>-cancelled`` when it was cancelled
        before it started or while it ran, ``<kind>-failed`` with a one-line reason, else
        ``<kind>-done`` with what ``run()`` returned."""
        from engine.tiling import Cancelled

        if self._is_cancelled(job):
            self.mail.post(f"{kind}-cancelled", job)
            return
        try:
            result = run()
        except Cancelled:
            self.mail.post(f"{kind}-cancelled", job)
            return
        except ForensicError as e:
            self.mail.post(f"{kind}-failed", job, str(e))
            return
        except MemoryError:
            self.mail.post(f"{kind}-failed", job, f"{evidence.path}: out of memory")
            return
        self.mail.post(f"{kind}-done", job, result)

    def _classic(self, item: _Classic) -> None:
        from engine.analyses import run_analyses

        job, names = item.job, list(item.names)
        on_progress = throttled_progress(
            names, lambda *a: self.mail.post("classic-progress", job, *a)
        )
        self._mailed(
            "classic",
            job,
            item.evidence,
            lambda: run_analyses(
                names,
                item.evidence,
                cancel=lambda: self._is_cancelled(job),
                progress=on_progress,
                params=item.params,
            ),
        )

    def _probe(self, item: _Probe) -> None:
        from engine.probe import run_probe

        job, analyzer = item.job, self._analyzer
        if analyzer is None and not self._is_cancelled(job):
            self.mail.post("probe-failed", job, f"{item.evidence.path}: no model is loaded")
            return
        on_progress = throttled(
            lambda p: self.mail.post("probe-progress", job, p.stage, p.done, p.total)
        )
        self._mailed(
            "probe",
            job,
            item.evidence,
            lambda: run_probe(
                analyzer,
                item.evidence,
                original=item.original,
                progress=on_progress,
                cancel=lambda: self._is_cancelled(job),
            ),
        )


class _RenderThread(QThread):
    """Runs :class:`RenderJob` functions; the newest job per layer replaces a waiting one."""

    done = Signal(object, int, object)  # layer, version, result (None when the job failed)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cond = threading.Condition()
        self._pending: dict[int, RenderJob] = {}  # id(layer) -> job, in request order

    def request(self, job: RenderJob) -> None:
        with self._cond:
            self._pending.pop(id(job.layer), None)
            self._pending[id(job.layer)] = job
            self._cond.notify()

    def discard(self, layer: Layer) -> None:
        """Drop the waiting job of ``layer``, if any (a running one finishes)."""
        with self._cond:
            self._pending.pop(id(layer), None)

    def stop(self) -> None:
        self.requestInterruption()
        with self._cond:
            self._pending.clear()
            self._cond.notify()
        stop_within(self, 10_000, "the layer renderer")

    def run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self.isInterruptionRequested():
                    self._cond.wait()
                if self.isInterruptionRequested():
                    return
                key = next(iter(self._pending))
                job = self._pending.pop(key)
            try:
                result = job.fn()
            except Exception:  # logged by the one hook; other layers still draw
                sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
                result = None
            self.done.emit(job.layer, job.version, result)


class LayerRenderer(QObject):
    """Keeps the layers of the lists it watches rendered, on a worker thread.

    Watches layers being inserted and ``invalidated``; results come back to the GUI thread and
    go to ``layer.apply_render``, which tells every view through the layer's ``rendered`` event.
    ``idle`` says when nothing is pending (for tests and screenshots).
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = _RenderThread(self)
        self._thread.done.connect(self._on_done)
        self._watched: list[LayerList] = []
        self._pending: dict[int, int] = {}  # id(layer) -> version requested
        self._thread.start()

    def watch(self, layers: LayerList) -> None:
        """Render every layer of ``layers`` now and whenever one changes."""
        self._watched.append(layers)
        layers.events.inserted.connect(self._on_inserted)
        layers.events.removed.connect(self._on_removed)
        for layer in layers:
            self._attach(layer)

    def unwatch(self, layers: LayerList) -> None:
        if layers in self._watched:
            self._watched.remove(layers)
            layers.events.inserted.disconnect(self._on_inserted)
            layers.events.removed.disconnect(self._on_removed)
            for layer in layers:
                self._forget(layer)

    @property
    def idle(self) -> bool:
        return not self._pending

    def stop(self) -> None:
        self._thread.stop()

    def _on_inserted(self, event: Event) -> None:
        self._attach(event.value)

    def _on_removed(self, event: Event) -> None:
        self._forget(event.value)

    def _forget(self, layer: Layer) -> None:
        layer.events.invalidated.disconnect(self._on_invalidated)
        self._pending.pop(id(layer), None)
        self._thread.discard(layer)

    def _attach(self, layer: Layer) -> None:
        layer.events.invalidated.connect(self._on_invalidated)
        self._request(layer)

    def _on_invalidated(self, event: Event) -> None:
        self._request(event.source)  # type: ignore[arg-type]

    def _request(self, layer: Layer) -> None:
        if not layer.wants_drawing:  # hidden and large: drawn when shown (layer_base)
            return
        job = layer.render_job()
        if job is not None:
            self._pending[id(layer)] = job.version
            self._thread.request(job)

    def _on_done(self, layer: Layer, version: int, result: object) -> None:
        if self._pending.get(id(layer)) == version:
            del self._pending[id(layer)]
        if result is not None:
            layer.apply_render(version, result)
