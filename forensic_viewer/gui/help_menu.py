"""The main window's Help menu: About (what program, models and libraries these are) and the
keyboard shortcuts.

About says what an examiner quotes when a result is questioned: the program's version (and
the code's identity, a commit or source hash, as :func:`forensic_viewer.environment.environment`
records it: :func:`code_identity`), each bundled model with its architecture,
creation date and the start of its file's SHA-256, the versions of torch, OpenVINO, PySide6
and the Qt it runs on, and where the documentation is. Keyboard shortcuts lists the window's
actions as they are now, from the QActions themselves (their menu, text and every shortcut),
so the list cannot drift from the keys that work.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import qVersion
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QMainWindow,
    QMenu,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from engine.catalog import bundled_checkpoint_files
from engine.checkpoints import read_meta
from engine.errors import ForensicError
from forensic_viewer import environment as environment_module
from forensic_viewer.audit import file_sha256
from forensic_viewer.gui.canvas import VIEW_KEYS

SHA_SHOWN = 12  # hex digits of a model file's SHA-256 shown (the report has them whole)


def code_identity(env: Mapping[str, Any] | None = None) -> str:
    """The code's identity as the recorded environment gives it (its ``code`` entry, in
    :func:`forensic_viewer.environment.code_text`'s words: ``commit 1a2b3c4d, modified
    files``, a sources' or build's SHA-256); "" when it records none (recorded before that was)."""
    env = environment_module.environment() if env is None else env
    return environment_module.code_text(env["code"]) if "code" in env else ""


def docs_folder() -> Path | None:
    """The documentation folder beside the package (a checkout or a source install), or None."""
    folder = Path(environment_module.__file__).resolve().parents[1] / "docs"
    return folder if folder.is_dir() else None


def model_lines(
    files: list[Path] | None = None, sha256: Callable[[Path], str] = file_sha256
) -> list[str]:
    """One line per bundled model: name, architecture, created, SHA-256's start; a file whose
    header cannot be read is named with its problem."""
    lines = []
    for path in bundled_checkpoint_files() if files is None else files:
        digest = sha256(path)[:SHA_SHOWN] or "unreadable"
        try:
            meta = read_meta(path)
        except (OSError, ForensicError) as e:
            lines.append(f"  {e}")  # names the file
            continue
        created = f", created {meta.created}" if meta.created else ""
        lines.append(f"  {meta.name or path.stem} ({meta.architecture}{created}) sha256 {digest}")
    return lines or ["  none installed"]


def about_text(env: Mapping[str, Any] | None = None, models: list[str] | None = None) -> str:
    """Help ▸ About's text, plain: program, code identity, models, libraries, documentation."""
    env = environment_module.environment() if env is None else env
    libraries = env.get("libraries") or {}
    identity = code_identity(env)
    docs = docs_folder()
    lines = [
        f"Forensic viewer {env.get('app_version', 'unknown')}",
        f"code: {identity}" if identity else "code: no commit or source hash recorded",
        "",
        "Bundled models:",
        *(model_lines() if models is None else models),
        "",
        f"torch {libraries.get('torch', 'unknown')}",
        f"OpenVINO {libraries.get('openvino', 'unknown')}",
        f"PySide6 {pyside_version}, Qt {qVersion()}",
        f"Python {env.get('python', 'unknown')} on {env.get('platform', 'unknown')}",
        "",
        f"Documentation: {docs}" if docs else "Documentation: not installed with this copy",
    ]
    return "\n".join(lines)


def shortcut_rows(window: QMainWindow) -> list[tuple[str, str, str]]:
    """(menu, action, keys) of every action of ``window`` with a shortcut, as the actions have
    them now: the menus' in their order (submenus included), then those in no menu."""
    rows: list[tuple[str, str, str]] = []
    seen: set[int] = set()

    def add(where: str, action: QAction) -> None:
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
        if id(action) not in seen and any(keys):
            seen.add(id(action))
            rows.append(
                (where, action.text().replace("&&", "\0").replace("&", ""), ", ".join(keys))
            )

    def walk(menu: QMenu, where: str) -> None:
        for action in menu.actions():
            sub = action.menu()
            if isinstance(sub, QMenu):
                walk(sub, f"{where} ▸ {sub.title().replace('&', '')}")
            else:
                add(where, action)

    for top in window.menuBar().actions():
        if isinstance(top.menu(), QMenu):
            walk(top.menu(), top.text().replace("&", ""))
    for action in window.actions():
        add("(window)", action)
    return [(w, t.replace("\0", "&"), k) for w, t, k in rows]


def shortcuts_text(window: QMainWindow) -> str:
    """The actions' keys (:func:`shortcut_rows`), then the focused evidence view's own."""
    rows = shortcut_rows(window) + [("Evidence view", text, keys) for keys, text in VIEW_KEYS]
    return "\n".join(f"{keys:<18} {where} ▸ {text}" for where, text, keys in rows)


def text_dialog(parent: QWidget, title: str, text: str) -> QDialog:
    """A dialog with ``text`` read-only, selectable and copyable, and Close."""
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    view = QPlainTextEdit(text)
    view.setReadOnly(True)
    view.setAccessibleName(title)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.close)
    layout = QVBoxLayout(dialog)
    layout.addWidget(view)
    layout.addWidget(buttons)
    dialog.resize(640, 420)
    return dialog


class HelpMenu:
    """Help ▸ About… and Keyboard shortcuts… of ``window`` (made last: its menu is the last)."""

    def __init__(self, window: QMainWindow) -> None:
        self.window = window
        self.dialog: QDialog | None = None  # the one shown last
        menu = window.menuBar().addMenu("&Help")
        self.shortcuts_action = QAction("&Keyboard shortcuts…", window)
        self.shortcuts_action.setShortcut(QKeySequence("Ctrl+/"))
        self.shortcuts_action.triggered.connect(self.show_shortcuts)
        self.about_action = QAction("&About Forensic viewer…", window)
        self.about_action.triggered.connect(self.show_about)
        for action in (self.shortcuts_action, self.about_action):
            window.addAction(action)
            menu.addAction(action)

    def show_about(self) -> QDialog:
        return self._show("About Forensic viewer", about_text())

    def show_shortcuts(self) -> QDialog:
        return self._show("Keyboard shortcuts", shortcuts_text(self.window))

    def _show(self, title: str, text: str) -> QDialog:
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
        self.dialog = text_dialog(self.window, title, text)
        self.dialog.show()
        return self.dialog
