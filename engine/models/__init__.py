"""Architectures. Importing this package registers every variant in the registry.

Each architecture lives in its own module of this package and registers its variants at import
time; every module here except the helpers (``registry``, ``layers``, ``backbones``: they
register nothing) is imported below, so adding an architecture is adding a file. Its
registrations declare what the rest of the program reads about it (its training family, its
fast-path tiling: :mod:`engine.models.registry`), never its name.
"""

from __future__ import annotations

import importlib
import pkgutil

from engine.models.registry import create_model, get_spec, list_models, register_model

_NOT_ARCHITECTURES = {"registry", "layers", "backbones"}

for _info in pkgutil.iter_modules(__path__):
    if _info.name not in _NOT_ARCHITECTURES and not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")

__all__ = ["create_model", "get_spec", "list_models", "register_model"]
