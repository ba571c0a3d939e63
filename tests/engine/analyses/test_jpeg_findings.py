"""Ghost and DQ say in words what they found: an earlier save, at which quality, over how
much of the image (the expert review of 2026-12-05: both said it in extras and map labels
only, and a camera photograph saved at 70 then 90 printed what camera originals print)."""

from __future__ import annotations

import numpy as np

from engine.analyses import Level, run_analysis
from tests.engine.analyses.conftest import decode, jpeg_bytes, natural, png_bytes
from tests.engine.analyses.test_jpeg import H, W, composite


def test_a_whole_image_saved_before_at_70_is_named_by_ghost_and_dq(write_evidence) -> None:
    ev = write_evidence(jpeg_bytes(decode(jpeg_bytes(natural(H, W, 1), 70)), 90))
    dq = run_analysis("jpeg-dq", ev)
    (f,) = dq.findings
    assert f.level == Level.NOTICE and f.topic == "jpeg"
    assert f.value.startswith("aligned double JPEG compression: first quality about 70")
    n = dq.extras["frequencies_used"]
    assert f"rests on {n} of 20 frequencies" in f.value and n >= 4
    assert dq.map is not None and not dq.warnings
    ghost = run_analysis("jpeg-ghost", ev)
    (g,) = ghost.findings
    assert g.level == Level.NOTICE
    assert g.value.startswith("an earlier save at about quality 70 shows in")
    assert g.value.endswith("(whole-image recompression)")
    assert "then at about 90" in g.note


def test_a_region_saved_before_at_60_is_named_a_region_by_the_ghost(write_evidence) -> None:
    scene = natural(H, W, 1)
    img = scene.copy()
    region = np.s_[64:160, 96:224]  # 15 % of the image, on the 8x8 grid
    img[region] = decode(jpeg_bytes(scene, 60))[region]
    ghost = run_analysis("jpeg-ghost", write_evidence(jpeg_bytes(img, 90)))
    assert ghost.extras["ghost_quality"] == 60
    (g,) = ghost.findings
    assert "about quality 60" in g.value and g.value.endswith("(a region: see the map)")


def test_a_pasted_region_names_the_background_s_first_quality(write_evidence) -> None:
    data, _ = composite(60, None, 90)
    dq = run_analysis("jpeg-dq", write_evidence(data))
    assert "first quality about 60" in dq.findings[0].value


def test_a_thin_trace_is_information_without_a_map() -> None:
    from engine.analyses._jpegfindings import MIN_DQ_FREQUENCIES, dq_findings

    (thin,) = dq_findings(2, 20, None)
    assert thin.level == Level.INFO and "rests on 2 of 20 frequencies" in thin.value
    assert "no map" in thin.note
    (found,) = dq_findings(MIN_DQ_FREQUENCIES, 20, 75)
    assert found.level == Level.NOTICE and "first quality about 75" in found.value
    assert dq_findings(0, 20, None) == ()


def _gradient(side: int) -> np.ndarray:
    ramp = np.linspace(0, 255, side).astype(np.uint8)
    return np.ascontiguousarray(np.repeat(np.tile(ramp, (side, 1))[..., None], 3, axis=2))


def test_an_image_under_the_ghosts_floor_is_too_small_to_assess(write_evidence) -> None:
    # The intake walk-through of 2026-12-06: 8x8 and 5x5 PNGs, never JPEGs, read "saved as a
    # JPEG at about 70: a resave" (one 8x8 cell: any dip in it was 100 % of the image).
    scene = natural(256, 256, 0)
    tiny = [
        _gradient(5),  # read "an earlier save at about quality 55"
        np.ascontiguousarray(scene[0:8, 40:48]),  # "... about quality 65"
        np.ascontiguousarray(scene[144:152, 40:48]),  # "... about quality 55"
        np.ascontiguousarray(scene[0:16, 0:200]),  # a strip 16 px high
        scene[:1, :1].copy(),
    ]
    for rgb in tiny:
        ghost = run_analysis("jpeg-ghost", write_evidence(png_bytes(rgb)))
        h, w = rgb.shape[:2]
        (f,) = ghost.findings
        assert f.level == Level.INFO and f.value == f"{w} x {h} px: too small to assess"
        assert "at least 24 px a side" in f.note
        assert ghost.map is None and ghost.extras["ghost_quality"] is None


def test_the_ghosts_floor_follows_its_patch_and_block() -> None:
    from engine.analyses.jpeg import GhostParams, ghost_floor

    assert ghost_floor(GhostParams()) == 24  # 3 cells of 8 px
    assert ghost_floor(GhostParams(dip_patch=1)) == 16  # the 16-px block
    assert ghost_floor(GhostParams(dip_patch=4, block=16)) == 32


def test_a_jpeg_under_16_px_is_too_small_for_dq_and_says_so_as_information(
    write_evidence,
) -> None:
    # It was a warning, "no luma table or image too small", which named neither cause.
    for h, w in ((12, 12), (8, 300), (15, 16)):
        rgb = np.ascontiguousarray(natural(256, 300, 1)[:h, :w])
        dq = run_analysis("jpeg-dq", write_evidence(jpeg_bytes(rgb, 90)))
        (f,) = dq.findings
        assert f.level == Level.INFO and f.value == f"{w} x {h} px: too small to assess"
        assert "at least 16 px a side" in f.note
        assert dq.map is None and not dq.warnings and dq.extras["detected"] is False
    dq = run_analysis("jpeg-dq", write_evidence(jpeg_bytes(natural(256, 300, 1)[:16, :16], 90)))
    assert not dq.findings  # 16 x 16 is tested (nothing found)


def test_a_double_compression_says_innocent_resaves_show_it_too(write_evidence) -> None:
    """The words "not a camera original as it left the camera" alone read as a sign of tampering;
    docs/ANALYSES.md's own qualifier and the camera originals' count go with it (defence
    walk-through, 2026-12-06), in the finding every report and the viewer show."""
    ev = write_evidence(jpeg_bytes(decode(jpeg_bytes(natural(H, W, 1), 70)), 90))
    (f,) = run_analysis("jpeg-dq", ev).findings
    assert "not a camera original as it left the camera" in f.note
    assert "many innocent resaves show it too" in f.note and "not only forgeries" in f.note
    assert "none in the 53 camera originals" in f.note
    assert run_analysis("jpeg-dq", ev).provenance.version == "7"


def test_the_ghost_s_share_is_printed_as_its_rule_compares_it() -> None:
    # 0.4998 is a region (under WHOLE_IMAGE_SHARE) and read "over 50 %"; a share of 1 read
    # "over 100 %"
    from engine.analyses._jpegfindings import ghost_finding

    def value(share: float) -> str:
        return ghost_finding(60, {"dip_share": {"60": share}}, 90).value

    assert "in 49 % of" in value(0.4998) and value(0.4998).endswith("(a region: see the map)")
    assert "in 50 % of" in value(0.5) and value(0.5).endswith("(whole-image recompression)")
    assert "in 100 % of" in value(1.0) and "over" not in value(1.0)
    assert "in 29 % of" in value(0.29)  # 0.29 x 100 is 28.999999999999996 in floats
