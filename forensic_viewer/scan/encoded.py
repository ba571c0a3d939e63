"""A scanned file's result as the bytes to write, and their writing (no Qt).

:func:`encode_result` makes an :class:`EncodedRecord`: the row
(:class:`~forensic_viewer.scan.records.FileRecord`) and the bytes of the files it names (8-bit
map PNGs, the thumbnail JPEG), in whichever process analysed the file (a one-process scan, a
pool's worker, a Ray actor); :meth:`EncodedRecord.write` writes the files into the output
folder in the process that then appends the row. :func:`result_record` does both in one go.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from engine.files import atomic_write_below
from engine.types import Analysis
from forensic_viewer.scan.maps import heatmap_png, map_name, thumb_name, unnamed
from forensic_viewer.scan.records import FileRecord, check_finite


@dataclass(frozen=True)
class EncodedRecord:
    """A :class:`FileRecord` and the bytes of the files it names (its 8-bit map PNGs, then its
    thumbnail JPEG), relative to the output folder: everything of a result but the writing.

    What a scan's worker (a process of the pool, a Ray actor) sends back instead of the
    analysis: the statistics the row, the CSV and the triage read were taken from the float
    maps before they were quantised, so the writer needs nothing else.
    """

    record: FileRecord
    files: tuple[tuple[str, bytes], ...] = ()

    @property
    def nbytes(self) -> int:
        """The bytes of the files (what the maps and thumbnail cost to send)."""
        return sum(len(data) for _, data in self.files)

    def write(self, out: Path, taken: Collection[str] = ()) -> FileRecord:
        """Write the files under ``out`` (each atomically, maps before the thumbnail, all
        before the row that names them); the record as written. ``taken``: the files the row
        this one replaces names (:meth:`FileRecord.files`): none of them is written over, a
        file of that name goes under another (:func:`~forensic_viewer.scan.maps.unnamed`),
        so a scan killed before the new row is appended leaves the old row naming its own
        files. Files of the old row that this one no longer names are removed only once it
        is appended (``run.append_record``). The row records the SHA-256 of each file's bytes
        (:attr:`FileRecord.files_sha256`), hashed here, in the process that writes them,
        whichever process encoded them: a one-process scan and a pooled one give the same row."""
        names = {name: unnamed(name, taken) for name, _ in self.files}
        for name, data in self.files:
            atomic_write_below(out, names[name], data)  # a folder made a link since: refused
        moved = {old: new for old, new in names.items() if old != new}
        record = self.record.renamed(moved) if moved else self.record
        return record.hashed(
            {names[name]: hashlib.sha256(data).hexdigest() for name, data in self.files}
        )


def encode_result(
    key: str,
    analysis: Analysis,
    *,
    faces_checked: bool | None = None,
    thumb: bytes | None = None,
    replaces: str | None = None,
    mirror: str | None = None,
) -> EncodedRecord:
    """The record of ``analysis`` with its heatmaps encoded as 8-bit PNG bytes
    (:func:`~forensic_viewer.scan.maps.heatmap_png`) and the ``thumb`` JPEG bytes; nothing is
    written. The figures are checked first (:class:`NonFiniteResult` when one is NaN or
    infinite). ``replaces``, ``mirror``: see :class:`FileRecord`, :meth:`FileRecord.from_analysis`."""
    base = key if mirror is None else mirror
    record = FileRecord.from_analysis(
        key,
        analysis,
        faces_checked=faces_checked,
        thumbnail=None if thumb is None else thumb_name(base),
        replaces=replaces,
        mirror=mirror,
    )
    check_finite(record)
    # the row says this encoding (record.map_levels, records.MAP_LEVELS): own threshold, 0.5 kept
    files = [
        (map_name(base, name), heatmap_png(r.heatmap, (r.pixel_threshold, 0.5)))
        for name, r in analysis.results.items()
    ]
    ens = analysis.ensemble
    if ens is not None:
        files.append(
            (map_name(base, ens.name), heatmap_png(ens.heatmap, (ens.pixel_threshold, 0.5)))
        )
    for a in record.analyses:
        if a.map is not None and a.map.file is not None:
            files.append((a.map.file, heatmap_png(analysis.analyses[a.name].map)))
    files += [(f, heatmap_png(analysis.face_maps[n])) for n, f in record.face_maps.items()]
    if thumb is not None:
        files.append((thumb_name(base), thumb))
    return EncodedRecord(record, tuple(files))


def result_record(
    key: str,
    analysis: Analysis,
    out: Path,
    *,
    faces_checked: bool | None = None,
    thumb: bytes | None = None,
    replaces: str | None = None,
) -> FileRecord:
    """Write the heatmaps (and the ``thumb`` JPEG bytes) of ``analysis`` under ``out``; its
    record. Files first, so a row never names a map that was not written; but before them the
    figures are checked (:class:`NonFiniteResult` when one is NaN or infinite: nothing is
    written). ``replaces``: see :class:`FileRecord`. :func:`encode_result`, then
    :meth:`EncodedRecord.write`."""
    encoded = encode_result(
        key, analysis, faces_checked=faces_checked, thumb=thumb, replaces=replaces
    )
    return encoded.write(out)
