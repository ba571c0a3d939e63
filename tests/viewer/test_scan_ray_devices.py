"""What a Ray scan's actors ask of the cluster for each --device (a CUDA code review,
2026-12-06: ``cuda:0`` and ``cuda:N`` asked for CPUs only, and Ray hides the GPUs from an
actor that asks for none), and ``cuda:N`` above 0 refused in one line: inside an actor the GPU
Ray gives it is ``cuda:0``. A fake cluster (``ray.cluster_resources`` reporting 2 GPUs): no
Ray instance is started."""

from __future__ import annotations

from pathlib import Path

import pytest

from forensic_viewer.cli import main
from forensic_viewer.scan.pool_worker import AnalyzerRecipe
from tests.conftest import write_rgb
from tests.viewer.conftest import scan_args

ray = pytest.importorskip("ray")


@pytest.fixture
def two_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ray, "cluster_resources", lambda: {"CPU": 8.0, "GPU": 2.0})


@pytest.mark.parametrize("device", ["auto", "cuda", "cuda:0"])
def test_every_cuda_device_asks_ray_for_a_gpu_per_actor(two_gpus: None, device: str) -> None:
    from forensic_viewer.scan.ray_pool import _resources

    recipe = AnalyzerRecipe(models=("m",), device=device)
    assert _resources(recipe, threads=2, actors=2) == {"num_cpus": 2, "num_gpus": 1.0}


def test_the_cpu_asks_for_no_gpu(two_gpus: None) -> None:
    from forensic_viewer.scan.ray_pool import _resources

    recipe = AnalyzerRecipe(models=("m",), device="cpu")
    assert _resources(recipe, threads=2, actors=2) == {"num_cpus": 2}


def test_cuda_1_under_ray_is_refused_before_a_session(
    tmp_path: Path, two_gpus: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import forensic_viewer.scan.ray_pool as ray_pool
    from forensic_viewer.scan.ray_pool import run_ray_scan

    def no_session(*_: object) -> None:
        raise AssertionError("a Ray session was opened for a device its actors cannot see")

    monkeypatch.setattr(ray_pool, "ray_session", no_session)
    recipe = AnalyzerRecipe(models=("m",), device="cuda:1")
    with pytest.raises(ValueError, match="give --device cuda"):
        run_ray_scan([], recipe, tmp_path / "out", source="t", address="head:6379")
    assert not (tmp_path / "out").exists()


def test_scan_ray_with_cuda_1_is_a_one_line_usage_error(
    tmp_path: Path, tiny_checkpoint: Path, capsys
) -> None:
    folder = tmp_path / "ev"
    folder.mkdir()
    write_rgb(folder / "a.png", 70, 90, seed=1)
    out = tmp_path / "out"
    args = scan_args(folder, out, tiny_checkpoint, "--ray", "head:6379", "--device", "cuda:1")
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cuda:1" in err[0] and "--device cuda" in err[0], err
    assert not (out / "results.jsonl").exists()
