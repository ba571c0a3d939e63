"""trainer.data.faces (and face_geometry): face forgeries whose masks are exactly the pixels
they changed.

The faces are drawn here (a textured face-like ellipse with given landmarks), so no detector
and no data set is needed.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from trainer.data.face_geometry import face_outline, face_region, similarity
from trainer.data.faces import (
    FACE_KINDS,
    Face,
    SynthFaceConfig,
    crop_face,
    generate_faces,
    identity_of,
    make_face_forgery,
)

CFG = SynthFaceConfig()


def drawn_face(seed: int, size: int = 160, yaw: float = 0.0) -> Face:
    """A face-like picture: textured background, skin ellipse, dark eyes, nose, lips; the
    landmarks are where they were drawn. ``yaw`` shifts the nose sideways (a turned head)."""
    rng = np.random.default_rng(seed)
    img = rng.integers(40, 200, (size, size, 3)).astype(np.uint8)
    img = cv2.GaussianBlur(img, (0, 0), 1.0)
    c = size / 2
    skin = tuple(int(v) for v in rng.integers(120, 220, 3))
    cv2.ellipse(
        img, (round(c), round(c + 4)), (round(0.3 * size), round(0.38 * size)), 0, 0, 360, skin, -1
    )
    d = 0.3 * size
    lm = np.array(
        [[c - d / 2, c - 0.12 * size], [c + d / 2, c - 0.12 * size], [c + yaw * d, c + 0.05 * size],
         [c - 0.35 * d, c + 0.22 * size], [c + 0.35 * d, c + 0.22 * size]],
        np.float32,
    )  # fmt: skip
    for x, y in lm[:2]:
        cv2.ellipse(
            img,
            (round(x), round(y)),
            (round(0.25 * d), round(0.12 * d)),
            0,
            0,
            360,
            (240, 240, 240),
            -1,
        )
        cv2.circle(img, (round(x), round(y)), round(0.1 * d), (60, 40, 20), -1)
    cv2.line(
        img,
        tuple(np.round(lm[3]).astype(int)),
        tuple(np.round(lm[4]).astype(int)),
        (150, 40, 50),
        4,
    )
    cv2.circle(img, tuple(np.round(lm[2]).astype(int)), 3, (90, 60, 50), -1)
    noise = rng.normal(0, 6, img.shape)  # texture everywhere, so warps and smoothing change pixels
    img = np.clip(img + noise, 0, 255).astype(np.uint8)
    return Face(img, lm, source=f"person{seed}", name=f"drawn{seed}")


@pytest.fixture(scope="module")
def faces() -> list[Face]:
    return [drawn_face(s) for s in range(4)]


@pytest.mark.parametrize("kind", FACE_KINDS)
def test_the_mask_is_exactly_the_pixels_written(kind: str, faces: list[Face]) -> None:
    for seed in range(6):
        rng = np.random.default_rng([seed, FACE_KINDS.index(kind)])
        face, donor = faces[seed % 4], faces[(seed + 1) % 4]
        f = make_face_forgery(kind, face, donor, CFG, rng)
        assert f.kind == kind and f.image.shape == face.image.shape and f.image.dtype == np.uint8
        assert f.mask.any(), f"{kind}: nothing manipulated"
        assert set(np.unique(f.mask)) <= {0, 1}
        outside = f.mask == 0
        # outside the mask: the source, bit for bit
        np.testing.assert_array_equal(f.image[outside], face.image[outside])
        # the mask is the support of the blend weight, and the weight is a weight
        np.testing.assert_array_equal(f.mask, (f.weight > 0).astype(np.uint8))
        assert f.weight.min() >= 0.0 and f.weight.max() <= 1.0
        assert f.weight[f.weight > 0].min() >= CFG.weight_floor
        # where the new content dominates, the pixels did change (content never equals host)
        strong = f.weight > 0.5
        if strong.sum() > 20:
            changed = (f.image != face.image).any(-1)
            assert changed[strong].mean() > 0.9, f"{kind}: {changed[strong].mean():.2f} changed"


def test_a_swap_names_both_people_and_others_one(faces: list[Face]) -> None:
    rng = np.random.default_rng(0)
    assert make_face_forgery("swap", faces[0], faces[1], CFG, rng).sources == ("person0", "person1")
    for kind in ("selfblend", "eyes", "mouth", "skin"):
        assert make_face_forgery(kind, faces[2], None, CFG, rng).sources == ("person2",)
    with pytest.raises(ValueError, match="donor"):
        make_face_forgery("swap", faces[0], None, CFG, rng)
    with pytest.raises(ValueError, match="kind"):
        make_face_forgery("morph", faces[0], None, CFG, rng)


def test_part_masks_stay_near_their_parts(faces: list[Face]) -> None:
    face = faces[0]
    d = float(np.linalg.norm(face.landmarks[1] - face.landmarks[0]))
    for kind, centre in (
        ("eyes", face.landmarks[:2].mean(0)),
        ("mouth", face.landmarks[3:].mean(0)),
    ):
        f = make_face_forgery(kind, face, None, CFG, np.random.default_rng(3))
        ys, _ = np.nonzero(f.mask)
        assert abs(ys.mean() - centre[1]) < 0.3 * d, kind  # the part's rows, not the whole face
        assert f.mask.sum() < 0.5 * face_region(face.image.shape[:2], face.landmarks).sum()


def test_the_face_region_follows_the_landmarks_and_the_head_turn() -> None:
    frontal = drawn_face(0)
    region = face_region(frontal.image.shape[:2], frontal.landmarks)
    assert all(region[round(y), round(x)] for x, y in frontal.landmarks)  # every landmark inside
    assert not region[:2].any() and not region[:, :2].any()  # clear of the border
    # a nose to the right is a head turned right: the outline gives up room on that side
    turned = drawn_face(0, yaw=0.25)
    xs_frontal, xs_turned = (
        face_outline(frontal.landmarks)[:, 0],
        face_outline(turned.landmarks)[:, 0],
    )
    nose_x = turned.landmarks[2, 0]
    assert xs_turned.max() - nose_x < xs_frontal.max() - frontal.landmarks[2, 0]


def test_similarity_recovers_a_known_transform() -> None:
    pts = np.array([[10, 20], [50, 22], [30, 40], [15, 60], [45, 61]], np.float32)
    a = np.radians(20)
    m = np.array(
        [[1.5 * np.cos(a), -1.5 * np.sin(a), 7.0], [1.5 * np.sin(a), 1.5 * np.cos(a), -3.0]]
    )
    moved = pts @ m[:, :2].T + m[:, 2]
    np.testing.assert_allclose(similarity(pts, moved), m, atol=1e-6)


def test_crop_face_moves_the_landmarks_and_skips_small_faces() -> None:
    big = np.zeros((600, 800, 3), np.uint8)
    lm = np.array([[380, 280], [420, 280], [400, 300], [385, 320], [415, 320]], np.float32)
    face = crop_face(big, (350, 250, 100, 100), lm, CFG, source="s", name="n")
    assert face is not None
    h, w = face.image.shape[:2]
    assert (h, w) == (220, 220)  # 100 px box, 60 % margin on every side
    np.testing.assert_allclose(face.landmarks, lm - [290, 190])
    assert crop_face(big, (0, 0, 40, 40), lm, CFG, source="s", name="n") is None
    small = crop_face(
        big, (0, 0, 500, 500), lm * 4, SynthFaceConfig(max_crop=200), source="s", name="n"
    )
    assert small is not None and max(small.image.shape[:2]) == 200


def test_faces_need_five_landmarks() -> None:
    with pytest.raises(ValueError, match="landmarks"):
        Face(np.zeros((10, 10, 3), np.uint8), np.zeros((4, 2), np.float32))


def test_pointing04_names_give_the_person() -> None:
    assert identity_of("pose0_personne08146p0+0") == identity_of("posem30_personne08244p0-30")
    assert identity_of("pose0_personne08146p0+0") != identity_of("pose0_personne09146p0+0")
    assert identity_of("Au_ani_00018") == "Au_ani_00018"


def _listing(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_generate_writes_a_tp_gt_au_folder_deterministically(
    tmp_path: Path, faces: list[Face]
) -> None:
    counts = generate_faces(faces, tmp_path / "a", count=15, seed=7)
    generate_faces(faces, tmp_path / "b", count=15, seed=7)
    generate_faces(faces, tmp_path / "c", count=15, seed=8)
    a, b, c = _listing(tmp_path / "a"), _listing(tmp_path / "b"), _listing(tmp_path / "c")
    assert a == b  # same seed, same bytes
    assert a != c
    assert counts["forgeries"] == 15 and counts["authentic"] == 4
    assert all(counts[k] > 0 for k in FACE_KINDS), counts  # every kind made in 15 draws
    tp = sorted((tmp_path / "a" / "Tp").iterdir())
    assert [p.name for p in tp] == [p.name for p in sorted((tmp_path / "a" / "Gt").iterdir())]
    for p in tp:
        gt = cv2.imread(str(tmp_path / "a" / "Gt" / p.name), cv2.IMREAD_UNCHANGED)
        assert gt.ndim == 2 and set(np.unique(gt)) <= {0, 255} and gt.any()
    table = json.loads((tmp_path / "a" / "sources.json").read_text())
    assert set(table) == {p.name for p in tp} | {p.name for p in (tmp_path / "a" / "Au").iterdir()}
    swaps = [k for k in table if "_swap_" in k]
    assert swaps and all(len(table[k]) == 2 for k in swaps)


def test_one_person_makes_no_swap(tmp_path: Path) -> None:
    one = [
        drawn_face(0),
        Face(drawn_face(1).image, drawn_face(1).landmarks, source="person0", name="x"),
    ]
    counts = generate_faces(one, tmp_path, count=6, kinds=("swap",), seed=0)
    assert counts["swap"] == 0 and counts["forgeries"] == 6


# ----------------------------------------------------------------- the command line ---

HAVE_MTCNN = importlib.util.find_spec("facenet_pytorch") is not None


def _one_line(err: str) -> str:
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.skipif(not HAVE_MTCNN, reason="facenet-pytorch is not installed (make setup)")
def test_synth_kind_faces_writes_a_folder_that_splits_by_person(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Faces from two folders (scikit-image's astronaut, mirrored as a second person), a
    faceless photograph and a broken file; the result reads as a data set whose swaps name
    both people, so that a split keeps them together."""
    from PIL import Image

    from trainer import cli
    from trainer.data.records import read_folder, validate
    from trainer.data.splits import split_samples
    from trainer.errors import DataError

    skdata = pytest.importorskip("skimage.data")
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    Image.fromarray(skdata.astronaut()).save(a / "astronaut.png")
    Image.fromarray(skdata.coffee()).save(a / "coffee.png")
    (a / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    Image.fromarray(np.ascontiguousarray(skdata.astronaut()[:, ::-1])).save(b / "mirrored.png")
    out = tmp_path / "out"
    argv = ["synth", "--kind", "faces", "--faces", str(a), str(b), "--out", str(out)]
    assert cli.main([*argv, "--count", "10", "--seed", "3"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert (summary["photos"], summary["faces"], summary["forgeries"]) == (4, 2, 10)
    assert summary["authentic"] == 2 and summary["swap"] > 0
    assert "broken.png" in captured.err
    samples = read_folder(out)
    validate(samples)
    assert sum(s.label for s in samples) == 10
    table = json.loads((out / "sources.json").read_text())
    for name, ids in table.items():
        assert len(ids) == (2 if "_swap_" in name else 1)
        assert set(ids) <= {"astronaut", "mirrored"}
    with pytest.raises(DataError, match="one group"):  # a swap joins the two people
        split_samples(samples, 0.5, "source", 0)
    # an --out that already holds forgeries is refused
    assert cli.main([*argv, "--count", "1"]) == 2


def test_synth_kind_faces_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from trainer import cli

    out = ["--out", str(tmp_path / "o")]
    assert cli.main(["synth", "--kind", "faces", *out]) == 2
    assert "--faces" in _one_line(capsys.readouterr().err)
    assert (
        cli.main(
            ["synth", "--kind", "faces", "--faces", str(tmp_path), "--kinds", "swap,morph", *out]
        )
        == 2
    )
    assert "selfblend,swap,eyes,mouth,skin" in _one_line(capsys.readouterr().err)
    assert cli.main(["synth", "--faces", str(tmp_path), *out]) == 2
    assert "--kind faces" in _one_line(capsys.readouterr().err)
    assert cli.main(["synth", *out]) == 2
    assert "SRC_DIR" in _one_line(capsys.readouterr().err)


def test_synth_kind_faces_without_mtcnn_says_what_to_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from trainer import cli

    for name in [m for m in sys.modules if m.startswith("facenet_pytorch")] + ["facenet_pytorch"]:
        monkeypatch.setitem(sys.modules, name, None)
    argv = ["synth", "--kind", "faces", "--faces", str(tmp_path), "--out", str(tmp_path / "o")]
    assert cli.main(argv) == 2
    assert "facenet-pytorch" in _one_line(capsys.readouterr().err)
