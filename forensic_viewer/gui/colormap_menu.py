"""View ▸ Heatmap colormap: the analyst's colormap, chosen once and kept in the viewer's settings.

An analyst with a colour-vision deficiency set one network heatmap to viridis and found file
B, the face maps, the probe, the next session and every report back on inferno (walk-through
cvd, finding 2). The preference chosen here is written to the settings under
:data:`SETTINGS_KEY` and handed to the window's ``set_colormap``, which gives it to every
heatmap layer of every file (``forensic_viewer.layer_memory.LayerMemory``), the compare panes,
the probe's maps and the report dialog's default; the next session reads it back. A value
there that is no colormap's name (another program's, a hand edit) is ignored, inferno used,
and said once naming the key.

The menu names jet and turbo as not perceptually ordered (``overlays.colormap_label``).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QSettings
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu

from forensic_viewer.overlays import COLORMAPS, DEFAULT_COLORMAP, colormap_label
from forensic_viewer.wording import plain

SETTINGS_KEY = "view/colormap"


def read_colormap(settings: QSettings) -> tuple[str, str]:
    """The preferred colormap kept in ``settings``, and why the value there was ignored
    ("" when there is none, or it names a colormap)."""
    value = settings.value(SETTINGS_KEY)
    if value is None:
        return DEFAULT_COLORMAP, ""
    if isinstance(value, str) and value in COLORMAPS:
        return value, ""
    what = f"{value!r}" if isinstance(value, str) else f"a {type(value).__name__}"
    why = (
        f"settings: {SETTINGS_KEY} holds {plain(what)}, not one of {', '.join(COLORMAPS)}; "
        f"ignored, heatmaps in {DEFAULT_COLORMAP}"
    )
    return DEFAULT_COLORMAP, why


def preferred_colormap(obj: QObject | None) -> str:
    """The preferred colormap of the window ``obj`` belongs to: the first of it and its
    parents that has a ``preferred_colormap`` (the main window), else the default. For the
    dialogs a scan's results or the batch dialog open too (the report dialog)."""
    while obj is not None:
        name = getattr(obj, "preferred_colormap", None)
        if isinstance(name, str) and name in COLORMAPS:
            return name
        obj = obj.parent()
    return DEFAULT_COLORMAP


class ColormapMenu:
    """The checkable colormaps of ``menu``, one checked: the one in ``settings``. Choosing
    one writes it there and calls ``apply`` with its name; ``apply`` is called once at the
    start with the kept one, and ``say`` once with why a kept value was ignored."""

    def __init__(
        self,
        menu: QMenu,
        settings: QSettings,
        apply: Callable[[str], None],
        say: Callable[[str], None],
    ) -> None:
        self.menu = menu
        self.settings = settings
        self.apply = apply
        self.group = QActionGroup(menu)
        self.group.setExclusive(True)
        self.actions: dict[str, QAction] = {}
        for name in COLORMAPS:
            action = QAction(colormap_label(name), menu)
            action.setCheckable(True)
            action.triggered.connect(lambda _checked=False, n=name: self.choose(n))
            self.group.addAction(action)
            menu.addAction(action)
            self.actions[name] = action
        name, why = read_colormap(settings)
        self.actions[name].setChecked(True)
        apply(name)
        if why:
            say(why)

    def choose(self, name: str) -> None:
        """The analyst chose the colormap ``name``: kept in the settings and applied."""
        self.actions[name].setChecked(True)
        self.settings.setValue(SETTINGS_KEY, name)
        self.apply(name)
