"""Copy-move detection finds a cloned region (also rotated/scaled) and nothing in an original."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from engine.analyses import (
    _clone_dense,
    _clone_keypoints,
    _clone_params,
    _clone_repeats,
    analysis_settings,
    clone,
    run_analysis,
)
from tests.engine.analyses.conftest import jpeg_bytes, natural

H, W = 320, 448
SRC, DST, R = (120.0, 110.0), (330.0, 220.0), 45


def cloned(angle: float, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """A scene with a disc around SRC copied (rotated by ``angle``, scaled) onto DST.

    Truth (the convention of the tests): both copies, i.e. the source disc and the pasted one.
    """
    img = natural(H, W, 3)
    m = cv2.getRotationMatrix2D(SRC, angle, scale)
    m[:, 2] += np.array(DST) - np.array(SRC)
    warped = cv2.warpAffine(img, m, (W, H), flags=cv2.INTER_LINEAR)
    target = np.zeros((H, W), np.uint8)
    cv2.circle(target, (int(DST[0]), int(DST[1])), round(R * scale), 1, -1)
    source = np.zeros((H, W), np.uint8)
    cv2.circle(source, (int(SRC[0]), int(SRC[1])), R, 1, -1)
    out = img.copy()
    out[target > 0] = warped[target > 0]
    return out, (target > 0) | (source > 0)


@pytest.mark.parametrize(
    ("angle", "scale"),
    [(0.0, 1.0), (15.0, 1.0), (-15.0, 1.0), (0.0, 1.1), (0.0, 0.9), (-10.0, 1.08)],
)
def test_a_cloned_region_is_found(angle: float, scale: float, write_evidence) -> None:
    img, truth = cloned(angle, scale)
    ev = write_evidence(jpeg_bytes(img, 90))
    r = run_analysis("clone", ev)
    found = r.map > 0.5
    iou = (found & truth).sum() / (found | truth).sum()
    assert iou >= 0.7, f"IoU {iou:.3f}"
    assert r.score == 1.0 and r.pairs
    best = max(r.pairs, key=lambda p: p.area)
    assert abs(abs(best.rotation_deg) - abs(angle)) < 2.0
    assert min(abs(best.scale - scale), abs(1 / best.scale - scale)) < 0.03
    # The pair links the two copies: each box holds one of the discs' centres.
    centres = {SRC, DST}
    for box in (best.source_box, best.target_box):
        x, y, w, h = box
        assert any(x <= cx <= x + w and y <= cy <= y + h for cx, cy in centres)
    # The affine takes the source box's centre near the target box's centre.
    a = np.array(best.affine).reshape(2, 3)
    sx, sy, sw, sh = best.source_box
    tx, ty, tw, th = best.target_box
    moved = a @ np.array([sx + sw / 2, sy + sh / 2, 1.0])
    assert np.hypot(*(moved - [tx + tw / 2, ty + th / 2])) < 10


def test_an_original_photograph_has_no_clone(write_evidence) -> None:
    ev = write_evidence(jpeg_bytes(natural(H, W, 3), 90))
    r = run_analysis("clone", ev)
    assert r.score == 0.0 and not r.pairs and r.map.max() == 0.0


def test_a_flat_region_copied_by_translation_is_found_by_blocks(write_evidence) -> None:
    """Few keypoints, only texture: the dense block detector alone finds the copy."""
    rng = np.random.default_rng(5)
    img = np.full((H, W, 3), 128, np.float32)
    img += cv2.GaussianBlur(rng.normal(0, 40, (H, W, 3)).astype(np.float32), (0, 0), 1.2)
    img = np.clip(img, 0, 255).astype(np.uint8)
    truth = np.zeros((H, W), bool)
    img[200:260, 300:380] = img[40:100, 60:140]
    truth[200:260, 300:380] = truth[40:100, 60:140] = True
    ev = write_evidence(jpeg_bytes(img, 92))
    r = run_analysis("clone", ev, params={"keypoints": False})
    found = r.map > 0.5
    iou = (found & truth).sum() / (found | truth).sum()
    assert iou >= 0.7, f"IoU {iou:.3f}"
    assert r.pairs[0].detector == "blocks"


def test_a_copy_reaching_the_image_border_is_handled(write_evidence) -> None:
    """Copies whose verification window or region touches the border (regression: the
    distinctness box once ran past the verification window)."""
    img = natural(H, W, 8)
    img[H - 70 :, W - 90 :] = img[10:80, 20:110]
    ev = write_evidence(jpeg_bytes(img, 92))
    r = run_analysis("clone", ev)
    truth = np.zeros((H, W), bool)
    truth[H - 70 :, W - 90 :] = truth[10:80, 20:110] = True
    found = r.map > 0.5
    assert (found & truth).sum() / (found | truth).sum() >= 0.6


def test_a_texture_repeated_across_the_image_gives_no_pair(write_evidence) -> None:
    """A wallpaper: one texture tile repeated three times across the image. Neighbouring
    tiles match by one period and the outer two by two periods, whose double step leaves the
    image; the lattice test (one more step, and half a step) rejects both."""
    tile = natural(H, 154, 0)
    img = np.concatenate([tile] * 3, axis=1)[:, :W]
    ev = write_evidence(jpeg_bytes(img, 90))
    r = run_analysis("clone", ev)
    assert r.score == 0.0 and not r.pairs


def test_the_fast_g2nn_test_keeps_exactly_the_descriptors_the_full_one_keeps() -> None:
    """g2nn_candidates (two row minima) against the first g2NN step read from the exact k-NN
    of every descriptor: the same descriptors pass, including near-duplicates."""
    rng = np.random.default_rng(1)
    desc = rng.random((900, 128)).astype(np.float32)
    desc[300:340] = desc[:40] + rng.normal(0, 0.01, (40, 128)).astype(np.float32)  # copies
    desc = _clone_keypoints._root_sift(np.abs(desc))
    ratio = 0.5
    idx, dist = _clone_keypoints.knn_self(desc, 3)
    expected = []
    for i in range(len(desc)):
        others = [d for j, d in zip(idx[i], dist[i], strict=True) if j != i][:2]
        if others[0] < ratio * others[1]:
            expected.append(i)
    got = _clone_keypoints.g2nn_candidates(desc, ratio, chunk=256)
    assert len(expected) >= 40
    assert got.tolist() == expected


def test_suspect_copies_keeps_the_copies_a_heatmap_points_at() -> None:
    region = np.zeros((20, 20), bool)
    region[1:5, 1:5] = region[10:14, 10:14] = region[1:5, 14:18] = True
    heat = np.zeros((20, 20), np.float32)
    heat[10:14, 10:14] = 0.8
    heat[1:5, 14:18] = 0.6
    assert clone.suspect_copies(region, heat, 0.0) is region  # 0: every copy
    kept = clone.suspect_copies(region, heat, 0.7)
    assert kept.sum() == 32 and not kept[1:5, 1:5].any()  # 0.6 >= 0.7 * 0.8 stays
    hottest = clone.suspect_copies(region, heat, 1.0)
    assert hottest.sum() == 16 and hottest[10:14, 10:14].all()


def test_the_block_pre_test_tells_a_copy_from_a_shift_along_straight_edges() -> None:
    """seed_margin, the distinctness at the voting blocks that drops a block shift before the
    dense maps: clearly positive for a copied texture, about 0 for horizontal stripes shifted
    along themselves (they match at every nearby horizontal shift too)."""
    rng = np.random.default_rng(3)
    tex = cv2.GaussianBlur(rng.normal(0, 40, (H, W)).astype(np.float32), (0, 0), 1.2)
    tex[200:260, 300:380] = tex[40:100, 60:140]
    p = clone.CloneParams()
    ys, xs = np.mgrid[45:95:6, 65:135:6]
    src = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)
    t = np.array([[1.0, 0.0, 240.0], [0.0, 1.0, 160.0]])
    assert _clone_dense.seed_margin(tex, t, src + np.float32([240, 160]), p) > 0.3
    stripes = np.repeat(rng.normal(0, 40, (H, 1)).astype(np.float32), W, axis=1)
    stripes = cv2.GaussianBlur(stripes, (0, 0), 1.0)
    shift = np.array([[1.0, 0.0, 20.0], [0.0, 1.0, 0.0]])
    assert (
        _clone_dense.seed_margin(stripes, shift, src + np.float32([20, 0]), p) < p.block_seed_margin
    )


def printed_lattice(seed: int = 0) -> np.ndarray:
    """A printed pattern photographed: one texture tile repeated along two directions (periods
    290 and 210 px, so no third repeat fits in the image along either), each print with its
    own grain (sigma 6 grey levels), as two prints of a fabric pattern differ."""
    tile = natural(210, 290, seed).astype(np.float32)
    img = np.tile(tile, (2, 2, 1))[:H, :W]
    img += np.random.default_rng(seed + 1).normal(0, 6, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def test_a_printed_2d_lattice_gives_no_pair(write_evidence) -> None:
    """Its four pairs (shifts (290, 0), (0, 210) and their sum and difference) compose, cover
    different stretches of the pattern and match imperfectly: a lattice, not a copy. The
    one-step lattice test alone passes them (the next step leaves the image)."""
    ev = write_evidence(jpeg_bytes(printed_lattice(), 90))
    r = run_analysis("clone", ev)
    assert r.score == 0.0 and not r.pairs and r.map.max() == 0.0
    lattice_only = run_analysis("clone", ev, params={"max_fill": 0.0})
    assert not lattice_only.pairs and lattice_only.extras["lattice_pairs"] >= 3
    before = run_analysis("clone", ev, params={"lattice_max_correlation": 0.0, "max_fill": 0.0})
    assert len(before.pairs) >= 3  # what the two tests remove


def test_a_pattern_repeating_to_the_frame_gives_no_pair(write_evidence) -> None:
    """One print repeated twice across the image (period 290 px of 448): no third repeat for
    the lattice tests, but the two copies fill the whole area where the image overlaps its
    shifted self, as a pattern that goes on beyond the frame does."""
    tile = natural(H, 290, 4).astype(np.float32)
    img = np.concatenate([tile, tile], axis=1)[:, :W]
    img += np.random.default_rng(5).normal(0, 6, img.shape).astype(np.float32)
    ev = write_evidence(jpeg_bytes(np.clip(img, 0, 255).astype(np.uint8), 90))
    r = run_analysis("clone", ev)
    assert r.score == 0.0 and not r.pairs
    before = run_analysis("clone", ev, params={"max_fill": 0.0})
    assert before.pairs  # what the fill test removes


def test_a_copy_pasted_into_a_printed_lattice_is_found_without_the_lattice(
    write_evidence,
) -> None:
    """A disc of the pattern copied elsewhere matches exactly (correlation above the
    lattice's): it stays, the lattice's own pairs go."""
    img = printed_lattice()
    src, dst, r = (80, 90), (215, 240), 40
    moved = np.roll(img, (dst[1] - src[1], dst[0] - src[0]), axis=(0, 1))
    target = np.zeros((H, W), np.uint8)
    cv2.circle(target, dst, r, 1, -1)
    img[target > 0] = moved[target > 0]
    source = np.zeros((H, W), np.uint8)
    cv2.circle(source, src, r, 1, -1)
    truth = (target > 0) | (source > 0)
    res = run_analysis("clone", write_evidence(jpeg_bytes(img, 90)))
    found = res.map > 0.5
    iou = (found & truth).sum() / (found | truth).sum()
    assert iou >= 0.7, f"IoU {iou:.3f}"
    assert len(res.pairs) == 1


def _pair_at(t: list[float], boxes: list[tuple[int, int, int, int]], corr: float):
    masks = []
    for x0, y0, x1, y1 in boxes:
        m = np.zeros((100, 200), bool)
        m[y0:y1, x0:x1] = True
        masks.append(m)
    t = np.array(t, np.float64).reshape(2, 3)
    cand = _clone_params.Candidate(
        t=t,
        src=np.zeros((6, 2), np.float32),
        dst=np.zeros((6, 2), np.float32),
        detector="keypoints",
    )
    return _clone_params.Verified(
        cand=cand, source=masks[0], target=masks[1], correlation=corr, distinct=0.3
    )


def test_a_region_pasted_twice_is_not_a_lattice() -> None:
    """A to B, A to C and B to C compose like a lattice's pairs, but their copies are three
    regions, each shared by two pairs: a forger's double paste. The same shifts over
    partly overlapping stretches (a pattern) are a lattice."""
    p = clone.CloneParams()
    a, b, c = (10, 10, 40, 40), (70, 10, 100, 40), (10, 60, 40, 90)
    twice = [
        _pair_at([1, 0, 60, 0, 1, 0], [a, b], 0.7),
        _pair_at([1, 0, 0, 0, 1, 50], [a, c], 0.7),
        _pair_at([1, 0, -60, 0, 1, 50], [b, c], 0.7),
    ]
    assert _clone_repeats.lattice_members(twice, p) == set()
    pattern = [
        _pair_at([1, 0, 60, 0, 1, 0], [(0, 0, 120, 45), (60, 0, 180, 45)], 0.7),
        _pair_at([1, 0, 0, 0, 1, 50], [(20, 0, 90, 40), (20, 50, 90, 90)], 0.7),
        _pair_at([1, 0, 60, 0, 1, 50], [(0, 5, 50, 45), (60, 55, 110, 95)], 0.7),
    ]
    assert _clone_repeats.lattice_members(pattern, p) == {0, 1, 2}
    unrelated = [*pattern[:2], _pair_at([1, 0, 30, 0, 1, 80], [a, b], 0.7)]
    assert _clone_repeats.lattice_members(unrelated, p) == set()


@pytest.mark.parametrize("shape", [(1, 4000), (4000, 1), (2, 3100), (3100, 2)])
def test_a_strip_one_or_two_pixels_across_is_analysed_at_its_own_size(shape) -> None:
    # The working copy (1536 px) and the block-matching copy (768 px) of a strip keep a row:
    # at 1536 / 4000 a one-pixel row scaled to none and OpenCV refused the empty image, so the
    # default analysis (which runs clone) failed on the file.
    from tests.conftest import memory_evidence

    h, w = shape
    img = np.ascontiguousarray(natural(max(h, 64), max(w, 64), 3)[:h, :w])
    r = run_analysis("clone", memory_evidence(img))
    assert r.map is not None and r.map.shape == shape
    assert r.score == 0.0 and not r.pairs


def test_pair_boxes_on_a_strip_are_the_maps_copies_each_axis_scaled_alone() -> None:
    """484 x 4000 at a 500-px working side is 60 x 500: rows 60/484 of the evidence's, not 1/8
    (60.5 rounded down). One factor put the copy reaching the bottom 4 px short of it (boxes
    360 rows high where the map's copies are 363) and its top a row off; the map, resized to
    the evidence's size, was right."""
    img = natural(484, 4000, 3)
    img[124:484, 3000:3360] = img[0:360, 600:960]
    from tests.conftest import memory_evidence

    r = run_analysis("clone", memory_evidence(img), params={"max_side": 500})
    assert r.extras["working_scale"] == 0.125 and len(r.pairs) == 1
    n, labels = cv2.connectedComponents((r.map > 0.5).astype(np.uint8))
    regions = set()
    for i in range(1, n):
        ys, xs = np.nonzero(labels == i)
        x0, y0 = int(xs.min()), int(ys.min())
        regions.add((x0, y0, int(xs.max()) + 1 - x0, int(ys.max()) + 1 - y0))
    pair = r.pairs[0]
    assert {pair.source_box, pair.target_box} == regions
    assert max(y + h for _x, y, _w, h in regions) == 484  # the copy reaching the bottom
    tx, ty, tw, th = pair.target_box
    target = labels == labels[ty + th // 2, tx + tw // 2]
    assert abs(pair.area - int(target.sum())) <= 0.001 * pair.area
    # the affine in evidence pixels: the pasted copy's centre onto the original's, or back
    pasted, original = np.array([3180.0, 304.0]), np.array([780.0, 180.0])
    a, b = (pasted, original) if pair.source_box[0] > 2000 else (original, pasted)
    moved = np.array(pair.affine).reshape(2, 3) @ np.array([*a, 1.0])
    np.testing.assert_allclose(moved, b, atol=0.6)  # one factor: 1.1 px off in y


def test_pairs_scaled_per_axis_are_a_new_version_of_the_analysis() -> None:
    """Per-axis scaling changed the pairs (boxes, area, affine) of any image whose working copy
    is resized with its sides rounded apart, a camera's 4288 x 2848 among them, not only
    strips: a scan begun with version 3's pairs must not be resumed with these rows mixed in
    (scan.json compares the versions), so the version moved past 3."""
    h, w = 2848, 4288
    s = 1536 / w
    gh, gw = clone.shrunk(np.zeros((h, w), np.float32), s).shape
    assert gh / h != s or gw / w != s  # the factors the pairs now use differ from the one
    assert int(analysis_settings(["clone"])["clone"]["version"]) >= 4


def test_a_small_copy_in_a_busy_large_image_keeps_enough_keypoints(write_evidence) -> None:
    # A 120-px square pasted into a 12 MP Nikon D90 was missed (46 keypoint matches, none
    # linking the copies): SIFT kept the strongest 8000 of its 24k keypoints, the busy texture
    # elsewhere, and 12 of the 44 on the copy's source. Here: ~17k keypoints, the copy in a
    # quieter strip; at 8000 (the default until version 6) it has no match at all, at 16000
    # (the default since) it is found.
    h, w = 1020, 1536

    def texture(amp: float, seed: int) -> np.ndarray:
        r = np.random.default_rng(seed).normal(size=(h // 6, w // 6)).astype(np.float32)
        return amp * cv2.resize(r, (w, h), interpolation=cv2.INTER_CUBIC)

    y = 128 + texture(40, 2)  # busy everywhere: many strong keypoints
    y[:, :384] = 128 + texture(8, 3)[:, :384]  # a quieter strip: weaker ones
    y = np.clip(y, 0, 255)
    y[700:820, 150:270] = y[100:220, 100:220].copy()
    img = np.repeat(y.astype(np.uint8)[..., None], 3, axis=2)
    from tests.engine.analyses.conftest import png_bytes

    ev = write_evidence(png_bytes(img), "busy.png")
    capped = run_analysis("clone", ev, params={"blocks": False, "max_keypoints": 8000})
    assert capped.score == 0.0 and not capped.pairs
    r = run_analysis("clone", ev, params={"blocks": False})  # the default cap
    assert int(analysis_settings(["clone"])["clone"]["version"]) >= 6
    assert r.score == 1.0 and len(r.pairs) == 1
    boxes = sorted([r.pairs[0].source_box, r.pairs[0].target_box], key=lambda b: b[1])
    assert abs(boxes[0][1] - 100) < 40 and abs(boxes[1][1] - 700) < 40


def test_the_maps_meaning_says_that_repeated_structures_repeat_in_unedited_photographs(
    write_evidence,
) -> None:
    """An examiner reading "this region repeats elsewhere" on a page of text or a facade needs
    the caveat beside the map, as Forensically and Sherloq give it; the words are stored in
    every row, so the version moved past 4 (a resumed scan does not mix the two), and past 7
    when "repeat innocently", an idiom to a second-language reader, became these words."""
    r = run_analysis("clone", write_evidence(jpeg_bytes(natural(96, 96, seed=3), 90)))
    assert r.meaning is not None
    assert "also repeat in unedited photographs" in r.meaning.high and "text" in r.meaning.high
    assert "innocently" not in r.meaning.high
    assert int(analysis_settings(["clone"])["clone"]["version"]) >= 8


@pytest.mark.parametrize("angle", [176.0, 180.0, 184.0])
def test_a_copy_turned_by_about_a_half_turn_is_found(angle: float, write_evidence) -> None:
    # A half turn is its own inverse: at 180° the lattice test's "one more step along T"
    # (T∘T, the identity) compared the copy with itself (0.99: "a lattice"); at 176-186°
    # RANSAC, fed every match both ways round, settled on the point reflection, whose dense
    # verification failed. Copies turned by 176-186° were never found ("no pair").
    img, truth = cloned(angle, 1.0)
    r = run_analysis("clone", write_evidence(jpeg_bytes(img, 90)))
    assert r.score == 1.0 and r.pairs
    best = max(r.pairs, key=lambda p: p.area)
    off = min(abs((best.rotation_deg - s * angle + 180.0) % 360.0 - 180.0) for s in (1, -1))
    assert off < 2.0, best.rotation_deg
    found = r.map > 0.5
    assert (found & truth).sum() / (found | truth).sum() >= 0.7
