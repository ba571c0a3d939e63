"""Write the SHA-256 of the CASIA images that trained or chose the bundled models.

    python packaging/casia_images.py ../shared/data/casia1-dev [OUT]

OUT defaults to ``resources/models/casia-images.json``: hashes only, never an image or a path.
``scan --gt`` (``forensic_viewer.scan.truth_trained.bundled_seen``) matches each scored file's
SHA-256 against it, so that figures of a bundled model on images it was trained on or chose
something on carry a "not held out" note whatever folder the images were copied to: a bundled
checkpoint's header records no data path to compare with (it was trained in ``runs/`` from
relative JSON lists), and a scan of CASIA's own held-out part printed the bundled models' AUCs
with no note (QA walk-through, 2026-12-06) while ``forensic-train eval`` noted them.

The parts are the split every recipe uses (``packaging/recipes/split_casia.py``: by source
photograph, 15 % held out, seed 0, the held-out part halved by
``trainer.data.splits.three_way_split`` into validation and test). What each bundled file took
from which part is :data:`ROLES`, from its model card; each entry records the file's SHA-256,
so a retrained file (another SHA-256) gets no note until this script is run again
(``make weights`` runs it; ``tests/viewer/test_truth_trained.py`` checks the records against
the bundled files).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.files import sha256_of  # noqa: E402
from trainer.data.records import read_dataset  # noqa: E402
from trainer.data.splits import split_samples, three_way_split  # noqa: E402

OUT = ROOT / "resources" / "models" / "casia-images.json"
# Per bundled file: the parts whose images trained it and those that chose something of it
# (its best epoch, θ, the probability curve, stacking weights, the face rule), and how, in the
# cards' words. The four networks chose their epoch on the two-way split's whole held-out part
# (validation + test) and θ on validation; the face model trained on the faces of the training
# part's photographs and chose on validation; the ensembles chose their weights, θ and face
# rule on validation.
_MEMBER = ("train",), ("validation", "test"), "epoch on the held-out part, θ on validation"
ROLES: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "crfd-net-compact.safetensors": _MEMBER,
    "diffforensics-effl0.safetensors": _MEMBER,
    "m2f-effl0.safetensors": _MEMBER,
    "m2f-swin-nano.safetensors": _MEMBER,
    "diffforensics-faces.safetensors": (
        ("train",),
        ("validation",),
        "epoch and θ on validation (it trained on the faces of the training part's photographs)",
    ),
    "bundled-ensemble.ensemble.json": ((), ("validation",), "weights, θ and face rule"),
    "m2f-ensemble.ensemble.json": ((), ("validation",), "weights and θ"),
}


def build(data: Path, models: Path) -> dict[str, object]:
    """The resource's content: each part's image hashes (sorted) and each bundled file's roles."""
    samples = read_dataset(str(data))
    split = split_samples(samples, 0.15, "auto", 0)
    train, validation, test = three_way_split(samples, 0.15, "auto", 0)
    parts = {"train": train, "validation": validation, "test": test}
    hashes = {name: sorted({str(sha256_of(s.image)) for s in part}) for name, part in parts.items()}
    files: dict[str, object] = {}
    for file, (trained, chose, how) in ROLES.items():
        path = models / file
        if not path.is_file():
            continue  # not bundled in this checkout: no record
        files[file.split(".")[0]] = {
            "sha256": sha256_of(path),
            "trained": list(trained),
            "chose": list(chose),
            "how": how,
        }
    return {
        "about": (
            "SHA-256 of the CASIA v1.0 images (casia1-dev) in each part of the bundled models' "
            "split, and which parts trained or chose each bundled file; written by "
            "packaging/casia_images.py"
        ),
        "data": "CASIA v1.0",
        "split": {
            **split.describe(),
            "validation_images": len(validation),
            "test_images": len(test),
        },
        "parts": hashes,
        "models": files,
    }


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path, help="the Tp/Gt/Au folder the bundled models came from")
    ap.add_argument("out", type=Path, nargs="?", default=OUT)
    args = ap.parse_args(argv)
    content = build(args.data, OUT.parent)
    args.out.write_text(json.dumps(content, indent=0) + "\n", encoding="utf-8")
    counts = {k: len(v) for k, v in content["parts"].items()}  # type: ignore[attr-defined]
    print(json.dumps({"out": str(args.out), "images": counts, "files": list(content["models"])}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
