"""The OpenVINO runner's files (a bundled int8 model and its key, the converted models it caches)
are read and written without waiting on a named pipe put at their names: the IR pair is read
through :mod:`engine.files` and handed to OpenVINO as bytes (``engine.runtime.read_ir``), the key
through ``read_regular_text``, a cached conversion through ``open_regular``
(``engine.ovcache``), and a conversion is saved inside a folder made for it. A pipe is
a warning naming it, and the network runs on (fp32, or converted again).

OpenVINO reading or writing a pipe by name waits inside native code, so the cases that would
hang run in a child process with a time limit (``tests.conftest.run_bounded``).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from engine.runtime import bundled_int8, int8_files, openvino_available
from tests.conftest import run_bounded

pytestmark = [
    pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX"),
    pytest.mark.skipif(not openvino_available(), reason="openvino not installed"),
]

NOT_REGULAR = "not a regular file"

_CHILD_HEAD = """
    import logging, os, sys
    from pathlib import Path
    import torch
    from engine.models import create_model
    from engine.runtime import OpenVINORunner, export_openvino, make_runner

    logging.basicConfig(level=logging.WARNING, stream=sys.stdout, format="LOG %(message)s")
    torch.manual_seed(0)
    model = create_model("crfd-net-compact", channels=(8, 16, 32)).eval()
    root = Path(sys.argv[1])
"""


@pytest.mark.slow
def test_an_int8_model_whose_weights_are_a_pipe_is_a_line_and_fp32_runs(tmp_path: Path) -> None:
    # bundled_int8 saw the three files; the .bin was then replaced by a pipe (or an int8 model
    # was named directly): OpenVINO, given the path, waited for a writer forever
    out = run_bounded(
        _CHILD_HEAD
        + """
    import openvino as ov
    xml = root / "net.int8.xml"
    ov.save_model(export_openvino(model, None), str(xml))
    xml.with_suffix(".bin").unlink()
    os.mkfifo(xml.with_suffix(".bin"))
    runner = make_runner(model, device=torch.device("cpu"), precision="fp32", sha256="c" * 64,
                         shape=None, choice="openvino", int8=xml)
    print("RUNNER", type(runner).__name__, runner.precision)
    """,
        tmp_path,
    )
    assert "RUNNER OpenVINORunner fp32" in out, out
    said = [ln for ln in out.splitlines() if ln.startswith("LOG ")]
    assert len(said) == 1, out
    assert f"{tmp_path / 'net.int8.bin'}: {NOT_REGULAR}" in said[0], out


@pytest.mark.slow
def test_a_pipe_in_the_cache_is_a_line_and_the_model_is_converted_again(tmp_path: Path) -> None:
    # A pipe at the cached conversion's name: one warning naming it, then the conversion
    # replaces it. Pipes at the names the cache used to write through (``.KEY.PID.tmp.xml``/
    # ``.bin`` in the cache folder): saving there waited for a reader forever.
    out = run_bounded(
        _CHILD_HEAD
        + """
    first = OpenVINORunner(model, "0" * 64, None, threads=1, folder=root / "a")
    name, stem = first.cache_file.name, first.cache_file.stem
    cache = root / "b" / "openvino"
    cache.mkdir(parents=True)
    os.mkfifo(cache / name)
    os.mkfifo(cache / f".{stem}.{os.getpid()}.tmp.xml")
    os.mkfifo(cache / f".{stem}.{os.getpid()}.tmp.bin")
    again = OpenVINORunner(model, "0" * 64, None, threads=1, folder=root / "b")
    print("CACHED", again.cache_file, again.cache_file.is_file())
    x = torch.randn(1, 3, 64, 64)
    with torch.inference_mode():
        ref = model(x)
    print("MATCH", bool(torch.allclose(again(x)[0], ref, atol=1e-4, rtol=1e-4)))
    """,
        tmp_path,
    )
    cached = next(ln for ln in out.splitlines() if ln.startswith("CACHED "))
    path = Path(cached.split()[1])
    assert path.parent == tmp_path / "b" / "openvino" and cached.endswith("True"), out
    assert "MATCH True" in out, out
    said = [ln for ln in out.splitlines() if ln.startswith("LOG ")]
    assert len(said) == 1 and said[0].startswith(f"LOG {path}: "), out
    assert NOT_REGULAR in said[0] and "converting it again" in said[0], out
    # nothing of the write is left behind: the one file, and the two pipes it never touched
    files = [p.name for p in path.parent.iterdir() if p.is_file()]
    assert files == [path.name], files
    assert len(list(path.parent.iterdir())) == 3, list(path.parent.iterdir())


def test_an_int8_key_that_is_a_pipe_is_a_warning_naming_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ckpt = tmp_path / "net.safetensors"
    ckpt.write_bytes(b"weights")
    meta, xml = int8_files(ckpt)
    xml.write_text("<net/>")
    xml.with_suffix(".bin").write_bytes(b"")
    os.mkfifo(meta)
    with caplog.at_level(logging.WARNING, logger="engine.runtime"):
        assert bundled_int8(ckpt, "a" * 64, None) is None
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1 and said[0].startswith(f"{meta}: "), said
    assert NOT_REGULAR in said[0] and "fp32 is used" in said[0], said
