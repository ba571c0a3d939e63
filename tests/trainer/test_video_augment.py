"""Video coding among the augmentations (trainer.data.augment.video_code): a frame of an
H.264 or HEVC video, coded and decoded in memory, for fit's samples and the face forgeries,
Tp/ and Au/ alike; a configuration asking for it without PyAV is refused when it is made."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.trainer.conftest import make_folder
from trainer import cli
from trainer.data import augment
from trainer.data.augment import AugmentConfig, photometric, video_code
from trainer.data.faces import SynthFaceConfig, generate_faces
from trainer.errors import UsageError

pytest.importorskip("av", reason="PyAV is not installed (the `video` extra)")


def photo(h: int = 160, w: int = 192, seed: int = 0) -> np.ndarray:
    """Smooth shapes, edges and fine texture: what a coder spends its bits on."""
    rng = np.random.default_rng(seed)
    base = cv2.GaussianBlur(rng.normal(0, 1, (h, w, 3)).astype(np.float32), (0, 0), 6)
    img = 128 + 50 * base / (base.std() + 1e-6)
    for _ in range(6):
        c = tuple(int(v) for v in rng.integers(0, 255, 3))
        centre = (int(rng.integers(w)), int(rng.integers(h)))
        cv2.circle(img, centre, int(rng.integers(4, max(5, min(h, w) // 3))), c, -1)
    img = img + rng.normal(0, 2, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def astronaut_face() -> np.ndarray:
    """A real photograph's face (scikit-image's astronaut), 160 x 192."""
    skdata = pytest.importorskip("skimage.data")
    return np.ascontiguousarray(skdata.astronaut()[20:180, 150:342])


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * np.log10(255.0**2 / mse)


@pytest.mark.parametrize("codec", ["h264", "hevc"])
@pytest.mark.parametrize("frames", [1, 2])
def test_a_higher_crf_codes_the_same_image_worse(codec: str, frames: int) -> None:
    img = astronaut_face()
    out = {
        crf: video_code(img, crf, np.random.default_rng(0), codec=codec, frames=frames)
        for crf in (18, 28, 40)
    }
    figures = {crf: psnr(img, o) for crf, o in out.items()}
    assert figures[18] > figures[28] > figures[40], figures
    # measured 34.6-36.0 dB at CRF 18, 24.2-25.4 dB at CRF 40 (PSNR over RGB)
    assert 32 < figures[18] < 45 and 20 < figures[40] < figures[18] - 6, figures


@pytest.mark.parametrize("codec", ["h264", "hevc"])
@pytest.mark.parametrize("shape", [(1, 1), (7, 9), (33, 17), (15, 64)])
def test_odd_and_small_sizes_come_back_as_they_went_in(codec: str, shape: tuple[int, int]) -> None:
    img = np.ascontiguousarray(astronaut_face()[40 : 40 + shape[0], 50 : 50 + shape[1]])
    out = video_code(img, 23, np.random.default_rng(0), codec=codec)
    assert out.shape == img.shape and out.dtype == np.uint8 and out.flags.c_contiguous
    if min(shape) > 8:  # the image itself, not the padding or a neighbour's rows
        assert psnr(img, out) > 28


def test_the_image_comes_back_not_the_moved_frames_before_it() -> None:
    """frames = 2: the first frame is the image moved by the drawn camera step; the frame
    returned is the image's (a P-frame), at the image's place."""
    img = astronaut_face()
    out = video_code(img, 23, np.random.default_rng(5), codec="h264", frames=2)
    dx, dy = np.random.default_rng(5).uniform(-augment.VIDEO_MOTION, augment.VIDEO_MOTION, 2)
    moved = cv2.warpAffine(img, np.float32([[1, 0, dx], [0, 1, dy]]), img.shape[1::-1])
    assert psnr(img, out) > psnr(moved, out) + 6
    intra = video_code(img, 23, np.random.default_rng(5), codec="h264", frames=1)
    assert not np.array_equal(out, intra)  # another frame type, other coding


def test_the_augmentation_is_the_same_for_a_seed_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    cfg = AugmentConfig(
        hflip=0, brightness=0, contrast=0, jpeg_prob=0, video_prob=1.0,
        video_crf=(18, 36), video_codecs=("h264", "hevc"), video_frames=3,
    )  # fmt: skip
    img = photo(65, 71)
    a = photometric(img, cfg, np.random.default_rng([4, 1]))
    b = photometric(img, cfg, np.random.default_rng([4, 1]))
    others = [photometric(img, cfg, np.random.default_rng([4, k])) for k in range(2, 6)]
    assert np.array_equal(a, b)
    assert not np.array_equal(a, img) and a.shape == img.shape
    assert all(not np.array_equal(a, o) for o in others)  # codec, CRF, motion drawn
    assert list(tmp_path.iterdir()) == []


def test_without_video_prob_nothing_is_coded_and_nothing_drawn() -> None:
    img = photo()
    cfg = AugmentConfig(hflip=0, brightness=0, contrast=0, jpeg_prob=0)
    rng = np.random.default_rng(1)
    assert np.array_equal(photometric(img, cfg, rng), img)
    assert rng.random() == np.random.default_rng(1).random()  # earlier runs draw the same


def test_a_configuration_asking_for_video_without_pyav_fails_when_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "av", None)  # import av raises ImportError
    AugmentConfig()  # not asked for: no PyAV needed
    for make in (lambda: AugmentConfig(video_prob=0.3), lambda: SynthFaceConfig(video_prob=0.3)):
        with pytest.raises(UsageError, match=r"`video` extra") as e:
            make()
        assert "\n" not in str(e.value)
    # before any data is read: the folders do not even exist
    fit = ["fit", "--arch", "crfd-net-compact", "--data", str(tmp_path / "nope")]
    synth = ["synth", "--kind", "faces", "--faces", str(tmp_path / "nope")]
    for argv in (fit, synth):
        assert cli.main([*argv, "--out", str(tmp_path / "o"), "--video-prob", "0.5"]) == 2
        lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
        assert len(lines) == 1 and "pip install 'forensic-viewer[video]'" in lines[0], lines
        assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--video-crf", "20-30"], "--video-crf need --video-prob"),
        (["--video-prob", "1.5"], "probability must be in [0, 1]"),
        (["--video-prob", "1", "--video-crf", "30-20"], "0 <= LO <= HI <= 51"),
        (["--video-prob", "1", "--video-crf", "high"], "--video-crf must be LO-HI or N"),
        (["--video-prob", "1", "--video-codecs", "h264,vp9"], "video codecs must be some of"),
        (["--video-prob", "1", "--video-preset", "quick"], "video preset must be one of"),
    ],
)
def test_bad_video_options_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    argv = ["fit", "--arch", "crfd-net-compact", "--data", str(tmp_path / "nope")]
    assert cli.main([*argv, "--out", str(tmp_path / "o"), *extra]) == 2
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(lines) == 1 and message in lines[0], lines


def test_synth_of_photos_refuses_the_video_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    argv = ["synth", str(src), "--out", str(tmp_path / "o"), "--video-prob", "0.5"]
    assert cli.main(argv) == 2
    assert "go with --kind faces" in capsys.readouterr().err


def _listing(root: Path) -> dict[str, np.ndarray]:
    return {
        f"{p.parent.name}/{p.name}": cv2.imread(str(p), cv2.IMREAD_UNCHANGED)
        for p in sorted(root.rglob("*.png"))
    }


def test_face_forgeries_and_authentic_crops_are_coded_alike(tmp_path: Path) -> None:
    """With video_prob 1 every Tp/ and Au/ image is a decoded video frame; the masks and the
    forgeries' choices stay those of the same seed without it (no JPEG, to see the coding)."""
    from tests.trainer.test_face_synth import drawn_face

    faces = [drawn_face(s, size=97) for s in range(3)]  # odd sides
    plain = SynthFaceConfig(jpeg_prob=0.0)
    coded = SynthFaceConfig(jpeg_prob=0.0, video_prob=1.0, video_codecs=("h264", "hevc"))
    generate_faces(faces, tmp_path / "plain", count=6, seed=2, cfg=plain)
    generate_faces(faces, tmp_path / "coded", count=6, seed=2, cfg=coded)
    a, b = _listing(tmp_path / "plain"), _listing(tmp_path / "coded")
    assert a.keys() == b.keys()
    tp = [k for k in a if k.startswith("Tp/")]
    au = [k for k in a if k.startswith("Au/")]
    assert len(tp) == 6 and len(au) == 3
    for k in tp + au:
        assert a[k].shape == b[k].shape and not np.array_equal(a[k], b[k]), k
        assert 20 < psnr(a[k], b[k]) < 50, k  # drawn noise the coder drops: 25-28 dB
    for k in (k for k in a if k.startswith("Gt/")):
        assert np.array_equal(a[k], b[k])
    for face in faces:  # Au/ without coding is the crop itself
        assert np.array_equal(a[f"Au/au_{face.name}.png"][..., ::-1], face.image)


def test_fit_codes_its_samples_and_a_resume_must_keep_the_video_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, int, tuple[int, ...]]] = []

    def counted(image: np.ndarray, crf: int, rng: np.random.Generator, **kw: object) -> np.ndarray:
        calls.append((str(kw["codec"]), crf, image.shape))
        return video_code(image, crf, rng, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(augment, "video_code", counted)
    data = make_folder(tmp_path / "d", 4, 2, seed=0)
    out = tmp_path / "run"
    argv = [
        "fit", "--arch", "crfd-net-compact", "--data", str(data), "--out", str(out),
        "--model-config", "channels=8,16,32", "--window", "32", "--threads", "1",
        "--epochs", "1", "--max-steps", "2", "--no-val", "--quiet",
    ]  # fmt: skip
    video = ["--video-prob", "1", "--video-codecs", "hevc", "--video-crf", "30"]
    assert cli.main([*argv, *video]) == 0, capsys.readouterr().err
    assert calls and {(c, q) for c, q, _ in calls} == {("hevc", 30)}
    assert all(shape == (32, 32, 3) for _, _, shape in calls)
    settings = json.loads((out / "run.json").read_text(encoding="utf-8"))["settings"]
    assert settings["video"] == {"video_prob": 1.0, "video_codecs": ["hevc"], "video_crf": [30, 30]}
    capsys.readouterr()
    assert cli.main([*argv, "--resume", "--epochs", "2"]) == 2
    assert "--resume with other video than the run was started with" in capsys.readouterr().err
    assert os.listdir(out)  # the run's files are still there


def _codec_contexts() -> int:
    """PyAV codec contexts alive in this process (they take no weak reference)."""
    import gc

    import av

    kind = av.codec.context.CodecContext  # by type(): isinstance asks lazy modules' __class__
    return sum(issubclass(type(o), kind) for o in gc.get_objects())


def test_a_decode_with_no_frame_is_one_error_naming_the_codec_and_size_and_frees_the_coders(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A decoder that gives back no frame was ``max() arg is an empty sequence``; it is an
    error naming the codec and the size. Neither coder outlives a call, also one that failed
    while its exception (and traceback) is still held, as a caller logging it holds it."""
    import av

    img = photo(24, 30)
    before = _codec_contexts()
    for seed in range(3):
        video_code(img, 23, np.random.default_rng(seed))
    assert _codec_contexts() == before

    real = av.CodecContext

    class Silent:
        """The real decoder, which decodes nothing."""

        def __init__(self, context: object) -> None:
            self.context = context

        def decode(self, packet: object) -> list[object]:
            return []

    class Contexts:
        @staticmethod
        def create(name: str, mode: str) -> object:
            context = real.create(name, mode)
            return Silent(context) if mode == "r" else context

    monkeypatch.setattr(av, "CodecContext", Contexts)
    with pytest.raises(RuntimeError) as info:
        video_code(img, 23, np.random.default_rng(0), codec="h264")
    line = str(info.value)
    assert "\n" not in line and line.startswith("h264 video coding of a 30 x 24 image:"), line
    assert "decoded no frame" in line, line
    assert _codec_contexts() == before  # the traceback in info holds neither coder
