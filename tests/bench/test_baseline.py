"""bench.baseline: the baseline commit's tree, the speed-up ratios, the 12 MP plan and the
measuring half its child shares with bench_evidence's."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from bench import baseline, bench_evidence


def _git(repo: Path, *args: str) -> str:
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.org",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.org",
    )
    res = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, env=env
    )
    return res.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str]:
    """A repository of two commits; the first one's id."""
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q")
    (root / "engine").mkdir()
    (root / "engine" / "old.py").write_text("VERSION = 1\n")
    (root / "resources").mkdir()
    (root / "resources" / "model.bin").write_bytes(b"\x00\x01weights")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "first")
    first = _git(root, "rev-parse", "HEAD")
    (root / "engine" / "old.py").write_text("VERSION = 2\n")
    (root / "engine" / "new.py").write_text("")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "second")
    return root, first


def test_materialise_extracts_that_commits_tree_read_only(repo, tmp_path):
    root, first = repo
    tree = baseline.materialise(root, first[:7], tmp_path / "tree")
    assert (tree / "engine" / "old.py").read_text() == "VERSION = 1\n"
    assert not (tree / "engine" / "new.py").exists()  # added by the later commit
    assert (tree / "resources" / "model.bin").read_bytes() == b"\x00\x01weights"
    assert not (tree / ".git").exists()  # a tree, not a worktree
    for path in (tree / "engine" / "old.py", tree / "resources" / "model.bin"):
        assert not os.access(path, os.W_OK) or os.geteuid() == 0
        assert path.stat().st_mode & 0o222 == 0
    # the repository's own checkout is untouched
    assert (root / "engine" / "old.py").read_text() == "VERSION = 2\n"
    assert len(_git(root, "worktree", "list").splitlines()) == 1  # no worktree added


def test_materialise_names_an_unknown_commit(repo, tmp_path):
    root, _ = repo
    with pytest.raises(RuntimeError, match="git archive deadbeef"):
        baseline.materialise(root, "deadbeef", tmp_path / "tree")


def test_child_env_puts_the_tree_first_and_drops_todays_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("FORENSIC_VIEWER_RESOURCES", "/elsewhere")
    monkeypatch.setenv("FORENSIC_VIEWER_RUNTIME", "torch")
    env = baseline.child_env(tmp_path / "tree", tmp_path / "empty")
    assert env["PYTHONPATH"] == str(tmp_path / "tree")
    assert env["FORENSIC_VIEWER_MODELS"] == str(tmp_path / "empty")
    assert "FORENSIC_VIEWER_RESOURCES" not in env
    assert "FORENSIC_VIEWER_RUNTIME" not in env


def test_speedups_divide_the_scaled_baseline_by_the_fast_run():
    fast = {"wall_s": 5.0, "cpu_s": 8.0}
    assert baseline.speedups(fast, {"wall_s": 60.0, "cpu_s": 100.0}) == {"wall": 12.0, "cpu": 12.5}
    # a band of a fifth of the area: its seconds count five times
    assert baseline.speedups(fast, {"wall_s": 6.0, "cpu_s": 8.0}, scale=5.0) == {
        "wall": 6.0,
        "cpu": 5.0,
    }
    with pytest.raises(ValueError, match="wall_s must be positive"):
        baseline.speedups({"wall_s": 0.0, "cpu_s": 1.0}, {"wall_s": 1.0, "cpu_s": 1.0})


def test_plan_12mp_runs_whole_only_within_the_budget():
    one = {"wall_s": 60.0, "megapixels": 1.2}
    assert baseline.plan_12mp(one, 12.0, budget_s=700) == "whole"  # estimate 600 s
    assert baseline.plan_12mp(one, 12.0, budget_s=500) == "band"
    assert baseline.plan_12mp(one, 12.0, "whole", budget_s=1) == "whole"
    assert baseline.plan_12mp(one, 12.0, "band", budget_s=1e9) == "band"
    with pytest.raises(ValueError, match="auto, whole or band"):
        baseline.plan_12mp(one, 12.0, "half")


def test_the_childrens_measuring_half_cuts_the_band_and_times_first_and_warm_runs() -> None:
    """CHILD_MEASURE, run by the baseline's child and bench_evidence's: the band is that many
    rows through the middle, every analysis runs once plus repeat - 1 warm times, and the
    figures give the fastest warm run."""
    child: dict = {}
    exec(compile(baseline.CHILD_MEASURE, "CHILD_MEASURE", "exec"), child)
    ev = SimpleNamespace(pixels=np.arange(10 * 4 * 3, dtype=np.uint8).reshape(10, 4, 3), height=10)
    child["cut_band"](ev, 0)
    assert ev.pixels.shape == (10, 4, 3)
    whole = ev.pixels.copy()
    child["cut_band"](ev, 4)
    assert ev.height == 4 and np.array_equal(ev.pixels, whole[3:7])
    calls: list[object] = []
    an = SimpleNamespace(analyze=lambda e: calls.append(e) or "analysis")
    a, wall, cpu, warm = child["timed_analyses"](an, ev, 3)
    assert a == "analysis" and calls == [ev] * 3 and len(warm) == 2
    figures = child["figures"](ev, 0.5, 2.0, wall, cpu, [(3.0, 2.0), (1.0, 4.0)])
    assert figures["size"] == [4, 4] and figures["setup_s"] == 1.5
    assert (figures["warm_wall_s"], figures["warm_cpu_s"]) == (1.0, 2.0)
    assert child["figures"](ev, 0.0, 0.0, wall, cpu, [])["warm_wall_s"] is None
    for child_source in (baseline._CHILD, bench_evidence._CHILD):  # each whole child is Python
        compile(child_source, "child", "exec")
