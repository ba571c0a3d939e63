"""The trainer's JSON side files that sit in a folder the user chooses, ``sources.json`` next to
a data set's ``Tp/`` (leak-free splits) and ``photos.json`` in a folder of camera forgeries
(``forensic-train features --forgeries``), are read through
:func:`engine.files.read_regular_text`: a named pipe there is refused in one line naming it,
never waited on (``read_text`` waited for a writer forever).

A reader that waits blocks in a system call, so each case runs in a child process with a time
limit (``tests.conftest.run_bounded``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import run_bounded

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")


def test_a_pipe_named_sources_json_is_one_line_naming_it(tmp_path: Path) -> None:
    out = run_bounded(
        """
        import os, sys
        from pathlib import Path
        from trainer.data.records import Sample
        from trainer.data.splits import split_samples
        from trainer.errors import DataError

        root = Path(sys.argv[1])
        (root / "Tp").mkdir()
        os.mkfifo(root / "sources.json")
        samples = [Sample(root / "Tp" / f"Tp_D_{i}.png", None, 1) for i in range(4)]
        try:
            split_samples(samples, 0.5, "source", 0)
        except DataError as e:
            print(e)
        """,
        tmp_path,
    )
    assert out.startswith(f"{tmp_path / 'sources.json'}: "), out
    assert "not a regular file" in out and len(out.strip().splitlines()) == 1, out


def test_a_pipe_named_photos_json_is_one_line_naming_it(tmp_path: Path) -> None:
    out = run_bounded(
        """
        import os, sys
        from pathlib import Path
        from trainer.errors import UsageError
        from trainer.verdict_features import HALF_FILE, forgeries_part

        folder = Path(sys.argv[1])
        os.mkfifo(folder / HALF_FILE)
        try:
            forgeries_part(folder)
        except UsageError as e:
            print(e)
        """,
        tmp_path,
    )
    assert out.startswith(f"{tmp_path / 'photos.json'}: "), out
    assert "not a regular file" in out and len(out.strip().splitlines()) == 1, out
