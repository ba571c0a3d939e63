"""The trainer's readers of checkpoint weights (``--init``, ``calibrate``'s copy of the tensors)
read the bytes of the descriptor :func:`engine.files.open_regular` opened, never the file again
by its name through safetensors' ``load_file``: a named pipe put there after the header was
read made them wait forever. A pipe makes safetensors wait in native code, where no signal ends
it, so these run in a child process with a time limit: one child for both readers, since each
child imports torch (seconds on a loaded machine).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import run_bounded

READERS = ("init_from", "write_decision")


@pytest.fixture(scope="module")
def refusals(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, str]]]:
    """The folder of the child's checkpoints, and by reader the exception each one raised (its
    type and message) when its checkpoint became a pipe after its header was read."""
    root = tmp_path_factory.mktemp("reads")
    out = run_bounded(
        """
        import json, os, sys
        from pathlib import Path
        from engine.checkpoints import read_meta
        from engine.models import create_model
        from tests.conftest import make_tiny_checkpoint
        from trainer import calibrate, setup

        for reader in sys.argv[2:]:
            path = make_tiny_checkpoint(Path(sys.argv[1]) / reader / "m.safetensors")
            meta = read_meta(path)

            def read_meta_then_swap(p, path=path):
                got = read_meta(p)
                path.unlink()
                os.mkfifo(path)
                return got

            try:
                if reader == "init_from":
                    setup.read_meta = read_meta_then_swap
                    setup.init_from(create_model("crfd-net-compact", channels=(8, 16, 32)), path)
                else:
                    read_meta_then_swap(path)
                    calibrate.write_decision(path, path.with_name("out.safetensors"), meta)
            except Exception as e:
                print(json.dumps({reader: {"type": type(e).__name__, "message": str(e)}}))
            else:
                print(json.dumps({reader: {"type": "", "message": "read without an error"}}))
            sys.stdout.flush()
        """,
        root,
        *READERS,
    )
    found: dict[str, dict[str, str]] = {}
    for line in out.splitlines():
        found.update(json.loads(line))
    return root, found


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
@pytest.mark.parametrize("reader", READERS)
def test_the_trainers_checkpoint_readers_refuse_a_pipe_put_in_place_after_the_header(
    refusals: tuple[Path, dict[str, dict[str, str]]], reader: str
) -> None:
    """``--init`` and ``calibrate`` read the header (through the opener), then the weights:
    a pipe put there in between is one line naming it, not a wait."""
    root, found = refusals
    raised = found[reader]
    out = raised["message"]
    assert raised["type"] == "CheckpointError", raised
    assert out.startswith(f"{root / reader / 'm.safetensors'}: "), out
    assert "not a regular file" in out and len(out.strip().splitlines()) == 1, out
