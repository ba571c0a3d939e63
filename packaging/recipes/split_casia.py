"""Write the leak-free train/validation split of a Tp/Gt/Au data set as two JSON pair lists.

    python packaging/recipes/split_casia.py DATA OUT_DIR

Writes ``OUT_DIR/train.json`` and ``OUT_DIR/val.json`` (IMDL-BenCo JsonDataset format: ``[image,
mask]`` pairs, ``"Negative"`` for authentic images) with the split ``forensic-train fit`` makes by
default (by source photograph, 15 %, seed 0), and the two halves of that held-out part
(``trainer.data.splits.three_way_split``, docs/VERDICTS.md): ``choose.json``, the validation part
that chooses checkpoints and thresholds, and ``test.json``, the test part that only reports. The
recipes validate on ``choose.json`` so that the test part chooses nothing. It also links the training split's authentic images
into ``OUT_DIR/au-train/`` so that synthetic forgeries are made only from training photographs
(no validation photograph reaches training through a synthetic copy).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from trainer.data.records import read_dataset
from trainer.data.splits import split_samples, three_way_split


def main(data: str, out: str) -> int:
    out_dir = Path(out)
    (out_dir / "au-train").mkdir(parents=True, exist_ok=True)
    samples_all = read_dataset(data)
    split = split_samples(samples_all, 0.15, "auto", 0)
    _, choose, test = three_way_split(samples_all, 0.15, "auto", 0)
    parts = (("train", split.train), ("val", split.val), ("choose", choose), ("test", test))
    for name, samples in parts:
        # Absolute paths: the JSON's relative entries would be read against its own folder, so
        # a relative DATA (the documented ../shared/data/casia1-dev) would point nowhere.
        pairs = [
            [str(s.image.resolve()), str(s.mask.resolve()) if s.mask else "Negative"]
            for s in samples
        ]
        (out_dir / f"{name}.json").write_text(json.dumps(pairs, indent=0), encoding="utf-8")
    linked = 0
    for s in split.train:
        if s.mask is None:
            link = out_dir / "au-train" / s.image.name
            if not link.exists():
                os.symlink(Path(s.image).resolve(), link)
            linked += 1
    counts = {"choose_images": len(choose), "test_images": len(test)}
    print(json.dumps({**split.describe(), **counts, "authentic_linked": linked}))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
