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

:func:`objective_for` maps an architecture to the objective of the family it declares at
registration (``register_model(..., family=...)``; the table of families and their objectives is
:data:`trainer.families.FAMILIES`) and imports the family's module only then, so a family whose
module is missing or broken affects only itself.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol

import torch
from torch import nn

from trainer.families import FAMILIES, family_of

STAGES = ("fit", "pretrain")


class Objective(Protocol):
    def __call__(
        self, model: nn.Module, images: torch.Tensor, masks: torch.Tensor, labels: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, float]]: ...


def objective_for(arch: str, stage: str = "fit", **kw: Any) -> Objective:
    """The objective for training ``arch`` at ``stage`` (``"fit"`` or ``"pretrain"``).

    Keyword arguments go to the objective's constructor. Raises ValueError with a one-line
    reason when the family has no objective for the stage or its module cannot be imported.
    """
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, got {stage!r}")
    family = FAMILIES[family_of(arch)]
    module_name = family.module
    cls_name = family.fit if stage == "fit" else family.pretrain
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
