"""The training dialog: train a network on the analyst's data from the viewer, with live curves.

Training runs only in child processes (``python -m trainer.cli ...`` through ``QProcess``), so a
crash or an out-of-memory in training never takes the viewer down, and the viewer never imports
torch training code. What a run is (the data check, one or two training stages, calibration,
installation), the arguments of each process, the run folder and its saved state are
:mod:`trainer.plan`; reading the trainer's JSON-lines progress (and saying its events in words)
is :mod:`trainer.progress`; the child process is :mod:`forensic_viewer.gui.trainer_process`.
This module holds the dialog and the sequencing of a run's processes on their ``finished``
signals: Start, Resume, Stop, the stages one after the other, calibration, the review and
installation of the model, and which buttons are enabled. The settings form and the data check
are :mod:`forensic_viewer.gui.training_form`; the live view (header, progress, curves, status,
review, log) is :mod:`forensic_viewer.gui.training_live`: both parts of the one dialog.

A finished model is not installed at once: its review (:mod:`trainer.review`: steps trained,
validation figures, θ, warnings for a short or unvalidated run) is shown and the analyst
installs it or leaves it in the run folder.

Stop sends SIGTERM (``QProcess.terminate``): the trainer writes its last checkpoint and resume
file and exits; Resume runs the same command with ``--resume`` in the same run folder, also
after the viewer was closed: the list beside the output name offers the runs folder's stopped
and finished runs (:func:`trainer.runs.earlier_runs`), and picking one fills the form with its
saved settings. Resume is offered only for a run that was stopped before it
finished (its tooltip says why not otherwise). A Stop that reaches a stage which had just
finished (the trainer exits 143 all the same, saying so) leaves that stage finished, not
stopped (:func:`trainer.progress.finished_despite_stop`); one that reaches ``calibrate`` once
it has written this run's calibrated file leaves the run finished. Closing the dialog hides it;
a run goes on, and :attr:`TrainingDialog.notice` has the main window's status bar say so (and
that quitting the viewer stops it). When a run stops, fails or finishes, ``notice`` says so at
once, the dialog open or closed, so the outcome joins the main window's message history.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import IO, Any

from PySide6.QtCore import QEventLoop, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import QDialog, QProgressDialog, QSplitter, QVBoxLayout, QWidget

from engine.errors import CheckpointError
from engine.files import open_append
from forensic_viewer.gui.panels import tint
from forensic_viewer.gui.screen_fit import fit_to_screen
from forensic_viewer.gui.tips import tip_text
from forensic_viewer.gui.trainer_process import EXIT_CRASHED, EXIT_NOT_STARTED, TrainerProcess
from forensic_viewer.gui.training_form import TrainingForm, calibration_missing
from forensic_viewer.gui.training_live import REOPEN, WARNING_COLOR, TrainingLive
from trainer.plan import (
    LAST_CHECKPOINT,
    PROGRESS_LOG,
    RESUME_NAME,
    RunState,
    Stage,
    TrainingConfig,
    assess,
    default_runs_dir,
    install_checkpoint,
    readiness,
)
from trainer.plan_args import calibrate_caveat
from trainer.progress import (
    EXIT_BUSY,
    EXIT_STOPPED,
    EXIT_USAGE,
    TrainingProgress,
    describe_event,
    finished_despite_stop,
)
from trainer.review import InstallReview, review_checkpoint
from trainer.run_folder import RunLocked, probe_run_folders

STOP_GRACE_MS = 120_000  # after Stop, how long the trainer may take to write its checkpoint
CHECK_TIMEOUT_MS = 120_000  # a data check that takes longer is killed and reported


def file_identity(path: Path) -> tuple[int, int, int] | None:
    """``path``'s inode, size and modification time (ns), None when it is not there: a file
    replaced (written anew through a temporary file) never has the identity it had."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


class TrainingDialog(TrainingForm, TrainingLive, QDialog):
    """Choose architecture, data and settings; run, watch, stop, resume; install the model.

    Closing the dialog hides it; a run goes on in the background (the main window keeps the
    dialog). :meth:`shutdown` stops a run gracefully when the viewer quits.
    """

    modelInstalled = Signal(str)  # path of the checkpoint copied into the user models folder
    # what the main window says while the dialog is closed: the run goes on, or it has ended
    notice = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, runs_dir: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Train a model")
        self.check_result: dict[str, Any] | None = None
        self._set_aside: dict[int, str] = {}  # rows a chosen start emptied (_show_start)
        self._proposed = ""  # the output name last proposed (_propose_name), kept until typed over
        self._checked_args: list[str] | None = None  # check_argv of check_result
        self.state: RunState | None = None  # of the run being trained (or last trained)
        self.progress: TrainingProgress | None = None
        self.installed: Path | None = None
        self._phase = "idle"  # idle | train | calibrate
        self._stage: Stage | None = None
        self._stop_requested = False
        # the calibrated file as calibrate found it (None: none): one it leaves otherwise is
        # this run's, one left as it was is an earlier run's
        self._calibrated_before: tuple[int, int, int] | None = None
        self._events_file: IO[str] | None = None
        self._dirty = False
        self._header = "no run"  # the stage label without its ended state
        self.review: InstallReview | None = None  # of the model waiting to be installed
        self._pending: tuple[Path, str] | None = None  # (checkpoint, θ note) awaiting confirmation
        self._caveats: list[str] = []  # calibrate's notes that θ was set on training images

        self._check_lines: list[str] = []  # what the running data check printed
        self.checker = TrainerProcess(self)
        self.checker.text.connect(self._check_lines.append)
        self.checker.finished.connect(self._on_check_finished)
        self.runner = TrainerProcess(self)
        self.runner.event.connect(self._on_event)
        self.runner.text.connect(self._on_text)
        self.runner.text.connect(self._keep_caveat)
        self.runner.finished.connect(self._on_run_finished)
        self._check_timer = QTimer(self, singleShot=True, interval=300)
        self._check_timer.timeout.connect(self.validate_data)
        self._check_deadline = QTimer(self, singleShot=True, interval=CHECK_TIMEOUT_MS)
        self._check_deadline.timeout.connect(self.checker.kill)
        self._kill_timer = QTimer(self, singleShot=True, interval=STOP_GRACE_MS)
        self._kill_timer.timeout.connect(self._kill_after_grace)
        self._redraw_timer = QTimer(self, interval=250)
        self._redraw_timer.timeout.connect(self._redraw)
        self._redraw_timer.start()

        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.settings_pane = self._build_settings(runs_dir or default_runs_dir())
        # Start, Stop, Resume and the readiness line under the scrolled form, always in view:
        # at the end of the form they were below the fold at the dialog's own 1200x800. The
        # buttons last, at the dialog's foot: above a readiness line of one to five lines
        # they moved as it changed, and a click aimed at Start missed
        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 0, 0)
        left_box.addWidget(self.settings_pane, 1)
        left_box.addWidget(self.readiness_label)
        left_box.addLayout(self._run_row)
        splitter.addWidget(left)
        splitter.addWidget(self._build_live())
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        # the settings at their full width (the plots take the rest, at least two fifths):
        # split evenly, the form was cut at its right edge (the start-from list, the Browse…
        # buttons) behind a horizontal scroll bar. A large font widens the form, and the
        # dialog with it: at 16 pt the form wanted more than three fifths of 1200 pixels and
        # its wrapped lines were cut at the right edge
        pane = self.settings_pane
        wanted = pane.widget().sizeHint().width() + pane.verticalScrollBar().sizeHint().width()
        wanted += 2 * pane.frameWidth()
        self.resize(max(1200, -(-wanted * 5 // 3)), 800)
        fit_to_screen(self)  # a small screen: the form at its least width, the plots the rest
        width = self.width()
        settings = max(min(wanted, width * 3 // 5), pane.minimumSizeHint().width())
        splitter.setSizes([settings, width - settings])
        self._on_arch_changed(self.arch.currentText())
        self.list_earlier_runs()
        self._update_buttons()

    # --- running ---

    def start(self) -> None:
        """Start a new run with the settings shown (after the data check passed)."""
        config = self.config()
        # asked first: its refusal names the holder (readiness only says that one holds it)
        if not self.busy and self._in_use(config, started=False):
            return
        state = RunState.load(config.run_dir)
        can_start, _, reason = readiness(config, self.check_result, state)
        if not can_start or self.busy:
            self._set_status(reason, error=True)
            return
        self.state = RunState(config, [], config.can_calibrate(self.check_result))
        try:
            self.state.save()
        except OSError as e:
            self._set_status(
                f"{config.run_dir}: cannot write the run folder ({e.strerror or e})", error=True
            )
            return
        self.log.clear()
        self._close_review()
        self._log(f"run folder: {config.run_dir}")
        self._launch_next()

    def resume(self) -> None:
        """Continue the stopped run of the output name shown, with its own settings."""
        config = self.config()
        state = RunState.load(config.run_dir)
        held = state.config if state is not None else config
        if not self.busy and self._in_use(held, started=False):  # first, as for Start
            return
        _, can_resume, reason = readiness(config, self.check_result, state)
        if not can_resume or state is None or self.busy:
            self._set_status(reason, error=True)
            return
        self.state = state
        self.set_config(state.config)
        self._close_review()
        self._log(f"resuming the run in {config.run_dir}")
        self._launch_next()

    def stop(self) -> None:
        """Ask the running step to stop: the trainer writes a checkpoint, then exits."""
        if not self.runner.running:
            return
        self._stop_requested = True
        self.runner.terminate()
        self._kill_timer.start()
        self._set_status("stopping: the trainer is writing a checkpoint…")
        self.eta_label.setText("stopping…")
        self._update_buttons()

    def shutdown(self, timeout_ms: int = 60_000) -> None:
        """Stop any child process before the viewer quits: SIGTERM, then up to ``timeout_ms``
        for the trainer to write its checkpoint (killed after that). A modal note says so
        meanwhile: the viewer's windows stayed frozen with nothing shown for up to a minute."""
        self.checker.kill()
        if not self.runner.running:
            return
        self._stop_requested = True
        name = self.state.config.name if self.state is not None else "the run"
        note = QProgressDialog(
            f"Stopping the training run {name}: writing its checkpoint (Resume continues it)…",
            "",
            0,
            0,
            self.parentWidget() or self,
        )
        note.setWindowTitle("Quitting")
        note.setCancelButton(None)  # the stop is already asked for; the viewer quits after it
        note.setWindowModality(Qt.WindowModality.ApplicationModal)
        note.setMinimumDuration(0)
        loop = QEventLoop()
        deadline = QTimer(singleShot=True, interval=timeout_ms)
        deadline.timeout.connect(loop.quit)
        self.runner.process.finished.connect(loop.quit)
        self.runner.terminate()
        note.show()
        if self.runner.running:  # the note is drawn while the trainer ends; no input meanwhile
            deadline.start()
            loop.exec(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
        deadline.stop()
        self.runner.process.finished.disconnect(loop.quit)
        if self.runner.running:
            self.runner.kill()
            self.runner.process.waitForFinished(5000)
        note.close()
        note.deleteLater()

    def _in_use(self, config: TrainingConfig, *, started: bool = True) -> bool:
        """Whether another trainer holds a folder of ``config``'s run (a second viewer window, a
        ``fit --resume`` in a shell), said as the trainer's refusal is (exit status 3). Asked
        before the dialog writes its records there (``training-dialog.json``, a stage's
        ``progress.jsonl``): the holder's window keeps its own, where a trainer started only
        to be refused had them overwritten first. A run this dialog has not ``started`` (Start,
        Resume) did not fail: the header says it was not started, and nothing else changes."""
        try:
            probe_run_folders([config.run_dir, *(s.out for s in config.stages())])
        except RunLocked as e:
            text = self._failure_text(EXIT_BUSY, str(e))
            if started:
                self._fail(text)
                return True
            pid = e.holder.get("pid", "?")
            self.stage_label.setText(
                f"not started: the run folder is in use by another trainer (PID {pid})"
            )
            self.eta_label.setText("not started")
            self._log(text)
            self._set_status(text, error=True)
            return True
        return False

    @property
    def busy(self) -> bool:
        return self._phase != "idle"

    def _launch_next(self) -> None:
        assert self.state is not None
        config = self.state.config
        nxt = self.state.next_stage()
        if nxt is None:
            self._calibrate_or_install()
            return
        if self._in_use(config):  # between stages: a trainer from a shell took the folder
            return
        stage, resume = nxt
        self._stage = stage
        self._phase = "train"
        self._stop_requested = False
        self.progress = TrainingProgress(config.batch_size, config.max_steps)
        events = stage.out / PROGRESS_LOG
        if resume:
            self.progress.replay(events)
        self._close_events()
        try:
            stage.out.mkdir(parents=True, exist_ok=True)
            if not resume:  # a new stage's events start a new file
                events.unlink(missing_ok=True)
            # never waiting for a reader of a pipe put in the run folder under its name, nor
            # appending through a link there (a copied or planted run folder's)
            self._events_file = open_append(events, "a", follow_links=False, encoding="utf-8")
        except OSError as e:
            self._fail(f"{events}: cannot write the run folder: {e.strerror or e}")
            return
        self._reset_curves()
        stages = config.stages()
        index = stages.index(stage) + 1
        self._set_header(
            f"{config.name}: {stage.title}"
            + (f" — stage {index} of {len(stages)}" if len(stages) > 1 else "")
            + (" (resumed)" if resume else "")
        )
        argv = config.stage_argv(stage, resume)
        self._clear_warnings()
        self._log("$ forensic-train " + shlex.join(argv))
        self._set_status(f"{stage.title}: starting (loading the data and the network)…")
        self.runner.start(argv)
        self._dirty = True
        self._update_buttons()

    def _calibrate_or_install(self) -> None:
        assert self.state is not None
        config = self.state.config
        model = config.final_checkpoint()
        if not model.is_file():
            self._fail(f"{model}: the training left no checkpoint to install")
            return
        if self.state.calibrate:
            self._phase = "calibrate"
            self._stop_requested = False
            doing = config.calibrate_words()[0]  # calibrate, or face-model for a face model
            self._set_header(f"{config.name}: {doing}")
            argv = config.calibrate_argv(model)
            self._calibrated_before = file_identity(config.calibrated_path())
            self._caveats = []
            self._clear_warnings()
            self._log("$ forensic-train " + shlex.join(argv))
            self._set_status(f"{doing}…")
            self.runner.start(argv)
            self._update_buttons()
            return
        faces = config.face_start()
        self._install(model, f"θ not calibrated ({calibration_missing(self.check_result, faces)})")

    def review_earlier(self, state: RunState) -> None:
        """A finished run picked among the earlier runs (one that ended in another session,
        its dialog closed before Install): its review from its files (:mod:`trainer.review`),
        its curves from its last stage's events, and Install, as when it finished here; it
        showed "no run" and offered neither. Nothing when its model is installed already."""
        config = state.config
        if self.busy or config.installed_path().exists():
            return
        self.state = state
        self.progress = TrainingProgress(config.batch_size, config.max_steps)
        self.progress.replay(config.stages()[-1].out / PROGRESS_LOG)
        self._reset_curves()
        self._dirty = True
        self._redraw()
        self.log.clear()
        self._log(f"run folder: {config.run_dir} (finished, not installed)")
        calibrated = config.calibrated_path()
        if calibrated.is_file():
            self._install(calibrated, config.calibrate_words()[1])
        else:
            missing = calibration_missing(None, config.face_start())
            self._install(config.final_checkpoint(), f"θ not calibrated ({missing})")

    def _keep_caveat(self, line: str) -> None:
        """A line of the running step: calibrate's note that the validation images that set θ
        include training images is kept for the review (it was only in the log)."""
        if self._phase == "calibrate" and (caveat := calibrate_caveat(line)) is not None:
            self._caveats.append(caveat)

    def _install(self, model: Path, note: str, caveats: list[str] | None = None) -> None:
        """The run is over: show ``model``'s review and wait for Install or Do not install.
        ``caveats``, calibrate's notes that θ was set on images the model was trained on, are
        shown with it, and Install then waits for the analyst to tick that they accept it."""
        try:
            review = review_checkpoint(model)
        except CheckpointError as e:
            self._fail(str(e))
            return
        # a best-validation checkpoint from earlier in the run: "8 steps" of a 22-step run
        review.run_steps = self.progress.step if self.progress is not None else None
        self.review, self._pending = review, (model, note)
        self._phase = "idle"
        # the run, not its last step ("calibrating θ …"), finished: the header says so
        assert self.state is not None
        self._set_header(f"{self.state.config.name}: run finished")
        self._show_ended("finished", note, why="its model waits for Install after its review")
        self.renew_proposed_name()  # a next run is not refused for this one's folder
        caveats = caveats or []
        said = "".join(f"\nwarning: calibrate: {c.removeprefix('note: ')}" for c in caveats)
        self.review_label.setText(
            f"{review.text()}{said}\n{note}.\nInstall it for the viewer (it is then listed in "
            "the Models panel), or leave it in the run folder."
        )
        tint(self.review_label, WARNING_COLOR if review.warnings or caveats else None)
        self.caveat_check.setChecked(False)
        self.caveat_check.setVisible(bool(caveats))
        self.install_button.setEnabled(not caveats)
        self.review_box.setVisible(True)
        self._show_notes()
        self._set_status(
            "training finished: check the model's figures"
            + (" and warnings" if review.warnings or caveats else "")
            + " before installing it"
        )
        self._log(review.text())
        self._update_buttons()

    def confirm_install(self) -> None:
        """Install the reviewed model (the analyst confirmed; when θ was set on training
        images, once they ticked that they accept it)."""
        if self.caveat_check.isVisible() and not self.caveat_check.isChecked():
            self._set_status(
                f"not installed: θ was set on images the model was trained on; tick "
                f"'{self.caveat_check.text()}' to install it all the same",
                error=True,
            )
            return
        pending = self._pending
        self._close_review()
        if pending is not None:
            self._do_install(*pending)

    def discard_install(self) -> None:
        """Leave the reviewed model in its run folder."""
        pending = self._pending
        self._close_review()
        if pending is not None:
            self._set_status(f"not installed; the model stays in {pending[0]}")
            self._log(f"not installed: {pending[0]}")

    def _close_review(self) -> None:
        self._pending = None
        self.review_box.setVisible(False)
        self.caveat_check.setVisible(False)
        self._show_notes()
        self._update_buttons()

    def _do_install(self, model: Path, note: str) -> None:
        assert self.state is not None
        dst = self.state.config.installed_path()
        try:
            install_checkpoint(model, dst)
        except OSError as e:
            self._fail(
                f"{dst}: cannot install the checkpoint ({e.strerror or e}); it stays in {model}"
            )
            return
        self.installed = dst
        self._phase = "idle"
        self._set_status(
            f"installed {dst.name} in {dst.parent}; {note}. It is listed in the Models panel."
        )
        self._log(f"installed {model} as {dst}")
        self._update_buttons()
        self.modelInstalled.emit(str(dst))

    def _on_run_finished(self, code: int, message: str) -> None:
        self._kill_timer.stop()
        self._close_events()
        if self._phase == "calibrate":
            assert self.state is not None
            calibrated = self.state.config.calibrated_path()
            step = self.state.config.calibrate_argv(calibrated)[0]  # calibrate or face-model
            done = self.state.config.calibrate_words()[1]
            if code == 0 and calibrated.is_file():
                self._install(calibrated, done, self._caveats)
            elif self._stop_requested and self._calibrated_here(calibrated):
                # the stop came once it had written its file: the run folder reads as
                # finished (Resume is off), so the run is, and its review follows
                self._log(f"{step}: finished before the stop reached it")
                self._install(calibrated, done, self._caveats)
            elif self._stop_requested:
                self._idle(f"{step} stopped; " + self._resume_words(calibrated))
            elif code == EXIT_BUSY:  # a trainer in the run folder: its weights may change yet
                self._fail(self._failure_text(code, message) + "; Resume runs it again")
            else:
                self._log(f"{step} failed: {message}")
                self._install(
                    self.state.config.final_checkpoint(), f"θ not calibrated ({message or code})"
                )
            return
        if self._phase != "train" or self.state is None or self._stage is None:
            return
        self._redraw()
        stage = self._stage
        if code == 0 or finished_despite_stop(code, message, self.progress):
            self.state.done.append(str(stage.out))
            try:
                self.state.save()
            except OSError as e:
                self._fail(f"{stage.out}: cannot record the finished stage ({e.strerror or e})")
                return
            if code == 0:
                self._log(f"{stage.title}: finished")
                self._launch_next()
            else:
                self._finished_at_stop(stage)
            return
        checkpoint = stage.out / LAST_CHECKPOINT
        resumable = (stage.out / RESUME_NAME).is_file()
        if code in EXIT_STOPPED or (self._stop_requested and resumable):
            step = self.progress.step if self.progress else 0
            self._idle(
                f"stopped at step {step}{self._last_val_text('; ')}; checkpoint {checkpoint}"
                + ("; Resume continues the run" if resumable else "")
            )
        elif self._stop_requested:
            self._idle("stopped before the first checkpoint; Start begins again")
        else:
            self._fail(self._failure_text(code, message))

    def _calibrated_here(self, calibrated: Path) -> bool:
        """Whether ``calibrated`` was written by this run's calibrate: there, and not the file
        (inode, size, modification time) it found when it started."""
        now = file_identity(calibrated)
        return now is not None and now != self._calibrated_before

    def _resume_words(self, calibrated: Path) -> str:
        """What Resume does after a stopped calibrate. A calibrated file an earlier run left
        (the step would have replaced it) made the run folder read as finished, Resume off: it
        is moved aside to ``NAME.earlier`` (kept, never deleted), so that Resume runs the step
        again as said."""
        if calibrated.exists():
            aside = calibrated.with_name(calibrated.name + ".earlier")
            try:
                calibrated.replace(aside)
            except OSError as e:
                self._log(
                    f"{calibrated}: an earlier run's file, cannot be moved ({e.strerror or e})"
                )
                return f"{calibrated} is an earlier run's: move it away, then Resume runs it again"
            self._log(f"{calibrated}: an earlier run's file, kept as {aside.name}")
        return "Resume runs it again and installs the model"

    def _finished_at_stop(self, stage: Stage) -> None:
        """``stage`` had finished when Stop (or another SIGTERM) reached its trainer, which
        then exits 143 all the same: the stage is done, and no further process starts. With
        nothing left to run, the model's review follows as after any finished run; else
        Resume goes on with what is left (the next stage, or setting θ)."""
        assert self.state is not None
        self._log(f"{stage.title}: finished before the stop reached it")
        if self.state.next_stage() is None and not self.state.calibrate:
            self._calibrate_or_install()  # only the review: no process
            return
        nxt = self.state.next_stage()
        left = nxt[0].title if nxt is not None else self.state.config.calibrate_words()[0]
        self._phase = "idle"
        said = (
            f"{stage.title} had finished before the stop: checkpoint "
            f"{stage.out / LAST_CHECKPOINT}{self._last_val_text('; ')}; Resume continues the "
            f"run with {left}"
        )
        self._show_ended("finished", why=said)
        self._set_status(said)
        self._update_buttons()

    @staticmethod
    def _failure_text(code: int, message: str) -> str:
        last = f": {message}" if message else ""
        if code == EXIT_CRASHED:
            return (
                "the trainer stopped unexpectedly (killed or crashed, perhaps out of memory)" + last
            )
        if code == EXIT_NOT_STARTED:
            return "the trainer could not be started" + last
        if code == EXIT_USAGE:
            return "the trainer refused the data or settings" + last
        if code == EXIT_BUSY:  # two windows resuming one run, or a trainer run from a shell
            return "the run folder is in use by another trainer" + last
        return f"training failed (exit status {code})" + last

    def _kill_after_grace(self) -> None:
        if self.runner.running:
            self._log(f"the trainer did not stop within {STOP_GRACE_MS // 1000} s: killed")
            self.runner.kill()

    def _idle(self, text: str) -> None:
        """A run stopped at the analyst's request."""
        self._phase = "idle"
        self._show_ended("stopped")
        self._set_status(text)
        self._update_buttons()

    def _fail(self, text: str) -> None:
        self._phase = "idle"
        self._show_ended("failed", why=text)
        self._log(text)
        self._set_status(text, error=True)
        self._update_buttons()

    def _close_events(self) -> None:
        if self._events_file is not None:
            self._events_file.close()
            self._events_file = None

    def _on_event(self, event: dict[str, Any]) -> None:
        if self._events_file is not None:
            self._events_file.write(json.dumps(event) + "\n")
            self._events_file.flush()
        if self.progress is not None and self._phase == "train":
            self.progress.apply(event)
            self._dirty = True
        if self._stop_requested:  # its time left was the run's, which is stopping
            event = {k: v for k, v in event.items() if k != "eta_s"}
        self._log(describe_event(event))  # the raw line stays in the stage's progress log

    # --- state shown ---

    def _update_buttons(self) -> None:
        config = self.config()
        state = RunState.load(config.run_dir) if config.name else None
        ready = assess(config, self.check_result, state)  # Start, Resume and their words
        self.start_note.setText("\n".join(config.start_problems()))
        busy = self.busy
        self.set_form_enabled(not busy)
        self.earlier.setEnabled(bool(self._earlier) and not busy)
        self.start_button.setEnabled(ready.can_start and not busy)
        self.resume_button.setEnabled(ready.can_resume and not busy)
        self.resume_button.setToolTip(tip_text(ready.resume_note) if config.name else "")
        self.stop_button.setEnabled(self.runner.running and not self._stop_requested)
        if busy:
            self.readiness_label.setText(
                f"running in {self.state.config.run_dir if self.state else ''}"
            )
        else:
            self.readiness_label.setText(f"run folder: {config.run_dir}\n{ready.reason}")

    def showEvent(self, event: QShowEvent) -> None:  # Qt override
        """The earlier runs as the runs folder holds them now (a run may have ended since);
        the dialog within its screen, title bar and borders included (known once shown)."""
        super().showEvent(event)
        fit_to_screen(self)
        if not self.busy:
            self.list_earlier_runs()
            self.renew_proposed_name()  # a run finished under it since it was proposed

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt override
        """Closing hides the dialog; a run goes on (Stop ends it), and the main window says so."""
        self.hide()
        event.ignore()
        if self.busy and self.state is not None:
            self.notice.emit(
                f"training {self.state.config.name} goes on in the background ({REOPEN}); "
                "quitting the viewer stops it with a checkpoint, which Resume continues"
            )
