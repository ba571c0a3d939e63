"""Fixtures shared by the engine's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine import catalog


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path]]:
    """Empty (bundled, user) model folders in place of the real ones (the cached bundled
    names, which fit and calibrate refuse as --name, forgotten before and after)."""
    bundled, user = tmp_path / "bundled", tmp_path / "user"
    bundled.mkdir()
    user.mkdir()
    monkeypatch.setattr(catalog, "BUNDLED_MODELS", bundled)
    monkeypatch.setenv("FORENSIC_VIEWER_MODELS", str(user))
    catalog.bundled_names.cache_clear()
    yield bundled, user
    catalog.bundled_names.cache_clear()
