"""Deterministic, leak-free train/validation splits.

A forgery and the photographs it was made from must not sit on both sides of a split: the
network would be validated on pixels it was trained on (a splice's background *is* its source
photograph). So images are grouped by the source photographs they contain and whole groups are
assigned to one side:

- **source** (default when names carry ids): CASIA names carry them. A tampered image
  ``Sp_D_CNN_A_ani0049_ani0084_0266.jpg`` contains sources ``ani0049`` and ``ani0084``; the
  authentic ``Au_ani_0049.jpg`` is source ``ani0049``. CASIA v2 (``Tp_D_NRN_S_N_ani00018_...``,
  ``Au_ani_00018.jpg``) works the same. A ``sources.json`` next to ``Tp/`` (written by
  ``forensic-train synth``) maps file names to source ids for any other naming. Groups are the
  connected components of "shares a source" (union-find), so a chain of splices through
  shared photographs stays on one side.
- **scene**: the same with the scene category (``ani``, ``art``, ...) as the id, so that no
  category is on both sides; with cross-category splices the components can merge into one,
  which is reported as an error rather than a silent one-sided split.
- **seed**: images without ids are their own group; the split is then a seeded shuffle.

Group order is a hash of (seed, group key), so the split does not depend on file order, the
machine, or which other data sets are combined with it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from engine.files import is_listed, not_regular_reason, read_regular_text
from trainer.data.records import Sample
from trainer.errors import DataError

SPLIT_MODES = ("auto", "source", "scene", "seed")

# CASIA v1 "Sp_D_CNN_A_ani0049_ani0084_0266", CASIA v2 "Tp_D_NRN_S_N_ani00018_ani00017_10093".
_TAMPERED = re.compile(
    r"^(?:Sp|Tp)_[DS]_[A-Z]{3}_[A-Z](?:_[A-Z])?_([a-z]{3})(\d+)_([a-z]{3})(\d+)_"
)
_AUTHENTIC = re.compile(r"^Au_([a-z]{3})_?(\d+)")


def source_ids(sample: Sample, table: dict[str, list[str]] | None = None) -> list[str]:
    """Source photograph ids of ``sample`` (empty when its name carries none).

    Ids are normalised to ``cat:number`` so that ``ani0049`` and ``Au_ani_0049`` agree.
    """
    if table is not None and sample.image.name in table:
        return [str(s) for s in table[sample.image.name]]
    stem = sample.image.stem
    m = _TAMPERED.match(stem)
    if m:
        return [f"{m.group(1)}:{int(m.group(2))}", f"{m.group(3)}:{int(m.group(4))}"]
    m = _AUTHENTIC.match(stem)
    if m:
        return [f"{m.group(1)}:{int(m.group(2))}"]
    return []


def _sources_table(samples: list[Sample]) -> dict[str, list[str]]:
    """Merge every ``sources.json`` found next to the data sets' ``Tp/``/``Au/`` folders."""
    table: dict[str, list[str]] = {}
    seen: set[Path] = set()
    for s in samples:
        f = s.image.parent.parent / "sources.json"
        if f in seen:
            continue
        seen.add(f)
        if is_listed(f):  # a pipe or device too: refused in one line, never waited on
            try:
                table.update(json.loads(read_regular_text(f)))
            except OSError as e:
                raise DataError(
                    f, f"sources.json cannot be read: {not_regular_reason(e) or e}"
                ) from e
            except ValueError as e:
                raise DataError(f, f"sources.json is not readable JSON ({e})") from e
    return table


@dataclass
class Split:
    """A train/validation split and how it was made (recorded in checkpoints)."""

    train: list[Sample]
    val: list[Sample]
    by: str  # "source", "scene" or "seed"
    seed: int
    val_fraction: float
    groups: int  # number of leak-free groups the images fell into
    # "auto" that fell back to "seed": how many images' names carry no source photograph
    # (0 otherwise); recorded as UNGROUPED and warned of (ungrouped_warning)
    ungrouped: int = 0

    def describe(self) -> dict[str, object]:
        return {
            "by": self.by,
            "seed": self.seed,
            "val_fraction": self.val_fraction,
            "groups": self.groups,
            "train_images": len(self.train),
            "val_images": len(self.val),
            **({UNGROUPED: self.ungrouped} if self.ungrouped else {}),
        }


# In a split's record (run.json, the checkpoint's training.split): the images whose names
# carry no source photograph when --split-by auto fell back to a per-image shuffle
UNGROUPED = "auto_without_sources"


def ungrouped_warning(path: str | Path, record: object) -> str:
    """The one-line warning (without its ``warning:``) for a data set whose ``--split-by
    auto`` split image by image because most names carry no source photograph (``record``:
    its split's record); "" otherwise. ``check``, ``fit`` and the training review say it:
    recorded only as ``"by": "seed"``, a held-out authentic photograph could be the source
    of a training forgery without a word (fine-tune walk-through, 2026-12-06)."""
    if not isinstance(record, dict) or not record.get(UNGROUPED):
        return ""
    n = int(record.get("train_images", 0)) + int(
        record.get("held_out_images", record.get("val_images", 0))
    )
    # where sources.json is read (_sources_table: the folder above each image's folder); a JSON
    # list has no Tp/ to be beside (fine-tune walk-through, 2026-12-06)
    where = (
        "in the folder above each listed image's folder"
        if Path(path).suffix.lower() == ".json"
        else "beside its Tp/"
    )
    return (
        f"{path}: {record[UNGROUPED]} of its {n} images have names that carry no source "
        "photograph (as CASIA's Sp_D_CNN_A_ani0049_ani0084_0266, Au_ani_0049 do), so "
        "--split-by auto split it image by image: a forgery and a photograph it was made from "
        f"can fall on both sides; a sources.json {where} naming each file's source "
        "photographs (docs/TRAINING.md) keeps them together"
    )


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _key_hash(seed: int, key: str) -> str:
    return hashlib.sha256(f"{seed}/{key}".encode()).hexdigest()


# The finer --split-by choices that may still split images a coarser choice keeps together
FINER_SPLITS = {"scene": ("source", "seed"), "source": ("seed",)}


def _one_group(by: str, images: int) -> str:
    """Why ``images`` images split ``by`` form one group, and the ``--split-by`` choices (fit's,
    check's, face-model's) or ``--val-data`` that would split them."""
    if by in FINER_SPLITS:
        finer = " or ".join(f"--split-by {x}" for x in FINER_SPLITS[by])
        return (
            f"cannot split by {by}: all {images} images share sources and form one group; "
            f"use {finer}, or give validation data with --val-data"
        )
    return (
        f"cannot split {images} image{'s' if images != 1 else ''} in two: a split needs at least "
        "2 images; add images or give validation data with --val-data"
    )


def split_samples(
    samples: list[Sample], val_fraction: float = 0.15, by: str = "auto", seed: int = 0
) -> Split:
    """Split ``samples`` into train and validation by ``by`` (see module docstring).

    ``auto`` is ``source`` when at least half of the images carry source ids, else ``seed``.
    """
    if by not in SPLIT_MODES:
        raise ValueError(f"split must be one of {SPLIT_MODES}, got {by!r}")
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    table = _sources_table(samples)
    ids = [source_ids(s, table) for s in samples]
    ungrouped = 0
    if by == "auto":
        by = "source" if sum(1 for i in ids if i) * 2 >= len(samples) else "seed"
        ungrouped = sum(1 for i in ids if not i) if by == "seed" else 0
    uf = _UnionFind()
    keys: list[str] = []
    for s, sid in zip(samples, ids, strict=True):
        own = f"image:{s.dataset}/{s.image.name}"
        if by == "seed" or not sid:
            keys.append(own)
            uf.find(own)
            continue
        tokens = [t.split(":")[0] for t in sid] if by == "scene" else sid
        tokens = [f"{by}:{t}" for t in tokens]
        for t in tokens[1:]:
            uf.union(tokens[0], t)
        keys.append(tokens[0])
    members: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        members.setdefault(uf.find(k), []).append(i)
    if len(members) < 2:
        raise DataError(None, _one_group(by, len(samples)))
    order = sorted(members, key=lambda k: _key_hash(seed, k))
    target = val_fraction * len(samples)
    val_idx: set[int] = set()
    for k in order:
        if len(val_idx) >= target:
            break
        if len(val_idx) + len(members[k]) > 1.5 * target:
            continue  # a group this large would overshoot; later, smaller groups fill the share
        val_idx.update(members[k])
    if not val_idx:  # every group is larger than the share: take the smallest
        val_idx.update(members[min(order, key=lambda k: len(members[k]))])
    if len(val_idx) == len(samples):
        raise DataError(None, f"cannot split by {by}: every group landed in validation")
    train = [s for i, s in enumerate(samples) if i not in val_idx]
    val = [s for i, s in enumerate(samples) if i in val_idx]
    return Split(train, val, by, seed, val_fraction, len(members), ungrouped)


def group_of(samples: list[Sample], by: str = "source") -> dict[str, list[str]]:
    """Source (or scene) ids of every image, by file name: what leakage tests compare."""
    table = _sources_table(samples)
    out: dict[str, list[str]] = {}
    for s in samples:
        sid = source_ids(s, table)
        out[s.image.name] = [t.split(":")[0] for t in sid] if by == "scene" else sid
    return out


HELD_OUT_FRACTION = 0.15  # the share every bundled model's training recipe held out (seed 0)
TEST_SALT = "test"


def three_way_split(
    samples: list[Sample], held_out: float = HELD_OUT_FRACTION, by: str = "auto", seed: int = 0
) -> tuple[list[Sample], list[Sample], list[Sample]]:
    """Train, validation and test parts, leak-free by source photograph.

    The held-out share is exactly the validation split of :func:`split_samples` with the same
    arguments (so the bundled models, trained on its train part, never saw it); its leak-free
    groups are then halved by a second hash order (salted ``test``): one half is **validation**
    (it chooses checkpoints, thresholds, weights and rules), the other is **test** (it only
    reports). An image's part never depends on which other images are in the data set's group
    order beyond its own group, on file order or on the machine.
    """
    sp = split_samples(samples, held_out, by, seed)
    val, test = _halves(sp)
    return sp.train, val, test


def _halves(sp: Split) -> tuple[list[Sample], list[Sample]]:
    """The validation and test halves of ``sp``'s held-out part (:func:`three_way_split`)."""
    seed = sp.seed
    table = _sources_table(sp.val)
    members: dict[str, list[Sample]] = {}
    uf = _UnionFind()
    keys: list[str] = []
    for s in sp.val:
        sid = source_ids(s, table) if sp.by != "seed" else []
        tokens = [f"source:{t}" for t in sid] or [f"image:{s.dataset}/{s.image.name}"]
        for t in tokens[1:]:
            uf.union(tokens[0], t)
        keys.append(tokens[0])
    for s, k in zip(sp.val, keys, strict=True):
        members.setdefault(uf.find(k), []).append(s)
    order = sorted(members, key=lambda k: _key_hash(seed, f"{TEST_SALT}/{k}"))
    val: list[Sample] = []
    test: list[Sample] = []
    counts = {"val": dict.fromkeys(_KINDS, 0), "test": dict.fromkeys(_KINDS, 0)}
    parts = {"val": val, "test": test}
    for k in order:  # each group goes where its kinds of image are scarcer so far (test on ties)
        group = [_kind(s) for s in members[k]]
        need = {n: sum(counts[n][g] for g in group) for n in ("test", "val")}
        name = min(("test", "val"), key=lambda n: (need[n], len(parts[n])))
        parts[name].extend(members[k])
        for g in group:
            counts[name][g] += 1
    return val, test


# How a run's validation part was taken from its held-out part, under CHOSE_ON in the split's
# record (run.json, the checkpoint's ``training.split``, calibrate's ``decision.details``):
CHOSE_ON = "validation"
CHOOSE_HALF = "validation half of the held-out part"  # the test half chose nothing
# the whole held-out part: every run before 2026-12-05 (the record has no CHOSE_ON then), or
# a held-out part whose validation half would hold no tampered (or no authentic) image; its
# test half chose too
WHOLE_HELD_OUT = "whole held-out part"


def validation_part(
    samples: list[Sample], val_fraction: float = 0.15, by: str = "auto", seed: int = 0
) -> tuple[Split, list[Sample], list[Sample], dict[str, object]]:
    """The split of ``samples``, the images that choose (best epoch, θ, pixel threshold,
    calibration: the validation half of :func:`three_way_split`, so that ``eval --split test``
    measures images that neither trained nor chose), those that choose nothing (its test
    half), and the split's record, which says so.

    A held-out part too small for its validation half to hold a tampered image (nothing would
    be validated otherwise) or an authentic one (θ would be chosen and calibrated on tampered
    images alone) while the part holds one is used whole, and the record says that instead:
    its test half then chose too, and none is left that chose nothing.
    """
    sp = split_samples(samples, val_fraction, by, seed)
    choose, test = _halves(sp)
    record = {**sp.describe(), "held_out_images": len(sp.val)}
    if choose and all(
        any(s.label == c for s in choose) or not any(s.label == c for s in sp.val) for c in (0, 1)
    ):
        record.update({CHOSE_ON: CHOOSE_HALF, "val_images": len(choose), "test_images": len(test)})
        return sp, choose, test, record
    record[CHOSE_ON] = WHOLE_HELD_OUT
    return sp, sp.val, [], record


_KINDS = ("authentic", "copy-move", "splice")


def _kind(s: Sample) -> str:
    """Stratum of an image for the validation/test halving: authentic, copy-move (CASIA
    ``Sp_S``/``Tp_S``, or a tampered image with one source) or splice."""
    if s.label == 0:
        return "authentic"
    return "copy-move" if s.image.name.startswith(("Sp_S_", "Tp_S_")) else "splice"


def shared_images(train: list[Sample], val: list[Sample]) -> list[tuple[Path, Path]]:
    """(validation image, training image) for each image of ``val`` that is one of ``train``:
    the same file (by resolved path: a JSON list of a folder's files, a symbolic link) or the
    same bytes (a copy, by SHA-256; only files of a size found on both sides are hashed, so
    two disjoint data sets cost a ``stat`` per image). ``--val-data`` that repeats ``--data``
    chose the best epoch and θ on training images without a word (fine-tune walk-through,
    2026-12-06). A file that cannot be read is left to the decoding that reports it."""
    from engine.files import sha256_of

    def size(p: Path) -> int | None:
        try:
            return p.stat().st_size
        except OSError:
            return None

    own = {s.image.resolve(): s.image for s in train}
    by_size: dict[int, list[Path]] = {}
    for s in train:
        if (n := size(s.image)) is not None:
            by_size.setdefault(n, []).append(s.image)
    digests: dict[Path, str | None] = {}

    def digest(p: Path) -> str | None:
        if p not in digests:
            try:
                digests[p] = sha256_of(p)
            except OSError:
                digests[p] = None
        return digests[p]

    shared: list[tuple[Path, Path]] = []
    for s in val:
        if (same := own.get(s.image.resolve())) is not None:
            shared.append((s.image, same))
            continue
        n = size(s.image)
        if n not in by_size or (mine := digest(s.image)) is None:
            continue
        if twin := next((p for p in by_size[n] if digest(p) == mine), None):
            shared.append((s.image, twin))
    return shared


def shared_images_reason(shared: list[tuple[Path, Path]], total: int) -> str:
    """The one line ``fit``, ``calibrate`` and ``check`` refuse ``--val-data`` with."""
    val, train = shared[0]
    how = "the same file as" if val.resolve() == train.resolve() else "a copy of"
    return (
        f"{len(shared)} of its {total} images are also training images of --data (e.g. {val} "
        f"is {how} {train}): validating on them would choose the best epoch and θ on images "
        "the model trained on; give validation images that are not in --data, or leave "
        "--val-data out to split --data"
    )
