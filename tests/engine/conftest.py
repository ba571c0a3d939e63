"""Fixtures shared by the engine's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import catalog


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """Empty (bundled, user) model folders in place of the real ones."""
    bundled, user = tmp_path / "bundled", tmp_path / "user"
    bundled.mkdir()
    user.mkdir()
    monkeypatch.setattr(catalog, "BUNDLED_MODELS", bundled)
    monkeypatch.setenv("FORENSIC_VIEWER_MODELS", str(user))
    return bundled, user
