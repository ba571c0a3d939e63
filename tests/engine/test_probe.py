"""The robustness probe (engine.probe): each derived copy is what its name says, the evidence
is untouched, and the comparison's conventions (IoU at the original's size, empty masks)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.analyses._jpegtables import match_ijg, read_tables
from engine.io import load_evidence
from engine.probe import (
    DERIVATIONS,
    IDENTITY,
    Derivation,
    Step,
    StepKind,
    derive,
    find_derivation,
    mask_iou,
    run_probe,
)
from tests.conftest import make_tiny_checkpoint, memory_evidence


def textured(h: int, w: int, seed: int = 0) -> np.ndarray:
    """Smooth random texture (JPEG at different qualities gives different files)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(max(1, h // 8), max(1, w // 8), 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(small).resize((w, h), Image.Resampling.BILINEAR))


def jpeg_quality(data: bytes) -> int:
    with Image.open(io.BytesIO(data)) as im:
        match = match_ijg(read_tables(im))
    assert match is not None and match.exact
    return match.quality


@pytest.mark.parametrize("quality", [95, 85, 75])
def test_jpeg_copies_carry_the_tables_of_their_quality(quality: int) -> None:
    ev = memory_evidence(textured(64, 80))
    copy = derive(ev, find_derivation(f"jpeg-q{quality}"))
    assert copy.data is not None
    assert jpeg_quality(copy.data) == quality
    assert copy.evidence.pixels.shape == (64, 80, 3)
    with Image.open(io.BytesIO(copy.data)) as im:  # the copy is the decoded stream
        assert np.array_equal(np.asarray(im.convert("RGB")), copy.evidence.pixels)
    assert copy.evidence.format == "JPEG" and copy.parent_sha256 == ev.sha256
    assert not np.array_equal(copy.evidence.pixels, ev.pixels)


def test_resize_halves_each_side() -> None:
    ev = memory_evidence(textured(101, 60))
    copy = derive(ev, find_derivation("resize-50"))
    assert copy.evidence.pixels.shape == (50, 30, 3)  # round(50.5) = 50 (banker's), 30
    assert (copy.evidence.width, copy.evidence.height) == (30, 50)
    assert copy.data is None and copy.evidence.format == "RAW"


def spread(line: np.ndarray) -> float:
    """The variance of a blurred line's profile (its intensity as weights), in px²."""
    xs = np.arange(line.size) - line.size // 2
    w = line.astype(np.float64)
    return float((w * xs**2).sum() / w.sum())


def test_blur_has_the_asked_sigma() -> None:
    """A one-pixel line blurred with σ spreads with a variance of σ² across it, both ways."""
    px = np.zeros((41, 41, 3), np.uint8)
    px[:, 20] = 255  # a vertical line: the spread is along x
    out = derive(memory_evidence(px), find_derivation("blur-1")).evidence.pixels
    assert spread(out[20, :, 0]) == pytest.approx(1.0, abs=0.05)
    across = derive(memory_evidence(px.transpose(1, 0, 2).copy()), find_derivation("blur-1"))
    assert spread(across.evidence.pixels[:, 20, 0]) == pytest.approx(1.0, abs=0.05)
    wider = derive(memory_evidence(px), Derivation("b2", "", (Step(StepKind.BLUR, 2.0),)))
    assert spread(wider.evidence.pixels[20, :, 0]) == pytest.approx(4.0, abs=0.1)


def test_social_chain_shrinks_the_long_side_then_saves_at_q80() -> None:
    ev = memory_evidence(textured(1000, 3000))
    copy = derive(ev, find_derivation("social"))
    assert copy.evidence.pixels.shape == (683, 2048, 3)
    assert copy.data is not None and jpeg_quality(copy.data) == 80
    assert copy.notes == []


def test_social_chain_on_a_small_image_says_the_resize_did_nothing() -> None:
    ev = memory_evidence(textured(64, 96))
    copy = derive(ev, find_derivation("social"))
    assert copy.evidence.pixels.shape == (64, 96, 3)
    assert copy.data is not None and jpeg_quality(copy.data) == 80
    assert len(copy.notes) == 1 and "no resize" in copy.notes[0] and "96 px" in copy.notes[0]
    assert copy.provenance()["notes"] == copy.notes


def test_default_derivations_are_the_issue_list() -> None:
    assert [d.name for d in DERIVATIONS] == [
        "jpeg-q95", "jpeg-q85", "jpeg-q75", "resize-50", "blur-1", "social",
    ]  # fmt: skip
    with pytest.raises(ValueError, match=r"unknown derivation 'nope'.*jpeg-q95"):
        find_derivation("nope")


def test_copies_leave_the_evidence_file_and_pixels_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "evidence.png"
    Image.fromarray(textured(48, 64)).save(path)
    before, mtime = path.read_bytes(), path.stat().st_mtime_ns
    ev = load_evidence(path)
    pixels = ev.pixels.copy()
    for d in (*DERIVATIONS, IDENTITY):
        copy = derive(ev, d)
        assert copy.evidence.path.startswith(str(path)) and d.name in copy.evidence.path
        assert copy.evidence.pixels is not ev.pixels
        assert not copy.evidence.pixels.flags.writeable
    assert np.array_equal(ev.pixels, pixels)
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime


def test_mask_iou_conventions() -> None:
    empty = np.zeros((4, 4), bool)
    assert mask_iou(empty, empty) == 1.0  # both empty: they agree
    one = empty.copy()
    one[0, 0] = True
    assert mask_iou(one, empty) == 0.0
    two = one.copy()
    two[0, 1] = True
    assert mask_iou(one, two) == 0.5
    with pytest.raises(ValueError, match="shape"):
        mask_iou(one, np.zeros((2, 2), bool))


def test_identity_copy_reproduces_the_original(tmp_path: Path) -> None:
    """Same pixels, same analysis: IoU 1.0 and the same score, compared on the original's grid
    (and a 50 % copy is compared at the original's size)."""
    from engine.pipeline import Analyzer

    ckpt = make_tiny_checkpoint(tmp_path / "tiny.safetensors")
    analyzer = Analyzer([str(ckpt)], device="cpu")
    ev = memory_evidence(textured(64, 96))
    seen: list[str] = []
    result = run_probe(
        analyzer,
        ev,
        [IDENTITY, find_derivation("resize-50")],
        progress=lambda p: seen.append(p.stage),
    )
    rows = {r.derivation: r for r in result.rows}
    assert set(rows) == {"identity", "resize-50"}
    same = rows["identity"]
    assert same.iou == 1.0
    assert same.score == pytest.approx(result.original.results["tiny"].score)
    assert same.verdict == same.original_verdict and not same.verdict_changed
    assert rows["resize-50"].iou is not None and 0.0 <= rows["resize-50"].iou <= 1.0
    assert result.heatmap("resize-50", "tiny").shape == (64, 96)  # type: ignore[union-attr]
    kept = result.copies[0].maps["tiny"]  # 8-bit, on the original's grid
    assert kept.dtype == np.uint8 and kept.shape == (64, 96)
    heat = result.original.results["tiny"].heatmap
    assert np.array_equal(kept, np.rint(heat * 255).astype(np.uint8))  # type: ignore[operator]
    assert any(s.startswith("original · tiny") for s in seen)
    assert any(s.startswith("resize-50 · tiny") for s in seen)
    table = result.to_dict()
    assert [r["derivation"] for r in table["rows"]] == ["identity", "resize-50"]
    assert table["evidence"]["sha256"] == ev.sha256
    assert "both masks empty counts as 1.0" in table["iou_convention"]


def test_probe_reuses_the_viewers_analysis_and_stops_on_cancel(tmp_path: Path) -> None:
    from engine.pipeline import Analyzer
    from engine.tiling import Cancelled

    analyzer = Analyzer([str(make_tiny_checkpoint(tmp_path / "tiny.safetensors"))], device="cpu")
    ev = memory_evidence(textured(64, 64))
    original = analyzer.analyze(ev)
    stages: list[str] = []
    result = run_probe(
        analyzer, ev, [IDENTITY], original=original, progress=lambda p: stages.append(p.stage)
    )
    assert result.original is original
    assert not any(s.startswith("original") for s in stages)
    with pytest.raises(Cancelled):
        run_probe(analyzer, ev, [IDENTITY], original=original, cancel=lambda: True)
    # another checkpoint of the same name: the original is analysed again, not trusted
    other = Analyzer([str(make_tiny_checkpoint(tmp_path / "b.safetensors", seed=1))], device="cpu")
    stages.clear()
    again = run_probe(
        other, ev, [IDENTITY], original=original, progress=lambda p: stages.append(p.stage)
    )
    assert again.original is not original
    assert any(s.startswith("original · tiny") for s in stages)
    assert again.rows[0].iou == 1.0


def test_probe_does_not_reuse_an_original_analysed_on_another_path(tmp_path: Path) -> None:
    """The viewer's analysis on the exact path (or a scan's with --exact) is not the original
    of a probe whose copies run on the fast path: the copies must differ from the original
    only in their pixels, so the original is analysed again as the copies are."""
    from engine.pipeline import Analyzer

    ckpt = str(make_tiny_checkpoint(tmp_path / "tiny.safetensors"))
    exact, fast = Analyzer([ckpt], device="cpu", exact=True), Analyzer([ckpt], device="cpu")
    ev = memory_evidence(textured(64, 64))
    on_exact = exact.analyze(ev)
    again = run_probe(fast, ev, [IDENTITY], original=on_exact)
    assert again.original is not on_exact
    assert again.original.results["tiny"].input_policy["tiling"] == "overlap-crop"
    assert run_probe(exact, ev, [IDENTITY], original=on_exact).original is on_exact
    on_fast = fast.analyze(ev)
    assert run_probe(fast, ev, [IDENTITY], original=on_fast).original is on_fast
    assert run_probe(exact, ev, [IDENTITY], original=on_fast).original is not on_fast
