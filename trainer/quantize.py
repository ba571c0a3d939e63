"""Make the int8 OpenVINO model of a bundled network (issue 18): ``make int8 DATA=...``.

    python -m trainer.quantize --data DIR --model CKPT [--model CKPT ...] [--images N]

Post-training quantisation with NNCF (``nncf.quantize``, its default symmetric preset and fast
bias correction) of the fp32 OpenVINO model the fast path converts (``engine.runtime``), for
the tile shape the fast path gives that network (``engine.fastpath``: crfd-net, any height and
width; window-tiled networks, their window). Calibration: ``--images`` images (300) of the
*training* part of the data folder (:func:`trainer.data.splits.three_way_split`, seed 0: the
part the bundled models were trained on; validation and test never calibrate), chosen by a
seeded draw over file names; crfd-net sees each image whole (on CASIA, one tile per image as on
the fast path), a window-tiled network one window-sized crop of it at a seeded position.

Writes ``NAME.int8.xml`` / ``.bin`` beside the checkpoint and ``NAME.int8.json`` with the key
:func:`engine.runtime.bundled_int8` checks (checkpoint SHA-256, shape, precision, recipe version),
the SHA-256 of the ``.xml`` and ``.bin`` (``files``, checked at every load) and how it was made. The same checkpoint, data and library versions give the same three files
byte for byte (checked: the shipped crfd-net-compact model was remade identically). Why the int8 model is made here and shipped, not made on the analyst's
machine: ``engine/runtime.py``. Whether it is kept: ``bench/bench_fastpath_accuracy.py`` on
CASIA validation (a network whose int8 model misses the bound ships no int8 files).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from engine.checkpoints import load_checkpoint
from engine.fastpath import plan_for
from engine.formatting import plain
from engine.io import load_evidence
from engine.preprocess import to_tensor
from engine.runtime import export_openvino, int8_digests, int8_files, int8_key, read_ir
from trainer.data.records import read_dataset
from trainer.data.splits import three_way_split

SEED = 0
IMAGES = 300


def calibration_inputs(
    data: Path, shape: tuple[int, int] | None, count: int = IMAGES, seed: int = SEED
) -> list[np.ndarray]:
    """Normalised ``[1, 3, H, W]`` inputs from the training part of ``data``: whole images when
    ``shape`` is None, else one crop of ``shape`` per image (smaller images padded with zeros)."""
    train, _, _ = three_way_split(read_dataset(data), seed=seed)
    train = sorted(train, key=lambda s: s.image.name)
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(train), size=min(count, len(train)), replace=False)
    out = []
    for i in sorted(int(i) for i in chosen):
        x = to_tensor(np.array(load_evidence(train[i].image).pixels))  # a writable copy
        if shape is not None:
            th, tw = shape
            h, w = x.shape[2:]
            x = torch.nn.functional.pad(x, (0, max(0, tw - w), 0, max(0, th - h)))
            y0 = int(rng.integers(0, x.shape[2] - th + 1))
            x0 = int(rng.integers(0, x.shape[3] - tw + 1))
            x = x[:, :, y0 : y0 + th, x0 : x0 + tw]
        out.append(x.contiguous().numpy())
    return out


def quantize_checkpoint(checkpoint: Path, data: Path, count: int = IMAGES) -> Path:
    """Quantise one checkpoint's fast-path model; returns the ``.int8.xml`` written."""
    import nncf
    import openvino as ov

    loaded = load_checkpoint(checkpoint)
    plan = plan_for(loaded.meta.architecture, loaded.meta.input_policy)
    shape = None if plan.shrink else (plan.tile, plan.tile)
    inputs = calibration_inputs(data, shape, count)
    fp32 = export_openvino(loaded.model.eval(), shape)
    q = nncf.quantize(fp32, nncf.Dataset(inputs), subset_size=len(inputs))
    meta, xml = int8_files(checkpoint)
    ov.save_model(q, str(xml), compress_to_fp16=False)
    versions = {"nncf": nncf.__version__, "openvino": ov.__version__.split("-")[0]}
    record = int8_record(loaded.sha256, shape, xml, checkpoint.name, data.name, len(inputs))
    record["versions"] = versions
    record["made_by"] = "trainer/quantize.py"
    meta.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return xml


def int8_record(
    sha256: str, shape: tuple[int, int] | None, xml: Path, checkpoint: str, data: str, images: int
) -> dict[str, object]:
    """``NAME.int8.json`` but its versions: the key :func:`engine.runtime.bundled_int8` checks,
    the SHA-256 of the ``.xml`` and ``.bin`` at ``xml`` (``files``: checked at every load and
    named in every result, :func:`engine.runtime.checked_int8_files`), and the calibration."""
    return {
        "key": int8_key(sha256, shape),
        "files": int8_digests(xml, read_ir(xml)),
        "checkpoint": checkpoint,
        "calibration": {
            "data": "training part of three_way_split (seed 0) of " + data,
            "images": images,
            "input": "whole image" if shape is None else f"one {shape[0]}x{shape[1]} crop",
            "seed": SEED,
            "method": "nncf.quantize, default preset, fast bias correction",
        },
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m trainer.quantize", description=__doc__)
    p.add_argument("--data", required=True, type=Path, help="a Tp/Gt/Au folder (CASIA)")
    p.add_argument("--model", action="append", required=True, type=Path, help="a checkpoint")
    p.add_argument("--images", type=int, default=IMAGES, help="calibration images")
    args = p.parse_args(argv)
    if not args.data.is_dir():
        print(f"{plain(args.data)}: not a folder", file=sys.stderr)
        return 2
    for m in args.model:
        if not m.is_file():
            print(f"{plain(m)}: no such checkpoint", file=sys.stderr)
            return 2
    for m in args.model:
        written = quantize_checkpoint(m, args.data, args.images)
        print(f"{plain(m)}: int8 model written to {plain(written)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
