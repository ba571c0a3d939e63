"""Whether ``scan --gt`` scores images a model was trained on, as ``forensic-train eval`` says
of its own (``trainer.evaluate.trained_on_note``).

A fine-tuned model's header records the data it was trained on (``training.data``: each data
set's absolute path, a ``Tp/``+``Gt/`` folder or a JSON list of pairs). A scored image below
such a folder, or listed in such a list, is one the model saw in training or chose its best
epoch on (training and validation parts alike; the header's split says which, and the note
does not try to rebuild it): its figures there are optimistic. ``scan --gt`` of a lab's folder
with the model fine-tuned on it scored 118 images, 101 of them its training split, with no
word (fine-tune walk-through, 2026-12-06).

A bundled model's header records no data path (it was trained from relative lists in
``runs/``), so the bundled files are matched by content instead: ``resources/models/
casia-images.json`` (``packaging/casia_images.py``) holds the SHA-256 of each CASIA image by part
of their split and which parts trained or chose each bundled checkpoint and ensemble (its epoch,
θ, weights); a scored file whose SHA-256 is there counts, whatever folder it was copied to
(:func:`bundled_seen`). A scan of CASIA's held-out part printed the bundled models' AUCs with no
note, while ``forensic-train eval`` noted the same images (QA walk-through, 2026-12-06).

Each such overlap is one record in ``groundtruth.json``'s ``trained_on`` and one note line of
the summary and of a report's ground-truth section. Headers only are read; no Qt, no torch.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from engine.errors import ForensicError
from engine.files import read_regular_text, sha256_of, suffix_is
from forensic_viewer.scan.results import SCAN_INFO


def _scan_info(out: Path) -> dict[str, Any]:
    """The scan's scan.json, {} when it cannot be read."""
    try:
        info = json.loads(read_regular_text(out / SCAN_INFO))
    except (OSError, ValueError, ForensicError):
        return {}
    return info if isinstance(info, dict) else {}


def scanned_folder(out: Path) -> Path | None:
    """The folder the scan in ``out`` scanned (scan.json's ``source``), against which the
    keys of rows that hold no ``file`` (early versions) are read; None for files given one by
    one (``analyze``) or a scan.json that does not say."""
    source = _scan_info(out).get("source")
    return Path(source) if isinstance(source, str) and source and source != "analyze" else None


def scan_checkpoints(out: Path, specs: Iterable[str]) -> list[Path]:
    """The checkpoint files of a scan's models: those ``specs`` (``--model``) name, and those
    its scan.json records by name (a resume's, the default models), each found as ``--model
    NAME`` finds it (:func:`engine.catalog.resolve`); a name not found is passed over, and so
    is a file found by a recorded name whose SHA-256 is not the one scan.json records (a model
    retrained or replaced under the name since: its training data is not the scan's model's)."""
    from engine.catalog import resolve

    recorded = _scan_info(out).get("models")
    wanted: list[tuple[str, object]] = [(str(spec), None) for spec in specs]
    wanted += list(recorded.items()) if isinstance(recorded, dict) else []
    found: dict[Path, None] = {}
    for name, sha256 in wanted:
        try:
            path = resolve(str(name))
            if not suffix_is(path, ".safetensors"):
                continue
            if isinstance(sha256, str) and sha256_of(path) != sha256:
                continue
        except (ForensicError, OSError, ValueError):
            continue
        found[path.resolve()] = None
    return list(found)


def training_data(checkpoints: Iterable[Path]) -> list[tuple[str, list[Path]]]:
    """(model name, its absolute training data paths) of each checkpoint whose header can be
    read; a header that cannot, or records no absolute path (a bundled model, a header from
    before 2026-12-05 that recorded paths as typed), gives none."""
    from engine.checkpoints import read_meta

    out: list[tuple[str, list[Path]]] = []
    for path in checkpoints:
        try:
            meta = read_meta(path)
        except (ForensicError, OSError, ValueError):
            continue
        records = meta.training.get("data") if isinstance(meta.training, dict) else None
        paths = [
            Path(d["path"])
            for d in records or []
            if isinstance(d, dict)
            and isinstance(d.get("path"), str)
            and Path(d["path"]).is_absolute()
        ]
        if paths:
            out.append((meta.name or path.stem, paths))
    return out


def _listed_images(listing: Path) -> set[Path] | None:
    """The image paths a trainer's JSON list names, resolved, as the trainer reads the list
    (:func:`trainer.data.records.read_json_list`: its entries that are no pair, or name no
    file, left out); None when it cannot be read as one."""
    from trainer.data.records import read_json_list

    try:
        samples = read_json_list(listing, problems=[])
    except (OSError, ForensicError):
        return None
    return {s.image.resolve() for s in samples}


def trained_on(
    models: Sequence[tuple[str, list[Path]]], scored: Sequence[Path]
) -> list[dict[str, Any]]:
    """One record per (model, training data set) that holds scored images: the model, the
    data set, how many of the scored images it holds and of how many."""
    files = [p.resolve() for p in scored]
    out: list[dict[str, Any]] = []
    for name, datasets in models:
        for data in datasets:
            if data.suffix.lower() == ".json":
                listed = _listed_images(data)
                inside = sum(f in listed for f in files) if listed else 0
            else:
                root = data.resolve()
                inside = sum(f.is_relative_to(root) for f in files)
            if inside:
                out.append({"model": name, "data": str(data), "images": inside, "of": len(files)})
    return out


BUNDLED_SEEN = "casia-images.json"  # in engine.catalog.BUNDLED_MODELS (packaging/casia_images.py)


def _bundled_record() -> dict[str, Any]:
    """The bundled files' CASIA record, {} when it cannot be read (no note then)."""
    from engine.catalog import BUNDLED_MODELS

    try:
        record = json.loads(read_regular_text(BUNDLED_MODELS / BUNDLED_SEEN))
    except (OSError, ValueError, ForensicError):
        return {}
    return record if isinstance(record, dict) else {}


def bundled_seen(out: Path, scored: Sequence[str | None]) -> list[dict[str, Any]]:
    """One record per model or ensemble of the scan in ``out`` (scan.json's, by SHA-256) that is
    a bundled file some of whose CASIA images are among the ``scored`` SHA-256s: how many of
    them trained it and how many chose something of it (``how``), of how many scored."""
    record, info = _bundled_record(), _scan_info(out)
    parts, files = record.get("parts"), record.get("models")
    if not isinstance(parts, dict) or not isinstance(files, dict):
        return []
    used: dict[str, str] = {}  # SHA-256 -> the name the scan used
    for key in ("models", "face_models"):
        if isinstance(named := info.get(key), dict):
            used.update({str(v): str(k) for k, v in named.items()})
    if isinstance(info.get("ensemble_sha256"), str):
        used[info["ensemble_sha256"]] = str(info.get("ensemble") or "ensemble")
    hashes = {name: set(v) for name, v in parts.items() if isinstance(v, list)}
    out_records: list[dict[str, Any]] = []
    for entry in files.values():
        if not isinstance(entry, dict) or entry.get("sha256") not in used:
            continue
        counts = {}
        for role in ("trained", "chose"):
            held = set().union(*(hashes.get(p, set()) for p in entry.get(role) or []))
            counts[role] = sum(h in held for h in scored)
        if counts["trained"] or counts["chose"]:
            out_records.append(
                {
                    "model": used[entry["sha256"]],
                    "data": str(record.get("data", "CASIA")),
                    "record": BUNDLED_SEEN,
                    "images": counts["trained"] + counts["chose"],
                    "of": len(scored),
                    **counts,
                    "how": str(entry.get("how", "")),
                }
            )
    return out_records


def trained_on_line(record: dict[str, Any]) -> str:
    """The summary's note of one :func:`trained_on` or :func:`bundled_seen` record."""
    if "record" in record:
        return (
            f"note: {record['images']} of the {record['of']} scored images are "
            f"{record['data']} images that trained or chose the bundled {record['model']} "
            f"({record['trained']} trained it, {record['chose']} chose its {record['how']}; "
            f"by SHA-256, {record['record']}): its figures on them are "
            "optimistic, not held out"
        )
    return (
        f"note: {record['images']} of the {record['of']} scored images are in {record['data']}, "
        f"data {record['model']} was trained on (its header's training.data; its training and "
        "validation parts alike): its figures on them are optimistic, not held out"
    )
