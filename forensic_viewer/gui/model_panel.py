"""The Models panel: the checkpoints and ensembles to analyse with, and the device.

:class:`ModelPanel` lists the bundled and user models (:func:`dock_label`, the details in each
row's tooltip; :func:`model_label`, the batch dialog's rows), adds a checkpoint file, and asks for
the checked ones with ``apply``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.assembly import ModelEntry, available_models, describe_model, not_the_bundled
from engine.catalog import BUNDLED_MODELS, user_models_dir
from engine.devices import available_devices
from engine.errors import ForensicError
from forensic_viewer.gui.panels import READ_ONLY, text_label
from forensic_viewer.gui.tips import tip_text
from forensic_viewer.gui.wheel_guard import guard_wheel
from forensic_viewer.wording import plain
from trainer.progress import figure_words

NOT_LOADED = "  — not loaded"  # a row's mark: the file was checked and failed to load
NOT_BUNDLED = "  — not the bundled checkpoint"  # a bundled model's name, other bytes


def foreign_words(entry: ModelEntry) -> str:
    """Why a row is marked :data:`NOT_BUNDLED`: a file that is not bundled carries a bundled
    model's name and its bytes differ from that checkpoint's; "" otherwise (a byte-identical
    copy included). Its header's calibration and figures are then the file's own claim."""
    if entry.meta is None or entry.origin == "bundled":
        return ""
    try:
        foreign = not_the_bundled(entry.name, path=entry.path)
    except (OSError, ForensicError):
        return ""  # not hashed: its loading says what is wrong with the file
    if not foreign:
        return ""
    return (
        f"named {entry.name} like a bundled model, but not the bundled checkpoint (its SHA-256 "
        "differs): its calibration and figures are its header's claim"
    )


def model_label(entry: ModelEntry) -> str:
    """A model list row: the name, then where it comes from and, for a checkpoint, its
    architecture (``tiny  [user, crfd-net-compact]``, ``duo  [ensemble]``)."""
    if entry.meta is None:
        return f"{entry.name}  [ensemble{' file' if entry.origin == 'file' else ''}]"
    return f"{entry.name}  [{entry.origin}, {entry.meta.architecture}]"


def dock_label(entry: ModelEntry) -> str:
    """A Models dock row, short enough for the dock's width: the name, and where it comes from
    only when not bundled (``tiny  [user]``, ``duo  [ensemble]``); the architecture and the
    origin are in the row's tooltip (:func:`origin_words`). The batch dialog's rows, wider,
    keep :func:`model_label`: at 1600 x 1000 the dock cut "[bundled, crfd-net-co…" and
    scrolled sideways."""
    if entry.meta is None:
        return f"{entry.name}  [ensemble{' file' if entry.origin == 'file' else ''}]"
    return entry.name if entry.origin == "bundled" else f"{entry.name}  [{entry.origin}]"


def origin_words(entry: ModelEntry) -> str:
    """What a model is and where it comes from, the first line of its dock row's tooltip
    (``checkpoint (bundled), architecture crfd-net-compact``, ``ensemble (user)``)."""
    if entry.meta is None:
        return f"ensemble ({entry.origin})"
    return f"checkpoint ({entry.origin}), architecture {entry.meta.architecture}"


class ModelPanel(QWidget):
    """Choose the checkpoints (bundled, user, or a file) and the device; ``apply`` asks for them.

    A row's path stays on the Python side, the row holding only its number (as the evidence
    list's): a path kept as Qt item data came back without the bytes of a name that is not
    UTF-8, so the checked model asked for was a file that does not exist."""

    apply = Signal(object, str)  # checkpoint paths (a list: object, never through Qt), device
    problem = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setAccessibleName("Models")
        self.list.setAccessibleDescription("checked models analyse the images")
        self.list.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a long user name: both ends
        self.device = QComboBox()
        self.device.addItems(available_devices())
        add = QPushButton("Add checkpoint…")
        add.clicked.connect(self._pick_file)
        use = QPushButton("Use checked models")
        use.clicked.connect(self._apply)
        self.status = text_label("")
        self._rows: list[tuple[str, bool]] = []  # row number -> its path, added by hand
        # path -> why it did not load when last used: its row says so until it is used again
        self._failed: dict[str, str] = {}
        row = QHBoxLayout()
        label = QLabel("device")
        label.setBuddy(self.device)  # names the list for screen readers
        row.addWidget(label)
        row.addWidget(self.device, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        layout.addWidget(add)
        layout.addWidget(use)
        layout.addWidget(self.status)
        guard_wheel(self.device)  # the dock scrolls under the wheel; the device stays
        self.refresh()

    def refresh(self) -> None:
        """List the checkpoints found in the bundled and user folders (checks are kept)."""
        checked = set(self.checked_paths())
        extra_paths = [path for path, picked in self._rows if picked]
        self.list.clear()
        self._rows = []
        listing = available_models()
        for entry in (*listing.ensembles, *listing.checkpoints):
            self._add(entry)
        for path in extra_paths:
            self.add_file(path)
        self.set_checked(checked)
        problems = [*listing.problems, *listing.clashes]
        if not listing.checkpoints:
            problems.insert(0, f"no checkpoints in {BUNDLED_MODELS} or {user_models_dir()}")
        self._listing_problems = problems
        self._say_status()

    def _say_status(self) -> None:
        """The listing's problems, then each checked file that did not load (sticky)."""
        lines = [*self._listing_problems, *(plain(line) for line in self._failed.values())]
        self.status.setText("\n".join(lines))

    def mark_failed(self, failed: dict[str, str]) -> None:
        """These files (path -> the line that says why) did not load: unchecked, their rows
        marked "not loaded" and the lines kept below the list until they are used again.
        Before, such a file stayed checked and its error left the status bar within a second
        (the re-analysis's verdict replaced it): the dock looked as if it were in use."""
        self._failed.update({str(Path(p).resolve()): line for p, line in failed.items()})
        self.set_checked({p for p in self.checked_paths() if p not in self._failed})
        for i in range(self.list.count()):
            item = self.list.item(i)
            path = str(Path(self.path_of(i)).resolve())
            if path in self._failed and not item.text().endswith(NOT_LOADED):
                item.setText(item.text() + NOT_LOADED)
                item.setToolTip(tip_text(f"{plain(self._failed[path])}\n{item.toolTip()}"))
        self._say_status()

    def _add(self, entry: ModelEntry, *, picked: bool = False) -> None:
        """One row; its tooltip holds the file, θ's provenance and the measured figures."""
        path = str(entry.path.resolve())
        meta = entry.meta
        provenance = meta.decision.provenance if meta is not None else ""
        # in the words of the training log and the install review (trainer.progress)
        figures = figure_words(
            {
                k.removeprefix("val_"): v
                for k, v in (meta.metrics if meta is not None else {}).items()
            }
        )
        failed = self._failed.get(str(entry.path.resolve()))
        foreign = foreign_words(entry)
        mark = (NOT_BUNDLED if foreign else "") + (NOT_LOADED if failed else "")
        item = QListWidgetItem(plain(dock_label(entry)) + mark)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Unchecked)
        item.setData(Qt.ItemDataRole.UserRole, len(self._rows))
        self._rows.append((path, picked))
        item.setToolTip(
            tip_text(
                (f"{plain(failed)}\n" if failed else "")
                + (f"{plain(foreign)}\n" if foreign else "")
                + f"{plain(origin_words(entry))}\n{plain(path)}\nθ: {plain(provenance)}"
                + (f"\ntraining-run validation split: {plain(figures)}" if figures else "")
            )
        )
        self.list.addItem(item)

    def add_file(self, path: str) -> bool:
        """Add a checkpoint file to the list (checked); a bad file is reported, not added."""
        path = str(Path(path).resolve())
        if path in self.paths():
            self.set_checked(set(self.checked_paths()) | {path})
            return True
        try:
            entry = describe_model(path)
        except ForensicError as e:
            self.problem.emit(str(e))
            return False
        self._add(entry, picked=True)
        self.set_checked(set(self.checked_paths()) | {path})
        return True

    def _pick_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Add a checkpoint",
            str(user_models_dir()),
            "Checkpoints (*.safetensors)",
            options=READ_ONLY,
        )
        if path:
            self.add_file(path)

    def path_of(self, row: int) -> str:
        """The path of row ``row`` as it was listed or given (never through Qt)."""
        return self._rows[self.list.item(row).data(Qt.ItemDataRole.UserRole)][0]

    def paths(self) -> list[str]:
        return [self.path_of(i) for i in range(self.list.count())]

    def checked_paths(self) -> list[str]:
        return [
            self.path_of(i)
            for i in range(self.list.count())
            if self.list.item(i).checkState() == Qt.CheckState.Checked
        ]

    def set_checked(self, paths: set[str]) -> None:
        wanted = {str(Path(p).resolve()) for p in paths}
        for i in range(self.list.count()):
            item = self.list.item(i)
            on = str(Path(self.path_of(i)).resolve()) in wanted
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def set_device(self, device: str) -> None:
        index = self.device.findText(device)
        if index >= 0:
            self.device.setCurrentIndex(index)

    def _apply(self) -> None:
        checked = self.checked_paths()
        again = {str(Path(p).resolve()) for p in checked} & set(self._failed)
        if again:  # tried again: their marks go (a new failure marks them anew)
            for path in again:
                del self._failed[path]
            self.refresh()
        self.apply.emit(checked, self.device.currentText())
