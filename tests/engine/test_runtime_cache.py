"""The OpenVINO conversions' cache on a locked-down or shared workstation (engine.ovcache): a
cache folder that cannot be made or written, a damaged cached conversion, one made for another
checkpoint or OpenVINO build under the same name, two processes converting into one empty
cache. In each the network runs on OpenVINO with outputs that match PyTorch, and what went
wrong is one warning line naming the file or folder.

Tests may run as root, where a read-only folder is still written: the read-only case then
makes the write fail as a read-only file system would (``EROFS`` from ``mkdtemp``, the first
write into the folder), and says so in its assertion message.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
import tempfile
from pathlib import Path

import pytest
import torch

from engine import ovcache
from engine.models import create_model
from engine.runtime import OpenVINORunner, make_runner, openvino_available
from tests.conftest import run_bounded

pytestmark = pytest.mark.skipif(not openvino_available(), reason="openvino not installed")

SHA = "b" * 64


def _tiny(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return create_model("crfd-net-compact", channels=(8, 16, 32)).eval()


def _matches(runner: OpenVINORunner, model: torch.nn.Module) -> bool:
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        ref = model(x)
    return bool(torch.allclose(runner(x)[0], ref, atol=1e-4, rtol=1e-4))


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def _counting_conversions(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Conversions made from now on are counted (one entry each)."""
    made: list[int] = []
    convert = OpenVINORunner._convert

    def counted(model: torch.nn.Module, shape: tuple[int, int] | None) -> object:
        made.append(1)
        return convert(model, shape)

    monkeypatch.setattr(OpenVINORunner, "_convert", staticmethod(counted))
    return made


def _runners(model: torch.nn.Module) -> list[object]:
    """Two runners of one network, as an analysis makes them (its tile, and any size)."""
    args = {"device": torch.device("cpu"), "precision": "fp32", "sha256": SHA}
    return [
        make_runner(model, shape=shape, choice="openvino", **args) for shape in (None, (64, 64))
    ]


def test_a_cache_folder_that_cannot_be_made_leaves_the_conversion_in_memory_said_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # $XDG_CACHE_HOME names a file: the cache folder cannot be made inside it. The networks
    # fell back to PyTorch, with one warning per network and tile shape.
    not_a_folder = tmp_path / "cache-file"
    not_a_folder.write_text("not a folder")
    monkeypatch.delenv("FORENSIC_VIEWER_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(not_a_folder))
    model = _tiny()
    with caplog.at_level(logging.WARNING):
        runners = _runners(model)
    assert all(isinstance(r, OpenVINORunner) and r.cache_file is None for r in runners), runners
    assert _matches(runners[0], model)
    said = _warnings(caplog)
    folder = not_a_folder / "forensic-viewer" / "openvino"
    assert len(said) == 1 and said[0].startswith(f"{folder}: "), said
    assert "not cached" in said[0] and "\n" not in said[0], said
    assert f"{not_a_folder} is a file" in said[0], said


def test_a_read_only_cache_folder_is_one_warning_and_the_conversions_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # The folder exists and is read-only: every conversion's save warned, one line per network
    # and tile shape, in every run.
    cache = tmp_path / "cache"
    (cache / "openvino").mkdir(parents=True)
    (cache / "openvino").chmod(stat.S_IRUSR | stat.S_IXUSR)
    monkeypatch.setenv("FORENSIC_VIEWER_CACHE", str(cache))
    as_root = os.access(cache / "openvino", os.W_OK)
    if as_root:  # root writes into a read-only folder: fail as a read-only file system does

        def read_only(*args: object, **kwargs: object) -> str:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(cache / "openvino"))

        monkeypatch.setattr(tempfile, "mkdtemp", read_only)
    model = _tiny()
    try:
        with caplog.at_level(logging.WARNING):
            runners = _runners(model)
    finally:
        (cache / "openvino").chmod(stat.S_IRWXU)
    how = "simulated EROFS (running as root)" if as_root else "chmod 0500"
    assert all(isinstance(r, OpenVINORunner) for r in runners), (how, runners)
    assert _matches(runners[1], model), how
    said = _warnings(caplog)
    assert len(said) == 1 and said[0].startswith(f"{cache / 'openvino'}: "), (how, said)
    assert list((cache / "openvino").iterdir()) == [], how


@pytest.mark.parametrize("damage", ["zeros in the weights", "cut short"])
def test_a_damaged_cached_conversion_is_converted_again_with_one_line(
    damage: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Zeros in the middle of the cached weights (a disk error; a crash's block of zeros) were
    # read by OpenVINO without a word, and the network ran with outputs off by 8e-4.
    model = _tiny()
    first = OpenVINORunner(model, SHA, None, threads=1, folder=tmp_path)
    # the largest file: the weights (the cache's one file since it holds the model whole)
    path = max((tmp_path / "openvino").iterdir(), key=lambda p: p.stat().st_size)
    data = bytearray(path.read_bytes())
    if damage == "cut short":  # a kill while saving, a full disk
        data = data[: len(data) // 2]
    else:
        start = len(data) // 3
        data[start : start + 4096] = bytes(4096)
    path.write_bytes(bytes(data))
    made = _counting_conversions(monkeypatch)
    with caplog.at_level(logging.WARNING):
        again = OpenVINORunner(model, SHA, None, threads=1, folder=tmp_path)
    assert made == [1] and _matches(again, model)
    said = _warnings(caplog)
    assert len(said) == 1 and said[0].startswith(f"{first.cache_file}: "), said
    assert "\n" not in said[0], said
    # rebuilt: the next runner reads it, without converting and without a word
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        third = OpenVINORunner(model, SHA, None, threads=1, folder=tmp_path)
    assert made == [1] and _matches(third, model) and _warnings(caplog) == []


def test_a_conversion_of_another_checkpoint_under_the_same_name_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # The name holds 20 hex digits of the checkpoint's SHA-256: a checkpoint whose digest
    # begins the same ran the other's conversion silently (logits off by 1.5).
    other, model = _tiny(seed=1), _tiny(seed=0)
    OpenVINORunner(other, "b" * 20 + "1" * 44, None, threads=1, folder=tmp_path)
    made = _counting_conversions(monkeypatch)
    with caplog.at_level(logging.WARNING):
        runner = OpenVINORunner(model, "b" * 20 + "0" * 44, None, threads=1, folder=tmp_path)
    assert made == [1] and _matches(runner, model)
    said = _warnings(caplog)
    assert len(said) == 1 and "another model" in said[0] and "checkpoint_sha256" in said[0], said


def test_two_openvino_builds_sharing_a_cache_keep_a_conversion_each_and_never_swap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # The name held OpenVINO's version without its build ("2026.4.1"): a cache filled by
    # another build of it (a lab's shared network home, two installs) was used as this one's.
    # Now each build has its own name, and a file of one under the other's name (copied by
    # hand) is refused by the key inside it.
    import openvino as ov

    model = _tiny()
    release = ov.__version__.split("-")[0]
    files = {}
    for build in ("1111-aaaaaaaa", "2222-bbbbbbbb"):
        monkeypatch.setattr(ov, "__version__", f"{release}-{build}")
        files[build] = OpenVINORunner(model, SHA, None, threads=1, folder=tmp_path).cache_file
    assert files["1111-aaaaaaaa"] != files["2222-bbbbbbbb"]
    made = _counting_conversions(monkeypatch)
    with caplog.at_level(logging.WARNING):
        for build in ("1111-aaaaaaaa", "2222-bbbbbbbb"):  # each reads its own, no swapping
            monkeypatch.setattr(ov, "__version__", f"{release}-{build}")
            OpenVINORunner(model, SHA, None, threads=1, folder=tmp_path)
    assert made == [] and _warnings(caplog) == []
    files["1111-aaaaaaaa"].replace(files["2222-bbbbbbbb"])  # one build's file, misnamed
    with caplog.at_level(logging.WARNING):
        runner = OpenVINORunner(model, SHA, None, threads=1, folder=tmp_path)
    assert made == [1] and _matches(runner, model)
    said = _warnings(caplog)
    assert len(said) == 1 and "1111-aaaaaaaa" in said[0] and "2222-bbbbbbbb" in said[0], said


def test_a_file_that_is_not_a_cached_conversion_is_said_and_replaced(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model = _tiny()
    first = OpenVINORunner(model, SHA, (64, 64), threads=1, folder=tmp_path)
    assert first.cache_file is not None
    first.cache_file.write_bytes(b"<?xml version='1.0'?>\n<net/>\n")
    with caplog.at_level(logging.WARNING):
        again = OpenVINORunner(model, SHA, (64, 64), threads=1, folder=tmp_path)
    assert _matches(again, model)
    said = _warnings(caplog)
    assert len(said) == 1 and "header" in said[0], said
    assert ovcache.read_conversion(first.cache_file, ovcache_key((64, 64))) is not None


def ovcache_key(shape: tuple[int, int] | None) -> dict[str, object]:
    from engine.runtime import conversion_key

    return conversion_key(SHA, shape)


_RACE = """
    import logging, sys, time
    from pathlib import Path
    import torch
    from engine.models import create_model
    from engine.runtime import OpenVINORunner

    logging.basicConfig(level=logging.WARNING, stream=sys.stdout, format="LOG %(message)s")
    torch.manual_seed(0)
    model = create_model("crfd-net-compact", channels=(8, 16, 32)).eval()
    root, me = Path(sys.argv[1]), sys.argv[2]
    (root / f"ready-{me}").touch()
    while len(list(root.glob("ready-*"))) < 2:  # both start converting together
        time.sleep(0.01)
    for _ in range(2):  # the second reads what either wrote
        runner = OpenVINORunner(model, "d" * 64, None, threads=1, folder=root / "cache")
    x = torch.randn(1, 3, 64, 64)
    with torch.inference_mode():
        ref = model(x)
    print("MATCH", bool(torch.allclose(runner(x)[0], ref, atol=1e-4, rtol=1e-4)))
"""


@pytest.mark.slow
def test_two_processes_converting_into_one_empty_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # scan --jobs 2's workers (or the viewer and a scan) start on an empty cache: each
    # converts, each writes the one file whole, neither reads the other's half.
    import threading

    outs: dict[str, str] = {}

    def child(me: str) -> None:
        outs[me] = run_bounded(_RACE, tmp_path, me)

    threads = [threading.Thread(target=child, args=(me,)) for me in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for me in "ab":
        assert "MATCH True" in outs.get(me, ""), outs
        assert "LOG " not in outs[me], outs  # nothing damaged, nothing unwritable
    folder = tmp_path / "cache" / "openvino"
    assert [p.suffix for p in folder.iterdir()] == [ovcache.SUFFIX]  # no temporary left
    monkeypatch.setattr(OpenVINORunner, "_convert", staticmethod(lambda *a: 1 / 0))
    reader = OpenVINORunner(_tiny(), "d" * 64, None, threads=1, folder=tmp_path / "cache")
    assert _matches(reader, _tiny())


def test_a_killed_writes_leftovers_are_removed_once_old(tmp_path: Path) -> None:
    # SIGKILL (or a power cut) during a save leaves the folder OpenVINO wrote into and the
    # atomic writer's temporary file, each the size of the weights, for ever: a lab whose
    # scans are killed filled its cache with them. A young one may be a write in progress.
    import time

    model = _tiny()
    first = OpenVINORunner(model, SHA, None, threads=1, folder=tmp_path)
    assert first.cache_file is not None
    folder, name = first.cache_file.parent, first.cache_file.name
    old_dir, young_dir = folder / f".{first.cache_file.stem}.abc123", folder / f".{name}.young"
    old_tmp = folder / f"{name}.~0123abcd.tmp"
    young_tmp = folder / f"{name}.~89abcdef.tmp"
    other = folder / "someone-elses.ovcache.~0123abcd.tmp"  # another conversion's: not touched
    for d in (old_dir, young_dir):
        d.mkdir()
        (d / "model.bin").write_bytes(b"\0" * 1000)
    for f in (old_tmp, young_tmp, other):
        f.write_bytes(b"\0" * 1000)
    hours_ago = time.time() - 2 * ovcache.LEFTOVER_SECONDS
    for p in (old_dir, old_tmp, other):
        os.utime(p, (hours_ago, hours_ago))
    again = OpenVINORunner(model, SHA, None, threads=1, folder=tmp_path)
    assert _matches(again, model)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [name, young_dir.name, young_tmp.name, other.name]
    )


def test_the_former_layouts_ir_pairs_are_removed_and_nothing_else(tmp_path: Path) -> None:
    # The cache of a version before one file per conversion held KEY.xml and KEY.bin pairs,
    # each the size of its network's weights, which nothing reads now and nothing removed.
    # Only regular files of openvino/ itself named so go: not a link (nor what it points
    # to), a folder, a file of a subfolder or of the cache's own folder, a file named
    # otherwise, nor this layout's conversion.
    model = _tiny()
    folder = tmp_path / "openvino"
    (folder / "sub").mkdir(parents=True)
    old = [f"{'0123456789abcdef0123'}-{tag}-ov2025.3.0-e2.{ext}" for tag in ("dyn", "64x64")
           for ext in ("xml", "bin")]  # fmt: skip
    for name in old:
        (folder / name).write_bytes(b"\0" * 1000)
    outside = tmp_path / "mine.xml"
    outside.write_text("<mine/>")
    kept = {
        folder / "sub" / old[0]: b"in a subfolder",
        tmp_path / old[1]: b"beside the openvino folder",
        folder / "notes.xml": b"named otherwise",
        folder / f"{old[0]}.bak": b"named otherwise",
        folder / "0123456789ABCDEF0123-dyn-ov2025.3.0-e2.xml": b"not lower-case hex",
    }
    for path, data in kept.items():
        path.write_bytes(data)
    (folder / "ffffffffffffffffffff-dyn-ov2025.3.0-e2.xml").mkdir()  # a folder of the name
    (folder / "eeeeeeeeeeeeeeeeeeee-dyn-ov2025.3.0-e2.xml").symlink_to(outside)
    runner = OpenVINORunner(model, SHA, (64, 64), threads=1, folder=tmp_path)
    assert _matches(runner, model) and runner.cache_file is not None
    assert not any((folder / name).exists() for name in old)
    assert all(path.read_bytes() == data for path, data in kept.items())
    assert (folder / "ffffffffffffffffffff-dyn-ov2025.3.0-e2.xml").is_dir()
    assert (folder / "eeeeeeeeeeeeeeeeeeee-dyn-ov2025.3.0-e2.xml").is_symlink()
    assert outside.read_text() == "<mine/>" and runner.cache_file.is_file()
