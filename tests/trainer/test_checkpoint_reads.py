"""The trainer's readers of checkpoint weights (``--init``, ``calibrate``'s copy of the tensors)
read the bytes of the descriptor :func:`engine.files.open_regular` opened, never the file again
by its name through safetensors' ``load_file``: a named pipe put there after the header was
read made them wait forever. A pipe makes safetensors wait in native code, where no signal ends
it, so these run in a child process with a time limit.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import run_bounded


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
@pytest.mark.parametrize("reader", ["init_from", "write_decision"])
def test_the_trainers_checkpoint_readers_refuse_a_pipe_put_in_place_after_the_header(
    tmp_path: Path, reader: str
) -> None:
    """``--init`` and ``calibrate`` read the header (through the opener), then the weights:
    a pipe put there in between is one line naming it, not a wait."""
    out = run_bounded(
        f"""
        import os, sys
        from pathlib import Path
        from engine.checkpoints import read_meta
        from engine.errors import CheckpointError
        from engine.models import create_model
        from tests.conftest import make_tiny_checkpoint
        from trainer import calibrate, setup

        path = make_tiny_checkpoint(Path(sys.argv[1]) / "m.safetensors")
        meta = read_meta(path)

        def read_meta_then_swap(p):
            got = read_meta(p)
            path.unlink()
            os.mkfifo(path)
            return got

        try:
            if "{reader}" == "init_from":
                setup.read_meta = read_meta_then_swap
                setup.init_from(create_model("crfd-net-compact", channels=(8, 16, 32)), path)
            else:
                read_meta_then_swap(path)
                calibrate.write_decision(path, path.with_name("out.safetensors"), meta)
        except CheckpointError as e:
            print(e)
        """,
        tmp_path,
    )
    assert out.startswith(f"{tmp_path / 'm.safetensors'}: "), out
    assert "not a regular file" in out and len(out.strip().splitlines()) == 1, out
