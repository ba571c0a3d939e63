"""A checkpoint is loaded from the file that was checked, never opened again by its name.

``load_checkpoint`` read and checked the header through :func:`engine.files.open_regular`, then
handed the file's name to safetensors' ``load_file``, which opened it again: a file swapped
in between (another checkpoint, or a named pipe that made the load wait forever) was loaded
unchecked, and hashed a third time. The header, the weights and the SHA-256 now come from one
descriptor (the trainer's readers: ``tests/trainer/test_checkpoint_reads.py``).

A pipe makes safetensors wait in native code, where no signal ends it, so those cases run in a
child process with a time limit.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from engine import checkpoints
from engine.checkpoints import load_checkpoint
from tests.conftest import make_tiny_checkpoint, run_bounded

posix = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")


def test_a_checkpoint_swapped_after_its_checks_is_not_the_one_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_tiny_checkpoint(tmp_path / "m.safetensors", seed=0)
    checked = path.read_bytes()
    other = make_tiny_checkpoint(tmp_path / "other.safetensors", seed=1)
    check_activation = checkpoints.check_activation

    def swap_then_check(*a: object, **k: object) -> object:
        os.replace(other, path)  # between the checks and the reading of the weights
        return check_activation(*a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(checkpoints, "check_activation", swap_then_check)
    loaded = load_checkpoint(path)
    monkeypatch.undo()
    assert loaded.sha256 == hashlib.sha256(checked).hexdigest()
    expected = load_checkpoint(make_tiny_checkpoint(tmp_path / "again.safetensors", seed=0))
    for (name, a), b in zip(
        loaded.model.state_dict().items(), expected.model.state_dict().values(), strict=True
    ):
        assert a.equal(b), name


@posix
def test_a_pipe_put_in_place_of_a_checked_checkpoint_is_not_waited_on(tmp_path: Path) -> None:
    out = run_bounded(
        """
        import os, sys
        from pathlib import Path
        from engine import checkpoints
        from tests.conftest import make_tiny_checkpoint, run_bounded

        path = make_tiny_checkpoint(Path(sys.argv[1]) / "m.safetensors")
        check_activation = checkpoints.check_activation

        def swap_then_check(*a, **k):
            path.unlink()
            os.mkfifo(path)
            return check_activation(*a, **k)

        checkpoints.check_activation = swap_then_check
        print(checkpoints.load_checkpoint(path).meta.architecture)
        """,
        tmp_path,
    )
    assert out.strip() == "crfd-net-compact"
