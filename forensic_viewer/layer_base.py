"""The base of the viewer's layers (no Qt): what every layer is and how it is drawn.

:class:`Layer` holds a name, visibility and opacity and announces every change through
``layer.events.<name>`` (:mod:`forensic_viewer.events`). Drawing a layer can take a second, so
no setter draws: a change that alters the picture bumps :attr:`Layer.version` and emits
``invalidated``; whoever renders takes a :class:`RenderJob` (a function over a snapshot of the
settings) from :meth:`Layer.render_job`, runs it on any thread and hands the result back with
:meth:`Layer.apply_render`, which drops results older than the one shown.

A drawing is a full-resolution raster, 4 bytes an evidence pixel (407 MB for a 102 MP
photograph), and a file has ten layers or more, most of them hidden. A hidden layer is drawn
ahead, and its drawing kept, only while that raster is small (:data:`HIDDEN_DRAWN_PIXELS`:
:attr:`Layer.drawn_hidden`); a larger one is drawn when it is shown and let go when it is hidden
again (:meth:`Layer.release_drawing`). Holding the hidden layers' rasters of a 102 MP
photograph took 2.4 GB of the viewer's 8 GB (walk-through M).

Apart from the layer types (:mod:`forensic_viewer.model_layers`,
:mod:`forensic_viewer.classic_layers`) and the list (:mod:`forensic_viewer.layers`) because
all of them build on it; :class:`ImageLayer`, the evidence at the bottom, is here as the one
layer every list has. ``checked_unit`` and ``checked_colormap`` check the settings the layer
types share.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from forensic_viewer import overlays
from forensic_viewer.events import EmitterGroup
from forensic_viewer.overlays import Raster

# Pixels up to which a hidden layer's drawing is made ahead and kept (a 12 MP raster is 48 MB):
# a layer shown then appears at once. Beyond, only the layers shown hold a drawing (module doc).
HIDDEN_DRAWN_PIXELS = 12_000_000


def checked_unit(value: float, what: str) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{what} must be in [0, 1], got {value}")
    return value


def checked_colormap(name: str) -> str:
    if name not in overlays.COLORMAPS:
        raise ValueError(f"unknown colormap {name!r}; choose from {sorted(overlays.COLORMAPS)}")
    return name


@dataclass(frozen=True)
class RenderJob:
    """A layer's drawing at one ``version``: call ``fn`` (on any thread), then hand the result
    to ``layer.apply_render(version, result)`` on the thread that owns the layers."""

    layer: Layer
    version: int
    fn: Callable[[], Any]


class Layer:
    """Something drawn over the evidence. ``model`` names the model it belongs to, if any."""

    kind: ClassVar[str] = "layer"
    EVENTS: ClassVar[tuple[str, ...]] = ("name", "visible", "opacity", "invalidated", "rendered")

    def __init__(
        self,
        name: str,
        *,
        model: str | None = None,
        visible: bool = True,
        opacity: float = 1.0,
    ) -> None:
        self.events = EmitterGroup(self, self.EVENTS)
        self.model = model
        self._name = name
        self._visible = bool(visible)
        self._opacity = checked_unit(opacity, "opacity")
        self._version = 0
        self._rendered: Any = None
        self._rendered_version = -1

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._name!r})"

    def _set(self, attr: str, value: Any, *, invalidate: bool = False) -> None:
        """Store ``value`` as ``self._<attr>``; emit ``<attr>`` (and invalidate) if it changed."""
        if getattr(self, "_" + attr) == value:
            return
        setattr(self, "_" + attr, value)
        self.events[attr](value)
        if invalidate:
            self.invalidate()

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._set("name", str(value))

    @property
    def visible(self) -> bool:
        return self._visible

    @visible.setter
    def visible(self, value: bool) -> None:
        was = self._visible
        self._set("visible", bool(value))
        if self._visible != was:
            self._follow_shown()

    @property
    def opacity(self) -> float:
        return self._opacity

    @opacity.setter
    def opacity(self, value: float) -> None:
        self._set("opacity", checked_unit(value, "opacity"))

    # rendering

    @property
    def version(self) -> int:
        """Bumped by every change that alters what :meth:`render_job` computes."""
        return self._version

    @property
    def rendered(self) -> Any:
        """The latest render result applied (None before the first)."""
        return self._rendered

    @property
    def is_current(self) -> bool:
        """Whether the render result applied is that of the current settings."""
        return self._rendered_version == self._version

    def invalidate(self) -> None:
        self._version += 1
        self.events.invalidated(self._version)

    def _raster_pixels(self) -> int:
        """The pixels of the raster its drawing holds (0: it holds none)."""
        return 0

    @property
    def drawn_hidden(self) -> bool:
        """Whether its drawing is made and kept while it is hidden: its raster is small
        (:data:`HIDDEN_DRAWN_PIXELS`; module doc)."""
        return self._raster_pixels() <= HIDDEN_DRAWN_PIXELS

    @property
    def wants_drawing(self) -> bool:
        """Whether a renderer should draw it now: shown, or small enough to be drawn ahead."""
        return self._visible or self.drawn_hidden

    def _lacks_drawing(self) -> bool:
        """Shown, it has no drawing of its current settings."""
        return not self.is_current

    def _follow_shown(self) -> None:
        """Shown: drawn if its drawing was let go or never made; hidden: its drawing let go
        unless it is kept while hidden (:attr:`drawn_hidden`)."""
        if self._visible:
            if self._lacks_drawing():
                self.invalidate()  # the renderer draws it (a request of its version)
        elif not self.drawn_hidden:
            self.release_drawing()

    def release_drawing(self) -> None:
        """Let its drawing go (memory); it is drawn again when it is next shown. Emits
        ``rendered`` (None)."""
        if self._rendered is None:
            return
        self._rendered, self._rendered_version = None, -1
        self.events.rendered(None)

    def close(self) -> None:
        """Done with (its list let go by the window: :meth:`LayerList.close`): every callback
        on its events let go and its drawing dropped, without a word to anyone, so that
        reference counting frees it and its raster at once (:mod:`forensic_viewer.events`)."""
        self.events.disconnect_all()
        self._rendered, self._rendered_version = None, -1

    def render_job(self) -> RenderJob | None:
        """A job computing this layer's drawing for the current settings, or None if the layer
        draws straight from its data (faces)."""
        fn = self._render_fn()
        return None if fn is None else RenderJob(self, self._version, fn)

    def _render_fn(self) -> Callable[[], Any] | None:
        return None

    def apply_render(self, version: int, result: Any) -> bool:
        """Take the result of the job made at ``version``; results older than the one shown are
        dropped. Emits ``rendered``. Returns whether the result was taken."""
        if version <= self._rendered_version:
            return False
        self._rendered_version = version
        self._rendered = result
        self.events.rendered(result)
        return True

    def raster(self) -> Raster | None:
        """The raster drawn for this layer (None when not rendered yet or not raster-drawn)."""
        return None

    cell: int = 1  # the raster holds one value per cell x cell evidence pixels
    analysis: str | None = None  # the classic analysis the layer shows, if any

    @property
    def about(self) -> str:
        """What the layer shows, in words for its controls ("" when its name says it)."""
        return ""


class ImageLayer(Layer):
    """The evidence pixels [H, W, 3] RGB, opaque, at the bottom."""

    kind = "image"

    def __init__(self, pixels: NDArray[np.uint8], *, name: str = "evidence") -> None:
        super().__init__(name)
        self.pixels = pixels

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.pixels.shape[0]), int(self.pixels.shape[1]))

    def _raster_pixels(self) -> int:
        return int(self.pixels.shape[0] * self.pixels.shape[1])

    def _render_fn(self) -> Callable[[], Any]:
        pixels = self.pixels
        return lambda: overlays.image_raster(pixels)

    def raster(self) -> Raster | None:
        return self._rendered
