"""The devices a user can name (``--device``, the viewer's device choice), read without torch.

:mod:`engine.devices` resolves a name to a torch device, which imports torch (seconds); the
command line checks the name first with :func:`device_name_problem`, so that ``--device gpu``
is refused at once, and also for a ``--ray`` scan, whose devices are its nodes' (what this
machine has says nothing of them, but a name no machine has is a mistake everywhere).
"""

from __future__ import annotations

from enum import StrEnum


class DeviceChoice(StrEnum):
    AUTO = "auto"
    CPU = "cpu"
    CUDA = "cuda"
    MPS = "mps"


def device_name_problem(asked: str) -> str | None:
    """Why ``asked`` names no kind of device (one line), or None: its kind, before any ``:N``,
    is one of :class:`DeviceChoice`. Whether this machine has it is
    :func:`engine.devices.resolve_device`'s to say (torch)."""
    kind = str(asked).partition(":")[0]
    if kind in {c.value for c in DeviceChoice}:
        return None
    return f"device must be one of {[c.value for c in DeviceChoice]}, got {str(asked)!r}"
