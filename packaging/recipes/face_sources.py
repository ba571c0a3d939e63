"""Split the real face photographs into train / validation / test folders for the face model.

usage: python packaging/recipes/face_sources.py OUT --faces-real DIR --photos DIR --casia DIR

Writes ``OUT/{train,val,test}/`` holding symbolic links to the source photographs (the shared
data is never copied), and ``OUT/parts.json`` naming each photograph's part and why. The face
forgeries of each part are then made from that part's photographs only (``forensic-train synth
--kind faces``), so no person, photograph or swap donor crosses a part.

- ``faces-real`` (FASSEG): by person (``trainer.data.faces.identity_of``: the pose series name
  the person; a frontal photograph is its own group), a fixed hash of the person into test
  (20 %), validation (15 %) and train (65 %).
- ``camera-photos``: the halves the verdict already uses (``trainer.verdict_features.photo_part``):
  ``camera-val`` to validation, ``camera-test`` to test; none to training, so the false-alarm
  figure on camera faces comes from photographs that chose nothing.
- CASIA ``Au``: the validation and test parts of ``trainer.data.splits.three_way_split``, so a
  CASIA photograph is in the same part for the face model as for every other model. Its
  training part (519 photographs) is left out: it holds about 8 faces of at least 48 pixels,
  and on this 2-core machine under load searching it took over an hour (2026-12-02).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from trainer.data.faces import identity_of  # noqa: E402
from trainer.data.records import read_dataset  # noqa: E402
from trainer.data.splits import three_way_split  # noqa: E402
from trainer.verdict_features import photo_part  # noqa: E402

SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff"}
TEST_SHARE, VAL_SHARE = 0.20, 0.15


def person_part(identity: str) -> str:
    """train / val / test for a FASSEG person, from a hash that never depends on the others."""
    h = int(hashlib.sha256(f"faces-real/{identity}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    if h < TEST_SHARE:
        return "test"
    return "val" if h < TEST_SHARE + VAL_SHARE else "train"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--faces-real", type=Path, required=True)
    ap.add_argument("--photos", type=Path, required=True)
    ap.add_argument("--casia", type=Path, required=True)
    args = ap.parse_args(argv)
    table: dict[str, dict[str, str]] = {}
    for p in sorted(args.faces_real.iterdir()):
        if p.suffix.lower() in SUFFIXES:
            who = identity_of(p.stem)
            table[str(p.resolve())] = {"part": person_part(who), "why": f"faces-real/{who}"}
    for p in sorted(args.photos.iterdir()):
        if p.suffix.lower() in SUFFIXES:
            part = photo_part(p.name).removeprefix("camera-")
            table[str(p.resolve())] = {"part": part, "why": "camera-photos"}
    parts = three_way_split(read_dataset(args.casia))
    for name, samples in zip(("val", "test"), parts[1:], strict=True):
        for s in samples:
            if s.label == 0:
                table[str(s.image.resolve())] = {"part": name, "why": "casia-au"}
    for name in ("train", "val", "test"):
        (args.out / name).mkdir(parents=True, exist_ok=True)
    for src, row in table.items():
        source = Path(src)
        prefix = {"faces-real": "fr", "camera-photos": "cam", "casia-au": "casia"}
        tag = prefix[row["why"].split("/")[0]]
        link = args.out / row["part"] / f"{tag}_{source.name}"
        if not link.is_symlink():
            link.symlink_to(source)
    (args.out / "parts.json").write_text(json.dumps(table, indent=1), encoding="utf-8")
    counts: dict[str, int] = {}
    for row in table.values():
        key = f"{row['part']}/{row['why'].split('/')[0]}"
        counts[key] = counts.get(key, 0) + 1
    print(json.dumps(dict(sorted(counts.items()))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
