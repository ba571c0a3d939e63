"""The build specifications ship every bundled file the code loads, and the frozen build's
entry point and install scripts do what they say (no build here: ``test_dist_builds.py``)."""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from engine import provenance, resources
from engine.resources import PACKAGE_DATA, bundled_files, resources_dir

ROOT = Path(__file__).resolve().parents[2]
CHECKOUT = ROOT / "resources"
SPEC = ROOT / "packaging" / "dist" / "forensic-viewer.spec"
DIST = ROOT / "packaging" / "dist"


def _spec_value(name: str, names: dict[str, Any] | None = None) -> Any:
    """The value the spec assigns to ``name``, read without running PyInstaller: its
    expression evaluated with ``names`` (what the spec imports) in scope."""
    for node in ast.parse(SPEC.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == name:
            return eval(compile(ast.Expression(node.value), str(SPEC), "eval"), dict(names or {}))
    raise AssertionError(f"{SPEC} has no {name} list")


def _spec_bundled_data() -> list[tuple[str, str]]:
    """The spec's ``BUNDLED_DATA`` list."""
    return _spec_value("BUNDLED_DATA")


def test_package_data_patterns_match_every_file_in_resources() -> None:
    on_disk = sorted(p.relative_to(CHECKOUT).as_posix() for p in CHECKOUT.rglob("*") if p.is_file())
    assert on_disk, f"nothing in {CHECKOUT}"
    # a file added to resources/ that no pattern names would be missing from every install
    assert bundled_files(CHECKOUT) == on_disk


def test_pyproject_package_data_ships_every_bundled_file() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"][resources.PACKAGE]
    package_dir = ROOT / resources.PACKAGE
    shipped = {
        p.relative_to(package_dir / resources.DATA_DIR).as_posix()
        for pat in patterns
        for p in package_dir.glob(pat)
    }
    assert shipped == set(bundled_files(CHECKOUT))
    assert {f"{resources.DATA_DIR}/{p}" for p in PACKAGE_DATA} == set(patterns)


def test_pyinstaller_spec_ships_every_bundled_file_where_the_code_looks() -> None:
    shipped = set()
    for src, dest in _spec_bundled_data():
        for path in ROOT.glob(src):
            shipped.add(f"{dest}/{path.name}")
    expected = {f"{resources.PACKAGE}/{resources.DATA_DIR}/{f}" for f in bundled_files(CHECKOUT)}
    assert shipped == expected


def _spec_copied_metadata() -> list[str]:
    """The distributions whose metadata the spec copies into the bundle here: its
    ``METADATA`` list and the loop that copies it (skipping what is not installed), run with
    PyInstaller's ``copy_metadata`` recording the names it is given."""
    tree = ast.parse(SPEC.read_text(encoding="utf-8"))
    nodes = [
        node
        for node in tree.body
        if (isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "METADATA")
        or (isinstance(node, ast.For) and getattr(node.iter, "id", "") == "METADATA")
    ]
    assert len(nodes) == 2, f"{SPEC}: no METADATA list and loop over it"
    copied: list[str] = []
    names = {
        **vars(provenance),
        "datas": [],
        "copy_metadata": lambda name: copied.append(name) or [],
    }
    exec(compile(ast.Module(body=nodes, type_ignores=[]), str(SPEC), "exec"), names)
    return copied


def test_the_spec_ships_the_metadata_of_every_library_a_result_records() -> None:
    """facenet-pytorch was missing from the spec's list: every frozen result and report said
    "facenet-pytorch: not installed" beside faces MTCNN had found (walk-through pkg, finding 1).
    What the spec copies is checked against what is installed here, each library a result
    records looked up by its own name (review rva, finding 7: the test had evaluated the
    spec's own expression and compared it with itself, and its skip of a library that is
    not installed on the building machine was untested)."""
    from importlib import metadata

    def installed(name: str) -> bool:
        try:
            metadata.distribution(name)
        except metadata.PackageNotFoundError:
            return False
        return True

    recorded = ["forensic-viewer", *provenance.LIBRARIES]  # what a result's versions name
    assert provenance.APP_PACKAGE == "forensic-viewer"
    expected = {name for name in recorded if name == "forensic-viewer" or installed(name)}
    assert {"torch", "numpy", "pillow", "openvino"} <= expected  # this venv's own libraries
    assert set(_spec_copied_metadata()) == expected


def test_the_spec_leaves_out_ray_which_the_frozen_build_does_not_offer() -> None:
    assert "ray" in _spec_value("EXCLUDES")


def test_resources_dir_is_the_package_data_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORENSIC_VIEWER_RESOURCES", raising=False)
    found = resources_dir()
    assert (found / "models").is_dir() and (found / "samples" / "samples.json").is_file()
    assert found == (ROOT / resources.PACKAGE / resources.DATA_DIR).resolve()


def test_resources_dir_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORENSIC_VIEWER_RESOURCES", str(tmp_path))
    assert resources_dir() == tmp_path
    assert bundled_files() == []


@pytest.fixture
def frozen_main(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.syspath_prepend(str(DIST))
    import frozen_main

    return frozen_main


def test_frozen_entry_picks_the_tool_by_the_name_it_is_started_under(frozen_main: Any) -> None:
    assert frozen_main.program_for("/opt/x/forensic-train") == "trainer.cli"
    assert frozen_main.program_for("forensic-train") == "trainer.cli"
    assert frozen_main.program_for("/home/a/.local/bin/forensic-viewer") == "forensic_viewer.entry"
    assert frozen_main.program_for("./anything-else") == "forensic_viewer.entry"
    for module in frozen_main.PROGRAMS.values():  # both exist (not imported: torch is slow)
        assert importlib.util.find_spec(module) is not None, module


def test_frozen_entry_runs_a_module_like_python_dash_m(
    frozen_main: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the viewer's training dialog starts `sys.executable -m trainer.cli ARGS`
    (tmp_path / "echo_args.py").write_text(
        "import sys, pathlib\n"
        "if __name__ == '__main__':\n"
        "    pathlib.Path(sys.argv[1]).write_text(' '.join(sys.argv[2:]))\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "argv.txt"
    monkeypatch.setattr(sys, "argv", ["/x/forensic-viewer", "-m", "echo_args", str(out), "a", "b"])
    assert frozen_main.main() == 0
    assert out.read_text() == "a b"
    # torchrun starts each rank of `forensic-train --nproc N` as `<executable> -u -m trainer.cli`
    monkeypatch.setattr(sys, "argv", ["/x/forensic-viewer", "-u", "-m", "echo_args", str(out), "c"])
    assert frozen_main.main() == 0
    assert out.read_text() == "c"


@pytest.mark.parametrize(
    ("args", "call"),
    [
        (["-m", "trainer.cli", "fit"], ("trainer.cli", ["fit"], set())),
        (["-u", "-m", "trainer.cli", "--arch", "x"], ("trainer.cli", ["--arch", "x"], {"u"})),
        (["-uB", "-mtrainer.cli", "-m"], ("trainer.cli", ["-m"], {"u", "B"})),
        (["-X", "dev", "-Wignore", "-m", "m", "a"], ("m", ["a"], set())),
        (["-um", "m"], ("m", [], {"u"})),
        (["--version"], None),
        (["-u", "photo.jpg"], None),
        (["-m"], None),
        (["scan", "-m", "x"], None),
        (["-h", "-m", "x"], None),
        ([], None),
    ],
)
def test_frozen_entry_reads_interpreter_options_before_dash_m_as_python_does(
    frozen_main: Any, args: list[str], call: tuple[str, list[str], set[str]] | None
) -> None:
    assert frozen_main.module_call(args) == call


@pytest.fixture
def unpacked(tmp_path: Path) -> Path:
    """A folder laid out like the unpacked tarball, with a stand-in program."""
    app = tmp_path / "unpacked" / "forensic-viewer"
    app.mkdir(parents=True)
    for name in ("install.sh", "uninstall.sh", "prefix.sh"):
        (app / name).write_bytes((DIST / name).read_bytes())
        (app / name).chmod(0o755)
    (app / "forensic-viewer.desktop").write_bytes(
        (ROOT / "packaging" / "forensic-viewer.desktop").read_bytes()
    )
    (app / "forensic-viewer.svg").write_bytes(
        (ROOT / "resources" / "icons" / "forensic-viewer.svg").read_bytes()
    )
    (app / "forensic-viewer").write_text('#!/bin/sh\necho "ran $(basename "$0") $*"\n')
    (app / "forensic-viewer").chmod(0o755)
    (app / "forensic-train").symlink_to("forensic-viewer")
    return app


def test_install_registers_the_viewer_and_uninstall_removes_it(
    unpacked: Path, tmp_path: Path
) -> None:
    prefix = tmp_path / "home dir" / ".local"  # a space in the path, as in real homes
    env = {**os.environ, "HOME": str(tmp_path / "home dir")}
    subprocess.run(["sh", str(unpacked / "install.sh")], check=True, env=env, capture_output=True)
    appdir = prefix / "lib" / "forensic-viewer"
    entry = (prefix / "share" / "applications" / "forensic-viewer.desktop").read_text()
    icon = prefix / "share" / "icons" / "hicolor" / "scalable" / "apps" / "forensic-viewer.svg"
    assert f'Exec="{appdir}/forensic-viewer" %F' in entry.splitlines()
    assert f"Icon={icon}" in entry.splitlines() and icon.is_file()
    mime = next(line for line in entry.splitlines() if line.startswith("MimeType="))
    assert {"image/jpeg", "image/png", "image/tiff"} <= set(mime[9:].split(";"))
    ran = subprocess.run([prefix / "bin" / "forensic-train", "x"], capture_output=True, text=True)
    assert ran.stdout.strip() == "ran forensic-train x"

    foreign = tmp_path / "elsewhere"
    foreign.write_text("")
    (prefix / "bin" / "forensic-viewer").unlink()
    (prefix / "bin" / "forensic-viewer").symlink_to(foreign)  # e.g. a pip-installed one
    subprocess.run(["sh", str(appdir / "uninstall.sh")], check=True, env=env, capture_output=True)
    assert not appdir.exists() and not icon.exists()
    assert not (prefix / "share" / "applications" / "forensic-viewer.desktop").exists()
    assert not (prefix / "bin" / "forensic-train").exists()
    assert (prefix / "bin" / "forensic-viewer").is_symlink(), "a link that is not ours is kept"


def test_install_refuses_a_folder_without_the_program(unpacked: Path, tmp_path: Path) -> None:
    (unpacked / "forensic-viewer").unlink()
    done = subprocess.run(
        ["sh", str(unpacked / "install.sh"), "--prefix", str(tmp_path / "p")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "forensic-viewer is missing" in done.stderr
    assert not (tmp_path / "p" / "lib").exists()


def test_install_makes_a_relative_or_tilde_prefix_absolute(unpacked: Path, tmp_path: Path) -> None:
    """``--prefix relpre`` reported success with links pointing nowhere (exit 127) and a
    relative Exec in the desktop entry; ``--prefix=~/x`` made a folder named "~" (an
    installer's walk-through, 2026-12-06)."""
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    env = {**os.environ, "HOME": str(home)}
    script = str(unpacked / "install.sh")
    subprocess.run(["sh", script, "--prefix", "relpre"], cwd=work, check=True, env=env)
    prefix = work / "relpre"
    ran = subprocess.run([prefix / "bin" / "forensic-viewer"], capture_output=True, text=True)
    assert ran.stdout.strip() == "ran forensic-viewer"
    entry = (prefix / "share" / "applications" / "forensic-viewer.desktop").read_text()
    assert f'Exec="{prefix}/lib/forensic-viewer/forensic-viewer" %F' in entry.splitlines()

    subprocess.run(["sh", script, "--prefix=~/x"], cwd=work, check=True, env=env)
    assert (home / "x" / "bin" / "forensic-viewer").resolve().is_file()
    assert not (work / "~").exists()


@pytest.mark.parametrize("argv", [["--prefix"], ["--prefix="]])
def test_install_without_a_prefix_value_says_so_in_one_line(
    unpacked: Path, tmp_path: Path, argv: list[str]
) -> None:
    done = subprocess.run(
        ["sh", str(unpacked / "install.sh"), *argv], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr.startswith("install.sh: --prefix needs a folder")
    assert len(done.stderr.splitlines()) == 1 and "parameter not set" not in done.stderr
    assert not (tmp_path / "lib").exists() and not (tmp_path / "bin").exists()
