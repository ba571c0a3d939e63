"""Shared fixtures. Qt runs offscreen in every test; torch uses few threads so tests stay
predictable on 2-core machines."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_NUM_THREADS", "1")  # child processes (trainer runs) too
# The fast path runs on PyTorch in tests: no OpenVINO conversion (seconds per network) and no
# writes to the user cache; tests/engine/test_runtime.py tests OpenVINO in a temporary folder.
os.environ.setdefault("FORENSIC_VIEWER_RUNTIME", "torch")

import gc
import re
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

torch.set_num_threads(1)  # 2 threads on 2 shared cores run several times slower


def _timeout_scale() -> float:
    """``$FORENSIC_VIEWER_TEST_TIMEOUT_SCALE``: how many times longer than the defaults every
    hang guard waits (1 unless set; the defaults pass a 2-core machine four times loaded)."""
    raw = os.environ.get("FORENSIC_VIEWER_TEST_TIMEOUT_SCALE", "1")
    try:
        scale = float(raw)
    except ValueError:
        scale = 0.0
    if not 0 < scale < float("inf"):
        raise pytest.UsageError(
            f"FORENSIC_VIEWER_TEST_TIMEOUT_SCALE={raw!r} is not a number above 0 (a factor on "
            "every hang guard of the tests, 1 by default)"
        )
    return scale


TIMEOUT_SCALE = _timeout_scale()
# The one hang guard of every wait in the tests on a child process, a thread or a Qt signal
# (qtbot.waitUntil/waitSignal take HANG_MS): a wait that lasts this long is a hang, and the
# test fails saying what it waited for, rather than the suite waiting forever. Never a
# measure of speed (benchmarks are): a loaded machine makes a test slower, not red. The
# longest wait, a training run started from the training dialog, takes 67 s with the load
# average at 6 on 2 cores, and ran past 240 s at 11; 600 s leaves room for twice that load.
HANG_S = 600.0 * TIMEOUT_SCALE
HANG_MS = int(HANG_S * 1000)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """pytest-timeout's limit of a whole test (``--timeout``, pyproject.toml's addopts) scaled
    as the hang guards are, before the plugin reads it: it stays above any one wait's guard."""
    limit = getattr(config.option, "timeout", None)
    if limit:
        config.option.timeout = float(limit) * TIMEOUT_SCALE


# The line a scan writes on stderr per file when stderr is not a terminal (forensic_viewer.
# cli_progress.ProgressBar.file_line): "[2/4] f1.png: not flagged, 0 s".
PROGRESS_LINE = re.compile(r"\[\d+/\d+\] ")


def said_lines(err: str) -> list[str]:
    """``err``'s lines without the per-file progress lines (:data:`PROGRESS_LINE`): what a
    command said beside its progress."""
    return [ln for ln in err.strip().splitlines() if not PROGRESS_LINE.match(ln)]


# Variants of parametrized tests marked slow (kept out of ``make test``, run by ``make test-all``):
# "file::test" -> the parameter ids. Each family keeps one variant in ``make test``; whole tests
# carry ``@pytest.mark.slow`` where they are defined. Chosen from ``pytest --durations`` on
# 2026-12-06, when the suite had grown past its 15-minute target (17 min on the idle machine).
SLOW_VARIANTS: dict[str, frozenset[str]] = {
    "tests/trainer/test_cli_signals.py::test_a_stop_signal_sent_three_times_still_exits_with_the_first_ones_status": frozenset(
        {"hup", "term"}
    ),
    "tests/viewer/test_model_cards_odd_files.py::test_models_name_with_a_pipe_as_its_card_notes_it_and_shows_the_header": frozenset(
        {"/dev/zero", "fifo"}
    ),
    "tests/viewer/test_model_cards_odd_files.py::test_selftest_with_a_pipe_as_a_card_fails_that_check_naming_it": frozenset(
        {"/dev/zero"}
    ),
    "tests/viewer/test_model_cards_odd_files.py::test_selftest_with_a_pipe_as_a_mask_fails_naming_it": frozenset(
        {"/dev/zero", "fifo"}
    ),
    "tests/viewer/test_model_cards_odd_files.py::test_selftest_with_a_pipe_as_an_ensembles_card_fails_that_check_naming_it": frozenset(
        {"/dev/zero", "fifo"}
    ),
    "tests/viewer/test_model_cards_odd_files.py::test_selftest_with_a_pipe_as_samples_json_fails_naming_it": frozenset(
        {"/dev/zero", "fifo"}
    ),
    "tests/viewer/test_quit_threads.py::test_quitting_while_the_models_are_prepared_ends_cleanly": frozenset(
        {"sigterm-143"}
    ),
    "tests/viewer/test_scan_disk_full.py::test_a_failed_scans_end_in_the_case_log_has_the_seconds_and_settings_a_finished_ones_has": frozenset(
        {"2"}
    ),
    "tests/viewer/test_scan_disk_full.py::test_scan_json_says_the_run_failed_and_why_when_it_can_be_written": frozenset(
        {"2"}
    ),
    "tests/viewer/test_scan_folder_odd_files.py::test_an_odd_scan_log_met_while_the_scan_runs_exits_2_with_one_line_naming_it": frozenset(
        {"fifo"}
    ),
    "tests/viewer/test_scan_interrupted.py::test_a_pooled_scan_stopped_with_a_file_in_flight_leaves_it_out_of_the_csv": frozenset(
        {"cancel"}
    ),
    "tests/viewer/test_scan_interrupted.py::test_ctrl_c_pressed_three_times_still_exits_130_with_one_line": frozenset(
        {"0.2"}
    ),
    "tests/viewer/test_scan_interrupted.py::test_the_command_stopped_by_a_signal_leaves_csv_and_summary": frozenset(
        {"15"}
    ),
    "tests/viewer/test_stop_signals.py::test_a_stop_signal_closes_the_viewers_window_as_quit_does": frozenset(
        {"hup", "term"}
    ),
}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the :data:`SLOW_VARIANTS` slow before ``-m 'not slow'`` deselects by mark."""
    for item in items:
        base, _, rest = item.nodeid.partition("[")
        if rest and rest[:-1] in SLOW_VARIANTS.get(base, ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True, scope="module")
def _unfrozen_after_each_module() -> Iterator[None]:
    """What :func:`_garbage_collected_in_the_gui_thread` froze is collectable again once the
    module ends: cycles dropped later in the module are collected with the next module's."""
    yield
    gc.unfreeze()


@pytest.fixture(autouse=True)
def _garbage_collected_in_the_gui_thread(request: pytest.FixtureRequest) -> Iterator[None]:
    """What the application does (``forensic_viewer.gui.app.collect_garbage_in_gui_thread``),
    for tests with a QApplication: no automatic cycle collection while the test runs (it
    could fire in an analysis thread and destroy Qt objects there: a segmentation fault CI
    met), and a collection in this, the GUI, thread before and after.

    What survives the first collection is frozen (``gc.freeze``) until the module ends: the
    collection after the test then looks only at what was made since, not again at the
    half-million objects torch, Qt and the rest left behind (about 0.2 s a collection here),
    and still collects everything the test made and dropped."""
    if not {"qtbot", "qapp"} & set(request.fixturenames):
        yield
        return
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.collect()
        gc.enable()


@pytest.fixture(autouse=True)
def _pillows_guard_restored() -> Iterator[None]:
    """``load_evidence`` sets Pillow's process-wide ``MAX_IMAGE_PIXELS`` to its limit: a test
    that loads with a small ``max_pixels`` must not leave later tests' plain ``Image.open`` at
    it (CI met tests/engine/test_probe.py refusing its 5,120-pixel copies after one did)."""
    from PIL import Image

    was = Image.MAX_IMAGE_PIXELS
    yield
    Image.MAX_IMAGE_PIXELS = was


@pytest.fixture(autouse=True)
def _per_user_folder_of_the_test(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The per-user folder (``engine.environ.user_data_dir``: the default case, the user's
    models, training runs, the output and report folders proposed for evidence) of each test is in its
    own tmp_path: a test never writes into, or reads from, the analyst's own. The OpenVINO
    cache (``$XDG_CACHE_HOME``) stays shared: conversions are keyed by content."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "user-data"))


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """Torch on one thread for a module of tiny tensors (``pytestmark =
    pytest.mark.usefixtures("one_torch_thread")``), whatever an earlier module left it at:
    small ops gain nothing from a second thread, and on a shared 2-core machine two threads
    wait on each other whenever another process holds a core (measured 4x slower)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def make_tiny_checkpoint(path: Path, name: str = "tiny", seed: int = 0) -> Path:
    """A small CRFD-Net checkpoint with random weights (seeded) saved as ``path``: for
    plumbing, never for findings."""
    from engine.checkpoints import CheckpointMeta, DecisionRule, InputPolicy, save_checkpoint
    from engine.models import create_model
    from engine.models.registry import config_to_dict

    torch.manual_seed(seed)
    model = create_model("crfd-net-compact", channels=(8, 16, 32))
    meta = CheckpointMeta(
        architecture="crfd-net-compact",
        config=config_to_dict(model.config),
        input_policy=InputPolicy(window=64, stride=32),
        decision=DecisionRule(threshold=0.1, provenance="test fixture, random weights"),
        name=name,
    )
    return save_checkpoint(path, model, meta)


@pytest.fixture
def tiny_checkpoint(tmp_path: Path) -> Path:
    """A small CRFD-Net checkpoint with random weights: for plumbing, never for findings."""
    return make_tiny_checkpoint(tmp_path / "tiny.safetensors")


def write_calibrated_pair(checkpoint: Path) -> Path:
    """An ensemble file "pair" of ``checkpoint`` beside it, with a calibration and its measured
    reliability ("1 of 20 authentic test images (5 %)" flagged), for what reports and tables
    say."""
    import json

    ensemble = checkpoint.parent / "pair.ensemble.json"
    reliability = {"flagged": {"authentic test images": [1, 20]}, "split": "test part"}
    calibration = {"a": 1.0, "b": 0.0, "fitted_on": "test", "reliability": reliability}
    data = {"name": "pair", "members": [{"model": checkpoint.name}], "calibration": calibration}
    ensemble.write_text(json.dumps(data), encoding="utf-8")
    return ensemble


def write_rgb(path: Path, h: int = 80, w: int = 96, seed: int = 0, fmt: str | None = None) -> Path:
    """Write a random-texture RGB image and return its path."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    arr = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
    Image.fromarray(arr).save(path, format=fmt)
    return path


def deep_copy(root: Path, part: str, levels: int, data: bytes, name: str = "x.png") -> str:
    """``data`` written as ``name`` at the end of a chain of ``levels`` folders named ``part``
    below ``root``, made through folder descriptors (a path beyond the system's limit cannot
    be named to ``mkdir``, and seized folder trees can be that deep); its path below ``root``."""
    fd = os.open(root, os.O_RDONLY)
    try:
        for _ in range(levels):
            os.mkdir(part, dir_fd=fd)
            inner = os.open(part, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        out = os.open(name, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out, data)
        os.close(out)
    finally:
        os.close(fd)
    return "/".join([part] * levels + [name])


def memory_evidence(pixels: np.ndarray, file_size: int = 0) -> Any:
    """An Evidence of ``pixels`` [H, W, 3] uint8 that no file backs (path ``mem.png``)."""
    from engine.types import Evidence

    h, w = pixels.shape[:2]
    return Evidence(
        path="mem.png", sha256="0" * 64, file_size=file_size, format="PNG", width=w, height=h,
        mode="RGB", frames=1, orientation=1, orientation_applied=False, metadata={},
        warnings=[], pixels=pixels,
    )  # fmt: skip


def run_bounded(code: str, *args: str | Path, timeout: float = HANG_S) -> str:
    """``code`` (dedented) run by a child Python in this checkout with ``args`` as its
    ``sys.argv[1:]``; its stdout. For readers that could wait on a named pipe: a wait inside
    native code is not ended by pytest-timeout's signal, so a child still running after
    ``timeout`` seconds is killed and the test fails, rather than the suite hanging."""
    import subprocess
    import sys
    import textwrap

    root = Path(__file__).resolve().parents[1]
    try:
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(root)},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as e:
        said = e.stdout.decode() if isinstance(e.stdout, bytes) else e.stdout or ""
        pytest.fail(
            f"still waiting after {timeout:g} s (a reader waiting on a named pipe?); "
            f"it had printed: {said!r}"
        )
    assert done.returncode == 0, done.stderr
    return done.stdout


def hang_up_as_default() -> None:
    """The child starts with SIGHUP at its default, as from a terminal, whatever the test run
    inherited: under ``nohup`` (or a CI runner that ignores SIGHUP) the program rightly keeps
    ignoring it, and a test of the stop would see the run go on."""
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
