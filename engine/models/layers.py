"""Pieces shared by the architecture files (not an architecture: the registry skips it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class Shaped(Protocol):
    """Anything with a ``shape``: a tensor, or a tensor as a file's header declares it."""

    @property
    def shape(self) -> Any: ...


def state_mismatch(expected: Mapping[str, Shaped], state: Mapping[str, Shaped]) -> str | None:
    """Why ``state`` does not fit a module whose state dict is ``expected``, or None if it fits.

    One line: counts and examples of missing and unexpected tensors, and of tensors whose shape
    differs. Checkpoints, backbone and encoder weight files all load all-or-nothing through it
    (checkpoints first with the shapes their header declares, before any tensor is read).
    """
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = sorted(
        f"'{k}' has shape {tuple(state[k].shape)}, needs {tuple(expected[k].shape)}"
        for k in set(state) & set(expected)
        if tuple(state[k].shape) != tuple(expected[k].shape)
    )
    parts = [
        f"{len(keys)} {label} (e.g. {keys[0]})"
        for label, keys in (
            ("missing", missing),
            ("unexpected", unexpected),
            ("wrong shape", wrong),
        )
        if keys
    ]
    return ", ".join(parts) or None
