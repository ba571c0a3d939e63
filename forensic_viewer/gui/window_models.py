"""The models the main window analyses with, and the training dialog that makes new ones.

:class:`WindowModels` is a part of :class:`~forensic_viewer.gui.main_window.MainWindow` (a
mixin: its methods run on the window, whose worker, Models panel and status bar they use). The
checkpoint files and device in use (``model_paths``, ``device``) go to the analysis worker on
the path the Analysis menu says (fast, or the exact sliding-window path); another choice
analyses the current image again, while the files already queued keep the models chosen when
they were opened. The worker's news of the models loaded goes to the status bar. Models ▸ Train
a model… opens the training dialog, kept while a run goes on; a model it installs joins the
Models panel and the batch dialog's list.
"""

from __future__ import annotations

from pathlib import Path

from engine.assembly import name_clash
from forensic_viewer.gui.training_dialog import TrainingDialog
from forensic_viewer.gui.verdict_panel import no_model_hint


class WindowModels:
    """The models in use by :class:`~forensic_viewer.gui.main_window.MainWindow`."""

    def set_models(self, paths: list[str], device: str = "auto") -> None:
        """Use these checkpoint files on ``device`` from the next analysis on."""
        self.model_panel.set_checked(set())
        for path in paths:
            self.model_panel.add_file(path)
        self.model_panel.set_device(device)
        self._configure(paths, device)

    def _configure(self, paths: list[str], device: str) -> None:
        """The worker loads ``paths`` on ``device``, on the path the Analysis menu says."""
        self._models_known = False
        self.model_paths, self.device = list(paths), device
        self.worker.configure(list(paths), device, exact=self.exact_action.isChecked())

    def _on_models_chosen(self, paths: list[str], device: str) -> None:
        """Other models: for the current image (analysed again) and the files opened from now
        on. Files already queued keep the models chosen when they were opened (the worker runs
        jobs in order, each with its models), and the status bar says so. A set with two models
        of one name is refused before the models in use are let go (they, their checks and
        the shown result stay; the message names both files): before, the worker unloaded
        everything and the Verdict panel said no model was installed."""
        clash = name_clash(paths)
        if clash is not None:  # refused before anything is let go: the models in use stay
            self.model_panel.set_checked(set(self.model_paths))
            self.show_error(f"models not changed (the ones in use stay): {clash}")
            return
        waiting = sum(e.running for p, e in self.entries.items() if p != self.current)
        self._configure(paths, device)
        self.models_chosen = True  # the analyst's choice: kept for the next start
        if self.current is not None:
            self.analyse(self.current)
        if waiting:
            self.statusBar().showMessage(
                f"{waiting} file{'s' if waiting != 1 else ''} already queued keep the models "
                "chosen when opened; the new models run after them"
            )

    def _on_exact(self, checked: bool) -> None:
        """Analysis ▸ Exact sliding-window path: the same models again on the other path, and
        the current image analysed again with them (the status bar names the path); the
        models are not thereby chosen (kept for the next start only when they were)."""
        chosen = self.models_chosen
        self._on_models_chosen(self.model_paths, self.device)
        self.models_chosen = chosen

    def _on_models_ready(self, names: list[str], device: str) -> None:
        """The models loaded: news from the background, which waits while a message of the
        analyst's own action is fresh (``StatusBar.notify``)."""
        self.model_names = names
        self._models_known = True
        if names:
            path = ", exact sliding-window path" if self.exact_action.isChecked() else ""
            faces = self.worker.face_model_names  # Analyzer.names has no face model
            said = ", ".join(names)
            if faces:
                said += f"; face model{'s' if len(faces) != 1 else ''}: {', '.join(faces)}"
            self.statusBar().notify(f"models: {said} on {device}{path}")
        else:
            self.statusBar().notify(
                "No trained model is installed: images are shown, not analysed (see the Verdict panel)"
            )
            if self.current is None:
                self.verdict_panel.show_message(no_model_hint())

    def _on_models_failed(self, message: str) -> None:
        """Files of the models in use that did not load (each line names its file first) are
        unchecked and marked in the Models panel, which keeps the line: the status bar's soon
        gives way to the analysis's verdict."""
        self.show_error(message)
        lines = message.split("\n")
        failed = {
            path: line
            for path in self.model_paths
            for line in lines
            if line.startswith((f"{path}: ", f"{Path(path).resolve()}: "))
        }
        if failed:
            self.model_panel.mark_failed(failed)

    def open_training(self) -> TrainingDialog:
        """Show the training dialog; a run goes on while it is hidden."""
        if self.training is None:
            self.training = TrainingDialog(self)
            self.training.modelInstalled.connect(self._on_model_installed)
            self.training.notice.connect(self.statusBar().notify)
        self.training.show()
        self.training.raise_()
        return self.training

    def _on_model_installed(self, path: str) -> None:
        self.model_panel.refresh()
        if self.batch is not None:  # filled when first opened, and kept since
            self.batch.model_list.refresh()
        self.statusBar().showMessage(
            f"new model {Path(path).stem} installed: check it in the Models panel to use or compare it"
        )
