"""Training families: what the trainer does with an architecture, by the family it declares.

An architecture declares its family when it is registered (``register_model(..., family=...)``
in its file under ``engine/models/``; ``engine.models.registry``). :data:`FAMILIES` maps each
family to what training it needs: the module and classes of its objectives
(``trainer.objectives``: a ``fit`` objective, and a ``pretrain`` one for a family trained in two
stages) and the batch size the training dialog proposes. A variant is trained by its declared
family only: a name is never read for one (``m2f-tiny-fcn`` declaring no family is not a
Mask2Former), and a variant declaring ``family=None`` cannot be trained here
(:func:`family_of` says so in one line, and the dialog does not offer it).

A new family: its objective in ``trainer/objectives/`` (what an objective provides: that
package's docstring), its row here, and ``family="..."`` in its variants' registrations
(docs/TRAINING.md, "A new architecture").

This module is plain Python and imports no torch (the viewer's training dialog reads it through
``trainer.plan``); the functions that look an architecture up import the model registry, which
imports torch, when they are called.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    """What training one family needs.

    module: the module of its objectives, imported only when one is asked for.
    fit: the class name of its ``fit`` objective (masks and labels).
    pretrain: the class name of its ``pretrain`` objective (stage 1 before ``fit``), or None
        for a family trained in one stage.
    batch_size: the batch size the training dialog proposes (the objective's paper setting
        where it fits a CPU).
    """

    module: str
    fit: str
    pretrain: str | None = None
    batch_size: int = 4


FAMILIES: dict[str, Family] = {
    "crfd-net": Family("trainer.objectives.crfd", "CRFDObjective", batch_size=4),
    "m2f": Family("trainer.objectives.mask2former", "Mask2FormerObjective", batch_size=8),
    "diffforensics": Family(
        "trainer.objectives.diffforensics",
        "DiffForensicsObjective",
        "DiffForensicsPretrainObjective",
        batch_size=16,
    ),
}
HERE = "trainer/families.py"  # where a family's row goes, for the errors that send one here


def family_of(arch: str) -> str:
    """The training family ``arch`` declares; ValueError, in one line naming the file to
    edit, for an unknown architecture, one that declares none, or one whose family has no
    row in :data:`FAMILIES`."""
    from engine.models.registry import get_spec  # imports torch

    try:
        spec = get_spec(arch)
    except KeyError as e:  # "unknown model 'x'; registered models: ..."
        raise ValueError(f"no training objective for architecture '{arch}': {e.args[0]}") from None
    if spec.family is None:
        raise ValueError(
            f"no training objective for architecture '{arch}': its registration in "
            f"{spec.source} declares family=None; declare one of "
            f"{', '.join(FAMILIES)} (register_model(..., family=...)), or add a family with "
            f"its objective to FAMILIES in {HERE}"
        )
    if spec.family not in FAMILIES:
        raise ValueError(
            f"no training objective for architecture '{arch}': its family '{spec.family}' "
            f"(declared in {spec.source}) has no row in FAMILIES in {HERE}; "
            f"known families: {', '.join(FAMILIES)}"
        )
    return spec.family


def trainable(arch: str) -> bool:
    """Whether ``arch`` is a registered variant with a training family."""
    return _family(arch) is not None


def two_stages(arch: str) -> bool:
    """Whether ``arch``'s family is pre-trained (stage 1) before it is fitted on masks
    (stage 2), as DiffForensics is; False for an architecture that cannot be trained."""
    family = _family(arch)
    return family is not None and family.pretrain is not None


def family_batch_size(arch: str) -> int:
    """The batch size the dialog proposes for ``arch`` (its family's; 4 without one)."""
    family = _family(arch)
    return family.batch_size if family is not None else 4


def family_error(arch: str) -> ValueError | None:
    """:func:`family_of`'s error for ``arch`` (why it cannot be trained), None when it can."""
    try:
        family_of(arch)
    except ValueError as e:
        return e
    return None


def _family(arch: str) -> Family | None:
    try:
        return FAMILIES[family_of(arch)]
    except ValueError:
        return None
