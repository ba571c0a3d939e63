"""Write into each bundled card how well its mask finds forgeries in full-size photographs.

    forensic-train synth ../shared/data/camera-photos --camera-half test --per-photo 2 \\
        --seed 101 --out runs/forge-test
    forensic-viewer scan runs/forge-test --recursive --gt runs/forge-test --out runs/forge-scan
    python packaging/forgery_cards.py runs/forge-test runs/forge-scan

Every pixel figure of the cards came from CASIA's 384 x 256 images; evidence is 3-12 MP. This
reads ``groundtruth.json`` of a scan of the project-made forgeries of the camera photographs'
**test half** (docs/VERDICTS.md section 6: the half that chose nothing, whose forgeries chose
nothing either) and writes, per model and for the ensemble, a section "Localization at
evidence size" into its card: the mean pixel F1 and pixel AUC of its mask over the forgeries,
by kind of forgery, and how much of the authentic copies it marks.

Refused: forgeries not made of the test half (``photos.json``), a scan that did not finish, a
row made with a checkpoint that is not the bundled file of that name (as
``packaging/mask_area_cards.py``). The section is replaced when the script runs again.
"""

from __future__ import annotations

import json
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # a script beside its sibling

from mask_area_cards import MODELS, bundled_sha256, finished_scan, put_section, row_models

BEGIN = "<!-- forgery-section: written by packaging/forgery_cards.py -->"
END = "<!-- /forgery-section -->"
KINDS = {  # the generator's names (trainer.data.synth), as the section words them
    "copymove": "copy-moves",
    "inpaint": "inpainted regions",
    "splice": "splices",
    "local": "local edits",
    "resample": "resampled regions",
}


@dataclass(frozen=True)
class Localization:
    """One model's mask on the test half's forgeries and their authentic copies."""

    name: str
    pixel_threshold: float
    f1: dict[str, tuple[float, ...]]  # per kind of forgery, each forgery's pixel F1
    auc: tuple[float, ...]  # each forgery's pixel AUC (where defined)
    authentic_marked: tuple[float, ...]  # share of each authentic copy's pixels marked
    checkpoint_sha256: str

    def sentence(self) -> str:
        every = [v for values in self.f1.values() for v in values]
        kinds = ", ".join(
            f"{KINDS.get(k, k)} {statistics.fmean(v):.2f}"
            for k, v in sorted(self.f1.items(), key=lambda kv: -statistics.fmean(kv[1]))
        )
        auc = f", mean pixel AUC {statistics.fmean(self.auc):.2f}" if self.auc else ""
        marked = 100.0 * statistics.median(self.authentic_marked) if self.authentic_marked else 0
        return (
            f"On {len(every)} forgeries the project made of the test half's camera photographs "
            f"(whole, 1-16 MP; regions of 3-20 % of the image; docs/VERDICTS.md section 6), the "
            f"mask (heatmap > {self.pixel_threshold:g}) reaches a mean pixel F1 of "
            f"{statistics.fmean(every):.2f}{auc} (by kind: {kinds}); on the "
            f"{len(self.authentic_marked)} authentic copies, treated alike, it marks a median "
            f"{marked:.1f} % of the pixels. The forgeries come from the generator the networks "
            "were trained on (of CASIA's training photographs), so they are easier than a "
            "forger's work: read these figures as what the mask does at evidence size at best, "
            "beside the CASIA figures above (384 x 256)."
        )


def _kind(path: str) -> str:
    """``Tp/sy_00012_inpaint.png`` -> ``inpaint`` (trainer.data.synth's file names)."""
    return Path(path).stem.rsplit("_", 1)[-1]


def localizations(forgeries: Path, scan: Path, models: Path = MODELS) -> dict[str, Localization]:
    """Per model name (members and ensemble), the mask's figures on ``scan``'s ground truth.

    Raises ``ValueError`` in one line naming the file for forgeries that are not the test
    half's, a scan without a whole ground-truth evaluation, or a model that ran from a file
    other than its bundled one."""
    made = json.loads((forgeries / "photos.json").read_text(encoding="utf-8"))
    if made.get("half") != "test":
        raise ValueError(
            f"{forgeries / 'photos.json'}: forgeries of the {made.get('half')!r} half, not "
            "the test half (the validation half chose the stacking: its figures are not held out)"
        )
    truth_file = scan / "groundtruth.json"
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    if truth.get("partial_scan"):
        raise ValueError(f"{truth_file}: the scan was stopped before its end")
    names, shas = _model_files(scan)
    out: dict[str, Localization] = {}
    for name, sha in shas.items():
        key = names[name]  # groundtruth.json calls the ensemble's map "ensemble"
        f1: dict[str, list[float]] = {}
        auc: list[float] = []
        marked: list[float] = []
        threshold = None
        for row in truth["files"]:
            m = row["maps"].get(key)
            if m is None:
                continue
            threshold = m["own_threshold"]
            if row["label"] == 1:
                f1.setdefault(_kind(row["path"]), []).append(float(m["own"]["f1"]))
                if m.get("pixel_auc") is not None:
                    auc.append(float(m["pixel_auc"]))
            else:
                marked.append(float(m["own"]["flagged"]))
        if threshold is None or not f1:
            continue
        bundled_sha256(models, name, sha, truth_file)
        out[name] = Localization(
            name,
            float(threshold),
            {k: tuple(v) for k, v in f1.items()},
            tuple(auc),
            tuple(marked),
            sha,
        )
    return out


def _model_files(scan: Path) -> tuple[dict[str, str], dict[str, str]]:
    """From ``results.jsonl``: each model's key in groundtruth.json and its checkpoint's
    SHA-256 (one file per model over the scan, or ``ValueError`` naming the row)."""
    keys: dict[str, str] = {}
    shas: dict[str, str] = {}
    for _, name, d, key in row_models(scan / "results.jsonl", lambda row, d: True):
        keys[name], shas[name] = key, d["checkpoint_sha256"]
    return keys, shas


def main(argv: list[str]) -> int:
    forgeries, scan = Path(argv[0]), Path(argv[1])
    when = finished_scan(scan)
    if when is None:
        return 1
    for name, loc in sorted(localizations(forgeries, scan).items()):
        card = MODELS / f"{name}.md"
        if not card.is_file():
            continue
        body = (
            "## Localization at evidence size (project-made forgeries, test half)\n\n"
            f"{loc.sentence()} Measured {when} with the file of SHA-256 "
            f"`{loc.checkpoint_sha256[:16]}…` (`packaging/forgery_cards.py`)."
        )
        put_section(card, BEGIN, END, body)
        print(f"{card}: {sum(len(v) for v in loc.f1.values())} forgeries")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
