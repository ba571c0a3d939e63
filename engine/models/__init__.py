"""Architectures. Importing this package registers every variant in the registry."""

from __future__ import annotations

from engine.models.registry import create_model, get_spec, list_models, register_model

# Architecture files register their variants on import; keep this list in sync with the folder.
from engine.models import crfd_net  # noqa: E402,F401,I001

__all__ = ["create_model", "get_spec", "list_models", "register_model"]
