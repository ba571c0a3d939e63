"""The analyst's settings of each file's layers, kept while the window is open (no Qt).

A file's layers are built anew whenever it is shown again or its analysis ends again
(:func:`~forensic_viewer.layers.build_layers`): each layer starts at its defaults, a mask at its
model's calibrated threshold. A threshold the analyst had moved, and the opacity, colormap,
fade or what a mask draws, were thereby reset in silence when another image was shown and
this one again, or on Analyse again, while the case log's last word was the moved threshold (a
walk-through of 2026-12-06). An analyst expects a setting to stay where it was put, as any
viewer keeps it, so :class:`LayerMemory` keeps them per file and layer name and puts them back
on the layers built next for that file.

A threshold is put back only onto the same bytes (the evidence's SHA-256) and the same
calibration (the mask's calibrated threshold): a file changed on disk, or analysed by other
weights under the same name, gives another map, on which the old threshold means something
else. Such a mask starts at its calibrated threshold and is handed to ``on_reset`` as a
:class:`Reset`, for the window to log (``threshold-changed``, with the reason) and say.
Visibility is not kept: which layers show after an analysis is the analysis's choice
(``add_analysis_layers``).

The analyst's colormap preference (:attr:`LayerMemory.colormap`, the viewer's View ▸ Heatmap
colormap, kept in its settings) seeds every heatmap layer (a network's, the ensemble's, a face
map, a partial map: kind ``heatmap``) of every file shown, before that file's own settings are
put back; a classic analysis's map keeps its own colormap (``overlays.analysis_colormap``).
Choosing another preference forgets the heatmaps' colormaps remembered per file: they were
chosen in the layer panel before it, mostly to get what the preference now gives, and kept
they would put a colormap the analyst cannot read back on a file shown again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from forensic_viewer.events import Event, Subscriptions
from forensic_viewer.layer_base import Layer, checked_colormap
from forensic_viewer.layers import LayerList
from forensic_viewer.model_layers import MaskLayer
from forensic_viewer.overlays import DEFAULT_COLORMAP

KEPT = ("opacity", "colormap", "fade", "fill", "contours", "boxes")  # besides a mask's threshold


@dataclass(frozen=True)
class Reset:
    """A mask whose threshold the analyst had moved to ``was``, started at its calibrated
    threshold instead; ``why``: in words, for the log and the status bar."""

    layer: MaskLayer
    was: float
    why: str


@dataclass
class _Kept:
    """One file's remembered settings: layer name -> attribute -> value, and per mask the
    threshold with the evidence SHA-256 and the calibrated threshold it was set against."""

    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    thresholds: dict[str, tuple[float, str | None, float]] = field(default_factory=dict)
    preferred: set[str] = field(default_factory=set)  # the layers the preference seeds


class LayerMemory:
    """Per evidence file, the settings of its layers as last set. ``on_reset``: called with
    the file's path and the masks whose moved threshold was not put back.

    The shown file's layers are followed as they change, not read when they are left: a layer
    taken out and put back, or replaced (the ground truth's on every result, a classic
    analysis run again), gets the settings it had a moment ago, not those of the last swap."""

    def __init__(self, on_reset: Callable[[str, list[Reset]], None] | None = None) -> None:
        self.on_reset = on_reset
        self._files: dict[str, _Kept] = {}
        self._shown: tuple[str, str | None] | None = None  # path, SHA-256 of the shown file
        self._layers: LayerList | None = None  # the shown file's layers
        self.colormap = DEFAULT_COLORMAP  # seeds every heatmap layer: set_colormap
        self._subs = Subscriptions()

    def swap(self, path: str | None, sha256: str | None, layers: LayerList | None) -> None:
        """Show ``layers`` of the file ``path`` (its bytes' ``sha256``): their settings as this
        file's were last set, now and as layers are added to them (an analysis that ends adds
        its masks to the image's list); then follow their changes. Call it before anything
        else watches ``layers``, so that they see the settings put back, not a change."""
        self._subs.clear()
        self._shown = None if path is None or layers is None else (path, sha256)
        self._layers = layers
        if layers is None:
            return
        self._subs.on(layers.events.inserted, lambda event: self._add([event.value]))
        self._add(list(layers))

    def set_colormap(self, name: str) -> None:
        """The analyst's preference is now the colormap ``name``: the heatmaps shown take it,
        those of every file shown later start with it, and the heatmaps' colormaps remembered
        per file are forgotten (the module's docstring says why)."""
        self.colormap = checked_colormap(name)
        for kept in self._files.values():
            for layer_name in kept.preferred:
                kept.settings.get(layer_name, {}).pop("colormap", None)
        for layer in self._layers or ():
            if layer.kind == "heatmap":
                layer.colormap = name  # type: ignore[attr-defined]

    def remember(self, path: str, sha256: str | None, layers: Iterable[Layer]) -> None:
        """Keep the settings of ``layers``, the file ``path``'s; layers not among them stay
        remembered (an image shown before its analysis ended has no masks yet)."""
        kept = self._files.setdefault(path, _Kept())
        for layer in layers:
            settings = {a: getattr(layer, a) for a in KEPT if a in layer.events}
            if settings:
                kept.settings[layer.name] = settings
            if layer.kind == "heatmap":
                kept.preferred.add(layer.name)
            if isinstance(layer, MaskLayer):
                kept.thresholds[layer.name] = (
                    layer.threshold,
                    sha256,
                    layer.calibrated_threshold,
                )

    def _add(self, layers: list[Layer]) -> None:
        """Seed ``layers``' heatmaps with the preferred colormap, put back the settings of
        ``layers`` (of the shown file), then follow them."""
        for layer in layers:
            if layer.kind == "heatmap" and layer.colormap != self.colormap:  # type: ignore[attr-defined]
                layer.colormap = self.colormap  # type: ignore[attr-defined]
        if self._shown is None:
            return
        path, sha256 = self._shown
        self._restore(path, sha256, layers)
        for layer in layers:
            for attr in (*KEPT, "threshold"):
                if attr in layer.events:
                    self._subs.on(layer.events[attr], self._changed)
            self.remember(path, sha256, [layer])

    def _changed(self, event: Event) -> None:
        if self._shown is not None:
            self.remember(*self._shown, [event.source])

    def _restore(self, path: str, sha256: str | None, layers: list[Layer]) -> None:
        kept = self._files.get(path)
        if kept is None:
            return
        resets: list[Reset] = []
        for layer in layers:
            for attr, value in kept.settings.get(layer.name, {}).items():
                setattr(layer, attr, value)
            if not isinstance(layer, MaskLayer) or layer.name not in kept.thresholds:
                continue
            threshold, sha_then, calibrated_then = kept.thresholds[layer.name]
            if sha_then == sha256 and calibrated_then == layer.calibrated_threshold:
                layer.threshold = threshold
            elif threshold not in (calibrated_then, layer.threshold):  # moved, and lost
                why = (
                    "the file's bytes changed since"
                    if sha_then != sha256
                    else f"its {layer.own_threshold} threshold is now {layer.calibrated_threshold:g} "
                    f"(was {calibrated_then:g}): other weights"
                )
                resets.append(Reset(layer, threshold, why))
        if resets and self.on_reset is not None:
            self.on_reset(path, resets)
