"""Shared by the tests of the card writers in packaging/ (scripts, not an importable package:
the folder's name is the PyPI ``packaging``'s)."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def packaging_script(name: str) -> ModuleType:
    """``packaging/<name>.py`` loaded as the module ``name``."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "packaging" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def bundled(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A models folder with a checkpoint ``net`` and an ensemble ``ens``, and their SHA-256."""
    models = tmp_path / "models"
    models.mkdir()
    (models / "net.safetensors").write_bytes(b"weights of net")
    (models / "ens.ensemble.json").write_bytes(b"{}")
    files = (("net", models / "net.safetensors"), ("ens", models / "ens.ensemble.json"))
    shas = {m: hashlib.sha256(p.read_bytes()).hexdigest() for m, p in files}
    return models, shas
