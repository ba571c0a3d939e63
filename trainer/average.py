"""Weight averaging: one checkpoint whose weights are the mean of several.

A uniform "model soup" (Wortsman et al., ICML 2022) or stochastic weight averaging (Izmailov et
al., UAI 2018) without its special schedule: checkpoints fine-tuned from one starting point lie
in one basin of the loss, and their average is usually better and steadier than any one of
them, without choosing an epoch on validation data (the bundled ``diffforensics-effl0`` is such
an average, see its recipe).

Rules: every checkpoint must have the same architecture and configuration, ``*_weights``
initialisation fields aside (else the first one that differs is named); floating tensors are
averaged in fp32 (BatchNorm running statistics too: an approximation SWA refines by
re-estimating them, which needs no labels but a pass over data, left out here); integer tensors
(BatchNorm's step counters) are taken from the last checkpoint. The metadata is the last checkpoint's, with ``training.averaged_from`` listing every
source with its SHA-256, and the decision rule marked for re-calibration: θ and the pixel
threshold of a member do not carry over to the average (run ``forensic-train calibrate``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.checkpoints import (
    INIT_WEIGHT_SUFFIX,
    CheckpointMeta,
    LoadedModel,
    load_checkpoint,
    save_checkpoint,
)
from engine.files import suffix_is
from trainer.errors import UsageError


def _shape(config: dict[str, Any]) -> dict[str, Any]:
    """The configuration without the ``*_weights`` fields: those name what initialised a part
    before training (an ImageNet file, or none when fine-tuned with --init), not the network."""
    return {k: v for k, v in config.items() if not k.endswith(INIT_WEIGHT_SUFFIX)}


def _source(path: Path, loaded: LoadedModel) -> dict[str, Any]:
    """What the average records of one source: file, hash and how it was trained."""
    return {
        "path": str(path),
        "sha256": loaded.sha256,
        "command": loaded.meta.training.get("recipe") or loaded.meta.training.get("command", ""),
    }


def average_checkpoints(paths: list[Path]) -> LoadedModel:
    """The average of ``paths`` as a loaded model (weights and metadata, see the module doc)."""
    if len(paths) < 2:
        raise UsageError(paths[0] if paths else None, "averaging needs at least two checkpoints")
    first = load_checkpoint(paths[0], device="cpu")
    sums = {k: v.detach().float().clone() for k, v in first.model.state_dict().items()}
    sources: list[dict[str, Any]] = [_source(paths[0], first)]
    last = first
    for path in paths[1:]:
        other = load_checkpoint(path, device="cpu")
        if (other.meta.architecture, _shape(other.meta.config)) != (
            first.meta.architecture,
            _shape(first.meta.config),
        ):
            raise UsageError(
                path,
                f"{other.meta.architecture} with another configuration than {paths[0].name} "
                f"({first.meta.architecture}); only checkpoints of one configuration average",
            )
        for k, v in other.model.state_dict().items():
            sums[k] += v.detach().float()
        sources.append(_source(path, other))
        last = other
    n = len(paths)
    state = {}
    for k, v in last.model.state_dict().items():
        state[k] = (sums[k] / n).to(v.dtype) if v.is_floating_point() else v
    last.model.load_state_dict(state)
    meta = CheckpointMeta.from_json(last.meta.to_json())
    meta.training = {**meta.training, "averaged_from": sources}
    meta.decision.provenance = (
        f"inherited from {paths[-1].name}, not calibrated for the average of {n} checkpoints: "
        "run forensic-train calibrate"
    )
    meta.decision.details = {}
    meta.metrics = {}
    meta.created = ""
    return LoadedModel(model=last.model, meta=meta, path=None, sha256="")


def run_average(paths: list[Path], out: Path, command: str) -> Path:
    """Average ``paths`` into ``out``; the command line is recorded in the metadata."""
    if not suffix_is(out, ".safetensors"):
        raise UsageError(out, "the averaged checkpoint must end in .safetensors")
    averaged = average_checkpoints(paths)
    averaged.meta.training["command"] = command
    averaged.meta.training.pop("recipe", None)
    return save_checkpoint(out, averaged.model, averaged.meta)
