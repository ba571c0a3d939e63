"""The checkpoints a training run can start from (``fit --init``): the dialog's "start from".

:func:`starting_points` lists the models of the viewer's catalog that a run can fine-tune,
:func:`read_starting_point` reads one from its header alone; :class:`StartingPoint` is what
both say about it. A face model (scope ``faces``) is one too: its run chooses θ with
``forensic-train face-model`` instead of ``calibrate`` (:mod:`trainer.plan`, docs/FACES.md).

Plain Python, no torch at import, as :mod:`trainer.plan` (the catalog, the header reader and
the model registry, which import torch, are imported when a function is called).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import CheckpointError

FACES_SCOPE = "faces"  # a checkpoint header's scope of a face model (engine.checkpoints.SCOPES)


@dataclass(frozen=True)
class StartingPoint:
    """A checkpoint a run can start from (``fit --init``), as its header describes it."""

    path: Path
    name: str  # the header's name, else the file's stem
    arch: str  # the registered architecture it was trained as
    window: int  # the window it analyses with: the training window the dialog proposes
    scope: str  # "image", or "faces" for a face model (its θ then set by face-model)
    config: dict[str, Any]  # the architecture configuration its network was built with
    origin: str = "file"  # "bundled", "user" or "extra" (a catalog folder), or "file"

    @property
    def face_model(self) -> bool:
        return self.scope == FACES_SCOPE


def _starting_point(path: Path, meta: Any, origin: str) -> StartingPoint:
    """A :class:`StartingPoint` of ``meta``, the header (``engine.checkpoints.CheckpointMeta``)
    of ``path``."""
    window = meta.input_policy.window  # fit writes the --window it trained at there
    config = dict(meta.config)
    return StartingPoint(
        path, meta.name or path.stem, meta.architecture, window, meta.scope, config, origin
    )


def read_starting_point(path: str | Path) -> StartingPoint:
    """The checkpoint ``path`` from its header alone (no weights are read), checked as the
    viewer checks a model it lists (:func:`engine.checkpoints.read_meta`); a missing,
    unreadable or foreign file raises :class:`~engine.errors.CheckpointError` naming it."""
    path = Path(path)
    if not path.exists():  # a pipe or folder: read_meta says which
        raise CheckpointError(path, "no such checkpoint file")
    from engine.catalog import origin_of  # the catalog and the header reader import torch
    from engine.checkpoints import read_meta

    return _starting_point(path, read_meta(path), origin_of(path))


def starting_points() -> list[StartingPoint]:
    """The checkpoints the viewer's catalog finds (bundled, then installed:
    :func:`engine.catalog.discover`) that a run can fine-tune: whole-image and face models of
    a registered architecture."""
    from engine.catalog import discover
    from engine.models.registry import list_models

    known = set(list_models())
    entries, _unreadable = discover()  # the catalog lists the unreadable ones to the analyst
    return [s for e in entries if (s := _starting_point(e.path, e.meta, e.origin)).arch in known]
