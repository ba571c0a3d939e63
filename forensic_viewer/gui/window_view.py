"""How the main window shows the image: one canvas or side-by-side panes, zoom, read-out.

:class:`WindowView` is a part of :class:`~forensic_viewer.gui.main_window.MainWindow` (a mixin:
its methods run on the window, whose ``stack``, ``canvas``, ``compare`` and ``layers`` they
use). View ▸ Compare side by side shows a pane per model, the ensemble and the original;
entering it shows in every pane the layer kinds shown now, and leaving it puts the layers'
visibility back as it was. Fit, 100 % (one image pixel per device pixel) and zoom act on the
canvas in view (the first pane in compare mode), whose zoom the status bar shows; the pixel
under the cursor goes to the read-out and the Magnifier. View ▸ Heatmap colormap
(``gui/colormap_menu.py``) calls :meth:`WindowView.set_colormap`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from forensic_viewer.gui.canvas import Canvas
from forensic_viewer.gui.device_pixels import zoom_words
from forensic_viewer.gui.screen_fit import fit_to_screen
from forensic_viewer.gui.tips import tip_text


class WindowView:
    """The view of :class:`~forensic_viewer.gui.main_window.MainWindow`: canvas or compare panes."""

    def set_compare(self, on: bool) -> None:
        """Side-by-side panes (one per model, the ensemble, the original) or the single canvas.

        Entering shows, in every pane, the layer kinds (heatmap, mask) shown now; leaving
        puts the layers' visibility back as it was."""
        if self.compare_action.isChecked() != on:
            self.compare_action.setChecked(on)
        focused = QApplication.focusWidget()
        in_view = focused is not None and self.stack.isAncestorOf(focused)
        was_on = self.stack.currentWidget() is self.compare
        self.stack.setCurrentWidget(self.compare if on else self.canvas)
        if on and not was_on:
            self._align_for_compare()
        elif not on and was_on and self._visibility_before is not None:
            layers, before = self._visibility_before
            if layers is self.layers:
                layers.restore_visibility(before)
            self._visibility_before = None
        self._refresh_compare()
        self._show_zoom()
        fit_to_screen(self)
        # the focus on the view goes to the view shown: Qt moved it to the compare area
        # around the panes, unnamed (walk-through D, item 9)
        shown = self._active_canvas() if on else self.canvas
        if in_view and shown is not None:
            shown.setFocus(Qt.FocusReason.ShortcutFocusReason)

    @property
    def preferred_colormap(self) -> str:
        """The analyst's colormap (View ▸ Heatmap colormap): every heatmap layer's to start
        with, the probe's maps' and the report dialog's default (``colormap_menu``)."""
        return self.adjusted.colormap

    def set_colormap(self, name: str) -> None:
        """The analyst's colormap is now ``name``: the heatmaps shown and of every file shown
        later (the compare panes and their legend follow the layers), the probe's maps."""
        self.adjusted.set_colormap(name)
        if self.probe_dialog is not None:
            self.probe_dialog.set_colormap(name)

    def _align_for_compare(self) -> None:
        """In compare mode, show every model's layers of the kinds shown (remembering what was
        shown before, for leaving compare mode)."""
        if self.layers is None or self.stack.currentWidget() is not self.compare:
            return
        before = self.layers.align_visibility_by_kind()
        if self._visibility_before is not None and self._visibility_before[0] is self.layers:
            before.update(self._visibility_before[1])
        self._visibility_before = (self.layers, before)

    def _refresh_compare(self) -> None:
        if self.stack.currentWidget() is not self.compare:
            self.compare.set_content(None, None)
            return
        self.compare.set_content(
            self.layers, self.current_analysis(), original=self.original_action.isChecked()
        )

    def _active_canvas(self) -> Canvas | None:
        if self.stack.currentWidget() is self.compare:
            return self.compare.panes[0].canvas if self.compare.panes else None
        return self.canvas

    def fit(self) -> None:
        if self.stack.currentWidget() is self.compare:
            self.compare.fit()  # every pane follows the fit on a resize again
        else:
            self.canvas.fit()

    def actual_size(self) -> None:
        canvas = self._active_canvas()
        if canvas is not None:
            canvas.actual_size()

    def zoom(self, factor: float) -> None:
        canvas = self._active_canvas()
        if canvas is not None:
            canvas.zoom(factor)

    def _show_zoom(self, *_args: object) -> None:
        """The status bar's zoom field: the view shown's zoom, device pixels per image pixel
        (``100 %`` is 1:1 on the screen, whatever its scaling)."""
        canvas = self._active_canvas()
        zoom = 0.0 if canvas is None or canvas.layers is None else canvas.device_zoom
        text, tip = zoom_words(zoom) if zoom > 0 else ("", "")
        self.zoom_field.setText(text)
        self.zoom_field.setToolTip(tip_text(tip) if tip else "")

    def _on_hover(self, x: float, y: float) -> None:
        readout = None if self.layers is None else self.layers.readout(x, y)
        lines = [] if readout is None else readout.lines()
        self.readout.setText("   ".join(lines))  # the short form, elided in the status bar
        self.readout.setToolTip(tip_text("\n".join(lines)))
        self.loupe.show_values(lines)  # whole, a value a line
        self.loupe.show_at(self.layers if readout is not None else None, x, y)
