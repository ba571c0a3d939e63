"""A scan folder's lock file (``OUT/.scan.lock``) is used only when it is a regular file.

The scan opens it for writing, empties it and writes its holder there, and a second scan reads
it to say who holds the folder. A named pipe there was opened and then failed as "<folder>:
cannot be written (Invalid argument)"; read while another process held the pipe open, it made
the refusal wait forever; a link there had the file it points at emptied and overwritten. Each
is now one line naming the lock file, and a pipe is never waited on (the cases that could wait
run in a child process with a time limit, ``tests.conftest.run_bounded``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from forensic_viewer.cli import EXIT_SCAN_FAILED
from forensic_viewer.scan.lock import LOCK_NAME, OutputLock, ScanFailed
from tests.conftest import run_bounded

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")

NOT_REGULAR = "not a regular file (a device, pipe or socket)"


def test_scan_into_a_folder_whose_lock_is_a_pipe_is_one_line_naming_it(tmp_path: Path) -> None:
    out = run_bounded(
        """
        import contextlib, io, json, os, sys
        from pathlib import Path
        import numpy as np
        from PIL import Image
        from forensic_viewer.cli import main

        root = Path(sys.argv[1])
        (root / "ev").mkdir()
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(root / "ev" / "a.png")
        (root / "out").mkdir()
        os.mkfifo(root / "out" / ".scan.lock")
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = main(["scan", str(root / "ev"), "--out", str(root / "out"),
                         "--model", "no-such-model"])
        print(json.dumps([code, err.getvalue()]))
        """,
        tmp_path,
    )
    code, err = json.loads(out.strip().splitlines()[-1])
    lines = [ln for ln in err.strip().splitlines() if ln]
    assert code == EXIT_SCAN_FAILED and len(lines) == 1, err  # before the models are read
    assert f"{tmp_path / 'out' / LOCK_NAME}: {NOT_REGULAR}" in lines[0], err


def test_the_holder_of_a_lock_that_is_a_pipe_with_a_writer_is_read_as_unknown(
    tmp_path: Path,
) -> None:
    # a process holds the pipe open for writing and writes nothing: read by name, the read
    # waited for its bytes forever
    out = run_bounded(
        """
        import os, sys
        from pathlib import Path
        from forensic_viewer.scan.lock import LOCK_NAME, read_holder

        out = Path(sys.argv[1])
        os.mkfifo(out / LOCK_NAME)
        writer = os.open(out / LOCK_NAME, os.O_RDWR)
        print("HOLDER", read_holder(out))
        """,
        tmp_path,
    )
    assert "HOLDER {}" in out, out


def test_a_lock_that_is_a_link_is_refused_and_what_it_points_at_is_untouched(
    tmp_path: Path,
) -> None:
    evidence = tmp_path / "photo.jpg"
    evidence.write_bytes(b"\xff\xd8 the evidence")
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).symlink_to(evidence)
    with pytest.raises(ScanFailed) as e:
        OutputLock(out, command="scan").acquire()
    assert str(e.value).startswith(f"{out / LOCK_NAME}: ") and "\n" not in str(e.value)
    assert "is a link" in str(e.value)
    assert evidence.read_bytes() == b"\xff\xd8 the evidence"
    (out / LOCK_NAME).unlink()
    (out / LOCK_NAME).symlink_to("/dev/zero")
    with pytest.raises(ScanFailed, match="is a link"):
        OutputLock(out).acquire()


def test_a_regular_lock_file_left_behind_is_still_taken(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).write_text("")  # left by an earlier scan
    with OutputLock(out, command="again") as lock:
        assert lock.held
        assert json.loads((out / LOCK_NAME).read_text())["command"] == "again"
