"""An image over the pixel limit is refused before any model is loaded.

``analyze`` and ``probe`` loaded every model (about 10 s) and only then read the image and
refused it. The header is now read first (:func:`engine.precheck.refuse_beyond_limit`): the
same one line naming the file and its declared size, the same exit code, nothing loaded.
The model loader is made to fail here, so a run that still loads it fails the test.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from engine.bomb_guards import MAX_PIXELS_ENV
from engine.errors import ImageTooLargeError
from engine.io import MAX_FILE_BYTES, load_evidence
from engine.precheck import refuse_beyond_limit
from forensic_viewer.cli import EXIT_FILES_FAILED, main
from tests.conftest import write_rgb

HEIF = Path(__file__).resolve().parents[1] / "data" / "heif" / "plain.heic"


def _error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


@pytest.fixture
def no_weights(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every call to the model loader that would load weights, which fails; the models'
    settings, read from their files' headers only (``weights=False``), are read as before."""
    import engine.assembly

    real, calls = engine.assembly.assemble_analyzer, []

    def assemble(*args: object, **kw: object) -> object:
        if kw.get("weights", True):
            calls.append(args)
            raise AssertionError("models loaded for files all refused")
        return real(*args, **kw)

    monkeypatch.setattr(engine.assembly, "assemble_analyzer", assemble)
    return calls


def _rows(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text("utf-8").splitlines()]


def test_analyze_refuses_an_image_over_the_limit_before_loading_a_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_weights: list[object], capsys
) -> None:
    img = write_rgb(tmp_path / "big.png", h=60, w=70)  # 4,200 pixels
    monkeypatch.setenv(MAX_PIXELS_ENV, "3000")
    with pytest.raises(ImageTooLargeError) as loaded:
        load_evidence(img)  # what the scan would have said, once the models were loaded
    out = tmp_path / "out"
    monkeypatch.chdir(tmp_path)
    assert main(["analyze", "big.png", "--out", str(out)]) == EXIT_FILES_FAILED
    assert no_weights == []
    said = capsys.readouterr()
    assert f"  {loaded.value}" in said.err.splitlines()  # under "failed:", as a scan lists it
    assert str(img) in str(loaded.value) and "70x60" in str(loaded.value)
    assert "every file refused by its size or header: no model was loaded" in said.out
    # Its row, with its SHA-256 and the error, as among other files (intake walk-through of
    # 2026-12-06: a file refused alone had none, and --out was not made)
    (row,) = _rows(out)
    assert row["path"] == "big.png" and row["status"] == "error"
    assert row["sha256"] == hashlib.sha256(img.read_bytes()).hexdigest()
    assert "3,000-pixel limit" in row["error"]


def test_analyze_refuses_each_image_when_all_are_over_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_weights: list[object], capsys
) -> None:
    a = write_rgb(tmp_path / "a.png", h=60, w=70)
    b = write_rgb(tmp_path / "b.jpg", h=80, w=50, fmt="JPEG")
    monkeypatch.setenv(MAX_PIXELS_ENV, "3000")
    assert main(["analyze", str(a), str(b), "--out", str(tmp_path / "o")]) == EXIT_FILES_FAILED
    assert no_weights == []
    lines = _error_lines(capsys.readouterr().err)
    assert lines[0] == "failed:" and len(lines) == 3
    assert str(a) in lines[1] and str(b) in lines[2] and "50x80 (4,000 pixels)" in lines[2]
    rows = _rows(tmp_path / "o")
    assert [r["status"] for r in rows] == ["error", "error"] and all(r["sha256"] for r in rows)


def test_an_image_within_the_limit_among_them_is_analysed_and_the_other_refused_by_the_scan(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    big = write_rgb(tmp_path / "big.png", h=60, w=70)
    fine = write_rgb(tmp_path / "fine.png", h=40, w=50)
    monkeypatch.setenv(MAX_PIXELS_ENV, "3000")
    argv = ["analyze", str(big), str(fine), "--out", str(tmp_path / "o")]
    assert main([*argv, "--model", str(tiny_checkpoint), "--no-faces"]) == EXIT_FILES_FAILED
    err = capsys.readouterr().err
    assert f"{big}: declared size 70x60" in err and str(fine) not in err
    assert '"status": "ok"' in (tmp_path / "o" / "results.jsonl").read_text(encoding="utf-8")


def _over_the_size_limit(path: Path) -> Path:
    """A small PNG made longer than the file-size limit (sparse: no disk used)."""
    write_rgb(path, h=8, w=8)
    with open(path, "r+b") as f:
        f.truncate(MAX_FILE_BYTES + 1)
    return path


def test_a_file_over_the_size_limit_is_refused_before_loading_a_model(
    tmp_path: Path, no_weights: list[object], capsys
) -> None:
    huge = _over_the_size_limit(tmp_path / "huge.png")
    with pytest.raises(ImageTooLargeError) as late:
        load_evidence(huge)
    with pytest.raises(ImageTooLargeError) as early:
        refuse_beyond_limit(huge)
    assert str(early.value) == str(late.value)  # load_evidence's words
    assert f"file is {MAX_FILE_BYTES + 1} bytes" in str(early.value)
    out = tmp_path / "out"
    assert main(["analyze", str(huge), "--out", str(out)]) == EXIT_FILES_FAILED
    assert no_weights == []
    assert _error_lines(capsys.readouterr().err) == ["failed:", f"  {late.value}"]
    (row,) = _rows(out)  # refused by its size alone: its bytes were never read to hash
    assert row["status"] == "error" and f"file is {MAX_FILE_BYTES + 1} bytes" in row["error"]


def test_probe_refuses_an_image_over_the_limit_before_loading_a_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_models: list[object], capsys
) -> None:
    img = write_rgb(tmp_path / "big.png", h=60, w=70)
    monkeypatch.setenv(MAX_PIXELS_ENV, "3000")
    assert main(["probe", str(img), "--out", str(tmp_path / "o")]) == EXIT_FILES_FAILED
    assert no_models == []
    lines = _error_lines(capsys.readouterr().err)
    assert len(lines) == 1 and str(img) in lines[0] and "beyond the 3,000-pixel limit" in lines[0]


def test_the_header_check_words_the_refusal_as_load_evidence_and_leaves_the_rest_to_it(
    tmp_path: Path,
) -> None:
    img = write_rgb(tmp_path / "big.tif", h=60, w=70, fmt="TIFF")
    with pytest.raises(ImageTooLargeError) as early:
        refuse_beyond_limit(img, max_pixels=4000)
    with pytest.raises(ImageTooLargeError) as late:
        load_evidence(img, max_pixels=4000)
    assert str(early.value) == str(late.value)
    assert refuse_beyond_limit(img, max_pixels=4200) is None  # at the limit: admitted
    cut = tmp_path / "cut.png"
    cut.write_bytes(img.read_bytes()[:20])
    for other in (cut, tmp_path / "missing.png", tmp_path):  # load_evidence's to word
        assert refuse_beyond_limit(other, max_pixels=10) is None


def test_the_header_check_reads_a_heif_images_size(tmp_path: Path) -> None:
    pytest.importorskip("pi_heif")
    heic = shutil.copy(HEIF, tmp_path / "phone.heic")
    with pytest.raises(ImageTooLargeError) as early:
        refuse_beyond_limit(heic, max_pixels=1000)
    with pytest.raises(ImageTooLargeError) as late:
        load_evidence(heic, max_pixels=1000)
    assert str(early.value) == str(late.value)


def test_analyze_resumes_a_finished_image_a_lowered_limit_refuses_as_a_scan_does(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """``analyze IMAGE --out DIR`` run again resumes DIR: the image's finished row is kept and
    the file skipped. The header check before the models refused it all the same when the
    pixel limit had been lowered since, where ``scan`` (scan/refused.py) resumes such a folder
    (docs/LIMITS.md): the check was a copy of the scan's without its finished-row rule."""
    img = write_rgb(tmp_path / "big.png", h=60, w=70)
    out = tmp_path / "o"
    argv = ["analyze", str(img), "--out", str(out), "--model", str(tiny_checkpoint), "--no-faces"]
    assert main(argv) == 0
    rows = (out / "results.jsonl").read_text(encoding="utf-8")
    monkeypatch.setenv(MAX_PIXELS_ENV, "3000")  # lowered since: the image is over it now
    capsys.readouterr()
    assert main(argv) == 0
    assert "declared size" not in capsys.readouterr().err
    assert (out / "results.jsonl").read_text(encoding="utf-8") == rows  # skipped, as done
