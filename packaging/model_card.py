"""Write the model card (Markdown) beside a bundled checkpoint, from its header and an eval JSON.

    python packaging/model_card.py resources/models/NAME.safetensors EVAL.json \
        --wall "51 + 27 min on 1 CPU thread" --floor-sample coffee-copymove.jpg

The card states what the model is, what it was trained on and not, how to rebuild it, θ and its
provenance, the measured validation figures with their conventions, a regression floor on a
bundled sample (read by the tests), and the licence of the training data.
``forensic-viewer models NAME`` prints it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "resources" / "samples"


def sample_figures(checkpoint: Path, sample: str) -> tuple[float, float]:
    """Pixel F1 at the checkpoint's pixel threshold and pixel AUC on a bundled sample."""
    from sklearn.metrics import roc_auc_score

    from engine.io import load_evidence
    from engine.pipeline import Analyzer

    manifest = json.loads((SAMPLES / "samples.json").read_text())
    gt = cv2.imread(str(SAMPLES / manifest[sample]["mask"]), cv2.IMREAD_GRAYSCALE) > 127
    result = next(
        iter(
            Analyzer([str(checkpoint)], device="cpu")
            .analyze(load_evidence(SAMPLES / sample))
            .results.values()
        )
    )
    tp = float((result.mask & gt).sum())
    f1 = 2 * tp / float(result.mask.sum() + gt.sum())
    return f1, float(roc_auc_score(gt.ravel(), result.heatmap.ravel()))


def card(checkpoint: Path, evaluation: dict, wall: str, floor_sample: str) -> str:
    from engine.checkpoints import file_sha256, read_meta

    meta = read_meta(checkpoint)
    m = evaluation["metrics"]
    conv = evaluation.get("conventions", {})
    d = meta.decision
    strategies = d.details.get("strategies", {})
    f1, auc = sample_figures(checkpoint, floor_sample)
    floor = round(max(0.0, f1 * 0.7), 3)
    auc_floor = round(0.5 + 0.7 * max(0.0, auc - 0.5), 3)
    rows = "\n".join(
        f"| {k} | {v:.4f} | {conv.get(k, '')} |" for k, v in m.items() if isinstance(v, float)
    )
    table3 = "\n".join(
        f"| {name} | {s['threshold']:.4g} | {s['accuracy']:.3f} | {s['balanced_accuracy']:.3f} "
        f"| {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} |"
        for name, s in strategies.items()
    )
    config = json.dumps(meta.config)
    synth = (
        ", plus the project's synthetic forgeries of the training split's authentic photographs"
        if "synth" in json.dumps(meta.training.get("data", []))
        else ""
    )
    return f"""# {meta.name or checkpoint.stem}

**Architecture:** `{meta.architecture}` (CRFD-Net, `papers/crfd-net.md`), config `{config}`.
Input: sliding windows of {meta.input_policy.window} px at stride {meta.input_policy.stride},
fused as §3.3. Decision: {d.rule} rule, mask = heatmap > {d.pixel_threshold}.
File SHA-256: `{file_sha256(checkpoint)}`.

## What it knows, and what it does not

Trained from scratch (no pretrained weights exist on this machine) on the training split of
CASIA v1.0 (`casia1-dev`: hand-made splices and copy-moves of 384x256 JPEG photographs){synth}.
**It is weak.** On held-out CASIA scenes it localizes little better than chance and its
image-level verdicts are close to a coin toss (figures below). Treat its heatmap as a weak hint,
never as a finding on its own.

Not trained on, and not expected to detect: face swaps and reenactment, diffusion or GAN
generated or edited regions, social-media re-encoding, photographs far from CASIA's size and
JPEG quality.

## How it was made

```
{meta.training.get("recipe") or meta.training.get("command", "")}
```
Reproduce with `make weights DATA=../shared/data/casia1-dev`
(`packaging/recipes/crfd-net-compact.sh`). Wall time: {wall}.
Split: {json.dumps(d.details.get("split", {}))}.

## Threshold θ

{d.provenance}.
p_real_max = {d.details.get("p_real_max", float("nan")):.4g} (authentic training images),
p_fake_min = {d.details.get("p_fake_min", float("nan")):.4g} (tampered validation images).
{"The two ranges overlap, so no θ separates them; the Table-3 alternatives on the validation split:" if d.details.get("overlap") else "The Table-3 alternatives on the validation split:"}

| strategy | θ | accuracy | balanced acc. | precision | recall | F1 |
| --- | --- | --- | --- | --- | --- | --- |
{table3}

## Measured on the held-out validation split

{m.get("images")} images ({m.get("tampered")} tampered, {m.get("authentic")} authentic), through the
same path as `forensic-viewer scan` (`forensic-train eval --split val`).

| figure | value | convention |
| --- | --- | --- |
{rows}

## Regression floor

regression-floor: {floor_sample} pixel-f1 {floor} pixel-auc {auc_floor}

(measured F1 {f1:.3f} and AUC {auc:.3f} on that bundled sample when the card was written; the
test suite fails if the bundled file and pipeline fall below either floor. The AUC floor catches
a model that flags everything, which the F1 floor alone would let pass.)

## Licence of the training data

CASIA Image Tampering Detection Evaluation Database v1.0, J. Dong, W. Wang, T. Tan, ChinaSIP
2013; credit: Institute of Automation, Chinese Academy of Sciences; research use only. The
weights are derived from it: use them for research.
"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint", type=Path)
    p.add_argument("eval_json", type=Path)
    p.add_argument("--wall", required=True, help="training wall time, in words")
    p.add_argument("--floor-sample", default="coffee-copymove.jpg")
    a = p.parse_args(argv)
    text = card(a.checkpoint, json.loads(a.eval_json.read_text()), a.wall, a.floor_sample)
    out = a.checkpoint.with_suffix(".md")
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
