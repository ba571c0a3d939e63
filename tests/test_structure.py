"""The shape of the code that docs/ARCHITECTURE.md promises: no import loops, short files.

The import contracts themselves (only ``forensic_viewer.gui`` imports Qt, the engine imports no
other package, the viewer's floors) are import-linter's, run by ``make lint``.
"""

from __future__ import annotations

import ast
import re
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


def test_long_file_marks_are_not_stale() -> None:
    # a mark left on a file split below the limit would excuse its next growth unseen
    stale = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            lines = path.read_text(encoding="utf-8").count("\n")
            if lines <= MAX_LINES and LONG_FILE_MARK in _docstring(path):
                stale.append(f"{path.relative_to(ROOT)} ({lines} lines)")
    assert stale == [], f"'{LONG_FILE_MARK}' on files within {MAX_LINES} lines: remove the mark"


WAITS_IN_MS = {"waitUntil", "waitSignal", "waitSignals", "waitCallback", "waitActive"}
LONGEST_FIXED_WAIT_S = 10.0  # longer, it is a hang guard: tests/conftest.py's HANG_S


def _fixed_waits(source: str) -> list[tuple[int, float]]:
    """(line, seconds) of every wait in ``source`` bounded by a number written in it: a
    ``timeout=`` (milliseconds for qtbot's waits), ``x.wait(n)`` (not ``qtbot.wait``, a pause),
    ``pytest.mark.timeout(n)`` and ``time.monotonic() + n``; the number may be a constant of
    the module (``TIMEOUT = 60_000``, which hid a hang guard of its own from this check)."""
    found: list[tuple[int, float]] = []
    tree = ast.parse(source)
    named = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, int | float)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            owner = node.func.value
            scale = 0.001 if name in WAITS_IN_MS else 1.0
            values = [k.value for k in node.keywords if k.arg == "timeout"]
            if name == "wait" and not (isinstance(owner, ast.Name) and owner.id == "qtbot"):
                values += node.args[:1]
            if name == "timeout" and isinstance(owner, ast.Attribute) and owner.attr == "mark":
                values += node.args[:1]
            if name == "monotonic" or not values:
                continue
            numbers = [
                named.get(v.id) if isinstance(v, ast.Name) else getattr(v, "value", None)
                for v in values
            ]
            found += [(node.lineno, n * scale) for n in numbers if isinstance(n, int | float)]
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = node.left
            if (
                isinstance(left, ast.Call)
                and isinstance(left.func, ast.Attribute)
                and left.func.attr == "monotonic"
                and isinstance(node.right, ast.Constant)
            ):
                found.append((node.lineno, float(node.right.value)))
    return sorted(found)


def test_no_test_waits_a_fixed_time_that_a_loaded_machine_can_exceed() -> None:
    """Hang guards are HANG_S/HANG_MS (tests/conftest.py, scaled by
    FORENSIC_VIEWER_TEST_TIMEOUT_SCALE): fixed budgets of their own (30-240 s) failed tests on
    CI's loaded 2-core machine that a slower run would have passed."""
    fixed = [
        f"{path.relative_to(ROOT)}:{line}: {seconds:g} s"
        for path in sorted((ROOT / "tests").rglob("*.py"))
        for line, seconds in _fixed_waits(path.read_text(encoding="utf-8"))
        if seconds >= LONGEST_FIXED_WAIT_S
    ]
    assert fixed == [], "use tests.conftest.HANG_S / HANG_MS"


def test_the_fixed_wait_finder_finds_each_kind() -> None:
    source = (
        "qtbot.waitUntil(f, timeout=60_000)\nqtbot.waitSignal(s, timeout=5_000)\n"
        "subprocess.run(a, timeout=120)\nchild.wait(30)\nqtbot.wait(50)\n"
        "@pytest.mark.timeout(600)\ndef t(): d = time.monotonic() + 300\n"
        "x.communicate(timeout=HANG_S)\nTIMEOUT = 60_000\nqtbot.waitUntil(f, timeout=TIMEOUT)\n"
    )
    found = [(1, 60.0), (2, 5.0), (3, 120), (4, 30), (6, 600), (7, 300.0), (10, 60.0)]
    assert _fixed_waits(source) == found


def test_slow_variants_name_tests_that_exist() -> None:
    """Every entry of tests/conftest.py's SLOW_VARIANTS names a test function of its file, and
    each family keeps a variant in ``make test``: a renamed test would drop out of the list
    unseen and run again in ``make test``."""
    from tests.conftest import SLOW_VARIANTS

    for node, ids in SLOW_VARIANTS.items():
        path, _, name = node.partition("::")
        text = (ROOT / path).read_text(encoding="utf-8")
        assert re.search(rf"^def {name}\(", text, re.M), node
        assert ids, node
