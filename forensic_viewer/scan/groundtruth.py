"""Ground-truth mode: a file's or a folder's results scored against true masks (no Qt).

Where the masks come from (:func:`read_truth`):

- a mask given for one open image (the viewer's "Load ground-truth mask…" or a drop);
- an IMDL-BenCo folder: ``Tp/`` tampered images, ``Gt/`` their masks, optional ``Au/``
  authentic images (an all-zero mask is implied); ``masks/`` for ``Gt/``, and each name in
  any case (``GT/``), as the trainer reads a data folder (:func:`engine.masks.subfolder`). A scanned image finds its mask by its stem:
  ``Gt/<stem>.<ext>``, or the ``<stem>_gt`` / ``<stem>_mask`` (also ``-gt`` / ``-mask``) names
  BenCo's and CASIA's releases use; an image whose stem is in ``Au/`` is authentic;
- a BenCo JSON list ``[[image, mask], ...]`` where ``mask`` is ``"Negative"`` for an authentic
  image (relative paths are relative to the JSON file); an image is matched by its path, then by
  its stem.

What a mask is (:func:`read_mask`): :func:`engine.masks.read_mask`'s rule, the trainer's too:
decoded read-only by the evidence decoder (with its SHA-256), a pixel is tampered when any
channel is above 127, a varying alpha channel counts, and a mask of another size than its
image is refused (one problem line naming it; the image is not scored). So is a mask that is
not black but marks no pixel (a faint one, 0 and 100): read as empty it would count its
image, tampered, as authentic, and ``forensic-train`` refuses it
(:func:`~forensic_viewer.scan.truth_lines.faint_line`).

What is scored and how each figure is defined, with its conventions (per-image mean or pooled,
threshold, how empty masks count): :mod:`forensic_viewer.scan.truth_scores`.

A scan's ground truth (:func:`evaluate_scan`) is computed after the scan from its records and
8-bit maps, and written to ``groundtruth.json`` next to ``results.jsonl`` (the summary figures,
per-file figures and the problems met) and as ``gt.*`` columns of ``results.csv``. A mask
that looks inverted on its own is said in its file's warnings and scored as it is
(:func:`~forensic_viewer.scan.truth_lines.inverted_mask_line`). A mask that
cannot be read, an image without a mask and a mask without an image are each one line naming the
file; the others are scored. So is an entry of ``Gt/`` or ``Au/`` named like an image that is no
regular file (a named pipe: opened by :func:`engine.files.open_regular`, never waited on).
macOS's AppleDouble files (``._x.jpg``, :func:`engine.masks.is_appledouble`) in ``Tp/``,
``Au/`` or ``Gt/`` are no images and no masks: passed over, never scored nor a problem line,
and counted in one line (:func:`appledouble_line`); a scan still analyses a ``._`` file in the
folder it scans, as it does any evidence (its row says it cannot be read).

A scan with ground truth never analyses the masks as evidence (:func:`without_masks`): a
folder scanned with its ``Gt/`` (``scan DIR --recursive --gt DIR``), or holding the masks a
JSON list names, passes them over and says how many. Rows of masks that an earlier scan
analysed stay in its ``results.jsonl`` and are never scored.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.errors import ForensicError
from engine.files import (
    atomic_write,
    not_regular_reason,
    open_regular,
    read_regular,
    read_regular_text,
)
from engine.io import IMAGE_SUFFIXES
from engine.masks import (
    AUTHENTIC_FOLDERS,
    MASK_FOLDERS,
    is_appledouble,
    list_masks,
    subfolder,
)
from engine.masks import MASK_TAILS as MASK_TAILS
from engine.masks import read_mask as engine_read_mask
from forensic_viewer.scan.escaping import csv_file, csv_text, csv_value, json_text
from forensic_viewer.scan.maps import read_heatmap_png, row_file_inside
from forensic_viewer.scan.records import MAP_LEVELS, FileRecord
from forensic_viewer.scan.results import CSV_NAME, ResultIndex
from forensic_viewer.scan.settings import not_covered, stopped_run
from forensic_viewer.scan.truth_lines import (
    faint_line,
    implausible_line,
    inverted_mask_line,
    levels_line,
    not_said_again,
    precision_words,
)
from forensic_viewer.scan.truth_scores import (
    FIGURE_HEADER,
    Figure,
    ImageTruth,
    MapSource,
    TruthMask,
    TruthSummary,
    figure_rows,
    score_image,
)
from forensic_viewer.scan.truth_trained import (
    bundled_seen,
    scan_checkpoints,
    scanned_folder,
    trained_on,
    trained_on_line,
    training_data,
)
from forensic_viewer.scan.walk import real_path

GT_NAME = "groundtruth.json"  # the summary next to results.jsonl
NEGATIVE = "Negative"  # the BenCo JSON list's mask of an authentic image


# --- masks -------------------------------------------------------------------------------------


def read_mask(path: str | Path, size: tuple[int, int]) -> TruthMask:
    """The mask file ``path`` for an image of ``size`` (height, width), read by
    :func:`engine.masks.read_mask`, the one rule of training, ``forensic-train eval`` and this
    mode (a channel above 127, transparency, a mask of 0 and 1 as its 1s, a warning for a faint
    mask, which ``faint``
    says). Raises :class:`ForensicError` naming the file when it cannot be read or is of
    another size."""
    read = engine_read_mask(path, size)
    return TruthMask(read.mask, str(path), read.sha256, read.warnings, read.faint)


def authentic(size: tuple[int, int]) -> TruthMask:
    """The implied all-zero mask of an authentic image (``Au/`` or ``"Negative"``)."""
    return TruthMask(np.zeros(size, bool))


@dataclass
class TruthSource:
    """Where the masks of a folder's images are. by_path / by_stem: image -> mask file, or None
    for an authentic image. masks: every mask file, to tell which matched no image.
    mask_folder: a BenCo folder's ``Gt/``, whose every file is a mask (:meth:`mask_rule`).
    appledouble: the files of ``Gt/`` and ``Au/`` that are macOS's AppleDouble files, passed
    over (:func:`engine.masks.is_appledouble`). one_mask: a mask file given for one image
    (``analyze IMAGE --gt MASK``), which may be that image's authentic truth, all black: no
    set of tampered images' masks (:func:`implausible_line`)."""

    origin: Path
    by_path: dict[str, Path | None] = field(default_factory=dict)
    by_stem: dict[str, Path | None] = field(default_factory=dict)
    masks: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    mask_folder: Path | None = None
    appledouble: list[Path] = field(default_factory=list)
    one_mask: bool = False

    def mask_rule(self) -> Callable[[str | Path], bool]:
        """Whether a file is one of this ground truth's masks, so never evidence: a file below
        a BenCo folder's ``Gt/`` (at any depth, named like an image or not), or a mask file
        the JSON list names, unless the list names that file as an image too.

        Gt/ as a whole, not only the masks the pairing matched: a second mask for a stem, a
        mask whose stem is misspelt or whose image is missing are still masks, and what a
        scan analyses must not hang on the pairing rule (``MASK_TAILS``), or a resume after
        a change of that rule would analyse, or drop, files that are not evidence."""
        folder = None if self.mask_folder is None else real_path(self.mask_folder)
        masks = {real_path(m) for m in self.masks}
        images = {real_path(p) for p in self.by_path}

        def is_mask(path: str | Path) -> bool:
            real = real_path(path)
            if real in images:
                return False
            return real in masks or (folder is not None and real.is_relative_to(folder))

        return is_mask

    def lookup(self, file: str | Path | None, key: str) -> tuple[bool, Path | None]:
        """(found, mask file or None for authentic) of the image ``file`` (scan key ``key``)."""
        if file is not None:
            resolved = str(real_path(file))
            if resolved in self.by_path:
                return True, self.by_path[resolved]
        stem = Path(key).stem
        if stem in self.by_stem:
            return True, self.by_stem[stem]
        return False, None

    def unmatched(self, used: Iterable[Path]) -> list[str]:
        """One line per mask file that no scored image used (the record, groundtruth.json,
        names each; :func:`fold_unmatched` folds them where they are printed)."""
        seen = {real_path(p) for p in used}
        return [f"{m}{UNMATCHED_TAIL}" for m in self.masks if real_path(m) not in seen]


# the end of a problem line naming a mask no scanned image used (TruthSource.unmatched)
UNMATCHED_TAIL = ": ground-truth mask matches no scanned image"
# the masks a folded line of unmatched masks names before "and N more" (fold_unmatched)
UNMATCHED_NAMED = 3


def fold_unmatched(problems: Sequence[str]) -> list[str]:
    """``problems`` as printed: several unmatched-mask lines become one, where the first was,
    with their count and the first :data:`UNMATCHED_NAMED` names below their common folder
    (an ``analyze`` of 2 images with ``--gt`` a whole Tp/ + Gt/ folder printed 19 lines, one
    per other mask). groundtruth.json keeps every line."""
    masks = [p.removesuffix(UNMATCHED_TAIL) for p in problems if p.endswith(UNMATCHED_TAIL)]
    if len(masks) < 2:
        return list(problems)
    try:  # paths relative and absolute have no common folder
        base: str | None = os.path.commonpath([str(Path(m).parent) for m in masks])
    except ValueError:
        base = None
    shown = masks[:UNMATCHED_NAMED]
    names = shown if base is None else [os.path.relpath(m, base) for m in shown]
    more = f", and {len(masks) - len(names)} more" if len(masks) > len(names) else ""
    line = f"{len(masks)} ground-truth masks match no scanned image ({', '.join(names)}{more})"
    line = line if base is None else f"{base}: {line}"
    first = next(i for i, p in enumerate(problems) if p.endswith(UNMATCHED_TAIL))
    rest = [p for p in problems[first:] if not p.endswith(UNMATCHED_TAIL)]
    return [*problems[:first], line, *rest]


def _unreadable(path: Path) -> str | None:
    """Why ``path`` cannot be opened as a regular file (a named pipe, a device, a link loop,
    a dangling link), or None when it can: opened by :func:`engine.files.open_regular`,
    which never waits for a pipe's writer (the mask itself is read later by ``load_evidence``,
    through the same opener)."""
    try:
        with open_regular(path):
            pass
    except OSError as e:
        return not_regular_reason(e) or e.strerror or str(e)
    return None


def _usable(p: Path, what: str, problems: list[str]) -> bool:
    """Whether ``p`` is a regular file; else one line in ``problems`` naming it as ``what``
    (a named pipe called like a mask: left out, never waited on)."""
    reason = _unreadable(p)
    if reason is not None:
        problems.append(f"{p}: {what} left out: {reason}")
    return reason is None


def _files(folder: Path, what: str, problems: list[str], appledouble: list[Path]) -> list[Path]:
    """The entries of ``folder`` named like images that are regular files (see :func:`_usable`);
    AppleDouble files (:func:`engine.masks.is_appledouble`) go to ``appledouble`` instead."""
    named = [p for p in sorted(folder.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES]
    appledouble += [p for p in named if is_appledouble(p) and not p.is_dir()]
    return [
        p for p in named if not is_appledouble(p) and not p.is_dir() and _usable(p, what, problems)
    ]


def read_truth(path: str | Path) -> TruthSource:
    """The masks of a BenCo ``Tp/`` + ``Gt/`` (+ ``Au/``) folder or a JSON list (see the module
    doc). Raises :class:`ForensicError` naming ``path`` when it is neither, or a JSON list that
    cannot be read (missing, not a regular file: a named pipe is refused, never waited on)."""
    path = Path(path)
    if path.suffix.lower() == ".json" and not path.is_dir():
        return _read_json(path)
    if not path.is_dir():
        if path.exists():
            raise ForensicError(path, "not a ground-truth folder (Gt/, Au/) or a .json list")
        raise ForensicError(path, "no such ground-truth folder or JSON list")
    gt, au = subfolder(path, MASK_FOLDERS), subfolder(path, AUTHENTIC_FOLDERS)
    if not gt.is_dir() and not au.is_dir():
        raise ForensicError(
            path,
            "not a ground-truth folder: it has neither Gt/ or masks/ (masks) nor Au/ "
            "(authentic); or give a JSON list of [image, mask] pairs",
        )
    src = TruthSource(path, mask_folder=gt if gt.is_dir() else None)
    if gt.is_dir():
        masks = list_masks(gt, lambda p: _usable(p, "ground-truth mask", src.problems))
        src.by_stem.update(masks.by_stem)
        src.masks += masks.masks
        src.problems += masks.second_lines()
        src.appledouble += masks.appledouble
    if au.is_dir():
        what = "authentic image of the ground truth"
        for img in _files(au, what, src.problems, src.appledouble):
            src.by_stem.setdefault(img.stem, None)
    return src


def truth_for_images(images: Sequence[str | Path], path: str | Path) -> TruthSource:
    """The masks of ``analyze IMAGES --gt PATH``: PATH as :func:`read_truth` reads it, or, for
    one image, its mask as an image file (``NEGATIVE`` for an authentic image)."""
    path = Path(path)
    if len(images) == 1 and (str(path) == NEGATIVE or path.suffix.lower() in IMAGE_SUFFIXES):
        image = real_path(images[0])
        mask = None if str(path) == NEGATIVE else path
        if mask is not None and not mask.exists():
            raise ForensicError(mask, "no such ground-truth mask")
        if mask is not None and (reason := _unreadable(mask)) is not None:
            raise ForensicError(mask, f"ground-truth mask cannot be read: {reason}")
        src = TruthSource(path, one_mask=mask is not None)
        src.by_path[str(image)] = mask
        src.masks += [mask] if mask is not None else []
        return src
    return read_truth(path)


def _read_json(path: Path) -> TruthSource:
    try:
        data = read_regular(path)  # a named pipe is refused at once, never waited on
    except FileNotFoundError as e:
        raise ForensicError(path, "no such ground-truth folder or JSON list") from e
    except OSError as e:
        reason = not_regular_reason(e) or e.strerror or str(e)
        raise ForensicError(path, f"ground-truth JSON list cannot be read: {reason}") from e
    try:
        pairs = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ForensicError(path, f"not a readable JSON list of [image, mask] pairs ({e})") from e
    if not isinstance(pairs, list):
        raise ForensicError(path, "a ground-truth JSON must be a list of [image, mask] pairs")
    src = TruthSource(path)
    base = path.parent
    for i, pair in enumerate(pairs):
        if not (
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(s, str) for s in pair)
        ):
            src.problems.append(f"{path}: entry {i} is not an [image, mask] pair of strings")
            continue
        image = real_path(base / pair[0])
        mask = None if pair[1] == NEGATIVE else (base / pair[1])
        src.by_path[str(image)] = mask
        src.by_stem.setdefault(image.stem, mask)
        if mask is not None:
            src.masks.append(mask)
    return src


def without_masks(
    files: Sequence[tuple[Path, str]], truth: TruthSource
) -> tuple[list[tuple[Path, str]], list[Path]]:
    """``files`` (a scan's (path, key) list) split into those to analyse and the masks of
    ``truth`` among them (:meth:`TruthSource.mask_rule`), which ``scan --gt`` and the batch
    dialog pass over: a mask is what an image is scored against, not evidence (a folder
    scanned with its ``Gt/`` had its masks analysed, listed and flagged like its images).
    Done on the listing, before the one-process, worker-process or Ray driver takes it, so
    all three analyse the same files, and a resume lists them the same way."""
    is_mask = truth.mask_rule()
    kept: list[tuple[Path, str]] = []
    masks: list[Path] = []
    for path, key in files:
        if is_mask(path):
            masks.append(path)
        else:
            kept.append((path, key))
    return kept, masks


def record_sources(rec: FileRecord, out: Path) -> Iterator[MapSource]:
    """The maps a scan recorded for ``rec`` (its 8-bit files under ``out``), read one at a time.
    Raises :class:`ForensicError` naming a map file that cannot be read or is not the bytes
    its row recorded, or a name that leaves ``out`` (:func:`row_file_inside`)."""
    size = (rec.height, rec.width)

    def read(name: str) -> NDArray[np.float32]:
        return read_heatmap_png(
            row_file_inside(out, name, rec.path), size, rec.files_sha256.get(name)
        )

    entries = [(m.name, "model", m) for m in rec.models]
    if rec.ensemble is not None:
        entries.append(("ensemble", "ensemble", rec.ensemble))
    for name, kind, m in entries:
        if not m.heatmap:
            continue
        own = m.figures.pixel_threshold if m.figures is not None else None
        heat = read(m.heatmap)
        yield MapSource(name, kind, heat, own, m.score, m.verdict == "manipulated")  # type: ignore[arg-type]
    for a in rec.analyses:
        if a.map is not None and a.map.file:
            heat = read(a.map.file)
            yield MapSource(f"analysis.{a.name}", "analysis", heat, None, a.score, None)


# --- a scan's ground truth ----------------------------------------------------------------------


@dataclass
class ScanTruth:
    """What :func:`evaluate_scan` did: the summary figures, per-file results, problems."""

    figures: list[Figure]
    files: list[ImageTruth]
    problems: list[str]
    images: int
    tampered: int
    source: str
    # scan.json's run when the scan was stopped before its end: the files it never reached are
    # not scored (stopped_run); None when it finished
    partial_scan: dict[str, Any] | None = None
    # macOS's AppleDouble files (._x.jpg) passed over: the ground truth's (Gt/, Au/), then the
    # scan's rows of them (analysed, as evidence is, and never scored)
    appledouble: list[str] = field(default_factory=list)
    # the masks look inverted, or none marks a pixel (engine.masks.implausible_masks, the rule
    # forensic-train refuses by): one line naming a mask, also the first of the problems;
    # the figures are still computed, against the masks as they are
    mask_warning: str | None = None
    # what the scan's listing could not read (folders, files: their images were never scanned,
    # so never scored; scan/settings.not_covered); None when it read everything
    not_covered: dict[str, Any] | None = None
    # the models trained on data that holds scored images (truth_trained.trained_on)
    trained_on: list[dict[str, Any]] = field(default_factory=list)
    # the scored files whose rows do not record their maps' encoding (precision_words)
    levels_unrecorded: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "partial_scan": self.partial_scan,
            "not_covered": self.not_covered,
            "images": self.images,
            "tampered": self.tampered,
            "authentic": self.images - self.tampered,
            "precision": precision_words(len(self.levels_unrecorded), len(self.files)),
            "levels_unrecorded": list(self.levels_unrecorded),
            "figures": [f.to_json() for f in self.figures],
            "files": [f.to_json() for f in self.files],
            "problems": list(self.problems),
            "appledouble": list(self.appledouble),
            "mask_warning": self.mask_warning,
            "trained_on": self.trained_on,
        }


def evaluate_scan(
    out: Path,
    truth: TruthSource,
    keys: Sequence[str] | None = None,
    models: Sequence[tuple[str, list[Path]]] | None = None,
) -> ScanTruth:
    """Score the scan in ``out`` (``keys``: those files; default all) against ``truth``; write
    ``groundtruth.json`` and the ``gt.*`` columns of ``results.csv``. A file without a mask, a
    mask that cannot be read and a mask matching no image are one problem line each.

    Files are scored in the order of their scan keys (the relative paths results.jsonl
    records), not of its rows: a scan with worker processes writes its rows in the order the
    workers finished, and two scans of one folder must give the same ``groundtruth.json``
    (its files, its problems, the ``gt.*`` columns and the figures' order). ``models``: each
    model's name and training data (:func:`~forensic_viewer.scan.truth_trained.training_data`),
    for the note that scored images are among them; None: those of the models scan.json
    records, so that every caller (the viewer's scoring too) keeps the note and does not
    rewrite ``trained_on`` as empty."""
    if models is None:
        models = training_data(scan_checkpoints(out, ()))
    index = ResultIndex(out)
    chosen = sorted(k for k in (keys if keys is not None else index.keys()) if k in index)
    summary = TruthSummary()
    files: list[ImageTruth] = []
    problems = list(truth.problems)
    used: list[Path] = []
    errors: dict[str, str] = {}
    appledouble = [str(p) for p in truth.appledouble]
    is_mask = truth.mask_rule()
    marked: list[tuple[Path, float]] = []  # each tampered image's mask and its share marked
    faint: list[Path] = []  # masks not black that mark no pixel: their images not scored
    mask_warnings: list[str] = []
    inverted: list[str] = []  # the lines of masks that look inverted (inverted_mask_line)
    scored: list[Path] = []  # the files scored, for the models' training data
    unrecorded: list[str] = []
    folder = scanned_folder(out)
    for rec in index.iter_records(chosen):
        if rec.file is not None and is_mask(rec.file):
            continue  # a mask's row, from a scan that analysed its masks too: not evidence
        if is_appledouble(rec.path):  # macOS metadata, no image: its row says it is unreadable
            appledouble.append(rec.file or rec.path)
            continue
        found, mask_file = truth.lookup(rec.file, rec.path)
        if mask_file is not None:
            used.append(mask_file)
        if not isinstance(rec, FileRecord):
            continue
        if not found:
            errors[rec.path] = f"{rec.file or rec.path}: no ground-truth mask in {truth.origin}"
            problems.append(errors[rec.path])
            continue
        try:
            size = (rec.height, rec.width)
            tm = authentic(size) if mask_file is None else read_mask(mask_file, size)
            if mask_file is not None and tm.faint:  # never read as authentic (faint_line)
                marked.append((mask_file, 0.0))
                faint.append(mask_file)
                raise ForensicError(None, faint_line(mask_file, tm.faint))
            if (line := inverted_mask_line(tm)) is not None:  # scored as it is, with a word
                inverted.append(line)
                tm = dataclasses.replace(tm, warnings=[*tm.warnings, line])
            image = score_image(rec.path, rec.sha256, tm, record_sources(rec, out))
        except ForensicError as e:
            errors[rec.path] = str(e)
            problems.append(str(e))
            continue
        problems += tm.warnings
        if mask_file is not None:
            marked.append((mask_file, float(tm.mask.mean()) if tm.mask.size else 0.0))
            mask_warnings += tm.warnings
        summary.add(image)
        files.append(image)
        if rec.map_levels != MAP_LEVELS:  # a row kept from before the encoding was recorded
            unrecorded.append(rec.path)
        if (where := rec.file or (folder and folder / rec.path)) is not None:
            scored.append(Path(where))  # a row of an early version holds its key alone
    problems += truth.unmatched(used)
    mask_warning = implausible_line(marked, mask_warnings, not truth.one_mask, faint)
    if mask_warning is not None:
        said = [*mask_warnings, *errors.values()]
        problems = [mask_warning, *not_said_again(problems, marked, said)]
        if any(share > 0 for _, share in marked):  # the set's line counts the inverted masks
            problems = [p for p in problems if p not in inverted]
    result = ScanTruth(
        summary.figures(),
        files,
        problems,
        summary.images,
        summary.tampered,
        str(truth.origin),
        stopped_run(out),
        appledouble,
        mask_warning,
        not_covered(out),
        trained_on(models, scored) + bundled_seen(out, [f.sha256 for f in files]),
        unrecorded,
    )
    atomic_write(out / GT_NAME, json_text(result.to_json(), indent=1))
    add_csv_columns(out, files, errors)
    return result


def truth_labels(gt: Mapping[str, Any] | None) -> dict[str, int] | None:
    """The label (1 tampered, 0 authentic) of each file a scan's ``groundtruth.json`` scored,
    by scan key; None when ``gt`` is not a scan's (None, or no per-file list: the viewer's
    one-image section). A file without a usable mask is absent (one of its problems)."""
    files = None if gt is None else gt.get("files")
    if not isinstance(files, list):
        return None
    return {
        str(f["path"]): int(f["label"])
        for f in files
        if isinstance(f, dict) and "path" in f and f.get("label") in (0, 1)
    }


def read_scan_truth(out: Path) -> dict[str, Any] | None:
    """``groundtruth.json`` of the scan in ``out`` (None when there is none or it is unreadable)."""
    try:
        data = json.loads(read_regular_text(out / GT_NAME))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


CSV_FIGURES = (("f1", "own"), ("iou", "own"), ("f1", "0.5"), ("iou", "0.5"))


def add_csv_columns(out: Path, files: Sequence[ImageTruth], errors: Mapping[str, str]) -> None:
    """Append the ``gt.*`` columns to ``results.csv`` (rewritten atomically): ``gt.mask``,
    ``gt.label``, ``gt.error`` (why the file was not scored), ``gt.warning`` (the mask's warnings,
    one line each naming it, joined by `` | ``: a row must say what the mask's reading did,
    such as transparency read as the region), then per map ``gt.<map>.f1`` / ``.iou`` (own threshold),
    ``.f1@0.5`` / ``.iou@0.5`` and ``.pixel_auc``; empty where undefined. Columns of an earlier
    ground-truth run are replaced."""
    path = out / CSV_NAME
    if not path.is_file():
        return
    text = read_regular_text(path, limit=None)  # the scan's own CSV: a line a file
    rows = [[csv_value(c) for c in r] for r in csv.reader(io.StringIO(text, newline=""))]
    if not rows:
        return
    keep = [i for i, c in enumerate(rows[0]) if not c.startswith("gt.")]
    # a name that is not UTF-8 reads back as the CSV holds it, \xff
    by_key = {csv_text(im.key): im for im in files}
    errors = {csv_text(k): why for k, why in errors.items()}
    names = list(dict.fromkeys(s.name for im in files for s in im.scores))
    header = [rows[0][i] for i in keep] + ["gt.mask", "gt.label", "gt.error", "gt.warning"]
    for n in names:
        header += [f"gt.{n}.f1", f"gt.{n}.iou", f"gt.{n}.f1@0.5", f"gt.{n}.iou@0.5"]
        header.append(f"gt.{n}.pixel_auc")

    def cell(v: float | None) -> str:
        return "" if v is None else f"{v:.6f}"

    with csv_file(path) as writerow:
        writerow(header)
        for row in rows[1:]:
            key = row[0] if row else ""
            im = by_key.get(key)
            cells = [row[i] if i < len(row) else "" for i in keep]
            if im is None:
                cells += ["", "", errors.get(key, ""), ""]
                cells += [""] * (5 * len(names))
            else:
                warning = " | ".join(im.truth.warnings)
                cells += [im.truth.file or "(authentic)", str(im.truth.label), "", warning]
                scores = {s.name: s.to_json(im.truth.label) for s in im.scores}
                for n in names:
                    d = scores.get(n)
                    if d is None:
                        cells += [""] * 5
                        continue
                    cells += [cell(d[at][fig]) for fig, at in CSV_FIGURES]
                    cells.append(cell(d["pixel_auc"]))
            writerow(cells)


def appledouble_line(result: ScanTruth) -> str | None:
    """The one line on the AppleDouble files the scoring passed over (None when there were
    none), worded as the scan's line on the masks it passes over."""
    if not result.appledouble:
        return None
    return (
        f"{result.source}: {len(result.appledouble)} macOS AppleDouble file(s) (._*) passed "
        f"over by the ground truth (resource forks, not images: not scored; first: "
        f"{result.appledouble[0]})"
    )


def summary_lines(result: ScanTruth, out: Path) -> list[str]:
    """What ``scan --gt`` prints: the counts, each summary figure with its convention, and where
    the files are. Problems are the caller's to print (to stderr)."""
    lines = [
        f"ground truth: {result.images} image(s) scored ({result.tampered} tampered, "
        f"{result.images - result.tampered} authentic) against {result.source}"
    ]
    if result.partial_scan is not None:
        part = result.partial_scan
        lines.append(
            f"  of part of the scan: {part.get('state')} after {part.get('through')} of "
            f"{part.get('files')} files; the others are not scored"
        )
    if result.not_covered is not None:  # their images were never scanned, so never scored
        lines.append(f"  not covered: {result.not_covered.get('note')}")
    if (said := levels_line(result.levels_unrecorded, len(result.files))) is not None:
        lines.append(said)
    rows = figure_rows(result.figures)
    width = max((len(r[0]) for r in rows), default=0)
    for row in rows:
        lines.append(
            f"  {row[0]:<{width}}  {row[1]:<17} {row[2]:>9}  {row[3]:<14} {row[4]} (n={row[5]})"
        )
    lines += [trained_on_line(t) for t in result.trained_on]
    lines.append(f"ground truth in {out / GT_NAME} and the gt.* columns of {out / CSV_NAME}")
    return lines


def report_section(gt: Mapping[str, Any]) -> tuple[str, list[str], list[list[str]]]:
    """The "Ground truth" section of a report from a ``groundtruth.json`` (or the viewer's
    one-image equivalent): an introduction, the table header and its rows."""
    images, tampered = int(gt.get("images", 0)), int(gt.get("tampered", 0))
    intro = (
        f"Scored against the true masks of {gt.get('source', '?')}: {images} image(s), "
        f"{tampered} tampered, {images - tampered} authentic. Each figure states its threshold "
        "(the model's own pixel threshold or 0.5), whether it is a per-image mean or pooled over "
        "pixels, and how empty (authentic) masks count; maps are taken at 8 bits and a pixel is "
        "flagged when above the threshold. These figures measure the models on this material, "
        "not the evidence."
    )
    figures = [Figure.from_json(f) for f in gt.get("figures") or []]
    rows = figure_rows(figures)
    problems = list(gt.get("problems") or [])
    if problems:
        intro += f" {len(problems)} problem(s) met, listed in {GT_NAME}."
    seen = [t for t in gt.get("trained_on") or [] if isinstance(t, dict)]
    for line in (trained_on_line(t) for t in seen):  # figures that are not held out
        intro += f" Note: {line.removeprefix('note: ')}."
    if gt.get("mask_warning"):
        intro += f" Warning: {gt['mask_warning']}."
    if warned := mask_warnings(gt):
        shown = warned[:WARNINGS_SHOWN]
        more = (
            f" | and {len(warned) - len(shown)} more in {GT_NAME}" if warned[len(shown) :] else ""
        )
        intro += f" The masks' warnings ({len(warned)}): {' | '.join(shown)}{more}."
    return intro, FIGURE_HEADER, rows


WARNINGS_SHOWN = 5  # the masks' warnings a report's ground-truth section quotes


def mask_warnings(gt: Mapping[str, Any]) -> list[str]:
    """The scored files' own mask warnings in a ``groundtruth.json`` (a mask that looks
    inverted, transparency read as the region), for the report's section: they were only in
    the file, and a report said nothing of one inverted mask among right ones."""
    files = gt.get("files")
    if not isinstance(files, list):
        return []
    found = (f.get("warnings") for f in files if isinstance(f, dict))
    return [w for ws in found if isinstance(ws, list) for w in ws if isinstance(w, str)]
