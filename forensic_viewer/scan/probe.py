"""The files of ``forensic-viewer probe IMAGE --out DIR`` (no Qt), and the table as text.

The robustness probe itself is :func:`engine.probe.run_probe`; this module writes what it found
into the output folder, next to a scan's files but of its own kind:

- ``probe.json``: :meth:`engine.probe.ProbeResult.to_dict` (the evidence's SHA-256, each
  copy's provenance, one row per copy and model with verdict, score, probability and mask IoU)
  plus ``maps``: for the original and every copy, the PNG of each model's heatmap, and
  ``maps_sha256``: each of those files' SHA-256, by its name, of the bytes written (as a scan
  row's ``files_sha256``: a map handed on can be checked against the table);
- ``probe-maps/<copy>.<model>.png``: each heatmap as 8-bit grayscale (value = round(255 x
  probability), :func:`~forensic_viewer.scan.maps.heatmap_png`) at the **original's**
  size (a 50 % copy's map is resized bilinearly, as its IoU was computed), so the maps of one
  model lie on one grid; ``<copy>`` is ``original`` for the evidence itself.

Written files are replaced atomically; nothing is written next to the evidence.

A probe run in the viewer on a file opened from a scan's results (double-click in the triage
table) keeps its table in that scan's output folder, ``probes/<name>.probe.json`` (``<name>``:
what its maps' names mirror, the key or the key told apart on a drive that folds case)
(:func:`keep_scan_probe`, under the folder's lock), and a report of the scan lists it
(:func:`read_scan_probe`, only while its evidence SHA-256 is the scan record's). The viewer
keeps the table, not the maps: the report section shows the table.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from engine.files import atomic_write, read_regular_text
from engine.probe import ORIGINAL, ProbeResult, ProbeRow
from engine.types import Analysis
from forensic_viewer.scan.escaping import json_text
from forensic_viewer.scan.maps import fitted_name, heatmap_png
from forensic_viewer.wording import plain, range_words, verdict_words

PROBE_JSON = "probe.json"
PROBE_MAPS = "probe-maps"
PROBES = "probes"  # in a scan's output folder: the tables of probes run from the viewer
# probe.json's "maps_size": words, not a size (the size in pixels is "evidence"'s width and
# height); docs/PROBE.md quotes them
MAPS_SIZE = "the original's (copies' maps resized bilinearly, as compared)"
TABLE_COLUMNS = ("copy", "model", "verdict", "score", "probability", "IoU with original")


def probe_map_name(derivation: str, model: str) -> str:
    """Where ``model``'s map on the copy ``derivation`` goes, relative to the output folder."""
    return f"{PROBE_MAPS}/{derivation}.{model}.png"


def write_probe(result: ProbeResult, out: Path) -> Path:
    """Write ``probe.json`` and every heatmap PNG of ``result`` into ``out``; the JSON's path.

    Raises OSError when the folder cannot be made or written."""
    out.mkdir(parents=True, exist_ok=True)
    (out / PROBE_MAPS).mkdir(exist_ok=True)
    maps: dict[str, dict[str, str]] = {}
    hashes: dict[str, str] = {}  # file name -> SHA-256 of the bytes written
    for derivation in [ORIGINAL, *(c.derivation.name for c in result.copies)]:
        for model in result.models:
            heat = result.heatmap(derivation, model)
            if heat is None:
                continue
            name = probe_map_name(derivation, model)
            png = heatmap_png(heat)
            atomic_write(out / name, png)
            hashes[name] = hashlib.sha256(png).hexdigest()
            maps.setdefault(derivation, {})[model] = name
    table: dict[str, Any] = result.to_dict()
    table["maps"] = maps
    table["maps_size"] = MAPS_SIZE
    table["maps_sha256"] = hashes
    return _write_table(out / PROBE_JSON, table)


def _write_table(path: Path, table: dict[str, Any]) -> Path:
    """A probe table as the JSON file every reader of probes reads (atomically)."""
    return atomic_write(path, json_text(table, indent=2) + "\n")  # names not UTF-8: \udcXX


def scan_probe_name(name: str) -> str:
    """Where the probe table of a scanned file goes, relative to the scan's output folder.

    name: the name its row's output files mirror (:meth:`FileRecord.output_name
    <forensic_viewer.scan.records.FileRecord.output_name>`: its key, or the key told apart
    from another that folds to the same name), as its maps are named
    (``maps/<name>.<model>.png``): by the key alone, ``case.png``'s table was written over
    ``Case.png``'s on a drive that folds case (APFS, exFAT, NTFS)."""
    return f"{PROBES}/" + fitted_name(name, ".probe.json")


def keep_scan_probe(analyses: Iterable[Analysis | None], table: dict[str, Any]) -> Path | None:
    """Keep a viewer probe's ``table`` (:meth:`ProbeResult.to_dict`) in the output folder of
    the scan its file was opened from: the first of ``analyses`` (the window's) that is a
    scan's result (:class:`~forensic_viewer.scan.replay.ScanAnalysis`) of the same evidence
    SHA-256. Returns the file written, or None when the file was not opened from a scan.
    Raises :class:`~forensic_viewer.scan.lock.OutputLocked` while a scan writes into that
    folder, OSError when it cannot be written."""
    from forensic_viewer.scan.lock import OutputLock
    from forensic_viewer.scan.replay import ScanAnalysis

    sha = table["evidence"]["sha256"]
    scan = next(
        (a for a in analyses if isinstance(a, ScanAnalysis) and a.evidence.sha256 == sha), None
    )
    if scan is None:
        return None
    with OutputLock(scan.scan_out, command="the viewer's robustness probe"):
        path = scan.scan_out / scan_probe_name(scan.scan_name or scan.scan_key)
        path.parent.mkdir(parents=True, exist_ok=True)
        return _write_table(path, table)


def read_scan_probe(out: Path, name: str, sha256: str | None) -> dict[str, Any] | None:
    """The probe table kept in ``out`` for the scanned file whose output files mirror
    ``name`` (:func:`scan_probe_name`) when its evidence is the bytes the scan recorded
    (``sha256``); None when there is none, it cannot be read, or it is of other bytes (the
    file changed and was probed again elsewhere)."""
    try:
        table = json.loads(read_regular_text(out / scan_probe_name(name)))
    except (OSError, ValueError):
        return None
    evidence = table.get("evidence") if isinstance(table, dict) else None
    if not sha256 or not isinstance(evidence, dict) or evidence.get("sha256") != sha256:
        return None
    return table


def figure(v: float | None, digits: int = 3) -> str:
    return "—" if v is None else f"{v:.{digits}f}"


def row_cells(row: ProbeRow | dict[str, Any]) -> list[str]:
    """One table row as the CLI, the viewer and reports show it (:data:`TABLE_COLUMNS`)."""
    d = row.to_dict() if isinstance(row, ProbeRow) else row
    verdict = verdict_cell(d)
    if d.get("verdict_changed"):
        verdict += f" (was {verdict_words(d['original_verdict'])})"
    name = str(d["model"]) + (" (ensemble)" if d.get("role") == "ensemble" else "")
    return [
        plain(d["derivation"]),
        plain(name),
        verdict,
        figure(d.get("score")),
        figure(d.get("probability"), 2),
        figure(d.get("iou")),
    ]


def verdict_cell(d: dict[str, Any]) -> str:
    """A verdict as every display of the product shows it: marked beside it when it is
    outside the measured range (a copy, or an original, smaller than the images the verdicts
    were measured on; docs/VERDICTS.md section 7), the sentence in :func:`table_notes`."""
    return verdict_words(d["verdict"], out_of_range=bool(d.get("out_of_range")))


def table_rows(table: dict[str, Any]) -> list[list[str]]:
    """``probe.json``'s table as rows of :data:`TABLE_COLUMNS`: the original's figures first
    (IoU 1 by definition), then each copy's; within each, the ensemble (the default verdict)
    before the members, as every other table of the product shows them."""
    rows = []
    originals = sorted(table["original"].items(), key=lambda item: _members_last(item[1]))
    for name, o in originals:
        role = " (ensemble)" if o.get("role") == "ensemble" else ""
        rows.append(
            [ORIGINAL, plain(name) + role, verdict_cell(o), figure(o["score"]),
             figure(o.get("probability"), 2), "1.000"]
        )  # fmt: skip
    order = {d: i for i, d in enumerate(dict.fromkeys(r["derivation"] for r in table["rows"]))}
    copies = sorted(table["rows"], key=lambda r: (order[r["derivation"]], _members_last(r)))
    return rows + [row_cells(r) for r in copies]


def _members_last(d: dict[str, Any]) -> int:
    return 0 if d.get("role") == "ensemble" else 1


def table_notes(table: dict[str, Any]) -> list[str]:
    """What the table's reader needs besides the rows: the IoU convention, each copy's steps,
    what a step did not do (a no-op resize) and why a verdict is marked outside the measured
    range (the original's, or a copy's: a 50 % copy of a CASIA image is 128 px high)."""
    notes = [f"IoU: {table['iou_convention']}."]
    rows = [(ORIGINAL, o) for o in table["original"].values()]
    rows += [(r["derivation"], r) for r in table["rows"]]
    off: dict[str, Any] = {}  # the first out_of_range of the original and of each copy
    for name, d in rows:
        if d.get("out_of_range"):
            off.setdefault(name, d["out_of_range"])
    if ORIGINAL in off:
        notes.append(f"{ORIGINAL}: {range_words(off[ORIGINAL])}")
    for d in table["derivations"]:
        extra = "".join(f"; {plain(n)}" for n in d.get("notes", []))
        if off.get(d["name"]):
            extra += f"; {range_words(off[d['name']])}"
        notes.append(f"{d['name']}: {plain(d['label'])} ({d['width']}×{d['height']}){extra}")
    return notes


PROBE_HEADING = "Robustness probe"


def probe_summary(table: dict[str, Any]) -> str:
    """What a probe report's first page says of its probe (the table itself is in the file's
    section, on the last pages): how many altered copies were analysed again, and which copies
    changed the default verdict, and a member's, each with what it read then."""
    copies = [str(d["name"]) for d in table.get("derivations") or []]
    changed = [r for r in table.get("rows") or [] if r.get("verdict_changed")]

    def said(r: dict[str, Any]) -> str:
        return f"{verdict_cell(r)}, was {verdict_words(r['original_verdict'])}"

    ens = [r for r in changed if r.get("role") == "ensemble"]
    members = [r for r in changed if r.get("role") != "ensemble"]
    n = len(copies)
    words = [
        f"This report holds a robustness probe: the image was analysed again as {n} altered "
        f"cop{'y' if n == 1 else 'ies'} ({', '.join(map(plain, copies))})."
    ]
    has_ensemble = any(o.get("role") == "ensemble" for o in table["original"].values())
    if has_ensemble and not ens:
        words.append("No copy changed the default verdict.")
    elif ens:
        listed = "; ".join(f"{plain(r['derivation'])} ({said(r)})" for r in ens)
        k = len({r["derivation"] for r in ens})
        words.append(f"The default verdict changed on {k} of them: {listed}.")
    if members:
        listed = "; ".join(
            f"{plain(r['derivation'])}, {plain(r['model'])} ({said(r)})" for r in members
        )
        words.append(f"A member's verdict changed on: {listed}.")
    elif not has_ensemble:
        words.append("No copy changed a verdict.")
    return " ".join(words) + f" The whole table is in the file's section, under {PROBE_HEADING}."


def table_lines(table: dict[str, Any]) -> list[str]:
    """``probe.json``'s table as tab-separated lines, then its notes."""
    lines = ["\t".join(TABLE_COLUMNS)]
    lines += ["\t".join(r) for r in table_rows(table)]
    return lines + table_notes(table)
