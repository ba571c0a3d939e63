"""What ``forensic-train verdict`` refuses before it chooses anything, each in one line naming
the file: a ``--maps`` folder that is none or holds no map, and features rows too few to choose
on. A docs walk-through (2026-12-06) found both taken without a word: a wrong ``--maps`` folder
left the localization without maps and its summary then blamed ``--casia``, and 2 rows printed
"val AUC 0.000 [0.00, 0.00]  θ 0.0000" as if it were a choice."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from engine.calibration import MIN_IMAGES_PER_CLASS
from trainer.errors import UsageError

CHOSEN_ON = "casia-val"  # the part every image AUC, θ and member vote is chosen on


def check_maps(folder: Path) -> None:
    """A :class:`UsageError` naming a ``--maps`` folder that does not exist, is not a folder or
    holds no map (``.npz``)."""
    why = (
        "no such folder" if not folder.exists()
        else "not a folder" if not folder.is_dir()
        else "no map (.npz) in it" if next(folder.glob("*.npz"), None) is None
        else ""
    )  # fmt: skip
    if why:
        raise UsageError(
            folder,
            f"{why}: --maps takes the folder `features --out F.jsonl` writes beside it, F.maps",
        )


def refuse_few_rows(rows: Iterable[dict[str, Any]], features: Sequence[Path]) -> None:
    """A :class:`UsageError` naming the features files when their CASIA validation rows hold
    fewer than :data:`~engine.calibration.MIN_IMAGES_PER_CLASS` (5) images of a class, the
    floor below which ``calibrate`` refuses to set θ and no probability curve is fitted: one
    image would set θ, and an AUC of 1 + 1 images is 0 or 1."""
    labels = [int(r["label"]) for r in rows if r["part"] == CHOSEN_ON]
    tampered = sum(labels)
    authentic = len(labels) - tampered
    if min(tampered, authentic) >= MIN_IMAGES_PER_CLASS:
        return
    raise UsageError(
        ", ".join(str(p) for p in features),
        f"the verdicts are chosen on the CASIA validation rows ({CHOSEN_ON}), and there are "
        f"{tampered} tampered and {authentic} authentic, fewer than {MIN_IMAGES_PER_CLASS} of "
        "one: one image would set θ and the AUC would say nothing; make the features of more "
        "images (forensic-train features --parts val, every shard)",
    )
