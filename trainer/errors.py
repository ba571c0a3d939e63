"""Errors a trainer user can cause (bad folder, empty data set, a mask that does not fit).

They reuse the engine's :class:`~engine.errors.ForensicError`, so ``str(error)`` is always one
line naming the file; the command line prints it and exits with status 2, never a traceback.
"""

from __future__ import annotations

from engine.errors import ForensicError


class DataError(ForensicError):
    """A data set cannot be used as given (missing folder, no images, mask missing or misfit)."""


class UsageError(ForensicError):
    """An argument combination that cannot work (unknown architecture, window too small, ...)."""
