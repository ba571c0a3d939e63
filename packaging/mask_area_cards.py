"""Write into each bundled card how much of an authentic photograph its mask marks.

    forensic-viewer scan ../shared/data/camera-photos --out runs/camscan
    python packaging/mask_area_cards.py runs/camscan

Issue 17 measured false alarms per image (is the photograph flagged?); an analyst also sees the
mask drawn over the photograph whatever the verdict says. This reads ``results.jsonl`` of a scan
of the authentic camera photographs, keeps the **test half** (the half that chose nothing,
:func:`trainer.verdict_features.photo_part`) and writes, per model and for the ensemble, a
section "Mask on authentic photographs" into its card: how much of each photograph the mask
marks (``forged_fraction``: heatmap above the model's pixel threshold). On authentic
photographs every marked pixel is a false alarm.

Only rows analysed with the bundled files the cards describe count: a row whose checkpoint
SHA-256 is not the bundled file's is refused (a scan made with other weights measures other
models). The section is replaced when the script runs again.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainer.verdict_features import photo_part

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "resources" / "models"
BEGIN = "<!-- mask-area-section: written by packaging/mask_area_cards.py -->"
END = "<!-- /mask-area-section -->"
PART = "camera-test"
SOME = 0.01  # a photograph "with a marked area": more than 1 % of its pixels
LARGE = 0.10  # more than 10 %


@dataclass(frozen=True)
class MaskArea:
    """The marked share of each authentic test-half photograph, for one model."""

    name: str
    pixel_threshold: float
    shares: tuple[float, ...]  # forged_fraction of each photograph, in [0, 1]
    checkpoint_sha256: str

    def sentence(self) -> str:
        n = len(self.shares)
        pct = [100.0 * s for s in self.shares]
        some = sum(s > SOME for s in self.shares)
        large = sum(s > LARGE for s in self.shares)
        return (
            f"On the {n} authentic camera photographs of the test half (1-16 MP, whole, the "
            f"default analysis), the mask (heatmap > {self.pixel_threshold:g}) marks a median "
            f"{statistics.median(pct):.1f} % of a photograph's pixels (mean "
            f"{statistics.fmean(pct):.1f} %, largest {max(pct):.1f} %); {some} of {n} "
            f"photographs have more than {100 * SOME:g} % of their pixels marked, {large} more "
            f"than {100 * LARGE:g} %. These photographs are authentic: every marked pixel is a false "
            "alarm. A mask is a place to look, read with the verdict above it, never a finding "
            "on its own."
        )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def mask_areas(scan: Path, models: Path = MODELS) -> dict[str, MaskArea]:
    """Per model name (members and ensemble), the mask areas of the test half's rows of
    ``scan/results.jsonl``. Raises ``ValueError`` naming the row when a model's checkpoint is
    not the bundled file of that name (or its figures would go into the wrong card)."""
    shares: dict[str, list[float]] = {}
    meta: dict[str, tuple[float, str]] = {}
    results = scan / "results.jsonl"

    def test_half(row: dict[str, Any], d: dict[str, Any]) -> bool:
        return photo_part(Path(row["path"]).name) == PART and d.get("forged_fraction") is not None

    for _, name, d, _ in row_models(results, test_half):
        meta.setdefault(name, (float(d["pixel_threshold"]), d["checkpoint_sha256"]))
        shares.setdefault(name, []).append(float(d["forged_fraction"]))
    areas = {}
    for name, values in shares.items():
        threshold, sha = meta[name]
        if bundled_sha256(models, name, sha, results):
            areas[name] = MaskArea(name, threshold, tuple(values), sha)
    return areas


def row_models(
    results: Path, keep: Callable[[dict[str, Any], dict[str, Any]], bool]
) -> Iterator[tuple[dict[str, Any], str, dict[str, Any], str]]:
    """(row, model name, its details, its key in a scan's ``groundtruth.json``: the name, or
    ``ensemble`` for the ensemble) of each model of each analysed row of ``results`` (a scan's
    ``results.jsonl``) that ``keep(row, details)`` takes. Raises ``ValueError`` naming the row
    when a model ran from another file (SHA-256) than in an earlier row taken."""
    shas: dict[str, str] = {}
    for line in results.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row.get("status") != "ok":
            continue
        models = [(name, d, name) for name, d in (row.get("details") or {}).items()]
        if row.get("ensemble_details"):
            models.append((row["ensemble_details"]["name"], row["ensemble_details"], "ensemble"))
        for name, d, key in models:
            if not keep(row, d):
                continue
            if shas.setdefault(name, d["checkpoint_sha256"]) != d["checkpoint_sha256"]:
                raise ValueError(f"{results}: {row['path']}: {name} ran from another file")
            yield row, name, d, key


def bundled_sha256(models: Path, name: str, sha: str, source: Path) -> bool:
    """Whether ``name`` is a bundled file in ``models`` (False: no card to write into); a
    ``ValueError`` naming ``source`` when the rows ran from another file than that one (with
    SHA-256 ``sha``): their figures are not that card's."""
    for suffix in (".safetensors", ".ensemble.json"):
        bundled = models / f"{name}{suffix}"
        if bundled.is_file():
            if _sha256(bundled) != sha:
                raise ValueError(
                    f"{source}: {name} ran from a checkpoint other than {bundled} (SHA-256 "
                    f"{sha[:12]}…): its figures are not that card's"
                )
            return True
    return False


def put_section(card: Path, begin: str, end: str, body: str) -> None:
    """Put ``body`` between the markers ``begin`` and ``end`` in ``card``: in place of the
    section written before, else before its regression floor when it has one, else at the end."""
    block = f"{begin}\n{body}\n{end}\n"
    text = card.read_text(encoding="utf-8")
    if begin in text:
        start = text.index(begin)
        stop = text.index(end, start) + len(end) + 1
        text = text[:start] + block + text[stop:]
    elif "## Regression floor" in text:
        at = text.index("## Regression floor")
        text = text[:at] + block + "\n" + text[at:]
    else:
        text = text.rstrip("\n") + "\n\n" + block
    card.write_text(text, encoding="utf-8")


def write_section(card: Path, area: MaskArea, when: str) -> None:
    """Put (or replace) the mask-area section in ``card``."""
    body = (
        f"## Mask on authentic photographs (test half)\n\n{area.sentence()} "
        f"Measured {when} with the file of SHA-256 `{area.checkpoint_sha256[:16]}…` "
        "(`packaging/mask_area_cards.py`)."
    )
    put_section(card, BEGIN, END, body)


def finished_scan(scan: Path) -> str | None:
    """ "on <date>" of a scan that ran to its end, else None after one line saying so."""
    run = json.loads((scan / "scan.json").read_text(encoding="utf-8")).get("run") or {}
    if run.get("state") != "finished":
        print(f"{scan}: the scan did not finish ({run.get('state')}): run it again to the end")
        return None
    return f"on {run['started'][:10]}" if run.get("started") else "once"


def main(argv: list[str]) -> int:
    scan = Path(argv[0])
    when = finished_scan(scan)
    if when is None:
        return 1
    for name, area in sorted(mask_areas(scan).items()):
        card = MODELS / f"{name}.md"
        if card.is_file():
            write_section(card, area, when)
            print(f"{card}: {len(area.shares)} photographs")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
