"""Training objectives: what each architecture family is optimised for.

An objective is a callable ``objective(model, images, masks, labels) -> (loss, terms)``:

- images: [B, 3, H, W] normalised (``engine.preprocess``); masks: [B, 1, H, W] float in {0, 1};
  labels: [B] float in {0, 1} (1 = manipulated).
- loss: a scalar tensor to back-propagate; terms: ``dict[str, float]`` of named parts, logged.

Optional members the loop uses when present:

- ``parameters(model)``: the parameters to optimise (default: all of them);
- ``default_optim``: defaults for the optimizer, e.g. ``{"optimizer": "adamw", "lr": 1e-4,
  "weight_decay": 0.05, "schedule": "poly"}``, and ``"clip_grad"`` (else 1.0); command-line
  flags override them;
- ``sampling``: ``"windows"`` (CRFD-Net §3.3 windows) or ``"images"`` (augmented crops of whole
  images; the default);
- ``paper_window``: the paper's training window or input size, recorded beside the run's
  (:func:`trainer.fit_settings.window_note`); absent when the paper gives none;
- ``uses_masks``: False for objectives that ignore masks and labels (DiffForensics
  pre-training), so that authentic-only data sets are accepted.

The loop never looks at model outputs itself: CRFD-Net returns a tensor, Mask2Former and
DiffForensics return dicts, and only their objectives know which.

:func:`objective_for` maps an architecture name to its family's objective and imports the
family's module only then, so a family whose module is missing or broken affects only itself.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol

import torch
from torch import nn

# name prefix -> (module, fit objective class, pretrain objective class or None)
FAMILIES: dict[str, tuple[str, str, str | None]] = {
    "crfd-net": ("trainer.objectives.crfd", "CRFDObjective", None),
    "m2f-": ("trainer.objectives.mask2former", "Mask2FormerObjective", None),
    "diffforensics": (
        "trainer.objectives.diffforensics",
        "DiffForensicsObjective",
        "DiffForensicsPretrainObjective",
    ),
}
STAGES = ("fit", "pretrain")


class Objective(Protocol):
    def __call__(
        self, model: nn.Module, images: torch.Tensor, masks: torch.Tensor, labels: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, float]]: ...


def family_of(arch: str) -> str:
    """The family prefix of an architecture name; ValueError names the known families."""
    for prefix in FAMILIES:
        if arch.startswith(prefix):
            return prefix
    raise ValueError(
        f"no training objective for architecture '{arch}'; known families: "
        f"{', '.join(p.rstrip('-') for p in FAMILIES)}"
    )


def objective_for(arch: str, stage: str = "fit", **kw: Any) -> Objective:
    """The objective for training ``arch`` at ``stage`` (``"fit"`` or ``"pretrain"``).

    Keyword arguments go to the objective's constructor. Raises ValueError with a one-line
    reason when the family has no objective for the stage or its module cannot be imported.
    """
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, got {stage!r}")
    family = family_of(arch)
    module_name, fit_cls, pre_cls = FAMILIES[family]
    cls_name = fit_cls if stage == "fit" else pre_cls
    if cls_name is None:
        raise ValueError(f"architecture '{arch}' has no '{stage}' stage; use 'fit'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise ValueError(f"the training objective of '{arch}' is not available ({e})") from e
    cls = getattr(module, cls_name, None)
    if cls is None:
        raise ValueError(f"{module_name} does not define {cls_name}")
    return cls(**kw)


def trainable_parameters(objective: object, model: nn.Module) -> list[nn.Parameter]:
    """``objective.parameters(model)`` when defined, else every parameter that needs a gradient."""
    fn = getattr(objective, "parameters", None)
    params = list(fn(model)) if callable(fn) else list(model.parameters())
    return [p for p in params if p.requires_grad]
