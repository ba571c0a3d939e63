"""Model assembly: the one way from model names or files to an :class:`~engine.pipeline.Analyzer`.

The command line (``analyze``/``scan``), the batch dialog's scan thread and the viewer's
analysis worker all build their analyzer here, and the viewer's model lists come from
:func:`available_models`. So a model chosen anywhere is found the same way (bundled folder,
user folder, explicit file; see :mod:`engine.catalog`), an ensemble finds its members the same
way (by name among the checkpoint files chosen with it first: :func:`_member_file`) and binds
them to the loaded checkpoints, and a scan started from either front end records the same
models (scan.json holds their SHA-256; a resume with other models is refused).

Two modes, because the callers need two different things from the same steps:

- :func:`assemble_analyzer` is *strict*: a batch run must not quietly analyse with fewer models
  than asked for, so the first unusable checkpoint or ensemble raises, and
  :class:`NoModelError` says when nothing was chosen and nothing is installed. What nobody
  asked for is not held to that: when nothing is chosen, the default set is used, and a
  default checkpoint that cannot be used (a damaged or hostile file in the models folder) is
  left out with a warning (one line naming the file, logged on the ``engine.assembly``
  logger, which prints it on stderr when logging is not configured), as is the default
  ensemble when one of its members is left out; the others still load. A checkpoint in a
  search folder whose header is refused (:func:`engine.catalog.discover`) is never chosen, and
  gets the same warning.
- :func:`assemble_lenient` is for the viewer: an analyst who picked five models and has one
  damaged file still wants the other four, so it loads what it can and returns an
  :class:`Assembly`: the analyzer (None when nothing loaded) and one line per problem. An
  ensemble with a member that did not load is dropped (fusing fewer members would be another
  ensemble than the one its weights were chosen for).

Both use one ensemble at a time (the first one chosen; the lenient mode says so).
:class:`Assembly` is a small frozen dataclass rather than a tuple so that its two parts have
names at every call site. The choice ``None`` means the bundled checkpoints and the first
ensemble found (:func:`default_choice`); the strict mode reads an empty choice the same way
(an analyzer without models is of no use to a batch run), the lenient one returns no analyzer
(the viewer still decodes and shows evidence without models).

torch-heavy modules (the pipeline, face detection) are imported only when an analyzer is built.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from engine import catalog
from engine.checkpoints import CheckpointMeta, read_meta
from engine.ensemble import ENSEMBLE_SUFFIX
from engine.errors import CheckpointError, ForensicError
from engine.files import suffix_is

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from engine.checkpoints import LoadedModel
    from engine.ensemble import Ensemble
    from engine.faces import FaceDetector
    from engine.pipeline import Analyzer
    from engine.types import Evidence

__all__ = [
    "Assembly",
    "ModelEntry",
    "ModelListing",
    "NoModelError",
    "assemble_analyzer",
    "assemble_lenient",
    "available_models",
    "default_choice",
    "describe_model",
    "face_model_map",
    "name_clash",
    "not_the_bundled",
    "resolve_models",
]


log = logging.getLogger(__name__)

Mode = Literal["strict", "defaults", "lenient"]


class NoModelError(ForensicError):
    """No checkpoint was chosen and none is installed."""


# --- what can be chosen ----------------------------------------------------------------------


@dataclass(frozen=True)
class ModelEntry:
    """A model that can be chosen: a checkpoint (its header, no weights) or an ensemble file.

    origin: ``"bundled"``, ``"user"``, ``"extra"`` (found in that search folder) or ``"file"``
        (named by its path, e.g. picked in a file dialog).
    meta: the checkpoint's header; None for an ensemble (its file is read when assembled).
    """

    name: str
    path: Path
    origin: str
    meta: CheckpointMeta | None = field(default=None, compare=False)

    @property
    def is_ensemble(self) -> bool:
        return self.path.name.endswith(ENSEMBLE_SUFFIX)


@dataclass(frozen=True)
class ModelListing:
    """Every model in the search folders, one line per checkpoint file that cannot be read,
    and one per name two checkpoints carry (:func:`engine.catalog.name_clashes`: the files,
    which one ``--model NAME`` uses or that it is refused)."""

    checkpoints: tuple[ModelEntry, ...]
    ensembles: tuple[ModelEntry, ...]
    problems: tuple[str, ...]
    clashes: tuple[str, ...] = ()


def available_models(extra: Iterable[str | Path] = ()) -> ModelListing:
    """The checkpoints (headers read, in search order) and ensembles of the search folders."""
    extra = list(extra)
    entries, problems = catalog.discover(extra)
    return ModelListing(
        checkpoints=tuple(ModelEntry(e.name, e.path, e.origin, e.meta) for e in entries),
        ensembles=tuple(
            ModelEntry(p.name.removesuffix(ENSEMBLE_SUFFIX), p, catalog.origin_of(p, extra))
            for p in catalog.discover_ensembles(extra)
        ),
        problems=tuple(problems),
        clashes=tuple(catalog.name_clashes(entries)),
    )


def describe_model(path: str | Path) -> ModelEntry:
    """The entry of one file named by its path. A checkpoint's header is read (a
    :class:`~engine.errors.CheckpointError` names a file that is not one); an ensemble file is
    only read when assembled."""
    path = Path(path)
    if path.name.endswith(ENSEMBLE_SUFFIX):
        return ModelEntry(path.name.removesuffix(ENSEMBLE_SUFFIX), path, "file")
    meta = read_meta(path)
    return ModelEntry(meta.name or path.stem, path, "file", meta)


def default_choice(extra: Iterable[str | Path] = ()) -> list[Path]:
    """What is used when nothing is chosen: the first ensemble found in the search folders and
    the bundled checkpoints it names; with no ensemble, every bundled checkpoint.

    A bundled network the default ensemble leaves out (issue 17: one whose detection is at
    chance on validation and whose heatmap does not help) is still installed and can be
    chosen by name; it is just not run on every file. An ensemble file that cannot be read
    keeps every bundled checkpoint (the assembly then reports the file). Bundled face models
    (scope ``"faces"``, issue 20) are always part of the default: they run on the face path
    only, and the ensemble's face rule decides whether their face verdicts count.
    """
    extra = list(extra)
    entries, _ = catalog.discover(extra)
    bundled = [e.path for e in entries if e.origin == "bundled"]
    face_models = {
        e.path.resolve() for e in entries if e.origin == "bundled" and e.meta.scope == "faces"
    }
    ensembles = catalog.discover_ensembles(extra)[:1]
    if not ensembles:
        return bundled
    try:
        wanted = {Path(p).resolve() for p in _read_ensemble(ensembles[0])[1]} | face_models
    except (ForensicError, ValueError, KeyError):
        return bundled + ensembles
    return [p for p in bundled if p.resolve() in wanted] + ensembles


def resolve_models(specs: Sequence[str] | None) -> tuple[list[str], list[str]]:
    """The checkpoint and ensemble files that ``specs`` (names or paths) name, and one line per
    spec that names nothing usable. None: :func:`default_choice`."""
    if specs is None:
        return [str(p) for p in default_choice()], []
    paths: list[str] = []
    problems: list[str] = []
    for spec in specs:
        try:
            paths.append(str(catalog.resolve(spec)))
        except ForensicError as e:
            problems.append(str(e))
    return paths, problems


# --- assembly --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assembly:
    """What :func:`assemble_lenient` made: the analyzer (None when no checkpoint could be
    used) and one line per problem, each naming its file."""

    analyzer: Analyzer | None
    problems: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        """The names of the models that will run (none without an analyzer)."""
        return self.analyzer.names if self.analyzer is not None else []


def assemble_analyzer(
    specs: Sequence[str] | None,
    *,
    device: str = "auto",
    window: int | None = None,
    stride: int | None = None,
    batch_size: int = 8,
    max_batch_seconds: float | None = None,
    faces: bool | FaceDetector = True,
    exact: bool = False,
    weights: bool = True,
) -> Analyzer:
    """An Analyzer over ``specs`` (checkpoint names or files, ensemble files), or an error.

    specs: None or empty: :func:`default_choice`, where a checkpoint or ensemble that cannot
        be used is left out with a logged warning (see the module docstring). An ensemble adds
        its members (each loaded once) and fuses their results; only the first ensemble is
        used.
    faces: True: run face detection when the detector is available (it is simply left out when
        not: results then record that faces were not checked); False: never; a detector: use it.
    exact: the paper's sliding-window path on PyTorch for every model (the slow reference)
        instead of the fast path (see :class:`~engine.pipeline.Analyzer`).
    weights: False: every ``.safetensors`` checkpoint only described
        (:func:`engine.checkpoints.describe_checkpoint`: header and SHA-256, a network that
        refuses to run), for a scan's settings when no file is left to analyse.
    The other keywords go to :class:`~engine.pipeline.Analyzer`.
    Raises :class:`NoModelError` when nothing is chosen or installed,
    :class:`~engine.errors.ForensicError` for a checkpoint or ensemble that cannot be used,
    ValueError for a bad device.
    """
    chosen = list(specs or [])
    mode: Mode = "strict"
    unreadable: list[str] = []
    if not chosen:
        mode = "defaults"
        _entries, unreadable = catalog.discover()  # headers out of bounds: never chosen
        chosen = [str(p) for p in default_choice()]
        if all(p.endswith(ENSEMBLE_SUFFIX) for p in chosen):  # no bundled checkpoint
            raise NoModelError(
                None, catalog.NO_MODEL_INSTALLED + "".join(f"; {line}" for line in unreadable)
            )
    analyzer, skipped = _assemble(
        chosen,
        mode=mode,
        faces=faces,
        device=device,
        window=window,
        stride=stride,
        batch_size=batch_size,
        max_batch_seconds=max_batch_seconds,
        exact=exact,
        weights=weights,
    )
    for line in unreadable + skipped:
        log.warning("%s (not used)", line)
    if analyzer is None:  # only when no default loaded: strict mode raises for a chosen file
        raise NoModelError(None, "no default model could be loaded: " + "; ".join(skipped))
    return analyzer


def assemble_lenient(
    specs: Sequence[str] | None,
    *,
    device: str = "auto",
    window: int | None = None,
    stride: int | None = None,
    batch_size: int = 8,
    max_batch_seconds: float | None = None,
    faces: bool | FaceDetector = True,
    exact: bool = False,
) -> Assembly:
    """What :func:`assemble_analyzer` builds, made of whatever can be used; never raises for
    a file or argument the user chose.

    Each unusable spec, checkpoint or ensemble is left out with a one-line problem; an
    ensemble whose member did not load is dropped; a second ensemble is ignored (with a line);
    a bad device gives no analyzer. specs: None: :func:`default_choice`; empty: no analyzer.
    faces: as :func:`assemble_analyzer`, and a detector that cannot be made is a problem line.
    exact: as :func:`assemble_analyzer`.
    """
    if specs is None:
        specs = [str(p) for p in default_choice()]
    analyzer, problems = _assemble(
        list(specs),
        mode="lenient",
        faces=faces,
        device=device,
        window=window,
        stride=stride,
        batch_size=batch_size,
        max_batch_seconds=max_batch_seconds,
        exact=exact,
    )
    return Assembly(analyzer, tuple(problems))


def _assemble(
    specs: list[str],
    *,
    mode: Mode,
    faces: bool | FaceDetector,
    device: str,
    window: int | None,
    stride: int | None,
    batch_size: int,
    max_batch_seconds: float | None,
    exact: bool,
    weights: bool = True,
) -> tuple[Analyzer | None, list[str]]:
    """The steps of every mode: resolve, read the ensemble, load, bind, build.

    ``"strict"``: the first ForensicError (or ValueError from the Analyzer) propagates.
    ``"defaults"``: a file that cannot be used becomes a line of the returned problems (and so
    does a dropped ensemble); an Analyzer error (a bad device) propagates; face detection
    adds no line. ``"lenient"``: every problem becomes a line.
    """
    strict = mode == "strict"
    problems: list[str] = []

    def problem(e: ForensicError | ValueError) -> None:
        if strict:
            raise e
        problems.append(str(e))

    paths: list[Path] = []
    ensembles: list[Path] = []
    for spec in specs:
        try:
            path = catalog.resolve(spec)
        except ForensicError as e:
            problem(e)
            continue
        (ensembles if path.name.endswith(ENSEMBLE_SUFFIX) else paths).append(path)

    ensemble: Ensemble | None = None
    members: list[Path] = []
    if ensembles:
        if len(ensembles) > 1 and mode == "lenient":
            problems.append(f"one ensemble at a time: using {ensembles[0]}")
        try:
            ensemble, members = _read_ensemble(ensembles[0], paths)
        except ForensicError as e:
            problem(e)
    loaded = _load_all(_unique(paths + members), problem, weights)
    face_models = [m for m in loaded if m.meta.scope == "faces"]
    loaded = [m for m in loaded if m.meta.scope != "faces"]
    if face_models and not loaded:
        names = ", ".join(m.name for m in face_models)
        problem(
            CheckpointError(
                face_models[0].path,
                f"{names}: a face model runs on the faces a whole-image model's analysis "
                "finds; choose a whole-image model with it",
            )
        )
    if face_models and faces is False:
        face_models = []  # no detector: nothing for them to run on
    if ensemble is not None:
        missing = _bind(ensemble, members, loaded)
        if missing is not None:
            problems.append(f"{ensemble.path}: member '{missing}' is not loaded; no ensemble")
            ensemble = None
    if not loaded:
        return None, problems
    try:
        from engine.pipeline import Analyzer

        analyzer = Analyzer(
            loaded,
            device=device,
            window=window,
            stride=stride,
            batch_size=batch_size,
            max_batch_seconds=max_batch_seconds,
            ensemble=ensemble,
            exact=exact,
            faces=_face_detector(faces, problems if mode == "lenient" else []),
            face_models=face_models,
        )
    except (ValueError, ForensicError) as e:
        if mode != "lenient":
            raise
        problem(e)
        return None, problems
    return analyzer, problems


def name_clash(specs: Sequence[str]) -> str | None:
    """Why the models ``specs`` name cannot be used together, from their headers alone: the
    Analyzer's refusal of two models that carry one name (:func:`engine.catalog.distinct_names`,
    naming both files), an ensemble's members counted as :func:`assemble_lenient` finds them;
    None when they can. A chooser asks before it lets go of the models in use: the viewer
    unloaded every model on that refusal and said no model was installed. A file that cannot
    be read is left to the loading, which says what is wrong with it (and loads the others)."""
    paths: list[Path] = []
    ensembles: list[Path] = []
    for spec in specs:
        try:
            path = catalog.resolve(spec)
        except ForensicError:
            continue
        (ensembles if path.name.endswith(ENSEMBLE_SUFFIX) else paths).append(path)
    members: list[Path] = []
    if ensembles:
        try:
            members = _read_ensemble(ensembles[0], paths)[1]
        except ForensicError:
            pass  # dropped with a problem line when loaded; its members are not loaded
    try:
        catalog.distinct_names(_named_files(_unique(paths + members)))
    except ValueError as e:
        return str(e)
    return None


def not_the_bundled(name: str, *, sha256: str | None = None, path: Path | None = None) -> bool:
    """Whether a checkpoint called ``name`` is not the bundled checkpoint of that name: a
    bundled model's name carried by another file whose bytes differ (its SHA-256, ``sha256``,
    else read from ``path``). False for a name no bundled checkpoint carries, for the bundled
    file itself and for a byte-identical copy. A modified copy of m2f-effl0 was compared under
    the bundled name, with the bundled calibration in its header, and nothing in the viewer
    told it from the bundled model (walk-through C, finding 6)."""
    bundled = [e for e in catalog.discover()[0] if e.origin == "bundled" and e.name == name]
    if not bundled:
        return False
    if path is not None and any(e.path.resolve() == Path(path).resolve() for e in bundled):
        return False
    if sha256 is None:
        if path is None:
            raise ValueError("not_the_bundled needs the file's sha256 or its path")
        from engine.checkpoints import file_sha256

        sha256 = file_sha256(path)
    return all(_bundled_sha256(e.path) != sha256 for e in bundled)


def _bundled_sha256(path: Path) -> str:
    """A bundled checkpoint's SHA-256, hashed once per size and modification time."""
    st = path.stat()
    return _hashed(str(path), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=32)
def _hashed(path: str, _size: int, _mtime_ns: int) -> str:
    from engine.checkpoints import file_sha256

    return file_sha256(path)


def _read_ensemble(path: Path, given: Sequence[Path] = ()) -> tuple[Ensemble, list[Path]]:
    """The ensemble in ``path`` and its members' checkpoint files (:func:`_member_file`);
    ``given``: the checkpoint files chosen with it (the other ``--model`` files)."""
    from engine.ensemble import Ensemble

    ensemble = Ensemble.load(path)
    given_entries = _named_files(given)
    return ensemble, [_member_file(ref, path, given_entries) for ref in ensemble.member_paths()]


def _named_files(paths: Sequence[Path]) -> list[catalog.CatalogEntry]:
    """The checkpoints among ``paths`` with their headers' names; a file whose header cannot
    be read is left out here (its loading says what is wrong with it)."""
    entries = []
    for p in paths:
        try:
            meta = read_meta(p)
        except (CheckpointError, OSError):
            continue
        entries.append(catalog.CatalogEntry(meta.name or p.stem, p, meta, "file"))
    return entries


def _member_file(ref: str, ensemble: Path, given: list[catalog.CatalogEntry]) -> Path:
    """The checkpoint file of the ensemble member ``ref``: a path (relative to the ensemble
    file, :meth:`~engine.ensemble.Ensemble.member_paths`), else a name (file stem or header
    name, as :func:`engine.catalog.by_name` matches one) looked up first among the checkpoint
    files chosen with the ensemble (``forensic-train ensemble`` records its members' names,
    and a user's own checkpoint is usually in no search folder), then in the search folders
    and the ensemble file's own folder. A CheckpointError naming the ensemble, the member and
    every place looked in when none holds it."""
    path = Path(ref)
    if path.exists() and not path.is_dir():  # a pipe too: its loader says what it is
        return path
    found = catalog.by_name(ref, given)
    if found is None:  # never an ensemble file of that name: a member is a checkpoint
        found = catalog.by_name(ref, catalog.discover([ensemble.parent])[0])
    if found is not None:
        return found
    raise CheckpointError(
        ensemble,
        f"member '{ref}' is not found: looked for as a file beside the ensemble and as a "
        "model name among the --model files given"
        + (f" ({', '.join(str(g.path) for g in given)})" if given else " (none)")
        + f", in {ensemble.parent}, in the bundled models ({catalog.BUNDLED_MODELS}) and in "
        f"the user models folder ({catalog.user_models_dir()}; FORENSIC_VIEWER_MODELS names "
        "another); give the member's checkpoint with --model FILE",
    )


def _unique(paths: list[Path]) -> list[Path]:
    """``paths`` without a second mention of the same file (a member also chosen by itself)."""
    seen: set[Path] = set()
    out: list[Path] = []
    for p in paths:
        if p.resolve() not in seen:
            seen.add(p.resolve())
            out.append(p)
    return out


def _load_all(
    paths: list[Path], problem: Callable[[ForensicError], None], weights: bool = True
) -> list[LoadedModel]:
    from engine.checkpoints import describe_checkpoint, load_checkpoint

    loaded = []
    for path in paths:
        described = not weights and suffix_is(path, ".safetensors")
        try:
            loaded.append(describe_checkpoint(path) if described else load_checkpoint(path))
        except ForensicError as e:
            problem(e)
    return loaded


def _bind(ensemble: Ensemble, members: list[Path], loaded: list[LoadedModel]) -> str | None:
    """Point every member of ``ensemble`` at the result name of its loaded checkpoint; the
    first member whose checkpoint is not among ``loaded``, if any."""
    by_file = {lm.path.resolve(): lm.name for lm in loaded if lm.path is not None}
    for member, path in zip(ensemble.members, members, strict=True):
        name = by_file.get(path.resolve())
        if name is None:
            return member.model
        ensemble.resolved[member.model] = name
    return None


def _face_detector(faces: bool | FaceDetector, problems: list[str]) -> FaceDetector | None:
    if faces is False:
        return None
    if faces is not True:
        return faces
    try:
        from engine.faces import FaceDetector

        detector = FaceDetector()
        if detector.note:  # fell back to the Haar cascade: say so
            problems.append(detector.note)
        return detector
    except (ImportError, RuntimeError) as e:
        problems.append(f"face detection is off: {e}")
        return None


def choose_analysis_params(analyzer: Analyzer, params: Mapping[str, Mapping[str, Any]]) -> None:
    """Have ``analyzer`` run the classic analyses asked for with ``params`` (per analysis, its
    parameters' values: ``--param``). ValueError for an analysis its ensemble runs for its
    verdict: the ensemble's weights were fitted on that analysis at its defaults."""
    own = sorted(set(params) & set(getattr(analyzer.ensemble, "analyses", ()) or ()))
    if own:
        raise ValueError(
            f"analysis {own[0]} is run by the ensemble for its verdict, with the parameters "
            "it was fitted with; its parameters cannot be changed"
        )
    analyzer.analysis_params = {name: dict(p) for name, p in params.items()}


def face_model_map(
    loaded: LoadedModel, evidence: Evidence, device: str = "auto", faces: object | None = None
) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
    """What a face model (scope ``"faces"``) finds in ``evidence`` on its own: its face map at
    full resolution (0 outside the face crops; all 0 when no face is found) and that map's mask
    at the model's pixel threshold. ``faces``: a detector (default: ``engine.faces``' own).
    For model cards' regression floors and the self-test."""
    import numpy as np

    from engine.pipeline import Analyzer

    if faces is None:
        from engine.faces import FaceDetector

        faces = FaceDetector()
    analysis = Analyzer([], device=device, faces=faces, face_models=[loaded]).analyze(evidence)
    h, w = evidence.pixels.shape[:2]
    heat = analysis.face_maps.get(loaded.name, np.zeros((h, w), np.float32))
    return heat, heat > loaded.meta.decision.pixel_threshold
