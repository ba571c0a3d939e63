"""One way to turn model choices into an :class:`~engine.pipeline.Analyzer`.

The command line (``analyze``/``scan``) and the batch dialog's scan thread both call
:func:`assemble_analyzer`, so a scan started from either loads the same checkpoints, wires an
ensemble to its members the same way and therefore writes comparable results (scan.json holds
the models' SHA-256; a resume with other models is refused). No Qt here; torch loads only when
an analyzer is built.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from engine import catalog
from engine.errors import ForensicError

if TYPE_CHECKING:
    from engine.pipeline import Analyzer

ENSEMBLE_SUFFIX = ".ensemble.json"


class NoModelError(ForensicError):
    """No checkpoint was chosen and none is installed."""


def assemble_analyzer(
    specs: Sequence[str] | None,
    *,
    device: str = "auto",
    window: int | None = None,
    stride: int | None = None,
    batch_size: int = 8,
    faces: bool = True,
) -> Analyzer:
    """An Analyzer over ``specs``: checkpoint names or files and ``.ensemble.json`` files.

    specs: None or empty means every installed checkpoint and the first installed ensemble.
        An ensemble adds its members (each loaded once) and fuses their results; only the
        first ensemble is used.
    faces: run face detection when the detector is available (it is simply left out when not:
        results then record that faces were not checked).
    Raises :class:`NoModelError` when nothing is chosen or installed, :class:`ForensicError`
    for a checkpoint or ensemble that cannot be used, ValueError for a bad device.
    """
    from engine.checkpoints import load_checkpoint
    from engine.ensemble import Ensemble
    from engine.pipeline import Analyzer

    chosen = list(specs or [])
    names = chosen or [str(p) for p in catalog.default_models()]
    ensembles = [] if chosen else catalog.discover_ensembles()
    if not names:
        raise NoModelError(
            None,
            "no trained model is installed; train one with `forensic-train fit ...` "
            "or pass a checkpoint with --model FILE",
        )
    paths: list[str] = []
    for spec in names:
        path = catalog.resolve(spec)
        if path.name.endswith(ENSEMBLE_SUFFIX):
            ensembles.append(path)
        elif str(path) not in paths:
            paths.append(str(path))
    ensemble = None
    if ensembles:
        ensemble = Ensemble.load(ensembles[0])
        for ref in ensemble.member_paths():
            member = catalog.resolve(ref)
            if str(member) not in paths:
                paths.append(str(member))
    loaded = [load_checkpoint(p) for p in paths]
    if ensemble is not None:
        by_path = {str(lm.path): lm.name for lm in loaded}
        for member, ref in zip(ensemble.members, ensemble.member_paths(), strict=True):
            ensemble.resolved[member.model] = by_path[str(catalog.resolve(ref))]
    detector = None
    if faces:
        try:
            from engine.faces import FaceDetector

            detector = FaceDetector()
        except (ImportError, RuntimeError):
            detector = None
    return Analyzer(
        loaded,
        device=device,
        window=window,
        stride=stride,
        batch_size=batch_size,
        ensemble=ensemble,
        faces=detector,
    )
