"""``forensic-viewer selftest`` and ``--version`` (issue 23's installation check)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.catalog import BUNDLED_MODELS, SAMPLES
from forensic_viewer.cli import main
from forensic_viewer.scan.groundtruth import read_mask as read_truth_mask
from forensic_viewer.selftest import run_selftest
from tests.conftest import HANG_S


@pytest.fixture
def one_model(tmp_path: Path) -> Path:
    """A models folder holding one bundled checkpoint and its card (the quickest to run)."""
    out = tmp_path / "models"
    out.mkdir()
    for suffix in (".safetensors", ".md"):
        shutil.copy(BUNDLED_MODELS / f"crfd-net-compact{suffix}", out)
    return out


def test_selftest_passes_on_an_intact_model_and_says_what_it_checked(one_model: Path) -> None:
    lines: list[str] = []
    assert run_selftest(one_model, say=lines.append)
    text = "\n".join(lines)
    assert "ok   crfd-net-compact.safetensors: SHA-256 matches its card" in text
    assert "crfd-net-compact on coffee-copymove.jpg: pixel F1" in text
    assert lines[-1] == "self-test passed" and "torch " in text and "Qt (PySide6)" in text
    assert "ok   HEIF decoder: pi-heif " in text and "libde265" in text


def test_selftest_checks_the_int8_files_the_fast_path_runs(one_model: Path) -> None:
    """2026-12-05 review: bits flipped in the int8 .bin passed the self-test, which checked the
    .safetensors only."""
    for suffix in (".int8.xml", ".int8.bin", ".int8.json"):
        shutil.copy(BUNDLED_MODELS / f"crfd-net-compact{suffix}", one_model)
    lines: list[str] = []
    assert run_selftest(one_model, say=lines.append)
    assert "ok   crfd-net-compact.int8.xml and .bin: SHA-256 match" in "\n".join(lines)
    weights = one_model / "crfd-net-compact.int8.bin"
    data = bytearray(weights.read_bytes())
    data[100] ^= 0x10
    weights.write_bytes(bytes(data))
    lines.clear()
    assert not run_selftest(one_model, say=lines.append)
    assert any(line.startswith(f"FAIL {weights}: its SHA-256") for line in lines), lines


def test_selftest_fails_when_the_heif_decoder_cannot_load(
    one_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A frozen build that leaves pi-heif's libraries behind says so (packaging/dist)."""
    monkeypatch.setitem(sys.modules, "pi_heif", None)  # import pi_heif raises ImportError
    lines: list[str] = []
    assert not run_selftest(one_model, say=lines.append)
    assert any(line.startswith("FAIL HEIF decoder: pi-heif cannot be loaded") for line in lines)


def test_selftest_fails_on_a_file_its_card_does_not_describe(one_model: Path) -> None:
    card = one_model / "crfd-net-compact.md"
    text = card.read_text(encoding="utf-8")
    sha = text.split("File SHA-256: `")[1][:64]
    card.write_text(text.replace(sha, "0" * 64), encoding="utf-8")
    lines: list[str] = []
    assert not run_selftest(one_model, say=lines.append)
    assert any(line.startswith("FAIL crfd-net-compact.safetensors: SHA-256") for line in lines)
    assert lines[-1] == "self-test FAILED"


def test_a_floor_the_model_does_not_reach_fails(one_model: Path) -> None:
    card = one_model / "crfd-net-compact.md"
    text = card.read_text(encoding="utf-8")
    start = text.index("regression-floor: ")
    line = text[start : text.index("\n", start)]
    card.write_text(
        text.replace(line, "regression-floor: coffee-copymove.jpg pixel-f1 0.99 pixel-auc 0.5"),
        encoding="utf-8",
    )
    lines: list[str] = []
    assert not run_selftest(one_model, say=lines.append)
    assert any("FAIL crfd-net-compact on coffee-copymove.jpg" in line for line in lines)


def _red_copy(mask: Path) -> np.ndarray:
    """Redraw the grey mask ``mask`` in pure red (luminance 76: by OpenCV's grey, no pixel);
    return the region the scan reads from it."""
    grey = np.asarray(Image.open(mask).convert("L"))
    rgb = np.zeros((*grey.shape, 3), np.uint8)
    rgb[..., 0] = grey
    Image.fromarray(rgb).save(mask)
    return read_truth_mask(mask, grey.shape).mask


def test_selftest_reads_a_red_mask_as_the_scan_does(one_model: Path, tmp_path: Path) -> None:
    """The self-test's truth is the mask read by the one rule of masks (engine.masks, what
    scan --gt reads): the floor holds with the bundled mask drawn in red."""
    samples = tmp_path / "samples"
    shutil.copytree(SAMPLES, samples)
    region = _red_copy(samples / "masks" / "coffee-copymove.png")
    assert region.any()  # the scan reads the red drawing as the region
    lines: list[str] = []
    assert run_selftest(one_model, samples, say=lines.append), lines
    assert any(ln.startswith("ok   crfd-net-compact on coffee-copymove.jpg") for ln in lines)


def test_version_prints_app_python_torch_and_qt(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    out = capsys.readouterr().out
    for word in ("forensic-viewer ", "Python ", "torch ", "Qt (PySide6) "):
        assert word in out


def test_version_and_help_do_not_import_torch() -> None:
    """``--version`` and ``--help`` answer without loading torch (8 s of the 9 s they took when
    the CLI imported the model catalog at the top); checked in a fresh interpreter."""
    import subprocess
    import sys

    code = (
        "import sys, contextlib, io\n"
        "from forensic_viewer.cli import main\n"
        "main(['--version'])\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--help'])\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=HANG_S
    ).stdout
    assert out.splitlines()[-1] == "False"


def test_selftest_checks_the_device_analyze_uses_and_says_which() -> None:
    """selftest ran on the CPU by default while analyze takes CUDA when there is one, so it
    passed on a GPU machine whose CUDA path was broken. Its default is analyze's now."""
    from forensic_viewer.cli_parser import build_parser

    parser = build_parser()
    selftest = parser.parse_args(["selftest"]).device
    assert selftest == parser.parse_args(["analyze", "x.jpg", "--out", "o"]).device == "auto"


def test_selftest_names_the_device_it_ran_on(one_model: Path) -> None:
    """The device line names the device the analyses ran on ("auto" resolved, as analyze
    resolves it), and which one analyze would take."""
    import torch

    from engine.devices import device_text, resolve_device

    lines: list[str] = []
    assert run_selftest(one_model, say=lines.append, device="auto")
    used = device_text(resolve_device("auto"))
    (line,) = (ln for ln in lines if ln.lstrip().startswith("device:"))
    assert line.strip() == f"device: {used} (analyze's default); the self-test runs on {used}"
    if torch.cuda.is_available():
        return
    lines.clear()  # on no GPU: --device cuda is one usage error before any check
    with pytest.raises(ValueError, match="no CUDA device"):
        run_selftest(one_model, say=lines.append, device="cuda")
    assert lines == []
