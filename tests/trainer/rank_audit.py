"""``python -m tests.trainer.rank_audit LOG_DIR ARGS...``: ``forensic-train ARGS`` with a Python
audit hook that lists every file this process opens for writing, renames, removes or creates
under ``--out``, written to ``LOG_DIR/rank-R.txt`` at the end (R: this process's rank).

For tests/trainer/test_distributed.py, run under torchrun: which rank wrote what.
"""

from __future__ import annotations

import os
import sys
from typing import Any

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _writes(mode: Any, flags: Any) -> bool:
    if isinstance(mode, str) and any(c in mode for c in "wax+"):
        return True
    return isinstance(flags, int) and bool(flags & WRITE_FLAGS)


def main() -> int:
    log_dir, argv = sys.argv[1], sys.argv[2:]
    out = os.path.abspath(argv[argv.index("--out") + 1])
    seen: list[str] = []

    def note(path: Any) -> None:
        if isinstance(path, str | bytes | os.PathLike):
            p = os.path.abspath(os.fsdecode(path))
            if p == out or p.startswith(out + os.sep):
                seen.append(p)

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "open" and len(args) >= 3 and _writes(args[1], args[2]):
            note(args[0])
        elif event in ("os.rename", "os.remove", "os.mkdir", "os.rmdir", "os.truncate"):
            for a in args[:2]:
                note(a)

    sys.addaudithook(hook)
    from trainer.cli import main as forensic_train

    try:
        return forensic_train(argv)
    finally:
        with open(os.path.join(log_dir, f"rank-{os.environ.get('RANK', '0')}.txt"), "w") as f:
            f.write("".join(f"{p}\n" for p in sorted(set(seen))))


if __name__ == "__main__":
    sys.exit(main())
