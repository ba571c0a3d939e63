"""Where checkpoints are found, and how a model is named on the command line.

A model argument (``--model X``) is resolved in this order:

1. a path to an existing file: a ``.safetensors`` checkpoint or an ensemble file;
2. the name of a checkpoint in a search folder: its file stem or the ``name`` in its header.
   A bundled model comes first; then a file named so (its stem or name); then the one
   checkpoint whose header names it. Two or more whose headers carry the name (no file is
   named so) are **refused**, naming the files (:func:`name_clashes`): picked by the order of
   the folders' listing, the analysis would run a model the user did not choose and report it
   under a name that says nothing of which, in outputs meant as evidence.
   Search folders: ``resources/models`` (bundled; :func:`engine.resources.resources_dir`), the user folder
   (``$FORENSIC_VIEWER_MODELS``, else ``models`` in the per-user folder,
   :func:`engine.environ.user_data_dir`: ``~/.local/share/forensic-viewer/models``), and any
   extra folders given;
3. an ensemble file (``*.ensemble.json``) in those folders, by stem or name.

A registered architecture name with no trained checkpoint is refused with
:class:`ModelNotTrainedError`: the output of a randomly initialised network is never shown as a
finding.

Plain PyTorch state dicts (``.pt``/``.pth``) are not models the viewer analyses with, and there
is no ``arch:path`` form that would name one with its architecture (an ``ARCH:FILE`` argument
is refused with the reason). Every verdict is shown with its θ and where θ came from, and is
computed with the window the network was trained at; a plain state dict holds none of that (no
config beyond the architecture's defaults, no input policy, no calibrated θ), so the same
honesty rule that refuses an untrained architecture refuses it: its verdicts would rest on a
default θ of 0.5 that nothing measured. Networks come to the viewer as ``.safetensors``
checkpoints written (and calibrated) by ``forensic-train``. For programs, the engine can still
read a state dict (:func:`engine.checkpoints.load_checkpoint` with ``architecture=``; its θ is
marked uncalibrated in its provenance).

Headers are checked when folders are listed (:func:`engine.checkpoints.read_meta`), so a
checkpoint whose header is out of bounds appears among the problems of :func:`discover`, one
line naming the file, and is neither listed nor chosen by default; the others are unaffected.

Importing this module imports no torch (the header reader and the registry are imported where
they are used): :func:`found_by_file_name` and :func:`bundled_checkpoint_files` answer from file
names alone, so that the command line can refuse a mistyped ``--model`` or an install without
models in well under a second (``forensic_viewer.cli``), before the seconds torch takes.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from engine.ensemble import ENSEMBLE_SUFFIX
from engine.environ import path_setting, user_data_dir
from engine.errors import CheckpointError, ModelNotTrainedError
from engine.files import suffix_is
from engine.resources import resources_dir

if TYPE_CHECKING:
    from engine.checkpoints import CheckpointMeta

RESOURCES = resources_dir()  # package data in a wheel or a frozen build, resources/ in a checkout
BUNDLED_MODELS = RESOURCES / "models"
SAMPLES = RESOURCES / "samples"
# How to give one of two models of one name another: no command only renames, and calibrate
# (which writes --name) requires --data and chooses θ anew on it, so the advice says so.
RENAME_ADVICE = (
    "give one another name (forensic-train calibrate --model FILE --data DIR --name NEW "
    "--out NEW.safetensors; this calibrates it again: θ is chosen anew on DIR)"
)
# Why a run without --model cannot start: no bundled checkpoint (engine.assembly's NoModelError)
NO_MODEL_INSTALLED = (
    "no trained model is installed; train one with `forensic-train fit ...` "
    "or pass a checkpoint with --model FILE"
)


def user_models_dir() -> Path:
    """``$FORENSIC_VIEWER_MODELS``, else ``models`` in the per-user folder
    (:func:`engine.environ.user_data_dir`)."""
    return path_setting("FORENSIC_VIEWER_MODELS") or user_data_dir() / "models"


def search_dirs(extra: Iterable[str | Path] = ()) -> list[Path]:
    return [folder for folder, _origin in _labelled_dirs(extra)]


def _labelled_dirs(extra: Iterable[str | Path]) -> list[tuple[Path, str]]:
    """The search folders in search order, each with the origin its models are listed under."""
    return [
        (BUNDLED_MODELS, "bundled"),
        (user_models_dir(), "user"),
        *((Path(p), "extra") for p in extra),
    ]


def origin_of(path: str | Path, extra: Iterable[str | Path] = ()) -> str:
    """``"bundled"``, ``"user"`` or ``"extra"``: the search folder that holds ``path``;
    ``"file"`` when none does."""
    parent = Path(path).resolve().parent
    for folder, origin in _labelled_dirs(extra):
        if folder.resolve() == parent:
            return origin
    return "file"


@dataclass(frozen=True)
class CatalogEntry:
    """A checkpoint found on disk, with its header (no weights loaded)."""

    name: str
    path: Path
    meta: CheckpointMeta
    origin: str  # "bundled", "user" or "extra"


class NamedEntry(Protocol):
    """What :func:`by_name` reads of a listed checkpoint (a :class:`CatalogEntry`, or
    ``engine.assembly``'s ``ModelEntry``)."""

    @property
    def name(self) -> str: ...
    @property
    def path(self) -> Path: ...
    @property
    def origin(self) -> str: ...


def _checkpoint_names(folder: Path) -> list[str]:
    """The checkpoint files' names in ``folder``, sorted: as glob's "*.safetensors" with the
    suffix in any case (``X.SAFETENSORS`` copied from Windows), no hidden files (macOS's ._
    copies). OSError when it cannot be listed."""
    return sorted(n for n in os.listdir(folder) if suffix_is(n, ".safetensors") and n[0] != ".")


def bundled_checkpoint_files() -> list[Path]:
    """The bundled checkpoint files by their names alone (no header read, no torch): none
    means no model is installed for a run without ``--model`` (:data:`NO_MODEL_INSTALLED`)."""
    try:
        return [BUNDLED_MODELS / n for n in _checkpoint_names(BUNDLED_MODELS)]
    except OSError:
        return []


def found_by_file_name(spec: str, extra: Iterable[str | Path] = ()) -> bool:
    """Whether ``spec`` is an existing file or the file name or stem of a checkpoint or an
    ensemble in the search folders, from the names alone (no header read, no torch). True
    means :func:`resolve` finds a file for it (which the assembly may still refuse, as a
    damaged one); False means only :func:`resolve` can tell (a name in a header, or none)."""
    path = Path(spec)
    if path.exists() and not path.is_dir():
        return True
    for folder in search_dirs(extra):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            # a checkpoint's suffix in any case (X.SAFETENSORS), as discover lists them
            ours = name.lower() if suffix_is(name, ".safetensors") else name
            for suffix in (".safetensors", ENSEMBLE_SUFFIX):
                if (
                    ours.endswith(suffix)
                    and name[0] != "."
                    and spec in (name, name[: -len(suffix)])
                ):
                    return True
    return False


def discover(extra: Iterable[str | Path] = ()) -> tuple[list[CatalogEntry], list[str]]:
    """Every readable checkpoint in the search folders, and one line per unreadable file."""
    from engine.checkpoints import read_meta  # torch

    entries: list[CatalogEntry] = []
    problems: list[str] = []
    seen: set[Path] = set()
    for folder, origin in _labelled_dirs(extra):
        if not folder.is_dir():
            continue
        try:  # glob says nothing of a folder it cannot list: the models would just be missing
            names = _checkpoint_names(folder)
        except OSError as e:
            problems.append(f"{folder}: cannot list the models folder ({e.strerror or e})")
            continue
        for path in (folder / n for n in names):
            real = path.resolve()
            if real in seen:
                continue
            seen.add(real)
            try:
                meta = read_meta(path)
            except CheckpointError as e:
                problems.append(str(e))
                continue
            entries.append(CatalogEntry(meta.name or path.stem, path, meta, origin))
    return entries, problems


@functools.cache
def bundled_names() -> frozenset[str]:
    """The names (header names and file stems) of the bundled models. A model installed under
    one of them is listed beside the bundled one but never chosen by that name: :func:`resolve`
    finds the bundled one first (the training dialog refuses such an output name)."""
    entries, _ = discover()
    return frozenset(n for e in entries if e.origin == "bundled" for n in (e.name, e.path.stem))


def discover_ensembles(extra: Iterable[str | Path] = ()) -> list[Path]:
    out: list[Path] = []
    for folder in search_dirs(extra):
        if folder.is_dir():
            out.extend(sorted(folder.glob(f"*{ENSEMBLE_SUFFIX}")))
    return out


def resolve(spec: str, extra: Iterable[str | Path] = ()) -> Path:
    """The checkpoint file that ``spec`` names (see module docstring)."""
    path = Path(spec)
    if path.exists() and not path.is_dir():  # a pipe or device too: its loader says what it is
        return path
    entries, _ = discover(extra)
    found = by_name(spec, entries)
    if found is not None:
        return found
    for p in discover_ensembles(extra):
        if spec in (p.name, p.name.removesuffix(ENSEMBLE_SUFFIX)):
            return p
    from engine.models.registry import list_models  # torch

    arch, sep, _file = spec.partition(":")
    if sep and arch in list_models():
        raise CheckpointError(
            spec,
            "the ARCH:FILE form is not supported; the viewer analyses only "
            ".safetensors checkpoints, which carry their input policy and calibrated θ "
            "(train or calibrate one with forensic-train)",
        )
    if spec in list_models():
        raise ModelNotTrainedError(
            None,
            f"'{spec}' is an architecture with no trained checkpoint here; train one with "
            f"`forensic-train fit --arch {spec} --data DIR --out FILE.safetensors`, "
            f"or pass a checkpoint file with --model PATH",
        )
    names = sorted({e.name for e in entries})
    ensembles = sorted({p.name.removesuffix(ENSEMBLE_SUFFIX) for p in discover_ensembles(extra)})
    raise CheckpointError(
        spec,
        "no such checkpoint file or model name"
        + (f"; known models: {', '.join(names)}" if names else "; no checkpoints are installed")
        + (f"; known ensembles: {', '.join(ensembles)}" if ensembles else ""),
    )


def by_name(spec: str, entries: Sequence[NamedEntry]) -> Path | None:
    """The checkpoint ``spec`` names among ``entries`` (the module docstring's order), None
    when none; a :class:`CheckpointError` naming the files when only headers name it, twice
    or more. ``--model NAME`` and ``forensic-viewer models NAME`` choose by it."""
    named = [e for e in entries if spec in (e.name, e.path.stem, e.path.name)]
    bundled = [e for e in named if e.origin == "bundled"]
    by_file = [e for e in named if spec in (e.path.stem, e.path.name)]
    for first in (bundled, by_file):
        if first:
            return first[0].path
    if len(named) > 1:
        files = " and ".join(str(e.path) for e in named)
        raise CheckpointError(
            spec,
            f"{len(named)} models are named so, by their headers: {files}; pass the file "
            f"itself with --model PATH, or {RENAME_ADVICE}",
        )
    return named[0].path if named else None


def name_clashes(entries: list[CatalogEntry]) -> list[str]:
    """One line per model name that more than one listed checkpoint carries, naming the files
    and which one ``--model NAME`` uses (:func:`resolve`), or that it is refused."""
    lines: list[str] = []
    for name in sorted({e.name for e in entries}):
        same = [e for e in entries if e.name == name]
        if len(same) < 2:
            continue
        files = ", ".join(f"{e.path} ({e.origin})" for e in same)
        try:
            used = by_name(name, entries)
        except CheckpointError:
            used = None
        what = (
            f"`--model {name}` uses {used}"
            if used is not None
            else f"`--model {name}` is refused as ambiguous"
        )
        lines.append(
            f"{len(same)} checkpoints are named {name}: {files}; {what} and outputs name "
            f"them alike: pass the file itself with --model PATH, or {RENAME_ADVICE}"
        )
    return lines


class NamedFile(Protocol):
    """What :func:`distinct_names` reads of a model: a loaded one (``LoadedModel``) or one
    known by its header (:class:`CatalogEntry`)."""

    @property
    def name(self) -> str: ...
    @property
    def path(self) -> Path | None: ...


def distinct_names(models: Sequence[NamedFile]) -> None:
    """A ValueError naming the files of two models that carry one name (the
    :class:`~engine.pipeline.Analyzer`'s): the outputs (a report's rows, a scan's columns) are
    keyed by it and could not tell them apart."""
    seen: dict[str, NamedFile] = {}
    for m in models:
        other = seen.setdefault(m.name, m)
        if other is not m:
            raise ValueError(
                f"two models share the name {m.name}: {other.path or 'a model in memory'} and "
                f"{m.path or 'a model in memory'}; their outputs would be named alike: leave "
                f"one out, or {RENAME_ADVICE}"
            )


def default_models(extra: Iterable[str | Path] = ()) -> list[Path]:
    """The bundled checkpoints (what ``analyze``/``scan`` use when no --model is given)."""
    entries, _ = discover(extra)
    return [e.path for e in entries if e.origin == "bundled"]
