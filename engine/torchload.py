"""The one reader of ``torch.save`` files that a user names.

Plain state dicts given as checkpoints, pretrained backbone and encoder weights
(``--model-config backbone_weights=FILE``) and the trainer's ``last.resume.pt`` are all read by
:func:`load_torch_file`: ``torch.load(weights_only=True)`` on the CPU, never with a fallback.

PyTorch refuses a file holding anything but tensors and plain containers with an
``UnpicklingError`` whose text advises retrying with ``weights_only=False``, the one thing that
must never be done with a file of unknown origin (unpickling it can run any code). That error
also covers bytes that are no pickle at all. So the refusal here is one line naming the file
and giving the reason in our words; PyTorch's text is never repeated (it stays on the
exception chain for debugging).
"""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path
from typing import Any

import torch

from engine.errors import CheckpointError
from engine.files import not_regular_reason, open_regular

REFUSED = (
    "not a file of plain tensors (it holds other Python objects, or is no PyTorch file at "
    "all); refused, as unpickling it could run code"
)


def load_torch_file(path: str | Path, what: str = "file") -> Any:
    """What ``torch.save`` wrote to ``path``, read with ``weights_only=True`` onto the CPU.

    what: how the file is called in errors (``"resume file"``, ``"backbone weights"``).
    Raises :class:`CheckpointError` naming ``path`` when the file is missing, unreadable,
    damaged, or holds anything but tensors and plain values.
    """
    path = Path(path)
    if not path.exists():
        raise CheckpointError(path, f"no such {what}")
    try:
        with warnings.catch_warnings(), open_regular(path) as f:  # a pipe: refused, not waited on
            # PyTorch's note on a pickle protocol it did not write: about the file, not the user
            warnings.filterwarnings("ignore", message="Detected pickle protocol")
            return torch.load(f, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        raise CheckpointError(path, f"cannot read {what}: {REFUSED}") from e
    except EOFError as e:
        raise CheckpointError(path, f"cannot read {what}: the file is empty or truncated") from e
    except OSError as e:
        raise CheckpointError(
            path, not_regular_reason(e) or f"cannot read {what} ({e.strerror or e})"
        ) from e
    except Exception as e:  # zip damage (RuntimeError), odd records (ValueError, KeyError, ...)
        raise CheckpointError(
            path, f"damaged {what}: not a readable PyTorch file ({_brief(e)})"
        ) from e


def _brief(e: BaseException) -> str:
    """The first sentence of PyTorch's message, unless it is advice about ``weights_only``."""
    first = str(e).strip().split("\n")[0].split(". ")[0].strip().rstrip(".")
    if not first or "weights_only" in first or "weights only" in first.lower():
        return type(e).__name__
    return first[:160]
