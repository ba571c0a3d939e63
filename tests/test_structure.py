"""The shape of the code that docs/ARCHITECTURE.md promises: no import loops, short files.

The import contracts themselves (only ``forensic_viewer.gui`` imports Qt, the engine imports no
other package, the viewer's floors) are import-linter's, run by ``make lint``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("engine", "trainer", "forensic_viewer")
MAX_LINES = 700
LONG_FILE_MARK = "Long file:"  # in the module docstring, with the reason


def _cycles(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """Every import loop between modules of ``package`` (function-level imports included)."""
    mods = sorted(m for m in graph.modules if m == package or m.startswith(package + "."))

    def deps(m: str) -> list[str]:
        # a package's own submodules importing it (or it them) is how packages work, not a loop
        return sorted(
            d
            for d in graph.find_modules_directly_imported_by(m)
            if d in mods and not m.startswith(d + ".") and not d.startswith(m + ".")
        )

    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: finished

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for d in deps(m):
            if state.get(d) == 1:
                found.append([*path[path.index(d) :], d])
            elif d not in state:
                visit(d, [*path, d])
        state[m] = 2

    for m in mods:
        if m not in state:
            visit(m, [m])
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_loops(package: str) -> None:
    graph = grimp.build_graph(package, cache_dir=None)
    assert _cycles(graph, package) == []


def test_the_loop_finder_finds_a_loop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "loopy"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from loopy import b\n")
    (pkg / "b.py").write_text("from loopy import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("loopy", cache_dir=None)
    assert _cycles(graph, "loopy") in (
        [["loopy.a", "loopy.b", "loopy.a"]],
        [["loopy.b", "loopy.a", "loopy.b"]],
    )


def _docstring(path: Path) -> str:
    return ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""


def test_long_files_say_why() -> None:
    too_long = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            lines = path.read_text(encoding="utf-8").count("\n")
            if lines > MAX_LINES and LONG_FILE_MARK not in _docstring(path):
                too_long.append(f"{path.relative_to(ROOT)} ({lines} lines)")
    assert too_long == [], f"over {MAX_LINES} lines without a '{LONG_FILE_MARK}' reason"
