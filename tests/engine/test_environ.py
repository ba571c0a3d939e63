"""The per-user folders read from the environment (engine.environ)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.runtime import cache_dir


def test_the_cache_follows_localappdata_on_windows_and_xdg_and_its_own_variable_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Windows (``%LOCALAPPDATA%`` set, no ``$XDG_CACHE_HOME``) the OpenVINO conversions go
    to ``%LOCALAPPDATA%\\forensic-viewer``, not to a ``~/.cache`` no other program there uses;
    ``$XDG_CACHE_HOME`` wins over it as ``$XDG_DATA_HOME`` wins over ``%APPDATA%``, and
    ``$FORENSIC_VIEWER_CACHE`` over both. Nothing set: ``~/.cache/forensic-viewer``."""
    home, local, xdg, own = (tmp_path / n for n in ("home", "Local", "xdg", "own"))
    monkeypatch.setenv("HOME", str(home))
    for name in ("FORENSIC_VIEWER_CACHE", "XDG_CACHE_HOME", "LOCALAPPDATA"):
        monkeypatch.delenv(name, raising=False)
    assert cache_dir() == home / ".cache" / "forensic-viewer"
    monkeypatch.setenv("LOCALAPPDATA", str(local))
    assert cache_dir() == local / "forensic-viewer"
    monkeypatch.setenv("XDG_CACHE_HOME", "")  # empty counts as unset
    assert cache_dir() == local / "forensic-viewer"
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg))
    assert cache_dir() == xdg / "forensic-viewer"
    monkeypatch.setenv("FORENSIC_VIEWER_CACHE", str(own))
    assert cache_dir() == own


@pytest.mark.parametrize("variable", ["XDG_DATA_HOME", "XDG_CACHE_HOME"])
def test_a_relative_xdg_folder_is_ignored_as_the_specification_says(
    variable: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``XDG_DATA_HOME=data`` (relative) put the default case, the user's models and runs in
    ``data/forensic-viewer`` of whichever folder the program started in: the viewer started
    from another folder wrote another case log and found none of the models. The XDG
    specification calls a relative path invalid, to be ignored."""
    from engine.environ import user_cache_dir, user_data_dir

    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("APPDATA", "LOCALAPPDATA"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv(variable, "relative/folder")
    expected = {
        "XDG_DATA_HOME": (user_data_dir, home / ".local" / "share" / "forensic-viewer"),
        "XDG_CACHE_HOME": (user_cache_dir, home / ".cache" / "forensic-viewer"),
    }
    folder, default = expected[variable]
    assert folder() == default
    assert folder().is_absolute()


@pytest.mark.parametrize(
    "variable",
    [
        "FORENSIC_VIEWER_CACHE",
        "FORENSIC_VIEWER_CASE",
        "FORENSIC_VIEWER_MODELS",
        "FORENSIC_VIEWER_RESOURCES",
    ],
)
@pytest.mark.parametrize("program", ["forensic-viewer models", "forensic-viewer", "forensic-train"])
def test_a_relative_folder_of_the_programs_own_variables_is_refused_at_start(
    variable: str,
    program: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``FORENSIC_VIEWER_CASE=case`` (relative) was read as given: each process started from
    another folder (a resumed scan, the viewer started from its desktop entry) logged into
    another case, found other models, kept another cache. Both programs refuse it at start,
    in one line naming the variable (exit 2), before doing anything; ``~`` counts as absolute."""
    import forensic_viewer.gui.app
    from engine.environ import relative_path_setting
    from forensic_viewer.cli import EXIT_USAGE
    from forensic_viewer.cli import main as viewer
    from trainer.cli import main as trainer

    started: list[object] = []  # the viewer's window, had it started (never, here)
    monkeypatch.setattr(forensic_viewer.gui.app, "run_gui", lambda *a: started.append(a) or 0)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(variable, "~/folder")
    assert relative_path_setting() is None
    monkeypatch.setenv(variable, "relative\x1b[2J/folder")
    run = {
        "forensic-viewer models": lambda: viewer(["models"]),
        "forensic-viewer": lambda: viewer([str(tmp_path / "no-such.png")]),
        "forensic-train": lambda: trainer(["check", "--data", str(tmp_path)]),
    }[program]
    capsys.readouterr()
    assert run() == EXIT_USAGE
    said, err = capsys.readouterr()
    (line,) = err.splitlines()
    assert f"error: {variable}=relative\\x1b[2J/folder is not an absolute path: " in line, line
    assert said == "" and list(tmp_path.iterdir()) == []  # nothing made where it was started
    assert started == []
